"""Linear multiple kernel learning on validated arrays: grid spectral atoms,
the ML-II objective and its sparse weight solvers.

Used by :mod:`sparseopt.gp` (``GSMPRegressor``, ``SLIMKLRegressor``, whose
ADMM local step is :func:`~sparseopt.solvers.lmk.sca.sca_weights`); the MM update is
the ARD update of :mod:`sparseopt.solvers.sbl` with kernel matrices as atoms:

- :mod:`~sparseopt.solvers.lmk.atoms`: the atoms of a grid spectral mixture
  (product) kernel, their Gram matrix, traces, quadratic forms and products in
  O(n^2 + nA) memory (lag tables for lattice inputs, shared envelopes and
  cosine/sine features otherwise);
- :mod:`~sparseopt.solvers.lmk.objective`: the objective over one or several
  data parts, Cholesky factors and the gradient statistics;
- :mod:`~sparseopt.solvers.lmk.mm`: MM (Wipf-Nagarajan) updates with SQUAREM
  acceleration, pruning and re-activation;
- :mod:`~sparseopt.solvers.lmk.distributed`: the same MM over agents that
  keep their data and send their (quantized) statistics, through the pools
  of :mod:`sparseopt.solvers.admm` (``SLIMKLRegressor(solver="mm")``);
- :mod:`~sparseopt.solvers.lmk.sca`: SCA / DSCA (Suwandi et al.), whose convex
  subproblem is solved by projected Newton in
  :mod:`~sparseopt.solvers.lmk.subproblem`;
- :mod:`~sparseopt.solvers.lmk.reference`: the cvxpy reference of that
  subproblem (tests and benchmarks).
"""

"""Optimal transport solvers on validated arrays.

Used by :mod:`sparseopt.ot`, which validates the marginals and costs:

- :mod:`~sparseopt.solvers.ot.selection`: top-k by introselect and simplex
  thresholds (the kernels' building blocks);
- :mod:`~sparseopt.solvers.ot.duals`: one-pass numba kernels of the
  sparsity-constrained and quadratically regularised duals and semi-duals
  (value, gradient, plan, exact increments along a direction), the smoothed
  top-k dual, and column balancing;
- :mod:`~sparseopt.solvers.ot.block_system`: the Newton systems (Schur
  complement factorisation or preconditioned conjugate gradients);
- :mod:`~sparseopt.solvers.ot.lbfgs`: L-BFGS ascent with the duals'
  stopping rules;
- :mod:`~sparseopt.solvers.ot.newton`: semismooth Newton for quadratically
  regularised OT, on the whole problem or restricted to a support (the
  repair step of the sparsity-constrained solver);
- :mod:`~sparseopt.solvers.ot.sparsity_constrained`: the sparsity-constrained
  driver (QROT, network simplex for k = 1, smoothing continuation, repair);
- :mod:`~sparseopt.solvers.ot.sinkhorn`: log-domain Sinkhorn sweeps, the
  entropic dual value and its exact increments, the plan and its largest
  entries;
- :mod:`~sparseopt.solvers.ot.sinkhorn_newton`: Sinkhorn-Newton-Sparse.
"""

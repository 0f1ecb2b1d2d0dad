"""Sparse Bayesian learning solvers on validated arrays.

Used by :mod:`sparseopt.sbl` (which validates the data) and meant to be
shared with :mod:`sparseopt.gp`, whose multiple-kernel weights are ARD
weights of matrix atoms:

- :mod:`~sparseopt.solvers.sbl.updates`: the EM, MacKay and MM updates of
  prior variances (any atom: column, block or kernel matrix) and of the noise;
- :mod:`~sparseopt.solvers.sbl.posterior`: the diagonal-prior E-step in dual
  (Cholesky of the n x n covariance) or primal form;
- :mod:`~sparseopt.solvers.sbl.classic`: classic and multiple-measurement SBL;
- :mod:`~sparseopt.solvers.sbl.fast`: Tipping & Faul's sequential algorithm;
- :mod:`~sparseopt.solvers.sbl.block`: block SBL with intra-block correlation;
- :mod:`~sparseopt.solvers.sbl.kronecker`: Kronecker-structured SBL (He &
  Joseph): mode-product E-step, AM / SVD / pattern-coupled M-steps.
"""

"""Optimal transport solvers on validated arrays.

Used by :mod:`sparseopt.ot`, which validates the marginals and costs:

- :mod:`~sparseopt.solvers.ot.duals`: one-pass numba kernels of the
  sparsity-constrained and quadratically regularised duals and semi-duals
  (value, gradient, plan), and column balancing;
- :mod:`~sparseopt.solvers.ot.newton`: semismooth Newton for quadratically
  regularised OT, on the whole problem or restricted to a support (the
  repair step of the sparsity-constrained solver);
- :mod:`~sparseopt.solvers.ot.sinkhorn`: log-domain Sinkhorn sweeps and the
  entropic dual value, plan and largest plan entries;
- :mod:`~sparseopt.solvers.ot.sinkhorn_newton`: Sinkhorn-Newton-Sparse.
"""

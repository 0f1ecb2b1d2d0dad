"""Floor 2: generic iterative solvers over plain arrays and small problem objects.

Each solver has a plain function API (no estimator needed) and reports its
progress in a :class:`~sparseopt.core.ConvergenceHistory`.
"""

from sparseopt.solvers.lasso_cd import bcd_lasso, lasso_dual_gap

__all__ = ["bcd_lasso", "lasso_dual_gap"]

"""Core kernels: numba functions on plain arrays shared by every family.

Thresholds and proximal operators, projections, top-k selection, linear
algebra (Kronecker products and
:class:`KroneckerOperator`, power iteration, conjugate gradient, Woodbury
solves, log-determinants), forest solves, GLM loss kernels and the
convergence history. Nothing here depends on scikit-learn.

Public functions validate their input and never modify it; the ``*_kernel``
functions are their jitted counterparts for use inside numba code (no
validation). Nothing is compiled at import: each kernel compiles (or loads
from the on-disk cache) on its first call.
"""

from sparseopt.core.forest import is_forest, solve_forest
from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.kronecker import KroneckerOperator
from sparseopt.core.linalg import (
    conjugate_gradient,
    kron_matvec,
    logdet_spd,
    power_iteration,
    woodbury_solve,
)
from sparseopt.core.projections import (
    project_box,
    project_l1_ball,
    project_simplex,
    project_sparse_simplex,
)
from sparseopt.core.selection import top_k_indices, top_k_mask
from sparseopt.core.thresholds import (
    firm_threshold,
    group_soft_threshold,
    hard_threshold,
    lq_threshold,
    soft_threshold,
)

__all__ = [
    "ConvergenceHistory",
    "KroneckerOperator",
    "conjugate_gradient",
    "firm_threshold",
    "group_soft_threshold",
    "hard_threshold",
    "is_forest",
    "kron_matvec",
    "logdet_spd",
    "lq_threshold",
    "power_iteration",
    "project_box",
    "project_l1_ball",
    "project_simplex",
    "project_sparse_simplex",
    "soft_threshold",
    "solve_forest",
    "top_k_indices",
    "top_k_mask",
    "woodbury_solve",
]

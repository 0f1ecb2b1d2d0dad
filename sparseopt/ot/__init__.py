"""Sparsity-constrained and regularised optimal transport.

POT-compatible functions (argument order ``a, b, M, reg``):
:func:`sparsity_constrained_ot` (Liu, Puigcerver & Blondel, ICLR 2023),
:func:`qrot` (quadratically regularised OT: semismooth Newton or L-BFGS),
:func:`sinkhorn_log` and :func:`sinkhorn_newton_sparse` (Tang et al., ICLR
2024), the value-only :func:`sinkhorn2` and :func:`qrot2`; the estimator
:class:`SparsityConstrainedOT` and the mixture-of-experts router
:func:`route_tokens`.
"""

from sparseopt.ot._entropic import sinkhorn2, sinkhorn_log, sinkhorn_newton_sparse
from sparseopt.ot._estimator import SparsityConstrainedOT, route_tokens
from sparseopt.ot._smooth import qrot, qrot2, sparsity_constrained_ot

__all__ = [
    "SparsityConstrainedOT",
    "qrot",
    "qrot2",
    "route_tokens",
    "sinkhorn2",
    "sinkhorn_log",
    "sinkhorn_newton_sparse",
    "sparsity_constrained_ot",
]

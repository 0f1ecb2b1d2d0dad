"""Sparsity-constrained optimal transport (coming).

Will hold sparsity-constrained OT (Liu, Puigcerver & Blondel), Sinkhorn-Newton-Sparse
(Tang et al.), log-domain Sinkhorn and quadratically regularised OT.
"""

__all__ = []

"""Gaussian-process multiple kernel learning (coming).

Will hold the grid spectral mixture product (GSMP) kernel and SLIM-KL
(quantized ADMM + distributed successive convex approximation) of Suwandi et al.
"""

__all__ = []

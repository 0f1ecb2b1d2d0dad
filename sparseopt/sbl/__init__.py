"""Sparse Bayesian learning (coming).

Will hold the Kronecker sparse Bayesian learning estimators of He & Joseph
(alternating minimisation, SVD and block variants) and classic SBL / ARD
regression, over the Kronecker mat-vec and Woodbury kernels of
:mod:`sparseopt.core`.
"""

__all__ = []

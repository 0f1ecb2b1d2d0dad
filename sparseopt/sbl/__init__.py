"""Sparse Bayesian learning.

Type-II maximum-likelihood estimators with Gaussian scale-mixture priors:

- :class:`SBLRegressor`: classic SBL / ARD regression (Tipping 2001) with
  EM, MacKay, MM or Tipping & Faul's fast sequential updates; a drop-in for
  scikit-learn's ``ARDRegression``;
- :class:`MultiTaskSBL`: M-SBL for several targets sharing a support
  (Wipf & Rao 2007);
- :class:`BlockSBL`: block SBL with intra-block correlation, BSBL-EM and
  BSBL-BO (Zhang & Rao 2013);
- :class:`KroneckerSBL` and :func:`kronecker_sbl`: Kronecker-structured SBL
  (AM-, SVD- and pattern-coupled KroSBL of He & Joseph, IEEE TSP 2024), whose
  E-step works by mode products on the factors.

The update rules and E-steps are plain-array solvers in
:mod:`sparseopt.solvers.sbl`.
"""

from sparseopt.sbl._block import BlockSBL
from sparseopt.sbl._functions import kronecker_sbl
from sparseopt.sbl._kronecker import KroneckerSBL
from sparseopt.sbl._regressor import MultiTaskSBL, SBLRegressor

__all__ = ["BlockSBL", "KroneckerSBL", "MultiTaskSBL", "SBLRegressor", "kronecker_sbl"]

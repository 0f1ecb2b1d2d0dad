"""Sparse linear regression under local differential privacy.

Zhu, Ding, Aggarwal, Xu & Wang, "Improved Analysis of Sparse Linear
Regression in Local Differential Privacy Model" (ICLR 2024): every user
randomises their own record on their device; the server sees only the
randomised reports.

- :class:`LDPSparseRegressor`: the estimator, with the non-interactive
  algorithm (``mode="nldp"``), its public-data variant (``"public"``) and the
  sequentially interactive LDP-IHT (``"iht"``);
- :class:`LocalRandomizer` (a device) and :class:`Aggregator` (the server),
  exchanging :class:`Reports`;
- :mod:`sparseopt.ldp.mechanisms`: the Gaussian (analytic and classic),
  Laplace and l2-ball mechanisms, with :func:`analytic_gaussian_sigma` and
  :func:`classic_gaussian_sigma`;
- :func:`thresholded_least_squares`: the non-private efficient estimator that
  the algorithm yields as a by-product.
"""

from sparseopt.ldp._aggregator import Aggregator
from sparseopt.ldp._estimator import LDPSparseRegressor
from sparseopt.ldp._functions import thresholded_least_squares
from sparseopt.ldp._randomizer import LocalRandomizer, Reports
from sparseopt.ldp.mechanisms import (
    GaussianMechanism,
    L2BallMechanism,
    LaplaceMechanism,
    analytic_gaussian_sigma,
    classic_gaussian_sigma,
)

__all__ = [
    "Aggregator",
    "GaussianMechanism",
    "L2BallMechanism",
    "LDPSparseRegressor",
    "LaplaceMechanism",
    "LocalRandomizer",
    "Reports",
    "analytic_gaussian_sigma",
    "classic_gaussian_sigma",
    "thresholded_least_squares",
]

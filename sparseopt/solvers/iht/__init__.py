"""Iterative hard thresholding for sparse least squares, exact or with noisy gradients.

:func:`iterative_hard_thresholding` is plain IHT on data (Blumensath & Davies):
the non-private reference and the epsilon = inf limit of the private
solver. :func:`sequential_iht` runs the same projected step on gradients
supplied round by round by an oracle, one fresh group of users per round:
the sequentially interactive LDP-IHT of Wang & Xu (ICML 2019) as rectified
by Zhu et al. (ICLR 2024), used by :class:`sparseopt.ldp.LDPSparseRegressor`
with ``mode="iht"``. Both keep the ``n_nonzero`` largest entries, then
project onto a known l2 or l1 ball; :func:`screening_level` is the noise
floor at which the private solver's output is screened.
"""

from sparseopt.solvers.iht._iht import (
    iterative_hard_thresholding,
    screening_level,
    sequential_iht,
)

__all__ = ["iterative_hard_thresholding", "screening_level", "sequential_iht"]

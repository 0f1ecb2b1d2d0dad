"""CoLiDE-EV and CoLiDE-NV (Saboksayr, Mateos & Tepper, ICLR 2024)."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from sparseopt.dag._base import (
    _ATTRIBUTES,
    _COMMON_PARAMETERS,
    _REFERENCES,
    _SCHEDULE_PARAMETERS,
    _CentralPathDAG,
)
from sparseopt.dag._validation import centre_columns, check_covariance, scaled_covariance

__all__ = ["ColideEV", "ColideNV"]


_COLIDE_PARAMETERS = r"""
    sigma_floor : float, default=1e-6
        The floor :math:`\sigma_0` of the paper (the official code has none),
        which keeps the score finite when residuals vanish; relative to the
        smallest column standard deviation of ``X`` (in the units of ``X``
        with ``official=True``).
    official : bool, default=False
        Run the official code's method exactly: ``X`` is not rescaled, the
        diagonal of ``W`` is optimised like any weight, and above-threshold
        diagonal entries are pruned as self-loops, weakest edges first (the
        official ``to_dag``). Reproduces the official outputs and the paper's
        Sachs numbers (SHD 12 for NV, 13 for EV), but the graph then
        depends on the units of ``X`` (a self-loop can empty it).
"""

_COLIDE_NOTES = r"""
    Notes
    -----
    The profiled score (:math:`\sigma` at its closed form) is homogeneous
    of degree one in the scale of ``X`` while the l1 penalty and ``h`` are
    not, so the official code's graph changes with the units: on ER2 data
    (d = 10) SHD 1 becomes 10 with ``X * 0.1`` and 14 with ``X * 100``,
    and ``X * 1e4`` gives an empty graph (a learned self-loop). By default
    ``X`` is therefore divided by its smallest column standard deviation
    (the official code's initial :math:`\sigma`: about the noise scale of a
    source node, so ``lambda1 = 0.05`` keeps the meaning it has in the
    paper's unit-variance experiments) and the diagonal of ``W`` is held at
    zero (a linear SEM has no self-loops): the graph is the same for ``c X``,
    any ``c > 0``. ``noise_scale_`` and the weights are reported in the
    units of ``X``.
"""


class _Colide(_CentralPathDAG):
    """CoLiDE's shared parameters and data preparation."""

    _parameter_constraints: dict = {
        **_CentralPathDAG._parameter_constraints,
        "sigma_floor": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, lambda1=0.05, *, T=4, mu_init=1.0, mu_factor=0.1, s=(1.0, 0.9, 0.8, 0.7),
                 warm_iter=20000, max_iter=70000, lr=3e-4, w_threshold=0.3, checkpoint=1000,
                 tol=1e-6, forbidden_edges=None, required_edges=None, w_init=None, verbose=0,
                 sigma_floor=1e-6, official=False):
        self.lambda1 = lambda1
        self.T = T
        self.mu_init = mu_init
        self.mu_factor = mu_factor
        self.s = s
        self.warm_iter = warm_iter
        self.max_iter = max_iter
        self.lr = lr
        self.w_threshold = w_threshold
        self.checkpoint = checkpoint
        self.tol = tol
        self.forbidden_edges = forbidden_edges
        self.required_edges = required_edges
        self.w_init = w_init
        self.verbose = verbose
        self.sigma_floor = sigma_floor
        self.official = official

    def _free_diagonal(self):
        return self.official

    def _prepare(self, X):
        centred, scales = centre_columns(X)
        d = X.shape[1]
        if self.official:
            unit = 1.0
            advice = "CoLiDE with official=True depends on the units of X: rescale X."
        else:
            unit = scales.min()
            advice = ("The columns' scales are too far apart for float64 even after dividing X "
                      "by the smallest: rescale the columns.")
        data, covariance = scaled_covariance(centred, unit)
        check_covariance(covariance, scales, advice)
        return data, self._score, np.full(d, unit), self.sigma_floor


class ColideEV(_Colide):
    __doc__ = r"""CoLiDE-EV: concomitant linear DAG estimation, equal noise variances.

    Estimates the weighted adjacency :math:`W` of a linear SEM
    :math:`X = XW + E` with i.i.d. noise of unknown scale :math:`\sigma` by
    minimising, along DAGMA's central path,

    .. math:: \mu\left(\frac{1}{2\sigma}\operatorname{tr}\left((I - W)^\top
              C (I - W)\right) + \frac{d\sigma}{2} + \lambda_1\|W\|_1\right)
              + h_s(W), \qquad C = \frac{X_c^\top X_c}{n},

    with :math:`h_s(W) = -\log\det(sI - W\circ W) + d\log s`. The noise scale
    is updated in closed form after every step,
    :math:`\sigma = \max(\sqrt{\operatorname{tr}(\cdot)/d}, \sigma_0)`, so the
    l1 weight :math:`\lambda_1` adapts to the noise level (the score is
    jointly convex in :math:`(W, \sigma)`).

    Parameters
    ----------
    lambda1 : float, default=0.05
        l1 weight.""" + _SCHEDULE_PARAMETERS + _COMMON_PARAMETERS + _COLIDE_PARAMETERS + r"""
    Attributes
    ----------
    noise_scale_ : ndarray of shape (d,)
        Estimated noise standard deviation :math:`\sigma` (the same for every
        node), in the units of ``X``.""" + _ATTRIBUTES + _COLIDE_NOTES + _REFERENCES + """
    Examples
    --------
    >>> from sparseopt.dag import ColideEV, simulate_dag, simulate_sem, simulate_weights
    >>> B = simulate_dag(5, 5, random_state=0)
    >>> X = simulate_sem(simulate_weights(B, random_state=0), 500, random_state=0)
    >>> model = ColideEV(warm_iter=3000, max_iter=6000).fit(X)
    >>> model.adjacency_.shape, round(float(model.noise_scale_[0]), 1)
    ((5, 5), 1.0)
    """

    _score = "colide_ev"


class ColideNV(_Colide):
    __doc__ = r"""CoLiDE-NV: concomitant linear DAG estimation, non-equal noise variances.

    As :class:`ColideEV` with one noise scale per node,
    :math:`\Sigma = \operatorname{diag}(\sigma_1, \dots, \sigma_d)`: the score is

    .. math:: \frac12\sum_j \left(\frac{\left((I - W)^\top C (I - W)\right)_{jj}}
              {\sigma_j} + \sigma_j\right) + \lambda_1\|W\|_1,

    with :math:`\sigma_j = \max(\sqrt{((I - W)^\top C (I - W))_{jj}}, \sigma_0)`
    after every step (heteroscedastic noise).

    Parameters
    ----------
    lambda1 : float, default=0.05
        l1 weight.""" + _SCHEDULE_PARAMETERS + _COMMON_PARAMETERS + _COLIDE_PARAMETERS + """
    Attributes
    ----------
    noise_scale_ : ndarray of shape (d,)
        Estimated noise standard deviation of every node, in the units of
        ``X``.""" + _ATTRIBUTES + _COLIDE_NOTES + _REFERENCES + """
    Examples
    --------
    >>> from sparseopt.dag import ColideNV, simulate_dag, simulate_sem, simulate_weights
    >>> B = simulate_dag(5, 5, random_state=0)
    >>> X = simulate_sem(simulate_weights(B, random_state=0), 500, random_state=0)
    >>> ColideNV(warm_iter=3000, max_iter=6000).fit(X).noise_scale_.shape
    (5,)
    """

    _score = "colide_nv"

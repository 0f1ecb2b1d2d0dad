"""DAGMA for linear SEMs (Bello, Aragam & Ravikumar, NeurIPS 2022)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.dag._base import (
    _ATTRIBUTES,
    _COMMON_PARAMETERS,
    _DAGMA_SCHEDULE,
    _PAPER_SCHEDULE,
    _REFERENCES,
    COLUMN_SCALE_WARNING_RATIO,
    _CentralPathDAG,
)
from sparseopt.dag._validation import centre_columns, check_covariance, scaled_covariance
from sparseopt.dag.metrics import to_dag

__all__ = ["DagmaLinear"]


class DagmaLinear(_CentralPathDAG):
    __doc__ = r"""DAGMA for linear SEMs: least-squares or logistic score, log-det acyclicity.

    Minimises along the central path

    .. math:: \mu\left(Q(W) + \lambda_1\|W\|_1\right) + h_s(W),

    with :math:`Q(W) = \frac12\operatorname{tr}((I - W)^\top C (I - W))`
    (``loss_type="l2"``, centred data) or the logistic score
    :math:`\frac1n\sum \log(1 + e^{XW}) - X\circ XW` for 0/1 data. The
    baseline of :class:`ColideEV`: its l1 weight does not adapt to the noise
    level, and its result depends on the units of ``X``.

    Parameters
    ----------
    lambda1 : float, optional
        l1 weight; ``None`` means 0.05 (0.03 with ``official=True``).
    loss_type : {"l2", "logistic"}, default="l2"
        Score.
    T : int, optional
        Number of central-path stages; ``None`` means 4 (5 with
        ``official=True``).
    mu_init : float, default=1.0
        Weight of the score in the first stage.
    mu_factor : float, default=0.1
        Factor applied to ``mu`` after each stage.
    s : float or sequence of float, optional
        Log-det parameter per stage (the last value is repeated when shorter
        than ``T``); ``None`` means (1.0, 0.9, 0.8, 0.7) ((1.0, 0.9, 0.8,
        0.7, 0.6) with ``official=True``).
    warm_iter : int, optional
        Adam steps of every stage but the last; ``None`` means 20000 (30000
        with ``official=True``).
    max_iter : int, optional
        Adam steps of the last stage; ``None`` means 70000 (60000 with
        ``official=True``).""" + _COMMON_PARAMETERS + r"""
    standardize : bool, default=False
        Centre and scale every column of ``X`` to unit variance before the fit
        (``loss_type="l2"`` only); the threshold then applies to the weights
        of the standardised data, and the weights are reported in the units
        of ``X``. A ``UserWarning`` suggests it when the column standard
        deviations differ by more than ``COLUMN_SCALE_WARNING_RATIO`` (1000).
    official : bool, default=False
        Behave as the ``dagma`` package (``dagma.linear.DagmaLinear``): its
        defaults for the parameters left at ``None``, the diagonal of ``W``
        optimised like any weight, weights below ``w_threshold`` (strictly)
        dropped, required edges rewarded as its ``include_edges`` (l1 weight
        :math:`-\lambda_1`) and thresholded like the others. Reproduces the
        package's outputs (see Notes).

    Attributes
    ----------
    noise_scale_ : ndarray of shape (d,)
        Residual standard deviation of every node at the solution
        (:math:`\sqrt{((I - W)^\top C (I - W))_{jj}}`), in the units of
        ``X``.""" + _ATTRIBUTES + r"""

    Notes
    -----
    Differences from the ``dagma`` package (``dagma.linear.DagmaLinear``, 1.1.1)
    with the default ``official=False``:

    - defaults: ``lambda1=0.05, T=4, s=(1, .9, .8, .7), warm_iter=2e4,
      max_iter=7e4`` (the CoLiDE paper's DAGMA baseline) against the
      package's ``0.03, 5, [1, .9, .8, .7, .6], 3e4, 6e4``;
    - the diagonal of ``W`` is held at zero (the package learns it: on raw
      Sachs data a 0.913 self-loop, and ``X * 1e4`` gives an empty graph);
    - thresholding drops ``|w| <= w_threshold`` (the package: ``<``), then
      prunes the weakest edges on cycles until the graph is a DAG (the
      package can return a cyclic graph);
    - required edges are unpenalised and never pruned (the package's
      ``include_edges`` get an l1 reward, :math:`-\lambda_1|w|`, and are not
      guaranteed);
    - forbidden edges stay at zero through backtracking (the package's
      ``exclude_edges`` briefly re-enter while a step is undone; it also
      accepts only a tuple of tuples and silently ignores a list);
    - ``X`` is not modified (the package centres it in place) and the ``s``
      list passed in is not mutated.

    With ``official=True`` the package's outputs are reproduced (the
    differences above vanish except the last two and the pruning of a cyclic
    thresholded graph, which the package returns as is): the raw weights agree
    to 1e-3 and the thresholded graphs are identical on the test fixtures
    (``tests/dag/fixtures/README.md``).
""" + _REFERENCES + """
    Examples
    --------
    >>> from sparseopt.dag import DagmaLinear, is_dag
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((200, 4))
    >>> is_dag(DagmaLinear(warm_iter=2000, max_iter=4000).fit(X).adjacency_)
    True
    """

    _parameter_constraints: dict = {
        **_CentralPathDAG._parameter_constraints,
        "lambda1": [Interval(Real, 0, None, closed="left"), None],
        "T": [Interval(Integral, 1, None, closed="left"), None],
        "s": ["array-like", Interval(Real, 0, None, closed="neither"), None],
        "warm_iter": [Interval(Real, 1, None, closed="left"), None],
        "max_iter": [Interval(Real, 1, None, closed="left"), None],
        "loss_type": [StrOptions({"l2", "logistic"})],
        "standardize": ["boolean"],
    }

    def __init__(self, lambda1=None, *, loss_type="l2", T=None, mu_init=1.0, mu_factor=0.1,
                 s=None, warm_iter=None, max_iter=None, lr=3e-4, w_threshold=0.3,
                 checkpoint=1000, tol=1e-6, forbidden_edges=None, required_edges=None,
                 w_init=None, verbose=0, standardize=False, official=False):
        self.lambda1 = lambda1
        self.loss_type = loss_type
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
        self.standardize = standardize
        self.official = official

    def _schedule_defaults(self):
        return _DAGMA_SCHEDULE if self.official else _PAPER_SCHEDULE

    def _free_diagonal(self):
        return self.official

    def _required_l1_weight(self):
        return -1.0 if self.official else 0.0

    def _scale_dependent(self):
        return self.loss_type == "l2" and not self.standardize

    def _post_process(self, W, required):
        if not self.official:
            return super()._post_process(W, required)
        W = np.where(np.abs(W) < self.w_threshold, 0.0, W)  # the package's strict threshold
        dag, n_pruned = to_dag(W, 0.0, prune="cycles")
        return dag, int(np.count_nonzero(W)), n_pruned

    def _prepare(self, X):
        d = X.shape[1]
        if self.loss_type == "logistic":
            if not np.all((X == 0) | (X == 1)):
                raise ValueError("loss_type='logistic' needs X with 0/1 entries.")
            if self.standardize:
                raise ValueError("standardize=True applies to loss_type='l2' (logistic DAGMA "
                                 "scores 0/1 data).")
            centre_columns(X)
            return X, "logistic", np.ones(d), 0.0
        centred, scales = centre_columns(X)
        units = scales if self.standardize else np.ones(d)
        ratio = scales.max() / scales.min()
        if not self.standardize and ratio > COLUMN_SCALE_WARNING_RATIO:
            warnings.warn(
                f"DagmaLinear: the column standard deviations of X differ by a factor "
                f"{ratio:.3g} (from {scales.min():.3g} to {scales.max():.3g}, more than "
                f"{COLUMN_SCALE_WARNING_RATIO:g}). DAGMA's l1 penalty and threshold act on "
                "weights whose size depends on the units of each column: pass "
                "standardize=True, or use ColideNV, whose noise scales are estimated per "
                "node.", UserWarning, stacklevel=4)
        data, covariance = scaled_covariance(centred, units)
        check_covariance(covariance, scales,
                         "DagmaLinear's score depends on the units of X: rescale X (e.g. "
                         "standardize=True), or use ColideEV / ColideNV, which are "
                         "scale-free.")
        return data, "l2", units, 0.0

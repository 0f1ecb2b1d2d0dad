"""Cross-validated group Lasso."""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from sparseopt.bcd._cv import (
    ATTRIBUTES,
    GRID_PARAMETERS,
    NOTES,
    RUN_PARAMETERS,
    _RegressionCV,
    check_alphas,
)
from sparseopt.bcd._group import _group_weights
from sparseopt.bcd._path import UNPENALISED_FIT_MARGIN, geometric_grid, off_unpenalised
from sparseopt.solvers.glm.designs import LeastSquaresDesign, normalise_sample_weight
from sparseopt.solvers.glm.group_lasso import check_groups, solve_group_lasso

__all__ = ["GroupLassoCV"]

_SOLVE_PARAMETERS = """    max_iter : int, default=1000
        Maximum number of epochs of each solve.
    tol : float, default=1e-4
        Relative tolerance of each solve (duality gap at most ``tol * P(0)``).
"""


def _group_solver(X, y, sample_weight, l1_ratio, settings, monitor, seed):
    """``solve(alpha, start)`` for the (sparse-)group Lasso along a path."""
    y = np.asarray(y, dtype=np.float64)

    def solve(alpha, start):
        coef, intercept, info = solve_group_lasso(
            X, y, alpha, l1_ratio, settings["groups"], settings["group_weights"],
            fit_intercept=settings["fit_intercept"], tol=settings["tol"],
            max_iter=settings["max_iter"], coef_init=None if start is None else start[0],
            sample_weight=sample_weight, screening=settings["screening"], printer=monitor,
            warn=False)
        return (coef, intercept), {"n_iter": info["n_iter"], "dual_gap": info["dual_gap"],
                                   "converged": info["converged"]}

    return solve


def group_alpha_grid(X, y, groups, group_weights, *, fit_intercept, sample_weight, n_alphas,
                     eps):
    r"""Grid from :math:`\alpha_{max} = \max_{g: \omega_g > 0} \|X_{c,g}^\top r\|_2 /
    (n\,\omega_g)` (the smallest alpha whose group-Lasso solution has no
    penalised non-zero; weighted and centred data, :math:`r` the residual of
    :math:`y_c` after the least-squares fit of the unpenalised groups) down to
    ``eps * alpha_max``, log-spaced."""
    design = LeastSquaresDesign(X, fit_intercept, normalise_sample_weight(sample_weight,
                                                                          X.shape[0]))
    target, _ = design.target(y)
    correlation = design.centred_rmatvec(target, 0.0)
    group_weights = np.asarray(group_weights, dtype=np.float64)
    penalised = group_weights > 0
    if not penalised.all():  # off the least-squares fit of the unpenalised groups
        unpenalised = np.zeros(X.shape[1], dtype=bool)
        unpenalised[np.concatenate([groups[g] for g in np.flatnonzero(~penalised)])] = True
        correlation = off_unpenalised(design, correlation, unpenalised, False)
    norms = np.array([np.linalg.norm(correlation[group]) for group in groups])
    top = float(np.max(norms[penalised] / group_weights[penalised]))
    if not penalised.all():
        top *= 1.0 + UNPENALISED_FIT_MARGIN
    return geometric_grid(top / X.shape[0], n_alphas, eps)


class GroupLassoCV(_RegressionCV):
    __doc__ = r"""Group Lasso with ``alpha`` chosen by cross-validation on warm-started paths.

    For each fold, solves along the grid of ``alpha``

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\sum_g\omega_g\|w_g\|_2

    with the working-set group BCD solver of :class:`GroupLasso`, each solve
    warm-started at the previous one, and picks the alpha of least mean
    test squared error; the final model is the solution on all the data
    there.

    Parameters
    ----------
    groups : int or list of lists of int, default=1
        The partition of the features: a group size (contiguous groups) or
        the feature indices of each group.""" + GRID_PARAMETERS + _SOLVE_PARAMETERS \
        + RUN_PARAMETERS + """    screening : bool, default=True
        Gap Safe group screening in every solve.
    weights : array-like of shape (n_groups,), default=None
        Non-negative group weights :math:`\\omega_g` (0: an unpenalised
        group; at least one positive); ``None`` means :math:`\\sqrt{|g|}`.

    Attributes
    ----------
    groups_ : list of ndarray
        The partition used.
""" + ATTRIBUTES + NOTES + """
    See Also
    --------
    GroupLasso : Fixed alpha.
    LassoCV : Single features.

    References
    ----------
    .. [1] M. Yuan, Y. Lin. "Model selection and estimation in regression with
       grouped variables", JRSS B 68(1), 2006.
    .. [2] J. Friedman, T. Hastie, R. Tibshirani. "Regularization paths for
       generalized linear models via coordinate descent", Journal of
       Statistical Software 33(1), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import GroupLassoCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 12))
    >>> y = X[:, :3] @ np.array([1.0, -2.0, 1.5]) + 0.5 * rng.standard_normal(100)
    >>> model = GroupLassoCV(groups=3, alphas=20).fit(X, y)
    >>> [bool(np.any(model.coef_[g])) for g in model.groups_][0]
    True
    """

    _parameter_constraints: dict = {
        **_RegressionCV._parameter_constraints,
        "groups": [Interval(Integral, 1, None, closed="left"), list],
        "weights": ["array-like", None],
        "screening": ["boolean"],
    }
    _make_solver = staticmethod(_group_solver)

    def __init__(self, groups=1, *, eps=1e-3, alphas=100, fit_intercept=True, max_iter=1000,
                 tol=1e-4, cv=None, verbose=0, n_jobs=None, screening=True, weights=None):
        self.groups = groups
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.screening = screening
        self.weights = weights

    def _l1_ratios(self):
        return np.array([0.0])  # the group Lasso: no l1 part

    def _store_l1_ratio(self, l1_ratio):
        """The group Lasso has no ``l1_ratio_``."""

    def _settings(self, X):
        self.groups_ = check_groups(self.groups, X.shape[1])
        return {"groups": self.groups_, "group_weights": _group_weights(self.weights,
                                                                         self.groups_),
                "fit_intercept": self.fit_intercept, "screening": self.screening,
                "tol": self.tol, "max_iter": self.max_iter}

    def _grid(self, X, y, sample_weight, l1_ratio, settings):
        if not isinstance(self.alphas, Integral):
            return check_alphas(self.alphas)
        return group_alpha_grid(X, y, settings["groups"], settings["group_weights"],
                                fit_intercept=self.fit_intercept, sample_weight=sample_weight,
                                n_alphas=self.alphas, eps=self.eps)

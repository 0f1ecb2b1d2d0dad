"""Group and sparse-group Lasso estimators (least squares and logistic)."""

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_sample_weight

from sparseopt.bcd._predict import LinearClassifierMixin, LinearRegressorMixin
from sparseopt.solvers.glm.group_lasso import check_groups, solve_group_lasso
from sparseopt.utils.validation import check_classification_targets, validate_data

__all__ = ["GroupLasso", "SparseGroupLasso", "GroupLogisticRegression"]

_COMMON = """
    weights : array-like of shape (n_groups,), default=None
        Non-negative group weights :math:`\\omega_g`; ``None`` means
        :math:`\\sqrt{|g|}` (Yuan & Lin), which makes groups of different
        sizes comparable (pass ones to reproduce skglm's default). A zero
        weight leaves the group out of the group penalty (unpenalised when
        there is no l1 term, as skglm's zero weights): least squares keeps
        the duality gap a certificate (the dual point is projected off the
        unpenalised columns), the logistic loss certifies such groups by
        their gradient. At least one weight must be positive.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    screening : bool, default=True
        Gap Safe screening of groups proven to be zero (least squares).
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * P(0)`` (``P(0)`` the
        objective at zero); for the logistic loss the intercept's gradient
        must also be at most ``tol`` times the largest initial gradient.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the working set of groups).
    warm_start : bool, default=False
        Start from the previous solution when refitting.
    verbose : int, default=0
        Print progress through :class:`~sparseopt.utils.IterationPrinter`.

    Attributes
    ----------
    n_iter_ : int
        Epochs run.
    dual_gap_ : float
        Duality gap at the solution, in objective units (with ``alpha=0``:
        scikit-learn's first-order measure :math:`\\|X_c^\\top r\\|^2 / n` for
        least squares, NaN for the logistic loss, whose fit then stops when
        the largest gradient is at most ``tol`` times its value at zero).
    kkt_violation_ : float
        Largest group optimality violation.
    history_ : ConvergenceHistory
        Objective and relative criterion at each check (iterations in epochs).
    groups_ : list of ndarray
        The partition used (``groups`` expanded).
    n_features_in_ : int
        Number of features seen during fit.

"""

_NOTES = """
    Notes
    -----
    Block coordinate descent with the groups as blocks (Nutini, Laradji &
    Schmidt, 2022): each block update is the exact proximal-gradient step
    with the block Lipschitz constant (the soft threshold, then the group
    soft threshold), in working sets of groups with Gap Safe screening
    (:mod:`sparseopt.solvers.glm.group_lasso`).

    References
    ----------
    .. [1] M. Yuan, Y. Lin. "Model selection and estimation in regression with
       grouped variables", JRSS B 68(1), 2006.
    .. [2] N. Simon, J. Friedman, T. Hastie, R. Tibshirani. "A sparse-group
       lasso", JCGS 22(2), 2013.
    .. [3] E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon. "GAP safe screening
       rules for sparse-group lasso", NeurIPS 2016.
"""

_CONSTRAINTS = {
    "groups": [Interval(Integral, 1, None, closed="left"), list],
    "alpha": [Interval(Real, 0, np.inf, closed="left")],
    "weights": ["array-like", None],
    "fit_intercept": ["boolean"],
    "screening": ["boolean"],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
}


def _group_weights(weights, groups):
    if weights is None:
        return np.sqrt([len(group) for group in groups])
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(groups),):
        raise ValueError(f"weights must have shape ({len(groups)},) (one per group), got "
                         f"{weights.shape}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError("weights (group weights) must be finite and non-negative, at least "
                         "one positive (0 leaves a group unpenalised).")
    return weights


def _sample_weight(sample_weight, X):
    if sample_weight is None or np.isscalar(sample_weight):
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


class _GroupRegressor(LinearRegressorMixin, BaseEstimator, metaclass=ABCMeta):
    _parameter_constraints: dict = dict(_CONSTRAINTS)

    @abstractmethod
    def _l1_ratio(self):
        """The share of the l1 term in the penalty (0 for the group Lasso)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (not modified).
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (rescaled to sum to ``n_samples``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], y_numeric=True)
        self.groups_ = check_groups(self.groups, X.shape[1])
        start = self.coef_ if self.warm_start and getattr(self, "coef_", None) is not None \
            and self.coef_.shape == (X.shape[1],) else None
        coef, intercept, info = solve_group_lasso(
            X, np.asarray(y, dtype=np.float64), self.alpha, self._l1_ratio(), self.groups_,
            _group_weights(self.weights, self.groups_), fit_intercept=self.fit_intercept,
            tol=self.tol, max_iter=self.max_iter, coef_init=start,
            sample_weight=_sample_weight(sample_weight, X), screening=self.screening,
            verbose=self.verbose)
        self.coef_, self.intercept_ = coef.astype(X.dtype, copy=False), intercept
        self.n_iter_ = info["n_iter"]
        self.dual_gap_ = info["dual_gap"]
        self.kkt_violation_ = info["kkt_violation"]
        self.history_ = info["history"]
        return self

class GroupLasso(_GroupRegressor):
    __doc__ = r"""Group Lasso: whole groups of features enter or leave together.

    Minimises

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\sum_g \omega_g\|w_g\|_2 .

    Parameters
    ----------
    groups : int or list of lists of int, default=1
        The partition of the features: a group size (contiguous groups) or
        the lists of feature indices of each group (every feature exactly
        once).
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.""" + _COMMON + """
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept.
""" + _NOTES + """
    See Also
    --------
    SparseGroupLasso : Sparsity inside the groups too.
    GroupLogisticRegression : The logistic loss.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import GroupLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 12))
    >>> y = X[:, :3] @ np.array([1.0, -2.0, 1.5]) + 0.1 * rng.standard_normal(100)
    >>> model = GroupLasso(groups=3, alpha=0.1).fit(X, y)
    >>> [bool(np.any(model.coef_[g])) for g in model.groups_]
    [True, False, False, False]
    """

    def __init__(self, groups=1, alpha=1.0, *, weights=None, fit_intercept=True, screening=True,
                 tol=1e-4, max_iter=1000, warm_start=False, verbose=0):
        self.groups = groups
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.screening = screening
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def _l1_ratio(self):
        return 0.0


class SparseGroupLasso(_GroupRegressor):
    __doc__ = r"""Sparse-group Lasso: sparse groups, sparse inside the groups.

    Minimises

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\rho\|w\|_1
              + \alpha(1 - \rho)\sum_g \omega_g\|w_g\|_2 .

    Parameters
    ----------
    groups : int or list of lists of int, default=1
        The partition of the features (see :class:`GroupLasso`).
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.
    l1_ratio : float, default=0.5
        Mixing :math:`\rho \in [0, 1]` (1 is the Lasso, 0 the group Lasso).""" + _COMMON + """
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept.
""" + _NOTES + """
    See Also
    --------
    GroupLasso : ``l1_ratio=0``.
    GroupLogisticRegression : The logistic loss (its ``l1_ratio`` gives the
        sparse-group logistic regression).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import SparseGroupLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 12))
    >>> y = X[:, [0, 2]] @ np.array([1.0, -2.0]) + 0.1 * rng.standard_normal(100)
    >>> model = SparseGroupLasso(groups=3, alpha=0.1, l1_ratio=0.5).fit(X, y)
    >>> np.flatnonzero(model.coef_).tolist()
    [0, 2]
    """

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, groups=1, alpha=1.0, *, l1_ratio=0.5, weights=None, fit_intercept=True,
                 screening=True, tol=1e-4, max_iter=1000, warm_start=False, verbose=0):
        self.groups = groups
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.screening = screening
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def _l1_ratio(self):
        return self.l1_ratio


class GroupLogisticRegression(LinearClassifierMixin, BaseEstimator):
    _binary_only = True
    __doc__ = r"""Binary logistic regression with a (sparse-)group Lasso penalty.

    Minimises

    .. math:: \frac1n\sum_i\log\left(1 + e^{-y_i(x_i^\top w + b)}\right)
              + \alpha\rho\|w\|_1 + \alpha(1 - \rho)\sum_g\omega_g\|w_g\|_2 ,

    with the two classes mapped to :math:`y_i \in \{-1, 1\}`.

    Parameters
    ----------
    groups : int or list of lists of int, default=1
        The partition of the features (see :class:`GroupLasso`).
    alpha : float, default=0.01
        Regularisation strength :math:`\alpha \ge 0`.
    l1_ratio : float, default=0.0
        Mixing :math:`\rho \in [0, 1]`: 0 is the group Lasso, in between the
        sparse-group Lasso.""" + _COMMON + """
    classes_ : ndarray of shape (2,)
        Class labels.
    coef_ : ndarray of shape (1, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,)
        Intercept.
""" + _NOTES + """
    See Also
    --------
    SparseLogisticRegression : Without groups.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sparseopt.bcd import GroupLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = GroupLogisticRegression(groups=3, alpha=0.02).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, groups=1, alpha=0.01, *, l1_ratio=0.0, weights=None, fit_intercept=True,
                 screening=True, tol=1e-4, max_iter=1000, warm_start=False, verbose=0):
        self.groups = groups
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.screening = screening
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (not modified).
        y : array-like of shape (n_samples,)
            Two-class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (the loss becomes their weighted mean).

        Returns
        -------
        self : GroupLogisticRegression
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"], dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) != 2:
            raise ValueError(f"Only binary classification is supported. y has "
                             f"{len(self.classes_)} classes; GroupLogisticRegression needs "
                             "exactly two.")
        target = np.where(encoder.transform(y) == 1, 1.0, -1.0)
        self.groups_ = check_groups(self.groups, X.shape[1])
        warm = self.warm_start and getattr(self, "coef_", None) is not None and \
            self.coef_.shape == (1, X.shape[1])
        coef, intercept, info = solve_group_lasso(
            X, target, self.alpha, self.l1_ratio, self.groups_,
            _group_weights(self.weights, self.groups_), loss="logistic",
            fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
            coef_init=self.coef_.ravel() if warm else None,
            intercept_init=float(self.intercept_[0]) if warm else 0.0,
            sample_weight=_sample_weight(sample_weight, X), verbose=self.verbose)
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.n_iter_ = info["n_iter"]
        self.dual_gap_ = info["dual_gap"]
        self.kkt_violation_ = info["kkt_violation"]
        self.history_ = info["history"]
        return self


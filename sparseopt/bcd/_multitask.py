"""Multi-task Lasso and elastic net: l2,1-penalised least squares with a shared support."""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_sample_weight

from sparseopt.bcd._predict import LinearRegressorMixin
from sparseopt.solvers.glm.designs import normalise_sample_weight
from sparseopt.solvers.glm.elastic_net import check_penalty_weights
from sparseopt.solvers.glm.multitask import solve_multitask
from sparseopt.utils.validation import validate_data

__all__ = ["MultiTaskLasso", "MultiTaskElasticNet"]

_PARAMETERS = """
    fit_intercept : bool, default=True
        Fit one unpenalised intercept per task (sparse ``X`` is centred
        implicitly, never densified).
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors :math:`\\omega_j \\ge 0` (0 leaves a
        feature unpenalised); ``None`` means all ones.
    screening : bool, default=True
        Gap Safe screening of rows proven to be zero.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * P(0)`` (``P(0)`` the
        objective at zero, with the best intercepts) and the largest row
        change of the last epoch is at most ``tol * max_j ||W_j||``.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the working set of features).
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    verbose : int, default=0
        Print progress through :class:`~sparseopt.utils.IterationPrinter`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
        Coefficients :math:`W^\\top` (scikit-learn's layout).
    intercept_ : ndarray of shape (n_tasks,) or float
        Intercepts (0.0 when ``fit_intercept=False``, as scikit-learn's).
    n_iter_ : int
        Epochs run; 0 when a warm start is already optimal.
    dual_gap_ : float
        Duality gap at the solution, in objective units.
    kkt_violation_ : float
        Largest violation of the optimality conditions.
    history_ : ConvergenceHistory
        Objective and duality gap at each check (iterations in epochs).
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    Block coordinate descent with one block per feature (its ``n_tasks``
    coefficients), updated exactly by the group soft threshold, in working
    sets with Gap Safe screening (:mod:`sparseopt.solvers.glm.multitask`).
    Each column of ``Y`` gets the same support; fit a
    :class:`~sparseopt.bcd.Lasso` on a 2-D ``y`` for independent supports.

    References
    ----------
    .. [1] G. Obozinski, B. Taskar, M. Jordan. "Joint covariate selection and
       joint subspace selection for multiple classification problems",
       Statistics and Computing 20(2), 2010.
    .. [2] E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon. "GAP safe screening
       rules for sparse multi-task and multi-class models", NeurIPS 2015.
"""


class _MultiTask(LinearRegressorMixin, BaseEstimator, metaclass=ABCMeta):
    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, np.inf, closed="left")],
        "fit_intercept": ["boolean"],
        "weights": ["array-like", None],
        "screening": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    @abstractmethod
    def _penalty_strengths(self):
        """``(l1, l2)`` of the penalty, from the estimator's parameters."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (not modified; at most one copy is made).
        y : array-like of shape (n_samples, n_tasks)
            Targets, one column per task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (rescaled to sum to ``n_samples``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], multi_output=True, y_numeric=True)
        if sp.issparse(y):
            raise ValueError("y must be a dense array (n_samples,) or (n_samples, n_targets), "
                             "got a sparse matrix.")
        if y.ndim == 1:
            single = "ElasticNet" if hasattr(self, "l1_ratio") else "Lasso"
            raise ValueError(f"y must be 2-D (n_samples, n_tasks) for {type(self).__name__}; "
                             f"for a single task use {single}.")
        n_features = X.shape[1]
        weights = check_penalty_weights(self.weights, n_features)
        if sample_weight is not None and not np.isscalar(sample_weight):
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
            sample_weight = normalise_sample_weight(sample_weight, X.shape[0])
        else:
            sample_weight = None
        if self.alpha == 0:
            warnings.warn("With alpha=0, this algorithm does not converge well. You are "
                          "advised to use the LinearRegression estimator.", UserWarning,
                          stacklevel=2)
        l1, l2 = self._penalty_strengths()
        start = None
        if self.warm_start and getattr(self, "coef_", None) is not None and \
                self.coef_.shape == (y.shape[1], n_features):
            start = self.coef_.T
        coef, intercept, info = solve_multitask(
            X, np.asarray(y, dtype=np.float64), l1, l2, fit_intercept=self.fit_intercept,
            tol=self.tol, max_iter=self.max_iter, coef_init=start, sample_weight=sample_weight,
            weights=weights, screening=self.screening, verbose=self.verbose)
        self.coef_ = np.ascontiguousarray(coef.T).astype(X.dtype)
        self.intercept_ = intercept.astype(X.dtype) if self.fit_intercept else 0.0
        self.n_iter_ = info["n_iter"]
        self.dual_gap_ = info["dual_gap"]
        self.kkt_violation_ = info["kkt_violation"]
        self.history_ = info["history"]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskLasso(_MultiTask):
    __doc__ = r"""Multi-task Lasso: one support shared by every task (l2,1 penalty).

    Minimises, with the scaling of :class:`sklearn.linear_model.MultiTaskLasso`,

    .. math:: \frac{1}{2n}\|Y - XW - 1 b^\top\|_F^2 + \alpha\sum_j \omega_j\|W_j\|_2 ,

    :math:`W_j` being the coefficients of feature :math:`j` over the tasks.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.""" + _PARAMETERS + """
    See Also
    --------
    sklearn.linear_model.MultiTaskLasso : The anchor.
    sparseopt.bcd.Lasso : Independent supports per task.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import MultiTaskLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> Y = X[:, :2] @ rng.standard_normal((2, 3)) + 0.01 * rng.standard_normal((50, 3))
    >>> model = MultiTaskLasso(alpha=0.1).fit(X, Y)
    >>> np.flatnonzero(np.any(model.coef_ != 0, axis=0))
    array([0, 1])
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, weights=None, screening=True,
                 tol=1e-4, max_iter=1000, warm_start=False, verbose=0):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.weights = weights
        self.screening = screening
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def _penalty_strengths(self):
        return self.alpha, 0.0


class MultiTaskElasticNet(_MultiTask):
    __doc__ = r"""Multi-task elastic net: a shared support (l2,1) plus a ridge term.

    Minimises, with the scaling of :class:`sklearn.linear_model.MultiTaskElasticNet`,

    .. math:: \frac{1}{2n}\|Y - XW - 1 b^\top\|_F^2 + \alpha\sum_j\omega_j\left(
              \rho\|W_j\|_2 + \frac{1 - \rho}{2}\|W_j\|_2^2\right).

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.
    l1_ratio : float, default=0.5
        Mixing :math:`\rho \in [0, 1]`.""" + _PARAMETERS + """
    See Also
    --------
    sklearn.linear_model.MultiTaskElasticNet : The anchor.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import MultiTaskElasticNet
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> Y = X[:, :2] @ rng.standard_normal((2, 3))
    >>> MultiTaskElasticNet(alpha=0.1).fit(X, Y).coef_.shape
    (3, 10)
    """

    _parameter_constraints: dict = {
        **_MultiTask._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, weights=None,
                 screening=True, tol=1e-4, max_iter=1000, warm_start=False, verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.weights = weights
        self.screening = screening
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def _penalty_strengths(self):
        return self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio)

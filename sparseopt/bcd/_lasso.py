"""The Lasso estimator of the block coordinate descent family."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sparseopt.solvers.lasso_cd import SELECTION_RULES, solve_lasso

__all__ = ["Lasso"]


class Lasso(RegressorMixin, BaseEstimator):
    r"""Lasso by coordinate descent with greedy or cyclic rules and working sets.

    Minimises

    .. math:: \frac{1}{2 n} \|y - X w - b\|_2^2 + \alpha \|w\|_1

    (the scaling of :class:`sklearn.linear_model.Lasso`) by coordinate
    descent restricted to working sets grown from the KKT violations. Inside a
    working set the coordinate is chosen cyclically (with Anderson
    extrapolation), uniformly at random, or greedily by the Gauss-Southwell
    (GS) or Gauss-Southwell-Lipschitz (GSL) rule of Nutini et al.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.
    fit_intercept : bool, default=True
        Fit the unpenalised intercept :math:`b` (sparse ``X`` is centred
        implicitly, never densified).
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate-selection rule. ``"gs"`` picks the coordinate with the
        largest violation of the optimality conditions (GS-s); ``"gsl"`` the
        one whose exact minimisation decreases the objective most, which
        weighs the gradient by the coordinate Lipschitz constant
        :math:`L_j = \|x_j\|^2 / n` (GS-q). Greedy rules maintain the
        gradient through the working set's Gram matrix.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * P(0)``, where
        :math:`P(0) = \|y - \bar y\|^2 / (2n)` is the objective at zero. The
        dual point is the rescaled residual
        :math:`\theta = r / \max(n\alpha, \|X^\top r\|_\infty)`.
    max_iter : int, default=100
        Maximum number of outer (working-set) iterations; a
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised if reached.
    max_epochs : int, default=50000
        Maximum number of passes over the working set per inner solve.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    random_state : int, RandomState instance or None, default=None
        Seeds the ``"random"`` rule.
    verbose : int, default=0
        Print the objective, duality gap and KKT violation at each outer
        iteration if positive.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients :math:`w`.
    intercept_ : float
        Intercept :math:`b` (0.0 when ``fit_intercept=False``).
    n_iter_ : int
        Number of outer iterations (duality-gap checks).
    n_epochs_ : float
        Number of inner epochs (for greedy rules: updates / working-set size).
    dual_gap_ : float
        Duality gap at the solution, in objective units (not divided by
        :math:`P(0)`).
    kkt_violation_ : float
        Largest distance of :math:`X_c^\top r / n` to :math:`\alpha\,\partial\|w\|_1`.
    history_ : ConvergenceHistory
        Objective and duality gap at each outer iteration, with timings.
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    sparseopt.solvers.bcd_lasso : Function form of this estimator.
    sklearn.linear_model.Lasso : The anchor, with cyclic/random rules.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
    .. [2] J. Nutini, M. Schmidt, I. Laradji, M. Friedlander, H. Koepke.
       "Coordinate descent converges faster with the Gauss-Southwell rule
       than random selection", ICML 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import Lasso
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    >>> model = Lasso(alpha=0.1).fit(X, [0.0, 1.0, 2.0])
    >>> np.round(model.coef_, 4)
    array([0.85, 0.  ])
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "selection": [StrOptions(set(SELECTION_RULES))],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, selection="cyclic", tol=1e-4,
                 max_iter=100, max_epochs=50_000, warm_start=False, random_state=None,
                 verbose=0):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.selection = selection
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept, other dtypes become float64.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : Lasso
            The fitted estimator.
        """
        X, y = validate_data(
            self, X, y, accept_sparse="csc", dtype=[np.float64, np.float32],
            order="F", y_numeric=True,
        )
        y = np.asarray(y, dtype=X.dtype)
        coef_init = None
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if self.coef_.shape == (X.shape[1],):
                coef_init = self.coef_
        coef, intercept, info = solve_lasso(
            X, y, self.alpha, fit_intercept=self.fit_intercept,
            selection=self.selection, tol=self.tol, max_iter=self.max_iter,
            max_epochs=self.max_epochs, coef_init=coef_init,
            random_state=self.random_state, verbose=self.verbose,
        )
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_iter_ = info["n_iter"]
        self.n_epochs_ = info["n_epochs"]
        self.dual_gap_ = info["dual_gap"]
        self.kkt_violation_ = info["kkt_violation"]
        self.history_ = info["history"]
        return self

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            :math:`X w + b`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, dtype=[np.float64, np.float32],
                          reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

r"""Classic sparse Bayesian learning: :class:`SBLRegressor` and :class:`MultiTaskSBL`."""

from numbers import Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.sbl._base import COMMON_CONSTRAINTS, SBLBase
from sparseopt.solvers.sbl.classic import solve_sbl
from sparseopt.solvers.sbl.fast import fast_sbl

__all__ = ["SBLRegressor", "MultiTaskSBL"]

_ITERATIVE_MAX_ITER = 300  # sklearn's ARDRegression default
_FAST_MAX_ITER = 10_000  # steps; fastrvm's (Tipping's SparseBayes) default


def _full_covariance(posterior, active_count):
    return posterior.covariance() if active_count else np.zeros((0, 0))


class SBLRegressor(SBLBase):
    r"""Sparse Bayesian learning (relevance vector / ARD regression).

    Type-II maximum likelihood for :math:`y = Xw + b + \varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, \sigma^2 I)`, with an independent
    Gaussian prior :math:`w_i \sim \mathcal N(0, \gamma_i)` per coefficient
    (Tipping 2001):

    .. math:: \max_{\gamma \ge 0,\ \sigma^2}\ \log p(y \mid \gamma, \sigma^2) =
              -\tfrac12\big[\log\det C + y^\top C^{-1} y + n\log 2\pi\big],
              \qquad C = \sigma^2 I + X\Gamma X^\top.

    Most :math:`\gamma_i` go to zero: those features are pruned and their
    coefficients are exactly 0. The coefficients are the posterior mean
    :math:`w = \sigma^{-2}\Sigma X^\top y`. Complex ``X`` and ``y`` are
    supported (circular complex Gaussians, conjugate transposes).

    A drop-in for :class:`sklearn.linear_model.ARDRegression`: same model,
    ``predict(X, return_std=True)``, ``alpha_``, ``lambda_`` and ``sigma_``
    with sklearn's meanings (see the user guide for the documented
    differences: flat hyperpriors, relative pruning and stopping rule).

    Parameters
    ----------
    update : {"mackay", "em", "mm", "fast"}, default="mackay"
        How :math:`\gamma` is updated: MacKay's fixed point (ARDRegression's;
        fastest iterations), EM (monotone: the evidence never decreases),
        MM (Wipf & Nagarajan), or Tipping & Faul's sequential
        add/delete/re-estimate algorithm (``"fast"``: starts from one
        feature, cheap when the model is very sparse).
    noise : "learn" or float, default="learn"
        Learn the noise variance :math:`\sigma^2` (same rule as ``update``,
        started at 0.1 var(y)) or fix it to this positive value.
    noise_floor : float, default=1e-6
        A learned :math:`\sigma^2` never goes below ``noise_floor * var(y)``
        (when ``n_samples < n_features`` the learned noise tends to collapse;
        raise the floor if many tiny spurious coefficients appear).
    prune_rel : float, default=1e-4
        Prune feature :math:`i` when :math:`\gamma_i <` ``prune_rel``
        :math:`\max_j \gamma_j` (scale-free; iterative updates only, the
        fast algorithm deletes features itself).
    tol : float, default=1e-4
        Iterative updates stop when the coefficients moved by at most
        ``tol`` relative to their largest magnitude,
        :math:`\|w_t - w_{t-1}\|_\infty \le \mathrm{tol}\,\|w_t\|_\infty`;
        the fast algorithm stops when no feature can be added or deleted and
        no re-estimation changes :math:`\log\gamma_i` by ``tol`` or more.
    max_iter : int, default=None
        Maximum number of iterations (300) or, for ``update="fast"``, of
        add/delete/re-estimate steps (10000).
    init_scale : float, default=1.0
        Iterative updates start from :math:`\gamma_i =` ``init_scale``
        :math:`\cdot n\,\mathrm{var}(y) / \|x_i\|^2` (at 1, each feature
        alone explains the data). A small start makes EM prune early, which
        pays with far fewer samples than features (the IRS example uses 1e-6).
    fit_intercept : bool, default=True
        Fit the intercept by centring ``X`` and ``y``.
    complex_data : bool, default=False
        Accept complex ``X`` and ``y`` (circular complex Gaussian noise and
        prior, conjugate transposes); off by default, as in scikit-learn.
    verbose : int, default=0
        Print the log-evidence and criterion while fitting.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean of the coefficients (0 for pruned features).
    intercept_ : float
        Intercept :math:`b`.
    gamma_ : ndarray of shape (n_features,)
        Prior variances :math:`\gamma` (0 for pruned features).
    lambda_ : ndarray of shape (n_features,)
        Prior precisions :math:`1/\gamma` (``inf`` for pruned features), as
        ARDRegression's.
    noise_variance_ : float
        :math:`\sigma^2`.
    alpha_ : float
        Noise precision :math:`1/\sigma^2`, as ARDRegression's.
    active_ : ndarray of int
        Indices of the kept features, increasing.
    sigma_ : ndarray of shape (n_active, n_active)
        Posterior covariance of ``coef_[active_]``.
    log_marginal_likelihood_ : float
        :math:`\log p(y \mid \gamma, \sigma^2)` at the returned values.
    n_iter_ : int
        Iterations (or steps) done.
    history_ : ConvergenceHistory
        Log-evidence and stopping criterion per iteration.
    X_offset_, y_offset_ : ndarray
        Means removed before fitting (zeros without intercept).
    n_features_in_ : int
        Number of features seen during fit.

    References
    ----------
    M. E. Tipping, "Sparse Bayesian learning and the relevance vector
    machine", JMLR 2001. M. E. Tipping and A. C. Faul, "Fast marginal
    likelihood maximisation for sparse Bayesian models", AISTATS 2003.
    D. Wipf and S. Nagarajan, "Iterative reweighted l1 and l2 methods for
    finding sparse solutions", IEEE JSTSP 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.sbl import SBLRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 100))
    >>> w = np.zeros(100); w[[3, 30, 70]] = [2.0, -1.5, 1.0]
    >>> y = X @ w + 0.01 * rng.standard_normal(50)
    >>> model = SBLRegressor().fit(X, y)
    >>> np.flatnonzero(np.abs(model.coef_) > 0.1).tolist()
    [3, 30, 70]
    """

    _parameter_constraints: dict = {
        "update": [StrOptions({"mackay", "em", "mm", "fast"})],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        **COMMON_CONSTRAINTS,
    }

    def __init__(self, update="mackay", *, noise="learn", noise_floor=1e-6, prune_rel=1e-4,
                 tol=1e-4, max_iter=None, init_scale=1.0, fit_intercept=True,
                 complex_data=False, verbose=0):
        self.update = update
        self.init_scale = init_scale
        self.noise = noise
        self.noise_floor = noise_floor
        self.prune_rel = prune_rel
        self.tol = tol
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.complex_data = complex_data
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, real or complex.
        y : array-like of shape (n_samples,)
            Target values, real or complex.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, Y, _ = self._validate_fit_data(X, y)
        X, Y = self._centre(X, Y)
        noise, learn, floor = self._noise_settings(Y)
        if self.update == "fast":
            max_iter = _FAST_MAX_ITER if self.max_iter is None else self.max_iter
            mean, gamma, noise, info = fast_sbl(
                X, Y[:, 0], noise=noise, learn_noise=learn, noise_floor=floor, tol=self.tol,
                max_iter=max_iter, verbose=self.verbose)
            order = np.argsort(info["active"])
            active = info["active"][order]
            sigma = info["Sigma"][np.ix_(order, order)]
            mean = mean[:, None]
        else:
            max_iter = _ITERATIVE_MAX_ITER if self.max_iter is None else self.max_iter
            mean, gamma, noise, info = solve_sbl(
                X, Y, rule=self.update, noise=noise, learn_noise=learn, noise_floor=floor,
                prune_rel=self.prune_rel, tol=self.tol, max_iter=max_iter,
                init_scale=self.init_scale, verbose=self.verbose)
            active = info["active"]
            sigma = _full_covariance(info["posterior"], len(active))
        self.gamma_ = gamma
        with np.errstate(divide="ignore"):
            self.lambda_ = 1.0 / gamma
        self.active_ = active
        self.sigma_ = sigma
        self._store(mean, True, info, noise)
        return self


class MultiTaskSBL(SBLBase):
    r"""Multiple-measurement sparse Bayesian learning (M-SBL, Wipf & Rao 2007).

    :math:`Y = XW + \mathbf 1 b^\top + E` with :math:`L` target columns that
    share one row support: each row :math:`w_{i\cdot}` of the coefficient
    matrix has the prior :math:`\mathcal N(0, \gamma_i I_L)`, and

    .. math:: \max_{\gamma \ge 0,\ \sigma^2}\ \sum_{l=1}^L \log p(y_l \mid
              \gamma, \sigma^2), \qquad y_l \sim \mathcal N(0, \sigma^2 I +
              X\Gamma X^\top).

    Pooling the columns makes the support far easier to find than fitting
    each column alone. With one column it is :class:`SBLRegressor`.

    Parameters
    ----------
    update : {"em", "mackay", "mm"}, default="em"
        Update of :math:`\gamma` (M-SBL's EM: :math:`\gamma_i \leftarrow
        \|\mu_{i\cdot}\|^2/L + \Sigma_{ii}`).
    noise : "learn" or float, default="learn"
        Learn :math:`\sigma^2` or fix it.
    noise_floor : float, default=1e-6
        Lower bound on the learned noise, relative to the targets' variance.
    prune_rel : float, default=1e-4
        Relative pruning threshold on :math:`\gamma`.
    tol : float, default=1e-4
        Stop when the coefficients moved by at most ``tol`` relative to
        their largest magnitude.
    max_iter : int, default=None
        Maximum number of iterations (300).
    fit_intercept : bool, default=True
        Fit one intercept per target.
    complex_data : bool, default=False
        Accept complex ``X`` and ``y`` (circular complex Gaussian noise and
        prior, conjugate transposes); off by default, as in scikit-learn.
    verbose : int, default=0
        Print progress.

    Attributes
    ----------
    coef_ : ndarray of shape (n_targets, n_features)
        Posterior mean (shape ``(n_features,)`` if ``y`` was 1-D).
    intercept_ : ndarray of shape (n_targets,)
        Intercepts (a float if ``y`` was 1-D).
    gamma_ : ndarray of shape (n_features,)
        Row variances (0 for pruned rows).
    noise_variance_, alpha_ : float
        :math:`\sigma^2` and :math:`1/\sigma^2`.
    active_ : ndarray of int
        Kept rows.
    sigma_ : ndarray of shape (n_active, n_active)
        Posterior covariance of each column's active coefficients (shared).
    log_marginal_likelihood_ : float
        Summed over the targets.
    n_iter_, history_, X_offset_, y_offset_, n_features_in_
        As in :class:`SBLRegressor`.

    References
    ----------
    D. P. Wipf and B. D. Rao, "An empirical Bayesian strategy for solving the
    simultaneous sparse approximation problem", IEEE TSP 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.sbl import MultiTaskSBL
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 80))
    >>> W = np.zeros((80, 4)); W[[5, 40]] = rng.standard_normal((2, 4))
    >>> Y = X @ W + 0.01 * rng.standard_normal((30, 4))
    >>> np.flatnonzero(MultiTaskSBL().fit(X, Y).gamma_ > 1e-3).tolist()
    [5, 40]
    """

    _multi_output = True
    _parameter_constraints: dict = {
        "update": [StrOptions({"mackay", "em", "mm"})],
        **COMMON_CONSTRAINTS,
    }

    def __init__(self, update="em", *, noise="learn", noise_floor=1e-6, prune_rel=1e-4,
                 tol=1e-4, max_iter=None, fit_intercept=True, complex_data=False, verbose=0):
        self.update = update
        self.noise = noise
        self.noise_floor = noise_floor
        self.prune_rel = prune_rel
        self.tol = tol
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.complex_data = complex_data
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, real or complex.
        y : array-like of shape (n_samples, n_targets) or (n_samples,)
            Targets sharing one support.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, Y, one_column = self._validate_fit_data(X, y)
        X, Y = self._centre(X, Y)
        noise, learn, floor = self._noise_settings(Y)
        max_iter = _ITERATIVE_MAX_ITER if self.max_iter is None else self.max_iter
        mean, gamma, noise, info = solve_sbl(
            X, Y, rule=self.update, noise=noise, learn_noise=learn, noise_floor=floor,
            prune_rel=self.prune_rel, tol=self.tol, max_iter=max_iter, verbose=self.verbose)
        self.gamma_ = gamma
        self.active_ = info["active"]
        self.sigma_ = _full_covariance(info["posterior"], len(self.active_))
        self._store(mean, one_column, info, noise)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

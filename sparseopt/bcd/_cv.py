"""Cross-validated least-squares estimators: LassoCV, ElasticNetCV (and the
shared machinery of GroupLassoCV)."""

from abc import ABCMeta, abstractmethod
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from sparseopt.bcd._cv_runner import (
    PathControl,
    best_grid_point,
    check_fold_weights,
    convergence_summary,
    fold_rows,
    path_epochs,
    run_tasks,
    split_folds,
    warm_path,
)
from sparseopt.bcd._path import alpha_grid
from sparseopt.bcd._predict import LinearRegressorMixin
from sparseopt.solvers.glm.elastic_net import SELECTION_RULES, check_penalty_weights, solve_enet
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import check_array, validate_data

__all__ = ["LassoCV", "ElasticNetCV", "check_alphas", "task_seeds", "sample_weight_or_none"]


def check_alphas(alphas):
    """A user's grid: 1-D, finite, non-negative; returned sorted decreasingly."""
    grid = check_array(alphas, ensure_2d=False, dtype=np.float64, input_name="alphas")
    if grid.ndim != 1 or grid.size == 0 or np.any(grid < 0):
        raise ValueError("alphas must be an int (the grid size) or a non-empty 1-D array of "
                         f"non-negative values; got shape {grid.shape}"
                         + (f" with minimum {grid.min()}." if grid.size else "."))
    return np.sort(grid)[::-1]


def task_seeds(random_state, n_tasks):
    """One seed per task, drawn in the caller's thread (the same seeds whatever
    the backend runs the tasks, hence the same results)."""
    from sklearn.utils import check_random_state

    return check_random_state(random_state).randint(0, 2**31 - 1, size=n_tasks).tolist()


def sample_weight_or_none(sample_weight, X):
    """Validated non-negative sample weights, or None for none / a constant."""
    if sample_weight is None or np.isscalar(sample_weight):
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                         ensure_non_negative=True)
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero).")
    return None if np.all(sample_weight == sample_weight[0]) else sample_weight


def _rows(array, rows):
    return None if array is None else array[rows]


def _squared_errors(X_test, y_test, sample_weight_test, coefs, intercepts):
    """Test mean squared error of each solution (columns of ``coefs``), weighted
    by the test samples' weights as scikit-learn does."""
    predictions = np.asarray(X_test @ coefs) + intercepts
    squared = (predictions - np.asarray(y_test, dtype=np.float64)[:, None]) ** 2
    return np.average(squared, axis=0, weights=sample_weight_test)


def regression_fold(make_solver, X, y, sample_weight, train, test, alphas, l1_ratio, settings,
                    control, label, seed):
    """One fold's warm-started path on its training rows; returns the test
    errors along the grid and how many solves did not converge."""
    solve = make_solver(fold_rows(X, train), y[train], _rows(sample_weight, train), l1_ratio,
                        settings, control.monitor(label, settings["verbose"]), seed)
    solutions, infos = warm_path(solve, alphas, control, honour_stop=False)
    coefs = np.column_stack([coef for coef, _ in solutions])
    intercepts = np.array([intercept for _, intercept in solutions])
    errors = _squared_errors(X[test], y[test], _rows(sample_weight, test), coefs,
                             intercepts)
    return {"errors": errors, "n_failed": sum(not info["converged"] for info in infos)}


def full_path(make_solver, X, y, sample_weight, alphas, l1_ratio, settings, control, label,
              seed):
    """The path on all the data down to the chosen alpha (the final model)."""
    solve = make_solver(X, y, sample_weight, l1_ratio, settings,
                        control.monitor(label, settings["verbose"]), seed)
    solutions, infos = warm_path(solve, alphas, control)
    return {"solutions": solutions, "infos": infos}


def _enet_solver(X, y, sample_weight, l1_ratio, settings, monitor, seed):
    """``solve(alpha, start)`` for the elastic net on these data, sharing one
    prepared design and its Gram blocks along the path."""
    cache = {}
    rng = np.random.RandomState(seed)

    def solve(alpha, start):
        coef, intercept, info = solve_enet(
            X, y, alpha * l1_ratio, alpha * (1.0 - l1_ratio),
            fit_intercept=settings["fit_intercept"], positive=settings["positive"],
            selection=settings["selection"], precompute=settings["precompute"],
            screening=settings["screening"], tol=settings["tol"],
            max_iter=settings["max_iter"], coef_init=None if start is None else start[0],
            sample_weight=sample_weight, weights=settings["weights"], random_state=rng,
            cache=cache, printer=monitor, warn=False)
        return (coef, intercept), _summary(info)

    return solve


def _summary(info):
    return {"n_iter": info["n_iter"], "dual_gap": info["dual_gap"],
            "converged": info["converged"]}


def check_l1_ratios(l1_ratio):
    """``l1_ratio`` (a float or a list of floats in [0, 1]) as a 1-D array."""
    ratios = check_array(np.atleast_1d(l1_ratio), ensure_2d=False, dtype=np.float64,
                         input_name="l1_ratio")
    if ratios.ndim != 1 or ratios.size == 0 or np.any((ratios < 0) | (ratios > 1)):
        raise ValueError("l1_ratio must be a float in [0, 1] or a non-empty list of such "
                         f"floats, got {l1_ratio!r}.")
    return ratios


class _RegressionCV(LinearRegressorMixin, BaseEstimator, metaclass=ABCMeta):
    """Fit logic shared by the cross-validated least-squares estimators:
    grids, fold paths, choice of alpha (least mean test MSE), final path."""

    _parameter_constraints: dict = {
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def _l1_ratios(self):
        return np.array([1.0])

    @abstractmethod
    def _settings(self, X):
        """The solver's options, validated against the data (subclasses)."""

    @abstractmethod
    def _grid(self, X, y, sample_weight, l1_ratio, settings):
        """The regularisation grid of one ``l1_ratio``."""

    _make_solver = staticmethod(_enet_solver)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model: one warm-started path per fold, then the path on all
        the data down to the alpha of least mean test error.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float32 is kept). Not modified.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights: each training fold's fit uses its
            weights (rescaled to sum to its size) and each test error is the
            weighted mean squared error; the cross-validated error is the
            unweighted mean over the folds (scikit-learn's convention).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], y_numeric=True)
        y = np.asarray(y, dtype=X.dtype)
        if sp.issparse(X):
            X = sp.csc_matrix(X)
        sample_weight = sample_weight_or_none(sample_weight, X)
        settings = {**self._settings(X), "verbose": self.verbose}
        l1_ratios = self._l1_ratios()
        grids = [self._grid(X, y, sample_weight, ratio, settings) for ratio in l1_ratios]
        folds = split_folds(self.cv, X, y, classifier=False)
        check_fold_weights(folds, sample_weight)
        name = type(self).__name__
        seeds = task_seeds(getattr(self, "random_state", None),
                           len(l1_ratios) * len(folds) + 1)
        control = PathControl()
        tasks = [partial(regression_fold, self._make_solver, X, y, sample_weight, train, test,
                         grid, ratio, settings, control, f"{name} fold {k + 1}",
                         seeds[r * len(folds) + k])
                 for r, (ratio, grid) in enumerate(zip(l1_ratios, grids, strict=True))
                 for k, (train, test) in enumerate(folds)]

        def final_task(ratio_index):
            return partial(full_path, self._make_solver, X, y, sample_weight,
                           grids[ratio_index], l1_ratios[ratio_index], settings, control,
                           f"{name} all data", seeds[-1])

        best = []

        def choose(results):
            errors = np.array([result["errors"] for result in results]).reshape(
                len(l1_ratios), len(folds), -1)
            best.extend(best_grid_point(-errors.mean(axis=1), grids))
            best.append(errors)
            return best[1]

        printer = IterationPrinter(name, self.verbose)
        results, final = run_tasks(tasks, final_task(0) if len(l1_ratios) == 1 else None,
                                   control, n_jobs=self.n_jobs, printer=printer,
                                   on_done=choose)
        ratio_index, alpha_index, errors = best
        if final is None:  # several l1_ratios: the path of the chosen one, after the folds
            final = final_task(ratio_index)()
        self.mse_path_ = np.squeeze(np.moveaxis(errors, 2, 1))
        self.alpha_ = float(grids[ratio_index][alpha_index])
        self._store_l1_ratio(float(l1_ratios[ratio_index]))
        self.alphas_ = np.asarray(grids) if isinstance(self.alphas, Integral) else grids[0]
        if self.alphas_.ndim == 2 and len(l1_ratios) == 1:
            self.alphas_ = self.alphas_[0]
        (coef, self.intercept_), info = (final["solutions"][alpha_index],
                                         final["infos"][alpha_index])
        self.coef_ = np.asarray(coef).astype(X.dtype, copy=False)  # float32 is kept
        self.dual_gap_ = info["dual_gap"]
        self.n_iter_ = path_epochs(final["infos"][:alpha_index + 1])
        printer(len(tasks) + 1, objective=float(errors[ratio_index, :, alpha_index].mean()),
                force=True, alpha=self.alpha_, l1_ratio=float(l1_ratios[ratio_index]))
        convergence_summary(name, sum(result["n_failed"] for result in results),
                            sum(len(result["errors"]) for result in results),
                            info["converged"], self.max_iter)
        return self

    def _store_l1_ratio(self, l1_ratio):
        self.l1_ratio_ = l1_ratio

class _ElasticNetPathCV(_RegressionCV):
    _parameter_constraints: dict = {
        **_RegressionCV._parameter_constraints,
        "positive": ["boolean"],
        "selection": [StrOptions(set(SELECTION_RULES))],
        "precompute": [StrOptions({"auto"}), "boolean"],
        "copy_X": ["boolean"],
        "screening": ["boolean"],
        "weights": ["array-like", None],
        "random_state": ["random_state"],
    }

    def _settings(self, X):
        return {"fit_intercept": self.fit_intercept, "positive": self.positive,
                "selection": self.selection, "precompute": self.precompute,
                "screening": self.screening, "tol": self.tol, "max_iter": self.max_iter,
                "weights": check_penalty_weights(self.weights, X.shape[1])}

    def _grid(self, X, y, sample_weight, l1_ratio, settings):
        if not isinstance(self.alphas, Integral):
            return check_alphas(self.alphas)
        if l1_ratio == 0:
            raise ValueError("Automatic alpha grid generation is not supported for "
                             "l1_ratio=0 (alpha_max is infinite): give the grid with "
                             "alphas=[...] or use l1_ratio > 0.")
        return alpha_grid(X, y, l1_ratio=l1_ratio, fit_intercept=self.fit_intercept,
                          positive=self.positive, sample_weight=sample_weight,
                          weights=settings["weights"], n_alphas=self.alphas, eps=self.eps)


GRID_PARAMETERS = """
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid, in ``(0, 1)``.
    alphas : int or array-like, default=100
        The number of automatic grid values, log-spaced from
        :math:`\\alpha_{max}` (the smallest alpha with no non-zero penalised coefficient, on
        all the data) down to ``eps * alpha_max``; or the grid itself
        (non-negative, sorted decreasingly), as in scikit-learn 1.9.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (sparse ``X`` is centred implicitly).
"""

_ENET_SOLVE_PARAMETERS = """    precompute : "auto" or bool, default="auto"
        As in :class:`~sparseopt.bcd.Lasso`, per fold (a Gram matrix cannot
        serve every fold, so none is accepted).
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified,
        whatever the value (scikit-learn's ``copy_X=False`` allows it to
        overwrite ``X``).
    max_iter : int, default=1000
        Maximum number of epochs of each solve.
    tol : float, default=1e-4
        Relative tolerance of each solve: duality gap at most ``tol * P(0)``
        and a last-epoch change at most ``tol * max|w|`` (see
        :class:`~sparseopt.bcd.Lasso`).
"""

RUN_PARAMETERS = """    cv : int, cross-validation generator or iterable, default=None
        The folds, as in scikit-learn: ``None`` is 5-fold ``KFold`` (no
        shuffling), an int that many folds, or a splitter or a list of
        ``(train, test)`` index arrays.
    verbose : int, default=0
        0: silent; 1: a :class:`~sparseopt.utils.ProgressBar` of the paths
        (on stderr) and :class:`~sparseopt.utils.IterationPrinter` lines as
        paths finish (at most one a second, and the last, with the choice);
        2: also every solver's lines, prefixed by the fold.
    n_jobs : int, default=None
        Paths run at the same time, through joblib (threads by default: the
        solvers release the GIL); ``None`` means 1 unless in a
        ``joblib.parallel_config`` context, -1 all processors. Any joblib
        backend works, e.g. ``parallel_config(backend="dask")`` on a Dask
        cluster; the results do not depend on the backend.
"""

_ENET_PARAMETERS = """    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seeds ``selection="random"`` (one seed per path, drawn before the
        paths run).
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate rule of the working-set solver.
    screening : bool, default=True
        Gap Safe screening in every solve; along a path, each solve starts
        from the previous solution, so its first check screens with the
        previous dual point (sequential Gap Safe screening).
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors :math:`\\omega_j \\ge 0` (0: unpenalised).
"""

ATTRIBUTES = """    alpha_ : float
        The alpha of least mean test error (ties: the largest).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratios, n_alphas)
        The grid(s) used, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratios, n_alphas, n_folds)
        Test mean squared error of each fold along the grid (as
        scikit-learn, singleton dimensions dropped).
    coef_ : ndarray of shape (n_features,)
        Coefficients of the final model at ``alpha_``.
    intercept_ : float
        Its intercept.
    dual_gap_ : float
        Duality gap of the final model's solve (objective units).
    n_iter_ : int
        Epochs of the solves of the path on all the data down to ``alpha_``
        (which produced the final model; at least 1).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit (string column names only).
"""

NOTES = """
    Notes
    -----
    Each fold's path is one sequence of warm-started solves (with Gap Safe
    screening, working sets and, for the elastic net, Gram blocks shared
    along the path); a fold task returns only its test errors. The final
    model is the path on all the data at ``alpha_`` (as in glmnet's
    ``cv.glmnet``): computed after the folds down to ``alpha_`` only, or,
    when a worker would otherwise idle during the last folds, alongside
    them, stopping at ``alpha_`` once known. Both give the same solution.
    Solutions that are not unique (duplicated columns, ``p > n``) may differ
    from scikit-learn's with equal objectives. Non-converged solves are
    counted and reported in one :class:`~sklearn.exceptions.ConvergenceWarning`.
"""

_REFERENCES = """
    References
    ----------
    .. [1] J. Friedman, T. Hastie, R. Tibshirani. "Regularization paths for
       generalized linear models via coordinate descent", Journal of
       Statistical Software 33(1), 2010.
    .. [2] E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon. "Gap safe screening
       rules for sparsity enforcing penalties", JMLR 18(128), 2017.
    .. [3] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster", JMLR 23(131), 2022.
"""


class LassoCV(_ElasticNetPathCV):
    __doc__ = r"""Lasso with the penalty chosen by cross-validation on warm-started paths.

    For each fold, solves along the grid of ``alpha``

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\sum_j\omega_j|w_j| ,

    each solve warm-started at the previous one, and picks the ``alpha`` of
    least test mean squared error averaged over the folds; the final model
    is the solution on all the data at that ``alpha``. Parameter and
    attribute names are those of :class:`sklearn.linear_model.LassoCV`.

    Parameters
    ----------""" + GRID_PARAMETERS + _ENET_SOLVE_PARAMETERS + RUN_PARAMETERS \
        + _ENET_PARAMETERS + """
    Attributes
    ----------
""" + ATTRIBUTES + """
    See Also
    --------
    ElasticNetCV : Several ``l1_ratio`` values.
    sparseopt.bcd.lasso_path : One path.
    sklearn.linear_model.LassoCV : The anchor.
""" + NOTES + _REFERENCES + """
    Examples
    --------
    >>> from sparseopt.bcd import LassoCV
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(100, 300, 5, random_state=0)
    >>> model = LassoCV(alphas=30).fit(X, y)
    >>> model.mse_path_.shape, bool(model.alpha_ in model.alphas_)
    ((30, 5), True)
    """

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, precompute="auto",
                 copy_X=True, max_iter=1000, tol=1e-4, cv=None, verbose=0, n_jobs=None,
                 positive=False, random_state=None, selection="cyclic", screening=True,
                 weights=None):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.screening = screening
        self.weights = weights

    def _store_l1_ratio(self, l1_ratio):
        """scikit-learn's LassoCV has no ``l1_ratio_``."""


class ElasticNetCV(_ElasticNetPathCV):
    __doc__ = r"""Elastic net with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    For each fold and each :math:`\rho` of ``l1_ratio``, solves along the
    grid of ``alpha``

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\sum_j\omega_j
              \left(\rho|w_j| + \frac{1-\rho}{2}w_j^2\right),

    each solve warm-started at the previous one, and picks the pair of
    least test mean squared error averaged over the folds. Parameter and
    attribute names are those of :class:`sklearn.linear_model.ElasticNetCV`.

    Parameters
    ----------
    l1_ratio : float or array-like of float, default=0.5
        :math:`\rho \in [0, 1]`, or several to cross-validate (one grid of
        ``alpha`` each: ``alpha_max`` scales as :math:`1/\rho`; 0 needs an
        explicit ``alphas``).""" + GRID_PARAMETERS + _ENET_SOLVE_PARAMETERS \
        + RUN_PARAMETERS + _ENET_PARAMETERS + """
    Attributes
    ----------
    l1_ratio_ : float
        The chosen l1_ratio (near-ties of the mean error: the larger alpha,
        then the first ratio).
""" + ATTRIBUTES + """
    See Also
    --------
    LassoCV : ``l1_ratio=1``.
    sklearn.linear_model.ElasticNetCV : The anchor.
""" + NOTES + _REFERENCES + """
    Examples
    --------
    >>> from sparseopt.bcd import ElasticNetCV
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(100, 300, 5, random_state=0)
    >>> model = ElasticNetCV(l1_ratio=[0.5, 0.9, 1.0], alphas=20).fit(X, y)
    >>> model.mse_path_.shape, model.alphas_.shape
    ((3, 20, 5), (3, 20))
    """

    _parameter_constraints: dict = {
        **_ElasticNetPathCV._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", copy_X=True, max_iter=1000, tol=1e-4, cv=None, verbose=0,
                 n_jobs=None, positive=False, random_state=None, selection="cyclic",
                 screening=True, weights=None):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.screening = screening
        self.weights = weights

    def _l1_ratios(self):
        return check_l1_ratios(self.l1_ratio)

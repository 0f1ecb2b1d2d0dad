"""Cross-validated sparse logistic regression (binary and multinomial)."""

from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.bcd._cv import check_alphas, check_l1_ratios, sample_weight_or_none
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
from sparseopt.bcd._path import geometric_grid
from sparseopt.bcd._predict import LinearClassifierMixin
from sparseopt.solvers.glm.elastic_net import check_penalty_weights
from sparseopt.solvers.glm.logistic import solve_logistic
from sparseopt.solvers.glm.multinomial import solve_multinomial
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import check_classification_targets, validate_data

__all__ = ["SparseLogisticRegressionCV", "logistic_alpha_grid"]


# Relative margin on alpha_max after the unpenalised fit (at tol 1e-10, it
# left penalised coefficients of 1e-11 at the exact boundary).
_UNPENALISED_FIT_MARGIN = 1e-8


def logistic_alpha_grid(X, labels, n_classes, *, l1_ratio, fit_intercept, sample_weight,
                        weights, n_alphas, eps):
    r"""Log-spaced grid from :math:`\alpha_{max}` down to ``eps * alpha_max``.

    :math:`\alpha_{max} = \max_{j,k: \omega_j > 0} |G_{jk}| / (\rho\,\omega_j)`
    with :math:`G = X^\top C (\Pi - Y)` the gradient of the mean (weighted)
    log-loss at zero penalised coefficients and the best intercepts and
    unpenalised coefficients (:math:`\Pi` the fitted probabilities: the class
    frequencies with an intercept alone, :math:`1/2` or :math:`1/K` without
    one; :math:`C` the normalised sample weights): the smallest alpha whose
    solution has no penalised non-zero (with unpenalised features, raised by
    a relative 1e-8 against the precision of their fit). Binary problems have
    one column (``Y`` the indicator of the second class).
    """
    n_samples = X.shape[0]
    scale = (np.full(n_samples, 1.0 / n_samples) if sample_weight is None
             else sample_weight / sample_weight.sum())
    onehot = np.eye(n_classes)[labels]
    if n_classes == 2:
        onehot = onehot[:, 1:]
    factors = np.ones(X.shape[1]) if weights is None else weights
    penalised = factors > 0
    if penalised.all():
        probabilities = scale @ onehot if fit_intercept else np.full(
            onehot.shape[1], 0.5 if n_classes == 2 else 1.0 / n_classes)
    else:
        probabilities = _unpenalised_probabilities(X[:, ~penalised], labels, n_classes,
                                                   fit_intercept, sample_weight)
    gradient = np.asarray(X.T @ (scale[:, None] * (probabilities - onehot)))
    top = float(np.max(np.abs(gradient[penalised]).max(axis=1) / factors[penalised],
                       initial=0.0))
    if not penalised.all():  # the unpenalised fit is solved to tol 1e-10
        top *= 1.0 + _UNPENALISED_FIT_MARGIN
    return geometric_grid(top / l1_ratio, n_alphas, eps)


def _unpenalised_probabilities(X, labels, n_classes, fit_intercept, sample_weight):
    """Fitted probabilities ``(n, K')`` of the unpenalised model on ``X``'s
    columns (and the intercept): the start of the path."""
    options = {"fit_intercept": fit_intercept, "tol": 1e-10, "max_iter": 10_000,
               "sample_weight": sample_weight, "warn": False}
    if n_classes == 2:
        coef, intercept, _ = solve_logistic(X, np.where(labels == 1, 1.0, -1.0), 0.0, 0.0,
                                            **options)
        return expit(np.asarray(X @ coef).ravel() + intercept)[:, None]
    full, _ = solve_multinomial(X, labels, n_classes, 0.0, 0.0, **options)
    scores = np.asarray(X @ full[:X.shape[1]])
    if fit_intercept:
        scores = scores + full[X.shape[1]]
    return softmax(scores, axis=1)


def _logistic_solver(X, labels, sample_weight, l1_ratio, settings, monitor):
    """``solve(alpha, start) -> ((coef (p, K'), intercept (K',)), info)`` along a
    path (``K' = 1`` for two classes: the binary solver)."""
    n_classes = settings["n_classes"]
    fit_intercept = settings["fit_intercept"]
    n_features = X.shape[1]
    options = {"fit_intercept": fit_intercept, "tol": settings["tol"],
               "max_iter": settings["max_iter"], "sample_weight": sample_weight,
               "weights": settings["weights"], "printer": monitor, "warn": False}
    target = np.where(labels == 1, 1.0, -1.0)

    def solve(alpha, start):
        l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
        if n_classes == 2:
            coef, intercept, info = solve_logistic(
                X, target, l1, l2, coef_init=None if start is None else start[0][:, 0],
                intercept_init=0.0 if start is None else float(start[1][0]), **options)
            solution = (coef[:, None], np.array([intercept]))
        else:
            init = None
            if start is not None:
                init = np.vstack([start[0], start[1][None, :]]) if fit_intercept else start[0]
            full, info = solve_multinomial(X, labels, n_classes, l1, l2, coef_init=init,
                                           **options)
            intercept = np.zeros(n_classes)
            if fit_intercept:  # centred, as MultinomialLogisticRegression's
                intercept = full[n_features] - full[n_features].mean()
            solution = (full[:n_features].copy(), intercept)
        return solution, {"n_iter": info["n_iter"], "dual_gap": info["dual_gap"],
                          "converged": info["converged"]}

    return solve


def _test_scores(X_test, labels_test, sample_weight_test, solutions, scoring):
    """Mean (weighted) negative log-loss or accuracy of each solution on the test rows."""
    scores = np.empty(len(solutions))
    for k, (coef, intercept) in enumerate(solutions):
        z = np.asarray(X_test @ coef) + intercept
        if z.shape[1] == 1:  # binary: z is the log-odds of the second class
            margin = np.where(labels_test == 1, 1.0, -1.0) * z[:, 0]
            loss = np.logaddexp(0.0, -margin)
            correct = margin > 0
        else:
            loss = -log_softmax(z, axis=1)[np.arange(len(labels_test)), labels_test]
            correct = np.argmax(z, axis=1) == labels_test
        values = -loss if scoring == "neg_log_loss" else correct.astype(np.float64)
        scores[k] = np.average(values, weights=sample_weight_test)
    return scores


def _classification_fold(X, labels, sample_weight, train, test, alphas, l1_ratio, settings,
                         control, label, scoring):
    """One fold's warm-started path; its test scores along the grid."""
    weights_train = None if sample_weight is None else sample_weight[train]
    solve = _logistic_solver(fold_rows(X, train), labels[train], weights_train, l1_ratio,
                             settings, control.monitor(label, settings["verbose"]))
    solutions, infos = warm_path(solve, alphas, control, honour_stop=False)
    scores = _test_scores(X[test], labels[test],
                          None if sample_weight is None else sample_weight[test], solutions,
                          scoring)
    return {"errors": -scores, "n_failed": sum(not info["converged"] for info in infos)}


def _classification_full_path(X, labels, sample_weight, alphas, l1_ratio, settings, control,
                              label):
    solve = _logistic_solver(X, labels, sample_weight, l1_ratio, settings,
                             control.monitor(label, settings["verbose"]))
    solutions, infos = warm_path(solve, alphas, control)
    return {"solutions": solutions, "infos": infos}


class SparseLogisticRegressionCV(LinearClassifierMixin, BaseEstimator):
    r"""Sparse logistic regression with the penalty chosen by cross-validation.

    For each fold and each :math:`\rho` of ``l1_ratio``, solves along the
    grid of ``alpha``

    .. math:: \frac{1}{\sum_i s_i}\sum_i s_i\,\ell(y_i, x_i^\top W + b)
              + \alpha\sum_j\omega_j\left(\rho\|W_j\|_1
              + \frac{1-\rho}{2}\|W_j\|_2^2\right),

    with :math:`\ell` the binary log-loss (two classes: the working-set
    proximal Newton solver of :class:`SparseLogisticRegression`) or the
    multinomial one (more classes: the solver of
    :class:`MultinomialLogisticRegression`), each solve warm-started at the
    previous one, and picks the pair of best mean test score (ties: the
    larger alpha); the final model is the solution on all the data there.
    scikit-learn's ``C`` is :math:`1 / (n_{train}\,\alpha)`.

    Parameters
    ----------
    l1_ratio : float or array-like of float, default=1.0
        :math:`\rho \in [0, 1]`, or several to cross-validate (one grid
        each; 0 needs an explicit ``alphas``).
    eps : float, default=1e-2
        ``alpha_min / alpha_max`` of the automatic grid, in ``(0, 1)``
        (glmnet's choice for ``p > n``; smaller alphas approach the
        unpenalised fit, which separable data do not have).
    alphas : int or array-like, default=50
        The number of automatic grid values, log-spaced from
        :math:`\alpha_{max}` (the smallest alpha with no non-zero penalised coefficient, on
        all the data) to ``eps * alpha_max``, or the grid itself.
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    cv : int, cross-validation generator or iterable, default=None
        ``None`` is 5-fold ``StratifiedKFold``; an int that many folds; or
        a splitter or a list of ``(train, test)`` index arrays.
    scoring : {"neg_log_loss", "accuracy"}, default="neg_log_loss"
        Test score (higher is better), weighted by the test samples'
        ``sample_weight``.
    tol : float, default=1e-4
        Relative tolerance of each solve (duality gap over the objective at
        zero, see :class:`SparseLogisticRegression`).
    max_iter : int, default=1000
        Maximum number of epochs of each solve.
    n_jobs : int, default=None
        Paths run at the same time through joblib (threads by default; any
        joblib backend, e.g. Dask's, gives the same results).
    verbose : int, default=0
        0: silent; 1: a progress bar of the paths and a line as paths
        finish; 2: also every solver's lines.
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors :math:`\omega_j \ge 0` (0: unpenalised).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    alpha_ : float
        The chosen alpha.
    l1_ratio_ : float
        The chosen l1_ratio.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratios, n_alphas)
        The grid(s), decreasing (so ``C`` increases, as in scikit-learn).
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_alphas)
        Test score of each fold along the grids (the layout of scikit-learn's
        ``LogisticRegressionCV(use_legacy_attributes=False).scores_``).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts.
    dual_gap_ : float
        Duality gap of the final model's solve.
    n_iter_ : int
        Epochs of the solves of the path on all the data down to ``alpha_``
        (which produced the final model; at least 1).
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    SparseLogisticRegression, MultinomialLogisticRegression : Fixed alpha.
    sklearn.linear_model.LogisticRegressionCV : The anchor (``C`` grid).

    Notes
    -----
    As :class:`LassoCV`: one warm-started path per fold, folds in parallel,
    the final model from the path on all the data (stopping at ``alpha_``),
    one ConvergenceWarning for the solves that did not converge.

    References
    ----------
    .. [1] J. Friedman, T. Hastie, R. Tibshirani. "Regularization paths for
       generalized linear models via coordinate descent", Journal of
       Statistical Software 33(1), 2010.
    .. [2] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster", JMLR 23(131), 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sparseopt.bcd import SparseLogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = SparseLogisticRegressionCV(alphas=20).fit(X, y)
    >>> model.scores_.shape, bool(model.score(X, y) > 0.95)
    ((5, 1, 20), True)
    """

    _parameter_constraints: dict = {
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "cv": ["cv_object"],
        "scoring": [StrOptions({"neg_log_loss", "accuracy"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "weights": ["array-like", None],
    }

    def __init__(self, *, l1_ratio=1.0, eps=1e-2, alphas=50, fit_intercept=True, cv=None,
                 scoring="neg_log_loss", tol=1e-4, max_iter=1000, n_jobs=None, verbose=0,
                 weights=None):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.weights = weights

    def _l1_ratios(self):
        return check_l1_ratios(self.l1_ratio)

    def _grid(self, X, labels, sample_weight, l1_ratio, weights):
        if not isinstance(self.alphas, Integral):
            return check_alphas(self.alphas)
        if l1_ratio == 0:
            raise ValueError("Automatic alpha grid generation is not supported for "
                             "l1_ratio=0 (alpha_max is infinite): give the grid with "
                             "alphas=[...] or use l1_ratio > 0.")
        return logistic_alpha_grid(X, labels, len(self.classes_), l1_ratio=l1_ratio,
                                   fit_intercept=self.fit_intercept,
                                   sample_weight=sample_weight, weights=weights,
                                   n_alphas=self.alphas, eps=self.eps)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model: one warm-started path per fold and ``l1_ratio``,
        then the path on all the data down to the chosen alpha.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Not modified.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, for the fits (rescaled per fold) and
            the test scores.

        Returns
        -------
        self : SparseLogisticRegressionCV
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"], dtype=np.float64)
        if sp.issparse(X):
            X = sp.csc_matrix(X)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least two classes; got one class: "
                             f"{self.classes_[0]!r}.")
        labels = encoder.transform(y)
        sample_weight = sample_weight_or_none(sample_weight, X)
        weights = check_penalty_weights(self.weights, X.shape[1])
        l1_ratios = self._l1_ratios()
        grids = [self._grid(X, labels, sample_weight, ratio, weights) for ratio in l1_ratios]
        folds = split_folds(self.cv, X, labels, classifier=True)
        check_fold_weights(folds, sample_weight)
        for k, (train, _) in enumerate(folds):
            missing = np.setdiff1d(np.arange(len(self.classes_)), labels[train])
            if missing.size:  # (its intercept would have no finite optimum)
                raise ValueError(f"cv: the training set of fold {k + 1} lacks the class(es) "
                                 f"{list(self.classes_[missing])}; every training set needs "
                                 "every class (use a stratified splitter).")
        settings = {"n_classes": len(self.classes_), "fit_intercept": self.fit_intercept,
                    "tol": self.tol, "max_iter": self.max_iter, "weights": weights,
                    "verbose": self.verbose}
        name = type(self).__name__
        control = PathControl()
        tasks = [partial(_classification_fold, X, labels, sample_weight, train, test, grid,
                         ratio, settings, control, f"{name} fold {k + 1}", self.scoring)
                 for ratio, grid in zip(l1_ratios, grids, strict=True)
                 for k, (train, test) in enumerate(folds)]

        def final_task(ratio_index):
            return partial(_classification_full_path, X, labels, sample_weight,
                           grids[ratio_index], l1_ratios[ratio_index], settings, control,
                           f"{name} all data")

        best = []

        def choose(results):
            scores = -np.array([result["errors"] for result in results]).reshape(
                len(l1_ratios), len(folds), -1)
            best.extend(best_grid_point(scores.mean(axis=1), grids))
            best.append(scores)
            return best[1]

        printer = IterationPrinter(name, self.verbose)
        results, final = run_tasks(tasks, final_task(0) if len(l1_ratios) == 1 else None,
                                   control, n_jobs=self.n_jobs, printer=printer,
                                   on_done=choose)
        ratio_index, alpha_index, scores = best
        if final is None:
            final = final_task(ratio_index)()
        self.scores_ = np.moveaxis(scores, 1, 0)  # (n_folds, n_l1_ratios, n_alphas)
        self.alpha_ = float(grids[ratio_index][alpha_index])
        self.l1_ratio_ = float(l1_ratios[ratio_index])
        self.alphas_ = np.asarray(grids) if isinstance(self.alphas, Integral) else grids[0]
        if self.alphas_.ndim == 2 and len(l1_ratios) == 1:
            self.alphas_ = self.alphas_[0]
        (coef, intercept), info = final["solutions"][alpha_index], final["infos"][alpha_index]
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = np.asarray(intercept, dtype=np.float64).copy()
        self.dual_gap_ = info["dual_gap"]
        self.n_iter_ = path_epochs(final["infos"][:alpha_index + 1])
        printer(len(tasks) + 1, objective=float(scores[ratio_index, :, alpha_index].mean()),
                force=True, alpha=self.alpha_, l1_ratio=self.l1_ratio_)
        convergence_summary(name, sum(result["n_failed"] for result in results),
                            sum(len(result["errors"]) for result in results),
                            info["converged"], self.max_iter)
        return self


"""Least-squares estimators of the BCD family: Lasso, ElasticNet, LeastSquaresBCD."""

import copy
import math
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from sparseopt.bcd._base import (
    BCD_CONSTRAINTS,
    append_intercept_column,
    check_block_size,
    check_linear_model_options,
    coordinate_penalty_factors,
    engine_blocks,
    weighted_centred_problem,
)
from sparseopt.bcd._predict import LinearRegressorMixin
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, bcd_minimize
from sparseopt.solvers.bcd.monitors import glm_gap_monitor
from sparseopt.solvers.glm.elastic_net import (
    SELECTION_RULES,
    check_penalty_weights,
    check_precompute,
    solve_enet,
)
from sparseopt.utils.validation import check_random_state_seed, validate_data

__all__ = ["Lasso", "ElasticNet", "LeastSquaresBCD"]


class _LeastSquaresBCD(LinearRegressorMixin, BaseEstimator, metaclass=ABCMeta):
    """Fit logic shared by the least-squares estimators (subclasses give the penalty)."""

    _parameter_constraints: dict = {
        **BCD_CONSTRAINTS,
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        "precompute": [StrOptions({"auto"}), "boolean", "array-like"],
        "copy_X": ["boolean"],
        "screening": ["boolean"],
        "active_set": ["boolean"],
        "weights": ["array-like", None],
    }
    _warn_at_zero_alpha = True

    @abstractmethod
    def _penalty_strengths(self):
        """``(l1, l2)`` of the penalty, from the estimator's parameters."""

    def _uses_fast_solver(self):
        """Single coordinates of a fixed partition with a rule the fast solver has:
        there, every update is the exact coordinate minimisation."""
        return (isinstance(self.blocks, str) and self.blocks == "fixed"
                and self.block_size in (1, None) and self.selection in SELECTION_RULES
                and self.update in ("gradient", "lipschitz_matrix", "newton")
                and not self.active_set)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept by the default solver, other
            dtypes become float64. Not modified; at most one copy is made.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values; each column of a 2-D ``y`` is an independent
            problem (use :class:`MultiTaskLasso` for a shared support).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, rescaled to sum to ``n_samples``
            (scikit-learn's semantics: the data-fit term becomes the
            weighted mean of the squared residuals).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], y_numeric=True, multi_output=True)
        if sp.issparse(y):
            raise ValueError("y must be a dense array (n_samples,) or (n_samples, n_targets), "
                             "got a sparse matrix.")
        y = np.asarray(y, dtype=X.dtype)
        n_features = X.shape[1]
        check_block_size(self.block_size, n_features)
        check_linear_model_options(self)
        precompute = check_precompute(self.precompute, n_features)
        weights = check_penalty_weights(self.weights, n_features)
        if sample_weight is not None and not np.isscalar(sample_weight):
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
            if np.all(sample_weight == sample_weight[0]):
                sample_weight = None  # uniform weights do not change the problem
        else:
            sample_weight = None
        l1, l2 = self._penalty_strengths()
        if self._warn_at_zero_alpha and self.alpha == 0:
            warnings.warn("With alpha=0, this algorithm does not converge well. You are "
                          "advised to use the LinearRegression estimator.", UserWarning,
                          stacklevel=2)
        targets = y.reshape(-1, 1) if y.ndim == 1 else y
        starts = self._warm_starts(targets.shape[1], n_features)
        results = [self._fit_target(X, np.ascontiguousarray(targets[:, k]), l1, l2, starts[k],
                                    sample_weight, weights, precompute)
                   for k in range(targets.shape[1])]
        self._store(results, single=y.ndim == 1)
        return self

    def _warm_starts(self, n_targets, n_features):
        coef = getattr(self, "coef_", None) if self.warm_start else None
        if coef is None or coef.size != n_targets * n_features:
            return [None] * n_targets
        return list(np.asarray(coef).reshape(n_targets, n_features))

    def _fit_target(self, X, y, l1, l2, coef_init, sample_weight, weights, precompute):
        if self._uses_fast_solver():
            coef, intercept, info = solve_enet(
                X, y, l1, l2, fit_intercept=self.fit_intercept, positive=self.positive,
                selection=self.selection, precompute=precompute, screening=self.screening,
                tol=self.tol, max_iter=self.max_iter, coef_init=coef_init,
                sample_weight=sample_weight, weights=weights, random_state=self.random_state,
                verbose=self.verbose)
            return {"coef": coef, "intercept": intercept, "n_iter": info["n_iter"],
                    "n_epochs": info["n_epochs"], "dual_gap": info["dual_gap"],
                    "kkt_violation": info["kkt_violation"], "history": info["history"],
                    "active_set_iteration": None}
        return self._fit_target_engine(X, y, l1, l2, coef_init, sample_weight)

    def _fit_target_engine(self, X, y, l1, l2, coef_init, sample_weight):
        """The block engine on one target; sample weights by an exact reformulation
        (weighted, centred data without intercept, solved by a copy of this estimator)."""
        model = self
        if sample_weight is not None:
            model = copy.copy(self)
            model.fit_intercept = False
            X, y, means, y_mean = weighted_centred_problem(X, y, sample_weight,
                                                           self.fit_intercept)
        model._fit_engine(X, y, l1, l2, coef_init)
        result = {"coef": model.coef_, "intercept": model.intercept_,
                  "n_iter": math.ceil(model.n_epochs_ - 1e-9), "n_epochs": model.n_epochs_,
                  "dual_gap": model.dual_gap_, "kkt_violation": model.kkt_violation_,
                  "history": model.history_,
                  "active_set_iteration": model.active_set_iteration_}
        if sample_weight is not None and self.fit_intercept:
            result["intercept"] = y_mean - float(means @ result["coef"])
        return result

    def _store(self, results, single):
        if single:
            result = results[0]
            self.coef_, self.intercept_ = result["coef"], result["intercept"]
            self.n_iter_ = result["n_iter"]
            self.n_epochs_ = result["n_epochs"]
            self.dual_gap_ = result["dual_gap"]
            self.kkt_violation_ = result["kkt_violation"]
            self.history_ = result["history"]
            self.active_set_iteration_ = result["active_set_iteration"]
            return
        self.coef_ = np.array([r["coef"] for r in results])
        self.intercept_ = np.array([r["intercept"] for r in results])
        self.n_iter_ = [r["n_iter"] for r in results]
        self.n_epochs_ = np.array([r["n_epochs"] for r in results])
        self.dual_gap_ = np.array([r["dual_gap"] for r in results])
        self.kkt_violation_ = np.array([r["kkt_violation"] for r in results])
        self.history_ = [r["history"] for r in results]
        self.active_set_iteration_ = [r["active_set_iteration"] for r in results]

    def _fit_engine(self, X, y, l1, l2, coef_init):
        n_samples, n_features = X.shape
        design = append_intercept_column(X) if self.fit_intercept else X
        n_coords = design.shape[1]
        datafit = GLMDatafit(design, y, "least_squares", 1.0 / n_samples)
        weights = coordinate_penalty_factors(self.weights, n_features, n_coords)
        positive = np.full(n_coords, self.positive)
        if self.fit_intercept:  # the intercept is never penalised nor constrained
            weights[-1] = 0.0
            positive[-1] = False
        penalty = ElasticNetPenalty(l1, l2, weights, positive=positive)
        centred = y - y.mean() if self.fit_intercept else y
        objective_at_zero = 0.5 * float(centred @ centred) / n_samples
        unregularised = l1 == 0.0 and l2 == 0.0
        if unregularised:
            monitor, name = None, "kkt_violation"
        else:
            monitor = glm_gap_monitor(datafit, penalty, objective_at_zero,
                                      intercept=self.fit_intercept)
            name = "relative_duality_gap"
        start = np.zeros(n_coords)
        if coef_init is not None:
            start[:n_features] = np.maximum(coef_init, 0.0) if self.positive else coef_init
        tol = self.tol
        if unregularised:
            kkt = np.abs(np.asarray(design.T @ centred).ravel()) / n_samples
            tol = self.tol * max(float(kkt[:n_features].max(initial=0.0)), np.finfo(float).tiny)
        coef_all, info = bcd_minimize(
            datafit, penalty, start,
            blocks=engine_blocks(self.blocks, n_features, int(self.fit_intercept)),
            block_size=self.block_size, selection=self.selection, update=self.update,
            max_epochs=self.max_iter, tol=tol,
            monitor=monitor, criterion_name=name, active_set=self.active_set,
            random_state=np.random.default_rng(check_random_state_seed(self.random_state)),
            verbose=self.verbose)
        coef = coef_all[:n_features].astype(X.dtype)
        intercept = 0.0
        if self.fit_intercept:  # the optimal intercept for these coefficients
            intercept = float(np.mean(y - X @ coef))
        if not info["converged"]:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} epochs: "
                f"{name} {info['criterion']:.3e} > {tol:.3e}. Increase max_iter or tol.",
                ConvergenceWarning, stacklevel=3)
        state = datafit.start(coef_all, track_gradient=False)
        gradient = datafit.full_gradient(state)
        self.coef_, self.intercept_ = coef, intercept
        self.n_iter_ = info["n_iter"]
        self.n_epochs_ = info["n_iter"] / info["updates_per_epoch"]
        self.dual_gap_ = float("nan") if unregularised else monitor.last_gap
        self.kkt_violation_ = float(np.max(
            penalty.violations(gradient, coef_all)[:n_features], initial=0.0))
        self.history_ = info["history"]
        self.active_set_iteration_ = info["active_set_iteration"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


_COMMON_DOC = """
    fit_intercept : bool, default=True
        Fit the unpenalised intercept :math:`b` (sparse ``X`` is centred
        implicitly, never densified).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {"cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq", "gs_r"}, \
default="cyclic"
        Block-selection rule: cyclic order, uniform or Lipschitz-proportional
        sampling, or a greedy Gauss-Southwell rule of Nutini et al. (GS,
        GS-Lipschitz, GS-diagonal, GS-quadratic, proximal GS-r); see the user
        guide for which to pick.
    blocks : {"fixed", "sorted", "avg", "variable"} or list of arrays, default="fixed"
        Block partition: contiguous blocks, blocks grouping coordinates of
        similar Lipschitz constants, blocks mixing large and small ones,
        blocks chosen afresh at each iteration by the selection rule, or an
        explicit partition of ``range(n_features)`` (the intercept is updated
        as one more block).
    block_size : int, default=1
        Coordinates per block, in ``[1, n_features]``.
    update : {"gradient", "adaptive_gradient", "lipschitz_matrix", "newton", "two_metric"}, \
default="gradient"
        Block update: proximal gradient step with the block Lipschitz
        constant or an adaptive estimate of it, exact minimisation of the
        model with the Hessian bound, proximal Newton (for least squares the
        last two coincide, and with single coordinates these three are the
        exact coordinate minimisation), or two-metric projection.
    precompute : "auto", bool or array of shape (n_features, n_features), \
default="auto"
        Default solver only. ``True``: form the Gram matrix
        :math:`X_c^\\top X_c` once (worth it when ``n_samples >> n_features``);
        an array-like: that Gram matrix, of the centred or (with
        ``fit_intercept``, then centred here) the uncentred ``X``, told apart
        by its diagonal and one entry at a relative tolerance 1e-7 (1e-4 for
        float32); a mismatch raises (scikit-learn checks one entry and,
        with ``fit_intercept``, recomputes the Gram of non-centred ``X``);
        ``False``: work on the residual; ``"auto"``: for each working set,
        the cheaper of the residual and a cached Gram block of the working set
        by a cost model (never the full Gram matrix, never a second copy of
        ``X``). The greedy rules always use Gram blocks.
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified,
        whatever the value (scikit-learn's ``copy_X=False`` allows it to
        overwrite ``X``).
    screening : bool, default=True
        Gap Safe screening of provably inactive features (default solver).
    active_set : bool, default=False
        Once the support is identified, update it as one block with Newton
        steps (superlinear final phase; block-engine solver).
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors :math:`\\omega_j \\ge 0` multiplying both
        penalty terms (glmnet's ``penalty.factor``); 0 leaves a feature
        unpenalised. ``None`` means all ones.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * P(0)``, where
        :math:`P(0)` is the objective at zero (with the best intercept), and
        the largest coefficient change of the last epoch is at most
        ``tol * max|w|`` (the block engine checks the gap only). The dual
        point is rebuilt from the residual at each check. scikit-learn stops
        on the same change criterion and a gap of ``2 tol P(0)``; at equal
        ``tol`` the median and worst coefficient errors of ours were at most
        scikit-learn's over 12 problems at ``tol`` 1e-4 and 1e-8 (tested).
    max_iter : int, default=1000
        Maximum number of epochs, as in scikit-learn: passes over the
        working set for the default solver (a greedy rule's epoch is as many
        single-coordinate updates), passes over all blocks for the block
        engine. A :class:`~sklearn.exceptions.ConvergenceWarning` is raised
        when reached.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    random_state : int, RandomState instance or None, default=None
        Seeds the random and Lipschitz rules.
    verbose : int, default=0
        Print the objective and stopping criterion through
        :class:`~sparseopt.utils.IterationPrinter` (1: at most one line a
        second, 2: every check; at 2 the block engine prints every epoch).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients :math:`w`.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept :math:`b` (0.0 when ``fit_intercept=False``).
    n_iter_ : int or list of int
        Epochs run (see ``max_iter``), one per target; 0 when a warm start
        is already optimal.
    n_epochs_ : float or ndarray of shape (n_targets,)
        The same, not rounded up.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap at the solution, in objective units (for ``alpha=0``,
        scikit-learn's first-order measure :math:`\\|X_c^\\top r\\|^2 / n`
        on the default solver, NaN on the block engine).
    kkt_violation_ : float or ndarray of shape (n_targets,)
        Largest violation of the optimality conditions.
    history_ : ConvergenceHistory or list of ConvergenceHistory
        Objective and stopping criterion at each check, with timings; the
        default solver's iterations count coordinate updates.
    active_set_iteration_ : int or None
        Block update at which the active set was identified (``active_set``).
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    With ``blocks="fixed"``, ``block_size=1``, ``active_set=False`` and a
    ``selection`` among cyclic, random, gs and gsl, the fit runs the fast
    working-set coordinate-descent solver (:func:`sparseopt.solvers.bcd_enet`:
    Anderson extrapolation, Gap Safe screening, cached Gram blocks, float32
    kept); every other combination runs the generic block engine
    (:func:`sparseopt.solvers.bcd_minimize`), in float64.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
    .. [2] M. Massias, A. Gramfort, J. Salmon. "Celer: a fast solver for the
       Lasso with dual extrapolation", ICML 2018.
"""


def _init_params(self, params):
    """Store the ``__init__`` arguments as given (scikit-learn's convention)."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(self, name, value)


class Lasso(_LeastSquaresBCD):
    __doc__ = r"""Lasso by (block) coordinate descent with greedy, cyclic or random rules.

    Minimises, with the scaling of :class:`sklearn.linear_model.Lasso`,

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\|w\|_1 .

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.""" + _COMMON_DOC + """
    See Also
    --------
    sparseopt.solvers.bcd_lasso : Function form of the default solver.
    sparseopt.bcd.lasso_path : Solutions along a grid of ``alpha``.
    sklearn.linear_model.Lasso : The anchor.

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
        **_LeastSquaresBCD._parameter_constraints,
        "alpha": [Interval(Real, 0, np.inf, closed="left")],
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, positive=False, selection="cyclic",
                 blocks="fixed", block_size=1, update="gradient", precompute="auto",
                 copy_X=True, screening=True, active_set=False, weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, random_state=None, verbose=0):
        _init_params(self, locals())

    def _penalty_strengths(self):
        return self.alpha, 0.0


class ElasticNet(_LeastSquaresBCD):
    __doc__ = r"""Elastic net by (block) coordinate descent.

    Minimises, with the parametrisation of
    :class:`sklearn.linear_model.ElasticNet`,

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\rho\|w\|_1
              + \frac{\alpha(1 - \rho)}{2}\|w\|_2^2 .

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength :math:`\alpha \ge 0`.
    l1_ratio : float, default=0.5
        Mixing :math:`\rho \in [0, 1]` (1 is the Lasso, 0 ridge).""" + _COMMON_DOC + """
    See Also
    --------
    sparseopt.solvers.bcd_enet : Function form of the default solver.
    sklearn.linear_model.ElasticNet : The anchor.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import ElasticNet
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]])
    >>> ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, [0.0, 1.0, 2.0]).coef_.round(3)
    array([0.86, 0.  ])
    """

    _parameter_constraints: dict = {
        **_LeastSquaresBCD._parameter_constraints,
        "alpha": [Interval(Real, 0, np.inf, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, positive=False,
                 selection="cyclic", blocks="fixed", block_size=1, update="gradient",
                 precompute="auto", copy_X=True, screening=True, active_set=False,
                 weights=None, tol=1e-4, max_iter=1000, warm_start=False, random_state=None,
                 verbose=0):
        _init_params(self, locals())

    def _penalty_strengths(self):
        return self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio)


class LeastSquaresBCD(_LeastSquaresBCD):  # noqa: D101 (docstring assembled below)
    __doc__ = r"""Least squares (optionally ridge) by block coordinate descent.

    Minimises the smooth quadratic

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \frac{\alpha}{2}\|w\|_2^2 ,

    the paper's first test problem, with any of its block, selection and
    update rules. With ``alpha = 0`` (and no unique solution when
    ``n_features > n_samples``) the stopping rule is relative: the largest
    gradient entry falls below ``tol`` times its value at zero (also on a
    warm start).

    Parameters
    ----------
    alpha : float, default=0.0
        Ridge strength :math:`\alpha \ge 0`.""" + _COMMON_DOC + """
    See Also
    --------
    sklearn.linear_model.Ridge : The anchor for ``alpha > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import LeastSquaresBCD
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> model = LeastSquaresBCD(tol=1e-10, fit_intercept=False).fit(X, [1.0, 2.0, 2.0])
    >>> np.round(model.coef_, 6)
    array([1., 1.])
    """

    _parameter_constraints: dict = {
        **_LeastSquaresBCD._parameter_constraints,
        "alpha": [Interval(Real, 0, np.inf, closed="left")],
    }
    _warn_at_zero_alpha = False  # plain least squares is this estimator's purpose

    def __init__(self, alpha=0.0, *, fit_intercept=True, positive=False, selection="cyclic",
                 blocks="fixed", block_size=1, update="gradient", precompute="auto",
                 copy_X=True, screening=True, active_set=False, weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, random_state=None, verbose=0):
        _init_params(self, locals())

    def _penalty_strengths(self):
        return 0.0, self.alpha

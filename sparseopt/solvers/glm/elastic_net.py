"""Coordinate descent for the Lasso and the elastic net: working sets, Anderson
extrapolation, Gap Safe screening, Gram blocks, sample weights and penalty factors.

Solves

    min_w  1/(2n) ||y_c - X_c w||_2^2 + sum_j omega_j (l1 |w_j| + l2/2 w_j^2)   [w >= 0]

where ``X_c, y_c`` are weighted by the square roots of the sample weights
and centred when an intercept is fitted (implicitly, see
:mod:`sparseopt.solvers.glm.designs`), and ``omega`` are per-feature penalty
factors (0 leaves a feature unpenalised). The outer loop (Python) computes
the full gradient and the duality gap, screens the features that the Gap
Safe sphere proves to be zero at the optimum, and picks a working set; the
inner loop (numba, :mod:`sparseopt.solvers.glm.enet_kernels`) runs
coordinate descent on the working set with one of four rules:

- ``"cyclic"``: index order, with Anderson extrapolation of the iterates;
- ``"random"``: uniform sampling with replacement;
- ``"gs"``: Gauss-Southwell (GS-s): largest distance of the negative
  gradient to the subdifferential of the penalty;
- ``"gsl"``: Gauss-Southwell-Lipschitz: largest decrease of the exact
  coordinate minimisation, i.e. GS-q with ``L_j = ||X_c[:, j]||^2 / n``
  (Nutini et al., 2015 and 2022).

The inner solve works either on the residual (``O(n)`` per update) or on the
Gram block of the working set (``O(|ws|)`` per update, the block cached
across outer iterations); ``precompute="auto"`` picks the cheaper per
working set from a cost model (below) and the greedy rules always use Gram
blocks, which keep every gradient of the working set up to date.

Units: ``max_iter`` and the returned ``n_iter`` count epochs, as in
scikit-learn: one epoch is as many coordinate updates as the working set has
features (a full pass of the cyclic rule).

Stopping rule: the fit stops when the duality gap is at most ``tol * P(0)``
and the largest coordinate change during the last epoch is at most
``tol * max_j |w_j|``. scikit-learn stops when the change criterion holds
and its gap is at most ``2 tol P(0)`` (``tol ||y||^2`` in its units), so
at equal ``tol`` the solutions returned here are at least as precise.
"""

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.glm.designs import (
    GramCache,
    LeastSquaresDesign,
    check_finite_scale,
    normalise_sample_weight,
)
from sparseopt.solvers.glm.enet_gap import (
    UnpenalisedProjection,
    dual_gap,
    enet_dual_gap,
    gap_safe_screen,
    kkt_violations,
)
from sparseopt.solvers.glm.enet_kernels import (
    ANDERSON_MEMORY,
    GS,
    GSL,
    SELECTION_RULES,
    cd_inner_solve,
    gram_inner_solve,
)
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import (
    check_array,
    check_consistent_length,
    check_integer,
    check_random_state_seed,
    check_scalar,
)

__all__ = ["bcd_lasso", "bcd_enet", "solve_enet", "enet_dual_gap", "SELECTION_RULES",
           "check_regression_data", "check_penalty_weights"]

# Inner tolerance over the last KKT violation. 0.1 was tried: 7-11% faster
# on the asv problems (dense Toeplitz and sparse), but 10-100% more epochs
# on random-walk-correlated 100 x 300 designs (6 seeds, tol 1e-4 and 1e-8);
# 0.03 and 0.01 lose on both (the first working sets are solved too
# precisely), and tightening it only once the support is stable did not help.
_INNER_TOL_RATIO = 0.3
# Epochs of one inner solve at most, then back to the outer check, whose
# residual is recomputed from the coefficients: an inner tolerance below the
# rounding of the incrementally updated residual is otherwise never met (a
# near-ridge fit at tol=1e-16 ran 4884 epochs, against 161-310 with the cap;
# 100,000 with the ratio 0.1). A check costs about one epoch.
_INNER_EPOCHS = 200
# First working-set size: each outer iteration costs a full X^T r, so starting
# at 100 rather than 10 saves three of them (measured on the asv problems,
# medians of 7: dense 53.9 -> 49.6 ms, sparse 13.2 -> 10.7 ms).
_WORKING_SET_START = 100
# Work (entries touched) per kernel call: ~10-50 ms, so that Ctrl-C and the
# verbose printer get control back several times a second.
_WORK_PER_CALL = 2e7
# Cost model of precompute="auto": nanoseconds per entry, measured single
# thread on a 20000 x 2000 dense problem (costs.py in the issue-12 notes):
# residual-mode epoch per (n x |ws|) entry, Gram-mode epoch per |ws|^2 entry,
# BLAS product per multiply-add, gathering a column entry of C- or
# Fortran-ordered X, and the one-time Fortran copy per entry of X.
_NS_RESIDUAL = 1.2
_NS_GRAM = 0.13
_NS_BLAS = 0.12
_NS_GATHER_C, _NS_GATHER_F = 10.0, 1.6
_NS_FORTRAN_COPY = 9.0
_FIRST_EPOCH_GUESS = 10
# Greedy rules score the working set once per block of |ws| / 8 coordinates
# (Nutini et al.'s variable blocks). Measured on the dense 1000 x 5000
# Toeplitz(0.6) problem at alpha_max / 50, tol 1e-8: fractions 2 to 64 all
# take 2.5-3x cyclic's time (the Gram blocks dominate); rescoring after every
# update (fraction |ws|) was 4.5x slower than 1/8 on a fixed working set.
_GREEDY_BLOCK_FRACTION = 8
# float32 Gram blocks (designs.GramCache.single) are dropped for float64 when
# a check finds the KKT violation of an inner solve's working set above this
# factor times its tolerance (met on the float32 model); see
# _check_single_precision for the other triggers.
_SINGLE_SLACK = 2.0
# The coefficient-change test stops at this many rounding units of the
# coefficients' dtype, whatever tol (float32: 4.8e-7 of max|w|).
_CHANGE_RESOLUTION = 4


def check_regression_data(X, y, *, multi_output=False):
    """``X`` as float64/float32 array (layout kept) or CSC-compatible sparse
    matrix, ``y`` a matching array of the same dtype (errors name the argument)."""
    X = check_array(X, accept_sparse=["csc", "csr", "coo"], dtype=[np.float64, np.float32],
                    input_name="X")
    y = check_array(y, ensure_2d=False, dtype=X.dtype, input_name="y")
    if y.ndim != 1 and not (multi_output and y.ndim == 2):
        expected = "1-D or 2-D" if multi_output else "1-D"
        raise ValueError(f"y must be {expected}, got shape {y.shape}.")
    check_consistent_length(X=X, y=y)
    return X, y


def check_penalty_weights(weights, n_features):
    """Per-feature penalty factors: finite, non-negative, of length n_features."""
    if weights is None:
        return None
    weights = check_array(weights, ensure_2d=False, dtype=np.float64, input_name="weights")
    if weights.shape != (n_features,):
        raise ValueError(f"weights must have shape ({n_features},) (one penalty factor per "
                         f"feature), got {weights.shape}.")
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative (0 leaves a feature unpenalised); "
                         f"got a minimum of {weights.min()}.")
    return weights


def check_sample_weight_array(sample_weight, n_samples, dtype=np.float64):
    """Non-negative, finite sample weights with a positive sum, or None."""
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        return None  # a constant weight does not change the objective
    sample_weight = check_array(sample_weight, ensure_2d=False, dtype=np.float64,
                                input_name="sample_weight")
    if sample_weight.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), got "
                         f"{sample_weight.shape}.")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero).")
    return sample_weight


def bcd_enet(X, y, alpha, l1_ratio=1.0, *, fit_intercept=False, positive=False,
             selection="cyclic", precompute="auto", screening=True, tol=1e-4, max_iter=1000,
             coef_init=None, sample_weight=None, weights=None, random_state=None, verbose=0):
    r"""Elastic net by working-set coordinate descent (function form of
    :class:`~sparseopt.bcd.ElasticNet`).

    Minimises, with scikit-learn's parametrisation,

    .. math:: \frac{1}{2\sum_i s_i}\sum_i s_i (y_i - x_i^\top w - b)^2
              + \alpha\sum_j\omega_j\left(\rho|w_j| + \frac{1-\rho}{2}w_j^2\right)

    over :math:`w` (optionally :math:`w \ge 0`) and the unpenalised intercept
    :math:`b` if ``fit_intercept``, with sample weights :math:`s` (default
    ones) and penalty factors :math:`\omega` (default ones). Stops when the
    duality gap is at most ``tol * P(0)``, where :math:`P(0)` is the
    objective at zero (with the best intercept), and the largest coordinate
    change of the last epoch is at most ``tol * max|w|``; see
    :mod:`sparseopt.solvers.glm.elastic_net`.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design matrix (at most one copy is made). Not modified.
    y : ndarray of shape (n_samples,)
        Target. Not modified.
    alpha : float
        Regularisation strength, ``alpha >= 0``.
    l1_ratio : float, default=1.0
        :math:`\rho \in [0, 1]`; 1 is the Lasso.
    fit_intercept : bool, default=False
        Fit an unpenalised intercept (implicit centering; sparse ``X`` is
        never densified).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate-selection rule inside each working set.
    precompute : {"auto", True, False} or ndarray, default="auto"
        ``True``: form the Gram matrix :math:`X_c^\top X_c` once and never
        touch ``X`` again (worth it when ``n_samples >> n_features``); an
        array: that Gram matrix (checked on one entry; a Gram matrix of
        uncentred ``X`` is centred when ``fit_intercept``); ``False``: work
        on the residual, except for the greedy rules, which need Gram blocks;
        ``"auto"``: choose per working set between the residual and a cached
        Gram block by a cost model.
    screening : bool, default=True
        Discard features proven inactive by the Gap Safe rule at every outer
        iteration.
    tol : float, default=1e-4
        Relative tolerance (see above).
    max_iter : int, default=1000
        Maximum number of epochs (passes over the working set).
    coef_init : ndarray of shape (n_features,), optional
        Warm start; not modified (under ``positive``, its negative entries
        start at 0).
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative sample weights (rescaled to sum to ``n_samples``, as
        scikit-learn does).
    weights : ndarray of shape (n_features,), optional
        Non-negative penalty factors :math:`\omega` (glmnet's
        ``penalty.factor``); 0 leaves a feature unpenalised.
    random_state : int, RandomState instance or None, default=None
        Seeds the ``"random"`` rule.
    verbose : int, default=0
        Print the objective and gap through
        :class:`~sparseopt.utils.IterationPrinter` (1: at most one line a
        second; 2: every outer iteration).

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Solution.
    intercept : float
        Intercept (0.0 if not fitted).
    info : dict
        ``n_iter`` (epochs, an int), ``n_epochs`` (float), ``n_outer``,
        ``n_updates`` (coordinate updates), ``dual_gap`` (absolute, in
        objective units), ``kkt_violation``, ``n_screened``, ``converged``
        and ``history`` (a :class:`~sparseopt.core.ConvergenceHistory` whose
        iterations are cumulative coordinate updates).

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
    .. [2] M. Massias, A. Gramfort, J. Salmon. "Celer: a fast solver for the
       Lasso with dual extrapolation", ICML 2018.
    .. [3] O. Fercoq, A. Gramfort, J. Salmon. "Mind the duality gap: safer
       rules for the Lasso", ICML 2015.
    """
    X, y = check_regression_data(X, y)
    alpha = check_scalar(alpha, "alpha", lower=0.0)
    l1_ratio = check_scalar(l1_ratio, "l1_ratio", lower=0.0, upper=1.0)
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    precompute = check_precompute(precompute, X.shape[1])
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}.")
    for name, flag in (("fit_intercept", fit_intercept), ("positive", positive),
                       ("screening", screening)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be a bool, got {flag!r}.")
    if coef_init is not None:
        coef_init = check_array(coef_init, ensure_2d=False, dtype=X.dtype, input_name="coef_init")
        if coef_init.shape != (X.shape[1],):
            raise ValueError(
                f"coef_init must have shape ({X.shape[1]},), got {coef_init.shape}."
            )
    sample_weight = check_sample_weight_array(sample_weight, X.shape[0])
    weights = check_penalty_weights(weights, X.shape[1])
    return solve_enet(X, y, alpha * l1_ratio, alpha * (1.0 - l1_ratio),
                      fit_intercept=fit_intercept, positive=positive, selection=selection,
                      precompute=precompute, screening=screening, tol=tol, max_iter=max_iter,
                      coef_init=coef_init, sample_weight=sample_weight, weights=weights,
                      random_state=random_state, verbose=verbose)


def bcd_lasso(X, y, alpha, **options):
    r"""Lasso by working-set coordinate descent (function form of :class:`~sparseopt.bcd.Lasso`).

    Minimises :math:`\frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\|w\|_1`; this is
    :func:`bcd_enet` with ``l1_ratio=1``, see there for the options and
    the returned ``(coef, intercept, info)``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularisation strength, ``alpha >= 0``.
    **options
        ``fit_intercept``, ``positive``, ``selection``, ``precompute``,
        ``screening``, ``tol``, ``max_iter``, ``coef_init``,
        ``sample_weight``, ``weights``, ``random_state``, ``verbose``: as in
        :func:`bcd_enet`.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Solution.
    intercept : float
        Intercept (0.0 if not fitted).
    info : dict
        As in :func:`bcd_enet`.
    """
    if "l1_ratio" in options:
        raise TypeError("bcd_lasso has no l1_ratio: use bcd_enet.")
    return bcd_enet(X, y, alpha, 1.0, **options)


def check_precompute(precompute, n_features):
    """``precompute`` is "auto", a bool or a square array-like of side
    n_features; returns it, an array-like as an ndarray."""
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(f"precompute must be 'auto', a bool or a Gram matrix, got "
                             f"{precompute!r}.")
        return precompute
    if isinstance(precompute, bool | np.bool_):
        return bool(precompute)
    if not (hasattr(precompute, "__array__") or isinstance(precompute, list | tuple)):
        raise ValueError(f"precompute must be 'auto', a bool or a Gram matrix, got "
                         f"{precompute!r}.")
    gram = np.asarray(precompute)
    if gram.shape != (n_features, n_features):
        raise ValueError(f"precompute (a Gram matrix) must have shape ({n_features}, "
                         f"{n_features}), got {gram.shape}.")
    return gram


def _user_gram(design, gram):
    """A user's Gram matrix as the centred weighted one (a Gram of uncentred
    data is centred here). Its whole diagonal and one off-diagonal entry are
    checked against ``X`` at a tolerance relative to the uncentred column
    norms, so that a centred and an uncentred Gram are told apart whenever
    they differ beyond it (one entry, as scikit-learn checks, cannot)."""
    gram = check_array(gram, dtype=np.float64, input_name="precompute")
    rtol = 1e-4 if design.dtype == np.float32 else 1e-7
    scale = np.maximum(design.squared_norms, np.finfo(float).tiny)
    first = design.n_features // 2
    second = min(first + 1, design.n_features - 1)
    entry_scale = np.sqrt(scale[first] * scale[second])
    centred_entry = design.centred_cross(np.array([first]), np.array([second]))[0, 0]
    outer = design.n_samples * design.offsets[first] * design.offsets[second]
    candidates = [(design.col_norms_sq, centred_entry, 0.0)]
    if design.fit_intercept:
        candidates.append((design.squared_norms, centred_entry + outer, 1.0))
    for diagonal, entry, uncentred in candidates:
        if (np.all(np.abs(np.diag(gram) - diagonal) <= rtol * scale)
                and abs(gram[first, second] - entry) <= rtol * entry_scale):
            return gram - uncentred * design.n_samples * np.outer(design.offsets, design.offsets)
    worst = int(np.argmax(np.abs(np.diag(gram) - design.col_norms_sq) / scale))
    weighted = " (sample-weighted)" if design.sample_weight is not None else ""
    raise ValueError(
        f"precompute (the Gram matrix) does not match X{weighted}: entry ({worst}, {worst}) "
        f"is {gram[worst, worst]!r}, expected {design.col_norms_sq[worst]!r} (centred X^T X)"
        + (f" or {design.squared_norms[worst]!r} (uncentred)" if design.fit_intercept else "")
        + f", and entry ({first}, {second}) is {gram[first, second]!r}, expected "
        f"{centred_entry!r}. Pass precompute=True to have it computed.")


class _Problem:
    """Everything about one fit that does not change between outer iterations:
    the design, the target, the penalties and the Gram storage (kept in
    ``cache`` across the fits of a path)."""

    def __init__(self, X, y, l1, l2, *, fit_intercept, positive, precompute, sample_weight,
                 weights, cache, greedy=False):
        if "design" not in cache:
            cache["design"] = LeastSquaresDesign(
                X, fit_intercept, normalise_sample_weight(sample_weight, X.shape[0]))
        self.design = design = cache["design"]
        self.n_samples, self.n_features = design.n_samples, design.n_features
        self.dtype = X.dtype
        self.positive = positive
        self.l1, self.l2 = l1, l2
        self.weights = np.ones(self.n_features) if weights is None else weights
        self.l1_scaled = self.n_samples * l1 * self.weights
        self.l2_scaled = self.n_samples * l2 * self.weights
        self.unregularised = not (self.l1_scaled.any() or self.l2_scaled.any())
        self.target, self.y_mean = design.target(y)
        self.y_norm_sq = float(self.target @ self.target)
        check_finite_scale(self.y_norm_sq, "y", "the squared norm of y")
        if "target_correlation" not in cache:
            cache["target_correlation"] = design.centred_rmatvec(self.target, 0.0)
            check_finite_scale(cache["target_correlation"], "X", "X^T y")
        self.target_correlation = cache["target_correlation"]
        self.objective_at_zero = 0.5 * self.y_norm_sq / self.n_samples
        if "gram" not in cache:
            full = None
            if hasattr(precompute, "__array__"):
                full = _user_gram(design, precompute)
            elif precompute is True:
                full = design.centred_gram()
            cache["gram"] = GramCache(design, full, allow_float32=greedy)
        self.gram = cache["gram"]
        self.cache = cache
        self.full_gram = self.gram.full is not None
        unpenalised = self.weights == 0
        self.projection = None
        if unpenalised.any() and not self.unregularised:
            key = ("projection", unpenalised.tobytes())
            if key not in cache:
                cache[key] = UnpenalisedProjection(design, unpenalised, self.target_correlation)
            self.projection = cache[key]


class _State:
    """The iterate and what the kernels keep up to date with it."""

    def __init__(self, problem, coef_init):
        self.problem = problem
        dtype = problem.dtype
        p = problem.n_features
        self.coef = (np.zeros(p, dtype=dtype) if coef_init is None
                     else np.array(coef_init, dtype=dtype, copy=True))
        if problem.positive:  # a start outside the constraint set (e.g. a warm start)
            self.coef = np.maximum(self.coef, 0.0) + 0.0
        if problem.full_gram:
            coef64 = self.coef.astype(np.float64)
            self.correlation = problem.target_correlation - problem.gram.full @ coef64
            self.residual = self.shift_box = None
        else:  # filled by the first check, which always comes first
            self.residual = np.empty(problem.n_samples, dtype=dtype)
            self.shift_box = np.zeros(1)
        previous = problem.cache.get("last_statistics")
        self.reusable = (previous if previous is not None and coef_init is not None
                         and np.array_equal(previous[0], self.coef) else None)

    def statistics(self, active=None):
        """``(X_c^T r, ||r||^2, y_c^T r)`` at the current iterate (float64);
        with ``active`` (the features not screened), ``X_c^T r`` only there,
        zeros elsewhere (the screened problem's statistics)."""
        problem = self.problem
        coef64 = self.coef.astype(np.float64)
        if problem.full_gram:
            xty = problem.target_correlation
            residual_norm_sq = problem.y_norm_sq - 2 * float(coef64 @ xty) + float(
                coef64 @ (xty - self.correlation))
            return self.correlation, residual_norm_sq, problem.y_norm_sq - float(coef64 @ xty)
        if self.reusable is not None:  # a path: the previous solve's last check, same iterate
            _, residual, shift, statistics = self.reusable
            self.reusable = None
            self.residual[:] = residual
            self.shift_box[0] = shift
            return statistics
        # Recompute the residual from the coefficients: the incremental updates
        # drift by rounding, and a drifted residual fakes a zero gap. The
        # statistics use it in float64 (float32 X: the kernels' float32
        # residual is rounded at 6e-8, enough for a fake gap that made Gap
        # Safe screening discard active features at tol=1e-8).
        support = np.flatnonzero(coef64)
        residual = problem.target - problem.design.matvec_subset(support, coef64[support])
        self.residual[:] = residual
        self.shift_box[0] = shift = float(problem.design.offsets @ coef64)
        if active is None:
            correlation = problem.design.centred_rmatvec(residual, shift)
        else:
            correlation = np.zeros(problem.n_features)
            correlation[active] = problem.design.centred_rmatvec_subset(active, residual, shift)
        residual_norm_sq = float(residual @ residual) - problem.n_samples * shift**2
        statistics = (correlation, residual_norm_sq, float(problem.target @ residual))
        if active is None:
            problem.cache["last_statistics"] = (self.coef.copy(), self.residual.copy(), shift,
                                                statistics)
        return statistics

    def move(self, features, delta):
        """``w[features] += delta`` with the residual (or correlation) kept in sync."""
        problem = self.problem
        self.coef[features] = (self.coef[features].astype(np.float64) + delta).astype(
            problem.dtype)
        if problem.full_gram:
            self.correlation -= problem.gram.full[:, features] @ delta
        else:
            self.residual -= problem.design.matvec_subset(features, delta).astype(problem.dtype)
            self.shift_box[0] += float(problem.design.offsets[features] @ delta)


class _Check:
    """Objective, gap, KKT violations and the stopping criterion at one iterate."""

    def __init__(self, problem, state, screened, active=None):
        correlation, residual_norm_sq, y_dot_residual = state.statistics(active)
        coef64 = state.coef.astype(np.float64)
        n = problem.n_samples
        self.correlation = correlation
        self.violations = kkt_violations(correlation / n, coef64, problem.l1, problem.l2,
                                         problem.positive, problem.weights)
        self.violations[screened] = 0.0
        self.kkt = float(self.violations.max(initial=0.0))
        self.primal, self.gap = dual_gap(
            residual_norm_sq, y_dot_residual, correlation, coef64, n, problem.l1, problem.l2,
            problem.positive, problem.weights)
        if problem.projection is not None:  # dual point off the unpenalised columns
            correlation, residual_norm_sq, y_dot_residual = problem.projection.project(
                correlation, residual_norm_sq, y_dot_residual, coef64, problem.positive)
            projected_primal, projected_gap = dual_gap(
                residual_norm_sq, y_dot_residual, correlation, coef64, n, problem.l1,
                problem.l2, problem.positive, problem.weights)
            self.gap = max(self.primal - (projected_primal - projected_gap), 0.0)
        self.residual_norm_sq, self.y_dot_residual = residual_norm_sq, y_dot_residual
        self.dual_correlation = correlation
        if problem.unregularised:
            # plain least squares: no dual bound; scikit-learn's first-order gap
            self.gap = float(self.correlation @ self.correlation) / n


def _greedy_block(size):
    return max(1, size // _GREEDY_BLOCK_FRACTION)


def _use_gram(problem, working_set, rule, precompute, epochs_guess):
    """Whether the inner solve runs on the Gram block of the working set: by the
    measured cost model for ``precompute="auto"`` (never the full Gram matrix,
    and the Fortran copy of C-ordered ``X`` counted against the residual mode)."""
    if problem.full_gram or rule in (GS, GSL):
        return True
    design = problem.design
    if precompute is False or design.is_sparse:
        return False
    n, size = problem.n_samples, working_set.size
    missing = problem.gram.missing(working_set)
    residual_cost = _NS_RESIDUAL * epochs_guess * n * size
    if not design.has_columns:
        residual_cost += _NS_FORTRAN_COPY * n * problem.n_features
    gather = _NS_GATHER_F if design.matrix.flags.f_contiguous else _NS_GATHER_C
    gram_cost = (missing * n * (_NS_BLAS * (problem.gram.features.size + missing) + gather)
                 + _NS_GRAM * epochs_guess * size * size)
    return gram_cost < residual_cost


def _inner_residual(problem, state, working_set, tol_in, budget, rule, seed):
    """Residual-mode inner solve, in bounded kernel calls; returns
    ``(epochs, updates, last_change)``."""
    design = problem.design
    size = working_set.size
    memory = ANDERSON_MEMORY + 1
    coef_buffer = np.empty((memory, size))
    residual_buffer = np.empty((memory, problem.n_samples))
    shift_buffer = np.empty(memory)
    stored = np.zeros(1, dtype=np.int64)
    report = np.zeros(2)
    per_call = max(1, int(_WORK_PER_CALL // max(size * problem.n_samples, 1)))
    budget = int(budget)
    epochs = 0
    while epochs < budget:
        epochs += cd_inner_solve(
            *design.kernel_arrays(), design.col_norms_sq, state.coef, state.residual,
            state.shift_box, working_set, problem.l1_scaled, problem.l2_scaled,
            problem.positive, tol_in, min(per_call, budget - epochs), rule, seed + epochs,
            coef_buffer, residual_buffer, shift_buffer, stored, report)
        if report[0]:
            break
    return epochs, epochs * size, report[1]


def _inner_gram(problem, state, working_set, tol_in, budget, rule, seed):
    """Gram-mode inner solve on the cached block, in bounded kernel calls."""
    block = problem.gram.block(working_set)
    if problem.full_gram:
        gradient = -state.correlation[working_set]
    else:  # fresh: screening may have moved coefficients since the check
        gradient = -problem.design.centred_rmatvec_subset(working_set, state.residual,
                                                          state.shift_box[0])
    coef_ws = state.coef[working_set].astype(np.float64)
    start = coef_ws.copy()
    size = working_set.size
    l1 = np.ascontiguousarray(problem.l1_scaled[working_set])
    l2 = np.ascontiguousarray(problem.l2_scaled[working_set])
    target_correlation = np.ascontiguousarray(problem.target_correlation[working_set])
    memory = ANDERSON_MEMORY + 1
    coef_buffer, gradient_buffer = np.empty((memory, size)), np.empty((memory, size))
    stored = np.zeros(1, dtype=np.int64)
    report = np.zeros(2)
    per_call = max(size, int(_WORK_PER_CALL // max(size, 1)))
    limit = int(budget * size)
    updates = 0
    last_change = 0.0
    while updates < limit:
        updates += gram_inner_solve(block, gradient, coef_ws, target_correlation, l1, l2,
                                    problem.positive, tol_in, min(per_call, limit - updates),
                                    rule, seed + updates, _greedy_block(size), coef_buffer,
                                    gradient_buffer, stored, report)
        last_change = report[1]
        if report[0]:
            break
    delta = coef_ws - start
    moved = delta != 0
    if moved.any():
        state.move(working_set[moved], delta[moved])
    return updates / size, updates, last_change, bool(report[0])


def solve_enet(X, y, l1, l2, *, fit_intercept, positive=False, selection="cyclic",
               precompute="auto", screening=True, tol=1e-4, max_iter=1000, coef_init=None,
               sample_weight=None, weights=None, random_state=None, verbose=0, cache=None,
               printer=None, warn=True):
    """:func:`bcd_enet` on already validated input, with ``l1 = alpha rho`` and
    ``l2 = alpha (1 - rho)``. ``cache`` (a dict) keeps the prepared design and
    Gram blocks between calls on the same data, weights and intercept setting,
    and ``printer`` (an :class:`~sparseopt.utils.IterationPrinter`, or any
    callable of the same signature, called at every outer iteration) one
    rate-limited output, for the solves of a regularisation path.
    ``warn=False`` leaves the ConvergenceWarning to the caller (who reads
    ``info["converged"]``)."""
    rule = SELECTION_RULES.index(selection)
    problem = _Problem(X, y, l1, l2, fit_intercept=fit_intercept, positive=positive,
                       precompute=precompute, sample_weight=sample_weight, weights=weights,
                       cache={} if cache is None else cache, greedy=rule in (GS, GSL))
    state = _State(problem, coef_init)
    run = _run(problem, state, rule, precompute, screening, tol, max_iter,
               np.random.default_rng(check_random_state_seed(random_state)),
               printer or IterationPrinter("bcd_enet", verbose), force=printer is None)
    return _report(problem, state, run, max_iter, warn)


def _run(problem, state, rule, precompute, screening, tol, max_iter, seeds, printer, force):
    """The outer loop: check, screen, pick a working set, solve on it."""
    history = ConvergenceHistory("kkt_violation" if problem.unregularised else "duality_gap")
    screened = np.zeros(problem.n_features, dtype=bool)
    epochs = 0.0
    updates = 0
    last_change = 0.0
    epochs_guess = _FIRST_EPOCH_GUESS
    n_outer = 0
    active = None  # the features not screened, once some are: checks on the screened problem
    # (working set, tolerance met on the model or inf, objective before) of
    # the last float32 inner solve
    single = None
    while True:
        check = _Check(problem, state, screened, active)
        criterion, threshold = _criterion(problem, check, tol)
        if single is not None:
            _check_single_precision(problem, check, *single)
            single = None
        largest = float(np.max(np.abs(state.coef), initial=0.0))
        # (float32 coefficients move by a rounding unit at best)
        precise = last_change <= max(tol, _CHANGE_RESOLUTION * np.finfo(problem.dtype).eps) \
            * largest
        converged = criterion <= threshold and precise
        out_of_epochs = epochs >= max_iter
        if active is not None and (converged or out_of_epochs):
            # the screened problem's gap bounds the suboptimality too (screening is
            # safe); the last check is on the whole problem, whose gap is reported
            check = _Check(problem, state, screened)
            criterion, threshold = _criterion(problem, check, tol)
            converged = criterion <= threshold and precise
        history.append(updates, check.primal, criterion)
        printer(n_outer, objective=check.primal, criterion=criterion,
                force=force and (converged or out_of_epochs), epochs=round(epochs, 1),
                screened=int(screened.sum()))
        if converged or out_of_epochs:
            break
        if screening and not problem.unregularised:
            _screen(problem, state, check, screened)
            if screened.any():
                active = np.flatnonzero(~screened)
        support = state.coef != 0
        size = working_set_size(int(support.sum()), problem.n_features, _WORKING_SET_START)
        working_set = select_working_set(check.violations, support, size)
        if working_set.size == 0:
            if criterion <= threshold:  # nothing can move: the change test is moot
                converged = True
            break
        tol_in = _INNER_TOL_RATIO * check.kkt * problem.n_samples
        seed = int(seeds.integers(0, 2**31 - 1))
        # epochs left (a greedy epoch is |ws| updates), at most _INNER_EPOCHS per solve
        budget = min(max_iter - epochs, _INNER_EPOCHS)
        gram = _use_gram(problem, working_set, rule, precompute, epochs_guess)
        if budget * (working_set.size if gram else 1) < 1:  # not one more update / epoch
            break
        if gram:
            float32 = problem.gram.single and not problem.full_gram
            done, moved, last_change, solved = _inner_gram(problem, state, working_set,
                                                           tol_in, budget, rule, seed)
            if float32:
                single = (working_set, tol_in if solved else np.inf, check.primal)
        else:
            done, moved, last_change = _inner_residual(problem, state, working_set, tol_in,
                                                       budget, rule, seed)
        epochs += done
        updates += moved
        epochs_guess = max(done, 1.0)
        n_outer += 1
    return {"check": check, "criterion": criterion, "threshold": threshold,
            "converged": converged, "epochs": epochs, "updates": updates, "n_outer": n_outer,
            "history": history, "screened": screened}


def _check_single_precision(problem, check, working_set, reached, primal):
    """Switch the Gram cache to float64 when the last float32 inner solve's
    KKT violation on the exact gradient is more than rounding allows above
    the one it reached on its model (its tolerance), when it ran out of
    epochs (``reached`` infinite: an ill-conditioned working set, whose
    smallest curvatures float32 does not resolve), or when it increased the
    objective (exact coordinate descent never does)."""
    missed = check.violations[working_set].max(initial=0.0) * problem.n_samples \
        > _SINGLE_SLACK * reached
    if missed or reached == np.inf or check.primal > primal:
        problem.gram.to_double()


def _criterion(problem, check, tol):
    """``(criterion, threshold)`` of the stopping rule at a check (without a
    penalty: the largest gradient entry against its value at zero, also on a
    warm start)."""
    if problem.unregularised:
        at_zero = float(np.max(np.abs(problem.target_correlation), initial=0.0))
        return check.kkt, tol * max(at_zero / problem.n_samples, np.finfo(float).tiny)
    return check.gap, tol * problem.objective_at_zero


def _screen(problem, state, check, screened):
    """Zero the features the Gap Safe rule discards (keeping the state in sync)."""
    newly = gap_safe_screen(check.dual_correlation, state.coef.astype(np.float64),
                            problem.design.col_norms_sq, check.primal, check.residual_norm_sq,
                            check.y_dot_residual, problem.n_samples, problem.l1, problem.l2,
                            problem.positive, problem.weights) & ~screened
    if not newly.any():
        return
    screened |= newly
    check.violations[newly] = 0.0
    nonzero = np.flatnonzero(newly & (state.coef != 0))
    if nonzero.size:
        state.move(nonzero, -state.coef[nonzero].astype(np.float64))


def _report(problem, state, run, max_iter, warn):
    if warn and not run["converged"]:
        warnings.warn(
            f"bcd_enet did not converge in max_iter={max_iter} epochs: "
            f"{run['history'].criterion_name} {run['criterion']:.3e} > "
            f"{run['threshold']:.3e} (or the last epoch still moved a coefficient by more "
            "than tol * max|w|). Increase max_iter or tol.",
            ConvergenceWarning, stacklevel=4)
    coef = state.coef
    if not np.all(np.isfinite(coef)):
        raise ValueError("Coordinate descent produced non-finite coefficients: the data "
                         "contain values too large for float64 arithmetic; rescale X and y.")
    intercept = 0.0
    if problem.design.fit_intercept:
        intercept = problem.y_mean - float(problem.design.offsets @ coef.astype(np.float64))
    check = run["check"]
    info = {
        "n_iter": min(math.ceil(run["epochs"] - 1e-9), max_iter),
        "n_epochs": run["epochs"],
        "n_outer": run["n_outer"],
        "n_updates": run["updates"],
        "dual_gap": float(check.gap),
        "kkt_violation": check.kkt,
        "n_screened": int(run["screened"].sum()),
        "converged": run["converged"],
        "history": run["history"],
    }
    return coef, intercept, info


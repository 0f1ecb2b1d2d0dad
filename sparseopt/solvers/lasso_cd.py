"""Coordinate descent for the Lasso with working sets and Anderson extrapolation.

Solves

    min_w  1/(2n) ||y_c - X_c w||_2^2 + alpha ||w||_1

where ``X_c, y_c`` are centred when an intercept is fitted (implicitly, see
:mod:`sparseopt.solvers._columns`). The outer loop (Python) computes the full
gradient, the duality gap and the working set; the inner loop (numba) runs
coordinate descent restricted to the working set with one of four
coordinate-selection rules:

- ``"cyclic"``: index order, with Anderson extrapolation of the iterates;
- ``"random"``: uniform sampling with replacement;
- ``"gs"``: Gauss-Southwell (GS-s): the coordinate with the largest
  distance of the negative gradient to the subdifferential of the penalty;
- ``"gsl"``: Gauss-Southwell-Lipschitz: the coordinate whose exact
  coordinate minimisation decreases the objective most, i.e. the GS-q rule
  with the coordinate Lipschitz constants ``L_j = ||X_c[:, j]||^2 / n``
  (Nutini et al., 2015 and 2022).

The greedy rules keep the gradient of the working set up to date through its
Gram matrix, so that each update costs O(|working set|) instead of O(n p).

Inside the kernels every quantity is multiplied by ``n``: the objective is
``1/2 ||r||^2 + n alpha ||w||_1`` and the gradient ``-X_c^T r``.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from numba import njit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_consistent_length

from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.thresholds import soft_threshold_scalar
from sparseopt.solvers._columns import column_axpy, column_dot
from sparseopt.utils.validation import check_integer, check_random_state_seed, check_scalar

__all__ = ["bcd_lasso", "solve_lasso", "lasso_dual_gap", "SELECTION_RULES"]

SELECTION_RULES = ("cyclic", "random", "gs", "gsl")
_CYCLIC, _RANDOM, _GS, _GSL = range(4)
_ANDERSON_MEMORY = 5
_WORKING_SET_START = 10
_INNER_TOL_RATIO = 0.3


@njit(cache=True, nogil=True)
def _subdiff_distance(gradient, weight, penalty):
    """Distance of ``-gradient`` to ``penalty * d|weight|`` (KKT violation)."""
    if weight > 0:
        return abs(gradient + penalty)
    if weight < 0:
        return abs(gradient - penalty)
    return max(abs(gradient) - penalty, 0.0)


@njit(cache=True, nogil=True)
def _primal_scaled(residual, shift, n_samples, coef, working_set, penalty, l1_rest):
    """``1/2 ||r||^2 + penalty ||w||_1`` with the l1 norm off the working set given."""
    squared = 0.0
    for i in range(residual.shape[0]):
        squared += residual[i] * residual[i]
    squared -= n_samples * shift * shift
    l1 = l1_rest
    for j in working_set:
        l1 += abs(coef[j])
    return 0.5 * squared + penalty * l1


@njit(cache=True, nogil=True)
def _anderson_weights(iterates):
    """Anderson mixing weights from ``K + 1`` stored iterates (rows).

    Returns an empty array when the small system is singular.
    """
    n_diffs = iterates.shape[0] - 1
    differences = iterates[1:] - iterates[:-1]
    gram = differences @ differences.T
    scale = np.trace(gram)
    if scale == 0.0:
        return np.empty(0)
    for k in range(n_diffs):
        gram[k, k] += 1e-10 * scale
    try:
        solution = np.linalg.solve(gram, np.ones(n_diffs))
    except Exception:  # singular system: skip this extrapolation
        return np.empty(0)
    total = solution.sum()
    if total == 0.0 or not np.isfinite(total):
        return np.empty(0)
    return solution / total


@njit(cache=True, nogil=True)
def _working_set_violation(dense, data, indices, indptr, is_sparse, offsets, col_norms_sq,
                           coef, residual, shift, working_set, penalty):
    """Largest KKT violation over the working set at the current point."""
    n_samples = residual.shape[0]
    violation = 0.0
    for j in working_set:
        if col_norms_sq[j] == 0.0:
            continue
        gradient = -(
            column_dot(dense, data, indices, indptr, is_sparse, j, residual)
            + n_samples * offsets[j] * shift
        )
        violation = max(violation, _subdiff_distance(gradient, coef[j], penalty))
    return violation


@njit(cache=True, nogil=True)
def cd_inner_solve(dense, data, indices, indptr, is_sparse, offsets, col_norms_sq,
                   coef, residual, shift_box, working_set, penalty, tol_in,
                   max_epochs, selection, seed, l1_rest):
    """Cyclic or random coordinate descent on a working set (jitted).

    Updates ``coef``, ``residual`` (``y_c - X w``) and ``shift_box[0]``
    (``offsets . w``) in place. The stopping measure is the largest KKT
    violation met during an epoch. Returns the number of epochs run.
    """
    n_samples = residual.shape[0]
    size = working_set.shape[0]
    if selection == _RANDOM:
        np.random.seed(seed)
    use_anderson = selection == _CYCLIC
    memory = _ANDERSON_MEMORY + 1
    coef_buffer = np.empty((memory, size))
    residual_buffer = np.empty((memory, n_samples))
    shift_buffer = np.empty(memory)
    stored = 0
    shift = shift_box[0]
    n_epochs = 0
    for epoch in range(max_epochs):
        n_epochs = epoch + 1
        violation = 0.0
        for step in range(size):
            if selection == _RANDOM:
                j = working_set[np.random.randint(0, size)]
            else:
                j = working_set[step]
            lipschitz = col_norms_sq[j]
            if lipschitz == 0.0:
                continue
            gradient = -(
                column_dot(dense, data, indices, indptr, is_sparse, j, residual)
                + n_samples * offsets[j] * shift
            )
            old = coef[j]
            violation = max(violation, _subdiff_distance(gradient, old, penalty))
            new = soft_threshold_scalar(old - gradient / lipschitz, penalty / lipschitz)
            if new != old:
                delta = new - old
                column_axpy(dense, data, indices, indptr, is_sparse, j, -delta, residual)
                shift += delta * offsets[j]
                coef[j] = new
        if violation <= tol_in and selection == _RANDOM:
            # Sampling with replacement skips about a third of the working set
            # per epoch: confirm on all of it before stopping.
            violation = _working_set_violation(dense, data, indices, indptr, is_sparse,
                                               offsets, col_norms_sq, coef, residual,
                                               shift, working_set, penalty)
        if violation <= tol_in:
            break
        if use_anderson:
            for k in range(size):
                coef_buffer[stored, k] = coef[working_set[k]]
            residual_buffer[stored] = residual
            shift_buffer[stored] = shift
            stored += 1
            if stored == memory:
                stored = 0
                weights = _anderson_weights(coef_buffer)
                if weights.shape[0] > 0:
                    coef_ws = weights @ coef_buffer[1:]
                    residual_acc = weights @ residual_buffer[1:]
                    shift_acc = weights @ shift_buffer[1:]
                    current = _primal_scaled(residual, shift, n_samples, coef,
                                             working_set, penalty, l1_rest)
                    saved = coef[working_set].copy()
                    coef[working_set] = coef_ws
                    extrapolated = _primal_scaled(residual_acc, shift_acc, n_samples,
                                                  coef, working_set, penalty, l1_rest)
                    if extrapolated < current:
                        residual[:] = residual_acc
                        shift = shift_acc
                    else:
                        coef[working_set] = saved
    shift_box[0] = shift
    return n_epochs


@njit(cache=True, nogil=True)
def greedy_inner_solve(gram, gradient, coef_ws, penalty, tol_in, max_updates, selection):
    """Greedy (GS or GSL) coordinate descent on a working set (jitted).

    ``gram`` is the working set's Gram matrix ``X_ws^T X_ws`` (centred),
    ``gradient`` is ``-X_ws^T r``; both ``gradient`` and ``coef_ws`` are
    updated in place. Returns the number of coordinate updates.
    """
    size = coef_ws.shape[0]
    for update in range(max_updates):
        best = -1
        best_score = 0.0
        violation = 0.0
        for k in range(size):
            lipschitz = gram[k, k]
            if lipschitz == 0.0:
                continue
            distance = _subdiff_distance(gradient[k], coef_ws[k], penalty)
            violation = max(violation, distance)
            if selection == _GS:
                score = distance
            else:  # GS-q with L_k: decrease of the exact coordinate minimisation
                old = coef_ws[k]
                new = soft_threshold_scalar(old - gradient[k] / lipschitz, penalty / lipschitz)
                delta = new - old
                score = -(gradient[k] * delta + 0.5 * lipschitz * delta * delta
                          + penalty * (abs(new) - abs(old)))
            if score > best_score:
                best_score = score
                best = k
        if violation <= tol_in or best < 0:
            return update
        lipschitz = gram[best, best]
        old = coef_ws[best]
        new = soft_threshold_scalar(old - gradient[best] / lipschitz, penalty / lipschitz)
        delta = new - old
        if delta != 0.0:
            coef_ws[best] = new
            for k in range(size):
                gradient[k] += delta * gram[k, best]
    return max_updates


class _Design:
    """A centred design matrix for the Lasso kernels (dense or CSC).

    Holds the arrays the kernels need and the full-dimension products of the
    outer loop. Centering is implicit (see :mod:`sparseopt.solvers._columns`).
    """

    def __init__(self, X, fit_intercept):
        self.n_samples, self.n_features = X.shape
        self.is_sparse = sp.issparse(X)
        dtype = X.dtype
        if self.is_sparse:
            X = sp.csc_matrix(X)
            X.sort_indices()
            self.matrix = X
            self.dense = np.empty((0, 0), dtype=dtype, order="F")
            self.data = X.data
            self.indices = X.indices.astype(np.int64)
            self.indptr = X.indptr.astype(np.int64)
            squared_norms = np.asarray(X.multiply(X).sum(axis=0), dtype=np.float64).ravel()
            means = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        else:
            self.matrix = np.asfortranarray(X)
            self.dense = self.matrix
            self.data = np.empty(0, dtype=dtype)
            self.indices = np.empty(0, dtype=np.int64)
            self.indptr = np.empty(0, dtype=np.int64)
            squared_norms = np.einsum("ij,ij->j", X, X, dtype=np.float64)
            means = X.mean(axis=0, dtype=np.float64)
        self.offsets = means if fit_intercept else np.zeros(self.n_features)
        centred = squared_norms - self.n_samples * self.offsets**2
        # A column that is constant (zero once centred) carries no information.
        centred[centred <= 1e-13 * np.maximum(squared_norms, np.finfo(float).tiny)] = 0.0
        self.col_norms_sq = centred
        self.offsets = self.offsets.astype(dtype)

    def kernel_arrays(self):
        return (self.dense, self.data, self.indices, self.indptr, self.is_sparse,
                self.offsets)

    def matvec(self, coef):
        """``X w`` (uncentred)."""
        return np.asarray(self.matrix @ coef).ravel()

    def matvec_subset(self, columns, values):
        """``X[:, columns] @ values`` (uncentred)."""
        return np.asarray(self.matrix[:, columns] @ values).ravel()

    def centred_rmatvec(self, residual, shift):
        """``X_c^T r`` for ``r = residual + shift`` (float64)."""
        product = np.asarray(self.matrix.T @ residual, dtype=np.float64).ravel()
        return product + self.n_samples * shift * self.offsets

    def centred_gram(self, working_set):
        """``X_c[:, ws]^T X_c[:, ws]`` (float64)."""
        columns = self.matrix[:, working_set]
        gram = columns.T @ columns
        gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
        offsets = self.offsets[working_set].astype(np.float64)
        return np.asarray(gram, dtype=np.float64) - self.n_samples * np.outer(offsets, offsets)


def lasso_dual_gap(residual_norm_sq, y_dot_residual, y_norm_sq, gradient_inf, coef_l1,
                   n_samples, alpha):
    r"""Duality gap of the Lasso at a primal point and its rescaled residual.

    With :math:`r = y - Xw` and the dual point
    :math:`\theta = r / \max(n\alpha, \|X^\top r\|_\infty)`,

    .. math:: P(w) = \frac{\|r\|^2}{2n} + \alpha\|w\|_1, \qquad
              D(\theta) = \frac{\|y\|^2 - \|y - n\alpha\theta\|^2}{2n}.

    Parameters
    ----------
    residual_norm_sq : float
        :math:`\|r\|^2`.
    y_dot_residual : float
        :math:`y^\top r`.
    y_norm_sq : float
        :math:`\|y\|^2`.
    gradient_inf : float
        :math:`\|X^\top r\|_\infty`.
    coef_l1 : float
        :math:`\|w\|_1`.
    n_samples : int
        :math:`n`.
    alpha : float
        Regularisation :math:`\alpha`.

    Returns
    -------
    primal : float
        :math:`P(w)`.
    gap : float
        :math:`P(w) - D(\theta) \ge 0`.
    """
    primal = residual_norm_sq / (2 * n_samples) + alpha * coef_l1
    scale = n_samples * alpha / max(n_samples * alpha, gradient_inf)
    dual = (2 * scale * y_dot_residual - scale**2 * residual_norm_sq) / (2 * n_samples)
    dual = min(dual, 0.5 * y_norm_sq / n_samples)
    return primal, max(primal - dual, 0.0)


def bcd_lasso(X, y, alpha, *, fit_intercept=False, selection="cyclic", tol=1e-4,
              max_iter=100, max_epochs=50_000, coef_init=None, random_state=None,
              verbose=0, printer=None):
    r"""Lasso by working-set coordinate descent (function form of :class:`~sparseopt.bcd.Lasso`).

    Minimises

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\|w\|_1

    over :math:`w` (and the unpenalised intercept :math:`b` if
    ``fit_intercept``). Stops when the duality gap is at most
    ``tol * P(0)``, where :math:`P(0) = \|y - \bar y\|^2 / (2n)` is the
    objective at zero; the gap uses the rescaled-residual dual point.

    Neither ``X``, ``y`` nor ``coef_init`` is modified.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design matrix (Fortran order and CSC avoid a copy).
    y : ndarray of shape (n_samples,)
        Target.
    alpha : float
        Regularisation strength, ``alpha >= 0``.
    fit_intercept : bool, default=False
        Fit an unpenalised intercept (by implicit centering; sparse ``X`` is
        never densified).
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate-selection rule inside each working set.
    tol : float, default=1e-4
        Relative duality-gap tolerance.
    max_iter : int, default=100
        Maximum number of outer (working-set) iterations.
    max_epochs : int, default=50000
        Maximum number of epochs (passes over the working set) per inner solve.
    coef_init : ndarray of shape (n_features,), optional
        Warm start; not modified.
    random_state : int, RandomState instance or None, default=None
        Seeds the ``"random"`` rule.
    verbose : int, default=0
        Print the gap at each outer iteration if positive.
    printer : callable, optional
        Where verbose lines go (default :func:`print`).

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Solution.
    intercept : float
        Intercept (0.0 if not fitted).
    info : dict
        ``n_iter`` (outer iterations), ``n_epochs`` (total inner epochs or
        greedy updates divided by the working-set size), ``dual_gap``
        (absolute, in objective units), ``kkt_violation`` (largest
        :math:`\operatorname{dist}(X_c^\top r / n, \alpha\partial\|w\|_1)`),
        ``converged`` and ``history`` (a :class:`~sparseopt.core.ConvergenceHistory`).

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
    .. [2] M. Massias, A. Gramfort, J. Salmon. "Celer: a fast solver for the
       Lasso with dual extrapolation", ICML 2018.
    """
    X = check_array(X, accept_sparse="csc", dtype=[np.float64, np.float32], order="F",
                    input_name="X")
    y = check_array(y, ensure_2d=False, dtype=X.dtype, input_name="y")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}.")
    check_consistent_length(X, y)
    alpha = check_scalar(alpha, "alpha", lower=0.0)
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    max_epochs = check_integer(max_epochs, "max_epochs", lower=1)
    if coef_init is not None:
        coef_init = check_array(coef_init, ensure_2d=False, dtype=X.dtype, input_name="coef_init")
        if coef_init.shape != (X.shape[1],):
            raise ValueError(
                f"coef_init must have shape ({X.shape[1]},), got {coef_init.shape}."
            )
    return solve_lasso(X, y, alpha, fit_intercept=fit_intercept, selection=selection, tol=tol,
                       max_iter=max_iter, max_epochs=max_epochs, coef_init=coef_init,
                       random_state=random_state, verbose=verbose, printer=printer)


def solve_lasso(X, y, alpha, *, fit_intercept, selection, tol, max_iter, max_epochs,
                coef_init, random_state, verbose, printer=None):
    """:func:`bcd_lasso` without input validation (for already validated input)."""
    if selection not in SELECTION_RULES:
        raise ValueError(f"selection must be one of {SELECTION_RULES}, got {selection!r}.")
    rule = SELECTION_RULES.index(selection)
    printer = print if printer is None else printer
    design = _Design(X, fit_intercept)
    n_samples, n_features = design.n_samples, design.n_features
    dtype = X.dtype
    y = np.asarray(y, dtype=dtype)
    y_mean = float(y.mean(dtype=np.float64)) if fit_intercept else 0.0
    target = (y - y_mean).astype(dtype) if fit_intercept else y
    y_norm_sq = float(np.dot(target, target))
    objective_at_zero = 0.5 * y_norm_sq / n_samples

    coef = np.zeros(n_features, dtype=dtype) if coef_init is None else np.array(
        coef_init, dtype=dtype, copy=True
    )
    residual = target - design.matvec(coef).astype(dtype)
    shift_box = np.array([float(np.dot(design.offsets, coef))])
    penalty = n_samples * alpha
    seeds = np.random.default_rng(check_random_state_seed(random_state))

    history = ConvergenceHistory("duality_gap")
    working_set_size = 0
    n_epochs_total = 0.0
    converged = False
    gap = kkt = np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        shift = shift_box[0]
        gradient = design.centred_rmatvec(residual, shift)  # = -n * grad f = X_c^T r
        residual_norm_sq = float(np.dot(residual, residual)) - n_samples * shift**2
        primal, gap = lasso_dual_gap(
            residual_norm_sq, float(np.dot(target, residual)), y_norm_sq,
            float(np.max(np.abs(gradient))), float(np.abs(coef).sum()), n_samples, alpha,
        )
        violations = _kkt_violations(gradient / n_samples, coef, alpha)
        kkt = float(violations.max())
        history.append(n_iter - 1, primal, gap)
        if verbose:
            printer(f"[bcd_lasso] iter {n_iter - 1:4d}  objective {primal:.10e}  "
                    f"gap {gap:.3e}  kkt {kkt:.3e}  ws {working_set_size}")
        if gap <= tol * objective_at_zero:
            converged = True
            break
        if n_iter == max_iter:
            break

        support = coef != 0
        working_set_size = max(
            min(_WORKING_SET_START, n_features),
            min(2 * int(support.sum()), n_features),
        )
        working_set = _select_working_set(violations, support, working_set_size)
        if working_set.size == 0:
            break
        tol_in = _INNER_TOL_RATIO * kkt * n_samples
        l1_rest = float(np.abs(coef).sum() - np.abs(coef[working_set]).sum())
        if rule in (_GS, _GSL):
            gram = design.centred_gram(working_set)
            gradient_ws = -gradient[working_set]
            coef_ws = coef[working_set].astype(np.float64)
            n_updates = greedy_inner_solve(
                gram, gradient_ws, coef_ws, penalty, tol_in,
                max_epochs * working_set_size, rule,
            )
            n_epochs_total += n_updates / working_set_size
            delta = coef_ws.astype(dtype) - coef[working_set]
            coef[working_set] = coef_ws
            changed = working_set[delta != 0]
            if changed.size:
                residual -= design.matvec_subset(changed, delta[delta != 0]).astype(dtype)
                shift_box[0] += float(np.dot(design.offsets[changed], delta[delta != 0]))
        else:
            n_epochs_total += cd_inner_solve(
                *design.kernel_arrays(), design.col_norms_sq, coef, residual,
                shift_box, working_set, penalty, tol_in, max_epochs, rule,
                int(seeds.integers(0, 2**31 - 1)), l1_rest,
            )
    if not converged:
        warnings.warn(
            f"bcd_lasso did not converge in max_iter={max_iter} outer iterations: "
            f"duality gap {gap:.3e} > tol * P(0) = {tol * objective_at_zero:.3e}. "
            "Increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    intercept = y_mean - float(np.dot(design.offsets, coef)) if fit_intercept else 0.0
    info = {
        "n_iter": n_iter,
        "n_epochs": n_epochs_total,
        "dual_gap": float(gap),
        "kkt_violation": float(kkt),
        "converged": converged,
        "history": history,
    }
    return coef, intercept, info


def _select_working_set(violations, support, size):
    """The support plus the largest KKT violations, at most ``size`` features, sorted.

    Only features that violate the optimality conditions or are non-zero are
    candidates (selection among them is O(p)).
    """
    candidates = np.flatnonzero(support | (violations > 0))
    if candidates.size > size:
        scores = np.where(support[candidates], np.inf, violations[candidates])
        candidates = np.sort(candidates[np.argpartition(scores, -size)[-size:]])
    return candidates


def _kkt_violations(gradient_scaled, coef, alpha):
    """Per-coordinate distance of ``X_c^T r / n`` to ``alpha * d||w||_1``."""
    signs = np.sign(coef)
    return np.where(
        coef != 0,
        np.abs(gradient_scaled - alpha * signs),
        np.maximum(np.abs(gradient_scaled) - alpha, 0.0),
    )

"""Working-set proximal Newton for penalised multinomial logistic regression.

Minimises

    sum_i c_i (logsumexp(x_i^T W + b) - x_i^T w_{y_i} - b_{y_i})
        + sum_j omega_j (l1 ||W_j||_1 + l2/2 ||W_j||^2)

(``c_i = s_i / n``). An outer loop checks the Fenchel duality gap and picks a
working set of features (the support and the largest KKT violations, twice
the support); on it, each proximal Newton step minimises the quadratic model
with the exact Hessian by cyclic block coordinate descent, a block being the
``K`` class coefficients of a feature with its exact ``K x K`` block Hessian
(the intercepts, unpenalised, are one more block), in the space of the
linear predictor (the full Hessian is never formed: a block's model gradient
costs ``O(nnz(x_j) K)``). A backtracking line search on the objective
follows; it keeps the exponentials of its last trial, so that an accepted
step updates the class probabilities without computing them again. This is
the default configuration of :class:`~sparseopt.bcd.MultinomialLogisticRegression`
(cyclic blocks of one feature, Newton updates) compiled in numba.
"""

import warnings

import numpy as np
from numba import njit
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.thresholds import elastic_net_change_scalar, soft_threshold_scalar
from sparseopt.solvers.glm.classification_gap import multinomial_dual_gap
from sparseopt.solvers.glm.designs import centred_dense_columns, kernel_design
from sparseopt.solvers.glm.enet_kernels import subdiff_distance
from sparseopt.solvers.glm.logistic_kernels import (
    _ARMIJO,
    _CURVATURE_FLOOR,
    _MAX_MODEL_EPOCHS,
    _RESOLUTION,
)
from sparseopt.solvers.glm.unpenalised import SoftmaxUnpenalisedBlock
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size
from sparseopt.utils.progress import IterationPrinter

__all__ = ["solve_multinomial"]

_MODEL_SWEEPS = 20  # coordinate-descent sweeps of a block's K x K model at most
_INNER_TOL_RATIO = 0.3
_WORKING_SET_START = 10
_NEWTON_PER_CALL = 10  # Newton steps per outer iteration at most
# entries of the unpenalised rows' least squares (n K^2 m) at most: past them
# those rows keep the gradient criterion, as the block engine does (a review
# measured a 419 MB peak at 24 million entries, with the solver's copy)
_BLOCK_ENTRIES = 12_000_000


@njit(cache=True, nogil=True, inline="always")
def _trial_row(Z, i, shift, trial_exp, label):
    """Loss of row ``i`` at the predictor ``Z[i] + shift`` (``lse - z_y``);
    ``trial_exp[i]`` receives ``exp(z_k + shift_k - top)`` and the return is
    ``(loss, top, sum of those exponentials)``."""
    n_classes = Z.shape[1]
    top = Z[i, 0] + shift[0]
    for k in range(1, n_classes):
        top = max(top, Z[i, k] + shift[k])
    total = 0.0
    for k in range(n_classes):
        value = np.exp(Z[i, k] + shift[k] - top)
        trial_exp[i, k] = value
        total += value
    return top + np.log(total) - Z[i, label] - shift[label], top, total


@njit(cache=True, nogil=True)
def _best_common_shift(row, l1, l2, kinks):
    """The shift ``c`` minimising ``sum_k l1 |row_k + c| + l2/2 (row_k + c)^2``
    (with ``l2 = 0``, the one closest to 0); ``kinks`` is scratch of the
    row's size. Adding ``c`` to all of a feature's class coefficients leaves
    every probability unchanged and the block Hessian is singular along it,
    so coordinate descent alone hardly moves a row that way (it stalled where
    the optimal row has a zero and the l1 term decreases along the shift).
    The derivative ``l1 sum_k sign(row_k + c) + l2 sum_k (row_k + c)`` is
    non-decreasing: its zero is on a piece between two kinks or at a kink."""
    n_classes = row.shape[0]
    for k in range(n_classes):  # the kinks -row_k, sorted (insertion: K is small)
        value = -row[k]
        position = k
        while position > 0 and kinks[position - 1] > value:
            kinks[position] = kinks[position - 1]
            position -= 1
        kinks[position] = value
    half = n_classes // 2
    if l2 == 0.0:  # a median: the middle kink, or the point of the middle piece nearest 0
        if n_classes % 2:
            return kinks[half]
        return min(max(0.0, kinks[half - 1]), kinks[half])
    total = row.sum()
    for m in range(n_classes + 1):  # the piece with m kinks below c
        low = kinks[m - 1] if m > 0 else -np.inf
        high = kinks[m] if m < n_classes else np.inf
        slope_sign = l1 * (2 * m - n_classes)
        c = -(slope_sign + l2 * total) / (l2 * n_classes)
        if low <= c <= high:
            return c
        if m < n_classes:  # the kink at high: is 0 in the subdifferential?
            at_kink = l2 * (total + n_classes * high)
            if slope_sign + at_kink <= 0.0 <= slope_sign + 2.0 * l1 + at_kink:
                return high
    return 0.0


@njit(cache=True, nogil=True)
def multinomial_newton_inner(dense, data, indices, indptr, is_sparse, labels, sample_scale, Z,
                             P, log_norm, W, fit_intercept, working_set, l1, l2, tol_in,
                             max_newton, max_passes, report):
    """Proximal Newton steps on a working set of features (jitted).

    ``Z`` (n, K) predictor, ``P`` (n, K) probabilities, ``log_norm`` (n,) the
    rows' log-partition ``lse(Z[i])`` and ``W`` (p [+1], K) coefficients (the
    last row the intercepts) are updated in place; ``sample_scale`` is
    ``c_i = s_i / n`` and ``l1``, ``l2`` per-feature strengths. Runs at most
    ``max_newton`` steps and ``max_passes`` passes over the working set's
    columns (one per gradient and Hessian evaluation, one per
    coordinate-descent pass on the model) and returns the passes made;
    ``report`` receives ``[converged, Newton steps, accepted steps]``
    (``converged`` is -1 when a gradient or curvature overflows).
    """
    n_samples, n_classes = Z.shape
    size = working_set.shape[0]
    n_blocks = size + (1 if fit_intercept else 0)
    intercept_row = W.shape[0] - 1
    all_rows = np.arange(n_samples).astype(indices.dtype)
    ones = np.ones(n_samples)
    gradient = np.empty((n_blocks, n_classes))
    hessian = np.empty((n_blocks, n_classes, n_classes))
    delta = np.empty((n_blocks, n_classes))
    dZ = np.empty((n_samples, n_classes))
    partial = np.empty(n_classes)
    change = np.empty(n_classes)
    shift = np.empty(n_classes)
    row = np.empty(n_classes)
    kinks = np.empty(n_classes)
    trial_exp = np.empty((n_samples, n_classes))
    trial_top = np.empty(n_samples)
    trial_sum = np.empty(n_samples)
    moved_row = np.empty(n_samples, dtype=np.bool_)
    passes = 0
    report[0] = 0.0
    report[1] = 0.0
    report[2] = 0.0
    for newton in range(max_newton):
        report[1] = newton
        if passes + 2 > max_passes:  # a gradient and one model pass at least
            return passes
        passes += 1
        violation = 0.0
        for b in range(n_blocks):  # gradients and block Hessians (upper, then mirrored)
            j = working_set[b] if b < size else intercept_row
            if b == size:
                rows, values = all_rows, ones
            elif is_sparse:
                rows, values = indices[indptr[j]:indptr[j + 1]], data[indptr[j]:indptr[j + 1]]
            else:
                rows, values = all_rows, dense[:, j]
            block_l1, block_l2 = (l1[j], l2[j]) if b < size else (0.0, 0.0)
            gradient[b] = 0.0
            hessian[b] = 0.0
            bound = 0.0
            for position in range(rows.shape[0]):
                i = rows[position]
                x = values[position] * sample_scale[i]
                if x == 0.0:
                    continue
                xx = x * values[position]
                bound += xx
                for k in range(n_classes):
                    p = P[i, k]
                    gradient[b, k] += x * (p - (1.0 if labels[i] == k else 0.0))
                    weighted = xx * p
                    hessian[b, k, k] += weighted
                    for m in range(k, n_classes):
                        hessian[b, k, m] -= weighted * P[i, m]
            floor = _CURVATURE_FLOOR * 0.25 * bound
            for k in range(n_classes):
                for m in range(k):
                    hessian[b, k, m] = hessian[b, m, k]
                hessian[b, k, k] = max(hessian[b, k, k], floor)
                if not (np.isfinite(gradient[b, k]) and np.isfinite(hessian[b, k, k])):
                    report[0] = -1.0  # X overflows float64 (the driver raises)
                    return passes
                violation = max(violation, subdiff_distance(gradient[b, k], W[j, k], block_l1,
                                                            block_l2, False))
        if violation <= tol_in:
            report[0] = 1.0
            return passes
        # the model, by cyclic block coordinate descent on the changes delta
        delta[:, :] = 0.0
        dZ[:, :] = 0.0
        for _ in range(min(_MAX_MODEL_EPOCHS, max_passes - passes)):
            passes += 1
            largest = 0.0
            for b in range(n_blocks):
                j = working_set[b] if b < size else intercept_row
                if b == size:
                    rows, values = all_rows, ones
                elif is_sparse:
                    rows = indices[indptr[j]:indptr[j + 1]]
                    values = data[indptr[j]:indptr[j + 1]]
                else:
                    rows, values = all_rows, dense[:, j]
                block_l1, block_l2 = (l1[j], l2[j]) if b < size else (0.0, 0.0)
                for k in range(n_classes):  # the model's gradient at the block
                    partial[k] = gradient[b, k]
                for position in range(rows.shape[0]):
                    i = rows[position]
                    x = values[position] * sample_scale[i]
                    if x == 0.0:
                        continue
                    along = 0.0
                    for k in range(n_classes):
                        along += P[i, k] * dZ[i, k]
                    for k in range(n_classes):
                        partial[k] += x * P[i, k] * (dZ[i, k] - along)
                change[:] = 0.0
                for _ in range(_MODEL_SWEEPS):  # the block's K-dimensional model
                    moved = 0.0
                    for k in range(n_classes):
                        curvature = hessian[b, k, k]
                        if curvature <= 0.0:
                            continue
                        local = partial[k]
                        for m in range(n_classes):
                            local += hessian[b, k, m] * change[m]
                        current = W[j, k] + delta[b, k] + change[k]
                        new = soft_threshold_scalar(curvature * current - local, block_l1) / (
                            curvature + block_l2)
                        step = new - current
                        change[k] += step
                        moved = max(moved, abs(step) * np.sqrt(curvature))
                    if moved <= 0.01 * tol_in:  # (the passes stop at 0.1 tol_in)
                        break
                if block_l1 > 0.0:  # along the common shift only the penalty changes
                    for k in range(n_classes):
                        row[k] = W[j, k] + delta[b, k] + change[k]
                    common = _best_common_shift(row, block_l1, block_l2, kinks)
                    for k in range(n_classes):
                        change[k] += common
                nonzero = False
                for k in range(n_classes):
                    if change[k] != 0.0:
                        nonzero = True
                        delta[b, k] += change[k]
                        largest = max(largest, abs(change[k]) * np.sqrt(hessian[b, k, k]))
                if nonzero:
                    for position in range(rows.shape[0]):
                        i = rows[position]
                        x = values[position]
                        for k in range(n_classes):
                            dZ[i, k] += x * change[k]
            if largest <= 0.1 * tol_in:
                break
        predicted = 0.0
        for b in range(n_blocks):
            j = working_set[b] if b < size else intercept_row
            block_l1, block_l2 = (l1[j], l2[j]) if b < size else (0.0, 0.0)
            for k in range(n_classes):
                predicted += elastic_net_change_scalar(gradient[b, k], W[j, k], delta[b, k],
                                                       block_l1, block_l2)
        if predicted >= 0.0:
            report[0] = 1.0  # no descent direction left at this precision
            report[1] = newton + 1
            return passes
        for i in range(n_samples):
            moved_row[i] = False
            for k in range(n_classes):
                if dZ[i, k] != 0.0:
                    moved_row[i] = True
        step = _line_search(Z, log_norm, dZ, moved_row, labels, sample_scale, W, working_set,
                            delta, fit_intercept, l1, l2, predicted, shift, trial_exp,
                            trial_top, trial_sum)
        if step == 0.0:
            report[0] = 1.0
            report[1] = newton + 1
            return passes
        for b in range(n_blocks):
            j = working_set[b] if b < size else intercept_row
            for k in range(n_classes):
                W[j, k] += step * delta[b, k]
        for i in range(n_samples):  # the last trial's exponentials
            if moved_row[i]:
                total = trial_sum[i]
                for k in range(n_classes):
                    Z[i, k] += step * dZ[i, k]
                    P[i, k] = trial_exp[i, k] / total
                log_norm[i] = trial_top[i] + np.log(total)
        report[2] += 1.0
    report[1] = max_newton
    return passes


@njit(cache=True, nogil=True)
def _line_search(Z, log_norm, dZ, moved_row, labels, sample_scale, W, working_set, delta,
                 fit_intercept, l1, l2, predicted, shift, trial_exp, trial_top, trial_sum):
    """Backtracking (Armijo) step along ``delta``; 0.0 when none is accepted.
    The exponentials of the last trial stay in ``trial_exp``, ``trial_top``
    and ``trial_sum`` (rows where the predictor moves)."""
    n_samples, n_classes = Z.shape
    size = working_set.shape[0]
    below_rounding = -predicted <= _RESOLUTION * np.max(sample_scale) * n_samples
    step = 1.0
    for _ in range(30):
        change = 0.0
        for i in range(n_samples):
            if moved_row[i]:
                for k in range(n_classes):
                    shift[k] = step * dZ[i, k]
                after, trial_top[i], trial_sum[i] = _trial_row(Z, i, shift, trial_exp,
                                                               labels[i])
                change += sample_scale[i] * (after - (log_norm[i] - Z[i, labels[i]]))
        for b in range(size):
            j = working_set[b]
            for k in range(n_classes):
                change += elastic_net_change_scalar(0.0, W[j, k], step * delta[b, k], l1[j],
                                                    l2[j])
        if below_rounding or change <= _ARMIJO * step * predicted:
            return step
        step *= 0.5
    return 0.0


def solve_multinomial(X, labels, n_classes, l1, l2, *, fit_intercept=True, tol=1e-4,
                      max_iter=1000, coef_init=None, sample_weight=None, weights=None,
                      verbose=0, printer=None, warn=True):
    r"""Penalised multinomial logistic regression by working-set proximal Newton.

    Inputs must be validated: ``X`` float64 (dense or sparse; not modified),
    ``labels`` integers in ``[0, n_classes)``. Minimises
    :math:`\sum_i c_i (\mathrm{lse}(z_i) - z_{i y_i}) + \sum_j \omega_j
    (\lambda_1\|W_j\|_1 + \frac{\lambda_2}{2}\|W_j\|^2)` with
    :math:`c_i = s_i / n`. Stops when the Fenchel duality gap is at most
    ``tol * log(K)`` (the objective at zero), at a dual point made feasible
    for the unpenalised rows (intercepts, features of zero penalty factor) by
    their Newton step (:class:`~sparseopt.solvers.glm.unpenalised.SoftmaxUnpenalisedBlock`),
    computed once the uncorrected gap and the unpenalised rows' gradient
    (at most ``tol`` times the largest gradient entry at the start) are met
    (those two alone when that least squares would exceed 12 million
    entries, ``n_samples * K**2 * (unpenalised rows)``, about 200 MB).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design.
    labels : ndarray of int of shape (n_samples,)
        Class indices.
    n_classes : int
        Number of classes ``K``.
    l1, l2 : float
        Penalty strengths.
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    tol : float, default=1e-4
        Relative tolerance.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the working set's columns: one per
        gradient evaluation and one per coordinate-descent pass on a Newton
        model).
    coef_init : ndarray of shape (n_features [+1], n_classes), optional
        Warm start (copied); the last row holds the intercepts if fitted.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative sample weights (rescaled to sum to ``n_samples``).
    weights : ndarray of shape (n_features,), optional
        Per-feature penalty factors (default ones).
    verbose : int, default=0
        Verbosity of the :class:`~sparseopt.utils.IterationPrinter`.
    printer : callable, optional
        Replaces that printer (called at every outer iteration), e.g. one printer for
        the solves of a path.
    warn : bool, default=True
        Raise the ConvergenceWarning (``False``: the caller reads
        ``info["converged"]``).

    Returns
    -------
    coef : ndarray of shape (n_features [+1], n_classes)
        Coefficients (and intercepts in the last row).
    info : dict
        ``n_iter`` (epochs), ``n_outer`` (outer iterations), ``dual_gap``,
        ``kkt_violation``, ``converged``, ``history``.
    """
    n_samples, n_features = X.shape
    labels = np.asarray(labels, dtype=np.int64)
    sample_scale = np.full(n_samples, 1.0 / n_samples)
    if sample_weight is not None:
        sample_scale = np.asarray(sample_weight, dtype=np.float64) / np.sum(sample_weight)
    # columns of large mean solved centred (see centred_dense_columns: raw wine
    # took 20675 epochs to a relative criterion 1e-6, standardised wine 86)
    X, means = centred_dense_columns(X, sample_scale) if fit_intercept else (X, None)
    matrix, arrays = kernel_design(X)
    weights = np.ones(n_features) if weights is None else np.asarray(weights, dtype=float)
    l1_vec, l2_vec = l1 * weights, l2 * weights
    n_rows = n_features + int(fit_intercept)
    W = np.zeros((n_rows, n_classes)) if coef_init is None else np.array(coef_init, dtype=float)
    if means is not None:  # the intercepts of the centred columns
        W[-1] += means @ W[:n_features]
    onehot = np.zeros((n_samples, n_classes))
    onehot[np.arange(n_samples), labels] = 1.0
    force = printer is None
    printer = printer or IterationPrinter("multinomial_pn", verbose)
    history = ConvergenceHistory("relative_criterion")
    converged, epochs, n_outer = False, 0, 0
    unregularised = not ((l1 > 0 or l2 > 0) and np.any(weights > 0))
    # The unpenalised gradients are measured against the gradient at zero
    # (the same for a warm start, which may begin near the optimum).
    deriv_at_zero = (1.0 / n_classes - onehot) * sample_scale[:, None]
    unpenalised_scale = max(float(np.abs(np.asarray(matrix.T @ deriv_at_zero)).max(initial=0.0)),
                            float(np.abs(deriv_at_zero.sum(axis=0)).max()) if fit_intercept
                            else 0.0, np.finfo(float).tiny)
    # without an l1 term the solution is dense: no working sets
    dense_solution = not np.any(l1_vec > 0)
    report = np.zeros(3)
    stalled = False
    working_set = None
    free = np.flatnonzero(weights == 0)
    rows = free.size + int(fit_intercept)
    block = (SoftmaxUnpenalisedBlock(matrix, free, fit_intercept)
             if rows and not unregularised
             and n_samples * n_classes**2 * rows <= _BLOCK_ENTRIES else None)
    while True:
        # the predictor from the coefficients (no drift from the incremental updates)
        Z = np.ascontiguousarray(matrix @ W[:n_features], dtype=np.float64)  # (n, K)
        if fit_intercept:
            Z += W[-1]
        top = Z.max(axis=1, keepdims=True)
        P = np.exp(Z - top)
        total = P.sum(axis=1, keepdims=True)
        P /= total
        log_norm = (top + np.log(total)).ravel()
        deriv = (P - onehot) * sample_scale[:, None]
        correlation = np.asarray(matrix.T @ deriv)  # (p, K) = X^T grad
        coef = W[:n_features]
        objective, gap = multinomial_dual_gap(Z.T, labels, -correlation, coef, l1, l2,
                                              sample_scale=sample_scale, weights=weights)
        if not np.isfinite(objective):
            raise ValueError(_OVERFLOW)
        shifted = correlation + l2_vec[:, None] * coef
        l1_rows = l1_vec[:, None]
        violations = np.where(coef != 0, np.abs(shifted + l1_rows * np.sign(coef)),
                              np.maximum(np.abs(shifted) - l1_rows, 0.0)).max(axis=1,
                                                                              initial=0.0)
        unpenalised = np.abs(correlation[weights == 0]).ravel()
        if fit_intercept:
            unpenalised = np.append(unpenalised, np.abs(deriv.sum(axis=0)))
        unpenalised = float(unpenalised.max(initial=0.0))
        kkt = max(float(violations.max(initial=0.0)), unpenalised)
        out_of_epochs = epochs >= max_iter
        if unregularised:  # no dual bound: a first-order criterion
            gap = np.nan
            criterion = kkt / unpenalised_scale
        else:
            criterion = max(gap / np.log(n_classes), unpenalised / unpenalised_scale)
        # unpenalised rows: that criterion is no bound; the certificate (a
        # least-squares solve on their columns) where the fit may stop
        if block is not None and (criterion <= tol or out_of_epochs or stalled):
            gap = _block_gap(block, matrix, Z, P, onehot, labels, coef, l1, l2, sample_scale,
                             weights, objective)
            criterion = gap / np.log(n_classes)
        history.append(epochs, objective, criterion)
        converged = criterion <= tol
        printer(n_outer, objective=objective, criterion=criterion,
                force=force and (converged or out_of_epochs), epochs=epochs)
        if converged or out_of_epochs or stalled:
            break
        support = np.any(coef != 0, axis=1)
        active = int(support.sum())
        # every feature of the last working set became active: grow 4x, not 2x
        # (sparse 2000 x 5000 elastic net with 2855 active rows: 52 -> 37 ms at
        # tol 1e-4, 57 -> 47 ms at 1e-6; standardised digits 183 -> 170 ms)
        growth = 4 if working_set is not None and active >= working_set.size else 2
        size = n_features if dense_solution else working_set_size(
            (growth * active) // 2, n_features, _WORKING_SET_START)
        working_set = select_working_set(violations, support, size).astype(np.int64)
        # a bounded number of Newton steps, then the outer check (whose stopping
        # rule, not the working set's inner tolerance, ends the fit)
        done = multinomial_newton_inner(
            *arrays, labels, sample_scale, Z, P, log_norm, W, fit_intercept, working_set,
            l1_vec, l2_vec, _INNER_TOL_RATIO * kkt, _NEWTON_PER_CALL, max_iter - epochs,
            report)
        if report[0] < 0:
            raise ValueError(_OVERFLOW)
        epochs += done
        n_outer += 1
        # no step accepted: none decreases the objective at this precision (or
        # no epoch is left for one); checked once more, then stopped
        stalled = report[2] == 0
    if warn and not converged:
        no_step = stalled and max_iter - epochs >= 2  # (a Newton step needs 2 epochs)
        reason, advice = ((f"stopped after {epochs} epochs: no step decreases the objective "
                           "at this precision", "Increase tol") if no_step else
                          (f"did not converge in max_iter={max_iter} epochs",
                           "Increase max_iter or tol"))
        warnings.warn(
            f"multinomial solver {reason}: relative criterion {criterion:.3e} > tol = "
            f"{tol:.3e}. {advice}.", ConvergenceWarning, stacklevel=3)
    info = {"n_iter": epochs, "n_outer": n_outer, "dual_gap": float(gap),
            "kkt_violation": kkt, "converged": converged, "history": history}
    if means is not None:
        W[-1] -= means @ W[:n_features]
    return W, info


def _block_gap(block, matrix, Z, P, onehot, labels, coef, l1, l2, sample_scale, weights,
               objective):
    """The gap at the dual point feasible for the unpenalised rows; the
    objective itself (the gap at the dual point 0) when the block's Newton
    step leaves the dual domain."""
    point = block.dual_point(P, onehot, sample_scale)
    if point is None:
        return objective
    deriv, probabilities = point
    correlation = np.asarray(matrix.T @ deriv)
    gap = multinomial_dual_gap(Z.T, labels, -correlation, coef, l1, l2,
                               sample_scale=sample_scale, weights=weights,
                               probabilities=probabilities.T)[1]
    return min(gap, objective)


_OVERFLOW = ("The multinomial objective overflowed: X is too large for float64 arithmetic; "
             "rescale X.")

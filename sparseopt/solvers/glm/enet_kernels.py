"""Numba kernels of the elastic-net working-set solver.

Kernel units: the objective is multiplied by ``n``,
``1/2 ||r||^2 + sum_j (l1_j |w_j| + l2_j/2 w_j^2)`` with per-feature
``l1_j = n alpha rho omega_j`` and ``l2_j = n alpha (1 - rho) omega_j``
(``omega`` the penalty factors), and the gradient is ``-X_c^T r``.

Every inner solver works on a working set, runs at most a given number of
epochs or updates and returns, so that the Python driver regains control at
bounded intervals (Ctrl-C, verbose output, the epoch budget); a solve is
resumed by calling the kernel again on the same state. ``report`` receives
``[converged, largest coefficient change of the last epoch]``.
"""

import numpy as np
from numba import njit

from sparseopt.core.columns import column_axpy, column_dot
from sparseopt.core.selection import top_k_indices_kernel
from sparseopt.core.thresholds import elastic_net_change_scalar, soft_threshold_scalar

__all__ = ["cd_inner_solve", "gram_inner_solve", "anderson_weights", "SELECTION_RULES",
           "ANDERSON_MEMORY"]

SELECTION_RULES = ("cyclic", "random", "gs", "gsl")
CYCLIC, RANDOM, GS, GSL = range(4)
ANDERSON_MEMORY = 5


@njit(cache=True, nogil=True)
def subdiff_distance(gradient, weight, l1, l2, positive):
    """KKT violation: distance of ``-(gradient + l2 w)`` to ``l1 d|w|`` (+ cone)."""
    g = gradient + l2 * weight
    if weight > 0:
        return abs(g + l1)
    if weight < 0:
        return abs(g - l1)
    if positive:
        return max(-(g + l1), 0.0)
    return max(abs(g) - l1, 0.0)


@njit(cache=True, nogil=True)
def coordinate_update(weight, gradient, lipschitz, l1, l2, positive):
    """Exact minimiser over one coordinate of the (scaled) elastic-net objective."""
    new = soft_threshold_scalar(lipschitz * weight - gradient, l1) / (lipschitz + l2)
    if positive and new < 0.0:
        return 0.0
    return new


@njit(cache=True, nogil=True)
def _penalty(coef, working_set, l1, l2):
    total = 0.0
    for j in working_set:
        total += l1[j] * abs(coef[j]) + 0.5 * l2[j] * coef[j] * coef[j]
    return total


@njit(cache=True, nogil=True)
def _squared_residual(residual, shift, n_samples):
    squared = 0.0
    for i in range(residual.shape[0]):
        squared += residual[i] * residual[i]
    return squared - n_samples * shift * shift


@njit(cache=True, nogil=True)
def anderson_weights(iterates):
    """Anderson mixing weights from ``K + 1`` stored iterates (rows); an empty
    array when the small system is singular."""
    n_diffs = iterates.shape[0] - 1
    differences = iterates[1:] - iterates[:-1]
    gram = differences @ differences.T
    scale = np.trace(gram)
    if scale == 0.0 or not np.isfinite(scale):
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
                           coef, residual, shift, working_set, l1, l2, positive):
    """Largest KKT violation over the working set at the current point."""
    n_samples = residual.shape[0]
    violation = 0.0
    for j in working_set:
        if col_norms_sq[j] == 0.0:
            continue
        gradient = -(column_dot(dense, data, indices, indptr, is_sparse, j, residual)
                     + n_samples * offsets[j] * shift)
        violation = max(violation, subdiff_distance(gradient, coef[j], l1[j], l2[j], positive))
    return violation


@njit(cache=True, nogil=True)
def _anderson_step(dense, data, indices, indptr, is_sparse, offsets, coef, residual,
                   shift, working_set, l1, l2, positive, coef_buffer, residual_buffer,
                   shift_buffer):
    """Try the Anderson extrapolation of the stored iterates; keep it if the
    objective decreases. Returns the (possibly new) shift."""
    n_samples = residual.shape[0]
    size = working_set.shape[0]
    weights = anderson_weights(coef_buffer)
    if weights.shape[0] == 0:
        return shift
    coef_ws = weights @ coef_buffer[1:]
    if positive:
        coef_ws = np.maximum(coef_ws, 0.0)
    current = 0.5 * _squared_residual(residual, shift, n_samples) + \
        _penalty(coef, working_set, l1, l2)
    saved = coef[working_set].copy()
    coef[working_set] = coef_ws
    if positive:  # the clipped point is not the combination of residuals
        residual_new = residual.astype(np.float64)
        shift_new = shift
        for k in range(size):
            change = coef_ws[k] - saved[k]
            if change != 0.0:
                column_axpy(dense, data, indices, indptr, is_sparse, working_set[k], -change,
                            residual_new)
                shift_new += change * offsets[working_set[k]]
    else:
        residual_new = weights @ residual_buffer[1:]
        shift_new = weights @ shift_buffer[1:]
    extrapolated = 0.5 * _squared_residual(residual_new, shift_new, n_samples) + \
        _penalty(coef, working_set, l1, l2)
    if extrapolated < current:
        residual[:] = residual_new
        return shift_new
    coef[working_set] = saved
    return shift


@njit(cache=True, nogil=True)
def cd_inner_solve(dense, data, indices, indptr, is_sparse, offsets, col_norms_sq, coef,
                   residual, shift_box, working_set, l1, l2, positive, tol_in, max_epochs,
                   selection, seed, coef_buffer, residual_buffer, shift_buffer, stored_box,
                   report):
    """Cyclic or random coordinate descent on a working set, residual mode (jitted).

    Updates ``coef``, ``residual`` (``r_s``) and ``shift_box[0]`` in place and
    runs until the largest KKT violation met in an epoch is at most
    ``tol_in`` (confirmed on the whole working set for the random rule) or
    ``max_epochs`` epochs. The cyclic rule extrapolates every
    ``ANDERSON_MEMORY + 1`` epochs (Anderson acceleration, kept only when the
    objective decreases); its buffers and ``stored_box[0]`` carry over
    between calls. Returns the number of epochs run.
    """
    if is_sparse:  # compiled once per layout, the other branch pruned (core.columns)
        return _cd_inner_body(dense, data, indices, indptr, True, offsets, col_norms_sq, coef,
                              residual, shift_box, working_set, l1, l2, positive, tol_in,
                              max_epochs, selection, seed, coef_buffer, residual_buffer,
                              shift_buffer, stored_box, report)
    return _cd_inner_body(dense, data, indices, indptr, False, offsets, col_norms_sq, coef,
                          residual, shift_box, working_set, l1, l2, positive, tol_in,
                          max_epochs, selection, seed, coef_buffer, residual_buffer,
                          shift_buffer, stored_box, report)


@njit(cache=True, nogil=True, inline="always")
def _cd_inner_body(dense, data, indices, indptr, is_sparse, offsets, col_norms_sq, coef,
                   residual, shift_box, working_set, l1, l2, positive, tol_in, max_epochs,
                   selection, seed, coef_buffer, residual_buffer, shift_buffer, stored_box,
                   report):
    n_samples = residual.shape[0]
    size = working_set.shape[0]
    if selection == RANDOM:
        np.random.seed(seed)  # noqa: NPY002 (numba: only the legacy generator)
    memory = coef_buffer.shape[0]
    stored = stored_box[0]
    shift = shift_box[0]
    n_epochs = 0
    report[0] = 0.0
    for _ in range(max_epochs):
        n_epochs += 1
        violation = 0.0
        largest_change = 0.0
        for step in range(size):
            if selection == RANDOM:
                j = working_set[np.random.randint(0, size)]  # noqa: NPY002
            else:
                j = working_set[step]
            lipschitz = col_norms_sq[j]
            if lipschitz == 0.0:
                continue
            gradient = -(column_dot(dense, data, indices, indptr, is_sparse, j, residual)
                         + n_samples * offsets[j] * shift)
            old = coef[j]
            violation = max(violation, subdiff_distance(gradient, old, l1[j], l2[j], positive))
            new = coordinate_update(old, gradient, lipschitz, l1[j], l2[j], positive)
            if new != old:
                delta = new - old
                column_axpy(dense, data, indices, indptr, is_sparse, j, -delta, residual)
                shift += delta * offsets[j]
                coef[j] = new
                largest_change = max(largest_change, abs(delta))
        report[1] = largest_change
        if violation <= tol_in and selection == RANDOM:
            # Sampling with replacement skips about a third of the working set
            # per epoch: confirm on all of it before stopping.
            violation = _working_set_violation(dense, data, indices, indptr, is_sparse,
                                               offsets, col_norms_sq, coef, residual, shift,
                                               working_set, l1, l2, positive)
        if violation <= tol_in:
            report[0] = 1.0
            break
        if selection == CYCLIC:
            for k in range(size):
                coef_buffer[stored, k] = coef[working_set[k]]
            residual_buffer[stored] = residual
            shift_buffer[stored] = shift
            stored += 1
            if stored == memory:
                stored = 0
                shift = _anderson_step(dense, data, indices, indptr, is_sparse, offsets, coef,
                                       residual, shift, working_set, l1, l2, positive,
                                       coef_buffer, residual_buffer, shift_buffer)
    stored_box[0] = stored
    shift_box[0] = shift
    return n_epochs


@njit(cache=True, nogil=True, fastmath=True)
def _add_row(gradient, delta, row):
    """``gradient += delta * row`` (SIMD)."""
    for m in range(gradient.shape[0]):
        gradient[m] += delta * row[m]


@njit(cache=True, nogil=True)
def _greedy_scores(gram, gradient, coef, l1, l2, positive, selection, scores):
    """Scores of the greedy rules; returns the largest KKT violation.

    GS (GS-s): the distance of the negative gradient to the subdifferential;
    GSL (GS-q with ``L_k = G_kk``): the decrease of the exact coordinate
    minimisation.
    """
    violation = 0.0
    for k in range(coef.shape[0]):
        lipschitz = gram[k, k]
        if lipschitz == 0.0:
            scores[k] = 0.0
            continue
        old = coef[k]
        distance = subdiff_distance(gradient[k], old, l1[k], l2[k], positive)
        violation = max(violation, distance)
        if selection == GS or distance == 0.0:
            scores[k] = distance
        else:
            delta = coordinate_update(old, gradient[k], lipschitz, l1[k], l2[k], positive) - old
            scores[k] = -(elastic_net_change_scalar(gradient[k], old, delta, l1[k], l2[k])
                          + 0.5 * lipschitz * delta * delta)
    return violation


@njit(cache=True, nogil=True)
def _gram_objective(coef, gradient, target_correlation, l1, l2):
    """Objective minus ``||y||^2 / 2``: ``w^T (g - b) / 2`` plus the penalty
    (``g = G w - b`` is linear in ``w``)."""
    total = 0.0
    for k in range(coef.shape[0]):
        w = coef[k]
        total += 0.5 * w * (gradient[k] - target_correlation[k]) + l1[k] * abs(w) \
            + 0.5 * l2[k] * w * w
    return total


@njit(cache=True, nogil=True)
def _gram_anderson_step(gram, gradient, coef, target_correlation, l1, l2, positive,
                        coef_buffer, gradient_buffer):
    """Anderson extrapolation in Gram mode, kept if the objective decreases."""
    weights = anderson_weights(coef_buffer)
    if weights.shape[0] == 0:
        return
    coef_new = weights @ coef_buffer[1:]
    if positive:  # clipped: the gradient is no longer the combination
        coef_new = np.maximum(coef_new, 0.0)
        gradient_new = -target_correlation  # (a new array)
        for k in range(coef_new.shape[0]):
            if coef_new[k] != 0.0:
                _add_row(gradient_new, coef_new[k], gram[k])
    else:
        gradient_new = weights @ gradient_buffer[1:]
    if _gram_objective(coef_new, gradient_new, target_correlation, l1, l2) < \
            _gram_objective(coef, gradient, target_correlation, l1, l2):
        coef[:] = coef_new
        gradient[:] = gradient_new


@njit(cache=True, nogil=True)
def gram_inner_solve(gram, gradient, coef, target_correlation, l1, l2, positive, tol_in,
                     max_updates, selection, seed, greedy_block, coef_buffer, gradient_buffer,
                     stored_box, report):
    """Coordinate descent on a working set through its Gram matrix (jitted).

    ``gram`` is ``X_c[:, ws]^T X_c[:, ws]`` (C order), ``gradient`` is
    ``-X_c[:, ws]^T r``; ``gradient``, ``coef`` (both of the working set) are
    updated in place, each update costing one pass over a row of ``gram``
    (``O(|ws|)``). Rules: cyclic and random orders, and the greedy GS and
    GSL rules with variable blocks (Nutini, Laradji & Schmidt, 2022): the
    ``greedy_block`` coordinates of largest score are selected and then
    minimised over one at a time, best first, so that scoring all ``|ws|``
    coordinates is paid once per block (``greedy_block = 1`` is the classical
    one-coordinate rule). The cyclic rule extrapolates every
    ``ANDERSON_MEMORY + 1`` passes (buffers and ``stored_box`` carry over
    between calls; ``target_correlation`` is ``X_c[:, ws]^T y_c``, for the
    objective). Returns the number of coordinate updates.
    """
    size = coef.shape[0]
    memory = coef_buffer.shape[0]
    if selection == RANDOM:
        np.random.seed(seed)  # noqa: NPY002 (numba: only the legacy generator)
    greedy = selection == GS or selection == GSL
    scores = np.empty(size)
    block = max(1, min(greedy_block, size))
    update = 0
    report[0] = 0.0
    report[1] = 0.0
    since_epoch = 0
    largest_change = 0.0
    while update < max_updates:
        if greedy:
            violation = _greedy_scores(gram, gradient, coef, l1, l2, positive, selection,
                                       scores)
            if violation <= tol_in:
                report[0] = 1.0
                break
            order = top_k_indices_kernel(scores, block)
        else:
            order = (np.random.randint(0, size, size)  # noqa: NPY002
                     if selection == RANDOM else np.arange(size))
        violation = 0.0
        for k in order:
            lipschitz = gram[k, k]
            if lipschitz == 0.0:
                continue
            old = coef[k]
            distance = subdiff_distance(gradient[k], old, l1[k], l2[k], positive)
            if greedy and distance == 0.0:
                continue
            violation = max(violation, distance)
            delta = coordinate_update(old, gradient[k], lipschitz, l1[k], l2[k], positive) - old
            update += 1
            since_epoch += 1
            if delta != 0.0:
                coef[k] = old + delta
                _add_row(gradient, delta, gram[k])
                largest_change = max(largest_change, abs(delta))
            if since_epoch >= size:  # an epoch's worth of updates
                report[1] = largest_change
                largest_change = 0.0
                since_epoch = 0
            if update >= max_updates:
                break
        if not greedy and violation <= tol_in:
            full = 0.0
            for k in range(size):
                if gram[k, k] > 0.0:
                    full = max(full, subdiff_distance(gradient[k], coef[k], l1[k], l2[k],
                                                      positive))
            if full <= tol_in:
                report[0] = 1.0
                break
        if selection == CYCLIC:
            stored = stored_box[0]
            coef_buffer[stored] = coef
            gradient_buffer[stored] = gradient
            stored_box[0] = stored + 1
            if stored + 1 == memory:
                stored_box[0] = 0
                _gram_anderson_step(gram, gradient, coef, target_correlation, l1, l2, positive,
                                    coef_buffer, gradient_buffer)
    report[1] = max(report[1], largest_change)
    return update

"""Numba kernels of the (sparse-)group Lasso solver.

Groups are stored as a permutation ``order`` of the features and pointers
``group_ptr``: group ``g`` is ``order[group_ptr[g]:group_ptr[g + 1]]``. A
block update is a proximal gradient step with the group's Lipschitz constant
``L_g``, whose prox is the sparse-group one: the soft threshold at
``l1 / L_g`` followed by the group soft threshold at ``omega_g lg / L_g``
(exact for the sparse-group penalty, Simon et al. 2013). Kernel units for
least squares: the objective times ``n``.
"""

import numpy as np
from numba import njit

from sparseopt.core.columns import column_axpy, column_dot
from sparseopt.core.thresholds import soft_threshold_scalar
from sparseopt.solvers.glm.enet_kernels import anderson_weights

__all__ = ["group_epochs_least_squares", "group_epochs_logistic", "sparse_group_prox",
           "dual_scale_group"]


@njit(cache=True, nogil=True)
def sparse_group_prox(values, l1, group):
    """``prox`` of ``l1 ||.||_1 + group ||.||_2`` at ``values`` (new array)."""
    out = np.empty_like(values)
    norm = 0.0
    for t in range(values.shape[0]):
        out[t] = soft_threshold_scalar(values[t], l1)
        norm += out[t] * out[t]
    norm = np.sqrt(norm)
    scale = 1.0 - group / norm if norm > group else 0.0
    for t in range(values.shape[0]):
        out[t] *= scale
    return out


@njit(cache=True, nogil=True)
def dual_scale_group(values, l1, group):
    """Largest ``c >= 0`` with ``||S_{l1}(c values)||_2 <= group`` (inf if none binds).

    ``S`` is the soft threshold; ``||S_{l1}(c v)||`` grows with ``c``, so the
    answer solves ``sum_{top k} (c |v_i| - l1)^2 = group^2`` on the piece
    where exactly ``k`` entries exceed ``l1 / c`` (entries sorted decreasingly).
    """
    magnitudes = np.sort(np.abs(values))[::-1]
    size = magnitudes.shape[0]
    if size == 0 or magnitudes[0] == 0.0:
        return np.inf
    if group <= 0.0:
        return l1 / magnitudes[0] if l1 > 0.0 else 0.0
    total = 0.0
    squares = 0.0
    for k in range(size):
        if magnitudes[k] == 0.0:
            break
        total += magnitudes[k]
        squares += magnitudes[k] * magnitudes[k]
        count = k + 1
        # c^2 squares - 2 c l1 total + count l1^2 - group^2 = 0, larger root
        discriminant = (l1 * total) ** 2 - squares * (count * l1 * l1 - group * group)
        root = (l1 * total + np.sqrt(max(discriminant, 0.0))) / squares
        upper = l1 / magnitudes[k + 1] if k + 1 < size and magnitudes[k + 1] > 0 else np.inf
        if root <= upper * (1.0 + 1e-12):
            return root
    return np.inf


@njit(cache=True, nogil=True)
def _group_gradient(dense, data, indices, indptr, is_sparse, offsets, columns, residual, shift,
                    out):
    n_samples = residual.shape[0]
    for t in range(columns.shape[0]):
        j = columns[t]
        out[t] = -(column_dot(dense, data, indices, indptr, is_sparse, j, residual)
                   + n_samples * offsets[j] * shift)


@njit(cache=True, nogil=True)
def _group_penalty(coef, order, group_ptr, groups, l1, group_l1):
    total = 0.0
    for g in groups:
        norm = 0.0
        for position in range(group_ptr[g], group_ptr[g + 1]):
            w = coef[order[position]]
            norm += w * w
            total += l1 * abs(w)
        total += group_l1[g] * np.sqrt(norm)
    return total


@njit(cache=True, nogil=True)
def _group_anderson(coef, residual, shift, features, order, group_ptr, groups, l1, group_l1,
                    coef_buffer, residual_buffer, shift_buffer):
    """Anderson extrapolation of the stored epochs, kept if the objective drops;
    returns the shift."""
    n_samples = residual.shape[0]
    weights = anderson_weights(coef_buffer)
    if weights.shape[0] == 0:
        return shift
    current = 0.5 * (residual @ residual - n_samples * shift * shift) + \
        _group_penalty(coef, order, group_ptr, groups, l1, group_l1)
    saved = coef[features].copy()
    coef[features] = weights @ coef_buffer[1:]
    residual_new = weights @ residual_buffer[1:]
    shift_new = weights @ shift_buffer[1:]
    extrapolated = 0.5 * (residual_new @ residual_new - n_samples * shift_new * shift_new) + \
        _group_penalty(coef, order, group_ptr, groups, l1, group_l1)
    if extrapolated < current:
        residual[:] = residual_new
        return shift_new
    coef[features] = saved
    return shift


@njit(cache=True, nogil=True)
def group_epochs_least_squares(dense, data, indices, indptr, is_sparse, offsets, order,
                               group_ptr, lipschitz, coef, residual, shift_box, groups, l1,
                               group_l1, tol_in, max_epochs, features, coef_buffer,
                               residual_buffer, shift_buffer, stored_box, report):
    """Cyclic block proximal-gradient epochs over the working-set ``groups``.

    ``residual`` is ``r_s`` and ``shift_box[0]`` the centring shift (see
    :mod:`sparseopt.solvers.glm.designs`); ``lipschitz[g]`` is
    ``lambda_max(X_c,g^T X_c,g)``; ``l1`` and ``group_l1[g]`` are kernel-unit
    strengths. Stops when the largest ``L_g ||step||`` of an epoch is at most
    ``tol_in``; every ``memory`` epochs the iterates are extrapolated
    (Anderson, over the working set's ``features``; buffers and
    ``stored_box`` carry over between calls). Returns the number of epochs;
    ``report`` gets ``[converged, largest coefficient change of the last
    epoch]``.
    """
    shift = shift_box[0]
    memory = coef_buffer.shape[0]
    stored = stored_box[0]
    epochs = 0
    report[0] = 0.0
    largest_size = 0
    for g in groups:
        largest_size = max(largest_size, group_ptr[g + 1] - group_ptr[g])
    gradient = np.empty(largest_size)
    point = np.empty(largest_size)
    for _ in range(max_epochs):
        epochs += 1
        violation = 0.0
        largest = 0.0
        for g in groups:
            if lipschitz[g] == 0.0:
                continue
            columns = order[group_ptr[g]:group_ptr[g + 1]]
            size = columns.shape[0]
            _group_gradient(dense, data, indices, indptr, is_sparse, offsets, columns, residual,
                            shift, gradient)
            for t in range(size):
                point[t] = coef[columns[t]] - gradient[t] / lipschitz[g]
            new = sparse_group_prox(point[:size], l1 / lipschitz[g], group_l1[g] / lipschitz[g])
            step = 0.0
            for t in range(size):
                j = columns[t]
                delta = new[t] - coef[j]
                if delta != 0.0:
                    column_axpy(dense, data, indices, indptr, is_sparse, j, -delta, residual)
                    shift += delta * offsets[j]
                    coef[j] = new[t]
                    largest = max(largest, abs(delta))
                    step += delta * delta
            violation = max(violation, lipschitz[g] * np.sqrt(step))
        report[1] = largest
        if violation <= tol_in:
            report[0] = 1.0
            break
        coef_buffer[stored] = coef[features]
        residual_buffer[stored] = residual
        shift_buffer[stored] = shift
        stored += 1
        if stored == memory:
            stored = 0
            shift = _group_anderson(coef, residual, shift, features, order, group_ptr, groups,
                                    l1, group_l1, coef_buffer, residual_buffer, shift_buffer)
    stored_box[0] = stored
    shift_box[0] = shift
    return epochs


@njit(cache=True, nogil=True)
def _refresh_derivatives(target, z, sample_scale, deriv, rows):
    for i in rows:
        margin = target[i] * z[i]
        deriv[i] = -target[i] * sample_scale[i] / (1.0 + np.exp(margin)) if margin > -700 \
            else -target[i] * sample_scale[i]


@njit(cache=True, nogil=True)
def group_epochs_logistic(dense, data, indices, indptr, is_sparse, order, group_ptr,
                          lipschitz, coef, intercept_box, fit_intercept, target, sample_scale,
                          z, deriv, groups, l1, group_l1, tol_in, max_epochs, report):
    """Cyclic block proximal-gradient epochs for the logistic loss (jitted).

    ``z`` (predictor) and ``deriv`` (``c_i dloss/dz_i``) are kept up to date;
    ``lipschitz[g]`` bounds the block Hessian (``lambda_max(X_g^T C X_g) / 4``);
    ``l1``, ``group_l1[g]`` are in objective units. The intercept, if fitted,
    is updated after every epoch by its own bounded step. Returns epochs.
    """
    n_samples = z.shape[0]
    epochs = 0
    report[0] = 0.0
    largest_size = 0
    for g in groups:
        largest_size = max(largest_size, group_ptr[g + 1] - group_ptr[g])
    gradient = np.empty(largest_size)
    point = np.empty(largest_size)
    touched = np.zeros(n_samples, dtype=np.bool_)
    all_rows = np.arange(n_samples)
    intercept_lipschitz = 0.25 * np.sum(sample_scale)
    for _ in range(max_epochs):
        epochs += 1
        violation = 0.0
        largest = 0.0
        for g in groups:
            if lipschitz[g] == 0.0:
                continue
            columns = order[group_ptr[g]:group_ptr[g + 1]]
            size = columns.shape[0]
            for t in range(size):
                gradient[t] = column_dot(dense, data, indices, indptr, is_sparse, columns[t],
                                         deriv)
                point[t] = coef[columns[t]] - gradient[t] / lipschitz[g]
            new = sparse_group_prox(point[:size], l1 / lipschitz[g], group_l1[g] / lipschitz[g])
            step = 0.0
            for t in range(size):
                j = columns[t]
                delta = new[t] - coef[j]
                if delta != 0.0:
                    column_axpy(dense, data, indices, indptr, is_sparse, j, delta, z)
                    if is_sparse:
                        for position in range(indptr[j], indptr[j + 1]):
                            touched[indices[position]] = True
                    coef[j] = new[t]
                    largest = max(largest, abs(delta))
                    step += delta * delta
            if step > 0.0:
                rows = all_rows[touched] if is_sparse else all_rows
                _refresh_derivatives(target, z, sample_scale, deriv, rows)
                if is_sparse:
                    touched[rows] = False
            violation = max(violation, lipschitz[g] * np.sqrt(step))
        if fit_intercept and intercept_lipschitz > 0.0:
            gradient_b = np.sum(deriv)
            change = -gradient_b / intercept_lipschitz
            intercept_box[0] += change
            z += change
            _refresh_derivatives(target, z, sample_scale, deriv, all_rows)
            violation = max(violation, abs(gradient_b))
        report[1] = largest
        if violation <= tol_in:
            report[0] = 1.0
            break
    return epochs

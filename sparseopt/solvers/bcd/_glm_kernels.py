"""Numba kernels of the generalised-linear data fits of the BCD engine.

Coefficients of a model with ``K`` outputs are a ``(p, K)`` matrix flattened
row-major: coordinate ``c`` is feature ``c // K`` of output ``c % K`` (for
the multinomial loss, block = one feature's ``K`` class coefficients is the
contiguous range ``[j K, (j + 1) K)``). The linear predictor ``z`` and the
loss derivative ``deriv`` are stored as ``(K, n)`` arrays.

Loss codes: 0 least squares ``1/2 (z - y)^2``, 1 logistic
``log(1 + exp(-y z))`` with ``y`` in {-1, 1}, 2 multinomial
``logsumexp(z) - z_y`` with integer ``y``.
"""

import numpy as np
from numba import njit

LEAST_SQUARES, LOGISTIC, MULTINOMIAL = 0, 1, 2


@njit(cache=True, nogil=True)
def _log1p_exp(value):
    """Stable ``log(1 + exp(value))``."""
    if value > 0:
        return value + np.log1p(np.exp(-value))
    return np.log1p(np.exp(value))


@njit(cache=True, nogil=True)
def _sigmoid(value):
    if value >= 0:
        return 1.0 / (1.0 + np.exp(-value))
    exp_value = np.exp(value)
    return exp_value / (1.0 + exp_value)


@njit(cache=True, nogil=True)
def _softmax_column(z, i, probabilities):
    """Class probabilities of sample ``i`` into ``probabilities``; returns
    ``logsumexp(z[:, i])``."""
    n_outputs = z.shape[0]
    top = z[0, i]
    for k in range(1, n_outputs):
        top = max(top, z[k, i])
    summed = 0.0
    for k in range(n_outputs):
        probabilities[k] = np.exp(z[k, i] - top)
        summed += probabilities[k]
    for k in range(n_outputs):
        probabilities[k] /= summed
    return top + np.log(summed)


@njit(cache=True, nogil=True)
def _row_loss(loss, z, target, i):
    n_outputs = z.shape[0]
    if loss == LEAST_SQUARES:
        residual = z[0, i] - target[i]
        return 0.5 * residual * residual
    if loss == LOGISTIC:
        return _log1p_exp(-target[i] * z[0, i])
    return _softmax_column(z, i, np.empty(n_outputs)) - z[int(target[i]), i]


@njit(cache=True, nogil=True)
def loss_value(loss, z, target, scale):
    """``scale * sum_i loss(target_i, z[:, i])``."""
    total = 0.0
    for i in range(z.shape[1]):
        total += _row_loss(loss, z, target, i)
    return scale * total


@njit(cache=True, nogil=True)
def loss_change(loss, z, trial, target, scale, rows):
    """``f(trial) - f(z)`` summed row by row over the rows that moved.

    Differences are taken per row (exactly for least squares), so that a
    line search can resolve decreases far below ``eps * f``.
    """
    total = 0.0
    for i in rows:
        if loss == LEAST_SQUARES:
            step = trial[0, i] - z[0, i]
            total += step * (0.5 * (trial[0, i] + z[0, i]) - target[i])
        else:
            total += _row_loss(loss, trial, target, i) - _row_loss(loss, z, target, i)
    return scale * total


@njit(cache=True, nogil=True)
def update_derivatives(loss, z, target, scale, rows, deriv):
    """``deriv[:, i] = scale * dloss/dz`` at the given rows (in place)."""
    n_outputs = z.shape[0]
    probabilities = np.empty(n_outputs)
    for i in rows:
        if loss == LEAST_SQUARES:
            deriv[0, i] = scale * (z[0, i] - target[i])
        elif loss == LOGISTIC:
            deriv[0, i] = -scale * target[i] * _sigmoid(-target[i] * z[0, i])
        else:
            _softmax_column(z, i, probabilities)
            for k in range(n_outputs):
                deriv[k, i] = scale * probabilities[k]
            deriv[int(target[i]), i] -= scale


@njit(cache=True, nogil=True)
def curvature_weights(loss, z, target, scale, rows):
    """Second derivatives at the given rows, shape ``(K, K, len(rows))``.

    Least squares: ``scale``; logistic: ``scale s (1 - s)``; multinomial:
    ``scale (diag(p) - p p^T)``.
    """
    n_outputs = z.shape[0]
    weights = np.zeros((n_outputs, n_outputs, rows.shape[0]))
    probabilities = np.empty(n_outputs)
    for position in range(rows.shape[0]):
        i = rows[position]
        if loss == LEAST_SQUARES:
            weights[0, 0, position] = scale
        elif loss == LOGISTIC:
            s = _sigmoid(target[i] * z[0, i])
            weights[0, 0, position] = scale * s * (1.0 - s)
        else:
            _softmax_column(z, i, probabilities)
            for k in range(n_outputs):
                for m in range(n_outputs):
                    weights[k, m, position] = -scale * probabilities[k] * probabilities[m]
                weights[k, k, position] += scale * probabilities[k]
    return weights


@njit(cache=True, nogil=True)
def block_gradient(dense, data, indices, indptr, is_sparse, deriv, block):
    """Gradient coordinates ``X[:, c // K] . deriv[c % K]`` for ``c`` in block."""
    n_outputs = deriv.shape[0]
    out = np.empty(block.shape[0])
    for position in range(block.shape[0]):
        feature = block[position] // n_outputs
        output = block[position] % n_outputs
        total = 0.0
        if is_sparse:
            for entry in range(indptr[feature], indptr[feature + 1]):
                total += data[entry] * deriv[output, indices[entry]]
        else:
            for i in range(dense.shape[0]):
                total += dense[i, feature] * deriv[output, i]
        out[position] = total
    return out


@njit(cache=True, nogil=True)
def apply_block_step(dense, data, indices, indptr, is_sparse, z, block, delta, touched):
    """``z[c % K] += delta_c X[:, c // K]`` for the block; flags touched rows.

    Returns the number of newly flagged rows (``touched`` is a byte mask the
    caller clears).
    """
    n_outputs = z.shape[0]
    n_new = 0
    moved = False
    for position in range(block.shape[0]):
        step = delta[position]
        if step == 0.0:
            continue
        moved = True
        feature = block[position] // n_outputs
        output = block[position] % n_outputs
        if is_sparse:
            for entry in range(indptr[feature], indptr[feature + 1]):
                row = indices[entry]
                z[output, row] += step * data[entry]
                if touched[row] == 0:
                    touched[row] = 1
                    n_new += 1
        else:
            for i in range(dense.shape[0]):
                z[output, i] += step * dense[i, feature]
    if moved and not is_sparse:
        for i in range(dense.shape[0]):
            if touched[i] == 0:
                touched[i] = 1
                n_new += 1
    return n_new


@njit(cache=True, nogil=True)
def block_step_change(loss, dense, data, indices, indptr, is_sparse, z, target, scale,
                      block, delta):
    """``f(w + delta_b) - f(w)`` without changing the state (for line searches)."""
    trial = z.copy()
    touched = np.zeros(z.shape[1], dtype=np.uint8)
    apply_block_step(dense, data, indices, indptr, is_sparse, trial, block, delta, touched)
    return loss_change(loss, z, trial, target, scale, np.flatnonzero(touched))


@njit(cache=True, nogil=True)
def csr_gradient_update(csr_data, csr_indices, csr_indptr, rows, deriv_change, gradient):
    """``gradient += X[rows]^T deriv_change[:, rows]`` through the CSR rows of X."""
    n_outputs = deriv_change.shape[0]
    for i in rows:
        for entry in range(csr_indptr[i], csr_indptr[i + 1]):
            base = csr_indices[entry] * n_outputs
            value = csr_data[entry]
            for k in range(n_outputs):
                gradient[base + k] += value * deriv_change[k, i]


@njit(cache=True, nogil=True)
def block_columns(dense, data, indices, indptr, is_sparse, features, n_samples):
    """The columns ``X[:, features]`` as a dense ``(n, len(features))`` array."""
    out = np.zeros((n_samples, features.shape[0]))
    for position in range(features.shape[0]):
        feature = features[position]
        if is_sparse:
            for entry in range(indptr[feature], indptr[feature + 1]):
                out[indices[entry], position] = data[entry]
        else:
            for i in range(n_samples):
                out[i, position] = dense[i, feature]
    return out


@njit(cache=True, nogil=True)
def weighted_block_gram(columns, column_of, output_of, weights):
    """``H[t, u] = sum_i C[i, col_t] C[i, col_u] W[out_t, out_u, i]``."""
    size = column_of.shape[0]
    n_samples = columns.shape[0]
    out = np.zeros((size, size))
    for t in range(size):
        for u in range(t, size):
            total = 0.0
            ct, cu, kt, ku = column_of[t], column_of[u], output_of[t], output_of[u]
            for i in range(n_samples):
                total += columns[i, ct] * columns[i, cu] * weights[kt, ku, i]
            out[t, u] = total
            out[u, t] = total
    return out


@njit(cache=True, nogil=True)
def _entropy(p):
    return -p * np.log(p) if p > 0.0 else 0.0


@njit(cache=True, nogil=True)
def conjugate_sum(loss, deriv, target, scale, factor):
    """``-sum_i f_i^*(-theta_i)`` at the dual point ``theta = -factor * deriv``.

    Least squares: ``theta_i y_i - theta_i^2 / (2 scale)``; logistic:
    ``scale * H(p_i)`` with ``p_i = y_i theta_i / scale`` (binary entropy);
    multinomial: ``scale * H(q_i)`` with ``q_i = e_{y_i} - theta_i / scale``.
    Requires ``0 <= factor <= 1`` (so that ``p`` and ``q`` stay probabilities).
    """
    n_outputs, n_samples = deriv.shape
    total = 0.0
    for i in range(n_samples):
        if loss == LEAST_SQUARES:
            theta = -factor * deriv[0, i]
            total += theta * target[i] - theta * theta / (2.0 * scale)
        elif loss == LOGISTIC:
            p = min(max(-factor * deriv[0, i] * target[i] / scale, 0.0), 1.0)
            total += scale * (_entropy(p) + _entropy(1.0 - p))
        else:
            label = int(target[i])
            for k in range(n_outputs):
                # deriv = scale (p - e_y): q = e_y + factor (p - e_y)
                q = factor * deriv[k, i] / scale
                if k == label:
                    q += 1.0
                total += scale * _entropy(min(max(q, 0.0), 1.0))
    return total

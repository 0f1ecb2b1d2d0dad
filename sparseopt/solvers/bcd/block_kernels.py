"""Numba kernels of the block coordinate descent engine's GLM data fit.

Coefficients of a model with ``K`` outputs are a ``(p, K)`` matrix flattened
row-major: coordinate ``c`` is feature ``c // K`` of output ``c % K`` (for
the multinomial loss, block = one feature's ``K`` class coefficients is the
contiguous range ``[j K, (j + 1) K)``). The linear predictor ``z`` and the
loss derivative ``deriv`` are ``(K, n)`` arrays; the loss kernels themselves
are in :mod:`sparseopt.core.losses`.
"""

import numpy as np
from numba import njit

from sparseopt.core.losses import loss_change


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

"""Column access shared by the coordinate-descent kernels.

A design matrix reaches a kernel either as a Fortran-ordered dense array or
as a CSC triplet ``(data, indices, indptr)``; the unused representation is
an empty array and ``is_sparse`` says which one is live. Centering for the
intercept is implicit: with column means ``offsets`` and the residual stored
as ``r_s = y_c - X w`` plus a scalar ``shift = offsets . w``, the centred
residual is ``r = r_s + shift`` and ``X_c[:, j]^T r = X[:, j]^T r_s + n *
offsets[j] * shift`` (the columns of ``X_c`` sum to zero).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=True)
def _dense_dot(dense, j, vector):
    total = 0.0
    for i in range(dense.shape[0]):
        total += dense[i, j] * vector[i]
    return total


@njit(cache=True, nogil=True, fastmath=True)
def _dense_weighted_dot(dense, j, weights, vector):
    total = 0.0
    for i in range(dense.shape[0]):
        total += dense[i, j] * weights[i] * vector[i]
    return total


# The sparse loops are short (a column's non-zeros) and must inline into the
# calling kernels: LLVM does not inline a fastmath function into a strict one,
# which measured 1.5-2x slower here, and a call that is not inlined passes
# its arrays with reference counting, so the helpers are inlined by numba
# (inline="always"): column_dot over 1250 columns of 22 non-zeros, 3.1 ->
# 0.96 ns per non-zero. A kernel that alternates dots and axpys is still
# 2.7x slower while both layouts' loops share its body; the hot kernels
# therefore call their body twice, once with a literal ``is_sparse``
# (``if is_sparse: body(..., True, ...) else: body(..., False, ...)``, the
# body inlined), so that each copy keeps one layout: 6.4 -> 2.3 ns per
# non-zero. Only the long dense reductions use fastmath (SIMD sums), behind
# a call.
@njit(cache=True, nogil=True, inline="always")
def column_dot(dense, data, indices, indptr, is_sparse, j, vector):
    """``X[:, j] . vector`` for a dense (F-ordered) or CSC design."""
    if not is_sparse:
        return _dense_dot(dense, j, vector)
    total = 0.0
    for position in range(indptr[j], indptr[j + 1]):
        total += data[position] * vector[indices[position]]
    return total


@njit(cache=True, nogil=True, inline="always")
def column_axpy(dense, data, indices, indptr, is_sparse, j, scale, vector):
    """``vector += scale * X[:, j]`` in place."""
    if is_sparse:
        for position in range(indptr[j], indptr[j + 1]):
            vector[indices[position]] += scale * data[position]
    else:
        for i in range(dense.shape[0]):
            vector[i] += scale * dense[i, j]


@njit(cache=True, nogil=True, inline="always")
def column_weighted_dot(dense, data, indices, indptr, is_sparse, j, weights, vector):
    """``sum_i X[i, j] weights[i] vector[i]`` (touches only the column's non-zeros)."""
    if not is_sparse:
        return _dense_weighted_dot(dense, j, weights, vector)
    total = 0.0
    for position in range(indptr[j], indptr[j + 1]):
        row = indices[position]
        total += data[position] * weights[row] * vector[row]
    return total


@njit(cache=True, nogil=True)
def gather_columns(dense, data, indices, indptr, is_sparse, features, n_samples, zero):
    """``X[:, features]`` as a new dense Fortran-ordered array of ``zero``'s
    dtype (gathered straight into it: no intermediate copy in ``X``'s dtype)."""
    out = np.empty((features.shape[0], n_samples), dtype=type(zero)).T
    for position in range(features.shape[0]):
        feature = features[position]
        if is_sparse:
            out[:, position] = zero
            for entry in range(indptr[feature], indptr[feature + 1]):
                out[indices[entry], position] = data[entry]
        else:
            for i in range(n_samples):
                out[i, position] = dense[i, feature]
    return out

"""Small dense Cholesky kernels for the greedy and active-set coders.

The coders solve many tiny symmetric positive definite systems (the Gram
matrix of a support of a few atoms), one signal at a time inside a numba
loop; these kernels work in place on preallocated buffers, so that a signal
costs no allocation, and grow a factor by one row when an atom joins the
support (the progressive Cholesky update of batch OMP).
"""

import numpy as np
from numba import njit

__all__ = ["cholesky_append_row", "cholesky_factor", "cholesky_solve"]

# A squared pivot below this fraction of the diagonal counts as a dependent
# row: a support that nearly spans a subspace twice gives solves whose
# rounding errors exceed the objective decrease (1e-13 let 1e11-sized codes
# through on 21 coherent atoms in 20 dimensions).
_DEPENDENT = 1e-9


@njit(cache=True, nogil=True)
def cholesky_append_row(lower, size, row, diagonal):
    """Grow the ``size x size`` lower factor ``lower`` of ``G_SS`` to ``G_{S+k}``.

    ``row`` holds ``G[S, k]`` (length ``size``) and ``diagonal`` is
    ``G[k, k]``. Solves ``L w = row`` into ``lower[size, :size]`` and sets
    ``lower[size, size] = sqrt(G_kk - |w|^2)``. Returns that squared pivot
    (the squared distance of the new atom to the span of the support): a
    pivot ``<= eps G_kk`` means that the atom is (numerically) dependent and
    the factor must not be used at ``size + 1``.
    """
    squared = 0.0
    for i in range(size):
        value = row[i]
        for m in range(i):
            value -= lower[i, m] * lower[size, m]
        value /= lower[i, i]
        lower[size, i] = value
        squared += value * value
    pivot = diagonal - squared
    if pivot > 0.0:
        lower[size, size] = np.sqrt(pivot)
    return pivot


@njit(cache=True, nogil=True)
def cholesky_factor(matrix, size, lower, start=0):
    """Factor the leading ``size x size`` block of ``matrix`` into ``lower``,
    from row ``start`` on (``lower[:start, :start]`` is already the factor of
    the leading ``start x start`` block).

    Returns -1 on success, else the first index ``j`` whose pivot is not
    positive (relative to ``matrix[j, j]``, below ``_DEPENDENT``): row ``j`` depends on the
    rows before it, and ``lower[:j, :j]`` is the factor of those.
    """
    for j in range(start, size):
        pivot = cholesky_append_row(lower, j, matrix[j], matrix[j, j])
        if not pivot > _DEPENDENT * matrix[j, j]:
            return j
    return -1


@njit(cache=True, nogil=True)
def cholesky_solve(lower, size, rhs, out):
    """Solve ``L L^T x = rhs`` for the leading ``size`` block of ``lower``."""
    for i in range(size):
        value = rhs[i]
        for m in range(i):
            value -= lower[i, m] * out[m]
        out[i] = value / lower[i, i]
    for i in range(size - 1, -1, -1):
        value = out[i]
        for m in range(i + 1, size):
            value -= lower[m, i] * out[m]
        out[i] = value / lower[i, i]

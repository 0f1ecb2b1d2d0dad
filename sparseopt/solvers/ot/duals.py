"""Numba kernels of the smooth (quadratically regularised) OT duals.

Notation: ``a`` (m,) and ``b`` (n,) are the marginals, ``M`` (m, n) the cost,
``gamma`` the weight of the quadratic regulariser ``gamma/2 ||T||^2``. For
column ``j`` let ``s = alpha + beta_j - M[:, j]``.

- Dual (Blondel, Seguy & Rolet, 2018; Liu, Puigcerver & Blondel, 2023):
  ``alpha^T a + beta^T b - sum_j delta_k(s_j)`` with
  ``delta_k(s) = 1/(2 gamma) sum_{i in topk(s)} [s_i]_+^2``; ``k = m`` is
  quadratically regularised OT (QROT). ``T[:, j] = grad delta_k(s_j)``.
- Semi-dual: ``alpha^T a - sum_j b_j max_k(alpha - M[:, j]; b_j)`` with
  ``max_k(s; b) = max { y^T s - gamma b / 2 ||y||^2 : y in simplex, ||y||_0 <= k }``,
  attained at the k-sparse simplex projection of ``s / (gamma b)``;
  ``T[:, j] = b_j y_j``.

Every kernel makes one pass over ``M`` (Fortran order: columns contiguous) and
returns the objective, the gradient (the marginal violations) and, on
request, the plan as CSC arrays. Ties in the top-k selection are broken
towards the smaller row index.
"""

import numpy as np
from numba import njit

from sparseopt.core.projections import project_simplex_kernel
from sparseopt.core.selection import top_k_indices_kernel

__all__ = ["dual_objective", "semi_dual_objective", "restricted_dual_objective"]

_INSERTION_MAX_K = 16


@njit(cache=True, nogil=True)
def _top_k_positive(values, k, chosen, chosen_values):
    """Indices of the (at most) k largest positive entries, best first.

    Insertion into a short sorted list for small ``k``, the heap of
    :func:`sparseopt.core.top_k_indices_kernel` otherwise. Returns the count.
    """
    m = values.shape[0]
    if k > _INSERTION_MAX_K:
        order = top_k_indices_kernel(values, min(k, m))
        count = 0
        for index in order:
            if values[index] <= 0.0:
                break
            chosen[count] = index
            chosen_values[count] = values[index]
            count += 1
        return count
    count = 0
    for i in range(m):
        value = values[i]
        if value <= 0.0:
            continue
        if count == k and value <= chosen_values[k - 1]:
            continue
        position = count if count < k else k - 1
        while position > 0 and chosen_values[position - 1] < value:
            if position < k:
                chosen[position] = chosen[position - 1]
                chosen_values[position] = chosen_values[position - 1]
            position -= 1
        chosen[position] = i
        chosen_values[position] = value
        if count < k:
            count += 1
    return count


@njit(cache=True, nogil=True)
def _plan_buffers(n, k, want_plan):
    """CSC buffers for a plan with at most ``k`` entries in each of ``n``
    columns (empty unless ``want_plan``)."""
    capacity = n * k if want_plan else 0
    return (np.zeros(n + 1, dtype=np.int64), np.empty(capacity, dtype=np.int64),
            np.empty(capacity))


@njit(cache=True, nogil=True)
def dual_objective(alpha, beta, M, a, b, gamma, k, want_plan):
    """Sparsity-constrained dual: value, gradients and optionally the plan (CSC)."""
    m, n = M.shape
    value = alpha @ a + beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    column = np.empty(m)
    chosen = np.empty(k, dtype=np.int64)
    chosen_values = np.empty(k)
    indptr, indices, data = _plan_buffers(n, k, want_plan)
    nnz = 0
    inverse = 1.0 / gamma
    for j in range(n):
        for i in range(m):
            column[i] = alpha[i] + beta[j] - M[i, j]
        count = _top_k_positive(column, k, chosen, chosen_values)
        for position in range(count):
            s = chosen_values[position]
            t = s * inverse
            value -= 0.5 * s * t
            grad_alpha[chosen[position]] -= t
            grad_beta[j] -= t
        if want_plan:
            start = nnz
            for position in range(count):
                indices[nnz] = chosen[position]
                data[nnz] = chosen_values[position] * inverse
                nnz += 1
            _sort_segment(indices, data, start, nnz)
            indptr[j + 1] = nnz
    return value, grad_alpha, grad_beta, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def _sort_segment(indices, data, start, stop):
    """Sort a CSC column segment by row index (insertion sort; short segments)."""
    for p in range(start + 1, stop):
        key, payload = indices[p], data[p]
        q = p - 1
        while q >= start and indices[q] > key:
            indices[q + 1] = indices[q]
            data[q + 1] = data[q]
            q -= 1
        indices[q + 1] = key
        data[q + 1] = payload


@njit(cache=True, nogil=True)
def semi_dual_objective(alpha, M, a, b, gamma, k, want_plan):
    """Sparsity-constrained semi-dual: value, gradient and optionally the plan (CSC)."""
    m, n = M.shape
    value = alpha @ a
    gradient = a.copy()
    column = np.empty(m)
    indptr, indices, data = _plan_buffers(n, k, want_plan)
    nnz = 0
    for j in range(n):
        scale = 1.0 / (gamma * b[j])
        for i in range(m):
            column[i] = (alpha[i] - M[i, j]) * scale
        support = top_k_indices_kernel(column, k) if k < m else np.arange(m)
        projected = project_simplex_kernel(column[support], 1.0)
        inner = 0.0
        squared = 0.0
        start = nnz
        for position in range(support.shape[0]):
            y = projected[position]
            if y == 0.0:
                continue
            i = support[position]
            inner += y * (alpha[i] - M[i, j])
            squared += y * y
            gradient[i] -= b[j] * y
            if want_plan:
                indices[nnz] = i
                data[nnz] = b[j] * y
                nnz += 1
        value -= b[j] * (inner - 0.5 * gamma * b[j] * squared)
        if want_plan:
            _sort_segment(indices, data, start, nnz)
            indptr[j + 1] = nnz
    return value, gradient, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def restricted_dual_objective(alpha, beta, costs, rows, columns, a, b, gamma):
    """QROT dual restricted to a support ``{(rows[p], columns[p])}``.

    ``alpha^T a + beta^T b - 1/(2 gamma) sum_p [alpha_r + beta_c - cost_p]_+^2``;
    returns value, gradients and the plan values on the support.
    """
    value = alpha @ a + beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    plan = np.empty(costs.shape[0])
    inverse = 1.0 / gamma
    for p in range(costs.shape[0]):
        s = alpha[rows[p]] + beta[columns[p]] - costs[p]
        t = s * inverse if s > 0.0 else 0.0
        plan[p] = t
        value -= 0.5 * s * t
        grad_alpha[rows[p]] -= t
        grad_beta[columns[p]] -= t
    return value, grad_alpha, grad_beta, plan


@njit(cache=True, nogil=True)
def qrot_active_pairs(alpha, beta, M, a, b, gamma):
    """QROT dual (``k = m``) with its active pairs ``s > 0`` as CSC arrays.

    Returns value, gradients and ``(indptr, indices, data)`` of the plan,
    which are also the active set of the generalised Hessian.
    """
    m, n = M.shape
    value = alpha @ a + beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    indptr = np.zeros(n + 1, dtype=np.int64)
    capacity = max(4 * (m + n), 16)
    indices = np.empty(capacity, dtype=np.int64)
    data = np.empty(capacity)
    nnz = 0
    inverse = 1.0 / gamma
    for j in range(n):
        for i in range(m):
            s = alpha[i] + beta[j] - M[i, j]
            if s > 0.0:
                t = s * inverse
                value -= 0.5 * s * t
                grad_alpha[i] -= t
                grad_beta[j] -= t
                if nnz == capacity:
                    capacity *= 2
                    grown_indices = np.empty(capacity, dtype=np.int64)
                    grown_data = np.empty(capacity)
                    grown_indices[:nnz] = indices[:nnz]
                    grown_data[:nnz] = data[:nnz]
                    indices, data = grown_indices, grown_data
                indices[nnz] = i
                data[nnz] = t
                nnz += 1
        indptr[j + 1] = nnz
    return value, grad_alpha, grad_beta, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def balance_columns(M, b, gamma, alpha=None):
    """``beta`` such that ``sum_i [alpha_i + beta_j - M_ij]_+ / gamma = b_j``.

    The exact maximiser of the QROT dual over the column potentials for fixed
    row potentials (zero by default), found per column like a simplex
    projection.
    """
    m, n = M.shape
    beta = np.empty(n)
    shifted = np.empty(m)
    for j in range(n):
        for i in range(m):
            shifted[i] = M[i, j] - (alpha[i] if alpha is not None else 0.0)
        values = np.sort(shifted)
        total = 0.0
        level = values[0] + gamma * b[j]
        for r in range(m):
            total += values[r]
            candidate = (gamma * b[j] + total) / (r + 1)
            if r == m - 1 or candidate <= values[r + 1]:
                level = candidate
                break
        beta[j] = level
    return beta


@njit(cache=True, nogil=True)
def alternate_balancing(M, a, b, gamma, beta, n_sweeps):
    """Block coordinate ascent on the QROT dual: alternately balance every row
    (exact maximisation over ``alpha``) and every column (over ``beta``).

    Returns ``(alpha, beta)``; a cheap start for semismooth Newton, where every
    row and column has active pairs.
    """
    MT = np.asfortranarray(M.T)
    alpha = np.zeros(M.shape[0])
    for _ in range(n_sweeps):
        alpha = balance_columns(MT, a, gamma, beta)
        beta = balance_columns(M, b, gamma, alpha)
    return alpha, beta

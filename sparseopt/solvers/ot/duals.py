"""Numba kernels of the smooth (quadratically regularised) OT duals.

Notation: ``a`` (m,) and ``b`` (n,) are the marginals, ``M`` (m, n) the cost,
``gamma`` the weight of the quadratic regulariser ``gamma/2 ||T||^2``. For
column ``j`` let ``s = alpha + beta_j - M[:, j]``.

- Dual (Blondel, Seguy & Rolet, 2018; Liu, Puigcerver & Blondel, 2023):
  ``alpha^T a + beta^T b - sum_j delta_k(s_j)`` with
  ``delta_k(s) = 1/(2 gamma) sum_{i in topk(s)} [s_i]_+^2``; ``k >= m`` is
  quadratically regularised OT (QROT). ``T[:, j] = grad delta_k(s_j)``.
- Semi-dual: ``alpha^T a - sum_j b_j max_k(alpha - M[:, j]; b_j)`` with
  ``max_k(s; b) = max { y^T s - gamma b / 2 ||y||^2 : y in simplex, ||y||_0 <= k }``,
  attained at the k-sparse simplex projection of ``s / (gamma b)``;
  ``T[:, j] = b_j y_j``. It equals the dual maximised over ``beta``, whose
  maximiser ``beta_j = -gamma b_j tau_j`` (``tau_j`` the projection's
  threshold) the kernel also returns.

Every kernel makes one pass over ``M`` (Fortran order: columns contiguous),
keeps only the candidates of each column (positive entries; for the
semi-dual, entries within one of the column's maximum), selects the top-k
among them by partition (:mod:`~sparseopt.solvers.ot.selection`) and returns
the objective, the gradient (the marginal violations) and, on request, the
plan as CSC arrays. Exact ties in the top-k selection of column ``j`` are
broken in cyclic row order starting at row ``j mod m`` (so a constant cost
spreads the columns over the rows).
"""

import numpy as np
from numba import njit

from sparseopt.solvers.ot.selection import partition_top_k, simplex_threshold, sort_by_index

__all__ = [
    "balance_columns",
    "dual_objective",
    "qrot_step",
    "restricted_dual_objective",
    "restricted_dual_step",
    "semi_dual_objective",
    "smoothed_dual_objective",
]


@njit(cache=True, nogil=True)
def _plan_buffers(n, per_column, want_plan):
    """Growable CSC buffers (empty unless ``want_plan``)."""
    capacity = max(n * per_column, 16) if want_plan else 0
    return (np.zeros(n + 1, dtype=np.int64), np.empty(capacity, dtype=np.int64),
            np.empty(capacity))


@njit(cache=True, nogil=True)
def _store_column(indptr, indices, data, nnz, j, rows, values, count, scale):
    """Append one column (rows sorted here) to the CSC buffers, growing them."""
    sort_by_index(rows, values, count)
    if nnz + count > indices.shape[0]:
        capacity = max(2 * indices.shape[0], nnz + count)
        grown_indices = np.empty(capacity, dtype=np.int64)
        grown_data = np.empty(capacity)
        grown_indices[:nnz] = indices[:nnz]
        grown_data[:nnz] = data[:nnz]
        indices, data = grown_indices, grown_data
    for p in range(count):
        indices[nnz + p] = rows[p]
        data[nnz + p] = values[p] * scale
    indptr[j + 1] = nnz + count
    return indices, data, nnz + count


@njit(cache=True, nogil=True)
def _positives(alpha, shift, M, j, values, labels):
    """Gather ``s_i = alpha_i + shift - M[i, j] > 0`` with their tie-breaking
    labels (:func:`_label`); returns their count."""
    m = M.shape[0]
    count = 0
    for i in range(m):
        s = alpha[i] + shift - M[i, j]
        if s > 0.0:
            values[count] = s
            labels[count] = _label(i, j, m)
            count += 1
    return count


@njit(cache=True, nogil=True, inline="always")
def _label(i, j, m):
    """Tie-breaking rank of row ``i`` in column ``j``: rows in cyclic order
    from row ``j mod m``, so exact ties (constant or integer costs) are
    spread over the rows instead of all going to the first ones."""
    label = i - j % m
    return label + m if label < 0 else label


@njit(cache=True, nogil=True)
def _rows_of(labels, count, j, m):
    """Row indices back from :func:`_label` (in place)."""
    shift = j % m
    for p in range(count):
        row = labels[p] + shift
        labels[p] = row - m if row >= m else row


@njit(cache=True, nogil=True)
def dual_objective(alpha, beta, M, a, b, gamma, k, want_plan):
    """Sparsity-constrained dual (QROT for ``k >= m``): value, gradients and
    optionally the plan (CSC ``indptr, indices, data``)."""
    m, n = M.shape
    value = alpha @ a + beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    values = np.empty(m)
    rows = np.empty(m, dtype=np.int64)
    indptr, indices, data = _plan_buffers(n, min(k, 8), want_plan)
    nnz = 0
    inverse = 1.0 / gamma
    for j in range(n):
        count = _positives(alpha, beta[j], M, j, values, rows)
        if count > k:
            partition_top_k(values, rows, count, k)
            count = k
        _rows_of(rows, count, j, m)
        column = 0.0
        for p in range(count):
            s = values[p]
            t = s * inverse
            value -= 0.5 * s * t
            grad_alpha[rows[p]] -= t
            column += t
        grad_beta[j] -= column
        if want_plan:
            indices, data, nnz = _store_column(indptr, indices, data, nnz, j, rows, values,
                                               count, inverse)
    return value, grad_alpha, grad_beta, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def qrot_step(alpha, beta, d_alpha, d_beta, step, M, a, b, gamma, want_plan):
    """The QROT dual at ``(alpha, beta) + step (d_alpha, d_beta)`` and its
    exact increment over the value at ``(alpha, beta)``, in one pass.

    The increment is summed pair by pair, as ``t ds (2 s + t ds)`` where both
    points are active, so it keeps its precision near the optimum, where
    the two values agree to more digits than a float holds (a line search on
    differences of values stalls there). Returns ``(increment, value,
    grad_alpha, grad_beta, indptr, indices, data)`` at the new point.
    """
    m, n = M.shape
    new_alpha = alpha + step * d_alpha
    new_beta = beta + step * d_beta
    increment = step * (d_alpha @ a + d_beta @ b)
    value = new_alpha @ a + new_beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    values = np.empty(m)
    rows = np.empty(m, dtype=np.int64)
    indptr, indices, data = _plan_buffers(n, 8, want_plan)
    nnz = 0
    half = 0.5 / gamma
    inverse = 1.0 / gamma
    for j in range(n):
        count = 0
        column = 0.0
        for i in range(m):
            s = alpha[i] + beta[j] - M[i, j]
            change = step * (d_alpha[i] + d_beta[j])
            moved = s + change
            if moved > 0.0:
                if s > 0.0:
                    increment -= half * change * (2.0 * s + change)
                else:
                    increment -= half * moved * moved
                t = moved * inverse
                value -= 0.5 * moved * t
                grad_alpha[i] -= t
                column += t
                values[count] = moved
                rows[count] = i
                count += 1
            elif s > 0.0:
                increment += half * s * s
        grad_beta[j] -= column
        if want_plan:
            indices, data, nnz = _store_column(indptr, indices, data, nnz, j, rows, values,
                                               count, inverse)
    return increment, value, grad_alpha, grad_beta, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def semi_dual_objective(alpha, M, a, b, gamma, k, want_plan):
    """Sparsity-constrained semi-dual: value, gradient, the column potentials
    ``beta`` that maximise the dual for this ``alpha``, and optionally the
    plan (CSC)."""
    m, n = M.shape
    value = alpha @ a
    gradient = a.copy()
    beta = np.empty(n)
    values = np.empty(m)
    rows = np.empty(m, dtype=np.int64)
    indptr, indices, data = _plan_buffers(n, min(k, 8), want_plan)
    nnz = 0
    for j in range(n):
        scale = 1.0 / (gamma * b[j])
        # candidates: entries within 1 of the column's maximum (the rest are
        # below any simplex threshold); gathered against a running maximum
        count = 0
        top = -np.inf
        for i in range(m):
            s = (alpha[i] - M[i, j]) * scale
            if s > top - 1.0:
                values[count] = s
                rows[count] = _label(i, j, m)
                count += 1
                if s > top:
                    top = s
        kept = 0
        for p in range(count):
            if values[p] > top - 1.0:
                values[kept] = values[p]
                rows[kept] = rows[p]
                kept += 1
        if kept > k:
            partition_top_k(values, rows, kept, k)
            kept = k
        _rows_of(rows, kept, j, m)
        tau = simplex_threshold(values, kept, 1.0)
        beta[j] = -gamma * b[j] * tau
        inner = 0.0
        squared = 0.0
        count = 0
        for p in range(kept):
            y = values[p] - tau
            if y <= 0.0:
                continue
            inner += y * values[p]
            squared += y * y
            gradient[rows[p]] -= b[j] * y
            values[count] = y
            rows[count] = rows[p]
            count += 1
        value -= gamma * b[j] * b[j] * (inner - 0.5 * squared)
        if want_plan:
            indices, data, nnz = _store_column(indptr, indices, data, nnz, j, rows, values,
                                               count, b[j])
    return value, gradient, beta, indptr, indices[:nnz], data[:nnz]


@njit(cache=True, nogil=True)
def _capped_threshold(z, count, k):
    """``tau >= 0`` with ``sum_p clip(z_p - tau, 0, 1) = k`` over ``z[:count]``
    (``0`` when the clipped sum is at most ``k``): the projection of ``z``
    onto ``{0 <= theta <= 1, sum theta <= k}`` is ``clip(z - tau, 0, 1)``.
    A sweep over the sorted breakpoints ``z_p`` and ``z_p - 1``."""
    total = 0.0
    for p in range(count):
        total += min(max(z[p], 0.0), 1.0)
    if total <= k:
        return 0.0
    events = np.empty(2 * count)
    events[:count] = z[:count]
    events[count:] = z[:count] - 1.0
    order = np.argsort(-events)
    saturated, free, free_sum = 0.0, 0, 0.0
    for e in order:
        tau = events[e]
        if tau <= 0.0:
            break
        if saturated + free_sum - free * tau >= k and free > 0:
            return max((saturated + free_sum - k) / free, 0.0)
        if e < count:  # below z_p the entry is free
            free += 1
            free_sum += z[e]
        else:  # below z_p - 1 it is saturated
            free -= 1
            free_sum -= z[e - count]
            saturated += 1.0
    return max((saturated + free_sum - k) / free, 0.0) if free > 0 else 0.0


@njit(cache=True, nogil=True)
def smoothed_dual_objective(alpha, beta, M, a, b, gamma, k, mu):
    """The dual with a smoothed top-k: value and gradients.

    ``delta_k(s) = max_{theta in [0, 1]^m, sum theta <= k} theta^T x`` with
    ``x = [s]_+^2 / (2 gamma)`` becomes ``max theta^T x - mu/2 ||theta||^2``,
    whose maximiser ``theta = clip(x / mu - tau, 0, 1)`` is continuous in
    ``s``: the smoothed dual is differentiable, at most ``n k mu / 2`` above
    the dual, and equal to it where the top-k is ``mu``-separated. The plan
    is ``theta [s]_+ / gamma``.
    """
    m, n = M.shape
    value = alpha @ a + beta @ b
    grad_alpha = a.copy()
    grad_beta = b.copy()
    values = np.empty(m)
    rows = np.empty(m, dtype=np.int64)
    scaled = np.empty(m)
    half = 0.5 / gamma
    for j in range(n):
        count = _positives(alpha, beta[j], M, j, values, rows)
        for p in range(count):
            scaled[p] = half * values[p] * values[p] / mu
        tau = _capped_threshold(scaled, count, k)
        column = 0.0
        for p in range(count):
            weight = min(max(scaled[p] - tau, 0.0), 1.0)
            if weight == 0.0:
                continue
            value -= mu * weight * (scaled[p] - 0.5 * weight)
            t = weight * values[p] / gamma
            grad_alpha[(rows[p] + j) % m] -= t  # rows[p] holds the cyclic label
            column += t
        grad_beta[j] -= column
    return value, grad_alpha, grad_beta


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
def restricted_dual_step(alpha, beta, d_alpha, d_beta, step, costs, rows, columns, a, b,
                         gamma):
    """:func:`restricted_dual_objective` at the moved point with the exact
    increment (as :func:`qrot_step`): ``(increment, value, grad_alpha,
    grad_beta, plan)``."""
    increment = step * (d_alpha @ a + d_beta @ b)
    value, grad_alpha, grad_beta, plan = restricted_dual_objective(
        alpha + step * d_alpha, beta + step * d_beta, costs, rows, columns, a, b, gamma)
    half = 0.5 / gamma
    for p in range(costs.shape[0]):
        s = alpha[rows[p]] + beta[columns[p]] - costs[p]
        change = step * (d_alpha[rows[p]] + d_beta[columns[p]])
        moved = s + change
        if s > 0.0 and moved > 0.0:
            increment -= half * change * (2.0 * s + change)
        elif moved > 0.0:
            increment -= half * moved * moved
        elif s > 0.0:
            increment += half * s * s
    return increment, value, grad_alpha, grad_beta, plan


@njit(cache=True, nogil=True)
def balance_columns(M, b, gamma, alpha=None):
    """``beta`` such that ``sum_i [alpha_i + beta_j - M_ij]_+ / gamma = b_j``.

    The exact maximiser of the QROT dual over the column potentials for fixed
    row potentials (zero by default): per column a simplex threshold over
    the entries within ``gamma b_j`` of the largest ``alpha_i - M_ij``.
    """
    m, n = M.shape
    beta = np.empty(n)
    values = np.empty(m)
    for j in range(n):
        top = -np.inf
        for i in range(m):
            v = (alpha[i] if alpha is not None else 0.0) - M[i, j]
            if v > top:
                top = v
        radius = gamma * b[j]
        if top == -np.inf:  # no allowed pair in this column
            beta[j] = 0.0
            continue
        if radius <= 0.0:
            beta[j] = -top
            continue
        count = 0
        for i in range(m):
            v = (alpha[i] if alpha is not None else 0.0) - M[i, j]
            if v > top - radius:
                values[count] = v
                count += 1
        beta[j] = -simplex_threshold(values, count, radius)
    return beta

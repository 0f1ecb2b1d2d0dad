"""Entropic OT kernels: log-domain Sinkhorn sweeps, the dual value, the plan
and its largest entries (for Sinkhorn-Newton-Sparse's sparsified Hessian).

Entropic OT with regularisation ``reg``: the plan is
``P_ij = exp((f_i + g_j - M_ij) / reg)`` for dual potentials ``f, g`` that
maximise the concave dual

    L(f, g) = f^T a + g^T b - reg sum_ij P_ij.
"""

import numpy as np
from numba import njit

from sparseopt.core.fastmath import exp_kernel

__all__ = ["log_sinkhorn_sweeps", "row_top_entries", "dual_value", "plan_from_potentials"]


@njit(cache=True, nogil=True)
def _log_sum_exp_row(M, row, potentials, reg, buffer, exps, work):
    """``reg * log sum_j exp((potentials_j - M[row, j]) / reg)``, stable
    (vectorised exponentials of the shifted row in ``buffer``)."""
    n = M.shape[1]
    top = -np.inf
    for j in range(n):
        value = potentials[j] - M[row, j]
        buffer[j] = value
        if value > top:
            top = value
    inverse = 1.0 / reg
    for j in range(n):
        buffer[j] = (buffer[j] - top) * inverse
    exp_kernel(buffer, exps, work)
    return top + reg * np.log(exps.sum())


@njit(cache=True, nogil=True)
def log_sinkhorn_sweeps(M, MT, a, b, reg, f, g, n_sweeps, tol):
    """Up to ``n_sweeps`` log-domain Sinkhorn sweeps in place (jitted).

    ``M`` and ``MT`` are the cost and its transpose, both C-contiguous, so
    every log-sum-exp reads a contiguous row. Each sweep measures the L1 row
    marginal error before updating ``f`` (the columns are exact after each
    ``g`` update) and stops, after that ``f`` update, once it is at most
    ``tol``. Returns ``(sweeps started, last error)``.
    """
    m, n = M.shape
    size = max(m, n)
    buffer, exps = np.empty(size), np.empty(size)
    work = np.empty(size, dtype=np.int64)
    log_a = np.log(a)
    log_b = np.log(b)
    error = np.inf
    for sweep in range(n_sweeps):
        error = 0.0
        for i in range(m):
            level = _log_sum_exp_row(M, i, g, reg, buffer[:n], exps[:n], work)
            error += abs(np.exp((f[i] + level) / reg) - a[i])
            f[i] = reg * log_a[i] - level
        if error <= tol:  # this sweep's f half ran: it counts
            return sweep + 1, error
        for j in range(n):
            g[j] = reg * log_b[j] - _log_sum_exp_row(MT, j, f, reg, buffer[:m], exps[:m], work)
    return n_sweeps, error


@njit(cache=True, nogil=True)
def _plan_row(M, reg, f, g, i, buffer, row, work):
    """Row ``i`` of the plan into ``row``."""
    inverse = 1.0 / reg
    for j in range(M.shape[1]):
        buffer[j] = (f[i] + g[j] - M[i, j]) * inverse
    exp_kernel(buffer, row, work)


@njit(cache=True, nogil=True)
def dual_value(M, a, b, reg, f, g):
    """``L(f, g)`` and the row and column sums of the plan."""
    m, n = M.shape
    rows = np.zeros(m)
    columns = np.zeros(n)
    buffer, row = np.empty(n), np.empty(n)
    work = np.empty(n, dtype=np.int64)
    for i in range(m):
        _plan_row(M, reg, f, g, i, buffer, row, work)
        rows[i] = row.sum()
        columns += row
    return f @ a + g @ b - reg * rows.sum(), rows, columns


@njit(cache=True, nogil=True)
def row_top_entries(M, reg, f, g, k):
    """Per row, the ``k`` largest plan entries as COO arrays (row, column, value)."""
    m, n = M.shape
    rows = np.empty(m * k, dtype=np.int64)
    columns = np.empty(m * k, dtype=np.int64)
    values = np.empty(m * k)
    chosen = np.empty(k, dtype=np.int64)
    chosen_values = np.empty(k)
    count = 0
    for i in range(m):
        kept = 0
        for j in range(n):
            value = f[i] + g[j] - M[i, j]
            if kept == k and value <= chosen_values[k - 1]:
                continue
            position = kept if kept < k else k - 1
            while position > 0 and chosen_values[position - 1] < value:
                if position < k:
                    chosen[position] = chosen[position - 1]
                    chosen_values[position] = chosen_values[position - 1]
                position -= 1
            chosen[position] = j
            chosen_values[position] = value
            if kept < k:
                kept += 1
        for position in range(kept):
            rows[count] = i
            columns[count] = chosen[position]
            values[count] = np.exp(chosen_values[position] / reg)
            count += 1
    return rows[:count], columns[:count], values[:count]


@njit(cache=True, nogil=True)
def plan_from_potentials(M, reg, f, g):
    """The dense plan ``exp((f_i + g_j - M_ij) / reg)``."""
    m, n = M.shape
    plan = np.empty((m, n))
    buffer = np.empty(n)
    work = np.empty(n, dtype=np.int64)
    for i in range(m):
        _plan_row(M, reg, f, g, i, buffer, plan[i], work)
    return plan

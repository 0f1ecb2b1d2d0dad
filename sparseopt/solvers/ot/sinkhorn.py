"""Entropic OT kernels: log-domain Sinkhorn sweeps, the dual value and its
exact increments along a direction, the plan and its largest entries (for
Sinkhorn-Newton-Sparse's sparsified Hessian).

Entropic OT with regularisation ``reg``: the plan is
``P_ij = exp((f_i + g_j - M_ij) / reg)`` for dual potentials ``f, g`` that
maximise the concave dual

    L(f, g) = f^T a + g^T b - reg sum_ij P_ij.
"""

import numpy as np
from numba import njit

from sparseopt.core.fastmath import exp_kernel

__all__ = ["dual_step", "dual_value", "log_sinkhorn_sweeps", "plan_from_potentials",
           "plan_top_entries"]


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
def dual_step(M, a, b, reg, f, g, df, dg, step):
    """The increment ``L(f + t df, g + t dg) - L(f, g)`` (``t = step``) and
    the row and column sums of the plan at the moved point, in one pass.

    Summed entry by entry as ``P_ij expm1(delta_ij)``, ``delta_ij = t (df_i +
    dg_j) / reg`` (a Taylor polynomial below ``|delta| = 1e-3``, the
    difference of vectorised exponentials above): exact to rounding where
    the difference of the two values would have lost its digits (near the
    optimum, where the line search would then stall).
    """
    m, n = M.shape
    increment = step * (df @ a + dg @ b)
    rows = np.zeros(m)
    columns = np.zeros(n)
    inverse = 1.0 / reg
    old_exponents, new_exponents = np.empty(n), np.empty(n)
    old, new = np.empty(n), np.empty(n)
    work = np.empty(n, dtype=np.int64)
    total = 0.0
    for i in range(m):
        for j in range(n):
            z = (f[i] + g[j] - M[i, j]) * inverse
            old_exponents[j] = z
            new_exponents[j] = z + step * (df[i] + dg[j]) * inverse
        exp_kernel(old_exponents, old, work)
        exp_kernel(new_exponents, new, work)
        row = 0.0
        for j in range(n):
            delta = new_exponents[j] - old_exponents[j]
            if abs(delta) < 1e-3:
                change = old[j] * delta * (1.0 + delta * (0.5 + delta * (
                    1.0 / 6.0 + delta * (1.0 / 24.0 + delta * (1.0 / 120.0)))))
                value = old[j] + change
            else:
                value = new[j]
                change = value - old[j]
            total += change
            row += value
            columns[j] += value
        rows[i] = row
    return increment - reg * total, rows, columns


@njit(cache=True, nogil=True)
def _exponents(M, f, g):
    """``f_i + g_j - M_ij`` as a flat C-ordered array."""
    m, n = M.shape
    values = np.empty(m * n)
    for i in range(m):
        for j in range(n):
            values[i * n + j] = f[i] + g[j] - M[i, j]
    return values


@njit(cache=True, nogil=True)
def _gather_above(values, threshold, count, n, reg):
    """The entries above ``threshold`` and the first ties at it (flat index
    order) up to ``count``, as COO arrays."""
    rows = np.empty(count, dtype=np.int64)
    columns = np.empty(count, dtype=np.int64)
    entries = np.empty(count)
    kept = 0
    for p in range(values.shape[0]):
        if values[p] > threshold:
            rows[kept], columns[kept] = p // n, p % n
            entries[kept] = np.exp(values[p] / reg)
            kept += 1
    for p in range(values.shape[0]):
        if kept == count:
            break
        if values[p] == threshold:
            rows[kept], columns[kept] = p // n, p % n
            entries[kept] = np.exp(values[p] / reg)
            kept += 1
    return rows[:kept], columns[:kept], entries[:kept]


def plan_top_entries(M, reg, f, g, count):
    """The ``count`` largest entries of the plan (all rows and columns
    together, ties towards the smaller flat index) as COO arrays (row,
    column, value): the sparsification of Tang et al. (2024), a threshold
    at the ``count``-th largest entry. One pass and NumPy's introselect
    (``np.partition``), O(mn)."""
    values = _exponents(M, f, g)
    count = min(int(count), values.shape[0])
    threshold = np.partition(values, values.shape[0] - count)[values.shape[0] - count]
    return _gather_above(values, threshold, count, M.shape[1], reg)


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

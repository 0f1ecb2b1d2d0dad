"""Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024) for entropic OT.

A stabilised scaling-domain Sinkhorn phase, then Newton steps on the concave
dual with a sparsified Hessian, as driven by
:func:`sparseopt.ot.sinkhorn_newton_sparse` (which validates the input).
Notation as in :mod:`sparseopt.solvers.ot.sinkhorn`.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse.linalg import spsolve

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.ot.sinkhorn import (
    dual_value,
    log_sinkhorn_sweeps,
    plan_from_potentials,
    row_top_entries,
)

__all__ = ["sinkhorn_newton_sparse_solve"]

_ARMIJO = 1e-4
CHECK_EVERY = 10
_NEWTON_STEPS = 10  # typical number of steps of the Newton phase (cost model)
_SOLVE_FLOPS = 2e10  # flop rate assumed for a dense Cholesky (cost model)
# Measured on one core here for n = 200..2000: a scaling iteration runs its two
# mat-vecs (4 m n flops) at 4-8e9 flop/s, a plan evaluation 3.6-4.1e8 exps/s.
_MATVEC_FLOPS = 5e9
_EXP_RATE = 3.8e8


class _ScalingSinkhorn:
    """Stabilised scaling-domain Sinkhorn: ``P = diag(u) K diag(v)`` with
    ``K = exp((f + g - M) / reg)``. Large scalings are absorbed into the
    potentials ``f, g`` and ``K`` rebuilt; whenever a row or column of ``K``
    underflows to zero, a log-domain sweep resets the potentials first. Two
    BLAS mat-vecs per iteration otherwise."""

    def __init__(self, M, a, b, reg):
        self.M, self.a, self.b, self.reg = M, a, b, reg
        self.MT = np.ascontiguousarray(M.T)
        self.f, self.g = np.zeros_like(a), np.zeros_like(b)
        self._reset()

    def _reset(self):
        """One log-domain sweep, then ``K`` from the potentials (every row and
        column of ``K`` then carries its marginal, so none is zero)."""
        log_sinkhorn_sweeps(self.M, self.MT, self.a, self.b, self.reg, self.f, self.g, 1, 0.0)
        self._absorb(np.ones_like(self.a), np.ones_like(self.b))

    def _absorb(self, u, v):
        self.f = self.f + self.reg * np.log(u)
        self.g = self.g + self.reg * np.log(v)
        self.K = np.exp((self.f[:, None] + self.g[None, :] - self.M) / self.reg)
        self.u, self.v = np.ones_like(self.a), np.ones_like(self.b)

    def _healthy(self, values):
        return np.all(values > 0.0) and np.all(np.isfinite(values))

    def iterate(self, n_iter):
        """Run ``n_iter`` iterations; returns the row marginal error (L1)."""
        for _ in range(n_iter):
            Kv = self.K @ self.v
            if not self._healthy(Kv):
                self.f, self.g = self.potentials()
                self._reset()
                Kv = self.K @ self.v
            self.u = self.a / Kv
            Ku = self.K.T @ self.u
            if not self._healthy(Ku):
                self.f, self.g = self.potentials()
                self._reset()
                Ku = self.K.T @ self.u
            self.v = self.b / Ku
            if max(np.abs(np.log(self.u)).max(), np.abs(np.log(self.v)).max()) > 50.0:
                self._absorb(self.u, self.v)
        return float(np.abs(self.u * (self.K @ self.v) - self.a).sum())

    def potentials(self):
        return self.f + self.reg * np.log(self.u), self.g + self.reg * np.log(self.v)


def _newton_step(M, a, b, reg, f, g, rows_sum, columns_sum, k):
    """Direction of the sparsified Newton system (last column potential fixed).

    With ``k`` at least a quarter of the columns the system is formed densely
    and solved by Cholesky; otherwise it is a sparse system (``k`` largest
    entries of every row of the plan) solved by a sparse LU.
    """
    m, n = M.shape
    gradient = np.concatenate([a - rows_sum, (b - columns_sum)[:-1]])
    if 4 * k >= n:
        plan = plan_from_potentials(M, reg, f, g)
        matrix = np.zeros((m + n - 1, m + n - 1))
        matrix[:m, :m][np.diag_indices(m)] = rows_sum
        matrix[m:, m:][np.diag_indices(n - 1)] = columns_sum[:-1]
        matrix[:m, m:] = plan[:, :-1]
        matrix[m:, :m] = plan[:, :-1].T
        # rows whose mass underflowed make the system nearly singular: ridge
        matrix[np.diag_indices(m + n - 1)] += 1e-12 * max(rows_sum.max(), columns_sum.max())
        try:
            step = cho_solve(cho_factor(matrix / reg), gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(matrix / reg, gradient, rcond=None)[0]
    else:
        rows, columns, values = row_top_entries(M, reg, f, g, k)
        keep = columns < n - 1
        size = m + n - 1
        matrix = sp.csc_matrix(
            (np.concatenate([values[keep], values[keep], rows_sum, columns_sum[:-1]]),
             (np.concatenate([rows[keep], m + columns[keep], np.arange(size)]),
              np.concatenate([m + columns[keep], rows[keep], np.arange(size)]))),
            shape=(size, size)) / reg
        step = np.atleast_1d(spsolve(matrix, gradient))
    return step[:m], np.append(step[m:], 0.0)


def _newton_cost(m, n):
    """Predicted seconds of a Newton phase: ``_NEWTON_STEPS`` steps of three
    plan evaluations and one dense solve (cost model, no timing: the switch
    is deterministic)."""
    return _NEWTON_STEPS * (3 * m * n / _EXP_RATE + (m + n) ** 3 / 3 / _SOLVE_FLOPS)


def _sinkhorn_iteration_cost(m, n):
    """Predicted seconds of one scaling Sinkhorn iteration (two mat-vecs)."""
    return 4 * m * n / _MATVEC_FLOPS


def _sinkhorn_phase(C, a, b, reg, tol, max_iter, max_newton, min_sinkhorn, newton, history):
    """Scaling Sinkhorn until ``tol``, ``max_iter`` or the predicted switch.

    Returns the potentials, the number of iterations and the last error.
    """
    m, n = C.shape
    sinkhorn = _ScalingSinkhorn(C, a, b, reg)
    errors, n_sinkhorn, error = [], 0, np.inf
    per_iteration, newton_cost = _sinkhorn_iteration_cost(m, n), _newton_cost(m, n)
    while n_sinkhorn < max_iter:
        chunk = min(CHECK_EVERY, max_iter - n_sinkhorn)
        error = sinkhorn.iterate(chunk)
        n_sinkhorn += chunk
        history.append(n_sinkhorn, np.nan, error)
        errors.append(error)
        if error <= tol:
            break
        if newton == "never" or max_newton == 0:
            continue
        if newton == "always" and n_sinkhorn >= min_sinkhorn:
            break
        if n_sinkhorn >= min_sinkhorn and len(errors) >= 4 and errors[-4] > 0:
            # the observed linear rate over the last 30 iterations; a rising
            # error (a transient) says nothing yet
            rate = (errors[-1] / errors[-4]) ** (1.0 / (3 * CHECK_EVERY))
            if rate >= 1.0:
                continue
            remaining = np.log(tol / error) / np.log(max(rate, 1e-300))
            if remaining * per_iteration > newton_cost:
                break
    f, g = sinkhorn.potentials()
    return f, g, n_sinkhorn, error


def _newton_phase(C, a, b, reg, f, g, tol, max_newton, k, n_sinkhorn, history):
    """Sparsified Newton steps with an Armijo line search on the dual.

    Returns ``f, g, error, n_newton, n_sinkhorn, k`` (the final density).
    """
    n = C.shape[1]
    CT = np.ascontiguousarray(C.T)
    value, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
    error = float(np.abs(rows_sum - a).sum() + np.abs(columns_sum - b).sum())
    n_newton = 0
    while error > tol and n_newton < max_newton:
        n_newton += 1
        df, dg = _newton_step(C, a, b, reg, f, g, rows_sum, columns_sum, k)
        slope = float((a - rows_sum) @ df + (b - columns_sum) @ dg)
        step, accepted = 1.0, False
        while step >= 1e-8:
            trial = dual_value(C, a, b, reg, f + step * df, g + step * dg)
            if np.isfinite(trial[0]) and trial[0] >= value + _ARMIJO * step * slope:
                accepted = True
                break
            step *= 0.5
        if accepted:
            f, g = f + step * df, g + step * dg
            value, rows_sum, columns_sum = trial
        else:  # far from the solution the Newton model can fail: Sinkhorn sweeps
            f, g = f.copy(), g.copy()
            log_sinkhorn_sweeps(C, CT, a, b, reg, f, g, CHECK_EVERY, 0.0)
            n_sinkhorn += CHECK_EVERY
            value, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
        previous, error = error, float(np.abs(rows_sum - a).sum()
                                       + np.abs(columns_sum - b).sum())
        history.append(n_sinkhorn + n_newton, value, error)
        if error > 0.5 * previous:  # a sparse Hessian this thin converges slowly
            k = min(2 * k, n)
    return f, g, error, n_newton, n_sinkhorn, k


def sinkhorn_newton_sparse_solve(C, a, b, reg, *, tol, max_iter, max_newton, min_sinkhorn,
                                 newton, density):
    """Sinkhorn-Newton-Sparse on validated input (``C`` C-ordered float64).

    Returns
    -------
    f, g : ndarray
        The dual potentials.
    info : dict
        ``n_sinkhorn``, ``n_newton``, ``density`` (final ``k``),
        ``marginal_error`` (of the last iterate) and ``history``.
    """
    history = ConvergenceHistory("marginal_error")
    f, g, n_sinkhorn, error = _sinkhorn_phase(C, a, b, reg, tol, max_iter, max_newton,
                                              min_sinkhorn, newton, history)
    n_newton, k = 0, density
    if error > tol and newton != "never":
        f, g, error, n_newton, n_sinkhorn, k = _newton_phase(
            C, a, b, reg, f, g, tol, max_newton, density, n_sinkhorn, history)
    return f, g, {"n_sinkhorn": n_sinkhorn, "n_newton": n_newton, "density": k,
                  "marginal_error": error, "history": history}

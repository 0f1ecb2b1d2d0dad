"""Sinkhorn-Newton-Sparse (Tang et al., ICLR 2024) for entropic OT.

A stabilised scaling-domain Sinkhorn phase, then Newton steps on the concave
dual with a sparsified Hessian, as driven by
:func:`sparseopt.ot.sinkhorn_newton_sparse` (which validates the input).
Notation as in :mod:`sparseopt.solvers.ot.sinkhorn`.
"""

import numpy as np

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.ot.block_system import solve_block_system
from sparseopt.solvers.ot.sinkhorn import (
    dual_step,
    dual_value,
    log_sinkhorn_sweeps,
    plan_top_entries,
)
from sparseopt.utils import DeferredInterrupt

__all__ = ["sinkhorn_newton_sparse_solve"]

_ARMIJO = 1e-4
CHECK_EVERY = 10
_NEWTON_STEPS = 15  # typical number of steps of the Newton phase (cost model)
_STALL_STEPS = 20  # Newton steps without a new smallest error: stalled
# CG's relative residual (an inexact Newton step): measured on problem(500)
# seeds 0, 1 and problem(1000), 1e-2 took 0.7-0.9x the time of min(0.1, error)
# (the Newton phase converges linearly there anyway, ~0.4 per step).
_CG_RTOL = 1e-2
_SCALING_START = 1e-3  # epsilon scaling below this fraction of range(M)
_STAGE_TOL = 1e-6
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

    def __init__(self, M, a, b, reg, f=None, g=None):
        self.M, self.a, self.b, self.reg = M, a, b, reg
        self.MT = np.ascontiguousarray(M.T)
        self.f = np.zeros_like(a) if f is None else f.copy()
        self.g = np.zeros_like(b) if g is None else g.copy()
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


def _newton_cost(m, n):
    """Predicted seconds of a Newton phase: ``_NEWTON_STEPS`` steps of about
    four plan evaluations (the step's sums, the sparsification and the line
    search) each (cost model, no timing: the switch is deterministic)."""
    return _NEWTON_STEPS * 4 * m * n / _EXP_RATE


def _sinkhorn_iteration_cost(m, n):
    """Predicted seconds of one scaling Sinkhorn iteration (two mat-vecs)."""
    return 4 * m * n / _MATVEC_FLOPS


def _sinkhorn_phase(C, a, b, reg, tol, max_iter, max_newton, min_sinkhorn, newton, history,
                    printer, check, f=None, g=None, offset=0):
    """Scaling Sinkhorn until ``tol``, ``max_iter`` or the switch to Newton
    (from the potentials ``f, g`` if given; ``offset`` numbers the history).

    Returns the potentials, the number of iterations and the last error.
    """
    m, n = C.shape
    sinkhorn = _ScalingSinkhorn(C, a, b, reg, f, g)
    errors, n_sinkhorn, error = [], 0, np.inf
    per_iteration, newton_cost = _sinkhorn_iteration_cost(m, n), _newton_cost(m, n)
    while n_sinkhorn < max_iter:
        chunk = min(CHECK_EVERY, max_iter - n_sinkhorn)
        error = sinkhorn.iterate(chunk)
        check()
        n_sinkhorn += chunk
        history.append(offset + n_sinkhorn, np.nan, error)
        if printer is not None:
            printer(offset + n_sinkhorn, criterion=error, phase="sinkhorn", reg=reg)
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
            remaining = np.log(max(tol, 1e-300) / error) / np.log(max(rate, 1e-300))
            if remaining * per_iteration > newton_cost:
                break
    f, g = sinkhorn.potentials()
    return f, g, n_sinkhorn, error


def _newton_direction(C, a, b, reg, f, g, rows_sum, columns_sum, density, linear_solver, error):
    """The sparsified Newton step of Tang et al.: the plan block of the
    Hessian keeps its ``ceil(density m n)`` largest entries (the diagonal
    blocks stay exact, so the system is positive definite up to the fixed
    potential), solved directly or by preconditioned CG to a relative
    residual ``_CG_RTOL`` (an inexact Newton step). Returns the step, the
    number of entries kept and the CG iterations."""
    m, n = C.shape
    count = max(int(np.ceil(density * m * n)), 1)
    rows, columns, entries = plan_top_entries(C, reg, f, g, count)
    ridge = 1e-12 * max(rows_sum.max(), columns_sum.max())  # rows whose mass underflowed
    df, dg, iterations = solve_block_system(
        rows, columns, entries, rows_sum + ridge, columns_sum + ridge, reg * (a - rows_sum),
        reg * (b - columns_sum), solver=linear_solver, rtol=_CG_RTOL)
    return df, dg, rows.shape[0], iterations


def _newton_phase(C, a, b, reg, f, g, tol, max_newton, density, linear_solver, n_sinkhorn,
                  history, printer, check, offset=0):
    """Sparsified Newton steps with an Armijo line search on the exact
    increment of the dual. The density doubles whenever a step fails to
    halve the marginal error (and is reported per step).

    Returns ``f, g, error, n_newton, n_sinkhorn, steps, status`` with
    ``steps`` the per-step records (density, entries kept, CG iterations,
    step length, error).
    """
    m, n = C.shape
    CT = np.ascontiguousarray(C.T)
    _, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
    error = float(np.abs(rows_sum - a).sum() + np.abs(columns_sum - b).sum())
    n_newton, steps, status, best = 0, [], "converged", error
    since_best = 0
    while error > tol:
        if n_newton >= max_newton:
            status = "max_newton"
            break
        n_newton += 1
        df, dg, kept, iterations = _newton_direction(C, a, b, reg, f, g, rows_sum, columns_sum,
                                                     density, linear_solver, error)
        check()
        slope = float((a - rows_sum) @ df + (b - columns_sum) @ dg)
        step, accepted = 1.0, False
        while slope > 0 and step >= 1e-10:
            increment, trial_rows, trial_columns = dual_step(C, a, b, reg, f, g, df, dg, step)
            check()
            if np.isfinite(increment) and increment >= _ARMIJO * step * slope:
                accepted = True
                break
            step *= 0.5
        if accepted:
            f, g = f + step * df, g + step * dg
            rows_sum, columns_sum = trial_rows, trial_columns
        else:  # far from the solution the Newton model can fail: Sinkhorn sweeps
            step = 0.0
            f, g = f.copy(), g.copy()
            log_sinkhorn_sweeps(C, CT, a, b, reg, f, g, CHECK_EVERY, 0.0)
            n_sinkhorn += CHECK_EVERY
            _, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
        previous, error = error, float(np.abs(rows_sum - a).sum()
                                       + np.abs(columns_sum - b).sum())
        steps.append({"density": kept / (m * n), "entries": kept, "cg_iterations": iterations,
                      "step": step, "marginal_error": error})
        history.append(offset + n_sinkhorn + n_newton, np.nan, error)
        if printer is not None:
            printer(offset + n_sinkhorn + n_newton, criterion=error, phase="newton",
                    density=kept / (m * n), cg_iterations=iterations, step=step, reg=reg)
        if error > 0.5 * previous:  # a Hessian this sparse converges slowly
            density = min(2.0 * density, 1.0)
        best, since_best = (error, 0) if error < best else (best, since_best + 1)
        if since_best >= _STALL_STEPS:  # rounding: the error cannot go lower
            status = "stalled"
            break
    return f, g, error, n_newton, n_sinkhorn, steps, status


def sinkhorn_newton_sparse_solve(C, a, b, reg, *, tol, max_iter, max_newton, min_sinkhorn,
                                 newton, density, linear_solver="cg", printer=None):
    """Sinkhorn-Newton-Sparse on validated input (``C`` C-ordered float64,
    costs starting at zero).

    Below ``_SCALING_START`` times the cost's range, ``reg`` is reached by
    epsilon scaling: the problem is solved for ``reg`` ten times larger
    first (to a marginal error of 1e-6), and so on down, each stage started
    from the previous potentials (measured on problem(100) with Dirichlet
    target weights: SNS alone diverged at reg <= 1e-4, with scaling it
    converged down to 1e-7).

    Returns
    -------
    f, g : ndarray
        The dual potentials.
    info : dict
        ``n_sinkhorn``, ``n_newton``, ``newton_steps`` (per Newton step:
        ``density`` (fraction of the plan kept in the Hessian), ``entries``,
        ``cg_iterations``, ``step``, ``marginal_error``, ``reg``),
        ``status`` ("converged", "max_iter", "max_newton" or "stalled"),
        ``stages`` (the regularisations solved) and ``history``.
    """
    history = ConvergenceHistory("marginal_error")
    spread = float(C.max() - C.min())
    stages = [reg]
    while spread > 0 and stages[-1] < _SCALING_START * spread:
        stages.append(10.0 * stages[-1])
    stages = stages[::-1]
    f = g = None
    n_sinkhorn = n_newton = 0
    all_steps = []
    interrupt = DeferredInterrupt()
    for stage_reg in stages:
        last = stage_reg == reg
        stage_tol = tol if last else max(tol, _STAGE_TOL)
        with interrupt:  # Ctrl-C between kernel calls
            f, g, error, sinkhorn_count, steps, status = _solve_one(
                C, a, b, stage_reg, stage_tol, max_iter - n_sinkhorn, max_newton - n_newton,
                min_sinkhorn, newton, density, linear_solver, history, printer, f, g,
                n_sinkhorn, interrupt.check)
        for step in steps:
            step["reg"] = stage_reg
        n_sinkhorn += sinkhorn_count
        n_newton += len(steps)
        all_steps += steps
        if status != "converged" and not last:
            break
    return f, g, {"n_sinkhorn": n_sinkhorn, "n_newton": n_newton, "newton_steps": all_steps,
                  "status": status, "stages": stages, "history": history}


def _solve_one(C, a, b, reg, tol, max_iter, max_newton, min_sinkhorn, newton, density,
               linear_solver, history, printer, f, g, offset, check):
    """One regularisation: Sinkhorn, then Newton (from ``f, g`` if given)."""
    f, g, n_sinkhorn, error = _sinkhorn_phase(C, a, b, reg, tol, max(max_iter, 1), max_newton,
                                              min_sinkhorn, newton, history, printer, check, f,
                                              g, offset)
    steps, status = [], "converged" if error <= tol else "max_iter"
    if error > tol and newton != "never" and max_newton > 0:
        f, g, error, _, n_sinkhorn, steps, status = _newton_phase(
            C, a, b, reg, f, g, tol, max_newton, density, linear_solver, n_sinkhorn, history,
            printer, check, offset)
    return f, g, error, n_sinkhorn, steps, status

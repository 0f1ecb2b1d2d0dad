"""Entropic optimal transport: log-domain Sinkhorn and Sinkhorn-Newton-Sparse."""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse.linalg import spsolve
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.ot._validation import check_ot_problem
from sparseopt.solvers.ot_sinkhorn import (
    dual_value,
    log_sinkhorn_sweeps,
    plan_from_potentials,
    row_top_entries,
)
from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["sinkhorn_log", "sinkhorn_newton_sparse"]

_ARMIJO = 1e-4
_CHECK_EVERY = 10
_NEWTON_STEPS = 10  # typical number of steps of the Newton phase (cost model)
_SOLVE_FLOPS = 2e10  # flop rate assumed for a dense Cholesky (cost model)
# Measured on one core here for n = 200..2000: a scaling iteration runs its two
# mat-vecs (4 m n flops) at 4-8e9 flop/s, a plan evaluation 3.6-4.1e8 exps/s.
_MATVEC_FLOPS = 5e9
_EXP_RATE = 3.8e8


def _log_dict(f, g, M, reg, a, b, n_iter, error, history, **extra):
    value, *_ = dual_value(M, a, b, reg, f, g)
    return {"value": float(value), "alpha": f, "beta": g, "n_iter": n_iter,
            "marginal_error": float(error), "history": history, **extra}


def sinkhorn_log(a, b, M, reg, *, tol=1e-9, max_iter=10000, log=False):
    r"""Entropic OT by Sinkhorn iterations in the log domain (numba).

    Maximises the dual of
    :math:`\min_{P \in U(a, b)} \langle P, M\rangle + \mathrm{reg}\sum_{ij} P_{ij}
    (\log P_{ij} - 1)` by alternate exact maximisation over the potentials,
    :math:`f_i = \mathrm{reg}\log a_i - \mathrm{reg}\log\sum_j e^{(g_j - M_{ij})/\mathrm{reg}}`
    and the same for :math:`g`, with stable log-sum-exps on contiguous rows
    (no underflow at small ``reg``). The plan is
    :math:`P_{ij} = e^{(f_i + g_j - M_{ij})/\mathrm{reg}}`.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Entropic regularisation, ``reg > 0``.
    tol : float, default=1e-9
        Stop when the L1 marginal error (rows and columns) is at most ``tol``.
    max_iter : int, default=10000
        Maximum number of sweeps.
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : ndarray of shape (m, n)
        The transport plan.
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta`` (the
        potentials ``f, g``), ``n_iter``, ``marginal_error`` and ``history``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn_log
    >>> plan = sinkhorn_log(None, None, np.array([[0.0, 1.0], [1.0, 0.0]]), 0.1)
    >>> np.round(plan, 4)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    a, b, M, reg = check_ot_problem(a, b, M, reg, positive="sinkhorn_log")
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    C = np.ascontiguousarray(M)
    CT = np.ascontiguousarray(M.T)
    f, g = np.zeros(M.shape[0]), np.zeros(M.shape[1])
    history = ConvergenceHistory("marginal_error")
    done, error = 0, np.inf
    while done < max_iter:
        chunk = min(_CHECK_EVERY, max_iter - done)
        sweeps, error = log_sinkhorn_sweeps(C, CT, a, b, reg, f, g, chunk, tol)
        done += sweeps
        history.append(done, np.nan, error)
        if error <= tol:
            break
    loop_error = error
    value, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
    error = float(np.abs(rows_sum - a).sum() + np.abs(columns_sum - b).sum())  # of the plan
    if error > tol and (loop_error > tol or error > 10 * tol):
        warnings.warn(f"sinkhorn_log: the plan's marginal error is {error:.3e} > tol = {tol:.3e} "
                      f"after {done} sweeps (max_iter={max_iter}).", ConvergenceWarning,
                      stacklevel=2)
    plan = plan_from_potentials(C, reg, f, g)
    if not log:
        return plan
    return plan, {"value": float(value), "alpha": f, "beta": g, "n_iter": done,
                  "marginal_error": error, "history": history}


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


def sinkhorn_newton_sparse(a, b, M, reg, *, tol=1e-9, max_iter=10000, max_newton=200,
                           min_sinkhorn=20, newton="auto", density=None, log=False):
    r"""Sinkhorn-Newton-Sparse (Tang et al., 2024): Sinkhorn, then sparse Newton.

    Solves the same entropic OT problem as :func:`sinkhorn_log`. A
    stabilised Sinkhorn phase (scaling form, two BLAS mat-vecs per iteration,
    large scalings absorbed into log potentials) runs first; it watches its
    own linear rate and, with ``newton="auto"``, hands over to Newton only when
    the time it predicts for reaching ``tol`` exceeds the predicted time of a
    Newton phase (a cost model of flop and exp rates measured once, so the
    switch is deterministic; after at least ``min_sinkhorn`` iterations), so
    easy problems are finished by Sinkhorn alone. The
    Newton phase works on the concave dual
    :math:`L(f, g) = f^\top a + g^\top b - \mathrm{reg}\sum_{ij}P_{ij}` whose
    Hessian is minus :math:`\frac{1}{\mathrm{reg}}` times the block matrix
    with diagonal blocks :math:`\mathrm{diag}(P1)`, :math:`\mathrm{diag}(P^\top 1)`
    and off-diagonal blocks :math:`P`, :math:`P^\top`: the off-diagonal block is
    sparsified to the ``k`` largest entries of every row of :math:`P` (the
    diagonals stay exact, which keeps the system positive definite), the last
    column potential is fixed to remove the null direction, the sparse
    system is solved directly and the step is chosen by an Armijo line
    search on :math:`L`. ``k`` doubles whenever a Newton step fails to halve
    the marginal error; when the line search fails altogether (far from the
    solution at very small ``reg``), log-domain Sinkhorn sweeps are run
    instead.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Entropic regularisation, ``reg > 0``.
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol``.
    max_iter : int, default=10000
        Maximum number of iterations of the Sinkhorn phase (a Newton step
        rejected by the line search is followed by 10 log-domain sweeps, which
        ``n_sinkhorn`` also counts).
    max_newton : int, default=200
        Maximum number of Newton steps.
    min_sinkhorn : int, default=20
        Sinkhorn iterations before a switch can happen.
    newton : {"auto", "always", "never"}, default="auto"
        When to switch from Sinkhorn to Newton: by the predicted cost, right
        after ``min_sinkhorn`` iterations, or never (plain Sinkhorn).
    density : int, optional
        Initial ``k`` (entries kept per row), default ``max(2, ceil(2 n / 100))``.
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : ndarray of shape (m, n)
        The transport plan.
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta`` (the
        potentials), ``n_iter`` (Sinkhorn iterations + Newton steps),
        ``n_sinkhorn``, ``n_newton``, ``density`` (final ``k``),
        ``marginal_error`` and ``history``.

    References
    ----------
    .. [1] X. Tang, M. Shavlovsky, H. Rahmanian, E. Tardini, K. K. Thekumparampil,
       T. Xiao, L. Ying. "Accelerating Sinkhorn algorithm with sparse Newton
       iterations", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn_newton_sparse
    >>> rng = np.random.default_rng(0)
    >>> M = rng.random((30, 30))
    >>> plan, info = sinkhorn_newton_sparse(None, None, M, 0.01, log=True)
    >>> info["marginal_error"] <= 1e-9
    True
    """
    a, b, M, reg = check_ot_problem(a, b, M, reg, positive="sinkhorn_newton_sparse")
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    max_newton = check_integer(max_newton, "max_newton", lower=0)
    min_sinkhorn = check_integer(min_sinkhorn, "min_sinkhorn", lower=1)
    if newton not in ("auto", "always", "never"):
        raise ValueError(f"newton must be 'auto', 'always' or 'never', got {newton!r}.")
    m, n = M.shape
    k = max(2, int(np.ceil(2 * n / 100))) if density is None else check_integer(
        density, "density", lower=1, upper=n)
    C = np.ascontiguousarray(M)
    history = ConvergenceHistory("marginal_error")
    sinkhorn = _ScalingSinkhorn(C, a, b, reg)
    errors, n_sinkhorn, error = [], 0, np.inf
    per_iteration, newton_cost = _sinkhorn_iteration_cost(m, n), _newton_cost(m, n)
    while n_sinkhorn < max_iter:
        chunk = min(_CHECK_EVERY, max_iter - n_sinkhorn)
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
            rate = (errors[-1] / errors[-4]) ** (1.0 / (3 * _CHECK_EVERY))
            if rate >= 1.0:
                continue
            remaining = np.log(tol / error) / np.log(max(rate, 1e-300))
            if remaining * per_iteration > newton_cost:
                break
    f, g = sinkhorn.potentials()
    n_newton = 0
    if error > tol and newton != "never":
        CT = np.ascontiguousarray(C.T)
        value, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
        error = float(np.abs(rows_sum - a).sum() + np.abs(columns_sum - b).sum())
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
                log_sinkhorn_sweeps(C, CT, a, b, reg, f, g, _CHECK_EVERY, 0.0)
                n_sinkhorn += _CHECK_EVERY
                value, rows_sum, columns_sum = dual_value(C, a, b, reg, f, g)
            previous, error = error, float(np.abs(rows_sum - a).sum()
                                           + np.abs(columns_sum - b).sum())
            history.append(n_sinkhorn + n_newton, value, error)
            if error > 0.5 * previous:  # a sparse Hessian this thin converges slowly
                k = min(2 * k, n)
    if error > tol:
        warnings.warn(f"sinkhorn_newton_sparse did not reach tol: marginal error {error:.3e}.",
                      ConvergenceWarning, stacklevel=2)
    plan = plan_from_potentials(C, reg, f, g)
    if not log:
        return plan
    return plan, _log_dict(f, g, C, reg, a, b, n_sinkhorn + n_newton, error, history,
                           n_sinkhorn=n_sinkhorn, n_newton=n_newton, density=k)

"""Semismooth Newton for quadratically regularised OT (on all pairs or a support).

Maximises the concave, piecewise quadratic dual

    D(alpha, beta) = alpha^T a + beta^T b - 1/(2 gamma) sum_{(i,j)} [alpha_i + beta_j - M_ij]_+^2

whose generalised Hessian is ``-(1/gamma) [[diag(r), A], [A^T, diag(c)]]``,
``A`` the 0/1 pattern of the active pairs (``alpha_i + beta_j > M_ij``) and
``r, c`` its row and column counts. ``A`` is as sparse as the plan, so each
Newton system is a sparse symmetric system of size ``m + n - 1`` (the last
column potential is fixed to remove the null direction ``(1, -1)``), solved
by a sparse direct factorisation, followed by an Armijo backtracking line
search on ``D``. Newton starts after a few sweeps of alternate row and
column balancing (exact block coordinate ascent), so that every row and
column has active pairs.
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.ot.duals import (
    alternate_balancing,
    balance_columns,
    qrot_active_pairs,
    restricted_dual_objective,
)

__all__ = ["qrot_newton", "restricted_qrot_newton"]

_ARMIJO = 1e-4
_BALANCING_SWEEPS = 5
_STALL_WINDOW = 20  # repair: steps over which the error must drop by 1%


def _newton_direction(rows, columns, gradient_alpha, gradient_beta, gamma, shift):
    """Solve the regularised generalised-Newton system for the ascent step."""
    m, n = gradient_alpha.shape[0], gradient_beta.shape[0]
    row_counts = np.bincount(rows, minlength=m).astype(float)
    column_counts = np.bincount(columns, minlength=n).astype(float)
    keep = columns < n - 1
    size = m + n - 1
    pattern_rows = np.concatenate([rows[keep], m + columns[keep]])
    pattern_columns = np.concatenate([m + columns[keep], rows[keep]])
    diagonal = np.concatenate([row_counts, column_counts[:-1]]) + shift * gamma
    matrix = sp.csc_matrix(
        (np.concatenate([np.ones(pattern_rows.size), diagonal]),
         (np.concatenate([pattern_rows, np.arange(size)]),
          np.concatenate([pattern_columns, np.arange(size)]))), shape=(size, size)) / gamma
    rhs = np.concatenate([gradient_alpha, gradient_beta[:-1]])
    step = np.atleast_1d(spsolve(matrix, rhs))
    return step[:m], np.append(step[m:], 0.0)


def _newton_loop(evaluate, alpha, beta, gamma, tol, max_iter, history, stall_window=None):
    """Shared loop: ``evaluate(alpha, beta) -> (value, ga, gb, rows, cols, plan)``.

    With ``stall_window``, it also stops when the error has not dropped by 1%
    over that many steps (an infeasible restricted problem, whose dual is
    unbounded, makes no progress on the error).

    The Newton system is regularised by ``kappa * error`` on the diagonal
    (Levenberg-Marquardt style, as in regot's SSNS): ``kappa`` shrinks after
    full steps and grows after backtracking, so rows or columns that lost all
    their active pairs get bounded steps far from the solution while the
    method stays quadratic near it.
    """
    value, ga, gb, rows, cols, plan = evaluate(alpha, beta)
    error = float(np.abs(ga).sum() + np.abs(gb).sum())
    history.append(0, value, error)
    n_iter, kappa = 0, 1.0
    while error > tol and n_iter < max_iter:
        n_iter += 1
        da, db = _newton_direction(rows, cols, ga, gb, gamma, 1e-10 + kappa * error)
        slope = float(ga @ da + gb @ db)
        step = 1.0
        while True:
            trial = evaluate(alpha + step * da, beta + step * db)
            if trial[0] >= value + _ARMIJO * step * slope or step < 1e-10:
                break
            step *= 0.5
        kappa = kappa * 0.5 if step == 1.0 else min(kappa * 4.0, 1e6)
        alpha, beta = alpha + step * da, beta + step * db
        value, ga, gb, rows, cols, plan = trial
        error = float(np.abs(ga).sum() + np.abs(gb).sum())
        history.append(n_iter, value, error)
        if step < 1e-10:
            break
        if stall_window and n_iter >= stall_window and \
                error > 0.99 * history.criteria[n_iter - stall_window]:
            break
    return alpha, beta, value, plan, rows, cols, error, n_iter


def qrot_newton(a, b, M, gamma, *, tol=1e-9, max_iter=500):
    """Quadratically regularised OT by semismooth Newton on the dual.

    Parameters
    ----------
    a, b : ndarray
        Marginals (validated, float64).
    M : ndarray of shape (m, n)
        Cost, Fortran-ordered.
    gamma : float
        Regularisation weight.
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol``.
    max_iter : int, default=500
        Maximum number of Newton steps.

    Returns
    -------
    result : dict
        ``alpha``, ``beta``, ``value`` (dual objective), ``plan`` (CSC),
        ``marginal_error``, ``n_iter`` and ``history``.
    """
    m, n = M.shape

    def evaluate(alpha, beta):
        value, ga, gb, indptr, indices, data = qrot_active_pairs(alpha, beta, M, a, b, gamma)
        cols = np.repeat(np.arange(n), np.diff(indptr))
        return value, ga, gb, indices, cols, sp.csc_matrix((data, indices, indptr), shape=(m, n))

    history = ConvergenceHistory("marginal_error")
    alpha, beta = alternate_balancing(M, a, b, gamma, balance_columns(M, b, gamma, None),
                                      _BALANCING_SWEEPS)
    alpha, beta, value, plan, _, _, error, n_iter = _newton_loop(
        evaluate, alpha, beta, gamma, tol, max_iter, history)
    return {"alpha": alpha, "beta": beta, "value": value, "plan": plan,
            "marginal_error": error, "n_iter": n_iter, "history": history}


def restricted_qrot_newton(a, b, costs, rows, columns, shape, gamma, alpha, beta, *, tol=1e-9,
                           max_iter=500):
    """QROT restricted to the support ``{(rows[p], columns[p])}``, warm-started.

    Used to repair the marginals of a sparse plan without changing its
    support (pairs outside it are forbidden). Returns the same dict as
    :func:`qrot_newton`; the marginal error stays positive when the support
    cannot carry the marginals, and the loop then stops once the error stalls
    (less than 1% progress in ``_STALL_WINDOW`` steps).
    """
    m, n = shape

    def evaluate(alpha, beta):
        value, ga, gb, plan = restricted_dual_objective(alpha, beta, costs, rows, columns, a, b,
                                                        gamma)
        active = plan > 0
        matrix = sp.csc_matrix((plan, (rows, columns)), shape=shape)
        return value, ga, gb, rows[active], columns[active], matrix

    history = ConvergenceHistory("marginal_error")
    alpha, beta, value, plan, _, _, error, n_iter = _newton_loop(
        evaluate, alpha.copy(), beta.copy(), gamma, tol, max_iter, history,
        stall_window=_STALL_WINDOW)
    plan.eliminate_zeros()
    return {"alpha": alpha, "beta": beta, "value": value, "plan": plan,
            "marginal_error": error, "n_iter": n_iter, "history": history}

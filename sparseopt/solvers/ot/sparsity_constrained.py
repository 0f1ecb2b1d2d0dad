"""Sparsity-constrained OT (Liu, Puigcerver & Blondel, ICLR 2023) on validated arrays.

The relaxations (dual and semi-dual, see :mod:`~sparseopt.solvers.ot.duals`)
have the same optimal value ``D*_k``: the semi-dual is the dual maximised
over ``beta``. ``D*_k`` does not increase with ``k``; ``k = 1`` is
unregularised OT plus ``gamma/2 sum_j b_j^2`` and ``k >= m`` is QROT. The
driver:

1. solves QROT by semismooth Newton (:func:`~sparseopt.solvers.ot.newton.qrot_newton`);
   when its plan has at most ``k`` non-zeros in every column, it is feasible
   for the sparsity constraint, so the relaxation is tight and the QROT
   solution is returned (exact);
2. for ``k = 1``, takes the potentials of an exact network-simplex solve
   (POT's ``emd``), which maximise the ``k = 1`` semi-dual (exact);
3. otherwise maximises the dual from the better of the QROT potentials and
   the cold start (zero row potentials, balanced columns) by L-BFGS on a
   smoothed top-k (:func:`~sparseopt.solvers.ot.duals.smoothed_dual_objective`)
   with a continuation on the smoothing (:func:`_smoothing_continuation`).
   The relaxation is non-smooth where the top-k selection ties, so its
   gradient need not vanish at the optimum and plain L-BFGS stalls there;
   each smoothed stage stops on its own value, when it has improved by at
   most ``dual_tol * |value|`` over the last ``_WINDOW`` iterations. The
   chosen relaxation is evaluated after every stage and its best point
   kept; for the dual, the column potentials are finally replaced by the
   best ones for the row potentials (the semi-dual's), when that raises the
   value. The value reported is the largest relaxation value seen, at least
   the value at every start tried.

The plan is read off the potentials (at most ``k`` non-zeros per column);
the relaxation is not tight in general, so its marginals can be off, and the
optional repair re-solves QROT restricted to the plan's support.
"""

import numpy as np
import scipy.sparse as sp

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.ot.duals import (
    balance_columns,
    dual_objective,
    semi_dual_objective,
    smoothed_dual_objective,
)
from sparseopt.solvers.ot.lbfgs import maximise
from sparseopt.solvers.ot.newton import qrot_newton, restricted_qrot_newton
from sparseopt.utils import DeferredInterrupt

__all__ = ["sparsity_constrained_solve", "relaxation_value", "relaxation_plan"]

_WINDOW = 10
# Smoothing levels, relative to the largest squared slack at the start.
# Measured on problem(1000), k = 5: three stages (1e-2, 1e-4, 1e-6) reach
# 2e-9 (relative) below six (factor 10) in 0.66x the time; on 10 x 10 and
# 200 x 200 Dirichlet problems (k = 2) the value is that of cvxpy to 1e-9
# where plain L-BFGS stalled 2e-5 to 5e-5 below it.
_SMOOTHING = (1e-2, 1e-4, 1e-6)
_EMD_MAX_ITER = 10_000_000


def relaxation_value(alpha, beta, M, a, b, gamma, k, formulation):
    """The relaxation's objective at the potentials (the semi-dual ignores ``beta``)."""
    if formulation == "dual":
        return float(dual_objective(alpha, beta, M, a, b, gamma, k, False)[0])
    return float(semi_dual_objective(alpha, M, a, b, gamma, k, False)[0])


def relaxation_plan(alpha, beta, M, a, b, gamma, k, formulation):
    """``(value, alpha, beta, plan)``: the plan read off the potentials (CSC);
    the semi-dual's ``beta`` is its optimal column potentials."""
    m, n = M.shape
    if formulation == "dual":
        value, _, _, indptr, indices, data = dual_objective(alpha, beta, M, a, b, gamma, k, True)
    else:
        value, _, beta, indptr, indices, data = semi_dual_objective(alpha, M, a, b, gamma, k,
                                                                    True)
    return float(value), alpha, beta, sp.csc_matrix((data, indices, indptr), shape=(m, n))


def _smoothing_continuation(M, a, b, gamma, k, alpha, beta, formulation, dual_tol, max_iter,
                            history, printer):
    """L-BFGS on the smoothed dual (:func:`~sparseopt.solvers.ot.duals.smoothed_dual_objective`)
    for ``mu = X mu_s``, ``mu_s`` in ``_SMOOTHING`` (``X`` the largest
    ``[s]_+^2 / (2 gamma)`` at the start), each stage from the previous
    point and stopped when its value has improved by at most ``dual_tol``
    (relative) over ``_WINDOW`` iterations; the relaxation is evaluated after
    every stage and its best point kept. Returns ``(alpha, beta, value,
    n_iter, status)``."""
    m = M.shape[0]
    scale = _largest_squared_slack(M, gamma, alpha, beta)
    best_value = relaxation_value(alpha, beta, M, a, b, gamma, k, formulation)
    best = (alpha, beta)
    x, n_iter, status = np.concatenate([alpha, beta]), 0, "converged"
    for factor in _SMOOTHING:
        mu = factor * scale

        def objective(x, mu=mu):
            value, grad_alpha, grad_beta = smoothed_dual_objective(x[:m], x[m:], M, a, b, gamma,
                                                                   k, mu)
            return value, np.concatenate([grad_alpha, grad_beta])

        x, info = maximise(objective, x, rule="value", tol=dual_tol, max_iter=max_iter - n_iter,
                           history=history, printer=printer, window=_WINDOW,
                           first_iteration=n_iter)
        n_iter += info["n_iter"]
        candidate = (x[:m], x[m:])
        if formulation == "semi_dual":
            candidate = (x[:m], semi_dual_objective(x[:m], M, a, b, gamma, k, False)[2])
        value = relaxation_value(*candidate, M, a, b, gamma, k, formulation)
        if value > best_value:
            best_value, best = value, candidate
        if info["status"] == "max_iter" or n_iter >= max_iter:
            status = "max_iter"
            break
    return best[0], best[1], best_value, n_iter, status


def _largest_squared_slack(M, gamma, alpha, beta):
    """``max_ij [alpha_i + beta_j - M_ij]_+^2 / (2 gamma)`` (the scale of the smoothing)."""
    largest = float(np.max(alpha[:, None] + beta[None, :] - M))
    return max(largest, 0.0) ** 2 / (2 * gamma) if largest > 0 else 1.0


def _network_simplex_start(a, b, M):
    """``k = 1``: the row potentials of an exact OT solve (POT's network
    simplex), optimal for the ``k = 1`` semi-dual, and one row per column
    from its plan (the allowed row receiving most of the column's mass).
    Forbidden pairs (``+inf``) get a finite cost above any allowed path."""
    import ot

    finite = np.isfinite(M)
    cost = np.ascontiguousarray(M)
    if not finite.all():
        low, high = M[finite].min(), M[finite].max()
        cost = np.where(finite, M, high + (high - low + 1.0) * (sum(M.shape) + 1))
    plan, log = ot.emd(a, b, cost, numItermax=_EMD_MAX_ITER, log=True)
    if log["warning"] is not None:
        raise RuntimeError(f"the exact k = 1 solve failed: {log['warning']}")
    return np.asarray(log["u"], dtype=np.float64), np.argmax(np.where(finite, plan, -1.0), axis=0)


def _one_per_column(rows, b, m):
    n = b.shape[0]
    return sp.csc_matrix((b, rows, np.arange(n + 1)), shape=(m, n))


def _repair(a, b, M, gamma, plan, alpha, beta, tol):
    """Restricted QROT on the plan's support, from the relaxation's potentials."""
    m, n = M.shape
    columns = np.repeat(np.arange(n), np.diff(plan.indptr)).astype(np.int64)
    rows = plan.indices.astype(np.int64)
    start_beta = balance_columns_on_support(alpha, np.asarray(M[rows, columns]), rows, columns,
                                            b, gamma, n)
    return restricted_qrot_newton(a, b, np.asarray(M[rows, columns]), rows, columns, (m, n),
                                  gamma, alpha, start_beta, tol=tol)


def balance_columns_on_support(alpha, costs, rows, columns, b, gamma, n):
    """Column potentials with ``sum_i [alpha_i + beta_j - M_ij]_+ / gamma = b_j``
    over each column's support (``+inf`` cost outside it)."""
    counts = np.bincount(columns, minlength=n)
    width = max(int(counts.max(initial=0)), 1)
    padded = np.full((width, n), np.inf, order="F")
    offsets = np.arange(columns.size) - np.repeat(np.cumsum(counts) - counts, counts)
    padded[offsets, columns] = costs - alpha[rows]
    beta = balance_columns(padded, b, gamma)
    beta[counts == 0] = 0.0
    return beta


def _solve_k1(a, b, M, gamma, history):
    """``k = 1`` by network simplex: potentials, value and one row per column."""
    alpha, chosen_rows = _network_simplex_start(a, b, M)
    # the best column potentials: s = gamma b_j at each column's largest entry
    beta = gamma * b - np.max(alpha[:, None] - M, axis=0)
    value = relaxation_value(alpha, beta, M, a, b, gamma, 1, "dual")
    history.append(0, value, np.nan)
    return {"method": "network simplex", "alpha": alpha, "beta": beta, "value": value,
            "plan": _one_per_column(chosen_rows, b, M.shape[0]), "n_iter": 0,
            "status": "converged", "start_values": {"network simplex": value}}


def _solve_relaxation(a, b, M, gamma, k, formulation, tol, dual_tol, max_iter, history,
                      printer):
    """QROT (returned when its plan is k-sparse: tight), else the smoothing
    continuation from the better start."""
    m = M.shape[0]
    qrot = qrot_newton(a, b, M, gamma, tol=min(tol, 1e-9), max_iter=500, printer=printer)
    start_values = {"qrot": relaxation_value(qrot["alpha"], qrot["beta"], M, a, b, gamma, k,
                                             formulation)}
    if qrot["converged"] and np.diff(qrot["plan"].indptr).max(initial=0) <= k:
        history.append(qrot["n_iter"], start_values["qrot"], qrot["marginal_error"])
        return {"method": "qrot", "alpha": qrot["alpha"], "beta": qrot["beta"],
                "value": start_values["qrot"], "plan": qrot["plan"], "n_iter": qrot["n_iter"],
                "status": "converged", "start_values": start_values}
    cold_beta = balance_columns(M, b, gamma, None)
    start_values["cold"] = relaxation_value(np.zeros(m), cold_beta, M, a, b, gamma, k,
                                            formulation)
    if start_values["cold"] > start_values["qrot"]:
        alpha, beta = np.zeros(m), cold_beta
    else:
        alpha, beta = qrot["alpha"], qrot["beta"]
    alpha, beta, _, n_iter, status = _smoothing_continuation(
        M, a, b, gamma, k, alpha, beta, formulation, dual_tol, max_iter, history, printer)
    if formulation == "dual" and np.all(b > 0):  # the best beta for this alpha
        _, _, best_beta, *_ = semi_dual_objective(alpha, M, a, b, gamma, k, False)
        if relaxation_value(alpha, best_beta, M, a, b, gamma, k, "dual") > \
                relaxation_value(alpha, beta, M, a, b, gamma, k, "dual"):
            beta = best_beta
    value, alpha, beta, plan = relaxation_plan(alpha, beta, M, a, b, gamma, k, formulation)
    return {"method": "smoothing", "alpha": alpha, "beta": beta, "value": value, "plan": plan,
            "n_iter": n_iter, "status": status, "start_values": start_values}


def sparsity_constrained_solve(a, b, M, gamma, k, *, formulation="dual", tol=1e-9,
                               dual_tol=1e-8, max_iter=1000, repair=True, printer=None):
    """Sparsity-constrained OT on validated input (``M`` Fortran-ordered, ``1 <= k <= m``).

    Returns
    -------
    result : dict
        ``plan`` (CSC), ``alpha``, ``beta`` (potentials: of the repaired plan
        when the repair met ``tol``, else of the relaxation's best point),
        ``value`` (the relaxation's best value), ``start_values`` (the
        relaxation at every start tried), ``method`` ("qrot", "network
        simplex" or "smoothing"), ``n_iter``, ``status`` ("converged" or
        "max_iter"), ``marginal_error`` (of ``plan``),
        ``relaxation_marginal_error``, ``repair_iterations`` and ``history``.
    """
    history = ConvergenceHistory("marginal_error")
    # Ctrl-C between the kernels called outside the L-BFGS loop (whose own
    # DeferredInterrupt nests in this one) raises a clean KeyboardInterrupt
    with DeferredInterrupt() as interrupt:
        if k == 1:
            result = _solve_k1(a, b, M, gamma, history)
        else:
            result = _solve_relaxation(a, b, M, gamma, k, formulation, tol, dual_tol, max_iter,
                                       history, printer)
        result["value"] = max(result["value"], *result["start_values"].values())
        error = result["relaxation_marginal_error"] = _marginal_error(result["plan"], a, b)
        result["repair_iterations"] = None
        if repair and error > tol and result["method"] == "smoothing":
            repaired = _repair(a, b, M, gamma, result["plan"], result["alpha"], result["beta"],
                               tol)
            result["repair_iterations"] = repaired["n_iter"]
            repaired_error = _marginal_error(repaired["plan"], a, b)
            if repaired_error < error:
                result["plan"], error = repaired["plan"], repaired_error
                if repaired_error <= tol:  # else the relaxation's potentials, not diverging ones
                    result["alpha"], result["beta"] = repaired["alpha"], repaired["beta"]
        result["marginal_error"], result["history"] = error, history
        interrupt.check()
    return result


def _marginal_error(plan, a, b):
    rows = np.asarray(plan.sum(axis=1)).ravel()
    columns = np.asarray(plan.sum(axis=0)).ravel()
    return float(np.abs(rows - a).sum() + np.abs(columns - b).sum())

"""Entropic optimal transport: log-domain Sinkhorn and Sinkhorn-Newton-Sparse."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.ot._validation import check_ot_problem
from sparseopt.solvers.ot.sinkhorn import dual_value, log_sinkhorn_sweeps, plan_from_potentials
from sparseopt.solvers.ot.sinkhorn_newton import CHECK_EVERY, sinkhorn_newton_sparse_solve
from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["sinkhorn_log", "sinkhorn_newton_sparse"]


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
        chunk = min(CHECK_EVERY, max_iter - done)
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
    n = M.shape[1]
    k = max(2, int(np.ceil(2 * n / 100))) if density is None else check_integer(
        density, "density", lower=1, upper=n)
    C = np.ascontiguousarray(M)
    f, g, info = sinkhorn_newton_sparse_solve(C, a, b, reg, tol=tol, max_iter=max_iter,
                                              max_newton=max_newton, min_sinkhorn=min_sinkhorn,
                                              newton=newton, density=k)
    error = info["marginal_error"]
    if error > tol:
        warnings.warn(f"sinkhorn_newton_sparse did not reach tol: marginal error {error:.3e}.",
                      ConvergenceWarning, stacklevel=2)
    plan = plan_from_potentials(C, reg, f, g)
    if not log:
        return plan
    return plan, _log_dict(f, g, C, reg, a, b, info["n_sinkhorn"] + info["n_newton"], error,
                           info["history"], n_sinkhorn=info["n_sinkhorn"],
                           n_newton=info["n_newton"], density=info["density"])

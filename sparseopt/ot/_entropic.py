"""Entropic optimal transport: log-domain Sinkhorn and Sinkhorn-Newton-Sparse."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.ot._validation import (
    center_potentials,
    check_ot_problem,
    check_tol,
    marginal_error,
    shifted_cost,
)
from sparseopt.solvers.ot.sinkhorn import dual_value, log_sinkhorn_sweeps, plan_from_potentials
from sparseopt.solvers.ot.sinkhorn_newton import sinkhorn_newton_sparse_solve
from sparseopt.utils import DeferredInterrupt, IterationPrinter
from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["sinkhorn2", "sinkhorn_log", "sinkhorn_newton_sparse"]

# Entries of M per numba call of the log-domain sweeps: one call stays under
# ~0.1 s (measured ~10 ns per entry and sweep), so Ctrl-C is seen promptly.
_ENTRIES_PER_CALL = 10_000_000
# Newton's linear solver by default: measured on problem(500) and (1000)
# (eps = 1e-2 median(M)), the direct Schur-complement solve took 0.6-0.8x the
# time of Jacobi-preconditioned CG per Newton phase.
DEFAULT_LINEAR_SOLVER = "cg"
# Measured on problem(100), Dirichlet targets: the plan's marginal error
# floor is about 1e-17 range(M) / reg (1.1e-9 at reg = 1e-8, 1e-8 at 1e-9).
SMALLEST_RELATIVE_REG = 1e-8


def _printer(name, verbose):
    return IterationPrinter(name, verbose) if verbose else None


def _histograms(solve, a, b, M, log):
    """POT's several target histograms (``b`` of shape (n, n_hists)): one
    solve per column; returns their costs ``<P_k, M>`` (and the logs)."""
    results = [solve(a, np.ascontiguousarray(b[:, column])) for column in range(b.shape[1])]
    costs = np.array([float(np.sum(plan * M)) for plan, _ in results])
    if not log:
        return costs
    keys = ("value", "marginal_error", "n_iter")
    merged = {key: np.array([info[key] for _, info in results]) for key in keys}
    merged["alpha"] = np.stack([info["alpha"] for _, info in results], axis=1)
    merged["beta"] = np.stack([info["beta"] for _, info in results], axis=1)
    merged["logs"] = [info for _, info in results]
    return costs, merged


def _report(name, plan, f, g, shifted, offset, a, b, reg, tol, n_iter, status, history, printer,
            **extra):
    """The log of an entropic solve: the plan's own marginal error, the dual
    value for the caller's ``M`` and centred potentials; warns above ``tol``
    and prints the last line."""
    error = marginal_error(plan, a, b)
    value = float(dual_value(shifted, a, b, reg, f, g)[0]) + offset
    if printer is not None:
        printer(n_iter, objective=value, criterion=error, force=True, status=status)
    if error > tol:
        warnings.warn(f"{name}: the plan's marginal error is {error:.3e} > tol = {tol:.1e} "
                      f"({status} after {n_iter} iterations).", ConvergenceWarning,
                      stacklevel=4)
    alpha, beta = center_potentials(f, g, a, b, offset)
    return {"value": value, "alpha": alpha, "beta": beta, "n_iter": n_iter,
            "marginal_error": error, "status": status, "history": history, **extra}


def sinkhorn_log(a, b, M, reg, *, tol=1e-9, max_iter=10000, verbose=0, log=False):
    r"""Entropic OT by Sinkhorn iterations in the log domain (numba).

    Maximises the dual of
    :math:`\min_{P \in U(a, b)} \langle P, M\rangle + \mathrm{reg}\sum_{ij} P_{ij}
    (\log P_{ij} - 1)` by alternate exact maximisation over the potentials,
    :math:`f_i = \mathrm{reg}\log a_i - \mathrm{reg}\log\sum_j e^{(g_j - M_{ij})/\mathrm{reg}}`
    and the same for :math:`g`, with stable log-sum-exps on contiguous rows
    (no underflow at small ``reg``). The plan is
    :math:`P_{ij} = e^{(f_i + g_j - M_{ij})/\mathrm{reg}}`. Costs are shifted
    to start at zero internally (a constant offset of ``M`` costs no
    precision).

    POT users: ``tol`` is POT's ``stopThr`` and ``max_iter`` its
    ``numItermax``; POT's ``ot.sinkhorn(..., method="sinkhorn_log")`` stops
    on the L2 norm of the column error, this function on the L1 error of
    both marginals. As in POT, ``b`` of shape ``(n, n_hists)`` solves one
    problem per histogram and returns their costs.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or (n, n_hists), or None
        Target weights summing to one (``None``: uniform); several
        histograms as columns.
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Entropic regularisation, ``reg > 0``.
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol`` (``0``: run
        ``max_iter`` sweeps).
    max_iter : int, default=10000
        Maximum number of sweeps.
    verbose : int, default=0
        Print the progress (see :class:`sparseopt.utils.IterationPrinter`).
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : ndarray of shape (m, n), or costs of shape (n_hists,)
        The transport plan; with several histograms, the costs
        :math:`\langle P_k, M\rangle` (as POT).
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta`` (the
        potentials, gauge :math:`a^\top\alpha = b^\top\beta`), ``n_iter``,
        ``marginal_error`` (of the returned plan), ``status`` and
        ``history``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn_log
    >>> plan = sinkhorn_log(None, None, np.array([[0.0, 1.0], [1.0, 0.0]]), 0.1)
    >>> np.round(plan, 4)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    a, b, M, reg = check_ot_problem(a, b, M, reg, positive="sinkhorn_log", histograms=True)
    tol = check_tol(tol)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    shifted, offset = shifted_cost(M)
    C = np.ascontiguousarray(shifted)
    CT = np.ascontiguousarray(shifted.T)
    printer = _printer("sinkhorn_log", verbose)

    def solve(a, b):
        f, g = np.zeros(M.shape[0]), np.zeros(M.shape[1])
        history = ConvergenceHistory("marginal_error")
        per_call = max(1, min(10, _ENTRIES_PER_CALL // M.size))
        done, error = 0, np.inf
        with DeferredInterrupt() as interrupt:  # Ctrl-C between kernel calls
            while done < max_iter:
                sweeps, error = log_sinkhorn_sweeps(C, CT, a, b, reg, f, g,
                                                    min(per_call, max_iter - done), tol)
                interrupt.check()
                done += sweeps
                history.append(done, np.nan, error)
                if printer is not None:
                    printer(done, criterion=error)
                if error <= tol:
                    break
        plan = plan_from_potentials(C, reg, f, g)
        status = "converged" if error <= tol else "max_iter"
        return plan, _report("sinkhorn_log", plan, f, g, C, offset, a, b, reg, tol, done,
                             status, history, printer)

    if b.ndim == 2:
        return _histograms(solve, a, b, M, log)
    plan, info = solve(a, b)
    return (plan, info) if log else plan


def sinkhorn_newton_sparse(a, b, M, reg, *, tol=1e-9, max_iter=10000, max_newton=200,
                           min_sinkhorn=20, newton="auto", density=None,
                           linear_solver=DEFAULT_LINEAR_SOLVER, verbose=0, log=False):
    r"""Sinkhorn-Newton-Sparse (Tang et al., 2024): Sinkhorn, then sparse Newton.

    Solves the same entropic OT problem as :func:`sinkhorn_log` with the
    two stages of Tang et al.'s Algorithm 1:

    1. Sinkhorn iterations (stabilised scaling form: two BLAS mat-vecs per
       iteration, large scalings absorbed into log potentials). With
       ``newton="always"`` the switch comes after ``min_sinkhorn``
       iterations, the paper's :math:`N_1`; with ``"auto"`` Sinkhorn also
       watches its own linear rate and switches only when the time it
       predicts for reaching ``tol`` exceeds that of a Newton phase (a cost
       model of flop and exp rates, so the switch is deterministic), so
       easy problems are finished by Sinkhorn alone; ``"never"`` is plain
       Sinkhorn.
    2. Newton steps on the concave dual
       :math:`L(f, g) = f^\top a + g^\top b - \mathrm{reg}\sum_{ij}P_{ij}`,
       whose Hessian is minus :math:`\frac{1}{\mathrm{reg}}` times the block
       matrix with diagonal blocks :math:`\mathrm{diag}(P1)`,
       :math:`\mathrm{diag}(P^\top 1)` and off-diagonal blocks
       :math:`P, P^\top`. As in the paper, the plan block is sparsified by a
       threshold: its :math:`\lceil \lambda m n\rceil` largest entries are
       kept (:math:`\lambda` = ``density``, the paper's :math:`2/n` by
       default; the diagonal blocks stay exact). The last column potential
       is fixed (the Hessian's null direction), the system is solved by
       ``linear_solver`` (``"cg"``: Jacobi-preconditioned conjugate
       gradients, the paper's choice; ``"direct"``: a sparse factorisation
       of its Schur complement, the default, faster in our measurements),
       and the step is chosen by Armijo backtracking on the exact increment
       of :math:`L` (summed entry by entry with ``expm1``, so it keeps its
       digits near the optimum). Beyond the paper, the density doubles
       whenever a step fails to halve the marginal error (reported per
       step in the log: the Hessian is never densified silently), and when
       the line search fails far from the solution, 10 log-domain Sinkhorn
       sweeps are run instead.

    Costs are shifted to start at zero internally (a constant offset of
    ``M`` costs no precision). POT users: ``tol`` plays the role of
    ``stopThr`` (L1 error of both marginals here) and ``max_iter`` of
    ``numItermax``; ``b`` of shape ``(n, n_hists)`` solves one problem per
    histogram and returns their costs, as POT's ``ot.sinkhorn``.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or (n, n_hists), or None
        Target weights summing to one (``None``: uniform); several
        histograms as columns.
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Entropic regularisation, at least ``1e-8 * range(M)`` (a
        ``ValueError`` below); under ``1e-3 * range(M)`` it is reached by
        epsilon scaling (solves at 10, 100, ... times ``reg`` first).
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol`` (``0``: run to
        the caps).
    max_iter : int, default=10000
        Maximum number of iterations of the Sinkhorn phase (a Newton step
        rejected by the line search is followed by 10 log-domain sweeps, which
        ``n_sinkhorn`` also counts).
    max_newton : int, default=200
        Maximum number of Newton steps.
    min_sinkhorn : int, default=20
        Sinkhorn iterations before a switch can happen (the paper's :math:`N_1`).
    newton : {"auto", "always", "never"}, default="auto"
        When to switch from Sinkhorn to Newton (see above).
    density : float, optional
        Initial fraction :math:`\lambda` of the plan's entries kept in the
        Hessian, default ``2 / min(m, n)`` (the paper's :math:`2/n`).
    linear_solver : {"direct", "cg"}, default="direct"
        Solver of the Newton systems.
    verbose : int, default=0
        Print the progress (see :class:`sparseopt.utils.IterationPrinter`).
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : ndarray of shape (m, n), or costs of shape (n_hists,)
        The transport plan; with several histograms, the costs
        :math:`\langle P_k, M\rangle` (as POT).
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta`` (the
        potentials, gauge :math:`a^\top\alpha = b^\top\beta`), ``n_iter``
        (Sinkhorn iterations + Newton steps), ``n_sinkhorn``, ``n_newton``,
        ``newton_steps`` (per Newton step: ``density``, ``entries`` kept,
        ``cg_iterations``, ``step``, ``marginal_error``), ``marginal_error``
        (of the returned plan), ``status`` and ``history``.

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
    a, b, M, reg = check_ot_problem(a, b, M, reg, positive="sinkhorn_newton_sparse",
                                    histograms=True)
    tol = check_tol(tol)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    max_newton = check_integer(max_newton, "max_newton", lower=0)
    min_sinkhorn = check_integer(min_sinkhorn, "min_sinkhorn", lower=1)
    if newton not in ("auto", "always", "never"):
        raise ValueError(f"newton must be 'auto', 'always' or 'never', got {newton!r}.")
    if linear_solver not in ("direct", "cg"):
        raise ValueError(f"linear_solver must be 'direct' or 'cg', got {linear_solver!r}.")
    m, n = M.shape
    smallest = SMALLEST_RELATIVE_REG * float(M.max() - M.min())
    if reg < smallest:
        raise ValueError(
            f"reg = {reg:.3g} is below the smallest supported value for sinkhorn_newton_sparse, "
            f"{SMALLEST_RELATIVE_REG:g} * range(M) = {smallest:.3g}: rounding in the potentials "
            "would exceed 1e-9 of the plan's entries (use ot.emd for the unregularised plan).")
    density = 2.0 / min(m, n) if density is None else check_scalar(
        density, "density", lower=0.0, upper=1.0, lower_inclusive=False)
    shifted, offset = shifted_cost(M)
    C = np.ascontiguousarray(shifted)
    printer = _printer("sinkhorn_newton_sparse", verbose)

    def solve(a, b):
        f, g, info = sinkhorn_newton_sparse_solve(
            C, a, b, reg, tol=tol, max_iter=max_iter, max_newton=max_newton,
            min_sinkhorn=min_sinkhorn, newton=newton, density=density,
            linear_solver=linear_solver, printer=printer)
        plan = plan_from_potentials(C, reg, f, g)
        return plan, _report("sinkhorn_newton_sparse", plan, f, g, C, offset, a, b, reg, tol,
                             info["n_sinkhorn"] + info["n_newton"], info["status"],
                             info["history"], printer, n_sinkhorn=info["n_sinkhorn"],
                             n_newton=info["n_newton"], newton_steps=info["newton_steps"])

    if b.ndim == 2:
        return _histograms(solve, a, b, M, log)
    plan, info = solve(a, b)
    return (plan, info) if log else plan


def sinkhorn2(a, b, M, reg, *, method="sinkhorn_log", **kwargs):
    r"""The entropic transport cost :math:`\langle P, M\rangle` (POT's ``ot.sinkhorn2``).

    The value-only companion of :func:`sinkhorn_log` and
    :func:`sinkhorn_newton_sparse`: the plan's linear cost, without the
    entropy (as POT). With ``b`` of shape ``(n, n_hists)``, one cost per
    histogram.

    Parameters
    ----------
    a, b, M, reg
        As in :func:`sinkhorn_log`.
    method : {"sinkhorn_log", "sinkhorn_newton_sparse"}, default="sinkhorn_log"
        The solver.
    **kwargs
        Its further keyword arguments; with ``log=True`` its log is
        returned too.

    Returns
    -------
    cost : float or ndarray of shape (n_hists,)
        :math:`\langle P, M\rangle`.
    log : dict
        If ``log=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn2
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(float(sinkhorn2(None, None, M, 0.1)), 6)
    4.5e-05
    """
    solvers = {"sinkhorn_log": sinkhorn_log, "sinkhorn_newton_sparse": sinkhorn_newton_sparse}
    if method not in solvers:
        raise ValueError(f"method must be one of {sorted(solvers)}, got {method!r}.")
    want_log = kwargs.pop("log", False)
    result, info = solvers[method](a, b, M, reg, log=True, **kwargs)
    cost = result if np.ndim(result) == 1 else float(np.sum(result * np.asarray(M)))
    return (cost, info) if want_log else cost

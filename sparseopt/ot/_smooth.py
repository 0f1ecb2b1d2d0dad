"""Sparsity-constrained and quadratically regularised optimal transport."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot._validation import (
    center_potentials,
    check_ot_problem,
    check_tol,
    finite_range,
    marginal_error,
    plan_cost,
    shifted_cost,
)
from sparseopt.solvers.ot.duals import dual_objective
from sparseopt.solvers.ot.lbfgs import qrot_lbfgs
from sparseopt.solvers.ot.newton import qrot_newton
from sparseopt.solvers.ot.sparsity_constrained import sparsity_constrained_solve
from sparseopt.utils import IterationPrinter
from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["qrot", "qrot2", "solve_sparsity_constrained", "sparsity_constrained_ot"]

# The largest plan entries are about min(max a, max b) = T; the dual resolves
# alpha_i + beta_j - M_ij to about 1e-16 range(M), i.e. plan entries to
# 1e-16 range(M) / gamma. Measured (problem(100) and (500), Dirichlet b): the
# marginal error floor is about 1e-17 range(M) / (gamma T); below
# gamma T = 1e-8 range(M) it exceeds 1e-9.
SMALLEST_RELATIVE_REG = 1e-8


def _check_reg_scale(gamma, M, a, b, name):
    spread = finite_range(M)
    scale = min(float(a.max()), float(b.max()))
    smallest = SMALLEST_RELATIVE_REG * spread / scale
    if gamma < smallest:
        raise ValueError(
            f"reg = {gamma:.3g} is below the smallest supported value for {name}, "
            f"{SMALLEST_RELATIVE_REG:g} * range(M) / min(max(a), max(b)) = {smallest:.3g}: "
            "rounding in the dual would exceed 1e-9 of the plan's entries. At this reg the "
            "plan is the unregularised OT plan to within rounding (ot.emd).")


def _printer(name, verbose):
    return IterationPrinter(name, verbose) if verbose else None


def sparsity_constrained_ot(a, b, M, reg, max_nz, *, formulation="dual", axis="columns",
                            tol=1e-9, dual_tol=1e-8, max_iter=1000, repair=True, verbose=0,
                            log=False):
    r"""Sparsity-constrained optimal transport (Liu, Puigcerver & Blondel, 2023).

    Solves the quadratically regularised OT problem with at most ``max_nz``
    non-zeros per column (or row) of the plan,

    .. math:: \min_{T \in U(a, b)} \langle T, M\rangle + \frac{\gamma}{2}\|T\|^2
              \quad \text{s.t.}\ \|T_{:, j}\|_0 \le k,

    through one of its convex relaxations (the same optimal value
    :math:`D^\star_k`, non-increasing in ``k``):

    * ``"dual"``: :math:`\max_{\alpha, \beta}\ \alpha^\top a + \beta^\top b -
      \sum_j \delta_k(\alpha + \beta_j 1 - M_{:, j})` with
      :math:`\delta_k(s) = \frac{1}{2\gamma}\sum_{i \in \mathrm{top}_k(s)} [s_i]_+^2`;
    * ``"semi_dual"``: :math:`\max_\alpha\ \alpha^\top a - \sum_j b_j
      \max_{y \in \Delta,\ \|y\|_0 \le k} \big(y^\top(\alpha - M_{:, j}) -
      \frac{\gamma b_j}{2}\|y\|^2\big)`, whose inner maximiser is the
      k-sparse simplex projection (the dual maximised over :math:`\beta`).

    How it is solved (``log["method"]``): QROT (:func:`qrot`) first; when its
    plan has at most ``k`` non-zeros per column the relaxation is tight and
    that plan is the answer ("qrot"). ``k = 1`` is unregularised OT: the
    potentials of an exact network-simplex solve (POT's ``emd``) are
    optimal, and its plan gives the one row of every column ("network
    simplex"). Otherwise the dual is maximised from the better of the QROT
    potentials and a cold start by L-BFGS on a smoothed top-k
    (:math:`\delta_k` as a maximum over weights :math:`\theta \in [0, 1]^m`,
    :math:`\sum\theta \le k`, minus :math:`\frac{\mu}{2}\|\theta\|^2`),
    with ``mu`` decreased in three stages ("smoothing"): the relaxation is
    not differentiable where the top-k selection ties, so its gradient need
    not vanish at the optimum and plain L-BFGS stalls there (2e-5 to 5e-5
    below the optimum on small problems). Each stage stops on its own value,
    when it has improved by at most ``dual_tol`` (relative) over 10
    iterations. The reported ``value`` is the best relaxation value seen, at
    least its value at every start tried (``start_values``; so at least the
    QROT optimum).

    The plan is read off the potentials and has at most ``k`` non-zeros per
    column. The relaxation is not tight in general, so its marginals can be
    off; ``repair=True`` then re-solves QROT restricted to the plan's
    support (semismooth Newton), which restores the marginals whenever that
    support can carry them. A ``ConvergenceWarning`` says when the returned
    plan's marginal error (always reported) is above ``tol``. Costs are
    shifted to start at zero internally (a constant offset of ``M`` changes
    neither the plan nor the precision).

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform); float32 weights
        may be off by their rounding.
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Regularisation :math:`\gamma > 0`, at least ``1e-8 * range(M) /
        min(max(a), max(b))`` (smaller values raise a ``ValueError``).
    max_nz : int
        Maximum number ``k >= 1`` of non-zeros per column (per row with
        ``axis="rows"``); POT's ``max_nz``.
    formulation : {"dual", "semi_dual"}, default="dual"
        Relaxation whose value, potentials and plan are reported (POT's
        ``smooth_ot_dual`` and ``smooth_ot_semi_dual``). Both share their
        optimum and are maximised through the (smoothed) dual; the
        semi-dual's plan has exact column sums, and it needs positive
        weights on the sparse side.
    axis : {"columns", "rows"}, default="columns"
        Which side is sparse (``"rows"`` solves the transposed problem).
    tol : float, default=1e-9
        Target L1 marginal error of the returned plan (for the QROT solve
        and the repair); ``0`` runs them to their caps.
    dual_tol : float, default=1e-8
        Relative improvement of the smoothed value over 10 L-BFGS iterations
        below which a smoothing stage stops (the role of POT's ``stopThr``,
        which POT passes to SciPy as a relative reduction of the objective).
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations, all stages (POT's ``numItermax``).
    repair : bool, default=True
        Restore the marginals on the recovered support.
    verbose : int, default=0
        Print the progress of L-BFGS (see :class:`sparseopt.utils.IterationPrinter`).
    log : bool, default=False
        Also return a dict of diagnostics.

    Returns
    -------
    plan : scipy.sparse.csc_matrix of shape (m, n)
        Transport plan, at most ``max_nz`` non-zeros per column (row).
    log : dict
        If ``log``: ``value`` (the relaxation's optimal value, best seen),
        ``start_values`` (the relaxation at every start tried), ``method``
        ("qrot": tight; "network simplex": k = 1; "lbfgs"), ``alpha``,
        ``beta`` (potentials in the gauge :math:`a^\top\alpha = b^\top\beta`:
        of the repaired plan when the repair met ``tol``, else of the
        relaxation's best point, with :math:`T_{ij} = [\alpha_i + \beta_j -
        M_{ij}]_+ / \gamma` on the relaxation's plan), ``n_iter``,
        ``status``, ``marginal_error`` (of the returned plan),
        ``relaxation_marginal_error`` (before repair), ``cost``
        (:math:`\langle T, M\rangle`), ``max_nz_per_column``,
        ``repair_iterations`` and ``history``.

    References
    ----------
    .. [1] T. Liu, J. Puigcerver, M. Blondel. "Sparsity-constrained optimal
       transport", ICLR 2023.
    .. [2] M. Blondel, V. Seguy, A. Rolet. "Smooth and sparse optimal
       transport", AISTATS 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sparsity_constrained_ot
    >>> rng = np.random.default_rng(0)
    >>> M = rng.random((6, 5))
    >>> plan, info = sparsity_constrained_ot(None, None, M, 0.1, 2, log=True)
    >>> int(np.diff(plan.indptr).max()) <= 2, info["marginal_error"] < 1e-8
    (True, True)
    """
    if formulation not in ("dual", "semi_dual"):
        raise ValueError(f"formulation must be 'dual' or 'semi_dual', got {formulation!r}.")
    if axis not in ("columns", "rows"):
        raise ValueError(f"axis must be 'columns' or 'rows', got {axis!r}.")
    semi_dual = "the semi-dual formulation" if formulation == "semi_dual" else None
    # validated as given (errors name the caller's arguments), then transposed
    a, b, M, gamma = check_ot_problem(
        a, b, M, reg, positive=(semi_dual, None) if axis == "rows" else (None, semi_dual))
    k = check_integer(max_nz, "max_nz", lower=1)
    tol = check_tol(tol)
    dual_tol = check_scalar(dual_tol, "dual_tol", lower=0.0)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    _check_reg_scale(gamma, M, a, b, "sparsity_constrained_ot")
    plan, info = solve_sparsity_constrained(
        a, b, M, gamma, k, formulation=formulation, axis=axis, tol=tol, dual_tol=dual_tol,
        max_iter=max_iter, repair=repair, verbose=verbose, name="sparsity_constrained_ot")
    return (plan, info) if log else plan


def solve_sparsity_constrained(a, b, M, gamma, k, *, formulation, axis, tol, dual_tol, max_iter,
                               repair, verbose, name):
    """:func:`sparsity_constrained_ot` on validated input; ``M`` may hold
    ``+inf`` (forbidden pairs). Warns, and returns ``(plan, log)``."""
    if axis == "rows":
        M, a, b = np.asfortranarray(M.T), b, a
    shifted, offset = shifted_cost(M)
    printer = _printer(name, verbose)
    result = sparsity_constrained_solve(
        a, b, shifted, gamma, min(k, M.shape[0]), formulation=formulation, tol=tol,
        dual_tol=dual_tol, max_iter=max_iter, repair=repair, printer=printer)
    plan = result["plan"]
    alpha, beta = center_potentials(result["alpha"], result["beta"], a, b, offset)
    error = marginal_error(plan, a, b)
    if printer is not None:
        printer(result["n_iter"], objective=result["value"] + offset, criterion=error,
                force=True, method=result["method"], status=result["status"])
    if result["status"] == "max_iter":
        warnings.warn(f"{name}: L-BFGS stopped at max_iter={max_iter} before the relaxation's "
                      f"value settled (dual_tol={dual_tol:g}); increase max_iter.",
                      ConvergenceWarning, stacklevel=3)
    if error > tol:
        warnings.warn(
            f"{name}: the plan's marginal error is {error:.3e} > tol = {tol:.1e} "
            f"({'after' if repair else 'without'} repair): the {k}-sparse support cannot carry "
            "the marginals exactly; increase max_nz.", ConvergenceWarning, stacklevel=3)
    cost = plan_cost(plan, M)
    counts = np.diff(plan.indptr)
    if axis == "rows":
        plan = sp.csc_matrix(plan.T)
        alpha, beta = beta, alpha
    info = {"value": result["value"] + offset,
            "start_values": {key: value + offset for key, value in result["start_values"].items()},
            "method": result["method"], "alpha": alpha, "beta": beta,
            "n_iter": result["n_iter"], "status": result["status"], "marginal_error": error,
            "relaxation_marginal_error": result["relaxation_marginal_error"], "cost": cost,
            "max_nz_per_column": int(counts.max(initial=0)),
            "repair_iterations": result["repair_iterations"], "history": result["history"]}
    return plan, info


def qrot(a, b, M, reg, *, method="ssn", tol=1e-9, max_iter=None, verbose=0, log=False):
    r"""Quadratically regularised optimal transport.

    .. math:: \min_{T \in U(a, b)} \langle T, M \rangle + \frac{\gamma}{2}\|T\|_F^2,

    solved on its dual :math:`\max_{\alpha, \beta} \alpha^\top a + \beta^\top b
    - \frac{1}{2\gamma}\sum_{ij}[\alpha_i + \beta_j - M_{ij}]_+^2`, whose
    plan :math:`T_{ij} = [\alpha_i + \beta_j - M_{ij}]_+ / \gamma` is sparse.
    ``method="ssn"`` is semismooth Newton: a sparse generalised Hessian (the
    plan's pattern), a direct solve of its Schur complement, and Armijo
    backtracking on the exact increment of the dual (which keeps its digits
    near the optimum, so the line search never stalls there). ``"lbfgs"``
    is L-BFGS on the same dual (POT's ``smooth_ot_dual(reg_type="l2")``).
    Both start from zero row potentials and column potentials that balance
    every column, and stop when the L1 marginal error of the plan is at most
    ``tol``; a ``ConvergenceWarning`` says when they did not. Costs are
    shifted to start at zero internally.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Regularisation :math:`\gamma > 0` (POT's ``reg``), at least ``1e-8 *
        range(M) / min(max(a), max(b))`` (smaller values raise a
        ``ValueError``); small values are reached by continuation.
    method : {"ssn", "lbfgs"}, default="ssn"
        Solver.
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol`` (POT's
        ``stopThr``, which POT applies to SciPy's relative objective
        reduction instead); ``0`` runs to ``max_iter``.
    max_iter : int, optional
        Maximum iterations (default 500 for SSN, 5000 for L-BFGS; POT's
        ``numItermax``).
    verbose : int, default=0
        Print the progress (see :class:`sparseopt.utils.IterationPrinter`).
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : scipy.sparse.csc_matrix of shape (m, n)
        The optimal plan.
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta`` (gauge
        :math:`a^\top\alpha = b^\top\beta`), ``n_iter``, ``status``,
        ``marginal_error`` (of the returned plan), ``cost`` and ``history``.

    References
    ----------
    .. [1] M. Blondel, V. Seguy, A. Rolet. "Smooth and sparse optimal
       transport", AISTATS 2018.
    .. [2] D. A. Lorenz, P. Manns, C. Meyer. "Quadratically regularized
       optimal transport", Applied Mathematics & Optimization, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import qrot
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> qrot(None, None, M, 0.1).toarray()
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    a, b, M, gamma = check_ot_problem(a, b, M, reg)
    tol = check_tol(tol)
    if method not in ("ssn", "lbfgs"):
        raise ValueError(f"method must be 'ssn' or 'lbfgs', got {method!r}.")
    _check_reg_scale(gamma, M, a, b, "qrot")
    shifted, offset = shifted_cost(M)
    printer = _printer(f"qrot({method})", verbose)
    if method == "ssn":
        max_iter = 500 if max_iter is None else check_integer(max_iter, "max_iter", lower=1)
        result = qrot_newton(a, b, shifted, gamma, tol=tol, max_iter=max_iter, printer=printer)
    else:
        max_iter = 5000 if max_iter is None else check_integer(max_iter, "max_iter", lower=1)
        result = qrot_lbfgs(a, b, shifted, gamma, tol=tol, max_iter=max_iter, printer=printer)
    plan = result["plan"]
    error = marginal_error(plan, a, b)
    if printer is not None:
        printer(result["n_iter"], objective=result["value"] + offset, criterion=error,
                force=True, status=result["status"])
    if error > tol:
        warnings.warn(f"qrot({method}) stopped ({result['status']}, {result['n_iter']} "
                      f"iterations, max_iter={max_iter}) at marginal error {error:.3e} > "
                      f"tol = {tol:.1e}.", ConvergenceWarning, stacklevel=2)
    if not log:
        return plan
    alpha, beta = center_potentials(result["alpha"], result["beta"], a, b, offset)
    value = float(dual_objective(result["alpha"], result["beta"], shifted, a, b, gamma,
                                 M.shape[0], False)[0]) + offset
    return plan, {"value": value, "alpha": alpha, "beta": beta, "n_iter": result["n_iter"],
                  "status": result["status"], "marginal_error": error,
                  "cost": plan_cost(plan, M), "history": result["history"]}


def qrot2(a, b, M, reg, **kwargs):
    r"""The transport cost :math:`\langle T, M\rangle` of the :func:`qrot` plan.

    The value-only companion of :func:`qrot`, as POT's ``ot.sinkhorn2`` is of
    ``ot.sinkhorn`` (the regulariser is not included).

    Parameters
    ----------
    a, b, M, reg
        As in :func:`qrot`.
    **kwargs
        Further keyword arguments of :func:`qrot`; with ``log=True`` the
        log is returned too.

    Returns
    -------
    cost : float
        :math:`\langle T, M\rangle`.
    log : dict
        If ``log=True``, the log of :func:`qrot`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import qrot2
    >>> round(qrot2(None, None, np.array([[0.0, 1.0], [1.0, 0.0]]), 0.1), 12)
    0.0
    """
    want_log = kwargs.pop("log", False)
    _, info = qrot(a, b, M, reg, log=True, **kwargs)
    return (info["cost"], info) if want_log else info["cost"]

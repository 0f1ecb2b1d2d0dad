"""Sparsity-constrained and quadratically regularised optimal transport."""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.ot._validation import check_ot_problem, marginal_error
from sparseopt.solvers.ot.duals import balance_columns, dual_objective, semi_dual_objective
from sparseopt.solvers.ot.newton import qrot_newton, restricted_qrot_newton
from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["sparsity_constrained_ot", "qrot"]


class _StopWhenFeasible:
    """L-BFGS callback: stop once the last gradient's L1 norm is below ``tol``."""

    def __init__(self, tol, history):
        self.tol, self.history, self.last = tol, history, None

    def __call__(self, intermediate_result):
        value, error = self.last
        self.history.append(len(self.history), value, error)
        if error <= self.tol:
            raise StopIteration


def _lbfgs(objective, start, tol, max_iter, history):
    """Maximise a concave dual with L-BFGS; returns (x, n_iter)."""
    stopper = _StopWhenFeasible(tol, history)

    def negated(x):
        value, gradient = objective(x)
        stopper.last = (value, float(np.abs(gradient).sum()))
        return -value, -gradient

    result = minimize(negated, start, jac=True, method="L-BFGS-B", callback=stopper,
                      options={"maxiter": max_iter, "maxcor": 20, "ftol": 1e-16,
                               "gtol": 0.0, "maxls": 50})
    return result.x, result.nit


def _log(value, alpha, beta, n_iter, error, history, **extra):
    return {"value": value, "alpha": alpha, "beta": beta, "n_iter": n_iter,
            "marginal_error": error, "history": history, **extra}


def _balance_on_support(alpha, costs, rows, columns, b, gamma, n):
    """Column potentials with ``sum_i [alpha_i + beta_j - M_ij]_+ / gamma = b_j``
    over each column's support: :func:`balance_columns` on the shifted costs
    ``M_ij - alpha_i``, padded with ``+inf`` outside the support."""
    counts = np.bincount(columns, minlength=n)
    width = max(int(counts.max(initial=0)), 1)
    padded = np.full((width, n), np.inf, order="F")
    offsets = np.arange(columns.size) - np.repeat(np.cumsum(counts) - counts, counts)
    padded[offsets, columns] = costs - alpha[rows]
    beta = balance_columns(padded, b, gamma)
    beta[counts == 0] = 0.0
    return beta


def sparsity_constrained_ot(a, b, M, reg, max_nz, *, formulation="dual", axis="columns",
                            tol=1e-9, max_iter=1000, repair=True, log=False):
    r"""Sparsity-constrained optimal transport (Liu, Puigcerver & Blondel, 2023).

    Solves the quadratically regularised OT problem with at most ``max_nz``
    non-zeros per column (or row) of the plan,

    .. math:: \min_{T \in U(a, b)} \langle T, M\rangle + \frac{\gamma}{2}\|T\|^2
              \quad \text{s.t.}\ \|T_{:, j}\|_0 \le k,

    through one of its convex relaxations, maximised with L-BFGS:

    * ``"dual"``: :math:`\max_{\alpha, \beta}\ \alpha^\top a + \beta^\top b -
      \sum_j \delta_k(\alpha + \beta_j 1 - M_{:, j})` with
      :math:`\delta_k(s) = \frac{1}{2\gamma}\sum_{i \in \mathrm{top}_k(s)} [s_i]_+^2`;
    * ``"semi_dual"``: :math:`\max_\alpha\ \alpha^\top a - \sum_j b_j
      \max_{y \in \Delta,\ \|y\|_0 \le k} \big(y^\top(\alpha - M_{:, j}) -
      \frac{\gamma b_j}{2}\|y\|^2\big)`, whose inner maximiser is the
      k-sparse simplex projection.

    The plan is recovered from the dual variables and has at most ``k``
    non-zeros per column by construction. The relaxation is not tight in
    general, so its marginals can be off; ``repair=True`` then re-solves the
    quadratically regularised problem restricted to the recovered support
    (semismooth Newton), which restores the marginals while keeping the
    sparsity whenever the support can carry them. ``marginal_error`` (L1 norm
    of both marginal violations) is always reported. Each objective
    evaluation is one pass over ``M`` in numba. With ``k = 1`` the semi-dual
    optimum is the unregularised OT cost plus :math:`\frac{\gamma}{2}\sum_j b_j^2`;
    with ``k`` at least the number of rows, it is quadratically regularised
    OT (:func:`qrot`).

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Regularisation :math:`\gamma > 0`.
    max_nz : int
        Maximum number ``k >= 1`` of non-zeros per column (per row with
        ``axis="rows"``).
    formulation : {"dual", "semi_dual"}, default="dual"
        Relaxation to maximise.
    axis : {"columns", "rows"}, default="columns"
        Which side is sparse (``"rows"`` solves the transposed problem).
    tol : float, default=1e-9
        L-BFGS stops when the L1 marginal error of the relaxation's plan is at
        most ``tol`` (or at ``max_iter``); the repair uses the same tolerance.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.
    repair : bool, default=True
        Restore the marginals on the recovered support.
    log : bool, default=False
        Also return a dict of diagnostics.

    Returns
    -------
    plan : scipy.sparse.csc_matrix of shape (m, n)
        Transport plan, at most ``max_nz`` non-zeros per column (row).
    log : dict
        If ``log``: ``value`` (optimal value of the relaxation), ``alpha``,
        ``beta`` (dual potentials, with ``T_ij = [alpha_i + beta_j -
        M_ij]_+ / gamma`` on the plan's support; for the semi-dual ``beta_j =
        -gamma b_j tau_j`` with ``tau_j`` the threshold of column ``j``'s
        k-sparse projection), ``n_iter``, ``marginal_error`` (of the returned plan),
        ``relaxation_marginal_error`` (before repair), ``cost``
        (:math:`\langle T, M\rangle`), ``max_nz_per_column`` and ``history``.

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
    if axis == "rows":
        M = np.asfortranarray(M.T)
        a, b = b, a
    m, n = M.shape
    k = check_integer(max_nz, "max_nz", lower=1)
    k = min(k, m)
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    history = ConvergenceHistory("marginal_error")
    if formulation == "dual":
        def objective(x):
            value, ga, gb, *_ = dual_objective(x[:m], x[m:], M, a, b, gamma, k, False)
            return value, np.concatenate([ga, gb])

        start = np.concatenate([np.zeros(m), balance_columns(M, b, gamma)])
        x, n_iter = _lbfgs(objective, start, tol, max_iter, history)
        alpha, beta = x[:m], x[m:]
        value, *_, indptr, indices, data = dual_objective(alpha, beta, M, a, b, gamma, k, True)
    else:
        def objective(x):
            value, gradient, *_ = semi_dual_objective(x, M, a, b, gamma, k, False)
            return value, gradient

        alpha, n_iter = _lbfgs(objective, np.zeros(m), tol, max_iter, history)
        value, _, indptr, indices, data = semi_dual_objective(alpha, M, a, b, gamma, k, True)
    plan = sp.csc_matrix((data, indices, indptr), shape=(m, n))
    if formulation == "semi_dual":  # -gamma b_j tau_j, tau_j the projection thresholds
        support_columns = np.repeat(np.arange(n), np.diff(plan.indptr))
        beta = _balance_on_support(alpha, np.asarray(M[plan.indices, support_columns]),
                                   plan.indices, support_columns, b, gamma, n)
    relaxation_error = marginal_error(plan, a, b)
    error, repair_info = relaxation_error, None
    if repair and relaxation_error > tol:
        columns = np.repeat(np.arange(n), np.diff(plan.indptr))
        rows = plan.indices.astype(np.int64)
        costs = np.asarray(M[rows, columns])
        start_beta = beta if formulation == "semi_dual" else _balance_on_support(
            alpha, costs, rows, columns, b, gamma, n)
        repair_info = restricted_qrot_newton(a, b, costs, rows, columns.astype(np.int64), (m, n),
                                             gamma, alpha, start_beta, tol=tol)
        if repair_info["marginal_error"] < relaxation_error:
            plan, error = repair_info["plan"], repair_info["marginal_error"]
            alpha, beta = repair_info["alpha"], repair_info["beta"]
    if error > 10 * tol:
        warnings.warn(
            f"sparsity_constrained_ot: the plan's marginal error is {error:.3e} > 10 * tol "
            f"({'after' if repair else 'without'} repair): the k-sparse support cannot carry the "
            "marginals exactly; increase max_nz or max_iter.", ConvergenceWarning, stacklevel=2)
    if axis == "rows":
        plan = sp.csc_matrix(plan.T)
        alpha, beta = beta, alpha
    if not log:
        return plan
    info = _log(value, alpha, beta, n_iter, error, history,
                relaxation_marginal_error=relaxation_error,
                cost=float(plan.multiply(M.T if axis == "rows" else M).sum()),
                max_nz_per_column=int(np.diff(plan.indptr).max(initial=0)) if axis == "columns"
                else int(np.diff(sp.csr_matrix(plan).indptr).max(initial=0)),
                repair_iterations=None if repair_info is None else repair_info["n_iter"])
    return plan, info


def qrot(a, b, M, reg, *, method="ssn", tol=1e-9, max_iter=None, log=False):
    r"""Quadratically regularised optimal transport.

    .. math:: \min_{T \in U(a, b)} \langle T, M \rangle + \frac{\gamma}{2}\|T\|_F^2,

    solved on its dual :math:`\max_{\alpha, \beta} \alpha^\top a + \beta^\top b
    - \frac{1}{2\gamma}\sum_{ij}[\alpha_i + \beta_j - M_{ij}]_+^2`, whose
    plan :math:`T_{ij} = [\alpha_i + \beta_j - M_{ij}]_+ / \gamma` is sparse.
    ``method="ssn"`` is semismooth Newton (sparse generalised Hessian, direct
    solves, line search: quadratic local convergence); ``"lbfgs"`` is L-BFGS.
    Both start from column potentials that balance every column.

    Parameters
    ----------
    a : array-like of shape (m,) or None
        Source weights summing to one (``None``: uniform).
    b : array-like of shape (n,) or None
        Target weights summing to one (``None``: uniform).
    M : array-like of shape (m, n)
        Cost matrix.
    reg : float
        Regularisation :math:`\gamma > 0`.
    method : {"ssn", "lbfgs"}, default="ssn"
        Solver.
    tol : float, default=1e-9
        Stop when the L1 marginal error is at most ``tol``.
    max_iter : int, optional
        Maximum iterations (default 500 for SSN, 5000 for L-BFGS).
    log : bool, default=False
        Also return diagnostics.

    Returns
    -------
    plan : scipy.sparse.csc_matrix of shape (m, n)
        The optimal plan.
    log : dict
        If ``log``: ``value`` (dual objective), ``alpha``, ``beta``,
        ``n_iter``, ``marginal_error``, ``cost`` and ``history``.

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
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    if method not in ("ssn", "lbfgs"):
        raise ValueError(f"method must be 'ssn' or 'lbfgs', got {method!r}.")
    m, n = M.shape
    if method == "ssn":
        max_iter = 500 if max_iter is None else check_integer(max_iter, "max_iter", lower=1)
        result = qrot_newton(a, b, M, gamma, tol=tol, max_iter=max_iter)
        plan, alpha, beta, value = result["plan"], result["alpha"], result["beta"], result["value"]
        n_iter, error, history = result["n_iter"], result["marginal_error"], result["history"]
    else:
        max_iter = 5000 if max_iter is None else check_integer(max_iter, "max_iter", lower=1)
        history = ConvergenceHistory("marginal_error")

        def objective(x):
            value, ga, gb, *_ = dual_objective(x[:m], x[m:], M, a, b, gamma, m, False)
            return value, np.concatenate([ga, gb])

        start = np.concatenate([np.zeros(m), balance_columns(M, b, gamma)])
        x, n_iter = _lbfgs(objective, start, tol, max_iter, history)
        alpha, beta = x[:m], x[m:]
        value, *_, indptr, indices, data = dual_objective(alpha, beta, M, a, b, gamma, m, True)
        plan = sp.csc_matrix((data, indices, indptr), shape=(m, n))
        error = marginal_error(plan, a, b)
    if error > 10 * tol:
        warnings.warn(f"qrot did not converge in max_iter={max_iter}: marginal error "
                      f"{error:.3e} > 10 * tol.", ConvergenceWarning, stacklevel=2)
    if not log:
        return plan
    return plan, _log(value, alpha, beta, n_iter, error, history,
                      cost=float(plan.multiply(M).sum()))

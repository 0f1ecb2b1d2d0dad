r"""Successive convex approximation (SCA, DSCA) for the weights of a linear multiple kernel.

Suwandi et al.'s local solver. The objective (with the ADMM terms of an
agent; :math:`\lambda = 0`, :math:`\rho = 0` for plain ML-II)

.. math:: L(w, \sigma^2) = l(w, \sigma^2) + \lambda^\top w
          + \tfrac{\rho}{2}\|w - c\|^2,

is a difference of convex functions: linearising the concave
:math:`\log\det C` at :math:`x^k` (gradient :math:`t(x^k)`, the traces)
gives a convex majoriser, minimised by :func:`~.subproblem.solve_subproblem`
(projected Newton; exact zeros where the bound is active). With one block
this is SCA and every step decreases :math:`L`. DSCA splits the variables
into ``n_blocks`` blocks solved in parallel (Jacobi), each with the others
held at :math:`x^k`; the combined point is kept when it lowers :math:`L`,
else the average of the block points :math:`x^k + (\hat x - x^k)/S` is
taken, which by convexity of the majoriser also lowers :math:`L` (the
official code takes the full Jacobi step, which can go uphill).
"""

import numpy as np

from sparseopt.core import ConvergenceHistory
from sparseopt.solvers.lmk.subproblem import solve_subproblem
from sparseopt.utils import DeferredInterrupt, IterationPrinter

__all__ = ["sca_weights"]


class _State:
    """Objective and gradient statistics of the local objective at one point."""

    def __init__(self, problem, weights, noise, terms):
        self.weights, self.noise = weights, noise
        self.factors = problem.factors(weights, noise)
        (self.trace, self.quad, self.noise_trace,
         self.noise_quad) = problem.statistics(self.factors)
        self.objective = problem.value(self.factors) + terms.value(weights, noise)
        self.gradient = terms.gradient(self.trace - self.quad, self.noise_trace - self.noise_quad,
                                       weights, noise)


class _AdmmTerms:
    """:math:`\\lambda^\\top w + \\rho/2 \\|w - c\\|^2` (the weights only)."""

    def __init__(self, n_atoms, learn_noise, rho, center, multipliers):
        self.learn_noise, self.rho = learn_noise, np.asarray(rho, dtype=float)
        self.center = np.zeros(n_atoms) if center is None else np.asarray(center, dtype=float)
        self.multipliers = (np.zeros(n_atoms) if multipliers is None
                            else np.asarray(multipliers, dtype=float))

    def value(self, weights, noise):
        return float(self.multipliers @ weights
                     + 0.5 * np.sum(self.rho * (weights - self.center) ** 2))

    def gradient(self, weight_gradient, noise_gradient, weights, noise):
        gradient = weight_gradient + self.multipliers + self.rho * (weights - self.center)
        return np.append(gradient, noise_gradient) if self.learn_noise else gradient


def _criterion(state, learn_noise, noise_floor):
    r"""Scale-free KKT residual of :math:`\min_{x \ge 0} L`.

    :math:`\max(\max_{x_i>0} x_i |\partial_i L|,\ \max_{x_i=0} t_i (-\partial_i L / t_i)_+)`
    over :math:`\sum_i x_i t_i` (the log-weight derivatives, and for atoms at
    zero the decrease available per unit of effective parameters); the noise
    counts from its floor.
    """
    x = np.append(state.weights, state.noise - noise_floor) if learn_noise else state.weights
    trace = np.append(state.trace, state.noise_trace) if learn_noise else state.trace
    gradient = state.gradient
    scale = max(float(x @ trace), np.finfo(float).tiny)
    on = np.abs(x * gradient)[x > 0]
    off = np.maximum(-gradient, 0.0)[x <= 0] / np.maximum(trace[x <= 0], np.finfo(float).tiny)
    return max(on.max(initial=0.0) / scale, off.max(initial=0.0))


def sca_weights(problem, weights, noise, *, learn_noise=True, noise_floor=0.0, tol=1e-4,
                max_iter=100, n_blocks=1, rho=0.0, center=None, multipliers=None,
                inner_tol=1e-12, inner_max_iter=30, verbose=0):
    r"""Minimise :math:`L(x)` over :math:`x \ge 0` by SCA (``n_blocks=1``) or DSCA.

    Parameters
    ----------
    problem : LMKProblem
        The data parts and atoms.
    weights : ndarray of shape (A,)
        Starting weights (non-negative; zeros may become positive).
    noise : float
        Starting (or fixed) noise variance.
    learn_noise : bool, default=True
        Optimise the noise too (the last entry of ``x``).
    noise_floor : float, default=0.0
        Lower bound of the noise.
    tol : float, default=1e-4
        Stop when the KKT residual (``_criterion``) is at most ``tol``.
    max_iter : int, default=100
        Maximum number of outer (linearisation) steps.
    n_blocks : int, default=1
        Number of Jacobi blocks (DSCA); 1 is plain SCA.
    rho : float or ndarray of shape (A,), default=0.0
        ADMM penalty :math:`\rho` (one per weight: a diagonal metric).
    center, multipliers : ndarray of shape (A,), optional
        ADMM consensus point :math:`c` and multipliers :math:`\lambda` of
        the weights (the noise stays local).
    inner_tol, inner_max_iter : float, int
        Passed to :func:`~.subproblem.solve_subproblem` as ``tol``, ``max_iter``.
    verbose : int, default=0
        Print progress.

    Returns
    -------
    weights : ndarray of shape (A,)
    noise : float
    info : dict
        ``n_iter``, ``converged``, ``objective`` (:math:`L` at the returned
        point, recomputed), ``criterion``, ``history``, ``trace``, ``quad``,
        ``noise_trace``, ``noise_quad``, ``inner_iterations``.
    """
    terms = _AdmmTerms(problem.n_atoms, learn_noise, rho, center, multipliers)
    history = ConvergenceHistory("kkt")
    printer = IterationPrinter("sca", verbose)
    state = _State(problem, np.array(weights, dtype=np.float64), float(noise), terms)
    n_iter, converged, inner_iterations = 0, False, 0
    with DeferredInterrupt() as interrupt:
        while True:
            criterion = _criterion(state, learn_noise, noise_floor)
            history.append(n_iter, state.objective, criterion)
            printer(n_iter, objective=state.objective, criterion=criterion,
                    active=int(np.count_nonzero(state.weights)))
            if criterion <= tol:
                converged = True
                break
            if n_iter >= max_iter:
                break
            candidate, candidate_noise, used = _jacobi_step(
                problem, state, terms, learn_noise, noise_floor, n_blocks, inner_tol,
                inner_max_iter)
            inner_iterations += used
            new_state = _State(problem, candidate, candidate_noise, terms)
            if new_state.objective > state.objective and n_blocks > 1:
                averaged = state.weights + (candidate - state.weights) / n_blocks
                averaged_noise = state.noise + (candidate_noise - state.noise) / n_blocks
                new_state = _State(problem, averaged, averaged_noise, terms)
            n_iter += 1
            if new_state.objective >= state.objective:  # no progress left in float64
                break
            state = new_state
            interrupt.check()
    printer(n_iter, objective=state.objective, criterion=criterion, force=True)
    return state.weights, state.noise, {
        "n_iter": n_iter, "converged": converged, "objective": state.objective,
        "criterion": criterion, "history": history, "trace": state.trace,
        "quad": state.quad, "noise_trace": state.noise_trace,
        "noise_quad": state.noise_quad, "inner_iterations": inner_iterations}


def _jacobi_step(problem, state, terms, learn_noise, noise_floor, n_blocks, inner_tol,
                 inner_max_iter):
    """Each block's subproblem solved with the others at ``state``; the combined point."""
    n_atoms = problem.n_atoms
    gradient = state.gradient[:n_atoms]
    eligible = np.flatnonzero((state.weights > 0) | (gradient < 0))
    blocks = [b for b in np.array_split(eligible, max(1, min(n_blocks, eligible.size))) if
              b.size] or [eligible]
    linear = state.trace + terms.multipliers
    noise_linear = state.noise_trace
    candidate, candidate_noise, used = state.weights.copy(), state.noise, 0
    for k, block in enumerate(blocks):
        with_noise = learn_noise and k == 0
        block_linear = linear[block]
        if with_noise:
            block_linear = np.append(block_linear, noise_linear)
        solved, solved_noise, info = solve_subproblem(
            problem, state.weights, state.noise, block_linear, free=block,
            learn_noise=with_noise, noise_floor=noise_floor,
            rho=terms.rho[block] if terms.rho.ndim else terms.rho,
            center=terms.center[block], tol=inner_tol, max_iter=inner_max_iter)
        candidate[block] = solved[block]
        if with_noise:
            candidate_noise = solved_noise
        used += info["n_iter"]
    return candidate, candidate_noise, used

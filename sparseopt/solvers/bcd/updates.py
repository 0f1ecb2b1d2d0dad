"""Block update rules of the BCD engine (Nutini, Laradji & Schmidt, JMLR 2022).

Each rule returns the step ``d`` added to the block coefficients ``w_b``;
``g_b`` is the gradient of the smooth part on the block.

``"gradient"``
    proximal gradient step with the block Lipschitz constant ``L_b`` (the
    paper's "Lb"; projected gradient "PG" with a sign constraint).
``"adaptive_gradient"``
    the same step with an estimate ``L`` of ``L_b`` found by doubling (the
    paper's "LA", after Nesterov): start from the estimates of the block's
    coordinates (1 initially), double ``L`` until
    ``f(w_b + d) <= f(w_b) + g_b^T d + L/2 ||d||^2`` (for a smooth problem:
    ``f(w) - ||g_b||^2 / (2L)``), and store it for the block's coordinates.
``"lipschitz_matrix"``
    minimiser of the model ``g_b^T d + 1/2 d^T H~_b d + pen(w_b + d)`` with
    the constant bound ``H~_b`` (the paper's "Hb"; the exact block
    minimiser for least squares, "PN" with bounds).
``"newton"``
    the same model with the exact Hessian and a backtracking line search.
``"two_metric"``
    two-metric projection ("TMP") for the l1 / non-negative problems: on the
    orthant of the current signs the penalty is linear; coordinates at (or
    within ``eps`` of) zero whose gradient pushes them into zero take a
    diagonally scaled step, the others a Newton step, and the point is
    projected back onto the orthant along a backtracking line search
    (Bertsekas's two-metric projection, ``eps = min(1e-4, ||w_b - prox(w_b -
    g_b)||)``). The authors' code scales the bound coordinates by the sum of
    their ``L_i``; here each by its own Hessian diagonal.
``"message_passing"``
    exact minimiser of a graph quadratic over a forest block by elimination
    from the leaves (linear time).
"""

import numpy as np
import scipy.sparse as sp

from sparseopt.core.forest import forest_solve_kernel
from sparseopt.solvers.bcd.datafits import QuadraticDatafit
from sparseopt.solvers.bcd.selection import SPARSE_BLOCK, block_bound

__all__ = ["UPDATES", "block_step"]

UPDATES = ("gradient", "adaptive_gradient", "lipschitz_matrix", "newton", "two_metric",
           "message_passing")
_ARMIJO = 1e-4
_MAX_BACKTRACKS = 40
_MAX_DOUBLINGS = 2100  # from 1 to the largest float64 and back is ~2 * 1024
_RESOLUTION = 1e3 * np.finfo(float).eps
_TMP_EPSILON = 1e-4


def block_step(rule, datafit, penalty, state, block, selector, index, interrupt=None):
    """The step of ``rule`` on ``block`` (``index``: its position in a fixed partition)."""
    gradient = datafit.block_gradient(state, block)
    coef = state.coef[block]
    if rule == "gradient":
        lipschitz = _block_lipschitz(datafit, penalty, selector, block, index)
        if lipschitz <= 0:
            return np.zeros_like(coef)
        return penalty.prox(coef - gradient / lipschitz, 1.0 / lipschitz, block) - coef
    if rule == "adaptive_gradient":
        return _adaptive_gradient_step(datafit, penalty, state, block, gradient, coef,
                                       selector.lipschitz)
    if rule == "message_passing":
        return _forest_step(datafit, penalty, block, gradient, coef)
    if rule == "lipschitz_matrix" or (rule == "newton" and datafit.is_quadratic):
        bound = selector.bound(index) if index is not None else None
        if bound is None and isinstance(datafit, QuadraticDatafit) and len(
                block) > SPARSE_BLOCK and penalty.is_smooth:
            bound = block_bound(datafit, penalty, block)  # sparse factorisation
        if bound is not None and bound.matrix is None:
            return bound.solve(-(gradient + penalty.l2_weights[block] * coef))
        matrix = bound.matrix if bound is not None else datafit.bound_matrix(block)
        if rule == "newton":
            matrix = _regularised(matrix)
        return penalty.solve_quadratic_model(matrix, gradient, coef, block, interrupt)
    hessian = _regularised(datafit.hessian(state, block))
    if rule == "two_metric" and not penalty.is_smooth:
        return _two_metric_step(datafit, penalty, state, block, gradient, coef, hessian,
                                selector)
    # proximal Newton with a line search
    direction = penalty.solve_quadratic_model(hessian, gradient, coef, block, interrupt)
    return _line_search(datafit, penalty, state, block, gradient, coef, direction)


def _regularised(hessian):
    size = hessian.shape[0]
    return hessian + 1e-12 * max(np.trace(hessian) / size, 1e-300) * np.eye(size)


def _block_lipschitz(datafit, penalty, selector, block, index):
    if index is not None:
        return selector.bound(index).largest
    if len(block) == 1:
        return float(selector.coordinate_constants[block[0]])
    return block_bound(datafit, penalty, block).largest


def _adaptive_gradient_step(datafit, penalty, state, block, gradient, coef, estimates):
    """The paper's "LA": proximal gradient step with a doubled Lipschitz estimate."""
    lipschitz = float(np.max(estimates[block]))
    for _ in range(_MAX_DOUBLINGS):
        delta = penalty.prox(coef - gradient / lipschitz, 1.0 / lipschitz, block) - coef
        if not np.any(delta):
            break
        bound = float(gradient @ delta) + 0.5 * lipschitz * float(delta @ delta)
        if datafit.change(state, block, delta) <= bound + _RESOLUTION * (
                1.0 + abs(datafit.value(state))):
            break
        lipschitz *= 2.0
    estimates[block] = lipschitz
    return delta


def _forest_step(datafit, penalty, block, gradient, coef):
    """Exact block minimiser of a quadratic on a forest block (message passing)."""
    rhs = -(gradient + penalty.l2_weights[block] * coef)
    if not penalty.l2:
        return forest_solve_kernel(datafit.indptr, datafit.indices, datafit.data, block, rhs)
    shifted = sp.csr_matrix(datafit.matrix[block][:, block]
                            + sp.diags(penalty.l2_weights[block]))
    shifted.sum_duplicates()
    shifted.sort_indices()
    local = np.arange(len(block), dtype=np.int64)
    return forest_solve_kernel(shifted.indptr.astype(np.int64),
                               shifted.indices.astype(np.int64), shifted.data, local, rhs)


def _objective_change(datafit, penalty, state, block, coef, step):
    return datafit.change(state, block, step) + penalty.change(coef, step, block)


def _line_search(datafit, penalty, state, block, gradient, coef, direction):
    """Backtracking with quadratic interpolation on ``F(w + alpha d)``.

    Accepts ``alpha`` when ``F(w + alpha d) <= F(w) + c alpha Delta`` with
    ``Delta = g_b^T d + pen(w_b + d) - pen(w_b)`` (the proximal-Newton
    sufficient decrease) and ``c = 1e-4``.
    """
    if not np.any(direction):
        return direction
    decrease = float(gradient @ direction) + penalty.change(coef, direction, block)
    if decrease >= 0:
        return np.zeros_like(direction)
    if -decrease <= _RESOLUTION * (1.0 + abs(datafit.value(state))):
        # The predicted decrease is below what function values can resolve:
        # the quadratic model is accurate there, take the Newton step.
        return direction
    alpha = 1.0
    for _ in range(_MAX_BACKTRACKS):
        step = alpha * direction
        change = _objective_change(datafit, penalty, state, block, coef, step)
        if change <= _ARMIJO * alpha * decrease:
            return step
        curvature = change - alpha * decrease
        interpolated = -decrease * alpha**2 / (2 * curvature) if curvature > 0 else 0.5 * alpha
        alpha = min(max(interpolated, 0.1 * alpha), 0.5 * alpha)
    return np.zeros_like(direction)


def _orthant(penalty, block, gradient, coef):
    """Signs of the orthant the two-metric step stays in.

    ``+1`` / ``-1``: the coordinate's sign (or the side a zero coordinate
    leaves to); ``0``: pinned at zero; ``nan``: unconstrained (no l1 weight,
    no sign constraint: never projected).
    """
    l1 = penalty.l1_weights[block]
    positive = penalty.positive_mask[block]
    sign = np.sign(coef)
    at_zero = coef == 0
    sign[at_zero & (gradient + l1 < 0)] = 1.0
    sign[at_zero & ~positive & (gradient - l1 > 0)] = -1.0
    sign[(l1 == 0) & ~positive] = np.nan
    return sign


def _two_metric_step(datafit, penalty, state, block, gradient, coef, hessian, selector):
    """Two-metric projection step on the orthant of the current signs (TMP)."""
    sign = _orthant(penalty, block, gradient, coef)
    free_sign = np.isnan(sign)
    l2 = penalty.l2_weights[block]
    slope = gradient + l2 * coef + penalty.l1_weights[block] * np.where(free_sign, 0.0, sign)
    curvature = np.diag(hessian) + l2
    prox_step = penalty.model_steps(gradient, coef, curvature, block)[0]
    epsilon = min(_TMP_EPSILON, float(np.linalg.norm(prox_step)))
    bound = ~free_sign & ((sign == 0) | ((np.abs(coef) <= epsilon) & (sign * slope > 0)))
    free = np.flatnonzero(~bound)
    direction = np.zeros_like(coef)
    pinned = np.flatnonzero(bound & (curvature > 0))
    direction[pinned] = -slope[pinned] / curvature[pinned]
    if free.size:
        system = hessian[np.ix_(free, free)] + np.diag(l2[free])
        values, vectors = np.linalg.eigh(system)
        cutoff = 1e-12 * max(float(values[-1]), 0.0)
        inverse = np.divide(1.0, values, out=np.zeros_like(values), where=values > cutoff)
        direction[free] = -(vectors @ (inverse * (vectors.T @ slope[free])))
    if not np.any(direction):
        return direction
    alpha = 1.0
    for _ in range(_MAX_BACKTRACKS):
        trial = coef + alpha * direction
        trial = np.where(free_sign | (sign * trial > 0), trial, 0.0)  # onto the orthant
        step = trial - coef
        if not np.any(step):
            break
        change = _objective_change(datafit, penalty, state, block, coef, step)
        if change <= _ARMIJO * float(slope @ step):
            return step
        alpha *= 0.5
    # no acceptable projected step: fall back on the (always descending) prox step
    return block_step("gradient", datafit, penalty, state, block, selector, None)

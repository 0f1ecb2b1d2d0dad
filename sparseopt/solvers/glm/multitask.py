r"""Block coordinate descent for the multi-task Lasso / elastic net (l2,1 penalty).

Solves, for ``T`` tasks sharing one support,

.. math:: \min_W \frac{1}{2n}\|Y_c - X_c W\|_F^2 + \sum_j \omega_j\left(\lambda_1
          \|W_j\|_2 + \frac{\lambda_2}{2}\|W_j\|_2^2\right)

(``W_j`` the row of feature ``j``, ``X_c, Y_c`` weighted and centred as in
:mod:`sparseopt.solvers.glm.designs`). A block is one feature's ``T``
coefficients; its exact minimiser given the others is the group soft
threshold of a gradient step with the block's Lipschitz constant
``||x_j||^2`` (the block Hessian is ``||x_j||^2 I``). The outer loop computes
the duality gap (rescaled residual, the dual norm being the largest
``||x_j^T R||_2 / omega_j``), screens features by the Gap Safe rule and picks a
working set; the inner loop (numba) runs cyclic block epochs on it. Units:
``max_iter`` counts epochs over the working set.
"""

import math
import warnings

import numpy as np
from numba import njit
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.glm.designs import LeastSquaresDesign, check_finite_scale
from sparseopt.solvers.glm.enet_gap import UnpenalisedProjection
from sparseopt.solvers.glm.enet_kernels import ANDERSON_MEMORY, anderson_weights
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size
from sparseopt.utils.progress import IterationPrinter

__all__ = ["solve_multitask", "multitask_dual_gap"]

_INNER_TOL_RATIO = 0.3
_WORKING_SET_START = 100
_WORK_PER_CALL = 2e7
_SCREENING_MARGIN = 1e-9


@njit(cache=True, nogil=True)
def _block_gradient(dense, data, indices, indptr, is_sparse, offsets, j, residual, shift,
                    out):
    """``out = -(X_c[:, j]^T R)`` for ``R = R_s + sqrt(s) shift^T`` (T values)."""
    n_samples, n_tasks = residual.shape
    out[:] = 0.0
    if is_sparse:
        for position in range(indptr[j], indptr[j + 1]):
            value = data[position]
            row = indices[position]
            for t in range(n_tasks):
                out[t] += value * residual[row, t]
    else:
        for i in range(n_samples):
            value = dense[i, j]
            for t in range(n_tasks):
                out[t] += value * residual[i, t]
    for t in range(n_tasks):
        out[t] = -(out[t] + n_samples * offsets[j] * shift[t])


@njit(cache=True, nogil=True)
def _block_axpy(dense, data, indices, indptr, is_sparse, j, delta, residual):
    """``R_s -= x_j delta^T``."""
    n_samples, n_tasks = residual.shape
    if is_sparse:
        for position in range(indptr[j], indptr[j + 1]):
            value = data[position]
            row = indices[position]
            for t in range(n_tasks):
                residual[row, t] -= value * delta[t]
    else:
        for i in range(n_samples):
            value = dense[i, j]
            for t in range(n_tasks):
                residual[i, t] -= value * delta[t]


@njit(cache=True, nogil=True)
def _norm(vector):
    total = 0.0
    for value in vector:
        total += value * value
    return np.sqrt(total)


@njit(cache=True, nogil=True)
def _objective(coef, residual, shift, working_set, l1, l2):
    """Kernel-unit objective up to the rows outside the working set."""
    n_samples = residual.shape[0]
    total = 0.5 * (np.sum(residual * residual) - n_samples * np.sum(shift * shift))
    for j in working_set:
        norm = _norm(coef[j])
        total += l1[j] * norm + 0.5 * l2[j] * norm * norm
    return total


@njit(cache=True, nogil=True)
def _anderson(coef, residual, shift, working_set, l1, l2, coef_buffer, residual_buffer,
              shift_buffer):
    """Anderson extrapolation of the stored epochs, kept if the objective drops."""
    weights = anderson_weights(coef_buffer.reshape(coef_buffer.shape[0], -1))
    if weights.shape[0] == 0:
        return
    n_rows, n_tasks = working_set.shape[0], coef.shape[1]
    current = _objective(coef, residual, shift, working_set, l1, l2)
    saved = coef[working_set].copy()
    saved_residual = residual.copy()
    saved_shift = shift.copy()
    for r in range(n_rows):
        for t in range(n_tasks):
            value = 0.0
            for k in range(weights.shape[0]):
                value += weights[k] * coef_buffer[k + 1, r, t]
            coef[working_set[r], t] = value
    residual[:] = 0.0
    shift[:] = 0.0
    for k in range(weights.shape[0]):
        residual += weights[k] * residual_buffer[k + 1]
        shift += weights[k] * shift_buffer[k + 1]
    if _objective(coef, residual, shift, working_set, l1, l2) >= current:
        coef[working_set] = saved
        residual[:] = saved_residual
        shift[:] = saved_shift


@njit(cache=True, nogil=True)
def multitask_epochs(dense, data, indices, indptr, is_sparse, offsets, col_norms_sq, coef,
                     residual, shift, working_set, l1, l2, tol_in, max_epochs, coef_buffer,
                     residual_buffer, shift_buffer, stored_box, report):
    """Cyclic block coordinate descent on a working set (jitted).

    ``coef`` (p, T), ``residual`` ``R_s`` (n, T) and ``shift`` (T,) are updated
    in place; ``l1``, ``l2`` are per-feature strengths in kernel units
    (multiplied by ``n``). Stops when the largest block optimality violation
    met during an epoch is at most ``tol_in``; every ``memory`` epochs the
    iterates are extrapolated (Anderson; buffers and ``stored_box`` carry
    over between calls). Returns the number of epochs; ``report`` receives
    ``[converged, largest block change of the last epoch]``.
    """
    memory = coef_buffer.shape[0]
    n_tasks = coef.shape[1]
    gradient = np.empty(n_tasks)
    step = np.empty(n_tasks)
    delta = np.empty(n_tasks)
    epochs = 0
    report[0] = 0.0
    for _ in range(max_epochs):
        epochs += 1
        violation = 0.0
        largest = 0.0
        for j in working_set:
            lipschitz = col_norms_sq[j]
            if lipschitz == 0.0:
                continue
            _block_gradient(dense, data, indices, indptr, is_sparse, offsets, j, residual,
                            shift, gradient)
            old_norm = _norm(coef[j])
            for t in range(n_tasks):
                gradient[t] += l2[j] * coef[j, t]
            if old_norm > 0.0:  # distance of -gradient to l1 * W_j / ||W_j||
                for t in range(n_tasks):
                    step[t] = gradient[t] + l1[j] * coef[j, t] / old_norm
                violation = max(violation, _norm(step))
            else:
                violation = max(violation, _norm(gradient) - l1[j])
            for t in range(n_tasks):
                gradient[t] -= l2[j] * coef[j, t]
                step[t] = lipschitz * coef[j, t] - gradient[t]
            norm = _norm(step)
            scale = max(0.0, 1.0 - l1[j] / norm) / (lipschitz + l2[j]) if norm > 0 else 0.0
            moved = False
            for t in range(n_tasks):
                delta[t] = scale * step[t] - coef[j, t]
                if delta[t] != 0.0:
                    moved = True
            if moved:
                _block_axpy(dense, data, indices, indptr, is_sparse, j, delta, residual)
                for t in range(n_tasks):
                    shift[t] += delta[t] * offsets[j]
                    coef[j, t] += delta[t]
                largest = max(largest, _norm(delta))
        report[1] = largest
        if violation <= tol_in:
            report[0] = 1.0
            break
        stored = stored_box[0]
        for r in range(working_set.shape[0]):
            coef_buffer[stored, r] = coef[working_set[r]]
        residual_buffer[stored] = residual
        shift_buffer[stored] = shift
        stored_box[0] = stored + 1
        if stored + 1 == memory:
            stored_box[0] = 0
            _anderson(coef, residual, shift, working_set, l1, l2, coef_buffer, residual_buffer,
                      shift_buffer)
    return epochs


def multitask_dual_gap(residual_norm_sq, y_dot_residual, correlation, coef, n_samples, l1, l2,
                       weights):
    r"""Primal objective and duality gap of the multi-task elastic net.

    ``correlation`` is :math:`X^\top R` (p, T), ``coef`` :math:`W` (p, T),
    ``y_dot_residual`` :math:`\langle Y, R\rangle`. The dual point is the
    rescaled residual of the augmented multi-task Lasso (as
    :func:`~sparseopt.solvers.glm.enet_gap.enet_dual_gap` with row norms in
    place of absolute values); for ``l1 = 0`` the residual itself.
    Unpenalised rows (``weights == 0``) are left out of the dual constraints.
    """
    row_sq = np.sum(coef * coef, axis=1)
    primal = residual_norm_sq / (2 * n_samples) + float(
        weights @ (l1 * np.sqrt(row_sq) + 0.5 * l2 * row_sq))
    penalised = weights > 0
    duals = []
    if l1 > 0:
        shifted = correlation - n_samples * l2 * weights[:, None] * coef
        norms = np.linalg.norm(shifted[penalised], axis=1)
        bounds = n_samples * l1 * weights[penalised]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = float(np.where(norms > bounds, bounds / norms, 1.0).min(initial=1.0))
        augmented = residual_norm_sq + n_samples * l2 * float(weights @ row_sq)
        duals.append((2 * scale * y_dot_residual - scale**2 * augmented) / (2 * n_samples))
    if l2 > 0:
        norms = np.linalg.norm(correlation[penalised], axis=1) / n_samples
        excess = np.maximum(norms - l1 * weights[penalised], 0.0)
        duals.append((y_dot_residual - 0.5 * residual_norm_sq) / n_samples
                     - float(np.sum(excess**2 / (2 * l2 * weights[penalised]))))
    dual = min(max(duals), primal) if duals else -np.inf
    return primal, primal - dual


def solve_multitask(X, Y, l1, l2, *, fit_intercept, tol=1e-4, max_iter=1000, coef_init=None,
                    sample_weight=None, weights=None, screening=True, verbose=0, cache=None,
                    printer=None):
    """Multi-task elastic net on validated input (``Y`` of shape (n, T)).

    Stops when the duality gap is at most ``tol * P(0)`` and the largest
    block change of the last epoch is at most ``tol * max_j ||W_j||``.
    Returns ``(coef (p, T), intercept (T,), info)``; ``cache`` keeps the design
    and ``printer`` one rate-limited output between the solves of a path.
    """
    cache = {} if cache is None else cache
    if "design" not in cache:
        cache["design"] = LeastSquaresDesign(X, fit_intercept, sample_weight)
    design = cache["design"]
    n, p = design.n_samples, design.n_features
    targets = [design.target(Y[:, t]) for t in range(Y.shape[1])]
    target = np.column_stack([t for t, _ in targets])
    means = np.array([m for _, m in targets])
    y_norm_sq = float(np.sum(target * target))
    check_finite_scale(y_norm_sq, "y", "the squared norm of y")
    weights = np.ones(p) if weights is None else weights
    l1_scaled, l2_scaled = n * l1 * weights, n * l2 * weights
    unregularised = not (l1_scaled.any() or l2_scaled.any())
    coef = (np.zeros((p, target.shape[1])) if coef_init is None
            else np.array(coef_init, dtype=np.float64))
    arrays = design.kernel_arrays()
    projection = None
    if np.any(weights == 0) and (l1 > 0 or l2 > 0):
        projection = UnpenalisedProjection(design, weights == 0,
                                           _rmatmat(design, target, np.zeros(target.shape[1])))
    residual = np.ascontiguousarray(target - _matmat(design, coef))
    shift = design.offsets @ coef
    history = ConvergenceHistory("duality_gap")
    force = printer is None
    printer = printer or IterationPrinter("multitask_bcd", verbose)
    screened = np.zeros(p, dtype=bool)
    threshold = tol * 0.5 * y_norm_sq / n
    epochs, last_change, n_outer = 0.0, 0.0, 0
    while True:
        residual[:] = target - _matmat(design, coef)  # no drift
        shift = design.offsets @ coef
        correlation = _rmatmat(design, residual, shift)
        residual_norm_sq = float(np.sum(residual * residual)) - n * float(shift @ shift)
        y_dot_residual = float(np.sum(target * residual))
        primal, gap = multitask_dual_gap(residual_norm_sq, y_dot_residual, correlation, coef,
                                         n, l1, l2, weights)
        dual_stats = (correlation, residual_norm_sq, y_dot_residual)
        if projection is not None:  # dual point off the unpenalised rows
            dual_stats = projection.project(correlation, residual_norm_sq, y_dot_residual,
                                            coef, False)
            projected_primal, projected_gap = multitask_dual_gap(
                dual_stats[1], dual_stats[2], dual_stats[0], coef, n, l1, l2, weights)
            gap = max(primal - (projected_primal - projected_gap), 0.0)
        if unregularised:  # plain least squares: no dual bound; scikit-learn's first-order gap
            gap = float(np.sum(correlation * correlation)) / n
        violations = _block_violations(correlation / n, coef, l1, l2, weights)
        violations[screened] = 0.0
        kkt = float(violations.max(initial=0.0))
        history.append(epochs, primal, gap)
        largest = float(np.max(np.linalg.norm(coef, axis=1), initial=0.0))
        converged = gap <= threshold and last_change <= tol * largest
        printer(n_outer, objective=primal, criterion=gap,
                force=force and (converged or epochs >= max_iter), epochs=epochs)
        if converged or epochs >= max_iter:
            break
        if screening and l1 > 0:
            newly = _screen(dual_stats[0], coef, design.col_norms_sq, primal, dual_stats[1],
                            dual_stats[2], n, l1, l2, weights) & ~screened
            if newly.any():
                screened |= newly
                violations[newly] = 0.0
                coef[newly] = 0.0
                residual[:] = target - _matmat(design, coef)
                shift = design.offsets @ coef
        support = np.any(coef != 0, axis=1)
        working_set = select_working_set(violations, support, working_set_size(
            int(support.sum()), p, _WORKING_SET_START)).astype(np.int64)
        if working_set.size == 0:
            converged = gap <= threshold
            break
        done, last_change = _inner(arrays, design.col_norms_sq, coef, residual, shift,
                                   working_set, l1_scaled, l2_scaled,
                                   _INNER_TOL_RATIO * kkt * n, max_iter - epochs, n)
        epochs += done
        n_outer += 1
    if not converged:
        warnings.warn(f"multi-task solver did not converge in max_iter={max_iter} epochs: "
                      f"duality gap {gap:.3e} > {threshold:.3e} (or the last epoch still "
                      "moved a row by more than tol * max ||W_j||). Increase max_iter or tol.",
                      ConvergenceWarning, stacklevel=3)
    intercept = means - design.offsets @ coef if fit_intercept else np.zeros(coef.shape[1])
    info = {"n_iter": math.ceil(epochs - 1e-9), "dual_gap": float(gap), "kkt_violation": kkt,
            "converged": converged, "history": history, "n_screened": int(screened.sum())}
    return coef, intercept, info


def _matmat(design, coef):
    """``X_s W`` (float64, uncentred)."""
    support = np.flatnonzero(np.any(coef != 0, axis=1))
    if support.size == 0:
        return np.zeros((design.n_samples, coef.shape[1]))
    product = np.asarray(design.matrix[:, support] @ coef[support], dtype=np.float64)
    return design.weigh(product.T).T if design.weighted else product


def _rmatmat(design, residual, shift):
    """``X_c^T R`` (p, T)."""
    matrix = design.matrix
    vector = design.weigh(residual.T).T if design.weighted else residual
    product = np.asarray(matrix.T @ vector, dtype=np.float64)
    return product + design.n_samples * np.outer(design.offsets, shift)


def _block_violations(correlation_scaled, coef, l1, l2, weights):
    g = correlation_scaled - l2 * weights[:, None] * coef
    norms = np.linalg.norm(coef, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        direction = np.where(norms[:, None] > 0, coef / norms[:, None], 0.0)
    on_support = np.linalg.norm(g - l1 * weights[:, None] * direction, axis=1)
    at_zero = np.maximum(np.linalg.norm(g, axis=1) - l1 * weights, 0.0)
    return np.where(norms > 0, on_support, at_zero)


def _screen(correlation, coef, col_norms_sq, primal, residual_norm_sq, y_dot_residual, n, l1,
            l2, weights):
    """Gap Safe rule for rows (Ndiaye et al., 2015): row ``j`` is zero at the
    optimum when ``c ||x~_j^T R|| / (n l1) + r ||x~_j|| < omega_j``, ``r`` from
    the gap at the rescaled residual ``c R``."""
    penalised = weights > 0
    beta = n * l2 * weights
    shifted = correlation - beta[:, None] * coef
    norms = np.linalg.norm(shifted, axis=1)
    bounds = n * l1 * weights
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = float(np.where(penalised & (norms > bounds), bounds / norms, 1.0).min(
            initial=1.0))
    augmented = residual_norm_sq + float(beta @ np.sum(coef * coef, axis=1))
    dual = (2 * scale * y_dot_residual - scale**2 * augmented) / (2 * n)
    radius = np.sqrt(2.0 * n * max(primal - dual, 0.0)) / (n * l1)
    bound = scale * norms / (n * l1) + radius * np.sqrt(col_norms_sq + beta) + _SCREENING_MARGIN
    return penalised & (bound < weights)


def _inner(arrays, col_norms_sq, coef, residual, shift, working_set, l1, l2, tol_in, budget,
           n_samples):
    report = np.zeros(2)
    n_tasks = coef.shape[1]
    per_call = max(1, int(_WORK_PER_CALL // max(working_set.size * n_samples * n_tasks, 1)))
    memory = ANDERSON_MEMORY + 1
    buffers = (np.empty((memory, working_set.size, n_tasks)),
               np.empty((memory, n_samples, n_tasks)), np.empty((memory, n_tasks)),
               np.zeros(1, dtype=np.int64))
    epochs = 0
    budget = max(1, math.ceil(budget))
    while epochs < budget:
        epochs += multitask_epochs(*arrays, col_norms_sq, coef, residual, shift, working_set,
                                   l1, l2, tol_in, min(per_call, budget - epochs), *buffers,
                                   report)
        if report[0]:
            break
    return epochs, report[1]

"""Numba kernels of the working-set proximal Newton solver for l1 / elastic-net
logistic regression (driver: :mod:`sparseopt.solvers.glm.logistic`).

Each Newton step on a working set minimises the quadratic model with the
exact Hessian ``X_ws^T diag(s_i p_i (1 - p_i) / n) X_ws`` by cyclic
coordinate descent in the space of the linear predictor (the Hessian is never
formed). When that step keeps every sign of the working set, the l1 term is
linear on the support and the step is replaced by the exact Newton step of
the reduced smooth problem (preconditioned CG from the CD step: the
superlinear active-set phase of Nutini, Laradji & Schmidt), with weights
that the CG step would carry across zero fixed at zero and the rest
re-solved, when that step lowers the model more than the CD step. A
backtracking line search on the objective follows.
"""

import numpy as np
from numba import njit

from sparseopt.core.columns import column_axpy, column_dot, column_weighted_dot
from sparseopt.core.thresholds import elastic_net_change_scalar, soft_threshold_scalar

__all__ = ["kkt_violations", "loss_derivatives", "prox_newton_inner"]

_MAX_MODEL_EPOCHS = 5
_MAX_CG = 200  # CG iterations per Newton step, over all its solves
_MAX_FACE_ROUNDS = 10  # CG solves, each fixing at zero the weights that crossed it
_CG_TOL_RATIO = 0.1
_ARMIJO = 1e-4
# Smallest model curvature of a column, relative to its bound sum_i c_i x_ij^2 / 4:
# a step is then at most 4e6 |gradient| / bound, which 30 halvings of the line
# search bring under 4e-3 |gradient| / bound (a fraction of a gradient step).
_CURVATURE_FLOOR = 1e-6
_RESOLUTION = 1e3 * np.finfo(float).eps


@njit(cache=True, nogil=True)
def _log1p_exp_neg(value):
    """``log(1 + exp(-value))``, stable."""
    if value > 0:
        return np.log1p(np.exp(-value))
    return -value + np.log1p(np.exp(value))


@njit(cache=True, nogil=True)
def _violation(gradient, weight, l1, l2):
    g = gradient + l2 * weight
    if weight > 0:
        return abs(g + l1)
    if weight < 0:
        return abs(g - l1)
    return max(abs(g) - l1, 0.0)


@njit(cache=True, nogil=True)
def kkt_violations(gradient, coef, l1, l2, weights):
    """Each feature's distance of ``-gradient_j`` to the subdifferential of its
    penalty (per-feature strengths ``l1``, ``l2``), the largest of them, and the
    largest ``|gradient_j|`` over the unpenalised features (``weights == 0``)."""
    violations = np.empty(coef.shape[0])
    largest, unpenalised = 0.0, 0.0
    for j in range(coef.shape[0]):
        violations[j] = _violation(gradient[j], coef[j], l1[j], l2[j])
        largest = max(largest, violations[j])
        if weights[j] == 0.0:
            unpenalised = max(unpenalised, abs(gradient[j]))
    return violations, largest, unpenalised


@njit(cache=True, nogil=True, inline="always")
def _model_product(dense, data, indices, indptr, is_sparse, columns, hess, l2, vector,
                   intercept, scratch, out):
    """``out = (X_S^T diag(hess) X_S + diag(l2_S)) vector`` on the columns ``columns``
    (plus the intercept as a last, unpenalised column of ones when ``intercept``);
    ``l2`` holds the per-feature l2 strengths."""
    size = columns.shape[0]
    scratch[:] = 0.0
    for k in range(size):
        column_axpy(dense, data, indices, indptr, is_sparse, columns[k], vector[k], scratch)
    if intercept:
        scratch += vector[size]
        out[size] = np.sum(hess * scratch)
    for k in range(size):
        out[k] = column_weighted_dot(dense, data, indices, indptr, is_sparse, columns[k], hess,
                                     scratch) + l2[columns[k]] * vector[k]


@njit(cache=True, nogil=True, inline="always")
def _newton_on_support(dense, data, indices, indptr, is_sparse, working_set, coef, hess,
                       gradient, curvature, delta, gradient_b, curvature_b, delta_box,
                       intercept, l1, l2, tol, candidate):
    """Newton direction on an identified support, by preconditioned CG.

    Once coordinate descent on the Newton model keeps every sign of the
    working set (zeros stay zero), the l1 term is linear on the orthant of
    those signs and the model there is the smooth quadratic with gradient
    ``g_S + l1 sign_S + l2 w_S`` and Hessian ``X_S^T D X_S + diag(l2_S)``
    (``l1``, ``l2``: per-feature strengths): its minimiser is the Newton step
    of the reduced problem, which converges superlinearly (the active-set
    phase of Nutini, Laradji & Schmidt). CG (Jacobi preconditioner) starts
    from the CD step ``delta`` and stops at residual ``tol`` (max-norm). A
    weight that the CG step carries across zero is fixed at zero and CG
    re-solved on the others (at most ``_MAX_FACE_ROUNDS`` solves and
    ``_MAX_CG`` iterations in all, as many as one solve had before): on columns
    of large mean without an intercept (nearly collinear) the unconstrained
    step crosses zero at almost every Newton step, and coordinate descent
    alone hardly moves. Writes the step into ``candidate`` (intercept step in
    ``delta_box``) and returns True; False when the CD step changes a sign,
    CG does not reach ``tol`` or the rounds run out.
    """
    size = working_set.shape[0]
    count = 0
    for k in range(size):
        old = coef[working_set[k]]
        new = old + delta[k]
        if (old > 0) != (new > 0) or (old < 0) != (new < 0):
            return False
        if old != 0.0:
            count += 1
    if count == 0:
        return False
    extra = 1 if intercept and curvature_b > 0.0 else 0
    support = np.empty(count, dtype=np.int64)
    positions = np.empty(count, dtype=np.int64)
    count = 0
    for k in range(size):
        if coef[working_set[k]] != 0.0:
            support[count] = working_set[k]
            positions[count] = k
            count += 1
    m = count + extra
    x = np.empty(m)
    rhs = np.empty(m)
    preconditioner = np.empty(m)
    for t in range(count):
        k = positions[t]
        weight = coef[support[t]]
        x[t] = delta[k]
        j = support[t]
        rhs[t] = -(gradient[k] + l1[j] * np.sign(weight) + l2[j] * weight)
        preconditioner[t] = 1.0 / (curvature[k] + l2[j]) if curvature[k] + l2[j] > 0 else 1.0
    if extra:
        x[count] = delta_box[0]
        rhs[count] = -gradient_b
        preconditioner[count] = 1.0 / curvature_b
    n_samples = hess.shape[0]
    scratch = np.empty(n_samples)
    product = np.empty(m)
    free = np.ones(m)  # 0: a weight fixed at zero (step -w)
    iterations = 0
    for _ in range(_MAX_FACE_ROUNDS):
        _model_product(dense, data, indices, indptr, is_sparse, support, hess, l2, x,
                       extra == 1, scratch, product)
        residual = (rhs - product) * free
        z = preconditioner * residual
        direction = z.copy()
        rz = residual @ z
        while iterations < _MAX_CG:
            if np.max(np.abs(residual)) <= tol:
                break
            iterations += 1
            _model_product(dense, data, indices, indptr, is_sparse, support, hess, l2,
                           direction, extra == 1, scratch, product)
            product *= free
            curvature_along = direction @ product
            if curvature_along <= 0.0:
                break
            step = rz / curvature_along
            x += step * direction
            residual -= step * product
            z = preconditioner * residual
            rz_new = residual @ z
            direction = z + (rz_new / rz) * direction
            rz = rz_new
        if not np.max(np.abs(residual)) <= tol:  # e.g. a tolerance below rounding
            return False
        crossed = False
        for t in range(count):
            weight = coef[support[t]]
            new = weight + x[t]
            if free[t] > 0.0 and ((weight > 0) != (new > 0) or (weight < 0) != (new < 0)):
                x[t] = -weight
                free[t] = 0.0
                crossed = True
        if not crossed:
            candidate[:] = 0.0
            for t in range(count):
                candidate[positions[t]] = x[t]
            if extra:
                delta_box[0] = x[count]
            return True
    return False


@njit(cache=True, nogil=True)
def _model_change(gradient, gradient_b, coef, working_set, delta, delta_b, xdelta, hess, l1,
                  l2):
    """Change of the Newton model along ``delta`` (intercept step ``delta_b``,
    ``xdelta = X_S delta + delta_b``): the first-order and penalty terms plus
    ``xdelta^T diag(hess) xdelta / 2``."""
    change = gradient_b * delta_b + 0.5 * np.sum(hess * xdelta * xdelta)
    for k in range(working_set.shape[0]):
        j = working_set[k]
        change += elastic_net_change_scalar(gradient[k], coef[j], delta[k], l1[j], l2[j])
    return change


@njit(cache=True, nogil=True, inline="always")
def _column_curvature(dense, data, indices, indptr, is_sparse, j, hess):
    """``sum_i hess_i X[i, j]^2``."""
    if not is_sparse:
        return column_weighted_dot(dense, data, indices, indptr, False, j, hess, dense[:, j])
    total = 0.0
    for position in range(indptr[j], indptr[j + 1]):
        total += hess[indices[position]] * data[position] * data[position]
    return total


@njit(cache=True, nogil=True, inline="always")
def _column_gradient_and_curvature(dense, data, indices, indptr, is_sparse, j, deriv, hess):
    """``(X[:, j] . deriv, sum_i hess_i X[i, j]^2, X[:, j] . hess)``; a CSC column in
    one pass over its non-zeros (each sum in the order of separate passes)."""
    if not is_sparse:
        return (column_dot(dense, data, indices, indptr, False, j, deriv),
                _column_curvature(dense, data, indices, indptr, False, j, hess),
                column_dot(dense, data, indices, indptr, False, j, hess))
    gradient, curvature, hess_sum = 0.0, 0.0, 0.0
    for position in range(indptr[j], indptr[j + 1]):
        row, value = indices[position], data[position]
        gradient += value * deriv[row]
        curvature += hess[row] * value * value
        hess_sum += hess[row] * value
    return gradient, curvature, hess_sum


@njit(cache=True, nogil=True)
def loss_derivatives(target, z, sample_scale, deriv, hess):
    """Loss derivative and curvature of each sample (``scale_i = s_i / n``);
    ``s = 1 / (1 + e^m)`` and ``1 - s`` each from the exponential of a
    non-positive number, so that the curvature ``s (1 - s)`` stays positive
    until it underflows (a badly misclassified sample, margin -40, has
    curvature 4e-18, not 0)."""
    for i in range(z.shape[0]):
        margin = target[i] * z[i]
        if margin > 0:
            e = np.exp(-margin)
            s, rest = e / (1.0 + e), 1.0 / (1.0 + e)
        else:
            e = np.exp(margin)
            s, rest = 1.0 / (1.0 + e), e / (1.0 + e)
        deriv[i] = -target[i] * s * sample_scale[i]
        hess[i] = s * rest * sample_scale[i]


@njit(cache=True, nogil=True, inline="always")
def _model_descent(dense, data, indices, indptr, is_sparse, working_set, coef, hess, gradient,
                   curvature, hess_sums, gradient_b, curvature_b, eliminate, l1, l2, tol_in,
                   delta, xdelta, max_passes):
    """Coordinate descent on the Newton model in the predictor space; returns
    ``(intercept step, passes over the working set)``.

    With an intercept (``eliminate``) the model is minimised over the
    intercept exactly after every coordinate step (it is eliminated: the
    curvatures are then those of the centred model, ``curvature_j -
    (h^T x_j)^2 / sum(h)``), so that columns with large means, nearly
    collinear with the intercept, do not slow the descent (glmnet centres them).
    """
    size = working_set.shape[0]
    delta[:] = 0.0
    xdelta[:] = 0.0  # X_S delta, the intercept step added at the end
    delta_b = -gradient_b / curvature_b if eliminate else 0.0
    passes = 0
    for _ in range(max_passes):
        passes += 1
        largest = 0.0
        for k in range(size):
            if curvature[k] <= 0.0:
                continue
            j = working_set[k]
            partial = gradient[k] + column_weighted_dot(dense, data, indices, indptr, is_sparse,
                                                        j, hess, xdelta)
            if eliminate:
                partial += delta_b * hess_sums[k]
            current = coef[j] + delta[k]
            new = soft_threshold_scalar(curvature[k] * current - partial, l1[j]) / (
                curvature[k] + l2[j])
            change = new - current
            if change != 0.0:
                delta[k] += change
                column_axpy(dense, data, indices, indptr, is_sparse, j, change, xdelta)
                if eliminate:
                    delta_b -= change * hess_sums[k] / curvature_b
                largest = max(largest, abs(change) * np.sqrt(curvature[k]))
        if largest <= 0.1 * tol_in:
            break
    if eliminate:
        xdelta += delta_b
    return delta_b, passes


@njit(cache=True, nogil=True)
def _line_search(target, z, xdelta, sample_scale, coef, working_set, delta, l1, l2,
                 predicted):
    """Backtracking (Armijo) step along ``delta``; 0.0 when none is accepted."""
    step = 1.0
    if -predicted <= _RESOLUTION * np.max(sample_scale) * z.shape[0]:
        return step  # below rounding: take the model's step
    for _ in range(30):
        change = 0.0
        for i in range(z.shape[0]):
            if xdelta[i] != 0.0:
                change += sample_scale[i] * (
                    _log1p_exp_neg(target[i] * (z[i] + step * xdelta[i]))
                    - _log1p_exp_neg(target[i] * z[i]))
        for k in range(working_set.shape[0]):
            j = working_set[k]
            change += elastic_net_change_scalar(0.0, coef[j], step * delta[k], l1[j], l2[j])
        if change <= _ARMIJO * step * predicted:
            return step
        step *= 0.5
    return 0.0


@njit(cache=True, nogil=True)
def prox_newton_inner(dense, data, indices, indptr, is_sparse, target, sample_scale, z, coef,
                      intercept_box, fit_intercept, working_set, l1, l2, tol_in, max_newton,
                      max_passes, lipschitz, report):
    """Proximal Newton on a working set (jitted); updates ``z``, ``coef`` and
    ``intercept_box[0]`` in place.

    ``sample_scale`` is ``s_i / n`` (sample weights over the sample count);
    ``l1``, ``l2`` are per-feature strengths. Runs at most ``max_newton``
    Newton steps and ``max_passes`` passes over the working set's columns
    (epochs: one per gradient evaluation and one per coordinate-descent pass
    on the model), and returns the passes made; ``report`` receives
    ``[converged, Newton steps, accepted steps]`` (``converged`` is -1 when a
    working-set column's curvature or gradient overflows). ``lipschitz`` caches each
    column's curvature bound ``sum_i scale_i x_ij^2 / 4`` (negative: not yet
    computed); a column's model curvature is at least ``_CURVATURE_FLOOR``
    times it, so that a column whose non-zeros sit only on badly
    misclassified samples (curvature ~0, gradient not) still moves.
    """
    if is_sparse:  # compiled once per layout, the other branch pruned (core.columns)
        return _prox_newton_body(dense, data, indices, indptr, True, target, sample_scale, z,
                                 coef, intercept_box, fit_intercept, working_set, l1, l2,
                                 tol_in, max_newton, max_passes, lipschitz, report)
    return _prox_newton_body(dense, data, indices, indptr, False, target, sample_scale, z,
                             coef, intercept_box, fit_intercept, working_set, l1, l2, tol_in,
                             max_newton, max_passes, lipschitz, report)


@njit(cache=True, nogil=True, inline="always")
def _prox_newton_body(dense, data, indices, indptr, is_sparse, target, sample_scale, z, coef,
                      intercept_box, fit_intercept, working_set, l1, l2, tol_in, max_newton,
                      max_passes, lipschitz, report):
    n_samples = z.shape[0]
    size = working_set.shape[0]
    deriv = np.empty(n_samples)
    hess = np.empty(n_samples)
    gradient = np.empty(size)
    curvature = np.empty(size)
    hess_sums = np.empty(size)
    centred = np.empty(size)  # the model's curvatures with the intercept eliminated
    delta = np.empty(size)
    xdelta = np.empty(n_samples)
    candidate = np.empty(size)  # the CG step and its X_S product
    xcandidate = np.empty(n_samples)
    delta_box = np.zeros(1)
    passes = 0
    report[0] = 0.0
    report[1] = 0.0
    report[2] = 0.0
    for newton in range(max_newton):
        if passes + 2 > max_passes:  # a gradient and one model pass at least
            report[1] = newton
            return passes
        loss_derivatives(target, z, sample_scale, deriv, hess)
        passes += 1
        violation = 0.0
        for k in range(size):
            j = working_set[k]
            gradient[k], column_curvature, hess_sums[k] = _column_gradient_and_curvature(
                dense, data, indices, indptr, is_sparse, j, deriv, hess)
            violation = max(violation, _violation(gradient[k], coef[j], l1[j], l2[j]))
            if lipschitz[j] < 0.0:
                lipschitz[j] = 0.25 * _column_curvature(dense, data, indices, indptr,
                                                        is_sparse, j, sample_scale)
            curvature[k] = max(column_curvature, _CURVATURE_FLOOR * lipschitz[j])
            if not (np.isfinite(curvature[k]) and np.isfinite(gradient[k])):
                report[0] = -1.0  # X overflows float64 (the driver raises)
                report[1] = newton
                return passes
        gradient_b = np.sum(deriv) if fit_intercept else 0.0
        # (floored as the columns' are: with every logit saturated, e.g. a warm
        # start on shifted data, sum(hess) was 1e-14 and no step of 1e13 passed
        # the line search)
        curvature_b = max(np.sum(hess), _CURVATURE_FLOOR * 0.25 * np.sum(sample_scale)) \
            if fit_intercept else 0.0
        violation = max(violation, abs(gradient_b))
        if violation <= tol_in:
            report[0] = 1.0
            report[1] = newton
            return passes
        eliminate = fit_intercept and curvature_b > 0.0
        for k in range(size):
            centred[k] = curvature[k]
            if eliminate:  # (the floor keeps a constant column's step bounded)
                centred[k] = max(curvature[k] - hess_sums[k] ** 2 / curvature_b,
                                 _CURVATURE_FLOOR * curvature[k])
        delta_b, model_passes = _model_descent(dense, data, indices, indptr, is_sparse,
                                               working_set, coef, hess, gradient, centred,
                                               hess_sums, gradient_b, curvature_b, eliminate,
                                               l1, l2, tol_in, delta, xdelta,
                                               min(_MAX_MODEL_EPOCHS, max_passes - passes))
        passes += model_passes
        delta_box[0] = delta_b
        if _newton_on_support(dense, data, indices, indptr, is_sparse, working_set, coef, hess,
                              gradient, curvature, delta, gradient_b, curvature_b, delta_box,
                              fit_intercept, l1, l2, _CG_TOL_RATIO * tol_in, candidate):
            xcandidate[:] = delta_box[0]
            for k in range(size):
                if candidate[k] != 0.0:
                    column_axpy(dense, data, indices, indptr, is_sparse, working_set[k],
                                candidate[k], xcandidate)
            if _model_change(gradient, gradient_b, coef, working_set, candidate, delta_box[0],
                             xcandidate, hess, l1, l2) < _model_change(
                    gradient, gradient_b, coef, working_set, delta, delta_b, xdelta, hess, l1,
                    l2):
                delta, candidate = candidate, delta
                xdelta, xcandidate = xcandidate, xdelta
                delta_b = delta_box[0]
        predicted = gradient_b * delta_b
        for k in range(size):
            j = working_set[k]
            predicted += elastic_net_change_scalar(gradient[k], coef[j], delta[k], l1[j], l2[j])
        if predicted >= 0.0:
            report[0] = 1.0  # no descent direction left at this precision
            report[1] = newton + 1
            return passes
        step = _line_search(target, z, xdelta, sample_scale, coef, working_set, delta, l1, l2,
                            predicted)
        if step == 0.0:
            report[0] = 1.0
            report[1] = newton + 1
            return passes
        for k in range(size):
            coef[working_set[k]] += step * delta[k]
        intercept_box[0] += step * delta_b
        for i in range(n_samples):
            z[i] += step * xdelta[i]
        report[2] += 1.0
    report[1] = max_newton
    return passes

"""Working-set proximal Newton for l1 / elastic-net logistic regression.

Solves

    min_{w, b}  1/n sum_i log(1 + exp(-y_i (x_i^T w + b))) + l1 ||w||_1 + l2/2 ||w||^2

with labels ``y_i`` in {-1, 1}. The outer loop (Python) computes the full
gradient, a Fenchel duality gap and the KKT violations, and picks a working
set (the support plus the most violating features). The inner loop (numba)
runs proximal Newton on the working set: the quadratic model with the exact
Hessian ``X_ws^T diag(s (1 - s) / n) X_ws`` is minimised by cyclic
coordinate descent in the space of the linear predictor (the Hessian is never
formed). When that step keeps every sign of the working set, the l1 term is
linear on the support and the step is replaced by the exact Newton step of the
reduced smooth problem (preconditioned CG from the CD step: the superlinear
active-set phase). A backtracking line search on the objective follows. This is
block coordinate descent with the working set as the block and Newton
updates (Nutini, Laradji & Schmidt, 2022), in the organisation of glmnet,
newGLMNET and skglm's ProxNewton.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from numba import njit
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.columns import column_axpy, column_dot, column_weighted_dot
from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.losses import LOGISTIC, conjugate_sum
from sparseopt.core.thresholds import elastic_net_change_scalar, soft_threshold_scalar
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size

__all__ = ["solve_logistic"]

_INNER_TOL_RATIO = 0.3
# First working-set size (measured on the asv problems: 10 beats 50 and 200,
# whose larger first Newton models cost more than the outer iterations saved).
_WORKING_SET_START = 10
_MAX_NEWTON = 50
_MAX_MODEL_EPOCHS = 5
_MAX_CG = 200
_CG_TOL_RATIO = 0.1
_ARMIJO = 1e-4
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
def _model_product(dense, data, indices, indptr, is_sparse, columns, hess, l2, vector,
                   intercept, scratch, out):
    """``out = (X_S^T diag(hess) X_S + l2 I) vector`` on the columns ``columns``
    (plus the intercept as a last, unpenalised column of ones when ``intercept``)."""
    size = columns.shape[0]
    scratch[:] = 0.0
    for k in range(size):
        column_axpy(dense, data, indices, indptr, is_sparse, columns[k], vector[k], scratch)
    if intercept:
        scratch += vector[size]
        out[size] = np.sum(hess * scratch)
    for k in range(size):
        out[k] = column_weighted_dot(dense, data, indices, indptr, is_sparse, columns[k], hess,
                                     scratch) + l2 * vector[k]


@njit(cache=True, nogil=True)
def _newton_on_support(dense, data, indices, indptr, is_sparse, working_set, coef, hess,
                       gradient, curvature, delta, gradient_b, curvature_b, delta_box,
                       intercept, l1, l2, tol):
    """Exact Newton direction on an identified support, by preconditioned CG.

    Once coordinate descent on the Newton model keeps every sign of the
    working set (zeros stay zero), the l1 term is linear there and the model
    is the smooth quadratic ``g_S + l1 sign_S + l2 w_S`` with Hessian
    ``X_S^T D X_S + l2 I``: its minimiser is the Newton step of the reduced
    problem, which converges superlinearly (the active-set phase of Nutini,
    Laradji & Schmidt). CG (Jacobi preconditioner) starts from the CD step
    and stops at residual ``tol`` (max-norm). Returns False, leaving
    ``delta`` unchanged, when the CD step or the Newton step changes a sign
    (the reduced model is then not the model) or CG does not reach ``tol``.
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
        rhs[t] = -(gradient[k] + l1 * np.sign(weight) + l2 * weight)
        preconditioner[t] = 1.0 / (curvature[k] + l2) if curvature[k] + l2 > 0 else 1.0
    if extra:
        x[count] = delta_box[0]
        rhs[count] = -gradient_b
        preconditioner[count] = 1.0 / curvature_b
    n_samples = hess.shape[0]
    scratch = np.empty(n_samples)
    product = np.empty(m)
    _model_product(dense, data, indices, indptr, is_sparse, support, hess, l2, x, extra == 1,
                   scratch, product)
    residual = rhs - product
    z = preconditioner * residual
    direction = z.copy()
    rz = residual @ z
    converged = False
    for _ in range(_MAX_CG):
        if np.max(np.abs(residual)) <= tol:
            converged = True
            break
        _model_product(dense, data, indices, indptr, is_sparse, support, hess, l2, direction,
                       extra == 1, scratch, product)
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
    converged = converged or np.max(np.abs(residual)) <= tol
    if not converged:  # e.g. a tolerance below rounding: keep the CD step
        return False
    for t in range(count):  # the step must stay in the orthant (else keep the CD step)
        weight = coef[support[t]]
        if (weight > 0) != (weight + x[t] > 0) or (weight < 0) != (weight + x[t] < 0):
            return False
    for t in range(count):
        delta[positions[t]] = x[t]
    if extra:
        delta_box[0] = x[count]
    return True


@njit(cache=True, nogil=True)
def prox_newton_inner(dense, data, indices, indptr, is_sparse, target, z, coef,
                      intercept_box, fit_intercept, working_set, l1, l2, tol_in):
    """Proximal Newton on a working set (jitted); updates ``z``, ``coef`` and
    ``intercept_box[0]`` in place. Returns the number of Newton steps."""
    n_samples = z.shape[0]
    size = working_set.shape[0]
    inverse_n = 1.0 / n_samples
    deriv = np.empty(n_samples)
    hess = np.empty(n_samples)
    gradient = np.empty(size)
    curvature = np.empty(size)
    delta = np.empty(size)
    xdelta = np.empty(n_samples)
    delta_box = np.zeros(1)
    for newton in range(_MAX_NEWTON):
        for i in range(n_samples):
            margin = target[i] * z[i]
            s = 1.0 / (1.0 + np.exp(margin)) if margin > -30 else 1.0
            deriv[i] = -target[i] * s * inverse_n
            hess[i] = s * (1.0 - s) * inverse_n
        violation = 0.0
        for k in range(size):
            j = working_set[k]
            gradient[k] = column_dot(dense, data, indices, indptr, is_sparse, j, deriv)
            violation = max(violation, _violation(gradient[k], coef[j], l1, l2))
        gradient_b = 0.0
        curvature_b = 0.0
        if fit_intercept:
            for i in range(n_samples):
                gradient_b += deriv[i]
                curvature_b += hess[i]
            violation = max(violation, abs(gradient_b))
        if violation <= tol_in:
            return newton
        for k in range(size):
            j = working_set[k]
            total = 0.0
            if is_sparse:
                for entry in range(indptr[j], indptr[j + 1]):
                    total += hess[indices[entry]] * data[entry] * data[entry]
            else:
                for i in range(n_samples):
                    total += hess[i] * dense[i, j] * dense[i, j]
            curvature[k] = total
        # coordinate descent on the Newton model, in the predictor space
        delta[:] = 0.0
        xdelta[:] = 0.0
        delta_b = 0.0
        for _ in range(_MAX_MODEL_EPOCHS):
            largest = 0.0
            for k in range(size):
                if curvature[k] <= 0.0:
                    continue
                j = working_set[k]
                partial = gradient[k] + column_weighted_dot(dense, data, indices, indptr,
                                                            is_sparse, j, hess, xdelta)
                current = coef[j] + delta[k]
                new = soft_threshold_scalar(curvature[k] * current - partial, l1) / (
                    curvature[k] + l2)
                change = new - current
                if change != 0.0:
                    delta[k] += change
                    column_axpy(dense, data, indices, indptr, is_sparse, j, change, xdelta)
                    largest = max(largest, abs(change) * np.sqrt(curvature[k]))
            if fit_intercept and curvature_b > 0.0:
                partial = gradient_b
                for i in range(n_samples):
                    partial += hess[i] * xdelta[i]
                change = -partial / curvature_b
                delta_b += change
                for i in range(n_samples):
                    xdelta[i] += change
                largest = max(largest, abs(change) * np.sqrt(curvature_b))
            if largest <= 0.1 * tol_in:
                break
        delta_box[0] = delta_b
        if _newton_on_support(dense, data, indices, indptr, is_sparse, working_set, coef, hess,
                              gradient, curvature, delta, gradient_b, curvature_b, delta_box,
                              fit_intercept, l1, l2, _CG_TOL_RATIO * tol_in):
            delta_b = delta_box[0]
            xdelta[:] = delta_b
            for k in range(size):
                if delta[k] != 0.0:
                    column_axpy(dense, data, indices, indptr, is_sparse, working_set[k],
                                delta[k], xdelta)
        # predicted decrease of the model (gradient + penalty terms)
        predicted = gradient_b * delta_b
        for k in range(size):
            predicted += elastic_net_change_scalar(gradient[k], coef[working_set[k]], delta[k],
                                                   l1, l2)
        if predicted >= 0.0:
            return newton + 1
        step = 1.0
        if -predicted > _RESOLUTION * n_samples * inverse_n:
            for _ in range(30):
                change = 0.0
                for i in range(n_samples):
                    if xdelta[i] != 0.0:
                        change += _log1p_exp_neg(target[i] * (z[i] + step * xdelta[i])) - \
                            _log1p_exp_neg(target[i] * z[i])
                change *= inverse_n
                for k in range(size):
                    change += elastic_net_change_scalar(0.0, coef[working_set[k]],
                                                        step * delta[k], l1, l2)
                if change <= _ARMIJO * step * predicted:
                    break
                step *= 0.5
            else:
                return newton + 1
        for k in range(size):
            coef[working_set[k]] += step * delta[k]
        intercept_box[0] += step * delta_b
        for i in range(n_samples):
            z[i] += step * xdelta[i]
    return _MAX_NEWTON


def logistic_dual_gap(target, z, correlation_vector, coef, l1, l2, n_samples):
    r"""Objective and Fenchel duality gap of the elastic-net logistic regression.

    For :math:`P(w) = \frac{1}{n}\sum_i \log(1 + e^{-y_i z_i}) + l_1\|w\|_1
    + \frac{l_2}{2}\|w\|_2^2` with :math:`z = Xw` (+ intercept), the dual
    point is the loss derivative rescaled into the dual feasible set,
    :math:`\theta = -c\,\nabla f(z)` with :math:`c = \min(1, l_1 /
    \|X^\top \nabla f\|_\infty)` when ``l2 == 0``; the gap :math:`P(w) - D(\theta)
    \ge P(w) - P^*` certifies sub-optimality. Time ``O(n + p)``.

    Parameters
    ----------
    target : ndarray of shape (n_samples,)
        Labels in {-1, 1}.
    z : ndarray of shape (n_samples,)
        Linear predictor (intercept included).
    correlation_vector : ndarray of shape (n_features,)
        ``-X^T grad f(z)`` (the negative gradient of the data fit).
    coef : ndarray of shape (n_features,)
        Coefficients.
    l1, l2 : float
        Penalty strengths (per sample, as in the objective above).
    n_samples : int
        Number of samples.

    Returns
    -------
    objective : float
        :math:`P(w)`.
    gap : float
        The duality gap, clipped at zero.
    """
    margins = target * z
    objective = float(np.mean(np.logaddexp(0.0, -margins)))
    objective += l1 * float(np.abs(coef).sum()) + 0.5 * l2 * float(coef @ coef)
    deriv = (-target / (1.0 + np.exp(np.clip(margins, -700, 700))) / n_samples)[None, :]
    factor = 1.0
    if l2 == 0.0:
        largest = float(np.max(np.abs(correlation_vector), initial=0.0))
        factor = min(1.0, l1 / largest) if largest > 0 else 1.0
        if l1 == 0.0:
            factor = 0.0
    dual = float(conjugate_sum(LOGISTIC, deriv, target, 1.0 / n_samples, factor))
    if l2 > 0.0:
        excess = np.maximum(np.abs(factor * correlation_vector) - l1, 0.0)
        dual -= float(excess @ excess) / (2.0 * l2)
    return objective, max(objective - dual, 0.0)


def solve_logistic(X, y, l1, l2, *, fit_intercept=True, tol=1e-4, max_iter=100,
                   coef_init=None, intercept_init=0.0, verbose=0, printer=None):
    r"""Working-set proximal Newton for penalised logistic regression (validated input).

    Minimises :math:`\frac1n\sum_i \log(1 + e^{-y_i(x_i^\top w + b)}) +
    \lambda_1\|w\|_1 + \frac{\lambda_2}{2}\|w\|^2` with ``y`` in {-1, 1}.
    Stops when the duality gap is at most ``tol * log(2)`` (the objective at
    zero) and the intercept's gradient is at most ``tol`` times the largest
    gradient entry at the start.

    Parameters
    ----------
    X : ndarray (Fortran) or CSC matrix of shape (n_samples, n_features)
        Design, float64.
    y : ndarray of shape (n_samples,)
        Labels in {-1, 1}.
    l1, l2 : float
        Penalty strengths.
    fit_intercept : bool, default=True
        Fit the unpenalised intercept.
    tol : float, default=1e-4
        Relative tolerance.
    max_iter : int, default=100
        Maximum number of outer (working-set) iterations.
    coef_init : ndarray of shape (n_features,), optional
        Warm start (copied).
    intercept_init : float, default=0.0
        Warm start of the intercept.
    verbose : int, default=0
        Print progress.
    printer : callable, optional
        Where verbose lines go.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float
        Intercept.
    info : dict
        ``n_iter``, ``n_newton``, ``dual_gap``, ``kkt_violation``,
        ``converged`` and ``history``.
    """
    printer = print if printer is None else printer
    n_samples, n_features = X.shape
    is_sparse = sp.issparse(X)
    if is_sparse:
        X = sp.csc_matrix(X)
        X.sort_indices()
        arrays = (np.empty((0, 0), order="F"), X.data, X.indices.astype(np.int64),
                  X.indptr.astype(np.int64), True)
    else:
        X = np.asfortranarray(X)
        arrays = (X, np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                  False)
    target = np.asarray(y, dtype=np.float64)
    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    intercept_box = np.array([float(intercept_init) if fit_intercept else 0.0])
    z = np.asarray(X @ coef).ravel() + intercept_box[0]
    objective_at_zero = np.log(2.0)
    history = ConvergenceHistory("relative_duality_gap")
    converged, n_newton, criterion, gap, kkt = False, 0, np.inf, np.inf, np.inf
    intercept_scale = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        margins = target * z
        deriv = -target / (1.0 + np.exp(np.clip(margins, -700, 700))) / n_samples
        gradient = np.asarray(X.T @ deriv).ravel()
        objective, gap = logistic_dual_gap(target, z, -gradient, coef, l1, l2, n_samples)
        signs = np.sign(coef)
        shifted = gradient + l2 * coef
        violations = np.where(coef != 0, np.abs(shifted + l1 * signs),
                              np.maximum(np.abs(shifted) - l1, 0.0))
        kkt = float(violations.max(initial=0.0))
        criterion = gap / objective_at_zero
        if fit_intercept:
            intercept_gradient = abs(float(deriv.sum()))
            if intercept_scale is None:
                intercept_scale = max(intercept_gradient, float(np.max(np.abs(gradient))),
                                      np.finfo(float).tiny)
            criterion = max(criterion, intercept_gradient / intercept_scale)
            kkt = max(kkt, intercept_gradient)
        history.append(n_iter - 1, objective, criterion)
        if verbose:
            printer(f"[logistic_pn] iter {n_iter - 1:4d}  objective {objective:.10e}  "
                    f"gap {gap:.3e}  kkt {kkt:.3e}")
        if criterion <= tol:
            converged = True
            break
        if n_iter == max_iter:
            break
        support = coef != 0
        working_set = select_working_set(violations, support,
                                         working_set_size(int(support.sum()), n_features,
                                                          _WORKING_SET_START))
        if working_set.size == 0 and not fit_intercept:
            break
        n_newton += prox_newton_inner(*arrays, target, z, coef, intercept_box, fit_intercept,
                                      working_set.astype(np.int64), l1, l2,
                                      _INNER_TOL_RATIO * kkt)
    if not converged:
        warnings.warn(
            f"logistic solver did not converge in max_iter={max_iter} outer iterations: "
            f"relative criterion {criterion:.3e} > tol = {tol:.3e}. Increase max_iter or tol.",
            ConvergenceWarning, stacklevel=3)
    info = {"n_iter": n_iter, "n_newton": n_newton, "dual_gap": float(gap),
            "kkt_violation": float(kkt), "converged": converged, "history": history}
    return coef, float(intercept_box[0]), info

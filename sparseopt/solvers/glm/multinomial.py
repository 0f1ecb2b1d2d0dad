"""Cyclic block proximal Newton for penalised multinomial logistic regression.

Minimises

    1/n sum_i (logsumexp(x_i^T W + b) - x_i^T w_{y_i} - b_{y_i})
        + l1 ||W||_1 + l2/2 ||W||_F^2

one feature at a time: a block is the ``K`` class coefficients of a feature
(and the unpenalised intercepts are one more block). Each block update is a
proximal Newton step with the exact ``K x K`` block Hessian, its model solved
by coordinate descent, followed by a backtracking line search evaluated on
the rows where the feature is non-zero only. The linear predictor and the
class probabilities are kept up to date, so an epoch costs
``O(nnz(X) K^2)``. This is the default configuration of
:class:`~sparseopt.bcd.MultinomialLogisticRegression` (cyclic fixed blocks of
one feature, Newton updates) compiled in one numba loop.
"""

import warnings

import numpy as np
from numba import njit
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.thresholds import elastic_net_change_scalar, soft_threshold_scalar
from sparseopt.solvers.glm.classification_gap import multinomial_dual_gap
from sparseopt.solvers.glm.designs import kernel_design
from sparseopt.utils.progress import IterationPrinter

__all__ = ["solve_multinomial"]

_ARMIJO = 1e-4
_MODEL_SWEEPS = 20


@njit(cache=True, nogil=True, inline="always")
def _trial_row(Z, i, shift, trial_exp, label):
    """Loss of row ``i`` at the predictor ``Z[i] + shift`` (``lse - z_y``);
    ``trial_exp[i]`` receives ``exp(z_k + shift_k - top)`` and the return is
    ``(loss, top, sum of those exponentials)``."""
    n_classes = Z.shape[1]
    top = Z[i, 0] + shift[0]
    for k in range(1, n_classes):
        top = max(top, Z[i, k] + shift[k])
    total = 0.0
    for k in range(n_classes):
        value = np.exp(Z[i, k] + shift[k] - top)
        trial_exp[i, k] = value
        total += value
    return top + np.log(total) - Z[i, label] - shift[label], top, total


@njit(cache=True, nogil=True)
def multinomial_epoch(dense, data, indices, indptr, is_sparse, n_features, fit_intercept,
                      labels, sample_scale, Z, P, log_norm, W, l1, l2, trial_exp, trial_top,
                      trial_sum):
    """One cyclic pass of block proximal Newton over the features (jitted).

    ``Z`` (n, K) predictor, ``P`` (n, K) probabilities, ``log_norm`` (n,) the
    rows' log-partition ``lse(Z[i])`` and ``W`` (p [+1], K) coefficients
    (the last row the intercepts) are updated in place; ``sample_scale`` is
    ``s_i / n`` and ``l1``, ``l2`` are per-feature strengths; ``trial_exp``
    (n, K), ``trial_top`` and ``trial_sum`` (n,) are scratch. The line search
    keeps the exponentials of its last trial, so that an accepted step
    updates ``P`` without computing them again (``K`` exponentials per row
    and trial). Returns the number of blocks that moved.
    """
    n_samples, n_classes = Z.shape
    gradient = np.empty(n_classes)
    hessian = np.empty((n_classes, n_classes))
    delta = np.empty(n_classes)
    shift = np.empty(n_classes)
    n_blocks = n_features + (1 if fit_intercept else 0)
    all_rows = np.arange(n_samples).astype(indices.dtype)
    ones = np.ones(n_samples)
    moved = 0
    for j in range(n_blocks):
        if j == n_features:  # the intercepts: a column of ones, unpenalised
            rows, values = all_rows, ones
            block_l1, block_l2 = 0.0, 0.0
        elif is_sparse:
            rows = indices[indptr[j]:indptr[j + 1]]
            values = data[indptr[j]:indptr[j + 1]]
            block_l1, block_l2 = l1[j], l2[j]
        else:
            rows, values = all_rows, dense[:, j]
            block_l1, block_l2 = l1[j], l2[j]
        if rows.shape[0] == 0:
            continue
        gradient[:] = 0.0
        hessian[:, :] = 0.0
        for position in range(rows.shape[0]):  # the block's gradient, Hessian (upper)
            i = rows[position]
            x = values[position] * sample_scale[i]
            if x == 0.0:
                continue
            xx = x * values[position]
            for k in range(n_classes):
                p = P[i, k]
                gradient[k] += x * (p - (1.0 if labels[i] == k else 0.0))
                hessian[k, k] += xx * p
                weighted = xx * p
                for m in range(k, n_classes):
                    hessian[k, m] -= weighted * P[i, m]
        for k in range(n_classes):
            for m in range(k):
                hessian[k, m] = hessian[m, k]
        # the Newton model, minimised by coordinate descent on u = w + d
        for k in range(n_classes):
            delta[k] = 0.0
        for _ in range(_MODEL_SWEEPS):
            largest = 0.0
            for k in range(n_classes):
                curvature = hessian[k, k]
                if curvature <= 0.0:
                    continue
                partial = gradient[k]
                for m in range(n_classes):
                    partial += hessian[k, m] * delta[m]
                current = W[j, k] + delta[k]
                new = soft_threshold_scalar(curvature * current - partial, block_l1) / (
                    curvature + block_l2)
                change = new - current
                delta[k] += change
                largest = max(largest, abs(change))
            if largest <= 1e-12 * (1.0 + np.abs(W[j]).max()):
                break
        predicted = 0.0
        for k in range(n_classes):
            predicted += elastic_net_change_scalar(gradient[k], W[j, k], delta[k], block_l1,
                                                   block_l2)
        if predicted >= 0.0:
            continue
        step = 1.0
        accepted = False
        for _ in range(30):
            change = 0.0
            for position in range(rows.shape[0]):
                i = rows[position]
                x = values[position]
                if x == 0.0:
                    continue
                for k in range(n_classes):
                    shift[k] = step * x * delta[k]
                after, trial_top[i], trial_sum[i] = _trial_row(Z, i, shift, trial_exp,
                                                               labels[i])
                change += sample_scale[i] * (after - (log_norm[i] - Z[i, labels[i]]))
            for k in range(n_classes):
                change += elastic_net_change_scalar(0.0, W[j, k], step * delta[k], block_l1,
                                                    block_l2)
            if change <= _ARMIJO * step * predicted or -predicted < 1e-15:
                accepted = True
                break
            step *= 0.5
        if not accepted:
            continue
        moved += 1
        for k in range(n_classes):
            W[j, k] += step * delta[k]
        for position in range(rows.shape[0]):  # the last trial's exponentials
            i = rows[position]
            x = values[position]
            if x == 0.0:
                continue
            total = trial_sum[i]
            for k in range(n_classes):
                Z[i, k] += step * x * delta[k]
                P[i, k] = trial_exp[i, k] / total
            log_norm[i] = trial_top[i] + np.log(total)
    return moved


def solve_multinomial(X, labels, n_classes, l1, l2, *, fit_intercept=True, tol=1e-4,
                      max_iter=1000, coef_init=None, sample_weight=None, weights=None,
                      verbose=0, printer=None, warn=True):
    r"""Penalised multinomial logistic regression by cyclic block proximal Newton.

    Inputs must be validated: ``X`` float64 (dense or sparse; not modified),
    ``labels`` integers in ``[0, n_classes)``. Minimises
    :math:`\sum_i c_i (\mathrm{lse}(z_i) - z_{i y_i}) + \sum_j \omega_j
    (\lambda_1\|W_j\|_1 + \frac{\lambda_2}{2}\|W_j\|^2)` with
    :math:`c_i = s_i / n`. Stops when the Fenchel duality gap is at most
    ``tol * log(K)`` (the objective at zero) and the gradient of the
    unpenalised rows (intercepts, features of zero penalty factor) is at most
    ``tol`` times the largest gradient entry at the start.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design.
    labels : ndarray of int of shape (n_samples,)
        Class indices.
    n_classes : int
        Number of classes ``K``.
    l1, l2 : float
        Penalty strengths.
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    tol : float, default=1e-4
        Relative tolerance.
    max_iter : int, default=1000
        Maximum number of epochs (cyclic passes over the features).
    coef_init : ndarray of shape (n_features [+1], n_classes), optional
        Warm start (copied); the last row holds the intercepts if fitted.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative sample weights (rescaled to sum to ``n_samples``).
    weights : ndarray of shape (n_features,), optional
        Per-feature penalty factors (default ones).
    verbose : int, default=0
        Verbosity of the :class:`~sparseopt.utils.IterationPrinter`.
    printer : callable, optional
        Replaces that printer (called at every epoch), e.g. one printer for
        the solves of a path.
    warn : bool, default=True
        Raise the ConvergenceWarning (``False``: the caller reads
        ``info["converged"]``).

    Returns
    -------
    coef : ndarray of shape (n_features [+1], n_classes)
        Coefficients (and intercepts in the last row).
    info : dict
        ``n_iter`` (epochs), ``dual_gap``, ``kkt_violation``, ``converged``,
        ``history``.
    """
    n_samples, n_features = X.shape
    matrix, arrays = kernel_design(X)
    labels = np.asarray(labels, dtype=np.int64)
    sample_scale = np.full(n_samples, 1.0 / n_samples)
    if sample_weight is not None:
        sample_scale = np.asarray(sample_weight, dtype=np.float64) / np.sum(sample_weight)
    weights = np.ones(n_features) if weights is None else np.asarray(weights, dtype=float)
    n_rows = n_features + int(fit_intercept)
    W = np.zeros((n_rows, n_classes)) if coef_init is None else np.array(coef_init, dtype=float)
    Z = np.ascontiguousarray(matrix @ W[:n_features], dtype=np.float64)  # (n, K)
    if fit_intercept:
        Z += W[-1]
    top = Z.max(axis=1, keepdims=True)
    P = np.exp(Z - top)
    total = P.sum(axis=1, keepdims=True)
    P /= total
    log_norm = (top + np.log(total)).ravel()
    trial_exp, trial_top, trial_sum = np.empty_like(Z), np.empty(n_samples), np.empty(n_samples)
    onehot = np.zeros((n_samples, n_classes))
    onehot[np.arange(n_samples), labels] = 1.0
    force = printer is None
    printer = printer or IterationPrinter("multinomial_cd", verbose)
    history = ConvergenceHistory("relative_criterion")
    converged, unpenalised_scale, n_iter = False, None, 0
    unregularised = not ((l1 > 0 or l2 > 0) and np.any(weights > 0))
    while True:
        deriv = (P - onehot) * sample_scale[:, None]
        correlation = np.asarray(matrix.T @ deriv)  # (p, K) = X^T grad
        coef = W[:n_features]
        objective, gap = multinomial_dual_gap(Z.T, labels, -correlation, coef, l1, l2,
                                              sample_scale=sample_scale, weights=weights)
        if not np.isfinite(objective):
            raise ValueError("The multinomial objective overflowed: X is too large for "
                             "float64 arithmetic; rescale X.")
        shifted = correlation + l2 * weights[:, None] * coef
        l1_rows = l1 * weights[:, None]
        violations = np.where(coef != 0, np.abs(shifted + l1_rows * np.sign(coef)),
                              np.maximum(np.abs(shifted) - l1_rows, 0.0))
        unpenalised = np.abs(correlation[weights == 0]).ravel()
        if fit_intercept:
            unpenalised = np.append(unpenalised, np.abs(deriv.sum(axis=0)))
        unpenalised = float(unpenalised.max(initial=0.0))
        kkt = max(float(violations.max(initial=0.0)), unpenalised)
        if unpenalised_scale is None:
            unpenalised_scale = max(unpenalised, float(np.abs(correlation).max(initial=0.0)),
                                    np.finfo(float).tiny)
        if unregularised:  # no dual bound: a first-order criterion
            gap = np.nan
            criterion = kkt / unpenalised_scale
        else:
            criterion = max(gap / np.log(n_classes), unpenalised / unpenalised_scale)
        history.append(n_iter, objective, criterion)
        converged = criterion <= tol
        printer(n_iter, objective=objective, criterion=criterion,
                force=force and (converged or n_iter >= max_iter))
        if converged or n_iter >= max_iter:
            break
        moved = multinomial_epoch(*arrays, n_features, fit_intercept, labels, sample_scale, Z,
                                  P, log_norm, W, l1 * weights, l2 * weights, trial_exp,
                                  trial_top, trial_sum)
        n_iter += 1
        if moved == 0:
            break
    if warn and not converged:
        warnings.warn(
            f"multinomial solver did not converge in max_iter={max_iter} epochs: "
            f"relative criterion {criterion:.3e} > tol = {tol:.3e}. Increase max_iter or tol.",
            ConvergenceWarning, stacklevel=3)
    info = {"n_iter": n_iter, "dual_gap": float(gap), "kkt_violation": kkt,
            "converged": converged, "history": history}
    return W, info

"""The jitted steps of one central-path stage (fixed ``mu`` and ``s``).

:func:`stage_steps` runs steps ``start + 1 .. stop`` of a stage on state
arrays that it updates in place, so that the driver
(:mod:`~sparseopt.solvers.dag.central_path`) can run a stage in chunks and
return to Python between them (Ctrl-C, progress) with results that do not
depend on the chunking.

One step: the transposed inverse of ``s I - W o W`` (refined from the
linear extrapolation of the last two by one Newton-Schulz or cubic
hyperpower step, two or three BLAS products to a residual of 1e-8, or
LAPACK's LU inverse: the driver chooses by size), the domain check (an entry of that inverse
below ``-slack`` means ``W`` left the M-matrix domain: undo the step and
retry it halved, as in DAGMA; a refined inverse that fails the check is
recomputed by LU before the decision), one Adam step on the subgradient and
one product ``C (I - W)`` that serves the closed-form noise scales and the
next gradient.
"""

import numpy as np
from numba import njit

from sparseopt.core.linalg import warm_inverse_kernel

__all__ = ["SCORES", "RUNNING", "CONVERGED", "OUT_OF_STEPS", "STEP_UNDERFLOW", "LEFT_DOMAIN",
           "stage_steps", "noise_scales", "objective_value", "score_gradient", "adam_step"]

SCORES = ("l2", "logistic", "colide_ev", "colide_nv")
_L2, _LOGISTIC, _EV, _NV = range(4)
# how a call of stage_steps ended
RUNNING, CONVERGED, OUT_OF_STEPS, STEP_UNDERFLOW, LEFT_DOMAIN = range(5)
# Residual bound ||I - A X||_inf of the refined inverses. From the extrapolated
# guess (residual ~5e-6 early, ~6e-5 in the last stage at d = 50) one
# Newton-Schulz step (2 products) mostly reaches 1e-8, 1e-10 needs a cubic step
# (3) in the last stage, 1e-12 needs 3-4 products: per-step time at d = 50
# (CPU, one thread) 26 / 29 / 32 us. The fits match the official outputs as
# before (tests/dag/test_estimators.py) and no domain decision differed from
# an LU inverse's on the fixtures and Sachs (every step checked).
_INVERSE_TOL = 1e-8


@njit(cache=True, nogil=True)
def noise_scales(score, difference, product, floor):
    """Closed-form scales from ``diag(D^T C D) = colsum(D o C D)``.

    Returns ``(sigma, columns)`` with ``columns = diag(D^T C D)``.
    """
    d = difference.shape[0]
    columns = np.zeros(d)
    for i in range(d):
        for j in range(d):
            columns[j] += difference[i, j] * product[i, j]
    sigma = np.empty(d)
    if score == _EV:
        value = np.sqrt(max(columns.sum(), 0.0) / d)
        sigma[:] = max(value, floor)
    else:
        for j in range(d):
            sigma[j] = max(np.sqrt(max(columns[j], 0.0)), floor)
    return sigma, columns


@njit(cache=True, nogil=True)
def _score_value(score, X, W, columns, sigma):
    d = W.shape[0]
    if score == _L2:
        return 0.5 * columns.sum()
    if score == _EV:
        return 0.5 * columns.sum() / sigma[0] + 0.5 * sigma[0] * d
    if score == _NV:
        total = 0.0
        for j in range(d):
            total += columns[j] / sigma[j] + sigma[j]
        return 0.5 * total
    predictor = X @ W
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(d):
            r = predictor[i, j]
            total += (max(r, 0.0) + np.log1p(np.exp(-abs(r)))) - X[i, j] * r
    return total / X.shape[0]


@njit(cache=True, nogil=True)
def objective_value(score, X, W, columns, sigma, mu, lambda1, l1_mask, s):
    """``(mu (Q + lambda1 ||l1_mask o W||_1) + h_s(W), h_s(W))``."""
    d = W.shape[0]
    matrix = s * np.eye(d) - W * W
    _, logdet = np.linalg.slogdet(matrix)
    h = -logdet + d * np.log(s)
    penalty = 0.0
    for i in range(d):
        for j in range(d):
            penalty += l1_mask[i, j] * abs(W[i, j])
    return mu * (_score_value(score, X, W, columns, sigma) + lambda1 * penalty) + h, h


@njit(cache=True, nogil=True)
def score_gradient(score, X, C, W, product, sigma, mu, out):
    """``out <- mu * dQ/dW`` (``product`` is ``C (I - W)`` at ``W``)."""
    d = W.shape[0]
    if score == _LOGISTIC:
        predictor = X @ W
        for i in range(predictor.shape[0]):
            for j in range(d):
                r = predictor[i, j]
                predictor[i, j] = 1.0 / (1.0 + np.exp(-r)) if r >= 0 else np.exp(r) / (
                    1.0 + np.exp(r))
        out[:] = mu * ((X.T @ predictor) / X.shape[0] - C)
        return out
    scales = np.ones(d)
    for j in range(d):
        if score == _EV:
            scales[j] = 1.0 / sigma[0]
        elif score == _NV:
            scales[j] = 1.0 / sigma[j]
    for i in range(d):
        for j in range(d):
            out[i, j] = -mu * product[i, j] * scales[j]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def adam_step(w, gradient, inverse_t, first, second, direction, keep, l1, mu_lambda1, lr,
              beta_1, beta_2, correction_1, correction_2, difference):
    """One Adam step on flattened ``(d, d)`` arrays, in place; ``difference``
    receives ``-W`` at the new ``W`` (the caller adds the identity).

    The subgradient is ``gradient + mu lambda1 l1 sign(w) + 2 w o (inverse +
    1e-16)^T`` (``inverse_t`` holds the transposed inverse). The direction is
    zero where ``keep`` is, so undoing or halving a step keeps those weights
    at zero. Flat contiguous arrays and numpy's error model (no zero-division
    branch) let the loop vectorise (a row-wise loop over 2-D arrays measured
    7x slower at d = 20).
    """
    for t in range(w.shape[0]):
        value = w[t]
        sign = 1.0 if value > 0 else (-1.0 if value < 0 else 0.0)
        g = gradient[t] + mu_lambda1 * l1[t] * sign + 2.0 * value * (inverse_t[t] + 1e-16)
        first[t] = beta_1 * first[t] + (1.0 - beta_1) * g
        second[t] = beta_2 * second[t] + (1.0 - beta_2) * g * g
        step = keep[t] * (first[t] / correction_1) / (np.sqrt(second[t] / correction_2) + 1e-8)
        direction[t] = step
        updated = (value - lr * step) * keep[t]
        w[t] = updated
        difference[t] = -updated


@njit(cache=True, nogil=True)
def _refine_inverse(matrix, guess, out, work, update, tol):
    """``out <-`` the inverse of ``matrix`` from a close ``guess`` by one
    Newton-Schulz (``X + X E``) or cubic hyperpower (``X + X (E + E^2)``)
    step, ``E = I - A X``, in preallocated arrays (the common case of
    :func:`sparseopt.core.linalg.warm_inverse_kernel`, which the caller uses
    otherwise). Returns ``(done, lowest entry of out)``; ``done`` is False
    when one step cannot reach ``tol``."""
    d = matrix.shape[0]
    np.dot(matrix, guess, work)
    residual = 0.0
    for i in range(d):  # work <- E = I - AX in one pass, and ||E||_inf
        row = 0.0
        for j in range(d):
            value = -work[i, j]
            work[i, j] = value
            row += abs(value)
        diagonal = work[i, i]
        work[i, i] = diagonal + 1.0
        residual = max(residual, row - abs(diagonal) + abs(diagonal + 1.0))
    if residual >= 0.5:
        return False, 0.0
    needed = np.log(tol) / np.log(residual) if residual > 0.0 else 1.0
    if needed <= 2.0:
        np.dot(guess, work, update)
    elif needed <= 3.0:
        np.dot(work, work, update)
        for i in range(d):
            for j in range(d):
                work[i, j] += update[i, j]
        np.dot(guess, work, update)
    else:
        return False, 0.0
    lowest = np.inf
    for i in range(d):
        for j in range(d):
            value = guess[i, j] + update[i, j]
            out[i, j] = value
            lowest = min(lowest, value)
    return True, lowest


@njit(cache=True, nogil=True)
def _lu_transposed_inverse(W, s):
    """``((s I - W o W)^{-1})^T`` by LAPACK's LU inverse."""
    d = W.shape[0]
    matrix = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            matrix[i, j] = -W[j, i] * W[j, i]
        matrix[i, i] += s
    return np.ascontiguousarray(np.linalg.inv(matrix))


@njit(cache=True, nogil=True)
def _left_domain(inverse_t, slack):
    """True when an entry of the inverse (+ 1e-16) is below ``-slack`` (a
    minimum without early exit: measured 1.6x faster at d = 50)."""
    lowest = np.inf
    for value in inverse_t.ravel():
        lowest = min(lowest, value)
    return lowest + 1e-16 < -slack


@njit(cache=True, nogil=True)
def stage_steps(score, X, C, W, sigma, adam, inverses, l1_mask, keep_mask, mu, lambda1, s,
                lr, previous, start, stop, n_steps, tol, checkpoint, beta_1, beta_2,
                domain_slack, sigma_floor, records, n_checks, refine):
    """Steps ``start + 1 .. stop`` of a stage of ``n_steps`` steps, in place.

    State updated in place: ``W``, ``sigma``, ``adam`` (shape ``(3, d, d)``:
    Adam's first and second moments and the last step's direction) and
    ``inverses`` (shape ``(2, d, d)``: the last two transposed inverses,
    whose linear extrapolation is the next refinement's guess). ``lr``
    (halved by backtracking), ``previous`` (the objective at the last check)
    and ``n_checks`` are passed back. At every check (each
    ``checkpoint`` steps and the last one) the objective and ``h`` are
    written to row ``n_checks`` of ``records``. ``refine`` chooses refined
    inverses (else LU inverses at every step).

    Returns ``(status, iteration, lr, previous, n_checks)``: ``status`` is
    ``RUNNING`` when ``stop < n_steps`` was reached, ``CONVERGED`` when the
    relative change of the objective reached ``tol``, ``OUT_OF_STEPS``
    after ``n_steps`` steps, ``STEP_UNDERFLOW`` when backtracking halved the
    learning rate below 1e-16 and ``LEFT_DOMAIN`` when the domain was left
    at the stage's first step or with ``s <= 0.9`` (the stage must be
    restarted from its initial point).
    """
    d = W.shape[0]
    identity = np.eye(d)
    first, second, direction = adam[0], adam[1], adam[2]
    inverse_t, previous_t = inverses[0], inverses[1]
    matrix, guess = np.empty((d, d)), np.empty((d, d))
    work, update = np.empty((d, d)), np.empty((d, d))
    gradient = np.empty((d, d))
    flat_l1, flat_keep = l1_mask.ravel(), keep_mask.ravel()
    difference = identity - W
    product = np.empty((d, d))
    np.dot(C, difference, product)
    for iteration in range(start + 1, stop + 1):
        refined = refine and iteration > 1
        if refined:  # the inverse moves smoothly: extrapolate the last two
            for i in range(d):
                for j in range(d):
                    matrix[i, j] = -W[j, i] * W[j, i]
                    guess[i, j] = 2.0 * inverse_t[i, j] - previous_t[i, j]
                    previous_t[i, j] = inverse_t[i, j]
                matrix[i, i] += s
            done, lowest = _refine_inverse(matrix, guess, inverse_t, work, update, _INVERSE_TOL)
            if not done:
                inverse_t[:] = warm_inverse_kernel(matrix, guess, _INVERSE_TOL)[0]
                lowest = inverse_t.min()
            left = lowest + 1e-16 < -domain_slack
            if left:  # decide on an LU inverse
                inverse_t[:] = _lu_transposed_inverse(W, s)
                left = _left_domain(inverse_t, domain_slack)
        else:
            inverse_t[:] = _lu_transposed_inverse(W, s)
            previous_t[:] = inverse_t
            left = _left_domain(inverse_t, domain_slack)
        while left:
            if iteration == 1 or s <= 0.9:
                return LEFT_DOMAIN, iteration, lr, previous, n_checks
            W += lr * direction  # undo the last step and retry it halved
            lr *= 0.5
            if lr <= 1e-16:
                return STEP_UNDERFLOW, iteration, lr, previous, n_checks
            W -= lr * direction
            difference = identity - W
            np.dot(C, difference, product)
            if score == _EV or score == _NV:
                sigma[:] = noise_scales(score, difference, product, sigma_floor)[0]
            inverse_t[:] = _lu_transposed_inverse(W, s)
            previous_t[:] = inverse_t
            left = _left_domain(inverse_t, domain_slack)
        score_gradient(score, X, C, W, product, sigma, mu, gradient)
        adam_step(W.ravel(), gradient.ravel(), inverse_t.ravel(), first.ravel(), second.ravel(),
                  direction.ravel(), flat_keep, flat_l1, mu * lambda1, lr, beta_1, beta_2,
                  1.0 - beta_1**iteration, 1.0 - beta_2**iteration, difference.ravel())
        for i in range(d):
            difference[i, i] += 1.0
        np.dot(C, difference, product)
        columns = np.zeros(d)
        if score == _EV or score == _NV:
            scales, columns = noise_scales(score, difference, product, sigma_floor)
            sigma[:] = scales
        if iteration % checkpoint == 0 or iteration == n_steps:
            if score == _L2:
                columns = noise_scales(_NV, difference, product, 0.0)[1]
            value, h = objective_value(score, X, W, columns, sigma, mu, lambda1, l1_mask, s)
            if n_checks < records.shape[0]:
                records[n_checks, 0] = value
                records[n_checks, 1] = h
            n_checks += 1
            if abs((previous - value) / previous) <= tol:
                return CONVERGED, iteration, lr, previous, n_checks
            previous = value
    if stop >= n_steps:
        return OUT_OF_STEPS, stop, lr, previous, n_checks
    return RUNNING, stop, lr, previous, n_checks

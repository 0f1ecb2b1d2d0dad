"""Central-path continuation for linear DAG learning with the log-det acyclicity.

Minimises, along a decreasing sequence of weights ``mu`` (DAGMA's central
path),

    mu (Q(W, sigma) + lambda1 ||W||_1) + h_s(W),
    h_s(W) = -log det(s I - W o W) + d log s,

where ``Q`` is one of the linear scores

- ``"l2"``: ``1/2 tr((I - W)^T C (I - W))`` with ``C = X^T X / n`` (DAGMA);
- ``"logistic"``: ``1/n sum(log(1 + exp(X W)) - X o (X W))`` (DAGMA, 0/1 data);
- ``"colide_ev"``: ``tr((I - W)^T C (I - W)) / (2 sigma) + d sigma / 2`` with
  the closed-form ``sigma = sqrt(tr(...) / d)`` after every step (CoLiDE-EV);
- ``"colide_nv"``: ``sum_j [((I - W)^T C (I - W))_jj / sigma_j + sigma_j] / 2``
  with ``sigma_j = sqrt(((I - W)^T C (I - W))_jj)`` (CoLiDE-NV),

by Adam steps on the subgradient (``sign(0) = 0``). ``h`` is finite only
while ``s I - W o W`` is an M-matrix, i.e. its inverse is entrywise
non-negative; as in DAGMA, a step that leaves this domain is undone and
retried with half the learning rate when ``s > 0.9`` and it is not the
stage's first step, else the whole stage is restarted with a halved
learning rate and ``s + 0.1``. Every ``checkpoint`` iterations the stage
stops when the objective changed by at most ``tol`` relatively.

The loop is one numba function with one inverse and one matrix product per
iteration. For d <= 64 the inverse is refined from the previous step's by
hyperpower steps (:func:`sparseopt.core.linalg.warm_inverse_kernel`:
usually three or four BLAS products, faster than LAPACK's LU inverse at
these sizes, to a residual bound of 1e-12). ``C (I -
W)`` computed after a step serves both the closed-form noise scales and the
next gradient, traces are elementwise sums, and the Adam update is one
vectorised pass over flat arrays.
"""

import numpy as np
from numba import njit

from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.linalg import warm_inverse_kernel

__all__ = ["SCORES", "CONVERGED", "OUT_OF_STEPS", "STEP_UNDERFLOW", "central_path_fit"]

SCORES = ("l2", "logistic", "colide_ev", "colide_nv")
_L2, _LOGISTIC, _EV, _NV = range(4)
CONVERGED, OUT_OF_STEPS, STEP_UNDERFLOW = range(3)  # how a stage ended
# Up to this size the inverse is refined from the previous step's by
# Newton-Schulz (or cubic hyperpower) products. Measured here, time per step of a fit with LU ->
# refined inverses: d = 50: 48 -> 39 us, d = 64: 88 -> 79 us, d = 100:
# 225 -> 314 us (LAPACK's LU inverse has become efficient).
_WARM_INVERSE_MAX_D = 64


@njit(cache=True, nogil=True)
def _noise_scales(score, difference, product, floor):
    """Closed-form scales from ``diag(D^T C D) = colsum(D o C D)``."""
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
def _objective(score, X, W, columns, sigma, mu, lambda1, l1_mask, s):
    d = W.shape[0]
    matrix = s * np.eye(d) - W * W
    sign, logdet = np.linalg.slogdet(matrix)
    h = -logdet + d * np.log(s)
    penalty = 0.0
    for i in range(d):
        for j in range(d):
            penalty += l1_mask[i, j] * abs(W[i, j])
    return mu * (_score_value(score, X, W, columns, sigma) + lambda1 * penalty) + h


@njit(cache=True, nogil=True)
def _score_gradient(score, X, C, W, product, sigma, mu):
    """``mu * dQ/dW`` (``product`` is ``C (I - W)`` at ``W``)."""
    d = W.shape[0]
    gradient = np.empty((d, d))
    if score == _LOGISTIC:
        predictor = X @ W
        for i in range(predictor.shape[0]):
            for j in range(d):
                r = predictor[i, j]
                predictor[i, j] = 1.0 / (1.0 + np.exp(-r)) if r >= 0 else np.exp(r) / (
                    1.0 + np.exp(r))
        gradient = (X.T @ predictor) / X.shape[0] - C
        return mu * gradient
    scales = np.ones(d)
    for j in range(d):
        if score == _EV:
            scales[j] = 1.0 / sigma[0]
        elif score == _NV:
            scales[j] = 1.0 / sigma[j]
    for i in range(d):
        for j in range(d):
            gradient[i, j] = -mu * product[i, j] * scales[j]
    return gradient


@njit(cache=True, nogil=True, error_model="numpy")
def _adam_step(w, gradient, inverse_t, first, second, direction, keep, l1, mu_lambda1, lr,
               beta_1, beta_2, correction_1, correction_2):
    """One Adam step on flattened ``(d, d)`` arrays, in place.

    The subgradient is ``gradient + mu lambda1 l1 sign(w) + 2 w o (inverse +
    1e-16)^T`` (``inverse_t`` holds the transposed inverse). The direction is
    zero where ``keep`` is, so undoing or halving a step keeps those weights
    at zero. Flat contiguous arrays and numpy's error model (no zero-division
    branch) let the loop vectorise.
    """
    for t in range(w.shape[0]):
        value = w[t]
        sign = 1.0 if value > 0 else (-1.0 if value < 0 else 0.0)
        g = gradient[t] + mu_lambda1 * l1[t] * sign + 2.0 * value * (inverse_t[t] + 1e-16)
        first[t] = beta_1 * first[t] + (1.0 - beta_1) * g
        second[t] = beta_2 * second[t] + (1.0 - beta_2) * g * g
        direction[t] = keep[t] * (first[t] / correction_1) / (
            np.sqrt(second[t] / correction_2) + 1e-8)
        w[t] = (value - lr * direction[t]) * keep[t]


@njit(cache=True, nogil=True)
def _transposed_inverse(W, s, guess, warm):
    """``((s I - W o W)^{-1})^T``, refined from ``guess`` when ``warm``."""
    d = W.shape[0]
    matrix = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            matrix[i, j] = -W[j, i] * W[j, i]
        matrix[i, i] += s
    if warm:
        return warm_inverse_kernel(matrix, guess)[0]
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
def central_path_stage(score, X, C, W, sigma, mu, lambda1, l1_mask, keep_mask, n_steps, s,
                       lr, tol, beta_1, beta_2, checkpoint, domain_slack, sigma_floor,
                       objectives):
    """One stage of the central path (fixed ``mu`` and ``s``), jitted.

    ``W`` and ``sigma`` are copied. Returns ``(W, sigma, success, status,
    n_iter, n_checks)``: ``success`` is False when the domain was left
    (the stage must be restarted); ``status`` is ``CONVERGED`` when the
    relative change of the objective reached ``tol``, ``OUT_OF_STEPS``
    after ``n_steps`` steps, ``STEP_UNDERFLOW`` when backtracking halved the
    learning rate below 1e-16. The objective at each checkpoint is written
    to ``objectives``.
    """
    d = W.shape[0]
    W = W.copy()
    sigma = sigma.copy()
    warm = d <= _WARM_INVERSE_MAX_D
    identity = np.eye(d)
    first = np.zeros((d, d))
    second = np.zeros((d, d))
    direction = np.zeros((d, d))
    flat_l1 = np.ascontiguousarray(l1_mask).ravel()
    flat_keep = np.ascontiguousarray(keep_mask).ravel()
    difference = identity - W
    product = C @ difference
    previous = 1e16
    n_checks = 0
    iteration = 0
    inverse_t = np.zeros((d, d))  # the first inverse is an LU one
    for iteration in range(1, n_steps + 1):
        inverse_t = _transposed_inverse(W, s, inverse_t, warm and iteration > 1)
        while _left_domain(inverse_t, domain_slack):
            if iteration == 1 or s <= 0.9:
                return W, sigma, False, OUT_OF_STEPS, iteration, n_checks
            W += lr * direction  # undo the last step and retry it halved
            lr *= 0.5
            if lr <= 1e-16:
                return W, sigma, True, STEP_UNDERFLOW, iteration, n_checks
            W -= lr * direction
            difference = identity - W
            product = C @ difference
            if score == _EV or score == _NV:
                sigma, _ = _noise_scales(score, difference, product, sigma_floor)
            inverse_t = _transposed_inverse(W, s, inverse_t, False)
        gradient = _score_gradient(score, X, C, W, product, sigma, mu)
        _adam_step(W.ravel(), gradient.ravel(), inverse_t.ravel(), first.ravel(),
                   second.ravel(), direction.ravel(), flat_keep, flat_l1, mu * lambda1, lr,
                   beta_1, beta_2, 1.0 - beta_1**iteration, 1.0 - beta_2**iteration)
        difference = identity - W
        product = C @ difference
        columns = np.zeros(d)
        if score == _EV or score == _NV:
            sigma, columns = _noise_scales(score, difference, product, sigma_floor)
        if iteration % checkpoint == 0 or iteration == n_steps:
            if score == _L2:
                _, columns = _noise_scales(_NV, difference, product, 0.0)
            value = _objective(score, X, W, columns, sigma, mu, lambda1, l1_mask, s)
            if n_checks < objectives.shape[0]:
                objectives[n_checks] = value
            n_checks += 1
            if abs((previous - value) / previous) <= tol:
                return W, sigma, True, CONVERGED, iteration, n_checks
            previous = value
    return W, sigma, True, OUT_OF_STEPS, iteration, n_checks


def central_path_fit(X, score, *, lambda1, T, mu_init, mu_factor, s, warm_iter, max_iter, lr,
                     checkpoint=1000, tol=1e-6, beta_1=0.99, beta_2=0.999, sigma_floor=0.0,
                     l1_mask=None, keep_mask=None, w_init=None, domain_slack=None):
    r"""Run the central path of DAGMA / CoLiDE on validated data.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data, centred by the caller for the least-squares scores (not
        modified).
    score : {"l2", "logistic", "colide_ev", "colide_nv"}
        The score :math:`Q`.
    lambda1 : float
        l1 weight.
    T : int
        Number of stages.
    mu_init, mu_factor : float
        First ``mu`` and its decrease factor per stage.
    s : sequence of float
        ``s`` per stage (the last value is repeated if shorter than ``T``).
    warm_iter, max_iter : int
        Adam steps of every stage but the last, and of the last one.
    lr : float
        Adam learning rate.
    checkpoint : int, default=1000
        Steps between objective checks.
    tol : float, default=1e-6
        Relative objective change that ends a stage.
    beta_1, beta_2 : float
        Adam's decay rates.
    sigma_floor : float, default=0.0
        Lower bound of the CoLiDE noise scales.
    l1_mask : ndarray of shape (d, d), optional
        Per-entry l1 weight (0 leaves an entry unpenalised).
    keep_mask : ndarray of shape (d, d), optional
        0 at entries forced to zero (forbidden edges).
    w_init : ndarray of shape (d, d), optional
        Starting point (zero by default).
    domain_slack : float, optional
        An entry of ``(sI - W o W)^{-1}`` below ``-domain_slack`` means the
        domain was left (CoLiDE: 1e-6, DAGMA: 0); default by score.

    Returns
    -------
    W : ndarray of shape (d, d)
        Final weights (no thresholding).
    sigma : ndarray of shape (d,)
        Noise scales (CoLiDE scores; residual scales otherwise).
    info : dict
        ``n_iter`` (Adam steps, all stages and restarts), ``history``,
        ``s`` (the values actually used per stage), ``status`` (how the last
        stage ended: ``CONVERGED``, ``OUT_OF_STEPS`` or ``STEP_UNDERFLOW``)
        and ``n_checks`` (its objective checks).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, d = X.shape
    code = SCORES.index(score)
    C = X.T @ X / n
    s = list(s) if np.ndim(s) else [float(s)] * T
    s = (s + [s[-1]] * (T - len(s)))[:T]
    l1_mask = np.ones((d, d)) if l1_mask is None else np.asarray(l1_mask, dtype=np.float64)
    keep_mask = np.ones((d, d)) if keep_mask is None else np.asarray(keep_mask, dtype=np.float64)
    if domain_slack is None:
        domain_slack = 1e-6 if code in (_EV, _NV) else 0.0
    W = np.zeros((d, d)) if w_init is None else np.array(w_init, dtype=np.float64)
    W *= keep_mask
    residual = X - X @ W
    if code == _EV:
        sigma = np.full(d, max(float(np.min(np.linalg.norm(residual, axis=0))) / np.sqrt(n),
                               sigma_floor))
    else:
        sigma = np.maximum(np.linalg.norm(residual, axis=0) / np.sqrt(n), sigma_floor)
    history = ConvergenceHistory("relative_change")
    mu, total = mu_init, 0
    objectives = np.empty(int(max(warm_iter, max_iter)) // checkpoint + 2)
    for stage in range(T):
        steps = int(max_iter) if stage == T - 1 else int(warm_iter)
        rate, success = lr, False
        while not success:
            W_new, sigma_new, success, status, n_iter, n_checks = central_path_stage(
                code, X, C, W, sigma, mu, lambda1, l1_mask, keep_mask, steps, s[stage], rate,
                tol, beta_1, beta_2, checkpoint, domain_slack, sigma_floor, objectives)
            total += n_iter
            if not success:
                rate *= 0.5
                s[stage] += 0.1
        for k in range(min(n_checks, objectives.shape[0])):
            change = (abs(objectives[k] - objectives[k - 1]) / abs(objectives[k - 1])
                      if k else np.nan)
            history.append(total - n_iter + min((k + 1) * checkpoint, n_iter), objectives[k],
                           change)
        W, sigma = W_new, sigma_new
        mu *= mu_factor
    if code in (_L2, _LOGISTIC):
        difference = np.eye(d) - W
        sigma = np.sqrt(np.maximum(np.einsum("ij,ij->j", difference, C @ difference), 0.0))
    elif code == _EV:
        sigma = sigma[:1]
    return W, sigma, {"n_iter": total, "history": history, "s": s, "status": status,
                      "n_checks": n_checks}


def objective_and_gradient(X, W, sigma, score, mu=1.0, lambda1=0.0, s=1.0):
    r"""Objective :math:`\mu(Q + \lambda_1\|W\|_1) + h_s` and its smooth gradient.

    Evaluates the same kernels as the optimisation loop (for checks and
    plots). The gradient is that of :math:`\mu Q + h_s` (the l1 subgradient
    is left out); for the CoLiDE scores ``sigma`` is held fixed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, d)
        Data (centred for the least-squares scores).
    W : ndarray of shape (d, d)
        Weights, inside the domain (:math:`sI - W\circ W` an M-matrix).
    sigma : ndarray of shape (1,) or (d,)
        Noise scale(s); ignored by ``"l2"`` and ``"logistic"``.
    score : {"l2", "logistic", "colide_ev", "colide_nv"}
        The score.
    mu, lambda1, s : float
        Weights and log-det parameter.

    Returns
    -------
    objective : float
        The objective.
    gradient : ndarray of shape (d, d)
        Gradient of the smooth part.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    W = np.ascontiguousarray(W, dtype=np.float64)
    d = W.shape[0]
    code = SCORES.index(score)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (d,)).copy()
    C = X.T @ X / X.shape[0]
    difference = np.eye(d) - W
    product = C @ difference
    _, columns = _noise_scales(_NV, difference, product, 0.0)
    value = _objective(code, X, W, columns, sigma, mu, lambda1, np.ones((d, d)), s)
    inverse = np.linalg.inv(s * np.eye(d) - W * W)
    gradient = _score_gradient(code, X, C, W, product, sigma, mu) + 2.0 * W * inverse.T
    return float(value), gradient

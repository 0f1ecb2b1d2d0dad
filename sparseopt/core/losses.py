"""Numba kernels of the generalised-linear losses, sample by sample.

The linear predictor ``z`` and the loss derivative ``deriv`` of a model with
``K`` outputs are stored as ``(K, n)`` arrays; ``target`` holds the responses
(real for least squares, in {-1, 1} for the logistic loss, integer class
labels for the multinomial loss). Every kernel takes a loss code:

- ``LEAST_SQUARES`` (0): ``1/2 (z - y)^2``;
- ``LOGISTIC`` (1): ``log(1 + exp(-y z))``;
- ``MULTINOMIAL`` (2): ``logsumexp(z) - z_y``.

Used by the coordinate-descent and proximal-Newton solvers of
:mod:`sparseopt.solvers.glm` and by the data fits of the block coordinate
descent engine (:mod:`sparseopt.solvers.bcd`), for values, derivatives,
curvatures and the Fenchel conjugates of duality-gap certificates.
"""

import numpy as np
from numba import njit

LEAST_SQUARES, LOGISTIC, MULTINOMIAL = 0, 1, 2

@njit(cache=True, nogil=True)
def _log1p_exp(value):
    """Stable ``log(1 + exp(value))``."""
    if value > 0:
        return value + np.log1p(np.exp(-value))
    return np.log1p(np.exp(value))


@njit(cache=True, nogil=True)
def _sigmoid(value):
    if value >= 0:
        return 1.0 / (1.0 + np.exp(-value))
    exp_value = np.exp(value)
    return exp_value / (1.0 + exp_value)


@njit(cache=True, nogil=True)
def _softmax_column(z, i, probabilities):
    """Class probabilities of sample ``i`` into ``probabilities``; returns
    ``logsumexp(z[:, i])``."""
    n_outputs = z.shape[0]
    top = z[0, i]
    for k in range(1, n_outputs):
        top = max(top, z[k, i])
    summed = 0.0
    for k in range(n_outputs):
        probabilities[k] = np.exp(z[k, i] - top)
        summed += probabilities[k]
    for k in range(n_outputs):
        probabilities[k] /= summed
    return top + np.log(summed)


@njit(cache=True, nogil=True)
def _row_loss(loss, z, target, i):
    n_outputs = z.shape[0]
    if loss == LEAST_SQUARES:
        residual = z[0, i] - target[i]
        return 0.5 * residual * residual
    if loss == LOGISTIC:
        return _log1p_exp(-target[i] * z[0, i])
    return _softmax_column(z, i, np.empty(n_outputs)) - z[int(target[i]), i]


@njit(cache=True, nogil=True)
def loss_value(loss, z, target, scale):
    """``scale * sum_i loss(target_i, z[:, i])``."""
    total = 0.0
    for i in range(z.shape[1]):
        total += _row_loss(loss, z, target, i)
    return scale * total


@njit(cache=True, nogil=True)
def loss_change(loss, z, trial, target, scale, rows):
    """``f(trial) - f(z)`` summed row by row over the rows that moved.

    Differences are taken per row (exactly for least squares), so that a
    line search can resolve decreases far below ``eps * f``.
    """
    total = 0.0
    for i in rows:
        if loss == LEAST_SQUARES:
            step = trial[0, i] - z[0, i]
            total += step * (0.5 * (trial[0, i] + z[0, i]) - target[i])
        else:
            total += _row_loss(loss, trial, target, i) - _row_loss(loss, z, target, i)
    return scale * total


@njit(cache=True, nogil=True)
def update_derivatives(loss, z, target, scale, rows, deriv):
    """``deriv[:, i] = scale * dloss/dz`` at the given rows (in place)."""
    n_outputs = z.shape[0]
    probabilities = np.empty(n_outputs)
    for i in rows:
        if loss == LEAST_SQUARES:
            deriv[0, i] = scale * (z[0, i] - target[i])
        elif loss == LOGISTIC:
            deriv[0, i] = -scale * target[i] * _sigmoid(-target[i] * z[0, i])
        else:
            _softmax_column(z, i, probabilities)
            for k in range(n_outputs):
                deriv[k, i] = scale * probabilities[k]
            deriv[int(target[i]), i] -= scale


@njit(cache=True, nogil=True)
def curvature_weights(loss, z, target, scale, rows):
    """Second derivatives at the given rows, shape ``(K, K, len(rows))``.

    Least squares: ``scale``; logistic: ``scale s (1 - s)``; multinomial:
    ``scale (diag(p) - p p^T)``.
    """
    n_outputs = z.shape[0]
    weights = np.zeros((n_outputs, n_outputs, rows.shape[0]))
    probabilities = np.empty(n_outputs)
    for position in range(rows.shape[0]):
        i = rows[position]
        if loss == LEAST_SQUARES:
            weights[0, 0, position] = scale
        elif loss == LOGISTIC:
            s = _sigmoid(target[i] * z[0, i])
            weights[0, 0, position] = scale * s * (1.0 - s)
        else:
            _softmax_column(z, i, probabilities)
            for k in range(n_outputs):
                for m in range(n_outputs):
                    weights[k, m, position] = -scale * probabilities[k] * probabilities[m]
                weights[k, k, position] += scale * probabilities[k]
    return weights


@njit(cache=True, nogil=True)
def _entropy(p):
    return -p * np.log(p) if p > 0.0 else 0.0


@njit(cache=True, nogil=True)
def conjugate_sum(loss, deriv, target, scale, factor):
    """``-sum_i f_i^*(-theta_i)`` at the dual point ``theta = -factor * deriv``.

    Least squares: ``theta_i y_i - theta_i^2 / (2 scale)``; logistic:
    ``scale * H(p_i)`` with ``p_i = y_i theta_i / scale`` (binary entropy);
    multinomial: ``scale * H(q_i)`` with ``q_i = e_{y_i} - theta_i / scale``.
    Requires ``0 <= factor <= 1`` (so that ``p`` and ``q`` stay probabilities).
    """
    n_outputs, n_samples = deriv.shape
    total = 0.0
    for i in range(n_samples):
        if loss == LEAST_SQUARES:
            theta = -factor * deriv[0, i]
            total += theta * target[i] - theta * theta / (2.0 * scale)
        elif loss == LOGISTIC:
            p = min(max(-factor * deriv[0, i] * target[i] / scale, 0.0), 1.0)
            total += scale * (_entropy(p) + _entropy(1.0 - p))
        else:
            label = int(target[i])
            for k in range(n_outputs):
                # deriv = scale (p - e_y): q = e_y + factor (p - e_y)
                q = factor * deriv[k, i] / scale
                if k == label:
                    q += 1.0
                total += scale * _entropy(min(max(q, 0.0), 1.0))
    return total

"""Separable penalties of the BCD engine and their block subproblems.

The penalty is the weighted elastic net, optionally restricted to
non-negative coefficients:

    g(w) = sum_c omega_c (l1 |w_c| + l2 / 2 w_c^2)  [+ indicator(w_c >= 0 for c in P)]

with per-coordinate weights ``omega`` (0 leaves a coordinate, e.g. an
intercept, unpenalised) and the set ``P`` of sign-constrained coordinates
(none, all, or a mask: an intercept is never constrained). Everything the
selection rules and updates need is here: the proximal map, the optimality
violation, the decrease of the coordinate-wise proximal model (GS-q scores)
and the exact solution of the block quadratic model
``min_d g^T d + 1/2 d^T H d + g(w_b + d)``.
"""

import numpy as np
from numba import njit

from sparseopt.core.thresholds import soft_threshold_scalar
from sparseopt.solvers.bcd.validation import check_penalty

__all__ = ["ElasticNetPenalty"]

# Coordinate descent on a block model: at most 10,000 sweeps, run in chunks of
# about 1e7 flops (~10 ms) so that an interrupt is checked between chunks.
_CD_MAX_SWEEPS = 10_000
_CD_CHUNK_FLOPS = 10_000_000


@njit(cache=True, nogil=True)
def _prox_scalar(value, step, l1, l2, positive):
    out = soft_threshold_scalar(value, step * l1) / (1.0 + step * l2)
    if positive and out < 0.0:
        return 0.0
    return out


@njit(cache=True, nogil=True)
def _change_scalar(w, d, l1, l2):
    """``pen(w + d) - pen(w)`` without cancellation for small ``d``."""
    new = w + d
    if (w > 0 and new > 0) or (w < 0 and new < 0):
        absolute = d if w > 0 else -d
    else:
        absolute = abs(new) - abs(w)
    return l1 * absolute + 0.5 * l2 * d * (2.0 * w + d)


@njit(cache=True, nogil=True)
def penalty_change(coef, delta, l1, l2):
    """``pen(w + d) - pen(w)`` on a block, summed (jitted, cancellation-free)."""
    total = 0.0
    for t in range(coef.shape[0]):
        total += _change_scalar(coef[t], delta[t], l1[t], l2[t])
    return total


@njit(cache=True, nogil=True)
def prox_block(values, steps, l1, l2, positive):
    """Entrywise prox with per-entry step sizes, penalty weights and sign
    constraints (``positive``: one bool per entry; jitted)."""
    out = np.empty(values.shape[0])
    for t in range(values.shape[0]):
        out[t] = _prox_scalar(values[t], steps[t], l1[t], l2[t], positive[t])
    return out


@njit(cache=True, nogil=True)
def violations_block(gradient, coef, l1, l2, positive):
    """Distance of ``-gradient`` to the subdifferential of the penalty (jitted)."""
    out = np.empty(gradient.shape[0])
    for t in range(gradient.shape[0]):
        g = gradient[t] + l2[t] * coef[t]
        if coef[t] > 0:
            out[t] = abs(g + l1[t])
        elif coef[t] < 0:
            out[t] = abs(g - l1[t])
        elif positive[t]:
            out[t] = max(-(g + l1[t]), 0.0)
        else:
            out[t] = max(abs(g) - l1[t], 0.0)
    return out


@njit(cache=True, nogil=True)
def model_steps(gradient, coef, curvature, l1, l2, positive):
    """Proximal-gradient steps ``d`` and model decreases (GS-q scores).

    For each coordinate, ``d = prox(w - g / L, 1 / L) - w`` and the decrease
    ``-(g d + L d^2 / 2 + pen(w + d) - pen(w)) >= 0``.
    """
    size = gradient.shape[0]
    steps = np.empty(size)
    decreases = np.empty(size)
    for t in range(size):
        L = curvature[t]
        if L <= 0.0:
            steps[t] = 0.0
            decreases[t] = 0.0
            continue
        new = _prox_scalar(coef[t] - gradient[t] / L, 1.0 / L, l1[t], l2[t], positive[t])
        d = new - coef[t]
        steps[t] = d
        decreases[t] = -(gradient[t] * d + 0.5 * L * d * d
                         + _change_scalar(coef[t], d, l1[t], l2[t]))
    return steps, decreases


@njit(cache=True, nogil=True)
def quadratic_model_cd(hessian, gradient, u, product, l1, l2, positive, tol, max_sweeps):
    """Coordinate descent on ``min_u 1/2 (u-w)^T H (u-w) + g^T (u-w) + pen(u)``.

    Resumable: ``u`` (the block coefficients, starting at ``w``) and
    ``product = H (u - w)`` are updated in place. Returns ``True`` once a
    sweep moves no coordinate by more than ``tol`` (in the ``H``-norm of the
    coordinate), ``False`` if ``max_sweeps`` sweeps ran without that.
    """
    size = u.shape[0]
    for _ in range(max_sweeps):
        largest = 0.0
        for t in range(size):
            curvature = hessian[t, t]
            if curvature <= 0.0:
                continue
            partial = gradient[t] + product[t]
            new = _prox_scalar(u[t] - partial / curvature, 1.0 / curvature, l1[t], l2[t],
                               positive[t])
            change = new - u[t]
            if change != 0.0:
                u[t] = new
                for s in range(size):
                    product[s] += change * hessian[s, t]
                largest = max(largest, abs(change) * np.sqrt(curvature))
        if largest <= tol:
            return True
    return False


class ElasticNetPenalty:
    """Weighted elastic net ``sum_c omega_c (l1 |w_c| + l2/2 w_c^2)``, optionally w >= 0.

    Parameters
    ----------
    l1, l2 : float
        Non-negative weights of the l1 and squared-l2 terms.
    weights : ndarray of shape (n_coords,)
        Non-negative per-coordinate multipliers (0 = unpenalised).
    positive : bool or ndarray of bool of shape (n_coords,), default=False
        Constrain the coefficients (all of them, or those where the mask is
        True) to be non-negative. An unpenalised intercept must stay free:
        pass a mask that is False there.
    """

    def __init__(self, l1, l2, weights, positive=False):
        l1, l2, weights = check_penalty(l1, l2, weights)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.weights = np.asarray(weights, dtype=np.float64)
        mask = np.asarray(positive, dtype=bool)
        if mask.ndim == 0:
            mask = np.full(self.weights.shape, bool(mask))
        if mask.shape != self.weights.shape:
            raise ValueError(f"positive must be a bool or a mask of shape {self.weights.shape} "
                             f"(one entry per coordinate), got shape {mask.shape}.")
        self.positive_mask = mask
        self.positive = bool(mask.any())
        self.l1_weights = self.l1 * self.weights
        self.l2_weights = self.l2 * self.weights

    @property
    def is_smooth(self):
        """True when the penalty is differentiable (no l1 term, no constraint)."""
        return (self.l1 == 0.0 or not self.weights.any()) and not self.positive

    def value(self, coef, block=None):
        """Penalty of ``coef`` (of the block coordinates if ``block`` is given)."""
        l1, l2, _ = self._weights(block)
        return float(np.sum(l1 * np.abs(coef)) + 0.5 * np.sum(l2 * coef * coef))

    def _weights(self, block):
        if block is None:
            return self.l1_weights, self.l2_weights, self.positive_mask
        return self.l1_weights[block], self.l2_weights[block], self.positive_mask[block]

    def change(self, coef, delta, block):
        """``pen(w_b + delta) - pen(w_b)`` computed without cancellation."""
        l1, l2, _ = self._weights(block)
        return float(penalty_change(coef, delta, l1, l2))

    def prox(self, values, steps, block):
        """Proximal map with per-coordinate steps on a block."""
        l1, l2, positive = self._weights(block)
        return prox_block(values, np.broadcast_to(steps, values.shape).astype(np.float64),
                          l1, l2, positive)

    def violations(self, gradient, coef, block=None):
        """Distance of ``-gradient`` to the subdifferential (KKT violation)."""
        l1, l2, positive = self._weights(block)
        return violations_block(gradient, coef, l1, l2, positive)

    def model_steps(self, gradient, coef, curvature, block=None):
        """Proximal steps and model decreases with per-coordinate curvature."""
        l1, l2, positive = self._weights(block)
        curvature = np.broadcast_to(curvature, gradient.shape).astype(np.float64)
        return model_steps(gradient, coef, curvature, l1, l2, positive)

    def solve_quadratic_model(self, hessian, gradient, coef, block, interrupt=None):
        """Exact minimiser ``d`` of ``g^T d + 1/2 d^T H d + pen(w_b + d)``.

        Smooth penalty: one (regularised) linear solve. Otherwise coordinate
        descent to 1e-13, then a Newton polish on the support with the signs
        fixed, kept when it satisfies the optimality conditions (which makes
        the solution exact once the support is right). The coordinate descent
        runs in chunks of about 10^7 flops, calling ``interrupt()`` (if
        given) between chunks, so that Ctrl-C is served promptly.
        """
        l1, l2, positive = self._weights(block)
        hessian = np.asarray(hessian, dtype=np.float64)
        if self.is_smooth:
            system = hessian + np.diag(l2)
            return _solve_symmetric(system, -(gradient + l2 * coef))
        scale = max(float(np.max(np.abs(np.diag(hessian)))), 1e-300)
        tol = 1e-13 * np.sqrt(scale) * (1.0 + np.max(np.abs(coef)))
        u, product = coef.copy(), np.zeros(coef.shape[0])
        chunk = max(1, _CD_CHUNK_FLOPS // max(coef.shape[0] ** 2, 1))
        for _ in range(0, _CD_MAX_SWEEPS, chunk):
            if quadratic_model_cd(hessian, gradient, u, product, l1, l2, positive, tol, chunk):
                break
            if interrupt is not None:
                interrupt()
        polished = self._polish(hessian, gradient, coef, u, l1, l2, positive)
        return (polished if polished is not None else u) - coef

    def _polish(self, hessian, gradient, coef, u, l1, l2, positive):
        support = np.flatnonzero(u)
        if support.size == 0:
            return None
        signs = np.sign(u[support])
        system = hessian[np.ix_(support, support)] + np.diag(l2[support])
        rhs = hessian[support] @ coef - gradient[support] - l1[support] * signs
        candidate = np.zeros_like(u)
        candidate[support] = _solve_symmetric(system, rhs)
        if np.any(np.sign(candidate[support]) != signs):
            return None
        model_gradient = gradient + hessian @ (candidate - coef)
        violation = violations_block(model_gradient, candidate, l1, l2, positive)
        slack = 1e-9 * (1.0 + np.max(np.abs(gradient)))
        if not np.all(violation <= slack):
            return None
        # keep the polish only if it does not lose against coordinate descent
        if _model_value(hessian, gradient, coef, candidate, l1, l2) > _model_value(
                hessian, gradient, coef, u, l1, l2):
            return None
        return candidate


def _model_value(hessian, gradient, coef, u, l1, l2):
    """``g^T (u - w) + 1/2 (u - w)^T H (u - w) + pen(u) - pen(w)``."""
    step = u - coef
    return float(gradient @ step + 0.5 * step @ hessian @ step
                 + penalty_change(coef, step, l1, l2))


def _solve_symmetric(matrix, rhs):
    """Minimum-norm solution of a symmetric PSD system (eigenvalues below
    ``1e-12 * max`` are treated as zero, so singular bounds are safe)."""
    values, vectors = np.linalg.eigh(matrix)
    cutoff = 1e-12 * max(float(values[-1]), 0.0) if values.size else 0.0
    inverse = np.divide(1.0, values, out=np.zeros_like(values), where=values > cutoff)
    return vectors @ (inverse * (vectors.T @ rhs))

r"""Iterative thresholding coders for non-convex sparsity penalties.

For every signal, proximal gradient descent (forward-backward splitting) on

.. math:: \min_c\ \tfrac12 \|x - D^\top c\|_2^2 + \sum_j \phi_j(c_j),

:math:`c \leftarrow \operatorname{prox}_{\gamma\phi}(c - \gamma (Gc - b))`,
with one of two penalties:

- :math:`\phi_j(c) = \lambda |c|^q`, :math:`q \in \{0, 1/2, 2/3\}`, whose
  proximal maps are the closed forms of :func:`sparseopt.core.lq_threshold`
  (hard thresholding for :math:`q = 0`: iterative hard thresholding,
  Blumensath & Davies, 2008); step :math:`\gamma = 1/\|G\|_2`;
- CEL0, the continuous exact relaxation of :math:`\lambda\|c\|_0`
  (Soubies, Blanc-Féraud & Aubert, 2015):
  :math:`\phi_j(c) = \lambda - \tfrac{a_j^2}{2}(|c| - \sqrt{2\lambda}/a_j)^2`
  for :math:`|c| \le \sqrt{2\lambda}/a_j` and :math:`\lambda` beyond, with
  :math:`a_j = \|d_j\|`. It has the same global minimisers as the
  :math:`\ell_2`-:math:`\ell_0` objective and no spurious local ones among
  a large class; its proximal map (requires :math:`\gamma a_j^2 < 1`) is
  :math:`\operatorname{sign}(u)\min(|u|, \max(0, (|u| - \gamma a_j\sqrt{2\lambda})
  / (1 - \gamma a_j^2)))`; step :math:`\gamma = 0.99/\|G\|_2`.

With these steps every iteration decreases the objective (the penalties are
bounded below and the smooth part is :math:`\|G\|_2`-smooth). A signal stops
when no coefficient moved by more than ``tol`` times the largest one, or
after ``max_iter`` iterations. The gradient is updated from the change of
the coefficients, :math:`O(K)` per coefficient that moved.
"""

import numpy as np
from numba import njit

from sparseopt.core.thresholds import lq_threshold_kernel

__all__ = ["LQ_CODES", "cel0_penalty", "cel0_threshold_kernel", "lq_batch", "cel0_batch"]

# Codes of core.lq_threshold_kernel.
LQ_CODES = {0.0: 0, 0.5: 1, 2.0 / 3.0: 2}
_CEL0_STEP = 0.99


@njit(cache=True, nogil=True)
def cel0_threshold_kernel(values, step, lam, atom_norms, out):
    """Proximal map of ``step * sum_j phi_CEL0(lam, atom_norms[j]; .)`` into ``out``.

    Requires ``step * atom_norms[j]**2 < 1``; a zero atom norm gives 0
    (the penalty is then the constant ``lam`` for any non-zero value, and
    the atom cannot explain anything).
    """
    root = np.sqrt(2.0 * lam)
    for j in range(values.shape[0]):
        norm = atom_norms[j]
        value = values[j]
        if norm == 0.0:
            out[j] = 0.0
            continue
        magnitude = abs(value)
        shrunk = (magnitude - step * norm * root) / (1.0 - step * norm * norm)
        magnitude = min(magnitude, max(0.0, shrunk))
        out[j] = magnitude if value >= 0.0 else -magnitude


@njit(cache=True, nogil=True)
def cel0_penalty(coef, lam, atom_norms):
    """``sum_j phi_CEL0(lam, ||d_j||; c_j)``."""
    total = 0.0
    root = np.sqrt(2.0 * lam)
    for j in range(coef.shape[0]):
        norm = atom_norms[j]
        magnitude = abs(coef[j])
        if norm == 0.0:
            total += lam if magnitude > 0.0 else 0.0
        elif magnitude * norm < root:
            total += lam - 0.5 * (norm * magnitude - root) ** 2
        else:
            total += lam
    return total


@njit(cache=True, nogil=True)
def _update_gradient(gram, old, new, gradient):
    """``gradient += G (new - old)`` over the coefficients that changed;
    returns the largest change."""
    largest = 0.0
    for k in range(old.shape[0]):
        delta = new[k] - old[k]
        if delta != 0.0:
            largest = max(largest, abs(delta))
            row = gram[k]
            for j in range(gradient.shape[0]):
                gradient[j] += delta * row[j]
    return largest


@njit(cache=True, nogil=True)
def _initial_gradient(gram, correlation, coef, gradient):
    for j in range(gradient.shape[0]):
        gradient[j] = -correlation[j]
    _update_gradient(gram, np.zeros_like(coef), coef, gradient)


@njit(cache=True, nogil=True)
def lq_batch(gram, correlations, lam, code, step, tol, max_iter, codes, n_iter):
    """Iterative l_q thresholding of every row of ``correlations`` into
    ``codes`` (rows are warm starts); iterations per signal into ``n_iter``."""
    size = gram.shape[0]
    gradient = np.empty(size)
    forward = np.empty(size)
    for i in range(correlations.shape[0]):
        coef = codes[i]
        _initial_gradient(gram, correlations[i], coef, gradient)
        iteration = 0
        while iteration < max_iter:
            iteration += 1
            for j in range(size):
                forward[j] = coef[j] - step * gradient[j]
            new = lq_threshold_kernel(forward, step * lam, code)
            largest = _update_gradient(gram, coef, new, gradient)
            scale = 0.0
            for j in range(size):
                coef[j] = new[j]
                scale = max(scale, abs(new[j]))
            if largest <= tol * scale:
                break
        n_iter[i] = iteration


@njit(cache=True, nogil=True)
def cel0_batch(gram, correlations, lam, atom_norms, step, tol, max_iter, codes, n_iter):
    """Iterative CEL0 thresholding (forward-backward) of every row of
    ``correlations`` into ``codes`` (rows are warm starts)."""
    size = gram.shape[0]
    gradient = np.empty(size)
    forward = np.empty(size)
    new = np.empty(size)
    for i in range(correlations.shape[0]):
        coef = codes[i]
        _initial_gradient(gram, correlations[i], coef, gradient)
        iteration = 0
        while iteration < max_iter:
            iteration += 1
            for j in range(size):
                forward[j] = coef[j] - step * gradient[j]
            cel0_threshold_kernel(forward, step, lam, atom_norms, new)
            largest = _update_gradient(gram, coef, new, gradient)
            scale = 0.0
            for j in range(size):
                coef[j] = new[j]
                scale = max(scale, abs(new[j]))
            if largest <= tol * scale:
                break
        n_iter[i] = iteration

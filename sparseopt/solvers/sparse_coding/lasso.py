r"""Lasso coding of many signals against one dictionary, through its Gram matrix.

For every signal :math:`x_i` solves

.. math:: \min_c\ \tfrac12 \|x_i - D^\top c\|_2^2 + \alpha \|c\|_1
          \quad [c \ge 0]

given only :math:`G = D D^\top` (atoms are the rows of :math:`D`) and the
correlations :math:`b_i = D x_i`: the objective is
:math:`\tfrac12 c^\top G c - b_i^\top c + \alpha\|c\|_1` up to a constant.

Per signal, a working-set loop (as the elastic-net solver of
:mod:`sparseopt.solvers.glm`, whose Gram-mode coordinate descent
:func:`~sparseopt.solvers.glm.enet_kernels.gram_inner_solve` runs inside it):

1. the gradient :math:`g = Gc - b` and the violation of the optimality
   conditions of every atom, :math:`\operatorname{dist}(-g_j, \alpha\,\partial|c_j|)`;
   stop when the largest is at most ``tol * max_j |b_j|``;
2. a working set: the support plus the worst violators (twice the support,
   at least 3 atoms);
3. one epoch of coordinate descent on the working set (glm's kernel);
4. a *sign-fixed polish*: on the support :math:`S` with signs :math:`s`,
   the minimiser of the objective over that orthant face solves
   :math:`G_{SS} c_S = b_S - \alpha s`; when its signs agree it is taken
   (it cannot increase the objective) and the optimality conditions on
   :math:`S` hold to rounding; otherwise a feature-sign step (Lee, Battle,
   Raina & Ng, 2007) moves towards it, to the best sign change, and drops
   the atoms that reach zero. Coordinate descent alone crawls on coherent
   dictionaries (image-patch dictionaries have atom correlations above 0.99):
   the polish ends the solve as soon as the support and signs are right.

A batch kernel loops over signals (rows of ``correlations``) and releases the
GIL, so that the driver can spread chunks of signals over threads.
"""

import numpy as np
from numba import njit

from sparseopt.core.selection import top_k_indices_kernel
from sparseopt.solvers.glm.enet_kernels import ANDERSON_MEMORY, gram_inner_solve, subdiff_distance
from sparseopt.solvers.sparse_coding.cholesky import cholesky_factor, cholesky_solve

__all__ = ["lasso_batch", "lasso_violations"]

# Working sets start at 3 atoms and double with the support; one epoch of
# coordinate descent between two polishes. Measured on 10k standardised 8x8
# china.jpg patches, 100 atoms learned by SPAMS (coherence 0.9998), alpha=1,
# one thread, kernel only: start 8 / 20 epochs 0.19 s, 8 / 2 0.127 s,
# 4 / 1 0.097 s, 3 / 1 0.089 s, 2 / 1 0.091 s; 12 / 1 0.143 s.
_WORKING_SET_START = 3
_INNER_TOL_RATIO = 0.3
_EPOCHS_PER_ROUND = 1
_CYCLIC = 0


@njit(cache=True, nogil=True)
def _gradient(gram, correlation, coef, gradient):
    """``gradient = G coef - b`` from scratch (no drift), O(K |support|)."""
    size = gradient.shape[0]
    for j in range(size):
        gradient[j] = -correlation[j]
    for k in range(size):
        value = coef[k]
        if value != 0.0:
            row = gram[k]
            for j in range(size):
                gradient[j] += value * row[j]


@njit(cache=True, nogil=True)
def _objective(correlation, coef, gradient, alpha):
    """``1/2 c^T G c - b^T c + alpha |c|_1`` from ``gradient = G c - b``."""
    total = 0.0
    for j in range(coef.shape[0]):
        value = coef[j]
        if value != 0.0:
            total += 0.5 * value * (gradient[j] - correlation[j]) + alpha * abs(value)
    return total


@njit(cache=True, nogil=True)
def _objective_on_support(gram, correlation, coef, alpha, support):
    """The same objective from the support alone, O(|support|^2) (no gradient);
    ``support`` is workspace."""
    size = 0
    for j in range(coef.shape[0]):
        if coef[j] != 0.0:
            support[size] = j
            size += 1
    total = 0.0
    for a in range(size):
        j = support[a]
        row = gram[j]
        product = 0.0
        for b in range(size):
            product += row[support[b]] * coef[support[b]]
        total += coef[j] * (0.5 * product - correlation[j]) + alpha * abs(coef[j])
    return total


@njit(cache=True, nogil=True)
def _violations(gradient, coef, alpha, positive, violations):
    worst = 0.0
    for j in range(gradient.shape[0]):
        value = subdiff_distance(gradient[j], coef[j], alpha, 0.0, positive)
        violations[j] = value
        worst = max(worst, value)
    return worst


@njit(cache=True, nogil=True)
def _working_set(coef, violations, scores):
    """Sorted support plus the largest violators, ``max(3, 2 |support|)`` atoms."""
    size = coef.shape[0]
    n_support = 0
    for j in range(size):
        if coef[j] != 0.0:
            n_support += 1
    target = min(size, max(_WORKING_SET_START, 2 * n_support))
    n_candidates = 0
    for j in range(size):
        if coef[j] != 0.0:
            scores[j] = np.inf
            n_candidates += 1
        elif violations[j] > 0.0:
            scores[j] = violations[j]
            n_candidates += 1
        else:
            scores[j] = -1.0
    chosen = top_k_indices_kernel(scores, min(target, n_candidates))
    return np.sort(chosen)


@njit(cache=True, nogil=True)
def _support_objective(block, target, alpha, values, size):
    """``1/2 v^T G_SS v - b_S^T v + alpha |v|_1`` on the support."""
    total = 0.0
    for a in range(size):
        row = 0.0
        for m in range(size):
            row += block[a, m] * values[m]
        total += values[a] * (0.5 * row - target[a]) + alpha * abs(values[a])
    return total


@njit(cache=True, nogil=True)
def _feature_sign_step(block, target, alpha, positive, current, lower, rhs, solution, trial,
                       size):
    """One feature-sign step (Lee, Battle, Raina & Ng, 2007) on the support.

    ``solution`` minimises the objective with the signs of ``current``
    fixed; if its signs agree it is the minimiser over that orthant face and
    ``current`` becomes it (returns 1). Otherwise ``current`` moves along
    the segment to ``solution`` to the best (by the exact objective) of the
    sign-change points and the end (up to the first sign change the
    objective is the sign-fixed quadratic, which decreases along the
    segment, so the best point decreases it); the coefficient that crosses
    zero at the chosen point leaves the support (returns 0). With
    ``positive``, points with a negative coefficient are not candidates.
    Returns -1 if no step decreases the objective (rounding). ``lower``
    holds the Cholesky factor of ``block``.
    """
    for a in range(size):
        sign = 1.0 if current[a] > 0.0 else -1.0
        rhs[a] = target[a] - alpha * sign
    cholesky_solve(lower, size, rhs, solution)
    consistent = True
    for a in range(size):
        if solution[a] * current[a] <= 0.0 or (positive and solution[a] < 0.0):
            consistent = False
    if consistent:
        # the face minimiser cannot increase the objective in exact arithmetic;
        # on a nearly singular block rounding can, and then it is refused
        before = _support_objective(block, target, alpha, current, size)
        after = _support_objective(block, target, alpha, solution, size)
        if after > before + 1e-12 * max(abs(before), 1.0):
            return -1
        for a in range(size):
            current[a] = solution[a]
        return 1
    # along c + t d: smooth part q(t) = q(0) + t (Gc - b).d + t^2/2 d.Gd
    slope = 0.0
    curvature = 0.0
    for a in range(size):
        direction = solution[a] - current[a]
        trial[a] = direction
        gram_c = 0.0
        gram_d = 0.0
        for m in range(size):
            gram_c += block[a, m] * current[m]
            gram_d += block[a, m] * (solution[m] - current[m])
        slope += (gram_c - target[a]) * direction
        curvature += gram_d * direction
    best_value = 0.0  # objective change relative to t = 0
    best_step = 0.0
    best_index = -1
    for candidate in range(size + 1):
        if candidate < size:
            if solution[candidate] * current[candidate] > 0.0:
                continue
            step = current[candidate] / (current[candidate] - solution[candidate])
        else:
            step = 1.0
        # the exact objective at c + t d (the crossing coordinate set to its zero)
        change = step * slope + 0.5 * step * step * curvature
        feasible = True
        for a in range(size):
            moved = 0.0 if a == candidate else current[a] + step * trial[a]
            if positive and moved < 0.0:
                feasible = False
            change += alpha * (abs(moved) - abs(current[a]))
        if feasible and change < best_value:
            best_value = change
            best_step = step
            best_index = candidate
    if best_step == 0.0:
        return -1
    for a in range(size):
        moved = current[a] + best_step * trial[a]
        if a == best_index or abs(moved) <= 1e-15 * abs(current[a]):
            moved = 0.0
        current[a] = moved
    return 0


@njit(cache=True, nogil=True)
def _drop_dependent(block, alpha, current, lower, dependent, direction, size):
    """Shrink a support whose atoms are linearly dependent (more atoms than
    the rank of the dictionary, which coordinate descent passes through on
    very overcomplete dictionaries).

    Atom ``dependent`` is a combination ``sum_i w_i d_i`` of the atoms before
    it (``lower`` holds their factor); along ``v = (-w, 1, 0...)`` the fit
    ``D^T c`` does not change and the l1 term is linear on the orthant, so
    moving along ``-sign(s^T v) v`` until a coefficient reaches zero does not
    increase the objective and removes at least one atom.
    """
    cholesky_solve(lower, dependent, block[dependent, :dependent], direction)
    for a in range(dependent):
        direction[a] = -direction[a]
    direction[dependent] = 1.0
    slope = 0.0
    for a in range(dependent + 1):
        slope += direction[a] * (1.0 if current[a] > 0.0 else -1.0)
    if slope > 0.0 or (slope == 0.0 and current[dependent] > 0.0):
        for a in range(dependent + 1):
            direction[a] = -direction[a]
    step = np.inf
    hit = dependent
    for a in range(dependent + 1):
        if direction[a] * current[a] < 0.0:
            ratio = -current[a] / direction[a]
            if ratio < step:
                step = ratio
                hit = a
    for a in range(dependent + 1):
        current[a] += step * direction[a]
    current[hit] = 0.0


@njit(cache=True, nogil=True)
def _polish(gram, correlation, alpha, positive, coef, block_flat, lower, vectors, support):
    """Feature-sign steps on the support until the signs are consistent,
    after reducing the support to linearly independent atoms (at most two
    steps per support atom); returns True if the signs became consistent.
    The Cholesky factor is kept for the atoms before the first one dropped.
    ``block_flat``, ``lower`` and the five rows of ``vectors`` are workspace."""
    size = 0
    for j in range(coef.shape[0]):
        if coef[j] != 0.0:
            support[size] = j
            size += 1
    valid = 0  # leading rows of ``lower`` that factor the current support
    for _ in range(2 * size + 2):
        if size == 0:
            return False
        block = block_flat[:size * size].reshape((size, size))
        target = vectors[3, :size]
        current = vectors[4, :size]
        for a in range(size):
            for b in range(size):
                block[a, b] = gram[support[a], support[b]]
            target[a] = correlation[support[a]]
            current[a] = coef[support[a]]
        dependent = cholesky_factor(block, size, lower, valid)
        if dependent >= 0:
            _drop_dependent(block, alpha, current, lower, dependent, vectors[0], size)
            valid = dependent
            status = 0
        else:
            valid = size
            status = _feature_sign_step(block, target, alpha, positive, current, lower,
                                        vectors[0], vectors[1], vectors[2], size)
        if status < 0:
            return False
        kept = 0
        for a in range(size):
            coef[support[a]] = current[a]
            if current[a] != 0.0:
                support[kept] = support[a]
                kept += 1
            elif a < valid:
                valid = a
        size = kept
        if status == 1:
            return True
    return False


@njit(cache=True, nogil=True)
def _inner_solve(gram, correlation, alpha, positive, coef, gradient, working_set, tol_in,
                 max_epochs, block_flat, vectors, buffers, penalties, stored, report):
    """glm's Gram-mode coordinate descent on the working set; returns epochs.
    ``block_flat``, ``vectors`` (3 rows), ``buffers`` (2 (M+1) K) and
    ``penalties`` (rows alpha and 0), ``stored`` (one int) and ``report`` (two
    floats) are workspace."""
    size = working_set.shape[0]
    memory = ANDERSON_MEMORY + 1
    block = block_flat[:size * size].reshape((size, size))
    coef_ws, gradient_ws, target_ws = vectors[0, :size], vectors[1, :size], vectors[2, :size]
    for a in range(size):
        j = working_set[a]
        for b in range(size):
            block[a, b] = gram[j, working_set[b]]
        coef_ws[a] = coef[j]
        gradient_ws[a] = gradient[j]
        target_ws[a] = correlation[j]
    coef_buffer = buffers[:memory * size].reshape((memory, size))
    gradient_buffer = buffers[memory * size:2 * memory * size].reshape((memory, size))
    stored[0] = 0
    updates = gram_inner_solve(block, gradient_ws, coef_ws, target_ws, penalties[0, :size],
                               penalties[1, :size], positive, tol_in, max_epochs * size, _CYCLIC,
                               0, 1, coef_buffer, gradient_buffer, stored, report)
    for a in range(size):
        coef[working_set[a]] = coef_ws[a]
    return updates / size


@njit(cache=True, nogil=True)
def lasso_signal(gram, correlation, alpha, positive, tol, max_iter, coef, gradient, violations,
                 block_flat, lower, vectors, buffers, penalties, support, stored, report):
    """Solve one signal in place in ``coef`` (warm start); returns
    ``(epochs, largest violation)``; ``max_iter`` bounds the epochs of
    coordinate descent (passes over the working set). The other arrays are
    workspace (see :func:`lasso_batch`)."""
    scale = 0.0
    for j in range(correlation.shape[0]):
        scale = max(scale, abs(correlation[j]))
    tol_abs = tol * scale
    epochs = 0.0
    _gradient(gram, correlation, coef, gradient)
    worst = _violations(gradient, coef, alpha, positive, violations)
    failures = 0
    while worst > tol_abs and epochs < max_iter:
        working_set = _working_set(coef, violations, vectors[5])
        tol_in = max(_INNER_TOL_RATIO * worst, tol_abs)
        # more coordinate descent after each failed polish (a support larger
        # than the rank of the dictionary, or wrong signs)
        budget = min(_EPOCHS_PER_ROUND * 2 ** min(failures, 10), max_iter - epochs)
        ran = _inner_solve(gram, correlation, alpha, positive, coef, gradient, working_set,
                           tol_in, max(1, int(np.ceil(budget))), block_flat, vectors, buffers,
                           penalties, stored, report)
        if ran == 0.0:  # nothing can move (defensive: violators have non-zero atoms)
            break
        epochs += ran
        saved = vectors[6]
        saved[:] = coef
        before = _objective_on_support(gram, correlation, coef, alpha, support)
        polished = _polish(gram, correlation, alpha, positive, coef, block_flat, lower, vectors,
                           support)
        _gradient(gram, correlation, coef, gradient)
        if _objective(correlation, coef, gradient, alpha) > before + 1e-12 * max(abs(before),
                                                                                1.0):
            # rounding on a nearly singular support: keep coordinate descent's point
            coef[:] = saved
            _gradient(gram, correlation, coef, gradient)
            polished = False
        failures = 0 if polished else failures + 1
        worst = _violations(gradient, coef, alpha, positive, violations)
    return epochs, worst


@njit(cache=True, nogil=True)
def lasso_batch(gram, correlations, alpha, positive, tol, max_iter, codes, epochs, worst):
    """Lasso codes of every row of ``correlations`` (``X D^T``) in place in
    ``codes`` (rows are warm starts); per signal, the epochs run and the
    final largest violation go to ``epochs`` and ``worst``."""
    size = gram.shape[0]
    gradient = np.empty(size)
    violations = np.empty(size)
    block_flat = np.empty(size * size)
    lower = np.empty((size, size))
    vectors = np.empty((7, size))
    buffers = np.empty(2 * (ANDERSON_MEMORY + 1) * size)
    penalties = np.zeros((2, size))
    penalties[0] = alpha
    support = np.empty(size, dtype=np.int64)
    stored = np.zeros(1, dtype=np.int64)
    report = np.zeros(2)
    for i in range(correlations.shape[0]):
        epochs[i], worst[i] = lasso_signal(gram, correlations[i], alpha, positive, tol,
                                           max_iter, codes[i], gradient, violations, block_flat,
                                           lower, vectors, buffers, penalties, support, stored,
                                           report)


@njit(cache=True, nogil=True)
def lasso_violations(gram, correlations, codes, alpha, positive):
    """Largest violation of the optimality conditions of each signal's code,
    ``max_j dist(-(G c - b)_j, alpha d|c_j|)``, recomputed from the codes."""
    size = gram.shape[0]
    gradient = np.empty(size)
    violations = np.empty(size)
    out = np.empty(correlations.shape[0])
    for i in range(correlations.shape[0]):
        _gradient(gram, correlations[i], codes[i], gradient)
        out[i] = _violations(gradient, codes[i], alpha, positive, violations)
    return out

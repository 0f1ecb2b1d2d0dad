r"""Greedy coders through the Gram matrix: batch OMP, ORMP and matching pursuit.

Every kernel codes the rows of ``correlations`` (``b_i = D x_i``, atoms are
the rows of ``D``) given ``G = D D^T`` and the squared norms
``||x_i||^2``, without touching the signals again:

- **OMP** (orthogonal matching pursuit) as *batch OMP* (Rubinstein,
  Zibulevsky & Elad, 2008): pick the atom most correlated with the
  residual, :math:`\arg\max_j |d_j^\top r|`, then project the signal on the
  selected atoms, with a Cholesky factor of :math:`G_{SS}` grown by one
  row per atom (the same selection rule and stopping rules as
  :func:`sklearn.linear_model.orthogonal_mp_gram`);
- **ORMP** (order-recursive matching pursuit, also called optimised OMP or
  orthogonal least squares; Natarajan's greedy algorithm, SPAMS' ``omp``):
  pick the atom whose addition decreases the residual most,
  :math:`\arg\max_j (d_j^\top r)^2 / \|P^\perp_S d_j\|^2`, the norms of the
  projections of all atoms orthogonal to the support updated in
  :math:`O(K)` per atom per step;
- **MP** (matching pursuit, Mallat & Zhang, 1993): move one coefficient at a
  time, :math:`c_j \mathrel{+}= d_j^\top r / \|d_j\|^2` for the atom of
  largest normalised correlation; atoms may be picked again.

Stopping: ``n_nonzero`` atoms, or (``tol >= 0``) as soon as the squared
residual :math:`\|x - D^\top c\|^2` is at most ``tol`` (OMP, as
scikit-learn's, checks this after each atom: it always selects at least one);
MP also stops after ``max_steps`` steps.
"""

import numpy as np
from numba import njit

from sparseopt.solvers.sparse_coding.cholesky import cholesky_append_row, cholesky_solve

__all__ = ["omp_batch", "ormp_batch", "mp_batch"]

_EPS = np.finfo(np.float64).eps


@njit(cache=True, nogil=True)
def _project(gram, correlation, indices, size, lower, gamma, rhs, alpha):
    """Least-squares coefficients on the support and the new correlations
    ``alpha = b - G[:, S] gamma``; returns ``b_S^T gamma`` (the energy captured)."""
    for a in range(size):
        rhs[a] = correlation[indices[a]]
    cholesky_solve(lower, size, rhs, gamma)
    for j in range(gram.shape[0]):
        alpha[j] = correlation[j]
    captured = 0.0
    for a in range(size):
        row = gram[indices[a]]
        value = gamma[a]
        captured += rhs[a] * value
        for j in range(gram.shape[0]):
            alpha[j] -= value * row[j]
    return captured


@njit(cache=True, nogil=True)
def omp_signal(gram, correlation, norm_sq, n_nonzero, tol, coef, lower, indices, gamma, rhs,
               alpha, row):
    """Batch OMP of one signal into ``coef`` (zeroed first); returns the
    squared residual norm."""
    size = gram.shape[0]
    for j in range(size):
        coef[j] = 0.0
        alpha[j] = correlation[j]
    residual = norm_sq
    max_atoms = size if tol >= 0.0 else min(n_nonzero, size)
    n_active = 0
    # as scikit-learn, the residual target is checked after each atom, so a
    # signal already within it still gets one atom
    while n_active < max_atoms and not (tol >= 0.0 and n_active > 0 and residual <= tol):
        best = 0
        for j in range(1, size):
            if abs(alpha[j]) > abs(alpha[best]):
                best = j
        if alpha[best] * alpha[best] < _EPS:  # nothing left to explain
            break
        if n_active > 0:
            for a in range(n_active):
                row[a] = gram[indices[a], best]
            pivot = cholesky_append_row(lower, n_active, row, gram[best, best])
            if pivot <= _EPS * gram[best, best]:  # dependent on the support
                break
        else:
            lower[0, 0] = np.sqrt(gram[best, best])
        indices[n_active] = best
        n_active += 1
        captured = _project(gram, correlation, indices, n_active, lower, gamma, rhs, alpha)
        residual = norm_sq - captured
    for a in range(n_active):
        coef[indices[a]] = gamma[a]
    return max(residual, 0.0)


@njit(cache=True, nogil=True)
def ormp_signal(gram, correlation, norm_sq, n_nonzero, tol, coef, lower, indices, gamma, rhs,
                alpha, projections, selected, remaining):
    """ORMP of one signal into ``coef``; returns the squared residual norm.

    ``projections[j, :n]`` holds :math:`L^{-1} G_{S j}` and ``remaining[j]``
    the squared norm of the part of atom ``j`` orthogonal to the support.
    """
    size = gram.shape[0]
    for j in range(size):
        coef[j] = 0.0
        alpha[j] = correlation[j]
        remaining[j] = gram[j, j]
        selected[j] = False
    residual = norm_sq
    max_atoms = size if tol >= 0.0 else min(n_nonzero, size)
    n_active = 0
    while n_active < max_atoms and not (tol >= 0.0 and residual <= tol):
        best = -1
        best_score = 0.0
        for j in range(size):
            if selected[j] or remaining[j] <= 1e3 * _EPS * gram[j, j]:
                continue
            score = alpha[j] * alpha[j] / remaining[j]
            if score > best_score:
                best_score = score
                best = j
        if best < 0 or best_score < _EPS:
            break
        pivot = np.sqrt(remaining[best])
        for a in range(n_active):
            lower[n_active, a] = projections[best, a]
        lower[n_active, n_active] = pivot
        # new column of L^{-1} G_{S j} for every atom, and the remaining norms
        for j in range(size):
            value = gram[best, j]
            for a in range(n_active):
                value -= projections[best, a] * projections[j, a]
            value /= pivot
            projections[j, n_active] = value
            remaining[j] -= value * value
        indices[n_active] = best
        selected[best] = True
        n_active += 1
        captured = _project(gram, correlation, indices, n_active, lower, gamma, rhs, alpha)
        residual = norm_sq - captured
    for a in range(n_active):
        coef[indices[a]] = gamma[a]
    return max(residual, 0.0)


@njit(cache=True, nogil=True)
def mp_signal(gram, correlation, norm_sq, n_nonzero, tol, max_steps, coef, alpha):
    """Matching pursuit of one signal into ``coef``; returns
    ``(squared residual norm, steps)``. A step that would add an atom beyond
    ``n_nonzero`` distinct atoms ends the pursuit."""
    size = gram.shape[0]
    for j in range(size):
        coef[j] = 0.0
        alpha[j] = correlation[j]
    residual = norm_sq
    n_active = 0
    steps = 0
    while steps < max_steps and not (tol >= 0.0 and residual <= tol):
        best = -1
        best_score = 0.0
        for j in range(size):
            if gram[j, j] > 0.0:
                score = alpha[j] * alpha[j] / gram[j, j]
                if score > best_score:
                    best_score = score
                    best = j
        if best < 0 or best_score <= _EPS * max(residual, _EPS):
            break
        if coef[best] == 0.0:
            if n_active >= n_nonzero:
                break
            n_active += 1
        step = alpha[best] / gram[best, best]
        coef[best] += step
        row = gram[best]
        for j in range(size):
            alpha[j] -= step * row[j]
        residual -= best_score
        steps += 1
    return max(residual, 0.0), steps


@njit(cache=True, nogil=True)
def omp_batch(gram, correlations, norms_sq, n_nonzero, tol, codes, residuals):
    """Batch OMP of every row of ``correlations`` into ``codes``."""
    size = gram.shape[0]
    lower = np.empty((size, size))
    indices = np.empty(size, dtype=np.int64)
    gamma, rhs, alpha, row = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
    for i in range(correlations.shape[0]):
        residuals[i] = omp_signal(gram, correlations[i], norms_sq[i], n_nonzero, tol, codes[i],
                                  lower, indices, gamma, rhs, alpha, row)


@njit(cache=True, nogil=True)
def ormp_batch(gram, correlations, norms_sq, n_nonzero, tol, codes, residuals):
    """ORMP of every row of ``correlations`` into ``codes``."""
    size = gram.shape[0]
    lower = np.empty((size, size))
    projections = np.empty((size, size))
    indices = np.empty(size, dtype=np.int64)
    gamma, rhs, alpha = np.empty(size), np.empty(size), np.empty(size)
    remaining = np.empty(size)
    selected = np.empty(size, dtype=np.bool_)
    for i in range(correlations.shape[0]):
        residuals[i] = ormp_signal(gram, correlations[i], norms_sq[i], n_nonzero, tol, codes[i],
                                   lower, indices, gamma, rhs, alpha, projections, selected,
                                   remaining)


@njit(cache=True, nogil=True)
def mp_batch(gram, correlations, norms_sq, n_nonzero, tol, max_steps, codes, residuals, steps):
    """Matching pursuit of every row of ``correlations`` into ``codes``."""
    alpha = np.empty(gram.shape[0])
    for i in range(correlations.shape[0]):
        residuals[i], steps[i] = mp_signal(gram, correlations[i], norms_sq[i], n_nonzero, tol,
                                           max_steps, codes[i], alpha)

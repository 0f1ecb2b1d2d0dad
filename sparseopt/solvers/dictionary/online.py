r"""Online dictionary learning (Mairal, Bach, Ponce & Sapiro, JMLR 2010).

Minimises the empirical cost

.. math:: \frac1n\sum_i \min_{c_i} \tfrac12\|x_i - D^\top c_i\|_2^2 + \alpha\|c_i\|_1
          \quad \text{s.t.}\ \|d_j\|_2 \le 1\ [d_j \ge 0]

one mini-batch at a time: code the batch on the current dictionary, fold
the codes into the sufficient statistics :math:`A = \sum_i c_i c_i^\top`
and :math:`B = \sum_i c_i x_i^\top` (past batches weighted down by the
mini-batch factor of their Section 3.4), then one pass of block coordinate
descent over the atoms on the surrogate
:math:`\tfrac12\operatorname{tr}(D^\top A D) - \operatorname{tr}(D^\top B)`:
:math:`d_j \leftarrow \Pi(d_j + (b_j - A_j D) / A_{jj})`, with
:math:`\Pi` the projection on the unit ball (of the non-negative orthant
with ``positive``). Atoms no code used (:math:`A_{jj} < 10^{-6}`) are
replaced by a normalised signal of the batch.

**Masking** (Chidambaram, Wu, Cheng & Ge, ICML 2023): with a fraction
``masking`` of the features hidden at every batch (one random mask per
batch), the codes are computed on the visible features only and the
dictionary is fitted to the hidden ones, minimising
:math:`\sum_i \|x_{i,H} - D_H^\top c_i(D_V, x_{i,V})\|^2`. The statistics
are then kept per feature (``A_r`` is the sum of :math:`c c^\top` over the
batches where feature ``r`` was hidden), and the atom update minimises the
surrogate exactly over the ball: a Newton step per feature, then the
weighted projection, whose multiplier solves a one-dimensional secular
equation (bisection). The codes are held fixed in the dictionary step
(alternating minimisation of the masking objective).
"""

import numpy as np
from numba import njit

__all__ = ["forgetting_factor", "accumulate_statistics", "accumulate_masked_statistics",
           "update_atoms", "update_atoms_masked", "DEAD_ATOM"]

# Mairal et al.'s and scikit-learn's threshold below which an atom is unused.
DEAD_ATOM = 1e-6


def forgetting_factor(step, batch_size, lag=0, theta_max=None):
    """Weight of the past statistics at mini-batch ``step`` (from 0).

    Mairal et al. (2010, Sec. 3.4): with :math:`\\theta = (s + 1)\\eta` for
    :math:`s < \\eta - 1` and :math:`\\eta^2 + s + 1 - \\eta` after,
    :math:`\\beta = (\\theta + 1 - \\eta) / (\\theta + 1)`, where
    :math:`s` = ``step`` (scikit-learn's ``_update_inner_stats``) or
    ``step - 1`` with ``lag=1`` (SPAMS' ``trainDL``, whose count starts one
    step later: the first mini-batch's statistics, coded on the initial atoms,
    get weight :math:`1/(\\eta + 1)` at the second step). Zero before the
    count starts. SPAMS also caps :math:`\\theta` at twice the number of
    signals of a finite set (``theta_max``), after which the factor is
    constant.
    """
    step = step - lag
    if step < 0:
        return 0.0
    if step < batch_size - 1:
        theta = (step + 1) * batch_size
    else:
        theta = batch_size ** 2 + step + 1 - batch_size
    if theta_max is not None:
        theta = min(theta, theta_max)
    return (theta + 1 - batch_size) / (theta + 1)


@njit(cache=True, nogil=True)
def _outer_products(codes, X, scale, products, cross):
    """``products = scale C^T C`` and ``cross = scale C^T X`` over the non-zeros."""
    n, size = codes.shape
    products[:, :] = 0.0
    cross[:, :] = 0.0
    support = np.empty(size, dtype=np.int64)
    for i in range(n):
        count = 0
        for j in range(size):
            if codes[i, j] != 0.0:
                support[count] = j
                count += 1
        for a in range(count):
            j = support[a]
            value = scale * codes[i, j]
            for b in range(count):
                products[j, support[b]] += value * codes[i, support[b]]
            for m in range(X.shape[1]):
                cross[j, m] += value * X[i, m]


@njit(cache=True, nogil=True)
def accumulate_statistics(A, B, codes, X, beta):
    """``A <- beta A + C^T C / n``, ``B <- beta B + C^T X / n`` (in place)."""
    products = np.empty_like(A)
    cross = np.empty_like(B)
    _outer_products(codes, X, 1.0 / codes.shape[0], products, cross)
    for j in range(A.shape[0]):
        for k in range(A.shape[1]):
            A[j, k] = beta * A[j, k] + products[j, k]
        for m in range(B.shape[1]):
            B[j, m] = beta * B[j, m] + cross[j, m]


@njit(cache=True, nogil=True)
def accumulate_masked_statistics(A_rows, B, codes, X, hidden, betas):
    """Per-feature statistics of the hidden features ``hidden``:
    ``A_r <- beta_r A_r + C^T C / n`` and ``B[:, r] <- beta_r B[:, r] + C^T x_r / n``."""
    size = codes.shape[1]
    products = np.empty((size, size))
    cross = np.empty((size, X.shape[1]))
    _outer_products(codes, X, 1.0 / codes.shape[0], products, cross)
    for r in hidden:
        beta = betas[r]
        for j in range(size):
            for k in range(size):
                A_rows[r, j, k] = beta * A_rows[r, j, k] + products[j, k]
            B[j, r] = beta * B[j, r] + cross[j, r]


@njit(cache=True, nogil=True)
def update_atoms(dictionary, A, B, positive):
    """One pass of block coordinate descent over the atoms (rows of
    ``dictionary``, in place) on ``1/2 tr(D^T A D) - tr(D^T B)`` over unit
    balls; atoms with ``A_jj <= 0`` are left alone."""
    size, n_features = dictionary.shape
    product = np.empty(n_features)
    for j in range(size):
        curvature = A[j, j]
        if curvature <= 0.0:
            continue
        product[:] = 0.0
        for k in range(size):
            weight = A[j, k]
            if weight != 0.0:
                for m in range(n_features):
                    product[m] += weight * dictionary[k, m]
        norm_sq = 0.0
        for m in range(n_features):
            value = dictionary[j, m] + (B[j, m] - product[m]) / curvature
            if positive and value < 0.0:
                value = 0.0
            dictionary[j, m] = value
            norm_sq += value * value
        if norm_sq > 1.0:
            scale = 1.0 / np.sqrt(norm_sq)
            for m in range(n_features):
                dictionary[j, m] *= scale


@njit(cache=True, nogil=True)
def _weighted_ball_projection(targets, weights, free, positive, out):
    """``argmin sum_r w_r/2 (d_r - u_r)^2`` over ``||d|| <= 1`` (``d >= 0``),
    where only the ``free`` coordinates move (the others keep ``u_r``).

    The solution is ``d_r = w_r u_r / (w_r + mu)`` on the free coordinates
    with the smallest ``mu >= 0`` giving a norm at most one; ``mu`` by
    bisection on the (decreasing) norm.
    """
    fixed_sq = 0.0
    free_sq = 0.0
    largest = 0.0
    for r in range(targets.shape[0]):
        value = targets[r]
        if positive and free[r] and value < 0.0:
            value = 0.0
        out[r] = value
        if free[r]:
            free_sq += value * value
            largest = max(largest, weights[r])
        else:
            fixed_sq += value * value
    if fixed_sq + free_sq <= 1.0:
        return
    if fixed_sq >= 1.0 or largest == 0.0:  # the fixed part alone fills the ball
        scale = 1.0 / np.sqrt(fixed_sq + free_sq)
        for r in range(targets.shape[0]):
            out[r] *= scale
        return
    low, high = 0.0, largest * np.sqrt(free_sq / (1.0 - fixed_sq))
    for _ in range(100):
        middle = 0.5 * (low + high)
        norm_sq = fixed_sq
        for r in range(targets.shape[0]):
            if free[r]:
                shrunk = weights[r] * out[r] / (weights[r] + middle)
                norm_sq += shrunk * shrunk
        if norm_sq > 1.0:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * high:
            break
    for r in range(targets.shape[0]):
        if free[r]:
            out[r] = weights[r] * out[r] / (weights[r] + high)


@njit(cache=True, nogil=True)
def update_atoms_masked(dictionary, A_rows, B, positive):
    """One pass of exact block minimisation over the atoms of the per-feature
    surrogate ``sum_r 1/2 D_r^T A_r D_r - B_r^T D_r`` (``D_r`` the r-th
    column of ``dictionary``) over unit balls (masking objective)."""
    size, n_features = dictionary.shape
    targets = np.empty(n_features)
    weights = np.empty(n_features)
    free = np.empty(n_features, dtype=np.bool_)
    out = np.empty(n_features)
    for j in range(size):
        any_free = False
        for r in range(n_features):
            curvature = A_rows[r, j, j]
            weights[r] = curvature
            free[r] = curvature > 0.0
            if curvature > 0.0:
                any_free = True
                product = 0.0
                for k in range(size):
                    product += A_rows[r, j, k] * dictionary[k, r]
                targets[r] = dictionary[j, r] + (B[j, r] - product) / curvature
            else:
                targets[r] = dictionary[j, r]
        if not any_free:
            continue
        _weighted_ball_projection(targets, weights, free, positive, out)
        for r in range(n_features):
            dictionary[j, r] = out[r]

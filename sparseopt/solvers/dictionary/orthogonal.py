r"""Online orthogonal dictionary learning by Frank-Wolfe (Xue & Lau, 2021).

Signals :math:`y = D_0^\top x` with an orthogonal dictionary :math:`D_0`
(atoms as rows) and sparse codes :math:`x`: the codes are :math:`D_0 y`, and
:math:`D_0` maximises the expected fourth-power "spikiness" of the codes,

.. math:: \max_{D}\ f(D) = \mathbb E\, \tfrac14 \|D y\|_4^4
          \quad\text{s.t.}\quad \|D\|_2 \le 1,

the orthogonal group relaxed to its convex hull, the spectral-norm ball
(:math:`f` is convex, so its maximum over the ball is reached at an extreme
point, an orthogonal matrix). The online algorithm keeps only
:math:`O(N^2)` numbers: at step :math:`t` (from 1), on a mini-batch
:math:`Y_t` of :math:`b` signals (rows),

1. :math:`g_t = \tfrac1b ((Y_t D_t^\top)^{\circ 3})^\top Y_t`, the gradient
   of the batch objective;
2. :math:`G_t = (1 - \rho_t) G_{t-1} + \rho_t g_t`, a running gradient
   estimate, :math:`\rho_t = t^{-1/2}`;
3. :math:`S_t = \arg\max_{\|S\|_2 \le 1} \langle G_t, S\rangle = U V^\top`
   (polar factor of :math:`G_t = U \Sigma V^\top`), the Frank-Wolfe vertex;
4. :math:`D_{t+1} = (1 - \gamma_t) D_t + \gamma_t S_t`, :math:`\gamma_t = t^{-3/4}`;

and the dictionary reported is the polar factor of :math:`D_t` (the nearest
orthogonal matrix). The exponents of :math:`\rho_t` and :math:`\gamma_t` are
those of the paper's :math:`O(\ln t / t^{1/4})` Frank-Wolfe-gap rate; the
paper's exact constants could not be checked here (no public code, only the
abstract was readable). Each step costs one SVD of an :math:`N\times N`
matrix, :math:`O(N^3)`, plus :math:`O(bN^2)`.
"""

import numpy as np

__all__ = ["polar_factor", "fourth_power_gradient", "frank_wolfe_step", "frank_wolfe_gap"]


def polar_factor(matrix):
    """``U V^T`` of the SVD ``matrix = U S V^T``: the orthogonal matrix
    nearest to ``matrix``, and the maximiser of ``<matrix, S>`` over the
    spectral-norm ball."""
    left, _, right = np.linalg.svd(matrix)
    return left @ right


def fourth_power_gradient(dictionary, batch):
    """Gradient of ``mean_i 1/4 ||D y_i||_4^4`` in ``D`` (rows of ``batch`` are the y_i)."""
    codes = batch @ dictionary.T
    return (codes ** 3).T @ batch / batch.shape[0]


def frank_wolfe_gap(dictionary, gradient):
    """``max_{||S|| <= 1} <G, S - D>``: the nuclear norm of ``G`` minus ``<G, D>``
    (zero at a stationary point of the relaxed problem)."""
    return float(np.linalg.svd(gradient, compute_uv=False).sum() - np.sum(gradient * dictionary))


def frank_wolfe_step(dictionary, running_gradient, batch, step):
    """One step (``step`` counts from 1) in place on ``dictionary`` and
    ``running_gradient``; returns the batch's average ``1/4 ||D y||_4^4``
    before the step."""
    codes = batch @ dictionary.T
    objective = 0.25 * float(np.mean(np.sum(codes ** 4, axis=1)))
    gradient = (codes ** 3).T @ batch / batch.shape[0]
    averaging = step ** -0.5
    running_gradient *= 1.0 - averaging
    running_gradient += averaging * gradient
    vertex = polar_factor(running_gradient)
    weight = step ** -0.75
    dictionary *= 1.0 - weight
    dictionary += weight * vertex
    return objective

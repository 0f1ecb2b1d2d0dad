r"""Supervised dictionary learning with covariates by block coordinate descent on
the nonconvex factored problem (Lee, Lyu & Yao, Algorithm "BCD with
diminishing radius").

Signals :math:`x_i \in \mathbb R^p` (rows of ``X``), one-hot labels
:math:`y_i` (class 0 the baseline), covariates :math:`z_i` with a leading 1.
Dictionary :math:`W \in \mathbb R^{p\times r}`, codes :math:`H \in \mathbb
R^{r\times n}`, coefficients :math:`\beta \in \mathbb R^{\kappa\times r}` and
:math:`\Gamma \in \mathbb R^{\kappa\times(1+q)}`:

.. math:: \min_{\|W\|_F = 1,\ H,\ \beta,\ \Gamma}\
   \sum_i \ell(y_i, a_i) + \xi\|X^\top - WH\|_F^2
   + \tfrac{\nu}2(\|\beta\|_F^2 + \|\Gamma_{\text{cov}}\|_F^2),

with logits :math:`a_i = \beta W^\top x_i + \Gamma z_i` (*filter*) or
:math:`a_i = \beta h_i + \Gamma z_i` (*feature*), and the multinomial
logistic loss with baseline :math:`\ell(y, a) = \log(1 + \sum_j e^{a_j}) -
y^\top a`. :math:`\|W\|_F = 1` fixes the scale that :math:`W` and
:math:`\beta` (or :math:`H`) would otherwise trade (as the official code,
which renormalises :math:`W` after every update).

Each iteration updates the blocks :math:`(\beta, \Gamma)`, :math:`W`,
:math:`H` in turn (the coefficients first: from the start's zero
coefficients, a first :math:`W` step would see only the reconstruction):

- :math:`(\beta, \Gamma)`: a ridge multinomial logistic regression on the
  features :math:`F = XW` (filter) or :math:`H^\top` (feature), minimised by
  L-BFGS (at most 20 iterations per visit, warm-started);
- :math:`W`, filter: the minimiser over the sphere of the quadratic upper
  bound with smoothness constant :math:`2\xi\|H\|_2^2 +
  \tfrac12\|X\|_2^2\|\beta\|_2^2` (a gradient step of length :math:`1/L`,
  then :math:`W/\|W\|_F`); feature: the exact least-squares fit over the
  sphere (:func:`_sphere_least_squares`), falling back to the former step if
  the shortened move would not decrease the reconstruction;
- :math:`H`: filter, the exact least-squares codes; feature, 5 warm-started
  L-BFGS iterations on :math:`\xi\|X^\top - WH\|_F^2 + \sum_i\ell`.

Every move is restricted to the diminishing search radius
:math:`\rho_t = c\,(t+1)^{-b}/\log(t+2)` (:math:`c = 1000`, :math:`b = 1`,
the official code's defaults): a move longer than :math:`\rho_t` (Frobenius
norm) is shortened to :math:`\rho_t` along its direction (before the
projection on the sphere for :math:`W`). Each block's value never increases
(a convex block problem along a segment from the current point; on the
sphere, the normalised point of a shortened step has a larger inner product
with the unconstrained minimiser), so neither does the objective.

It stops when the objective's relative decrease over an iteration is at most
``tol``. Cost per iteration :math:`O(npr + n\kappa(r + q))` plus the
spectral norms (:math:`O(nr^2)`).
"""

import numpy as np
from scipy.optimize import minimize

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.dictionary.supervised import _probabilities

__all__ = ["bcd_objective", "bcd_gradients", "bcd_supervised", "random_initial_point",
           "search_radius"]

_RADIUS_CONSTANT = 1000.0
_RADIUS_DECAY = 1.0
# L-BFGS iterations per visit of a convex block (warm-started from the current
# point): the coefficients and the feature variant's codes (n x r unknowns)
_COEFFICIENTS_MAX_ITER = 20
_CODES_MAX_ITER = 5


def search_radius(iteration, constant=_RADIUS_CONSTANT, decay=_RADIUS_DECAY):
    """:math:`\\rho_t = c (t + 1)^{-b} / \\log(t + 2)` (``iteration`` is ``t``, from 0)."""
    return constant * (iteration + 1.0) ** (-decay) / np.log(iteration + 2.0)


def _logits(W, H, beta, gamma, X, Z, variant):
    features = X @ W if variant == "filter" else H.T
    return features @ beta.T + Z @ gamma.T, features


def bcd_objective(W, H, beta, gamma, X, Y, Z, xi, nu, variant):
    """The factored objective (see the module docstring)."""
    logits, _ = _logits(W, H, beta, gamma, X, Z, variant)
    _, normaliser = _probabilities(logits)
    loss = float(np.sum(normaliser) - np.sum(Y * logits))
    return (loss + xi * float(np.sum((X.T - W @ H) ** 2))
            + 0.5 * nu * (float(np.sum(beta ** 2)) + float(np.sum(gamma[:, 1:] ** 2))))


def bcd_gradients(W, H, beta, gamma, X, Y, Z, xi, nu, variant):
    """Gradients of :func:`bcd_objective` in ``W``, ``H``, ``beta``, ``gamma``
    (unconstrained: the sphere is the algorithm's, not the gradient's)."""
    logits, features = _logits(W, H, beta, gamma, X, Z, variant)
    probabilities, _ = _probabilities(logits)
    residual = probabilities - Y                      # n x kappa
    reconstruction = W @ H - X.T                      # p x n
    grad_W = 2.0 * xi * reconstruction @ H.T
    grad_H = 2.0 * xi * W.T @ reconstruction
    if variant == "filter":
        grad_W += X.T @ residual @ beta
    else:
        grad_H += beta.T @ residual.T
    grad_beta = residual.T @ features + nu * beta
    grad_gamma = residual.T @ Z
    grad_gamma[:, 1:] += nu * gamma[:, 1:]
    return grad_W, grad_H, grad_beta, grad_gamma


def _shortened(move, radius):
    """``move`` shortened to Frobenius norm ``radius`` if it is longer."""
    length = np.sqrt(sum(float(np.sum(m ** 2)) for m in move))
    scale = 1.0 if length <= radius else radius / length
    return [scale * m for m in move]


def _initial_point(X, Y, n_covariates, rank, xi, variant):
    """Spectral start: the top-``rank`` left singular vectors of the lifted
    problem's negative gradient at zero (LPGD's first direction; filter
    ``[X^T (Y - P_0), 2 xi X^T]``, feature ``[(Y - P_0)^T; 2 xi X^T]``), the
    atom rows scaled to unit Frobenius norm, their least-squares codes, zero
    coefficients."""
    n_outputs = Y.shape[1]
    centred = Y - 1.0 / (n_outputs + 1.0)
    if variant == "filter":
        left = np.linalg.svd(np.hstack([X.T @ centred, 2.0 * xi * X.T]),
                             full_matrices=False)[0][:, :rank]
    else:
        left = np.linalg.svd(np.vstack([centred.T, 2.0 * xi * X.T]),
                             full_matrices=False)[0][n_outputs:, :rank]
    norm = np.linalg.norm(left)
    W = left / norm if norm > 0 else np.eye(X.shape[1], rank) / np.sqrt(rank)
    H = np.linalg.lstsq(W, X.T, rcond=None)[0]
    return W, H, np.zeros((n_outputs, rank)), np.zeros((n_outputs, n_covariates))


def random_initial_point(X, Y, n_covariates, rank, rng):
    """Random start: Gaussian atoms scaled to unit Frobenius norm, their
    least-squares codes, zero coefficients."""
    W = rng.standard_normal((X.shape[1], rank))
    W /= np.linalg.norm(W)
    H = np.linalg.lstsq(W, X.T, rcond=None)[0]
    return W, H, np.zeros((Y.shape[1], rank)), np.zeros((Y.shape[1], n_covariates))


def _sphere_least_squares(X, H):
    r"""Exact :math:`\arg\min_{\|W\|_F = 1} \|X^\top - WH\|_F^2` (the trust-region
    subproblem on the sphere): with :math:`HH^\top = Q\Lambda Q^\top` and
    :math:`M = X^\top H^\top Q`, :math:`WQ = M(\Lambda + \mu I)^{-1}` where
    :math:`\mu > -\lambda_{\min}` solves :math:`\sum_k \|m_k\|^2/(\lambda_k +
    \mu)^2 = 1` (bisection). ``None`` in the hard case (no such root)."""
    values, vectors = np.linalg.eigh(H @ H.T)
    M = X.T @ H.T @ vectors
    weights = np.sum(M ** 2, axis=0)
    lowest = values[0]
    if weights[0] <= 1e-12 * max(float(np.sum(weights)), 1e-300):
        return None
    low, high = -lowest, np.sqrt(np.sum(weights)) - lowest
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle <= -lowest or np.sum(weights / (values + middle) ** 2) > 1.0:
            low = middle
        else:
            high = middle
    W = (M / (values + high)) @ vectors.T
    return W / np.linalg.norm(W)


def _update_W(W, H, beta, gamma, data, radius):
    X, Y, Z, xi, nu, variant = data
    if variant == "feature" and xi > 0:
        target = _sphere_least_squares(X, H)
        if target is not None:
            (move,) = _shortened([target - W], radius)
            candidate = W + move
            candidate /= np.linalg.norm(candidate)
            if np.sum((X.T - candidate @ H) ** 2) <= np.sum((X.T - W @ H) ** 2):
                return candidate
    smoothness = 2.0 * xi * np.linalg.norm(H, 2) ** 2
    if variant == "filter":
        smoothness += 0.5 * np.linalg.norm(X, 2) ** 2 * np.linalg.norm(beta, 2) ** 2
    if smoothness == 0.0:
        return W
    grad = bcd_gradients(W, H, beta, gamma, *data)[0]
    (move,) = _shortened([-grad / smoothness], radius)
    candidate = W + move
    norm = np.linalg.norm(candidate)
    return candidate / norm if norm > 0 else W


def _block_minimiser(value_and_gradient, start, max_iter):
    """Approximate minimiser of a smooth convex block problem: ``max_iter``
    L-BFGS iterations from ``start`` (never worse than ``start``)."""
    shape = start.shape
    result = minimize(lambda flat: value_and_gradient(flat.reshape(shape)), start.ravel(),
                      jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "gtol": 1e-12, "ftol": 1e-15})
    return result.x.reshape(shape)


def _classification(features, beta, gamma, Y, Z, nu):
    """Ridge multinomial logistic loss of the logits ``features @ beta.T + Z @ gamma.T``
    and its residual ``P - Y``."""
    logits = features @ beta.T + Z @ gamma.T
    probabilities, normaliser = _probabilities(logits)
    value = (float(np.sum(normaliser) - np.sum(Y * logits))
             + 0.5 * nu * (float(np.sum(beta ** 2)) + float(np.sum(gamma[:, 1:] ** 2))))
    return value, probabilities - Y


def _update_H(W, H, beta, gamma, data, radius):
    X, Y, Z, xi, nu, variant = data
    if variant == "filter":
        if xi == 0.0:
            return H
        target = np.linalg.lstsq(W, X.T, rcond=None)[0]
    else:
        def value_and_gradient(codes):
            value, residual = _classification(codes.T, beta, gamma, Y, Z, nu)
            reconstruction = W @ codes - X.T
            return (value + xi * float(np.sum(reconstruction ** 2)),
                    2.0 * xi * W.T @ reconstruction + beta.T @ residual.T)

        target = _block_minimiser(value_and_gradient, H, _CODES_MAX_ITER)
    (move,) = _shortened([target - H], radius)
    return H + move


def _update_coefficients(W, H, beta, gamma, data, radius):
    X, Y, Z, xi, nu, variant = data
    features = X @ W if variant == "filter" else H.T
    n_codes = beta.shape[1]

    def value_and_gradient(stacked):
        b, g = stacked[:, :n_codes], stacked[:, n_codes:]
        value, residual = _classification(features, b, g, Y, Z, nu)
        grad_gamma = residual.T @ Z
        grad_gamma[:, 1:] += nu * g[:, 1:]
        return value, np.hstack([residual.T @ features + nu * b, grad_gamma])

    target = _block_minimiser(value_and_gradient, np.hstack([beta, gamma]),
                              _COEFFICIENTS_MAX_ITER)
    move_beta, move_gamma = _shortened([target[:, :n_codes] - beta,
                                        target[:, n_codes:] - gamma], radius)
    return beta + move_beta, gamma + move_gamma


def bcd_supervised(X, Y, Z, rank, xi, nu, variant, max_iter, tol, printer=None, start=None):
    """Block coordinate descent with diminishing radius on the factored problem.

    ``start``: ``(W, H, beta, gamma)`` (default: the spectral start). Returns
    ``(W, H, beta, gamma, info)``; ``info`` holds ``n_iter``, ``converged``,
    ``objective`` (recomputed at the returned point) and ``history`` (one row
    per iteration; the objective never increases).
    """
    if start is None:
        start = _initial_point(X, Y, Z.shape[1], rank, xi, variant)
    W, H, beta, gamma = start
    data = (X, Y, Z, xi, nu, variant)
    history = ConvergenceHistory("relative decrease of the objective")
    value = bcd_objective(W, H, beta, gamma, *data)
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):
        radius = search_radius(iteration - 1)
        beta, gamma = _update_coefficients(W, H, beta, gamma, data, radius)
        W = _update_W(W, H, beta, gamma, data, radius)
        H = _update_H(W, H, beta, gamma, data, radius)
        new_value = bcd_objective(W, H, beta, gamma, *data)
        change = (value - new_value) / max(abs(value), 1e-300)
        history.append(iteration, new_value, change)
        if printer is not None:
            printer(iteration, objective=new_value, criterion=change)
        value = new_value
        if change <= tol:
            converged = True
            break
    info = {"n_iter": iteration, "converged": converged, "objective": value,
            "history": history}
    return W, H, beta, gamma, info

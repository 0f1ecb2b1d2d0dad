r"""Supervised dictionary learning with covariates by low-rank projected gradient
descent (Lee, Lyu & Yao): the lifted convex problem of the *filter* variant.

Signals :math:`x_i \in \mathbb R^p` (rows of ``X``), labels as one-hot rows
:math:`y_i \in \{0, 1\}^\kappa` (class 0 is the baseline: all zeros),
covariates :math:`z_i` with a leading 1 (intercept). With atoms
:math:`W \in \mathbb R^{p\times r}`, codes :math:`H` and regression
coefficients :math:`\beta` of the *filtered* signals :math:`W^\top x`, the
lifted variables are :math:`A = W\beta^\top` (:math:`p\times\kappa`) and
:math:`B = WH` (:math:`p\times n`), and the problem is

.. math:: \min_{\operatorname{rank}[A\,|\,B] \le r,\ \Gamma}\
   \sum_i \ell(y_i, A^\top x_i + \Gamma z_i) + \xi\|X^\top - B\|_F^2
   + \tfrac{\nu}2 (\|A\|_F^2 + \|\Gamma_{\text{cov}}\|_F^2),

with the multinomial logistic loss with baseline
:math:`\ell(y, a) = \log(1 + \sum_j e^{a_j}) - y^\top a` (binary: the
logistic loss) and :math:`\Gamma_{\text{cov}}` the covariate columns of
:math:`\Gamma` (the intercept is not penalised, as in scikit-learn). Each
iteration is a gradient step of fixed length :math:`1/L` (:math:`L` the
smoothness constant, :math:`\max(\tfrac12\|[X\ Z]\|_2^2 + \nu, 2\xi)`;
no decaying step) followed by the exact projection of :math:`[A\,|\,B]` on
the rank-:math:`r` matrices (truncated SVD by LAPACK, not randomised). With
this step the objective never increases (the projection minimises the
quadratic upper bound over the rank-constrained set). It stops when the
objective's relative decrease is at most ``tol``.
"""

import numpy as np
from scipy.special import logsumexp

from sparseopt.core.history import ConvergenceHistory

__all__ = ["sdl_objective", "sdl_gradients", "rank_projection", "lpgd_filter"]


def _probabilities(logits):
    """Class probabilities of the non-baseline classes and the loss terms
    ``log(1 + sum_j exp(a_j))`` (stable)."""
    padded = np.hstack([np.zeros((logits.shape[0], 1)), logits])
    normaliser = logsumexp(padded, axis=1)
    return np.exp(logits - normaliser[:, None]), normaliser


def sdl_objective(A, B, gamma, X, Y, Z, xi, nu):
    """The lifted objective (see the module docstring); ``Z`` has the leading
    column of ones, ``gamma`` is ``(kappa, 1 + q)``."""
    logits = X @ A + Z @ gamma.T
    _, normaliser = _probabilities(logits)
    loss = float(np.sum(normaliser) - np.sum(Y * logits))
    return (loss + xi * float(np.sum((X.T - B) ** 2))
            + 0.5 * nu * (float(np.sum(A ** 2)) + float(np.sum(gamma[:, 1:] ** 2))))


def sdl_gradients(A, B, gamma, X, Y, Z, xi, nu):
    """Gradients of :func:`sdl_objective` in ``A``, ``B`` and ``gamma``."""
    probabilities, _ = _probabilities(X @ A + Z @ gamma.T)
    residual = probabilities - Y
    grad_gamma = residual.T @ Z
    grad_gamma[:, 1:] += nu * gamma[:, 1:]
    return X.T @ residual + nu * A, 2.0 * xi * (B - X.T), grad_gamma


def rank_projection(theta, rank):
    """Nearest matrix of rank at most ``rank`` (Frobenius norm), by the full SVD;
    returns it and its left singular vectors ``U_r``."""
    left, values, right = np.linalg.svd(theta, full_matrices=False)
    left, values, right = left[:, :rank], values[:rank], right[:rank]
    return (left * values) @ right, left


def lpgd_filter(X, Y, Z, rank, xi, nu, max_iter, tol, printer=None):
    """Low-rank projected gradient descent on the lifted filter problem.

    Returns ``(A, B, gamma, atoms, info)``: ``atoms`` (``p x r``, orthonormal
    columns) span ``[A | B]``; ``info`` holds ``n_iter``, ``converged``,
    ``objective`` (recomputed at the returned point) and ``history``.
    """
    n_samples, n_features = X.shape
    n_outputs = Y.shape[1]
    A = np.zeros((n_features, n_outputs))
    B = np.zeros((n_features, n_samples))
    gamma = np.zeros((n_outputs, Z.shape[1]))
    design = np.hstack([X, Z])
    smoothness = max(0.5 * np.linalg.norm(design, 2) ** 2 + nu, 2.0 * xi)
    step = 1.0 / smoothness
    history = ConvergenceHistory("relative decrease of the objective")
    value = sdl_objective(A, B, gamma, X, Y, Z, xi, nu)
    atoms = np.zeros((n_features, rank))
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):
        grad_A, grad_B, grad_gamma = sdl_gradients(A, B, gamma, X, Y, Z, xi, nu)
        theta, atoms = rank_projection(np.hstack([A - step * grad_A, B - step * grad_B]), rank)
        A, B = theta[:, :n_outputs], theta[:, n_outputs:]
        gamma = gamma - step * grad_gamma
        new_value = sdl_objective(A, B, gamma, X, Y, Z, xi, nu)
        change = (value - new_value) / max(abs(value), 1e-300)
        history.append(iteration, new_value, change)
        if printer is not None:
            printer(iteration, objective=new_value, criterion=change)
        value = new_value
        if change <= tol:
            converged = True
            break
    info = {"n_iter": iteration, "converged": converged, "objective": value,
            "history": history, "step": step}
    return A, B, gamma, atoms, info

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

The *feature* variant (:func:`lpgd_feature`) lets the classifier act on the
codes: logits :math:`\beta h_i + \Gamma z_i`. Its lifted variables are
stacked vertically, :math:`A = \beta H` (:math:`\kappa\times n`, the
code logits) and :math:`B = WH` (:math:`p\times n`):

.. math:: \min_{\operatorname{rank}\left[\begin{smallmatrix} A \\ B
   \end{smallmatrix}\right] \le r,\ \Gamma}\
   \sum_i \ell(y_i, a_i + \Gamma z_i) + \xi\|X^\top - B\|_F^2
   + \tfrac{\nu}2 (\|A\|_F^2 + \|\Gamma_{\text{cov}}\|_F^2),

with :math:`a_i` the :math:`i`-th column of :math:`A`; the step is
:math:`1/L`, :math:`L = \max(\tfrac12(1 + \|Z\|_2^2) + \nu, 2\xi)` (the
map :math:`(A, \Gamma) \mapsto A^\top + Z\Gamma^\top` has norm
:math:`\sqrt{1 + \|Z\|_2^2}`).
"""

import numpy as np

from sparseopt.core.history import ConvergenceHistory

__all__ = ["sdl_objective", "sdl_gradients", "rank_projection", "lpgd_filter",
           "feature_objective", "feature_gradients", "lpgd_feature"]


def _probabilities(logits):
    """Class probabilities of the non-baseline classes and the loss terms
    ``log(1 + sum_j exp(a_j))`` (stable: shifted by the largest logit, 0 included)."""
    shift = np.maximum(logits.max(axis=1), 0.0)
    weights = np.exp(logits - shift[:, None])
    total = np.exp(-shift) + weights.sum(axis=1)
    return weights / total[:, None], shift + np.log(total)


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


def feature_objective(A, B, gamma, X, Y, Z, xi, nu):
    """The lifted objective of the feature variant; ``A`` is ``(kappa, n)``."""
    logits = A.T + Z @ gamma.T
    _, normaliser = _probabilities(logits)
    loss = float(np.sum(normaliser) - np.sum(Y * logits))
    return (loss + xi * float(np.sum((X.T - B) ** 2))
            + 0.5 * nu * (float(np.sum(A ** 2)) + float(np.sum(gamma[:, 1:] ** 2))))


def feature_gradients(A, B, gamma, X, Y, Z, xi, nu):
    """Gradients of :func:`feature_objective` in ``A``, ``B`` and ``gamma``."""
    probabilities, _ = _probabilities(A.T + Z @ gamma.T)
    residual = probabilities - Y
    grad_gamma = residual.T @ Z
    grad_gamma[:, 1:] += nu * gamma[:, 1:]
    return residual.T + nu * A, 2.0 * xi * (B - X.T), grad_gamma


def lpgd_filter(X, Y, Z, rank, xi, nu, max_iter, tol, printer=None):
    """Low-rank projected gradient descent on the lifted filter problem.

    Returns ``(A, B, gamma, atoms, info)``: ``atoms`` (``p x r``, orthonormal
    columns) span ``[A | B]``; ``info`` holds ``n_iter``, ``converged``,
    ``objective`` (recomputed at the returned point) and ``history``.
    """
    n_samples, n_features = X.shape
    n_outputs = Y.shape[1]
    smoothness = max(0.5 * np.linalg.norm(np.hstack([X, Z]), 2) ** 2 + nu, 2.0 * xi)
    start = (np.zeros((n_features, n_outputs)), np.zeros((n_features, n_samples)),
             np.zeros((n_outputs, Z.shape[1])))

    def project(A, B):
        theta, left = rank_projection(np.hstack([A, B]), rank)
        return theta[:, :n_outputs], theta[:, n_outputs:], left

    A, B, gamma, left, info = _lpgd(sdl_objective, sdl_gradients, project, start,
                                    (X, Y, Z, xi, nu), 1.0 / smoothness, max_iter, tol,
                                    printer)
    return A, B, gamma, left, info


def lpgd_feature(X, Y, Z, rank, xi, nu, max_iter, tol, printer=None):
    r"""Low-rank projected gradient descent on the lifted feature problem.

    Returns ``(A, B, gamma, factors, info)``: ``A`` (``kappa x n``) and ``B``
    (``p x n``) with ``rank [A; B] <= r``; ``factors`` is the left factor
    :math:`U_r\Sigma_r^{1/2}` of ``[A; B]`` (``(kappa + p) x r``), whose first
    ``kappa`` rows are :math:`\beta` and the others :math:`W`, for the codes
    :math:`H = \Sigma_r^{1/2}V_r^\top`; ``info`` as :func:`lpgd_filter`.
    """
    n_samples, n_features = X.shape
    n_outputs = Y.shape[1]
    smoothness = max(0.5 * (1.0 + np.linalg.norm(Z, 2) ** 2) + nu, 2.0 * xi)
    start = (np.zeros((n_outputs, n_samples)), np.zeros((n_features, n_samples)),
             np.zeros((n_outputs, Z.shape[1])))
    factors = np.zeros((n_outputs + n_features, rank))

    def project(A, B):
        left, values, right = np.linalg.svd(np.vstack([A, B]), full_matrices=False)
        left, values, right = left[:, :rank], values[:rank], right[:rank]
        theta = (left * values) @ right
        factors[...] = left * np.sqrt(values)
        return theta[:n_outputs], theta[n_outputs:], factors

    return _lpgd(feature_objective, feature_gradients, project, start, (X, Y, Z, xi, nu),
                 1.0 / smoothness, max_iter, tol, printer)


def _lpgd(objective, gradients, project, start, data, step, max_iter, tol, printer):
    """The projected gradient loop shared by both variants: gradient step of
    length ``step`` on ``(A, B, gamma)``, ``project`` on ``(A, B)``."""
    A, B, gamma = start
    history = ConvergenceHistory("relative decrease of the objective")
    value = objective(A, B, gamma, *data)
    extra = None
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):
        grad_A, grad_B, grad_gamma = gradients(A, B, gamma, *data)
        A, B, extra = project(A - step * grad_A, B - step * grad_B)
        gamma = gamma - step * grad_gamma
        new_value = objective(A, B, gamma, *data)
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
    return A, B, gamma, extra, info

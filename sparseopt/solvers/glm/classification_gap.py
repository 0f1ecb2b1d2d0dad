r"""Fenchel duality gaps of penalised logistic and multinomial regression.

For :math:`P(w) = \sum_i c_i \ell_i(z_i) + \sum_j \omega_j (\lambda_1 |w_j| +
\frac{\lambda_2}{2} w_j^2)` with per-sample weights :math:`c_i = s_i / n`
(:math:`\sum_i c_i = 1`) and the linear predictor :math:`z = Xw` (+
intercept), the dual point is the loss derivative
:math:`u_i = c_i \nabla\ell_i(z_i)` scaled by :math:`\kappa \in [0, 1]` so
that :math:`|x_j^\top u| \kappa \le \lambda_1\omega_j` on the penalised
features when :math:`\lambda_2 = 0`. The conjugate of :math:`c\,\ell` at
:math:`\kappa u` is :math:`-c` times an entropy, so

.. math:: D = \sum_i c_i H(q_i) - \sum_j \frac{(\kappa|x_j^\top u| -
          \lambda_1\omega_j)_+^2}{2\lambda_2\omega_j},

with :math:`q_i = \kappa p_i` (binary, :math:`p_i = 1/(1 + e^{y_i z_i})`) or
:math:`q_i = \kappa p_i + (1 - \kappa) e_{y_i}` (softmax probabilities).
Unpenalised features and intercepts need :math:`x_j^\top u = 0`. For the
binary intercept, :math:`\sum_i u_i = 0`, each class's :math:`p_i` is
scaled by a factor in :math:`[0, 1]` that balances the two classes
(:func:`intercept_class_factors`), which keeps the gap a certificate at every
iterate; other unpenalised features (and the multinomial intercepts) satisfy
it only at their optimum: there the gap certifies the penalised part only,
and the block engine adds the unpenalised gradient to its criterion; the
default solvers move the dual point by the unpenalised block's Newton step
(:mod:`sparseopt.solvers.glm.unpenalised`), feasible at every iterate.
"""

import numpy as np
from numba import njit
from scipy.special import entr

from sparseopt.core.losses import _entropy, _log1p_exp, _sigmoid
from sparseopt.utils.validation import (
    check_array_input,
    check_consistent_length,
    check_integer,
    check_scalar,
)

__all__ = ["logistic_dual_gap", "logistic_gap", "multinomial_dual_gap",
           "intercept_class_factors", "balanced_deriv", "balanced_correlation_bound",
           "binary_dual"]


def _dual_factor(correlation, l1, l2, weights):
    """The largest ``kappa <= 1`` making the scaled point dual feasible (l2 = 0)."""
    if l2 > 0.0:
        return 1.0
    if l1 == 0.0:
        return 0.0
    penalised = weights > 0
    magnitude = np.abs(correlation[penalised])
    if magnitude.ndim > 1:
        magnitude = magnitude.max(axis=1)
    bounds = l1 * weights[penalised]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(magnitude > bounds, bounds / magnitude, 1.0)
    return float(ratios.min(initial=1.0))


def _l2_conjugate(correlation, factor, l1, l2, weights):
    if l2 == 0.0:
        return 0.0
    penalised = weights > 0
    values = np.abs(factor * correlation[penalised])
    bounds = (l1 * weights[penalised]).reshape((-1,) + (1,) * (values.ndim - 1))
    excess = np.maximum(values - bounds, 0.0)
    scales = (2.0 * l2 * weights[penalised]).reshape(bounds.shape)
    return float(np.sum(excess * excess / scales))


def _penalty(coef, l1, l2, weights):
    factors = weights.reshape((-1,) + (1,) * (coef.ndim - 1))
    return float(np.sum(factors * (l1 * np.abs(coef) + 0.5 * l2 * coef * coef)))


def logistic_dual_gap(target, z, correlation_vector, coef, l1, l2, n_samples, *,
                      sample_weight=None, weights=None):
    r"""Objective and Fenchel duality gap of the elastic-net logistic regression.

    For :math:`P(w) = \sum_i c_i \log(1 + e^{-y_i z_i}) + \sum_j
    \omega_j(\lambda_1|w_j| + \frac{\lambda_2}{2}w_j^2)` with :math:`z = Xw`
    (+ intercept) and :math:`c_i = s_i / n` (:math:`1/n` without sample
    weights), the dual point is the loss derivative rescaled into the dual
    feasible set (see :mod:`sparseopt.solvers.glm.classification_gap`); the
    gap :math:`P(w) - D \ge P(w) - P^*` certifies sub-optimality once the
    unpenalised coordinates are optimal. Time ``O(n + p)``.

    Parameters
    ----------
    target : ndarray of shape (n_samples,)
        Labels in {-1, 1}.
    z : ndarray of shape (n_samples,)
        Linear predictor (intercept included).
    correlation_vector : ndarray of shape (n_features,)
        ``-X^T u`` with ``u_i = c_i d/dz log(1 + e^{-y_i z})`` (the negative
        gradient of the data fit).
    coef : ndarray of shape (n_features,)
        Coefficients.
    l1, l2 : float
        Penalty strengths.
    n_samples : int
        Number of samples.
    sample_weight : ndarray of shape (n_samples,), optional
        Sample weights summing to ``n_samples``.
    weights : ndarray of shape (n_features,), optional
        Penalty factors (default ones; 0 leaves a feature out of the dual
        constraints).

    Returns
    -------
    objective : float
        :math:`P(w)`.
    gap : float
        The duality gap, clipped at zero.
    """
    target = check_array_input(target, "target", ndim=1, dtype=np.float64)
    if not np.all(np.abs(target) == 1.0):
        raise ValueError("target must hold labels in {-1, 1}.")
    z = check_array_input(z, "z", ndim=1, dtype=np.float64)
    correlation_vector = check_array_input(correlation_vector, "correlation_vector", ndim=1,
                                           dtype=np.float64)
    coef = check_array_input(coef, "coef", ndim=1, dtype=np.float64)
    n_samples = check_integer(n_samples, "n_samples", lower=1)
    check_consistent_length(target=target, z=z)
    if target.shape[0] != n_samples:
        raise ValueError(f"n_samples must equal the length of target ({target.shape[0]}), "
                         f"got {n_samples}.")
    if coef.shape != correlation_vector.shape:
        raise ValueError(f"coef must have the shape of correlation_vector "
                         f"{correlation_vector.shape}, got {coef.shape}.")
    l1 = check_scalar(l1, "l1", lower=0.0)
    l2 = check_scalar(l2, "l2", lower=0.0)
    if sample_weight is not None:
        sample_weight = check_array_input(sample_weight, "sample_weight", ndim=1,
                                          dtype=np.float64)
        if sample_weight.shape != target.shape or np.any(sample_weight < 0):
            raise ValueError(f"sample_weight must be non-negative with shape {target.shape}.")
    if weights is not None:
        weights = check_array_input(weights, "weights", ndim=1, dtype=np.float64)
        if weights.shape != coef.shape or np.any(weights < 0):
            raise ValueError(f"weights must be non-negative with shape {coef.shape}.")
    return logistic_gap(target, z, correlation_vector, coef, l1, l2, n_samples,
                        sample_weight=sample_weight, weights=weights)


def intercept_class_factors(deriv, target):
    """Factors ``[rho_-, rho_+]`` in ``[0, 1]`` scaling the binary dual point
    ``-deriv`` (``deriv_i = -y_i c_i p_i``) on each class so that its entries
    sum to zero, the intercept's dual constraint: the heavier class is scaled
    down (each ``rho p_i`` stays a probability)."""
    positive = target > 0
    heavy_positive = -float(deriv[positive].sum())  # sum of c_i p_i over y_i = 1
    heavy_negative = float(deriv[~positive].sum())
    factors = np.ones(2)
    if heavy_positive > heavy_negative:
        factors[1] = heavy_negative / heavy_positive
    elif heavy_negative > heavy_positive:
        factors[0] = heavy_positive / heavy_negative
    return factors


def balanced_deriv(deriv, target, factors):
    """``deriv`` with each class scaled by its factor of :func:`intercept_class_factors`."""
    return deriv * np.where(target > 0, factors[1], factors[0])


def balanced_correlation_bound(correlation, deriv, target, factors, column_norms):
    """Upper bounds of ``|x_j^T u'|`` for the balanced point ``u'`` (``deriv``
    with the heavy class scaled by ``rho``) from ``correlation = X^T deriv``:
    ``|x_j^T u| + (1 - rho) ||x_j|| ||u_heavy||`` (Cauchy-Schwarz), without a
    product with ``X``. The dual evaluated with them is still a lower bound
    (the dual penalty term grows with ``|x_j^T u'|``), and it is tight as the
    intercept's gradient, hence ``1 - rho``, vanishes."""
    heavy = target > 0 if factors[1] < 1.0 else target < 0
    return np.abs(correlation) + (1.0 - float(factors.min())) * column_norms \
        * float(np.linalg.norm(deriv[heavy]))


def logistic_gap(target, z, correlation_vector, coef, l1, l2, n_samples, *, sample_weight=None,
                 weights=None, class_factors=None):
    """:func:`logistic_dual_gap` on trusted input (the solver's twin);
    ``class_factors`` (of :func:`intercept_class_factors`, with
    ``correlation_vector`` of the balanced point) makes the gap a certificate
    with an intercept."""
    coef = np.asarray(coef, dtype=np.float64)
    weights = np.ones(coef.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    scale = (np.full(n_samples, 1.0 / n_samples) if sample_weight is None
             else np.asarray(sample_weight, dtype=np.float64) / n_samples)
    objective, dual = _binary_objective_and_dual(
        np.asarray(target, dtype=np.float64), np.asarray(z, dtype=np.float64),
        np.asarray(correlation_vector, dtype=np.float64), coef, float(l1), float(l2), scale,
        weights, np.ones(2) if class_factors is None else class_factors)
    return objective, max(objective - dual, 0.0)


@njit(cache=True, nogil=True)
def _binary_objective_and_dual(target, z, correlation, coef, l1, l2, scale, weights,
                               class_factors):
    """Primal and dual objectives of :func:`logistic_gap` in two compiled passes
    (the same formulas as ``_dual_factor``, ``_l2_conjugate`` and ``_penalty``;
    at 2000 samples x 10000 features, 0.1 ms against 0.2 ms for the numpy
    expression)."""
    factor = 0.0 if l1 == 0.0 and l2 == 0.0 else 1.0
    penalty, conjugate = 0.0, 0.0
    for j in range(coef.shape[0]):
        weight = weights[j]
        penalty += weight * (l1 * abs(coef[j]) + 0.5 * l2 * coef[j] * coef[j])
        if weight > 0.0:
            magnitude, bound = abs(correlation[j]), l1 * weight
            if l2 > 0.0:
                excess = max(magnitude - bound, 0.0)
                conjugate += excess * excess / (2.0 * l2 * weight)
            elif l1 > 0.0 and magnitude > bound:
                factor = min(factor, bound / magnitude)
    objective, dual = penalty, -conjugate
    for i in range(z.shape[0]):
        margin = target[i] * z[i]
        objective += scale[i] * _log1p_exp(-margin)
        probability = factor * class_factors[1 if target[i] > 0 else 0] * _sigmoid(-margin)
        dual += scale[i] * (_entropy(probability) + _entropy(1.0 - probability))
    return objective, dual


def binary_dual(probabilities, correlation, l1, l2, scale, weights):
    """The binary dual objective at the point ``u_i = -y_i c_i q_i`` given by
    its ``probabilities`` ``q`` in [0, 1] and ``correlation = -X^T u``
    (scaled by the largest feasible ``kappa`` when ``l2 = 0``); the point must
    already satisfy the unpenalised features' constraints."""
    factor = _dual_factor(correlation, l1, l2, weights)
    mixed = factor * probabilities
    return float(scale @ (entr(mixed) + entr(1.0 - mixed))) \
        - _l2_conjugate(correlation, factor, l1, l2, weights)


def multinomial_dual_gap(Z, labels, correlation, coef, l1, l2, *, sample_scale, weights,
                         probabilities=None):
    """Objective and Fenchel gap of the penalised softmax regression.

    ``Z`` (K, n) predictor, ``correlation`` (p, K) the negative data-fit
    gradient ``-X^T U``, ``coef`` (p, K), ``sample_scale`` ``c_i = s_i / n``,
    ``weights`` per-feature penalty factors (see the module docstring);
    ``probabilities`` (K, n) of the dual point ``U = c (Q - onehot)`` when it
    is not the softmax of ``Z`` (with ``correlation`` its ``-X^T U``).
    """
    n_samples = Z.shape[1]
    top = Z.max(axis=0)
    log_norm = top + np.log(np.exp(Z - top).sum(axis=0))
    rows = np.arange(n_samples)
    objective = float(sample_scale @ (log_norm - Z[labels, rows]))
    objective += _penalty(coef, l1, l2, weights)
    factor = _dual_factor(correlation, l1, l2, weights)
    if probabilities is None:
        probabilities = np.exp(Z - log_norm)
    mixed = factor * probabilities
    mixed[labels, rows] += 1.0 - factor
    dual = float(sample_scale @ entr(np.clip(mixed, 0.0, 1.0)).sum(axis=0))
    dual -= _l2_conjugate(correlation, factor, l1, l2, weights)
    return objective, max(objective - dual, 0.0)

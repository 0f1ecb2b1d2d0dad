"""Stopping criteria of the BCD engine for generalised linear models.

:func:`glm_gap_monitor` returns the objective and a relative criterion built
from the Fenchel duality gap. For ``F(w) = f(Xw) + sum_j omega_j (l1 |w_j| +
l2/2 w_j^2)`` the dual point is ``theta = -c grad f(Xw)`` and

    D(theta) = -sum_i f_i^*(-theta_i) - sum_j g_j^*(x_j^T theta),

with ``g_j^*(v) = (|v| - l1 omega_j)_+^2 / (2 l2 omega_j)`` when ``l2 > 0``;
with ``l2 = 0`` the constraint ``|x_j^T theta| <= l1 omega_j`` is met by the
scaling ``c = min(1, min_j l1 omega_j / |x_j^T theta|)``. Unpenalised
coordinates (an intercept) need ``x_j^T theta = 0``, which holds only when
they are optimal; the criterion therefore also includes their gradient,
relative to the largest gradient entry at the start.
"""

import numpy as np

from sparseopt.core import losses
from sparseopt.solvers.glm.classification_gap import balanced_deriv, intercept_class_factors
from sparseopt.solvers.glm.enet_gap import project_off_violators

__all__ = ["glm_gap_monitor"]


def glm_gap_monitor(datafit, penalty, objective_at_zero, intercept=False):
    """Monitor ``state -> (objective, criterion)`` with a duality-gap criterion.

    Parameters
    ----------
    datafit : GLMDatafit
        The data fit.
    penalty : ElasticNetPenalty
        The penalty; coordinates with zero weight are unpenalised.
    objective_at_zero : float
        :math:`F(0)`, the scale of the relative gap.
    intercept : bool, default=False
        Whether the last coordinate is an intercept (a column of ones). For
        least squares the gap is evaluated at the optimal intercept for the
        current coefficients (the residual is centred), with the dual point
        projected off the centred columns of the other unpenalised
        coordinates (when sign-constrained, those in the support and those
        whose ``x_j^T theta <= 0`` fails); for the binary logistic loss the
        dual point is balanced over the two classes (its entries sum to zero,
        :func:`~sparseopt.solvers.glm.classification_gap.intercept_class_factors`).
        Either makes the gap a valid certificate at every iterate (other
        unpenalised coordinates of the logistic losses, and the multinomial
        intercepts, are certified only through the gradient criterion).

    Returns
    -------
    monitor : callable
        ``state -> (objective, max(gap / F(0), intercept criterion))``; the
        last gap is stored on the monitor as ``monitor.last_gap``.
    """
    weights = penalty.weights
    penalised = weights > 0
    unpenalised = ~penalised
    l1_weights = penalty.l1 * weights
    l2_weights = penalty.l2 * weights
    signed = penalty.positive_mask[penalised]  # sign-constrained penalised coordinates
    initial = {}
    centre_least_squares = intercept and datafit.loss == losses.LEAST_SQUARES
    balance_classes = intercept and datafit.loss == losses.LOGISTIC
    projected = np.flatnonzero(unpenalised[:-1]) if centre_least_squares else np.empty(0, int)
    if projected.size:  # the centred columns of the unpenalised features
        columns = datafit.matrix[:, projected]
        columns = columns.toarray() if hasattr(columns, "toarray") else np.array(columns)
        columns -= columns.mean(axis=0)

    def monitor(state):
        objective = datafit.value(state) + penalty.value(state.coef)
        deriv = state.deriv
        if centre_least_squares:
            deriv = deriv - deriv.mean(axis=1, keepdims=True)
            residual_sq = (deriv[0] / datafit.scale) ** 2
            objective = 0.5 * datafit.scale * residual_sq.sum() + penalty.value(state.coef)
            if projected.size:
                deriv = _project_off(deriv, columns, projected, state.coef,
                                     penalty.positive_mask)
        correlation = -np.asarray(datafit.matrix.T @ deriv.T).ravel()  # X^T theta at c = 1
        gradient_correlation = correlation
        if balance_classes:
            factors = intercept_class_factors(deriv[0], datafit.target)
            if np.any(factors < 1.0):
                deriv = balanced_deriv(deriv[0], datafit.target, factors)[None, :]
                correlation = -np.asarray(datafit.matrix.T @ deriv[0]).ravel()
        factor = 1.0
        if penalty.l2 == 0.0 and penalised.any():
            values = np.where(signed, np.maximum(correlation[penalised], 0.0),
                              correlation[penalised])
            largest = np.max(np.abs(values) / l1_weights[penalised])
            factor = 1.0 / max(1.0, largest) if penalty.l1 > 0 else 0.0
        dual = losses.conjugate_sum(datafit.loss, np.ascontiguousarray(deriv), datafit.target,
                                     datafit.scale, factor)
        if penalty.l2 > 0.0:
            values = factor * correlation[penalised]
            values = np.where(signed, np.maximum(values, 0.0), values)
            excess = np.maximum(np.abs(values) - l1_weights[penalised], 0.0)
            dual -= float(np.sum(excess**2 / (2.0 * l2_weights[penalised])))
        gap = max(objective - dual, 0.0)
        monitor.last_gap = gap
        criterion = gap / max(objective_at_zero, np.finfo(float).tiny)
        if unpenalised.any() and not centre_least_squares:
            intercept_gradient = float(np.max(np.abs(gradient_correlation[unpenalised])))
            initial.setdefault("intercept", max(float(np.max(np.abs(gradient_correlation))),
                                                np.finfo(float).tiny))
            criterion = max(criterion, intercept_gradient / initial["intercept"])
        return objective, criterion

    monitor.last_gap = np.inf
    return monitor


def _project_off(deriv, columns, projected, coef, positive_mask):
    """The centred ``deriv`` (rows: outputs) minus its least-squares fit on
    centred unpenalised ``columns``, so that ``x_j^T theta = 0`` for them: a
    feasible dual point. A sign-constrained one off the support only needs
    ``x_j^T theta <= 0`` and is projected off only when that fails beyond
    rounding (at the optimum it holds, and the gap can reach zero)."""
    include = ~positive_mask[projected] | (coef[projected] > 0)
    scale = np.sqrt(np.sum(columns**2, axis=0))

    def project(include):
        if not include.any():
            return deriv
        fit = np.linalg.lstsq(columns[:, include], deriv.T, rcond=None)[0]
        return deriv - (columns[:, include] @ fit).T

    def violated(result, others):
        correlation = -(columns[:, others].T @ result.T)
        return np.any(correlation > 1e-12 * np.sqrt(np.sum(result**2))
                      * scale[others, None], axis=1)

    return project_off_violators(include, project, violated)

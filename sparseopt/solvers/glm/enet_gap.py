r"""Duality gap, Gap Safe screening and KKT violations of the weighted elastic net.

The primal problem (objective units, ``omega`` the per-feature penalty
factors, a zero factor leaving a feature unpenalised) is

.. math:: P(w) = \frac{1}{2n}\|r\|^2 + \sum_j \omega_j\left(\lambda_1|w_j|
          + \frac{\lambda_2}{2}w_j^2\right), \qquad r = y - Xw .

Dual points are built from the residual. An unpenalised feature ``j``
requires ``x_j^T theta = 0`` of a dual point: :class:`UnpenalisedProjection`
projects the residual onto the orthogonal complement of the unpenalised
columns (what centring does for an intercept), after which the usual
rescaling makes the point feasible and the gap a certificate again.
"""

import numpy as np

from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["enet_dual_gap", "dual_gap", "gap_safe_screen", "kkt_violations",
           "UnpenalisedProjection", "project_off_violators"]

# Relative safety margin of the screening test (the dual quantities carry
# rounding errors of ~1e-13 relative on well-scaled data).
_SCREENING_MARGIN = 1e-9


def _dual_norm_scale(shifted, l1_weights, penalised, positive, n_samples):
    """``c = min(1, min_j n l1 omega_j / |shifted_j|)`` over penalised features."""
    values = shifted[penalised]
    values = np.maximum(values, 0.0) if positive else np.abs(values)
    bounds = n_samples * l1_weights[penalised]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(values > bounds, bounds / values, 1.0)
    return float(ratios.min(initial=1.0))


def enet_dual_gap(residual_norm_sq, y_dot_residual, correlation, coef, n_samples, l1, l2,
                  positive=False, weights=None):
    r"""Duality gap of the elastic net (and Lasso) at a primal point.

    For :math:`P(w) = \frac{1}{2n}\|r\|^2 + \sum_j \omega_j(\lambda_1|w_j| +
    \frac{\lambda_2}{2}w_j^2)` (optionally with :math:`w \ge 0`) and
    :math:`r = y - Xw`, two dual points are tried and the better dual value
    kept:

    - the rescaled residual of the equivalent Lasso on the augmented data
      :math:`[X; \sqrt{n\lambda_2 \Omega}]`, :math:`[y; 0]` (needs
      :math:`\lambda_1 > 0`):
      :math:`D = (2c\, y^\top r - c^2 (\|r\|^2 + n\lambda_2\sum_j\omega_j w_j^2)) / 2n`
      with :math:`c = \min(1, \min_j n\lambda_1\omega_j / |x_j^\top r - n\lambda_2\omega_j w_j|)`;
    - the residual itself, feasible for the Fenchel dual when
      :math:`\lambda_2 > 0`:
      :math:`D = (y^\top r - \|r\|^2/2)/n - \sum_j (|x_j^\top r|/n -
      \lambda_1\omega_j)_+^2 / (2\lambda_2\omega_j)`.

    Features with :math:`\omega_j = 0` are left out of the dual constraints:
    the point is dual feasible only when :math:`x_j^\top r = 0` for them (see
    :class:`UnpenalisedProjection`). Time ``O(p)``.

    Parameters
    ----------
    residual_norm_sq : float
        :math:`\|r\|^2`.
    y_dot_residual : float
        :math:`y^\top r`.
    correlation : ndarray of shape (n_features,)
        :math:`X^\top r`.
    coef : ndarray of shape (n_features,)
        :math:`w`.
    n_samples : int
        :math:`n`.
    l1, l2 : float
        :math:`\lambda_1, \lambda_2 \ge 0`.
    positive : bool, default=False
        Whether :math:`w \ge 0` is imposed (one-sided dual constraints).
    weights : ndarray of shape (n_features,), optional
        Penalty factors :math:`\omega \ge 0` (default all ones).

    Returns
    -------
    primal : float
        :math:`P(w)`.
    gap : float
        :math:`P(w) - D \ge 0`.
    """
    residual_norm_sq = check_scalar(residual_norm_sq, "residual_norm_sq", lower=0.0)
    y_dot_residual = check_scalar(y_dot_residual, "y_dot_residual")
    correlation = check_array_input(correlation, "correlation", ndim=1, dtype=np.float64)
    coef = check_array_input(coef, "coef", ndim=1, dtype=np.float64)
    if coef.shape != correlation.shape:
        raise ValueError(f"coef must have the shape of correlation {correlation.shape}, got "
                         f"{coef.shape}.")
    n_samples = check_integer(n_samples, "n_samples", lower=1)
    l1 = check_scalar(l1, "l1", lower=0.0)
    l2 = check_scalar(l2, "l2", lower=0.0)
    if weights is not None:
        weights = check_array_input(weights, "weights", ndim=1, dtype=np.float64)
        if weights.shape != coef.shape or np.any(weights < 0):
            raise ValueError(f"weights must be non-negative with shape {coef.shape}.")
    return dual_gap(residual_norm_sq, y_dot_residual, correlation, coef, n_samples, l1, l2,
                    bool(positive), weights)


def dual_gap(residual_norm_sq, y_dot_residual, correlation, coef, n_samples, l1, l2,
             positive=False, weights=None):
    """:func:`enet_dual_gap` on trusted input (the solvers' twin)."""
    coef = np.asarray(coef, dtype=np.float64)
    correlation = np.asarray(correlation, dtype=np.float64)
    weights = np.ones(coef.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    penalised = weights > 0
    l2_sq = float(weights @ (coef * coef))
    primal = residual_norm_sq / (2 * n_samples) + l1 * float(weights @ np.abs(coef)) \
        + 0.5 * l2 * l2_sq
    duals = []
    if l1 > 0:
        shifted = correlation - n_samples * l2 * weights * coef
        scale = _dual_norm_scale(shifted, l1 * weights, penalised, positive, n_samples)
        augmented_sq = residual_norm_sq + n_samples * l2 * l2_sq
        duals.append((2 * scale * y_dot_residual - scale**2 * augmented_sq) / (2 * n_samples))
    if l2 > 0:
        scaled = correlation[penalised] / n_samples
        excess = np.maximum(scaled if positive else np.abs(scaled), l1 * weights[penalised]) \
            - l1 * weights[penalised]
        duals.append((y_dot_residual - 0.5 * residual_norm_sq) / n_samples
                     - float(np.sum(excess * excess / (2 * l2 * weights[penalised]))))
    dual = max(duals) if duals else -np.inf
    dual = min(dual, primal)
    return primal, primal - dual


def gap_safe_screen(correlation, coef, col_norms_sq, primal, residual_norm_sq,
                    y_dot_residual, n_samples, l1, l2, positive, weights):
    """Features that the Gap Safe sphere proves to be zero at the optimum.

    In the augmented-Lasso dual (scaled by ``n l1``), the optimum lies within
    ``sqrt(2 n G) / (n l1)`` of the rescaled residual, ``G`` being the gap
    at that dual point; a penalised feature ``j`` is inactive when
    ``|x~_j^T theta| + radius ||x~_j|| < omega_j`` (Fercoq, Gramfort &
    Salmon, 2015). Unpenalised features are never screened.
    """
    penalised = weights > 0
    if l1 <= 0:
        return np.zeros(coef.shape[0], dtype=bool)
    beta = n_samples * l2 * weights
    shifted = correlation - beta * coef
    scale = _dual_norm_scale(shifted, l1 * weights, penalised, positive, n_samples)
    augmented_sq = residual_norm_sq + float(beta @ (coef * coef))
    dual = (2 * scale * y_dot_residual - scale**2 * augmented_sq) / (2 * n_samples)
    threshold = n_samples * l1
    radius = np.sqrt(2.0 * n_samples * max(primal - dual, 0.0)) / threshold
    projection = scale * (shifted if positive else np.abs(shifted)) / threshold
    # A margin against rounding: at a numerically exact optimum the gap is 0
    # and an active feature sits on the boundary, projection = omega_j.
    bound = projection + radius * np.sqrt(col_norms_sq + beta) + _SCREENING_MARGIN
    return penalised & (bound < weights)


def kkt_violations(correlation_scaled, coef, l1, l2, positive, weights):
    """Per-feature distance of ``X_c^T r / n - l2 omega w`` to ``l1 omega d|w|`` (+ cone)."""
    l1_w = l1 * weights
    g = correlation_scaled - l2 * weights * coef
    at_zero = np.maximum(g - l1_w, 0.0) if positive else np.maximum(np.abs(g) - l1_w, 0.0)
    return np.where(coef != 0, np.abs(g - l1_w * np.sign(coef)), at_zero)


def project_off_violators(include, project, violated):
    """``project(include)`` with ``include`` (a mask of sign-constrained
    unpenalised columns to project off) grown by every excluded column that
    ``violated(result, others)`` flags (``x_j^T theta > 0`` beyond rounding),
    until none is: the dual point is then feasible."""
    while True:
        result = project(include)
        others = np.flatnonzero(~include)
        if others.size == 0:
            return result
        flagged = violated(result, others)
        if not flagged.any():
            return result
        include[others[flagged]] = True


class UnpenalisedProjection:
    """Project the residual off the unpenalised columns, for a feasible dual point.

    With ``U`` the unpenalised features, ``r' = r - X_U c`` with
    ``c = argmin ||r - X_U c||`` satisfies ``X_U^T r' = 0``; its quantities
    follow from the cached products ``X^T X_U`` (``O(n p |U|)`` once) and
    ``X_U^T y`` at ``O(p |U| + |U|^3)`` per check. Under ``positive=True`` an
    unpenalised feature off the support needs ``x_j^T r' <= 0`` only: it is
    projected off only when that fails beyond rounding, so that the dual
    point is feasible at every iterate and the gap reaches zero at the optimum.
    """

    def __init__(self, design, unpenalised, target_correlation):
        self.features = np.flatnonzero(unpenalised)
        self.cross = design.centred_cross(None, self.features)  # X_c^T X_c[:, U]
        self.target_dot = np.asarray(target_correlation)[self.features]  # X_c[:, U]^T y_c
        self.norms_sq = np.diag(self.cross[self.features]).copy()

    def project(self, correlation, residual_norm_sq, y_dot_residual, coef, positive):
        """``(X^T r', ||r'||^2, y^T r')``; ``correlation`` may be ``(p, T)``
        (multi-task: ``r`` a residual matrix, inner products Frobenius)."""
        include = np.ones(self.features.size, dtype=bool)
        if positive:
            include = coef[self.features] > 0
        return project_off_violators(
            include,
            lambda mask: self._project(mask, correlation, residual_norm_sq,
                                       y_dot_residual),
            lambda projected, others: projected[0][self.features[others]] > 1e-12 * np.sqrt(
                max(projected[1], 0.0) * self.norms_sq[others]))

    def _project(self, include, correlation, residual_norm_sq, y_dot_residual):
        columns = np.flatnonzero(include)
        if columns.size == 0:
            return correlation, residual_norm_sq, y_dot_residual
        gram = self.cross[self.features[columns]][:, columns]
        right = correlation[self.features[columns]]
        solution = np.linalg.lstsq(gram, right, rcond=None)[0]
        return (correlation - self.cross[:, columns] @ solution,
                residual_norm_sq - float(np.sum(right * solution)),
                y_dot_residual - float(np.sum(self.target_dot[columns] * solution)))

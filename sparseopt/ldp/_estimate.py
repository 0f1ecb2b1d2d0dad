r"""The server's estimate from private moments (Zhu et al., Algorithm 1 and its public variant).

From the averaged reports :math:`\bar\Sigma` (covariance, noisy and
mirrored from its upper triangle, or computed from public features) and
:math:`\bar b` (cross-moment):

1. eigenvalues of :math:`\bar\Sigma` floored at the spectral size of its
   noise, :math:`2\sqrt d\,\sigma_\Sigma/\sqrt n` (public, so the repair costs
   no privacy): the noisy matrix is indefinite when
   :math:`n` is small against :math:`d^4/\varepsilon^2`;
2. :math:`v = \bar\Sigma^{-1}\bar b`;
3. thresholding :math:`\hat\theta_j = S_{\lambda_j}(v_j)` (soft, the paper's
   :math:`\arg\min \|\theta\|_1` s.t. :math:`\|\theta - v\|_\infty \le \lambda`;
   firm, Gao & Bruce's 0 below :math:`\lambda_j`, identity above
   :math:`2\lambda_j`, linear in between, the default; or hard), with
   :math:`\lambda_j = c\,s_j` in units of the public standard deviation
   :math:`s_j` of :math:`v_j`'s privacy noise,
   :math:`s_j^2 = (\sigma_b^2 + \sigma_\Sigma^2 R^2)\,(\bar\Sigma^{-2})_{jj}/n`
   (first order in the noise, :math:`\|\theta\|_2 \le R`); :math:`c` is
   :math:`\sqrt{2\ln d}` (``"universal"``, the default), from SureShrink
   (``"sure"``: Stein's unbiased risk estimate, or the universal threshold
   for sparse vectors) or an absolute :math:`\lambda` (a float). With the
   first two, a :math:`v` whose energy :math:`\sum_j v_j^2/s_j^2` is within two standard
   deviations of pure noise gives :math:`\hat\theta = 0` (nothing is
   detectable);
4. optionally the ``n_nonzero`` largest entries only;
5. projection onto the known ball :math:`\|\theta\| \le R`.
"""

import numpy as np

from sparseopt.core.projections import project_l1_ball_kernel
from sparseopt.core.thresholds import hard_threshold_kernel
from sparseopt.ldp._statistics import repair_psd

__all__ = ["estimate_from_moments", "sure_level"]


def no_detectable_signal(v, noise_sd):
    r"""Whether :math:`\sum_j v_j^2/s_j^2` is within two standard deviations of
    its pure-noise law :math:`\chi^2_d` (mean :math:`d`, variance :math:`2d`)."""
    active = noise_sd > 0
    if not active.any():
        return False
    d = int(active.sum())
    energy = np.sum((v[active] / noise_sd[active]) ** 2)
    return bool(energy <= d + 2.0 * np.sqrt(2.0 * d))


def sure_level(v, noise_sd):
    r"""SureShrink's threshold multiplier (Donoho & Johnstone, JASA 1995).

    For :math:`v \sim \mathcal N(\theta, \mathrm{diag}(s^2))` and soft thresholds
    :math:`c s_j`: the universal :math:`c = \sqrt{2\ln d}` when the energy test
    finds :math:`v` sparse, :math:`\frac1d\sum_j (v_j^2/s_j^2 - 1) \le (\log_2 d)^{3/2}/\sqrt d`;
    otherwise the minimiser over :math:`[0, \sqrt{2\ln d}]` of Stein's unbiased
    risk estimate

    .. math:: \mathrm{SURE}(c) = \sum_j \min(|v_j|, c s_j)^2
              + 2\sum_j s_j^2\,\mathbb 1(|v_j| > c s_j) - \sum_j s_j^2 .
    """
    active = noise_sd > 0
    if not active.any():
        return 0.0
    d = int(active.sum())
    universal = np.sqrt(2.0 * np.log(max(d, 2)))
    ratios = np.abs(v[active]) / noise_sd[active]
    if np.mean(ratios**2 - 1.0) <= np.log2(max(d, 2)) ** 1.5 / np.sqrt(d):
        return float(universal)
    candidates = np.concatenate([[0.0], np.sort(ratios[ratios < universal]), [universal]])
    best, best_level = np.inf, 0.0
    for level in candidates:
        risk = (np.sum(np.minimum(np.abs(v), level * noise_sd) ** 2)
                + 2.0 * np.sum(noise_sd**2 * (np.abs(v) > level * noise_sd)))
        if risk < best:
            best, best_level = risk, level
    return float(best_level)


def estimate_from_moments(covariance, cross, n_users, *, covariance_noise_sd, cross_noise_sd,
                          threshold="firm", threshold_level="universal", n_nonzero=None,
                          coef_bound=1.0, coef_norm="l2", eigenvalue_floor=None):
    """Steps 1-5 of the module's docstring; returns ``(coef, info)``."""
    d = cross.shape[0]
    if eigenvalue_floor is None:
        eigenvalue_floor = 2.0 * np.sqrt(d) * covariance_noise_sd / np.sqrt(n_users)
    eigenvalues, eigenvectors = repair_psd(covariance, eigenvalue_floor)
    if not eigenvalues.min() > 0:
        raise ValueError("the covariance is singular (an eigenvalue is 0): the features do "
                         "not span every direction; use fewer features or more users.")
    v = eigenvectors @ ((eigenvectors.T @ cross) / eigenvalues)
    inverse_squared_diagonal = np.sum((eigenvectors / eigenvalues) ** 2, axis=1)
    radius = coef_bound if np.isfinite(coef_bound) else 0.0
    noise_sd = np.sqrt((cross_noise_sd**2 + (covariance_noise_sd * radius) ** 2)
                       * inverse_squared_diagonal / n_users)
    if isinstance(threshold_level, str) and no_detectable_signal(v, noise_sd):
        level = np.inf  # the estimate is indistinguishable from noise: return zero
    elif threshold_level == "sure":
        level = sure_level(v, noise_sd)
    elif threshold_level == "universal":
        level = np.sqrt(2.0 * np.log(max(d, 2)))
    else:
        level = None  # an absolute threshold
    thresholds = (np.where(noise_sd > 0, noise_sd * level, 0.0) if level is not None
                  else np.full(d, float(threshold_level)))
    magnitude = np.abs(v)
    if threshold == "soft":  # per-coordinate soft thresholds
        coef = np.sign(v) * np.maximum(magnitude - thresholds, 0.0)
    elif threshold == "firm":  # Gao & Bruce: 0 below t, linear up to 2t, identity above
        coef = np.where(magnitude > 2.0 * thresholds, v,
                        np.sign(v) * 2.0 * np.maximum(magnitude - thresholds, 0.0))
    else:
        coef = np.where(magnitude > thresholds, v, 0.0)
    if n_nonzero is not None and n_nonzero < d:
        coef = hard_threshold_kernel(coef, n_nonzero)
    coef = project_ball(coef, coef_bound, coef_norm)
    return coef, {"unthresholded": v, "thresholds": thresholds, "noise_sd": noise_sd,
                  "eigenvalue_floor": eigenvalue_floor,
                  "n_floored": int(np.sum(eigenvalues == eigenvalue_floor))}


def project_ball(coef, radius, norm):
    """Projection onto ``{||theta|| <= radius}`` (l2 or l1); identity for an infinite radius."""
    if not np.isfinite(radius):
        return coef
    if norm == "l1":
        return project_l1_ball_kernel(coef, radius)
    size = np.linalg.norm(coef)
    return coef * (radius / size) if size > radius else coef

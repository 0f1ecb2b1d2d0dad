r"""What a user computes before randomising, and the bounds that make it private.

A user holds one record :math:`(x, y)`. Before anything leaves the device it
is brought inside the declared bounds (the truncation of Zhu et al.,
Algorithm 1: :math:`\tilde x_j = \mathrm{sign}(x_j)\min(|x_j|, \tau_1)`,
:math:`\tilde y = \mathrm{sign}(y)\min(|y|, \tau_2)`; or, with
``x_norm="l2"``, :math:`\tilde x = x \min(1, \tau_1/\|x\|_2)`), then one of
the statistics below is formed and randomised:

=================  =======================================  =====================================
statistic          clean report                             replace-one l2 sensitivity
=================  =======================================  =====================================
``covariance``     upper triangle of :math:`\tilde x\tilde x^\top`  :math:`\tau_1^2\sqrt{d^2 + d/2}`
                   (row-major, :math:`d(d+1)/2` entries)    (l-inf), :math:`\sqrt 2\,\tau_1^2` (l2)
``cross``          :math:`\tilde x\,\tilde y`               :math:`2\sqrt d\,\tau_1\tau_2` (l-inf),
                                                            :math:`2\tau_1\tau_2` (l2)
``gradient``       :math:`g = \tilde x(\langle\tilde x,\theta\rangle - \tilde y)`  :math:`2C`
                   clipped to :math:`\|g\|_2 \le C`
``log_norm``       :math:`\log\|g\|_2` clipped to            :math:`\log(c_{hi}/c_{lo})`
                   :math:`[\log c_{lo}, \log c_{hi}]`
=================  =======================================  =====================================

Proof of the covariance bound. For :math:`D = xx^\top - x'x'^\top` the
upper triangle :math:`u(D)` has
:math:`\|u(D)\|_2^2 = (\|D\|_F^2 + \sum_i D_{ii}^2)/2`, with
:math:`\|D\|_F^2 = \|x\|^4 + \|x'\|^4 - 2(x^\top x')^2 \le 2\max\|x\|^4` and
:math:`\sum_i D_{ii}^2 = \sum_i (x_i^2 - x_i'^2)^2`, at most :math:`d\tau_1^4`
in the box and :math:`2\tau_1^4` in the l2 ball. In the box
:math:`\max\|x\|^4 = d^2\tau_1^4`; in the ball :math:`\tau_1^4`. The paper's
Frobenius bound :math:`2d\tau_1^2` is about twice the box value: it perturbs the
full matrix, this perturbs its upper triangle, as the paper's Algorithm 1
does. Both bounds are nearly attained (box: :math:`x = \tau_1 \mathbf 1`,
:math:`x' = \tau_1 s` with balanced signs :math:`s` gives :math:`d\tau_1^2`;
ball: :math:`x = \tau_1 e_1`, :math:`x' = \tau_1 e_2` attains it).
"""

from functools import lru_cache

import numpy as np
from scipy.linalg.blas import dsyrk

__all__ = [
    "STATISTICS",
    "apply_bounds",
    "block_sums",
    "clip_rows",
    "l1_sensitivity",
    "l2_sensitivity",
    "report_radius",
    "report_rows",
    "report_width",
    "repair_psd",
    "symmetric_from_upper",
    "upper_indices",
]

STATISTICS = ("covariance", "cross", "gradient", "log_norm")


def report_width(statistic, n_features):
    """Length of one clean report."""
    d = n_features
    return {"covariance": d * (d + 1) // 2, "cross": d, "gradient": d, "log_norm": 1}[statistic]


def l2_sensitivity(statistic, n_features, x_bound, y_bound, x_norm, clip=None, log_range=None):
    """Replace-one l2 sensitivity of a clean report (see the module's table)."""
    d = n_features
    if statistic == "covariance":
        return x_bound**2 * (np.sqrt(d * d + d / 2.0) if x_norm == "inf" else np.sqrt(2.0))
    if statistic == "cross":
        return 2.0 * x_bound * y_bound * (np.sqrt(d) if x_norm == "inf" else 1.0)
    if statistic == "gradient":
        return 2.0 * clip
    return float(log_range)


def l1_sensitivity(statistic, n_features, x_bound, y_bound, x_norm, clip=None, log_range=None):
    r"""Replace-one l1 sensitivity of a clean report (for the Laplace mechanism).

    Covariance: each off-diagonal entry moves by at most :math:`2\tau_1^2`
    and each diagonal one by :math:`\tau_1^2` in the box (:math:`d^2\tau_1^2`
    in all); in the l2 ball
    :math:`\sum_{i\le j}|x_ix_j| = (\|x\|_1^2 + \|x\|_2^2)/2 \le (d + 1)\tau_1^2/2`,
    twice that for a difference. Cross term: :math:`2d\tau_1\tau_2` (box) or
    :math:`2\sqrt d\tau_1\tau_2` (ball). Gradient clipped at :math:`C` in
    l2: :math:`2\sqrt d C`.
    """
    d = n_features
    if statistic == "covariance":
        return x_bound**2 * (d * d if x_norm == "inf" else d + 1.0)
    if statistic == "cross":
        return 2.0 * x_bound * y_bound * (d if x_norm == "inf" else np.sqrt(d))
    if statistic == "gradient":
        return 2.0 * np.sqrt(d) * clip
    return float(log_range)


def report_radius(statistic, n_features, x_bound, y_bound, x_norm, clip=None):
    """Largest l2 norm of a clean report (the radius of the l2-ball mechanism;
    the scalar log-norm goes through the Laplace mechanism instead)."""
    d = n_features
    if statistic == "covariance":
        return x_bound**2 * (np.sqrt((d * d + d) / 2.0) if x_norm == "inf" else 1.0)
    if statistic == "cross":
        return x_bound * y_bound * (np.sqrt(d) if x_norm == "inf" else 1.0)
    return float(clip)


def apply_bounds(X, y, x_bound, y_bound, x_norm, on_out_of_bounds):
    """Records brought inside the bounds: ``(X_tilde, y_tilde, n_clipped)``.

    Raises a ``ValueError`` naming the bound and the count when
    ``on_out_of_bounds="raise"`` and some record is outside. Never modifies
    its input.
    """
    if x_norm == "inf":
        x_outside = np.any(np.abs(X) > x_bound, axis=1)
    else:
        x_outside = np.linalg.norm(X, axis=1) > x_bound
    y_outside = np.abs(y) > y_bound
    n_x, n_y = int(x_outside.sum()), int(y_outside.sum())
    if on_out_of_bounds == "raise" and (n_x or n_y):
        parts = []
        if n_x:
            what = "|x_ij|" if x_norm == "inf" else "||x_i||_2"
            parts.append(f"{n_x} row(s) of X have {what} > x_bound={x_bound:g}")
        if n_y:
            parts.append(f"{n_y} value(s) of y have |y_i| > y_bound={y_bound:g}")
        raise ValueError("; ".join(parts) + ". Bounds are declared, never read off the private "
                         "data: raise them, or pass on_out_of_bounds='clip' to shrink such "
                         "records onto the bounds (the paper's truncation).")
    X_tilde = clip_rows(X, x_bound, x_norm)
    y_tilde = np.clip(y, -y_bound, y_bound)
    return X_tilde, y_tilde, int(np.sum(x_outside | y_outside))


def clip_rows(X, bound, norm):
    """Rows of ``X`` shrunk coordinatewise (``norm="inf"``) or in l2 norm (a new array)."""
    if norm == "inf":
        return np.clip(X, -bound, bound)
    norms = np.linalg.norm(X, axis=1)
    scale = np.minimum(1.0, bound / np.where(norms > 0, norms, 1.0))
    return X * scale[:, None]


def clipped_gradients(X_tilde, y_tilde, coef, clip):
    r"""Per-user least-squares gradients :math:`\tilde x(\langle\tilde x,\theta\rangle - \tilde y)`
    clipped to l2 norm ``clip``; also returns their norms before clipping."""
    gradients = X_tilde * (X_tilde @ coef - y_tilde)[:, None]
    norms = np.linalg.norm(gradients, axis=1)
    if np.isfinite(clip):
        gradients *= np.minimum(1.0, clip / np.where(norms > 0, norms, 1.0))[:, None]
    return gradients, norms


def report_rows(statistic, X_tilde, y_tilde, coef=None, clip=None, log_range=None):
    """One clean report per user (rows), for the per-user path and the devices."""
    if statistic == "covariance":
        rows, cols = upper_indices(X_tilde.shape[1])
        return X_tilde[:, rows] * X_tilde[:, cols]
    if statistic == "cross":
        return X_tilde * y_tilde[:, None]
    gradients, norms = clipped_gradients(X_tilde, y_tilde, coef, clip)
    if statistic == "gradient":
        return gradients
    low, high = log_range
    return np.log(np.clip(norms, np.exp(low), np.exp(high)))[:, None]


def block_sums(statistic, X_tilde, y_tilde, coef=None, clip=None, log_range=None):
    """The sum of the clean reports of a block of users (the simulation fast path).

    The covariance uses the BLAS rank-k update (``dsyrk``): the same rows
    give the same bits whatever the chunking around them.
    """
    if statistic == "covariance":
        d = X_tilde.shape[1]
        if X_tilde.shape[0] == 0:
            return np.zeros(d * (d + 1) // 2)
        gram = dsyrk(1.0, X_tilde, trans=1, lower=0)
        return gram[upper_indices(d)]
    return report_rows(statistic, X_tilde, y_tilde, coef, clip, log_range).sum(axis=0)


@lru_cache(maxsize=8)
def upper_indices(n_features):
    """Row-major upper-triangle indices (cached; read-only arrays)."""
    rows, cols = np.triu_indices(n_features)
    rows.flags.writeable = False
    cols.flags.writeable = False
    return rows, cols


def symmetric_from_upper(upper, n_features):
    """The symmetric matrix whose row-major upper triangle is ``upper`` (mirrored)."""
    matrix = np.zeros((n_features, n_features))
    matrix[upper_indices(n_features)] = upper
    return matrix + np.triu(matrix, 1).T


def repair_psd(matrix, floor):
    r"""Eigenvalues of a symmetric matrix floored at ``floor``: :math:`V\max(\Lambda, f)V^\top`.

    Returns the repaired matrix's eigen-decomposition ``(eigenvalues, eigenvectors)``.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return np.maximum(eigenvalues, floor), eigenvectors

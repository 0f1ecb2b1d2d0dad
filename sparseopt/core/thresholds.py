"""Proximal operators and thresholding rules.

Every public function validates its input and returns a new array; the
``*_kernel`` functions are the jitted versions, without validation, that
solvers call from numba code. ``soft_threshold_scalar`` is the scalar
operator used inside coordinate-descent loops.

All operators here are proximal maps ``prox_{t h}(x) = argmin_z 1/2 (z - x)^2
+ t h(z)`` applied entrywise (or groupwise), except ``hard_threshold`` which
is the Euclidean projection onto ``{z : ||z||_0 <= k}``.
"""

import numpy as np
from numba import njit

from sparseopt.core.selection import top_k_indices_kernel
from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = [
    "soft_threshold",
    "hard_threshold",
    "group_soft_threshold",
    "firm_threshold",
    "lq_threshold",
    "soft_threshold_scalar",
    "elastic_net_change_scalar",
    "soft_threshold_kernel",
    "hard_threshold_kernel",
    "group_soft_threshold_kernel",
    "firm_threshold_kernel",
    "lq_threshold_kernel",
]

# Codes of the supported exponents of ``lq_threshold``.
_LQ_CODES = {0.0: 0, 0.5: 1, 2.0 / 3.0: 2}


@njit(cache=True, nogil=True)
def soft_threshold_scalar(value, threshold):
    """Scalar soft threshold ``sign(v) max(|v| - t, 0)`` (jitted)."""
    if value > threshold:
        return value - threshold
    if value < -threshold:
        return value + threshold
    return 0.0 * value


@njit(cache=True, nogil=True)
def elastic_net_change_scalar(gradient, weight, delta, l1, l2):
    """First-order model change of one coordinate,
    ``g d + l1 (|w + d| - |w|) + l2/2 ((w + d)^2 - w^2)``.

    When the sign of ``w`` is kept the l1 term is linear, and the gradient
    terms are summed before multiplying by ``d``: near an optimum they cancel,
    and the naive sum is rounding noise (which stalled proximal Newton
    solvers at tight tolerances).
    """
    new = weight + delta
    if (weight > 0 and new >= 0) or (weight < 0 and new <= 0):
        return (gradient + l1 * np.sign(weight) + l2 * weight) * delta + 0.5 * l2 * delta * delta
    return gradient * delta + l1 * (abs(new) - abs(weight)) + 0.5 * l2 * delta * (weight + new)


@njit(cache=True, nogil=True)
def soft_threshold_kernel(x, threshold):
    """Entrywise soft threshold of a 1-D array (jitted, no validation)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = soft_threshold_scalar(x[i], threshold)
    return out


@njit(cache=True, nogil=True)
def hard_threshold_kernel(x, k):
    """Keep the ``k`` largest magnitudes of a 1-D array (jitted)."""
    out = np.zeros_like(x)
    for i in top_k_indices_kernel(np.abs(x), k):
        out[i] = x[i]
    return out


@njit(cache=True, nogil=True)
def group_soft_threshold_kernel(x, threshold, group_ptr):
    """Block soft threshold on contiguous groups ``x[group_ptr[g]:group_ptr[g+1]]``."""
    out = np.zeros_like(x)
    for g in range(group_ptr.shape[0] - 1):
        start, stop = group_ptr[g], group_ptr[g + 1]
        largest = 0.0
        for i in range(start, stop):
            largest = max(largest, abs(x[i]))
        if largest == 0.0:
            continue
        norm = 0.0  # scaled by the largest entry: no overflow at 1e300, no underflow at 1e-300
        for i in range(start, stop):
            norm += (x[i] / largest) ** 2
        norm = largest * np.sqrt(norm)
        if norm > threshold:
            scale = 1.0 - threshold / norm
            for i in range(start, stop):
                out[i] = scale * x[i]
    return out


@njit(cache=True, nogil=True)
def firm_threshold_kernel(x, threshold, upper):
    """Firm threshold (Gao & Bruce) of a 1-D array (jitted, ``upper > threshold``)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        magnitude = abs(x[i])
        if magnitude <= threshold:
            out[i] = 0.0
        elif magnitude <= upper:
            out[i] = np.sign(x[i]) * (magnitude - threshold) * (upper / (upper - threshold))
        else:
            out[i] = x[i]
    return out


@njit(cache=True, nogil=True)
def _lq_threshold_scalar(value, threshold, code):
    """Prox of ``t |z|^q`` at ``value``, computed at unit magnitude.

    ``prox_{t|.|^q}(v) = |v| prox_{t'|.|^q}(sign v)`` with ``t' = t |v|^(q-2)``,
    so the closed forms never see ``v^2`` or ``t^3`` (which overflow at 1e300
    or underflow at 1e-300).
    """
    magnitude = abs(value)
    if threshold == 0.0 or magnitude == 0.0:
        return value
    if code == 0:  # q = 0: hard threshold at sqrt(2 t)
        return value if magnitude > np.sqrt(2.0) * np.sqrt(threshold) else 0.0
    exponent = 1.5 if code == 1 else 4.0 / 3.0  # 2 - q
    scaled = (threshold ** (1.0 / exponent) / magnitude) ** exponent
    if scaled < 1e-20:  # the shrinkage q t' < 1e-20 is below rounding
        return value
    if code == 1:  # q = 1/2, closed form of Xu et al. (2012)
        if 1.0 <= 1.5 * scaled ** (2.0 / 3.0):
            return 0.0
        phi = np.arccos(0.25 * scaled * 3.0**1.5)
        unit = (2.0 / 3.0) * (1.0 + np.cos(2.0 * np.pi / 3.0 - 2.0 * phi / 3.0))
        return min(unit, 1.0) * value  # shrinks: rounding must not overshoot |value|
    # q = 2/3, closed form of Cao, Sun & Xu (2013) with their lambda = 2 t
    lam = 2.0 * scaled
    if 1.0 <= (2.0 / 3.0) * 3.0**0.25 * lam**0.75:
        return 0.0
    theta = np.arccosh(27.0 / (16.0 * lam**1.5))
    a = 2.0 / np.sqrt(3.0) * lam**0.25 * np.sqrt(np.cosh(theta / 3.0))
    root = 0.5 * (a + np.sqrt(2.0 / a - a * a))
    return min(root**3, 1.0) * value  # rounding gave root^3 > 1 at scaled = 1.25e-20


@njit(cache=True, nogil=True)
def lq_threshold_kernel(x, threshold, code):
    """Entrywise prox of ``t |z|^q`` for q coded 0 (q=0), 1 (1/2), 2 (2/3)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _lq_threshold_scalar(x[i], threshold, code)
    return out


def _apply_entrywise(kernel, x, *args):
    x = check_array_input(x, "x", allow_empty=True)
    flat = np.ascontiguousarray(x).ravel()
    return kernel(flat, *args).reshape(x.shape)


def soft_threshold(x, threshold):
    r"""Soft thresholding, the proximal operator of the l1 norm.

    .. math:: \operatorname{prox}_{t\|\cdot\|_1}(x)_i = \operatorname{sign}(x_i)
              \max(|x_i| - t, 0).

    Parameters
    ----------
    x : array-like
        Real input of any shape.
    threshold : float
        Threshold :math:`t \ge 0`.

    Returns
    -------
    out : ndarray
        Thresholded copy of ``x``, same shape.

    Examples
    --------
    >>> from sparseopt.core import soft_threshold
    >>> soft_threshold([-2.0, 0.5, 3.0], 1.0)
    array([-1.,  0.,  2.])
    """
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    return _apply_entrywise(soft_threshold_kernel, x, threshold)


def hard_threshold(x, k):
    r"""Keep the ``k`` entries of largest magnitude and zero the rest.

    This is the Euclidean projection onto :math:`\{z : \|z\|_0 \le k\}`. Ties
    in magnitude are broken towards the smaller (flattened) index.

    Parameters
    ----------
    x : array-like
        Real input of any shape.
    k : int
        Number of entries kept, ``0 <= k <= x.size``.

    Returns
    -------
    out : ndarray
        Copy of ``x`` with all but ``k`` entries set to zero.

    Examples
    --------
    >>> from sparseopt.core import hard_threshold
    >>> hard_threshold([-3.0, 1.0, 2.0], 2)
    array([-3.,  0.,  2.])
    """
    x = check_array_input(x, "x", allow_empty=True)
    k = check_integer(k, "k", lower=0, upper=x.size)
    return hard_threshold_kernel(np.ascontiguousarray(x).ravel(), k).reshape(x.shape)


def group_soft_threshold(x, threshold, group_ptr=None):
    r"""Group (block) soft thresholding, the prox of a sum of l2 norms.

    .. math:: \operatorname{prox}(x)_g = \max\left(1 - \frac{t}{\|x_g\|_2}, 0\right) x_g

    for each contiguous group :math:`g`.

    Parameters
    ----------
    x : array-like of shape (n,)
        Real input.
    threshold : float
        Threshold :math:`t \ge 0`.
    group_ptr : array-like of int, optional
        Group boundaries: group ``g`` is ``x[group_ptr[g]:group_ptr[g + 1]]``,
        with ``group_ptr[0] == 0``, ``group_ptr[-1] == n`` and non-decreasing
        entries. By default the whole vector is one group.

    Returns
    -------
    out : ndarray of shape (n,)
        Thresholded copy of ``x``.

    Examples
    --------
    >>> from sparseopt.core import group_soft_threshold
    >>> group_soft_threshold([3.0, 4.0, 0.1], 1.0, group_ptr=[0, 2, 3])
    array([2.4, 3.2, 0. ])
    """
    x = check_array_input(x, "x", ndim=1, allow_empty=True)
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    if group_ptr is None:
        group_ptr = np.array([0, x.shape[0]], dtype=np.int64)
    else:
        group_ptr = np.asarray(group_ptr)
        if group_ptr.ndim != 1 or group_ptr.dtype.kind not in "iu" or group_ptr.size < 2:
            raise ValueError("group_ptr must be a 1-D integer array with at least 2 entries.")
        if (
            group_ptr[0] != 0
            or group_ptr[-1] != x.shape[0]
            or np.any(np.diff(group_ptr) < 0)
        ):
            raise ValueError(
                "group_ptr must start at 0, end at len(x) and be non-decreasing."
            )
        group_ptr = group_ptr.astype(np.int64)
    return group_soft_threshold_kernel(x, threshold, group_ptr)


def firm_threshold(x, threshold, upper):
    r"""Firm thresholding (Gao & Bruce, 1997), the prox of the MCP penalty.

    .. math:: \operatorname{firm}(x) = \begin{cases} 0 & |x| \le t \\
              \operatorname{sign}(x) \frac{u (|x| - t)}{u - t} & t < |x| \le u \\
              x & |x| > u \end{cases}

    With ``upper = gamma * threshold`` it equals the proximal operator of the
    minimax concave penalty with parameter :math:`\gamma > 1`.

    Parameters
    ----------
    x : array-like
        Real input of any shape.
    threshold : float
        Lower threshold :math:`t \ge 0`.
    upper : float
        Upper threshold :math:`u > t` above which entries are kept unchanged.

    Returns
    -------
    out : ndarray
        Thresholded copy of ``x``.

    Examples
    --------
    >>> from sparseopt.core import firm_threshold
    >>> firm_threshold([0.5, 1.5, 3.0], 1.0, 2.0)
    array([0., 1., 3.])
    """
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    upper = check_scalar(upper, "upper", lower=threshold, lower_inclusive=False)
    return _apply_entrywise(firm_threshold_kernel, x, threshold, upper)


def lq_threshold(x, threshold, q):
    r"""Proximal operator of :math:`t |z|^q` for q in {0, 1/2, 2/3}.

    .. math:: \operatorname{prox}(x)_i = \operatorname*{argmin}_z
              \tfrac12 (z - x_i)^2 + t |z|^q

    computed in closed form: hard thresholding at :math:`\sqrt{2t}` for
    :math:`q = 0`, the half-thresholding formula of Xu et al. (2012) for
    :math:`q = 1/2` and the formula of Cao, Sun & Xu (2013) for
    :math:`q = 2/3`. At the threshold itself, where zero and the non-zero
    stationary point tie, zero is returned.

    Parameters
    ----------
    x : array-like
        Real input of any shape.
    threshold : float
        Weight :math:`t \ge 0` of the penalty.
    q : {0, 0.5, 2/3}
        Exponent of the penalty.

    Returns
    -------
    out : ndarray
        Thresholded copy of ``x``.

    References
    ----------
    .. [1] Z. Xu, X. Chang, F. Xu, H. Zhang. "L1/2 regularization: a
       thresholding representation theory and a fast solver", IEEE TNNLS 2012.
    .. [2] W. Cao, J. Sun, Z. Xu. "Fast image deconvolution using closed-form
       thresholding formulas of L_q (q = 1/2, 2/3) regularization", JVCIR 2013.

    Examples
    --------
    >>> from sparseopt.core import lq_threshold
    >>> lq_threshold([0.5, 3.0], 1.0, 0)
    array([0., 3.])
    """
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    q = check_scalar(q, "q")
    code = next((c for value, c in _LQ_CODES.items() if abs(q - value) < 1e-12), None)
    if code is None:
        raise ValueError(f"q must be one of 0, 1/2 or 2/3, got {q}.")
    return _apply_entrywise(lq_threshold_kernel, x, threshold, code)

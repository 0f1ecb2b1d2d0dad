"""Euclidean projections onto convex (and one non-convex) sets.

``project_simplex`` follows the sort-based algorithm of Held, Wolfe &
Crowder (1974) / Duchi et al. (2008); ``project_sparse_simplex`` is the exact
projection onto the k-sparse simplex of Kyrillidis et al. (2013): keep the k
largest entries, then project them onto the simplex.
"""

import numpy as np
from numba import njit

from sparseopt.core.selection import top_k_indices_kernel
from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = [
    "project_simplex",
    "project_l1_ball",
    "project_box",
    "project_sparse_simplex",
    "project_simplex_kernel",
    "project_l1_ball_kernel",
    "project_box_kernel",
    "project_sparse_simplex_kernel",
]


@njit(cache=True, nogil=True)
def project_simplex_kernel(x, radius):
    r"""Projection of a 1-D array onto ``{z >= 0, sum z = radius}`` (jitted).

    With the entries sorted decreasingly, :math:`s_1 \ge \dots \ge s_n`, the
    support is the largest :math:`j` whose *excess* :math:`e_j = \sum_{i \le j}
    (s_i - s_j)` is below ``radius``, and :math:`z_i = (x_i - s_j) + (r -
    e_j)/j` on it. The excess is accumulated from non-negative increments
    :math:`e_{j+1} = e_j + j (s_j - s_{j+1})` and the shift is never formed
    as :math:`(\sum_{i \le j} s_i - r)/j`, which cancels catastrophically
    for entries far larger than ``radius`` (``[1e16, 3e16]`` was returned
    unchanged): every rounding error is relative to ``radius``, whatever the
    magnitude of ``x`` (up to ``1e300``).
    """
    n = x.shape[0]
    out = np.zeros_like(x)
    if n == 0:
        return out
    sorted_desc = -np.sort(-x)
    size = 1
    excess = 0.0
    while size < n:
        gap = np.float64(sorted_desc[size - 1]) - np.float64(sorted_desc[size])
        following = excess + size * gap
        if following >= radius:
            break
        excess = following
        size += 1
    pivot = np.float64(sorted_desc[size - 1])
    share = (radius - excess) / size
    for i in range(n):
        if x[i] >= pivot:
            out[i] = (np.float64(x[i]) - pivot) + share
    return out


@njit(cache=True, nogil=True)
def project_l1_ball_kernel(x, radius):
    """Projection of a 1-D array onto ``{z : ||z||_1 <= radius}`` (jitted)."""
    magnitudes = np.abs(x)
    if np.sum(magnitudes) <= radius:
        return x.copy()
    projected = project_simplex_kernel(magnitudes, radius)
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        if projected[i] > 0:
            out[i] = np.sign(x[i]) * projected[i]
    return out


@njit(cache=True, nogil=True)
def project_box_kernel(x, lower, upper):
    """Entrywise clip of a 1-D array into ``[lower_i, upper_i]`` (jitted)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = min(max(x[i], lower[i]), upper[i])
    return out


@njit(cache=True, nogil=True)
def project_sparse_simplex_kernel(x, k, radius):
    """Projection onto ``{z >= 0, sum z = radius, ||z||_0 <= k}`` (jitted)."""
    support = top_k_indices_kernel(x, k)
    out = np.zeros_like(x)
    projected = project_simplex_kernel(x[support], radius)
    for position in range(k):
        out[support[position]] = projected[position]
    return out


def _check_vector_and_radius(x, radius):
    x = check_array_input(x, "x", ndim=1)
    radius = check_scalar(radius, "radius", lower=0.0, lower_inclusive=False,
                          upper=float(np.finfo(x.dtype).max))
    return x, radius


def project_simplex(x, radius=1.0):
    r"""Euclidean projection onto the simplex.

    .. math:: \operatorname*{argmin}_{z \ge 0,\ \sum_i z_i = r} \|z - x\|_2^2

    Sort-based, :math:`O(n \log n)`. Exact to rounding whatever the
    magnitudes: the result sums to ``radius`` up to a few units of round-off
    of ``radius``, for entries anywhere in :math:`[-10^{300}, 10^{300}]`.

    Parameters
    ----------
    x : array-like of shape (n,)
        Point to project.
    radius : float, default=1.0
        Sum :math:`r > 0` of the simplex.

    Returns
    -------
    z : ndarray of shape (n,)
        The projection.

    Examples
    --------
    >>> from sparseopt.core import project_simplex
    >>> project_simplex([0.5, 0.5, 1.0])
    array([0.16666667, 0.16666667, 0.66666667])
    """
    x, radius = _check_vector_and_radius(x, radius)
    return project_simplex_kernel(x, radius)


def project_l1_ball(x, radius=1.0):
    r"""Euclidean projection onto the l1 ball :math:`\{z : \|z\|_1 \le r\}`.

    Parameters
    ----------
    x : array-like of shape (n,)
        Point to project.
    radius : float, default=1.0
        Radius :math:`r > 0`.

    Returns
    -------
    z : ndarray of shape (n,)
        The projection (a copy of ``x`` if it lies in the ball).

    Examples
    --------
    >>> from sparseopt.core import project_l1_ball
    >>> project_l1_ball([1.0, -0.5])
    array([ 0.75, -0.25])
    """
    x, radius = _check_vector_and_radius(x, radius)
    return project_l1_ball_kernel(x, radius)


def project_box(x, lower, upper):
    r"""Euclidean projection onto the box :math:`\{z : l \le z \le u\}`.

    Parameters
    ----------
    x : array-like
        Point to project, any shape.
    lower, upper : float or array-like
        Bounds, broadcastable to ``x``; ``lower <= upper`` everywhere. Use
        ``-np.inf`` / ``np.inf`` for an unbounded side.

    Returns
    -------
    z : ndarray
        The projection, same shape as ``x``.

    Examples
    --------
    >>> from sparseopt.core import project_box
    >>> project_box([-2.0, 0.5, 3.0], 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    x = check_array_input(x, "x", allow_empty=True)
    lower, upper = (_check_bound(bound, name, x) for name, bound in
                    (("lower", lower), ("upper", upper)))
    if np.any(lower > upper):
        raise ValueError("lower must be <= upper everywhere.")
    if x.dtype != np.float64:
        lower, upper = _round_bounds_inward(lower, upper, x.dtype)
    flat = np.ascontiguousarray(x).ravel()
    return project_box_kernel(flat, lower, upper).reshape(x.shape)


def project_sparse_simplex(x, k, radius=1.0):
    r"""Euclidean projection onto the k-sparse simplex.

    .. math:: \operatorname*{argmin}_{z \ge 0,\ \sum_i z_i = r,\ \|z\|_0 \le k}
              \|z - x\|_2^2

    Exact (Kyrillidis et al., 2013): the k largest entries of ``x`` are kept
    (ties towards the smaller index) and projected onto the simplex.
    :math:`O(n \log k + k \log k)`.

    Parameters
    ----------
    x : array-like of shape (n,)
        Point to project.
    k : int
        Maximum number of non-zeros, ``1 <= k <= n``.
    radius : float, default=1.0
        Sum :math:`r > 0` of the simplex.

    Returns
    -------
    z : ndarray of shape (n,)
        The projection, with at most ``k`` non-zeros.

    References
    ----------
    .. [1] A. Kyrillidis, S. Becker, V. Cevher, C. Koch. "Sparse projections
       onto the simplex", ICML 2013.

    Examples
    --------
    >>> from sparseopt.core import project_sparse_simplex
    >>> project_sparse_simplex([0.1, 0.8, 0.5], 1)
    array([0., 1., 0.])
    """
    x, radius = _check_vector_and_radius(x, radius)
    k = check_integer(k, "k", lower=1, upper=x.shape[0])
    return project_sparse_simplex_kernel(x, k, radius)


def _check_bound(bound, name, x):
    """A real bound, broadcast to ``x`` and flattened (float64)."""
    array = np.asarray(bound)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}.")
    array = array.astype(np.float64)
    if np.isnan(array).any():
        raise ValueError(f"{name} must not contain NaN.")
    try:
        array = np.broadcast_to(array, x.shape)
    except ValueError as exc:
        raise ValueError(
            f"{name} of shape {array.shape} does not broadcast to x of shape {x.shape}."
        ) from exc
    return np.ascontiguousarray(array).ravel()


def _round_bounds_inward(lower, upper, dtype):
    """The bounds in the dtype of ``x``, rounded into the box so that the
    clipped values stay on it; a bound beyond the dtype's range is an error."""
    info = np.finfo(dtype)
    rounded = []
    for name, bound, inward in (("lower", lower, np.inf), ("upper", upper, -np.inf)):
        finite = np.isfinite(bound)
        if np.any(np.abs(bound[finite]) > info.max):
            raise ValueError(
                f"{name} exceeds the range of x's dtype {dtype} (max {info.max:.3e}); "
                "pass x as float64.")
        cast = bound.astype(dtype)
        outside = (cast < bound) if inward > 0 else (cast > bound)
        cast[outside] = np.nextafter(cast[outside], dtype.type(inward))
        rounded.append(cast)
    if np.any(rounded[0] > rounded[1]):
        raise ValueError(
            f"no {dtype} number lies between lower and upper at some entry; "
            "pass x as float64.")
    return rounded

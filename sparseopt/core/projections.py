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
    """Projection of a 1-D array onto ``{z >= 0, sum z = radius}`` (jitted)."""
    n = x.shape[0]
    sorted_desc = -np.sort(-x)
    cumulative = 0.0
    shift = 0.0
    for j in range(n):
        cumulative += sorted_desc[j]
        candidate = (cumulative - radius) / (j + 1)
        if sorted_desc[j] - candidate > 0:
            shift = candidate
    out = np.empty_like(x)
    for i in range(n):
        out[i] = max(x[i] - shift, 0.0)
    return out


@njit(cache=True, nogil=True)
def project_l1_ball_kernel(x, radius):
    """Projection of a 1-D array onto ``{z : ||z||_1 <= radius}`` (jitted)."""
    if np.sum(np.abs(x)) <= radius:
        return x.copy()
    return np.sign(x) * project_simplex_kernel(np.abs(x), radius)


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
    radius = check_scalar(radius, "radius", lower=0.0, lower_inclusive=False)
    return x, radius


def project_simplex(x, radius=1.0):
    r"""Euclidean projection onto the simplex.

    .. math:: \operatorname*{argmin}_{z \ge 0,\ \sum_i z_i = r} \|z - x\|_2^2

    Sort-based, :math:`O(n \log n)`.

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
    bounds = []
    for name, bound in (("lower", lower), ("upper", upper)):
        bound = np.asarray(bound, dtype=np.float64)
        if np.isnan(bound).any():
            raise ValueError(f"{name} must not contain NaN.")
        try:
            bound = np.broadcast_to(bound, x.shape)
        except ValueError as exc:
            raise ValueError(
                f"{name} of shape {bound.shape} does not broadcast to x of shape {x.shape}."
            ) from exc
        bounds.append(np.ascontiguousarray(bound).ravel())
    if np.any(bounds[0] > bounds[1]):
        raise ValueError("lower must be <= upper everywhere.")
    flat = np.ascontiguousarray(x).ravel()
    return project_box_kernel(flat, bounds[0], bounds[1]).reshape(x.shape)


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

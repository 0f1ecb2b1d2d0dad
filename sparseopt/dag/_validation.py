"""Checks of the DAG estimators' inputs: edge lists and masks, data scale."""

import warnings

import numpy as np

__all__ = ["edge_mask", "column_scales", "centre_columns", "scaled_covariance", "check_covariance",
           "warn_few_samples"]


def _is_pair_list(edges):
    return (isinstance(edges, (list, tuple)) and len(edges) > 0
            and all(isinstance(edge, tuple) for edge in edges))


def _pairs_to_mask(array, d, name):
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} as (i, j) pairs must hold integers, got dtype {array.dtype}.")
    if array.min() < 0 or array.max() >= d:
        raise ValueError(f"{name} has node indices out of range [0, {d}): "
                         f"{array[(array < 0).any(axis=1) | (array >= d).any(axis=1)].tolist()}.")
    mask = np.zeros((d, d), dtype=bool)
    mask[array[:, 0], array[:, 1]] = True
    return mask


def edge_mask(edges, d, name):
    """A boolean ``(d, d)`` mask from a mask or from ``(i, j)`` pairs.

    Masks are boolean arrays, or numeric 0/1 arrays of shape ``(d, d)``;
    pairs are a list (or tuple) of tuples, or an ``(m, 2)`` integer array.
    A non-boolean ``(2, 2)`` array could be either (for ``d = 2``), so it
    is refused.
    """
    if edges is None:
        return np.zeros((d, d), dtype=bool)
    if _is_pair_list(edges):
        if any(len(edge) != 2 for edge in edges):
            raise ValueError(f"{name}: every (i, j) pair must have two entries, got {edges!r}.")
        return _pairs_to_mask(np.array(edges), d, name)
    array = np.asarray(edges)
    if array.size == 0:
        return np.zeros((d, d), dtype=bool)
    if array.dtype == bool:
        if array.shape != (d, d):
            raise ValueError(f"{name} as a boolean mask must have shape ({d}, {d}), got "
                             f"{array.shape}.")
        return array.copy()
    if array.ndim != 2 or array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a ({d}, {d}) boolean mask, a list of (i, j) tuples or "
                         f"an (m, 2) integer array of pairs; got an array of shape {array.shape} "
                         f"and dtype {array.dtype}.")
    square, pairs = array.shape == (d, d), array.shape[1] == 2
    if square and pairs:
        raise ValueError(f"{name} is a (2, 2) {array.dtype} array, which could be a 0/1 mask or "
                         "two (i, j) pairs: pass a boolean mask (np.array(..., dtype=bool)) or a "
                         "list of (i, j) tuples.")
    if square:
        if not np.all((array == 0) | (array == 1)):
            raise ValueError(f"{name} as a ({d}, {d}) mask must hold 0/1 or booleans.")
        return array != 0
    if pairs:
        return _pairs_to_mask(array, d, name)
    raise ValueError(f"{name} must be a ({d}, {d}) mask or (i, j) pairs (shape (m, 2)), got "
                     f"shape {array.shape}.")


def column_scales(X):
    """Standard deviations of the columns of centred ``X``, without overflow
    or underflow for entries from 1e-300 to 1e300 (each column is divided by
    its largest magnitude before squaring)."""
    largest = np.abs(X).max(axis=0)
    safe = np.where(largest > 0, largest, 1.0)
    with np.errstate(over="ignore"):
        return largest * np.sqrt(np.mean((X / safe) ** 2, axis=0))


def centre_columns(X):
    """``(X - mean, column scales)``, rejecting constant columns (a node
    without variation cannot be scored) and data whose differences overflow
    float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        spread = X.max(axis=0) - X.min(axis=0)
        centred = X - X.mean(axis=0)
    if not (np.all(np.isfinite(spread)) and np.all(np.isfinite(centred))):
        raise ValueError("X has entries whose differences overflow float64 (magnitudes near "
                         f"{np.abs(X).max():.1e}): rescale X.")
    constant = np.flatnonzero(spread <= 1e-12 * np.abs(X).max(axis=0))
    if constant.size:
        raise ValueError(f"X has constant column(s) {constant.tolist()}: a node without "
                         "variation cannot be scored (drop it).")
    return centred, column_scales(centred)


def scaled_covariance(centred, units):
    """``(data, data^T data / n)`` with ``data = centred / units``; overflow
    shows as infinity (see :func:`check_covariance`), without warnings."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        data = centred / units
        return data, data.T @ data / data.shape[0]


def check_covariance(C, scales, advice):
    """A clear error when ``X^T X / n`` (of the data as scored) over- or
    underflows float64; ``scales`` are the column scales of X, ``advice``
    says what to do."""
    if not np.all(np.isfinite(C)):
        raise ValueError(
            "X^T X / n overflows float64: the columns of X have standard deviations from "
            f"{scales.min():.1e} to {scales.max():.1e}. {advice}")
    tiny = np.flatnonzero(np.diag(C) < 1e3 * np.finfo(np.float64).tiny)
    if tiny.size:
        raise ValueError(
            f"X^T X / n underflows float64: column(s) {tiny.tolist()[:10]} of X have standard "
            f"deviations down to {scales[tiny].min():.1e} (the largest is {scales.max():.1e}), "
            f"whose squares lose all precision. {advice}")


def warn_few_samples(n, d, estimator):
    """Warn when ``n <= d``: the sample covariance is singular."""
    if n <= d:
        warnings.warn(
            f"{estimator}: X has n_samples={n} <= n_nodes={d}, so its sample covariance is "
            "singular: every node can be fitted exactly from the others, the score cannot tell "
            "graphs apart and the fit is slow and returns a dense, unreliable graph. Use more "
            "samples than nodes, or restrict the search (forbidden_edges, a larger lambda1).",
            UserWarning, stacklevel=4)

"""Checks of the GP family: errors name the argument and say what was expected."""

import numpy as np

from sparseopt.utils.validation import check_array_input

__all__ = ["check_grid", "check_means_scales"]


def check_means_scales(means, scales, *, one_dimensional=False):
    """``(means (A, P), scales (A, P))`` as float64, or a clear error.

    ``means`` is ``(A,)`` for a one-dimensional kernel, else ``(A, P)``;
    ``scales`` may be a scalar, a row shared by every atom, or one per atom.
    """
    means = check_array_input(means, "means", ndim=1 if one_dimensional else 2,
                              dtype=np.float64)
    if one_dimensional:
        means = means[:, None]
    if np.any(means < 0):
        raise ValueError("means must be non-negative frequencies (the kernel is even in "
                         f"each frequency), got a minimum of {means.min():.3g}.")
    n_atoms, n_dims = means.shape
    scales = check_array_input(scales, "scales", ndim=(0, 1, 2), dtype=np.float64)
    if scales.ndim == 1 and one_dimensional:
        scales = scales[:, None]
    try:
        scales = np.broadcast_to(scales, (n_atoms, n_dims)).copy()
    except ValueError:
        expected = f"({n_atoms},)" if one_dimensional else f"({n_dims},) or ({n_atoms}, {n_dims})"
        raise ValueError(f"scales must be a scalar or of shape {expected} to match means, got "
                         f"shape {np.shape(scales)}.") from None
    if np.any(scales < 0):
        raise ValueError(f"scales must be non-negative (spectral standard deviations), got a "
                         f"minimum of {scales.min():.3g}.")
    return means, scales


def check_grid(weights, means, scales, *, one_dimensional=False):
    """``(weights (A,), means (A, P), scales (A, P))`` as float64, or a clear error."""
    weights = check_array_input(weights, "weights", ndim=1, dtype=np.float64)
    if np.any(weights < 0):
        raise ValueError(f"weights must be non-negative, got a minimum of {weights.min():.3g}.")
    means, scales = check_means_scales(means, scales, one_dimensional=one_dimensional)
    if weights.shape[0] != means.shape[0]:
        raise ValueError(f"weights has {weights.shape[0]} entries but means has "
                         f"{means.shape[0]} atoms (rows); they must match.")
    return weights, means, scales

"""Checks of the LDP family; every error names the argument."""

import numbers

import numpy as np

from sparseopt.utils.validation import check_array_input, check_consistent_length, check_scalar

__all__ = ["check_bounds", "check_privacy", "check_record_arrays"]


def check_privacy(epsilon, delta):
    """``epsilon > 0`` (``np.inf`` allowed: no noise) and ``delta`` in (0, 1)."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}.")
    if not float(epsilon) > 0:  # NaN fails too
        raise ValueError(f"epsilon must be > 0 (np.inf means no noise), got {epsilon}.")
    delta = check_scalar(delta, "delta", lower=0.0, upper=1.0, lower_inclusive=False,
                         upper_inclusive=False)
    return float(epsilon), delta


def check_bounds(x_bound, y_bound, x_norm):
    """Declared bounds: finite and positive, never computed from the private data."""
    for name, value in (("x_bound", x_bound), ("y_bound", y_bound)):
        if value is None:
            raise ValueError(
                f"{name} must be declared: local DP needs a public bound on every record (a "
                "bound computed from the private data would leak it). Give the range you know "
                "the data lies in, e.g. from the data's documentation or units.")
    x_bound = check_scalar(x_bound, "x_bound", lower=0.0, lower_inclusive=False)
    y_bound = check_scalar(y_bound, "y_bound", lower=0.0, lower_inclusive=False)
    if x_norm not in ("inf", "l2"):
        raise ValueError(f"x_norm must be 'inf' or 'l2', got {x_norm!r}.")
    return x_bound, y_bound, x_norm


def check_record_arrays(X, y, n_features):
    """Records as float64 arrays ``(n_users, n_features)`` and ``(n_users,)``."""
    X = check_array_input(X, "X", ndim=2, dtype=np.float64, allow_empty=True)
    y = check_array_input(y, "y", ndim=1, dtype=np.float64, allow_empty=True)
    check_consistent_length(X=X, y=y)
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, the randomiser was set up for "
                         f"n_features={n_features}.")
    return X, y

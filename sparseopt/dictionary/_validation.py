"""Checks shared by the dictionary-learning estimators and functions."""

import numpy as np
import scipy.sparse as sp

from sparseopt.solvers.sparse_coding.encode import METHODS
from sparseopt.utils.validation import check_array, check_integer, check_scalar

__all__ = ["check_dictionary", "check_signals", "check_coding_options", "SKLEARN_ALIASES"]

# scikit-learn's names of the algorithms solving the same problem.
SKLEARN_ALIASES = {"lasso_cd": "lasso", "lasso_lars": "lasso"}
_Q_VALUES = (0.0, 0.5, 2.0 / 3.0)


def check_signals(X, name="X"):
    """Dense finite float64/float32 2-D signals (one per row)."""
    if sp.issparse(X):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix; code dense "
                        "signals (X.toarray()).")
    return check_array(X, dtype=[np.float64, np.float32], input_name=name)


def check_dictionary(dictionary, n_features=None, name="dictionary"):
    """A dense finite 2-D dictionary whose rows are the atoms.

    Errors name the argument: no atom, a feature dimension different from
    the signals', NaN or infinity.
    """
    if sp.issparse(dictionary):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix.")
    dictionary = np.asarray(dictionary) if not hasattr(dictionary, "shape") else dictionary
    if getattr(dictionary, "ndim", 2) == 2 and dictionary.shape[0] == 0:
        raise ValueError(f"{name} has no atom (shape {dictionary.shape}); it needs at least "
                         "one row.")
    dictionary = check_array(dictionary, dtype=np.float64, input_name=name)
    if n_features is not None and dictionary.shape[1] != n_features:
        raise ValueError(
            f"{name} has atoms of {dictionary.shape[1]} features but the signals have "
            f"{n_features}: the rows of {name} must live in the signals' space "
            f"(shape (n_atoms, {n_features})).")
    return dictionary


def check_coding_options(method, alpha, n_nonzero_coefs, q, tol, max_iter, n_features,
                         prefix=""):
    """Resolve and check the options of a coder; returns ``(method, options)``.

    ``alpha`` is the penalty weight of lasso, lq and cel0 (default 1) and,
    as in scikit-learn's ``omp``, the targeted squared residual of the greedy
    coders (overriding ``n_nonzero_coefs``); ``n_nonzero_coefs`` defaults to
    ``max(n_features // 10, 1)``.
    """
    if not isinstance(method, str) or SKLEARN_ALIASES.get(method, method) not in METHODS:
        raise ValueError(f"{prefix}algorithm must be one of {METHODS} (or scikit-learn's "
                         f"{tuple(SKLEARN_ALIASES)}), got {method!r}.")
    method = SKLEARN_ALIASES.get(method, method)
    options = {"tol": check_scalar(tol, f"{prefix}tol", lower=0.0),
               "max_iter": check_integer(max_iter, f"{prefix}max_iter", lower=1)}
    if method in ("lasso", "lq", "cel0"):
        options["alpha"] = 1.0 if alpha is None else check_scalar(alpha, f"{prefix}alpha",
                                                                  lower=0.0)
    else:
        options["target"] = -1.0 if alpha is None else check_scalar(
            alpha, f"{prefix}alpha", lower=0.0)
        default = max(n_features // 10, 1)
        options["n_nonzero_coefs"] = default if n_nonzero_coefs is None else check_integer(
            n_nonzero_coefs, f"{prefix}n_nonzero_coefs", lower=1)
    q = check_scalar(q, f"{prefix}q")
    match = [value for value in _Q_VALUES if abs(q - value) < 1e-12]
    if not match:
        raise ValueError(f"{prefix}q must be one of 0, 1/2 or 2/3, got {q}.")
    if method == "lq":
        options["q"] = match[0]
    return method, options

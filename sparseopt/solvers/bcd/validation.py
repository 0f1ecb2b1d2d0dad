"""Checks of the public pieces of the BCD engine: data fits, penalty, options.

Each raises a ``ValueError`` or ``TypeError`` naming the argument; none
modifies its input.
"""

import numpy as np
import scipy.sparse as sp

from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["check_matrix", "check_glm_datafit", "check_quadratic_datafit", "check_penalty",
           "check_engine_numbers"]


def check_matrix(matrix, name, *, square=False):
    """A finite, real, non-empty 2-D array or sparse matrix (sparse is kept sparse)."""
    if sp.issparse(matrix):
        if matrix.ndim != 2:
            raise ValueError(f"{name} must be a 2-D matrix, got shape {matrix.shape}.")
        if matrix.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be real-valued, got dtype {matrix.dtype}.")
        if 0 in matrix.shape:
            raise ValueError(f"{name} must not be empty, got shape {matrix.shape}.")
        if not np.isfinite(matrix.data).all():
            raise ValueError(f"{name} must not contain NaN or infinity.")
    else:
        matrix = check_array_input(matrix, name, ndim=2)
    if square and matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be square, got shape {matrix.shape}.")
    return matrix


def _check_vector(vector, name, size, what):
    vector = check_array_input(vector, name, ndim=1)
    if vector.shape[0] != size:
        raise ValueError(f"{name} must have {size} entries ({what}), got {vector.shape[0]}.")
    return vector


def check_glm_datafit(X, target, loss, scale, n_outputs, losses):
    """Validated ``(X, target, scale, n_outputs)`` of a :class:`GLMDatafit`."""
    if loss not in losses:
        raise ValueError(f"loss must be one of {sorted(losses)}, got {loss!r}.")
    X = check_matrix(X, "X")
    target = _check_vector(target, "target", X.shape[0], "the rows of X")
    scale = check_scalar(scale, "scale", lower=0.0, lower_inclusive=False)
    n_outputs = check_integer(n_outputs, "n_outputs", lower=1)
    if loss == "logistic" and not np.isin(target, (-1.0, 1.0)).all():
        raise ValueError("target must hold labels in {-1, 1} for the logistic loss.")
    if loss == "multinomial" and not (np.isin(target, np.arange(n_outputs)).all()):
        raise ValueError(f"target must hold class indices 0..{n_outputs - 1} (n_outputs - 1) "
                         "for the multinomial loss.")
    return X, target, scale, n_outputs


def check_quadratic_datafit(A, b):
    """Validated ``(A, b)`` of a :class:`QuadraticDatafit`."""
    A = check_matrix(A, "A", square=True)
    return A, _check_vector(b, "b", A.shape[0], "the size of A")


def check_penalty(l1, l2, weights):
    """Validated ``(l1, l2, weights)`` of an :class:`ElasticNetPenalty`."""
    l1 = check_scalar(l1, "l1", lower=0.0)
    l2 = check_scalar(l2, "l2", lower=0.0)
    weights = check_array_input(weights, "weights", ndim=1)
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative (0 leaves a coordinate unpenalised).")
    return l1, l2, weights


def check_engine_numbers(n_coords, coef_init, max_iter, tol, check_every, record_every,
                         max_epochs):
    """Validated ``coef_init`` (or None) and iteration counts of ``bcd_minimize``."""
    check_integer(max_iter, "max_iter", lower=0)
    check_scalar(tol, "tol", lower=0.0)
    for name, value in (("check_every", check_every), ("record_every", record_every),
                        ("max_epochs", max_epochs)):
        if value is not None:
            check_integer(value, name, lower=1)
    if coef_init is not None:
        coef_init = _check_vector(coef_init, "coef_init", n_coords, "one per coordinate")
    return coef_init

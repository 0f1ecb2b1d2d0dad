"""Validation of sparse Bayesian learning inputs: errors name the argument."""

import numbers

import numpy as np

from sparseopt.core import KroneckerOperator
from sparseopt.utils.validation import check_array_input, check_scalar

__all__ = ["is_factor_list", "check_kronecker_problem", "check_per_factor",
           "check_pattern_coupling", "check_blocks"]


def is_factor_list(A):
    """Whether ``A`` is a list of factor matrices (or a :class:`KroneckerOperator`)
    rather than one design matrix (a list of rows)."""
    if isinstance(A, KroneckerOperator):
        return True
    return (isinstance(A, list | tuple) and len(A) > 0
            and all(np.ndim(factor) == 2 for factor in A))


def check_kronecker_problem(A, y):
    """Validated ``(factors, y)``: finite 2-D factors (real or complex) and a
    1-D ``y`` with as many entries as the Kronecker product has rows."""
    if isinstance(A, KroneckerOperator):
        factors = A.factors
    else:
        factors = [check_array_input(factor, f"A[{i}]", ndim=2, allow_complex=True,
                                     dtype=None) for i, factor in enumerate(A)]
    factors = [f.astype(np.complex128 if f.dtype.kind == "c" else np.float64, copy=False)
               for f in factors]
    y = check_array_input(y, "y", ndim=(1, 2), allow_complex=True)
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(f"y must be a vector (one column); got shape {y.shape}.")
        y = y[:, 0]
    y = y.astype(np.complex128 if y.dtype.kind == "c" else np.float64, copy=False)
    rows = [f.shape[0] for f in factors]
    if int(np.prod(rows)) != y.shape[0]:
        shapes = " kron ".join(f"{m}x{n}" for m, n in (f.shape for f in factors))
        raise ValueError(
            f"y has {y.shape[0]} entries but the Kronecker dictionary A = {shapes} has "
            f"{' * '.join(map(str, rows))} = {int(np.prod(rows))} rows; the factors of A must "
            f"be given in np.kron order (first factor's index slowest).")
    return factors, y


def check_per_factor(value, name, n_factors, *, lower=0.0, upper=1.0):
    """A float or one float per factor, each in the open interval (lower, upper)."""
    values = list(value) if isinstance(value, list | tuple | np.ndarray) else [value] * n_factors
    if len(values) != n_factors:
        raise ValueError(f"{name} must be a float or a sequence of {n_factors} floats (one per "
                         f"factor of A), got {len(values)} values.")
    return [check_scalar(v, f"{name}[{i}]" if len(values) > 1 else name, lower=lower,
                         upper=upper, lower_inclusive=False, upper_inclusive=False)
            for i, v in enumerate(values)]


def check_pattern_coupling(value, n_factors):
    """None, a float in [0, 1] for every factor, or one float-or-None per factor."""
    if value is None:
        return [None] * n_factors
    values = list(value) if isinstance(value, list | tuple) else [value] * n_factors
    if len(values) != n_factors:
        raise ValueError(f"pattern_coupling must be None, a float or a sequence of {n_factors} "
                         f"entries (float or None, one per factor of A), got {len(values)}.")
    return [None if v is None else check_scalar(v, f"pattern_coupling[{i}]", lower=0.0,
                                                upper=1.0)
            for i, v in enumerate(values)]


def check_blocks(blocks, block_size, n_features):
    """The partition of the features into blocks, as a list of index arrays.

    ``blocks`` (one label per feature; a block keeps the features' order) wins
    over ``block_size`` (contiguous blocks, the last one possibly shorter).
    """
    if blocks is None:
        return [np.arange(start, min(start + block_size, n_features))
                for start in range(0, n_features, block_size)]
    labels = np.asarray(blocks)
    if labels.ndim != 1 or labels.shape[0] != n_features:
        raise ValueError(f"blocks must hold one label per feature ({n_features}), got shape "
                         f"{labels.shape}.")
    if not all(isinstance(v, numbers.Integral | str | np.integer | np.str_) for v in labels):
        raise TypeError("blocks must hold integer or string labels.")
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)  # blocks in order of first appearance
    return [np.flatnonzero(inverse == label) for label in order]

"""Validation of optimal-transport inputs (POT's argument order: a, b, M, reg)."""

import numpy as np

from sparseopt.utils.validation import check_array_input, check_scalar

__all__ = ["check_ot_problem"]


def _marginal(weights, name, size, side):
    if weights is None or (np.ndim(weights) == 1 and len(weights) == 0):
        return np.full(size, 1.0 / size)
    weights = check_array_input(weights, name, ndim=1, dtype=np.float64)
    if weights.shape[0] != size:
        raise ValueError(f"{name} has {weights.shape[0]} entries but M has {size} {side}.")
    if np.any(weights < 0):
        raise ValueError(f"{name} must be non-negative; its smallest entry is {weights.min():.3g}.")
    total = weights.sum()
    if abs(total - 1.0) > 1e-8:
        raise ValueError(f"{name} must sum to 1 (a probability vector); it sums to {total:.12g}, "
                         f"off by {total - 1.0:.3g}.")
    return weights


def _positive(weights, name, side, solver):
    zeros = np.flatnonzero(weights == 0)
    if zeros.size:
        raise ValueError(f"{name} has zero entries at {zeros[:10].tolist()}"
                         f"{' ...' if zeros.size > 10 else ''}: {solver} needs positive weights; "
                         f"drop those {side} of M (they carry no mass).")


def check_ot_problem(a, b, M, reg=None, positive=None):
    """Validated ``(a, b, M, reg)``: float64 marginals summing to one, a finite
    Fortran-ordered cost matrix, ``reg > 0``. ``a`` or ``b`` ``None`` (or
    empty) means uniform. With ``positive`` (the solver's name, or a pair of
    names for ``a`` and ``b``, ``None`` for no check), zero weights are
    rejected."""
    M = check_array_input(M, "M", ndim=2, dtype=np.float64, order="F")
    m, n = M.shape
    a = _marginal(a, "a", m, "rows")
    b = _marginal(b, "b", n, "columns")
    names = positive if isinstance(positive, tuple) else (positive, positive)
    if names[0] is not None:
        _positive(a, "a", "rows", names[0])
    if names[1] is not None:
        _positive(b, "b", "columns", names[1])
    if reg is not None:
        reg = check_scalar(reg, "reg", lower=0.0, lower_inclusive=False)
    return a, b, M, reg


def marginal_error(plan, a, b):
    """``||T 1 - a||_1 + ||T^T 1 - b||_1`` for a dense or sparse plan."""
    rows = np.asarray(plan.sum(axis=1)).ravel()
    columns = np.asarray(plan.sum(axis=0)).ravel()
    return float(np.abs(rows - a).sum() + np.abs(columns - b).sum())

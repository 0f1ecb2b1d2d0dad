"""Validation of optimal-transport inputs (POT's argument order: a, b, M, reg)."""

import numpy as np
import scipy.sparse as sp

from sparseopt.utils.validation import check_array_input, check_scalar

__all__ = ["center_potentials", "check_ot_problem", "check_tol", "marginal_error", "plan_cost",
           "finite_range", "shifted_cost"]


def _sum_tolerance(dtype):
    """How far from one the weights of a dtype may sum: 16 machine epsilons
    (float32 weights that sum to one in float32 are off by ~1e-8 in float64),
    at least 1e-8."""
    return max(1e-8, 16 * np.finfo(dtype).eps) if dtype.kind == "f" else 1e-8


def _marginal(weights, name, size, side, histograms=False):
    """Validated float64 weights (a private copy) divided by their sum."""
    if weights is None or (np.ndim(weights) == 1 and len(weights) == 0):
        return np.full(size, 1.0 / size)
    original = check_array_input(weights, name, ndim=(1, 2) if histograms else 1)
    if original.shape[0] != size:
        raise ValueError(f"{name} has {original.shape[0]} entries but M has {size} {side}.")
    weights = np.array(original, dtype=np.float64)
    if np.any(weights < 0):
        raise ValueError(f"{name} must be non-negative; its smallest entry is {weights.min():.3g}.")
    totals = np.atleast_1d(weights.sum(axis=0))
    worst = totals[np.argmax(np.abs(totals - 1.0))]
    if abs(worst - 1.0) > _sum_tolerance(original.dtype):
        what = "every column of " + name if weights.ndim == 2 else name
        tolerance = _sum_tolerance(original.dtype)
        raise ValueError(f"{what} must sum to 1 (a probability vector); it sums to {worst:.12g}, "
                         f"off by {worst - 1.0:.3g} (tolerance {tolerance:.1e} for "
                         f"{original.dtype}).")
    return weights / totals if weights.ndim == 2 else weights / totals[0]


def _positive(weights, name, side, solver):
    zeros = np.flatnonzero(np.any(weights.reshape(weights.shape[0], -1) == 0, axis=1))
    if zeros.size:
        raise ValueError(f"{name} has zero entries at {zeros[:10].tolist()}"
                         f"{' ...' if zeros.size > 10 else ''}: {solver} needs positive weights; "
                         f"drop those {side} of M (they carry no mass).")


def check_ot_problem(a, b, M, reg=None, positive=None, histograms=False):
    """Validated ``(a, b, M, reg)``: private float64 marginals divided by their
    sums (which must be one to the precision of their dtype), a finite,
    writable, Fortran-ordered float64 cost matrix, ``reg > 0``. ``a`` or ``b``
    ``None`` (or empty) means uniform; with ``histograms``, ``b`` may hold
    several target histograms as columns. With ``positive`` (the solver's
    name, or a pair of names for ``a`` and ``b``, ``None`` for no check),
    zero weights are rejected."""
    M = check_array_input(M, "M", ndim=2, dtype=np.float64, order="F")
    if not M.flags.writeable:  # one compiled kernel for every input
        M = M.copy(order="F")
    m, n = M.shape
    a = _marginal(a, "a", m, "rows")
    b = _marginal(b, "b", n, "columns", histograms=histograms)
    names = positive if isinstance(positive, tuple) else (positive, positive)
    if names[0] is not None:
        _positive(a, "a", "rows", names[0])
    if names[1] is not None:
        _positive(b, "b", "columns", names[1])
    if reg is not None:
        reg = check_scalar(reg, "reg", lower=0.0, lower_inclusive=False)
    return a, b, M, reg


def check_tol(tol):
    """``tol >= 0`` (``0`` runs to the iteration cap, as POT's ``stopThr=0``)."""
    return check_scalar(tol, "tol", lower=0.0)


def shifted_cost(M):
    """``(M - c, c)`` with ``c`` the smallest cost: the solvers work on costs
    starting at zero, so a constant offset of ``M`` (the plan does not
    depend on it) costs no precision in ``alpha_i + beta_j - M_ij``."""
    offset = float(M.min())  # finite: +inf only marks forbidden pairs
    return (M - offset if offset != 0.0 else M), offset


def finite_range(M):
    """``max - min`` over the finite costs (``+inf`` marks forbidden pairs)."""
    finite = M[np.isfinite(M)]
    return float(finite.max() - finite.min()) if finite.size else 0.0


def center_potentials(alpha, beta, a, b, offset=0.0):
    """Potentials of the cost ``M' + offset`` from those of ``M'``, in the
    gauge ``a^T alpha = b^T beta`` (both carry half of the dual value; the
    plan and the value do not depend on the gauge)."""
    shift = 0.5 * (b @ beta - a @ alpha)
    return alpha + 0.5 * offset + shift, beta + 0.5 * offset - shift


def marginal_error(plan, a, b):
    """``||T 1 - a||_1 + ||T^T 1 - b||_1`` for a dense or sparse plan."""
    rows = np.asarray(plan.sum(axis=1)).ravel()
    columns = np.asarray(plan.sum(axis=0)).ravel()
    return float(np.abs(rows - a).sum() + np.abs(columns - b).sum())


def plan_cost(plan, M):
    """``<T, M>`` for a dense or sparse plan."""
    return float(plan.multiply(M).sum()) if sp.issparse(plan) else float(np.sum(plan * M))

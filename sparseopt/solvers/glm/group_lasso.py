r"""Working-set block coordinate descent for the (sparse-)group Lasso.

Solves, for a partition of the features into groups :math:`g` with weights
:math:`\omega_g \ge 0` (0 with :math:`\rho = 0`: an unpenalised group),

.. math:: \min_w F(w) + \lambda\rho\|w\|_1 + \lambda(1 - \rho)\sum_g
          \omega_g\|w_g\|_2

with the least-squares data fit :math:`F = \frac{1}{2n}\|y_c - X_c w\|^2`
(weighted and centred as in :mod:`sparseopt.solvers.glm.designs`) or the
logistic one :math:`F = \sum_i c_i \log(1 + e^{-y_i (x_i^\top w + b)})`.
Groups are the blocks of block coordinate descent (Nutini, Laradji &
Schmidt): each update is the exact prox-gradient step with the block's
Lipschitz constant (:mod:`sparseopt.solvers.glm.group_kernels`). The outer
loop computes the duality gap (the dual point is the rescaled residual or
loss derivative; its scaling solves, per group, for the largest ``c`` with
``||S_{n lambda rho}(c X_g^T r)|| <= n lambda (1 - rho) omega_g``), screens
groups by the Gap Safe sphere test (least squares; Ndiaye et al., 2016) and
grows a working set of groups ranked by their violation. ``max_iter`` counts
epochs over the working set.
"""

import math
import warnings

import numpy as np
from numba import njit
from scipy.special import entr, expit
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.glm.classification_gap import (
    balanced_correlation_bound,
    intercept_class_factors,
)
from sparseopt.solvers.glm.designs import (
    LeastSquaresDesign,
    centred_dense_columns,
    check_finite_scale,
    column_norms,
    kernel_design,
    normalise_sample_weight,
)
from sparseopt.solvers.glm.enet_gap import UnpenalisedProjection
from sparseopt.solvers.glm.enet_kernels import ANDERSON_MEMORY
from sparseopt.solvers.glm.group_kernels import (
    dual_scale_group,
    group_epochs_least_squares,
    group_epochs_logistic,
)
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size
from sparseopt.utils.progress import IterationPrinter

__all__ = ["solve_group_lasso", "group_layout", "check_groups", "group_lasso_dual_gap"]

_INNER_TOL_RATIO = 0.3
_WORKING_SET_START = 10  # groups
_WORK_PER_CALL = 2e7
_SCREENING_MARGIN = 1e-9


def check_groups(groups, n_features):
    """A partition of ``range(n_features)`` as a list of index arrays.

    ``groups`` is an int (contiguous groups of that size, the last one
    possibly smaller) or a list of lists of feature indices; errors name the
    missing, repeated or out-of-range features.
    """
    if isinstance(groups, int | np.integer) and not isinstance(groups, bool):
        if groups < 1:
            raise ValueError(f"groups (a group size) must be >= 1, got {groups}.")
        return [np.arange(start, min(start + groups, n_features))
                for start in range(0, n_features, int(groups))]
    try:
        parts = [np.asarray(group) for group in groups]
    except TypeError as exc:
        raise TypeError("groups must be an int (group size) or a list of lists of feature "
                        f"indices, got {type(groups).__name__}.") from exc
    if not parts:
        raise ValueError("groups must contain at least one group.")
    for index, part in enumerate(parts):
        if part.ndim != 1 or part.size == 0 or part.dtype.kind not in "iu":
            raise ValueError(f"groups[{index}] must be a non-empty list of integer feature "
                             f"indices, got {part.tolist()!r}.")
    flat = np.concatenate(parts)
    outside = flat[(flat < 0) | (flat >= n_features)]
    if outside.size:
        raise ValueError(f"groups contains feature indices outside [0, {n_features}): "
                         f"{np.unique(outside)[:10].tolist()}.")
    counts = np.bincount(flat, minlength=n_features)
    if np.any(counts > 1):
        raise ValueError("groups must be a partition: features in more than one group: "
                         f"{np.flatnonzero(counts > 1)[:10].tolist()}.")
    if np.any(counts == 0):
        raise ValueError("groups must be a partition of all features: missing "
                         f"{np.flatnonzero(counts == 0)[:10].tolist()}.")
    return [part.astype(np.int64) for part in parts]


def group_layout(groups):
    """``(order, group_ptr)``: features sorted by group, and the group pointers."""
    order = np.concatenate(groups).astype(np.int64)
    group_ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    group_ptr[1:] = np.cumsum([len(g) for g in groups])
    return order, group_ptr


@njit(cache=True, nogil=True)
def _group_scores(correlation, order, group_ptr, l1, group_l1, coef):
    """Per group: the dual scale bound (``c`` for feasibility) and the KKT
    violation (distance of the correlation to the subdifferential)."""
    n_groups = group_ptr.shape[0] - 1
    scales = np.empty(n_groups)
    violations = np.empty(n_groups)
    for g in range(n_groups):
        columns = order[group_ptr[g]:group_ptr[g + 1]]
        values = correlation[columns]
        scales[g] = dual_scale_group(values, l1, group_l1[g])
        norm = 0.0
        for j in columns:
            norm += coef[j] * coef[j]
        if norm == 0.0:  # distance of v to the ball-plus-box set: ||S_l1(v)|| - group
            thresholded = 0.0
            for value in values:
                part = max(abs(value) - l1, 0.0)
                thresholded += part * part
            violations[g] = max(np.sqrt(thresholded) - group_l1[g], 0.0)
        else:
            norm = np.sqrt(norm)
            total = 0.0
            for t in range(columns.shape[0]):
                w = coef[columns[t]]
                sub = group_l1[g] * w / norm
                if w > 0:
                    sub += l1
                elif w < 0:
                    sub -= l1
                else:
                    sub = values[t] - max(min(values[t], l1), -l1)  # zero entries: box
                    total += sub * sub
                    continue
                total += (values[t] - sub) ** 2
            violations[g] = np.sqrt(total)
    return scales, violations


class _GroupProblem:
    """Data, groups, penalties and the loss-specific pieces of one fit."""

    def __init__(self, X, y, loss, alpha, l1_ratio, groups, group_weights, fit_intercept,
                 sample_weight):
        self.loss = loss
        self.n_samples, self.n_features = X.shape
        self.groups = groups
        self.order, self.group_ptr = group_layout(groups)
        self.n_groups = len(groups)
        self.fit_intercept = fit_intercept
        self.l1 = alpha * l1_ratio
        self.group_l1 = alpha * (1.0 - l1_ratio) * group_weights
        n = self.n_samples
        sample_weight = normalise_sample_weight(sample_weight, n)
        # groups of zero weight without an l1 term are unpenalised: their dual
        # constraint X_g^T theta = 0 is met by projection (least squares) or
        # replaced by a gradient criterion (logistic)
        self.unpenalised = (self.group_l1 == 0) & (self.l1 == 0) & self.group_l1.any()
        self.projection = None
        self.means = None  # (logistic: the column means of a centred dense X)
        if loss == "least_squares":
            # float32 X solved on a float64 copy: in float32 the implicitly
            # centred updates diverged on columns of mean 1e3 (objective 1e12,
            # an independent review) and a zero-weight group gave NaN
            X = X.astype(np.float64) if X.dtype == np.float32 else X
            self.design = LeastSquaresDesign(X, fit_intercept, sample_weight)
            self.target, self.y_mean = self.design.target(y)
            self.y_norm_sq = float(self.target @ self.target)
            check_finite_scale(self.y_norm_sq, "y", "the squared norm of y")
            self.arrays = self.design.kernel_arrays()
            self.lipschitz = self._lipschitz(self.design.centred_cross, 1.0)
            if self.unpenalised.any():
                features = np.zeros(self.n_features, dtype=bool)
                features[np.concatenate([groups[g] for g in np.flatnonzero(self.unpenalised)])] \
                    = True
                self.projection = UnpenalisedProjection(
                    self.design, features, self.design.centred_rmatvec(self.target, 0.0))
        else:
            self.target = np.asarray(y, dtype=np.float64)
            self.sample_scale = (np.full(n, 1.0 / n) if sample_weight is None
                                 else sample_weight / n)
            scale = self.sample_scale
            # dense columns of large mean solved centred (the group steps' Lipschitz
            # constants then those of the centred columns; see centred_dense_columns)
            X, self.means = (centred_dense_columns(X, scale) if fit_intercept
                             else (X, None))
            self.matrix, self.arrays = kernel_design(X)
            self.column_norms = column_norms(self.matrix)  # (the intercept's certificate)

            def weighted_cross(rows, columns):
                left = self.matrix[:, rows]
                product = left.T @ (self.matrix[:, columns].multiply(scale[:, None])
                                    if hasattr(self.matrix, "multiply")
                                    else self.matrix[:, columns] * scale[:, None])
                return np.asarray(product.toarray() if hasattr(product, "toarray")
                                  else product)

            self.lipschitz = self._lipschitz(weighted_cross, 0.25)

    def _lipschitz(self, cross, factor):
        """``factor * lambda_max`` of each group's (weighted, centred) Gram matrix."""
        values = np.empty(self.n_groups)
        for g, columns in enumerate(self.groups):
            gram = cross(columns, columns)
            values[g] = factor * float(np.linalg.eigvalsh(gram)[-1]) if columns.size > 1 \
                else factor * float(gram[0, 0])
        check_finite_scale(values, "X", "a group's Lipschitz constant")
        return np.maximum(values, 0.0)


def solve_group_lasso(X, y, alpha, l1_ratio, groups, group_weights, *, loss="least_squares",
                      fit_intercept=True, tol=1e-4, max_iter=1000, coef_init=None,
                      intercept_init=0.0, sample_weight=None, screening=True, verbose=0,
                      printer=None, warn=True):
    """Sparse-group Lasso on validated input; ``groups`` a checked partition.

    Stops when the duality gap is at most ``tol * P(0)`` and, for the
    logistic loss, the intercept's gradient is at most ``tol`` times the
    largest gradient entry at the start. Returns ``(coef, intercept, info)``.
    ``printer`` (a callable like :class:`~sparseopt.utils.IterationPrinter`,
    called at every outer iteration) replaces the one ``verbose`` builds, e.g.
    one printer for the solves of a path; ``warn=False`` leaves the
    ConvergenceWarning to the caller (who reads ``info["converged"]``).
    """
    problem = _GroupProblem(X, y, loss, alpha, l1_ratio, groups,
                            np.asarray(group_weights, dtype=np.float64), fit_intercept,
                            sample_weight)
    state = _GroupState(problem, coef_init, intercept_init)
    force = printer is None
    printer = printer or IterationPrinter(f"group_bcd_{loss}", verbose)
    history = ConvergenceHistory("relative_duality_gap")
    screened = np.zeros(problem.n_groups, dtype=bool)
    epochs, n_outer = 0.0, 0
    # no penalty: no dual bound for the logistic loss, a first-order criterion
    first_order = loss == "logistic" and problem.l1 == 0 and not problem.group_l1.any()
    gradient_scale = state.gradient_scale_at_zero() if loss == "logistic" else None
    while True:
        objective, gap, intercept_gradient, violations, dual_info = state.check()
        violations[screened] = 0.0
        if first_order:
            gap = np.nan
            criterion = max(float(violations.max(initial=0.0)), intercept_gradient) \
                / gradient_scale
        else:
            criterion = gap / max(state.objective_at_zero, np.finfo(float).tiny)
            if intercept_gradient is not None:
                criterion = max(criterion, intercept_gradient / gradient_scale)
        history.append(epochs, objective, criterion)
        converged = criterion <= tol
        printer(n_outer, objective=objective, criterion=criterion,
                force=force and (converged or epochs >= max_iter), epochs=epochs)
        if converged or epochs >= max_iter:
            break
        if screening and loss == "least_squares" and problem.l1 + problem.group_l1.max() > 0:
            newly = state.screen(*dual_info) & ~screened
            if newly.any():
                screened |= newly
                violations[newly] = 0.0
                state.zero_groups(np.flatnonzero(newly))
        support = state.group_support()
        working_set = select_working_set(violations, support, working_set_size(
            int(support.sum()), problem.n_groups, _WORKING_SET_START)).astype(np.int64)
        if working_set.size == 0 and (loss == "least_squares" or not fit_intercept):
            converged = converged or criterion <= tol
            break  # (the least-squares intercept is implicit: nothing left to move)
        # (the logistic intercept's gradient counts: with no group violating, an
        # inner tolerance of 0 ran every epoch on the intercept alone, never
        # re-checking the groups)
        worst = max(float(violations.max(initial=0.0)), intercept_gradient or 0.0)
        tol_in = _INNER_TOL_RATIO * worst
        epochs += state.inner(working_set, tol_in, max(1, math.ceil(max_iter - epochs)))
        n_outer += 1
    if warn and not converged:
        warnings.warn(f"group Lasso solver did not converge in max_iter={max_iter} epochs: "
                      f"relative criterion {criterion:.3e} > tol = {tol:.3e}. Increase "
                      "max_iter or tol.", ConvergenceWarning, stacklevel=3)
    info = {"n_iter": math.ceil(epochs - 1e-9), "dual_gap": float(gap), "converged": converged,
            "history": history, "n_screened": int(screened.sum()),
            "kkt_violation": float(violations.max(initial=0.0))}
    return state.coef.copy(), state.intercept(), info


class _GroupState:
    """Iterate, its residual (least squares) or predictor (logistic), and checks."""

    def __init__(self, problem, coef_init, intercept_init):
        self.problem = problem
        p = problem.n_features
        self.coef = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
        self.intercept_box = np.array([float(intercept_init) if problem.fit_intercept else 0.0])
        if problem.means is not None:  # the intercept of the centred columns
            self.intercept_box[0] += float(problem.means @ self.coef)
        if problem.loss == "least_squares":
            self.objective_at_zero = 0.5 * problem.y_norm_sq / problem.n_samples
            self.residual = np.empty(problem.n_samples, dtype=problem.design.dtype)
            self.shift_box = np.zeros(1)
        else:
            self.objective_at_zero = np.log(2.0)
            self.z = np.empty(problem.n_samples)
            self.deriv = np.empty(problem.n_samples)

    def _refresh(self):
        problem = self.problem
        if problem.loss == "least_squares":
            support = np.flatnonzero(self.coef)
            # the checks' statistics in float64 (the kernels' residual is
            # float32 for float32 X: its rounding faked a zero gap)
            self.exact_residual = problem.target - problem.design.matvec_subset(
                support, self.coef[support])
            self.residual[:] = self.exact_residual
            self.shift_box[0] = float(problem.design.offsets @ self.coef)
            return problem.design.centred_rmatvec(self.exact_residual, self.shift_box[0])
        self.z[:] = np.asarray(problem.matrix @ self.coef).ravel() + self.intercept_box[0]
        self.deriv[:] = -problem.target * problem.sample_scale * expit(-problem.target * self.z)
        return -np.asarray(problem.matrix.T @ self.deriv).ravel()

    def check(self):
        """``(objective, gap, intercept gradient (logistic), group violations, screening
        data)``."""
        problem = self.problem
        correlation = self._refresh()
        n = problem.n_samples
        scaled = correlation if problem.loss == "logistic" else correlation / n
        scales, violations = _group_scores(scaled, problem.order, problem.group_ptr, problem.l1,
                                           problem.group_l1, self.coef)
        scales[problem.unpenalised] = np.inf
        factor = min(1.0, float(scales.min(initial=np.inf)))
        penalty = problem.l1 * np.abs(self.coef).sum() + float(
            problem.group_l1 @ self.group_norms())
        if problem.loss == "least_squares":
            residual = self.exact_residual
            residual_norm_sq = float(residual @ residual) - n * self.shift_box[0] ** 2
            y_dot_residual = float(problem.target @ residual)
            objective = residual_norm_sq / (2 * n) + penalty
            if problem.projection is not None:  # the dual point off the unpenalised groups
                projected, residual_norm_sq, y_dot_residual = problem.projection.project(
                    correlation, residual_norm_sq, y_dot_residual, self.coef, False)
                scaled = projected / n
                scales = _group_scores(scaled, problem.order, problem.group_ptr, problem.l1,
                                       problem.group_l1, self.coef)[0]
                scales[problem.unpenalised] = np.inf
                factor = min(1.0, float(scales.min(initial=np.inf)))
            dual = (2 * factor * y_dot_residual - factor**2 * residual_norm_sq) / (2 * n)
            gap = max(objective - dual, 0.0)
            if problem.l1 == 0 and not problem.group_l1.any():
                gap = float(correlation @ correlation) / n  # no dual bound: sklearn's measure
            return objective, gap, None, violations, (scaled, factor, objective - dual)
        margins = problem.target * self.z
        objective = float(problem.sample_scale @ np.logaddexp(0.0, -margins)) + penalty
        probability = factor * expit(-margins)
        if problem.fit_intercept:  # the dual point balanced over the classes: sum_i u_i = 0
            factors = intercept_class_factors(self.deriv, problem.target)
            if np.any(factors < 1.0):
                bound = balanced_correlation_bound(correlation, self.deriv, problem.target,
                                                   factors, problem.column_norms)
                scales = _group_scores(bound, problem.order, problem.group_ptr, problem.l1,
                                       problem.group_l1, self.coef)[0]
                scales[problem.unpenalised] = np.inf
                factor = min(1.0, float(scales.min(initial=np.inf)))
                probability = factor * np.where(problem.target > 0, factors[1],
                                                factors[0]) * expit(-margins)
        dual = float(problem.sample_scale @ (entr(probability) + entr(1.0 - probability)))
        # the unpenalised gradients (intercept, unpenalised groups): the gap
        # does not certify them
        intercept_gradient = abs(float(self.deriv.sum())) if problem.fit_intercept else 0.0
        intercept_gradient = max(intercept_gradient,
                                 float(violations[problem.unpenalised].max(initial=0.0)))
        return objective, max(objective - dual, 0.0), intercept_gradient, violations, None

    def gradient_scale_at_zero(self):
        """The largest data-fit gradient entry (intercept included) at zero, the
        scale of the logistic gradient criteria (also on a warm start)."""
        problem = self.problem
        deriv = -0.5 * problem.target * problem.sample_scale
        scale = float(np.max(np.abs(problem.matrix.T @ deriv), initial=0.0))
        if problem.fit_intercept:
            scale = max(scale, abs(float(deriv.sum())))
        return max(scale, np.finfo(float).tiny)

    def screen(self, scaled, factor, gap):
        """Gap Safe sphere test per group: ``||S_l1(X_g^T theta)|| + r ||X_g||_2 <
        group_l1`` with ``theta`` the rescaled residual (objective units)."""
        problem = self.problem
        radius = np.sqrt(2.0 * max(gap, 0.0) / problem.n_samples)
        values = np.maximum(np.abs(factor * scaled[problem.order]) - problem.l1, 0.0)
        norms = np.sqrt(np.add.reduceat(values**2, problem.group_ptr[:-1]))
        bound = norms + radius * np.sqrt(problem.lipschitz) \
            + _SCREENING_MARGIN * problem.group_l1
        return (problem.group_l1 > 0) & (bound < problem.group_l1)

    def group_norms(self):
        problem = self.problem
        return np.sqrt(np.add.reduceat(self.coef[problem.order] ** 2, problem.group_ptr[:-1]))

    def zero_groups(self, groups):
        for g in groups:
            self.coef[self.problem.groups[g]] = 0.0

    def group_support(self):
        return self.group_norms() > 0

    def intercept(self):
        problem = self.problem
        if not problem.fit_intercept:
            return 0.0
        if problem.loss == "least_squares":
            return problem.y_mean - float(problem.design.offsets @ self.coef)
        if problem.means is not None:
            return float(self.intercept_box[0] - problem.means @ self.coef)
        return float(self.intercept_box[0])

    def inner(self, working_set, tol_in, budget):
        problem = self.problem
        report = np.zeros(2)
        n = problem.n_samples
        size = int(np.sum(np.diff(problem.group_ptr)[working_set]))
        per_call = max(1, int(_WORK_PER_CALL // max(size * n, 1)))
        epochs = 0
        if problem.loss == "least_squares":
            features = np.concatenate([problem.groups[g] for g in working_set]
                                      + [np.empty(0, dtype=np.int64)])
            memory = ANDERSON_MEMORY + 1
            buffers = (np.empty((memory, features.size)), np.empty((memory, n)),
                       np.empty(memory), np.zeros(1, dtype=np.int64))
        while epochs < budget:
            calls = min(per_call, budget - epochs)
            if problem.loss == "least_squares":
                epochs += group_epochs_least_squares(
                    *problem.arrays, problem.order, problem.group_ptr, problem.lipschitz,
                    self.coef, self.residual, self.shift_box, working_set, n * problem.l1,
                    n * problem.group_l1, n * tol_in, calls, features, *buffers, report)
            else:
                epochs += group_epochs_logistic(
                    *problem.arrays, problem.order, problem.group_ptr, problem.lipschitz,
                    self.coef, self.intercept_box, problem.fit_intercept, problem.target,
                    problem.sample_scale, self.z, self.deriv, working_set, problem.l1,
                    problem.group_l1, tol_in, calls, report)
            if report[0]:
                break
        return epochs



def group_lasso_dual_gap(X, y, coef, alpha, l1_ratio, groups, weights):
    r"""Objective and duality gap of the (sparse-)group Lasso without intercept.

    :math:`P(w) = \frac{1}{2n}\|y - Xw\|^2 + \alpha\rho\|w\|_1 + \alpha(1-\rho)
    \sum_g\omega_g\|w_g\|_2`, with the dual point the residual rescaled into
    the dual feasible set (per group, the largest scale ``c`` with
    :math:`\|S_{\alpha\rho}(c X_g^\top r / n)\|_2 \le \alpha(1-\rho)\omega_g`).
    One formula for every solver (the benchmarks use it).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design.
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        Coefficients.
    alpha, l1_ratio : float
        Penalty strength and mixing.
    groups : list of arrays
        The partition (see :func:`check_groups`).
    weights : ndarray of shape (n_groups,)
        Group weights.

    Returns
    -------
    objective, gap : float
        :math:`P(w)` and the gap (objective units).
    """
    n = X.shape[0]
    coef = np.asarray(coef, dtype=np.float64)
    residual = np.asarray(y, dtype=np.float64) - np.asarray(X @ coef).ravel()
    correlation = np.asarray(X.T @ residual).ravel() / n
    order, group_ptr = group_layout(groups)
    group_l1 = alpha * (1.0 - l1_ratio) * np.asarray(weights, dtype=np.float64)
    scales, _ = _group_scores(correlation, order, group_ptr, alpha * l1_ratio, group_l1, coef)
    factor = min(1.0, float(scales.min(initial=np.inf)))
    norms = np.sqrt(np.add.reduceat(coef[order] ** 2, group_ptr[:-1]))
    objective = residual @ residual / (2 * n) + alpha * l1_ratio * np.abs(coef).sum() + float(
        group_l1 @ norms)
    dual = (2 * factor * (y @ residual) - factor**2 * (residual @ residual)) / (2 * n)
    return float(objective), float(max(objective - dual, 0.0))

"""Working-set proximal Newton for l1 / elastic-net logistic regression.

Solves

    min_{w, b}  sum_i c_i log(1 + exp(-y_i (x_i^T w + b)))
                + sum_j omega_j (l1 |w_j| + l2/2 w_j^2)

with labels ``y_i`` in {-1, 1}, sample weights ``c_i = s_i / n`` (``s``
summing to ``n``; ``c_i = 1/n`` without weights) and per-feature penalty
factors ``omega`` (0 leaves a feature unpenalised). The outer loop (Python)
computes the full gradient, a Fenchel duality gap
(:mod:`sparseopt.solvers.glm.classification_gap`) and the KKT violations,
and picks a working set (the support plus the most violating features); the
inner loop (numba, :mod:`sparseopt.solvers.glm.logistic_kernels`) runs
proximal Newton on the working set. This is block coordinate descent with the
working set as the block and Newton updates (Nutini, Laradji & Schmidt,
2022), in the organisation of glmnet, newGLMNET and skglm's ProxNewton.

Units: ``max_iter`` and ``n_iter`` count epochs, passes over the working
set's columns (one per Newton gradient, one per coordinate-descent pass on the
quadratic model).
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sparseopt.core.history import ConvergenceHistory
from sparseopt.core.linalg import csc_rmatvec_kernel
from sparseopt.solvers.glm.classification_gap import (
    balanced_correlation_bound,
    binary_dual,
    intercept_class_factors,
    logistic_dual_gap,
    logistic_gap,
)
from sparseopt.solvers.glm.designs import (
    check_overflowing_columns,
    column_norms,
    columns_combination,
    kernel_design,
)
from sparseopt.solvers.glm.logistic_kernels import (
    kkt_violations,
    loss_derivatives,
    prox_newton_inner,
)
from sparseopt.solvers.glm.unpenalised import UnpenalisedBlock
from sparseopt.solvers.glm.working_sets import select_working_set, working_set_size
from sparseopt.utils.progress import IterationPrinter

__all__ = ["solve_logistic", "logistic_dual_gap"]

_INNER_TOL_RATIO = 0.3
# First working-set size (measured on the asv problems: 10 beats 50 and 200,
# whose larger first Newton models cost more than the outer iterations saved).
_WORKING_SET_START = 10
# Work (entries touched) per kernel call, so that Ctrl-C and the verbose
# printer get control back several times a second.
_WORK_PER_CALL = 2e7
_PASSES_PER_NEWTON = 7  # a gradient, up to five model passes, a line search
# Newton steps between two outer checks at most: the outer stopping rule, not a
# working set's inner tolerance (which rounding may make unreachable), ends a fit
_NEWTON_PER_CHECK = 10
# entries of the unpenalised block's least squares (n (m + 1)) at most: past
# them those features keep the gradient criterion (as the block engine does)
_BLOCK_ENTRIES = 12_000_000


class _Criterion:
    """Gap, KKT violations and the relative criterion at one iterate."""

    def __init__(self, target, z, deriv, gradient, coef, l1, l2, n_samples, sample_weight,
                 weights, column_norms, strengths):
        correlation, factors = -gradient, None
        if column_norms is not None:  # an intercept: the dual point balanced over the
            factors = intercept_class_factors(deriv, target)  # classes, sum_i u_i = 0
            if np.any(factors < 1.0):
                correlation = balanced_correlation_bound(gradient, deriv, target, factors,
                                                         column_norms)
        self.objective, self.gap = logistic_gap(
            target, z, correlation, coef, l1, l2, n_samples, sample_weight=sample_weight,
            weights=weights, class_factors=factors)
        self.violations, largest, unpenalised = kkt_violations(gradient, coef, *strengths,
                                                               weights)
        if column_norms is not None:
            unpenalised = max(unpenalised, abs(float(deriv.sum())))
        self.unpenalised = unpenalised
        self.kkt = max(largest, unpenalised)


def solve_logistic(X, y, l1, l2, *, fit_intercept=True, tol=1e-4, max_iter=1000,
                   coef_init=None, intercept_init=0.0, sample_weight=None, weights=None,
                   verbose=0, printer=None, warn=True):
    r"""Working-set proximal Newton for penalised logistic regression (validated input).

    Minimises :math:`\sum_i c_i \log(1 + e^{-y_i(x_i^\top w + b)}) +
    \sum_j\omega_j(\lambda_1|w_j| + \frac{\lambda_2}{2}w_j^2)` with ``y`` in
    {-1, 1}. Stops when the duality gap is at most ``tol * log(2)`` (the
    objective at zero) and the intercept's gradient is at most ``tol`` times
    the largest gradient entry at the start; with features of zero penalty
    factor, when the gap at the dual point of
    :class:`~sparseopt.solvers.glm.unpenalised.UnpenalisedBlock` (feasible
    for them and the intercept) is at most ``tol * log(2)`` (the gradient
    test again past 12 million entries in that block, ``n * (m + 1)``).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design, float64; not modified (an unsorted CSC matrix is sorted on a
        copy, a C-ordered array copied once to Fortran order).
    y : ndarray of shape (n_samples,)
        Labels in {-1, 1}.
    l1, l2 : float
        Penalty strengths.
    fit_intercept : bool, default=True
        Fit the unpenalised intercept.
    tol : float, default=1e-4
        Relative tolerance.
    max_iter : int, default=1000
        Maximum number of epochs (see the module docstring).
    coef_init : ndarray of shape (n_features,), optional
        Warm start (copied).
    intercept_init : float, default=0.0
        Warm start of the intercept.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative sample weights (rescaled to sum to ``n_samples``).
    weights : ndarray of shape (n_features,), optional
        Penalty factors (default ones).
    verbose : int, default=0
        Verbosity of the :class:`~sparseopt.utils.IterationPrinter`.
    printer : callable, optional
        Replaces that printer (called at every outer iteration), e.g. one
        printer for the solves of a path.
    warn : bool, default=True
        Raise the ConvergenceWarning (``False``: the caller reads
        ``info["converged"]``).

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients.
    intercept : float
        Intercept.
    info : dict
        ``n_iter`` (epochs), ``n_outer``, ``n_newton``, ``dual_gap``,
        ``kkt_violation``, ``converged`` and ``history``.
    """
    n_samples, n_features = X.shape
    # no pass over X for its column norms: an overflowing X shows in a
    # working-set column's curvature (|gradient_j| <= max_i |x_ij| stays finite;
    # a column whose square overflows but that never enters a working set keeps
    # w_j = 0, which its gradient certifies)
    matrix, arrays = kernel_design(X, check_overflow=False)
    nonzeros = np.diff(arrays[3]) if arrays[4] else np.full(n_features, n_samples)
    target = np.asarray(y, dtype=np.float64)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        sample_weight = sample_weight * (n_samples / sample_weight.sum())
    sample_scale = (np.full(n_samples, 1.0 / n_samples) if sample_weight is None
                    else sample_weight / n_samples)
    weights = np.ones(n_features) if weights is None else np.asarray(weights, dtype=float)
    l1_vec, l2_vec = l1 * weights, l2 * weights
    unregularised = not (l1_vec.any() or l2_vec.any())
    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    intercept_box = np.array([float(intercept_init) if fit_intercept else 0.0])
    force = printer is None
    printer = printer or IterationPrinter("logistic_pn", verbose)
    history = ConvergenceHistory("relative_duality_gap")
    objective_at_zero = np.log(2.0)
    # The unpenalised gradients are measured against the gradient at zero
    # (the same for a warm start, which may begin near the optimum).
    def rmatvec(vector):
        return csc_rmatvec_kernel(*arrays[1:4], vector) if arrays[4] else matrix.T @ vector

    norms = column_norms(matrix) if fit_intercept else None  # (the intercept's certificate)
    deriv_at_zero = -0.5 * target * sample_scale
    gradient_at_zero = rmatvec(deriv_at_zero)
    unpenalised_scale = max(abs(float(deriv_at_zero.sum())) if fit_intercept else 0.0,
                            float(np.max(np.abs(gradient_at_zero), initial=0.0)),
                            np.finfo(float).tiny)
    converged, epochs, n_newton, n_outer, stalled = False, 0, 0, 0, False
    lipschitz = np.full(n_features, -1.0)  # filled as columns enter working sets
    free = np.flatnonzero(weights == 0)
    block = (UnpenalisedBlock(matrix, free, fit_intercept)
             if free.size and not unregularised
             and n_samples * (free.size + int(fit_intercept)) <= _BLOCK_ENTRIES else None)
    evaluate = _Checker(target, sample_scale, rmatvec, l1, l2, l1_vec, l2_vec, sample_weight,
                        weights, norms, unregularised, objective_at_zero, unpenalised_scale,
                        block)

    def predictor():
        return _linear_predictor(matrix, arrays, coef) + intercept_box[0]

    z = predictor()
    while True:
        check, criterion = evaluate(z, coef)
        # The inner solver updates z in place; recomputed from the coefficients
        # before the fit stops (not at every check: 0.12 ms at 2000 x 10000, 1%
        # dense, 1300 non-zeros), the reported criterion is the returned fit's.
        # (a Newton step needs two epochs: a gradient and a model pass)
        out_of_epochs = max_iter - epochs < 2
        if criterion <= tol or out_of_epochs or stalled:
            if n_outer > 0:
                z = predictor()
            check, criterion = evaluate(z, coef, final=True)
        converged = criterion <= tol
        history.append(epochs, check.objective, criterion)
        printer(n_outer, objective=check.objective, criterion=criterion,
                force=force and (converged or out_of_epochs), epochs=epochs)
        if converged or out_of_epochs or stalled:
            break
        support = coef != 0
        size = working_set_size(int(support.sum()), n_features, _WORKING_SET_START)
        working_set = select_working_set(check.violations, support, size).astype(np.int64)
        if working_set.size == 0 and not fit_intercept:
            break
        done, steps, accepted, overflow = _inner(
            arrays, target, sample_scale, z, coef, intercept_box, fit_intercept, working_set,
            l1_vec, l2_vec, _INNER_TOL_RATIO * check.kkt, max_iter - epochs,
            int(nonzeros[working_set].sum()) + n_samples, lipschitz)
        if overflow:
            check_overflowing_columns([np.inf])
        epochs += done
        n_newton += steps
        n_outer += 1
        # no step accepted: none decreases the objective at this precision;
        # checked once more, then stopped
        stalled = accepted == 0
    if warn and not converged:
        no_step = stalled and max_iter - epochs >= 2  # (a Newton step needs 2 epochs)
        reason, advice = ((f"stopped after {epochs} epochs: no step decreases the objective "
                           "at this precision", "Increase tol") if no_step else
                          (f"did not converge in max_iter={max_iter} epochs",
                           "Increase max_iter or tol"))
        warnings.warn(
            f"logistic solver {reason}: relative criterion {criterion:.3e} > tol = "
            f"{tol:.3e}. {advice}.", ConvergenceWarning, stacklevel=3)
    info = {"n_iter": epochs, "n_outer": n_outer, "n_newton": n_newton,
            "dual_gap": float(check.gap), "kkt_violation": check.kkt, "converged": converged,
            "history": history}
    return coef, float(intercept_box[0]), info


class _Checker:
    """The :class:`_Criterion` of the full gradient at a predictor ``z`` and
    the relative stopping criterion (one per fit: buffers and constants)."""

    def __init__(self, target, sample_scale, rmatvec, l1, l2, l1_vec, l2_vec, sample_weight,
                 weights, norms, unregularised, objective_at_zero, unpenalised_scale,
                 block):
        self.target, self.sample_scale, self.rmatvec = target, sample_scale, rmatvec
        self.block = block
        self.l1, self.l2, self.strengths = l1, l2, (l1_vec, l2_vec)
        self.sample_weight, self.weights, self.norms = sample_weight, weights, norms
        self.unregularised = unregularised
        self.objective_at_zero, self.unpenalised_scale = objective_at_zero, unpenalised_scale
        self.deriv, self.hess = np.empty(target.shape[0]), np.empty(target.shape[0])

    def __call__(self, z, coef, final=False):
        target = self.target
        loss_derivatives(target, z, self.sample_scale, self.deriv, self.hess)
        check = _Criterion(target, z, self.deriv, self.rmatvec(self.deriv), coef, self.l1,
                           self.l2, target.shape[0], self.sample_weight, self.weights,
                           self.norms, self.strengths)
        if not np.isfinite(check.objective):
            raise ValueError("The logistic objective overflowed: X or the coefficients are "
                             "too large for float64 arithmetic; rescale X.")
        if self.unregularised:  # no dual bound: a first-order criterion
            check.gap = np.nan
            return check, check.kkt / self.unpenalised_scale
        criterion = max(check.gap / self.objective_at_zero,
                        check.unpenalised / self.unpenalised_scale)
        # features of zero factor: that criterion is no bound; the certificate
        # (a least-squares solve on their columns) where the fit may stop
        if self.block is not None and final:
            check.gap = self._block_gap(z, check.objective)
            criterion = check.gap / self.objective_at_zero
        return check, criterion


    def _block_gap(self, z, objective):
        """The gap at the dual point feasible for the unpenalised block; the
        objective itself (the gap at the dual point 0, feasible with dual value
        0) when the block's Newton step leaves the dual domain."""
        point = self.block.dual_point(self.target, z, self.deriv, self.hess)
        if point is None:
            return objective
        deriv, probabilities = point
        dual = binary_dual(probabilities, -self.rmatvec(deriv), self.l1, self.l2,
                           self.sample_scale, self.weights)
        return min(max(objective - dual, 0.0), objective)


def _linear_predictor(matrix, arrays, coef):
    """``X w`` from scratch, by a compiled sum of the non-zero coefficients'
    columns (scipy's sparse product visits every column: 0.133 ms against
    0.029 ms at 2000 x 10000, 1% dense, 1300 non-zeros; numpy's dense product
    first gathers the columns: see ``LeastSquaresDesign.matvec_subset``)."""
    support = np.flatnonzero(coef)
    return columns_combination(*arrays[:5], support, coef[support], matrix.shape[0])


def _inner(arrays, target, sample_scale, z, coef, intercept_box, fit_intercept, working_set,
           l1, l2, tol_in, budget, work_per_newton, lipschitz):
    """Proximal Newton on the working set: one kernel call of at most
    ``_NEWTON_PER_CHECK`` steps (fewer on large working sets, so that Ctrl-C
    and the verbose printer get control back several times a second); returns
    ``(epochs, Newton steps, accepted steps, whether a column's curvature
    overflowed)``."""
    report = np.zeros(3)
    per_call = max(1, min(_NEWTON_PER_CHECK,
                          int(_WORK_PER_CALL // (_PASSES_PER_NEWTON * work_per_newton))))
    done = prox_newton_inner(*arrays, target, sample_scale, z, coef, intercept_box,
                             fit_intercept, working_set, l1, l2, tol_in, per_call, budget,
                             lipschitz, report)
    return done, int(report[1]), int(report[2]), report[0] < 0

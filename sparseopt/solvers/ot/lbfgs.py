"""L-BFGS ascent on a concave OT dual, with the stopping rules of the duals.

SciPy's L-BFGS-B does the iterations (its own tests are switched off:
``ftol = gtol = 0``); a callback records the history, prints verbose lines
and applies one of two rules:

- ``"gradient"``: the L1 norm of the gradient (the marginal error of the
  dual's plan) is at most ``tol`` (smooth duals: QROT);
- ``"value"``: the best value has improved by at most ``tol * |value|`` over
  the last ``window`` iterations (non-smooth duals, whose gradient need not
  vanish at the optimum: the sparsity-constrained relaxations).

The best point seen is returned (L-BFGS-B's last point is not always the
best one when its line search gives up). :func:`qrot_lbfgs` is L-BFGS on the
QROT dual (POT's ``smooth_ot_dual(reg_type="l2")``).
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.ot.duals import balance_columns, dual_objective, qrot_step
from sparseopt.utils import DeferredInterrupt

__all__ = ["maximise", "qrot_lbfgs"]

_LBFGS_RESTARTS = 5


class _Monitor:
    def __init__(self, rule, tol, window, history, printer, first_iteration):
        self.rule, self.tol, self.window = rule, tol, window
        self.first_iteration = first_iteration
        self.history, self.printer = history, printer
        self.best, self.best_x, self.best_error = -np.inf, None, np.inf
        self.values, self.last_error, self.converged = [], np.inf, False

    def evaluated(self, x, value, error):
        self.last_error = error
        if value > self.best:
            self.best, self.best_x, self.best_error = value, x.copy(), error

    def __call__(self, intermediate_result):
        self.values.append(self.best)
        iteration = len(self.values)
        self.history.append(self.first_iteration + iteration, self.best, self.best_error)
        if self.printer is not None:
            self.printer(self.first_iteration + iteration, objective=self.best,
                         criterion=self.best_error)
        if self.rule == "gradient":
            self.converged = self.best_error <= self.tol
        elif iteration > self.window:
            before = self.values[-1 - self.window]
            self.converged = self.best - before <= self.tol * abs(self.best)
        if self.converged:
            raise StopIteration


def maximise(objective, start, *, rule, tol, max_iter, history, printer=None, window=10,
             first_iteration=0):
    """Maximise ``objective(x) -> (value, gradient)`` by L-BFGS from ``start``.

    Returns
    -------
    x : ndarray
        The best point seen.
    info : dict
        ``value`` and ``error`` (gradient L1 norm) there, ``n_iter`` and
        ``status``: "converged" (the rule held), "max_iter" or "stalled"
        (L-BFGS-B's line search could not improve the value).
    """
    monitor = _Monitor(rule, tol, window, history, printer, first_iteration)

    with DeferredInterrupt() as interrupt:  # Ctrl-C between evaluations

        def negated(x):
            value, gradient = objective(x)
            interrupt.check()
            monitor.evaluated(x, value, float(np.abs(gradient).sum()))
            return -value, -gradient

        result = minimize(negated, start, jac=True, method="L-BFGS-B", callback=monitor,
                          options={"maxiter": max_iter, "maxcor": 20, "ftol": 0.0, "gtol": 0.0,
                                   "maxls": 50})
    if monitor.best_x is None:  # max_iter = 0
        monitor.best_x = np.asarray(start, dtype=float)
    if monitor.converged:
        status = "converged"
    elif result.nit >= max_iter:
        status = "max_iter"
    else:
        status = "stalled"
    return monitor.best_x, {"value": monitor.best, "error": monitor.best_error,
                            "n_iter": int(result.nit), "status": status}


def qrot_lbfgs(a, b, M, gamma, *, tol, max_iter, printer=None):
    """L-BFGS on the QROT dual (validated input, ``M`` Fortran-ordered).

    Stops when the marginal error is at most ``tol``. Near the optimum the
    dual's values agree to
    more digits than a float holds and L-BFGS's line search gives up; it is
    then restarted (at most ``_LBFGS_RESTARTS`` times) on the exact
    increment of the dual from its best point (:func:`qrot_step`), whose
    values keep their digits there. Returns a dict (``alpha``, ``beta``,
    ``value``, ``plan``, ``n_iter``, ``status``, ``history``)."""
    m, n = M.shape
    history = ConvergenceHistory("marginal_error")
    x = np.concatenate([np.zeros(m), balance_columns(M, b, gamma, None)])
    n_iter = 0
    for _ in range(_LBFGS_RESTARTS + 1):
        reference = x.copy()

        def objective(x, reference=reference):
            increment, _, grad_alpha, grad_beta, *_ = qrot_step(
                reference[:m], reference[m:], x[:m] - reference[:m], x[m:] - reference[m:], 1.0,
                M, a, b, gamma, False)
            return increment, np.concatenate([grad_alpha, grad_beta])

        x, info = maximise(objective, x, rule="gradient", tol=tol, max_iter=max_iter - n_iter,
                           history=history, printer=printer, first_iteration=n_iter)
        n_iter += info["n_iter"]
        if info["status"] != "stalled" or n_iter >= max_iter:
            break
    value, *_, indptr, indices, data = dual_objective(x[:m], x[m:], M, a, b, gamma, m, True)
    return {"alpha": x[:m], "beta": x[m:], "value": float(value),
            "plan": sp.csc_matrix((data, indices, indptr), shape=M.shape),
            "n_iter": n_iter, "status": info["status"], "history": history}

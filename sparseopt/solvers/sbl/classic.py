r"""Classic and multiple-measurement sparse Bayesian learning (iterative re-estimation).

Maximises the type-II likelihood :math:`\log p(Y \mid \gamma, \sigma^2)` of
:math:`Y = \Phi X + E`, :math:`x_{i\cdot} \sim \mathcal N(0, \gamma_i I)`
(Tipping 2001; M-SBL of Wipf & Rao 2007 for several columns) by alternating
the E-step of :mod:`~sparseopt.solvers.sbl.posterior` with an ARD update of
:mod:`~sparseopt.solvers.sbl.updates`, pruning atoms whose variance falls
below ``prune_rel`` times the largest one. Pruned atoms stay pruned (zero is
a fixed point of every rule).
"""

import numpy as np

from sparseopt.core import ConvergenceHistory
from sparseopt.solvers.sbl.posterior import diagonal_posterior
from sparseopt.solvers.sbl.updates import ard_update, noise_update
from sparseopt.utils import IterationPrinter

__all__ = ["solve_sbl", "relative_change"]


def relative_change(new, old):
    r""":math:`\|a - b\|_\infty / \max(\|a\|_\infty, \text{tiny})` (0 when both vanish)."""
    top = float(np.max(np.abs(new), initial=0.0))
    change = float(np.max(np.abs(new - old), initial=0.0))
    if top == 0.0:
        return 0.0 if change == 0.0 else np.inf
    return change / top


class _GramCache:
    """:math:`\\Phi_A^H\\Phi_A` of the active columns, computed once when the
    primal form first pays and restricted afterwards (the active set only shrinks)."""

    def __init__(self, Phi):
        self.Phi = Phi
        self.active = None
        self.gram = None

    def get(self, active):
        if self.gram is None:
            columns = self.Phi[:, active]
            self.gram = columns.conj().T @ columns
        elif len(active) != len(self.active):
            keep = np.searchsorted(self.active, active)
            self.gram = self.gram[np.ix_(keep, keep)]
        self.active = active
        return self.gram


def solve_sbl(Phi, Y, *, rule="mackay", noise=1.0, learn_noise=True, noise_floor=0.0,
              prune_rel=1e-6, tol=1e-4, max_iter=300, gamma_init=None, init_scale=1.0,
              verbose=0):
    r"""Sparse Bayesian learning on validated arrays.

    Each iteration: E-step at the current :math:`(\gamma, \sigma^2)` (dual or
    primal form, whichever is cheaper), stop if the posterior mean moved by at
    most ``tol`` relative to its largest entry
    (:math:`\|M_t - M_{t-1}\|_\infty \le \mathrm{tol}\,\|M_t\|_\infty`), else
    update :math:`\gamma` and :math:`\sigma^2` by ``rule`` and prune.

    Parameters
    ----------
    Phi : ndarray of shape (n, p)
        Dictionary (real or complex).
    Y : ndarray of shape (n, L)
        Observations.
    rule : {"mackay", "em", "mm"}, default="mackay"
        ARD update rule.
    noise : float, default=1.0
        Noise variance: the fixed value, or the start when ``learn_noise``.
    learn_noise : bool, default=True
        Re-estimate the noise variance with the same rule.
    noise_floor : float, default=0.0
        Lower bound on the learned noise variance.
    prune_rel : float, default=1e-6
        Prune atom :math:`i` when :math:`\gamma_i <` ``prune_rel`` :math:`\max\gamma`.
    tol : float, default=1e-4
        Relative change of the posterior mean at which to stop.
    max_iter : int, default=300
        Maximum number of updates.
    gamma_init : ndarray of shape (p,), optional
        Starting prior variances (default ``init_scale * n mean|Y|^2 / ||phi_i||^2``,
        the variance at which atom i alone explains the data).
    init_scale : float, default=1.0
        Relative size of the default start.
    verbose : int, default=0
        Print progress (see :class:`~sparseopt.utils.IterationPrinter`).

    Returns
    -------
    mean : ndarray of shape (p, L)
        Posterior mean, zero on pruned atoms.
    gamma : ndarray of shape (p,)
        Prior variances, zero on pruned atoms.
    noise : float
        Final noise variance.
    info : dict
        ``n_iter`` (updates done), ``converged``, ``criterion``, ``history``
        (log-evidence and criterion per iteration), ``active`` (indices of the
        kept atoms), ``posterior`` (the :class:`DiagonalPosterior` of the kept
        atoms at the returned :math:`\gamma, \sigma^2`), ``log_evidence``.
    """
    n, p = Phi.shape
    n_columns = Y.shape[1]
    column_norms2 = np.sum(np.abs(Phi) ** 2, axis=0)
    if gamma_init is None:
        scale = init_scale * max(float(np.mean(np.abs(Y) ** 2)), np.finfo(float).tiny)
        gamma = np.where(column_norms2 > 0, n * scale / np.where(column_norms2 > 0,
                                                                   column_norms2, 1.0), 0.0)
    else:
        gamma = np.array(gamma_init, dtype=np.float64)
    active = np.flatnonzero(gamma > 0)
    phi_y = Phi.conj().T @ Y
    y_norm2 = float(np.sum(np.abs(Y) ** 2))
    gram_cache = _GramCache(Phi)
    history = ConvergenceHistory("relative_change_of_mean")
    printer = IterationPrinter(f"SBL-{rule}", verbose)
    noise = float(noise)
    previous = np.zeros((p, n_columns), dtype=np.result_type(Phi, Y))
    converged, criterion, n_iter = False, np.inf, 0

    def estep():
        columns = Phi[:, active]
        if n <= len(active):
            return diagonal_posterior(columns, Y, gamma[active], noise, form="dual")
        return diagonal_posterior(columns, Y, gamma[active], noise, form="primal",
                                  gram=gram_cache.get(active), phi_y=phi_y[active],
                                  y_norm2=y_norm2)

    while True:
        if len(active) == 0:
            posterior = None
            mean = np.zeros_like(previous)
            criterion = relative_change(mean, previous)
            history.append(n_iter, _noise_only_evidence(Y, noise), criterion)
            converged = True
            break
        posterior = estep()
        mean = np.zeros_like(previous)
        mean[active] = posterior.mean
        criterion = relative_change(mean, previous) if n_iter > 0 else np.inf
        history.append(n_iter, posterior.log_evidence, criterion)
        printer(n_iter, objective=posterior.log_evidence, criterion=criterion,
                active=len(active), noise=noise)
        if criterion <= tol:
            converged = True
            break
        if n_iter >= max_iter:
            break
        previous = mean
        weights = gamma[active]
        new = ard_update(rule, weights, posterior.quad, posterior.trace)
        if learn_noise:
            residual = Y - Phi[:, active] @ posterior.mean
            residual_sq = float(np.sum(np.abs(residual) ** 2)) / n_columns
            dof = float(np.sum(weights * posterior.trace))
            noise = max(noise_update(rule, residual_sq, noise, dof, n), noise_floor)
        gamma[active] = new
        gamma[gamma < prune_rel * gamma.max()] = 0.0
        active = np.flatnonzero(gamma > 0)
        n_iter += 1
    printer(n_iter, objective=history.objectives[-1], criterion=criterion, force=True)
    info = {"n_iter": n_iter, "converged": converged, "criterion": criterion,
            "history": history, "active": active, "posterior": posterior,
            "log_evidence": float(history.objectives[-1])}
    return mean, gamma, noise, info


def _noise_only_evidence(Y, noise):
    """Log-evidence of the empty model :math:`Y \\sim \\mathcal N(0, \\sigma^2 I)`."""
    complex_data = np.iscomplexobj(Y)
    size = Y.size
    value = size * np.log(noise) + float(np.sum(np.abs(Y) ** 2)) / noise
    value += size * (np.log(np.pi) if complex_data else np.log(2 * np.pi))
    return -(1.0 if complex_data else 0.5) * value

r"""Function forms of the SBL estimators (validate, then call the solver)."""

import numpy as np

from sparseopt.sbl._kronecker import fit_kronecker
from sparseopt.sbl._validation import check_kronecker_problem
from sparseopt.solvers.sbl.kronecker import KRONECKER_SOLVERS
from sparseopt.utils.validation import check_integer, check_random_state_seed, check_scalar

__all__ = ["kronecker_sbl"]


def kronecker_sbl(A, y, *, solver="svd", pattern_coupling=None, noise="learn",
                  noise_floor=1e-6, prune_rel=None, tol=1e-4, max_iter=150, inner_tol=1e-5,
                  inner_max_iter=10, init_scale=1.0, n_init=1, random_state=None, verbose=0,
                  log=False):
    r"""Kronecker-structured sparse Bayesian learning (AM-, SVD- or PC-KroSBL).

    Recovers :math:`x` from :math:`y = (A_1 \otimes \cdots \otimes A_I)\,x +
    e` with the prior :math:`x \sim \mathcal N(0, \operatorname{diag}(
    \gamma_1 \otimes \cdots \otimes \gamma_I))`, maximising

    .. math:: \log p(y \mid \gamma, \sigma^2), \qquad y \sim \mathcal
              N\big(0, \sigma^2 I + A\,\mathrm{diag}(\otimes\gamma_i) A^H\big)

    by EM with mode-product E-steps (He & Joseph, IEEE TSP 2024). Each
    iteration costs :math:`O(\sum_i m_i^3 + (\sum_i m_i + N_i) M)` roughly,
    with :math:`M = \prod m_i`: the Kronecker product and the :math:`N \times
    N` covariance are never formed. See :class:`KroneckerSBL` for the
    parameters.

    Parameters
    ----------
    A : list of array-like of shape (m_i, N_i) or KroneckerOperator
        Factors in ``np.kron`` order, real or complex.
    y : array-like of shape (prod m_i,)
        Observations.
    solver : {"svd", "am"}, default="svd"
        M-step.
    pattern_coupling : None, float or list, default=None
        PC-KroSBL coupling per factor.
    noise : "learn" or float, default="learn"
        Learned or known noise variance.
    noise_floor : float, default=1e-6
        Lower bound on the learned noise, relative to mean|y|^2.
    prune_rel : None, float or sequence of float, default=None
        Per-factor relative pruning thresholds.
    tol : float, default=1e-4
        Relative change of :math:`\gamma` at which to stop.
    max_iter : int, default=150
        Maximum number of EM iterations.
    inner_tol : float, default=1e-5
        AM sweeps' stopping rule.
    inner_max_iter : int, default=10
        Maximum AM sweeps per iteration.
    init_scale : float, default=1.0
        Relative size of the starting prior (see :class:`KroneckerSBL`).
    n_init : int, default=1
        EM runs from perturbed starts; the fit of highest log-evidence is kept
        (see :class:`KroneckerSBL`).
    random_state : int, RandomState, Generator or None, default=None
        Seed of the perturbed starts.
    verbose : int, default=0
        Print progress.
    log : bool, default=False
        Also return a dictionary of diagnostics.

    Returns
    -------
    x : ndarray of shape (prod N_i,)
        Posterior mean.
    log : dict
        Only if ``log``: ``gammas`` (factor hyperparameters), ``noise``,
        ``n_iter``, ``converged``, ``history``, ``kept`` (per-factor support),
        ``log_evidence``, ``start_log_evidences`` (final log-evidence of
        every run).

    Examples
    --------
    >>> from sparseopt.datasets import make_kronecker_sparse
    >>> from sparseopt.sbl import kronecker_sbl
    >>> data = make_kronecker_sparse(snr_db=30, random_state=2)
    >>> x, info = kronecker_sbl(data.factors, data.y, noise=data.noise_variance, log=True)
    >>> [len(k) for k in info["kept"]], [s.tolist() for s in data.factor_supports] == [
    ...     k.tolist() for k in info["kept"]]
    ([3, 3, 3], True)
    """
    factors, y = check_kronecker_problem(A, y)
    if solver not in KRONECKER_SOLVERS:
        raise ValueError(f"solver must be one of {KRONECKER_SOLVERS}, got {solver!r}.")
    if not (isinstance(noise, str) and noise == "learn"):
        if np.iscomplexobj(noise):
            raise TypeError("noise must be 'learn' or a positive real variance, got a complex "
                            "number.")
        noise = check_scalar(noise, "noise", lower=0.0, lower_inclusive=False)
    noise_floor = check_scalar(noise_floor, "noise_floor", lower=0.0, upper=1.0,
                               upper_inclusive=False)
    tol = check_scalar(tol, "tol", lower=0.0)
    inner_tol = check_scalar(inner_tol, "inner_tol", lower=0.0)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    inner_max_iter = check_integer(inner_max_iter, "inner_max_iter", lower=1)
    init_scale = check_scalar(init_scale, "init_scale", lower=0.0, lower_inclusive=False)
    n_init = check_integer(n_init, "n_init", lower=1)
    check_random_state_seed(random_state)  # a clear error for a bad seed, even at n_init=1
    mean, gammas, noise, info = fit_kronecker(
        factors, y, solver=solver, pattern_coupling=pattern_coupling, noise=noise,
        noise_floor=noise_floor, prune_rel=prune_rel, tol=tol, max_iter=max_iter,
        inner_tol=inner_tol, inner_max_iter=inner_max_iter, init_scale=init_scale,
        n_init=n_init, random_state=random_state, verbose=verbose)
    if not log:
        return mean
    return mean, {"gammas": gammas, "noise": noise, "n_iter": info["n_iter"],
                  "converged": info["converged"], "history": info["history"],
                  "kept": info["kept"], "log_evidence": info["log_evidence"],
                  "start_log_evidences": info["start_log_evidences"]}

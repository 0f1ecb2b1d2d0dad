r"""Kronecker-structured sparse Bayesian learning (He & Joseph, IEEE TSP 2024).

Model: :math:`y = (A_1 \otimes \cdots \otimes A_I)\,x + e`, prior
:math:`x \sim \mathcal N(0, \operatorname{diag}(\gamma))` with a Kronecker
hyperparameter :math:`\gamma = \gamma_1 \otimes \cdots \otimes \gamma_I`,
noise variance :math:`\sigma^2`. EM on :math:`\gamma`:

- **E-step by mode products.** With the eigendecompositions
  :math:`A_i\Gamma_iA_i^H = U_iP_iU_i^H` (:math:`m_i \times m_i`),
  :math:`C = (\otimes U_i)(\sigma^2 I + \otimes P_i)(\otimes U_i)^H`; with
  :math:`D = (\sigma^2 + \otimes p_i)^{-1}` and :math:`B_i = \Gamma_i A_i^H
  U_i`, :math:`\mu = (\otimes B_i)[D \circ (\otimes U_i^H) y]` and
  :math:`\operatorname{diag}\Sigma = \otimes\gamma_i - (\otimes |B_i|^{2})
  D`. Neither the Kronecker product nor the :math:`N \times N` posterior
  covariance is formed (the official MATLAB code forms both).
- **M-step** :math:`\min_{\gamma = \otimes\gamma_i} \sum_j \log\gamma_j +
  d_j/\gamma_j`, :math:`d = \operatorname{diag}\Sigma + |\mu|^2`:

  * AM-KroSBL: the closed form per factor, :math:`\gamma_i[k] =
    \frac{N_i}{N}\sum_{j:\, j_i = k} d_j / \prod_{l \ne i}\gamma_l[j_l]`, in
    turn until the product moves by less than ``inner_tol`` (relative) or
    ``inner_max_iter`` sweeps; each sweep decreases the cost, so the
    log-evidence never decreases (the paper's Theorem: convergence to a
    stationary point);
  * SVD-KroSBL: repeated rank-one approximation of :math:`d` reshaped to
    :math:`N_1 \times (N_2\cdots N_I)`, absolute values of the singular
    vectors;
  * PC-KroSBL (pattern coupling, for block-sparse factors): on a coupled
    factor, :math:`\gamma_i \leftarrow \epsilon + C_\beta\,
    \mathrm{NNLS}(C_\beta, \hat\gamma_i)` with the tridiagonal
    :math:`C_\beta` (1 on the diagonal, :math:`\beta` beside it) and
    :math:`\epsilon = 10^{-5}\|C_\beta\,\mathrm{NNLS}(\cdot)\|_2`.

  Factors :math:`1..I-1` are normalised to unit norm (the scale moves to the
  last one); entries below ``prune_rel[i]`` times a factor's maximum are
  pruned.
"""

import numpy as np
from scipy.optimize import nnls

from sparseopt.core import ConvergenceHistory
from sparseopt.core.kronecker import kron_mode_products
from sparseopt.solvers.sbl.updates import noise_update
from sparseopt.utils import IterationPrinter

__all__ = ["KRONECKER_SOLVERS", "KroneckerPosterior", "kronecker_posterior", "am_mstep",
           "svd_mstep", "mstep_cost", "coupling_matrix", "solve_kronecker_sbl",
           "kronecker_sbl_restarts"]

KRONECKER_SOLVERS = ("am", "svd")
_PATTERN_OFFSET = 1e-5  # the paper's epsilon, relative to the coupled factor's norm


def _kron_vectors(vectors):
    out = vectors[0]
    for vector in vectors[1:]:
        out = np.kron(out, vector)
    return out


class KroneckerPosterior:
    """Posterior mean, variances, residual and log-evidence of the Kronecker model."""

    def __init__(self, mean, variance, residual, log_evidence):
        self.mean = mean
        self.variance = variance
        self.residual = residual
        self.log_evidence = log_evidence


def kronecker_posterior(factors, y, gammas, noise):
    r"""E-step of Kronecker SBL by mode products (see the module docstring).

    Parameters
    ----------
    factors : list of ndarray of shape (m_i, N_i)
        The dictionary factors :math:`A_i` (active columns only).
    y : ndarray of shape (prod m_i,)
        Observations.
    gammas : list of ndarray of shape (N_i,)
        Positive factor hyperparameters :math:`\gamma_i`.
    noise : float
        Noise variance :math:`\sigma^2 > 0`.

    Returns
    -------
    posterior : KroneckerPosterior
        ``mean`` and ``variance`` (:math:`\operatorname{diag}\Sigma`) of shape
        ``(prod N_i,)``, ``residual`` :math:`y - A\mu`, ``log_evidence``.
    """
    eigenvalues, bases, gains = [], [], []
    for factor, gamma in zip(factors, gammas, strict=True):
        gram = (factor * gamma) @ factor.conj().T
        values, vectors = np.linalg.eigh(0.5 * (gram + gram.conj().T))
        eigenvalues.append(np.maximum(values, 0.0))
        bases.append(vectors)
        gains.append((gamma[:, None] * factor.conj().T) @ vectors)  # B_i = Gamma_i A_i^H U_i
    rotated = kron_mode_products([basis.conj().T for basis in bases], y)
    precision = 1.0 / (noise + _kron_vectors(eigenvalues))
    weighted = precision * rotated
    mean = kron_mode_products(gains, weighted)
    squared_gains = [np.abs(gain) ** 2 for gain in gains]
    variance = np.maximum(_kron_vectors(gammas) - kron_mode_products(squared_gains, precision),
                          0.0)
    residual = noise * kron_mode_products(bases, weighted)
    complex_data = np.iscomplexobj(rotated)
    data = float(np.sum(precision * np.abs(rotated) ** 2))
    logdet = -float(np.sum(np.log(precision)))
    normalizer = y.shape[0] * (np.log(np.pi) if complex_data else np.log(2.0 * np.pi))
    log_evidence = -(1.0 if complex_data else 0.5) * (logdet + data + normalizer)
    return KroneckerPosterior(mean, variance, residual, log_evidence)


def coupling_matrix(size, beta):
    r"""The tridiagonal pattern-coupling matrix :math:`C_\beta` (1 on the diagonal).

    Parameters
    ----------
    size : int
        Order.
    beta : float
        Coupling between neighbours.

    Returns
    -------
    C : ndarray of shape (size, size)
    """
    return np.eye(size) + beta * (np.eye(size, k=1) + np.eye(size, k=-1))


def mstep_cost(second_moments, gammas):
    r"""The M-step cost :math:`\sum_j \log\gamma_j + d_j/\gamma_j` of a Kronecker :math:`\gamma`.

    Parameters
    ----------
    second_moments : ndarray of shape (prod N_i,)
        :math:`d = \operatorname{diag}\Sigma + |\mu|^2`.
    gammas : list of ndarray of shape (N_i,)
        Positive factors.

    Returns
    -------
    cost : float
    """
    gamma = _kron_vectors(gammas)
    return float(np.sum(np.log(gamma)) + np.sum(second_moments / gamma))


def _factor_estimate(tensor, gammas, i):
    """The closed-form AM minimiser of factor ``i`` given the others."""
    weighted = tensor
    others = 1
    for j, gamma in enumerate(gammas):
        if j != i:
            shape = [1] * len(gammas)
            shape[j] = gamma.shape[0]
            weighted = weighted / gamma.reshape(shape)
            others *= gamma.shape[0]
    axes = tuple(j for j in range(len(gammas)) if j != i)
    return weighted.sum(axis=axes) / others if axes else weighted.copy()


def _normalise(gammas):
    """Unit-norm factors 1..I-1, the scale moved into the last one."""
    gammas = list(gammas)
    scale = 1.0
    for i in range(len(gammas) - 1):
        norm = float(np.linalg.norm(gammas[i]))
        gammas[i] = gammas[i] / norm
        scale *= norm
    gammas[-1] = gammas[-1] * scale
    return gammas


def _relative_distance(new, old):
    new_full, old_full = _kron_vectors(new), _kron_vectors(old)
    return float(np.linalg.norm(new_full - old_full) / np.linalg.norm(old_full))


def am_mstep(second_moments, gammas, *, couplings=None, inner_tol=1e-5, inner_max_iter=10):
    r"""AM-KroSBL (or PC-KroSBL on coupled factors) M-step.

    Parameters
    ----------
    second_moments : ndarray of shape (prod N_i,)
        :math:`d = \operatorname{diag}\Sigma + |\mu|^2`.
    gammas : list of ndarray of shape (N_i,)
        Current positive factors (the starting point of the sweeps).
    couplings : list of (ndarray or None), optional
        :math:`C_\beta` for each pattern-coupled factor, ``None`` for the others.
    inner_tol : float, default=1e-5
        Stop the sweeps when :math:`\|\otimes\gamma^{new} - \otimes\gamma^{old}\|
        / \|\otimes\gamma^{old}\|` is below it.
    inner_max_iter : int, default=10
        Maximum number of sweeps.

    Returns
    -------
    gammas : list of ndarray
        Normalised factors.
    costs : list of float
        :func:`mstep_cost` after each sweep (non-increasing without coupling).
    """
    shape = [gamma.shape[0] for gamma in gammas]
    tensor = second_moments.reshape(shape)
    couplings = couplings or [None] * len(gammas)
    gammas = [gamma.copy() for gamma in gammas]
    costs = []
    for _ in range(inner_max_iter):
        previous = [gamma.copy() for gamma in gammas]
        for i, coupling in enumerate(couplings):
            estimate = _factor_estimate(tensor, gammas, i)
            if coupling is not None:
                smoothed = coupling @ nnls(coupling, estimate)[0]
                estimate = _PATTERN_OFFSET * max(np.linalg.norm(smoothed), np.finfo(float).tiny) \
                    + smoothed
            gammas[i] = np.maximum(estimate, np.finfo(float).tiny)
        gammas = _normalise(gammas)
        costs.append(mstep_cost(second_moments, gammas))
        if _relative_distance(gammas, previous) < inner_tol:
            break
    return gammas, costs


def svd_mstep(second_moments, shape):
    r"""SVD-KroSBL M-step: repeated best rank-one approximation with absolute values.

    Parameters
    ----------
    second_moments : ndarray of shape (prod N_i,)
        :math:`d = \operatorname{diag}\Sigma + |\mu|^2`.
    shape : list of int
        Factor sizes :math:`N_1, \dots, N_I`.

    Returns
    -------
    gammas : list of ndarray
        Unit-norm factors 1..I-1 and the scaled last factor.
    """
    gammas = []
    remainder = second_moments
    for size in shape[:-1]:
        matrix = remainder.reshape(size, -1)
        left, singular, right = np.linalg.svd(matrix, full_matrices=False)
        gammas.append(np.abs(left[:, 0]))
        remainder = np.abs(singular[0] * right[0])
    gammas.append(np.abs(remainder).copy())
    return [np.maximum(gamma, np.finfo(float).tiny) for gamma in gammas]


def _initial_gammas(factors, y, init_scale=1.0):
    """Uniform factors, unit norm except the last; the product equals
    ``init_scale * M mean|y|^2 / mean ||a_j||^2`` (at ``init_scale = 1``, each
    atom alone could explain the data)."""
    column_power = np.prod([np.mean(np.sum(np.abs(f) ** 2, axis=0)) for f in factors])
    level = y.shape[0] * max(float(np.mean(np.abs(y) ** 2)), np.finfo(float).tiny)
    level *= init_scale / max(column_power, np.finfo(float).tiny)
    gammas = [np.full(f.shape[1], 1.0) for f in factors]
    gammas[-1] = gammas[-1] * level
    return _normalise(gammas)


def solve_kronecker_sbl(factors, y, *, solver="svd", couplings=None, noise=1.0,
                        learn_noise=False, noise_floor=0.0, prune_rel=None, tol=1e-4,
                        max_iter=150, inner_tol=1e-5, inner_max_iter=10, init_scale=1.0,
                        gamma_init=None, verbose=0):
    r"""Kronecker SBL (AM-, SVD- or PC-KroSBL) on validated arrays.

    Each iteration: prune every factor (entries below ``prune_rel[i]`` times
    its maximum), E-step by mode products, M-step, then stop when
    :math:`\|\gamma^{t} - \gamma^{t-1}\|_2 / \|\gamma^{t-1}\|_2 <` ``tol``
    (the paper's rule, on the full :math:`\gamma = \otimes\gamma_i`). The
    returned mean comes from a final E-step at the returned hyperparameters.

    Parameters
    ----------
    factors : list of ndarray of shape (m_i, N_i)
        Dictionary factors (real or complex).
    y : ndarray of shape (prod m_i,)
        Observations.
    solver : {"svd", "am"}, default="svd"
        M-step (``couplings`` forces AM sweeps).
    couplings : list of (ndarray of shape (N_i, N_i) or None), optional
        Pattern-coupling matrices (PC-KroSBL); ``None`` entries are uncoupled.
    noise : float, default=1.0
        Noise variance (fixed, or the start when ``learn_noise``).
    learn_noise : bool, default=False
        EM update of the noise variance.
    noise_floor : float, default=0.0
        Lower bound on the learned noise variance.
    prune_rel : sequence of float, optional
        Per-factor relative pruning thresholds (default 1e-3 for SVD, 1e-2
        for AM, the paper's values).
    tol : float, default=1e-4
        Relative change of :math:`\gamma` at which to stop.
    max_iter : int, default=150
        Maximum number of EM iterations.
    inner_tol, inner_max_iter : float, int
        Stopping rule of the AM sweeps (see :func:`am_mstep`).
    init_scale : float, default=1.0
        The start: uniform factors whose product is ``init_scale`` times
        :math:`M\,\overline{|y|^2} / \overline{\|a_j\|^2}` (the variance at
        which one atom alone explains the data).
    gamma_init : list of ndarray, optional
        Explicit starting factors (overrides ``init_scale``).
    verbose : int, default=0
        Print progress.

    Returns
    -------
    mean : ndarray of shape (prod N_i,)
        Posterior mean (zero on pruned entries).
    gammas : list of ndarray of shape (N_i,)
        Factor hyperparameters (zero on pruned entries).
    noise : float
        Final noise variance.
    info : dict
        ``n_iter``, ``converged``, ``criterion``, ``history`` (log-evidence
        and relative change per iteration), ``kept`` (active indices per
        factor), ``variance`` (:math:`\operatorname{diag}\Sigma` on the kept
        grid), ``log_evidence``, ``mstep_costs`` (AM sweep costs per iteration).
    """
    n_factors = len(factors)
    sizes = [f.shape[1] for f in factors]
    if prune_rel is None:
        prune_rel = [1e-3 if solver == "svd" and couplings is None else 1e-2] * n_factors
    couplings = list(couplings) if couplings else [None] * n_factors  # pruned in place
    use_am = solver == "am" or any(c is not None for c in couplings)
    kept = [np.arange(size) for size in sizes]
    gammas = _initial_gammas(factors, y, init_scale) if gamma_init is None else _normalise(
        [np.array(g, dtype=np.float64) for g in gamma_init])
    history = ConvergenceHistory("relative_change_of_gamma")
    printer = IterationPrinter(f"KroSBL-{'am' if use_am else 'svd'}", verbose)
    noise = float(noise)
    converged, criterion, n_iter, mstep_costs = False, np.inf, 0, []

    def prune():
        for i in range(n_factors):
            keep = gammas[i] >= prune_rel[i] * gammas[i].max()
            if not np.all(keep):
                kept[i] = kept[i][keep]
                gammas[i] = gammas[i][keep]
                if couplings[i] is not None:
                    couplings[i] = couplings[i][np.ix_(keep, keep)]

    def full(gammas_now, kept_now):
        out = np.zeros(int(np.prod(sizes)))
        out[_flat_index(kept_now, sizes)] = _kron_vectors(gammas_now)
        return out

    while n_iter < max_iter:
        before = full(gammas, kept)
        prune()
        active = [f[:, k] for f, k in zip(factors, kept, strict=True)]
        posterior = kronecker_posterior(active, y, gammas, noise)
        second = posterior.variance + np.abs(posterior.mean) ** 2
        if use_am:
            new_gammas, costs = am_mstep(second, gammas, couplings=couplings,
                                         inner_tol=inner_tol, inner_max_iter=inner_max_iter)
            mstep_costs.append(costs)
        else:
            new_gammas = svd_mstep(second, [g.shape[0] for g in gammas])
        if learn_noise:
            dof = float(np.sum(1.0 - posterior.variance / _kron_vectors(gammas)))
            residual_sq = float(np.sum(np.abs(posterior.residual) ** 2))
            noise = max(noise_update("em", residual_sq, noise, dof, y.shape[0]), noise_floor)
        gammas = new_gammas
        n_iter += 1
        criterion = float(np.linalg.norm(full(gammas, kept) - before) / np.linalg.norm(before))
        history.append(n_iter, posterior.log_evidence, criterion)
        printer(n_iter, objective=posterior.log_evidence, criterion=criterion,
                active=[len(k) for k in kept])
        if criterion < tol:
            converged = True
            break
    prune()
    active = [f[:, k] for f, k in zip(factors, kept, strict=True)]
    posterior = kronecker_posterior(active, y, gammas, noise)
    printer(n_iter, objective=posterior.log_evidence, criterion=criterion, force=True)
    flat = _flat_index(kept, sizes)
    mean = np.zeros(int(np.prod(sizes)), dtype=posterior.mean.dtype)
    mean[flat] = posterior.mean
    full_gammas = []
    for size, k, gamma in zip(sizes, kept, gammas, strict=True):
        vector = np.zeros(size)
        vector[k] = gamma
        full_gammas.append(vector)
    info = {"n_iter": n_iter, "converged": converged, "criterion": criterion,
            "history": history, "kept": kept, "variance": posterior.variance,
            "log_evidence": posterior.log_evidence, "mstep_costs": mstep_costs}
    return mean, full_gammas, noise, info


def _flat_index(kept, sizes):
    """Flat (C-order) indices of the grid ``kept[0] x kept[1] x ...``."""
    grids = np.meshgrid(*kept, indexing="ij")
    return np.ravel_multi_index([g.ravel() for g in grids], sizes)


def kronecker_sbl_restarts(factors, y, *, n_init=1, random_state=None, init_scale=1.0,
                           gamma_init=None, **options):
    r"""Kronecker SBL from ``n_init`` starts; keep the fit of highest log-evidence.

    The evidence :math:`\log p(y \mid \gamma, \sigma^2)` is non-convex in
    the factors :math:`\gamma_i`, and EM (with or without pattern coupling)
    stops at the stationary point its start leads to. Start 0 is the
    deterministic start of :func:`solve_kronecker_sbl` (``gamma_init``, else
    uniform factors at ``init_scale``); start :math:`k \ge 1` multiplies
    every entry of start 0 by :math:`e^{z}`, :math:`z \sim \mathcal N(0, 1)`
    drawn from ``random_state``. The fit returned is the one whose final
    log-evidence (recomputed by the last E-step) is the largest: the choice
    uses only the objective that EM increases, never the unknown :math:`x`.

    Parameters
    ----------
    factors : list of ndarray of shape (m_i, N_i)
        Dictionary factors.
    y : ndarray of shape (prod m_i,)
        Observations.
    n_init : int, default=1
        Number of starts (1: the deterministic start only).
    random_state : int, numpy Generator or None, default=None
        Seed of the perturbed starts.
    init_scale : float, default=1.0
        Size of start 0 (see :func:`solve_kronecker_sbl`).
    gamma_init : list of ndarray, optional
        Explicit start 0.
    **options
        The other keyword arguments of :func:`solve_kronecker_sbl`.

    Returns
    -------
    mean, gammas, noise, info
        As :func:`solve_kronecker_sbl`, for the best start; ``info`` also has
        ``start_log_evidences`` (final log-evidence of every start) and
        ``best_start``.
    """
    base = _initial_gammas(factors, y, init_scale) if gamma_init is None else _normalise(
        [np.array(g, dtype=np.float64) for g in gamma_init])
    rng = np.random.default_rng(random_state)
    best, evidences = None, []
    for start in range(n_init):
        if start == 0:
            result = solve_kronecker_sbl(factors, y, init_scale=init_scale,
                                         gamma_init=gamma_init, **options)
        else:
            jittered = [g * np.exp(rng.standard_normal(g.shape[0])) for g in base]
            result = solve_kronecker_sbl(factors, y, gamma_init=jittered, **options)
        evidences.append(result[3]["log_evidence"])
        if best is None or evidences[-1] > best[3]["log_evidence"]:
            best = result
    best[3]["start_log_evidences"] = np.array(evidences)
    best[3]["best_start"] = int(np.argmax(evidences))
    return best

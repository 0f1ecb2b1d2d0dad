r"""Block sparse Bayesian learning with intra-block correlation (BSBL).

Zhang & Rao, "Extension of SBL algorithms for the recovery of block sparse
signals with intra-block correlation", IEEE TSP 2013. The coefficients are
split into blocks :math:`x_g` with prior :math:`x_g \sim \mathcal N(0,
\gamma_g B_g)`, :math:`B_g` the AR(1) Toeplitz matrix
:math:`(B_g)_{ab} = r^{|a-b|}` of the block's size. With the Cholesky factor
:math:`B_g = L_gL_g^H`, :math:`x_g = L_g z_g` turns the model into SBL on
:math:`\tilde\Phi_g = \Phi_g L_g` with one variance shared by each block, so
the E-step is :func:`~sparseopt.solvers.sbl.posterior.diagonal_posterior`
and the block statistics are sums over the block's columns:
:math:`q_g = \|L_g^H\Phi_g^H C^{-1}y\|^2`, :math:`t_g =
\operatorname{tr}(C^{-1}\Phi_gB_g\Phi_g^H)`. BSBL-EM is the EM rule with
rank :math:`d_g` (:math:`\gamma_g \leftarrow \operatorname{tr}(B_g^{-1}
(\Sigma_g + \mu_g\mu_g^H))/d_g`), BSBL-BO the MM rule
(:math:`\gamma_g \leftarrow \gamma_g\sqrt{q_g/t_g}`). The correlation
:math:`r` is learned as in BSBL: :math:`\bar B = \sum_g (\Sigma_g +
\mu_g\mu_g^H)/\gamma_g`, :math:`r = ` mean of its first super-diagonal over
the mean of its diagonal, clipped to :math:`[-0.99, 0.99]`.
"""

import numpy as np
from scipy.linalg import cholesky, toeplitz

from sparseopt.core import ConvergenceHistory
from sparseopt.solvers.sbl.classic import relative_change
from sparseopt.solvers.sbl.posterior import diagonal_posterior
from sparseopt.solvers.sbl.updates import ard_update, noise_update
from sparseopt.utils import IterationPrinter

__all__ = ["ar1_matrix", "solve_block_sbl"]

_MAX_CORRELATION = 0.99


def ar1_matrix(size, correlation):
    r"""The AR(1) correlation matrix :math:`(r^{|a-b|})_{ab}` of order ``size``.

    Parameters
    ----------
    size : int
        Order.
    correlation : float
        :math:`r \in (-1, 1)`.

    Returns
    -------
    B : ndarray of shape (size, size)
    """
    return toeplitz(correlation ** np.arange(size))


def _transform(Phi, blocks, correlation):
    """``Phi_g L_g`` for every block, and the factors ``L_g`` by block size."""
    roots = {}
    columns = []
    for block in blocks:
        size = len(block)
        if size not in roots:
            roots[size] = cholesky(ar1_matrix(size, correlation), lower=True)
        columns.append(Phi[:, block] @ roots[size])
    return np.hstack(columns), roots


def _learn_correlation(posterior, blocks, roots, gamma):
    """BSBL's AR(1) fit of the average normalised block covariance."""
    diagonal, superdiagonal, offset = 0.0, 0.0, 0
    count_diag, count_super = 0, 0
    for block, weight in zip(blocks, gamma, strict=True):
        size = len(block)
        index = np.arange(offset, offset + size)
        offset += size
        root = roots[size]
        mean = root @ posterior.mean[index]
        moment = root @ posterior.covariance(index) @ root.conj().T
        moment = (moment + mean @ mean.conj().T / mean.shape[1]) / weight
        diagonal += float(np.real(np.trace(moment)))
        count_diag += size
        if size > 1:
            superdiagonal += float(np.real(np.trace(moment, offset=1)))
            count_super += size - 1
    if count_super == 0 or diagonal <= 0:
        return 0.0
    ratio = (superdiagonal / count_super) / (diagonal / count_diag)
    return float(np.clip(ratio, -_MAX_CORRELATION, _MAX_CORRELATION))


def solve_block_sbl(Phi, Y, blocks, *, rule="em", correlation="learn", noise=1.0,
                    learn_noise=True, noise_floor=0.0, prune_rel=1e-6, tol=1e-4, max_iter=300,
                    verbose=0):
    r"""Block SBL (BSBL-EM / BSBL-BO) on validated arrays.

    Iterations as in :func:`~sparseopt.solvers.sbl.classic.solve_sbl`:
    E-step, stop when the posterior mean moved by at most ``tol`` relative to
    its largest entry, else update the block variances (and the correlation
    and the noise), then prune blocks below ``prune_rel`` times the largest
    variance.

    Parameters
    ----------
    Phi : ndarray of shape (n, p)
        Dictionary (real or complex).
    Y : ndarray of shape (n, L)
        Observations.
    blocks : list of ndarray of int
        A partition of ``range(p)``; the order inside a block is the order of
        the AR(1) correlation.
    rule : {"em", "mm", "mackay"}, default="em"
        ``"em"`` is BSBL-EM, ``"mm"`` is BSBL-BO.
    correlation : "learn" or float, default="learn"
        The intra-block correlation :math:`r`: learned, or fixed in (-1, 1)
        (0: no correlation, group SBL).
    noise, learn_noise, noise_floor, prune_rel, tol, max_iter, verbose
        As in :func:`~sparseopt.solvers.sbl.classic.solve_sbl`.

    Returns
    -------
    mean : ndarray of shape (p, L)
        Posterior mean (zero on pruned blocks).
    gamma : ndarray of shape (n_blocks,)
        Block variances (zero on pruned blocks).
    noise : float
        Final noise variance.
    info : dict
        ``n_iter``, ``converged``, ``criterion``, ``history``, ``correlation``
        (final :math:`r`), ``active_blocks``, ``active`` (coefficient indices),
        ``covariance`` (posterior covariance of the active coefficients),
        ``log_evidence``.
    """
    n, p = Phi.shape
    n_columns = Y.shape[1]
    learn = isinstance(correlation, str)
    r = 0.0 if learn else float(correlation)
    scale = max(float(np.mean(np.abs(Y) ** 2)), np.finfo(float).tiny)
    gamma = np.array([n * scale / max(float(np.mean(np.sum(np.abs(Phi[:, b]) ** 2, axis=0))),
                                       np.finfo(float).tiny) for b in blocks])
    gamma[[not np.any(Phi[:, b]) for b in blocks]] = 0.0
    history = ConvergenceHistory("relative_change_of_mean")
    printer = IterationPrinter(f"BSBL-{rule}", verbose)
    previous = np.zeros((p, n_columns), dtype=np.result_type(Phi, Y))
    converged, criterion, n_iter = False, np.inf, 0
    sizes = np.array([len(b) for b in blocks])
    while True:
        active_blocks = np.flatnonzero(gamma > 0)
        chosen = [blocks[g] for g in active_blocks]
        mean = np.zeros_like(previous)
        if not chosen:
            posterior, criterion, converged = None, relative_change(mean, previous), True
            history.append(n_iter, np.nan, criterion)
            break
        transformed, roots = _transform(Phi, chosen, r)
        expanded = np.repeat(gamma[active_blocks], sizes[active_blocks])
        posterior = diagonal_posterior(transformed, Y, expanded, noise)
        offset = 0
        for block in chosen:
            mean[block] = roots[len(block)] @ posterior.mean[offset:offset + len(block)]
            offset += len(block)
        criterion = relative_change(mean, previous) if n_iter > 0 else np.inf
        history.append(n_iter, posterior.log_evidence, criterion)
        printer(n_iter, objective=posterior.log_evidence, criterion=criterion,
                active=len(active_blocks), correlation=r)
        if criterion <= tol:
            converged = True
            break
        if n_iter >= max_iter:
            break
        previous = mean
        starts = np.concatenate([[0], np.cumsum(sizes[active_blocks])[:-1]])
        quad = np.add.reduceat(posterior.quad, starts)
        trace = np.add.reduceat(posterior.trace, starts)
        weights = gamma[active_blocks]
        if learn:
            r = _learn_correlation(posterior, chosen, roots, weights)
        if learn_noise:
            residual = Y - transformed @ posterior.mean
            residual_sq = float(np.sum(np.abs(residual) ** 2)) / n_columns
            dof = float(np.sum(expanded * posterior.trace))
            noise = max(noise_update(rule, residual_sq, noise, dof, n), noise_floor)
        gamma[active_blocks] = ard_update(rule, weights, quad, trace, sizes[active_blocks])
        gamma[gamma < prune_rel * gamma.max()] = 0.0
        n_iter += 1
    printer(n_iter, objective=history.objectives[-1], criterion=criterion, force=True)
    active = np.concatenate([blocks[g] for g in np.flatnonzero(gamma > 0)] or
                            [np.zeros(0, dtype=np.int64)])
    covariance = None
    if posterior is not None:
        transform = np.zeros((len(active), len(active)))
        offset = 0
        for block in chosen:
            size = len(block)
            transform[offset:offset + size, offset:offset + size] = roots[size]
            offset += size
        covariance = transform @ posterior.covariance() @ transform.T
    info = {"n_iter": n_iter, "converged": converged, "criterion": criterion,
            "history": history, "correlation": r, "active_blocks": np.flatnonzero(gamma > 0),
            "active": active, "covariance": covariance,
            "log_evidence": float(history.objectives[-1])}
    return mean, gamma, noise, info

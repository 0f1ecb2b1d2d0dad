"""Block SBL: collapse to classic SBL, the block statistics against their
definitions, monotone BSBL-EM at fixed correlation, and the gain from blocks."""

import numpy as np
import pytest

from sparseopt.solvers.sbl.block import _transform, ar1_matrix, solve_block_sbl
from sparseopt.solvers.sbl.classic import solve_sbl
from sparseopt.solvers.sbl.posterior import diagonal_posterior


def _block_problem(seed, n=40, p=120, size=6, n_blocks=3, correlation=0.9, snr_db=20):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, p)) / np.sqrt(n)
    x = np.zeros(p)
    root = np.linalg.cholesky(ar1_matrix(size, correlation))
    for g in rng.choice(p // size, n_blocks, replace=False):
        x[g * size:(g + 1) * size] = root @ rng.standard_normal(size)
    clean = Phi @ x
    noise = np.mean(clean ** 2) / 10 ** (snr_db / 10)
    y = clean + np.sqrt(noise) * rng.standard_normal(n)
    blocks = [np.arange(g * size, (g + 1) * size) for g in range(p // size)]
    return Phi, y, x, noise, blocks


@pytest.mark.parametrize("rule", ["em", "mm", "mackay"])
def test_blocks_of_one_are_classic_sbl(rule):
    Phi, y, _, noise, _ = _block_problem(0)
    singletons = [np.array([i]) for i in range(Phi.shape[1])]
    block = solve_block_sbl(Phi, y[:, None], singletons, rule=rule, noise=10 * noise, tol=0.0,
                            max_iter=30)
    plain = solve_sbl(Phi, y[:, None], rule=rule, noise=10 * noise, tol=0.0, max_iter=30)
    np.testing.assert_allclose(block[0], plain[0], atol=1e-10)
    np.testing.assert_allclose(block[1], plain[1], rtol=1e-8, atol=1e-14)
    assert block[2] == pytest.approx(plain[2], rel=1e-9)


def test_block_statistics_match_their_definitions():
    """q_g = u_g^T B u_g and t_g = tr(Phi_g^T C^-1 Phi_g B) with C built from gamma_g B."""
    Phi, y, _, noise, blocks = _block_problem(1, p=24, size=4)
    rng = np.random.default_rng(1)
    gamma, r = rng.uniform(0.2, 2.0, len(blocks)), 0.6
    B = ar1_matrix(4, r)
    C = noise * np.eye(len(y)) + sum(g * Phi[:, b] @ B @ Phi[:, b].T
                                     for g, b in zip(gamma, blocks, strict=True))
    transformed, _ = _transform(Phi, blocks, r)
    post = diagonal_posterior(transformed, y[:, None], np.repeat(gamma, 4), noise)
    for i, b in enumerate(blocks):
        u = Phi[:, b].T @ np.linalg.solve(C, y)
        assert post.quad[4 * i:4 * i + 4].sum() == pytest.approx(u @ B @ u, rel=1e-9)
        trace = np.trace(Phi[:, b].T @ np.linalg.solve(C, Phi[:, b]) @ B)
        assert post.trace[4 * i:4 * i + 4].sum() == pytest.approx(trace, rel=1e-9)


def test_bsbl_em_is_monotone_at_fixed_correlation():
    Phi, y, _, noise, blocks = _block_problem(2)
    _, _, _, info = solve_block_sbl(Phi, y[:, None], blocks, rule="em", correlation=0.8,
                                    noise=noise, learn_noise=True, prune_rel=1e-12, tol=0.0,
                                    max_iter=60)
    evidence = info["history"].objectives
    assert np.all(np.diff(evidence) >= -1e-9 * np.abs(evidence[:-1]))


def test_blocks_beat_plain_sbl_and_learn_the_correlation():
    """Over 10 seeds of AR(1) (r = 0.9) block-sparse data: BSBL-EM and BSBL-BO
    have a lower median error than classic EM-SBL, and the learned r is positive."""
    errors = {"em": [], "mm": [], "plain": []}
    learned = []
    for seed in range(10):
        Phi, y, x, noise, blocks = _block_problem(10 + seed)
        for rule in ("em", "mm"):
            mean, _, _, info = solve_block_sbl(Phi, y[:, None], blocks, rule=rule,
                                               noise=0.1 * np.var(y), prune_rel=1e-4)
            errors[rule].append(np.sum((mean[:, 0] - x) ** 2) / np.sum(x ** 2))
            learned.append(info["correlation"])
        mean, _, _, _ = solve_sbl(Phi, y[:, None], rule="em", noise=0.1 * np.var(y),
                                  prune_rel=1e-4)
        errors["plain"].append(np.sum((mean[:, 0] - x) ** 2) / np.sum(x ** 2))
    assert np.median(errors["em"]) < np.median(errors["plain"])
    assert np.median(errors["mm"]) < np.median(errors["plain"])
    assert np.median(learned) > 0.5

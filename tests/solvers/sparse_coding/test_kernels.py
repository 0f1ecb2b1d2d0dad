"""The small kernels of the sparse coders against NumPy and brute force."""

import itertools

import numpy as np
import pytest

from sparseopt.core import lq_threshold
from sparseopt.solvers.sparse_coding.cholesky import (
    cholesky_append_row,
    cholesky_factor,
    cholesky_solve,
)
from sparseopt.solvers.sparse_coding.encode import encode
from sparseopt.solvers.sparse_coding.lasso import lasso_violations
from sparseopt.solvers.sparse_coding.objective import coding_objectives
from sparseopt.solvers.sparse_coding.thresholding import cel0_penalty, cel0_threshold_kernel


def _spd(size, seed):
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((size + 2, size))
    return factor.T @ factor


@pytest.mark.parametrize("seed", range(5))
def test_cholesky_grows_and_solves_like_numpy(seed):
    matrix = _spd(6, seed)
    lower = np.zeros((6, 6))
    assert cholesky_factor(matrix, 3, lower) == -1
    pivot = cholesky_append_row(lower, 3, matrix[3, :3].copy(), matrix[3, 3])
    assert pivot > 0
    assert cholesky_factor(matrix, 6, lower, 4) == -1
    np.testing.assert_allclose(lower[:6, :6] * np.tri(6), np.linalg.cholesky(matrix),
                               rtol=1e-10, atol=1e-12)
    rhs = np.arange(1.0, 7.0)
    out = np.empty(6)
    cholesky_solve(lower, 6, rhs, out)
    np.testing.assert_allclose(out, np.linalg.solve(matrix, rhs), rtol=1e-9)


def test_cholesky_reports_the_first_dependent_row():
    basis = np.random.default_rng(0).standard_normal((3, 5))
    rows = np.vstack([basis, basis[0] + 2 * basis[2], basis[1]])  # row 3 depends on 0, 2
    assert cholesky_factor(rows @ rows.T, 5, np.zeros((5, 5))) == 3


def _brute_force_prox(value, penalty):
    """argmin_t 1/2 (t - value)^2 + penalty(t) over a fine grid (and 0)."""
    grid = np.concatenate([np.linspace(-6, 6, 240001), [0.0]])
    return grid[np.argmin(0.5 * (grid - value) ** 2 + penalty(grid))]


@pytest.mark.parametrize("seed", range(10))
def test_cel0_threshold_is_the_proximal_map(seed):
    rng = np.random.default_rng(seed)
    lam, step = rng.uniform(0.1, 2.0), rng.uniform(0.05, 0.9)
    norms = rng.uniform(0.2, 1.0, 7) / np.sqrt(step) * 0.99  # step * norm^2 < 1
    values = rng.uniform(-4, 4, 7)
    out = np.empty(7)
    cel0_threshold_kernel(values, step, lam, norms, out)
    for j in range(7):
        def penalty(t, j=j):
            return step * np.array([cel0_penalty(np.array([v]), lam, norms[j:j + 1])
                                    for v in np.atleast_1d(t)])
        grid = np.linspace(-6, 6, 24001)
        objective = 0.5 * (grid - values[j]) ** 2 + penalty(grid)
        best = objective.min()
        mine = 0.5 * (out[j] - values[j]) ** 2 + penalty(out[j])[0]
        assert mine <= best + 1e-6, (j, out[j], grid[np.argmin(objective)])


def test_cel0_penalty_is_the_paper_formula():
    lam, norm = 0.7, 1.3
    edge = np.sqrt(2 * lam) / norm
    values = np.array([0.0, edge / 2, -edge / 2, edge, 3 * edge])
    expected = [0.0, lam - norm ** 2 / 2 * (edge / 2 - edge) ** 2,
                lam - norm ** 2 / 2 * (edge / 2 - edge) ** 2, lam, lam]
    got = [cel0_penalty(np.array([v]), lam, np.array([norm])) for v in values]
    np.testing.assert_allclose(got, expected, atol=1e-14)


def test_coding_objectives_and_violations_from_scratch():
    rng = np.random.default_rng(3)
    D, X = rng.standard_normal((8, 5)), rng.standard_normal((6, 5))
    C = rng.standard_normal((6, 8)) * (rng.random((6, 8)) < 0.4)
    gram, correlations = D @ D.T, X @ D.T
    expected = 0.5 * ((X - C @ D) ** 2).sum(1) + 0.3 * np.abs(C).sum(1)
    got = coding_objectives(gram, correlations, C, (X ** 2).sum(1), 0.3)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    gradient = C @ gram - correlations
    violation = np.where(C > 0, np.abs(gradient + 0.3), np.where(
        C < 0, np.abs(gradient - 0.3), np.maximum(np.abs(gradient) - 0.3, 0)))
    np.testing.assert_allclose(lasso_violations(gram, correlations, C, 0.3, False),
                               violation.max(1), rtol=1e-12)


def _l0_global(D, x, lam):
    """Brute-force minimiser of 1/2||x - D^T c||^2 + lam ||c||_0 (all supports)."""
    best, best_code = 0.5 * x @ x, np.zeros(D.shape[0])
    for size in range(1, D.shape[0] + 1):
        for support in itertools.combinations(range(D.shape[0]), size):
            atoms = D[list(support)]
            coef = np.linalg.lstsq(atoms.T, x, rcond=None)[0]
            value = 0.5 * np.sum((x - atoms.T @ coef) ** 2) + lam * size
            if value < best - 1e-12:
                best, best_code = value, np.zeros(D.shape[0])
                best_code[list(support)] = coef
    return best, best_code


@pytest.mark.parametrize("seed", range(10))
def test_cel0_and_iht_find_the_l0_global_minimiser_on_orthogonal_atoms(seed):
    """With orthonormal atoms the l2-l0 problem separates; CEL0 (same global
    minimisers, Soubies et al.) and iterative hard thresholding must both return
    the brute-force minimiser over all 2^6 supports."""
    rng = np.random.default_rng(seed)
    D = np.linalg.qr(rng.standard_normal((6, 6)))[0] * rng.choice([-1, 1], 6)
    X = rng.standard_normal((4, 6)) * 1.5
    lam = 0.4
    for method, q in (("cel0", 0.0), ("lq", 0.0)):
        codes, _ = encode(X, D, method, alpha=lam, q=q, tol=1e-14, max_iter=5000)
        for x, code in zip(X, codes, strict=True):
            best, best_code = _l0_global(D, x, lam)
            np.testing.assert_allclose(code, best_code, atol=1e-9)


@pytest.mark.parametrize("q", [0.0, 0.5, 2.0 / 3.0])
@pytest.mark.parametrize("seed", range(4))
def test_lq_codes_are_fixed_points_of_the_brute_force_prox(q, seed):
    """The returned code solves its own forward-backward step: every coordinate
    is the grid minimiser of 1/2 (t - u_j)^2 + gamma lam |t|^q, u = c - gamma grad."""
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((7, 5))
    x = rng.standard_normal(5) * 2
    lam = 0.3
    codes, info = encode(x[None], D, "lq", alpha=lam, q=q, tol=1e-13, max_iter=100000)
    assert info["converged"].all()
    gram = D @ D.T
    step = 1.0 / np.linalg.eigvalsh(gram)[-1]
    u = codes[0] - step * (gram @ codes[0] - D @ x)
    for j in range(7):
        def penalty(t):
            return step * lam * (np.abs(t) > 0) if q == 0 else step * lam * np.abs(t) ** q
        best = _brute_force_prox(u[j], penalty)
        assert abs(codes[0, j] - best) < 1e-4, (j, codes[0, j], best)
    np.testing.assert_allclose(codes[0], lq_threshold(u, step * lam, q=q), atol=1e-9)

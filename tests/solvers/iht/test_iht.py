"""Iterative hard thresholding: the step kernel, plain IHT, the round-by-round solver."""

import itertools
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.solvers import iterative_hard_thresholding, sequential_iht
from sparseopt.solvers.iht import screening_level
from sparseopt.solvers.iht._iht import iht_step_kernel


def numpy_step(coef, gradient, step, k, radius, norm):
    z = coef - step * gradient
    keep = np.argsort(-np.abs(z), kind="stable")[:k]
    out = np.zeros_like(z)
    out[keep] = z[keep]
    if norm == "l2" and np.linalg.norm(out) > radius:
        out *= radius / np.linalg.norm(out)
    if norm == "l1" and np.abs(out).sum() > radius:  # sort-based l1-ball projection
        u = np.sort(np.abs(out))[::-1]
        cumulative = np.cumsum(u) - radius
        rho = np.nonzero(u > cumulative / np.arange(1, len(u) + 1))[0][-1]
        out = np.sign(out) * np.maximum(np.abs(out) - cumulative[rho] / (rho + 1), 0)
    return out


@pytest.mark.parametrize("norm, radius", [("l2", np.inf), ("l2", 0.7), ("l1", 0.9)])
def test_step_kernel_matches_numpy(norm, radius):
    rng = np.random.default_rng(0)
    for _ in range(50):
        coef, gradient = rng.standard_normal(12), rng.standard_normal(12)
        expected = numpy_step(coef, gradient, 0.3, 4, radius, norm)
        got = iht_step_kernel(coef, gradient, 0.3, 4, radius, 0 if norm == "l2" else 1)
        np.testing.assert_allclose(got, expected, atol=1e-14)


def test_iht_finds_the_best_subset_of_a_small_problem():
    """Brute force over all 2-sparse supports of 8 features."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 8))
    y = X @ np.array([0, 1.5, 0, 0, -1.0, 0, 0, 0]) + 0.3 * rng.standard_normal(80)
    best = min(itertools.combinations(range(8), 2),
               key=lambda s: np.linalg.lstsq(X[:, s], y, rcond=None)[1].sum())
    expected = np.zeros(8)
    expected[list(best)] = np.linalg.lstsq(X[:, best], y, rcond=None)[0]
    coef, info = iterative_hard_thresholding(X, y, 2, tol=1e-13, max_iter=2000)
    np.testing.assert_allclose(coef, expected, atol=1e-8)
    assert info["converged"]
    objectives = info["history"].objectives
    assert np.all(np.diff(objectives) <= 1e-12)  # monotone with step 1/L


def test_iht_warns_when_it_runs_out_of_iterations():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((50, 6)), rng.standard_normal(50)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        iterative_hard_thresholding(X, y, 3, max_iter=2)


def test_sequential_iht_with_the_exact_gradient_is_plain_iht():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 10))
    y = X @ np.r_[1.0, -0.5, np.zeros(8)] + 0.1 * rng.standard_normal(200)

    def oracle(_, coef):
        return X.T @ (X @ coef - y) / 200, 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain, _ = iterative_hard_thresholding(X, y, 3, step_size=0.5, max_iter=7, tol=0.0,
                                               radius=1.0)
    coef, info = sequential_iht(oracle, 10, 3, 7, step_size=0.5, radius=1.0)
    np.testing.assert_allclose(coef, plain, atol=1e-14)
    assert info["n_iter"] == 7 and len(info["history"]) == 7


def test_screening_removes_entries_below_the_carried_noise_floor():
    """Round noises 0.8, 0.1, 0.1: the iterate carries sqrt(sum_t 4^-(T-t) s_t^2) =
    sqrt(0.8**2/16 + 0.1**2/4 + 0.1**2) = 0.229 (not the last round's 0.1, not the
    largest 0.8); entries at or below 0.229 sqrt(2 ln d) are zeroed, the others kept."""
    target = np.array([2.0, 0.0, 0.3, 0.5])
    noise_sds = [0.8, 0.1, 0.1]
    oracle = lambda t, c: (c - target, noise_sds[t])  # noqa: E731
    coef, info = sequential_iht(oracle, 4, 3, 3, step_size=1.0)
    expected = np.sqrt(0.8**2 / 16 + 0.1**2 / 4 + 0.1**2) * np.sqrt(2 * np.log(4))
    assert info["screening_threshold"] == pytest.approx(expected, rel=1e-12)
    assert screening_level(noise_sds, 1.0, 4) == info["screening_threshold"]
    np.testing.assert_array_equal(coef, [2.0, 0.0, 0.0, 0.5])
    unscreened, info = sequential_iht(oracle, 4, 3, 3, final_threshold=False)
    np.testing.assert_allclose(unscreened, target)
    assert info["screening_threshold"] == 0.0
    assert screening_level([], 2.0, 4) == 0.0
    assert screening_level([0.1], 2.0, 4) == pytest.approx(0.2 * np.sqrt(2 * np.log(4)))
    with pytest.raises(ValueError, match="noise_sds must be >= 0"):
        screening_level([0.1, -0.1], 1.0, 4)


def test_oracle_errors_are_named():
    with pytest.raises(ValueError, match="gradient_oracle returned a gradient of shape"):
        sequential_iht(lambda t, c: (np.zeros(3), 0.0), 4, 2, 1)
    with pytest.raises(TypeError, match="gradient_oracle must be callable"):
        sequential_iht(None, 4, 2, 1)


def test_jit_and_pure_python_agree(tmp_path):
    script = (
        "import numpy as np, sys\n"
        "from sparseopt.solvers import iterative_hard_thresholding\n"
        "rng = np.random.default_rng(0); X = rng.standard_normal((60, 9))\n"
        "y = X @ np.r_[1.0, 0, -2.0, np.zeros(6)]\n"
        "coef, _ = iterative_hard_thresholding(X, y, 3, radius=2.0, norm='l1')\n"
        "np.save(sys.argv[1], coef)\n")
    out = {}
    for flag in ("0", "1"):
        path = tmp_path / f"coef{flag}.npy"
        subprocess.run([sys.executable, "-c", script, str(path)], check=True,
                       env=dict(os.environ, NUMBA_DISABLE_JIT=flag))
        out[flag] = np.load(path)
    np.testing.assert_allclose(out["0"], out["1"], atol=1e-12)

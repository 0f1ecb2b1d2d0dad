"""The ML-II objective: gradient statistics against finite differences."""

import numpy as np
import pytest

from sparseopt.solvers.lmk.atoms import SpectralAtoms
from sparseopt.solvers.lmk.objective import LMKProblem


def _problem(n_parts=1, seed=0):
    rng = np.random.default_rng(seed)
    means = np.linspace(0, 1.2, 6)[:, None]
    scales = np.full((6, 1), 0.08)
    parts = []
    for _ in range(n_parts):
        X = np.sort(rng.uniform(0, 8, 30))[:, None]
        parts.append((SpectralAtoms(X, means, scales), rng.standard_normal(30)))
    return LMKProblem(parts), rng


def _dense_objective(problem, weights, noise):
    total = 0.0
    for atoms, y in problem.parts:
        K = sum(w * atoms.gram(np.eye(len(weights))[i]) for i, w in enumerate(weights))
        C = K + noise * np.eye(len(y))
        total += y @ np.linalg.solve(C, y) + np.linalg.slogdet(C)[1]
    return total


@pytest.mark.parametrize("n_parts", [1, 3])
def test_value_and_gradient_match_dense_algebra_and_finite_differences(n_parts):
    problem, rng = _problem(n_parts)
    weights, noise = rng.uniform(0.1, 1.0, 6), 0.3
    assert problem.objective(weights, noise) == pytest.approx(
        _dense_objective(problem, weights, noise), rel=1e-12)
    gradient, noise_gradient = problem.gradient(weights, noise)
    step = 1e-6
    for i in range(6):
        e = np.zeros(6)
        e[i] = step
        numeric = (problem.objective(weights + e, noise)
                   - problem.objective(weights - e, noise)) / (2 * step)
        assert gradient[i] == pytest.approx(numeric, rel=1e-6, abs=1e-7)
    numeric = (problem.objective(weights, noise + step)
               - problem.objective(weights, noise - step)) / (2 * step)
    assert noise_gradient == pytest.approx(numeric, rel=1e-6)


def test_gradient_is_trace_minus_quadratic_form():
    """d l / d w_i = tr(C^-1 K_i) - y^T C^-1 K_i C^-1 y, with dense matrices."""
    problem, rng = _problem()
    weights, noise = rng.uniform(0.1, 1.0, 6), 0.2
    atoms, y = problem.parts[0]
    K = [atoms.gram(np.eye(6)[i]) for i in range(6)]
    C = sum(w * k for w, k in zip(weights, K, strict=True)) + noise * np.eye(len(y))
    inverse_y = np.linalg.solve(C, y)
    expected = [np.trace(np.linalg.solve(C, k)) - inverse_y @ k @ inverse_y for k in K]
    np.testing.assert_allclose(problem.gradient(weights, noise)[0], expected, rtol=1e-10)


def test_not_positive_definite_is_infinite():
    problem, _ = _problem()
    assert problem.objective(np.zeros(6), -1.0) == np.inf

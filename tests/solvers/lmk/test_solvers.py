"""MM, SCA/DSCA and the projected-Newton subproblem solver against references."""

import numpy as np
import pytest

from sparseopt.solvers.lmk.atoms import SpectralAtoms, spectral_atom_stack
from sparseopt.solvers.lmk.mm import kkt_residual, mm_weights
from sparseopt.solvers.lmk.objective import LMKProblem
from sparseopt.solvers.lmk.reference import reference_subproblem
from sparseopt.solvers.lmk.sca import sca_weights
from sparseopt.solvers.lmk.subproblem import solve_subproblem


def sparse_prior_problem(seed=0, n=60, n_atoms=16, noise=0.05):
    """Data drawn from a GSM prior whose weights are sparse."""
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0, 12, n))[:, None]
    means = np.linspace(0, 1.5, n_atoms)[:, None]
    scales = np.full((n_atoms, 1), 0.04)
    truth = np.zeros(n_atoms)
    truth[[0, 5, 11]] = [1.0, 0.6, 0.4]
    atoms = SpectralAtoms(X, means, scales)
    y = np.linalg.cholesky(atoms.gram(truth) + noise * np.eye(n)) @ rng.standard_normal(n)
    return LMKProblem([(atoms, y)]), truth, X, means, scales, y


def assert_kkt(weights, trace, quad, tol=1e-3):
    """t_i = q_i on the support (to ``tol`` for the atoms holding 1% of the effective
    parameters sum_i w_i t_i), t_i >= q_i off it."""
    ratio = quad / trace - 1.0
    on = weights > 0
    significant = weights * trace > 1e-2 * np.sum(weights * trace)
    assert np.abs(ratio[significant]).max() < tol
    assert np.abs(ratio[on]).max() < 10 * tol
    assert ratio[~on].max(initial=-1.0) < tol


def _monotone(history):
    objectives = history.objectives
    return np.all(np.diff(objectives) <= 1e-10 * np.maximum(1.0, np.abs(objectives[1:])))


@pytest.mark.parametrize("accelerate", [True, False])
@pytest.mark.parametrize("learn_noise", [True, False])
def test_mm_is_monotone_and_ends_at_a_kkt_point(accelerate, learn_noise):
    problem, *_ = sparse_prior_problem()
    weights, noise, info = mm_weights(problem, np.full(16, 0.1), 0.1, learn_noise=learn_noise,
                                      noise_floor=1e-6, tol=1e-6, max_iter=3000,
                                      accelerate=accelerate)
    assert info["converged"]
    assert _monotone(info["history"])
    assert info["objective"] == pytest.approx(problem.objective(weights, noise), rel=1e-12)
    assert_kkt(weights, info["trace"], info["quad"])
    assert kkt_residual(weights, info["trace"], info["quad"]) < 1e-2
    assert np.count_nonzero(weights) < 16  # exact zeros


def test_squarem_needs_fewer_steps_for_the_same_point():
    problem, *_ = sparse_prior_problem()
    plain = mm_weights(problem, np.full(16, 0.1), 0.1, tol=1e-6, max_iter=5000,
                       accelerate=False)
    fast = mm_weights(problem, np.full(16, 0.1), 0.1, tol=1e-6, max_iter=5000)
    assert fast[2]["objective"] == pytest.approx(plain[2]["objective"], rel=1e-5)
    assert fast[2]["n_iter"] < plain[2]["n_iter"] / 2


@pytest.mark.parametrize("n_blocks", [1, 3])
def test_sca_is_monotone_and_agrees_with_mm(n_blocks):
    problem, *_ = sparse_prior_problem(seed=1)
    mm = mm_weights(problem, np.full(16, 0.1), 0.1, tol=1e-7, max_iter=5000)
    weights, noise, info = sca_weights(problem, np.full(16, 0.1), 0.1, tol=1e-5, max_iter=300,
                                       n_blocks=n_blocks, noise_floor=1e-6)
    assert _monotone(info["history"])
    assert info["converged"]
    assert info["objective"] == pytest.approx(mm[2]["objective"], rel=1e-6)
    assert_kkt(weights, info["trace"], info["quad"])


@pytest.mark.parametrize("rho", [0.0, 5.0])
def test_subproblem_matches_cvxpy(rho):
    problem, _, X, means, scales, y = sparse_prior_problem(seed=2, n=50, n_atoms=20)
    rng = np.random.default_rng(3)
    start = np.full(20, 0.1)
    factors = problem.factors(start, 0.05)
    trace = problem.statistics(factors)[0]
    center = rng.uniform(0, 0.3, 20)
    weights, _, info = solve_subproblem(problem, start, 0.05, trace, free=np.arange(20),
                                        rho=rho, center=center)
    stack = spectral_atom_stack(X, means, scales)
    reference, value = reference_subproblem([stack[:, :, i] for i in range(20)], y, 0.05,
                                            trace, rho=rho, center=center)
    assert info["converged"]
    assert abs(info["objective"] - value) <= 1e-6 * abs(value)
    np.testing.assert_allclose(weights, reference, atol=1e-3)


def test_support_recovery_over_ten_seeds():
    """The largest learned weights sit on (or next to) the true support."""
    hits = []
    for seed in range(10):
        problem, truth, *_ = sparse_prior_problem(seed=seed, n=120)
        weights, _, _ = mm_weights(problem, np.full(16, 0.1), 0.1, tol=1e-5, max_iter=3000)
        top = np.argsort(-weights)[:3]
        near = [min(abs(t - s) for s in np.flatnonzero(truth)) <= 1 for t in top]
        hits.append(np.mean(near))
    assert np.median(hits) == 1.0 and np.mean(hits) >= 0.8

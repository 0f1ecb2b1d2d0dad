"""Kronecker SBL solver: mode-product E-step vs the explicit Kronecker product,
monotone AM, exact M-steps on Kronecker data, collapse to classic SBL."""

import time

import numpy as np
import pytest

from sparseopt.core import KroneckerOperator
from sparseopt.datasets import make_kronecker_sparse
from sparseopt.solvers.sbl.classic import solve_sbl
from sparseopt.solvers.sbl.kronecker import (
    am_mstep,
    kronecker_posterior,
    mstep_cost,
    solve_kronecker_sbl,
    svd_mstep,
)


def _kron(vectors):
    out = vectors[0]
    for v in vectors[1:]:
        out = np.kron(out, v)
    return out


@pytest.mark.parametrize("complex_data", [False, True])
def test_estep_matches_the_explicit_kronecker_computation(complex_data):
    rng = np.random.default_rng(0)
    shapes = [(3, 5), (4, 6), (2, 3)]
    factors = [rng.standard_normal(s) + (1j * rng.standard_normal(s) if complex_data else 0)
               for s in shapes]
    gammas = [rng.uniform(0.1, 2.0, s[1]) for s in shapes]
    A = KroneckerOperator(factors).to_dense()
    y = rng.standard_normal(A.shape[0]) + (1j * rng.standard_normal(A.shape[0])
                                           if complex_data else 0)
    gamma, noise = _kron(gammas), 0.2
    C = noise * np.eye(A.shape[0]) + (A * gamma) @ A.conj().T  # the explicit Kronecker product
    mean = gamma * (A.conj().T @ np.linalg.solve(C, y))
    covariance = np.diag(gamma) - (gamma[:, None] * A.conj().T) @ np.linalg.solve(C, A * gamma)
    _, logdet = np.linalg.slogdet(C)
    data = np.real(y.conj() @ np.linalg.solve(C, y))
    n = A.shape[0]
    evidence = (-(logdet + data + n * np.log(np.pi)) if complex_data
                else -0.5 * (logdet + data + n * np.log(2 * np.pi)))
    post = kronecker_posterior(factors, y, gammas, noise)
    scale = np.abs(mean).max()
    np.testing.assert_allclose(post.mean, mean, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(post.variance, np.real(np.diag(covariance)), rtol=1e-10)
    np.testing.assert_allclose(post.residual, y - A @ mean, atol=1e-11 * np.abs(y).max())
    assert post.log_evidence == pytest.approx(evidence, rel=1e-12)


def test_msteps_are_exact_on_kronecker_second_moments():
    rng = np.random.default_rng(1)
    truth = [rng.uniform(0.5, 2.0, n) for n in (4, 3, 5)]
    d = _kron(truth)
    for gammas in (svd_mstep(d, [4, 3, 5]),
                   am_mstep(d, [np.ones(4), np.ones(3), np.ones(5)], inner_max_iter=50,
                            inner_tol=1e-14)[0]):
        np.testing.assert_allclose(_kron(gammas), d, rtol=1e-9)
        assert np.linalg.norm(gammas[0]) == pytest.approx(1.0)
        assert np.linalg.norm(gammas[1]) == pytest.approx(1.0)


def test_am_sweeps_and_iterations_are_monotone():
    rng = np.random.default_rng(2)
    d = rng.uniform(0.1, 3.0, 60)
    gammas = [np.ones(4), np.ones(3), np.ones(5)]
    start = mstep_cost(d, gammas)
    _, costs = am_mstep(d, gammas, inner_max_iter=30, inner_tol=0.0)
    assert costs[0] <= start and np.all(np.diff(costs) <= 1e-12 * np.abs(costs[:-1]))
    data = make_kronecker_sparse((6, 7, 8), 9, 2, snr_db=15, random_state=3)
    _, _, _, info = solve_kronecker_sbl(data.factors, data.y, solver="am",
                                        noise=data.noise_variance, prune_rel=[1e-12] * 3,
                                        tol=0.0, max_iter=40)
    evidence = info["history"].objectives
    assert np.all(np.diff(evidence) >= -1e-9 * np.abs(evidence[:-1]))
    assert evidence[-1] > evidence[0] + 50
    for costs in info["mstep_costs"]:
        assert np.all(np.diff(costs) <= 1e-10 * np.abs(np.asarray(costs[:-1])))


@pytest.mark.parametrize("solver", ["svd", "am"])
@pytest.mark.parametrize("learn_noise", [False, True])
def test_one_factor_is_classic_em_sbl(solver, learn_noise):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((25, 40))
    X /= np.linalg.norm(X, axis=0)  # equal column norms: the two default starts coincide
    x = np.zeros(40)
    x[[2, 11, 30]] = [1.0, -2.0, 0.7]
    y = X @ x + 0.05 * rng.standard_normal(25)
    kron_mean, gammas, kron_noise, _ = solve_kronecker_sbl(
        [X], y, solver=solver, noise=0.01, learn_noise=learn_noise, prune_rel=[1e-3], tol=0.0,
        max_iter=25)
    mean, gamma, noise, _ = solve_sbl(X, y[:, None], rule="em", noise=0.01,
                                      learn_noise=learn_noise, prune_rel=1e-3, tol=0.0,
                                      max_iter=25)
    np.testing.assert_allclose(kron_mean, mean[:, 0], atol=1e-10)
    np.testing.assert_allclose(gammas[0], gamma, rtol=1e-8, atol=1e-14)
    assert kron_noise == pytest.approx(noise, rel=1e-10)


def test_paper_setup_quick():
    """10 seeds of the paper's synthetic setup at 25 dB (the full 100-trial
    check is the slow test below): SVD-KroSBL is accurate and fast."""
    nmse, times, estep = [], [], []
    for seed in range(10):
        data = make_kronecker_sparse(snr_db=25, random_state=seed)
        start = time.perf_counter()
        mean, _, _, _ = solve_kronecker_sbl(data.factors, data.y, solver="svd",
                                            noise=data.noise_variance)
        times.append(time.perf_counter() - start)
        nmse.append(np.sum((mean - data.coef) ** 2) / np.sum(data.coef ** 2))
        start = time.perf_counter()
        kronecker_posterior(data.factors, data.y, [np.ones(15)] * 3, data.noise_variance)
        estep.append(time.perf_counter() - start)
    assert np.median(nmse) < 1e-3
    assert np.median(times) < 0.5
    assert np.median(estep) < 0.010


def _support_recovery(estimate, truth):
    found = np.abs(estimate) > 1e-3 * np.abs(estimate).max()
    true = truth != 0
    return (found & true).sum() / (found | true).sum()


@pytest.mark.slow
def test_paper_targets_over_100_trials():
    """He & Joseph's setup (N = 15^3, M = 1440, 3 non-zeros per factor, 25 dB):
    SVD-KroSBL's median NMSE <= 2e-4, mean support recovery >= 0.8, fit <= 0.5 s,
    E-step <= 10 ms."""
    nmse, recovery, times, estep = [], [], [], []
    for seed in range(100):
        data = make_kronecker_sparse(snr_db=25, random_state=seed)
        start = time.perf_counter()
        mean, _, _, _ = solve_kronecker_sbl(data.factors, data.y, solver="svd",
                                            noise=data.noise_variance)
        times.append(time.perf_counter() - start)
        nmse.append(np.sum((mean - data.coef) ** 2) / np.sum(data.coef ** 2))
        recovery.append(_support_recovery(mean, data.coef))
        start = time.perf_counter()
        kronecker_posterior(data.factors, data.y, [np.ones(15)] * 3, data.noise_variance)
        estep.append(time.perf_counter() - start)
    assert np.median(nmse) <= 2e-4
    assert np.mean(recovery) >= 0.8
    assert np.median(times) <= 0.5
    assert np.median(estep) <= 0.010


def test_pattern_coupled_sweep_is_the_nnls_step():
    """One PC-KroSBL sweep on two factors, the first coupled: gamma_1 = eps + C
    NNLS(C, closed form), then the second factor's closed form, then normalisation."""
    from scipy.optimize import nnls

    from sparseopt.solvers.sbl.kronecker import coupling_matrix

    rng = np.random.default_rng(6)
    d = rng.uniform(0.0, 2.0, 6 * 4) ** 3
    start = [np.ones(6), rng.uniform(0.5, 1.5, 4)]
    C = coupling_matrix(6, 0.8)
    gammas, _ = am_mstep(d, start, couplings=[C, None], inner_max_iter=1)
    tensor = d.reshape(6, 4)
    estimate = (tensor / start[1]).mean(axis=1)
    smoothed = C @ nnls(C, estimate)[0]
    first = 1e-5 * np.linalg.norm(smoothed) + smoothed
    second = (tensor / first[:, None]).mean(axis=0)
    np.testing.assert_allclose(gammas[0], first / np.linalg.norm(first), rtol=1e-10)
    np.testing.assert_allclose(gammas[1], second * np.linalg.norm(first), rtol=1e-10)
    assert np.all(gammas[0] > 0)

"""Tipping & Faul's fast SBL: every step increases the evidence, computed
independently from the dense covariance; it ends at a better evidence than EM."""

import numpy as np
import pytest

from sparseopt.solvers.sbl.classic import solve_sbl
from sparseopt.solvers.sbl.fast import fast_sbl


def _dense_evidence(Phi, y, active, alpha, noise):
    n = len(y)
    C = noise * np.eye(n) + (Phi[:, active] / alpha) @ Phi[:, active].conj().T
    _, logdet = np.linalg.slogdet(C)
    data = np.real(y.conj() @ np.linalg.solve(C, y))
    if np.iscomplexobj(Phi):
        return -(logdet + data + n * np.log(np.pi))
    return -0.5 * (logdet + data + n * np.log(2 * np.pi))


def _problem(complex_data, seed=1, n=50, p=120):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, p)) / np.sqrt(n)
    x = np.zeros(p)
    x[rng.choice(p, 8, replace=False)] = rng.choice([-1, 1], 8) * rng.uniform(0.5, 1.5, 8)
    noise = 1e-3
    if complex_data:
        Phi = Phi + 1j * rng.standard_normal((n, p)) / np.sqrt(n)
        y = Phi @ x + np.sqrt(noise / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    else:
        y = Phi @ x + np.sqrt(noise) * rng.standard_normal(n)
    return Phi, y, x, noise


@pytest.mark.parametrize("complex_data", [False, True])
def test_every_step_increases_the_evidence(complex_data):
    Phi, y, x, noise = _problem(complex_data)
    evidence = []

    def record(step, active, alpha, noise_now):
        evidence.append(_dense_evidence(Phi, y, active, alpha, noise_now))

    mean, gamma, _, info = fast_sbl(Phi, y, noise=noise, learn_noise=False, callback=record)
    assert info["converged"] and len(evidence) == info["n_iter"] > 20
    assert np.all(np.diff(evidence) > 0), np.diff(evidence).min()
    assert info["log_evidence"] == pytest.approx(evidence[-1], rel=1e-10)
    assert info["actions"]["add"] >= 8
    # the rank-one posterior equals a fresh one
    active = info["active"]
    A = Phi[:, active]
    Sigma = np.linalg.inv(A.conj().T @ A / noise + np.diag(1.0 / gamma[active]))
    np.testing.assert_allclose(info["Sigma"], Sigma, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(mean[active], Sigma @ A.conj().T @ y / noise, rtol=1e-8)
    assert set(np.flatnonzero(x)) <= set(active)


def test_reaches_a_higher_evidence_than_em():
    Phi, y, _, noise = _problem(False, seed=2)
    _, _, _, fast = fast_sbl(Phi, y, noise=noise, learn_noise=False)
    _, _, _, em = solve_sbl(Phi, y[:, None], rule="em", noise=noise, learn_noise=False,
                            prune_rel=1e-8, tol=1e-8, max_iter=3000)
    assert fast["log_evidence"] >= em["log_evidence"] - 1e-6


def test_learned_noise_and_aligned_columns():
    Phi, y, _, noise = _problem(False, seed=3, n=150, p=60)
    Phi = np.column_stack([Phi, Phi[:, :5] * 2.0])  # exact duplicates (up to scale)
    mean, _, learned, info = fast_sbl(Phi, y, noise=0.1 * np.var(y), learn_noise=True)
    assert info["converged"]
    assert 0.2 * noise < learned < 5 * noise
    kept = set(info["active"].tolist())
    assert not any(i in kept and i + Phi.shape[1] - 5 in kept for i in range(5))
    assert np.all(mean[[i for i in range(Phi.shape[1]) if i not in kept]] == 0)

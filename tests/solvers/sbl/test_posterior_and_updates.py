"""The diagonal-prior E-step against explicit inverses; the ARD updates against
their vector-atom closed forms and the GP-style matrix-atom definitions."""

import numpy as np
import pytest

from sparseopt.solvers.sbl.classic import solve_sbl
from sparseopt.solvers.sbl.posterior import diagonal_posterior
from sparseopt.solvers.sbl.updates import ard_update, noise_update


def _problem(n, k, n_columns, complex_data, seed=0):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, k))
    Y = rng.standard_normal((n, n_columns))
    if complex_data:
        Phi = Phi + 1j * rng.standard_normal((n, k))
        Y = Y + 1j * rng.standard_normal((n, n_columns))
    return Phi, Y, rng.uniform(0.05, 3.0, k), 0.3


def _explicit(Phi, Y, gamma, noise):
    """Posterior and evidence by explicit inverses and determinants (the reference)."""
    n = Phi.shape[0]
    covariance = np.linalg.inv(Phi.conj().T @ Phi / noise + np.diag(1.0 / gamma))
    mean = covariance @ Phi.conj().T @ Y / noise
    C = noise * np.eye(n) + (Phi * gamma) @ Phi.conj().T
    _, logdet = np.linalg.slogdet(C)
    data = np.real(np.trace(Y.conj().T @ np.linalg.solve(C, Y)))
    L = Y.shape[1]
    if np.iscomplexobj(Phi):
        evidence = -(L * logdet + data + n * L * np.log(np.pi))
    else:
        evidence = -0.5 * (L * logdet + data + n * L * np.log(2 * np.pi))
    inverse_C = np.linalg.inv(C)
    quad = np.sum(np.abs(Phi.conj().T @ inverse_C @ Y) ** 2, axis=1) / L
    trace = np.real(np.einsum("ij,ij->j", Phi.conj(), inverse_C @ Phi))
    return mean, covariance, evidence, quad, trace


@pytest.mark.parametrize("complex_data", [False, True])
@pytest.mark.parametrize("n, k", [(12, 30), (30, 12)])
@pytest.mark.parametrize("form", ["dual", "primal"])
def test_estep_matches_explicit_inverse(complex_data, n, k, form):
    Phi, Y, gamma, noise = _problem(n, k, 2, complex_data)
    mean, covariance, evidence, quad, trace = _explicit(Phi, Y, gamma, noise)
    posterior = diagonal_posterior(Phi, Y, gamma, noise, form=form)
    assert posterior.form == form
    np.testing.assert_allclose(posterior.mean, mean, rtol=0, atol=1e-10 * np.abs(mean).max())
    np.testing.assert_allclose(posterior.variance, np.real(np.diag(covariance)), rtol=1e-10)
    np.testing.assert_allclose(posterior.covariance(), covariance, atol=1e-10)
    np.testing.assert_allclose(posterior.log_evidence, evidence, rtol=1e-10)
    np.testing.assert_allclose(posterior.quad, quad, rtol=1e-8)
    np.testing.assert_allclose(posterior.trace, trace, rtol=1e-8)
    rows = np.random.default_rng(1).standard_normal((4, k))
    np.testing.assert_allclose(posterior.quadratic_form(rows),
                               np.real(np.diag(rows @ covariance @ rows.conj().T)), rtol=1e-9)


def test_auto_form_is_dual_when_underdetermined():
    Phi, Y, gamma, noise = _problem(10, 20, 1, False)
    assert diagonal_posterior(Phi, Y, gamma, noise).form == "dual"
    assert diagonal_posterior(Phi[:, :5], Y, gamma[:5], noise).form == "primal"


def test_vector_atom_updates_are_the_textbook_formulas():
    Phi, Y, gamma, noise = _problem(15, 25, 1, False, seed=3)
    post = diagonal_posterior(Phi, Y, gamma, noise)
    mu2, variance = post.mean[:, 0] ** 2, post.variance
    np.testing.assert_allclose(ard_update("em", gamma, post.quad, post.trace), mu2 + variance,
                               rtol=1e-9)
    np.testing.assert_allclose(ard_update("mackay", gamma, post.quad, post.trace),
                               mu2 / (1.0 - variance / gamma), rtol=1e-8)
    np.testing.assert_allclose(ard_update("mm", gamma, post.quad, post.trace),
                               np.abs(post.mean[:, 0]) * np.sqrt(gamma / (1.0 - variance / gamma)),
                               rtol=1e-8)


def test_matrix_atom_updates_match_their_definitions():
    """Atoms K_i = L_i L_i^T of rank 3 (the GP multiple-kernel case): EM is the
    posterior second moment of the atom's coefficients, MM zeroes the bound's gradient."""
    rng = np.random.default_rng(4)
    n, rank, n_atoms = 20, 3, 4
    factors = [rng.standard_normal((n, rank)) for _ in range(n_atoms)]
    weights = rng.uniform(0.2, 2.0, n_atoms)
    y = rng.standard_normal(n)
    C = 0.5 * np.eye(n) + sum(w * F @ F.T for w, F in zip(weights, factors, strict=True))
    inverse = np.linalg.inv(C)
    quad = np.array([np.sum((F.T @ inverse @ y) ** 2) for F in factors])
    trace = np.array([np.trace(inverse @ F @ F.T) for F in factors])
    em = ard_update("em", weights, quad, trace, rank)
    for i, F in enumerate(factors):  # z_i ~ N(0, w_i I): posterior moments of z_i
        mean = weights[i] * F.T @ inverse @ y
        covariance = weights[i] * np.eye(rank) - weights[i] ** 2 * F.T @ inverse @ F
        assert em[i] == pytest.approx((mean @ mean + np.trace(covariance)) / rank, rel=1e-10)
    mm = ard_update("mm", weights, quad, trace)
    for i in range(n_atoms):  # minimiser of t_i w + w_i^2 q_i / w
        bound = lambda w, i=i: trace[i] * w + weights[i] ** 2 * quad[i] / w  # noqa: E731
        assert bound(mm[i]) <= min(bound(mm[i] * 1.01), bound(mm[i] / 1.01))


def test_noise_updates_and_bad_rule():
    assert noise_update("em", 2.0, 0.5, 4.0, 10) == pytest.approx((2.0 + 0.5 * 4.0) / 10)
    assert noise_update("mackay", 2.0, 0.5, 4.0, 10) == pytest.approx(2.0 / 6.0)
    assert noise_update("mm", 2.0, 0.5, 4.0, 10) == pytest.approx(np.sqrt(0.5 * 2.0 / 6.0))
    with pytest.raises(ValueError, match="rule must be one of"):
        ard_update("newton", np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="rule must be one of"):
        noise_update("newton", 1.0, 1.0, 1.0, 3)


@pytest.mark.parametrize("learn_noise", [False, True])
def test_em_never_decreases_the_evidence(learn_noise):
    rng = np.random.default_rng(5)
    Phi = rng.standard_normal((30, 60))
    x = np.zeros(60)
    x[[3, 17, 40]] = [1.5, -2.0, 1.0]
    y = Phi @ x + 0.1 * rng.standard_normal(30)
    _, _, _, info = solve_sbl(Phi, y[:, None], rule="em", noise=0.5, learn_noise=learn_noise,
                              prune_rel=1e-12, tol=0.0, max_iter=80)
    evidence = info["history"].objectives
    assert len(evidence) == 81
    assert np.all(np.diff(evidence) >= -1e-9 * np.abs(evidence[:-1]))
    assert evidence[-1] > evidence[0] + 10.0


def test_driver_switches_to_the_primal_form_once_pruned():
    rng = np.random.default_rng(7)
    Phi = rng.standard_normal((40, 80))
    x = np.zeros(80)
    x[[5, 60]] = [2.0, -1.0]
    y = Phi @ x + 0.01 * rng.standard_normal(40)
    _, gamma, _, info = solve_sbl(Phi, y[:, None], rule="mackay", noise=1e-2, prune_rel=1e-3)
    assert np.count_nonzero(gamma) < 40 and info["posterior"].form == "primal"
    assert info["converged"]

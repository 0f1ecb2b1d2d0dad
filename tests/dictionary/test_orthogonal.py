"""OnlineOrthogonalDictionaryLearning: planted orthogonal dictionaries, gradients, FW steps."""

import numpy as np
import pytest

from sparseopt.dictionary import OnlineOrthogonalDictionaryLearning
from sparseopt.solvers.dictionary.orthogonal import (
    fourth_power_gradient,
    frank_wolfe_gap,
    frank_wolfe_step,
    polar_factor,
)


def planted(n_features, n_samples, theta, seed):
    """Bernoulli(theta)-Gaussian codes on a Haar-random orthogonal dictionary."""
    rng = np.random.default_rng(seed)
    dictionary = np.linalg.qr(rng.standard_normal((n_features, n_features)))[0]
    codes = rng.standard_normal((n_samples, n_features)) * (
        rng.random((n_samples, n_features)) < theta)
    return codes @ dictionary, dictionary


def signed_permutation_recovery(learned, truth, threshold=0.99):
    """Fraction of true atoms matched, up to sign and order, at |cos| > threshold."""
    return float(np.mean(np.abs(learned @ truth.T).max(axis=0) > threshold))


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    D, Y = rng.standard_normal((5, 5)), rng.standard_normal((7, 5))

    def objective(D):
        return 0.25 * np.mean(np.sum((Y @ D.T) ** 4, axis=1))

    gradient = fourth_power_gradient(D, Y)
    step = 1e-6
    for i, j in [(0, 0), (1, 3), (4, 2)]:
        E = np.zeros_like(D)
        E[i, j] = step
        numeric = (objective(D + E) - objective(D - E)) / (2 * step)
        assert abs(numeric - gradient[i, j]) <= 1e-6 * max(1.0, abs(numeric))


def test_polar_factor_is_the_linear_maximiser_over_the_spectral_ball():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((6, 6))
    S = polar_factor(G)
    np.testing.assert_allclose(S @ S.T, np.eye(6), atol=1e-12)
    # <G, S> = nuclear norm of G, the largest value over the ball
    assert np.isclose(np.sum(G * S), np.linalg.svd(G, compute_uv=False).sum())
    for _ in range(20):
        other = polar_factor(rng.standard_normal((6, 6)))
        assert np.sum(G * other) <= np.sum(G * S) + 1e-12
    assert frank_wolfe_gap(S, G) == pytest.approx(0.0, abs=1e-10)


def test_iterates_stay_in_the_spectral_ball():
    Y, _ = planted(8, 400, 0.3, 0)
    rng = np.random.default_rng(2)
    D, G = polar_factor(rng.standard_normal((8, 8))), np.zeros((8, 8))
    for step, start in enumerate(range(0, 400, 20), start=1):
        frank_wolfe_step(D, G, Y[start:start + 20], step)
        assert np.linalg.norm(D, 2) <= 1 + 1e-12


@pytest.mark.parametrize("seed", range(10))
def test_recovers_planted_orthogonal_dictionaries(seed):
    """N = 16, theta = 0.3, 20k signals in batches of 50, two passes: ||D D0^T||_4^4 / N
    >= 0.99 and every atom at |cos| > 0.99, up to sign and permutation (measured:
    0.999 on all 10 seeds; one pass: 0.982 to 0.999, 16/16 atoms on 9 seeds, 14/16
    on one; N = 32, one pass over 20k: 0.962 to 0.996, median 0.993)."""
    Y, truth = planted(16, 20_000, 0.3, seed)
    model = OnlineOrthogonalDictionaryLearning(batch_size=50, n_epochs=2,
                                               random_state=seed).fit(Y)
    learned = model.components_
    np.testing.assert_allclose(learned @ learned.T, np.eye(16), atol=1e-10)
    assert np.sum((learned @ truth.T) ** 4) / 16 >= 0.99
    assert signed_permutation_recovery(learned, truth) == 1.0
    # the spikiness of the learned dictionary approaches the planted one's
    best = 0.25 * np.mean(np.sum((Y @ truth.T) ** 4, axis=1))
    assert model.spikiness(Y) >= 0.95 * best


def test_partial_fit_streams_like_fit():
    Y, _ = planted(8, 2000, 0.3, 3)
    fitted = OnlineOrthogonalDictionaryLearning(batch_size=100, shuffle=False,
                                                random_state=0).fit(Y)
    streamed = OnlineOrthogonalDictionaryLearning(random_state=0)
    for start in range(0, 2000, 100):
        streamed.partial_fit(Y[start:start + 100])
    assert streamed.n_steps_ == fitted.n_steps_ == 20
    np.testing.assert_allclose(streamed.components_, fitted.components_, atol=1e-12)


def test_transform_gives_sparse_codes_on_the_learned_basis():
    Y, truth = planted(8, 5000, 0.3, 4)
    model = OnlineOrthogonalDictionaryLearning(batch_size=50, transform_algorithm="lasso",
                                               transform_alpha=1e-8, random_state=0).fit(Y)
    codes = model.transform(Y[:20])
    np.testing.assert_allclose(codes, Y[:20] @ model.components_.T, atol=1e-6)
    np.testing.assert_allclose(model.inverse_transform(codes), Y[:20], atol=1e-6)

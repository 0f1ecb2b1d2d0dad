"""Mechanisms: calibration against diffprivlib and closed forms, laws of the noise."""

import math

import numpy as np
import pytest
from scipy import stats

from sparseopt.ldp import (
    GaussianMechanism,
    L2BallMechanism,
    LaplaceMechanism,
    LocalRandomizer,
    _secure,
    analytic_gaussian_sigma,
    classic_gaussian_sigma,
)

GRID = [(eps, delta, sens) for eps in (0.1, 0.5, 1.0, 2.0, 5.0) for delta in (1e-8, 1e-6, 1e-3)
        for sens in (0.3, 1.0, 37.5)]


def privacy_profile(epsilon, sigma, sensitivity):
    """Balle & Wang's delta(sigma), with math.erfc (an independent evaluation)."""
    a, b = sensitivity / (2 * sigma), epsilon * sigma / sensitivity
    phi = lambda t: 0.5 * math.erfc(-t / math.sqrt(2))  # noqa: E731
    return phi(a - b) - math.exp(epsilon) * phi(-a - b)


@pytest.mark.parametrize("epsilon, delta, sensitivity", GRID)
def test_analytic_sigma_matches_diffprivlib(diffprivlib_mechanisms, epsilon, delta, sensitivity):
    ours = analytic_gaussian_sigma(epsilon, delta, sensitivity)
    theirs = diffprivlib_mechanisms.GaussianAnalytic(
        epsilon=epsilon, delta=delta, sensitivity=sensitivity)._scale
    assert ours == pytest.approx(theirs, rel=1e-7)
    mechanism = GaussianMechanism(epsilon, delta, sensitivity)
    assert mechanism.noise_scale == ours


@pytest.mark.parametrize("epsilon", [10.0, 50.0, 300.0])
def test_analytic_sigma_is_the_smallest_valid_one_for_large_epsilon(epsilon):
    """Where diffprivlib's evaluation of exp(eps) * Phi loses precision, check the
    defining equation directly: delta(sigma) = delta, and a smaller sigma is not private."""
    delta = 1e-6
    sigma = analytic_gaussian_sigma(epsilon, delta, 2.0)
    assert privacy_profile(epsilon, sigma, 2.0) == pytest.approx(delta, rel=1e-6)
    assert privacy_profile(epsilon, sigma * (1 - 1e-5), 2.0) > delta


def test_classic_sigma(diffprivlib_mechanisms):
    for epsilon, delta in [(0.5, 1e-6), (1.0, 1e-5)]:
        expected = 2.0 * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
        assert classic_gaussian_sigma(epsilon, delta, 2.0) == pytest.approx(expected, rel=1e-14)
        theirs = diffprivlib_mechanisms.Gaussian(epsilon=epsilon, delta=delta,
                                                 sensitivity=2.0)._scale
        assert classic_gaussian_sigma(epsilon, delta, 2.0) == pytest.approx(theirs, rel=1e-12)
    # about 25% noisier than the analytic calibration at epsilon = 1
    ratio = classic_gaussian_sigma(1.0, 1e-6) / analytic_gaussian_sigma(1.0, 1e-6)
    assert 1.2 < ratio < 1.3
    with pytest.raises(ValueError, match="epsilon must be <= 1"):
        classic_gaussian_sigma(2.0, 1e-6)


def test_infinite_epsilon_and_zero_sensitivity_mean_no_noise():
    assert analytic_gaussian_sigma(np.inf, 1e-6, 3.0) == 0.0
    assert analytic_gaussian_sigma(1.0, 1e-6, 0.0) == 0.0
    values = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(GaussianMechanism(np.inf, 1e-6, 1.0).randomise(values), values)
    np.testing.assert_array_equal(LaplaceMechanism(np.inf, 1.0).randomise(values), values)


@pytest.mark.parametrize("bad, match", [
    (dict(epsilon=0.0), "epsilon must be > 0"), (dict(epsilon=-1.0), "epsilon must be > 0"),
    (dict(epsilon=np.nan), "epsilon must be > 0"), (dict(delta=0.0), "delta must be >"),
    (dict(delta=1.0), "delta must be <"), (dict(sensitivity=-1.0), "sensitivity must be >="),
])
def test_invalid_privacy_parameters(bad, match):
    params = {"epsilon": 1.0, "delta": 1e-6, "sensitivity": 1.0, **bad}
    with pytest.raises(ValueError, match=match):
        GaussianMechanism(**params)


@pytest.mark.parametrize("mechanism", [
    GaussianMechanism(1.0, 1e-6, 2.0, random_state=3),
    GaussianMechanism(0.5, 1e-5, 1.0, calibration="classic", random_state=3),
    LaplaceMechanism(0.7, 2.0, random_state=3),
])
def test_noise_has_the_stated_law(mechanism):
    """Kolmogorov-Smirnov test of 40 000 noise entries against the stated law."""
    noise = mechanism.randomise(np.zeros((8000, 5))).ravel()
    law = (stats.norm(scale=mechanism.noise_scale) if isinstance(mechanism, GaussianMechanism)
           else stats.laplace(scale=mechanism.noise_scale))
    assert stats.kstest(noise, law.cdf).pvalue > 1e-3
    # and the test detects a 10% error in the scale
    wrong = (stats.norm(scale=1.1 * mechanism.noise_scale)
             if isinstance(mechanism, GaussianMechanism)
             else stats.laplace(scale=1.1 * mechanism.noise_scale))
    assert stats.kstest(noise, wrong.cdf).pvalue < 1e-3


@pytest.mark.parametrize("mode, part", [("nldp", "covariance"), ("nldp", "cross"),
                                        ("public", "cross")])
def test_reports_noise_is_the_calibrated_gaussian(mode, part, diffprivlib_mechanisms):
    """The reports minus the clean statistic: KS against N(0, sigma^2), and sigma is
    diffprivlib's analytic calibration for the stated sensitivity and budget share."""
    rng = np.random.default_rng(0)
    d = 4
    X, y = rng.uniform(-1, 1, (3000, d)), rng.uniform(-2, 2, 3000)
    device = LocalRandomizer(mode, epsilon=1.0, delta=1e-6, n_features=d, x_bound=1.0,
                             y_bound=2.0, random_state=1)
    reports = device.report(X, y)
    clean, _ = device.clean_reports(X, y)
    noise = (reports.parts[part] - clean[part]).ravel()
    sigma = device.noise_scales()[part]
    share = 0.5 if mode == "nldp" else 1.0
    sensitivity = device.mechanisms()[part].sensitivity
    theirs = diffprivlib_mechanisms.GaussianAnalytic(
        epsilon=share, delta=share * 1e-6, sensitivity=sensitivity)._scale
    assert sigma == pytest.approx(theirs, rel=1e-7)
    assert stats.kstest(noise, stats.norm(scale=sigma).cdf).pvalue > 1e-3


def test_summed_noise_has_the_law_of_a_sum():
    mechanism = GaussianMechanism(1.0, 1e-6, 1.0, random_state=0)
    sums = np.array([mechanism.summed_noise(50, (1,))[0] for _ in range(4000)])
    per_user = mechanism.noise((4000, 50)).sum(axis=1)
    assert stats.ks_2samp(sums, per_user).pvalue > 1e-3
    assert stats.kstest(sums, stats.norm(scale=math.sqrt(50) * mechanism.noise_scale).cdf
                        ).pvalue > 1e-3


def test_seeded_noise_is_reproducible():
    first = GaussianMechanism(1.0, 1e-6, 1.0, random_state=7).randomise(np.zeros((3, 4)))
    again = GaussianMechanism(1.0, 1e-6, 1.0, random_state=7).randomise(np.zeros((3, 4)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, GaussianMechanism(1.0, 1e-6, 1.0, random_state=8)
                              .randomise(np.zeros((3, 4))))


# --------------------------------------------------------------------------- l2 ball
@pytest.mark.parametrize("dimension", [1, 3, 10])
def test_l2_ball_mechanism_is_unbiased_with_the_stated_norm(dimension):
    rng = np.random.default_rng(dimension)
    radius = 2.0
    v = rng.standard_normal(dimension)
    v *= 0.7 * radius / np.linalg.norm(v)
    mechanism = L2BallMechanism(1.0, radius, random_state=0)
    out = mechanism.randomise(np.tile(v, (200_000, 1)))
    norm = mechanism.output_norm(dimension)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), norm)
    standard_error = norm / math.sqrt(dimension * out.shape[0])
    np.testing.assert_allclose(out.mean(axis=0), v, atol=5 * standard_error)


def test_l2_ball_rejects_reports_outside_the_ball():
    with pytest.raises(ValueError, match="values has 1 report"):
        L2BallMechanism(1.0, 1.0).randomise([[0.6, 0.9], [0.1, 0.0]])


# --------------------------------------------------------------------------- secure
def test_secure_sampling_cannot_be_seeded():
    for make in (lambda: GaussianMechanism(1.0, 1e-6, 1.0, secure=True, random_state=0),
                 lambda: LaplaceMechanism(1.0, 1.0, secure=True, random_state=0),
                 lambda: L2BallMechanism(1.0, 1.0, secure=True, random_state=0)):
        with pytest.raises(ValueError, match="cannot be seeded"):
            make()


def test_secure_gaussian_outputs_lattice_points_with_the_stated_law():
    mechanism = GaussianMechanism(1.0, 1e-6, 2.0, secure=True, dimension=1275)
    gamma = mechanism.lattice_step
    assert gamma == 2.0 ** np.round(np.log2(gamma))  # a power of two
    values = np.full((4000, 5), 0.1234567891234)
    out = mechanism.randomise(values)
    np.testing.assert_array_equal(np.round(out / gamma) * gamma, out)  # on the lattice
    noise = (out - np.round(values / gamma) * gamma).ravel()
    assert stats.kstest(noise, stats.norm(scale=mechanism.noise_scale).cdf).pvalue > 1e-3
    # zCDP calibration: a few percent above the analytic one, below the classic one
    analytic = analytic_gaussian_sigma(1.0, 1e-6, 2.0)
    assert analytic < mechanism.noise_scale < 1.1 * analytic
    assert mechanism.noise_scale < classic_gaussian_sigma(1.0, 1e-6, 2.0)


def test_zcdp_conversion_is_the_minimum_over_alpha():
    for epsilon, rho in [(1.0, 0.02), (2.0, 0.3), (0.5, 0.004)]:
        alphas = 1.0 + np.logspace(-6, 4, 200_001)
        log_delta = ((alphas - 1) * (alphas * rho - epsilon) - np.log(alphas - 1)
                     + alphas * np.log1p(-1 / alphas))
        assert _secure.zcdp_delta(epsilon, rho) == pytest.approx(np.exp(log_delta.min()),
                                                                 rel=1e-6)


def test_discrete_samplers_have_the_stated_variance():
    gaussian = _secure.discrete_gaussian(3.0, 200_000)
    assert np.all(gaussian == np.round(gaussian))
    assert gaussian.var() == pytest.approx(9.0, rel=0.02)
    laplace = _secure.discrete_laplace(2.0, 200_000)
    q = math.exp(-1 / 2.0)
    assert laplace.var() == pytest.approx(2 * q / (1 - q) ** 2, rel=0.03)
    uniform = _secure.secure_uniform(100_000)
    assert 0 < uniform.min() and uniform.max() < 1
    assert stats.kstest(uniform, "uniform").pvalue > 1e-3

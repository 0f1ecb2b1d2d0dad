"""make_spectral_grid: the periodogram grid finds the periods of the data; bad input."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sparseopt.gp import GSMPRegressor, SLIMKLRegressor, make_spectral_grid

PERIODS = (1 / 0.37, 1 / 1.23)


def irregular_series(seed=0, n=400):
    """A quadratic trend plus two sinusoids at 0.37 and 1.23 cycles per unit,
    sampled at random times."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0.0, 50.0, n))
    y = (0.5 * t + 0.01 * t**2 + 2.0 * np.sin(2 * np.pi * t / PERIODS[0])
         + np.cos(2 * np.pi * t / PERIODS[1]) + 0.3 * rng.standard_normal(n))
    return t[:, None], y


@pytest.mark.parametrize("seed", range(5))
def test_periodogram_peaks_are_the_frequencies_of_the_data(seed):
    X, y = irregular_series(seed)
    means, scales = make_spectral_grid(X, 60, n_scales=3, sampling="periodogram", y=y)
    assert means.shape == scales.shape == (60, 1)
    # the first 3 x 2 atoms: both peaks (strongest first), each at the three scales
    np.testing.assert_allclose(means[:6, 0], np.tile([0.37, 1.23], 3), atol=2e-3)
    np.testing.assert_array_equal(np.unique(scales[:6]), np.unique(scales))
    uniform, _ = make_spectral_grid(X, 54, n_scales=3)
    np.testing.assert_array_equal(means[6:], uniform)


def test_periodogram_grid_steadies_the_co2_forecast():
    """Weekly Mauna Loa CO2, train 900 / forecast 100: the uniform grid's forecast
    depends on where the annual cycle falls between atoms (MSE 2.98 at 200 atoms,
    3.55 at 350); with the periodogram's two peaks, MSE 0.29 and 0.32 (150-600
    atoms: 0.16-0.32, MNLP 0.63-0.82)."""
    from sparseopt.datasets import load_co2

    co2 = load_co2()
    X, y = co2.time[:1000, None], co2.data[:1000]
    for n_components in (200, 350):
        model = GSMPRegressor(n_components, grid="periodogram").fit(X[:900], y[:900])
        mean, std = model.predict(X[900:], return_std=True)
        mse = np.mean((mean - y[900:]) ** 2)
        mnlp = np.mean(0.5 * np.log(2 * np.pi * std**2) + 0.5 * (y[900:] - mean) ** 2 / std**2)
        assert mse <= 0.4 and mnlp <= 0.9, (n_components, mse, mnlp)


@pytest.mark.parametrize("kwargs, message", [
    ({"y": None}, "needs the targets y"),
    ({"X": np.ones((10, 2)), "y": np.arange(10.0)}, "one input dimension"),
    ({"y": np.arange(5.0)}, "y must have shape"),
    ({"y": np.full(40, np.nan)}, "NaN"),
    ({"n_components": 8}, "n_components=8 leaves no uniform grid"),
    ({"n_peaks": 0}, "n_peaks"),
    ({"X": np.zeros((40, 1))}, "two distinct values"),
])
def test_bad_periodogram_input_raises_clear_errors(kwargs, message):
    params = {"X": np.arange(40.0)[:, None], "y": np.sin(np.arange(40.0)), "n_components": 30,
              "sampling": "periodogram", **kwargs}
    with pytest.raises(ValueError, match=message):
        make_spectral_grid(params.pop("X"), **params)


def test_slimkl_refuses_the_periodogram_grid():
    # it would pool every agent's targets in one place
    X, y = irregular_series(n=60)
    with pytest.raises(InvalidParameterError, match="grid"):
        SLIMKLRegressor(2, grid="periodogram").fit(X, y)


def test_nothing_periodic_gets_no_peak():
    # constant or exactly quadratic targets: the detrended y is rounding noise,
    # whose periodogram maxima would place atoms at random
    X = np.arange(100.0)[:, None]
    uniform, _ = make_spectral_grid(X, 60)
    for y in (np.full(100, 3.0), 2.0 + 0.5 * X[:, 0] - 0.01 * X[:, 0] ** 2):
        means, _ = make_spectral_grid(X, 60, sampling="periodogram", y=y)
        np.testing.assert_array_equal(means, uniform)


def test_bursty_sampling_searches_below_the_mean_rate():
    """Three samples a day within 30 minutes: the median gap puts the Nyquist
    frequency at ~70 cycles a day; the peaks are sought below the mean rate's
    (1.5 a day), fast, and the period of 20 days is found (with its alias at
    0.95 a day, which the daily sampling cannot tell apart)."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        t = np.sort(np.concatenate([np.arange(200.0) + rng.uniform(0, 0.02, 200)
                                    for _ in range(3)]))
        y = np.sin(2 * np.pi * 0.05 * t) + 0.2 * rng.standard_normal(t.size)
        means, _ = make_spectral_grid(t[:, None], 60, sampling="periodogram", y=y)
        assert np.min(np.abs(means[:2, 0] - 0.05)) < 1e-3
        assert means[:2, 0].max() < 1.5

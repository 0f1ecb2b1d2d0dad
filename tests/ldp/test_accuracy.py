"""Accuracy: the rate in n, the bound on the error, and (slow) the paper-scale targets."""

import functools
import time
import tracemalloc

import numpy as np
import pytest

from sparseopt.datasets import make_ldp_regression
from sparseopt.ldp import LDPSparseRegressor

D, K = 50, 5
# Declared bounds for standardised features: the l2 norm at sqrt(d) (the root-mean-square
# norm of unit-variance features) and |y| at twice its standard deviation (~1 here).
L2_BOUNDS = dict(x_bound=np.sqrt(D), x_norm="l2", y_bound=2.0, on_out_of_bounds="clip")


@pytest.mark.parametrize("mode", ["public", "nldp"])
def test_error_decreases_at_the_square_root_rate(mode):
    """Noise-only estimates (no thresholding, no projection, bounds that do not bind):
    the median error over seeds falls as n**-1/2 (log-log slope in [-0.6, -0.4])."""
    sizes = [100_000, 400_000, 1_600_000]
    errors = np.empty((5, len(sizes)))
    for seed in range(5):
        X, y, coef, X_public = make_ldp_regression(sizes[-1], 5, 2, random_state=seed,
                                                   n_public=100_000)
        for j, n in enumerate(sizes):
            fitted = LDPSparseRegressor(
                epsilon=8.0 if mode == "public" else 30.0, mode=mode, x_bound=5.0, y_bound=5.0,
                on_out_of_bounds="clip", threshold_level=0.0, coef_bound=np.inf,
                random_state=seed).fit(X[:n], y[:n], **(
                    {"X_public": X_public} if mode == "public" else {}))
            errors[seed, j] = np.linalg.norm(fitted.coef_ - coef)
    median = np.median(errors, axis=0)
    assert median[0] < 0.5
    slope = np.polyfit(np.log(sizes), np.log(median), 1)[0]
    assert -0.6 <= slope <= -0.4, (median, slope)


CONFIGURATIONS = [  # data outermost: the cached data sets of one kind are used in a row
    dict(mode=mode, epsilon=epsilon, **data)
    for data in (dict(), dict(covariance="toeplitz", rho=0.5), dict(heavy_tailed=True))
    for mode in ("iht", "nldp", "public")
    for epsilon in (0.5, 4.0)
]


@functools.lru_cache(maxsize=6)
def users(n_samples, seed, data):
    """One data set (shared by the modes and epsilons of a configuration: read only)."""
    arrays = make_ldp_regression(n_samples, 20, 3, random_state=seed, n_public=2000, **dict(data))
    for array in arrays:
        array.flags.writeable = False
    return arrays


@pytest.mark.parametrize("config", CONFIGURATIONS,
                         ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_no_configuration_returns_an_error_above_the_truths_norm(config):
    """From hopeless (n = 2e4) to informative (n = 2e5) sample sizes, 3 seeds each:
    the projection and the noise-floor screening keep the error below 1.05 ||theta*||."""
    config = dict(config)
    mode, epsilon = config.pop("mode"), config.pop("epsilon")
    worst = 0.0
    for n in (20_000, 200_000):
        for seed in range(3):
            X, y, coef, X_public = users(n, seed, tuple(sorted(config.items())))
            fitted = LDPSparseRegressor(
                epsilon=epsilon, mode=mode, n_nonzero=3, random_state=seed,
                **{**L2_BOUNDS, "x_bound": np.sqrt(20)}).fit(
                X, y, **({"X_public": X_public} if mode == "public" else {}))
            worst = max(worst, np.linalg.norm(fitted.coef_ - coef) / np.linalg.norm(coef))
    assert worst <= 1.05


# ---------------------------------------------------------------- paper scale (slow)
def stream(n_samples, seed, chunk=500_000):
    """The users of one data set, generated chunk by chunk (same truth throughout)."""
    rng = np.random.default_rng(10_000 + seed)
    _, _, coef = make_ldp_regression(1, D, K, random_state=seed)
    for start in range(0, n_samples, chunk):
        X, y, _ = make_ldp_regression(min(chunk, n_samples - start), D, coef=coef,
                                      random_state=int(rng.integers(2**31)))
        yield X, y, coef


TARGETS = [  # mode, n, epsilon, target median error over 10 seeds
    ("iht", 1_000_000, 1.0, 0.15),
    ("iht", 1_000_000, 5.0, 0.05),
    ("public", 10_000_000, 1.0, 0.10),
    ("nldp", 10_000_000, 5.0, 0.65),
]


@pytest.mark.slow
@pytest.mark.parametrize("mode, n, epsilon, target", TARGETS)
def test_paper_scale_targets(mode, n, epsilon, target):
    """d = 50, k = 5, delta = 1e-6, ||theta*|| = 1, default parameters, 10 seeds."""
    errors = []
    for seed in range(10):
        model = LDPSparseRegressor(epsilon=epsilon, mode=mode, n_nonzero=K, random_state=seed,
                                   **L2_BOUNDS)
        _, _, coef, X_public = make_ldp_regression(1, D, K, random_state=seed, n_public=10_000)
        if mode == "iht":  # interactive: rounds need the users in memory
            X, y = map(np.concatenate, zip(*[(X, y) for X, y, _ in stream(n, seed)],
                                           strict=True))
            model.fit(X, y)
        else:
            for X, y, _ in stream(n, seed):
                model.partial_fit(X, y, X_public=X_public if mode == "public" else None)
        errors.append(np.linalg.norm(model.coef_ - coef))
    assert np.median(errors) <= target, np.round(errors, 4)
    assert max(errors) <= 1.05


@pytest.mark.slow
def test_one_pass_over_ten_million_users_in_bounded_memory():
    """Streaming n = 1e7, d = 50 through partial_fit: peak traced memory <= 200 MB
    (the chunks of data included: 500 000 users = 200 MB would not fit, 100 000 do)."""
    model = LDPSparseRegressor(epsilon=5.0, mode="nldp", random_state=0, **L2_BOUNDS)
    tracemalloc.start()
    for X, y, _ in stream(10_000_000, 0, chunk=100_000):
        model.partial_fit(X, y)
        del X, y
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert model.n_users_ == 10_000_000
    assert peak <= 200 * 2**20, f"peak {peak / 2**20:.0f} MB"


@pytest.mark.slow
def test_summed_path_is_fast_and_50_times_faster_than_the_per_user_path():
    X, y, _ = make_ldp_regression(100_000, D, K, random_state=0)
    params = dict(epsilon=1.0, mode="nldp", random_state=0, **L2_BOUNDS)
    LDPSparseRegressor(**params).fit(X[:5000], y[:5000])  # compile and warm up
    times = {}
    for path in ("summed", "per_user"):
        runs = []
        for _ in range(3 if path == "summed" else 1):
            start = time.perf_counter()
            LDPSparseRegressor(simulation=path, **params).fit(X, y)
            runs.append(time.perf_counter() - start)
        times[path] = min(runs)
    assert times["summed"] <= 0.2
    assert times["per_user"] / times["summed"] >= 50, times

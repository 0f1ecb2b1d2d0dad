"""LDPSparseRegressor: noiseless limits, paths, chunking, Dask, the server's inputs, errors."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import stats

from sparseopt.core import firm_threshold
from sparseopt.datasets import make_ldp_regression
from sparseopt.ldp import (
    Aggregator,
    LDPSparseRegressor,
    LocalRandomizer,
    Reports,
    _simulation,
    thresholded_least_squares,
)

BIG = dict(x_bound=1e6, y_bound=1e6)  # bounds that never bind


def model(**params):
    defaults = dict(epsilon=2.0, n_nonzero=3, x_bound=4.0, y_bound=4.0,
                    on_out_of_bounds="clip", random_state=0)
    return LDPSparseRegressor(**{**defaults, **params})


@pytest.fixture(scope="module")
def data():
    X, y, coef, X_public = make_ldp_regression(6000, 8, 3, random_state=0, n_public=500)
    return X, y, coef, X_public


# ----------------------------------------------------------------- epsilon = inf
@pytest.mark.parametrize("threshold", [0.0, 0.05])
def test_nldp_without_noise_is_the_thresholded_least_squares(data, threshold):
    X, y, _, _ = data
    fitted = model(epsilon=np.inf, mode="nldp", threshold="soft", threshold_level=threshold,
                   coef_bound=np.inf, n_nonzero=None, **BIG).fit(X, y)
    expected = np.linalg.solve(X.T @ X, X.T @ y)
    expected = np.sign(expected) * np.maximum(np.abs(expected) - threshold, 0.0)
    np.testing.assert_allclose(fitted.coef_, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(thresholded_least_squares(X, y, threshold), expected, atol=1e-10)
    assert fitted.noise_scale_ == {"covariance": 0.0, "cross": 0.0}


@pytest.mark.parametrize("threshold", ["firm", "hard"])
def test_nldp_without_noise_firm_and_hard_thresholds(data, threshold):
    """The default firm threshold (Gao & Bruce: 0 below t, identity above 2t, linear in
    between) and the hard one, against sparseopt.core's thresholds at t = 0.05 and 0.3."""
    X, y, _, _ = data
    least_squares = np.linalg.solve(X.T @ X, X.T @ y)
    for level in (0.05, 0.3):
        fitted = model(epsilon=np.inf, mode="nldp", threshold=threshold, threshold_level=level,
                       coef_bound=np.inf, n_nonzero=None, **BIG).fit(X, y)
        expected = (firm_threshold(least_squares, level, 2 * level) if threshold == "firm"
                    else np.where(np.abs(least_squares) > level, least_squares, 0.0))
        np.testing.assert_allclose(fitted.coef_, expected, rtol=0, atol=1e-10)
    between = (np.abs(least_squares) > 0.3) & (np.abs(least_squares) < 0.6)
    assert between.any()  # the linear part of the firm threshold is exercised


def test_public_without_noise_uses_the_public_covariance(data):
    X, y, _, _ = data
    fitted = model(epsilon=np.inf, mode="public", threshold_level=0.0, coef_bound=np.inf,
                   n_nonzero=None, **BIG).fit(X, y, X_public=X)
    np.testing.assert_allclose(fitted.coef_, np.linalg.solve(X.T @ X, X.T @ y), atol=1e-10)


def plain_iht(X, y, groups, n_nonzero, step_size, radius):
    """Reference: IHT with the exact gradient of each disjoint group (numpy, no clipping)."""
    coef = np.zeros(X.shape[1])
    for group in groups:
        Xg, yg = X[group], y[group]
        z = coef - step_size * Xg.T @ (Xg @ coef - yg) / len(group)
        keep = np.argsort(-np.abs(z), kind="stable")[:n_nonzero]
        coef = np.zeros_like(z)
        coef[keep] = z[keep]
        norm = np.linalg.norm(coef)
        if norm > radius:
            coef *= radius / norm
    return coef


@pytest.mark.parametrize("radius", [np.inf, 0.5])
def test_iht_without_noise_is_plain_iht_over_disjoint_rounds(data, radius):
    X, y, _, _ = data
    fitted = model(epsilon=np.inf, mode="iht", n_rounds=4, clip_norm=np.inf, step_size=0.8,
                   n_nonzero_iterate=4, coef_bound=radius, **BIG).fit(X, y)
    groups = np.array_split(np.arange(X.shape[0]), 4)
    np.testing.assert_allclose(fitted.coef_, plain_iht(X, y, groups, 4, 0.8, radius),
                               rtol=0, atol=1e-10)
    assert fitted.n_iter_ == 4 and fitted.n_users_ == X.shape[0]


def test_thresholded_least_squares_is_the_l1_problem_of_the_paper():
    """S_lambda(v) solves min ||theta||_1 s.t. ||theta - v||_inf <= lambda (cvxpy)."""
    cvxpy = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 6))
    y = X @ np.array([1.0, 0, 0, -0.4, 0, 0.1]) + 0.1 * rng.standard_normal(60)
    v = np.linalg.lstsq(X, y, rcond=None)[0]
    theta = cvxpy.Variable(6)
    cvxpy.Problem(cvxpy.Minimize(cvxpy.norm1(theta)),
                  [cvxpy.norm_inf(theta - v) <= 0.15]).solve()
    np.testing.assert_allclose(thresholded_least_squares(X, y, 0.15), theta.value, atol=1e-6)


# --------------------------------------------------------------- the two paths
def aggregated_noise(path, mode, X, y, seed, **broadcast):
    device = LocalRandomizer(mode, epsilon=1.0, delta=1e-6, n_features=X.shape[1],
                             x_bound=2.0, y_bound=2.0, on_out_of_bounds="clip")
    server = Aggregator(device.kind(**{k: v for k, v in broadcast.items() if k != "coef"}),
                        X.shape[1])
    reports, _ = _simulation.simulate_reports(device, seed, path, X, y, **broadcast)
    for batch in reports:
        server.partial_fit(batch)
    clean, _ = device.clean_reports(X, y, summed=True, **broadcast)
    return {part: total - clean[part] for part, total in server.sums().items()}


@pytest.mark.parametrize("mode, broadcast", [
    ("nldp", {}), ("iht", {"coef": np.array([0.3, -0.2, 0.0]), "clip_norm": 0.7})])
def test_summed_path_equals_the_per_user_path_in_distribution(mode, broadcast):
    """The server's total noise over 5000 users (2 full blocks and a partial one, whose
    sum comes from the Brownian bridge): two-sample KS over 300 seeds, per entry."""
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (5000, 3)), rng.uniform(-1, 1, 5000)
    summed = [aggregated_noise("summed", mode, X, y, seed, **broadcast) for seed in range(300)]
    per_user = [aggregated_noise("per_user", mode, X, y, seed, **broadcast)
                for seed in range(1000, 1300)]
    for part in summed[0]:
        a = np.array([s[part] for s in summed])
        b = np.array([s[part] for s in per_user])
        scale = LocalRandomizer(mode, epsilon=1.0, delta=1e-6, n_features=3, x_bound=2.0,
                                y_bound=2.0).noise_scales(
            **{k: v for k, v in broadcast.items() if k != "coef"})[part] * np.sqrt(5000)
        for column in range(a.shape[1]):
            assert stats.ks_2samp(a[:, column], b[:, column]).pvalue > 1e-4
            assert stats.kstest(a[:, column] / scale, "norm").pvalue > 1e-4


def test_bridge_prefix_sums_are_consistent_and_have_the_right_variance():
    sigma, key, width = 1.5, (7, 0, 0, 3, 0), 4
    full = _simulation.bridge_prefix_noise(sigma, key, _simulation.BLOCK_USERS, width)
    again = _simulation.bridge_prefix_noise(sigma, key, _simulation.BLOCK_USERS, width)
    np.testing.assert_array_equal(full, again)
    for n_users in (777, _simulation.BLOCK_USERS):  # a partial block (bridge), a full one
        draws = np.array([_simulation.bridge_prefix_noise(sigma, (seed, 0, 0, 0, 0), n_users,
                                                          1)[0] for seed in range(4000)])
        standardised = draws / (sigma * np.sqrt(n_users))
        assert stats.kstest(standardised, "norm").pvalue > 1e-3
        # the variance within 4 standard errors (sqrt(2/N)): a 5% error of the scale fails
        assert abs(np.mean(standardised**2) - 1.0) < 4 * np.sqrt(2 / draws.size)


# ------------------------------------------------------ identical results by seed
@pytest.mark.parametrize("mode", ["nldp", "public"])
@pytest.mark.parametrize("simulation", ["summed", "per_user"])
def test_chunked_partial_fit_gives_the_in_memory_result(data, mode, simulation):
    X, y, _, X_public = data
    extra = {"X_public": X_public} if mode == "public" else {}
    whole = model(mode=mode, simulation=simulation).fit(X, y, **extra)
    chunked = model(mode=mode, simulation=simulation)
    for chunk in np.array_split(np.arange(X.shape[0]), [700, 2300, 2301, 5000]):
        chunked.partial_fit(X[chunk], y[chunk], **extra)
    np.testing.assert_array_equal(chunked.coef_, whole.coef_)
    assert chunked.n_users_ == whole.n_users_ == X.shape[0]
    assert chunked.clipped_fraction_ == whole.clipped_fraction_


def test_iht_rounds_by_partial_fit_give_the_fit_result(data):
    X, y, _, _ = data
    whole = model(mode="iht", n_rounds=3).fit(X, y)
    rounds = model(mode="iht")
    for group in np.array_split(np.arange(X.shape[0]), 3):
        rounds.partial_fit(X[group], y[group])
    np.testing.assert_array_equal(rounds.coef_, whole.coef_)
    np.testing.assert_array_equal(rounds.clip_norms_, whole.clip_norms_)
    assert rounds.n_iter_ == 3 and len(rounds.history_) == 3


@pytest.mark.parametrize("mode", ["nldp", "iht"])
def test_dask_array_input_gives_the_in_memory_result(data, mode):
    da = pytest.importorskip("dask.array")
    X, y, _, _ = data
    whole = model(mode=mode).fit(X, y)
    lazy = model(mode=mode).fit(da.from_array(X, chunks=(1500, 8)), da.from_array(y, 1500))
    np.testing.assert_array_equal(lazy.coef_, whole.coef_)
    assert lazy.n_users_ == whole.n_users_


def test_dask_client_gives_the_in_memory_result(data):
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    X, y, _, _ = data
    whole = model(mode="nldp", simulation="per_user").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                on_cluster = model(mode="nldp", simulation="per_user", client=client).fit(X, y)
                lazy = model(mode="nldp", simulation="per_user").fit(
                    da.from_array(X, chunks=(2500, 8)), da.from_array(y, 2500))
    np.testing.assert_array_equal(on_cluster.coef_, whole.coef_)
    np.testing.assert_array_equal(lazy.coef_, whole.coef_)


def test_fixed_seed_is_reproducible_and_other_seeds_differ(data):
    X, y, _, _ = data
    first = model(mode="nldp", random_state=3).fit(X, y).coef_
    np.testing.assert_array_equal(model(mode="nldp", random_state=3).fit(X, y).coef_, first)
    other = model(mode="nldp", random_state=4, threshold_level=0.0).fit(X, y).coef_
    assert not np.array_equal(model(mode="nldp", random_state=3, threshold_level=0.0)
                              .fit(X, y).coef_, other)


# --------------------------------------------------------- the server's inputs
def test_the_server_only_ever_receives_reports(data, monkeypatch):
    """Every call into the server gets Reports whose parts differ from the clean
    statistics (noise was added on the devices) and share no memory with X or y."""
    X, y, _, X_public = data
    received = []
    original = Aggregator.partial_fit

    def spy(self, reports):
        received.append(reports)
        return original(self, reports)

    monkeypatch.setattr(Aggregator, "partial_fit", spy)
    for mode, simulation in [("nldp", "summed"), ("nldp", "per_user"), ("iht", "summed"),
                             ("public", "per_user")]:
        received.clear()
        extra = {"X_public": X_public} if mode == "public" else {}
        model(mode=mode, simulation=simulation).fit(X, y, **extra)
        assert received and all(isinstance(r, Reports) for r in received)
        for reports in received:
            for part, values in reports.parts.items():
                assert not np.shares_memory(values, X) and not np.shares_memory(values, y)
                assert values.shape[-1] != X.shape[1] or part in ("cross", "gradient")
            assert set(vars(reports)) == {"kind", "n_features", "n_users", "parts",
                                          "noise_scales", "summed", "first_user", "complete"}
    # what a report holds is noisy: the clean statistic is not in it
    device = LocalRandomizer("nldp", epsilon=1.0, delta=1e-6, n_features=8, x_bound=4.0,
                             y_bound=4.0, on_out_of_bounds="clip", random_state=0)
    reports = device.report(X[:10], y[:10])
    clean, _ = device.clean_reports(X[:10], y[:10])
    for part in clean:
        assert np.abs(reports.parts[part] - clean[part]).min() > 0


def test_the_server_refuses_raw_arrays(data):
    X, y, _, _ = data
    with pytest.raises(TypeError, match="never raw records"):
        Aggregator("nldp", 8).partial_fit(X)


def test_fit_reports_from_devices(data):
    X, y, coef, _ = data
    device = LocalRandomizer("nldp", epsilon=2.0, delta=1e-6, n_features=8, x_bound=4.0,
                             y_bound=4.0, on_out_of_bounds="clip", random_state=5)
    batches = [device.report(X[i:i + 1000], y[i:i + 1000]) for i in range(0, 6000, 1000)]
    fitted = model(mode="nldp").fit_reports(batches)
    server = Aggregator("nldp", 8)
    for batch in batches:
        server.partial_fit(batch)
    np.testing.assert_array_equal(model(mode="nldp").fit_reports(server).coef_, fitted.coef_)
    assert fitted.n_users_ == 6000 and np.isnan(fitted.clipped_fraction_)
    with pytest.raises(ValueError, match="noise scales"):
        model(mode="nldp", epsilon=1.0).fit_reports(batches)


# ------------------------------------------------------------------- attributes
def test_attributes(data):
    X, y, _, X_public = data
    fitted = model(mode="iht").fit(X, y)
    assert fitted.privacy_spent_ == (2.0, 1e-6)
    assert fitted.coef_.shape == (8,) and np.count_nonzero(fitted.coef_) <= 6
    assert fitted.noise_scale_["gradient"].shape == (fitted.n_iter_,)
    assert fitted.clip_norms_.shape == (fitted.n_iter_,)
    assert fitted.n_users_ == 6000 and 0 <= fitted.clipped_fraction_ < 0.01
    pure = model(mode="public", mechanism="laplace").fit(X, y, X_public=X_public)
    assert pure.privacy_spent_ == (2.0, 0.0)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_clipped_fraction_counts_records_outside_the_bounds(data):
    X, y, _, _ = data
    outside = np.any(np.abs(X) > 1.0, axis=1) | (np.abs(y) > 1.0)
    fitted = model(mode="nldp", x_bound=1.0, y_bound=1.0).fit(X, y)
    assert fitted.clipped_fraction_ == pytest.approx(outside.mean())


# ----------------------------------------------------------------------- errors
def test_out_of_bounds_records_raise_by_default(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"row\(s\) of X have \|x_ij\| > x_bound=2"):
        model(mode="nldp", x_bound=2.0, on_out_of_bounds="raise").fit(X, y)
    with pytest.raises(ValueError, match=r"value\(s\) of y have \|y_i\| > y_bound=0.5"):
        model(mode="nldp", x_bound=10.0, y_bound=0.5, on_out_of_bounds="raise").fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(x_bound=None), "x_bound must be declared"),
    (dict(y_bound=None), "y_bound must be declared"),
    (dict(epsilon=0.0), "epsilon"), (dict(epsilon=-1.0), "epsilon"),
    (dict(delta=0.0), "delta"), (dict(delta=1.5), "delta"),
    (dict(mode="iht", n_nonzero=None), "needs n_nonzero"),
    (dict(mode="iht", n_nonzero=20), "exceeds the 8 features"),
    (dict(mode="public"), "needs X_public"),
    (dict(simulation="summed", mechanism="laplace"), "simulation='summed' needs"),
    (dict(secure=True, random_state=0), "cannot be seeded"),
])
def test_clear_errors(data, params, match):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=match):
        model(**params).fit(X, y)


def test_other_mechanisms_and_secure_sampling_fit(data):
    X, y, coef, X_public = data
    for params in (dict(mode="iht", mechanism="l2_ball"), dict(mode="nldp", mechanism="laplace"),
                   dict(mode="public", secure=True, random_state=None),
                   dict(mode="iht", mechanism="gaussian_classic", epsilon=1.0)):
        extra = {"X_public": X_public} if params["mode"] == "public" else {}
        fitted = model(**params).fit(X, y, **extra)
        assert np.linalg.norm(fitted.coef_) <= 1.0 + 1e-12


def test_verbose_prints_progress(data, capsys):
    X, y, _, _ = data
    model(mode="iht", verbose=2).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("[LDPSparseRegressor.iht] iter") for line in lines)

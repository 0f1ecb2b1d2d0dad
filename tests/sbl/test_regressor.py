"""SBLRegressor and MultiTaskSBL against scikit-learn's ARDRegression, Lasso and
OMP; invariances, complex data, warnings and untouched inputs."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ARDRegression, OrthogonalMatchingPursuit, lars_path

from sparseopt.sbl import MultiTaskSBL, SBLRegressor


def _regression(seed, n=100, p=30, k=5, noise=0.3, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = 2.0 * rng.standard_normal(k)
    return X, X @ w + noise * rng.standard_normal(n) + offset, w


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("n, p, seed", [(100, 30, 0), (80, 40, 2), (200, 50, 1), (60, 20, 3)])
def test_matches_ard_regression_configured_alike(fit_intercept, n, p, seed):
    """Same model and MacKay updates as ARDRegression once its Gamma hyperpriors are
    flat (alpha_1 = ... = lambda_2 = 0), it does not prune and both run to a tight tol."""
    X, y, _ = _regression(seed, n, p, offset=3.0 * fit_intercept)
    ard = ARDRegression(fit_intercept=fit_intercept, tol=1e-12, max_iter=5000, alpha_1=0,
                        alpha_2=0, lambda_1=0, lambda_2=0, threshold_lambda=1e12).fit(X, y)
    ours = SBLRegressor(fit_intercept=fit_intercept, prune_rel=1e-12, tol=1e-12,
                        max_iter=5000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ard.coef_, atol=1e-4)
    assert ours.intercept_ == pytest.approx(ard.intercept_, abs=1e-4)
    assert ours.alpha_ == pytest.approx(ard.alpha_, rel=1e-4)
    mean, std = ours.predict(X[:7], return_std=True)
    ard_mean, ard_std = ard.predict(X[:7], return_std=True)
    np.testing.assert_allclose(mean, ard_mean, atol=1e-4)
    np.testing.assert_allclose(std, ard_std, rtol=1e-4)


def test_predict_std_is_the_posterior_predictive():
    X, y, _ = _regression(4, 40, 60)
    model = SBLRegressor(update="em").fit(X, y)
    Xc = X[:5] - model.X_offset_
    A = Xc[:, model.active_]
    variance = np.einsum("ij,jk,ik->i", A, model.sigma_, A) + model.noise_variance_
    np.testing.assert_allclose(model.predict(X[:5], return_std=True)[1], np.sqrt(variance))
    sigma = np.linalg.inv((X - X.mean(0))[:, model.active_].T @ (X - X.mean(0))[:, model.active_]
                          / model.noise_variance_ + np.diag(1 / model.gamma_[model.active_]))
    np.testing.assert_allclose(model.sigma_, sigma, rtol=1e-6, atol=1e-12)


def _exact_support(coef, support):
    return set(np.flatnonzero(np.abs(coef) > 1e-3 * np.abs(coef).max())) == set(support)


@pytest.mark.parametrize("k", [14, 18])
def test_noiseless_support_recovery_beats_lasso_and_omp(k):
    """n = 50, p = 100, unit-norm Gaussian columns, k standard normal coefficients,
    20 seeds: fast SBL finds the exact support at least as often as the best point of the
    whole Lasso path (an oracle choice of alpha) and as OMP told the true k."""
    wins = {"sbl": 0, "lasso": 0, "omp": 0}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((50, 100))
        X /= np.linalg.norm(X, axis=0)
        support = rng.choice(100, k, replace=False)
        w = np.zeros(100)
        w[support] = rng.standard_normal(k)
        y = X @ w
        sbl = SBLRegressor("fast", noise=1e-8 * np.var(y), fit_intercept=False).fit(X, y)
        wins["sbl"] += _exact_support(sbl.coef_, support)
        _, _, path = lars_path(X, y, method="lasso")
        wins["lasso"] += any(set(np.flatnonzero(np.abs(c) > 1e-10)) == set(support)
                             for c in path.T)
        omp = OrthogonalMatchingPursuit(n_nonzero_coefs=k, fit_intercept=False).fit(X, y)
        wins["omp"] += _exact_support(omp.coef_, support)
    assert wins["sbl"] >= wins["lasso"] and wins["sbl"] >= wins["omp"], wins
    assert wins["sbl"] >= 18


@pytest.mark.parametrize("update", ["mackay", "em", "mm", "fast"])
def test_rescaling_invariance(update):
    """Relative pruning, relative stopping rules and a scale-aware start: scaling
    y by c scales the coefficients by c, scaling X by s divides them by s."""
    X, y, _ = _regression(5, 60, 40)
    base = SBLRegressor(update).fit(X, y).coef_
    np.testing.assert_allclose(SBLRegressor(update).fit(X, 1e3 * y).coef_, 1e3 * base,
                               rtol=1e-6, atol=1e-9 * np.abs(1e3 * base).max())
    np.testing.assert_allclose(SBLRegressor(update).fit(1e-2 * X, y).coef_, 1e2 * base,
                               rtol=1e-6, atol=1e-9 * np.abs(1e2 * base).max())


@pytest.mark.parametrize("update", ["mackay", "em", "mm", "fast"])
def test_complex_data(update):
    rng = np.random.default_rng(6)
    X = (rng.standard_normal((60, 90)) + 1j * rng.standard_normal((60, 90))) / np.sqrt(2)
    w = np.zeros(90, dtype=complex)
    w[[4, 50, 77]] = [1 + 1j, -2.0, 1.5j]
    y = X @ w + 0.01 * (rng.standard_normal(60) + 1j * rng.standard_normal(60))
    with pytest.raises(ValueError, match="Complex data not supported.*complex_data=True"):
        SBLRegressor(update).fit(X, y)
    model = SBLRegressor(update, complex_data=True, noise=1e-4).fit(X, y)
    assert np.iscomplexobj(model.coef_)
    assert set(np.flatnonzero(np.abs(model.coef_) > 0.1)) == {4, 50, 77}
    np.testing.assert_allclose(model.coef_[[4, 50, 77]], w[[4, 50, 77]], atol=0.02)
    mean, std = model.predict(X[:3], return_std=True)
    np.testing.assert_allclose(mean, X[:3] @ model.coef_ + model.intercept_)
    assert np.all(std > 0) and np.isrealobj(std)


def test_fast_and_iterative_reach_comparable_evidence():
    X, y, w = _regression(7, 80, 200, k=6, noise=0.05)
    models = {u: SBLRegressor(u, noise=0.0025, fit_intercept=False).fit(X, y)
              for u in ("mackay", "em", "fast")}
    for model in models.values():
        assert set(np.flatnonzero(np.abs(model.coef_) > 0.2)) == set(np.flatnonzero(w))
    assert (models["fast"].log_marginal_likelihood_
            >= models["em"].log_marginal_likelihood_ - 1e-6)
    assert len(models["fast"].history_) == models["fast"].n_iter_ + 1


def test_warns_on_max_iter_and_leaves_inputs_untouched():
    X, y, _ = _regression(8, 40, 60)
    X_copy, y_copy = X.copy(), y.copy()
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=3"):
        SBLRegressor(update="em", max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SBLRegressor().fit(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_noise_floor_stops_the_collapse():
    X, y, _ = _regression(9, 50, 200, k=5, noise=0.3)
    free = SBLRegressor(noise_floor=0.0).fit(X, y)
    floored = SBLRegressor(noise_floor=1e-2).fit(X, y)
    assert floored.noise_variance_ >= 1e-2 * np.var(y) * (1 - 1e-12)
    assert free.noise_variance_ < floored.noise_variance_
    assert np.count_nonzero(floored.coef_) < np.count_nonzero(free.coef_)


def test_multitask_with_one_column_is_sbl_and_pooling_helps():
    X, y, _ = _regression(10, 40, 80)
    single = SBLRegressor(update="em").fit(X, y)
    multi = MultiTaskSBL(update="em").fit(X, y[:, None])
    np.testing.assert_allclose(multi.coef_[0], single.coef_, atol=1e-10)
    assert multi.predict(X).shape == (40, 1)
    one_d = MultiTaskSBL(update="em").fit(X, y)
    np.testing.assert_allclose(one_d.coef_, single.coef_, atol=1e-10)
    found_multi, found_single = 0, 0
    for seed in range(10):  # 8 tasks sharing 6 rows, 25 samples, 80 features
        rng = np.random.default_rng(100 + seed)
        X = rng.standard_normal((25, 80))
        rows = rng.choice(80, 6, replace=False)
        W = np.zeros((80, 8))
        W[rows] = rng.standard_normal((6, 8))
        Y = X @ W + 0.05 * rng.standard_normal((25, 8))
        model = MultiTaskSBL().fit(X, Y)
        top = set(np.argsort(-model.gamma_)[:6])
        found_multi += top == set(rows)
        single = SBLRegressor(update="em").fit(X, Y[:, 0])
        found_single += set(np.argsort(-np.abs(single.coef_))[:6]) == set(rows)
        _, std = model.predict(X[:2], return_std=True)
        assert std.shape == (2, 8)
    assert found_multi >= 9 and found_multi > found_single


@pytest.mark.parametrize("kwargs, match", [
    ({"noise": -1.0}, "noise"),
    ({"noise": 0.0}, "noise"),
    ({"prune_rel": 1.0}, "prune_rel"),
    ({"prune_rel": 0.0}, "prune_rel"),
    ({"update": "newton"}, "update"),
    ({"noise_floor": 2.0}, "noise_floor"),
])
def test_bad_parameters_name_the_argument(kwargs, match):
    X, y, _ = _regression(11, 20, 10)
    with pytest.raises(ValueError, match=match):
        SBLRegressor(**kwargs).fit(X, y)
    with pytest.raises(ValueError, match="must not contain NaN"):
        SBLRegressor(complex_data=True).fit(X.astype(complex), np.full(20, np.nan + 0j))

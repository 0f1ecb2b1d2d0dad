"""Sample weights (scikit-learn's semantics) and per-feature penalty factors."""

import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import ElasticNet as SklearnElasticNet

from sparseopt.bcd import (
    ElasticNet,
    Lasso,
    MultinomialLogisticRegression,
    SparseLogisticRegression,
    lasso_path,
)
from sparseopt.datasets import make_sparse_regression


@pytest.fixture(scope="module")
def data():
    X, y, _ = make_sparse_regression(60, 40, 6, rho=0.5, random_state=2)
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.0, 3.0, 60)
    sample_weight[:6] = 0.0
    factors = rng.uniform(0.5, 2.0, 40)
    factors[[0, 3, 7]] = 0.0  # unpenalised features
    return X, y + 1.5, sample_weight, factors


def least_squares_cvxpy(X, y, alpha, l1_ratio, sample_weight, factors, fit_intercept):
    n, p = X.shape
    w, b = cp.Variable(p), cp.Variable()
    c = sample_weight / sample_weight.sum()
    residual = y - X @ w - (b if fit_intercept else 0)
    objective = 0.5 * cp.sum(cp.multiply(c, cp.square(residual))) + alpha * (
        l1_ratio * cp.sum(cp.multiply(factors, cp.abs(w)))
        + 0.5 * (1 - l1_ratio) * cp.sum(cp.multiply(factors, cp.square(w))))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13)
    return w.value, (b.value if fit_intercept else 0.0), problem.value


def objective(X, y, coef, intercept, alpha, l1_ratio, sample_weight, factors):
    c = sample_weight / sample_weight.sum()
    residual = y - X @ coef - intercept
    return 0.5 * c @ residual**2 + alpha * factors @ (
        l1_ratio * np.abs(coef) + 0.5 * (1 - l1_ratio) * coef**2)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.4])
def test_sample_weight_matches_sklearn(data, sparse, fit_intercept, l1_ratio):
    X, y, sample_weight, _ = data
    design = sp.csc_matrix(X) if sparse else X
    options = {"alpha": 0.05, "l1_ratio": l1_ratio, "fit_intercept": fit_intercept}
    reference = SklearnElasticNet(tol=1e-15, max_iter=1_000_000, **options).fit(
        design, y, sample_weight=sample_weight)
    for configuration in ({}, {"precompute": True} if not sparse else {"selection": "gsl"}):
        model = ElasticNet(tol=1e-12, **options, **configuration).fit(
            design, y, sample_weight=sample_weight)
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-9)
        assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-9)
        assert model.dual_gap_ == pytest.approx(reference.dual_gap_, abs=1e-10)


def test_sample_weight_on_the_block_engine(data):
    X, y, sample_weight, _ = data
    reference = SklearnElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-15, max_iter=1_000_000).fit(
        X, y, sample_weight=sample_weight)
    model = ElasticNet(alpha=0.05, l1_ratio=0.5, blocks="sorted", block_size=4, selection="gsq",
                       update="lipschitz_matrix", tol=1e-13, max_iter=100_000).fit(
        X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("solver", [{}, {"precompute": True}, {"selection": "gs"},
                                    {"blocks": "variable", "block_size": 3, "selection": "gsl",
                                     "update": "newton"}])
def test_penalty_factors_match_cvxpy(data, fit_intercept, l1_ratio, solver):
    X, y, sample_weight, factors = data
    w_ref, b_ref, best = least_squares_cvxpy(X, y, 0.05, l1_ratio, sample_weight, factors,
                                             fit_intercept)
    engine = "blocks" in solver
    model = ElasticNet(alpha=0.05, l1_ratio=l1_ratio, weights=factors,
                       fit_intercept=fit_intercept, tol=1e-13,
                       max_iter=200_000 if engine else 1000, **solver)
    model.fit(X, y, sample_weight=sample_weight)
    ours = objective(X, y, model.coef_, model.intercept_, 0.05, l1_ratio, sample_weight,
                     factors)
    assert ours <= best + 1e-9 * abs(best)
    np.testing.assert_allclose(model.coef_, w_ref, atol=1e-5 if engine else 1e-6)
    if not engine:  # the fast solver's gap is a certificate despite unpenalised features
        assert model.dual_gap_ >= ours - best - 1e-12
        assert model.dual_gap_ <= 1e-12 * objective(X, y, 0 * w_ref, np.average(
            y, weights=sample_weight) if fit_intercept else 0.0, 0.05, l1_ratio,
            sample_weight, factors)


def test_unpenalised_feature_is_fitted_freely(data):
    X, y, _, _ = data
    factors = np.ones(X.shape[1])
    factors[5] = 0.0
    huge = Lasso(alpha=1e3, weights=factors).fit(X, y)  # everything else is zero
    slope = np.polyfit(X[:, 5], y, 1)[0]
    assert np.flatnonzero(huge.coef_).tolist() == [5]
    assert huge.coef_[5] == pytest.approx(slope, rel=1e-6)


def test_screening_with_penalty_factors_keeps_the_solution():
    X, y, _ = make_sparse_regression(80, 400, 5, rho=0.0, random_state=1)
    factors = np.linspace(0.0, 2.0, 400)
    alpha = np.max(np.abs(X.T @ y)[1:] / factors[1:]) / 80 / 3
    screened = Lasso(alpha=alpha, weights=factors, fit_intercept=False, tol=1e-12).fit(X, y)
    plain = Lasso(alpha=alpha, weights=factors, fit_intercept=False, tol=1e-12,
                  screening=False).fit(X, y)
    np.testing.assert_allclose(screened.coef_, plain.coef_, atol=1e-9)


def test_lasso_path_takes_weights_and_sample_weight(data):
    X, y, sample_weight, factors = data
    alphas, coefs, _ = lasso_path(X, y, alphas=5, fit_intercept=True, tol=1e-12,
                                  sample_weight=sample_weight, weights=factors)
    assert not coefs[factors > 0, 0].any()  # alpha_max of the weighted problem
    for k, alpha in enumerate(alphas):
        single = Lasso(alpha=alpha, weights=factors, tol=1e-12).fit(
            X, y, sample_weight=sample_weight)
        np.testing.assert_allclose(coefs[:, k], single.coef_, atol=1e-8)


def logistic_cvxpy(X, signs, alpha, l1_ratio, sample_weight, factors, fit_intercept=True):
    n, p = X.shape
    w, b = cp.Variable(p), (cp.Variable() if fit_intercept else cp.Constant(0.0))
    c = sample_weight / sample_weight.sum()
    loss = cp.sum(cp.multiply(c, cp.logistic(-cp.multiply(signs, X @ w + b))))
    penalty = alpha * (l1_ratio * cp.sum(cp.multiply(factors, cp.abs(w)))
                       + 0.5 * (1 - l1_ratio) * cp.sum(cp.multiply(factors, cp.square(w))))
    cp.Problem(cp.Minimize(loss + penalty)).solve(solver=cp.CLARABEL, tol_gap_abs=1e-12,
                                                  tol_gap_rel=1e-12, tol_feas=1e-12)
    return w.value, b.value


@pytest.mark.parametrize("sparse", [False, True])
def test_logistic_sample_and_penalty_weights_match_cvxpy(data, sparse):
    X, y, sample_weight, factors = data
    signs = np.where(y > np.median(y), 1.0, -1.0)
    w_ref, b_ref = logistic_cvxpy(X, signs, 0.02, 1.0, sample_weight, factors)
    design = sp.csr_matrix(X) if sparse else X
    model = SparseLogisticRegression(alpha=0.02, weights=factors, tol=1e-12).fit(
        design, signs, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_.ravel(), w_ref, atol=2e-6)
    assert model.intercept_[0] == pytest.approx(b_ref, abs=2e-6)


def test_logistic_integer_weights_equal_repeated_samples(data):
    X, y, _, _ = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    counts = np.random.default_rng(3).integers(0, 3, len(y))
    repeated = np.repeat(np.arange(len(y)), counts)
    for model in (SparseLogisticRegression(alpha=0.01, tol=1e-12),
                  MultinomialLogisticRegression(alpha=0.01, tol=1e-11, max_iter=20_000)):
        target = labels if isinstance(model, MultinomialLogisticRegression) else labels > 0
        weighted = model.fit(X, target, sample_weight=counts).coef_.copy()
        np.testing.assert_allclose(weighted, model.fit(X[repeated], target[repeated]).coef_,
                                   atol=1e-6)


def test_multinomial_penalty_factors(data):
    X, y, _, factors = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = MultinomialLogisticRegression(alpha=0.02, weights=factors, tol=1e-11,
                                          max_iter=20_000).fit(X, labels)
    W, b = cp.Variable((40, 3)), cp.Variable(3)
    scores = X @ W + np.ones((60, 1)) @ cp.reshape(b, (1, 3), order="C")
    loss = (cp.sum(cp.log_sum_exp(scores, axis=1)) - cp.sum(cp.multiply(np.eye(3)[labels],
                                                                        scores))) / 60
    penalty = 0.02 * cp.sum(cp.multiply(factors[:, None], cp.abs(W)))
    cp.Problem(cp.Minimize(loss + penalty)).solve(solver=cp.CLARABEL, tol_gap_abs=1e-12,
                                                  tol_gap_rel=1e-12, tol_feas=1e-12)
    # an unpenalised row is defined up to a shift common to the classes (softmax)
    def centred(rows):
        return rows - rows.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(centred(model.coef_.T), centred(W.value), atol=5e-5)


def test_logistic_engine_rejects_sample_weight_and_takes_factors(data):
    X, y, sample_weight, factors = data
    signs = y > np.median(y)
    engine = SparseLogisticRegression(alpha=0.02, selection="gsl", blocks="variable",
                                      block_size=4, weights=factors, tol=1e-10, max_iter=20_000)
    with pytest.raises(ValueError, match="sample_weight is supported by the default solver"):
        engine.fit(X, signs, sample_weight=sample_weight)
    fast = SparseLogisticRegression(alpha=0.02, weights=factors, tol=1e-12).fit(X, signs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine.fit(X, signs)
    np.testing.assert_allclose(engine.coef_, fast.coef_, atol=1e-5)


@pytest.mark.parametrize("bad, match", [(np.ones(3), r"weights must have shape \(40,\)"),
                                        (-np.ones(40), "weights must be non-negative"),
                                        (np.full(40, np.nan), "weights.*NaN")])
def test_bad_penalty_factors_are_named(data, bad, match):
    X, y, _, _ = data
    for model in (Lasso(weights=bad), SparseLogisticRegression(weights=bad)):
        with pytest.raises(ValueError, match=match):
            model.fit(X, y > 0)


@pytest.mark.parametrize("seed", range(10))
def test_positive_with_unpenalised_features_matches_cvxpy(seed):
    # Under positive=True an unpenalised feature off the support may leave the
    # dual point infeasible (x_j^T theta > 0): the check then has no gap
    # certificate, and Gap Safe screening must not run on it (it discarded an
    # active feature on seed 5: objective 1.8% above the optimum).
    rng = np.random.default_rng(seed)
    n, p = 40, 15
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.3)
    truth = np.zeros(p)
    truth[:4] = 2 * rng.standard_normal(4)
    y = X @ truth + 0.5 * rng.standard_normal(n) + 1.0
    factors = np.r_[0.0, 0.0, np.random.default_rng(seed + 1).uniform(0.3, 2.0, p - 2)]
    alpha, optimum, solution = _positive_with_unpenalised_cvxpy(X, y, factors, 0.9)
    model = Lasso(alpha=alpha, positive=True, weights=factors, tol=1e-10,
                  max_iter=100_000).fit(X, y)
    ours = 0.5 * np.sum((y - X @ model.coef_ - model.intercept_) ** 2) / n \
        + alpha * factors @ np.abs(model.coef_)
    assert ours <= optimum + 1e-8 * abs(optimum)
    np.testing.assert_allclose(model.coef_, solution, atol=1e-5)


def _positive_with_unpenalised_cvxpy(X, y, factors, fraction):
    """``(alpha, optimum, coefficients)`` of the positive weighted Lasso with an
    intercept at ``fraction`` of the penalised features' alpha_max, by cvxpy."""
    n, p = X.shape
    centred = X - X.mean(axis=0)
    penalised = factors > 0
    alpha = fraction * np.max(np.abs(centred[:, penalised].T @ (y - y.mean()))
                              / factors[penalised]) / n
    w, b = cp.Variable(p, nonneg=True), cp.Variable()
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - X @ w - b) / n
                                     + alpha * cp.sum(cp.multiply(factors, cp.abs(w)))))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13)
    return alpha, problem.value, w.value


def _unpenalised_problem(seed, alpha_fraction):
    rng = np.random.default_rng(seed)
    n, p = 40, 15
    X = rng.standard_normal((n, p))
    truth = np.zeros(p)
    truth[:4] = 2 * rng.standard_normal(4)
    y = X @ truth + 0.5 * rng.standard_normal(n) + 1.0
    factors = np.r_[0.0, 0.0, np.random.default_rng(seed + 1).uniform(0.3, 2.0, p - 2)]
    centred = X - X.mean(axis=0)
    alpha = alpha_fraction * np.max(np.abs(centred[:, 2:].T @ (y - y.mean())) / factors[2:]) / n
    return X, y, factors, alpha


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("engine", [{"selection": "lipschitz"}, {"active_set": True},
                                    {"blocks": "sorted", "block_size": 3}])
def test_engine_with_intercept_and_unpenalised_features_matches_cvxpy(engine, positive):
    # The engine's gap at the optimal intercept took its dual point without
    # projecting it off the other unpenalised columns: infeasible, it gave a
    # zero gap and a stop 7e-3 above the optimum (seed 4), with no warning.
    for seed in (3, 4, 5):
        X, y, factors, alpha = _unpenalised_problem(seed, 0.5)
        n, p = X.shape
        w, b = cp.Variable(p, nonneg=positive), cp.Variable()
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - X @ w - b) / n
                                         + alpha * cp.sum(cp.multiply(factors, cp.abs(w)))))
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13)
        model = Lasso(alpha=alpha, weights=factors, positive=positive, tol=1e-10,
                      max_iter=20_000, random_state=0, **engine).fit(X, y)
        ours = 0.5 * np.sum((y - X @ model.coef_ - model.intercept_) ** 2) / n \
            + alpha * factors @ np.abs(model.coef_)
        assert ours - problem.value <= 1e-8 * problem.value
        assert model.dual_gap_ >= ours - problem.value - 1e-12  # a certificate
        np.testing.assert_allclose(model.coef_, w.value, atol=1e-4)


@pytest.mark.parametrize("selection", ["cyclic", "gs"])
@pytest.mark.parametrize("tol", [1e-8, 1e-10])
def test_float32_at_tight_tol_reaches_the_optimum(selection, tol):
    # The gap was computed from the kernels' float32 residual: a fake zero gap
    # let Gap Safe screening discard active features (all coefficients zero,
    # no warning, 9.6% above the optimum with gs at tol=1e-10).
    rng = np.random.default_rng(3)
    n, p = 40, 15
    X = rng.standard_normal((n, p)).astype(np.float32)
    truth = np.zeros(p)
    truth[:4] = 2 * rng.standard_normal(4)
    y = X @ truth + 0.5 * rng.standard_normal(n) + 1.0
    sample_weight = np.r_[np.zeros(5), np.random.default_rng(3).uniform(0.2, 3.0, n - 5)]
    c = sample_weight / sample_weight.sum()
    alpha = 2 * np.max(np.abs(X.T @ (c * y)))
    X64 = X.astype(np.float64)  # the same (rounded) data
    w = cp.Variable(p)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum(cp.multiply(c, cp.square(y - X64 @ w)))
                                     + 0.5 * alpha * cp.norm1(w)
                                     + 0.25 * alpha * cp.sum_squares(w)))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float64 gap certifies the float32 iterate
        model = ElasticNet(alpha=alpha, l1_ratio=0.5, fit_intercept=False, selection=selection,
                           tol=tol).fit(X, y, sample_weight=sample_weight)
    ours = 0.5 * c @ (y - X64 @ model.coef_) ** 2 + 0.5 * alpha * np.abs(model.coef_).sum() \
        + 0.25 * alpha * model.coef_ @ model.coef_
    assert ours - problem.value <= 1e-6 * problem.value
    np.testing.assert_allclose(model.coef_, w.value, atol=1e-5)



def test_positive_with_unpenalised_features_gap_is_a_certificate_at_every_check():
    # An unpenalised feature off the support with x_j^T theta > 0 is projected
    # off too, so the dual point is feasible and every recorded gap a finite
    # certificate (the gap was infinite at such checks: no screening and no
    # stop on the gap there, e.g. at the start of every fit below).
    for seed in range(10):
        rng = np.random.default_rng(seed)
        n, p = 40, 15
        X = rng.standard_normal((n, p))
        X[:, 1] = X[:, 2] + 0.3 * rng.standard_normal(n)  # pulls feature 1 up early
        truth = np.r_[-1.0, 0.0, 2.0, 2.0, 2.0, np.zeros(p - 5)]  # feature 0 ends at 0
        y = X @ truth + 0.5 * rng.standard_normal(n) - 1.0
        factors = np.r_[0.0, 0.0, np.random.default_rng(seed + 1).uniform(0.3, 2.0, p - 2)]
        alpha, optimum, _ = _positive_with_unpenalised_cvxpy(X, y, factors, 0.5)
        model = Lasso(alpha=alpha, positive=True, weights=factors, tol=1e-10,
                      max_iter=10_000).fit(X, y)
        gaps, objectives = model.history_.criteria, model.history_.objectives
        assert np.all(np.isfinite(gaps)), (seed, gaps)
        assert np.all(objectives - gaps <= optimum + 1e-9 * abs(optimum)), seed
        assert model.coef_[0] == 0.0 and model.coef_[1] > 0.0


def _unpenalised_logistic_problem(seed, offset):
    # columns of large mean, three unpenalised: their gradient is ~offset times
    # larger than a centred column's at every distance from the optimum
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((100, 20))
    truth = np.r_[rng.standard_normal(5), np.zeros(15)]
    signs = np.where(X @ truth + 0.5 * rng.standard_normal(100) > 0, 1.0, -1.0)
    factors = np.ones(20)
    factors[rng.choice(20, 3, replace=False)] = 0.0
    return X + offset, signs, factors


def _logistic_objective(X, signs, coef, intercept, alpha, l1_ratio, factors):
    z = X @ coef + intercept
    return np.mean(np.logaddexp(0.0, -signs * z)) + alpha * factors @ (
        l1_ratio * np.abs(coef) + 0.5 * (1 - l1_ratio) * coef**2)


@pytest.mark.parametrize("seed, fit_intercept, sparse", [
    (2, False, False), (6, False, False), (10, False, False), (2, False, True),
    (0, True, False), (10, True, True)])
def test_logistic_with_unpenalised_features_stops_only_when_its_gap_is_a_certificate(
        seed, fit_intercept, sparse):
    # The gap skipped the unpenalised features' dual constraint and the stop
    # tested their gradient against the largest gradient at zero: at the
    # default tol 1e-4 the first three fits stopped without a warning up to
    # 3e-3 above the optimum, reporting dual_gap_ = 0. The dual point now
    # takes the unpenalised block's Newton step, so the gap bounds the
    # distance to the optimum wherever it is computed (every check whose
    # recorded criterion is below tol, and the last).
    X, signs, factors = _unpenalised_logistic_problem(seed, 1e4)
    w_ref, b_ref = logistic_cvxpy(X, signs, 0.01, 0.5, np.ones(100), factors, fit_intercept)
    optimum = _logistic_objective(X, signs, w_ref, b_ref, 0.01, 0.5, factors)
    design = sp.csc_matrix(X) if sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseLogisticRegression(alpha=0.01, l1_ratio=0.5, weights=factors,
                                         fit_intercept=fit_intercept).fit(design, signs)
    ours = _logistic_objective(X, signs, model.coef_.ravel(), model.intercept_[0], 0.01, 0.5,
                               factors)
    assert ours - optimum <= model.dual_gap_ + 1e-9 * optimum
    assert ours - optimum <= 1e-4 * np.log(2.0)
    met = model.history_.criteria <= 1e-4
    checked = model.history_.objectives[met] - np.log(2.0) * model.history_.criteria[met]
    assert np.all(checked <= optimum * (1 + 1e-9)), checked - optimum


def test_logistic_separable_on_unpenalised_features_stops_on_its_objective():
    # Separable by unpenalised features, the infimum is 0 and the block's
    # Newton step leaves the dual domain: the gap is then the objective (the
    # gap at the dual point 0). The parent stopped at P = 1.6e-4 > tol log 2
    # reporting dual_gap_ = 0; an infinite gap there ran to max_iter.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 30))
    signs = np.sign(X[:, 0])
    factors = np.r_[np.zeros(3), np.ones(27)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseLogisticRegression(alpha=0.01, weights=factors).fit(X, signs)
    ours = _logistic_objective(X, signs, model.coef_.ravel(), model.intercept_[0], 0.01, 1.0,
                               factors)
    assert ours <= model.dual_gap_ * (1 + 1e-9)
    assert model.dual_gap_ <= 1e-4 * np.log(2.0)


def test_logistic_overflow_with_unpenalised_features_is_a_clear_error():
    X, signs, factors = _unpenalised_logistic_problem(0, 0.0)
    model = SparseLogisticRegression(alpha=0.01, weights=factors, warm_start=True)
    model.fit(X, signs)
    model.coef_[:] = np.where(np.arange(20) % 2, 1e308, -1e308)
    with pytest.raises(ValueError, match="overflowed"):
        model.fit(X, signs)


def _softmax_cvxpy(X, labels, alpha, l1_ratio, factors, fit_intercept):
    n, p = X.shape
    W = cp.Variable((p, 3))
    scores = X @ W
    if fit_intercept:
        scores = scores + np.ones((n, 1)) @ cp.reshape(cp.Variable(3), (1, 3), order="C")
    loss = (cp.sum(cp.log_sum_exp(scores, axis=1))
            - cp.sum(cp.multiply(np.eye(3)[labels], scores))) / n
    rows = factors[:, None] * np.ones((1, 3))
    penalty = alpha * (l1_ratio * cp.sum(cp.multiply(rows, cp.abs(W)))
                       + 0.5 * (1 - l1_ratio) * cp.sum(cp.multiply(rows, cp.square(W))))
    problem = cp.Problem(cp.Minimize(loss + penalty))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return problem.value


@pytest.mark.parametrize("seed, free, fit_intercept", [
    (0, 0, True), (1, 0, True), (0, 3, True), (2, 3, False), (3, 3, True)])
def test_multinomial_reported_gap_bounds_the_distance_to_the_optimum(seed, free,
                                                                     fit_intercept):
    # The intercepts' and unpenalised rows' dual constraints held only at their
    # optimum: the gap, clipped at 0, was reported as 0 while the fit was
    # 3.5e-6 (relative) above cvxpy's optimum (seed 0, intercept, l1_ratio
    # 0.5). The dual point now takes their Newton step.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((120, 15))
    truth = np.r_[rng.standard_normal((4, 3)), np.zeros((11, 3))]
    labels = np.argmax(X @ truth + 0.5 * rng.standard_normal((120, 3)), axis=1)
    factors = np.ones(15)
    factors[rng.choice(15, free, replace=False)] = 0.0
    optimum = _softmax_cvxpy(X, labels, 0.01, 0.5, factors, fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MultinomialLogisticRegression(alpha=0.01, l1_ratio=0.5, weights=factors,
                                              fit_intercept=fit_intercept).fit(X, labels)
    scores = X @ model.coef_.T + model.intercept_
    top = scores.max(axis=1)
    loss = np.mean(top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
                   - scores[np.arange(120), labels])
    ours = loss + 0.01 * factors @ (0.5 * np.abs(model.coef_.T)
                                    + 0.25 * model.coef_.T ** 2).sum(axis=1)
    assert ours - optimum <= model.dual_gap_ + 1e-10 * optimum
    assert model.dual_gap_ <= 1e-4 * np.log(3)


def test_multinomial_past_the_certificate_budget_keeps_the_gradient_criterion(monkeypatch):
    # past _BLOCK_ENTRIES the unpenalised rows' least squares is skipped: the
    # fit still converges, to the same solution
    from sparseopt.solvers.glm import multinomial

    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 15))
    labels = np.argmax(X[:, :3] + 0.5 * rng.standard_normal((120, 3)), axis=1)
    factors = np.r_[0.0, np.ones(14)]
    default = MultinomialLogisticRegression(alpha=0.01, weights=factors, tol=1e-10).fit(X, labels)
    monkeypatch.setattr(multinomial, "_BLOCK_ENTRIES", 0)
    monkeypatch.setattr(multinomial, "SoftmaxUnpenalisedBlock", None)  # never built
    budgeted = MultinomialLogisticRegression(alpha=0.01, weights=factors, tol=1e-10).fit(
        X, labels)
    np.testing.assert_allclose(budgeted.coef_, default.coef_, atol=1e-6)
    assert budgeted.dual_gap_ <= 1e-10 * np.log(3)


def test_logistic_past_the_certificate_budget_keeps_the_gradient_criterion(monkeypatch):
    # past _BLOCK_ENTRIES the unpenalised block's least squares is skipped:
    # the fit still converges, to the same solution
    from sparseopt.solvers.glm import logistic

    X, signs, factors = _unpenalised_logistic_problem(0, 0.0)
    default = SparseLogisticRegression(alpha=0.01, weights=factors, tol=1e-10).fit(X, signs)
    monkeypatch.setattr(logistic, "_BLOCK_ENTRIES", 0)
    monkeypatch.setattr(logistic, "UnpenalisedBlock", None)  # never built
    budgeted = SparseLogisticRegression(alpha=0.01, weights=factors, tol=1e-10).fit(X, signs)
    np.testing.assert_allclose(budgeted.coef_, default.coef_, atol=1e-6)
    assert budgeted.dual_gap_ <= 1e-10 * np.log(2)

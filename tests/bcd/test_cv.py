"""Cross-validated estimators: LassoCV, ElasticNetCV, SparseLogisticRegressionCV,
GroupLassoCV against scikit-learn's on the same folds and grids."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import KFold, StratifiedKFold

from sparseopt.bcd import (
    ElasticNetCV,
    GroupLasso,
    GroupLassoCV,
    Lasso,
    LassoCV,
    MultinomialLogisticRegression,
    SparseLogisticRegression,
    SparseLogisticRegressionCV,
    lasso_path,
)

TIGHT = {"tol": 1e-12, "max_iter": 100_000}


@pytest.fixture(scope="module")
def regression():
    """n > p with Gaussian design: unique solutions, so coefficients compare too."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 15))
    coef = np.zeros(15)
    coef[:4] = [2.0, -1.0, 1.5, 0.5]
    y = X @ coef + 0.5 * rng.standard_normal(60) + 3.0
    sample_weight = rng.uniform(0.2, 2.0, 60)
    sample_weight[:4] = 0.0
    return X, y, sample_weight


@pytest.fixture(scope="module")
def classification():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8))
    binary = (X[:, :3] @ np.array([2.0, -1.0, 1.5]) + rng.standard_normal(60) > 0).astype(int)
    three = np.argmax(X[:, :3] + rng.standard_normal((60, 3)), axis=1)
    return X, binary, three


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_lasso_cv_matches_sklearn(regression, fit_intercept, weighted, sparse):
    X, y, sample_weight = regression
    sample_weight = sample_weight if weighted else None
    design = sp.csr_matrix(X) if sparse else X
    options = {"alphas": 20, "fit_intercept": fit_intercept, **TIGHT}
    ours = LassoCV(**options).fit(design, y, sample_weight=sample_weight)
    theirs = sk.LassoCV(**options).fit(design, y, sample_weight=sample_weight)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (20, 5)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-8, atol=1e-10)
    assert np.isclose(ours.alpha_, theirs.alpha_, rtol=1e-12)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-8)
    assert ours.dual_gap_ <= 1e-10 and ours.n_iter_ >= 1
    assert not hasattr(ours, "l1_ratio_")


def test_lasso_cv_given_grid_and_folds_match_sklearn(regression):
    X, y, _ = regression
    folds = list(KFold(4, shuffle=True, random_state=3).split(X))
    alphas = [0.5, 0.01, 0.2, 0.05, 0.1]  # unsorted: both use it decreasingly
    ours = LassoCV(alphas=alphas, cv=folds, **TIGHT).fit(X, y)
    theirs = sk.LassoCV(alphas=alphas, cv=folds, **TIGHT).fit(X, y)
    np.testing.assert_array_equal(ours.alphas_, theirs.alphas_)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-8)
    assert ours.alpha_ == theirs.alpha_


def test_elastic_net_cv_with_several_ratios_matches_sklearn(regression):
    X, y, sample_weight = regression
    options = {"l1_ratio": [0.2, 0.7, 1.0], "alphas": 12, **TIGHT}
    ours = ElasticNetCV(**options).fit(X, y, sample_weight=sample_weight)
    theirs = sk.ElasticNetCV(**options).fit(X, y, sample_weight=sample_weight)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (3, 12, 5)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-8, atol=1e-10)
    assert np.isclose(ours.alpha_, theirs.alpha_) and ours.l1_ratio_ == theirs.l1_ratio_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)


def test_the_final_model_is_the_fit_at_alpha_(regression):
    X, y, sample_weight = regression
    model = ElasticNetCV(l1_ratio=[0.3, 0.8], alphas=10, cv=3, **TIGHT).fit(
        X, y, sample_weight=sample_weight)
    from sparseopt.bcd import ElasticNet

    refit = ElasticNet(alpha=model.alpha_, l1_ratio=model.l1_ratio_, **TIGHT).fit(
        X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-9)
    np.testing.assert_allclose(model.predict(X), refit.predict(X), atol=1e-9)
    # the choice is the least mean test error of the returned path
    mean = model.mse_path_.mean(axis=-1)
    ratio, alpha = np.unravel_index(np.argmin(mean), mean.shape)
    assert model.alphas_[ratio, alpha] == model.alpha_
    assert model.l1_ratio_ == [0.3, 0.8][ratio]


def test_penalty_factors_are_a_column_rescaling(regression):
    """Penalising w_j by omega_j is the Lasso on X_j / omega_j (coef_j / omega_j)."""
    X, y, _ = regression
    factors = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[1])
    ours = LassoCV(alphas=15, weights=factors, **TIGHT).fit(X, y)
    theirs = sk.LassoCV(alphas=15, **TIGHT).fit(X / factors, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-8, atol=1e-10)
    assert np.isclose(ours.alpha_, theirs.alpha_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_ / factors, atol=1e-8)


def test_an_unpenalised_feature_is_kept(regression):
    X, y, _ = regression
    factors = np.ones(X.shape[1])
    factors[-1] = 0.0  # a pure-noise feature, never penalised
    model = LassoCV(alphas=10, weights=factors, cv=3).fit(X, y)
    assert model.coef_[-1] != 0.0
    lasso = Lasso(alpha=model.alphas_[0], weights=factors, tol=1e-10).fit(X, y)
    assert np.count_nonzero(lasso.coef_) == 1  # alpha_max leaves only the free feature


def _sklearn_logistic_cv(X, y, cv, alphas, n_train):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sk.LogisticRegressionCV(
            Cs=1.0 / (n_train * alphas), l1_ratios=[1.0], solver="saga", tol=1e-12,
            max_iter=100_000, cv=cv, scoring="neg_log_loss",
            use_legacy_attributes=False).fit(X, y)


@pytest.mark.parametrize("classes", ["binary", "three"])
def test_logistic_cv_matches_sklearn(classification, classes):
    """scikit-learn's C is 1 / (n_train alpha): equal-sized training folds share
    one C grid. Its saga stops early at the top of the path (zero coefficients,
    intercepts not yet optimal: 7 epochs), so the comparison starts one step below."""
    X, binary, three = classification
    y = binary if classes == "binary" else three
    cv = StratifiedKFold(5)
    ours = SparseLogisticRegressionCV(alphas=8, cv=cv, **TIGHT).fit(X, y)
    theirs = _sklearn_logistic_cv(X, y, cv, ours.alphas_[1:], n_train=48)
    assert ours.scores_.shape == (5, 1, 8)
    np.testing.assert_allclose(ours.scores_[:, :, 1:], theirs.scores_, atol=1e-6)
    mean = ours.scores_[:, 0].mean(axis=0)
    assert ours.alpha_ == ours.alphas_[np.argmax(mean)]
    if np.argmax(mean) > 0:
        assert np.isclose(1.0 / (48 * ours.alpha_), theirs.C_)
    # the top of our path: every coefficient zero, intercepts at the log-odds
    train, test = next(cv.split(X, y))
    reference = (SparseLogisticRegression if classes == "binary"
                 else MultinomialLogisticRegression)(alpha=ours.alphas_[0], **TIGHT)
    reference.fit(X[train], y[train])
    assert np.isclose(ours.scores_[0, 0, 0], -log_loss(y[test], reference.predict_proba(
        X[test])), atol=1e-9)
    # the final model is the fit on all the data at alpha_
    refit = (SparseLogisticRegression if classes == "binary"
             else MultinomialLogisticRegression)(alpha=ours.alpha_, **TIGHT).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), refit.predict_proba(X), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), refit.predict(X))


def test_logistic_cv_accuracy_and_ratios(classification):
    X, binary, _ = classification
    labels = np.array(["no", "yes"])[binary]
    model = SparseLogisticRegressionCV(l1_ratio=[0.5, 1.0], alphas=6, cv=3,
                                       scoring="accuracy").fit(X, labels)
    assert model.scores_.shape == (3, 2, 6) and model.alphas_.shape == (2, 6)
    assert np.all((model.scores_ >= 0) & (model.scores_ <= 1))
    folds = list(StratifiedKFold(3).split(X, labels))
    ratio, alpha = np.unravel_index(np.argmax(model.scores_.mean(axis=0)), (2, 6))
    train, test = folds[1]
    fold_model = SparseLogisticRegression(alpha=model.alphas_[ratio, alpha],
                                          l1_ratio=[0.5, 1.0][ratio]).fit(X[train],
                                                                          labels[train])
    assert np.isclose(model.scores_[1, ratio, alpha], fold_model.score(X[test], labels[test]))
    assert set(model.predict(X)) <= {"no", "yes"}


def test_logistic_cv_sample_weight_matches_sklearn(classification):
    X, binary, _ = classification
    sample_weight = np.random.default_rng(2).uniform(0.5, 2.0, len(binary))
    cv = StratifiedKFold(5)
    ours = SparseLogisticRegressionCV(alphas=5, cv=cv, **TIGHT).fit(
        X, binary, sample_weight=sample_weight)
    for k, (train, test) in enumerate(cv.split(X, binary)):
        for j in (1, 3):
            # scikit-learn: C (sum of weighted losses) + |w|_1; ours: the weighted mean
            alpha = ours.alphas_[j]
            reference = sk.LogisticRegression(
                C=1.0 / (sample_weight[train].sum() * alpha), l1_ratio=1.0, solver="saga",
                tol=1e-12, max_iter=100_000).fit(X[train], binary[train],
                                                 sample_weight=sample_weight[train])
            expected = -log_loss(binary[test], reference.predict_proba(X[test]),
                                 sample_weight=sample_weight[test])
            assert np.isclose(ours.scores_[k, 0, j], expected, atol=1e-6)


def test_group_lasso_cv_of_single_features_is_lasso_cv(regression):
    X, y, sample_weight = regression
    ours = GroupLassoCV(groups=1, alphas=12, **TIGHT).fit(X, y, sample_weight=sample_weight)
    theirs = sk.LassoCV(alphas=12, **TIGHT).fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-10)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-7, atol=1e-10)
    assert np.isclose(ours.alpha_, theirs.alpha_)


def test_group_lasso_cv_matches_cold_fits_per_fold(regression):
    X, y, _ = regression
    group_weights = np.array([1.0, 2.0, 0.5, 1.5, 1.0])
    model = GroupLassoCV(groups=3, alphas=6, cv=3, weights=group_weights, **TIGHT).fit(X, y)
    for k, (train, test) in enumerate(KFold(3).split(X)):
        for j, alpha in enumerate(model.alphas_):
            fit = GroupLasso(groups=3, alpha=alpha, weights=group_weights, **TIGHT).fit(
                X[train], y[train])
            error = np.mean((fit.predict(X[test]) - y[test]) ** 2)
            # both stop at a gap of 1e-12 P(0): errors agree to ~sqrt(gap)
            assert np.isclose(model.mse_path_[j, k], error, rtol=1e-6)
    at_top = GroupLasso(groups=3, alpha=model.alphas_[0] * (1 + 1e-9),
                        weights=group_weights, **TIGHT).fit(X, y)
    assert not np.any(at_top.coef_)  # alpha_max: the smallest alpha with a zero solution
    below = GroupLasso(groups=3, alpha=model.alphas_[0] * 0.99, weights=group_weights,
                       **TIGHT).fit(X, y)
    assert np.any(below.coef_)
    final = GroupLasso(groups=3, alpha=model.alpha_, weights=group_weights, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, final.coef_, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: LassoCV(alphas=8, cv=3),
    lambda: ElasticNetCV(l1_ratio=[0.5, 1.0], alphas=8, cv=3, selection="random",
                         random_state=0),
    lambda: GroupLassoCV(groups=2, alphas=8, cv=3),
])
def test_threads_give_the_results_of_one_job(regression, make):
    X, y, _ = regression
    one = make().fit(X, y)
    two = make().set_params(n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.mse_path_, two.mse_path_)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    assert one.alpha_ == two.alpha_ and one.n_iter_ == two.n_iter_


def test_dask_backend_gives_the_results_of_one_job(regression, classification):
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y, _ = regression
    Xc, binary, _ = classification
    models = [(LassoCV(alphas=8, cv=3), X, y),
              (SparseLogisticRegressionCV(alphas=6, cv=3), Xc, binary)]
    sequential = [model.fit(data, target) for model, data, target in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # dask's own chatter
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster), joblib.parallel_config(backend="dask"):
                parallel = [type(model)(**model.get_params()).set_params(n_jobs=-1).fit(
                    data, target) for model, data, target in models]
    for one, many in zip(sequential, parallel, strict=True):
        path = "mse_path_" if hasattr(one, "mse_path_") else "scores_"
        np.testing.assert_array_equal(getattr(one, path), getattr(many, path))
        np.testing.assert_array_equal(one.coef_, many.coef_)
        assert one.alpha_ == many.alpha_


def test_one_convergence_warning_counts_the_failed_solves(regression):
    X, y, _ = regression
    with pytest.warns(ConvergenceWarning, match=r"LassoCV: \d+ of 30 cross-validation") as w:
        LassoCV(alphas=10, cv=3, max_iter=1, tol=1e-14).fit(X, y)
    assert len([r for r in w if issubclass(r.category, ConvergenceWarning)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LassoCV(alphas=10, cv=3).fit(X, y)


@pytest.mark.parametrize("make, match", [
    (lambda: LassoCV(alphas=[0.1, -1.0]), "alphas must be"),
    (lambda: ElasticNetCV(l1_ratio=[0.5, 1.5]), "l1_ratio must be"),
    (lambda: ElasticNetCV(l1_ratio=0.0), "l1_ratio=0"),
    (lambda: LassoCV(weights=np.ones(3)), "weights"),
    (lambda: GroupLassoCV(groups=[[0, 1]]), "groups"),
    (lambda: LassoCV(cv=[(np.arange(10), np.array([], dtype=int))]), "cv produced"),
])
def test_bad_settings_are_named(regression, make, match):
    X, y, _ = regression
    with pytest.raises(ValueError, match=match):
        make().fit(X, y)


def test_a_single_class_training_fold_is_named(classification):
    X, binary, _ = classification
    zeros = np.flatnonzero(binary == 0)[:10]
    cv = [(zeros, np.setdiff1d(np.arange(len(binary)), zeros))]
    with pytest.raises(ValueError, match=r"fold 1 lacks the class\(es\) \[np.int64\(1\)\]"):
        SparseLogisticRegressionCV(alphas=3, cv=cv).fit(X, binary)


def test_a_multiclass_training_fold_missing_a_class_is_named():
    # It was accepted: the missing class's intercept has no finite optimum, and
    # the fold's score moved with tol (-10.3, -15.3, -19.3) without a warning.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    labels = np.repeat([0, 1, 2], 20)  # unshuffled KFold(3): each fold misses a class
    with pytest.raises(ValueError, match=r"fold 1 lacks the class\(es\) \[np.int64\(0\)\]"):
        SparseLogisticRegressionCV(alphas=3, cv=KFold(3)).fit(X, labels)


@pytest.mark.parametrize("rows", ["training", "test"])
@pytest.mark.parametrize("make", [lambda: LassoCV(alphas=3, cv=KFold(3)),
                                  lambda: SparseLogisticRegressionCV(alphas=3, cv=KFold(3))])
def test_a_fold_of_zero_weights_is_named(make, rows):
    # Zero-weight training rows raised "X has entries too large in magnitude"
    # (a division by the fold's zero weight sum, with max|X| = 2.5); zero-weight
    # test rows a raw ZeroDivisionError (the weighted test score).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.tile([0, 1], 30)
    tested = np.arange(60) < 20  # fold 1 tests on rows 0-19 and trains on rows 20-59
    sample_weight = np.where(tested == (rows == "test"), 0.0, 1.0)
    with pytest.raises(ValueError, match=f"sample_weight: the {rows} rows of fold 1"):
        make().fit(X, y, sample_weight=sample_weight)


def test_duplicated_columns_p_greater_than_n_match_sklearn_in_objective_and_choice():
    """Non-unique solutions: compare the CV errors, the choice and the objective
    of the final model, not the coefficients."""
    rng = np.random.default_rng(4)
    base = rng.standard_normal((30, 40))
    X = np.hstack([base, base[:, :10]])  # 10 duplicated columns, p = 50 > n = 30
    y = base[:, :3] @ np.array([2.0, -1.0, 1.0]) + 0.3 * rng.standard_normal(30)
    ours = LassoCV(alphas=10, cv=3, **TIGHT).fit(X, y)
    theirs = sk.LassoCV(alphas=10, cv=3, **TIGHT).fit(X, y)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert np.isclose(ours.alpha_, theirs.alpha_)

    def objective(model):
        residual = y - X @ model.coef_ - model.intercept_
        return residual @ residual / (2 * len(y)) + model.alpha_ * np.abs(model.coef_).sum()

    assert np.isclose(objective(ours), objective(theirs), rtol=1e-9)


@pytest.mark.parametrize("classes", ["binary", "three"])
def test_logistic_cv_penalty_factors_are_a_column_rescaling(classification, classes):
    """omega_j |w_j| on X is |v_j| on X_j / omega_j (v = omega w): same grid, scores."""
    X, binary, three = classification
    y = binary if classes == "binary" else three
    factors = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[1])
    weighted = SparseLogisticRegressionCV(alphas=6, cv=3, weights=factors, **TIGHT).fit(X, y)
    rescaled = SparseLogisticRegressionCV(alphas=6, cv=3, **TIGHT).fit(X / factors, y)
    np.testing.assert_allclose(weighted.alphas_, rescaled.alphas_, rtol=1e-12)
    np.testing.assert_allclose(weighted.scores_, rescaled.scores_, atol=1e-7)
    np.testing.assert_allclose(weighted.coef_ * factors, rescaled.coef_, atol=1e-6)


def _unpenalised_first_problem(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((80, 6))
    X[:, 1] += 0.8 * X[:, 0]  # a penalised feature correlated with the unpenalised one
    y = 2.0 * X[:, 0] - 1.5 * X[:, 1] + 0.3 * X[:, 2] + rng.standard_normal(80) + 1.0
    weights = np.r_[0.0, rng.uniform(0.5, 2.0, 5)]
    return X, y, weights


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_grid_top_is_tight_with_unpenalised_features(seed, positive):
    # The grid's top took the unpenalised coefficients at zero: 2.3x too low
    # (a penalised coefficient -0.51 at its top), so no larger alpha was ever
    # tried. After fitting them alone it is the smallest all-zero alpha.
    X, y, weights = _unpenalised_first_problem(seed)
    top = LassoCV(weights=weights, positive=positive, alphas=3, cv=3).fit(X, y).alphas_[0]
    penalised = slice(1, None)
    at_top = Lasso(alpha=top, weights=weights, positive=positive, tol=1e-12).fit(X, y)
    below = Lasso(alpha=0.98 * top, weights=weights, positive=positive, tol=1e-12).fit(X, y)
    assert np.all(at_top.coef_[penalised] == 0)
    assert np.max(np.abs(below.coef_[penalised])) >= 1e-6


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_grid_top_is_tight_with_unpenalised_features(n_classes):
    # Same defect on the logistic grid: 5x too low.
    X, y, weights = _unpenalised_first_problem(0)
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    model = SparseLogisticRegressionCV(weights=weights, alphas=3, cv=3, tol=1e-10).fit(X, labels)
    top = model.alphas_[0]
    estimator = SparseLogisticRegression if n_classes == 2 else MultinomialLogisticRegression
    at_top = estimator(alpha=top, weights=weights, tol=1e-12).fit(X, labels)
    below = estimator(alpha=0.98 * top, weights=weights, tol=1e-12).fit(X, labels)
    assert np.all(np.atleast_2d(at_top.coef_)[:, 1:] == 0)
    assert np.max(np.abs(np.atleast_2d(below.coef_)[:, 1:])) >= 1e-5


def test_all_zero_problems_get_scikit_learns_grid():
    # alpha_max = 0 (a constant y) gave a grid of subnormal numbers (7e-310),
    # so 1 / alpha_ was inf; scikit-learn's grid is 1e-15 repeated.
    X = np.random.default_rng(0).standard_normal((30, 4))
    y = np.full(30, 2.0)
    model = LassoCV(alphas=4, cv=3).fit(X, y)
    reference = sk.LassoCV(alphas=4, cv=3).fit(X, y)
    np.testing.assert_array_equal(model.alphas_, reference.alphas_)
    assert model.alpha_ == reference.alpha_ == 1e-15


def test_accuracy_ties_go_to_the_larger_alpha():
    # Equal accuracy counts gave float means differing in the last bit, and
    # over two l1_ratios the flattened argmax preferred the first ratio: 5 of
    # 80 fits chose a smaller alpha than an exactly tied one.
    grid = np.geomspace(0.3, 0.003, 8)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)  # test folds of 10 samples
    for seed in range(40):
        rng = np.random.RandomState(seed)
        X = rng.randn(40, 5)
        y = (X[:, 0] + 0.8 * rng.randn(40) > 0).astype(int)
        for ratios in ([1.0], [0.2, 1.0]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = SparseLogisticRegressionCV(l1_ratio=ratios, alphas=grid,
                                                   scoring="accuracy", cv=cv).fit(X, y)
            counts = np.rint(model.scores_ * 10).astype(int).sum(axis=0)  # exact
            tied = np.argwhere(counts == counts.max())
            assert model.alpha_ == grid[tied[:, 1].min()], (seed, ratios)


def test_copy_x_is_accepted_and_x_is_never_modified():
    # sklearn's parameter copy_X raised TypeError (drop-in users pass it).
    X, y = np.random.default_rng(0).standard_normal((30, 5)), np.arange(30.0)
    before = X.copy()
    for model in (Lasso(copy_X=False), LassoCV(copy_X=False, alphas=3),
                  ElasticNetCV(copy_X=False, alphas=3)):
        model.fit(X, y)
        np.testing.assert_array_equal(X, before)
        assert model.get_params()["copy_X"] is False
    lasso_path(X, y, alphas=3, copy_X=False)
    np.testing.assert_array_equal(X, before)


def test_lasso_path_rejects_positive_with_a_2d_y():
    # It silently ignored positive (a coefficient of -1.03); sklearn raises.
    X = np.random.default_rng(0).standard_normal((30, 5))
    Y = np.column_stack([X[:, 0] - X[:, 1], X[:, 2]])
    with pytest.raises(ValueError, match="positive=True is not supported with a 2-D y"):
        lasso_path(X, Y, alphas=3, positive=True)


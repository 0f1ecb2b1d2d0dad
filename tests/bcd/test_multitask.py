"""Multi-task estimators (shared support) and multi-output Lasso/ElasticNet."""

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import ElasticNet as SklearnElasticNet
from sklearn.linear_model import MultiTaskElasticNet as SklearnMultiTaskElasticNet

from sparseopt.bcd import ElasticNet, Lasso, MultiTaskElasticNet, MultiTaskLasso
from sparseopt.datasets import make_sparse_regression


@pytest.fixture(scope="module")
def tasks():
    X, y, _ = make_sparse_regression(60, 120, 8, rho=0.5, random_state=5)
    rng = np.random.default_rng(5)
    Y = np.column_stack([y, 0.5 * y + rng.standard_normal(60), -y + 2.0])
    return X, Y, rng.uniform(0.1, 2.0, 60)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.3])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, False), (True, True)])
def test_matches_sklearn(tasks, sparse, fit_intercept, l1_ratio, weighted):
    """(Without intercept, weighted: see test_sample_weight_without_intercept.)"""
    X, Y, sample_weight = tasks
    design = sp.csc_matrix(X) if sparse else X
    weight = sample_weight if weighted else None
    reference = SklearnMultiTaskElasticNet(alpha=0.1, l1_ratio=l1_ratio,
                                           fit_intercept=fit_intercept, tol=1e-13,
                                           max_iter=100_000).fit(design, Y,
                                                                   sample_weight=weight)
    model = MultiTaskElasticNet(alpha=0.1, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                tol=1e-12, max_iter=100_000).fit(design, Y,
                                                                 sample_weight=weight)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-9)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-9)
    assert np.shape(model.intercept_) == np.shape(reference.intercept_)
    assert model.dual_gap_ == pytest.approx(reference.dual_gap_, abs=1e-10)
    support = np.any(model.coef_ != 0, axis=0)
    assert np.all(np.all(model.coef_[:, support] != 0, axis=0))  # shared support


def test_multitask_lasso_is_the_l1_ratio_one_case(tasks):
    X, Y, _ = tasks
    lasso = MultiTaskLasso(alpha=0.2, tol=1e-12).fit(X, Y)
    enet = MultiTaskElasticNet(alpha=0.2, l1_ratio=1.0, tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(lasso.coef_, enet.coef_, atol=1e-10)
    with pytest.raises(ValueError, match="y must be 2-D .* for a single task use Lasso"):
        MultiTaskLasso().fit(X, Y[:, 0])


def test_screening_keeps_the_solution_and_discards_rows():
    X, y, _ = make_sparse_regression(80, 600, 5, random_state=1)
    Y = np.column_stack([y, 2 * y])
    alpha = np.max(np.linalg.norm(X.T @ (Y - Y.mean(0)), axis=1)) / 80 / 3
    screened = MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y)
    plain = MultiTaskLasso(alpha=alpha, tol=1e-12, screening=False).fit(X, Y)
    np.testing.assert_allclose(screened.coef_, plain.coef_, atol=1e-10)
    assert np.count_nonzero(np.any(screened.coef_, axis=0)) < 20


@pytest.mark.parametrize("estimator", [Lasso, ElasticNet])
def test_multi_output_fits_each_column(tasks, estimator):
    X, Y, sample_weight = tasks
    model = estimator(alpha=0.1, tol=1e-12).fit(X, Y, sample_weight=sample_weight)
    assert model.coef_.shape == (3, 120) and model.intercept_.shape == (3,)
    assert len(model.n_iter_) == 3 and model.dual_gap_.shape == (3,)
    l1_ratio = 1.0 if estimator is Lasso else 0.5
    for k in range(3):
        reference = SklearnElasticNet(alpha=0.1, l1_ratio=l1_ratio, tol=1e-15,
                                      max_iter=1_000_000).fit(X, Y[:, k],
                                                              sample_weight=sample_weight)
        np.testing.assert_allclose(model.coef_[k], reference.coef_, atol=1e-9)
    np.testing.assert_allclose(model.predict(X[:5]), X[:5] @ model.coef_.T + model.intercept_)
    model.set_params(warm_start=True).fit(X, Y, sample_weight=sample_weight)
    assert model.n_iter_ == [0, 0, 0]


def test_penalty_factors_on_rows(tasks):
    X, Y, _ = tasks
    factors = np.ones(120)
    factors[:3] = 0.0
    model = MultiTaskLasso(alpha=50.0, weights=factors, tol=1e-12).fit(X, Y)
    assert np.flatnonzero(np.any(model.coef_, axis=0)).tolist() == [0, 1, 2]
    least_squares = np.linalg.lstsq(np.column_stack([X[:, :3], np.ones(60)]), Y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_[:, :3], least_squares[:3].T, atol=1e-8)


def test_sample_weight_without_intercept(tasks):
    """scikit-learn 1.9.1's MultiTaskElasticNet(fit_intercept=False) with
    sample weights returns a point whose weighted objective is 10% above the
    optimum (2.799 vs 2.535 here); ours matches cvxpy."""
    X, Y, sample_weight = tasks
    c = sample_weight / sample_weight.sum()
    W = cp.Variable((120, 3))
    objective = 0.5 * cp.sum(cp.multiply(c[:, None], cp.square(Y - X @ W))) + 0.1 * cp.sum(
        cp.norm(W, axis=1))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    model = MultiTaskLasso(alpha=0.1, fit_intercept=False, tol=1e-12).fit(
        X, Y, sample_weight=sample_weight)
    residual = Y - X @ model.coef_.T
    ours = 0.5 * np.sum(c[:, None] * residual**2) + 0.1 * np.linalg.norm(model.coef_,
                                                                         axis=0).sum()
    assert ours <= problem.value + 1e-9
    np.testing.assert_allclose(model.coef_.T, W.value, atol=1e-6)
    sklearn = SklearnMultiTaskElasticNet(alpha=0.1, l1_ratio=1.0, fit_intercept=False,
                                         tol=1e-13, max_iter=100_000).fit(
        X, Y, sample_weight=sample_weight)
    residual = Y - X @ sklearn.coef_.T
    theirs = 0.5 * np.sum(c[:, None] * residual**2) + 0.1 * np.linalg.norm(sklearn.coef_,
                                                                           axis=0).sum()
    assert theirs > ours * 1.05


@pytest.mark.parametrize("estimator", [MultiTaskLasso, MultiTaskElasticNet])
def test_unregularised_stops_on_the_first_order_gap(estimator):
    # alpha=0 has no dual bound: the gap was infinite and every fit ran to
    # max_iter with a ConvergenceWarning; it stops on scikit-learn's
    # first-order gap ||X^T R||^2 / n, as Lasso(alpha=0) does.
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 10))
    Y = X @ rng.standard_normal((10, 3)) + rng.standard_normal((80, 3)) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # alpha=0: use LinearRegression
        warnings.simplefilter("error", ConvergenceWarning)
        model = estimator(alpha=0.0, tol=1e-10, max_iter=5000).fit(X, Y)
    centred = X - X.mean(axis=0)
    solution = np.linalg.lstsq(centred, Y - Y.mean(axis=0), rcond=None)[0]
    np.testing.assert_allclose(model.coef_, solution.T, atol=1e-6)
    assert model.n_iter_ < 5000 and np.isfinite(model.dual_gap_)

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import ElasticNet as SklearnElasticNet
from sklearn.linear_model import enet_path as sklearn_enet_path
from sklearn.linear_model import lasso_path as sklearn_lasso_path

from sparseopt.bcd import ElasticNet, Lasso, LeastSquaresBCD, enet_path, lasso_path
from sparseopt.datasets import make_sparse_regression


@pytest.fixture(scope="module")
def problem():
    X, y, _ = make_sparse_regression(70, 120, 8, rho=0.5, random_state=4)
    return X, y + 1.0


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.2, 0.7, 1.0])
def test_elastic_net_matches_sklearn(problem, sparse, positive, fit_intercept, l1_ratio):
    X, y = problem
    design = sp.csc_matrix(X) if sparse else X
    options = {"alpha": 0.05, "l1_ratio": l1_ratio, "positive": positive,
               "fit_intercept": fit_intercept}
    reference = SklearnElasticNet(tol=1e-15, max_iter=1_000_000, **options).fit(design, y)
    model = ElasticNet(tol=1e-14, **options).fit(design, y)
    # objective-level agreement is at rounding level; coefficients to 1e-6
    # (the strong convexity alpha (1 - l1_ratio) bounds how far they can move)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    if positive:
        assert np.all(model.coef_ >= 0)


@pytest.mark.parametrize("options", [{"precompute": True}, {"screening": False},
                                     {"selection": "gs", "precompute": True},
                                     {"selection": "random", "precompute": True}])
def test_gram_mode_and_screening_give_the_same_solution(options):
    X, y, _ = make_sparse_regression(400, 30, 5, rho=0.5, random_state=0)
    reference = Lasso(alpha=0.01, tol=1e-12, precompute=False).fit(X, y)
    model = Lasso(alpha=0.01, tol=1e-12, random_state=0, **options).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-9)


def test_screening_discards_features_and_keeps_the_solution():
    from sparseopt.solvers import bcd_lasso

    X, y, _ = make_sparse_regression(100, 500, 5, rho=0.0, random_state=1)
    alpha = np.max(np.abs(X.T @ y)) / 100 / 2
    coef, _, info = bcd_lasso(X, y, alpha, tol=1e-12)
    assert info["n_screened"] > 400
    reference, _, _ = bcd_lasso(X, y, alpha, tol=1e-12, screening=False)
    np.testing.assert_allclose(coef, reference, atol=1e-10)


def test_lasso_path_matches_sklearn(problem):
    X, y = problem
    alphas, coefs, gaps = lasso_path(X, y, alphas=20, tol=1e-12)
    reference_alphas, reference_coefs, _ = sklearn_lasso_path(X, y, alphas=20, tol=1e-14,
                                                              max_iter=1_000_000)
    np.testing.assert_allclose(alphas, reference_alphas, rtol=1e-12)
    np.testing.assert_allclose(coefs, reference_coefs, atol=1e-7)
    assert not coefs[:, 0].any() and np.all(gaps >= 0)
    given = lasso_path(X, y, alphas=[0.01, 0.1, 0.05], tol=1e-10, return_n_iter=True)
    np.testing.assert_allclose(given[0], [0.1, 0.05, 0.01])
    assert given[3].shape == (3,)
    with pytest.raises(ValueError, match="alphas must be an int .* or a 1-D array of non-neg"):
        lasso_path(X, y, alphas=[-1.0])


def test_enet_path_matches_sklearn_with_its_defaults(problem):
    """sklearn's ``enet_path`` call, unchanged: default l1_ratio 0.5, a
    precomputed Gram matrix and ``Xy``, ``check_input``."""
    X, y = problem
    gram, xy = X.T @ X, X.T @ y
    options = {"alphas": 8, "precompute": gram, "Xy": xy, "check_input": True}
    alphas, coefs, gaps = enet_path(X, y, tol=1e-12, **options)
    reference_alphas, reference_coefs, _ = sklearn_enet_path(X, y, tol=1e-14,
                                                             max_iter=1_000_000, **options)
    np.testing.assert_allclose(alphas, reference_alphas, rtol=1e-12)
    np.testing.assert_allclose(coefs, reference_coefs, atol=1e-7)
    assert coefs[:, -1].any() and not coefs[:, 0].any()


def test_lasso_path_xy_sets_the_grid(problem):
    """``Xy`` replaces ``X^T y`` in alpha_max (a column is taken for a 1-D y,
    as scikit-learn does; the multi-task product is (n_features, n_tasks))."""
    X, y = problem
    xy = X.T @ y
    default = lasso_path(X, y, alphas=4, tol=1e-10)[0]
    np.testing.assert_allclose(lasso_path(X, y, alphas=4, Xy=xy[:, None])[0], default)
    np.testing.assert_allclose(lasso_path(X, y, alphas=4, Xy=2 * xy, tol=1e-6)[0],
                               2 * default)
    Y = np.column_stack([y, -y[::-1]])
    np.testing.assert_allclose(lasso_path(X, Y, alphas=4, Xy=X.T @ Y)[0],
                               lasso_path(X, Y, alphas=4)[0])
    with pytest.raises(ValueError, match=r"Xy must have shape \(120,\)"):
        lasso_path(X, y, Xy=xy[:50])
    with pytest.raises(ValueError, match="Xy .* cannot be used with fit_intercept=True"):
        lasso_path(X, y, Xy=xy, fit_intercept=True)
    with pytest.raises(ValueError, match="Xy"):
        lasso_path(X, y, Xy=np.full_like(xy, np.nan))


def test_ridge_least_squares_matches_closed_form(problem):
    X, y = problem
    n = len(y)
    for alpha, options in ((0.1, {}), (0.1, {"blocks": "variable", "block_size": 10,
                                              "selection": "gsq", "update": "newton"})):
        model = LeastSquaresBCD(alpha=alpha, tol=1e-15, fit_intercept=False,
                                max_iter=100_000, **options).fit(X, y)
        closed = np.linalg.solve(X.T @ X / n + alpha * np.eye(X.shape[1]), X.T @ y / n)
        np.testing.assert_allclose(model.coef_, closed, atol=1e-6)
    tall = X[:, :20]
    model = LeastSquaresBCD(tol=1e-12).fit(tall, y)
    reference = np.linalg.lstsq(np.column_stack([tall, np.ones(n)]), y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, reference[:-1], atol=1e-8)


def test_float32_elastic_net():
    X, y, _ = make_sparse_regression(300, 30, 8, rho=0.3, random_state=5)
    model = ElasticNet(alpha=0.05, tol=1e-7).fit(X.astype(np.float32), y.astype(np.float32))
    reference = ElasticNet(alpha=0.05, tol=1e-12).fit(X, y)
    assert model.coef_.dtype == np.float32
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)


def test_lasso_path_random_selection_is_seeded():
    # random_state was not a parameter: two identical calls differed by 3.5e-4.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 15))
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(60)
    first = lasso_path(X, y, alphas=6, selection="random", random_state=3, tol=1e-3)[1]
    second = lasso_path(X, y, alphas=6, selection="random", random_state=3, tol=1e-3)[1]
    np.testing.assert_array_equal(first, second)

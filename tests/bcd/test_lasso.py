import os
import pickle
import subprocess
import sys
import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso as SklearnLasso

from sparseopt.bcd import Lasso
from sparseopt.datasets import make_sparse_regression
from sparseopt.solvers import bcd_lasso

RULES = ["cyclic", "random", "gs", "gsl"]


def lasso_objective(X, y, coef, intercept, alpha):
    residual = y - X @ coef - intercept
    return residual @ residual / (2 * len(y)) + alpha * np.abs(coef).sum()


def alpha_max(X, y, fit_intercept):
    centred = y - y.mean() if fit_intercept else y
    return np.max(np.abs(X.T @ centred)) / len(y)


@pytest.fixture(scope="module")
def problem():
    X, y, _ = make_sparse_regression(60, 150, 10, rho=0.5, random_state=0)
    return np.ascontiguousarray(X), y + 2.0


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("selection", RULES)
@pytest.mark.parametrize("sparse", [False, True])
def test_matches_sklearn(problem, selection, fit_intercept, sparse):
    X, y = problem
    if sparse:
        X = sp.csc_matrix(X * (np.abs(X) > 0.5))
    alpha = alpha_max(X, y, fit_intercept) / 10
    reference = SklearnLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-15,
                             max_iter=1_000_000).fit(X, y)
    model = Lasso(alpha=alpha, fit_intercept=fit_intercept, selection=selection, tol=1e-10,
                  random_state=0).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-8)
    assert model.dual_gap_ <= 1e-10 * (np.var(y) if fit_intercept else np.mean(y**2)) / 2


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_matches_cvxpy(problem, fit_intercept):
    X, y = problem
    n, p = X.shape
    alpha = alpha_max(X, y, fit_intercept) / 8
    w, b = cp.Variable(p), cp.Variable()
    prediction = X @ w + (b if fit_intercept else 0)
    cp.Problem(cp.Minimize(cp.sum_squares(y - prediction) / (2 * n) + alpha * cp.norm1(w))).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-13, tol_feas=1e-13,
        max_iter=500,
    )
    model = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
    ours = lasso_objective(X, y, model.coef_, model.intercept_, alpha)
    theirs = lasso_objective(X, y, w.value, b.value if fit_intercept else 0.0, alpha)
    assert ours <= theirs * (1 + 1e-10)
    assert ours == pytest.approx(theirs, rel=1e-8)
    np.testing.assert_allclose(model.coef_, w.value, atol=1e-6)


def test_kkt_conditions_hold(problem):
    X, y = problem
    alpha = alpha_max(X, y, False) / 20
    model = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12).fit(X, y)
    correlation = X.T @ (y - X @ model.coef_) / len(y)
    support = model.coef_ != 0
    assert np.all(np.abs(correlation[~support]) <= alpha * (1 + 1e-8))
    np.testing.assert_allclose(correlation[support], alpha * np.sign(model.coef_[support]),
                               rtol=1e-6)
    assert model.kkt_violation_ <= 1e-6 * alpha


def test_float32_is_kept_and_close(problem):
    X, y = problem
    alpha = alpha_max(X, y, True) / 10
    model64 = Lasso(alpha=alpha, tol=1e-10).fit(X, y)
    model32 = Lasso(alpha=alpha, tol=1e-6).fit(X.astype(np.float32), y.astype(np.float32))
    assert model32.coef_.dtype == np.float32
    np.testing.assert_allclose(model32.coef_, model64.coef_, atol=1e-3)


def test_large_alpha_gives_zero_without_an_epoch(problem):
    X, y = problem
    model = Lasso(alpha=1.01 * alpha_max(X, y, True)).fit(X, y)
    assert not model.coef_.any()
    assert model.n_iter_ == 0 and model.dual_gap_ <= 1e-12
    assert model.intercept_ == pytest.approx(y.mean())


def test_history_and_gap_decrease(problem):
    X, y = problem
    model = Lasso(alpha=alpha_max(X, y, True) / 30, tol=1e-10).fit(X, y)
    history = model.history_
    assert np.all(np.diff(history.iterations) > 0)  # cumulative coordinate updates
    assert history.iterations[-1] >= model.n_iter_  # at least |ws| updates per epoch
    assert history.criteria[-1] <= 1e-10 * np.var(y) / 2
    assert history.objectives[-1] <= history.objectives[0]


def test_warm_start_reuses_solution(problem):
    X, y = problem
    alpha = alpha_max(X, y, True) / 10
    model = Lasso(alpha=alpha, tol=1e-10, warm_start=True).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ == 0  # already optimal: no epoch (scikit-learn's convention)
    np.testing.assert_allclose(model.coef_, first)


def test_greedy_rules_need_fewer_updates_than_random(problem):
    X, y = problem
    alpha = alpha_max(X, y, True) / 10
    epochs = {rule: Lasso(alpha=alpha, selection=rule, tol=1e-8, random_state=0).fit(X, y).n_epochs_
              for rule in RULES}
    assert epochs["gs"] < epochs["random"] and epochs["gsl"] < epochs["random"]


def test_convergence_warning(problem):
    X, y = problem
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        Lasso(alpha=alpha_max(X, y, True) / 100, tol=1e-14, max_iter=2).fit(X, y)


def test_inputs_are_not_modified(problem):
    X, y = problem
    X_sparse = sp.csc_matrix(X)
    copies = X.copy(), y.copy(), X_sparse.data.copy()
    init = np.ones(X.shape[1])
    for design in (X, X_sparse, np.asfortranarray(X)):
        Lasso(alpha=0.05).fit(design, y)
        bcd_lasso(np.asfortranarray(X), y, 0.05, coef_init=init)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(X_sparse.data, copies[2])
    np.testing.assert_array_equal(init, 1.0)


def test_constant_and_zero_columns_are_harmless(problem):
    X, y = problem
    X = X.copy()
    X[:, 0] = 0.0
    X[:, 1] = 3.0
    model = Lasso(alpha=0.01, tol=1e-10).fit(X, y)
    assert model.coef_[0] == 0.0 and model.coef_[1] == 0.0


def test_pickle_round_trip(problem):
    X, y = problem
    model = Lasso(alpha=0.05).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "alpha"),
        ({"selection": "greedy"}, "selection"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters_are_named(problem, params, match):
    X, y = problem
    with pytest.raises(ValueError, match=match):
        Lasso(**params).fit(X, y)


def test_bad_data_is_named(problem):
    X, y = problem
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        Lasso().fit(X_nan, y)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        Lasso().fit(X, np.r_[np.inf, y[1:]])
    with pytest.raises(ValueError, match="Complex data not supported"):
        Lasso().fit(X + 1j, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Lasso().fit(X, y[:-1])
    with pytest.raises(ValueError, match="0 sample"):
        Lasso().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="Expected 2D array"):
        Lasso().fit(X[0], y)


def test_jit_and_pure_python_agree(tmp_path):
    script = (
        "import numpy as np\n"
        "from sparseopt.bcd import Lasso\n"
        "from sparseopt.datasets import make_sparse_regression\n"
        "X, y, _ = make_sparse_regression(30, 50, 5, rho=0.3, random_state=1)\n"
        "rows = []\n"
        "for rule in ('cyclic', 'random', 'gs', 'gsl'):\n"
        "    m = Lasso(alpha=0.05, selection=rule, tol=1e-12, random_state=0).fit(X, y)\n"
        "    rows.append(np.r_[m.coef_, m.intercept_])\n"
        f"np.save({str(tmp_path / 'out')!r} + __import__('os').environ['TAG'], np.array(rows))\n"
    )
    for tag, disable in (("jit", "0"), ("python", "1")):
        env = dict(os.environ, NUMBA_DISABLE_JIT=disable, TAG=tag)
        subprocess.run([sys.executable, "-c", script], check=True, env=env)
    jit = np.load(tmp_path / "outjit.npy")
    python = np.load(tmp_path / "outpython.npy")
    np.testing.assert_allclose(jit, python, atol=1e-10)


def test_grid_search_on_dask_matches_sequential(problem):
    distributed = pytest.importorskip("distributed")
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y = problem
    grid = {"alpha": [0.01, 0.05, 0.1]}
    sequential = GridSearchCV(Lasso(), grid, cv=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own deprecation chatter
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster), joblib.parallel_config(backend="dask"):
                parallel = GridSearchCV(Lasso(), grid, cv=3, n_jobs=-1).fit(X, y)
    assert parallel.best_params_ == sequential.best_params_
    np.testing.assert_allclose(parallel.cv_results_["mean_test_score"],
                               sequential.cv_results_["mean_test_score"])

"""The block-engine configurations of the BCD estimators (everything but the
fast default paths): sign constraints, explicit blocks, options that need a
graph, extreme magnitudes, inputs left untouched, verbose output, Ctrl-C."""

import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.optimize import nnls
from sklearn.linear_model import ElasticNet as SklearnElasticNet
from sklearn.linear_model import Lasso as SklearnLasso
from sklearn.linear_model import Ridge

from sparseopt.bcd import (
    ElasticNet,
    GraphLabelPropagation,
    Lasso,
    LeastSquaresBCD,
    SparseLogisticRegression,
)
from sparseopt.datasets import make_lattice_label_propagation, make_sparse_regression
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, bcd_minimize

ENGINE_CONFIGURATIONS = [
    {"selection": "gsq"},
    {"selection": "gsd", "blocks": "sorted", "block_size": 3, "update": "lipschitz_matrix"},
    {"selection": "gsl", "blocks": "variable", "block_size": 4, "update": "newton"},
    {"selection": "random", "blocks": "avg", "block_size": 2, "random_state": 0},
    {"selection": "cyclic", "active_set": True},
    {"selection": "gs_r", "blocks": "variable", "block_size": 3, "update": "two_metric"},
    {"selection": "gsl", "blocks": "variable", "block_size": 3, "update": "adaptive_gradient"},
]


@pytest.fixture(scope="module")
def shifted_problem():
    """Non-negative design and a target whose optimal intercept is about -10."""
    rng = np.random.default_rng(0)
    X = np.abs(rng.standard_normal((50, 8)))
    coef = np.array([1.0, 0.0, 2.0, 0.0, -1.0, 0.5, 0.0, 0.0])
    return X, X @ coef - 10.0 + 0.1 * rng.standard_normal(50)


def least_squares_objective(X, y, coef, intercept, l1, l2):
    residual = y - X @ coef - intercept
    return (residual @ residual / (2 * len(y)) + l1 * np.abs(coef).sum()
            + 0.5 * l2 * coef @ coef)


@pytest.mark.parametrize("options", ENGINE_CONFIGURATIONS)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_positive_never_constrains_the_intercept(shifted_problem, options, l1_ratio):
    """positive=True with an intercept: same objective as scikit-learn's
    positive Lasso / ElasticNet, whose intercept is free (here -9.9)."""
    X, y = shifted_problem
    alpha = 0.01
    reference = (SklearnLasso(alpha=alpha, positive=True, tol=1e-14, max_iter=10**6)
                 if l1_ratio == 1.0 else
                 SklearnElasticNet(alpha=alpha, l1_ratio=l1_ratio, positive=True, tol=1e-14,
                                   max_iter=10**6)).fit(X, y)
    assert reference.intercept_ < -9.0
    model = (Lasso(alpha=alpha, positive=True, tol=1e-10, max_iter=20_000, **options)
             if l1_ratio == 1.0 else
             ElasticNet(alpha=alpha, l1_ratio=l1_ratio, positive=True, tol=1e-10,
                        max_iter=20_000, **options)).fit(X, y)
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    ours = least_squares_objective(X, y, model.coef_, model.intercept_, l1, l2)
    theirs = least_squares_objective(X, y, reference.coef_, reference.intercept_, l1, l2)
    assert ours == pytest.approx(theirs, rel=1e-8)
    assert np.all(model.coef_ >= 0)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize("options", [{"selection": "gsq"},
                                     {"selection": "gsl", "blocks": "variable",
                                      "block_size": 3, "update": "two_metric"}])
def test_positive_least_squares_matches_nnls(shifted_problem, alpha, options):
    """LeastSquaresBCD(positive=True): non-negative (ridge) least squares with a
    free intercept, against scipy's NNLS on the centred (augmented) data."""
    X, y = shifted_problem
    n, p = X.shape
    centred_X, centred_y = X - X.mean(axis=0), y - y.mean()
    design = np.vstack([centred_X, np.sqrt(n * alpha) * np.eye(p)])
    coef, _ = nnls(design, np.concatenate([centred_y, np.zeros(p)]))
    intercept = float(np.mean(y - X @ coef))
    model = LeastSquaresBCD(alpha=alpha, positive=True, tol=1e-12, max_iter=50_000,
                            **options).fit(X, y)
    ours = least_squares_objective(X, y, model.coef_, model.intercept_, 0.0, alpha)
    theirs = least_squares_objective(X, y, coef, intercept, 0.0, alpha)
    assert ours == pytest.approx(theirs, rel=1e-9)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-6)


@pytest.mark.parametrize("blocks, match", [
    ([[0, 1]], r"indices \[2, 3, 4, 5, 6, 7\] \(6 in all\) are in no block"),
    ([[0, 1, 2, 3], [], [4, 5, 6, 7]], r"blocks\[1\] is empty"),
    ([[0, 1, 2, 3], [4, 5, 6, 99]], r"outside \[0, 8\).*\[99\]"),
    ([[-1, 0, 1, 2, 3, 4, 5, 6]], r"negative indices do not wrap around.*\[-1\]"),
    ([[0, 1, 2, 3], [3, 4, 5, 6, 7]], r"indices \[3\] \(1 in all\) appear more than once"),
    ([[0.0, 1.0], [2, 3, 4, 5, 6, 7]], r"must hold integer features indices"),
])
def test_explicit_blocks_are_checked(shifted_problem, blocks, match):
    X, y = shifted_problem
    with pytest.raises((ValueError, TypeError), match=match):
        Lasso(alpha=0.01, blocks=blocks).fit(X, y)


def test_explicit_blocks_partition_the_features(shifted_problem):
    """A partition of range(n_features): the intercept is one more block."""
    X, y = shifted_problem
    reference = SklearnLasso(alpha=0.01, tol=1e-14, max_iter=10**6).fit(X, y)
    model = Lasso(alpha=0.01, blocks=[[0, 5, 7], [1, 2], [3, 4, 6]], selection="gsl",
                  update="lipschitz_matrix", tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-7)
    assert model.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


@pytest.mark.parametrize("options, match", [
    ({"update": "message_passing"}, "update='message_passing' needs a quadratic problem"),
    ({"update": "message_passing", "selection": "gsq"}, "update='message_passing'"),
    ({"blocks": "tree"}, "blocks='tree' needs a quadratic problem on a graph"),
])
def test_graph_options_are_refused_not_ignored(shifted_problem, options, match):
    X, y = shifted_problem
    for estimator in (Lasso(alpha=0.01, **options), LeastSquaresBCD(**options)):
        with pytest.raises(ValueError, match=match):
            estimator.fit(X, y)


@pytest.mark.parametrize("update", ["adaptive_gradient", "two_metric"])
def test_engine_only_updates_run_the_engine(shifted_problem, update):
    """Updates that differ from exact coordinate minimisation are not silently
    replaced by the fast solver's: same optimum, engine history."""
    X, y = shifted_problem
    reference = SklearnLasso(alpha=0.01, tol=1e-14, max_iter=10**6).fit(X, y)
    model = Lasso(alpha=0.01, update=update, tol=1e-10, max_iter=50_000).fit(X, y)
    assert model.history_.criterion_name == "relative_duality_gap"
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)


def test_verbose_prints_on_the_engine_path(shifted_problem, capsys):
    X, y = shifted_problem
    Lasso(alpha=0.01, selection="gsq", verbose=2, tol=1e-8).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[bcd]")]
    assert len(lines) >= 3
    assert "objective" in lines[0] and "criterion" in lines[0]
    assert "converged=True" in lines[-1]
    iterations = [line.split()[2] for line in lines]
    assert len(set(iterations)) == len(iterations)  # the last check was printed twice
    Lasso(alpha=0.01, selection="gsq", verbose=0, tol=1e-8).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("estimator", [
    Lasso(alpha=0.01, selection="gsq"),
    LeastSquaresBCD(blocks="variable", block_size=3, selection="gsl"),
    SparseLogisticRegression(alpha=0.01, selection="gsl"),
])
def test_overflowing_data_raise_a_clear_error(shifted_problem, estimator):
    """Data scaled by 1e300: a ValueError that says so, never NaN coefficients."""
    X, y = shifted_problem
    target = y if not isinstance(estimator, SparseLogisticRegression) else y > np.median(y)
    with pytest.raises(ValueError, match="X overflows float64"):
        estimator.fit(X * 1e300, target)
    if not isinstance(estimator, SparseLogisticRegression):
        with pytest.raises(ValueError, match="y overflows float64"):
            estimator.fit(X, y * 1e300)


def test_large_but_representable_scales_give_the_rescaled_answer(shifted_problem):
    """(X, y, alpha) -> (c X, c y, c^2 alpha) leaves the Lasso's coefficients
    unchanged; checked at c = 1e150, where squares reach 1e300."""
    X, y = shifted_problem
    reference = Lasso(alpha=0.01, selection="gsq", tol=1e-12).fit(X, y)
    scale = 1e150
    model = Lasso(alpha=0.01 * scale**2, selection="gsq", tol=1e-12).fit(X * scale, y * scale)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-7, atol=1e-9)
    assert model.intercept_ / scale == pytest.approx(reference.intercept_, rel=1e-8)


def unsorted_csc(X):
    """The CSC matrix of ``X`` with the row indices of every column reversed."""
    matrix = sp.csc_matrix(X)
    data, indices = matrix.data.copy(), matrix.indices.copy()
    for column in range(matrix.shape[1]):
        start, stop = matrix.indptr[column], matrix.indptr[column + 1]
        data[start:stop] = data[start:stop][::-1]
        indices[start:stop] = indices[start:stop][::-1]
    out = sp.csc_matrix((data, indices, matrix.indptr.copy()), shape=matrix.shape)
    assert not out.has_sorted_indices
    return out


@pytest.mark.parametrize("fit", [
    lambda X, y: Lasso(alpha=0.01, selection="gsq", fit_intercept=False).fit(X, y),
    lambda X, y: SparseLogisticRegression(alpha=0.01, selection="gsl",
                                          fit_intercept=False).fit(X, y > np.median(y)),
    lambda X, y: bcd_minimize(GLMDatafit(X, y, "least_squares", 1.0),
                              ElasticNetPenalty(1.0, 0.0, np.ones(X.shape[1])),
                              selection="gsl", max_iter=50),
])
def test_unsorted_sparse_input_is_not_reordered(fit):
    X, y, _ = make_sparse_regression(40, 12, 4, random_state=0)
    X = unsorted_csc(X * (np.abs(X) > 0.7))
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    fit(X, y)
    for array, copy in zip((X.data, X.indices, X.indptr), before, strict=True):
        np.testing.assert_array_equal(array, copy)


def test_read_only_memmapped_sparse_input(tmp_path):
    X, y, _ = make_sparse_regression(40, 12, 4, random_state=0)
    matrix = unsorted_csc(X * (np.abs(X) > 0.7))
    parts = {}
    for name in ("data", "indices", "indptr"):
        joblib.dump(getattr(matrix, name), tmp_path / name)
        parts[name] = joblib.load(tmp_path / name, mmap_mode="r")
    read_only = sp.csc_matrix((parts["data"], parts["indices"], parts["indptr"]),
                              shape=matrix.shape, copy=False)
    assert not read_only.data.flags.writeable
    ours = Lasso(alpha=0.01, selection="gsq", fit_intercept=False, tol=1e-10).fit(read_only, y)
    reference = SklearnLasso(alpha=0.01, fit_intercept=False, tol=1e-14).fit(
        matrix.toarray(), y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SparseLogisticRegression(alpha=0.01, selection="gsl", fit_intercept=False,
                                 max_iter=5).fit(read_only, y > 0)


@pytest.fixture(scope="module")
def lattice():
    problem = make_lattice_label_propagation(15, 15, n_labelled=20, weight=1.0, random_state=0)
    y = np.where(problem.labelled, problem.labels, np.nan)
    unknown = ~problem.labelled
    solution = np.where(problem.labelled, problem.labels, 0.0)
    solution[unknown] = spla.spsolve(problem.A.tocsc(), problem.b)
    return problem.W, y, solution


@pytest.mark.parametrize("options", [
    {"update": "lipschitz_matrix"},
    {"update": "newton"},
    {"selection": "gsd"},
    {"selection": "gsd", "update": "lipschitz_matrix"},
    {"selection": "random", "random_state": 0},
    {"blocks": "general", "block_size": 30, "selection": "gs", "update": "lipschitz_matrix"},
    {"update": "adaptive_gradient", "blocks": "avg", "block_size": 2, "selection": "gsl"},
])
def test_graph_configurations_match_a_direct_sparse_solve(lattice, options):
    weights, y, solution = lattice
    model = GraphLabelPropagation(affinity="precomputed", tol=1e-11, max_iter=50_000,
                                  **options).fit(weights, y)
    np.testing.assert_allclose(model.transduction_, solution, atol=1e-8)


def test_ctrl_c_interrupts_a_long_engine_fit(assert_interruptible):
    """Blocks of 1000 coordinates: each block model takes seconds of compiled
    coordinate descent, which now returns to Python every ~10 ms (before: a
    SystemError after 10-15 s)."""
    assert_interruptible(
        """
import numpy as np
from sparseopt.bcd import Lasso
from sparseopt.datasets import make_sparse_regression
X, y, _ = make_sparse_regression(300, 3000, 30, rho=0.5, random_state=0)
options = dict(alpha=1e-5, selection="gsl", blocks="variable", block_size=1000,
               update="lipschitz_matrix", tol=1e-300)
Lasso(max_iter=1, **dict(options, block_size=5)).fit(X[:40, :50], y[:40])  # compiles
""",
        "Lasso(max_iter=10**9, **options).fit(X, y)",
    )


@pytest.mark.parametrize("options", [
    {"block_size": 3}, {"block_size": 2, "blocks": "sorted"},
    {"blocks": [[0, 1, 2, 3, 4], [5, 6, 7, 8]]},
    {"blocks": "variable", "block_size": 4, "selection": "gs"}])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_engine_counts_epochs_as_passes_over_the_blocks(options, fit_intercept):
    # n_iter_ was updates x block_size / n_coords: 6 or 7 at max_iter=5 with
    # the intercept's block or uneven blocks, 2 with an explicit partition.
    from sklearn.exceptions import ConvergenceWarning
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 9))
    y = X[:, 0] - X[:, 3] + 0.3 * rng.standard_normal(40)
    for model, target in [(Lasso(alpha=0.01), y),
                          (SparseLogisticRegression(alpha=0.001), np.where(y > 0, 1, -1))]:
        model.set_params(**options, fit_intercept=fit_intercept, tol=1e-14, max_iter=5)
        with pytest.warns(ConvergenceWarning):
            warnings.simplefilter("always")
            model.fit(X, target)
        assert model.n_iter_ == 5
        if isinstance(model, Lasso):
            assert model.n_epochs_ == 5.0


@pytest.mark.parametrize("seed", range(5))
def test_gsq_variable_blocks_do_not_stall_on_an_optimal_intercept(seed):
    # The IHT block of GSQ kept the optimal intercept (gradient 1e-16, through
    # its coupling in H~) at every iteration: the objective froze 1.1e-2
    # above the ridge optimum at seed 4 of the review's data.
    rng = np.random.default_rng(seed + 4)
    X = rng.standard_normal((40, 9)) * rng.uniform(0.3, 3, 9) + rng.uniform(-1, 2, 9)
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.standard_normal(40) + 2
    model = LeastSquaresBCD(alpha=0.05, selection="gsq", blocks="variable", block_size=1,
                            tol=1e-10, max_iter=3000).fit(X, y)
    reference = Ridge(alpha=0.05 * 40, tol=1e-14, solver="cholesky").fit(X, y)

    def objective(coef, intercept):
        residual = y - X @ coef - intercept
        return residual @ residual / 80 + 0.025 * coef @ coef

    optimum = objective(reference.coef_, reference.intercept_)
    assert objective(model.coef_, model.intercept_) <= optimum * (1 + 1e-9)


def test_unpenalised_warm_refit_takes_no_epoch():
    # The gradient criterion was measured against the gradient at the warm
    # start (near zero at the optimum): a refit on the same data ran 26 epochs.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 8))
    y = X @ rng.standard_normal(8) + rng.standard_normal(50)
    model = LeastSquaresBCD(alpha=0.0, warm_start=True, tol=1e-8).fit(X, y)
    first = model.coef_.copy()
    assert model.fit(X, y).n_iter_ == 0
    np.testing.assert_array_equal(model.coef_, first)

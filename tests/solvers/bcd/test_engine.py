"""The generic BCD engine against independent references and the paper's findings."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from sklearn.datasets import load_iris
from sklearn.linear_model import Lasso as SklearnLasso
from sklearn.linear_model import LogisticRegression

from sparseopt.datasets import (
    make_bcd_problem,
    make_lattice_label_propagation,
    make_sparse_regression,
)
from sparseopt.solvers import lattice_comb_blocks, lattice_red_black_blocks
from sparseopt.solvers.bcd import (
    BLOCKS,
    SELECTIONS,
    UPDATES,
    ElasticNetPenalty,
    GLMDatafit,
    QuadraticDatafit,
    bcd_minimize,
)
from sparseopt.core.forest import is_forest
from sparseopt.solvers.bcd import datafits
from sparseopt.solvers.bcd.partitions import GRAPH_BLOCKS, avg_order, make_partition
from sparseopt.solvers.bcd.selection import BlockSelector
from sparseopt.solvers.bcd.updates import _adaptive_gradient_step

FLAT_BLOCKS = [b for b in BLOCKS if b not in GRAPH_BLOCKS]


@pytest.fixture(scope="module")
def lasso_problem():
    X, y, _ = make_sparse_regression(40, 30, 5, rho=0.5, random_state=0)
    n = X.shape[0]
    alpha = np.max(np.abs(X.T @ y)) / n / 10
    reference = SklearnLasso(alpha=alpha, fit_intercept=False, tol=1e-14,
                             max_iter=100_000).fit(X, y).coef_
    return X, y, alpha, reference


@pytest.mark.parametrize("blocks, selection, update", list(itertools.product(
    FLAT_BLOCKS, SELECTIONS, [u for u in UPDATES if u != "message_passing"])))
def test_every_combination_solves_the_lasso(lasso_problem, blocks, selection, update):
    X, y, alpha, reference = lasso_problem
    datafit = GLMDatafit(X, y, "least_squares", 1 / X.shape[0])
    penalty = ElasticNetPenalty(alpha, 0.0, np.ones(X.shape[1]))
    coef, info = bcd_minimize(datafit, penalty, blocks=blocks, block_size=5,
                              selection=selection, update=update, max_iter=5000, tol=1e-11,
                              random_state=0)
    assert info["converged"]
    np.testing.assert_allclose(coef, reference, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("selection, update", [("cyclic", "gradient"), ("gsl", "newton"),
                                               ("gsq", "lipschitz_matrix"), ("gs_r", "newton")])
def test_l1_logistic_matches_liblinear(selection, update, sparse):
    X, y, _ = make_sparse_regression(80, 30, 5, rho=0.5, random_state=1)
    labels = np.where(y > 0, 1.0, -1.0)
    n = X.shape[0]
    reference = LogisticRegression(C=1.0, l1_ratio=1.0, solver="liblinear", fit_intercept=False,
                                   tol=1e-12, max_iter=100_000).fit(X, labels).coef_.ravel()
    design = sp.csc_matrix(X) if sparse else X
    datafit = GLMDatafit(design, labels, "logistic", 1 / n)
    penalty = ElasticNetPenalty(1.0 / n, 0.0, np.ones(30))
    coef, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=5,
                              selection=selection, update=update, max_iter=20_000, tol=1e-11)
    assert info["converged"]
    np.testing.assert_allclose(coef, reference, atol=1e-7)


@pytest.mark.parametrize("update", ["gradient", "lipschitz_matrix", "newton"])
def test_multinomial_matches_sklearn(update):
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    n, l2 = len(y), 0.01
    reference = LogisticRegression(C=1 / (l2 * n), fit_intercept=False, tol=1e-12,
                                   max_iter=100_000).fit(X, y).coef_.T.ravel()
    datafit = GLMDatafit(X, y, "multinomial", 1 / n, n_outputs=3)
    coef, info = bcd_minimize(datafit, ElasticNetPenalty(0.0, l2, np.ones(12)), blocks="fixed",
                              block_size=3, update=update, max_iter=20_000, tol=1e-10)
    assert info["converged"]
    np.testing.assert_allclose(coef, reference, atol=1e-6)


@pytest.mark.parametrize("loss, n_outputs", [("least_squares", 1), ("logistic", 1),
                                             ("multinomial", 3)])
def test_glm_gradient_and_hessian_match_finite_differences(loss, n_outputs):
    rng = np.random.default_rng(0)
    X = sp.random(30, 6, density=0.5, random_state=0, format="csc")
    target = {"least_squares": rng.standard_normal(30),
              "logistic": np.sign(rng.standard_normal(30)),
              "multinomial": rng.integers(0, 3, 30).astype(float)}[loss]
    datafit = GLMDatafit(X, target, loss, 1 / 30, n_outputs=n_outputs)
    coef = rng.standard_normal(6 * n_outputs)
    state = datafit.start(coef, track_gradient=True)
    gradient = datafit.full_gradient(state)
    block = np.arange(datafit.n_coords)
    hessian = datafit.hessian(state, block)
    eps = 1e-6
    for c in range(datafit.n_coords):
        e = np.zeros_like(coef)
        e[c] = eps
        plus, minus = datafit.start(coef + e, True), datafit.start(coef - e, True)
        numeric = (datafit.value(plus) - datafit.value(minus)) / (2 * eps)
        assert numeric == pytest.approx(gradient[c], rel=1e-6, abs=1e-8)
        numeric_column = (datafit.full_gradient(plus) - datafit.full_gradient(minus)) / (2 * eps)
        np.testing.assert_allclose(numeric_column, hessian[:, c], rtol=1e-5, atol=1e-7)
    # the constant bound dominates the Hessian
    bound = datafit.bound_matrix(block)
    assert np.linalg.eigvalsh(bound - hessian).min() >= -1e-10
    # maintained gradient equals the recomputed one after sparse steps
    datafit.step(state, np.array([1, 4]), np.array([0.3, -0.2]))
    np.testing.assert_allclose(state.gradient, datafit.full_gradient(state), atol=1e-12)


def test_greedy_rules_order_guaranteed_progress():
    """GSL picks at least the guaranteed progress ||g_b||^2 / (2 L_b) of GS, and
    GSQ at least the guaranteed progress g_b^T H_b^{-1} g_b / 2 of GSL (fixed
    blocks, several seeds, least squares)."""
    for seed in range(5):
        X, y, _ = make_bcd_problem("least_squares", 60, 120, random_state=seed)
        datafit = GLMDatafit(X, y, "least_squares", 1.0)
        penalty = ElasticNetPenalty(0.0, 0.0, np.ones(120))
        lipschitz = datafit.coordinate_lipschitz()
        coef = np.random.default_rng(seed).standard_normal(120) * 0.01
        state = datafit.start(coef, track_gradient=True)
        chosen = {}
        for rule in ("gs", "gsl", "gsq"):
            partition = [np.arange(k, k + 5) for k in range(0, 120, 5)]
            selector = BlockSelector(rule, partition, 5, datafit, penalty, lipschitz,
                                     np.random.default_rng(0))
            chosen[rule] = selector.next(state, 1)[0]

        def lipschitz_progress(block, state=state, datafit=datafit):
            g = state.gradient[block]
            return g @ g / (2 * np.linalg.eigvalsh(datafit.bound_matrix(block))[-1])

        def matrix_progress(block, state=state, datafit=datafit):
            g = state.gradient[block]
            return 0.5 * g @ np.linalg.solve(datafit.bound_matrix(block), g)

        assert lipschitz_progress(chosen["gsl"]) >= lipschitz_progress(chosen["gs"]) * (1 - 1e-12)
        assert matrix_progress(chosen["gsq"]) >= matrix_progress(chosen["gsl"]) * (1 - 1e-9)


def test_paper_dataset_a_rule_ordering():
    """Dataset A recipe scaled to 1000 x 2000, variable blocks of 5, 500
    iterations, f* = 0 (p > n). With gradient updates GSL reaches >= 10x lower
    f than GS (measured 22-31x over seeds 0-3); with matrix updates GSQ (the
    paper's IHT) beats GSL (1.08-1.62x over seeds 0-3, 1.46x at seed 0)."""
    X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(2000))

    def final(selection, update):
        _, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=5,
                               selection=selection, update=update, max_iter=500,
                               check_every=500)
        return info["objective"]

    assert final("gsl", "gradient") * 10 <= final("gs", "gradient")
    assert final("gsq", "lipschitz_matrix") * 1.2 <= final("gsl", "lipschitz_matrix")


def test_gsq_variable_blocks_differ_from_gsl():
    """The paper's IHT (unscaled, step 1 / lambda_max) picks another block than
    GSL at most iterates (the Jacobi-scaled variant never did)."""
    X, y, _ = make_bcd_problem("least_squares", 300, 600, random_state=1)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(600))
    rng = np.random.default_rng(0)
    lipschitz = datafit.coordinate_lipschitz()
    different = 0
    for _ in range(20):
        coef = rng.standard_normal(600) * (rng.random(600) < 0.1) * 0.01
        state = datafit.start(coef, track_gradient=True)
        picks = [BlockSelector(rule, None, 5, datafit, penalty, lipschitz,
                               np.random.default_rng(0)).next(state, 1)[0]
                 for rule in ("gsl", "gsq")]
        different += not np.array_equal(*picks)
    assert different >= 10


def test_paper_lattice_tree_blocks_beat_red_black():
    """50x50 lattice label propagation (the paper's dataset D): after 60 updates
    the two comb-shaped trees with message passing reach >= 5x lower f - f*
    than the red-black (checkerboard) partition."""
    problem = make_lattice_label_propagation(random_state=1)
    solution = spla.spsolve(problem.A.tocsc(), problem.b)
    optimum = 0.5 * solution @ (problem.A @ solution) - problem.b @ solution
    assert optimum == pytest.approx(-1045999575.2270696, rel=1e-12)  # the authors' f*
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    gaps = {}
    for name, builder in (("trees", lattice_comb_blocks), ("red_black", lattice_red_black_blocks)):
        partition = builder(50, 50, labelled=problem.labelled)
        _, info = bcd_minimize(datafit, penalty, blocks=partition, selection="cyclic",
                               update="message_passing", max_iter=60, check_every=60)
        gaps[name] = info["objective"] - optimum
    assert gaps["trees"] * 5 <= gaps["red_black"]


@pytest.mark.parametrize("blocks", ["tree", "red_black"])
def test_message_passing_reaches_the_direct_solve(blocks):
    problem = make_lattice_label_propagation(20, 20, n_labelled=30, weight=1.0, random_state=0)
    solution = spla.spsolve(problem.A.tocsc(), problem.b)
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    coef, info = bcd_minimize(datafit, penalty, blocks=blocks, block_size=None,
                              update="message_passing", max_iter=20_000, tol=1e-10)
    assert info["converged"]
    np.testing.assert_allclose(coef, solution, atol=1e-8)


def test_nnls_l1_proximal_newton_terminates():
    """Dataset A (1000 x 2000), non-negative least squares + lambda * sum(x):
    proximal Newton with block size 100 >= |supp x*| (82) reaches relative
    suboptimality < 1e-12 within 50 iterations; proximal gradient is still
    linear (above 1e-4) there."""
    X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(1e4, 0.0, np.ones(2000), positive=True)
    coef, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=100,
                              selection="gsl", update="newton", max_iter=50, tol=0,
                              check_every=1)
    optimum = info["objective"]
    assert np.count_nonzero(coef) <= 100 and np.all(coef >= 0)
    history = info["history"]
    start = history.objectives[0] - optimum
    reached = np.flatnonzero(history.objectives - optimum < 1e-12 * start)
    assert reached.size and history.iterations[reached[0]] <= 50
    _, gradient_info = bcd_minimize(datafit, penalty, blocks="variable", block_size=100,
                                    selection="gsl", update="gradient", max_iter=50,
                                    check_every=50)
    assert gradient_info["objective"] - optimum > 1e-4 * start


def test_active_set_identification_then_superlinear():
    X, y, _ = make_sparse_regression(200, 60, 6, rho=0.3, random_state=2)
    labels = np.where(y > np.median(y), 1.0, -1.0)
    n = len(labels)
    datafit = GLMDatafit(X, labels, "logistic", 1 / n)
    penalty = ElasticNetPenalty(0.02, 0.0, np.ones(60))
    _, reference = bcd_minimize(datafit, penalty, blocks="variable", block_size=10,
                                selection="gsl", update="newton", max_iter=2000, tol=1e-14)
    optimum = reference["objective"]
    _, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=10,
                           selection="gsl", update="gradient", max_iter=400, tol=1e-13,
                           check_every=1, active_set=True)
    assert info["active_set_iteration"] is not None
    errors = info["history"].objectives - optimum
    after = errors[info["history"].iterations >= info["active_set_iteration"]]
    after = after[after > 1e-13]
    assert after.size >= 2
    ratios = after[1:] / after[:-1]
    assert ratios[-1] < 0.05  # superlinear: the contraction factor collapses


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"blocks": "fixed", "update": "message_passing"}, "needs a quadratic problem"),
        ({"blocks": "fixed", "block_size": 0}, "block_size must be in"),
        ({"blocks": "tree"}, "needs a quadratic problem on a graph"),
        ({"selection": "best"}, "selection must be one of"),
        ({"update": "exact"}, "update must be one of"),
        ({"blocks": "diagonal"}, "blocks must be one of"),
    ],
)
def test_invalid_combinations(lasso_problem, kwargs, match):
    X, y, alpha, _ = lasso_problem
    datafit = GLMDatafit(X, y, "least_squares", 1 / X.shape[0])
    penalty = ElasticNetPenalty(alpha, 0.0, np.ones(X.shape[1]))
    with pytest.raises(ValueError, match=match):
        bcd_minimize(datafit, penalty, **kwargs)


def test_message_passing_needs_forest_blocks():
    problem = make_lattice_label_propagation(5, 5, n_labelled=3, weight=1.0, random_state=0)
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    with pytest.raises(ValueError, match="forest-structured blocks"):
        bcd_minimize(datafit, penalty, blocks="fixed", block_size=4, update="message_passing")
    with pytest.raises(ValueError, match="smooth penalty"):
        bcd_minimize(datafit, ElasticNetPenalty(1.0, 0.0, np.ones(problem.A.shape[0])),
                     blocks="tree", update="message_passing")


def test_avg_partition_interleaves_small_and_large_constants():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 10)) * np.array([5, 1, 9, 3, 7, 2, 10, 4, 8, 6.0])
    datafit = GLMDatafit(X, rng.standard_normal(30), "least_squares", 1.0)
    ascending = np.argsort(datafit.coordinate_lipschitz())
    interleaved = [ascending[0], ascending[-1], ascending[1], ascending[-2], ascending[2],
                   ascending[-3], ascending[3], ascending[-4], ascending[4], ascending[-5]]
    expected = [np.sort(interleaved[k:k + 4]) for k in (0, 4, 8)]
    partition = make_partition("avg", 4, 10, datafit.coordinate_lipschitz(), datafit)
    assert [b.tolist() for b in partition] == [b.tolist() for b in expected]
    assert avg_order(np.array([3.0, 1.0, 2.0])).tolist() == [1, 0, 2]


def test_random_tree_blocks_are_fresh_forests():
    """selection="random" on blocks="tree": a forest grown along a random order
    at each iteration (the paper's random tree), not a block of the fixed
    partition; and the iterates reach the direct solve."""
    problem = make_lattice_label_propagation(20, 20, n_labelled=30, weight=1.0, random_state=0)
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    partition = make_partition("tree", 1, datafit.n_coords, datafit.coordinate_lipschitz(),
                               datafit)
    selector = BlockSelector("random", partition, None, datafit, penalty,
                             datafit.coordinate_lipschitz(), np.random.default_rng(0),
                             tree_blocks=True)
    state = datafit.start(np.zeros(datafit.n_coords), track_gradient=True)
    blocks = [selector.next(state, iteration)[0] for iteration in range(1, 6)]
    fixed = {tuple(block) for block in partition}
    assert all(tuple(block) not in fixed for block in blocks)
    assert len({tuple(block) for block in blocks}) == 5
    assert all(is_forest(problem.A, block) and len(block) > datafit.n_coords // 3
               for block in blocks)
    coef, info = bcd_minimize(datafit, penalty, blocks="tree", block_size=None,
                              selection="random", update="message_passing", max_iter=5000,
                              tol=1e-10, random_state=0)
    assert info["converged"]
    np.testing.assert_allclose(coef, spla.spsolve(problem.A.tocsc(), problem.b), atol=1e-8)


def test_adaptive_lipschitz_doubles_from_one():
    """LA on least squares: the accepted estimate is the smallest 2^k >= 1 with
    g^T H g <= L g^T g (the sufficient-decrease test of a gradient step), and
    the objective decreases monotonically."""
    X, y, _ = make_sparse_regression(40, 12, 4, random_state=0)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(12))
    state = datafit.start(np.zeros(12), track_gradient=True)
    block = np.array([2, 5, 7])
    estimates = np.ones(12)
    delta = _adaptive_gradient_step(datafit, penalty, state, block,
                                    state.gradient[block], state.coef[block], estimates)
    g = state.gradient[block]
    rayleigh = g @ datafit.bound_matrix(block) @ g / (g @ g)
    expected = 2.0 ** max(0, int(np.ceil(np.log2(rayleigh))))
    np.testing.assert_allclose(estimates[block], expected)
    np.testing.assert_allclose(delta, -g / expected)
    _, info = bcd_minimize(datafit, penalty, blocks="fixed", block_size=3, selection="gsl",
                           update="adaptive_gradient", max_iter=300, check_every=1)
    assert np.all(np.diff(info["history"].objectives) <= 1e-12 * info["history"].objectives[0])


def test_two_metric_projection_solves_nonnegative_l1():
    """TMP on 0.5 ||Xw - y||^2 + lambda sum(w), w >= 0, blocks covering the
    support: matches scikit-learn's positive Lasso (lambda / n) to 1e-10."""
    X, y, _ = make_sparse_regression(60, 40, 5, rho=0.3, random_state=3)
    n = X.shape[0]
    lam = 0.05 * np.max(X.T @ y)
    reference = SklearnLasso(alpha=lam / n, positive=True, fit_intercept=False, tol=1e-15,
                             max_iter=10**6).fit(X, y)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(lam, 0.0, np.ones(40), positive=True)
    coef, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=20,
                              selection="gsl", update="two_metric", max_iter=200, tol=1e-9)
    assert info["converged"] and np.all(coef >= 0)
    optimum = 0.5 * np.sum((X @ reference.coef_ - y) ** 2) + lam * reference.coef_.sum()
    assert info["objective"] == pytest.approx(optimum, rel=1e-10)


def test_greedy_rules_update_the_gradient_incrementally(monkeypatch):
    """Dense least squares: the greedy rules' gradient follows the steps through
    cached Gram columns (no full X^T r per update), and stays exact, also once
    the cache is full."""
    X, y, _ = make_sparse_regression(200, 300, 10, rho=0.5, random_state=0)
    penalty = ElasticNetPenalty(0.5, 0.0, np.ones(300))
    for cache_bytes in (2**28, 8 * 300 * 7):  # everything fits; 7 columns fit
        monkeypatch.setattr(datafits, "_GRAM_CACHE_BYTES", cache_bytes)
        datafit = GLMDatafit(np.asfortranarray(X), y, "least_squares", 1.0 / 200)
        calls = []
        full_gradient = datafit.full_gradient
        monkeypatch.setattr(datafit, "full_gradient",
                            lambda state: calls.append(1) or full_gradient(state))
        coef, _ = bcd_minimize(datafit, penalty, blocks="variable", block_size=5,
                               selection="gs", max_iter=200, check_every=10**6)
        if cache_bytes == 2**28:
            assert len(calls) <= 3  # start, end: not one per update
        state = datafit.start(coef, track_gradient=False)
        tracked = datafit.start(np.zeros(300), track_gradient=True)
        rng = np.random.default_rng(0)
        for _ in range(50):
            block = np.sort(rng.choice(300, 5, replace=False))
            datafit.step(tracked, block, rng.standard_normal(5))
        np.testing.assert_allclose(tracked.gradient, full_gradient(tracked), atol=1e-10)
        assert np.isfinite(state.z).all()


@pytest.mark.parametrize("blocks, match", [
    ([[0, 1]], "are in no block"),
    ([np.arange(30)[::-1], []], r"blocks\[1\] is empty"),
    (np.arange(30), "got a flat array"),
    ([[0, 1, 2], list(range(2, 30))], "appear more than once"),
])
def test_explicit_blocks_are_checked(lasso_problem, blocks, match):
    X, y, alpha, _ = lasso_problem
    datafit = GLMDatafit(X, y, "least_squares", 1 / X.shape[0])
    penalty = ElasticNetPenalty(alpha, 0.0, np.ones(X.shape[1]))
    with pytest.raises((ValueError, TypeError), match=match):
        bcd_minimize(datafit, penalty, blocks=blocks)


def test_message_passing_refuses_explicit_cycles():
    problem = make_lattice_label_propagation(5, 5, n_labelled=3, weight=1.0, random_state=0)
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    with pytest.raises(ValueError, match=r"blocks\[0\] induces a cycle"):
        bcd_minimize(datafit, penalty, blocks=[np.arange(problem.A.shape[0])],
                     update="message_passing")


def test_overflowing_data_are_refused():
    X, y, _ = make_sparse_regression(20, 5, 2, random_state=0)
    with pytest.raises(ValueError, match="X overflows float64"):
        GLMDatafit(X * 1e300, y, "least_squares", 1.0)
    with pytest.raises(ValueError, match="y overflows float64"):
        GLMDatafit(X, y * 1e300, "least_squares", 1.0)


@pytest.mark.slow
def test_paper_scale_dataset_a():
    """The paper's size (1000 x 10000): the same orderings as the scaled test."""
    X, y, _ = make_bcd_problem("least_squares", 1000, 10000, random_state=0)
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(10000))

    def final(selection, update):
        _, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=5,
                               selection=selection, update=update, max_iter=500,
                               check_every=500)
        return info["objective"]

    # Measured at this size: GS 3.7e-3 vs GSL 9.8e-4 (3.8x); GSQ 5e4x below GS.
    assert final("gsl", "gradient") * 3 <= final("gs", "gradient")
    assert final("gsq", "lipschitz_matrix") * 100 <= final("gs", "lipschitz_matrix")

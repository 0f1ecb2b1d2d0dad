"""The generic BCD engine against independent references and the paper's findings."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from sklearn.datasets import load_iris
from sklearn.linear_model import Lasso as SklearnLasso
from sklearn.linear_model import LogisticRegression

from sparseopt.core.forest import is_forest
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
    datafits,
)
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

        def counted(state, calls=calls, full_gradient=full_gradient):
            calls.append(1)
            return full_gradient(state)

        monkeypatch.setattr(datafit, "full_gradient", counted)
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


# ---------------------------------------------------------------------------
# The paper's experiments at the paper's sizes (slow). Reading the authors'
# figures (Nutini, Laradji & Schmidt 2022; IssamLaradji/BlockCoordinateDescent)
# gives the reproduction points quoted in each docstring.
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dataset_a():
    X, y, _ = make_bcd_problem("least_squares", 1000, 10000, random_state=0)
    return GLMDatafit(X, y, "least_squares", 1.0), ElasticNetPenalty(0.0, 0.0, np.ones(10000))


def final_objective(datafit, penalty, iterations=500, **options):
    _, info = bcd_minimize(datafit, penalty, max_iter=iterations, check_every=iterations,
                           random_state=0, **options)
    return info["objective"]


@pytest.mark.slow
def test_paper_scale_dataset_a(dataset_a):
    """Dataset A (1000 x 10000, f* = 0), variable blocks of 5, 500 iterations.

    Figure 4a (gradient updates): the variable-block "GSL" curve (the
    Gershgorin rule, our ``gsd``) ends near 7.5e3, GS near 3.6e4: about 4.8x,
    not the 10x of the research target (which holds at 2000 columns, 22-31x).
    Ours, 10 seeds (0-9): GS / GSL (g_i^2 / L_i) 3.3-6.3x (median 3.9x),
    GS / GSD 3.3-4.6x (median 3.75x). Figure 5a (matrix updates): GSQ (IHT)
    0.3 < GSD 0.5 << GS 3.4e3; ours: GSQ below GSL on 10 of 10 seeds
    (1.24-3.80x, median 2.4x), GSL >= 1e4x below GS."""
    datafit, penalty = dataset_a
    options = dict(blocks="variable", block_size=5)
    gs = final_objective(datafit, penalty, selection="gs", **options)
    assert final_objective(datafit, penalty, selection="gsl", **options) * 3 <= gs
    assert final_objective(datafit, penalty, selection="gsd", **options) * 3 <= gs
    matrix = dict(options, update="lipschitz_matrix")
    gsl = final_objective(datafit, penalty, selection="gsl", **matrix)
    assert final_objective(datafit, penalty, selection="gsq", **matrix) * 1.2 <= gsl
    assert gsl * 1e4 <= final_objective(datafit, penalty, selection="gs", **matrix)


@pytest.mark.slow
def test_paper_scale_fixed_partitions(dataset_a):
    """Figure 10 (dataset A, blocks of 5, gradient updates): with GSL the
    sorted partition (8.2e3 in the paper) beats Avg (about 6e4), which beats
    the contiguous order (about 1.4e5). Ours: 4.0e3 < 2.5e4 < 8.1e4."""
    datafit, penalty = dataset_a
    results = {blocks: final_objective(datafit, penalty, blocks=blocks, block_size=5,
                                       selection="gsl")
               for blocks in ("sorted", "avg", "fixed")}
    assert results["sorted"] * 3 <= results["avg"]
    assert results["avg"] * 2 <= results["fixed"]


@pytest.mark.slow
def test_paper_scale_adaptive_lipschitz(dataset_a):
    """Figure 9 (contiguous blocks): with blocks of 50 on dataset A the
    adaptive estimate (LA) beats the block bound (Lb), for GSL and cyclic
    (paper: LA-GSL about 4e3 vs Lb-GSL about 1.3e4; ours 1.95e3 vs 1.46e4 and
    cyclic 3.4e3 vs 2.6e4); with blocks of 5, Lb-GSL stays ahead (paper and
    ours: 8.1e4 vs 2.9e5)."""
    datafit, penalty = dataset_a

    def run(size, selection, update):
        return final_objective(datafit, penalty, blocks="fixed", block_size=size,
                               selection=selection, update=update)

    for selection in ("gsl", "cyclic"):
        assert run(50, selection, "adaptive_gradient") * 3 <= run(50, selection, "gradient")
    assert run(5, "gsl", "gradient") < run(5, "gsl", "adaptive_gradient")


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["logistic", "multinomial"])
def test_paper_scale_regularised_logistic_and_softmax(loss):
    """Datasets B (1000 x 10000) and C (1000 x 1000, 50 classes) with a ridge
    term (1/2 ||x||^2: the unregularised problems are separable, their
    infimum is not attained); f* from scikit-learn. Figure 4b / 8 (blocks of
    5): GS and GSL variable blocks beat random ones; Figure 9: LA-GSL beats
    Lb-GSL on contiguous blocks (C in the paper: 1.9e3 vs 3.5e3; ours: 1.8e3 vs
    3.3e3)."""
    if loss == "logistic":
        X, y, _ = make_bcd_problem("logistic", 1000, 10000, random_state=0)
        datafit = GLMDatafit(X, y, "logistic", 1.0)
    else:
        X, y, _ = make_bcd_problem("multinomial", 1000, 1000, n_classes=50, random_state=0)
        datafit = GLMDatafit(X, y, "multinomial", 1.0, n_outputs=50)
    penalty = ElasticNetPenalty(0.0, 1.0, np.ones(datafit.n_coords))
    reference = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-10,
                                   max_iter=100_000).fit(X, y)
    solution = reference.coef_.T.ravel() if loss == "multinomial" else reference.coef_.ravel()
    optimum = datafit.value(datafit.start(solution, False)) + penalty.value(solution)
    errors = {selection: final_objective(datafit, penalty, blocks="variable", block_size=5,
                                         selection=selection) - optimum
              for selection in ("random", "gs", "gsl")}
    assert min(errors.values()) > 0  # scikit-learn's optimum is below every iterate
    factor = 3.0 if loss == "logistic" else 1.15  # ours: 4.2x / 5.0x (B), 1.26x (C)
    assert errors["gs"] * factor <= errors["random"]
    assert errors["gsl"] * factor <= errors["random"]
    fixed = {update: final_objective(datafit, penalty, blocks="fixed", block_size=5,
                                     selection="gsl", update=update) - optimum
             for update in ("gradient", "adaptive_gradient")}
    assert fixed["adaptive_gradient"] * 1.2 <= fixed["gradient"]


@pytest.mark.slow
def test_paper_scale_lattice_blocks():
    """Figure 6a (dataset D, 500 iterations, exact updates): tree partitions
    (paper 1.5e-4) and greedy trees (1e-4) << random trees (about 1) << red-black
    (about 36) << the general n^(1/3) block (about 1e8). Ours: 2.8e-5, 2.0e-5,
    0.13, 20.5, 6.1e7."""
    problem = make_lattice_label_propagation(random_state=1)
    solution = spla.spsolve(problem.A.tocsc(), problem.b)
    optimum = 0.5 * solution @ (problem.A @ solution) - problem.b @ solution
    datafit = QuadraticDatafit(problem.A, problem.b)
    penalty = ElasticNetPenalty(0.0, 0.0, np.ones(problem.A.shape[0]))
    trees = dict(blocks="tree", block_size=None, update="message_passing")
    gaps = {name: final_objective(datafit, penalty, **options) - optimum for name, options in {
        "tree_partitions": dict(blocks=lattice_comb_blocks(50, 50, problem.labelled),
                                update="message_passing"),
        "greedy_tree": dict(trees, selection="gs"),
        "random_tree": dict(trees, selection="random"),
        "red_black": dict(blocks=lattice_red_black_blocks(50, 50, problem.labelled),
                          update="message_passing"),
        "general": dict(blocks="general", block_size=None, selection="gs",
                        update="lipschitz_matrix"),
    }.items()}
    assert max(gaps["tree_partitions"], gaps["greedy_tree"]) * 100 <= gaps["random_tree"]
    assert gaps["random_tree"] * 10 <= gaps["red_black"]
    assert gaps["red_black"] * 1e4 <= gaps["general"]


@pytest.mark.slow
def test_paper_scale_nonnegative_l1():
    """Figure 7 (dataset A, 1/2 ||Ax - b||^2 + 5e4 sum(x), x >= 0, variable
    blocks by GS-q; f* from scikit-learn's positive Lasso, 57 non-zeros): the
    exact block QP (PN) and two-metric projection (TMP) reach a relative
    suboptimality of 1e-8 within 10 iterations with blocks of 50 or 100
    (paper: about 5), projected gradient (PG) needs many more (paper: about
    150; ours 77 and 90); with blocks of 5, PN and TMP (41 iterations) still
    beat PG (85)."""
    X, y, _ = make_bcd_problem("least_squares", 1000, 10000, random_state=0)
    weight = 5e4
    reference = SklearnLasso(alpha=weight / X.shape[0], positive=True, fit_intercept=False,
                             tol=1e-14, max_iter=10**6).fit(X, y).coef_
    optimum = 0.5 * np.sum((X @ reference - y) ** 2) + weight * reference.sum()
    datafit = GLMDatafit(X, y, "least_squares", 1.0)
    penalty = ElasticNetPenalty(weight, 0.0, np.ones(10000), positive=True)

    def first_below(size, update, iterations):
        _, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=size,
                               selection="gsl", update=update, max_iter=iterations,
                               check_every=1)
        history = info["history"]
        relative = (history.objectives - optimum) / (history.objectives[0] - optimum)
        assert relative.min() > -1e-12  # scikit-learn's optimum is as low as ours
        reached = np.flatnonzero(relative < 1e-8)
        return history.iterations[reached[0]] if reached.size else np.inf

    for size in (50, 100):
        assert first_below(size, "lipschitz_matrix", 10) <= 10
        assert first_below(size, "two_metric", 10) <= 10
        assert first_below(size, "gradient", 50) > 50
    pg = first_below(5, "gradient", 150)
    assert max(first_below(5, "lipschitz_matrix", 100), first_below(5, "two_metric", 100)) < pg

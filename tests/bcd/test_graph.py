import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from sparseopt.bcd import GraphLabelPropagation
from sparseopt.datasets import make_lattice_label_propagation, make_two_moons_label_propagation


def direct_solution(weights, y):
    labelled = ~np.isnan(y)
    unknown = np.flatnonzero(~labelled)
    degree = np.asarray(weights.sum(axis=1)).ravel()
    A = sp.diags(degree[unknown]) - weights[unknown][:, unknown]
    b = weights[unknown][:, np.flatnonzero(labelled)] @ y[labelled]
    values = np.where(labelled, y, 0.0)
    values[unknown] = spla.spsolve(sp.csc_matrix(A), b)
    return values


@pytest.fixture(scope="module")
def lattice():
    problem = make_lattice_label_propagation(15, 15, n_labelled=20, weight=1.0, random_state=0)
    y = np.where(problem.labelled, problem.labels, np.nan)
    return problem.W, y


@pytest.mark.parametrize("options", [
    {},
    {"blocks": "red_black"},
    {"blocks": "tree", "selection": "random", "random_state": 0},
    {"blocks": "fixed", "block_size": 10, "update": "lipschitz_matrix"},
    {"blocks": "variable", "block_size": 20, "selection": "gsq", "update": "newton"},
])
def test_matches_a_direct_sparse_solve(lattice, options):
    weights, y = lattice
    model = GraphLabelPropagation(affinity="precomputed", tol=1e-12, max_iter=20_000,
                                  **options).fit(weights, y)
    np.testing.assert_allclose(model.transduction_, direct_solution(weights, y), atol=1e-8)


def test_greedy_forest_blocks_converge(lattice):
    weights, y = lattice
    model = GraphLabelPropagation(affinity="precomputed", selection="gsl", tol=1e-7,
                                  max_iter=5000).fit(weights, y)
    objectives = model.history_.objectives
    assert np.all(np.diff(objectives) <= 1e-9 * np.abs(objectives[0]))
    np.testing.assert_allclose(model.transduction_, direct_solution(weights, y), atol=1e-5)


def test_two_moons_knn_graph_and_prediction():
    problem = make_two_moons_label_propagation(n_samples=400, n_labelled=40, random_state=0)
    y = np.where(problem.labelled, problem.labels, np.nan)
    model = GraphLabelPropagation(n_neighbors=5, tol=1e-10).fit(problem.X, y)
    np.testing.assert_allclose(model.transduction_, direct_solution(problem.W, y), atol=1e-7)
    accuracy = np.mean(np.where(model.transduction_ > 1.5, 2, 1) == problem.y)
    assert accuracy > 0.9
    assert model.predict(problem.X[:5]).shape == (5,)


def test_tree_blocks_beat_red_black_per_update(lattice):
    weights, y = lattice
    gaps = {}
    for blocks in ("tree", "red_black"):
        model = GraphLabelPropagation(affinity="precomputed", blocks=blocks, max_iter=3,
                                      tol=1e-300)
        with pytest.warns(Warning):
            model.fit(weights, y)
        gaps[blocks] = model.history_.criteria[-1]
    assert gaps["tree"] < gaps["red_black"]


def test_errors_are_clear(lattice):
    weights, y = lattice
    negative = weights.copy()
    negative.data[0] = -1.0
    with pytest.raises(ValueError, match="must be symmetric|must be non-negative"):
        GraphLabelPropagation(affinity="precomputed").fit(negative, y)
    negative = negative.multiply(negative.T > -np.inf).tocsr()
    both = weights.copy().tolil()
    both[0, 1] = both[1, 0] = -2.0
    with pytest.raises(ValueError, match="non-negative"):
        GraphLabelPropagation(affinity="precomputed").fit(both.tocsr(), y)
    with pytest.raises(ValueError, match="at least one labelled node"):
        GraphLabelPropagation(affinity="precomputed").fit(weights, np.full_like(y, np.nan))
    isolated = weights.tolil()
    last = weights.shape[0] - 1
    isolated[last, :] = 0.0
    isolated[:, last] = 0.0
    y_isolated = y.copy()
    y_isolated[last] = np.nan
    with pytest.raises(ValueError, match="no path to a labelled node"):
        GraphLabelPropagation(affinity="precomputed").fit(isolated.tocsr(), y_isolated)
    ridge = GraphLabelPropagation(affinity="precomputed", alpha=0.1, tol=1e-10)
    assert np.isfinite(ridge.fit(isolated.tocsr(), y_isolated).transduction_).all()
    with pytest.raises(ValueError, match="square affinity matrix"):
        GraphLabelPropagation(affinity="precomputed").fit(weights[:, :10], y)
    with pytest.raises(ValueError, match="forest-structured blocks"):
        GraphLabelPropagation(affinity="precomputed", blocks="fixed",
                              block_size=4).fit(weights, y)
    before = weights.copy()
    GraphLabelPropagation(affinity="precomputed").fit(weights, y)
    assert abs(before - weights).sum() == 0

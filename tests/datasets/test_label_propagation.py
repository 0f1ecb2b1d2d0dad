import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sparseopt.datasets._label_propagation import (
    make_lattice_label_propagation,
    make_two_moons_label_propagation,
)


def expected_b(W, labelled, labels):
    """b_i = sum of W_ij y_j over labelled neighbours j, by a loop over entries."""
    W = sp.coo_matrix(W)
    full = np.zeros(W.shape[0])
    for i, j, w in zip(W.row, W.col, W.data, strict=True):
        if labelled[j]:
            full[i] += w * labels[j]
    return full[~labelled]


def check_quadratic(data):
    A, W = data.A, data.W
    n_unknowns = int((~data.labelled).sum())
    assert sp.issparse(A) and A.format == "csr" and A.shape == (n_unknowns, n_unknowns)
    np.testing.assert_array_equal(data.unlabelled_index, np.flatnonzero(~data.labelled))
    assert abs(W - W.T).max() == 0 and abs(A - A.T).max() == 0
    assert W.diagonal().max() == 0
    # A is the Laplacian restricted to the unknowns
    laplacian = np.diag(np.asarray(W.sum(axis=1)).ravel()) - W.toarray()
    index = data.unlabelled_index
    np.testing.assert_allclose(A.toarray(), laplacian[np.ix_(index, index)])
    np.testing.assert_allclose(data.b, expected_b(W, data.labelled, data.labels),
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(data.labels[~data.labelled], 0.0)


def test_default_lattice_has_2400_unknowns_and_lattice_edges():
    data = make_lattice_label_propagation(random_state=1)
    assert data.n_rows == 50 and data.n_cols == 50
    assert data.A.shape == (2400, 2400) and data.b.shape == (2400,)
    assert data.labelled.shape == (2500,) and data.labelled.sum() == 100
    assert data.labels.shape == (2500,)
    # 4-neighbour lattice: 2 * 49 * 50 undirected edges of weight 1e5
    assert data.W.nnz == 2 * 2 * 49 * 50
    np.testing.assert_array_equal(data.W.data, 1e5)
    assert data.W[0, 1] == 1e5 and data.W[0, 50] == 1e5 and data.W[49, 50] == 0
    assert data.W[49, 99] == 1e5  # bottom of column 0 to bottom of column 1
    # the authors' draws: legacy RandomState(1), choice then randn
    rng = np.random.RandomState(1)
    nodes = rng.choice(2500, 100, replace=False)
    np.testing.assert_array_equal(np.flatnonzero(data.labelled), np.sort(nodes))
    np.testing.assert_allclose(data.labels[nodes], 10.0 * rng.randn(100))


def test_small_lattice_quadratic_is_spd_and_consistent():
    data = make_lattice_label_propagation(6, 7, n_labelled=5, weight=3.0,
                                          random_state=0)
    check_quadratic(data)
    np.linalg.cholesky(data.A.toarray())  # positive definite
    # the minimiser of f clamps the labels: harmonic at every unknown
    x = np.linalg.solve(data.A.toarray(), data.b)
    full = data.labels.copy()
    full[data.unlabelled_index] = x
    degree = np.asarray(data.W.sum(axis=1)).ravel()
    np.testing.assert_allclose((data.W @ full)[data.unlabelled_index],
                               (degree * full)[data.unlabelled_index], atol=1e-9)


def test_lattice_reproducible_and_seed_dependent():
    first = make_lattice_label_propagation(10, 12, 8, random_state=3)
    second = make_lattice_label_propagation(10, 12, 8, random_state=3)
    other = make_lattice_label_propagation(10, 12, 8, random_state=4)
    np.testing.assert_array_equal(first.b, second.b)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert (first.A != second.A).nnz == 0
    assert not np.array_equal(first.labelled, other.labelled)


def test_two_moons_quadratic():
    data = make_two_moons_label_propagation(n_samples=300, n_labelled=20, n_neighbors=6,
                                            random_state=0)
    assert data.X.shape == (300, 2) and data.y.shape == (300,)
    assert set(np.unique(data.y)) == {1, 2}
    assert data.A.shape == (280, 280) and data.labelled.sum() == 20
    np.testing.assert_array_equal(data.labels[data.labelled], data.y[data.labelled])
    np.testing.assert_array_equal(np.unique(data.W.data), [1.0])
    assert (np.diff(data.W.indptr) >= 6).all()  # every point keeps its 6 neighbours
    check_quadratic(data)
    np.linalg.cholesky(data.A.toarray())
    # the two moons are recovered by thresholding the harmonic solution at 1.5
    x = np.linalg.solve(data.A.toarray(), data.b)
    accuracy = np.mean(np.where(x < 1.5, 1, 2) == data.y[data.unlabelled_index])
    assert accuracy > 0.9


def test_two_moons_default_size_and_reproducibility():
    data = make_two_moons_label_propagation(random_state=0)
    assert data.A.shape == (1900, 1900) and data.X.shape == (2000, 2)
    again = make_two_moons_label_propagation(random_state=0)
    np.testing.assert_array_equal(data.X, again.X)
    np.testing.assert_array_equal(data.b, again.b)
    _, component = connected_components(data.W, directed=False)
    assert set(component) == set(component[data.labelled])  # every part has a label


def test_two_moons_unlabelled_component_is_an_error():
    with pytest.raises(ValueError, match="connected components .* contain no labelled"
                                         ".*increase n_labelled or n_neighbors"):
        make_two_moons_label_propagation(n_samples=200, n_labelled=1, n_neighbors=1,
                                         random_state=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_rows": 0}, ValueError, "n_rows must be >= 1"),
        ({"n_cols": 2.5}, TypeError, "n_cols must be an integer"),
        ({"n_rows": 1, "n_cols": 1}, ValueError, "at least 2 nodes"),
        ({"n_labelled": 0}, ValueError, "n_labelled must be >= 1"),
        ({"n_labelled": 2500}, ValueError, "n_labelled must be <= 2499"),
        ({"weight": 0.0}, ValueError, "weight must be > 0"),
        ({"label_scale": -1.0}, ValueError, "label_scale must be >= 0"),
        ({"weight": np.nan}, ValueError, "weight must be finite"),
    ],
)
def test_lattice_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_lattice_label_propagation(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_samples": 2}, ValueError, "n_samples must be >= 3"),
        ({"n_labelled": 2000}, ValueError, "n_labelled must be <= 1999"),
        ({"n_neighbors": 0}, ValueError, "n_neighbors must be >= 1"),
        ({"noise": -0.1}, ValueError, "noise must be >= 0"),
        ({"noise": "big"}, TypeError, "noise must be a real number"),
    ],
)
def test_two_moons_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_two_moons_label_propagation(**kwargs)

"""Prior-knowledge formats without ambiguity, clear errors and warnings for
data the estimators cannot handle well."""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    simulate_dag,
    simulate_sem,
    simulate_weights,
)
from sparseopt.dag._validation import edge_mask

SHORT = {"T": 2, "warm_iter": 1000, "max_iter": 2000}
# short schedules stop on max_iter
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@contextmanager
def no_user_warning():
    """A UserWarning (other than a ConvergenceWarning) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def chain2(seed=0, n=500):
    """X0 -> X1 with weight 1.5."""
    rng = np.random.default_rng(seed)
    first = rng.standard_normal(n)
    return np.column_stack([first, 1.5 * first + rng.standard_normal(n)])


def test_masks_and_pairs_are_unambiguous_at_d2():
    """A (2, 2) 0/1 integer array was read as two (i, j) pairs, so the mask
    [[0, 1], [0, 0]] forbade 0 -> 1 and 1 -> 0 as pairs (0, 1) and (0, 0)...
    it is refused now; booleans and lists of tuples say what they mean."""
    with pytest.raises(ValueError, match=r"could be a 0/1 mask or two \(i, j\) pairs"):
        edge_mask(np.array([[0, 1], [0, 0]]), 2, "forbidden_edges")
    with pytest.raises(ValueError, match="could be a 0/1 mask"):
        edge_mask([[0, 1], [1, 0]], 2, "forbidden_edges")
    np.testing.assert_array_equal(edge_mask(np.array([[0, 1], [0, 0]], dtype=bool), 2, "f"),
                                  [[False, True], [False, False]])
    np.testing.assert_array_equal(edge_mask([(0, 1), (1, 0)], 2, "f"),
                                  [[False, True], [True, False]])
    np.testing.assert_array_equal(edge_mask(np.array([[1, 0]]), 2, "f"),
                                  [[False, False], [True, False]])
    # other d: (d, d) 0/1 arrays are masks, (m, 2) arrays are pairs
    np.testing.assert_array_equal(edge_mask(np.eye(3, k=1, dtype=int), 3, "f"),
                                  np.eye(3, k=1, dtype=bool))
    np.testing.assert_array_equal(edge_mask(np.array([[0, 2], [1, 2]]), 3, "f"),
                                  [[False, False, True], [False, False, True],
                                   [False, False, False]])
    with pytest.raises(ValueError, match="must hold 0/1"):
        edge_mask(2 * np.eye(3, k=1, dtype=int), 3, "forbidden_edges")
    with pytest.raises(ValueError, match="shape \\(3, 3\\)"):
        edge_mask(np.zeros((2, 2), dtype=bool), 3, "forbidden_edges")
    with pytest.raises(ValueError, match="integers"):
        edge_mask(np.array([[0.0, 1.0]]), 3, "forbidden_edges")
    with pytest.raises(ValueError, match="two entries"):
        edge_mask([(0, 1, 2)], 3, "forbidden_edges")


def test_a_forbidden_edge_given_as_a_d2_mask_is_held_at_zero():
    X = chain2()
    mask = np.array([[False, True], [False, False]])
    model = ColideEV(forbidden_edges=mask, **SHORT).fit(X)
    assert model.raw_adjacency_[0, 1] == 0.0 and model.adjacency_[1, 0] != 0.0
    model = ColideEV(forbidden_edges=[(0, 1)], **SHORT).fit(X)
    assert model.raw_adjacency_[0, 1] == 0.0
    with pytest.raises(ValueError, match="could be a 0/1 mask"):
        ColideEV(forbidden_edges=mask.astype(int), **SHORT).fit(X)


def test_fewer_samples_than_nodes_warn_and_one_sample_says_what_to_do():
    B = simulate_dag(12, 20, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 30, random_state=0)
    for estimator in (ColideEV, ColideNV, DagmaLinear):
        with pytest.warns(UserWarning, match=r"n_samples=10 <= n_nodes=12.*more samples than"):
            estimator(T=1, warm_iter=500, max_iter=500).fit(X[:10])
        with pytest.raises(ValueError, match="1 sample.*at least 2 rows"):
            estimator().fit(X[:1])
    with no_user_warning():
        ColideEV(T=1, warm_iter=500, max_iter=500).fit(X[:13])  # n > d: silent


def test_heavy_pruning_warns():
    """A fit that ends far from a DAG (here: one step from a 2-cycle) loses
    most of its above-threshold edges to pruning; that is no longer silent."""
    X = chain2()
    cycle = np.array([[0.0, 0.5], [0.45, 0.0]])
    with pytest.warns(UserWarning, match=r"pruned 1 of its 2 above-threshold edges"):
        model = ColideEV(T=1, warm_iter=1, max_iter=1, w_init=cycle, lr=1e-6).fit(X)
    assert model.n_pruned_edges_ == 1
    with no_user_warning():
        ColideEV(**SHORT).fit(X)


# sklearn's finiteness check sums X: +-1.5e308 overflows there (a RuntimeWarning)
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
def test_extreme_magnitudes_say_what_is_wrong():
    B = simulate_dag(6, 8, random_state=1)
    X = simulate_sem(simulate_weights(B, random_state=1), 300, random_state=1)
    with pytest.raises(ValueError, match="overflows float64.*depends on the units of X"):
        DagmaLinear(**SHORT).fit(X * 1e300)
    with pytest.raises(ValueError, match="overflows float64.*official=True depends on the units"):
        ColideNV(official=True, **SHORT).fit(X * 1e300)
    # tiny values are no "constant column": DagmaLinear says its graph is empty
    # because of the units
    with pytest.warns(UserWarning, match="W = 0 satisfies the optimality conditions.*units"):
        DagmaLinear(**SHORT).fit(X * 1e-150)
    with pytest.raises(ValueError, match="underflows float64"):
        DagmaLinear(**SHORT).fit(X * 1e-160)
    huge = np.column_stack([np.where(X[:, 0] > 0, 1.5e308, -1.5e308), X[:, 1:]])
    with pytest.raises(ValueError, match="overflow float64"):
        ColideEV().fit(huge)
    # columns too far apart for float64 even for the scale-free CoLiDE
    spread = X * np.array([1e-200, 1, 1, 1, 1, 1e200])
    with pytest.raises(ValueError, match="too far apart"):
        ColideEV(**SHORT).fit(spread)

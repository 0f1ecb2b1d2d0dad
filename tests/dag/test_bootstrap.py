"""bootstrap_edges: edge frequencies over refits on resampled rows, the same
with threads, sequentially and on a Dask cluster."""

import warnings

import numpy as np
import pytest

from sparseopt.dag import (
    ColideEV,
    DagmaLinear,
    bootstrap_edges,
    simulate_dag,
    simulate_sem,
    simulate_weights,
)

QUICK = {"T": 2, "warm_iter": 2000, "max_iter": 3000}
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def problem():
    B = simulate_dag(6, 8, random_state=1)
    X = simulate_sem(simulate_weights(B, random_state=1), 400, random_state=1)
    return B, X


def test_frequencies_against_a_direct_computation(problem):
    B, X = problem
    before = X.copy()
    frequencies = bootstrap_edges(ColideEV(**QUICK), X, n_bootstrap=6, random_state=0)
    np.testing.assert_array_equal(X, before)
    # the same refits by hand: seeds from random_state, rows from each seed
    seeds = np.random.RandomState(0).randint(0, 2**31 - 1, size=6)
    graphs = []
    for seed in seeds:
        rows = np.random.default_rng(seed).integers(0, len(X), len(X))
        graphs.append(ColideEV(**QUICK).fit(X[rows]).adjacency_ != 0)
    np.testing.assert_array_equal(frequencies, np.mean(graphs, axis=0))
    assert frequencies.shape == (6, 6) and set(np.unique(frequencies * 6)) <= set(range(7))
    assert frequencies[B != 0].max() == 1.0  # strong true edges are found every time


def test_threads_and_dask_give_the_sequential_result(problem):
    distributed = pytest.importorskip("distributed")
    import joblib

    _, X = problem
    estimator = DagmaLinear(**QUICK)
    sequential = bootstrap_edges(estimator, X, n_bootstrap=8, n_jobs=1, random_state=3)
    threads = bootstrap_edges(estimator, X, n_bootstrap=8, n_jobs=2, random_state=3)
    np.testing.assert_array_equal(threads, sequential)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own deprecation chatter
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster), joblib.parallel_config(backend="dask"):
                on_dask = bootstrap_edges(estimator, X, n_bootstrap=8, random_state=3)
    np.testing.assert_array_equal(on_dask, sequential)
    assert not hasattr(estimator, "adjacency_")  # cloned, never fitted


def test_bad_arguments(problem):
    _, X = problem
    with pytest.raises(ValueError, match="n_bootstrap"):
        bootstrap_edges(ColideEV(), X, n_bootstrap=0)
    with pytest.raises((TypeError, ValueError), match="estimator"):
        bootstrap_edges("ColideEV", X)
    with pytest.raises(ValueError, match="X must have 2 dimension"):
        bootstrap_edges(ColideEV(), X[:, 0])

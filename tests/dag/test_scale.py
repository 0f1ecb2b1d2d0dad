"""Units and scale: CoLiDE's graph does not depend on a uniform rescaling of X,
no estimator learns a self-loop, DagmaLinear reports its dependence on the
units of the columns and offers standardize=True."""

import warnings

import numpy as np
import pytest

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    simulate_dag,
    simulate_sem,
    simulate_weights,
    structural_hamming_distance,
)


def er2(seed=0, d=10, n=1000, variance=1.0):
    B = simulate_dag(d, 2 * d, random_state=seed)
    W = simulate_weights(B, random_state=seed)
    return B, simulate_sem(W, n, variances=variance, random_state=seed)


@pytest.mark.parametrize("estimator", [ColideEV, ColideNV])
def test_colide_graph_is_invariant_to_a_uniform_rescaling(estimator):
    """Issue 14.1: X * 1e4 emptied the graph (a learned 0.9 self-loop pruned
    every edge) and X * 0.1 / X * 100 raised SHD from 1 to 10 / 14. From
    1e-150 to 1e300 (issue 14.5) the graph is now that of X."""
    B, X = er2()
    reference = estimator().fit(X)
    assert structural_hamming_distance(B, reference.adjacency_) <= 2  # measured: 1
    for scale in (1e-150, 1e-3, 1e-1, 1e2, 1e4, 1e300):
        model = estimator().fit(X * scale)
        np.testing.assert_array_equal(model.adjacency_ != 0, reference.adjacency_ != 0)
        np.testing.assert_allclose(model.noise_scale_ / scale, reference.noise_scale_,
                                   rtol=1e-3)


def test_no_estimator_learns_a_self_loop():
    B, X = er2()
    for estimator in (ColideEV(), ColideNV(), DagmaLinear()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # DagmaLinear's pruning at 1e4
            model = estimator.fit(X * 1e4)
        assert np.all(np.diag(model.raw_adjacency_) == 0.0)
        assert np.count_nonzero(model.adjacency_) >= B.sum() // 2
    # the official codes' method learns the diagonal (and loses the graph)
    with pytest.warns(UserWarning, match="pruned"):
        official = ColideEV(official=True).fit(X * 1e4)
    assert np.min(np.diag(official.raw_adjacency_)) > 0.5
    assert np.count_nonzero(official.adjacency_) == 0


def test_dagma_warns_about_column_units_and_standardize_removes_them():
    """One column in other units (x 1000): DagmaLinear says so; with
    standardize=True its graph is that of the data in the original units."""
    B, X = er2()
    units = np.ones(10)
    units[3] = 1000.0
    with pytest.warns(UserWarning, match=r"differ by a factor.*standardize=True"):
        DagmaLinear(T=1, warm_iter=200, max_iter=200).fit(X * units)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        reference = DagmaLinear(standardize=True).fit(X)
        model = DagmaLinear(standardize=True).fit(X * units)
    np.testing.assert_array_equal(model.adjacency_ != 0, reference.adjacency_ != 0)
    # weights and noise scales are reported in the units of X (X ~ X W); the
    # two trajectories differ by rounding only
    edges = reference.adjacency_ != 0
    np.testing.assert_allclose(model.adjacency_[edges], (reference.adjacency_ * units[None, :]
                                                        / units[:, None])[edges], rtol=1e-2)
    np.testing.assert_allclose(model.noise_scale_, reference.noise_scale_ * units, rtol=1e-3)


@pytest.mark.slow  # 30 fits, about 20 s; the invariance itself is tested above
def test_which_estimator_for_raw_measurements_in_different_units():
    """docs/user_guide/dag.rst: with columns in arbitrary units (each column
    multiplied by 10^U(-2, 2)), only DagmaLinear(standardize=True) returns a
    graph that does not depend on the units, and its SHD is the lowest of the
    four, though none beats the empty graph (measured over 6 seeds: median SHD
    20.5 with standardize=True, 24 for DagmaLinear and ColideEV, 28 for
    ColideNV; 20.5 true edges; in the simulation's units 1, 1 and 6.5)."""
    shd = {"standardized": [], "DagmaLinear": [], "ColideEV": [], "ColideNV": []}
    for seed in range(6):
        B, X = er2(seed)
        units = 10 ** np.random.default_rng(100 + seed).uniform(-2, 2, 10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            standardized = DagmaLinear(standardize=True).fit(X * units)
            np.testing.assert_array_equal(
                standardized.adjacency_ != 0,
                DagmaLinear(standardize=True).fit(X).adjacency_ != 0)
            shd["standardized"].append(structural_hamming_distance(B, standardized.adjacency_))
            for estimator in (DagmaLinear, ColideEV, ColideNV):
                shd[estimator.__name__].append(structural_hamming_distance(
                    B, estimator().fit(X * units).adjacency_))
    medians = {name: np.median(values) for name, values in shd.items()}
    assert medians["standardized"] < min(medians["DagmaLinear"], medians["ColideEV"],
                                         medians["ColideNV"])


def test_colide_graph_does_not_depend_on_the_noise_level():
    """Issue 14.6, the fast check: with lambda1 fixed, noise variances 0.5..10
    on one graph and noise draw give one CoLiDE graph (the concomitant scale
    and the scale-free default), while DagmaLinear's graph changes."""
    B = simulate_dag(10, 40, random_state=2)
    W = simulate_weights(B, random_state=2)
    graphs = {ColideEV: [], DagmaLinear: []}
    for variance in (0.5, 2.0, 10.0):
        X = simulate_sem(W, 1000, variances=variance, random_state=2)
        for estimator in graphs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                graphs[estimator].append(estimator().fit(X).adjacency_ != 0)
    assert all(np.array_equal(graphs[ColideEV][0], graph) for graph in graphs[ColideEV])
    assert not all(np.array_equal(graphs[DagmaLinear][0], graph)
                   for graph in graphs[DagmaLinear])


@pytest.mark.slow  # 150 fits at d = 50: about 10 minutes on an idle 2-core machine
def test_noise_level_claim_over_ten_seeds():
    """Issue 14.6, the paper's claim (Fig. 1) measured over 10 seeds: ER4,
    d = 50, n = 1000, lambda1 = 0.05, noise variances 0.5, 1, 2, 5, 10 on one
    graph and noise draw per seed; the SHD range over the variances, per seed.

    Measured (docs/user_guide/dag.rst): median range 0 for ColideEV (9 of 10
    seeds exactly 0, one seed's path bifurcated on rounding: 10), 9.5 for the
    official method (ColideEV(official=True); IQR 6-16.5, max 54), 34 for
    DagmaLinear (IQR 17-49, max 71); the official range was at most DAGMA's
    on 9 of 10 seeds (seed 1: 12 against 9)."""
    estimators = {"default": ColideEV(), "official": ColideEV(official=True),
                  "dagma": DagmaLinear()}
    ranges = {name: [] for name in estimators}
    for seed in range(10):
        B = simulate_dag(50, 200, random_state=seed)
        W = simulate_weights(B, random_state=seed)
        shd = {name: [] for name in estimators}
        for variance in (0.5, 1.0, 2.0, 5.0, 10.0):
            X = simulate_sem(W, 1000, variances=variance, random_state=seed)
            for name, estimator in estimators.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    shd[name].append(structural_hamming_distance(B, estimator.fit(X).adjacency_))
        for name, values in shd.items():
            ranges[name].append(max(values) - min(values))
    median = {name: np.median(values) for name, values in ranges.items()}
    assert median["default"] <= 2
    assert median["official"] <= 0.5 * median["dagma"]
    assert sum(o <= g for o, g in zip(ranges["official"], ranges["dagma"], strict=True)) >= 7

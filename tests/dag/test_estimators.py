"""The DAG estimators against the official CoLiDE and DAGMA outputs (fixtures
produced by running those implementations, see fixtures/README.md), the
paper's Sachs numbers and the paper's claims."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    is_dag,
    simulate_dag,
    simulate_sem,
    simulate_weights,
    structural_hamming_distance,
)
from sparseopt.datasets import load_sachs

FIXTURES = Path(__file__).parent / "fixtures"
PAPER = {"lambda1": 0.05, "T": 4, "s": (1.0, 0.9, 0.8, 0.7), "warm_iter": 20000,
         "max_iter": 70000, "lr": 3e-4}
ESTIMATORS = {"colide_ev": ColideEV, "colide_nv": ColideNV, "dagma": DagmaLinear}


def load(name):
    return dict(np.load(FIXTURES / f"{name}.npz", allow_pickle=False))


@pytest.mark.parametrize("name", ["er2_d10_s0", "er2_d10_s1", "er2_d20_s0", "er2_d20_s1"])
@pytest.mark.parametrize("method", ["colide_ev", "colide_nv", "dagma"])
def test_matches_the_official_implementations(name, method):
    reference = load(name)
    X = reference["X"]
    model = ESTIMATORS[method](**PAPER).fit(X)
    official = reference[f"{method}_W_raw"]
    edges = (np.abs(official) > 0.3) | (np.abs(model.raw_adjacency_) > 0.3)
    # The sign subgradient makes sub-threshold entries chatter at the scale of lr:
    # there the two trajectories may differ by up to 2e-3 (rounding, see the
    # fixtures' README); weights of edges agree to 1e-3.
    assert np.max(np.abs(model.raw_adjacency_ - official)[edges]) <= 1e-3
    # DagmaLinear: every entry within 1e-3 of the dagma package (the bound)
    assert np.max(np.abs(model.raw_adjacency_ - official)) <= (1e-3 if method == "dagma" else 2e-3)
    key = f"{method}_W_todag" if method == "dagma" else f"{method}_W_post"
    np.testing.assert_array_equal(model.adjacency_ != 0, reference[key] != 0)
    assert structural_hamming_distance(reference["B_true"], model.adjacency_) == \
        structural_hamming_distance(reference["B_true"], reference[key])
    if method != "dagma":
        np.testing.assert_allclose(np.atleast_1d(model.noise_scale_),
                                   reference[f"{method}_sigma"], rtol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short runs
def test_quick_fixture_matches_to_rounding():
    reference = load("short_d10_s0")
    settings = {**PAPER, "T": 2, "s": (1.0, 0.9), "warm_iter": 1500, "max_iter": 2500}
    for method, estimator in ESTIMATORS.items():
        model = estimator(**settings).fit(reference["X"])
        np.testing.assert_allclose(model.raw_adjacency_, reference[f"{method}_W_raw"],
                                   atol=1e-8)


def test_sachs_reproduces_the_paper():
    """Table 3 of the CoLiDE paper: SHD 12 (NV) and 13 (EV) on the 853
    observational samples (raw values) against the 17-arc consensus graph."""
    sachs = load_sachs()
    assert structural_hamming_distance(sachs.target, ColideNV().fit(sachs.data).adjacency_) == 12
    model = ColideEV().fit(sachs.data)
    assert structural_hamming_distance(sachs.target, model.adjacency_) == 13
    reference = load("sachs")
    np.testing.assert_array_equal(model.adjacency_ != 0, reference["colide_ev_W_post"] != 0)
    dagma = DagmaLinear().fit(sachs.data)
    np.testing.assert_array_equal(dagma.adjacency_ != 0, reference["dagma_W_todag"] != 0)
    assert np.max(np.abs(dagma.raw_adjacency_ - reference["dagma_W_raw"])) <= 1e-3


def test_er2_accuracy_and_noise_estimate():
    shds, sigmas = [], []
    for seed in range(5):
        B = simulate_dag(20, 40, random_state=seed)
        X = simulate_sem(simulate_weights(B, random_state=seed), 1000, random_state=seed)
        model = ColideEV().fit(X)
        shds.append(structural_hamming_distance(B, model.adjacency_))
        sigmas.append(model.noise_scale_)
    assert np.median(shds) <= 1
    np.testing.assert_allclose(sigmas, 1.0, atol=0.05)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short runs
def test_inputs_untouched_repeatable_and_permutation_equivariant():
    B = simulate_dag(10, 20, random_state=3)
    X = simulate_sem(simulate_weights(B, random_state=3), 500, random_state=3) + 5.0
    before = X.copy()
    first = ColideNV(warm_iter=3000, max_iter=5000).fit(X)
    np.testing.assert_array_equal(X, before)
    for estimator in (ColideEV(), DagmaLinear(), DagmaLinear(loss_type="logistic")):
        data = (X > 5.0).astype(float) if estimator.__dict__.get("loss_type") == "logistic" else X
        kept = data.copy()
        estimator.set_params(T=1, warm_iter=200, max_iter=200).fit(data)
        np.testing.assert_array_equal(data, kept)
    second = ColideNV(warm_iter=3000, max_iter=5000).fit(X)
    np.testing.assert_array_equal(first.raw_adjacency_, second.raw_adjacency_)
    base = structural_hamming_distance(B, first.adjacency_)
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(10)
        permuted = ColideNV(warm_iter=3000, max_iter=5000).fit(X[:, order])
        assert structural_hamming_distance(B[np.ix_(order, order)], permuted.adjacency_) == base


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short runs
def test_output_is_a_dag_at_d200():
    B = simulate_dag(200, 800, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 400, random_state=0)
    model = ColideEV(T=2, warm_iter=150, max_iter=150, w_threshold=0.05).fit(X)
    assert is_dag(model.adjacency_) and np.count_nonzero(model.adjacency_) > 0


def test_prior_knowledge():
    B = simulate_dag(8, 12, random_state=4)
    X = simulate_sem(simulate_weights(B, random_state=4), 800, random_state=4)
    edges = np.argwhere(B)
    forbidden = [tuple(edges[0])]
    required_mask = np.zeros((8, 8), dtype=bool)
    required_mask[tuple(edges[1])] = True
    model = ColideEV(warm_iter=5000, max_iter=10000, forbidden_edges=forbidden,
                     required_edges=required_mask).fit(X)
    assert model.raw_adjacency_[tuple(edges[0])] == 0.0
    assert model.adjacency_[tuple(edges[1])] != 0.0
    # a required edge that is not in the truth, and one that reverses a true edge
    # (whose 2-cycle is then broken by pruning the true edge, not the required one)
    absent = next((i, j) for i in range(8) for j in range(8)
                  if i != j and not B[i, j] and not B[j, i])
    reverse = tuple(edges[2][::-1])
    model = ColideEV(warm_iter=5000, max_iter=10000,
                     required_edges=[absent, reverse]).fit(X)
    assert model.adjacency_[absent] != 0.0 and model.adjacency_[reverse] != 0.0
    assert model.adjacency_[tuple(edges[2])] == 0.0 and is_dag(model.adjacency_)
    with pytest.raises(ValueError, match="share edge"):
        ColideEV(forbidden_edges=[(0, 1)], required_edges=[(0, 1)]).fit(X)
    with pytest.raises(ValueError, match="directed cycle"):
        ColideEV(required_edges=[(0, 1), (1, 0)]).fit(X)
    with pytest.raises(ValueError, match="out of range"):
        ColideEV(forbidden_edges=[(0, 9)]).fit(X)
    with pytest.raises(ValueError, match="self-loop"):
        ColideEV(required_edges=[(2, 2)]).fit(X)


def test_bad_input():
    X = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        ColideEV().fit(X[:1])
    constant = X.copy()
    constant[:, 2] = 3.0
    with pytest.raises(ValueError, match="constant column"):
        ColideNV().fit(constant)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ColideEV().fit(bad)
    with pytest.raises(ValueError, match="non-singular M-matrix"):
        ColideEV(w_init=2.0 * np.ones((4, 4)) - 2.0 * np.eye(4)).fit(X)
    with pytest.raises(ValueError, match="0/1 entries"):
        DagmaLinear(loss_type="logistic").fit(X)
    for s in ([1.0, np.nan], [np.inf]):
        with pytest.raises(ValueError, match="positive finite"):
            ColideEV(s=s).fit(X)


def test_convergence_warning_and_stage_values():
    X = simulate_sem(simulate_weights(simulate_dag(5, 6, random_state=0), random_state=0), 300,
                     random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        model = ColideNV(T=2, warm_iter=5, max_iter=5, checkpoint=2).fit(X)
    assert model.n_iter_ == 10 and model.s_used_.tolist() == [1.0, 0.9]
    with warnings.catch_warnings():  # one objective check: no change to judge, no verdict
        warnings.simplefilter("error", ConvergenceWarning)
        ColideNV(T=2, warm_iter=5, max_iter=5).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ColideNV().fit(X)


def test_logistic_dagma_recovers_a_binary_chain():
    rng = np.random.default_rng(0)
    first = rng.random(3000) < 0.5
    second = np.where(rng.random(3000) < 0.9, first, ~first)
    third = np.where(rng.random(3000) < 0.9, second, ~second)
    X = np.column_stack([first, second, third]).astype(float)
    model = DagmaLinear(loss_type="logistic", lambda1=0.01, warm_iter=5000,
                        max_iter=10000).fit(X)
    skeleton = (model.adjacency_ != 0) | (model.adjacency_ != 0).T
    assert skeleton[0, 1] and skeleton[1, 2] and is_dag(model.adjacency_)


@pytest.mark.slow
def test_paper_scale_heteroscedastic_er4_d200():
    """Table 2: ER4, d = 200, heteroscedastic noise: CoLiDE-NV mean SHD about 390.7
    (within 10%) and below DAGMA on the same seeds.

    Weights are +-[0.25, 1], the range reported for this table (the official
    code's default +-[0.5, 2] makes the problem much easier: SHD 143 and 172 on
    seeds 0 and 1, DAGMA 293 and 247). Three seeds instead of the paper's ten
    keep the run near 6 minutes."""
    colide, dagma = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        B = simulate_dag(200, 800, random_state=seed)
        W = simulate_weights(B, (0.25, 1.0), random_state=seed)
        X = simulate_sem(W, 1000, variances=rng.uniform(0.5, 10.0, 200), random_state=seed)
        colide.append(structural_hamming_distance(B, ColideNV().fit(X).adjacency_))
        dagma.append(structural_hamming_distance(B, DagmaLinear().fit(X).adjacency_))
    assert abs(np.mean(colide) - 390.7) <= 39.07
    assert np.mean(colide) < np.mean(dagma)


def test_shd_varies_less_with_the_noise_level_than_dagma():
    """The paper's robustness claim: with lambda1 fixed, CoLiDE-EV's SHD over noise
    variances 0.5..10 (ER4, d = 50, n = 1000) spreads at most half as much as
    DagmaLinear's."""
    B = simulate_dag(50, 200, random_state=0)
    W = simulate_weights(B, random_state=0)
    spread = {}
    for estimator in (ColideEV, DagmaLinear):
        shds = [structural_hamming_distance(B, estimator().fit(
            simulate_sem(W, 1000, variances=variance, random_state=0)).adjacency_)
            for variance in (0.5, 1.0, 2.0, 5.0, 10.0)]
        spread[estimator] = max(shds) - min(shds)
    assert spread[ColideEV] <= 0.5 * spread[DagmaLinear]

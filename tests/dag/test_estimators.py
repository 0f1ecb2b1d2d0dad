"""The DAG estimators against the official CoLiDE and DAGMA outputs (fixtures
produced by running those implementations, see fixtures/README.md) and the
paper's Sachs numbers; prior knowledge, inputs, errors."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    count_accuracy,
    is_dag,
    simulate_dag,
    simulate_sem,
    simulate_weights,
    structural_hamming_distance,
)
from sparseopt.datasets import load_sachs

FIXTURES = Path(__file__).parent / "fixtures"
# the CoLiDE paper's settings, with the official codes' method (official=True)
PAPER = {"lambda1": 0.05, "T": 4, "s": (1.0, 0.9, 0.8, 0.7), "warm_iter": 20000,
         "max_iter": 70000, "lr": 3e-4, "official": True}
ESTIMATORS = {"colide_ev": ColideEV, "colide_nv": ColideNV, "dagma": DagmaLinear}


def load(name):
    return dict(np.load(FIXTURES / f"{name}.npz", allow_pickle=False))


@pytest.mark.parametrize("name", ["er2_d10_s0", "er2_d10_s1", "er2_d20_s0", "er2_d20_s1"])
@pytest.mark.parametrize("method", ["colide_ev", "colide_nv", "dagma"])
def test_matches_the_official_implementations(name, method):
    reference = load(name)
    model = ESTIMATORS[method](**PAPER).fit(reference["X"])
    official = reference[f"{method}_W_raw"]
    edges = (np.abs(official) > 0.3) | (np.abs(model.raw_adjacency_) > 0.3)
    # The sign subgradient makes sub-threshold entries chatter at the scale of lr:
    # there the two trajectories may differ by up to 2e-3 (rounding, see the
    # fixtures' README); weights of edges agree to 1e-3.
    assert np.max(np.abs(model.raw_adjacency_ - official)[edges]) <= 1e-3
    # DagmaLinear: every entry within 1e-3 of the dagma package
    assert np.max(np.abs(model.raw_adjacency_ - official)) <= (1e-3 if method == "dagma" else 2e-3)
    # CoLiDE: the official to_dag; DAGMA: the package's strict threshold (a DAG here)
    post = reference[f"{method}_W_post"]
    np.testing.assert_array_equal(model.adjacency_ != 0, post != 0)
    assert structural_hamming_distance(reference["B_true"], model.adjacency_) == \
        structural_hamming_distance(reference["B_true"], post)
    if method != "dagma":
        sigma = reference[f"{method}_sigma"]
        np.testing.assert_allclose(model.noise_scale_, np.broadcast_to(sigma, (len(post),)),
                                   rtol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short runs
def test_quick_fixture_matches_to_rounding():
    reference = load("short_d10_s0")
    settings = {**PAPER, "T": 2, "s": (1.0, 0.9), "warm_iter": 1500, "max_iter": 2500}
    for method, estimator in ESTIMATORS.items():
        model = estimator(**settings).fit(reference["X"])
        np.testing.assert_allclose(model.raw_adjacency_, reference[f"{method}_W_raw"],
                                   atol=1e-8)


@pytest.mark.parametrize("name", ["er2_d10_s0", "er2_d20_s0"])
def test_official_dagma_reproduces_the_package_with_its_defaults(name):
    """DagmaLinear(official=True) with every schedule parameter at None runs the
    dagma package's defaults (lambda1 .03, T 5, s down to .6, 3e4 / 6e4 steps)."""
    reference = load(f"dagma_defaults_{name}")
    model = DagmaLinear(official=True).fit(load(name)["X"])
    assert model.s_used_.tolist() == [1.0, 0.9, 0.8, 0.7, 0.6]
    assert np.max(np.abs(model.raw_adjacency_ - reference["W_raw"])) <= 1e-3
    assert is_dag(reference["W_post"])
    np.testing.assert_array_equal(model.adjacency_ != 0, reference["W_post"] != 0)


def test_official_dagma_logistic_and_prior_edges_match_the_package():
    reference = load("dagma_logistic")
    settings = json.loads(str(reference["settings_json"]))
    model = DagmaLinear(official=True, loss_type="logistic", lambda1=settings["lambda1"],
                        T=settings["T"], s=settings["s"], warm_iter=settings["warm_iter"],
                        max_iter=settings["max_iter"]).fit(reference["X"])
    assert np.max(np.abs(model.raw_adjacency_ - reference["W_raw"])) <= 1e-3
    np.testing.assert_array_equal(model.adjacency_ != 0, reference["W_post"] != 0)
    # exclude_edges / include_edges: forbidden edges, and required edges rewarded
    # by an l1 weight of -lambda1 (which does not keep them, as in the package)
    reference = load("dagma_prior_er2_d10_s0")
    model = DagmaLinear(official=True, forbidden_edges=reference["exclude_edges"],
                        required_edges=[tuple(edge) for edge in reference["include_edges"]],
                        ).fit(load("er2_d10_s0")["X"])
    assert np.max(np.abs(model.raw_adjacency_ - reference["W_raw"])) <= 1e-3
    np.testing.assert_array_equal(model.adjacency_ != 0, reference["W_post"] != 0)


def test_sachs_reproduces_the_paper_with_the_official_method():
    """Table 3 of the CoLiDE paper: SHD 12 (NV) and 13 (EV) on the 853
    observational samples (raw values) against the 17-arc consensus graph."""
    sachs = load_sachs()
    nv = ColideNV(official=True).fit(sachs.data)
    assert structural_hamming_distance(sachs.target, nv.adjacency_) == 12
    model = ColideEV(official=True).fit(sachs.data)
    assert structural_hamming_distance(sachs.target, model.adjacency_) == 13
    reference = load("sachs")
    np.testing.assert_array_equal(model.adjacency_ != 0, reference["colide_ev_W_post"] != 0)
    dagma = DagmaLinear(**PAPER).fit(sachs.data)
    assert np.max(np.abs(dagma.raw_adjacency_ - reference["dagma_W_raw"])) <= 1e-3


def test_sachs_default_estimators():
    """The defaults (no self-loops, scale-free CoLiDE) on the same data: the
    numbers quoted in docs/user_guide/dag.rst."""
    sachs = load_sachs()
    shd = {cls.__name__: count_accuracy(sachs.target, cls().fit(sachs.data).adjacency_)["shd"]
           for cls in (ColideEV, ColideNV, DagmaLinear)}
    assert shd == {"ColideEV": 14, "ColideNV": 13, "DagmaLinear": 12}


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
    masks = [np.eye(10, k=1, dtype=bool), [(0, 2)]]
    for estimator in (ColideEV(official=True, forbidden_edges=masks[0]),
                      DagmaLinear(standardize=True, required_edges=masks[1]),
                      DagmaLinear(loss_type="logistic", official=True),
                      ColideEV(w_init=np.triu(np.full((10, 10), 0.01), 1))):
        data = (X > 5.0).astype(float) if estimator.get_params().get("loss_type") == \
            "logistic" else X
        kept = data.copy()
        parameters = {key: np.array(value, copy=True) for key, value in
                      estimator.get_params().items() if isinstance(value, (np.ndarray, list))}
        estimator.set_params(T=1, warm_iter=200, max_iter=200).fit(data)
        np.testing.assert_array_equal(data, kept)
        for key, value in parameters.items():
            np.testing.assert_array_equal(np.asarray(estimator.get_params()[key]), value)
    second = ColideNV(warm_iter=3000, max_iter=5000).fit(X)
    np.testing.assert_array_equal(first.raw_adjacency_, second.raw_adjacency_)
    base = structural_hamming_distance(B, first.adjacency_)
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(10)
        permuted = ColideNV(warm_iter=3000, max_iter=5000).fit(X[:, order])
        assert structural_hamming_distance(B[np.ix_(order, order)], permuted.adjacency_) == base


def test_accuracy_at_d200():
    """d = 200: an easy ER1 problem is recovered in a short schedule with a
    larger step (measured: SHD 12 of 218 edges, TPR 0.96, nothing pruned;
    the old test only checked is_dag, which to_dag guarantees)."""
    B = simulate_dag(200, 200, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 2000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ColideEV(T=3, warm_iter=400, max_iter=800, lr=4e-3).fit(X)
    scores = count_accuracy(B, model.adjacency_)
    assert scores["shd"] <= 0.1 * B.sum() and scores["tpr"] >= 0.93
    assert model.n_pruned_edges_ == 0


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
    with pytest.raises(ValueError, match="1 sample.*at least 2 rows"):
        ColideEV().fit(X[:1])
    constant = X.copy()
    constant[:, 2] = 3.0
    with pytest.raises(ValueError, match=r"constant column\(s\) \[2\]"):
        ColideNV().fit(constant)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ColideEV().fit(bad)
    with pytest.raises(ValueError, match="non-singular M-matrix"):
        ColideEV(w_init=2.0 * np.ones((4, 4)) - 2.0 * np.eye(4)).fit(X)
    with pytest.raises(ValueError, match="non-zero diagonal"):
        ColideEV(w_init=0.1 * np.eye(4)).fit(X)
    with pytest.raises(ValueError, match="0/1 entries"):
        DagmaLinear(loss_type="logistic").fit(X)
    with pytest.raises(ValueError, match="standardize=True applies to loss_type='l2'"):
        DagmaLinear(loss_type="logistic", standardize=True).fit((X > 0).astype(float))
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


def test_estimators_share_a_private_base_not_each_other():
    assert not isinstance(ColideNV(), ColideEV) and not isinstance(ColideEV(), ColideNV)
    assert ColideNV.__mro__[1] is ColideEV.__mro__[1]  # the shared CoLiDE base


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

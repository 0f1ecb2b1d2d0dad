import itertools
from pathlib import Path

import numpy as np
import pytest

from sparseopt.dag import (
    count_accuracy,
    cpdag_shd,
    dag_to_cpdag,
    is_dag,
    simulate_dag,
    structural_hamming_distance,
    structural_intervention_distance,
    to_dag,
)

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
COLLIDER = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])


def test_is_dag_and_to_dag():
    assert is_dag(CHAIN) and not is_dag(CHAIN + CHAIN.T) and not is_dag(np.eye(2))
    W = np.array([[0.0, 0.9, 0.0], [0.0, 0.0, 0.5], [0.4, 0.0, 0.2]])
    dag, pruned = to_dag(W, threshold=0.3)
    assert is_dag(dag) and pruned == 1 and dag[2, 0] == 0.0 and dag[2, 2] == 0.0
    kept, _ = to_dag(W, threshold=0.3, required=np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0]]))
    assert kept[2, 0] == 0.4 and is_dag(kept) and kept[1, 2] == 0.0
    with pytest.raises(ValueError, match="required edges contain a directed cycle"):
        to_dag(W, required=(W > 0.35).astype(int) + np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0]]))
    np.testing.assert_array_equal(W, [[0.0, 0.9, 0.0], [0.0, 0.0, 0.5], [0.4, 0.0, 0.2]])


def test_to_dag_prunes_edges_on_cycles_or_the_weakest_as_the_official_code():
    # a strong self-loop and two weaker edges on no cycle
    W = np.array([[0.9, 0.5, 0.0], [0.0, 0.0, 0.4], [0.0, 0.0, 0.0]])
    dag, pruned = to_dag(W)
    np.testing.assert_array_equal(dag, [[0.0, 0.5, 0.0], [0.0, 0.0, 0.4], [0.0, 0.0, 0.0]])
    assert pruned == 1
    dag, pruned = to_dag(W, prune="weakest")  # removes 0.4 and 0.5 before the self-loop
    assert pruned == 3 and not dag.any()
    with pytest.raises(ValueError, match="prune must be"):
        to_dag(W, prune="all")
    # "weakest" is the official CoLiDE to_dag: its outputs on the fixtures
    fixtures = Path(__file__).parent / "fixtures"
    for name in ("sachs", "er2_d20_s1", "er2_d10_s0"):
        reference = np.load(fixtures / f"{name}.npz")
        for method in ("colide_ev", "colide_nv"):
            dag, _ = to_dag(reference[f"{method}_W_raw"], 0.3, prune="weakest")
            np.testing.assert_array_equal(dag, reference[f"{method}_W_post"])
        dag, _ = to_dag(reference["dagma_W_raw"], 0.3, prune="weakest")
        np.testing.assert_array_equal(dag, reference["dagma_W_todag"])


def test_shd_conventions():
    estimate = np.array([[0, 0, 0], [1, 0, 1], [1, 0, 0]])  # reversed 0->1, extra 2->0
    assert structural_hamming_distance(CHAIN, estimate) == 2
    assert structural_hamming_distance(CHAIN, estimate, reversal_cost=2) == 3
    assert structural_hamming_distance(CHAIN, CHAIN) == 0
    assert structural_hamming_distance(CHAIN, np.zeros((3, 3))) == 2
    # a self-loop is an extra edge for the SHD as for count_accuracy's FDR (it was
    # counted by the FDR only)
    looped = CHAIN + np.diag([0, 1, 0])
    assert structural_hamming_distance(CHAIN, looped) == 1
    assert count_accuracy(CHAIN, looped) == {"fdr": 1 / 3, "tpr": 1.0, "fpr": 1.0, "shd": 1,
                                             "nnz": 3}
    with pytest.raises(ValueError, match="reversal_cost must be 1 or 2"):
        structural_hamming_distance(CHAIN, CHAIN, reversal_cost=3)
    with pytest.raises(ValueError, match="same shape"):
        structural_hamming_distance(CHAIN, np.zeros((2, 2)))


def test_count_accuracy_matches_the_notears_definitions():
    estimate = np.array([[0, 0, 0], [1, 0, 1], [1, 0, 0]])
    scores = count_accuracy(CHAIN, estimate)
    # 3 predicted: 1->2 correct, 1->0 reversed, 2->0 extra; 2 true edges; 1 absent pair
    assert scores == {"fdr": 2 / 3, "tpr": 0.5, "fpr": 2.0, "shd": 2, "nnz": 3}


def test_cpdag_on_hand_built_graphs():
    np.testing.assert_array_equal(dag_to_cpdag(CHAIN), CHAIN + CHAIN.T)
    np.testing.assert_array_equal(dag_to_cpdag(COLLIDER), COLLIDER)
    # v-structure 0 -> 2 <- 1 plus 2 -> 3: Meek R1 orients 2 -> 3
    graph = np.zeros((4, 4), dtype=int)
    graph[0, 2] = graph[1, 2] = graph[2, 3] = 1
    np.testing.assert_array_equal(dag_to_cpdag(graph), graph)
    # R2: 0 -> 1 -> 2 with 0 - 2 undirected... built from the DAG 0->1, 1->2, 0->2, 3->1
    graph = np.zeros((4, 4), dtype=int)
    graph[0, 1] = graph[3, 1] = graph[1, 2] = graph[0, 2] = 1
    cpdag = dag_to_cpdag(graph)
    assert cpdag[0, 1] and not cpdag[1, 0] and cpdag[1, 2] and not cpdag[2, 1]
    assert cpdag[0, 2] and not cpdag[2, 0]  # R2
    assert cpdag_shd(CHAIN, CHAIN.T) == 0 and cpdag_shd(CHAIN, COLLIDER) > 0


def test_cpdag_identifies_markov_equivalent_dags():
    """Brute force on 4 nodes: two DAGs share a CPDAG exactly when they have the
    same skeleton and v-structures (Verma & Pearl)."""
    rng = np.random.default_rng(0)

    def signature(dag):
        skeleton = (dag | dag.T).astype(bool)
        vstructures = {(i, k, j) for k in range(4) for i, j in itertools.combinations(
            np.flatnonzero(dag[:, k]), 2) if not skeleton[i, j]}
        return skeleton.tobytes(), frozenset(vstructures)

    dags = [simulate_dag(4, int(rng.integers(1, 6)), random_state=s).astype(int)
            for s in range(40)]
    for a, b in itertools.combinations(dags, 2):
        same = signature(a) == signature(b)
        assert same == np.array_equal(dag_to_cpdag(a), dag_to_cpdag(b))


def population_sid(true_weights, estimate):
    """Independent SID: in a linear-Gaussian SEM with generic weights, the
    adjustment by Pa_est(i) is valid for (i, j) iff the population regression
    coefficient of X_i in X_j ~ X_i + X_Pa equals the total causal effect."""
    d = true_weights.shape[0]
    total = np.linalg.inv(np.eye(d) - true_weights)  # total[i, j]: effect of i on j
    covariance = total.T @ total
    wrong = 0
    for i in range(d):
        parents = list(np.flatnonzero(estimate[:, i]))
        for j in range(d):
            if j == i:
                continue
            if j in parents:
                implied = 0.0
            else:
                regressors = [i] + parents
                sub = covariance[np.ix_(regressors, regressors)]
                implied = np.linalg.solve(sub, covariance[regressors, j])[0]
            wrong += not np.isclose(implied, total[i, j], atol=1e-9)
    return wrong


@pytest.mark.parametrize("seed", range(12))
def test_sid_matches_a_population_brute_force(seed):
    rng = np.random.default_rng(seed)
    true = simulate_dag(5, 6, random_state=seed)
    weights = true * rng.uniform(0.5, 1.5, true.shape) * rng.choice([-1, 1], true.shape)
    estimate = simulate_dag(5, int(rng.integers(0, 8)), random_state=seed + 100)
    assert structural_intervention_distance(true, estimate) == population_sid(weights, estimate)
    assert structural_intervention_distance(true, true) == 0


def test_sid_examples_and_errors():
    assert structural_intervention_distance(CHAIN, np.zeros((3, 3))) == 3
    with pytest.raises(ValueError, match="B_est must be a DAG"):
        structural_intervention_distance(CHAIN, CHAIN + CHAIN.T)
    with pytest.raises(ValueError, match="square"):
        is_dag(np.zeros((2, 3)))

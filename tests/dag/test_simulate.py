import numpy as np
import pytest

from sparseopt.dag import is_dag, simulate_dag, simulate_sem, simulate_weights


@pytest.mark.parametrize("graph", ["ER", "SF"])
def test_dags_have_about_the_requested_edges(graph):
    counts = [simulate_dag(30, 60, graph, random_state=s).sum() for s in range(20)]
    for seed in range(3):
        assert is_dag(simulate_dag(30, 60, graph, random_state=seed))
    assert abs(np.mean(counts) - 60) < 8


def test_scale_free_is_permuted():
    B = simulate_dag(30, 60, "SF", random_state=0)
    assert np.triu(B, 1).sum() not in (0, B.sum())  # index order is not a causal order


def test_weights_and_sem_moments():
    B = simulate_dag(6, 6, random_state=1)
    W = simulate_weights(B, (0.5, 2.0), random_state=1)
    assert np.all((np.abs(W[B != 0]) >= 0.5) & (np.abs(W[B != 0]) <= 2.0))
    assert np.all(W[B == 0] == 0)
    variances = np.linspace(0.5, 3.0, 6)
    for noise in ("gaussian", "exponential", "laplace", "gumbel"):
        X = simulate_sem(W, 200_000, noise, variances, random_state=2)
        residual = X - X @ W
        np.testing.assert_allclose(residual.mean(axis=0), 0.0, atol=0.02)
        np.testing.assert_allclose(residual.var(axis=0), variances, rtol=0.03)


def test_errors():
    with pytest.raises(ValueError, match="graph must be one of"):
        simulate_dag(5, 3, "BA")
    with pytest.raises(ValueError, match="n_edges must be <="):
        simulate_dag(3, 10)
    with pytest.raises(ValueError, match="n_edges must be at least d / 2"):
        simulate_dag(10, 3, "SF")
    assert simulate_dag(1, 0, "SF").shape == (1, 1)
    with pytest.raises(ValueError, match="must be the weighted adjacency matrix of a DAG"):
        simulate_sem(np.array([[0.0, 1.0], [1.0, 0.0]]), 10)
    with pytest.raises(ValueError, match="noise must be one of"):
        simulate_sem(np.zeros((2, 2)), 10, noise="cauchy")
    with pytest.raises(ValueError, match="variances must be positive"):
        simulate_sem(np.zeros((2, 2)), 10, variances=[1.0, -1.0])
    with pytest.raises(ValueError, match="weight_range must satisfy"):
        simulate_weights(np.ones((2, 2)), (2.0, 1.0))

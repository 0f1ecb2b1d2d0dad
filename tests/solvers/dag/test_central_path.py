import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from sparseopt.dag import simulate_dag, simulate_sem, simulate_weights
from sparseopt.solvers.dag.central_path import objective_and_gradient
from sparseopt.solvers.dag.stage import SCORES, adam_step, noise_scales


@pytest.fixture(scope="module")
def data():
    B = simulate_dag(5, 6, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 300, random_state=0)
    binary = (X > 0).astype(float)
    return X - X.mean(axis=0), binary


@pytest.mark.parametrize("score", SCORES)
def test_gradient_matches_finite_differences(data, score):
    X, binary = data
    X = binary if score == "logistic" else X
    rng = np.random.default_rng(1)
    W = 0.2 * rng.standard_normal((5, 5))
    sigma = np.array([1.3]) if score == "colide_ev" else rng.uniform(0.5, 2.0, 5)
    _, gradient = objective_and_gradient(X, W, sigma, score, mu=0.7, s=1.0)
    eps = 1e-6
    for i in range(5):
        for j in range(5):
            step = np.zeros((5, 5))
            step[i, j] = eps
            plus, _ = objective_and_gradient(X, W + step, sigma, score, mu=0.7, s=1.0)
            minus, _ = objective_and_gradient(X, W - step, sigma, score, mu=0.7, s=1.0)
            assert (plus - minus) / (2 * eps) == pytest.approx(gradient[i, j], rel=1e-5,
                                                                abs=1e-7)


def test_log_det_is_zero_exactly_on_dags():
    X = np.random.default_rng(0).standard_normal((50, 6))
    for seed in range(5):
        W = simulate_weights(simulate_dag(6, 8, random_state=seed), (0.1, 0.5), random_state=seed)
        value, _ = objective_and_gradient(X, W, [1.0], "l2", mu=0.0, s=1.0)
        assert value == pytest.approx(0.0, abs=1e-12)
    cyclic = np.zeros((6, 6))
    cyclic[0, 1] = cyclic[1, 2] = cyclic[2, 0] = 0.5
    value, _ = objective_and_gradient(X, cyclic, [1.0], "l2", mu=0.0, s=1.0)
    assert value > 1e-4


@pytest.mark.parametrize("floor", [0.0, 2.0])
def test_closed_form_scales_minimise_the_score(data, floor):
    """The loop's update (the kernel itself) against a bounded 1-D minimisation
    over sigma >= floor (the floor is active at 2.0)."""
    X, _ = data
    rng = np.random.default_rng(2)
    W = 0.1 * rng.standard_normal((5, 5))
    C = X.T @ X / len(X)
    difference = np.eye(5) - W
    ev, _ = noise_scales(SCORES.index("colide_ev"), difference, C @ difference, floor)
    nv, columns = noise_scales(SCORES.index("colide_nv"), difference, C @ difference, floor)

    def ev_score(sigma):
        return objective_and_gradient(X, W, [sigma], "colide_ev", mu=1.0, s=1.0)[0]

    best = minimize_scalar(ev_score, bounds=(max(floor, 1e-3), 10.0), method="bounded",
                           options={"xatol": 1e-10})
    assert ev[0] == pytest.approx(best.x, rel=1e-6, abs=1e-8)
    assert (ev[0] == floor) == (floor > 0)
    for j in range(5):
        def nv_score(value, j=j):
            sigma = np.sqrt(columns).copy()
            sigma[j] = value
            return objective_and_gradient(X, W, sigma, "colide_nv", mu=1.0, s=1.0)[0]

        best = minimize_scalar(nv_score, bounds=(max(floor, 1e-3), 10.0), method="bounded",
                               options={"xatol": 1e-10})
        assert nv[j] == pytest.approx(best.x, rel=1e-6, abs=1e-8)


def test_adam_direction_is_zero_at_forbidden_entries():
    """Undoing / halving a domain-leaving step moves W by lr * direction: the
    direction must be zero where ``keep`` is, or forbidden weights leak."""
    keep = np.ones((5, 5))
    keep[0, 1] = keep[3, 2] = keep[4, 0] = 0.0
    rng = np.random.default_rng(0)
    w, gradient, inverse = (rng.standard_normal(25) for _ in range(3))
    first, second, direction, difference = (np.zeros(25) for _ in range(4))
    flat_keep = keep.ravel().copy()
    w *= flat_keep
    adam_step(w, gradient, inverse, first, second, direction, flat_keep, np.ones(25), 0.05,
              0.1, 0.9, 0.999, 0.1, 0.001, difference)
    assert np.all(direction[flat_keep == 0] == 0.0) and np.all(direction[flat_keep == 1] != 0)
    np.testing.assert_array_equal(difference, -w)


def test_adam_step_against_numpy():
    """The bias-corrected Adam update of the official codes on the subgradient
    with sign(0) = 0 and negative (rewarded) l1 weights."""
    rng = np.random.default_rng(3)
    w, inverse, gradient = (rng.standard_normal(16) for _ in range(3))
    w[1] = 0.0
    first, second = rng.random(16), rng.random(16)
    l1 = rng.choice([0.0, 1.0, -1.0], 16)
    mu_lambda1, lr, b1, b2, c1, c2 = 0.02, 0.01, 0.99, 0.999, 0.3, 0.05
    g = gradient + mu_lambda1 * l1 * np.sign(w) + 2.0 * w * (inverse + 1e-16)
    m, v = b1 * first + (1 - b1) * g, b2 * second + (1 - b2) * g * g
    expected = w - lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)
    direction, difference = np.zeros(16), np.zeros(16)
    adam_step(w, gradient, inverse, first, second, direction, np.ones(16), l1, mu_lambda1, lr,
              b1, b2, c1, c2, difference)
    np.testing.assert_allclose(w, expected, rtol=1e-13)
    np.testing.assert_allclose(first, m, rtol=1e-13)
    np.testing.assert_allclose(second, v, rtol=1e-13)


def test_jointly_convex_score_minimum_matches_cvxpy(data):
    """Without h, CoLiDE-EV is jointly convex in (W, sigma); its minimiser over
    sigma at the cvxpy optimum is the closed form."""
    X, _ = data
    n, d = X.shape
    lam = 0.1
    W, sigma = cp.Variable((d, d)), cp.Variable(pos=True)
    loss = cp.sum_squares(X - X @ W) / (2 * n)
    objective = cp.quad_over_lin(cp.norm(X - X @ W, "fro") / np.sqrt(2 * n), sigma) / 1 \
        + d * sigma / 2 + lam * cp.sum(cp.abs(W))
    # without h nothing stops W = I: forbid self-loops, as h does
    cp.Problem(cp.Minimize(objective), [cp.diag(W) == 0]).solve(solver=cp.CLARABEL)
    closed = np.sqrt(2 * loss.value / d)
    assert sigma.value == pytest.approx(closed, rel=1e-4)
    ours, _ = objective_and_gradient(X, W.value, [sigma.value], "colide_ev", mu=1.0,
                                     lambda1=lam, s=1e9)
    # h_s vanishes as s grows large relative to W o W: the two objectives agree
    assert ours == pytest.approx(objective.value, rel=1e-4)


def test_refined_and_lu_inverses_give_the_same_fit(monkeypatch):
    """The loop refines the inverse up to d = 200 and uses LU above: both
    paths on one problem (d = 12) learn the same graph, weights within 1e-3."""
    from sparseopt.dag import ColideNV
    from sparseopt.solvers.dag import central_path

    B = simulate_dag(12, 24, random_state=5)
    X = simulate_sem(simulate_weights(B, random_state=5), 600, random_state=5)
    refined = ColideNV(T=3, warm_iter=4000, max_iter=8000).fit(X)
    monkeypatch.setattr(central_path, "_WARM_INVERSE_MAX_D", 0)
    lu = ColideNV(T=3, warm_iter=4000, max_iter=8000).fit(X)
    np.testing.assert_array_equal(refined.adjacency_ != 0, lu.adjacency_ != 0)
    edges = refined.adjacency_ != 0
    assert np.max(np.abs(refined.raw_adjacency_ - lu.raw_adjacency_)[edges]) <= 1e-3
    assert not np.array_equal(refined.raw_adjacency_, lu.raw_adjacency_)  # two paths ran

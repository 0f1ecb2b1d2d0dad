import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from sparseopt.core import project_box, project_l1_ball, project_simplex, project_sparse_simplex

vectors = arrays(np.float64, st.integers(1, 25), elements=st.floats(-100, 100))
radii = st.floats(0.01, 50.0)


def numpy_simplex_projection(x, radius):
    """Reference: bisection on the shift theta of max(x - theta, 0)."""
    lo, hi = x.min() - radius, x.max()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.maximum(x - mid, 0).sum() > radius:
            lo = mid
        else:
            hi = mid
    return np.maximum(x - 0.5 * (lo + hi), 0)


@given(vectors, radii)
def test_simplex_projection_matches_bisection(x, radius):
    z = project_simplex(x, radius)
    assert np.all(z >= 0)
    assert np.isclose(z.sum(), radius, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(z, numpy_simplex_projection(x, radius), atol=1e-7)


@given(vectors, radii, st.integers(0, 2**31 - 1))
def test_simplex_projection_variational_inequality(x, radius, seed):
    z = project_simplex(x, radius)
    other = np.random.default_rng(seed).dirichlet(np.ones(x.size)) * radius
    assert np.dot(x - z, other - z) <= 1e-6 * (1 + np.abs(x).max()) * radius


def test_simplex_projection_against_scipy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(6)
    result = minimize(
        lambda z: np.sum((z - x) ** 2), np.full(6, 1 / 6), method="SLSQP",
        bounds=[(0, None)] * 6, constraints={"type": "eq", "fun": lambda z: z.sum() - 1},
        options={"ftol": 1e-14},
    )
    np.testing.assert_allclose(project_simplex(x), result.x, atol=1e-6)


@given(vectors, radii)
def test_l1_ball_projection(x, radius):
    z = project_l1_ball(x, radius)
    assert np.abs(z).sum() <= radius * (1 + 1e-9) + 1e-9
    if np.abs(x).sum() <= radius:
        np.testing.assert_array_equal(z, x)
    else:
        expected = np.sign(x) * numpy_simplex_projection(np.abs(x), radius)
        np.testing.assert_allclose(z, expected, atol=1e-7)
    np.testing.assert_allclose(project_l1_ball(z, radius), z, atol=1e-9)  # idempotent


@given(vectors)
def test_box_projection(x):
    lower = -np.arange(x.size, dtype=float)
    upper = np.arange(x.size, dtype=float) + 0.5
    np.testing.assert_array_equal(project_box(x, lower, upper), np.clip(x, lower, upper))
    np.testing.assert_array_equal(project_box(x, 0.0, np.inf), np.maximum(x, 0.0))


def test_box_projection_errors():
    with pytest.raises(ValueError, match="lower must be <= upper"):
        project_box([1.0], 2.0, 1.0)
    with pytest.raises(ValueError, match="upper of shape"):
        project_box([1.0, 2.0], 0.0, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("seed", range(20))
def test_sparse_simplex_projection_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, k = 6, int(rng.integers(1, 6))
    x = rng.standard_normal(n)
    z = project_sparse_simplex(x, k)
    assert np.count_nonzero(z) <= k and np.isclose(z.sum(), 1.0)
    best = np.inf
    for support in itertools.combinations(range(n), k):
        candidate = np.zeros(n)
        candidate[list(support)] = numpy_simplex_projection(x[list(support)], 1.0)
        best = min(best, np.sum((candidate - x) ** 2))
    assert np.sum((z - x) ** 2) <= best + 1e-10


@given(vectors, st.data())
def test_sparse_simplex_with_k_equal_n_is_the_simplex(x, data):
    np.testing.assert_allclose(project_sparse_simplex(x, x.size), project_simplex(x), atol=1e-12)
    k = data.draw(st.integers(1, x.size))
    assert np.count_nonzero(project_sparse_simplex(x, k, 2.0)) <= k


def test_projection_bad_input():
    with pytest.raises(ValueError, match="radius must be > 0"):
        project_simplex([1.0], 0.0)
    with pytest.raises(ValueError, match="x must not contain NaN"):
        project_l1_ball([np.inf, 1.0])
    with pytest.raises(ValueError, match="k must be >= 1"):
        project_sparse_simplex([1.0, 2.0], 0)
    x = np.array([0.3, -2.0, 5.0])
    before = x.copy()
    project_simplex(x), project_l1_ball(x), project_sparse_simplex(x, 2), project_box(x, 0, 1)
    np.testing.assert_array_equal(x, before)

import itertools
import math
from fractions import Fraction

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


# --------------------------------------------------------------------------
# Extreme magnitudes: exact against a sort-based reference in rational arithmetic
# --------------------------------------------------------------------------
EPS = np.finfo(np.float64).eps
magnitudes = st.floats(1e-300, 1e300)
radii_any = st.floats(1e-300, 1e300)


@st.composite
def extreme_vectors(draw, max_size=12):
    """Entries of either sign from 1e-300 to 1e300, zeros and repeated values."""
    pool = draw(st.lists(st.one_of(st.just(0.0), magnitudes, magnitudes.map(lambda v: -v)),
                         min_size=1, max_size=6))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=max_size))
    return np.array([pool[i] for i in picks])


def exact_simplex(x, radius):
    """Held-Wolfe-Crowder sort-based projection in exact rational arithmetic."""
    values = [Fraction(v) for v in x]
    radius = Fraction(radius)
    cumulative, shift = Fraction(0), None
    for j, value in enumerate(sorted(values, reverse=True), start=1):
        cumulative += value
        candidate = (cumulative - radius) / j
        if value > candidate:
            shift = candidate
    return [max(v - shift, Fraction(0)) for v in values]


def assert_exact(z, expected, radius):
    """Every entry within a few roundings of the radius of the exact projection."""
    bound = Fraction(8 * len(expected)) * Fraction(EPS) * Fraction(radius)
    errors = [abs(Fraction(float(zi)) - e) for zi, e in zip(z, expected, strict=True)]
    worst = max(errors)
    assert worst <= bound, f"error {float(worst):.3e} > {float(bound):.3e}"


def assert_on_simplex(z, radius):
    assert np.all(z >= 0) and np.all(np.isfinite(z))
    assert abs(math.fsum(z) - radius) <= 4 * z.size * EPS * radius


@given(extreme_vectors(), radii_any)
def test_simplex_is_exact_at_extreme_magnitudes(x, radius):
    z = project_simplex(x, radius)
    assert_on_simplex(z, radius)
    assert_exact(z, exact_simplex(x, radius), radius)


@given(extreme_vectors(), radii_any)
def test_l1_ball_is_exact_at_extreme_magnitudes(x, radius):
    z = project_l1_ball(x, radius)
    assert np.all(np.isfinite(z)) and np.all(np.sign(z) * np.sign(x) >= 0)
    assert math.fsum(np.abs(z)) <= radius * (1 + 4 * z.size * EPS)
    if sum(Fraction(abs(v)) for v in x) <= Fraction(radius):
        expected = [Fraction(v) for v in x]
    else:
        magnitude = exact_simplex(np.abs(x), radius)
        expected = [m if v >= 0 else -m for m, v in zip(magnitude, x, strict=True)]
    assert_exact(z, expected, radius)


@given(extreme_vectors(), radii_any, st.data())
def test_sparse_simplex_is_exact_at_extreme_magnitudes(x, radius, data):
    k = data.draw(st.integers(1, x.size))
    z = project_sparse_simplex(x, k, radius)
    assert_on_simplex(z, radius)
    assert np.count_nonzero(z) <= k
    support = sorted(range(x.size), key=lambda i: (-x[i], i))[:k]  # ties: smaller index
    expected = [Fraction(0)] * x.size
    for i, value in zip(support, exact_simplex(x[support], radius), strict=True):
        expected[i] = value
    assert_exact(z, expected, radius)


@given(extreme_vectors(), extreme_vectors(), extreme_vectors())
def test_box_is_exact_at_extreme_magnitudes(x, a, b):
    n = min(x.size, a.size, b.size)
    x, lower, upper = x[:n], np.minimum(a[:n], b[:n]), np.maximum(a[:n], b[:n])
    np.testing.assert_array_equal(project_box(x, lower, upper), np.clip(x, lower, upper))
    x32 = np.clip(x, -1e38, 1e38).astype(np.float32)
    lower, upper = np.clip(lower, -1e38, 1e38), np.clip(upper, -1e38, 1e38)
    above = lower.astype(np.float32)  # the smallest float32 >= lower is this or the next
    above = np.where(above < lower, np.nextafter(above, np.float32(np.inf)), above)
    has_float32 = above.astype(np.float64) <= upper
    lower, upper = lower[has_float32], upper[has_float32]
    z = project_box(x32[has_float32], lower, upper)
    assert z.dtype == np.float32
    z64 = z.astype(np.float64)
    assert np.all((lower <= z64) & (z64 <= upper))  # on the set, not rounded off it
    nearest = np.abs(z64 - np.clip(x32[has_float32], lower, upper))
    assert np.all(nearest <= np.spacing(np.abs(z)))  # within one float32 step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_projections_of_large_entries(dtype):
    x = np.array([1e16, 3e16], dtype=dtype)
    np.testing.assert_array_equal(project_simplex(x), [0.0, 1.0])
    np.testing.assert_array_equal(project_l1_ball(-x), [0.0, -1.0])
    np.testing.assert_array_equal(project_sparse_simplex(x, 1), [0.0, 1.0])
    np.testing.assert_array_equal(project_sparse_simplex(x[::-1], 2, 3.0), [3.0, 0.0])
    for function in (project_simplex, project_l1_ball, project_sparse_simplex):
        assert function(x, *([1] if function is project_sparse_simplex else [])).dtype == dtype


def test_float32_range_is_an_error_not_inf():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match="radius must be <="):
        project_simplex(x, 1e300)
    with pytest.raises(ValueError, match="lower exceeds the range of x's dtype float32"):
        project_box(x, 1e300, 1e301)
    with pytest.raises(ValueError, match="no float32 number lies between lower and upper"):
        project_box(x, 0.1, 0.1)
    with pytest.raises(TypeError, match="upper must be real numbers"):
        project_box(x, 0.0, "1")

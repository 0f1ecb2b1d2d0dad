import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator

from sparseopt.core import (
    conjugate_gradient,
    kron_matvec,
    logdet_spd,
    power_iteration,
    woodbury_solve,
)
from sparseopt.core.linalg import (
    cholesky_solve_kernel,
    csc_matvec_kernel,
    csc_rmatvec_kernel,
    warm_inverse_kernel,
)


def random_factors(rng, shapes, complex_):
    factors = []
    for rows, cols in shapes:
        factor = rng.standard_normal((rows, cols))
        if complex_:
            factor = factor + 1j * rng.standard_normal((rows, cols))
        factors.append(factor)
    return factors


@given(
    st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=4),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_kron_matvec_matches_explicit_kronecker(shapes, complex_, seed):
    rng = np.random.default_rng(seed)
    factors = random_factors(rng, shapes, complex_)
    dense = factors[0]
    for factor in factors[1:]:
        dense = np.kron(dense, factor)
    x = rng.standard_normal(dense.shape[1])
    np.testing.assert_allclose(kron_matvec(factors, x), dense @ x, atol=1e-10)
    y = rng.standard_normal(dense.shape[0]) + 1j * rng.standard_normal(dense.shape[0])
    np.testing.assert_allclose(kron_matvec(factors, y, adjoint=True), dense.conj().T @ y,
                               atol=1e-10)


def test_kron_matvec_several_vectors_and_errors():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    X = rng.standard_normal((8, 3))
    np.testing.assert_allclose(kron_matvec([A, B], X), np.kron(A, B) @ X)
    with pytest.raises(ValueError, match="x must have 8 rows"):
        kron_matvec([A, B], np.ones(7))
    with pytest.raises(TypeError, match="factors must be a list"):
        kron_matvec(A, np.ones(2))
    with pytest.raises(ValueError, match=r"factors\[1\] must have 2 dimension"):
        kron_matvec([A, np.ones(3)], np.ones(6))
    with pytest.raises(ValueError, match="x must not contain NaN"):
        kron_matvec([A, B], np.full(8, np.nan))
    x = np.ones(8)
    kron_matvec([A, B], x)
    np.testing.assert_array_equal(x, 1.0)


def test_csc_kernels_match_scipy():
    rng = np.random.default_rng(1)
    matrix = sp.random(20, 15, density=0.3, random_state=1, format="csc")
    x, y = rng.standard_normal(15), rng.standard_normal(20)
    args = (matrix.data, matrix.indices.astype(np.int64), matrix.indptr.astype(np.int64))
    np.testing.assert_allclose(csc_matvec_kernel(*args, 20, x), matrix @ x)
    np.testing.assert_allclose(csc_rmatvec_kernel(*args, y), matrix.T @ y)


@pytest.mark.parametrize("kind", ["dense", "sparse", "kron", "complex"])
def test_power_iteration_spectral_norm(kind):
    rng = np.random.default_rng(2)
    if kind == "dense":
        operator = rng.standard_normal((40, 25))
        expected = np.linalg.norm(operator, 2)
    elif kind == "sparse":
        operator = sp.random(60, 30, density=0.2, random_state=2, format="csr")
        expected = np.linalg.norm(operator.toarray(), 2)
    elif kind == "kron":
        operator = random_factors(rng, [(5, 4), (3, 3), (2, 6)], False)
        expected = np.prod([np.linalg.norm(f, 2) for f in operator])
    else:
        operator = random_factors(rng, [(6, 5), (4, 3)], True)
        expected = np.linalg.norm(np.kron(*operator), 2)
    sigma, n_iter = power_iteration(operator, tol=1e-12, return_n_iter=True)
    assert sigma == pytest.approx(expected, rel=1e-6)
    assert 1 <= n_iter <= 1000


def test_power_iteration_zero_and_errors():
    assert power_iteration(np.zeros((3, 3))) == 0.0
    with pytest.raises(ValueError, match="operator must not contain NaN"):
        power_iteration(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="tol must be > 0"):
        power_iteration(np.eye(2), tol=0)
    with pytest.raises(ValueError, match="operator must not be empty"):
        power_iteration(sp.csc_matrix((0, 3)))


def spd_matrix(rng, n):
    A = rng.standard_normal((n, n))
    return A @ A.T + n * np.eye(n)


@pytest.mark.parametrize("form", ["dense", "sparse", "callable", "linear_operator"])
def test_conjugate_gradient_solves(form):
    rng = np.random.default_rng(3)
    matrix = spd_matrix(rng, 30)
    b = rng.standard_normal(30)
    operator = {
        "dense": matrix,
        "sparse": sp.csr_matrix(matrix),
        "callable": lambda v: matrix @ v,
        "linear_operator": LinearOperator(matrix.shape, matvec=lambda v: matrix @ v).matvec,
    }[form]
    x, info = conjugate_gradient(operator, b, tol=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(matrix, b), rtol=1e-9, atol=1e-10)
    assert info["converged"] and info["n_iter"] <= 30 + 5


def test_conjugate_gradient_preconditioner_helps_and_complex():
    rng = np.random.default_rng(4)
    scales = np.geomspace(1, 1e4, 50)
    matrix = np.diag(scales) + 0.1 * np.ones((50, 50))
    b = rng.standard_normal(50)
    _, plain = conjugate_gradient(matrix, b, tol=1e-10)
    x, jacobi = conjugate_gradient(matrix, b, tol=1e-10, preconditioner=1.0 / np.diag(matrix))
    assert jacobi["n_iter"] < plain["n_iter"]
    np.testing.assert_allclose(matrix @ x, b, atol=1e-6)
    skew = np.triu(np.ones((50, 50)), 1) - np.tril(np.ones((50, 50)), -1)
    hermitian = matrix + 0.01j * skew
    bc = b + 1j * rng.standard_normal(50)
    xc, info = conjugate_gradient(hermitian, bc, tol=1e-12,
                                  preconditioner=lambda r: r / np.diag(matrix))
    np.testing.assert_allclose(xc, np.linalg.solve(hermitian, bc), atol=1e-8)
    assert info["converged"]


def test_conjugate_gradient_warm_start_and_errors():
    matrix = np.diag([1.0, 2.0, 3.0])
    b = np.array([1.0, 2.0, 3.0])
    x0 = np.ones(3)
    x, info = conjugate_gradient(matrix, b, x0=x0)
    assert info["n_iter"] == 0 and np.array_equal(x0, np.ones(3))
    np.testing.assert_allclose(x, 1.0)
    assert x is not x0
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        conjugate_gradient(-matrix, b)
    with pytest.raises(ValueError, match=r"b must have 2 entries to match operator of shape"):
        conjugate_gradient(np.eye(2), b)
    with pytest.raises(ValueError, match="preconditioner as a diagonal"):
        conjugate_gradient(matrix, b, preconditioner=np.array([1.0, -1.0, 1.0]))
    x, info = conjugate_gradient(matrix, np.zeros(3))
    assert info["converged"] and not x.any()


def test_cholesky_solve_kernel():
    rng = np.random.default_rng(5)
    matrix = spd_matrix(rng, 8)
    rhs = rng.standard_normal((8, 3))
    lower = np.linalg.cholesky(matrix)
    np.testing.assert_allclose(cholesky_solve_kernel(lower, rhs), np.linalg.solve(matrix, rhs),
                               rtol=1e-10)


@pytest.mark.parametrize("n_rhs", [None, 3])
def test_woodbury_solve_matches_dense(n_rhs):
    rng = np.random.default_rng(6)
    n, k = 40, 5
    d, U, c = rng.uniform(0.5, 2, n), rng.standard_normal((n, k)), rng.uniform(0.1, 3, k)
    rhs = rng.standard_normal(n) if n_rhs is None else rng.standard_normal((n, n_rhs))
    dense = np.diag(d) + U @ np.diag(c) @ U.T
    x, logdet = woodbury_solve(d, U, c, rhs, return_logdet=True)
    np.testing.assert_allclose(x, np.linalg.solve(dense, rhs), rtol=1e-9)
    assert logdet == pytest.approx(np.linalg.slogdet(dense)[1], rel=1e-12)
    assert x.shape == rhs.shape


def test_woodbury_errors_and_logdet():
    with pytest.raises(ValueError, match="diagonal must be positive"):
        woodbury_solve(-np.ones(2), np.ones((2, 1)), np.ones(1), np.ones(2))
    with pytest.raises(ValueError, match="weights must have 1 entries"):
        woodbury_solve(np.ones(2), np.ones((2, 1)), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="rhs must have 2 rows"):
        woodbury_solve(np.ones(2), np.ones((2, 1)), np.ones(1), np.ones(3))
    big = np.diag([1e200, 1e200, 1e-100])
    assert logdet_spd(big) == pytest.approx(300 * np.log(10))
    with pytest.raises(ValueError, match="matrix must be symmetric"):
        logdet_spd(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(np.linalg.LinAlgError):
        logdet_spd(-np.eye(2))


@given(st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_woodbury_property(n, k, seed):
    rng = np.random.default_rng(seed)
    d, U, c = rng.uniform(0.1, 3, n), rng.standard_normal((n, k)), rng.uniform(0.1, 3, k)
    rhs = rng.standard_normal(n)
    x, logdet = woodbury_solve(d, U, c, rhs, return_logdet=True)
    dense = np.diag(d) + (U * c) @ U.T
    np.testing.assert_allclose(dense @ x, rhs, atol=1e-8 * (1 + np.abs(rhs).max()))
    assert logdet == pytest.approx(np.linalg.slogdet(dense)[1], rel=1e-9, abs=1e-9)


@given(st.integers(1, 15), st.integers(1, 15), st.integers(0, 2**31 - 1))
def test_power_iteration_property(rows, cols, seed):
    matrix = np.random.default_rng(seed).standard_normal((rows, cols))
    sigma = power_iteration(matrix, tol=1e-13, max_iter=20000)
    assert sigma <= np.linalg.norm(matrix, 2) * (1 + 1e-9)
    assert sigma >= np.linalg.norm(matrix, 2) * (1 - 1e-4)


@given(st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_conjugate_gradient_property(n, seed):
    rng = np.random.default_rng(seed)
    matrix = spd_matrix(rng, n)
    b = rng.standard_normal(n)
    x, info = conjugate_gradient(matrix, b, tol=1e-12)
    assert info["converged"]
    np.testing.assert_allclose(matrix @ x, b, atol=1e-9 * (1 + np.linalg.norm(b)) * n)


@pytest.mark.parametrize("step", [1e-4, 1e-3, 1e-2])
def test_warm_inverse_refines_a_nearby_inverse(step):
    rng = np.random.default_rng(0)
    W = rng.uniform(-0.3, 0.3, (30, 30)) * (rng.random((30, 30)) < 0.2)
    guess = np.linalg.inv(np.eye(30) - W * W)
    moved = W + step * rng.choice([-1.0, 1.0], size=W.shape)
    matrix = np.eye(30) - moved * moved
    inverse, n_products = warm_inverse_kernel(matrix, guess)
    assert 2 <= n_products <= 12  # Newton-Schulz, not the LU fallback
    assert np.abs(np.eye(30) - matrix @ inverse).sum(axis=1).max() <= 1e-11
    np.testing.assert_allclose(inverse, np.linalg.inv(matrix), rtol=0, atol=1e-11)


@pytest.mark.parametrize("residual, products", [(1e-7, 2), (1e-5, 3), (1e-3, 4)])
def test_warm_inverse_picks_the_cheapest_order(residual, products):
    """Residual r with r^2 <= tol: one Newton-Schulz step; r^3 <= tol: one cubic
    step (three products); else Newton-Schulz steps until the measured residual
    allows a last one."""
    rng = np.random.default_rng(2)
    matrix = np.eye(20) - 0.1 * rng.random((20, 20))
    error = rng.standard_normal((20, 20))
    error *= residual / np.abs(error).sum(axis=1).max()
    guess = np.linalg.inv(matrix) @ (np.eye(20) - error)  # I - A guess = error
    inverse, n_products = warm_inverse_kernel(matrix, guess, 1e-12)
    assert n_products == products
    assert np.abs(np.eye(20) - matrix @ inverse).sum(axis=1).max() <= 1e-12


def test_warm_inverse_falls_back_to_lu():
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((12, 12)) + 5 * np.eye(12)
    inverse, n_products = warm_inverse_kernel(matrix, np.zeros((12, 12)))
    assert n_products == -1
    np.testing.assert_allclose(inverse, np.linalg.inv(matrix), atol=1e-14)
    assert inverse.flags.c_contiguous
    # a guess that converges, but not to tol within max_steps
    start = np.linalg.inv(matrix) * 0.6
    assert warm_inverse_kernel(matrix, start, 1e-30, 2)[1] == -1


# --------------------------------------------------------------------------
# Clear errors instead of NaN; extreme magnitudes
# --------------------------------------------------------------------------
def test_conjugate_gradient_rejects_what_it_cannot_solve():
    b = np.ones(5)
    nan_operator = np.eye(5)
    nan_operator[2, 2] = np.nan
    with pytest.raises(ValueError, match="operator must not contain NaN"):
        conjugate_gradient(nan_operator, b)
    with pytest.raises(ValueError, match=r"operator\(v\) returned NaN"):
        conjugate_gradient(lambda v: v * np.nan, b)
    with pytest.raises(ValueError, match=r"preconditioner\(v\) returned NaN"):
        conjugate_gradient(np.eye(5), b, preconditioner=lambda r: r * np.nan)
    with pytest.raises(np.linalg.LinAlgError, match="preconditioner is not positive definite"):
        conjugate_gradient(np.eye(5), b, preconditioner=lambda r: -r)
    for rhs in (b, np.arange(1.0, 6.0)):
        with pytest.raises(np.linalg.LinAlgError, match="singular"):
            conjugate_gradient(np.diag([1.0, 0.0, 1.0, 1.0, 1.0]), rhs)
    rng = np.random.default_rng(0)
    low_rank = rng.standard_normal((8, 5))
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        conjugate_gradient(low_rank @ low_rank.T, rng.standard_normal(8))
    with pytest.raises(ValueError, match=r"b must have 5 entries to match operator of shape"):
        conjugate_gradient(spd_matrix(rng, 5), b[:3])
    with pytest.raises(ValueError, match=r"operator must be a square matrix"):
        conjugate_gradient(np.ones((5, 3)), b)
    with pytest.raises(ValueError, match=r"operator\(v\) must return an array of shape \(5,\)"):
        conjugate_gradient(lambda v: v[:2], b)
    with pytest.raises(ValueError, match="operator must be Hermitian"):
        conjugate_gradient(np.triu(np.ones((5, 5))), b)
    with pytest.raises(ValueError, match="operator must be Hermitian"):
        conjugate_gradient(sp.csr_matrix(np.triu(np.ones((5, 5)))), b)
    with pytest.raises(ValueError, match="the solution overflows"):
        conjugate_gradient(np.eye(5) * 1e-300, b * 1e300)


@pytest.mark.parametrize("operator_scale, b_scale", [(1e300, 1e300), (1.0, 1e300),
                                                     (1e-300, 1e-300), (1e300, 1.0)])
def test_conjugate_gradient_at_extreme_magnitudes(operator_scale, b_scale):
    rng = np.random.default_rng(1)
    matrix, b = spd_matrix(rng, 6), rng.standard_normal(6)
    x, info = conjugate_gradient(matrix * operator_scale, b * b_scale, tol=1e-12)
    assert info["converged"]
    reference = np.linalg.solve(matrix, b) * (b_scale / operator_scale)
    np.testing.assert_allclose(x, reference, rtol=1e-9)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e150])
@pytest.mark.parametrize("kind", ["dense", "sparse", "kronecker"])
def test_power_iteration_at_extreme_magnitudes(scale, kind):
    S = np.random.default_rng(0).standard_normal((4, 3))
    reference = np.linalg.norm(S, 2)
    operator = {"dense": S * scale, "sparse": sp.csr_matrix(S * scale),
                "kronecker": [S * scale, np.eye(2)]}[kind]
    sigma = power_iteration(operator, tol=1e-14)
    assert sigma == pytest.approx(reference * scale, rel=1e-6, abs=0)
    assert power_iteration([S * scale, S / scale], tol=1e-14) == pytest.approx(reference**2,
                                                                               rel=1e-6)


def test_power_iteration_overflow_is_an_error():
    S = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(ValueError, match="spectral norm exceeds the float64 range"):
        power_iteration([S * 1e300, S * 1e300])


def test_woodbury_logdet_and_kron_overflow_are_errors():
    U = np.array([[1e300], [1e300]])
    with pytest.raises(ValueError, match="woodbury_solve overflowed"):
        woodbury_solve(np.full(2, 1e-300), U, np.full(1, 1e300), np.ones(2))
    with pytest.raises(ValueError, match="woodbury_solve overflowed"):
        woodbury_solve(np.full(2, 1e-300), np.ones((2, 1)), np.ones(1), np.full(2, 1e300))
    with pytest.raises(np.linalg.LinAlgError, match="matrix must be positive definite"):
        logdet_spd(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="kron_matvec: the product overflows"):
        kron_matvec([np.eye(2) * 1e300], np.ones(2) * 1e300)

"""Index arrays handed to the compiled kernels."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.solvers.glm.designs import GramCache, LeastSquaresDesign, csc_kernel_indices


def test_csc_kernel_indices_are_uint32_copies_when_they_fit():
    X = sp.random(50, 40, density=0.2, format="csc", random_state=0)
    indices, indptr = csc_kernel_indices(X)
    assert indices.dtype == indptr.dtype == np.uint32
    np.testing.assert_array_equal(indices, X.indices)
    np.testing.assert_array_equal(indptr, X.indptr)
    indices[:] = 0
    assert X.indices.any()  # a copy: the caller's matrix is untouched


def test_csc_kernel_indices_widen_at_2_to_the_32():
    small = np.arange(3, dtype=np.int64)
    for shape, nnz in [((2**32, 2), 2), ((5, 2), 2**32)]:
        X = SimpleNamespace(shape=shape, nnz=nnz, indices=small, indptr=small)
        indices, indptr = csc_kernel_indices(X)
        assert indices.dtype == indptr.dtype == np.int64
    X = SimpleNamespace(shape=(2**32 - 1, 2), nnz=2**32 - 1, indices=small, indptr=small)
    assert csc_kernel_indices(X)[0].dtype == np.uint32


@pytest.mark.parametrize("layout", ["fortran", "c", "sparse"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_subset_products_match_numpy_on_every_layout(layout, weighted, dtype):
    """``X_s[:, S] w_S`` and the centred ``X_s[:, S]^T r + n shift mu_S`` (``X_s``
    the rows weighted by ``sqrt(s)``, ``mu`` the weighted column means) before
    and after the kernels' layout exists, against dense numpy products."""
    rng = np.random.default_rng(1)
    dense = rng.standard_normal((30, 12)) * (rng.random((30, 12)) < 0.5)
    X = {"fortran": np.asfortranarray(dense), "c": np.ascontiguousarray(dense),
         "sparse": sp.csc_matrix(dense)}[layout].astype(dtype)
    sample_weight = rng.uniform(0.5, 2.0, 30) if weighted else None
    root = np.ones(30) if sample_weight is None else np.sqrt(sample_weight)
    design = LeastSquaresDesign(X, True, sample_weight)
    columns = np.array([7, 0, 3, 11])
    values = rng.standard_normal(4)
    residual = rng.standard_normal(30)
    exact = dense.astype(dtype).astype(np.float64)
    offsets = (exact.T @ root**2) / 30
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for _ in range(2):  # the second pass on the kernels' layout
        np.testing.assert_allclose(design.matvec_subset(columns, values),
                                   root * (exact[:, columns] @ values), rtol=tol, atol=tol)
        np.testing.assert_allclose(
            design.centred_rmatvec_subset(columns, residual, 0.7),
            (root[:, None] * exact[:, columns]).T @ residual + 30 * 0.7 * offsets[columns],
            rtol=tol, atol=tol)
        design.kernel_arrays()


def centred_weighted(dense, sample_weight):
    """``X_c = D (X - 1 mu^T)`` in float64, the design's implicit matrix
    (weights normalised to sum to n)."""
    n = len(dense)
    weights = np.ones(n) if sample_weight is None else sample_weight * n / sample_weight.sum()
    means = weights @ dense / n
    return np.sqrt(weights)[:, None] * (dense - means)


@pytest.mark.parametrize("layout", ["fortran", "c", "sparse"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_blocks_are_float32_only_where_rounding_is_harmless(layout, weighted, dtype):
    """Gram blocks of dense data are float32 (to 1e-4 of the column norms)
    while no column mean exceeds its standard deviation; sparse data, shifted
    columns and ``to_double`` give float64 blocks, equal to the exact centred
    product to 1e-10 (computed in float64 also for float32 X, except the
    weights stored in float32 sparse X)."""
    rng = np.random.default_rng(2)
    dense = rng.standard_normal((40, 15)) * (rng.random((40, 15)) < 0.6)
    sample_weight = rng.uniform(0.5, 2.0, 40) if weighted else None
    # (sparse X is stored weighted in its own dtype: float32's rounding, which
    # the shifted columns' centring amplifies, is in the data)
    double_tol = 1e-4 if weighted and layout == "sparse" and dtype == np.float32 else 1e-10
    for shift, expect_single in [(0.0, layout != "sparse"), (50.0, False)]:
        values = dense + shift
        X = {"fortran": np.asfortranarray(values), "c": np.ascontiguousarray(values),
             "sparse": sp.csc_matrix(values)}[layout].astype(dtype)
        design = LeastSquaresDesign(
            X, True, None if sample_weight is None else sample_weight * 40 / sample_weight.sum())
        assert not GramCache(design).single  # float32 only when allowed
        cache = GramCache(design, allow_float32=True)
        assert cache.single == expect_single
        exact = centred_weighted(values.astype(dtype).astype(np.float64), sample_weight)
        gram = exact.T @ exact
        scale = np.sqrt(np.outer(np.diag(gram), np.diag(gram)))
        for working_set in (np.array([3, 0, 9]), np.array([0, 1, 3, 9, 14])):  # then grows
            block = cache.block(working_set)
            assert block.dtype == (np.float32 if expect_single else np.float64)
            error = np.abs(block - gram[np.ix_(working_set, working_set)])
            tol = 1e-4 if expect_single else double_tol
            np.testing.assert_array_less(error, tol * scale[np.ix_(working_set, working_set)])
        cache.to_double()
        block = cache.block(working_set)
        assert block.dtype == np.float64 and not cache.single
        error = np.abs(block - gram[np.ix_(working_set, working_set)])
        np.testing.assert_array_less(error, double_tol * scale[np.ix_(working_set, working_set)])


@pytest.mark.parametrize("scale", [1e-20, 1e20])
def test_gram_blocks_are_float64_where_float32_would_underflow_or_overflow(scale):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 6)) * scale
    cache = GramCache(LeastSquaresDesign(X, False), allow_float32=True)
    assert not cache.single
    block = cache.block(np.arange(6))
    np.testing.assert_allclose(block, X.T @ X, rtol=1e-12)

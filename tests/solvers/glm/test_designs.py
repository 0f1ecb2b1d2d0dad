"""Index arrays handed to the compiled kernels."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.solvers.glm.designs import LeastSquaresDesign, csc_kernel_indices


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

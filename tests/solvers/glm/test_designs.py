"""Index arrays handed to the compiled kernels."""

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from sparseopt.solvers.glm.designs import csc_kernel_indices


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

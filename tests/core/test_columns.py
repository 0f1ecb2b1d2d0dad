"""The column kernels shared by the coordinate-descent solvers."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.core.columns import gather_columns


@pytest.mark.parametrize("layout", ["F", "C", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gather_columns_is_the_column_slice(layout, dtype):
    """Dense (either order) or CSC columns, repeated and unsorted, gathered
    into a Fortran array of the requested dtype, equal to ``X[:, features]``
    rounded once (a CSC column's zeros written, not left from earlier memory);
    the input is not modified."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 9)) * (rng.random((7, 9)) < 0.5)
    features = np.array([8, 0, 3, 3, 5], dtype=np.int64)
    if layout == "csc":
        matrix = sp.csc_matrix(X)
        arrays = (np.empty((0, 0), order="F"), matrix.data, matrix.indices.astype(np.int64),
                  matrix.indptr.astype(np.int64), True)
    else:
        dense = np.array(X, order=layout)
        arrays = (dense, np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                  False)
    before = [a.copy() for a in arrays[:4]]
    for _ in range(3):  # (leaves non-zero freed memory of the output's size behind)
        gather_columns(np.full((7, 9), np.nan), *arrays[1:4], False, features, 7, dtype(0))
    out = gather_columns(*arrays, features, 7, dtype(0))
    assert out.dtype == dtype and out.flags.f_contiguous and out.shape == (7, 5)
    np.testing.assert_array_equal(out, X[:, features].astype(dtype))
    for a, b in zip(arrays[:4], before, strict=True):
        np.testing.assert_array_equal(a, b)

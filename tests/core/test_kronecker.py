"""KroneckerOperator against np.kron."""

import pickle

import numpy as np
import pytest

from sparseopt.core import KroneckerOperator


@pytest.mark.parametrize("complex_data", [False, True])
def test_matches_np_kron(complex_data):
    rng = np.random.default_rng(0)
    factors = [rng.standard_normal(s) + (1j * rng.standard_normal(s) if complex_data else 0)
               for s in [(2, 3), (4, 2), (3, 3)]]
    A = KroneckerOperator(factors)
    dense = np.kron(np.kron(factors[0], factors[1]), factors[2])
    assert A.shape == dense.shape == (24, 18) and A.n_factors == 3
    np.testing.assert_allclose(A.to_dense(), dense)
    x, y = rng.standard_normal(18), rng.standard_normal((24, 2))
    np.testing.assert_allclose(A @ x, dense @ x)
    np.testing.assert_allclose(A.rmatvec(y), dense.conj().T @ y)
    np.testing.assert_allclose(A.H.matvec(y[:, 0]), dense.conj().T @ y[:, 0])
    np.testing.assert_allclose(pickle.loads(pickle.dumps(A)) @ x, dense @ x)
    assert "KroneckerOperator((2x3) x (4x2) x (3x3)" in repr(A)
    with pytest.raises(ValueError, match="x must have 18 rows"):
        A.matvec(np.ones(5))
    with pytest.raises(TypeError, match="factors must be a list"):
        KroneckerOperator(np.ones((2, 2)))

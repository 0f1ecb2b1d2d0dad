import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.datasets import make_sparse_regression


def test_shapes_support_and_reproducibility():
    X, y, coef = make_sparse_regression(40, 60, 7, rho=0.3, random_state=0)
    assert X.shape == (40, 60) and y.shape == (40,) and np.count_nonzero(coef) == 7
    X2, y2, coef2 = make_sparse_regression(40, 60, 7, rho=0.3, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert X.flags.f_contiguous


def test_toeplitz_correlation_and_snr():
    X, y, coef = make_sparse_regression(20000, 6, 6, rho=0.6, snr=4.0, random_state=1)
    empirical = np.corrcoef(X, rowvar=False)
    expected = 0.6 ** np.abs(np.subtract.outer(np.arange(6), np.arange(6)))
    np.testing.assert_allclose(empirical, expected, atol=0.03)
    signal = X @ coef
    assert np.linalg.norm(signal) / np.linalg.norm(y - signal) == pytest.approx(4.0)


def test_noiseless_and_sparse_design():
    X, y, coef = make_sparse_regression(30, 40, 4, snr=np.inf, random_state=2)
    np.testing.assert_allclose(y, X @ coef)
    Xs, _, _ = make_sparse_regression(200, 300, 5, sparse_density=0.05, random_state=2)
    assert sp.issparse(Xs) and Xs.format == "csc"
    assert Xs.nnz / (200 * 300) == pytest.approx(0.05, rel=0.1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be >= 1"),
        ({"n_informative": 2000}, "n_informative must be <="),
        ({"rho": 1.0}, "rho must be <"),
        ({"snr": -1.0}, "snr must be a positive"),
        ({"sparse_density": 0.0}, "sparse_density must be >"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sparse_regression(**kwargs)

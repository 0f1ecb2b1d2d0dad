import numpy as np
import pytest
from scipy import stats

from sparseopt.datasets import make_ldp_regression


def test_truth_and_reproducibility():
    X, y, coef = make_ldp_regression(50, 30, 4, coef_norm=2.0, random_state=0)
    assert X.shape == (50, 30) and y.shape == (50,)
    assert np.count_nonzero(coef) == 4 and np.linalg.norm(coef) == pytest.approx(2.0)
    assert len(set(np.abs(coef[coef != 0]).round(12))) == 1  # equal magnitudes
    X2, y2, coef2 = make_ldp_regression(50, 30, 4, coef_norm=2.0, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("heavy_tailed", [False, True])
def test_toeplitz_covariance_and_noise_level(heavy_tailed):
    X, y, coef = make_ldp_regression(200_000, 5, 2, covariance="toeplitz", rho=0.6,
                                     noise=0.5, heavy_tailed=heavy_tailed, df=6.0,
                                     random_state=1)
    expected = 0.6 ** np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
    np.testing.assert_allclose(np.cov(X, rowvar=False), expected, atol=0.03)
    assert np.std(y - X @ coef) == pytest.approx(0.5, rel=0.03)


def test_heavy_tails_are_student_t():
    X, _, _ = make_ldp_regression(100_000, 2, 1, heavy_tailed=True, df=5.0, random_state=2)
    # unit variance, kurtosis of the t(5): excess 6 / (df - 4) = 6
    assert X[:, 0].var() == pytest.approx(1.0, rel=0.05)
    assert stats.kurtosis(X[:, 0]) > 3.0
    scaled = X[:, 0] / np.sqrt(3 / 5)
    assert stats.kstest(scaled, stats.t(5).cdf).pvalue > 1e-3


def test_given_truth_and_public_rows():
    X, y, coef, X_public = make_ldp_regression(40, 6, 2, n_public=25, random_state=3)
    assert X_public.shape == (25, 6)
    X2, y2, coef2 = make_ldp_regression(40, 6, coef=coef, noise=0.0, random_state=4)
    np.testing.assert_array_equal(coef2, coef)
    np.testing.assert_allclose(y2, X2 @ coef)
    with pytest.raises(ValueError, match="coef must have n_features=7"):
        make_ldp_regression(10, 7, coef=coef)
    with pytest.raises(ValueError, match="covariance must be"):
        make_ldp_regression(10, 7, covariance="ar")

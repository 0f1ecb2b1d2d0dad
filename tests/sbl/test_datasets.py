"""The generators of He & Joseph's experiments against direct computations."""

import numpy as np
import pytest

from sparseopt.core import KroneckerOperator
from sparseopt.datasets import irs_channel_nmse, make_irs_channel, make_kronecker_sparse


def test_kronecker_sparse_problem():
    data = make_kronecker_sparse(random_state=0)
    A = KroneckerOperator(data.factors)
    clean = A @ data.coef
    noise = data.y - clean
    assert A.shape == (1440, 3375) and np.count_nonzero(data.coef) == 27
    ratio = np.mean(clean ** 2) / data.noise_variance
    assert 10 * np.log10(ratio) == pytest.approx(25.0)
    assert np.var(noise) == pytest.approx(data.noise_variance, rel=0.15)
    x = np.kron(np.kron(*[np.isin(np.arange(15), s) for s in data.factor_supports[:2]]),
                np.isin(np.arange(15), data.factor_supports[2]))
    np.testing.assert_array_equal(data.coef != 0, x)
    noiseless = make_kronecker_sparse((2, 3), 4, 1, snr_db=np.inf, complex_data=True,
                                      random_state=1)
    np.testing.assert_allclose(noiseless.y, KroneckerOperator(noiseless.factors) @ noiseless.coef)
    assert np.iscomplexobj(noiseless.y)
    with pytest.raises(ValueError, match=r"n_nonzero\[0\] = 5 exceeds n_columns\[0\] = 4"):
        make_kronecker_sparse((2, 3), 4, 5)


def test_irs_channel_matches_the_physical_model():
    """y stacks vec(H2 diag(psi_t) H1 X) over the patterns; the sparse x reproduces
    every cascaded channel exactly; same channel at every SNR."""
    data = make_irs_channel(10, random_state=3)
    low = make_irs_channel(4, random_state=3)
    np.testing.assert_array_equal(data.coef, low.coef)
    np.testing.assert_array_equal(data.channel, low.channel)
    assert low.noise_variance == pytest.approx(data.noise_variance * 10 ** 0.6)
    assert irs_channel_nmse(data, data.coef) < 1e-20
    assert irs_channel_nmse(data, np.zeros_like(data.coef)) == pytest.approx(1.0)
    assert np.count_nonzero(data.coef) == 9
    clean = KroneckerOperator(data.factors) @ data.coef
    assert 10 * np.log10(np.mean(np.abs(clean) ** 2) / data.noise_variance) == pytest.approx(10)
    # received pilots from the channels: vec(H_t X) = (X^T kron I) vec(H_t)
    pilots = data.factors[1] @ np.linalg.pinv(data.channel_factors[1])  # X^T on the span
    H = data.channel.reshape(6, 6, 16)  # (pattern, MS antenna, BS antenna)
    received = np.einsum("km,tmb->tkb", pilots, H).ravel()
    np.testing.assert_allclose(received, clean, atol=1e-10 * np.abs(clean).max())
    k, m, b = np.unravel_index(data.support, (18, 18, 18))
    assert len(set(m)) == 1 and np.ptp(b) == 2 and len(set(k)) == 3
    with pytest.raises(ValueError, match="coef must have shape"):
        irs_channel_nmse(data, np.zeros(10))

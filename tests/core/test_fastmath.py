import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sparseopt.core.fastmath import fast_exp


def test_fast_exp_matches_numpy_on_the_whole_range():
    x = np.linspace(-708, 709, 200_001)
    np.testing.assert_allclose(fast_exp(x), np.exp(x), rtol=2e-15)
    assert fast_exp(np.array([0.0]))[0] == 1.0


@given(arrays(np.float64, st.integers(0, 50), elements=st.floats(-700, 700)))
def test_fast_exp_property(x):
    np.testing.assert_allclose(fast_exp(x), np.exp(x), rtol=2e-15)


def test_clamping_and_shape():
    out = fast_exp(np.array([[-800.0, 800.0]]))
    assert out.shape == (1, 2)
    np.testing.assert_allclose(out[0], np.exp([-708.0, 709.0]), rtol=1e-15)

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sparseopt.core import top_k_indices, top_k_mask

# few distinct values so that ties are frequent
tied = arrays(np.float64, st.integers(1, 40), elements=st.sampled_from([-1.0, 0.0, 2.5, 3.0]))


@given(tied, st.data())
def test_top_k_matches_stable_sort(values, data):
    k = data.draw(st.integers(0, values.size))
    expected = np.argsort(-values, kind="stable")[:k]
    np.testing.assert_array_equal(top_k_indices(values, k), expected)
    mask = top_k_mask(values, k)
    assert mask.sum() == k
    np.testing.assert_array_equal(np.flatnonzero(mask), np.sort(expected))


def test_top_k_edge_cases():
    assert top_k_indices([5.0], 1).tolist() == [0]
    assert top_k_indices([1.0, 2.0], 0).tolist() == []
    with pytest.raises(ValueError, match="k must be <= 2"):
        top_k_indices([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="values must have 1 dimension"):
        top_k_indices(np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match="values must not be empty"):
        top_k_indices([], 0)

import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.utils import check_array_input, check_integer, check_random_state_seed, check_scalar


def test_check_array_input():
    x = np.arange(3.0)
    assert check_array_input(x, "x") is x  # no copy when nothing changes
    assert check_array_input([1, 2], "x").dtype == np.float64
    assert check_array_input(np.ones(2, np.float32), "x").dtype == np.float32
    assert check_array_input([1j], "z", allow_complex=True).dtype == np.complex128
    with pytest.raises(TypeError, match="z must be real-valued"):
        check_array_input([1j], "z")
    with pytest.raises(TypeError, match="s must be numeric"):
        check_array_input(["a"], "s")
    with pytest.raises(TypeError, match="m must be a dense array"):
        check_array_input(sp.eye(2), "m")
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        check_array_input(x, "x", ndim=2)
    with pytest.raises(ValueError, match="x must not be empty"):
        check_array_input([], "x")
    with pytest.raises(ValueError, match="x must not contain NaN"):
        check_array_input([np.inf], "x")


def test_check_scalar_and_integer():
    assert check_scalar(2, "a", lower=0) == 2.0
    with pytest.raises(ValueError, match="a must be > 0"):
        check_scalar(0, "a", lower=0, lower_inclusive=False)
    with pytest.raises(ValueError, match="a must be <= 1"):
        check_scalar(2, "a", upper=1)
    with pytest.raises(ValueError, match="a must be finite"):
        check_scalar(np.nan, "a")
    with pytest.raises(TypeError, match="a must be a real number"):
        check_scalar(True, "a")
    assert check_integer(np.int64(3), "k", lower=0) == 3
    with pytest.raises(TypeError, match="k must be an integer"):
        check_integer(2.0, "k")
    with pytest.raises(ValueError, match="k must be >= 1"):
        check_integer(0, "k", lower=1)


def test_seed_is_reproducible():
    assert check_random_state_seed(0) == check_random_state_seed(0)
    generator_seed = check_random_state_seed(np.random.default_rng(1))
    assert 0 <= generator_seed < 2**31 - 1


def test_sklearn_validation_names_the_argument():
    from sklearn.linear_model import Ridge

    from sparseopt.utils.validation import (
        check_array,
        check_classification_targets,
        check_consistent_length,
        validate_data,
    )

    X, y = np.ones((4, 2)), np.arange(4.0)
    with pytest.raises(ValueError, match=r"^X: Found array with 0 sample\(s\)"):
        validate_data(Ridge(), X[:0], y[:0])
    with pytest.raises(ValueError, match=r"^y: .*Complex data not supported"):
        validate_data(Ridge(), X, y + 1j, y_numeric=True)
    with pytest.raises(ValueError, match="X and y have inconsistent numbers of samples: X has 4 "
                                         "and y has 3"):
        validate_data(Ridge(), X, y[:3])
    with pytest.raises(TypeError, match="X must be numeric, got dtype <U"):
        validate_data(Ridge(), X.astype(str), y)
    missing = y.astype(object)
    missing[1] = None
    with pytest.raises(ValueError, match="Input y contains NaN"):
        validate_data(Ridge(), X, missing, y_numeric=True)
    with pytest.raises(ValueError, match=r"^alphas: Expected 2D array"):
        check_array(np.float64(1.0), input_name="alphas")
    with pytest.raises(ValueError, match="^y: Unknown label type"):
        check_classification_targets(np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="X has 4 and weights has 3"):
        check_consistent_length(X=X, weights=y[:3])
    with pytest.raises(ValueError, match="random_state must be None, an integer"):
        check_random_state_seed(-1)

import numpy as np
import pytest

from sparseopt.datasets import load_bundled, load_vendored_csv, vendored_files


def test_vendored_sachs_file():
    assert "sachs_cd3cd28.csv" in vendored_files()
    bunch = load_vendored_csv("sachs_cd3cd28.csv")
    assert bunch.data.shape == (853, 11)
    assert bunch.feature_names[0] == "praf" and len(bunch.feature_names) == 11
    np.testing.assert_allclose(bunch.data[0, :3], [26.4, 13.2, 8.82])
    assert np.all(bunch.data > 0)
    assert "Sachs" in bunch.provenance


def test_bundled_sklearn_data():
    assert load_bundled("diabetes").data.shape == (442, 10)
    X, y = load_bundled("breast_cancer", return_X_y=True)
    assert X.shape == (569, 30)


def test_unknown_names():
    with pytest.raises(ValueError, match="filename must be one of"):
        load_vendored_csv("nope.csv")
    with pytest.raises(ValueError, match="name must be one of"):
        load_bundled("leukemia")

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sparseopt.datasets import load_bundled, load_digits_ink, load_vendored_csv, vendored_files


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


@pytest.mark.parametrize("classes", [(3, 8), [0, 1, 7]])
def test_digits_with_ink(classes):
    digits = load_digits()
    keep = np.isin(digits.target, classes)
    images = digits.data[keep]
    X, y, covariates = load_digits_ink(classes)
    np.testing.assert_array_equal(y, digits.target[keep])
    np.testing.assert_allclose(X + images.mean(axis=0) / 16.0, images / 16.0, atol=1e-12)
    ink = images.sum(axis=1)
    np.testing.assert_allclose(covariates.ravel(), (ink - ink.mean()) / ink.std(), atol=1e-12)
    assert covariates.shape == (keep.sum(), 1)


@pytest.mark.parametrize("classes", [(3,), (3, 3), (3, 10), (-1, 2), (2.5, 3)])
def test_digits_with_ink_rejects_bad_classes(classes):
    with pytest.raises(ValueError, match="classes must hold at least two distinct digits"):
        load_digits_ink(classes)

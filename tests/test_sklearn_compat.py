"""scikit-learn's common checks on every public estimator, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparseopt.utils import all_estimators


def _instances():
    return [cls() for _, cls in all_estimators()]


def test_every_estimator_is_discovered():
    names = [name for name, _ in all_estimators()]
    assert names == sorted(names) and "Lasso" in names


@parametrize_with_checks(_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

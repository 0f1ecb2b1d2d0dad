"""Discovery of the public estimators of every family."""

import importlib
import inspect

__all__ = ["all_estimators", "FAMILIES"]

FAMILIES = ("bcd", "sbl", "ldp", "dictionary", "gp", "dag", "ot")


def all_estimators():
    """All public estimators of sparseopt, like :func:`sklearn.utils.all_estimators`.

    An estimator is a class listed in a family subpackage's ``__all__`` that
    derives from :class:`sklearn.base.BaseEstimator`.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name (then module).

    Examples
    --------
    >>> from sparseopt.utils import all_estimators
    >>> ("Lasso", "sparseopt.bcd") in [(n, c.__module__[:13]) for n, c in all_estimators()]
    True
    """
    from sklearn.base import BaseEstimator

    found = []
    for family in FAMILIES:
        module = importlib.import_module(f"sparseopt.{family}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found.append((name, obj))
    return sorted(found, key=lambda pair: (pair[0], pair[1].__module__))

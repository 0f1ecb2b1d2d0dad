"""sparseopt: classical sparse estimation and optimization.

Seven families of scikit-learn-style estimators over one shared numba core:

- :mod:`sparseopt.bcd`: block coordinate descent (Nutini, Laradji & Schmidt).
- :mod:`sparseopt.sbl`: sparse Bayesian learning (He & Joseph).
- :mod:`sparseopt.ldp`: locally differentially private sparse regression.
- :mod:`sparseopt.dictionary`: dictionary learning.
- :mod:`sparseopt.gp`: Gaussian-process multiple kernel learning.
- :mod:`sparseopt.dag`: DAG structure estimation (CoLiDE).
- :mod:`sparseopt.ot`: sparsity-constrained optimal transport.

Subpackages are imported lazily: ``import sparseopt`` loads neither numba nor
scikit-learn and compiles nothing.
"""

import importlib

__version__ = "0.1.0.dev0"

_SUBPACKAGES = (
    "core",
    "solvers",
    "utils",
    "datasets",
    "bcd",
    "sbl",
    "ldp",
    "dictionary",
    "gp",
    "dag",
    "ot",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"sparseopt.{name}")
    raise AttributeError(f"module 'sparseopt' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

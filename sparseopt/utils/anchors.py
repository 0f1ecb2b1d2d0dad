"""Imports of anchor libraries that need a workaround (shared by the tour, the
tests and the benchmarks, which compare sparseopt with them)."""

import importlib
import importlib.util
import sys
import types


def diffprivlib_mechanisms():
    """``diffprivlib.mechanisms`` (IBM's differential privacy library).

    diffprivlib 0.6.6's package ``__init__`` imports its models, which fail
    with scikit-learn >= 1.8 (``sklearn.tree._tree.DOUBLE`` is gone); its
    mechanisms import nothing from scikit-learn, so they are loaded under a
    bare package module when the normal import fails.

    Raises
    ------
    ImportError
        If diffprivlib is not installed, or its mechanisms cannot be imported.
    """
    try:
        return importlib.import_module("diffprivlib.mechanisms")
    except ImportError:
        spec = importlib.util.find_spec("diffprivlib")
        if spec is None:
            raise ImportError("diffprivlib is not installed (pip install diffprivlib)") from None
    for name in [name for name in sys.modules if name.split(".")[0] == "diffprivlib"]:
        del sys.modules[name]
    package = types.ModuleType("diffprivlib")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec  # importlib.util.find_spec("diffprivlib") reads it
    sys.modules["diffprivlib"] = package
    return importlib.import_module("diffprivlib.mechanisms")

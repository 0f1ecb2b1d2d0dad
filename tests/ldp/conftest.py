import importlib
import importlib.util
import sys
import types

import pytest


@pytest.fixture(scope="session")
def diffprivlib_mechanisms():
    """``diffprivlib.mechanisms`` (IBM's library, a test-only dependency).

    diffprivlib 0.6.6's package ``__init__`` imports its models, which fail
    with scikit-learn >= 1.8 (``sklearn.tree._tree.DOUBLE`` is gone); its
    mechanisms import nothing from scikit-learn, so they are loaded under a
    bare package module when the normal import fails.
    """
    try:
        return importlib.import_module("diffprivlib.mechanisms")
    except ImportError:
        spec = importlib.util.find_spec("diffprivlib")
        if spec is None:
            pytest.skip("diffprivlib is not installed (pip install diffprivlib)")
    saved = {name: module for name, module in sys.modules.items()
             if name == "diffprivlib" or name.startswith("diffprivlib.")}
    for name in saved:
        del sys.modules[name]
    package = types.ModuleType("diffprivlib")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec  # importlib.util.find_spec("diffprivlib") reads it
    sys.modules["diffprivlib"] = package
    try:
        return importlib.import_module("diffprivlib.mechanisms")
    except ImportError as exc:  # pragma: no cover - a future diffprivlib layout
        pytest.skip(f"diffprivlib.mechanisms cannot be imported: {exc}")

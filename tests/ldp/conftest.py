import pytest

from sparseopt.utils import anchors


@pytest.fixture(scope="session")
def diffprivlib_mechanisms():
    """``diffprivlib.mechanisms`` (IBM's library, a test-only dependency)."""
    try:
        return anchors.diffprivlib_mechanisms()
    except ImportError as exc:
        pytest.skip(str(exc))

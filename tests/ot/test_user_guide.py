"""The OT user guide's code blocks run as written."""

import re
from pathlib import Path

import matplotlib
import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "user_guide" / "ot.rst"


def code_blocks(text):
    """Bodies of the ``.. code-block:: python`` directives (dedented)."""
    blocks = []
    for match in re.finditer(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text):
        blocks.append("\n".join(line[3:] for line in match.group(1).splitlines()))
    return blocks


@pytest.mark.skipif(not PAGE.exists(), reason="documentation sources not present")
def test_user_guide_code_runs(monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    blocks = code_blocks(PAGE.read_text())
    assert len(blocks) >= 2 and "import" in blocks[0] and "plt." in blocks[0]
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {"__name__": "user_guide"})
    plt.close("all")

"""The documentation runs as written: README and user-guide code, gallery figures."""

import doctest
import importlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sparseopt.utils.discovery import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
from gallery_figures import empty_axes, run_example  # noqa: E402

_MARKDOWN_PYTHON = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\. code(?:-block)?::\s*(python|pycon|ipython)\s*$")


def _rst_python_blocks(text):
    """The bodies of the ``.. code-block:: python`` directives of an rst page."""
    lines, blocks = text.splitlines(), []
    for number, line in enumerate(lines):
        match = _RST_DIRECTIVE.match(line)
        if not match:
            continue
        indent, body = len(match.group(1)), []
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        code = "\n".join(body)
        blocks.append((number + 1, _dedent(code)))
    return blocks


def _dedent(code):
    import textwrap

    lines = [line for line in code.splitlines() if not line.lstrip().startswith(":")]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _pages():
    pages = [ROOT / "README.md"]
    pages += sorted(path for path in DOCS.rglob("*.rst")
                    if not {"_build", "generated", "auto_examples"} & set(path.parts))
    return pages


def _python_blocks(page):
    text = page.read_text()
    if page.suffix == ".md":
        return [(text[:match.start()].count("\n") + 2, match.group(1))
                for match in _MARKDOWN_PYTHON.finditer(text)]
    return _rst_python_blocks(text)


def _has_doctest(page):
    return ">>>" in page.read_text()


PAGES_WITH_CODE = [page for page in _pages() if _python_blocks(page) or _has_doctest(page)]


def test_code_extraction_finds_the_readme_snippet_and_rst_blocks():
    readme = _python_blocks(ROOT / "README.md")
    assert readme and "from sparseopt" in readme[0][1]
    rst = ".. code-block:: python\n\n   a = 1\n   b = a + 1\n\nText after.\n"
    assert _rst_python_blocks(rst) == [(1, "a = 1\nb = a + 1")]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[str(p.relative_to(ROOT))
                                                        for p in PAGES_WITH_CODE])
def test_every_code_block_runs_as_written(page, tmp_path, monkeypatch):
    """A page's code blocks run in order in one namespace (like a reader pasting them),
    without a warning (a ConvergenceWarning in an example reads as a failure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for line, code in _python_blocks(page):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                warnings.simplefilter("default", DeprecationWarning)  # third-party chatter
                # a Dask dashboard port taken by another process on the machine (another
                # cluster, a parallel test worker): Dask moves to a free port and says so
                warnings.filterwarnings("default", message=r"Port \d+ is already in use")
                exec(compile(code, f"{page.name}, block at line {line}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{page.relative_to(ROOT)}, code block at line {line} "
                                 f"fails: {type(error).__name__}: {error}\n{code}") from error
    if _has_doctest(page):
        parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        test = parser.get_doctest(page.read_text(), {}, page.name, str(page), 0)
        result = runner.run(test)
        assert result.failed == 0, f"{result.failed} doctest examples of {page.name} fail"
    plt.close("all")


def _public_families():
    return [family for family in FAMILIES
            if getattr(importlib.import_module(f"sparseopt.{family}"), "__all__", [])]


@pytest.mark.parametrize("family", _public_families())
def test_family_page_opens_with_runnable_code(family):
    """A family's user-guide page opens with a complete example: in its introduction or
    its first section (e.g. "A first fit"), before any other section."""
    page = DOCS / "user_guide" / f"{family}.rst"
    text = page.read_text()
    lines = text.splitlines()
    sections = [number for number in range(2, len(lines))
                if re.fullmatch(r"-{3,}", lines[number]) and lines[number - 1].strip()]
    second_section = sections[1] - 1 if len(sections) > 1 else len(lines)
    opening = [code for line, code in _rst_python_blocks(text) if line <= second_section]
    assert opening, (f"docs/user_guide/{family}.rst must open (in its introduction or first "
                     "section) with a complete runnable example: import, data, fit, inspect")
    assert any(f"sparseopt.{family}" in code for code in opening)


# ---------------------------------------------------------------------------
# Gallery figures
# ---------------------------------------------------------------------------
def test_empty_axes_flags_a_grid_without_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3)
    axes[0].plot([0, 1], [1, 0])
    axes[1].legend(handles=[])  # a legend alone is not data
    axes[2].axis("off")
    axes[2].text(0.5, 0.5, "a text panel")
    problems = empty_axes(figure)
    assert len(problems) == 1 and "axes 1" in problems[0]
    axes[1].imshow([[0.0, 1.0]])
    assert empty_axes(figure) == []
    plt.close("all")


def test_run_example_renders_figures_cell_by_cell(tmp_path):
    """A figure created in one cell and drawn in the next is empty in the gallery."""
    split = tmp_path / "plot_split.py"
    split.write_text('"""\nSplit\n=====\n"""\nimport matplotlib.pyplot as plt\n\n'
                     "fig, ax = plt.subplots()\n\n# %%\nax.plot([0, 1])\n")
    problems = run_example(split)
    assert len(problems) == 1 and "no line" in problems[0]
    whole = tmp_path / "plot_whole.py"
    whole.write_text('"""\nWhole\n=====\n"""\nimport matplotlib.pyplot as plt\n\n'
                     "fig, ax = plt.subplots()\nax.plot([0, 1])\n")
    assert run_example(whole) == []
    deferred = tmp_path / "plot_deferred.py"
    deferred.write_text(split.read_text().replace(
        "plt.subplots()\n", "plt.subplots()\n# sphinx_gallery_defer_figures\n"))
    assert run_example(deferred) == []


def test_the_docs_build_refuses_empty_figures():
    conf = (DOCS / "conf.py").read_text()
    assert '"image_scrapers": ("gallery_figures.checked_matplotlib_scraper",)' in conf
    assert '"abort_on_example_error": True' in conf


EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_every_gallery_figure_has_data(example):
    """Each example, run cell by cell as sphinx-gallery does, draws no empty axes."""
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(DOCS / "gallery_figures.py"), str(example)],
                            capture_output=True, text=True, env=environment, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

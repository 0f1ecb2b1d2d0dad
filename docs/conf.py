"""Sphinx configuration of the sparseopt documentation (builds offline)."""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))
# gallery_figures.py (the check that every gallery figure shows data) sits beside this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sparseopt  # noqa: E402

os.environ.setdefault("OMP_NUM_THREADS", "1")

project = "sparseopt"
author = "sparseopt developers"
copyright = "2026, sparseopt developers"
release = sparseopt.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "sg_execution_times.rst"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"sparseopt {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
    # Every figure must show data: an example whose plots came out empty fails the build.
    "image_scrapers": ("gallery_figures.checked_matplotlib_scraper",),
}

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Skip members inherited from scikit-learn (their docstrings reference
    targets that exist only in scikit-learn's documentation)."""
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module and not module.startswith("sparseopt"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)

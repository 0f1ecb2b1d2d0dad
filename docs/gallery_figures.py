"""Every gallery figure must show data: the check run by the docs build and the tests.

An axes passes when it holds at least one line, collection (scatter, fill,
mesh), image, patch (bars, histograms) or table; an axes switched off
(``ax.axis("off")``) passes when it holds any artist, text included. A figure
whose plotting code failed silently (an empty grid with legends only) fails.

sphinx-gallery renders the figures open at the end of each code block (a
``# %%`` cell) and then closes them, so a figure created in one cell and drawn
in the next renders empty (unless the first cell ends with the comment
``# sphinx_gallery_defer_figures``): :func:`run_example` reproduces that, and
``python docs/gallery_figures.py examples/plot_x.py`` checks one example.
"""

import sys

__all__ = ["empty_axes", "checked_matplotlib_scraper", "run_example"]


def empty_axes(figure):
    """Describe the axes of ``figure`` that show no data.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure to check.

    Returns
    -------
    problems : list of str
        One entry per empty axes (empty when the figure is fine), plus one if
        the figure has no axes at all.
    """
    axes = figure.get_axes()
    if not axes:
        return [f"figure {figure.number} has no axes"]
    problems = []
    for index, ax in enumerate(axes):
        data = ax.lines or ax.collections or ax.images or ax.patches or ax.tables
        if ax.axison:
            if not data:
                title = ax.get_title() or ax.get_ylabel() or f"axes {index}"
                problems.append(f"figure {figure.number}, {title!r}: no line, collection, "
                                "image or patch")
        elif not (data or ax.texts or ax.artists):
            problems.append(f"figure {figure.number}, axes {index} (off): empty")
    return problems


def checked_matplotlib_scraper(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, refusing figures without data.

    Parameters
    ----------
    block, block_vars, gallery_conf, **kwargs
        As for :func:`sphinx_gallery.scrapers.matplotlib_scraper`.

    Returns
    -------
    rst : str
        What the matplotlib scraper returns.

    Raises
    ------
    RuntimeError
        If a figure the code block left open has an empty axes.
    """
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    problems = [problem for number in plt.get_fignums()
                for problem in empty_axes(plt.figure(number))]
    if problems:
        raise RuntimeError(f"{block_vars.get('src_file', 'an example')} draws empty axes: "
                           + "; ".join(problems))
    return matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)


def run_example(path):
    """Run a gallery example cell by cell, as sphinx-gallery does, checking its figures.

    Parameters
    ----------
    path : str
        The example script.

    Returns
    -------
    problems : list of str
        The empty axes found at the end of each cell (empty: every figure has
        data), and ``"no figure"`` if the example draws none.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    _, blocks = split_code_and_text_blocks(str(path))
    namespace = {"__name__": "__main__", "__file__": str(path)}
    problems, n_figures = [], 0
    for label, content, line in blocks:
        if label != "code":
            continue
        code = compile("\n" * (line - 1) + content, str(path), "exec")
        exec(code, namespace)  # noqa: S102 - the example is ours
        if "sphinx_gallery_defer_figures" in content:
            continue  # sphinx-gallery renders this cell's figures with the next cell's
        numbers = plt.get_fignums()
        n_figures += len(numbers)
        problems += [f"cell at line {line}: {problem}" for number in numbers
                     for problem in empty_axes(plt.figure(number))]
        plt.close("all")
    return problems + ([] if n_figures else ["no figure"])


if __name__ == "__main__":
    found = run_example(sys.argv[1])
    print("\n".join(found) if found else "every figure has data")
    sys.exit(1 if found else 0)

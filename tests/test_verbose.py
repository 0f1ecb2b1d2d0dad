"""``verbose`` on every estimator and public solver that has it (discovered).

``verbose=0`` prints nothing; ``verbose=1`` prints at least one line, each in
the format of :class:`sparseopt.utils.IterationPrinter` (the one printer of
the package), at a bounded rate: the first line, at most one a second, and
the forced ones (last iteration, stage changes).
"""

import inspect
import re
import time
import warnings

import pytest
from public_api import RECIPES

from sparseopt.utils import IterationPrinter, all_estimators

# "[name] iter 12  objective ...  criterion ...  0.8 s  key=value"
PRINTER_LINE = re.compile(r"^\[[^\]]+\] iter \d+  .*?\b\d+\.\d s(  \w+=.*)?$")
# Forced lines of a sub-second fit: first, last and a few stage changes.
MAX_FORCED_LINES = 6


def _has_verbose(recipe):
    if recipe.estimator is not None:
        return "verbose" in recipe.estimator.get_params()
    return recipe.function is not None and "verbose" in inspect.signature(
        recipe.function).parameters


VERBOSE = sorted(name for name, recipe in RECIPES.items() if _has_verbose(recipe))


def _run(recipe, verbose):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recipe.call(verbose=verbose)
    return time.perf_counter() - start


def test_the_printer_line_format():
    lines = []
    printer = IterationPrinter("demo", 1, stream=type("S", (), {
        "write": lambda self, text: lines.append(text), "flush": lambda self: None})())
    printer(3, objective=1.5, criterion=2e-3, force=True, ws=4, active=[3, 2])
    assert PRINTER_LINE.match(lines[0].rstrip("\n")), lines


def test_entry_points_with_verbose_are_discovered():
    assert {"Lasso", "SparseLogisticRegression"} <= set(VERBOSE)


@pytest.mark.parametrize("name", [name for name, _ in all_estimators()])
def test_every_estimator_has_verbose(name):
    """Every estimator of sparseopt is iterative: a long fit must be watchable."""
    estimator = dict(all_estimators())[name]
    assert "verbose" in estimator().get_params(), f"{name} has no verbose parameter"


@pytest.mark.parametrize("name", VERBOSE)
def test_verbose_prints_through_the_iteration_printer(name, capfd):
    recipe = RECIPES[name]
    _run(recipe, 0)
    out, err = capfd.readouterr()
    assert out == "" and err == "", f"{name} printed at verbose=0: {out}{err}"
    elapsed = _run(recipe, 1)
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines, f"{name} printed nothing at verbose=1"
    bad = [line for line in lines if not PRINTER_LINE.match(line)]
    assert not bad, f"{name}: lines not printed by utils.IterationPrinter: {bad[:3]}"
    assert len(lines) <= MAX_FORCED_LINES + int(elapsed), (
        f"{name} printed {len(lines)} lines in {elapsed:.1f} s at verbose=1 (rate not bounded)")

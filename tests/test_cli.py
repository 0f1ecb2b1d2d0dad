"""The command line (``python -m sparseopt``) and the tour."""

import importlib
import io
import math
import os
import subprocess
import sys
import time
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

import sparseopt
from sparseopt import cli
from sparseopt.tour import Implementation, Task, tour_families
from sparseopt.tour._runner import _Ticker, run_task
from sparseopt.utils.discovery import FAMILIES


def _run(*arguments, **environment):
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, "-m", "sparseopt", *arguments], capture_output=True,
                          text=True, env=env, check=False)


# ---------------------------------------------------------------------------
# info, --version, --help
# ---------------------------------------------------------------------------
def test_info_lists_versions(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("sparseopt", "numpy", "numba", "numba cache", "threads"):
        assert name in out


def test_info_prints_the_actual_numba_cache(tmp_path):
    result = _run("info", NUMBA_CACHE_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("numba cache"))
    assert str(tmp_path) in line and "(0 compiled kernels cached" in line
    # After one fit the kernels it used are in that directory, and info counts them.
    fit = ("import numpy as np; from sparseopt.core import soft_threshold; "
           "soft_threshold(np.ones(3), 0.5)")
    subprocess.run([sys.executable, "-c", fit], check=True,
                   env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert list(tmp_path.rglob("thresholds.soft_threshold_kernel-*.nbi"))
    again = _run("info", NUMBA_CACHE_DIR=str(tmp_path))
    assert "(0 compiled" not in again.stdout and str(tmp_path) in again.stdout


def test_version():
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"sparseopt {sparseopt.__version__}"


@pytest.mark.parametrize("arguments", [["--help"], ["tour", "--help"], ["info", "--help"]])
def test_help_is_plain_text(arguments):
    result = _run(*arguments)
    assert result.returncode == 0, result.stderr
    for markup in ("``", ":mod:", ":func:", ":class:", ".. "):
        assert markup not in result.stdout, f"reStructuredText {markup!r} in --help"
    assert "usage: python -m sparseopt" in result.stdout


def test_unknown_family_is_a_clear_error():
    result = _run("tour", "nosuchfamily")
    assert result.returncode == 2
    assert "no tour rows for nosuchfamily" in result.stderr and "bcd" in result.stderr


def test_module_entry_point():
    result = _run("info")
    assert result.returncode == 0 and "sparseopt" in result.stdout


def test_import_is_lazy():
    code = ("import sys, sparseopt; "
            "assert 'numba' not in sys.modules and 'sklearn' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith(('numba', 'sklearn')))[:5]; "
            "print(sparseopt.__version__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------
# The tour's machinery, on fake tasks
# ---------------------------------------------------------------------------
class _SlowFirstCall:
    """Sleeps ``first`` seconds on the first call (a compilation), ``warm`` later."""

    def __init__(self, first, warm):
        self.first, self.warm, self.calls = first, warm, 0

    def __call__(self):
        time.sleep(self.first if self.calls == 0 else self.warm)
        self.calls += 1
        return self.calls


def _task(*implementations, **options):
    return Task(title="fake: a task", data="none", metric="calls", score=float,
                implementations=list(implementations), covers=(), **options)


def test_first_call_is_timed_apart_from_the_warm_calls():
    jit = _SlowFirstCall(0.3, 0.02)
    plain = _SlowFirstCall(0.01, 0.01)
    stream = io.StringIO()
    ours, anchor = run_task(_task(Implementation("ours", jit, compiles=True),
                                  Implementation("anchor", plain, role="anchor")),
                            stream=stream)
    assert ours.first_seconds >= 0.3 and ours.seconds < 0.1  # compile time not in "time"
    assert jit.calls >= 2 and math.isnan(anchor.first_seconds)
    assert plain.calls > 1  # fast calls are repeated, the best is kept
    rows = stream.getvalue().splitlines()
    assert rows[1].split()[0] == "ours" and rows[2].split()[0] == "anchor"
    ratio = float(rows[2].split()[3])
    assert ratio == pytest.approx(anchor.seconds / ours.seconds, rel=0.01)


def test_missing_failing_and_skipped_implementations_are_shown():
    def broken():
        raise RuntimeError("boom")

    stream = io.StringIO()
    outcomes = run_task(_task(
        Implementation("ours", lambda: 1.0),
        Implementation("absent", lambda: 1.0, role="anchor", requires=("no_such_module_x",)),
        Implementation("broken", broken, role="anchor"),
        Implementation("slow", lambda: 1.0, role="anchor", not_in_quick="takes an hour"),
    ), stream=stream, quick=True)
    assert [outcome.status for outcome in outcomes] == ["ok", "not installed", "failed",
                                                         "skipped"]
    text = stream.getvalue()
    assert "not installed  pip install no_such_module_x" in text
    assert "RuntimeError: boom" in text and "not in --quick: takes an hour" in text


def test_warnings_become_remarks_and_do_not_leak():
    def warns():
        warnings.warn("did not converge", ConvergenceWarning, stacklevel=1)
        print("chatter on stdout")
        return 1.0

    stream = io.StringIO()
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        outcome, = run_task(_task(Implementation("ours", warns)), stream=stream)
    assert leaked == [] and "chatter" not in stream.getvalue()
    assert outcome.remarks == ["not converged (ConvergenceWarning)"]


def test_objective_is_compared_with_the_reference():
    stream = io.StringIO()
    run_task(_task(Implementation("ours", lambda: 2.0),
                   Implementation("loose", lambda: 2.002, role="anchor"),
                   objective=lambda value: value), stream=stream)
    assert "objective +1.0e-03 rel." in stream.getvalue()


def test_the_reference_must_be_sparseopt():
    with pytest.raises(ValueError, match="first implementation must be sparseopt"):
        _task(Implementation("sklearn", lambda: 1.0, role="anchor"))


def test_live_progress_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    with _Ticker(terminal, "a long fit", after=0.1, every=0.05):
        time.sleep(0.4)
    assert "running a long fit ..." in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the line is wiped when the call returns
    pipe = io.StringIO()
    with _Ticker(pipe, "a long fit", after=0.1, every=0.05):
        time.sleep(0.2)
    assert pipe.getvalue() == ""  # nothing when the output is not a terminal


def test_subset_runs_only_those_families(monkeypatch, capsys):
    bcd = importlib.import_module("sparseopt.tour.bcd")
    monkeypatch.setattr(bcd, "TASKS", (lambda quick: _task(Implementation("fake", float)),))
    assert cli.main(["tour", "bcd", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] bcd: fake: a task" in out and "dag:" not in out and "ot:" not in out
    assert "numba compiles sparseopt's kernels" in out.splitlines()[1]


# ---------------------------------------------------------------------------
# The tour itself
# ---------------------------------------------------------------------------
def _public_names(family):
    return set(getattr(importlib.import_module(f"sparseopt.{family}"), "__all__", []))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_public_name_is_in_the_tour(family):
    names = _public_names(family)
    if not names:
        assert family not in tour_families()
        return
    assert family in tour_families(), f"add sparseopt/tour/{family}.py (see sparseopt.tour)"
    module = importlib.import_module(f"sparseopt.tour.{family}")
    covered = set()
    for factory in module.TASKS:
        covered |= set(factory(quick=True).covers)
    explained = set(getattr(module, "NOT_IN_TOUR", {}))
    assert covered <= names, f"tour rows cover unknown names {covered - names}"
    assert not names - covered - explained, (
        f"{sorted(names - covered - explained)} of sparseopt.{family} appear in no tour row "
        f"(add a task to sparseopt/tour/{family}.py or say why in its NOT_IN_TOUR)")


# Rows whose "not converged" is a known, documented defect that the tour shows as it is
# (none today: SLIM-KL's rows, which stalled with the consensus ADMM, now use the default
# solver="mm", which converges). A row that converges while listed here fails the test.
_KNOWN_NOT_CONVERGED: set = set()


def test_quick_tour():
    """The tour --quick runs every family; each sparseopt row succeeds, nothing leaks."""
    stream = io.StringIO()
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        results = cli.tour(quick=True, stream=stream)
    assert [str(warning.message) for warning in leaked] == []
    assert {family for family, _, _ in results} == set(tour_families())
    for _, task, outcomes in results:
        for implementation, outcome in zip(task.implementations, outcomes, strict=True):
            if implementation.role == "sparseopt":
                assert outcome.status == "ok", (task.title, outcome)
                assert math.isfinite(outcome.value) and outcome.seconds > 0
                not_converged = any("converged" in remark for remark in outcome.remarks)
                assert not_converged == (outcome.name in _KNOWN_NOT_CONVERGED), (
                    task.title, outcome.name, outcome.remarks)
            else:
                assert outcome.status in ("ok", "not installed", "skipped"), (
                    task.title, outcome)
    text = stream.getvalue()
    assert text.count("\n[") == len(results) and "summary:" in text

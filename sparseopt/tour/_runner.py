"""Run the tour's tasks: time every implementation, print each row as it completes."""

import contextlib
import importlib
import importlib.util
import io
import math
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field

__all__ = ["Implementation", "Outcome", "Task", "run_task", "format_header"]

ROLES = ("sparseopt", "anchor", "baseline")

# A call that takes less than this is repeated (best of up to _MAX_REPEATS) so that
# millisecond timings are not one noisy sample.
_MIN_TOTAL_SECONDS = 0.2
_MAX_REPEATS = 5


@dataclass
class Implementation:
    """One way to do a task: sparseopt, the anchor a user would otherwise use, or a baseline.

    Parameters
    ----------
    name : str
        Shown in the table, e.g. ``"sklearn Lasso"``.
    run : callable
        ``run()`` does the whole job on the task's data and returns what
        :attr:`Task.score` reads (a fitted estimator, a plan, ...). Import the
        anchor's package inside ``run``.
    role : {"sparseopt", "anchor", "baseline"}, default="sparseopt"
        A baseline solves a simpler problem (no penalty, no sparsity): it shows
        what the sparse model buys, not a speed comparison.
    requires : tuple of str, default=()
        Import names that must be installed (e.g. ``("skglm",)``); when one is
        missing the row says "not installed".
    compiles : bool, default=False
        JIT-compiled (sparseopt's numba kernels, skglm's jitclasses): the first
        call is timed apart, in the "1st call" column, and the time column is a
        later, warm call on the same data.
    not_in_quick : str, default=""
        Why this implementation is skipped by ``tour --quick`` (e.g. it
        JIT-compiles for tens of seconds in every process); empty: it runs.
    """

    name: str
    run: object
    role: str = "sparseopt"
    requires: tuple = ()
    compiles: bool = False
    not_in_quick: str = ""


@dataclass
class Task:
    """One row group of the tour: a job, its data and every way to do it.

    Parameters
    ----------
    title : str
        The job in a few words, e.g. ``"Lasso: sparse regression, p >> n"``.
    data : str
        The data set and its shape.
    metric : str
        Name of the quality figure (e.g. ``"test R^2"``).
    score : callable
        ``score(result) -> float``, recomputed from what each implementation
        returned, the same formula for all of them.
    implementations : list of Implementation
        The first sparseopt one is the reference of the time ratios.
    covers : tuple of str
        The public names of sparseopt this task exercises.
    higher_is_better : bool, default=True
        Direction of the metric.
    details : callable, optional
        ``details(result) -> str``: a short comment (non-zeros, edges, ...).
    objective : callable, optional
        ``objective(result) -> float``: the objective every non-baseline
        implementation minimises, shown relative to the reference's (so a fast
        but inaccurate solver shows it).
    """

    title: str
    data: str
    metric: str
    score: object
    implementations: list
    covers: tuple
    higher_is_better: bool = True
    details: object = None
    objective: object = None

    def __post_init__(self):
        roles = [implementation.role for implementation in self.implementations]
        if not roles or roles[0] != "sparseopt" or not set(roles) <= set(ROLES):
            raise ValueError(f"{self.title}: the first implementation must be sparseopt's "
                             f"(the time ratios' reference) and roles among {ROLES}; "
                             f"got {roles}")

    def reference(self):
        """The first implementation, sparseopt's (the time ratios divide by its time)."""
        return self.implementations[0]


@dataclass
class Outcome:
    """What one implementation did: status, metric, times and remarks."""

    name: str
    role: str
    status: str = "ok"  # "ok", "not installed", "skipped", "failed"
    value: float = math.nan
    seconds: float = math.nan
    first_seconds: float = math.nan
    objective: float = math.nan
    remarks: list = field(default_factory=list)


class _Ticker:
    """A live ``running <name> 12 s`` line on a terminal while a long call runs."""

    def __init__(self, stream, label, *, after=1.0, every=0.5):
        self.stream, self.label, self.after, self.every = stream, label, after, every
        self._stop = threading.Event()
        self._thread = None
        self._shown = False

    def __enter__(self):
        if getattr(self.stream, "isatty", lambda: False)():
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def _loop(self):
        start = time.perf_counter()
        while not self._stop.wait(self.every):
            elapsed = time.perf_counter() - start
            if elapsed >= self.after:
                self.stream.write(f"\r    running {self.label} ... {elapsed:.0f} s ")
                self.stream.flush()
                self._shown = True

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._shown:
                self.stream.write("\r" + " " * (len(self.label) + 30) + "\r")
                self.stream.flush()
        return False


def _missing(requires):
    return [name for name in requires if importlib.util.find_spec(name) is None]


def _call_quietly(run, remarks):
    """Call ``run()`` with its prints and warnings captured; keep the warnings as remarks."""
    from sklearn.exceptions import ConvergenceWarning

    sink = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            remark = "not converged (ConvergenceWarning)"
        elif warning.filename.replace("\\", "/").find("/sparseopt/") >= 0:
            remark = f"{warning.category.__name__}: {str(warning.message)[:60]}"
        else:
            continue  # third-party chatter (deprecations, performance hints)
        if remark not in remarks:
            remarks.append(remark)
    return result, seconds


def _time(implementation, remarks):
    """First call, then warm calls (best of several when fast): (result, seconds, first)."""
    result, first = _call_quietly(implementation.run, remarks)
    if not implementation.compiles and first >= _MIN_TOTAL_SECONDS:
        return result, first, math.nan
    times = [] if implementation.compiles else [first]
    while not times or (sum(times) < _MIN_TOTAL_SECONDS and len(times) < _MAX_REPEATS):
        result, seconds = _call_quietly(implementation.run, remarks)
        times.append(seconds)
    return result, min(times), first if implementation.compiles else math.nan


def run_implementation(task, implementation, *, quick=False, progress=None):
    """Run one implementation of a task and measure it.

    Parameters
    ----------
    task : Task
        The task (for its score, details and objective).
    implementation : Implementation
        What to run.
    quick : bool, default=False
        ``--quick`` mode: implementations with a ``not_in_quick`` reason are skipped.
    progress : file-like, optional
        Terminal for the live progress line (default ``sys.stderr``).

    Returns
    -------
    outcome : Outcome
    """
    outcome = Outcome(implementation.name, implementation.role)
    missing = _missing(implementation.requires)
    if missing:
        outcome.status = "not installed"
        outcome.remarks.append(f"pip install {' '.join(missing)} to compare")
        return outcome
    if quick and implementation.not_in_quick:
        outcome.status = "skipped"
        outcome.remarks.append(f"not in --quick: {implementation.not_in_quick}")
        return outcome
    progress = sys.stderr if progress is None else progress
    try:
        with _Ticker(progress, implementation.name):
            result, outcome.seconds, outcome.first_seconds = _time(implementation,
                                                                   outcome.remarks)
        outcome.value = float(task.score(result))
        if task.details is not None:
            outcome.remarks.insert(0, task.details(result))
        if task.objective is not None and implementation.role != "baseline":
            outcome.objective = float(task.objective(result))
    except ImportError as error:
        outcome.status = "not installed"
        outcome.remarks.append(f"import failed: {error}")
    except Exception as error:  # noqa: BLE001 - a failing anchor must not stop the tour
        outcome.status = "failed"
        outcome.remarks.append(f"{type(error).__name__}: {str(error)[:80]}")
    return outcome


# ---------------------------------------------------------------------------
# Formatting: fixed column widths, so that rows print as they complete.
# ---------------------------------------------------------------------------
_NAME, _VALUE, _TIME, _RATIO, _FIRST = 44, 10, 9, 7, 9


def format_header(task):
    """The column header of a task's rows."""
    metric = task.metric[:_VALUE]
    return (f"    {'implementation':<{_NAME}} {metric:>{_VALUE}} {'time (s)':>{_TIME}} "
            f"{'ratio':>{_RATIO}} {'1st call':>{_FIRST}}  details")


def _number(value, width):
    if math.isnan(value):
        return f"{'-':>{width}}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:>{width}.2e}"
    return f"{value:>{width}.4g}"


def _seconds(value, width):
    if math.isnan(value):
        return f"{'-':>{width}}"
    return f"{value:>{width}.3f}" if value < 100 else f"{value:>{width}.0f}"


def format_outcome(outcome, reference):
    """One row: name, metric, warm time, time ratio to sparseopt, first call, remarks.

    Parameters
    ----------
    outcome : Outcome
        The row to format.
    reference : Outcome or None
        The task's reference (first sparseopt) outcome.

    Returns
    -------
    line : str
    """
    name = outcome.name if outcome.role != "baseline" else f"baseline: {outcome.name}"
    name = name if len(name) <= _NAME else name[:_NAME - 1] + "~"
    if outcome.status != "ok":
        return f"    {name:<{_NAME}} {outcome.status:>{_VALUE}}  " + "; ".join(outcome.remarks)
    ratio = math.nan
    remarks = list(outcome.remarks)
    if reference is not None and reference.status == "ok" and reference.seconds > 0:
        ratio = outcome.seconds / reference.seconds
        if not math.isnan(outcome.objective) and not math.isnan(reference.objective):
            if outcome is reference:
                remarks.append("objective: reference")
            else:
                scale = max(abs(reference.objective), 1e-300)
                relative = (outcome.objective - reference.objective) / scale
                remarks.append(f"objective {relative:+.1e} rel.")
    ratio_text = f"{'-':>{_RATIO}}" if math.isnan(ratio) else f"{ratio:>{_RATIO}.2f}"
    return (f"    {name:<{_NAME}} {_number(outcome.value, _VALUE)} "
            f"{_seconds(outcome.seconds, _TIME)} {ratio_text} "
            f"{_seconds(outcome.first_seconds, _FIRST)}  " + ", ".join(remarks))


def run_task(task, *, stream, quick=False, progress=None):
    """Run every implementation of a task, printing each row as it completes.

    Parameters
    ----------
    task : Task
        The task.
    stream : file-like
        Where the rows go.
    quick : bool, default=False
        ``--quick`` mode.
    progress : file-like, optional
        Terminal for the live progress line.

    Returns
    -------
    outcomes : list of Outcome
    """
    stream.write(format_header(task) + "\n")
    stream.flush()
    reference_impl = task.reference()
    reference = None
    outcomes = []
    for implementation in task.implementations:
        outcome = run_implementation(task, implementation, quick=quick, progress=progress)
        if implementation is reference_impl:
            reference = outcome
        outcomes.append(outcome)
        stream.write(format_outcome(outcome, reference) + "\n")
        stream.flush()
    return outcomes


def load_family(family):
    """The tour module of a family, or None if the family has no tour rows yet."""
    name = f"sparseopt.tour.{family}"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)

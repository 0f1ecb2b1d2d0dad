"""The tour: every public estimator and solver next to what users run today.

``python -m sparseopt tour`` runs, for each task, sparseopt and the library a
user would otherwise reach for (scikit-learn, skglm, celer, POT, dagma) on the
same data in the same process, and prints one row per implementation as it
completes: the quality metric (recomputed from what each returned, by one
formula), the warm time, its ratio to sparseopt's, the first call's time
(which includes numba compilation on a cold cache) and details. Baselines
solve a simpler problem (no penalty, no sparsity) and show what the sparse
model buys.

To add a family's rows, create ``sparseopt/tour/<family>.py`` (found
automatically; no other file changes) with a ``TASKS`` tuple of functions
``task(quick=False) -> Task``::

    from sparseopt.tour._runner import Implementation, Task

    def ard(quick=False):
        X, y = ...  # data: real data shipped with a package, or a simulator
        def ours():
            from sparseopt.sbl import KroneckerSBL
            return KroneckerSBL().fit(X, y)
        def sklearn_ard():
            from sklearn.linear_model import ARDRegression
            return ARDRegression().fit(X, y)
        return Task(
            title="KroneckerSBL: short name, then what the task shows",
            data="which data, its shape",
            metric="test R^2",                      # at most 10 characters
            score=lambda model: model.score(X_test, y_test),   # same formula for all
            details=lambda model: f"{(model.coef_ != 0).sum()} non-zero",  # optional
            objective=None,                         # optional: the shared objective
            covers=("KroneckerSBL",),               # public names this task exercises
            implementations=[
                Implementation("sparseopt KroneckerSBL", ours, compiles=True),  # first
                Implementation("sklearn ARDRegression", sklearn_ard, role="anchor"),
                # role="baseline" for a simpler model; requires=("skglm",) for an optional
                # package; not_in_quick="why" for anchors too slow for --quick
            ])

    TASKS = (ard,)
    NOT_IN_TOUR = {"simulate_x": "generates the data of the rows"}  # public names without a row

``quick=True`` must shrink the data so that ``tour --quick`` stays under 30
seconds in all. tests/test_cli.py checks that every name in the family's
``__all__`` is covered by a task or listed in ``NOT_IN_TOUR``, and runs
``tour --quick``, in which every sparseopt row must succeed without a warning.
"""

import sys
import time

from sparseopt.tour._runner import (
    Implementation,
    Outcome,
    Task,
    load_family,
    run_task,
)
from sparseopt.utils.discovery import FAMILIES

__all__ = ["Implementation", "Outcome", "Task", "run_tour", "tour_families"]


def tour_families():
    """The families that have tour rows, in the package's order.

    Returns
    -------
    families : list of str
    """
    return [family for family in FAMILIES if load_family(family) is not None]


def run_tour(families=None, *, quick=False, stream=None, progress=None):
    """Run the tour's tasks and print their rows as they complete.

    Parameters
    ----------
    families : list of str, optional
        Families to run (default: every family with tour rows).
    quick : bool, default=False
        Smaller data, and anchors that JIT-compile in every process skipped.
    stream : file-like, optional
        Where the table goes (default ``sys.stdout``).
    progress : file-like, optional
        Terminal for the live progress line during long calls (default
        ``sys.stderr``; shown only on a terminal).

    Returns
    -------
    results : list of (str, Task, list of Outcome)
        ``(family, task, outcomes)`` for every task run.
    """
    stream = sys.stdout if stream is None else stream
    available = tour_families()
    families = available if families is None else list(families)
    unknown = sorted(set(families) - set(available))
    if unknown:
        raise ValueError(f"no tour rows for {unknown}; families with rows: {available}")
    factories = [(family, factory) for family in families
                 for factory in load_family(family).TASKS]
    results = []
    start = time.perf_counter()
    for number, (family, factory) in enumerate(factories, start=1):
        task = factory(quick)
        stream.write(f"\n[{number}/{len(factories)}] {family}: {task.title}\n"
                     f"    data: {task.data}\n")
        outcomes = run_task(task, stream=stream, quick=quick, progress=progress)
        results.append((family, task, outcomes))
    stream.write(_summary(results, time.perf_counter() - start))
    return results


_LEGEND = """\
time: the best of the warm calls (seconds). ratio: time / the time of the task's first
sparseopt row (above 1: sparseopt is faster). 1st call: the first call in this process;
for sparseopt it includes compiling the numba kernels not cached yet, and for skglm its
per-process JIT compilation. objective: difference to the first sparseopt row's
objective, relative (negative: lower objective). Baselines solve a simpler problem and
show what the sparse model buys.
"""


def _summary(results, seconds):
    """One line per task: sparseopt's figure and every anchor's time ratio."""
    lines = ["", f"summary: {len(results)} tasks in {seconds:.0f} s; after each anchor, "
             "its time / sparseopt's"]
    for family, task, outcomes in results:
        reference = outcomes[0]
        if reference.status != "ok":
            lines.append(f"  {family:<4} {task.title.split(':')[0]:<30} sparseopt "
                         f"{reference.status}")
            continue
        anchors = []
        for outcome in outcomes[1:]:
            if outcome.role != "anchor":
                continue
            if outcome.status == "ok":
                anchors.append(f"{outcome.name} {outcome.seconds / reference.seconds:.2g}x")
            else:
                anchors.append(f"{outcome.name} {outcome.status}")
        lines.append(f"  {family:<4} {task.title.split(':')[0]:<30} {task.metric} "
                     f"{reference.value:.4g} in {reference.seconds:.3g} s; "
                     + ("; ".join(anchors) or "no other library does this (baselines only)"))
    return "\n".join(lines) + "\n\n" + _LEGEND

"""
The CoLiDE paper's synthetic experiments
========================================

Saboksayr, Mateos & Tepper (ICLR 2024) compare CoLiDE with DAGMA on
Erdos-Renyi and scale-free graphs with four edges per node (ER4, SF4),
``n = 1000`` samples of a linear SEM with weights uniform on
:math:`\\pm[0.5, 2]` and Gaussian noise of equal variance (EV, 1 here) or
non-equal variances (NV, uniform on [0.5, 10] per node). This script runs
that protocol for :class:`~sparseopt.dag.ColideEV`,
:class:`~sparseopt.dag.ColideNV`, :class:`~sparseopt.dag.DagmaLinear` and,
when it is installed, the ``dagma`` package (same schedule: the paper's
``lambda1 = 0.05``, ``T = 4``), and reports SHD, TPR, FDR, SID and the fit's
CPU time (one BLAS thread).

It runs ``d = 20`` with 2 seeds here (seconds); with the environment
variable ``SPARSEOPT_DAG_BENCHMARK=full`` it runs ``d = 20, 50, 100`` with
5 seeds (about an hour on two cores), whose ``d = 20`` and ``50`` rows are
the table of the user guide.
``asv_bench/benchmarks/dag.py`` tracks the SHD of the d = 20 problems.
"""

import os
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # the dagma package's progress bars

import matplotlib.pyplot as plt
import numpy as np
from joblib import Parallel, delayed

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    count_accuracy,
    is_dag,
    simulate_dag,
    simulate_sem,
    simulate_weights,
    structural_intervention_distance,
)

FULL = os.environ.get("SPARSEOPT_DAG_BENCHMARK") == "full"
SIZES = (20, 50, 100) if FULL else (20,)
SEEDS = range(5) if FULL else range(2)
SETTINGS = [("ER", "EV"), ("ER", "NV"), ("SF", "EV"), ("SF", "NV")]
PAPER = {"lambda1": 0.05, "T": 4, "s": [1.0, 0.9, 0.8, 0.7], "warm_iter": 20000,
         "max_iter": 70000}


def problem(graph, noise, d, seed):
    """The paper's protocol: 4d edges, weights +-[0.5, 2], n = 1000."""
    B = simulate_dag(d, 4 * d, graph, random_state=seed)
    W = simulate_weights(B, (0.5, 2.0), random_state=seed)
    variances = 1.0 if noise == "EV" else np.random.default_rng(seed).uniform(0.5, 10.0, d)
    return B, simulate_sem(W, 1000, variances=variances, random_state=seed)


def dagma_package(X):
    from dagma.linear import DagmaLinear as Package

    # a copy (the package centres X in place) and a fresh s list (it mutates it)
    return Package(loss_type="l2").fit(X.copy(), w_threshold=0.3,
                                       **{**PAPER, "s": list(PAPER["s"])})


METHODS = {
    "ColideEV": lambda X: ColideEV(**PAPER).fit(X).adjacency_,
    "ColideNV": lambda X: ColideNV(**PAPER).fit(X).adjacency_,
    "DagmaLinear": lambda X: DagmaLinear(**PAPER).fit(X).adjacency_,
}
try:
    import dagma.linear  # noqa: F401

    METHODS["dagma package"] = dagma_package
except ImportError:
    print("dagma is not installed: its rows are missing (pip install --no-deps dagma && "
          "pip install python-igraph tqdm)")

def run(graph, noise, d, seed):
    """One problem, every method: SHD, TPR, FDR, SID (for DAG outputs) and CPU
    seconds of the fit."""
    B, X = problem(graph, noise, d, seed)
    rows = []
    for method, fit in METHODS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # column scales and convergence on raw SEM data
            start = time.process_time()
            estimate = fit(X)
            seconds = time.process_time() - start
        scores = count_accuracy(B, estimate)
        acyclic = is_dag(estimate)  # the package's output may have cycles
        sid = structural_intervention_distance(B, estimate) if acyclic else np.nan
        rows.append((graph, noise, d, seed, method, scores["shd"], scores["tpr"], scores["fdr"],
                     sid, seconds, acyclic))
    return rows


ColideEV(T=1, warm_iter=5, max_iter=5).fit(problem("ER", "EV", 10, 0)[1])  # compile first
tasks = [(graph, noise, d, seed) for graph, noise in SETTINGS for d in SIZES for seed in SEEDS]
# the full run uses both cores, one problem per process
results = Parallel(n_jobs=2 if FULL else 1, return_as="generator")(
    delayed(run)(*task) for task in tasks)
rows = []
for task, problem_rows in zip(tasks, results, strict=True):
    rows += problem_rows
    if FULL:
        print(task, [(row[4], row[5]) for row in problem_rows], flush=True)

# %%
# Results
# -------
# Medians over the seeds (min-max in brackets); SID only over the outputs that
# are DAGs (the count of cyclic outputs is given).


def cell(values, digits=0):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return "-"
    return f"{np.median(values):.{digits}f} [{values.min():.{digits}f}, {values.max():.{digits}f}]"


columns = ("graph", "noise", "d", "method", "SHD", "TPR", "FDR", "SID", "CPU s", "cyclic")
print(" | ".join(columns))
summary = {}
for graph, noise in SETTINGS:
    for d in SIZES:
        for method in METHODS:
            picked = [row for row in rows if row[:3] == (graph, noise, d) and row[4] == method]
            shd, tpr, fdr, sid, seconds, acyclic = (np.array([row[k] for row in picked])
                                                   for k in range(5, 11))
            summary[graph, noise, d, method] = shd
            print(f"{graph}4 | {noise} | {d} | {method} | {cell(shd)} | {cell(tpr, 2)} | "
                  f"{cell(fdr, 2)} | {cell(sid)} | {cell(seconds, 2)} | "
                  f"{int((~acyclic.astype(bool)).sum())}")

fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=False)
for ax, (graph, noise) in zip(axes, SETTINGS, strict=True):
    for offset, method in enumerate(METHODS):
        shd = [summary[graph, noise, d, method] for d in SIZES]
        positions = np.arange(len(SIZES)) + 0.15 * (offset - 1.5)
        medians = [np.median(values) for values in shd]
        errors = [[m - v.min() for m, v in zip(medians, shd, strict=True)],
                  [v.max() - m for m, v in zip(medians, shd, strict=True)]]
        ax.errorbar(positions, medians, yerr=errors, fmt="o", capsize=3, label=method)
    ax.set(xticks=range(len(SIZES)), xticklabels=[f"d = {d}" for d in SIZES],
           title=f"{graph}4, {noise} noise", ylabel="SHD (median, min-max)")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

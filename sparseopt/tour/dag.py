"""Tour rows of the DAG family (:mod:`sparseopt.dag`): CoLiDE and DAGMA next to dagma.

The anchor is the authors' ``dagma`` package (``pip install --no-deps dagma``
plus ``python-igraph tqdm``: it declares torch, which its linear model does
not use), run with the same hyper-parameters as sparseopt's
:class:`~sparseopt.dag.DagmaLinear`; the baseline is the empty graph, whose
SHD is the number of true edges.
"""

import numpy as np

from sparseopt.tour._runner import Implementation, Task

# sparseopt's CoLiDE/DAGMA defaults (the CoLiDE paper's schedule), given to dagma too.
_SCHEDULE = {"T": 4, "s": [1.0, 0.9, 0.8, 0.7], "warm_iter": 20_000, "max_iter": 70_000}
_LAMBDA1 = 0.05


def _dag_task(title, data, X, B_true):
    from sparseopt.dag import (
        ColideEV,
        ColideNV,
        DagmaLinear,
        is_dag,
        structural_hamming_distance,
    )

    def ours(estimator):
        return lambda: estimator(lambda1=_LAMBDA1, **_SCHEDULE).fit(X).adjacency_

    def dagma_package():
        from dagma.linear import DagmaLinear as OfficialDagmaLinear
        model = OfficialDagmaLinear(loss_type="l2")
        return model.fit(X, lambda1=_LAMBDA1, w_threshold=0.3, **_SCHEDULE)

    def details(W):
        true, found = B_true != 0, W != 0
        reversed_ = np.sum(found & true.T & ~true)
        return (f"{found.sum()} edges ({np.sum(found & true)} right, {reversed_} reversed)"
                + ("" if is_dag(W) else ", NOT a DAG"))

    return Task(
        title=title,
        data=data,
        metric="SHD",
        higher_is_better=False,
        score=lambda W: structural_hamming_distance(B_true, W),
        details=details,
        covers=("ColideEV", "ColideNV", "DagmaLinear", "structural_hamming_distance",
                "is_dag"),
        implementations=[
            Implementation("sparseopt ColideEV", ours(ColideEV), compiles=True),
            Implementation("sparseopt ColideNV", ours(ColideNV), compiles=True),
            Implementation("sparseopt DagmaLinear", ours(DagmaLinear), compiles=True),
            Implementation("dagma DagmaLinear (official)", dagma_package, role="anchor",
                           requires=("dagma", "igraph", "tqdm"),
                           not_in_quick="a few seconds per fit"),
            Implementation("empty graph", lambda: np.zeros_like(B_true, dtype=float),
                           role="baseline"),
        ],
    )


def sachs(quick=False):
    """The Sachs protein-signalling data (real, 17-edge consensus network)."""
    from sparseopt.datasets import load_sachs

    bunch = load_sachs()
    n, d = bunch.data.shape
    return _dag_task("DAG, real data: the protein-signalling network of Sachs et al.",
                     f"Sachs flow cytometry {n}x{d}, 17-edge consensus graph",
                     bunch.data, bunch.target)


def synthetic(quick=False):
    """A simulated linear Gaussian SEM on an Erdos-Renyi DAG with 2d edges."""
    from sparseopt.dag import simulate_dag, simulate_sem, simulate_weights

    d, n = (10, 500) if quick else (20, 1000)
    B = simulate_dag(d, 2 * d, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), n, random_state=0)
    return _dag_task("DAG, simulated: a linear SEM with equal noise variances",
                     f"ER graph, d={d}, {int(np.sum(B != 0))} edges, n={n} Gaussian samples",
                     X, B)


TASKS = (sachs, synthetic)

NOT_IN_TOUR = {
    "simulate_dag": "generates the synthetic row's data",
    "simulate_weights": "generates the synthetic row's data",
    "simulate_sem": "generates the synthetic row's data",
    "count_accuracy": "a metric (FDR, TPR, SHD), like the SHD shown",
    "structural_intervention_distance": "a metric, like the SHD shown",
    "dag_to_cpdag": "a graph utility for CPDAG metrics",
    "cpdag_shd": "a metric on equivalence classes, like the SHD shown",
    "to_dag": "a graph utility the estimators apply",
    "bootstrap_edges": "refits the estimators above on resampled rows (edge confidence)",
}

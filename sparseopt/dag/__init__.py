"""DAG structure estimation for linear structural equation models.

:class:`ColideEV` and :class:`ColideNV` implement CoLiDE (Saboksayr, Mateos &
Tepper, ICLR 2024): a concomitant score that estimates the noise scale(s)
with the graph, so the l1 weight adapts to the noise level.
:class:`DagmaLinear` is the DAGMA baseline. All use the log-det acyclicity
function and central-path continuation, return guaranteed DAGs, and take
forbidden / required edges. Graph metrics live in :mod:`sparseopt.dag.metrics`;
:func:`simulate_dag`, :func:`simulate_weights` and :func:`simulate_sem`
generate linear SEM data; :func:`bootstrap_edges` gives each edge a
confidence (its frequency over refits on resampled rows).
"""

from sparseopt.dag._bootstrap import bootstrap_edges
from sparseopt.dag._colide import ColideEV, ColideNV
from sparseopt.dag._dagma import DagmaLinear
from sparseopt.dag.metrics import (
    count_accuracy,
    cpdag_shd,
    dag_to_cpdag,
    is_dag,
    structural_hamming_distance,
    structural_intervention_distance,
    to_dag,
)
from sparseopt.dag.simulate import simulate_dag, simulate_sem, simulate_weights

__all__ = [
    "ColideEV",
    "ColideNV",
    "DagmaLinear",
    "bootstrap_edges",
    "count_accuracy",
    "cpdag_shd",
    "dag_to_cpdag",
    "is_dag",
    "simulate_dag",
    "simulate_sem",
    "simulate_weights",
    "structural_hamming_distance",
    "structural_intervention_distance",
    "to_dag",
]

"""The generic block coordinate descent engine of Nutini, Laradji & Schmidt.

``bcd_minimize(datafit, penalty, ...)`` with a data fit from
:mod:`~sparseopt.solvers.bcd.datafits`, a penalty from
:mod:`~sparseopt.solvers.bcd.penalties` and the block, selection and update
options documented in :mod:`~sparseopt.solvers.bcd.partitions`,
:mod:`~sparseopt.solvers.bcd.selection` and
:mod:`~sparseopt.solvers.bcd.updates`. The graph blocks of the paper's
message-passing experiments (red-black colourings, forest partitions,
lattice combs) are built by :mod:`~sparseopt.solvers.bcd.graph_blocks`; the
data fit's numba kernels are in :mod:`~sparseopt.solvers.bcd.block_kernels`.
Used by the engine configurations of the :mod:`sparseopt.bcd` estimators and
by :class:`sparseopt.bcd.GraphLabelPropagation`.
"""

from sparseopt.solvers.bcd.datafits import GLMDatafit, QuadraticDatafit
from sparseopt.solvers.bcd.engine import BLOCKS, SELECTIONS, UPDATES, bcd_minimize
from sparseopt.solvers.bcd.penalties import ElasticNetPenalty

__all__ = ["BLOCKS", "SELECTIONS", "UPDATES", "ElasticNetPenalty", "GLMDatafit",
           "QuadraticDatafit", "bcd_minimize"]

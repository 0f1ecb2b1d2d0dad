"""Iterative solvers on plain arrays, for users who do not want an estimator.

One subpackage per topic; each solver reports its progress in a
:class:`~sparseopt.core.ConvergenceHistory`:

- :mod:`sparseopt.solvers.glm`: working-set coordinate descent and proximal
  Newton for penalised linear, logistic and multinomial models;
- :mod:`sparseopt.solvers.bcd`: the general block coordinate descent engine of
  Nutini, Laradji & Schmidt (data fits, penalties, blocks, selection rules,
  updates) and the graph block builders;
- :mod:`sparseopt.solvers.ot`: smooth, sparsity-constrained and entropic
  optimal transport solvers;
- :mod:`sparseopt.solvers.dag`: central-path continuation for DAG learning;
- :mod:`sparseopt.solvers.iht`: iterative hard thresholding, exact or on
  noisy gradients supplied round by round (the LDP-IHT of :mod:`sparseopt.ldp`).

The functions below are the ones meant to be called directly.
"""

from sparseopt.solvers.bcd import bcd_minimize
from sparseopt.solvers.bcd.graph_blocks import (
    greedy_forest_block,
    lattice_comb_blocks,
    lattice_red_black_blocks,
    red_black_blocks,
    tree_partition_blocks,
)
from sparseopt.solvers.glm import bcd_enet, bcd_lasso, enet_dual_gap, logistic_dual_gap
from sparseopt.solvers.iht import iterative_hard_thresholding, sequential_iht

__all__ = [
    "bcd_enet",
    "bcd_lasso",
    "bcd_minimize",
    "enet_dual_gap",
    "greedy_forest_block",
    "iterative_hard_thresholding",
    "lattice_comb_blocks",
    "lattice_red_black_blocks",
    "logistic_dual_gap",
    "red_black_blocks",
    "sequential_iht",
    "tree_partition_blocks",
]

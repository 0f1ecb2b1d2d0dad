"""Floor 2: generic iterative solvers over plain arrays and small problem objects.

Each solver has a plain function API (no estimator needed) and reports its
progress in a :class:`~sparseopt.core.ConvergenceHistory`.
"""

from sparseopt.solvers.bcd import bcd_minimize
from sparseopt.solvers.enet_cd import bcd_enet, bcd_lasso, enet_dual_gap
from sparseopt.solvers.graph_blocks import (
    greedy_forest_block,
    lattice_comb_blocks,
    lattice_red_black_blocks,
    red_black_blocks,
    tree_partition_blocks,
)

__all__ = [
    "bcd_enet",
    "bcd_lasso",
    "bcd_minimize",
    "enet_dual_gap",
    "greedy_forest_block",
    "lattice_comb_blocks",
    "lattice_red_black_blocks",
    "red_black_blocks",
    "tree_partition_blocks",
]

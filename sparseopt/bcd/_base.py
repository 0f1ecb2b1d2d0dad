"""Shared machinery of the BCD estimators: the block options and the engine call."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.solvers.bcd import BLOCKS, SELECTIONS, UPDATES
from sparseopt.solvers.bcd.partitions import GRAPH_BLOCKS, check_partition

__all__ = ["BCD_CONSTRAINTS", "append_intercept_column", "check_block_size",
           "check_linear_model_options", "engine_blocks"]

BCD_CONSTRAINTS = {
    "selection": [StrOptions(set(SELECTIONS))],
    "blocks": [StrOptions(set(BLOCKS)), list],
    "block_size": [Interval(Integral, 1, None, closed="left"), None],
    "update": [StrOptions(set(UPDATES))],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

def check_block_size(block_size, n_coords, what="n_features"):
    """``block_size`` must lie in ``[1, n_coords]``."""
    if block_size is not None and block_size > n_coords:
        raise ValueError(
            f"block_size must be in [1, {what} = {n_coords}], got {block_size}."
        )


def append_intercept_column(X):
    """``[X, 1]``: the intercept as an extra (unpenalised) coordinate."""
    ones = np.ones((X.shape[0], 1), dtype=np.float64)
    if sp.issparse(X):
        return sp.hstack([X, sp.csc_matrix(ones)], format="csc")
    return np.asfortranarray(np.hstack([np.asarray(X, dtype=np.float64), ones]))


def check_linear_model_options(estimator):
    """Refuse by name the engine options that need a graph quadratic (never ignore them)."""
    name = type(estimator).__name__
    if estimator.update == "message_passing":
        raise ValueError(
            f"update='message_passing' needs a quadratic problem on a graph with forest blocks "
            f"(GraphLabelPropagation); {name} has none: use update='gradient', "
            "'adaptive_gradient', 'lipschitz_matrix', 'newton' or 'two_metric'.")
    if isinstance(estimator.blocks, str) and estimator.blocks in GRAPH_BLOCKS:
        raise ValueError(
            f"blocks={estimator.blocks!r} needs a quadratic problem on a graph "
            f"(GraphLabelPropagation); {name} takes blocks='fixed', 'sorted', 'avg', "
            "'variable' or a list of blocks.")


def engine_blocks(blocks, n_coefs, n_intercepts, what="features"):
    """Blocks for the engine: a strategy name as is, or an explicit partition of
    ``range(n_coefs)`` (checked) followed by one block of the ``n_intercepts``
    intercept coordinates."""
    if isinstance(blocks, str):
        return blocks
    partition = check_partition(blocks, n_coefs, what)
    if n_intercepts:
        partition.append(np.arange(n_coefs, n_coefs + n_intercepts, dtype=np.int64))
    return partition

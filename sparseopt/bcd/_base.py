"""Shared machinery of the BCD estimators: the block options and the engine call."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.solvers.bcd import BLOCKS, SELECTIONS, UPDATES
from sparseopt.solvers.bcd.partitions import GRAPH_BLOCKS, check_partition

__all__ = ["BCD_CONSTRAINTS", "append_intercept_column", "check_block_size",
           "check_linear_model_options", "coordinate_penalty_factors", "engine_blocks",
           "weighted_centred_problem"]

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


def coordinate_penalty_factors(weights, n_features, n_coords):
    """Penalty factors of the engine's coordinates: the features' (ones by
    default), then ones for any extra coordinates (an intercept, set by the
    caller)."""
    factors = np.ones(n_coords)
    if weights is not None:
        factors[:n_features] = weights
    return factors


def weighted_centred_problem(X, y, sample_weight, fit_intercept):
    """Weighted least squares as plain least squares without intercept.

    With weights ``s`` (any positive scale) and weighted means ``mu``,
    ``ybar``, ``sum_i s_i (y_i - x_i w - b)^2 / sum(s)`` minimised over ``b``
    equals ``||D (y - ybar) - D (X - mu) w||^2 / n`` with
    ``D = diag(sqrt(n s / sum(s)))``. Returns the dense transformed ``X``,
    ``y`` and ``(mu, ybar)`` (zeros without intercept), from which
    ``b = ybar - mu . w``.
    """
    n_samples = X.shape[0]
    scale = np.sqrt(sample_weight * (n_samples / sample_weight.sum()))
    dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    means = np.average(dense, axis=0, weights=sample_weight) if fit_intercept else \
        np.zeros(X.shape[1])
    y_mean = float(np.average(y, weights=sample_weight)) if fit_intercept else 0.0
    design = np.asfortranarray((dense - means) * scale[:, None])
    return design, (np.asarray(y, dtype=np.float64) - y_mean) * scale, means, y_mean


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

"""Fixed block partitions of the BCD engine, and the check of explicit ones.

Strategies of Nutini, Laradji & Schmidt (JMLR 2022, Section 3 and Appendix),
with ``L_i`` the coordinate Lipschitz constants and ``tau`` the block size:

``"fixed"``
    contiguous blocks ``[0, tau), [tau, 2 tau), ...`` (the paper's "Order");
``"sorted"``
    coordinates sorted by ascending ``L_i``, then cut: each block groups
    similar constants (the paper's "Sort", its best fixed partition);
``"avg"``
    coordinates sorted by ``L_i`` and interleaved smallest, largest, second
    smallest, second largest, ... before cutting, so that every block mixes
    large and small constants and the blocks have similar average ``L_i``
    (the paper's "Avg");
``"tree"``, ``"red_black"``
    forests and independent sets of the graph of a sparse quadratic
    (:mod:`~sparseopt.solvers.bcd.graph_blocks`).

Variable strategies (``"variable"``, and ``"general"`` for graph problems)
have no fixed partition: the selection rule builds a block at each iteration.
"""

import numpy as np

from sparseopt.solvers.bcd.graph_blocks import red_black_blocks, tree_partition_blocks

__all__ = ["BLOCKS", "GRAPH_BLOCKS", "VARIABLE_BLOCKS", "avg_order", "check_partition",
           "make_partition"]

BLOCKS = ("fixed", "sorted", "avg", "variable", "tree", "red_black", "general")
GRAPH_BLOCKS = ("tree", "red_black", "general")  # need a quadratic on a graph
VARIABLE_BLOCKS = ("variable", "general")


def avg_order(lipschitz):
    """Coordinates in the "Avg" order: smallest, largest, 2nd smallest, 2nd largest, ...

    Ties in ``lipschitz`` are broken by index (stable sort).
    """
    ascending = np.argsort(lipschitz, kind="stable")
    n = ascending.shape[0]
    order = np.empty(n, dtype=np.int64)
    order[0::2] = ascending[: (n + 1) // 2]
    order[1::2] = ascending[::-1][: n // 2]
    return order


def make_partition(blocks, block_size, n_coords, lipschitz, datafit):
    """The list of blocks of a fixed partition (``None`` for variable blocks).

    ``blocks`` is a strategy name or an explicit list, already checked by
    :func:`check_partition`.
    """
    if not isinstance(blocks, str):
        return [np.asarray(block, dtype=np.int64) for block in blocks]
    if blocks in VARIABLE_BLOCKS:
        return None
    if blocks == "tree":
        return tree_partition_blocks(datafit.matrix)
    if blocks == "red_black":
        return red_black_blocks(datafit.matrix)
    if blocks == "fixed":
        order = np.arange(n_coords)
    elif blocks == "sorted":
        order = np.argsort(lipschitz, kind="stable")
    else:  # avg
        order = avg_order(lipschitz)
    return [np.sort(order[start:start + block_size]).astype(np.int64)
            for start in range(0, n_coords, block_size)]


def _short_list(values, limit=10):
    values = [int(v) for v in values]
    text = ", ".join(str(v) for v in values[:limit])
    return f"[{text}{', ...' if len(values) > limit else ''}] ({len(values)} in all)"


def check_partition(blocks, n_coords, what="coordinates"):
    """Check that an explicit list of blocks partitions ``range(n_coords)``.

    Parameters
    ----------
    blocks : sequence of array-like of int
        The blocks.
    n_coords : int
        Number of coordinates.
    what : str, default="coordinates"
        What the indices number, for the messages (e.g. ``"features"``).

    Returns
    -------
    partition : list of ndarray of int64
        The blocks, each sorted.

    Raises
    ------
    TypeError
        A block is not a 1-D array of integers.
    ValueError
        A block is empty, an index is out of ``[0, n_coords)`` (negative
        indices do not wrap around), an index appears twice, or an index is
        in no block; the message lists the offending indices.
    """
    if isinstance(blocks, np.ndarray) and blocks.ndim == 1 and blocks.dtype != object:
        raise TypeError(f"blocks must be a list of blocks (lists of {what} indices), got a "
                        "flat array: wrap it, e.g. blocks=[indices].")
    try:
        items = list(blocks)
    except TypeError:
        raise TypeError(f"blocks must be a strategy name or a list of blocks (lists of {what} "
                        f"indices), got {type(blocks).__name__}.") from None
    if not items:
        raise ValueError(f"blocks must hold at least one block of {what} indices, got an empty "
                         "list.")
    partition = []
    for position, block in enumerate(items):
        array = np.asarray(block)
        if array.ndim != 1:
            raise TypeError(f"blocks[{position}] must be a 1-D list of {what} indices, got "
                            f"shape {array.shape}.")
        if array.size == 0:
            raise ValueError(f"blocks[{position}] is empty: every block needs at least one of "
                             f"the {what}.")
        if array.dtype.kind not in "iu":
            raise TypeError(f"blocks[{position}] must hold integer {what} indices, got dtype "
                            f"{array.dtype}.")
        array = array.astype(np.int64)
        outside = array[(array < 0) | (array >= n_coords)]
        if outside.size:
            raise ValueError(f"blocks[{position}] holds indices outside [0, {n_coords}) (the "
                             f"{n_coords} {what}; negative indices do not wrap around): "
                             f"{_short_list(outside)}.")
        partition.append(np.sort(array))
    counts = np.bincount(np.concatenate(partition), minlength=n_coords)
    if np.any(counts > 1):
        raise ValueError(f"blocks must not repeat {what}: indices "
                         f"{_short_list(np.flatnonzero(counts > 1))} appear more than once.")
    if np.any(counts == 0):
        raise ValueError(f"blocks must partition the {n_coords} {what}: indices "
                         f"{_short_list(np.flatnonzero(counts == 0))} are in no block "
                         "(they would never be updated).")
    return partition

"""Top-k selection with deterministic tie-breaking.

The order is "larger value first; among equal values, smaller index first".
Selection uses a bounded heap, so it costs O(n log k) instead of the
O(n log n) of a full sort; that matters for the per-column top-k of optimal
transport where k is small and n is large.
"""

import numpy as np
from numba import njit

from sparseopt.utils.validation import check_array_input, check_integer

__all__ = ["top_k_indices", "top_k_mask", "top_k_indices_kernel"]


@njit(cache=True, nogil=True)
def _ranks_before(values, i, j):
    """True if entry ``i`` comes before entry ``j`` in the top-k order."""
    return values[i] > values[j] or (values[i] == values[j] and i < j)


@njit(cache=True, nogil=True)
def _sift_down(values, heap, start, size):
    # Min-heap in the top-k order: the root is the entry ranked last.
    parent = start
    while True:
        child = 2 * parent + 1
        if child >= size:
            return
        if child + 1 < size and _ranks_before(values, heap[child], heap[child + 1]):
            child += 1
        if _ranks_before(values, heap[parent], heap[child]):
            heap[parent], heap[child] = heap[child], heap[parent]
            parent = child
        else:
            return


@njit(cache=True, nogil=True)
def top_k_indices_kernel(values, k):
    """Indices of the ``k`` largest entries of a 1-D array, best first.

    Jitted kernel without validation (``0 <= k <= values.size``, no NaN).
    Ties are broken towards the smaller index.
    """
    n = values.shape[0]
    heap = np.empty(k, dtype=np.int64)
    if k == 0:
        return heap
    for i in range(k):
        heap[i] = i
    for start in range(k // 2 - 1, -1, -1):
        _sift_down(values, heap, start, k)
    for i in range(k, n):
        if _ranks_before(values, i, heap[0]):
            heap[0] = i
            _sift_down(values, heap, 0, k)
    # Heap sort: repeatedly move the last-ranked entry to the end.
    for size in range(k - 1, 0, -1):
        heap[0], heap[size] = heap[size], heap[0]
        _sift_down(values, heap, 0, size)
    return heap


def _check_values_and_k(values, k):
    values = check_array_input(values, "values", ndim=1)
    k = check_integer(k, "k", lower=0, upper=values.shape[0])
    return values, k


def top_k_indices(values, k):
    """Indices of the ``k`` largest entries, largest first.

    Ties are broken deterministically: among equal values the smaller index
    ranks first. Runs in :math:`O(n \\log k)`.

    Parameters
    ----------
    values : array-like of shape (n,)
        Real values.
    k : int
        Number of indices to return, ``0 <= k <= n``.

    Returns
    -------
    indices : ndarray of shape (k,)
        Indices of the ``k`` largest values, in decreasing order of value.

    Examples
    --------
    >>> from sparseopt.core import top_k_indices
    >>> top_k_indices([1.0, 3.0, 3.0, 2.0], 2)
    array([1, 2])
    """
    values, k = _check_values_and_k(values, k)
    return top_k_indices_kernel(values, k)


def top_k_mask(values, k):
    """Boolean mask of the ``k`` largest entries (ties: smaller index first).

    Parameters
    ----------
    values : array-like of shape (n,)
        Real values.
    k : int
        Number of entries to keep, ``0 <= k <= n``.

    Returns
    -------
    mask : ndarray of bool, shape (n,)
        True at the ``k`` selected entries.

    Examples
    --------
    >>> from sparseopt.core import top_k_mask
    >>> top_k_mask([1.0, 3.0, 3.0, 2.0], 2)
    array([False,  True,  True, False])
    """
    values, k = _check_values_and_k(values, k)
    mask = np.zeros(values.shape[0], dtype=bool)
    mask[top_k_indices_kernel(values, k)] = True
    return mask

"""Selection kernels of the smooth OT duals: top-k by partition, simplex thresholds.

The order of the top-k is "larger value first; among equal values, smaller
index first", so the selected set is unique and the same whatever the
algorithm. :func:`partition_top_k` is an introselect (quickselect with a
median-of-three pivot, insertion sort below 16 entries and after too many
unbalanced rounds): expected linear time for every ``k``, where a bounded
heap costs ``O(n log k)`` and a full sort ``O(n log n)``.
:func:`simplex_threshold` is Michelot's (1986) projection: the threshold
``tau`` of ``sum_i [v_i - tau]_+ = radius`` by repeated averaging over the
entries still above it, without sorting.
"""

import numpy as np
from numba import njit

__all__ = ["partition_top_k", "simplex_threshold", "sort_by_index"]

_INSERTION = 16


@njit(cache=True, nogil=True, inline="always")
def _before(values, indices, p, q):
    """Entry at position ``p`` ranks before the one at ``q``."""
    return values[p] > values[q] or (values[p] == values[q] and indices[p] < indices[q])


@njit(cache=True, nogil=True, inline="always")
def _swap(values, indices, p, q):
    values[p], values[q] = values[q], values[p]
    indices[p], indices[q] = indices[q], indices[p]


@njit(cache=True, nogil=True)
def _insertion_sort(values, indices, lo, hi):
    """Sort positions ``lo..hi`` (inclusive) in the top-k order."""
    for p in range(lo + 1, hi + 1):
        q = p
        while q > lo and _before(values, indices, q, q - 1):
            _swap(values, indices, q, q - 1)
            q -= 1


@njit(cache=True, nogil=True)
def partition_top_k(values, indices, count, k):
    """Reorder ``values[:count]`` and ``indices[:count]`` (in place) so that
    their ``k`` best entries come first, in no particular order.

    ``indices`` holds distinct labels (the tie-breaker). Expected time
    ``O(count)``.
    """
    if k <= 0 or k >= count:
        return
    lo, hi = 0, count - 1
    rounds, limit = 0, 2 * int(np.log2(count)) + 4
    while hi > lo:
        if hi - lo < _INSERTION or rounds > limit:
            _insertion_sort(values, indices, lo, hi)
            return
        rounds += 1
        mid = (lo + hi) // 2
        # median of three moved to hi
        if _before(values, indices, mid, lo):
            _swap(values, indices, mid, lo)
        if _before(values, indices, hi, lo):
            _swap(values, indices, hi, lo)
        if _before(values, indices, mid, hi):
            _swap(values, indices, mid, hi)
        store = lo
        for t in range(lo, hi):
            if _before(values, indices, t, hi):
                _swap(values, indices, t, store)
                store += 1
        _swap(values, indices, store, hi)
        if store > k:
            hi = store - 1
        elif store < k - 1:
            lo = store + 1
        else:
            return


@njit(cache=True, nogil=True)
def sort_by_index(indices, values, count):
    """Sort ``indices[:count]`` increasingly, carrying ``values`` (in place)."""
    if count > _INSERTION:
        order = np.argsort(indices[:count])
        indices[:count] = indices[:count][order]
        values[:count] = values[:count][order]
        return
    for p in range(1, count):
        key, payload = indices[p], values[p]
        q = p - 1
        while q >= 0 and indices[q] > key:
            indices[q + 1] = indices[q]
            values[q + 1] = values[q]
            q -= 1
        indices[q + 1] = key
        values[q + 1] = payload


@njit(cache=True, nogil=True)
def simplex_threshold(values, count, radius):
    """``tau`` with ``sum_i [values_i - tau]_+ = radius`` over ``values[:count]``.

    Michelot's algorithm: average over the entries above the current
    threshold until none drops out (each round is one pass; the threshold
    only increases). ``count >= 1``, ``radius > 0``.
    """
    total = 0.0
    for p in range(count):
        total += values[p]
    tau = (total - radius) / count
    active = count
    while True:
        total = 0.0
        kept = 0
        for p in range(count):
            if values[p] > tau:
                total += values[p]
                kept += 1
        if kept >= active:  # no entry dropped out (>: rounding re-admitted one)
            return tau
        tau, active = max(tau, (total - radius) / kept), kept

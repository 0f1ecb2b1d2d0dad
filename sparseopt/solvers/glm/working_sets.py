"""Working-set selection shared by the working-set solvers."""

import numpy as np


def working_set_size(support_size, n_features, start):
    """Twice the support, at least ``start``, at most ``n_features``."""
    return max(min(start, n_features), min(2 * support_size, n_features))


def select_working_set(violations, support, size):
    """The support plus the largest KKT violations, at most ``size`` features, sorted.

    Only features that violate the optimality conditions or are non-zero are
    candidates, so the selection costs O(p) with a small constant.
    """
    candidates = np.flatnonzero(support | (violations > 0))
    if candidates.size > size:
        scores = np.where(support[candidates], np.inf, violations[candidates])
        candidates = np.sort(candidates[np.argpartition(scores, -size)[-size:]])
    return candidates

"""The penalised reconstruction error of codes, through the Gram matrix."""

import numpy as np
from numba import njit

__all__ = ["coding_objectives"]


@njit(cache=True, nogil=True)
def coding_objectives(gram, correlations, codes, norms_sq, alpha):
    """``1/2 ||x_i - D^T c_i||^2 + alpha ||c_i||_1`` for every signal.

    Uses ``||x - D^T c||^2 = ||x||^2 - 2 b^T c + c^T G c`` over the support
    of each code only, ``O(|support|^2)`` per signal.
    """
    n, size = codes.shape
    out = np.empty(n)
    support = np.empty(size, dtype=np.int64)
    for i in range(n):
        count = 0
        for j in range(size):
            if codes[i, j] != 0.0:
                support[count] = j
                count += 1
        quadratic = 0.0
        linear = 0.0
        l1 = 0.0
        for a in range(count):
            j = support[a]
            value = codes[i, j]
            linear += value * correlations[i, j]
            l1 += abs(value)
            row = 0.0
            for b in range(count):
                row += gram[j, support[b]] * codes[i, support[b]]
            quadratic += value * row
        out[i] = max(0.5 * (norms_sq[i] - 2.0 * linear + quadratic), 0.0) + alpha * l1
    return out

"""Dictionary learning and sparse coding.

- :func:`sparse_encode` and :class:`SparseCoder`: codes of signals on a
  given dictionary (exact lasso, batch OMP, ORMP, matching pursuit, iterative
  l_q and CEL0 thresholding), many signals at once on threads.

The coders are the kernels of :mod:`sparseopt.solvers.sparse_coding`.
"""

from sparseopt.dictionary._coding import SparseCoder, sparse_encode

__all__ = ["SparseCoder", "sparse_encode"]

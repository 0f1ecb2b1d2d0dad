"""Sparse coding: many signals against one dictionary, through its Gram matrix.

Kernels that code every row of a data matrix on the atoms of a dictionary
(lasso by working-set coordinate descent reusing the Gram-mode kernel of
:mod:`sparseopt.solvers.glm`, batch OMP and ORMP with progressive Cholesky
factors, matching pursuit, iterative l_q and CEL0 thresholding), one signal
at a time in numba loops that release the GIL, and the driver that spreads
chunks of signals over threads. Used by :mod:`sparseopt.dictionary`
(``sparse_encode``, ``SparseCoder`` and the coding step of every dictionary
learner).
"""

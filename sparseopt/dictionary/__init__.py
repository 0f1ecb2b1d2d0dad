"""Dictionary learning and sparse coding.

- :func:`sparse_encode` and :class:`SparseCoder`: codes of signals on a
  given dictionary (exact lasso, batch OMP, ORMP, matching pursuit, iterative
  l_q and CEL0 thresholding), many signals at once on threads.
- :class:`OnlineDictionaryLearning`: Mairal et al.'s online dictionary
  learning (scikit-learn's ``MiniBatchDictionaryLearning``), with
  ``partial_fit`` and the masking objective of Chidambaram et al.
- :class:`OnlineOrthogonalDictionaryLearning`: Xue & Lau's online orthogonal
  dictionary learning by Frank-Wolfe over the spectral-norm ball.
- :class:`SupervisedDictionaryLearning`: Lee, Lyu & Yao's supervised
  dictionary learning with auxiliary covariates (filter and feature
  variants; low-rank projected gradient descent on the lifted problem, or
  block coordinate descent on the factored one).

The coders are the kernels of :mod:`sparseopt.solvers.sparse_coding`, the
dictionary updates those of :mod:`sparseopt.solvers.dictionary`.
"""

from sparseopt.dictionary._coding import SparseCoder, sparse_encode
from sparseopt.dictionary._online import OnlineDictionaryLearning
from sparseopt.dictionary._orthogonal import OnlineOrthogonalDictionaryLearning
from sparseopt.dictionary._supervised import SupervisedDictionaryLearning

__all__ = ["OnlineDictionaryLearning", "OnlineOrthogonalDictionaryLearning", "SparseCoder",
           "SupervisedDictionaryLearning", "sparse_encode"]

"""Dictionary learning algorithms on plain arrays.

The dictionary-update steps of the learners of :mod:`sparseopt.dictionary`
(the coding steps are :mod:`sparseopt.solvers.sparse_coding`):

- :mod:`~sparseopt.solvers.dictionary.online`: Mairal et al.'s online
  dictionary learning (sufficient statistics, block coordinate descent over
  the atoms, the masking objective of Chidambaram et al.);
- :mod:`~sparseopt.solvers.dictionary.orthogonal`: Xue & Lau's online
  orthogonal dictionary learning by Frank-Wolfe over the spectral-norm ball;
- :mod:`~sparseopt.solvers.dictionary.supervised`: Lee, Lyu & Yao's
  supervised dictionary learning with auxiliary covariates, by low-rank
  projected gradient descent on the lifted problem (filter and feature
  variants);
- :mod:`~sparseopt.solvers.dictionary.supervised_bcd`: the same model by
  block coordinate descent with diminishing radius on the factored problem.
"""

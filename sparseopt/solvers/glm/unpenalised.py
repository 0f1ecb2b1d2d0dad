r"""A dual point of binary logistic regression feasible for its unpenalised features.

The dual point of :mod:`sparseopt.solvers.glm.classification_gap` (the loss
derivative :math:`u`) must satisfy :math:`X_U^\top u = 0` on the block
:math:`U` of features of zero penalty factor (with the intercept, a column of
ones, when one is fitted), which holds only at their optimum; away from it
the gap is no bound at all (it can even be negative). The Newton step of that
block, :math:`\delta = -H_{UU}^{+} g_U` with :math:`g_U = X_U^\top u` and
:math:`H_{UU} = X_U^\top \operatorname{diag}(h) X_U`, moves the linearised
derivative to

.. math:: u' = u + h \odot X_U\delta, \qquad X_U^\top u' = g_U + H_{UU}\delta = 0,

a feasible point whenever each implied probability
:math:`q_i = s_i(1 - y_i(1 - s_i)(X_U\delta)_i)` (:math:`s_i` the
probability of the wrong label) stays in [0, 1], which holds once
:math:`\max_i |(X_U\delta)_i| \le 1`. The gap at :math:`u'` is then a
certificate at every iterate, tight at the optimum (:math:`\delta = 0`);
elsewhere the objective itself is one (the gap at :math:`u = 0`).
:math:`\delta` is a least-squares fit, :math:`A\delta \approx -v` with
:math:`A = \operatorname{diag}(\sqrt h) X_U` and :math:`v = u / \sqrt h`,
without forming :math:`H_{UU}`: time :math:`O(n |U|^2)`, plus one product
with :math:`X^\top` per evaluation.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lstsq
from scipy.special import expit

__all__ = ["UnpenalisedBlock"]


class UnpenalisedBlock:
    """The unpenalised columns of a binary logistic fit and the dual point
    feasible for them.

    Parameters
    ----------
    matrix : ndarray or sparse matrix of shape (n_samples, n_features)
        The design.
    features : ndarray of int
        The features of zero penalty factor.
    fit_intercept : bool
        Add the intercept (a column of ones) to the block.
    """

    def __init__(self, matrix, features, fit_intercept):
        columns = matrix[:, features]
        columns = columns.toarray() if sp.issparse(columns) else np.asarray(columns)
        if fit_intercept:
            columns = np.column_stack([columns, np.ones(matrix.shape[0])])
        self.columns = np.asarray(columns, dtype=np.float64)

    def dual_point(self, target, z, deriv, hess):
        """The derivative ``u'`` after the block's Newton step and its
        probabilities ``q``; ``None`` when a ``q`` leaves [0, 1]."""
        root = np.sqrt(np.maximum(hess, np.finfo(float).tiny))
        scaled = self.columns * root[:, None]
        # QR with column pivoting (rank-revealing, as the SVD, and faster)
        step = -lstsq(scaled, deriv / root, lapack_driver="gelsy", check_finite=False)[0]
        change = self.columns @ step
        wrong = expit(-target * z)
        probabilities = wrong * (1.0 - target * expit(target * z) * change)
        if not np.all((probabilities >= 0.0) & (probabilities <= 1.0)):
            return None
        return deriv + hess * change, probabilities

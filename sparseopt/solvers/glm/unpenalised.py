r"""Dual points of logistic and softmax regression feasible for their unpenalised features.

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

__all__ = ["UnpenalisedBlock", "SoftmaxUnpenalisedBlock"]


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
        self.columns = _block_columns(matrix, features, fit_intercept)

    def dual_point(self, target, z, deriv, hess):
        """The derivative ``u'`` after the block's Newton step and its
        probabilities ``q``; ``None`` when a ``q`` leaves [0, 1]."""
        root = np.sqrt(np.maximum(hess, np.finfo(float).tiny))
        scaled = self.columns * root[:, None]
        step = -_least_squares(scaled, deriv / root)
        change = self.columns @ step
        wrong = expit(-target * z)
        probabilities = wrong * (1.0 - target * expit(target * z) * change)
        if not np.all((probabilities >= 0.0) & (probabilities <= 1.0)):
            return None
        return deriv + hess * change, probabilities


class SoftmaxUnpenalisedBlock:
    r"""The unpenalised rows of a softmax fit (features of zero penalty
    factor, the intercepts) and the dual point feasible for them.

    With :math:`K` classes, sample :math:`i`'s curvature is
    :math:`c_i(\operatorname{diag} p_i - p_i p_i^\top) = c_i M_i M_i^\top`,
    :math:`M_i = \operatorname{diag}\sqrt{p_i} - p_i\sqrt{p_i}^\top`, and
    the loss derivative :math:`c_i(p_i - e_{y_i}) = \sqrt{c_i} M_i v_i` with
    :math:`v_i = \sqrt{c_i}(p_i - e_{y_i}) / \sqrt{p_i}`: the block's Newton
    step :math:`\Delta` (``m x K`` for ``m`` unpenalised columns) is the
    least-squares fit of :math:`-v` by the ``nK x mK`` matrix of rows
    :math:`\sqrt{c_i}\, M_i^\top \otimes \tilde x_i^\top`, and the
    linearised probabilities :math:`q_i = p_i \odot (1 + \delta_i -
    p_i^\top\delta_i)`, :math:`\delta_i = \Delta^\top\tilde x_i`, sum to
    one and give :math:`\tilde X^\top C(Q - Y) = 0`: a feasible dual point
    when they are non-negative. Time :math:`O(n K^3 m^2)`, memory
    :math:`O(n K^2 m)`.

    Parameters
    ----------
    matrix : ndarray or sparse matrix of shape (n_samples, n_features)
        The design.
    features : ndarray of int
        The features of zero penalty factor.
    fit_intercept : bool
        Add the intercepts (a column of ones) to the block.
    """

    def __init__(self, matrix, features, fit_intercept):
        self.columns = _block_columns(matrix, features, fit_intercept)

    def dual_point(self, P, onehot, sample_scale):
        """The derivative ``C (Q - Y)`` after the block's Newton step and the
        probabilities ``Q`` (both ``(n, K)``); ``None`` when a ``q`` is negative."""
        n_samples, n_classes = P.shape
        roots = np.sqrt(np.maximum(P, np.finfo(float).tiny))
        scale = np.sqrt(sample_scale)
        # M_i^T[k', k] = delta_kk' sqrt(p_k) - p_k sqrt(p_k')
        transposed = (np.eye(n_classes) * roots[:, None, :]
                      - roots[:, :, None] * P[:, None, :]) * scale[:, None, None]
        design = (transposed[:, :, None, :] * self.columns[:, None, :, None]).reshape(
            n_samples * n_classes, -1)
        target = (scale[:, None] * (P - onehot) / roots).ravel()
        step = -_least_squares(design, target)
        change = self.columns @ step.reshape(self.columns.shape[1], n_classes)
        probabilities = P * (1.0 + change - np.sum(P * change, axis=1, keepdims=True))
        if np.any(probabilities < 0.0):
            return None
        return sample_scale[:, None] * (probabilities - onehot), probabilities


def _least_squares(design, target):
    """The least-squares solution by QR with column pivoting (rank-revealing,
    as the SVD, and faster), singular values below ``eps * max(shape)`` times
    the largest taken as zero (numpy's rule; scipy's default ``eps`` keeps the
    rounding noise of a rank-deficient block, e.g. a duplicated column or the
    softmax's common shift, and its solution is then garbage)."""
    cutoff = np.finfo(float).eps * max(design.shape)
    return lstsq(design, target, cond=cutoff, lapack_driver="gelsy", check_finite=False)[0]


def _block_columns(matrix, features, fit_intercept):
    """The dense float64 columns ``features`` of ``matrix`` (and ones)."""
    columns = matrix[:, features]
    columns = columns.toarray() if sp.issparse(columns) else np.asarray(columns)
    if fit_intercept:
        columns = np.column_stack([columns, np.ones(matrix.shape[0])])
    return np.asarray(columns, dtype=np.float64)

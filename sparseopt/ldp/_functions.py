"""The non-private estimator that the NLDP algorithm yields as a by-product."""

import numpy as np

from sparseopt.core.thresholds import soft_threshold
from sparseopt.utils.validation import check_array_input, check_consistent_length, check_scalar

__all__ = ["thresholded_least_squares"]


def thresholded_least_squares(X, y, threshold):
    r"""The efficient sparse estimator :math:`S_\lambda\big((X^\top X)^{-1}X^\top y\big)`.

    Zhu et al. (ICLR 2024) obtain it as the noiseless limit of their
    non-interactive LDP algorithm: soft thresholding of the least-squares
    solution, which is the closed-form solution of

    .. math:: \min_\theta \|\theta\|_1 \quad\text{s.t.}\quad
              \|\theta - (X^\top X)^{-1}X^\top y\|_\infty \le \lambda,

    with :math:`\|\hat\theta - \theta^*\|_2 \le 4\sqrt k\,\lambda` once
    :math:`\lambda` exceeds the least-squares error in l-infinity norm. One
    :math:`O(nd^2 + d^3)` solve, no iterations.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design of full column rank (``n_samples >= n_features``).
    y : array-like of shape (n_samples,)
        Target.
    threshold : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        The estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ldp import thresholded_least_squares
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 4))
    >>> y = X @ np.array([1.0, 0.0, -2.0, 0.0]) + 0.01 * rng.standard_normal(500)
    >>> np.round(thresholded_least_squares(X, y, 0.05), 1) + 0.0  # + 0.0: no -0.
    array([ 1. ,  0. , -1.9,  0. ])
    """
    X = check_array_input(X, "X", ndim=2, dtype=np.float64)
    y = check_array_input(y, "y", ndim=1, dtype=np.float64)
    check_consistent_length(X=X, y=y)
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    gram = X.T @ X
    rank = np.linalg.matrix_rank(gram)
    if rank < X.shape[1]:
        raise ValueError(f"X has rank {rank} < n_features={X.shape[1]}: X^T X is singular "
                         "(fewer samples than features, or dependent columns).")
    return soft_threshold(np.linalg.solve(gram, X.T @ y), threshold)

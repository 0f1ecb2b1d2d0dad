"""Synthetic problem generators."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["make_sparse_regression"]


def make_sparse_regression(n_samples=100, n_features=1000, n_informative=None, *,
                           rho=0.0, snr=3.0, sparse_density=1.0, random_state=None):
    r"""Linear regression data with a sparse truth and Toeplitz-correlated features.

    Rows of :math:`X` are Gaussian with covariance
    :math:`\Sigma_{ij} = \rho^{|i - j|}`, drawn in :math:`O(np)` as an AR(1)
    process across features. The true coefficients have ``n_informative``
    non-zeros at random positions with standard normal values, and

    .. math:: y = X w^* + \varepsilon, \qquad
              \|X w^*\|_2 / \|\varepsilon\|_2 = \mathrm{snr}.

    With ``sparse_density < 1`` each entry of :math:`X` is kept with that
    probability and :math:`X` is returned as a CSC matrix (the recipe of the
    Lasso benchmarks of celer, skglm and benchopt).

    Parameters
    ----------
    n_samples : int, default=100
        Number of samples :math:`n`.
    n_features : int, default=1000
        Number of features :math:`p`.
    n_informative : int, optional
        Number of non-zero true coefficients (default ``max(1, p // 10)``).
    rho : float, default=0.0
        Correlation between neighbouring features, ``0 <= rho < 1``.
    snr : float, default=3.0
        Signal-to-noise ratio (of norms); ``np.inf`` gives noiseless data.
    sparse_density : float, default=1.0
        Fraction of non-zero entries of :math:`X`, in ``(0, 1]``; below 1,
        :math:`X` is sparse CSC.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or CSC matrix
        Design (Fortran-ordered when dense).
    y : ndarray of shape (n_samples,)
        Target.
    coef : ndarray of shape (n_features,)
        True coefficients :math:`w^*`.

    Examples
    --------
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, coef = make_sparse_regression(50, 200, 5, rho=0.5, random_state=0)
    >>> X.shape, int((coef != 0).sum())
    ((50, 200), 5)
    """
    n_samples = check_integer(n_samples, "n_samples", lower=1)
    n_features = check_integer(n_features, "n_features", lower=1)
    if n_informative is None:
        n_informative = max(1, n_features // 10)
    n_informative = check_integer(n_informative, "n_informative", lower=0, upper=n_features)
    rho = check_scalar(rho, "rho", lower=0.0, upper=1.0, upper_inclusive=False)
    if not (isinstance(snr, int | float) and snr > 0):
        raise ValueError(f"snr must be a positive number (np.inf allowed), got {snr!r}.")
    sparse_density = check_scalar(sparse_density, "sparse_density", lower=0.0, upper=1.0,
                                  lower_inclusive=False)
    rng = check_random_state(random_state)

    X = np.empty((n_samples, n_features), order="F")
    X[:, 0] = rng.standard_normal(n_samples)
    innovation_scale = np.sqrt(1.0 - rho**2)
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + innovation_scale * rng.standard_normal(n_samples)
    if sparse_density < 1.0:
        X = sp.csc_matrix(X * (rng.random_sample(X.shape) < sparse_density))

    coef = np.zeros(n_features)
    support = rng.choice(n_features, n_informative, replace=False)
    coef[support] = rng.standard_normal(n_informative)
    signal = np.asarray(X @ coef).ravel()
    y = signal.copy()
    if np.isfinite(snr):
        noise = rng.standard_normal(n_samples)
        signal_norm = np.linalg.norm(signal)
        if signal_norm > 0:
            y += noise * signal_norm / (snr * np.linalg.norm(noise))
    return X, y, coef

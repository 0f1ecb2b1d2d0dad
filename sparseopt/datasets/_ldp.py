"""Synthetic data for locally private sparse regression."""

import numpy as np

from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["make_ldp_regression"]


def make_ldp_regression(n_samples=1000, n_features=50, n_nonzero=5, *, coef=None, coef_norm=1.0,
                        noise=0.1, covariance="identity", rho=0.5, heavy_tailed=False, df=3.0,
                        n_public=0, random_state=None):
    r"""Sparse linear regression data, one user per row, as in the LDP literature.

    Features :math:`x \sim \mathcal N(0, \Sigma)` with :math:`\Sigma = I`
    (``covariance="identity"``) or the Toeplitz matrix
    :math:`\Sigma_{ij} = \rho^{|i-j|}` (``"toeplitz"``, an AR(1) process
    across features), unit variances in both; the truth :math:`\theta^*` has
    ``n_nonzero`` entries of equal magnitude and random signs at random
    positions, scaled to :math:`\|\theta^*\|_2` = ``coef_norm``; and

    .. math:: y = \langle\theta^*, x\rangle + \sigma\zeta .

    With ``heavy_tailed=True`` the innovations of :math:`x` and the noise
    :math:`\zeta` are Student-t with ``df`` degrees of freedom, scaled to unit
    variance (``df > 2``): the heavy tails that the truncation of Zhu et al.
    is for.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of users :math:`n`.
    n_features : int, default=50
        Dimension :math:`d`.
    n_nonzero : int, default=5
        Sparsity :math:`k` (ignored when ``coef`` is given).
    coef : array-like of shape (n_features,), optional
        The truth to use (for example to draw more users of the same model).
    coef_norm : float, default=1.0
        :math:`\|\theta^*\|_2` (ignored when ``coef`` is given).
    noise : float, default=0.1
        Noise level :math:`\sigma \ge 0`.
    covariance : {"identity", "toeplitz"}, default="identity"
        Covariance of the features.
    rho : float, default=0.5
        Correlation of neighbouring features for ``"toeplitz"``, in [0, 1).
    heavy_tailed : bool, default=False
        Student-t innovations and noise.
    df : float, default=3.0
        Degrees of freedom of the Student-t, > 2.
    n_public : int, default=0
        If positive, also return ``n_public`` unlabelled rows from the same
        feature distribution (public data for ``mode="public"``).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Features.
    y : ndarray of shape (n_samples,)
        Targets.
    coef : ndarray of shape (n_features,)
        The truth :math:`\theta^*`.
    X_public : ndarray of shape (n_public, n_features)
        Only when ``n_public > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.datasets import make_ldp_regression
    >>> X, y, coef = make_ldp_regression(100, 20, 3, covariance="toeplitz", random_state=0)
    >>> X.shape, int(np.count_nonzero(coef)), float(np.round(np.linalg.norm(coef), 6))
    ((100, 20), 3, 1.0)
    """
    from sklearn.utils import check_random_state

    n_samples = check_integer(n_samples, "n_samples", lower=1)
    n_features = check_integer(n_features, "n_features", lower=1)
    noise = check_scalar(noise, "noise", lower=0.0)
    if covariance not in ("identity", "toeplitz"):
        raise ValueError(f"covariance must be 'identity' or 'toeplitz', got {covariance!r}.")
    rho = check_scalar(rho, "rho", lower=0.0, upper=1.0, upper_inclusive=False)
    df = check_scalar(df, "df", lower=2.0, lower_inclusive=False)
    if not isinstance(heavy_tailed, bool | np.bool_):
        raise TypeError(f"heavy_tailed must be a bool, got {type(heavy_tailed).__name__}.")
    n_public = check_integer(n_public, "n_public", lower=0)
    rng = check_random_state(random_state)
    if coef is None:
        n_nonzero = check_integer(n_nonzero, "n_nonzero", lower=0, upper=n_features)
        coef_norm = check_scalar(coef_norm, "coef_norm", lower=0.0)
        coef = np.zeros(n_features)
        support = rng.choice(n_features, n_nonzero, replace=False)
        if n_nonzero:
            coef[support] = rng.choice([-1.0, 1.0], n_nonzero) * coef_norm / np.sqrt(n_nonzero)
    else:
        coef = check_array_input(coef, "coef", ndim=1, dtype=np.float64).copy()
        if coef.shape[0] != n_features:
            raise ValueError(f"coef must have n_features={n_features} entries, got "
                             f"{coef.shape[0]}.")

    def innovations(shape):
        if not heavy_tailed:
            return rng.standard_normal(shape)
        return rng.standard_t(df, shape) * np.sqrt((df - 2.0) / df)

    def features(n_rows):
        X = innovations((n_rows, n_features))
        if covariance == "toeplitz":
            scale = np.sqrt(1.0 - rho**2)
            for j in range(1, n_features):
                X[:, j] = rho * X[:, j - 1] + scale * X[:, j]
        return X

    X = features(n_samples)
    y = X @ coef + noise * innovations(n_samples)
    if n_public:
        return X, y, coef, features(n_public)
    return X, y, coef

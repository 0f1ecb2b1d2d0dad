"""Regularisation paths with warm starts."""

import numpy as np

from sparseopt.solvers.glm.elastic_net import check_regression_data, solve_enet
from sparseopt.utils.validation import check_array, check_integer, check_scalar

__all__ = ["lasso_path"]


def lasso_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, l1_ratio=1.0,
               fit_intercept=False, positive=False, selection="cyclic", precompute="auto",
               screening=True, tol=1e-4, max_iter=1000, return_n_iter=False):
    r"""Lasso (or elastic-net) solutions along a decreasing grid of ``alpha``.

    Solves, for each :math:`\alpha` of the grid, from the largest to the
    smallest and each warm-started at the previous solution,

    .. math:: \frac{1}{2n}\|y - Xw - b\|_2^2 + \alpha\rho\|w\|_1
              + \frac{\alpha(1-\rho)}{2}\|w\|_2^2

    with the working-set coordinate-descent solver of
    :class:`~sparseopt.bcd.Lasso` (Gap Safe screening, Anderson
    extrapolation), each to a duality gap of ``tol * P(0)``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design. Not modified.
    y : array-like of shape (n_samples,)
        Target. Not modified.
    alphas : array-like, optional
        The grid (sorted decreasingly before solving). By default ``n_alphas``
        values log-spaced from :math:`\alpha_{max} = \|X^\top y\|_\infty / (n\rho)`
        (the smallest alpha with a zero solution) down to ``eps * alpha_max``.
    n_alphas : int, default=100
        Grid size when ``alphas`` is not given.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` when ``alphas`` is not given.
    l1_ratio : float, default=1.0
        :math:`\rho \in (0, 1]`.
    fit_intercept : bool, default=False
        Fit an unpenalised intercept.
    positive : bool, default=False
        Non-negative coefficients.
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate rule inside the working sets.
    precompute : "auto" or bool, default="auto"
        Use the Gram matrix (formed once for the whole path).
    screening : bool, default=True
        Gap Safe screening.
    tol : float, default=1e-4
        Relative duality-gap tolerance of every solve.
    max_iter : int, default=1000
        Maximum outer iterations per solve.
    return_n_iter : bool, default=False
        Also return the number of outer iterations of each solve.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        Solutions, one column per alpha.
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap of each solution (objective units).
    n_iters : ndarray of shape (n_alphas,)
        Outer iterations per solve, if ``return_n_iter``.

    See Also
    --------
    sklearn.linear_model.lasso_path : The anchor (same objective and outputs).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import lasso_path
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, _ = make_sparse_regression(50, 100, 5, random_state=0)
    >>> alphas, coefs, gaps = lasso_path(X, y, n_alphas=10)
    >>> coefs.shape, bool(np.all(coefs[:, 0] == 0))
    ((100, 10), True)
    """
    X, y = check_regression_data(X, y)
    l1_ratio = check_scalar(l1_ratio, "l1_ratio", lower=0.0, upper=1.0, lower_inclusive=False)
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    n_samples = X.shape[0]
    if alphas is None:
        n_alphas = check_integer(n_alphas, "n_alphas", lower=1)
        eps = check_scalar(eps, "eps", lower=0.0, upper=1.0, lower_inclusive=False)
        centred = y - y.mean() if fit_intercept else y
        correlation = np.asarray(X.T @ centred).ravel()
        if fit_intercept:
            means = np.asarray(X.mean(axis=0)).ravel()
            correlation = correlation - means * centred.sum()
        top = correlation.max() if positive else np.abs(correlation).max()
        alpha_max = max(float(top), np.finfo(float).tiny) / (n_samples * l1_ratio)
        alphas = np.geomspace(alpha_max, alpha_max * eps, n_alphas)
    else:
        alphas = check_array(alphas, ensure_2d=False, dtype=np.float64, input_name="alphas")
        if alphas.ndim != 1 or np.any(alphas < 0):
            raise ValueError("alphas must be a 1-D array of non-negative values.")
        alphas = np.sort(alphas)[::-1]
    coefs = np.empty((X.shape[1], alphas.size), dtype=X.dtype)
    gaps = np.empty(alphas.size)
    n_iters = np.empty(alphas.size, dtype=np.int64)
    coef, cache = None, {}
    for k, alpha in enumerate(alphas):
        coef, _, info = solve_enet(
            X, y, alpha * l1_ratio, alpha * (1.0 - l1_ratio), fit_intercept=fit_intercept,
            positive=positive, selection=selection, precompute=precompute, screening=screening,
            tol=tol, max_iter=max_iter, coef_init=coef, cache=cache)
        coefs[:, k] = coef
        gaps[k] = info["dual_gap"]
        n_iters[k] = info["n_iter"]
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps

"""Regularisation paths with warm starts."""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import nnls
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from sparseopt.solvers.glm.designs import LeastSquaresDesign, normalise_sample_weight
from sparseopt.solvers.glm.elastic_net import (
    SELECTION_RULES,
    check_penalty_weights,
    check_precompute,
    check_regression_data,
    check_sample_weight_array,
    solve_enet,
)
from sparseopt.solvers.glm.multitask import solve_multitask
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import check_array

__all__ = ["lasso_path", "enet_path", "alpha_grid"]


# Relative margin on alpha_max after fitting the unpenalised features alone
# (its rounding left penalised coefficients of 1e-15 at the exact boundary).
UNPENALISED_FIT_MARGIN = 1e-10


def geometric_grid(alpha_max, n_alphas, eps):
    """``n_alphas`` values log-spaced from ``alpha_max`` down to ``eps *
    alpha_max``; when ``alpha_max`` is 0 (every solution is zero), the
    float64 resolution 1e-15 repeated, as scikit-learn's grid."""
    resolution = np.finfo(np.float64).resolution
    if not alpha_max > resolution:
        return np.full(n_alphas, resolution)
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def alpha_grid(X, y, *, l1_ratio=1.0, fit_intercept=False, positive=False, sample_weight=None,
               weights=None, n_alphas=100, eps=1e-3, Xy=None):
    r"""The default grid: ``n_alphas`` values log-spaced from ``alpha_max`` down
    to ``eps * alpha_max``.

    :math:`\alpha_{max} = \max_{j: \omega_j > 0} |x_j^\top r| / (n \rho \omega_j)`
    on the (weighted, centred) data, with :math:`r` the residual of ``y``
    after fitting the unpenalised features alone (least squares, or
    non-negative least squares under ``positive``; ``y`` itself without
    them), is the smallest alpha whose solution has no penalised non-zero
    (with unpenalised features, raised by a relative 1e-10 against the
    rounding of their fit, which left penalised coefficients of 1e-15).

    Parameters
    ----------
    X, y : validated arrays
        Design and target.
    l1_ratio, fit_intercept, positive, sample_weight, weights, n_alphas, eps
        As in :func:`lasso_path`.
    Xy : ndarray of shape (n_features,) or (n_features, n_tasks), optional
        ``X^T y`` when already computed (validated by :func:`lasso_path`:
        only without intercept and sample weights).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        Decreasing grid.
    """
    design = LeastSquaresDesign(X, fit_intercept, normalise_sample_weight(sample_weight,
                                                                         X.shape[0]))
    factors = np.ones(X.shape[1]) if weights is None else weights
    penalised = factors > 0
    if y.ndim == 2:  # multi-task: row norms of X^T R
        correlation = Xy if Xy is not None else np.column_stack(
            [design.centred_rmatvec(design.target(y[:, t])[0], 0.0) for t in range(y.shape[1])])
        correlation = np.linalg.norm(off_unpenalised(design, correlation, ~penalised, False),
                                     axis=1)
    else:
        correlation = (Xy if Xy is not None
                       else design.centred_rmatvec(design.target(y)[0], 0.0))
        correlation = off_unpenalised(design, correlation, ~penalised, positive)
    if not positive:
        correlation = np.abs(correlation)
    top = float(np.max(correlation[penalised] / factors[penalised], initial=0.0))
    if not penalised.all():
        top *= 1.0 + UNPENALISED_FIT_MARGIN
    return geometric_grid(top / (X.shape[0] * l1_ratio), n_alphas, eps)


def off_unpenalised(design, correlation, unpenalised, positive):
    """``X_c^T r`` with ``r`` the residual of the target (whose ``X_c^T y_c`` is
    ``correlation``) after its least-squares fit (non-negative under
    ``positive``) on the unpenalised columns alone, from their Gram matrix."""
    features = np.flatnonzero(unpenalised)
    if features.size == 0:
        return correlation
    gram = design.centred_cross(features, features)
    right = correlation[features]
    if positive:  # NNLS on a square root of the Gram matrix
        values, vectors = np.linalg.eigh(gram)
        keep = values > 1e-12 * max(float(values.max()), np.finfo(float).tiny)
        roots = np.sqrt(values[keep])
        solution = nnls(roots[:, None] * vectors[:, keep].T,
                        (vectors[:, keep].T @ right) / roots)[0]
    else:
        solution = np.linalg.lstsq(gram, right, rcond=None)[0]
    return correlation - design.centred_cross(None, features) @ solution


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratio": [Interval(Real, 0, 1, closed="right")],
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        "selection": [StrOptions(set(SELECTION_RULES))],
        "precompute": [StrOptions({"auto"}), "boolean", "array-like"],
        "Xy": ["array-like", None],
        "copy_X": ["boolean"],
        "screening": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "coef_init": ["array-like", None],
        "sample_weight": ["array-like", None],
        "weights": ["array-like", None],
        "return_n_iter": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "check_input": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def lasso_path(X, y, *, eps=1e-3, alphas=100, l1_ratio=1.0, fit_intercept=False,
               positive=False, selection="cyclic", precompute="auto", Xy=None, copy_X=True,
               screening=True, tol=1e-4, max_iter=1000, coef_init=None, sample_weight=None,
               weights=None, random_state=None, return_n_iter=False, verbose=0,
               check_input=True):
    r"""Lasso (or elastic-net) solutions along a decreasing grid of ``alpha``.

    Solves, for each :math:`\alpha` of the grid, from the largest to the
    smallest and each warm-started at the previous solution,

    .. math:: \frac{1}{2\sum_i s_i}\sum_i s_i(y_i - x_i^\top w - b)^2
              + \alpha\sum_j\omega_j\left(\rho|w_j| + \frac{1-\rho}{2}w_j^2\right)

    with the working-set coordinate-descent solver of
    :class:`~sparseopt.bcd.Lasso` (Gap Safe screening, Anderson
    extrapolation, Gram blocks shared by the whole path), each to its
    stopping rule (duality gap at most ``tol * P(0)`` and a last-epoch change
    at most ``tol * max|w|``). The parameter names are scikit-learn 1.9's:
    ``alphas`` is either the grid or the number of grid points.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design. Not modified.
    y : array-like of shape (n_samples,) or (n_samples, n_tasks)
        Target. Not modified. A 2-D ``y`` gives the multi-task path (the
        l2,1 penalty of :class:`~sparseopt.bcd.MultiTaskElasticNet`, as
        scikit-learn's ``lasso_path`` does); ``selection`` and
        ``precompute`` then do not apply, and ``positive=True`` raises (as
        in scikit-learn).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid, in ``(0, 1)``.
    alphas : int or array-like, default=100
        The number of automatic grid values, log-spaced from
        :math:`\alpha_{max}` (the smallest alpha with no non-zero penalised coefficient) down to
        ``eps * alpha_max``; or the grid itself (non-negative, sorted
        decreasingly before solving).
    l1_ratio : float, default=1.0
        :math:`\rho \in (0, 1]`.
    fit_intercept : bool, default=False
        Fit an unpenalised intercept (scikit-learn's ``lasso_path`` has
        none). The intercepts are not returned: for coefficients ``w`` they
        are ``ybar - xbar @ w``, with the (sample-weighted) means of ``y``
        and of the columns of ``X``.
    positive : bool, default=False
        Non-negative coefficients.
    selection : {"cyclic", "random", "gs", "gsl"}, default="cyclic"
        Coordinate rule inside the working sets (``"random"`` is seeded by
        ``random_state``).
    precompute : "auto", bool or ndarray, default="auto"
        As in :class:`~sparseopt.bcd.Lasso`; the Gram matrix (or the cached
        Gram blocks) serve the whole path.
    Xy : array-like of shape (n_features,) or (n_features, n_tasks), default=None
        ``X^T y`` when already computed (as scikit-learn's): replaces that
        product in the automatic grid's :math:`\alpha_{max}`. Only for the
        raw data (``fit_intercept=False``, no ``sample_weight``); a product
        of the wrong shape or with non-finite values raises. It is trusted
        otherwise: a wrong ``Xy`` gives a wrong grid, as in scikit-learn.
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified,
        whatever the value (scikit-learn's ``copy_X=False`` allows it to
        overwrite ``X``).
    screening : bool, default=True
        Gap Safe screening.
    tol : float, default=1e-4
        Relative tolerance of every solve.
    max_iter : int, default=1000
        Maximum epochs per solve.
    coef_init : array-like of shape (n_features,) or (n_tasks, n_features), default=None
        Start of the first solve.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights (rescaled to sum to ``n_samples``).
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors (0: unpenalised).
    random_state : int, RandomState instance or None, default=None
        Seeds ``selection="random"`` (as scikit-learn's ``random_state``).
    return_n_iter : bool, default=False
        Also return the number of epochs of each solve.
    verbose : int, default=0
        Print the solves' progress through one
        :class:`~sparseopt.utils.IterationPrinter` (at most a line a second at
        ``verbose=1``).
    check_input : bool, default=True
        Accepted for scikit-learn compatibility: the input is checked whatever
        the value (the checks cost one pass over ``X``, scikit-learn's
        ``check_input=False`` skips them).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas) or (n_tasks, n_features, n_alphas)
        Solutions, one column per alpha.
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap of each solution (objective units).
    n_iters : ndarray of shape (n_alphas,)
        Epochs per solve, if ``return_n_iter``.

    See Also
    --------
    sklearn.linear_model.lasso_path : The anchor (same objective and outputs).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import lasso_path
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, _ = make_sparse_regression(50, 100, 5, random_state=0)
    >>> alphas, coefs, gaps = lasso_path(X, y, alphas=10)
    >>> coefs.shape, bool(np.all(coefs[:, 0] == 0))
    ((100, 10), True)
    """
    X, y = check_regression_data(X, y, multi_output=True)
    n_samples, n_features = X.shape
    sample_weight = check_sample_weight_array(sample_weight, n_samples)
    weights = check_penalty_weights(weights, n_features)
    precompute = check_precompute(precompute, n_features)
    if positive and y.ndim == 2:
        raise ValueError("positive=True is not supported with a 2-D y (the multi-task "
                         "path); fit each column of y separately.")
    if coef_init is not None:
        coef_init = check_array(coef_init, ensure_2d=False, dtype=X.dtype, input_name="coef_init")
        expected = (n_features,) if y.ndim == 1 else (y.shape[1], n_features)
        if coef_init.shape != expected:
            raise ValueError(f"coef_init must have shape {expected}, got {coef_init.shape}.")
    if Xy is not None:
        Xy = _check_xy(Xy, y, n_features, fit_intercept, sample_weight)
    if isinstance(alphas, Integral):
        alphas = alpha_grid(X, y, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                            positive=positive, sample_weight=sample_weight, weights=weights,
                            n_alphas=alphas, eps=eps, Xy=Xy)
    else:
        alphas = check_array(alphas, ensure_2d=False, dtype=np.float64, input_name="alphas")
        if alphas.ndim != 1 or np.any(alphas < 0):
            raise ValueError("alphas must be an int (the grid size) or a 1-D array of "
                             f"non-negative values; got shape {alphas.shape} with minimum "
                             f"{alphas.min(initial=0.0)}.")
        alphas = np.sort(alphas)[::-1]
    if y.ndim == 2:
        return _multitask_path(X, y, alphas, l1_ratio, fit_intercept, tol, max_iter, coef_init,
                               sample_weight, weights, screening, return_n_iter, verbose)
    coefs = np.empty((n_features, alphas.size), dtype=X.dtype)
    gaps = np.empty(alphas.size)
    n_iters = np.empty(alphas.size, dtype=np.int64)
    coef, cache = coef_init, {}
    printer = IterationPrinter("lasso_path", verbose)
    for k, alpha in enumerate(alphas):
        coef, _, info = solve_enet(
            X, y, alpha * l1_ratio, alpha * (1.0 - l1_ratio), fit_intercept=fit_intercept,
            positive=positive, selection=selection, precompute=precompute, screening=screening,
            tol=tol, max_iter=max_iter, coef_init=coef, sample_weight=sample_weight,
            weights=weights, random_state=random_state, cache=cache, printer=printer)
        coefs[:, k] = coef
        gaps[k] = info["dual_gap"]
        n_iters[k] = info["n_iter"]
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


def _check_xy(Xy, y, n_features, fit_intercept, sample_weight):
    """``Xy`` as float64 of ``X^T y``'s shape (scikit-learn also takes a column
    for a 1-D ``y``)."""
    if fit_intercept or sample_weight is not None:
        raise ValueError("Xy (the product X^T y of the raw data) cannot be used with "
                         "fit_intercept=True or sample_weight: the path then works on "
                         "centred, weighted data; pass Xy=None.")
    Xy = check_array(Xy, ensure_2d=False, dtype=np.float64, input_name="Xy")
    expected = (n_features,) if y.ndim == 1 else (n_features, y.shape[1])
    if y.ndim == 1 and Xy.shape == (n_features, 1):
        Xy = Xy[:, 0]
    if Xy.shape != expected:
        raise ValueError(f"Xy must have shape {expected} (X^T y), got {Xy.shape}.")
    return Xy


def enet_path(X, y, *, l1_ratio=0.5, **params):
    r"""Elastic-net solutions along a decreasing grid of ``alpha``:
    :func:`lasso_path` with scikit-learn's ``enet_path`` default
    ``l1_ratio=0.5``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Design. Not modified.
    y : array-like of shape (n_samples,) or (n_samples, n_tasks)
        Target. Not modified.
    l1_ratio : float, default=0.5
        :math:`\rho \in (0, 1]`, the share of the l1 penalty.
    **params
        The other parameters of :func:`lasso_path`, with the same meanings
        and defaults.

    Returns
    -------
    alphas, coefs, dual_gaps[, n_iters]
        As in :func:`lasso_path`.

    See Also
    --------
    sklearn.linear_model.enet_path : The anchor (same objective and outputs).

    Examples
    --------
    >>> from sparseopt.bcd import enet_path
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, _ = make_sparse_regression(50, 100, 5, random_state=0)
    >>> alphas, coefs, gaps = enet_path(X, y, alphas=10)
    >>> coefs.shape
    (100, 10)
    """
    return lasso_path(X, y, l1_ratio=l1_ratio, **params)


def _multitask_path(X, Y, alphas, l1_ratio, fit_intercept, tol, max_iter, coef_init,
                    sample_weight, weights, screening, return_n_iter, verbose):
    n_tasks, n_features = Y.shape[1], X.shape[1]
    coefs = np.empty((n_tasks, n_features, alphas.size), dtype=X.dtype)
    gaps = np.empty(alphas.size)
    n_iters = np.empty(alphas.size, dtype=np.int64)
    coef = None if coef_init is None else coef_init.T
    cache = {}
    printer = IterationPrinter("lasso_path", verbose)
    weights_sum = normalise_sample_weight(sample_weight, X.shape[0])
    for k, alpha in enumerate(alphas):
        coef, _, info = solve_multitask(
            X, np.asarray(Y, dtype=np.float64), alpha * l1_ratio, alpha * (1.0 - l1_ratio),
            fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, coef_init=coef,
            sample_weight=weights_sum, weights=weights, screening=screening, cache=cache,
            printer=printer)
        coefs[:, :, k] = coef.T
        gaps[k] = info["dual_gap"]
        n_iters[k] = info["n_iter"]
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps

r"""Block sparse Bayesian learning: :class:`BlockSBL` (BSBL-EM / BSBL-BO)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.sbl._base import COMMON_CONSTRAINTS, SBLBase
from sparseopt.sbl._validation import check_blocks
from sparseopt.solvers.sbl.block import solve_block_sbl

__all__ = ["BlockSBL"]

_RULES = {"em": "em", "bo": "mm"}


class BlockSBL(SBLBase):
    r"""Block sparse Bayesian learning with intra-block correlation (BSBL).

    The coefficients fall into blocks :math:`w_g` that are zero or not as a
    whole, with correlated entries inside a block: prior
    :math:`w_g \sim \mathcal N(0, \gamma_g B)`, :math:`B_{ab} = r^{|a-b|}`
    (AR(1)), and

    .. math:: \max_{\gamma \ge 0,\ r,\ \sigma^2}\ \log p(y \mid \gamma, r,
              \sigma^2), \qquad y \sim \mathcal N\big(0, \sigma^2 I +
              \textstyle\sum_g \gamma_g X_g B X_g^\top\big)

    (Zhang & Rao 2013). ``update="em"`` is BSBL-EM, ``update="bo"`` the
    bound-optimisation BSBL-BO (faster). With blocks of size 1 it is
    :class:`SBLRegressor` with the same update.

    Parameters
    ----------
    block_size : int, default=4
        Contiguous blocks of this many features (the last one may be
        shorter); ignored when ``blocks`` is given.
    blocks : array-like of shape (n_features,), default=None
        Block label of every feature (features keep their order inside a
        block, which is the order of the AR(1) correlation).
    intra_correlation : "learn" or float, default="learn"
        Learn :math:`r` (BSBL's AR(1) fit of the average block covariance) or
        fix it in (-1, 1); 0 gives group SBL.
    update : {"em", "bo"}, default="em"
        BSBL-EM or BSBL-BO.
    noise : "learn" or float, default="learn"
        Learn :math:`\sigma^2` (started at 0.1 var(y)) or fix it.
    noise_floor : float, default=1e-6
        Lower bound on the learned noise, relative to var(y).
    prune_rel : float, default=1e-4
        Prune block :math:`g` when :math:`\gamma_g <` ``prune_rel``
        :math:`\max\gamma`.
    tol : float, default=1e-4
        Stop when the coefficients moved by at most ``tol`` relative to
        their largest magnitude.
    max_iter : int, default=None
        Maximum number of iterations (300).
    fit_intercept : bool, default=True
        Fit the intercept by centring.
    complex_data : bool, default=False
        Accept complex ``X`` and ``y`` (circular complex Gaussian noise and
        prior, conjugate transposes); off by default, as in scikit-learn.
    verbose : int, default=0
        Print progress.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Posterior mean (0 on pruned blocks).
    intercept_ : float
        Intercept.
    blocks_ : list of ndarray of int
        The feature indices of every block.
    gamma_ : ndarray of shape (n_blocks,)
        Block variances (0 for pruned blocks).
    intra_correlation_ : float
        The (learned or given) :math:`r`.
    noise_variance_, alpha_ : float
        :math:`\sigma^2` and :math:`1/\sigma^2`.
    active_ : ndarray of int
        Features of the kept blocks, increasing.
    sigma_ : ndarray of shape (n_active, n_active)
        Posterior covariance of ``coef_[active_]``.
    log_marginal_likelihood_ : float
        Log-evidence at the returned values.
    n_iter_, history_, X_offset_, y_offset_, n_features_in_
        As in :class:`SBLRegressor`.

    References
    ----------
    Z. Zhang and B. D. Rao, "Extension of SBL algorithms for the recovery of
    block sparse signals with intra-block correlation", IEEE TSP 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.sbl import BlockSBL
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 60))
    >>> w = np.zeros(60); w[8:12] = [1.0, 1.2, 1.1, 0.9]
    >>> y = X @ w + 0.01 * rng.standard_normal(40)
    >>> model = BlockSBL(block_size=4).fit(X, y)
    >>> int(np.argmax(model.gamma_)), np.flatnonzero(np.abs(model.coef_) > 0.1).tolist()
    (2, [8, 9, 10, 11])
    """

    _parameter_constraints: dict = {
        "block_size": [Interval(Integral, 1, None, closed="left")],
        "blocks": ["array-like", None],
        "intra_correlation": [StrOptions({"learn"}), Interval(Real, -1, 1, closed="neither")],
        "update": [StrOptions({"em", "bo"})],
        **COMMON_CONSTRAINTS,
    }

    def __init__(self, block_size=4, *, blocks=None, intra_correlation="learn", update="em",
                 noise="learn", noise_floor=1e-6, prune_rel=1e-4, tol=1e-4, max_iter=None,
                 fit_intercept=True, complex_data=False, verbose=0):
        self.block_size = block_size
        self.blocks = blocks
        self.intra_correlation = intra_correlation
        self.update = update
        self.noise = noise
        self.noise_floor = noise_floor
        self.prune_rel = prune_rel
        self.tol = tol
        self.max_iter = max_iter
        self.fit_intercept = fit_intercept
        self.complex_data = complex_data
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, real or complex.
        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, Y, _ = self._validate_fit_data(X, y)
        blocks = check_blocks(self.blocks, self.block_size, X.shape[1])
        X, Y = self._centre(X, Y)
        noise, learn, floor = self._noise_settings(Y)
        mean, gamma, noise, info = solve_block_sbl(
            X, Y, blocks, rule=_RULES[self.update], correlation=self.intra_correlation,
            noise=noise, learn_noise=learn, noise_floor=floor, prune_rel=self.prune_rel,
            tol=self.tol, max_iter=300 if self.max_iter is None else self.max_iter,
            verbose=self.verbose)
        order = np.argsort(info["active"])
        self.active_ = info["active"][order]
        covariance = info["covariance"]
        self.sigma_ = (covariance[np.ix_(order, order)] if covariance is not None
                       else np.zeros((0, 0)))
        self.blocks_ = blocks
        self.gamma_ = gamma
        self.intra_correlation_ = info["correlation"]
        self._store(mean, True, info, noise)
        return self

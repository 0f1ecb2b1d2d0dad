r"""Kronecker-structured sparse Bayesian learning: :class:`KroneckerSBL`."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.core.kronecker import KroneckerOperator, kron_mode_products
from sparseopt.sbl._base import complex_error
from sparseopt.sbl._validation import (
    check_kronecker_problem,
    check_pattern_coupling,
    check_per_factor,
    is_factor_list,
)
from sparseopt.solvers.sbl.kronecker import coupling_matrix, kronecker_sbl_restarts
from sparseopt.utils.validation import (
    check_array_input,
    check_random_state_seed,
    validate_data,
)

__all__ = ["KroneckerSBL", "fit_kronecker"]

# sigma_ (for return_std) is stored when (kept coefficients) x (rows) is at most this
_MAX_COVARIANCE_ENTRIES = 4_000_000


def fit_kronecker(factors, y, *, solver, pattern_coupling, noise, noise_floor, prune_rel, tol,
                  max_iter, inner_tol, inner_max_iter, init_scale, n_init, random_state,
                  verbose):
    """Parameter checks and the solver call shared by the estimator and the function."""
    n_factors = len(factors)
    couplings = [None if beta is None else coupling_matrix(f.shape[1], beta)
                 for f, beta in zip(factors, check_pattern_coupling(pattern_coupling, n_factors),
                                    strict=True)]
    if prune_rel is not None:
        prune_rel = check_per_factor(prune_rel, "prune_rel", n_factors)
    level = max(float(np.mean(np.abs(y) ** 2)), np.finfo(float).tiny)
    learn = isinstance(noise, str)
    seed = check_random_state_seed(random_state) if n_init > 1 else None
    return kronecker_sbl_restarts(
        factors, y, n_init=n_init, random_state=seed, solver=solver, couplings=couplings,
        noise=0.1 * level if learn else noise, learn_noise=learn,
        noise_floor=noise_floor * level if learn else 0.0, prune_rel=prune_rel, tol=tol,
        max_iter=max_iter, inner_tol=inner_tol, inner_max_iter=inner_max_iter,
        init_scale=init_scale, verbose=verbose)


def _has_complex(A):
    if isinstance(A, KroneckerOperator):
        return A.dtype.kind == "c"
    if is_factor_list(A):
        return any(np.asarray(f).dtype.kind == "c" for f in A)
    return not hasattr(A, "dtypes") and np.asarray(A).dtype.kind == "c"


class KroneckerSBL(RegressorMixin, BaseEstimator):
    r"""Sparse Bayesian learning with a Kronecker-structured dictionary and support.

    He & Joseph's KroSBL: :math:`y = (A_1 \otimes \cdots \otimes A_I)\,x + e`
    with a Kronecker-supported :math:`x`, modelled by the prior
    :math:`x \sim \mathcal N(0, \operatorname{diag}(\gamma_1 \otimes \cdots
    \otimes \gamma_I))`; EM maximises the evidence

    .. math:: \max_{\gamma_i \ge 0}\ \log p(y \mid \gamma, \sigma^2), \qquad
              y \sim \mathcal N\big(0, \sigma^2 I + A\,\mathrm{diag}(\otimes
              \gamma_i)A^H\big),

    with an M-step solved by alternating minimisation (``solver="am"``,
    converges to a stationary point) or by a rank-one SVD approximation
    (``solver="svd"``, faster and usually more accurate), optionally with the
    pattern-coupled prior of the paper's block-sparse IRS channel
    (PC-KroSBL). The E-step uses mode products only: neither the Kronecker
    product nor the :math:`N \times N` posterior covariance is formed.

    ``fit(A, y)`` takes the factors as a list ``[A_1, ..., A_I]`` (NumPy's
    ``np.kron`` order) or a :class:`~sparseopt.core.KroneckerOperator`; a
    plain 2-D array is the one-factor case (classic EM-SBL), so the estimator
    also works as an ordinary regressor. Complex data is supported. There is
    no intercept.

    Parameters
    ----------
    solver : {"svd", "am"}, default="svd"
        SVD-KroSBL or AM-KroSBL M-step (pattern coupling always uses AM).
    pattern_coupling : None, float or list, default=None
        PC-KroSBL's coupling :math:`\beta \in [0, 1]` between neighbouring
        entries of a factor's hyperparameter (for block-sparse factors, e.g.
        angle spreads): one value for every factor, or one value (or ``None``
        for an uncoupled factor) per factor. The paper's IRS setting is
        ``[0.8, None, 0.8]``.
    noise : "learn" or float, default="learn"
        Learn the noise variance by EM (started at 0.1 mean|y|^2) or fix it
        (the paper's experiments use the known value).
    noise_floor : float, default=1e-6
        Lower bound on the learned noise, relative to mean|y|^2.
    prune_rel : None, float or sequence of float, default=None
        Prune entry :math:`k` of factor :math:`i` when
        :math:`\gamma_i[k] <` ``prune_rel[i]`` :math:`\max\gamma_i`; default
        the paper's 1e-3 (SVD) or 1e-2 (AM and PC).
    tol : float, default=1e-4
        Stop when :math:`\|\gamma^t - \gamma^{t-1}\|_2 / \|\gamma^{t-1}\|_2 <`
        ``tol`` on the full :math:`\gamma = \otimes\gamma_i` (the paper's rule).
    max_iter : int, default=150
        Maximum number of EM iterations (the paper's cap).
    inner_tol : float, default=1e-5
        Relative change of :math:`\otimes\gamma_i` ending the AM sweeps.
    inner_max_iter : int, default=10
        Maximum number of AM sweeps per M-step.
    init_scale : float, default=1.0
        Start from uniform factors whose product is ``init_scale`` times
        :math:`M\,\overline{|y|^2} / \overline{\|a_j\|^2}`, the prior
        variance at which one atom alone explains the data (scale-free). Few
        measurements per unknown favour a small start: on the paper's IRS
        channels (M/N = 0.05), ``init_scale=1e-6`` (close to the paper's
        start) gives PC-KroSBL a mean NMSE of 0.03 at 12 dB over 15 channels,
        ``1.0`` gives 4.3; on the synthetic setup (M/N = 0.43) ``1.0`` is
        best (support recovery 0.80 vs 0.57 at 1e-6 for SVD-KroSBL).
    n_init : int, default=1
        Number of EM runs: run 0 from the start above, runs 1.. from that
        start with every entry multiplied by :math:`e^{z}`, :math:`z \sim
        \mathcal N(0, 1)`; the fit of highest log-evidence (the objective EM
        maximises) is kept. The evidence is non-convex and EM stops at the
        stationary point its start leads to: on the paper's IRS channels
        at 12 dB, PC-KroSBL's single start ends at a lower evidence than a
        start at the true support in 13 of the 16 of 100 trials with NMSE >
        0.1, and ``n_init=8`` lowers the 100-trial mean NMSE from 0.154 to
        0.0996 (median 0.014 to 0.0105; see the user guide). Costs
        ``n_init`` fits.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the perturbed starts (unused when ``n_init=1``).
    complex_data : bool, default=False
        Accept complex factors and observations (circular complex Gaussian
        model, as the paper's IRS channels); off by default, as in
        scikit-learn.
    verbose : int, default=0
        Print progress.

    Attributes
    ----------
    coef_ : ndarray of shape (N,)
        Posterior mean of :math:`x`, :math:`N = \prod_i N_i` (0 off the
        pruned grid).
    gammas_ : list of ndarray
        Factor hyperparameters :math:`\gamma_i` (0 for pruned entries; all
        but the last have unit norm).
    gamma_ : ndarray of shape (N,)
        :math:`\gamma_1 \otimes \cdots \otimes \gamma_I`.
    factor_active_ : list of ndarray of int
        Kept entries of every factor.
    active_ : ndarray of int
        Flat indices of the kept grid.
    noise_variance_ : float
        :math:`\sigma^2` (the given value when fixed).
    sigma_ : ndarray of shape (n_active, n_active) or None
        Posterior covariance of ``coef_[active_]`` (None when the kept
        coefficients times the rows of ``A`` exceed 4e6;
        ``predict(..., return_std=True)`` needs it).
    log_marginal_likelihood_ : float
        Log-evidence at the hyperparameters of the last E-step (of the best
        run when ``n_init > 1``).
    start_log_evidences_ : ndarray of shape (n_init,)
        Final log-evidence of every run.
    n_iter_ : int
        EM iterations done.
    history_ : ConvergenceHistory
        Log-evidence and relative change of :math:`\gamma` per iteration.
    n_features_in_ : int
        :math:`N`.

    References
    ----------
    Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse
    vector recovery with application to IRS-MIMO channel estimation", IEEE
    Transactions on Signal Processing, 2024 (arXiv:2307.14719).

    Examples
    --------
    >>> from sparseopt.datasets import make_kronecker_sparse
    >>> from sparseopt.sbl import KroneckerSBL
    >>> data = make_kronecker_sparse(snr_db=25, random_state=0)
    >>> model = KroneckerSBL(noise=data.noise_variance).fit(data.factors, data.y)
    >>> nmse = ((model.coef_ - data.coef) ** 2).sum() / (data.coef ** 2).sum()
    >>> bool(nmse < 1e-2)
    True
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"svd", "am"})],
        "pattern_coupling": [None, Interval(Real, 0, 1, closed="both"), list, tuple],
        "noise": [StrOptions({"learn"}), Interval(Real, 0, None, closed="neither")],
        "noise_floor": [Interval(Real, 0, 1, closed="left")],
        "prune_rel": [None, Interval(Real, 0, 1, closed="neither"), list, tuple],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "inner_tol": [Interval(Real, 0, None, closed="left")],
        "inner_max_iter": [Interval(Integral, 1, None, closed="left")],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "complex_data": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, solver="svd", *, pattern_coupling=None, noise="learn", noise_floor=1e-6,
                 prune_rel=None, tol=1e-4, max_iter=150, inner_tol=1e-5, inner_max_iter=10,
                 init_scale=1.0, n_init=1, random_state=None, complex_data=False, verbose=0):
        self.solver = solver
        self.pattern_coupling = pattern_coupling
        self.noise = noise
        self.noise_floor = noise_floor
        self.prune_rel = prune_rel
        self.tol = tol
        self.max_iter = max_iter
        self.inner_tol = inner_tol
        self.inner_max_iter = inner_max_iter
        self.init_scale = init_scale
        self.n_init = n_init
        self.random_state = random_state
        self.complex_data = complex_data
        self.verbose = verbose

    def _factors(self, A, y):
        if not self.complex_data and (_has_complex(A) or np.asarray(y).dtype.kind == "c"):
            culprit = ("A" if is_factor_list(A) else "A (X)") if _has_complex(A) else "y"
            raise complex_error(self, culprit)
        if is_factor_list(A):
            factors, y = check_kronecker_problem(A, y)
            self.n_features_in_ = int(np.prod([f.shape[1] for f in factors]))
            return factors, y
        if self.complex_data and (_has_complex(A) or np.asarray(y).dtype.kind == "c"):
            X = check_array_input(A, "A", ndim=2, allow_complex=True, dtype=np.complex128)
            factors, y = check_kronecker_problem([X], y)
            self.n_features_in_ = X.shape[1]
            return factors, y
        X, y = validate_data(self, A, y, dtype=np.float64, y_numeric=True, ensure_min_samples=2)
        return [X], y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, A, y):
        """Fit the model.

        Parameters
        ----------
        A : list of array-like of shape (m_i, N_i), KroneckerOperator, or \
array-like of shape (n_samples, n_features)
            The dictionary factors (``np.kron`` order), or one design matrix.
        y : array-like of shape (prod m_i,)
            Observations, real or complex.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        factors, y = self._factors(A, y)
        mean, gammas, noise, info = fit_kronecker(
            factors, y, solver=self.solver, pattern_coupling=self.pattern_coupling,
            noise=self.noise, noise_floor=self.noise_floor, prune_rel=self.prune_rel,
            tol=self.tol, max_iter=self.max_iter, inner_tol=self.inner_tol,
            inner_max_iter=self.inner_max_iter, init_scale=self.init_scale, n_init=self.n_init,
            random_state=self.random_state, verbose=self.verbose)
        self.coef_ = mean
        self.gammas_ = gammas
        gamma = gammas[0]
        for factor_gamma in gammas[1:]:
            gamma = np.kron(gamma, factor_gamma)
        self.gamma_ = gamma
        self.factor_active_ = info["kept"]
        self.active_ = np.flatnonzero(gamma > 0)
        self.noise_variance_ = float(noise)
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        self.log_marginal_likelihood_ = info["log_evidence"]
        self.start_log_evidences_ = info["start_log_evidences"]
        self.sigma_ = self._active_covariance(factors, y)
        if not info["converged"]:
            warnings.warn(
                f"KroneckerSBL did not converge in max_iter={self.max_iter} iterations: "
                f"relative change of gamma {info['criterion']:.3e} >= tol={self.tol:.3e}. "
                "Increase max_iter or tol.", ConvergenceWarning, stacklevel=2)
        return self

    def _active_covariance(self, factors, y):
        r"""Posterior covariance on the kept grid, :math:`\Gamma - G D G^H` with
        :math:`G = \otimes B_i` (``None`` if ``G`` would be too large)."""
        kept = self.factor_active_
        active = [f[:, k] for f, k in zip(factors, kept, strict=True)]
        gammas = [g[k] for g, k in zip(self.gammas_, kept, strict=True)]
        if len(self.active_) * y.shape[0] > _MAX_COVARIANCE_ENTRIES:
            return None
        gains, precision, gamma = None, None, None
        for factor, factor_gamma in zip(active, gammas, strict=True):
            gram = (factor * factor_gamma) @ factor.conj().T
            values, vectors = np.linalg.eigh(0.5 * (gram + gram.conj().T))
            gain = (factor_gamma[:, None] * factor.conj().T) @ vectors
            values = np.maximum(values, 0.0)
            gains = gain if gains is None else np.kron(gains, gain)
            precision = values if precision is None else np.kron(precision, values)
            gamma = factor_gamma if gamma is None else np.kron(gamma, factor_gamma)
        precision = 1.0 / (self.noise_variance_ + precision)
        covariance = -(gains * precision) @ gains.conj().T
        covariance[np.diag_indices_from(covariance)] += gamma
        return covariance

    def predict(self, A, return_std=False):
        """Predict :math:`A x` (and its standard deviation).

        Parameters
        ----------
        A : list of array-like, KroneckerOperator, or array-like of shape \
(n_samples, n_features)
            Factors (``np.kron`` order) whose product has :math:`N` columns,
            or a design matrix.
        return_std : bool, default=False
            Also return :math:`\\sqrt{\\sigma^2 + a \\Sigma a^H}` per row
            :math:`a` of the (Kronecker) matrix.

        Returns
        -------
        y_mean : ndarray of shape (n_rows,)
            :math:`A x`.
        y_std : ndarray of shape (n_rows,)
            Only if ``return_std``.
        """
        check_is_fitted(self)
        if is_factor_list(A):
            factors = A.factors if hasattr(A, "factors") else [
                check_array_input(f, f"A[{i}]", ndim=2, allow_complex=True)
                for i, f in enumerate(A)]
            columns = int(np.prod([f.shape[1] for f in factors]))
            if columns != self.n_features_in_:
                raise ValueError(f"the factors of A have {columns} columns in all, but "
                                 f"KroneckerSBL was fitted with {self.n_features_in_}.")
            mean = kron_mode_products(factors, self.coef_)
            rows = None
            if return_std:
                rows = factors[0][:, self.factor_active_[0]]
                for f, k in zip(factors[1:], self.factor_active_[1:], strict=True):
                    rows = np.kron(rows, f[:, k])
        else:
            if np.iscomplexobj(self.coef_) or np.asarray(A).dtype.kind == "c":
                X = check_array_input(A, "A", ndim=2, allow_complex=True)
                if X.shape[1] != self.n_features_in_:
                    raise ValueError(f"A has {X.shape[1]} features, but KroneckerSBL is "
                                     f"expecting {self.n_features_in_} features as input.")
            else:
                X = validate_data(self, A, dtype=np.float64, reset=False)
            mean = X @ self.coef_
            rows = X[:, self.active_]
        if not return_std:
            return mean
        if self.sigma_ is None:
            raise ValueError("return_std needs the posterior covariance, which is not stored "
                             f"when (kept coefficients) x (rows of A) exceeds "
                             f"{_MAX_COVARIANCE_ENTRIES} ({len(self.active_)} kept here).")
        variance = np.real(np.sum((rows @ self.sigma_) * rows.conj(), axis=1))
        return mean, np.sqrt(np.maximum(variance, 0.0) + self.noise_variance_)

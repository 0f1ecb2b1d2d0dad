r"""Supervised dictionary learning with auxiliary covariates (Lee, Lyu & Yao)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.solvers.dictionary.supervised import lpgd_feature, lpgd_filter
from sparseopt.solvers.dictionary.supervised_bcd import bcd_supervised, random_initial_point
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import (
    check_array,
    check_classification_targets,
    check_random_state_seed,
    validate_data,
)

__all__ = ["SupervisedDictionaryLearning"]


class SupervisedDictionaryLearning(ClassifierMixin, ClassNamePrefixFeaturesOutMixin,
                                   TransformerMixin, BaseEstimator):
    r"""Supervised dictionary learning with covariates (filter or feature variant;
    lifted LPGD or block coordinate descent).

    Lee, Lyu & Yao's supervised matrix factorisation: atoms
    :math:`W \in \mathbb R^{p\times r}` and codes :math:`H` that reconstruct
    the signals (:math:`X^\top \approx WH`, weight :math:`\xi`) while a
    (multinomial, class 0 the baseline) logistic regression with auxiliary
    covariates :math:`z` predicts the labels from the filtered signals
    :math:`W^\top x_i` (``variant="filter"``) or from the codes :math:`h_i`
    (``variant="feature"``):

    .. math:: \min\ \sum_i \ell\big(y_i,\ \beta u_i + \gamma_0 + \Gamma z_i\big)
              + \xi \|X^\top - WH\|_F^2 + \tfrac{\nu}{2}\big(R(W, H, \beta)
              + \|\Gamma\|_F^2\big),
              \qquad u_i = W^\top x_i \text{ or } h_i,

    with :math:`\ell(y, a) = \log(1 + \sum_j e^{a_j}) - y^\top a`.

    - ``solver="lpgd"`` solves the lifted form, :math:`\operatorname{rank}
      \le r` on :math:`[A\,|\,B] = [W\beta^\top\,|\,WH]` (filter) or
      :math:`[A; B] = [\beta H; WH]` (feature), with the ridge
      :math:`R = \|A\|_F^2`, by low-rank projected gradient descent with the
      fixed step :math:`1/L` and exact truncated SVDs
      (:mod:`sparseopt.solvers.dictionary.supervised`).
    - ``solver="bcd"`` solves the factored nonconvex form with
      :math:`\|W\|_F = 1` and :math:`R = \|\beta\|_F^2`, by block coordinate
      descent over :math:`W`, :math:`H`, :math:`(\beta, \Gamma)` inside the
      paper's diminishing search radius; the objective never increases and
      the result is a stationary point, not necessarily the global minimiser
      (:mod:`sparseopt.solvers.dictionary.supervised_bcd`).

    Limits: filter, :math:`\xi \to 0` is reduced-rank logistic regression
    (rank constraint inactive, or binary with ``solver="bcd"``: exactly
    scikit-learn's ``LogisticRegression(C=1/nu)`` on ``[X, covariates]``);
    large :math:`\xi` makes the atoms span the top singular directions of the
    signals (factorise, then regress), in both variants. The feature variant
    needs :math:`\xi > 0` (at :math:`\xi = 0` the codes are free per-sample
    parameters); at prediction its codes are the least-squares codes of the
    new signals on the atoms (as the official code's ``sparse_code`` with no
    penalty).

    Parameters
    ----------
    n_components : int, default=2
        Rank :math:`r` (number of atoms).
    xi : float, default=1.0
        Weight of the reconstruction term.
    nu : float, default=1.0
        Ridge weight of the regression coefficients (intercept excluded).
    variant : {"filter", "feature"}, default="filter"
        Whether the classifier reads :math:`W^\top x` or the codes :math:`h`.
    solver : {"lpgd", "bcd"}, default="lpgd"
        Lifted low-rank projected gradient descent, or block coordinate
        descent on the factored problem.
    max_iter : int, default=1000
        Iterations (projected gradient steps, or sweeps over the blocks).
    tol : float, default=1e-8
        Stop when the objective decreases by at most ``tol`` (relative) over
        an iteration.
    n_init : int, default=1
        Starts of ``solver="bcd"``: the spectral start, then random atoms
        (Gaussian, unit Frobenius norm); the run of lowest objective is kept.
        The factored problem has spurious stationary points: on the user
        guide's synthetic case the spectral start ends at one on 4 of 10
        seeds, a random start on about 4 of 5 (39 of 50), and 6 starts
        (``random_state`` = the data's seed) on none of the 10. LPGD starts
        once, from zero: it needs ``n_init=1``.
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts.
    verbose : int, default=0
        Progress per iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (the first is the baseline class).
    components_ : ndarray of shape (n_components, n_features)
        Atoms (rows): LPGD filter, orthonormal atoms spanning the lifted
        solution; otherwise :math:`W^\top` with :math:`\|W\|_F = 1`.
    code_coef_ : ndarray of shape (n_classes - 1, n_components)
        :math:`\beta`, the coefficients of the codes given by :meth:`transform`.
    coef_ : ndarray of shape (n_classes - 1, n_features)
        The coefficients of the signals themselves: :math:`\beta W^\top`
        (filter) or :math:`\beta W^{+}` (feature, least-squares codes).
    covariate_coef_ : ndarray of shape (n_classes - 1, n_covariates)
        :math:`\Gamma`.
    intercept_ : ndarray of shape (n_classes - 1,)
        :math:`\gamma_0`.
    n_iter_ : int
        Iterations run (by the kept run).
    objective_ : float
        Objective (lifted or factored) at the returned point.
    start_objectives_ : ndarray of shape (n_init,)
        Objective reached from each start (``solver="bcd"``; LPGD: its one run).
    history_ : ConvergenceHistory
        Objective and relative decrease per iteration.
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    Differences from the official code (``ljw9510/SMF``): LPGD's step does not
    decay and uses ``nu``; SVDs are exact; BCD's blocks are unconstrained
    (no nonnegativity: supervised NMF is not offered), the coefficients are
    refitted by L-BFGS on the paper's ridge (not scikit-learn's hidden
    ``C=1``), the sphere :math:`\|W\|_F = 1` is a constraint every step
    respects (the official code renormalises after its step), and the first
    start is spectral (the lifted problem's first gradient direction), not
    random.

    References
    ----------
    .. [1] J. Lee, H. Lyu, W. Yao. "Supervised dictionary learning with
       auxiliary covariates", arXiv:2206.06774.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dictionary import SupervisedDictionaryLearning
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 6))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> # LPGD's fixed step converges sublinearly: the default tol=1e-8 needs ~17000
    >>> # iterations here, tol=1e-5 about 1000 for the same accuracy
    >>> model = SupervisedDictionaryLearning(n_components=2, xi=0.1, tol=1e-5).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "xi": [Interval(Real, 0, None, closed="left")],
        "nu": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "variant": [StrOptions({"filter", "feature"})],
        "solver": [StrOptions({"lpgd", "bcd"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, n_components=2, *, xi=1.0, nu=1.0, variant="filter", solver="lpgd",
                 max_iter=1000, tol=1e-8, n_init=1, random_state=None, verbose=0):
        self.n_components = n_components
        self.xi = xi
        self.nu = nu
        self.variant = variant
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose

    def _covariates(self, covariates, n_samples):
        if covariates is None:
            return np.zeros((n_samples, 0))
        covariates = check_array(covariates, dtype=np.float64, input_name="covariates")
        if covariates.shape[0] != n_samples:
            raise ValueError(f"covariates has {covariates.shape[0]} rows but X has {n_samples} "
                             "samples: one row of covariates per sample.")
        return covariates

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, covariates=None):
        """Learn the atoms and the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals. Not modified.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        covariates : array-like of shape (n_samples, n_covariates), optional
            Auxiliary covariates entering the classifier unfiltered.

        Returns
        -------
        self : SupervisedDictionaryLearning
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y has 1 class ({self.classes_[0]!r}); a classifier "
                             "needs at least two.")
        labels = encoder.transform(y)
        Y = (labels[:, None] == np.arange(1, len(self.classes_))[None, :]).astype(np.float64)
        Z = np.hstack([np.ones((X.shape[0], 1)), self._covariates(covariates, X.shape[0])])
        if self.solver == "lpgd" and self.n_init > 1:
            raise ValueError(f"n_init={self.n_init} needs solver='bcd': LPGD starts once, "
                             "from zero.")
        if self.variant == "feature" and self.xi == 0:
            raise ValueError("xi=0 with variant='feature' leaves the atoms undetermined "
                             "(the codes are free parameters); use xi > 0 or "
                             "variant='filter'.")
        rank = min(self.n_components, X.shape[1])
        printer = IterationPrinter("SupervisedDictionaryLearning", self.verbose)
        if self.solver == "lpgd":
            atoms, coef, gamma, info = self._fit_lpgd(X, Y, Z, rank, printer)
            self.start_objectives_ = np.array([info["objective"]])
        else:
            W, beta, gamma, info = self._fit_bcd(X, Y, Z, rank, printer)
            atoms, coef = W, beta @ self._code_map(W).T
            self.code_coef_ = beta
        self.components_ = atoms.T.copy()
        self.coef_ = coef
        self.intercept_ = gamma[:, 0].copy()
        self.covariate_coef_ = gamma[:, 1:].copy()
        self.n_iter_ = info["n_iter"]
        self.objective_ = info["objective"]
        self.history_ = info["history"]
        if not info["converged"]:
            warnings.warn(f"SupervisedDictionaryLearning reached max_iter={self.max_iter} "
                          f"before the objective settled to tol={self.tol}; raise max_iter.",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _fit_bcd(self, X, Y, Z, rank, printer):
        """BCD from ``n_init`` starts; returns the run of lowest objective."""
        rng = np.random.default_rng(check_random_state_seed(self.random_state))
        runs = []
        for index in range(self.n_init):
            start = None if index == 0 else random_initial_point(X, Y, Z.shape[1], rank, rng)
            W, _, beta, gamma, info = bcd_supervised(X, Y, Z, rank, self.xi, self.nu,
                                                     self.variant, self.max_iter, self.tol,
                                                     printer, start)
            runs.append((info["objective"], index, W, beta, gamma, info))
        self.start_objectives_ = np.array([run[0] for run in runs])
        return min(runs, key=lambda run: (run[0], run[1]))[2:]

    def _code_map(self, atoms):
        """``p x r`` matrix ``M`` with codes ``x @ M``: the atoms themselves
        (filter), the pseudo-inverse giving least-squares codes (feature)."""
        return atoms if self.variant == "filter" else np.linalg.pinv(atoms).T

    def _fit_lpgd(self, X, Y, Z, rank, printer):
        """Lifted problem; returns atoms (``p x r``), ``coef`` (``kappa x p``), ``gamma``, info."""
        if self.variant == "filter":
            A, _, gamma, atoms, info = lpgd_filter(X, Y, Z, rank, self.xi, self.nu,
                                                   self.max_iter, self.tol, printer)
            self.code_coef_ = A.T @ atoms
            return atoms, A.T.copy(), gamma, info
        _, _, gamma, factors, info = lpgd_feature(X, Y, Z, rank, self.xi, self.nu,
                                                  self.max_iter, self.tol, printer)
        n_outputs = Y.shape[1]
        beta, atoms = factors[:n_outputs], factors[n_outputs:]
        scale = np.linalg.norm(atoms)
        if scale > 0:
            atoms, beta = atoms / scale, beta / scale
        self.code_coef_ = beta.copy()
        return atoms, beta @ self._code_map(atoms).T, gamma, info

    def decision_function(self, X, covariates=None):
        """Logits: binary, the second class's (one value per sample); otherwise
        one column per class, the baseline (first) class's being 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        covariates : array-like of shape (n_samples, n_covariates), optional
            The covariates, if the model was fitted with them.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self._scores(X, covariates)
        if scores.shape[1] == 1:
            return scores.ravel()
        return np.hstack([np.zeros((scores.shape[0], 1)), scores])

    def _scores(self, X, covariates):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Z = self._covariates(covariates, X.shape[0])
        if Z.shape[1] != self.covariate_coef_.shape[1]:
            raise ValueError(f"covariates has {Z.shape[1]} columns but the model was fitted "
                             f"with {self.covariate_coef_.shape[1]}.")
        return X @ self.coef_.T + Z @ self.covariate_coef_.T + self.intercept_

    def predict_proba(self, X, covariates=None):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        covariates : array-like of shape (n_samples, n_covariates), optional
            The covariates, if the model was fitted with them.

        Returns
        -------
        probabilities : ndarray of shape (n_samples, n_classes)
        """
        scores = self._scores(X, covariates)
        padded = np.hstack([np.zeros((scores.shape[0], 1)), scores])
        padded -= padded.max(axis=1, keepdims=True)
        weights = np.exp(padded)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict(self, X, covariates=None):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        covariates : array-like of shape (n_samples, n_covariates), optional
            The covariates, if the model was fitted with them.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        probabilities = self.predict_proba(X, covariates)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def transform(self, X):
        r"""Codes of ``X`` that the classifier reads: filter, ``X @ components_.T``
        (:math:`W^\top x`); feature, the least-squares codes
        :math:`\arg\min_h \|x - W h\|` (``X @ pinv(components_)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self._code_map(self.components_.T)

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

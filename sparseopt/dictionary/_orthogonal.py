r"""Online orthogonal dictionary learning by Frank-Wolfe (Xue & Lau)."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from sparseopt.core.history import ConvergenceHistory
from sparseopt.dictionary._coding import CODING_CONSTRAINTS, LearnedCodingMixin
from sparseopt.solvers.dictionary.orthogonal import (
    frank_wolfe_gap,
    frank_wolfe_step,
    polar_factor,
)
from sparseopt.utils.interrupt import DeferredInterrupt
from sparseopt.utils.progress import IterationPrinter
from sparseopt.utils.validation import check_random_state_seed, validate_data

__all__ = ["OnlineOrthogonalDictionaryLearning"]


class OnlineOrthogonalDictionaryLearning(LearnedCodingMixin, BaseEstimator):
    r"""Online orthogonal dictionary learning by Frank-Wolfe (Xue & Lau, 2021).

    For signals :math:`y = D_0^\top x` with an orthogonal dictionary
    :math:`D_0` (atoms as rows, as many as features) and sparse codes
    :math:`x`, learns :math:`D_0` from a stream by maximising the
    fourth-power spikiness of the codes over the spectral-norm ball (the
    convex hull of the orthogonal group),

    .. math:: \max_{\|D\|_2 \le 1}\ \mathbb E\, \tfrac14\|D y\|_4^4,

    with Frank-Wolfe steps on a running average of the mini-batch gradients
    (averaging weight :math:`t^{-1/2}`, step :math:`t^{-3/4}`; see
    :mod:`sparseopt.solvers.dictionary.orthogonal`). Only the dictionary
    and the running gradient are kept (:math:`O(N^2)` memory): no data is
    stored, and :meth:`partial_fit` continues a stream. ``components_`` is
    the orthogonal polar factor of the iterate, so the codes of a signal
    are exactly ``components_ @ y``; :meth:`transform` sparsifies them
    with the chosen coder.

    Parameters
    ----------
    batch_size : int, default=256
        Signals per mini-batch.
    n_epochs : int, default=1
        Passes over the data in :meth:`fit`.
    shuffle : bool, default=True
        Shuffle the signals at each epoch.
    transform_algorithm : str, default="omp"
        Coder of :meth:`transform` (see :class:`SparseCoder`).
    transform_n_nonzero_coefs, transform_alpha, transform_q, transform_tol
        As :class:`SparseCoder`.
    transform_max_iter, split_sign, positive_code
        As :class:`SparseCoder`.
    n_jobs : int, optional
        Threads of :meth:`transform`.
    random_state : int, RandomState or Generator, optional
        Initial (random orthogonal) dictionary and shuffling.
    verbose : int, default=0
        Progress per epoch.

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_features)
        The learned orthogonal dictionary (atoms as rows).
    n_iter_ : int
        Epochs run by the last :meth:`fit`.
    n_steps_ : int
        Frank-Wolfe steps since the start.
    objective_ : float
        Average :math:`\tfrac14\|Dy\|_4^4` over the last epoch (each batch
        before its step).
    frank_wolfe_gap_ : float
        Frank-Wolfe gap of the relaxed problem at the last iterate, on the
        running gradient: :math:`\max_{\|S\|\le 1}\langle G, S - D\rangle`.
    history_ : ConvergenceHistory
        Per epoch: the average objective and the Frank-Wolfe gap.
    n_features_in_ : int
        Number of features seen during fit.

    References
    ----------
    .. [1] Y. Xue, V. K. N. Lau. "Online orthogonal dictionary learning based
       on Frank-Wolfe method", IEEE Trans. Neural Networks and Learning
       Systems, 2023 (arXiv:2103.01484).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dictionary import OnlineOrthogonalDictionaryLearning
    >>> rng = np.random.default_rng(0)
    >>> planted = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    >>> codes = rng.standard_normal((5000, 8)) * (rng.random((5000, 8)) < 0.3)
    >>> model = OnlineOrthogonalDictionaryLearning(batch_size=50, random_state=0)
    >>> model = model.fit(codes @ planted)
    >>> bool(np.sum((model.components_ @ planted.T) ** 4) / 8 > 0.95)
    True
    """

    _parameter_constraints = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        **CODING_CONSTRAINTS,
    }

    def __init__(self, *, batch_size=256, n_epochs=1, shuffle=True, transform_algorithm="omp",
                 transform_n_nonzero_coefs=None, transform_alpha=None, transform_q=0.0,
                 transform_tol=1e-10, transform_max_iter=1000, split_sign=False,
                 positive_code=False, n_jobs=None, random_state=None, verbose=0):
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_q = transform_q
        self.transform_tol = transform_tol
        self.transform_max_iter = transform_max_iter
        self.split_sign = split_sign
        self.positive_code = positive_code
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _start(self, n_features):
        self._rng = np.random.default_rng(check_random_state_seed(self.random_state))
        self._iterate = polar_factor(self._rng.standard_normal((n_features, n_features)))
        self._running_gradient = np.zeros((n_features, n_features))
        self.n_steps_ = 0

    def _step(self, batch):
        self.n_steps_ += 1
        return frank_wolfe_step(self._iterate, self._running_gradient, batch, self.n_steps_)

    def _finish(self):
        self.components_ = polar_factor(self._iterate)
        self.frank_wolfe_gap_ = frank_wolfe_gap(self._iterate, self._running_gradient)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the orthogonal dictionary from ``X`` (``n_epochs`` passes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training signals, one per row. Not modified.
        y : Ignored
            Not used.

        Returns
        -------
        self : OnlineOrthogonalDictionaryLearning
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        X = np.asarray(X, dtype=np.float64)
        self._start(X.shape[1])
        self.history_ = ConvergenceHistory("Frank-Wolfe gap")
        printer = IterationPrinter("OnlineOrthogonalDictionaryLearning", self.verbose)
        batch_size = min(self.batch_size, X.shape[0])
        with DeferredInterrupt() as interrupt:
            for epoch in range(1, self.n_epochs + 1):
                order = self._rng.permutation(X.shape[0]) if self.shuffle else np.arange(
                    X.shape[0])
                total = 0.0
                for start in range(0, X.shape[0], batch_size):
                    batch = X[order[start:start + batch_size]]
                    total += self._step(batch) * batch.shape[0]
                    interrupt.check()
                self.objective_ = total / X.shape[0]
                self._finish()
                self.history_.append(epoch, self.objective_, self.frank_wolfe_gap_)
                printer(epoch, objective=self.objective_, criterion=self.frank_wolfe_gap_,
                        force=epoch == self.n_epochs)
        self.n_iter_ = self.n_epochs
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One Frank-Wolfe step on the mini-batch ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A mini-batch of signals. Not modified.
        y : Ignored
            Not used.

        Returns
        -------
        self : OnlineOrthogonalDictionaryLearning
        """
        first = not hasattr(self, "_iterate")
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first)
        if first:
            self._start(X.shape[1])
        self.objective_ = self._step(np.asarray(X, dtype=np.float64))
        self._finish()
        return self

    def spikiness(self, X):
        r"""Average :math:`\tfrac14\|D y\|_4^4` of the rows of ``X`` on ``components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.

        Returns
        -------
        value : float
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return 0.25 * float(np.mean(np.sum((X @ self.components_.T) ** 4, axis=1)))


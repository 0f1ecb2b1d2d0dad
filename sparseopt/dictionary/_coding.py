r"""Sparse coding on a given dictionary: :func:`sparse_encode` and :class:`SparseCoder`."""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.dictionary._validation import (
    SKLEARN_ALIASES,
    check_coding_options,
    check_dictionary,
    check_signals,
)
from sparseopt.solvers.sparse_coding.encode import CHUNK_SIZE, METHODS, encode
from sparseopt.solvers.sparse_coding.lasso import lasso_violations
from sparseopt.utils.dask_bridge import get_dask_client, parallel_map
from sparseopt.utils.validation import check_array, check_integer, validate_data

__all__ = ["sparse_encode", "SparseCoder", "CodingMixin", "CODING_CONSTRAINTS", "n_threads"]

CODING_CONSTRAINTS = {
    "transform_algorithm": [StrOptions(set(METHODS) | set(SKLEARN_ALIASES))],
    "transform_n_nonzero_coefs": [Interval(Integral, 1, None, closed="left"), None],
    "transform_alpha": [Interval(Real, 0, None, closed="left"), None],
    "transform_q": [StrOptions({"0", "1/2", "2/3"}), Interval(Real, 0, 1, closed="left")],
    "transform_tol": [Interval(Real, 0, None, closed="left")],
    "transform_max_iter": [Interval(Integral, 1, None, closed="left")],
    "positive_code": ["boolean"],
    "split_sign": ["boolean"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
}


def _q_value(q):
    return {"0": 0.0, "1/2": 0.5, "2/3": 2.0 / 3.0}.get(q, q) if isinstance(q, str) else q


def _encode_chunk(item, dictionary, method, options):
    """One chunk ``(signals, warm start or None)`` on a Dask worker."""
    chunk, init = item
    return encode(chunk, dictionary, method, init=init, **options)


def n_threads(n_jobs):
    """Threads for ``n_jobs`` (None: 1; negative: all cores + 1 + n_jobs)."""
    if n_jobs is None:
        return 1
    n_jobs = check_integer(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use 1 for one thread, -1 for all cores).")
    import os

    return max(1, (os.cpu_count() or 1) + 1 + n_jobs) if n_jobs < 0 else n_jobs


def _report(X, dictionary, codes, method, options, positive):
    """Quality of the returned codes, recomputed from them."""
    correlations = X @ dictionary.T
    residual = X - codes @ dictionary
    residual_sq = np.einsum("ij,ij->i", residual, residual)
    report = {"residual_sq": residual_sq}
    if method == "lasso":
        gram = np.ascontiguousarray(dictionary @ dictionary.T)
        violation = lasso_violations(gram, np.ascontiguousarray(correlations),
                                     np.ascontiguousarray(codes), options["alpha"], positive)
        report["kkt_violation"] = violation
        report["objective"] = 0.5 * residual_sq + options["alpha"] * np.abs(codes).sum(axis=1)
    return report


def sparse_encode(X, dictionary, *, method="lasso", alpha=None, n_nonzero_coefs=None, q=0.0,
                  positive=False, tol=1e-10, max_iter=1000, init=None, n_jobs=1, client=None,
                  verbose=0, log=False):
    r"""Sparse codes of the rows of ``X`` on the atoms (rows) of ``dictionary``.

    Each signal :math:`x` (a row of ``X``) gets the code :math:`c` of

    * ``"lasso"``: :math:`\min_c \tfrac12\|x - D^\top c\|_2^2 + \alpha\|c\|_1`
      (optionally :math:`c \ge 0`), solved exactly: working-set coordinate
      descent on the Gram matrix (scikit-learn's ``lasso_cd`` and
      ``lasso_lars`` solve the same problem; their names are accepted);
      stops when every atom satisfies the optimality conditions,
      :math:`|d_j^\top r| \le \alpha` with equality and the sign of
      :math:`c_j` on the support, to ``tol * max_j |d_j^\top x|``;
    * ``"omp"``: orthogonal matching pursuit (batch OMP with a progressive
      Cholesky factor; same selections as
      :func:`sklearn.linear_model.orthogonal_mp`);
    * ``"ormp"``: order-recursive matching pursuit (orthogonal least
      squares; the ``omp`` of SPAMS);
    * ``"mp"``: matching pursuit (an atom may be picked several times);
    * ``"lq"``: iterative thresholding for
      :math:`\tfrac12\|x - D^\top c\|^2 + \alpha\sum_j |c_j|^q`,
      :math:`q \in \{0, 1/2, 2/3\}`;
    * ``"cel0"``: iterative thresholding for the continuous exact
      :math:`\ell_0` relaxation CEL0 of :math:`\tfrac12\|x - D^\top c\|^2 +
      \alpha\|c\|_0` (Soubies, Blanc-Féraud & Aubert, 2015).

    The greedy coders stop after ``n_nonzero_coefs`` atoms or, when
    ``alpha`` is given, as soon as the squared residual is at most
    ``alpha`` (scikit-learn's meaning of ``alpha`` for ``omp``). The Gram
    matrix :math:`DD^\top` is formed once; the signals are coded in chunks,
    in parallel over ``n_jobs`` threads (the kernels release the GIL) or
    over a Dask cluster.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Signals, one per row. Not modified.
    dictionary : array-like of shape (n_atoms, n_features)
        Atoms, one per row (scikit-learn's layout). Not modified.
    method : {"lasso", "omp", "ormp", "mp", "lq", "cel0"}, default="lasso"
        Coder (``"lasso_cd"`` and ``"lasso_lars"`` mean ``"lasso"``).
    alpha : float, optional
        Penalty weight of lasso, lq and cel0 (default 1.0); targeted squared
        residual of omp, ormp and mp (default: none, ``n_nonzero_coefs``
        decides).
    n_nonzero_coefs : int, optional
        Atoms per code of omp and ormp, largest number of distinct atoms of
        mp (default ``max(n_features // 10, 1)``, as scikit-learn).
    q : {0, 0.5, 2/3}, default=0
        Exponent of ``"lq"``.
    positive : bool, default=False
        Non-negative codes (lasso only).
    tol : float, default=1e-10
        Lasso: relative violation of the optimality conditions (see above);
        lq and cel0: largest coefficient change relative to the largest
        coefficient.
    max_iter : int, default=1000
        Lasso: epochs of coordinate descent per signal; lq, cel0:
        iterations per signal; mp: steps per signal.
    init : array-like of shape (n_samples, n_atoms), optional
        Warm start of lasso, lq and cel0. Not modified.
    n_jobs : int, default=1
        Threads (-1: all cores).
    client : distributed.Client, optional
        Code the chunks on this Dask cluster (default: the active client,
        if any, else in this process).
    verbose : int, default=0
        Print progress per chunk of signals.
    log : bool, default=False
        Also return a dict describing the solve.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_atoms)
        Codes, in the dtype of ``X``.
    info : dict
        Only if ``log``: ``residual_sq`` (per signal, recomputed from the
        codes), ``n_iter`` (largest over signals, where the method iterates),
        ``converged`` and, for lasso, ``kkt_violation`` (per signal,
        recomputed) and ``objective`` (per signal).

    References
    ----------
    .. [1] R. Rubinstein, M. Zibulevsky, M. Elad. "Efficient implementation of
       the K-SVD algorithm using batch orthogonal matching pursuit",
       Technion CS-2008-08, 2008.
    .. [2] H. Lee, A. Battle, R. Raina, A. Ng. "Efficient sparse coding
       algorithms", NIPS 2006.
    .. [3] E. Soubies, L. Blanc-Féraud, G. Aubert. "A continuous exact l0
       penalty (CEL0) for least squares regularized problem", SIAM J.
       Imaging Sciences 8(3), 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dictionary import sparse_encode
    >>> dictionary = np.eye(3)
    >>> sparse_encode([[3.0, -0.5, 1.5]], dictionary, alpha=1.0) + 0.0  # + 0.0: no -0
    array([[2. , 0. , 0.5]])
    """
    X = check_signals(X)
    dictionary = check_dictionary(dictionary, X.shape[1])
    method, options = check_coding_options(method, alpha, n_nonzero_coefs, q, tol, max_iter,
                                           X.shape[1])
    if not isinstance(positive, bool | np.bool_):
        raise TypeError(f"positive must be a bool, got {positive!r}.")
    if positive and method != "lasso":
        raise ValueError(f"positive=True is only available for method='lasso', got {method!r}.")
    n_jobs = n_threads(n_jobs)
    if init is not None:
        init = check_array(init, dtype=np.float64, input_name="init")
        if init.shape != (X.shape[0], dictionary.shape[0]):
            raise ValueError(f"init must have shape {(X.shape[0], dictionary.shape[0])} "
                             f"(n_samples, n_atoms), got {init.shape}.")
    X64 = np.asarray(X, dtype=np.float64)
    options.update(positive=bool(positive))
    client = get_dask_client(client)
    if client is None:
        codes, info = encode(X64, dictionary, method, init=init, n_jobs=n_jobs,
                             verbose=verbose, **options)
    else:
        pieces = [slice(start, start + CHUNK_SIZE) for start in range(0, X.shape[0], CHUNK_SIZE)]
        items = [(X64[piece], None if init is None else init[piece]) for piece in pieces]
        job = partial(_encode_chunk, dictionary=dictionary, method=method, options=options)
        results = parallel_map(job, items, client=client)
        codes = np.vstack([result[0] for result in results]) if results else np.zeros(
            (0, dictionary.shape[0]))
        info = {key: np.concatenate([result[1][key] for result in results])
                for key in (results[0][1] if results else {})}
    codes = codes.astype(X.dtype, copy=False)
    if "converged" in info and not np.all(info["converged"]):
        warnings.warn(f"sparse_encode(method={method!r}) reached max_iter={options['max_iter']} "
                      f"on {int(np.sum(~info['converged']))} of {X.shape[0]} signals; raise "
                      "max_iter or tol.", ConvergenceWarning, stacklevel=2)
    if not log:
        return codes
    report = _report(X64, dictionary, codes.astype(np.float64), method, options, positive)
    summary = {"method": method, **report}
    if "n_iter" in info:
        summary["n_iter"] = int(np.max(info["n_iter"], initial=0))
    summary["converged"] = bool(np.all(info.get("converged", True)))
    return codes, summary


class CodingMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform`` / ``inverse_transform`` through :func:`sparse_encode`
    with the ``transform_*`` parameters (scikit-learn's ``_BaseSparseCoding``)."""

    def _coding_alpha(self):
        if self.transform_alpha is None and hasattr(self, "alpha"):
            method = SKLEARN_ALIASES.get(self.transform_algorithm, self.transform_algorithm)
            if method in ("lasso", "lq", "cel0"):
                return self.alpha
        return self.transform_alpha

    def _transform(self, X, dictionary):
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        code = sparse_encode(
            X, dictionary, method=self.transform_algorithm,
            n_nonzero_coefs=self.transform_n_nonzero_coefs, alpha=self._coding_alpha(),
            q=_q_value(self.transform_q), positive=self.positive_code, tol=self.transform_tol,
            max_iter=self.transform_max_iter, n_jobs=self.n_jobs, verbose=self.verbose)
        if self.split_sign:
            code = np.hstack([np.maximum(code, 0), -np.minimum(code, 0)])
        return code

    def _inverse_transform(self, code, dictionary):
        code = check_array(code, dtype=[np.float64, np.float32], input_name="X")
        expected = dictionary.shape[0] * (2 if self.split_sign else 1)
        if code.shape[1] != expected:
            per_atom = "two per atom (split_sign)" if self.split_sign else "one per atom"
            raise ValueError(f"X has {code.shape[1]} columns but the codes of this model have "
                             f"{expected} ({per_atom}).")
        if self.split_sign:
            half = code.shape[1] // 2
            code = code[:, :half] - code[:, half:]
        return code @ dictionary.astype(code.dtype, copy=False)



class LearnedCodingMixin(CodingMixin):
    """``transform`` / ``inverse_transform`` on learned atoms (``components_``)."""

    def transform(self, X):
        """Sparse codes of ``X`` on the learned atoms (see ``transform_algorithm``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_atoms)
            Codes (``2 n_atoms`` columns with ``split_sign``).
        """
        check_is_fitted(self)
        return self._transform(X, self.components_)

    def inverse_transform(self, X):
        """Signals from codes: ``X @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_atoms)
            Codes.

        Returns
        -------
        signals : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return self._inverse_transform(X, self.components_)

    @property
    def _n_features_out(self):
        return self.components_.shape[0] * (2 if self.split_sign else 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

class SparseCoder(CodingMixin, BaseEstimator):
    r"""Sparse coding on a fixed dictionary (a drop-in for scikit-learn's).

    Codes each row of ``X`` on the rows of ``dictionary`` with one of the
    coders of :func:`sparse_encode`: exact lasso, OMP, ORMP, matching
    pursuit, iterative :math:`\ell_q` or CEL0 thresholding.

    Parameters
    ----------
    dictionary : array-like of shape (n_atoms, n_features)
        Atoms as rows (need not be normalised). Required.
    transform_algorithm : {"lasso", "omp", "ormp", "mp", "lq", "cel0"}, default="omp"
        Coder (scikit-learn's ``"lasso_cd"`` and ``"lasso_lars"`` mean
        ``"lasso"``; its ``"lars"`` and ``"threshold"`` are not available).
    transform_n_nonzero_coefs : int, optional
        Atoms per code of the greedy coders (default ``n_features // 10``).
    transform_alpha : float, optional
        Penalty weight (lasso, lq, cel0; default 1.0) or targeted squared
        residual (greedy coders).
    transform_q : {0, 0.5, 2/3} or {"0", "1/2", "2/3"}, default=0.0
        Exponent of ``"lq"``.
    transform_tol : float, default=1e-10
        Tolerance of lasso, lq and cel0 (see :func:`sparse_encode`).
    transform_max_iter : int, default=1000
        Iteration cap of lasso, lq, cel0 and mp.
    split_sign : bool, default=False
        Return ``[max(c, 0), -min(c, 0)]`` (twice as many columns).
    n_jobs : int, optional
        Threads (None: 1).
    positive_code : bool, default=False
        Non-negative lasso codes.
    verbose : int, default=0
        Progress of the coding.

    Attributes
    ----------
    n_components_ : int
        Number of atoms.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dictionary import SparseCoder
    >>> coder = SparseCoder(np.eye(2), transform_algorithm="lasso", transform_alpha=0.5)
    >>> coder.fit_transform([[2.0, 0.25]])
    array([[1.5, 0. ]])
    """

    _parameter_constraints = {"dictionary": ["array-like", None], **CODING_CONSTRAINTS}

    def __init__(self, dictionary=None, *, transform_algorithm="omp",
                 transform_n_nonzero_coefs=None, transform_alpha=None, transform_q=0.0,
                 transform_tol=1e-10, transform_max_iter=1000, split_sign=False, n_jobs=None,
                 positive_code=False, verbose=0):
        self.dictionary = dictionary
        self.transform_algorithm = transform_algorithm
        self.transform_n_nonzero_coefs = transform_n_nonzero_coefs
        self.transform_alpha = transform_alpha
        self.transform_q = transform_q
        self.transform_tol = transform_tol
        self.transform_max_iter = transform_max_iter
        self.split_sign = split_sign
        self.n_jobs = n_jobs
        self.positive_code = positive_code
        self.verbose = verbose

    def _dictionary(self):
        if self.dictionary is None:
            raise ValueError("SparseCoder needs a dictionary: SparseCoder(dictionary=D) with D "
                             "of shape (n_atoms, n_features).")
        return check_dictionary(self.dictionary)

    def fit(self, X, y=None):
        """Validate the parameters and ``X`` (nothing is learned).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        y : Ignored
            Not used.

        Returns
        -------
        self : SparseCoder
        """
        self._validate_params()
        dictionary = self._dictionary()
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        check_dictionary(dictionary, X.shape[1])
        self.n_components_ = dictionary.shape[0]
        return self

    def transform(self, X, y=None):
        """Codes of ``X`` on the dictionary.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Signals.
        y : Ignored
            Not used.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_atoms)
            Codes (``2 n_atoms`` columns with ``split_sign``).
        """
        self._validate_params()
        return self._transform(X, self._dictionary())

    def inverse_transform(self, X):
        """Signals from codes: ``X @ dictionary``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_atoms)
            Codes.

        Returns
        -------
        signals : ndarray of shape (n_samples, n_features)
        """
        return self._inverse_transform(X, self._dictionary())

    @property
    def components_(self):
        """The dictionary (atoms as rows)."""
        return self._dictionary()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self):
        return self._dictionary().shape[0] * (2 if self.split_sign else 1)

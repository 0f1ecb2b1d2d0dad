"""Logistic estimators of the BCD family: binary and multinomial."""

import math
import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_sample_weight

from sparseopt.bcd._base import (
    BCD_CONSTRAINTS,
    append_intercept_column,
    check_block_size,
    coordinate_penalty_factors,
    engine_blocks,
)
from sparseopt.bcd._predict import LinearClassifierMixin
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, bcd_minimize
from sparseopt.solvers.bcd.monitors import glm_gap_monitor
from sparseopt.solvers.glm.elastic_net import check_penalty_weights
from sparseopt.solvers.glm.logistic import solve_logistic
from sparseopt.solvers.glm.multinomial import solve_multinomial
from sparseopt.utils.validation import (
    check_classification_targets,
    check_random_state_seed,
    validate_data,
)

__all__ = ["SparseLogisticRegression", "MultinomialLogisticRegression"]

_PARAMETERS = """
    alpha : float, default=0.01
        Regularisation strength :math:`\\alpha \\ge 0`.
    l1_ratio : float, default=1.0
        Mixing :math:`\\rho \\in [0, 1]`: 1 is the l1 penalty, 0 the squared
        l2 penalty, in between the elastic net.
    fit_intercept : bool, default=True
        Fit unpenalised intercept(s).
    selection : {"cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq", "gs_r"}, \
default="cyclic"
        Block-selection rule (see the user guide).
    blocks : {"fixed", "sorted", "avg", "variable"} or list of arrays, default="fixed"
        Block partition, or an explicit partition of the coefficients'
        indices (intercepts are updated as one more block).
    update : {"gradient", "adaptive_gradient", "lipschitz_matrix", "newton", "two_metric"}, \
default="newton"
        Block update: proximal gradient step with the block Lipschitz
        constant or an adaptive estimate of it, exact minimisation of the
        model with the constant Hessian bound, proximal Newton with a line
        search, or two-metric projection.
    active_set : bool, default=False
        Once the support is identified, update it as one block with Newton
        steps (superlinear final phase).
    weights : array-like of shape (n_features,), default=None
        Per-feature penalty factors :math:`\\omega_j \\ge 0` multiplying both
        penalty terms (glmnet's ``penalty.factor``); 0 leaves a feature
        unpenalised. ``None`` means all ones.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * P(0)`` (``P(0)`` the
        objective at zero) and the gradient of the unpenalised coordinates
        (intercepts, features of zero penalty factor) is at most ``tol``
        times the largest gradient entry at the start. The default solvers
        then take the gap at a dual point made feasible for the unpenalised
        coordinates by their Newton step, or for the binary intercept alone
        by balancing the classes (a certificate, reported as ``dual_gap_``;
        see the user guide).
    max_iter : int, default=1000
        Maximum number of epochs: passes over the working set's columns for
        the default solver (one per Newton gradient and one per
        coordinate-descent pass on the Newton model), passes over all blocks
        for the block engine. A ConvergenceWarning is raised when reached.
        A Newton step needs two epochs: with ``max_iter=1`` the default
        solver returns its starting point (zeros, or the warm start) with
        ``n_iter_ = 0``, where scikit-learn's solvers make one iteration.
    warm_start : bool, default=False
        Start from the previous solution when refitting.
    random_state : int, RandomState instance or None, default=None
        Seeds the random and Lipschitz rules.
    verbose : int, default=0
        Print the objective and criterion through
        :class:`~sparseopt.utils.IterationPrinter` (1: at most one line a
        second, 2: every check), on the default solver and the block engine.
"""

_ATTRIBUTES = """
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Epochs run (see ``max_iter``).
    dual_gap_ : float
        Duality gap at the solution, in objective units (NaN without a
        penalty, ``alpha=0``: no dual bound; the fit stops when the largest
        gradient entry is at most ``tol`` times its value at zero).
    kkt_violation_ : float
        Largest violation of the optimality conditions.
    history_ : ConvergenceHistory
        Objective and relative criterion at each check, with timings.
    active_set_iteration_ : int or None
        Block update at which the active set was identified (``active_set``).
    n_features_in_ : int
        Number of features seen during fit.
"""

_REFERENCES = """
    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
"""


def _check_engine_sample_weight(sample_weight, fast):
    if sample_weight is not None and not fast:
        raise ValueError(
            "sample_weight is supported by the default solver only (blocks='fixed', one "
            "feature per block, selection='cyclic', update='newton', active_set=False); the "
            "block-engine configurations of the logistic estimators do not take sample "
            "weights.")


class _LogisticBase(LinearClassifierMixin, BaseEstimator):
    _parameter_constraints: dict = {
        **BCD_CONSTRAINTS,
        "alpha": [Interval(Real, 0, np.inf, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "active_set": ["boolean"],
        "weights": ["array-like", None],
    }

    def _validate(self, X, y, sample_weight):
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr"], dtype=np.float64)
        weights = check_penalty_weights(self.weights, X.shape[1])
        if sample_weight is not None and not np.isscalar(sample_weight):
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
            if np.all(sample_weight == sample_weight[0]):
                sample_weight = None  # uniform weights do not change the problem
        else:
            sample_weight = None

        check_classification_targets(y)
        # (LabelEncoder's classes and codes in one sort: 0.06 ms against 0.66 ms
        # at 2000 samples)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must contain at least two classes; got one class: {self.classes_[0]!r}."
            )
        return X, encoded, sample_weight, weights

    def _engine(self, X, target, loss, n_outputs, start):
        n_samples = X.shape[0]
        design = append_intercept_column(X) if self.fit_intercept else X
        n_coords = design.shape[1] * n_outputs
        datafit = GLMDatafit(design, target, loss, 1.0 / n_samples, n_outputs=n_outputs)
        weights = np.repeat(coordinate_penalty_factors(self.weights, X.shape[1], design.shape[1]),
                            n_outputs)
        if self.fit_intercept:
            weights[-n_outputs:] = 0.0
        penalty = ElasticNetPenalty(self.alpha * self.l1_ratio,
                                    self.alpha * (1.0 - self.l1_ratio), weights)
        zero_state = datafit.start(np.zeros(n_coords), track_gradient=False)
        tol, name, monitor = self.tol, "relative_criterion", None
        if (penalty.l1 > 0 or penalty.l2 > 0) and weights.any():
            monitor = glm_gap_monitor(datafit, penalty, datafit.value(zero_state),
                                      intercept=self.fit_intercept)
        else:  # no penalty: no dual bound, the largest gradient entry against its value at 0
            name = "kkt_violation"
            tol = self.tol * max(float(np.max(np.abs(datafit.full_gradient(zero_state)))),
                                 np.finfo(float).tiny)
        n_intercepts = n_outputs if self.fit_intercept else 0
        blocks = engine_blocks(self.blocks, n_coords - n_intercepts, n_intercepts,
                               what="coefficients" if n_outputs > 1 else "features")
        coef, info = bcd_minimize(
            datafit, penalty, start, blocks=blocks, block_size=self.block_size,
            selection=self.selection, update=self.update,
            max_epochs=self.max_iter, tol=tol, monitor=monitor, criterion_name=name,
            active_set=self.active_set,
            random_state=np.random.default_rng(check_random_state_seed(self.random_state)),
            verbose=self.verbose)
        if not info["converged"]:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} epochs: "
                f"{name} {info['criterion']:.3e} > tol = {tol:.3e}.",
                ConvergenceWarning, stacklevel=3)
        state = datafit.start(coef, track_gradient=False)
        violations = penalty.violations(datafit.full_gradient(state), coef)
        self.n_iter_ = math.ceil(info["n_iter"] / info["updates_per_epoch"] - 1e-9)
        self.dual_gap_ = np.nan if monitor is None else monitor.last_gap
        self.kkt_violation_ = float(violations.max(initial=0.0))
        self.history_ = info["history"]
        self.active_set_iteration_ = info["active_set_iteration"]
        return coef

class SparseLogisticRegression(_LogisticBase):
    _binary_only = True
    __doc__ = r"""Binary logistic regression with l1, l2 or elastic-net penalty by BCD.

    Minimises the mean log-loss plus the penalty,

    .. math:: \frac1n\sum_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
              + \alpha\rho\|w\|_1 + \frac{\alpha(1-\rho)}{2}\|w\|_2^2 ,

    with the two classes mapped to :math:`y_i \in \{-1, 1\}`. (scikit-learn's
    ``C`` is :math:`1 / (n \alpha)`.)

    Parameters
    ----------""" + _PARAMETERS + """    block_size : int, default=1
        Coordinates per block.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,)
        Intercept.""" + _ATTRIBUTES + """
    Notes
    -----
    The default configuration (``blocks="fixed"``, ``block_size=1``,
    ``selection="cyclic"``, ``update="newton"``) runs a working-set proximal
    Newton solver whose Newton model is minimised by cyclic coordinate
    descent (:mod:`sparseopt.solvers.glm.logistic`); every other combination
    runs the generic block engine.
""" + _REFERENCES + """
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sparseopt.bcd import SparseLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = SparseLogisticRegression(alpha=0.01).fit(X, y)
    >>> model.score(X, y) > 0.95, int((model.coef_ != 0).sum()) < 30
    (True, True)
    """

    def __init__(self, alpha=0.01, *, l1_ratio=1.0, fit_intercept=True, selection="cyclic",
                 blocks="fixed", block_size=1, update="newton", active_set=False,
                 weights=None, tol=1e-4, max_iter=1000, warm_start=False, random_state=None,
                 verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.selection = selection
        self.blocks = blocks
        self.block_size = block_size
        self.update = update
        self.active_set = active_set
        self.weights = weights
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _uses_fast_solver(self):
        return (isinstance(self.blocks, str) and self.blocks == "fixed"
                and self.block_size in (1, None) and self.selection == "cyclic"
                and self.update == "newton" and not self.active_set)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (not modified; at most one copy is made).
        y : array-like of shape (n_samples,)
            Two-class labels (any two values).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights: the loss becomes their weighted mean
            (scikit-learn's semantics with ``C = 1 / (alpha * sum(sample_weight))``).

        Returns
        -------
        self : SparseLogisticRegression
            The fitted estimator.
        """
        X, encoded, sample_weight, weights = self._validate(X, y, sample_weight)
        if len(self.classes_) > 2:
            raise ValueError(
                f"Only binary classification is supported. y has {len(self.classes_)} "
                "classes: use MultinomialLogisticRegression."
            )
        check_block_size(self.block_size, X.shape[1])
        _check_engine_sample_weight(sample_weight, self._uses_fast_solver())
        target = np.where(encoded == 1, 1.0, -1.0)
        n_features = X.shape[1]
        warm = self.warm_start and getattr(self, "coef_", None) is not None and \
            self.coef_.shape == (1, n_features)
        if self._uses_fast_solver():
            coef, intercept, info = solve_logistic(
                X, target, self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio),
                fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
                coef_init=self.coef_.ravel() if warm else None,
                intercept_init=float(self.intercept_[0]) if warm else 0.0,
                sample_weight=sample_weight, weights=weights, verbose=self.verbose)
            self.n_iter_ = info["n_iter"]
            self.dual_gap_ = info["dual_gap"]
            self.kkt_violation_ = info["kkt_violation"]
            self.history_ = info["history"]
            self.active_set_iteration_ = None
        else:
            start = np.zeros(n_features + int(self.fit_intercept))
            if warm:
                start[:n_features] = self.coef_.ravel()
                if self.fit_intercept:
                    start[-1] = self.intercept_[0]
            full = self._engine(X, target, "logistic", 1, start)
            coef = full[:n_features]
            intercept = float(full[-1]) if self.fit_intercept else 0.0
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        return self

class MultinomialLogisticRegression(_LogisticBase):
    __doc__ = r"""Multinomial (softmax) logistic regression with l1/l2/elastic-net penalty.

    Minimises

    .. math:: \frac1n\sum_i \left(\log\sum_k e^{x_i^\top w_k + b_k}
              - x_i^\top w_{y_i} - b_{y_i}\right)
              + \alpha\rho\|W\|_1 + \frac{\alpha(1-\rho)}{2}\|W\|_F^2

    over :math:`W \in \mathbb{R}^{p \times K}` by block coordinate descent
    where, by default, a block is one feature's :math:`K` class coefficients
    (the paper's softmax experiments) with its exact :math:`K \times K`
    Hessian. The defaults run a working-set proximal Newton method whose
    quadratic models are minimised by cyclic passes over these blocks, each
    Newton step followed by a line search; any other rule, partition or
    update runs the block engine, where each block takes its own proximal
    Newton step with a line search (``update="lipschitz_matrix"`` uses
    instead the constant bound
    :math:`\tilde H_b = \frac{\|x_j\|^2}{n} \frac12 (I - \frac{1}{K}11^\top)`
    of the block Hessian, Boehning's bound, which needs no line search but
    converges slower when the classes are well separated).

    Parameters
    ----------""" + _PARAMETERS.replace('default="fixed"\n        Block partition',
                                        'default="fixed"\n        Block partition over '
                                        'the flattened ``(n_features, n_classes)`` coefficients') \
        + """    block_size : int or None, default=None
        Coordinates per block; ``None`` means ``n_classes`` (one feature).

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients; those of unpenalised features (``alpha=0`` or a zero
        penalty factor) centred over the classes, as the intercepts.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts, centred (the softmax is unchanged by a common shift, so
        every shift is optimal; scikit-learn's sum to zero too).""" + _ATTRIBUTES + """
    Notes
    -----
    The default configuration (cyclic fixed blocks of one feature, Newton
    updates) runs the compiled working-set proximal Newton solver
    (:mod:`sparseopt.solvers.glm.multinomial`; ``n_iter_`` counts its passes
    over the working set's columns: one per gradient evaluation and one per
    pass on a Newton model); every other combination runs the generic block
    engine. On standardised scikit-learn datasets, to a relative duality gap
    of 1e-6, it took 3.4 ms on iris (``alpha=1e-3``), 2.1 ms on wine and
    183 ms on digits (``alpha=1e-2``), 3.6-7.8x less than the per-feature
    cyclic block Newton it replaced (26.5, 7.6 and 963 ms); that one was up
    to 1.4x faster on a sparse 2000 x 5000 design whose solution has more
    non-zero rows than samples (elastic net: 26 against 37 ms; the working
    sets grow from 10 features). After each block's coordinate descent, its row moves along
    the common shift of the classes, which leaves the probabilities
    unchanged and along which the block Hessian is singular (it is the
    penalty's minimiser along that line).

    With two classes this is not the binary model of scikit-learn's
    ``LogisticRegression``: ``coef_`` has two rows, both penalised (with the
    l2 penalty the probabilities are those of
    ``SparseLogisticRegression(alpha=alpha / 2)``; with l1 the split of the
    coefficients between the rows is not unique). Use
    :class:`SparseLogisticRegression` for the binary model.
""" + _REFERENCES + """
    Examples
    --------
    Standardised features (at this ``alpha`` raw iris needs 3470 epochs, and
    scikit-learn's saga about 3000 iterations; standardised, 236 epochs and
    about 560):

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sparseopt.bcd import MultinomialLogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MultinomialLogisticRegression(alpha=1e-3))
    >>> model.fit(X, y).score(X, y) > 0.95
    True
    """

    def __init__(self, alpha=0.01, *, l1_ratio=1.0, fit_intercept=True, selection="cyclic",
                 blocks="fixed", block_size=None, update="newton", active_set=False,
                 weights=None, tol=1e-4, max_iter=1000, warm_start=False, random_state=None,
                 verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.selection = selection
        self.blocks = blocks
        self.block_size = block_size
        self.update = update
        self.active_set = active_set
        self.weights = weights
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _uses_fast_solver(self, n_classes):
        return (isinstance(self.blocks, str) and self.blocks == "fixed"
                and self.block_size in (None, n_classes) and self.selection == "cyclic"
                and self.update == "newton" and not self.active_set)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (not modified; at most one copy is made).
        y : array-like of shape (n_samples,)
            Labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights: the loss becomes their weighted mean.

        Returns
        -------
        self : MultinomialLogisticRegression
            The fitted estimator.
        """
        X, encoded, sample_weight, weights = self._validate(X, y, sample_weight)
        n_classes, n_features = len(self.classes_), X.shape[1]
        n_rows = n_features + int(self.fit_intercept)
        check_block_size(self.block_size, n_rows * n_classes,
                         what="n_features * n_classes")
        block_size = n_classes if self.block_size is None else self.block_size
        _check_engine_sample_weight(sample_weight, self._uses_fast_solver(n_classes))
        start = np.zeros((n_rows, n_classes))
        if self.warm_start and getattr(self, "coef_", None) is not None and \
                self.coef_.shape == (n_classes, n_features):
            start[:n_features] = self.coef_.T
            if self.fit_intercept:
                start[-1] = self.intercept_
        if self._uses_fast_solver(n_classes):
            full, info = solve_multinomial(
                X, encoded, n_classes, self.alpha * self.l1_ratio,
                self.alpha * (1.0 - self.l1_ratio), fit_intercept=self.fit_intercept,
                tol=self.tol, max_iter=self.max_iter, coef_init=start,
                sample_weight=sample_weight, weights=weights, verbose=self.verbose)
            self.n_iter_ = info["n_iter"]
            self.dual_gap_ = info["dual_gap"]
            self.kkt_violation_ = info["kkt_violation"]
            self.history_ = info["history"]
            self.active_set_iteration_ = None
        else:
            original = self.block_size
            self.block_size = block_size
            try:
                full = self._engine(X, encoded.astype(np.float64), "multinomial", n_classes,
                                    start.ravel()).reshape(n_rows, n_classes)
            finally:
                self.block_size = original
        # the softmax is unchanged by a common shift of a row: where the penalty
        # is too (unpenalised rows, the intercept), the centred row, as sklearn's
        coef = full[:n_features]
        unpenalised = np.ones(n_features, dtype=bool) if self.alpha == 0 else (
            np.zeros(n_features, dtype=bool) if weights is None else weights == 0)
        coef[unpenalised] -= coef[unpenalised].mean(axis=1, keepdims=True)
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = np.zeros(n_classes)
        if self.fit_intercept:
            self.intercept_ = full[-1] - full[-1].mean()
        return self


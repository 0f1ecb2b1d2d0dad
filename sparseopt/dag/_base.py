"""The shared fit of the central-path DAG estimators, their shared docs."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from sparseopt.dag._validation import edge_mask, warn_few_samples
from sparseopt.dag.metrics import is_dag, to_dag
from sparseopt.solvers.dag.central_path import OUT_OF_STEPS, STEP_UNDERFLOW, central_path_fit
from sparseopt.utils import IterationPrinter
from sparseopt.utils.validation import validate_data

__all__ = ["PRUNING_WARNING_FRACTION", "COLUMN_SCALE_WARNING_RATIO"]

# A fit warns when cycle pruning removes more than this fraction of the
# above-threshold edges (the optimisation did not end near a DAG).
PRUNING_WARNING_FRACTION = 0.2
# DagmaLinear warns when the largest and smallest column standard deviations
# differ by more than this factor (simulated linear SEMs with weights
# +-[0.5, 2] reach 50-700 at d = 20-50, raw Sachs 37).
COLUMN_SCALE_WARNING_RATIO = 1e3

_PAPER_SCHEDULE = {"lambda1": 0.05, "T": 4, "s": (1.0, 0.9, 0.8, 0.7), "warm_iter": 20000,
                   "max_iter": 70000}
_DAGMA_SCHEDULE = {"lambda1": 0.03, "T": 5, "s": (1.0, 0.9, 0.8, 0.7, 0.6), "warm_iter": 30000,
                   "max_iter": 60000}


class _CentralPathDAG(BaseEstimator):
    """Shared fit of the central-path DAG estimators.

    Subclasses define ``_prepare(X)`` (the data as scored, the score, the
    units of each column and the noise floor) and ``_free_diagonal()``.
    """

    _parameter_constraints: dict = {
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "T": [Interval(Integral, 1, None, closed="left")],
        "mu_init": [Interval(Real, 0, None, closed="neither")],
        "mu_factor": [Interval(Real, 0, 1, closed="neither")],
        "s": ["array-like", Interval(Real, 0, None, closed="neither")],
        "warm_iter": [Interval(Real, 1, None, closed="left")],
        "max_iter": [Interval(Real, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "w_threshold": [Interval(Real, 0, None, closed="left")],
        "checkpoint": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "forbidden_edges": ["array-like", None],
        "required_edges": ["array-like", None],
        "w_init": ["array-like", None],
        "official": ["boolean"],
        "verbose": ["verbose"],
    }

    def _schedule(self):
        """``lambda1, T, s, warm_iter, max_iter`` (``None`` takes the defaults)."""
        defaults = self._schedule_defaults()
        schedule = {name: defaults[name] if getattr(self, name) is None else getattr(self, name)
                    for name in defaults}
        s = np.atleast_1d(np.asarray(schedule["s"], dtype=np.float64))
        if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ValueError(
                f"s must be a positive finite number or a sequence of them, got {self.s!r}.")
        schedule["s"] = s.tolist()
        return schedule

    def _schedule_defaults(self):
        return _PAPER_SCHEDULE

    def _validate_X(self, X):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=1,
                          ensure_min_features=2)
        if X.shape[0] < 2:
            raise ValueError("X has 1 sample: a DAG cannot be estimated from a single sample "
                             "(the centred data are zero); pass at least 2 rows, in practice "
                             "more rows than columns.")
        return X

    def _masks(self, d):
        forbidden = edge_mask(self.forbidden_edges, d, "forbidden_edges")
        required = edge_mask(self.required_edges, d, "required_edges")
        if (forbidden & required).any():
            raise ValueError("forbidden_edges and required_edges share edge(s) "
                             f"{np.argwhere(forbidden & required).tolist()}.")
        if np.diag(required).any():
            raise ValueError("required_edges contains a self-loop.")
        if not is_dag(required):
            raise ValueError("required_edges contain a directed cycle.")
        return forbidden, required

    def _check_w_init(self, d, keep, s0):
        if self.w_init is None:
            return None
        w_init = np.array(self.w_init, dtype=np.float64)
        if w_init.shape != (d, d) or not np.isfinite(w_init).all():
            raise ValueError(f"w_init must be a finite ({d}, {d}) array.")
        if np.any(np.abs(np.diag(w_init)) > 0) and not self._free_diagonal():
            raise ValueError("w_init has a non-zero diagonal: self-loops are never learned "
                             "(official=True optimises the diagonal, as the official code).")
        if np.any(np.abs(w_init)[~keep] > 0):
            raise ValueError("w_init has non-zero forbidden edges.")
        if np.any(np.linalg.eigvals(s0 * np.eye(d) - w_init**2).real <= 0):
            raise ValueError(
                f"s[0] = {s0} is too small for w_init: s I - w_init o w_init must be a "
                "non-singular M-matrix (increase s or shrink w_init).")
        return w_init

    def _required_l1_weight(self):
        """l1 weight of the required edges: 0 (unpenalised)."""
        return 0.0

    def _scale_dependent(self):
        """Whether the graph depends on a uniform rescaling of X."""
        return self.official

    def _post_process(self, W, required):
        """``(dag, n_above, n_pruned)`` from the optimised weights."""
        n_above = int(np.count_nonzero((np.abs(W) > self.w_threshold) | (required & (W != 0))))
        dag, n_pruned = to_dag(W, self.w_threshold, required,
                               prune="weakest" if self.official else "cycles")
        return dag, n_above, n_pruned

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the DAG.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_nodes)
            Observations (not modified).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = self._validate_X(X)
        name = type(self).__name__
        n, d = X.shape
        schedule = self._schedule()
        forbidden, required = self._masks(d)
        keep = ~forbidden
        if not self._free_diagonal():
            np.fill_diagonal(keep, False)
        w_init = self._check_w_init(d, keep, schedule["s"][0])
        data, score, units, sigma_floor = self._prepare(X)
        warn_few_samples(n, d, name)
        l1_mask = np.where(required, self._required_l1_weight(), 1.0)
        if self._scale_dependent() and not required.any():
            _warn_if_empty_is_optimal(name, data, score, keep, schedule["lambda1"])
        W, sigma, info = central_path_fit(
            data, score, lambda1=schedule["lambda1"], T=schedule["T"], mu_init=self.mu_init,
            mu_factor=self.mu_factor, s=schedule["s"], warm_iter=int(schedule["warm_iter"]),
            max_iter=int(schedule["max_iter"]), lr=self.lr, checkpoint=self.checkpoint,
            tol=self.tol, sigma_floor=sigma_floor, l1_mask=l1_mask,
            keep_mask=keep.astype(float), w_init=None if w_init is None else
            w_init * units[:, None] / units[None, :],
            printer=IterationPrinter(name, self.verbose) if self.verbose else None)
        self._warn_convergence(info, int(schedule["max_iter"]))
        dag, n_above, n_pruned = self._post_process(W, required)
        if n_pruned > PRUNING_WARNING_FRACTION * n_above:
            warnings.warn(
                f"{name}: making the graph acyclic pruned {n_pruned} of its {n_above} "
                f"above-threshold edges (more than {PRUNING_WARNING_FRACTION:.0%}): the "
                "optimisation did not end near a DAG. Increase T or max_iter, or check the "
                "scale of X.", UserWarning, stacklevel=3)
        # back to the units of X: X W = X_scored (D^-1 W_scored D), D = diag(units)
        to_units = units[:, None] / units[None, :]
        self.raw_adjacency_ = W / to_units
        self.adjacency_ = dag / to_units
        self.n_pruned_edges_ = n_pruned
        self.noise_scale_ = sigma * units
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        self.s_used_ = np.array(info["s"])
        return self

    def _warn_convergence(self, info, max_iter):
        name = type(self).__name__
        # with a single objective check (max_iter <= checkpoint) there is no
        # change to measure: no verdict
        if info["status"] == OUT_OF_STEPS and info["n_checks"] >= 2:
            warnings.warn(
                f"{name}: the last stage used all max_iter={max_iter} steps before the "
                f"objective's relative change fell to tol={self.tol}. Increase max_iter or tol.",
                ConvergenceWarning, stacklevel=4)
        elif info["status"] == STEP_UNDERFLOW:
            warnings.warn(
                f"{name}: in the last stage, backtracking to stay in the M-matrix domain "
                "halved the learning rate below 1e-16 (the weights stopped moving). Decrease "
                "lr or increase s.", ConvergenceWarning, stacklevel=4)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _warn_if_empty_is_optimal(name, data, score, keep, lambda1):
    """Warn when ``W = 0`` is a stationary point of every stage.

    At ``W = 0`` the gradient of ``h`` vanishes, so ``W = 0`` is stationary
    for every ``mu`` exactly when every free entry of the score's gradient
    there is at most ``lambda1`` in magnitude (the l1 subgradient). For the
    scale-dependent scores this happens when ``X`` is measured in small
    units."""
    n = data.shape[0]
    gradient = data.T @ data / n
    if score == "colide_ev":
        gradient = gradient / np.min(np.linalg.norm(data, axis=0) / np.sqrt(n))
    elif score == "colide_nv":
        gradient = gradient / (np.linalg.norm(data, axis=0) / np.sqrt(n))[None, :]
    largest = float(np.max(np.abs(gradient)[keep], initial=0.0))
    if largest <= lambda1:
        warnings.warn(
            f"{name}: W = 0 satisfies the optimality conditions of every stage (the largest "
            f"entry of the score's gradient there, {largest:.3g}, is at most lambda1="
            f"{lambda1:g}), so the estimated graph is empty. This score depends on the units "
            "of X: if they are small, rescale X (DagmaLinear: standardize=True) or use "
            "ColideEV / ColideNV with official=False, which are scale-free.",
            UserWarning, stacklevel=4)


_SCHEDULE_PARAMETERS = """
    T : int, default=4
        Number of central-path stages.
    mu_init : float, default=1.0
        Weight of the score in the first stage.
    mu_factor : float, default=0.1
        Factor applied to ``mu`` after each stage.
    s : float or sequence of float, default=(1.0, 0.9, 0.8, 0.7)
        Log-det parameter per stage (the last value is repeated when shorter
        than ``T``); a stage that leaves the M-matrix domain is restarted with
        ``s + 0.1`` and half the learning rate.
    warm_iter : int, default=20000
        Adam steps of every stage but the last.
    max_iter : int, default=70000
        Adam steps of the last stage."""

_COMMON_PARAMETERS = """
    lr : float, default=3e-4
        Adam learning rate.
    w_threshold : float, default=0.3
        Weights of at most this magnitude are dropped, then the weakest edges
        on cycles are pruned until the graph is acyclic (``official=True``:
        the weakest edges, on cycles or not, as the official code).
    checkpoint : int, default=1000
        Steps between objective checks; a stage ends when the objective
        changed by at most ``tol`` relatively.
    tol : float, default=1e-6
        Relative change of the objective that ends a stage.
    forbidden_edges : array-like, optional
        Edges held at zero throughout: a boolean ``(d, d)`` mask (or a 0/1
        ``(d, d)`` array), a list of ``(i, j)`` tuples or an ``(m, 2)``
        integer array of pairs. A non-boolean ``(2, 2)`` array is refused:
        it could be either.
    required_edges : array-like, optional
        Same format: these edges carry no l1 penalty, are never thresholded or
        pruned (an error is raised if they contain a cycle); an unpenalised
        weight is non-zero in practice, so they appear in ``adjacency_``.
    w_init : array-like of shape (d, d), optional
        Starting weights (zero by default), in the units of ``X``.
    verbose : int, default=0
        1 prints a progress line per second and one at the end of each stage
        (stage, ``mu``, ``s``, the stage's steps, the objective, its relative
        change and ``h``), 2 prints one at every objective check."""

_ATTRIBUTES = """
    adjacency_ : ndarray of shape (d, d)
        Weighted adjacency of the estimated DAG (thresholded and pruned;
        ``adjacency_[i, j] != 0`` for an edge ``i -> j``). Always acyclic.
    raw_adjacency_ : ndarray of shape (d, d)
        Weights at the end of the optimisation, before thresholding.
    n_pruned_edges_ : int
        Above-threshold edges removed to make the graph acyclic; a
        ``UserWarning`` is raised when they are more than
        ``PRUNING_WARNING_FRACTION`` (20%) of the above-threshold edges.
    n_iter_ : int
        Adam steps over all stages (restarts included).
    history_ : ConvergenceHistory
        Objective at every checkpoint.
    s_used_ : ndarray
        ``s`` of each stage after domain restarts.
    n_features_in_ : int
        Number of nodes."""

_REFERENCES = """
    References
    ----------
    .. [1] S. S. Saboksayr, G. Mateos, M. Tepper. "CoLiDE: Concomitant
       linear DAG estimation", ICLR 2024.
    .. [2] K. Bello, B. Aragam, P. Ravikumar. "DAGMA: Learning DAGs via
       M-matrices and a log-determinant acyclicity characterization",
       NeurIPS 2022.
"""

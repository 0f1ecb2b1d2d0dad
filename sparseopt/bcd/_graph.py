"""Graph label propagation: the paper's sparse quadratic, solved with forest
blocks and message passing."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.bcd._base import BCD_CONSTRAINTS
from sparseopt.solvers.bcd import (
    ElasticNetPenalty,
    QuadraticDatafit,
    bcd_minimize,
)
from sparseopt.utils.validation import (
    check_array,
    check_consistent_length,
    check_random_state_seed,
    validate_data,
)

__all__ = ["GraphLabelPropagation"]


class GraphLabelPropagation(RegressorMixin, BaseEstimator):
    r"""Label propagation on a graph by block coordinate descent with message passing.

    Given a graph with non-negative weights :math:`w_{ij}` and values
    :math:`y_i` on the labelled nodes :math:`L`, finds the values of the
    unlabelled nodes :math:`U` minimising the smoothness energy

    .. math:: \frac12 \sum_{(i, j) \in E} w_{ij} (x_i - x_j)^2
              + \frac{\alpha}{2}\sum_{i \in U} x_i^2, \qquad x_L = y_L,

    a quadratic :math:`\frac12 x_U^\top A x_U - b^\top x_U` with :math:`A`
    the graph Laplacian restricted to :math:`U` (plus :math:`\alpha I`) and
    :math:`b = W_{UL} y_L`. This is the paper's label-propagation problem: by
    default it is solved with blocks that are forests of the graph, each
    minimised exactly by message passing (Gaussian elimination from the leaves,
    linear time), which moves far more mass per iteration than the red-black
    (independent set) blocks of classic Gauss-Seidel.

    Parameters
    ----------
    affinity : {"precomputed", "knn"}, default="knn"
        ``"precomputed"``: ``X`` in :meth:`fit` is the symmetric
        ``(n_nodes, n_nodes)`` weight matrix; ``"knn"``: ``X`` holds features
        and the graph links each point to its ``n_neighbors`` nearest
        neighbours (symmetrised, unit weights), as in the paper's two-moons
        experiment.
    n_neighbors : int, default=7
        Neighbours of the kNN graph.
    alpha : float, default=0.0
        Ridge weight on the unlabelled values (makes the problem strictly
        convex even where a component of the graph carries no label).
    selection : str, default="cyclic"
        Block-selection rule, one of "cyclic", "random", "lipschitz", "gs",
        "gsl", "gsd", "gsq", "gs_r". With ``blocks="tree"``: "cyclic" and
        "lipschitz" visit the fixed forest partition, greedy rules grow one
        forest per iteration by decreasing score (the paper's greedy trees)
        and "random" grows one along a random order (its random trees).
    blocks : str or list of arrays, default="tree"
        One of "tree", "red_black", "general", "fixed", "sorted", "avg",
        "variable", or a list of blocks. ``"tree"``: a greedy partition of the nodes into forests;
        ``"red_black"``: a greedy colouring (independent sets, for which
        block updates reduce to Gauss-Seidel); ``"general"``: the paper's
        general block, the ``block_size`` (default ``n ** (1/3)``) nodes
        chosen by the rule, solved densely (``update="lipschitz_matrix"``);
        or any partition of the engine, or an explicit list of blocks
        partitioning the indices of the unlabelled nodes.
    block_size : int or None, default=None
        Block size for the flat partitions; cap on greedy and random forests.
    update : str, default="message_passing"
        Block update, one of "message_passing" (needs forest blocks),
        "gradient", "adaptive_gradient", "lipschitz_matrix" (the exact block
        solve: dense, or sparse for large blocks), "newton", "two_metric".
    tol : float, default=1e-6
        Stop when :math:`\|A x_U - b\|_\infty \le \mathrm{tol}\,\|b\|_\infty`.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the blocks).
    random_state : int, RandomState instance or None, default=None
        Seeds the random and Lipschitz rules.
    verbose : int, default=0
        Progress lines of the engine (objective, largest gradient entry,
        elapsed time): ``1`` at most one per second, ``2`` every check.

    Attributes
    ----------
    transduction_ : ndarray of shape (n_nodes,)
        Values of every training node (the labels on labelled nodes).
    n_iter_ : int
        Block updates.
    history_ : ConvergenceHistory
        Objective and largest gradient entry per check.
    n_features_in_ : int
        Number of features (or nodes, when precomputed) seen during fit.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt. "Let's make block coordinate
       descent converge faster: faster greedy rules, message-passing,
       active-set complexity, and superlinear convergence", JMLR 23(131), 2022.
    .. [2] X. Zhu, Z. Ghahramani, J. Lafferty. "Semi-supervised learning
       using Gaussian fields and harmonic functions", ICML 2003.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import GraphLabelPropagation
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, np.nan, np.nan, 3.0])
    >>> model = GraphLabelPropagation(n_neighbors=1, tol=1e-12).fit(X, y)
    >>> np.round(model.transduction_, 6)
    array([0., 1., 2., 3.])
    """

    _parameter_constraints: dict = {
        "affinity": [StrOptions({"precomputed", "knn"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        **{key: BCD_CONSTRAINTS[key] for key in ("selection", "blocks", "block_size", "update",
                                                 "tol", "max_iter", "random_state",
                                                 "verbose")},
    }

    def __init__(self, affinity="knn", *, n_neighbors=7, alpha=0.0, selection="cyclic",
                 blocks="tree", block_size=None, update="message_passing", tol=1e-6,
                 max_iter=1000, random_state=None, verbose=0):
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.selection = selection
        self.blocks = blocks
        self.block_size = block_size
        self.update = update
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose

    def _graph(self, X):
        if self.affinity == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    f"X must be a square affinity matrix with affinity='precomputed', "
                    f"got shape {X.shape}.")
            weights = sp.csr_matrix(X, dtype=np.float64)
            if weights.nnz and weights.data.min() < 0:
                raise ValueError("X (the graph weights) must be non-negative.")
            if abs(weights - weights.T).sum() > 1e-10 * max(abs(weights).sum(), 1.0):
                raise ValueError("X (the graph weights) must be symmetric.")
            weights = weights.tolil()
            weights.setdiag(0.0)
            return weights.tocsr()
        n_neighbors = min(self.n_neighbors, X.shape[0] - 1)
        if n_neighbors < 1:
            return sp.csr_matrix((X.shape[0], X.shape[0]))
        self._neighbors = NearestNeighbors(n_neighbors=n_neighbors).fit(X)
        graph = self._neighbors.kneighbors_graph(mode="connectivity")  # excludes each point
        return ((graph + graph.T) > 0).astype(np.float64).tocsr()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Propagate the labels.

        Parameters
        ----------
        X : {array-like, sparse matrix}
            Features ``(n_nodes, n_features)`` for ``affinity="knn"``, or the
            symmetric non-negative weights ``(n_nodes, n_nodes)`` for
            ``"precomputed"``.
        y : array-like of shape (n_nodes,)
            Values on labelled nodes, ``NaN`` on unlabelled ones.

        Returns
        -------
        self : GraphLabelPropagation
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                "GraphLabelPropagation requires y to be passed, but the target y is None.")
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, ensure_min_samples=2)
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=np.float64,
                                     ensure_all_finite="allow-nan", input_name="y"),
                         warn=True)
        check_consistent_length(X=X, y=y)
        labelled = ~np.isnan(y)
        if not labelled.any():
            raise ValueError("y must contain at least one labelled node (non-NaN value).")
        weights = self._graph(X)
        self._training_values = None
        transduction = np.where(labelled, y, 0.0)
        unknown = np.flatnonzero(~labelled)
        if unknown.size:
            transduction[unknown] = self._solve(weights, y, labelled, unknown)
        else:  # every node is labelled: the one (trivial) iteration copies y
            self.n_iter_ = 1
            self.history_ = None
        self.transduction_ = transduction
        return self

    def _solve(self, weights, y, labelled, unknown):
        degree = np.asarray(weights.sum(axis=1)).ravel()
        restricted = weights[unknown][:, unknown]
        A = (sp.diags(degree[unknown] + self.alpha) - restricted).tocsr()
        b = np.asarray(weights[unknown][:, np.flatnonzero(labelled)] @ y[labelled]).ravel()
        if self.alpha == 0.0:
            n_components, component = connected_components(restricted, directed=False)
            anchored = np.zeros(n_components, dtype=bool)
            anchored[component[degree[unknown] - np.asarray(restricted.sum(axis=1)).ravel()
                               > 0]] = True
            if not anchored.all():
                raise ValueError(
                    f"{int((~anchored).sum())} group(s) of unlabelled nodes have no path to a "
                    "labelled node: label more nodes, connect the graph (more neighbours) "
                    "or set alpha > 0.")
        datafit = QuadraticDatafit(A, b)
        penalty = ElasticNetPenalty(0.0, 0.0, np.ones(unknown.size))
        scale = max(float(np.max(np.abs(b), initial=0.0)), np.finfo(float).tiny)
        rng = np.random.default_rng(check_random_state_seed(self.random_state))
        values, info = bcd_minimize(
            datafit, penalty, blocks=self.blocks, block_size=self.block_size,
            selection=self.selection, update=self.update, max_epochs=self.max_iter,
            tol=self.tol * scale, criterion_name="gradient_max", random_state=rng,
            verbose=self.verbose)
        if not info["converged"]:
            warnings.warn(
                f"GraphLabelPropagation did not converge in max_iter={self.max_iter} epochs: "
                f"largest gradient {info['criterion']:.3e} > {self.tol * scale:.3e}.",
                ConvergenceWarning, stacklevel=3)
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        return values

    def predict(self, X):
        """Values at new points: weighted average over their training neighbours.

        Meant for points outside the graph: on the training points
        themselves (``"knn"``) a point is its own nearest neighbour and the
        one-way neighbour graph is not the symmetrised graph that was solved,
        so ``predict(X_train)`` differs from ``transduction_`` (use that).

        Parameters
        ----------
        X : {array-like, sparse matrix}
            Features of new points (``"knn"``), or their weights to the
            training nodes, shape ``(n_points, n_nodes)`` (``"precomputed"``).

        Returns
        -------
        values : ndarray of shape (n_points,)
            Propagated values.
        """
        check_is_fitted(self)
        if self.affinity == "precomputed":
            X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
            weights = sp.csr_matrix(X)
            if weights.nnz and weights.data.min() < 0:
                raise ValueError("X (the weights to the training nodes) must be non-negative.")
        else:
            X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
            if getattr(self, "_neighbors", None) is None:
                return np.full(X.shape[0], self.transduction_.mean())
            weights = self._neighbors.kneighbors_graph(X, mode="connectivity")
        totals = np.asarray(weights.sum(axis=1)).ravel()
        sums = np.asarray(weights @ self.transduction_).ravel()
        fallback = float(self.transduction_.mean())
        return np.divide(sums, totals, out=np.full(totals.shape, fallback), where=totals > 0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

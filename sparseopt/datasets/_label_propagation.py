r"""Graph-based semi-supervised label propagation as sparse quadratics.

Given a weighted graph :math:`W` and values :math:`y_j` on a labelled set
:math:`\mathcal{L}`, label propagation (Zhu, Ghahramani & Lafferty, 2003)
finds values on the unlabelled nodes :math:`\mathcal{U}` minimising

.. math:: \frac12 \sum_{\{i, j\} \in E} W_{ij} (x_i - x_j)^2,
          \qquad x_j = y_j \ (j \in \mathcal{L}),

which, up to a constant, is the quadratic :math:`f(x) = \frac12 x^\top A x -
b^\top x` in the unknowns :math:`x = x_{\mathcal{U}}`, with the graph
Laplacian :math:`L = \mathrm{diag}(W\mathbf{1}) - W` restricted to the
unknowns, :math:`A = L_{\mathcal{U}\mathcal{U}}`, and
:math:`b = W_{\mathcal{U}\mathcal{L}}\, y_{\mathcal{L}}`. :math:`A` is
symmetric positive definite as soon as every connected component of the
graph holds a labelled node. These are datasets D (lattice) and E (two
moons) of the block coordinate descent experiments of Nutini, Laradji &
Schmidt (2022), whose sparse graphs admit large forest blocks.

References
----------
X. Zhu, Z. Ghahramani and J. Lafferty. Semi-supervised learning using
Gaussian fields and harmonic functions. *ICML*, 2003.

J. Nutini, I. Laradji and M. Schmidt. Let's make block coordinate descent
converge faster: faster greedy rules, message-passing, active-set complexity,
and superlinear convergence. *Journal of Machine Learning Research*,
23(131):1-74, 2022.
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.neighbors import kneighbors_graph
from sklearn.utils import Bunch, check_random_state

from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["make_lattice_label_propagation", "make_two_moons_label_propagation"]


def _quadratic_from_graph(W, labelled, labels):
    """``A = L[U][:, U]`` and ``b = W[U][:, L] y[L]`` as CSR matrix and vector."""
    degree = np.asarray(W.sum(axis=1)).ravel()
    laplacian = (sp.diags(degree) - W).tocsr()
    unlabelled_index = np.flatnonzero(~labelled)
    labelled_index = np.flatnonzero(labelled)
    A = laplacian[unlabelled_index][:, unlabelled_index].tocsr()
    A.sort_indices()
    coupling = W[unlabelled_index][:, labelled_index]
    b = np.asarray(coupling @ labels[labelled_index]).ravel()
    return A, b, unlabelled_index


def make_lattice_label_propagation(n_rows=50, n_cols=50, n_labelled=100, weight=1e5,
                                   label_scale=10.0, random_state=None):
    r"""Label propagation on a 4-neighbour lattice (dataset D of Nutini et al.).

    The graph is the ``n_rows`` x ``n_cols`` lattice with node
    :math:`i = r + c\, n_{\mathrm{rows}}` (column-major: row
    :math:`r = i \bmod n_{\mathrm{rows}}`, column
    :math:`c = \lfloor i / n_{\mathrm{rows}} \rfloor`) joined to its down
    (:math:`i + 1`) and right (:math:`i + n_{\mathrm{rows}}`) neighbours with
    weight ``weight``. ``n_labelled`` nodes drawn without replacement carry
    values :math:`y_j = \text{label\_scale} \cdot \mathcal{N}(0, 1)`. The
    problem is

    .. math:: \min_x f(x) = \frac12 x^\top A x - b^\top x, \qquad
              A = L_{\mathcal{U}\mathcal{U}}, \quad
              b_i = \sum_{j \in \mathcal{L}} W_{ij} y_j,

    with :math:`L` the Laplacian of the full lattice and :math:`\mathcal{U}`
    the unlabelled nodes; :math:`A` is symmetric positive definite (the
    lattice is connected and holds a label). The random draws are made in
    the order of the authors' code (labelled set by ``choice`` without
    replacement, then the values), so ``random_state=1`` gives their
    labelled nodes and values. Ill-conditioned on purpose: the diagonal of
    :math:`A` is ``weight`` times the degree.

    Parameters
    ----------
    n_rows, n_cols : int, default=50
        Lattice size (at least 1 each, at least 2 nodes in all).
    n_labelled : int, default=100
        Number of labelled nodes, ``1 <= n_labelled < n_rows * n_cols``.
    weight : float, default=1e5
        Positive weight of every edge.
    label_scale : float, default=10.0
        Standard deviation of the labels (``>= 0``).
    random_state : int, RandomState instance or None, default=None
        Seed of the labelled set and values.

    Returns
    -------
    data : sklearn.utils.Bunch
        With fields

        - ``A``: CSR matrix of shape (n_unlabelled, n_unlabelled), symmetric
          positive definite;
        - ``b``: ndarray of shape (n_unlabelled,);
        - ``labelled``: bool mask over all ``n_rows * n_cols`` nodes;
        - ``labels``: ndarray over all nodes, :math:`y_j` on labelled nodes
          and 0 elsewhere;
        - ``unlabelled_index``: ids of the unknowns in the full lattice
          (increasing), so ``x`` solves for nodes ``unlabelled_index``;
        - ``W``: CSR weight matrix of the full lattice (symmetric);
        - ``n_rows``, ``n_cols``: the lattice size.

    References
    ----------
    J. Nutini, I. Laradji and M. Schmidt. Let's make block coordinate descent
    converge faster. *JMLR*, 23(131):1-74, 2022 (dataset D).

    Examples
    --------
    >>> from sparseopt.datasets import make_lattice_label_propagation
    >>> data = make_lattice_label_propagation(random_state=1)
    >>> data.A.shape, data.b.shape, int(data.labelled.sum())
    ((2400, 2400), (2400,), 100)
    """
    n_rows = check_integer(n_rows, "n_rows", lower=1)
    n_cols = check_integer(n_cols, "n_cols", lower=1)
    n_nodes = n_rows * n_cols
    if n_nodes < 2:
        raise ValueError(
            f"the lattice must have at least 2 nodes, got {n_rows} x {n_cols}."
        )
    n_labelled = check_integer(n_labelled, "n_labelled", lower=1, upper=n_nodes - 1)
    weight = check_scalar(weight, "weight", lower=0.0, lower_inclusive=False)
    label_scale = check_scalar(label_scale, "label_scale", lower=0.0)
    rng = check_random_state(random_state)

    node = np.arange(n_nodes)
    rows, cols = node % n_rows, node // n_rows
    down = node[rows < n_rows - 1]
    right = node[cols < n_cols - 1]
    sources = np.concatenate([down, right])
    targets = np.concatenate([down + 1, right + n_rows])
    upper = sp.coo_matrix((np.full(sources.size, weight), (sources, targets)),
                          shape=(n_nodes, n_nodes))
    W = (upper + upper.T).tocsr()
    W.sort_indices()

    labelled_nodes = rng.choice(n_nodes, n_labelled, replace=False)
    labels = np.zeros(n_nodes)
    labels[labelled_nodes] = label_scale * rng.standard_normal(n_labelled)
    labelled = np.zeros(n_nodes, dtype=bool)
    labelled[labelled_nodes] = True

    A, b, unlabelled_index = _quadratic_from_graph(W, labelled, labels)
    return Bunch(A=A, b=b, labelled=labelled, labels=labels,
                 unlabelled_index=unlabelled_index, W=W, n_rows=n_rows, n_cols=n_cols)


def make_two_moons_label_propagation(n_samples=2000, n_labelled=100, n_neighbors=5,
                                     noise=0.2, random_state=None):
    r"""Label propagation on a kNN graph of two moons (dataset E of Nutini et al.).

    Each point is in class 1 or 2 with probability 1/2; with
    :math:`t \sim \mathcal{U}(0, \pi)`, class 1 lies at
    :math:`(\cos t, \sin t)` and class 2 at :math:`(1 + \cos t, 0.5 - \sin t)`,
    plus isotropic Gaussian noise of standard deviation ``noise``. The graph
    joins two points (weight 1) when either is among the other's
    ``n_neighbors`` nearest neighbours (Euclidean). The first ``n_labelled``
    points of a random permutation are labelled with their class id (1 or
    2). The problem is :math:`f(x) = \frac12 x^\top A x - b^\top x` with
    :math:`A = L_{\mathcal{U}\mathcal{U}}` (Laplacian restricted to the
    unlabelled points) and :math:`b_i = \sum_{j \in \mathcal{L}} W_{ij} y_j`.

    :math:`A` is positive definite only if every connected component of the
    graph holds a labelled point; otherwise a ``ValueError`` is raised
    (nothing is patched silently).

    Parameters
    ----------
    n_samples : int, default=2000
        Number of points (at least 3).
    n_labelled : int, default=100
        Number of labelled points, ``1 <= n_labelled < n_samples``.
    n_neighbors : int, default=5
        Number of nearest neighbours, ``1 <= n_neighbors < n_samples``.
    noise : float, default=0.2
        Standard deviation of the Gaussian noise (``>= 0``).
    random_state : int, RandomState instance or None, default=None
        Seed of the points, classes and labelled set.

    Returns
    -------
    data : sklearn.utils.Bunch
        With fields ``A`` (CSR, SPD, n_unlabelled x n_unlabelled), ``b``,
        ``labelled`` (bool mask over the points), ``labels`` (class id on
        labelled points, 0 elsewhere), ``unlabelled_index`` (ids of the
        unknowns), ``W`` (CSR binary symmetric kNN graph), ``X`` (points,
        shape (n_samples, 2)) and ``y`` (classes in {1, 2}).

    Raises
    ------
    ValueError
        If an argument is out of range, or if a connected component of the
        kNN graph has no labelled point (then :math:`A` is singular).

    References
    ----------
    J. Nutini, I. Laradji and M. Schmidt. Let's make block coordinate descent
    converge faster. *JMLR*, 23(131):1-74, 2022 (dataset E).

    Examples
    --------
    >>> from sparseopt.datasets import make_two_moons_label_propagation
    >>> data = make_two_moons_label_propagation(random_state=0)
    >>> data.A.shape, data.X.shape, sorted(set(data.y.tolist()))
    ((1900, 1900), (2000, 2), [1, 2])
    """
    n_samples = check_integer(n_samples, "n_samples", lower=3)
    n_labelled = check_integer(n_labelled, "n_labelled", lower=1, upper=n_samples - 1)
    n_neighbors = check_integer(n_neighbors, "n_neighbors", lower=1,
                                upper=n_samples - 1)
    noise = check_scalar(noise, "noise", lower=0.0)
    rng = check_random_state(random_state)

    y = np.where(rng.uniform(size=n_samples) < 0.5, 1, 2)
    t = rng.uniform(0.0, np.pi, size=n_samples)
    X = np.where(
        (y == 1)[:, None],
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 + np.cos(t), 0.5 - np.sin(t)]),
    )
    X = X + noise * rng.standard_normal((n_samples, 2))
    labelled_nodes = rng.permutation(n_samples)[:n_labelled]

    neighbours = kneighbors_graph(X, n_neighbors, mode="connectivity",
                                  include_self=False)
    W = neighbours.maximum(neighbours.T).tocsr().astype(np.float64)
    W.sort_indices()

    labelled = np.zeros(n_samples, dtype=bool)
    labelled[labelled_nodes] = True
    n_components, component = connected_components(W, directed=False)
    has_label = np.zeros(n_components, dtype=bool)
    has_label[component[labelled]] = True
    if not has_label.all():
        n_missing = int(np.count_nonzero(~has_label))
        raise ValueError(
            f"{n_missing} of the {n_components} connected components of the "
            f"{n_neighbors}-nearest-neighbour graph contain no labelled point, so A "
            "is singular; increase n_labelled or n_neighbors (or use another "
            "random_state)."
        )
    labels = np.where(labelled, y, 0).astype(np.float64)

    A, b, unlabelled_index = _quadratic_from_graph(W, labelled, labels)
    return Bunch(A=A, b=b, labelled=labelled, labels=labels,
                 unlabelled_index=unlabelled_index, W=W, X=X, y=y)

"""Graph metrics for DAG estimation: SHD, TPR/FDR/FPR, SID, SHD between CPDAGs.

Graphs are ``(d, d)`` adjacency matrices, ``B[i, j] != 0`` for an edge
``i -> j``. In a CPDAG an undirected edge ``i - j`` is stored both ways.
"""

import numpy as np
from scipy.sparse.csgraph import connected_components

from sparseopt.utils.validation import check_scalar

__all__ = [
    "is_dag",
    "to_dag",
    "structural_hamming_distance",
    "count_accuracy",
    "dag_to_cpdag",
    "cpdag_shd",
    "structural_intervention_distance",
]


def _binary(matrix, name):
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square (d, d) adjacency matrix, got shape "
                         f"{matrix.shape}.")
    if matrix.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric or boolean, got dtype {matrix.dtype}.")
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise ValueError(f"{name} must not contain NaN or infinity.")
    return matrix != 0


def _check_pair(B_true, B_est):
    true = _binary(B_true, "B_true")
    estimate = _binary(B_est, "B_est")
    if true.shape != estimate.shape:
        raise ValueError(f"B_true and B_est must have the same shape, got {true.shape} and "
                         f"{estimate.shape}.")
    return true, estimate


def _topological_order(adjacency):
    """Kahn's algorithm; ``None`` if the graph has a cycle."""
    indegree = adjacency.sum(axis=0).astype(np.int64)
    order = []
    ready = [i for i in range(adjacency.shape[0]) if indegree[i] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for child in np.flatnonzero(adjacency[node]):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return order if len(order) == adjacency.shape[0] else None


def is_dag(W):
    """Whether the directed graph with adjacency ``W != 0`` has no directed cycle.

    Parameters
    ----------
    W : array-like of shape (d, d)
        Weighted or binary adjacency matrix (self-loops count as cycles).

    Returns
    -------
    acyclic : bool
        True for a DAG.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag import is_dag
    >>> is_dag(np.array([[0, 1], [0, 0]])), is_dag(np.array([[0, 1], [1, 0]]))
    (True, False)
    """
    return _topological_order(_binary(W, "W")) is not None


def to_dag(W, threshold=0.3, required=None, *, prune="cycles"):
    """Threshold a weighted graph, then prune its weakest edges until it is a DAG.

    Entries with ``|w| <= threshold`` are zeroed. Then, while the graph has
    a directed cycle (a non-zero diagonal entry is a self-loop, a cycle):

    - ``prune="cycles"``: the weakest edge that lies on a cycle (both ends
      in one strongly connected component) is removed;
    - ``prune="weakest"``: the weakest remaining edge is removed, on a cycle
      or not, as in the ``to_dag`` of the official CoLiDE code (so a strong
      self-loop removes every weaker edge first).

    Ties go to the lowest row-major index. Edges marked ``required`` are
    neither thresholded nor pruned (a required entry whose weight is exactly
    zero stays absent).

    Parameters
    ----------
    W : array-like of shape (d, d)
        Weighted adjacency matrix. Not modified.
    threshold : float, default=0.3
        Weights of at most this magnitude are dropped.
    required : array-like of bool of shape (d, d), optional
        Edges to keep.
    prune : {"cycles", "weakest"}, default="cycles"
        Which edge goes next while the graph is cyclic.

    Returns
    -------
    dag : ndarray of shape (d, d)
        The pruned weights, a DAG.
    n_pruned : int
        Number of above-threshold edges removed to break cycles.

    Raises
    ------
    ValueError
        If the required edges alone contain a cycle.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag import to_dag
    >>> W = np.array([[0.0, 0.9, 0.0], [0.5, 0.0, 0.0], [0.0, 0.4, 0.0]])
    >>> to_dag(W)[1], to_dag(W, prune="weakest")[1]  # 2 -> 1 is on no cycle
    (1, 2)
    """
    if prune not in ("cycles", "weakest"):
        raise ValueError(f"prune must be 'cycles' or 'weakest', got {prune!r}.")
    _binary(W, "W")
    threshold = check_scalar(threshold, "threshold", lower=0.0)
    W = np.array(W, dtype=np.float64, copy=True)
    keep = np.zeros(W.shape, dtype=bool) if required is None else _binary(required, "required")
    if keep.shape != W.shape:
        raise ValueError(f"required must have shape {W.shape}, got {keep.shape}.")
    if not is_dag(keep):
        raise ValueError("the required edges contain a directed cycle.")
    W[(np.abs(W) <= threshold) & ~keep] = 0.0
    if is_dag(W):
        return W, 0
    if prune == "weakest":
        return _prune_weakest(W, keep)
    return _prune_cycles(W, keep)


def _prune_weakest(W, keep):
    n_pruned = 0
    candidates = np.flatnonzero((W != 0).ravel() & ~keep.ravel())
    order = candidates[np.argsort(np.abs(W.ravel()[candidates]), kind="stable")]
    for flat in order:
        W.flat[flat] = 0.0
        n_pruned += 1
        if is_dag(W):
            break
    return W, n_pruned


def _prune_cycles(W, keep):
    n_pruned = 0
    while True:
        adjacency = W != 0
        _, labels = connected_components(adjacency, directed=True, connection="strong")
        on_cycle = adjacency & (labels[:, None] == labels[None, :]) & ~keep
        if not on_cycle.any():  # the required edges are acyclic: nothing else is left
            return W, n_pruned
        candidates = np.flatnonzero(on_cycle.ravel())
        W.flat[candidates[np.argmin(np.abs(W.ravel()[candidates]))]] = 0.0
        n_pruned += 1


def _pair_states(adjacency):
    """Edge state of each unordered pair i < j: 0 none, 1 i->j, 2 j->i, 3 undirected."""
    upper = np.triu(adjacency, 1)
    lower = np.triu(adjacency.T, 1)
    return upper.astype(np.int64) + 2 * lower.astype(np.int64)


def structural_hamming_distance(B_true, B_est, *, reversal_cost=1):
    """Structural Hamming distance between two graphs.

    The number of node pairs whose edge differs (missing, extra, or of another
    orientation). A reversed edge costs ``reversal_cost``: 1 as in NOTEARS,
    DAGMA and CoLiDE, 2 (a deletion plus an insertion) as in cdt. A
    self-loop (non-zero diagonal entry) in one graph and not in the other
    counts 1, an extra or missing edge, as in the official ``count_accuracy``
    of NOTEARS, DAGMA and CoLiDE (and :func:`count_accuracy` here, whose FDR
    counts it as a false edge). Works on DAGs and on CPDAGs (undirected
    edges stored both ways).

    Parameters
    ----------
    B_true, B_est : array-like of shape (d, d)
        Adjacency matrices (non-zero entries are edges).
    reversal_cost : {1, 2}, default=1
        Cost of a reversed edge.

    Returns
    -------
    shd : int
        The distance.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag.metrics import structural_hamming_distance
    >>> true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> guess = np.array([[0, 0, 0], [1, 0, 1], [1, 0, 0]])
    >>> structural_hamming_distance(true, guess), structural_hamming_distance(
    ...     true, guess, reversal_cost=2)
    (2, 3)
    >>> structural_hamming_distance(true, true + np.eye(3, dtype=int))  # 3 self-loops
    3
    """
    if reversal_cost not in (1, 2):
        raise ValueError(f"reversal_cost must be 1 or 2, got {reversal_cost!r}.")
    true, estimate = _check_pair(B_true, B_est)
    a, b = _pair_states(true), _pair_states(estimate)
    differ = a != b
    reversed_ = ((a == 1) & (b == 2)) | ((a == 2) & (b == 1))
    self_loops = np.diag(true) != np.diag(estimate)
    return int(differ.sum() + (reversal_cost - 1) * reversed_.sum() + self_loops.sum())


def count_accuracy(B_true, B_est):
    """Edge-recovery rates of an estimated DAG, as reported by NOTEARS and CoLiDE.

    With ``P`` the predicted edges and ``T`` the true ones: ``tpr`` = correctly
    oriented predicted edges / ``|T|``; ``fdr`` = (reversed + extra) / ``|P|``;
    ``fpr`` = (reversed + extra) / (number of absent pairs ``d(d-1)/2 - |T|``);
    ``shd`` counts a reversal once.

    Parameters
    ----------
    B_true, B_est : array-like of shape (d, d)
        True DAG and estimate.

    Returns
    -------
    scores : dict
        ``fdr``, ``tpr``, ``fpr``, ``shd`` and ``nnz`` (predicted edges).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag import count_accuracy
    >>> true = np.array([[0, 1], [0, 0]])
    >>> count_accuracy(true, true)["tpr"]
    1.0
    """
    true, estimate = _check_pair(B_true, B_est)
    d = true.shape[0]
    correct = (true & estimate).sum()
    reversed_ = (true.T & estimate & ~true).sum()
    extra = (estimate & ~true & ~true.T).sum()
    predicted = estimate.sum()
    n_true = true.sum()
    negatives = d * (d - 1) / 2 - n_true
    return {
        "fdr": float((reversed_ + extra) / max(predicted, 1)),
        "tpr": float(correct / max(n_true, 1)),
        "fpr": float((reversed_ + extra) / max(negatives, 1)),
        "shd": structural_hamming_distance(true, estimate),
        "nnz": int(predicted),
    }


def dag_to_cpdag(B):
    """The CPDAG (essential graph) of a DAG: Markov-equivalent orientation pattern.

    Keeps the skeleton, orients the v-structures ``i -> k <- j`` (``i, j``
    non-adjacent), then applies Meek's rules R1-R3 until nothing changes;
    edges left unoriented are stored both ways.

    Parameters
    ----------
    B : array-like of shape (d, d)
        A DAG.

    Returns
    -------
    cpdag : ndarray of int of shape (d, d)
        1 where ``i -> j`` or ``i - j``.

    Raises
    ------
    ValueError
        If ``B`` has a cycle.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag.metrics import dag_to_cpdag
    >>> dag_to_cpdag(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]))  # a chain: all reversible
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])
    """
    dag = _binary(B, "B")
    if not is_dag(dag):
        raise ValueError("B must be a DAG to have a CPDAG.")
    d = dag.shape[0]
    skeleton = dag | dag.T
    directed = np.zeros_like(dag)
    for k in range(d):
        parents = np.flatnonzero(dag[:, k])
        for a_index, i in enumerate(parents):
            for j in parents[a_index + 1:]:
                if not skeleton[i, j]:
                    directed[i, k] = directed[j, k] = True
    undirected = skeleton & ~directed & ~directed.T
    changed = True
    while changed:
        changed = False
        for i in range(d):
            for j in range(d):
                if not undirected[i, j]:
                    continue
                # R1: k -> i - j with k, j non-adjacent  =>  i -> j
                r1 = np.any(directed[:, i] & ~skeleton[:, j] & (np.arange(d) != j))
                # R2: i -> k -> j and i - j  =>  i -> j
                r2 = np.any(directed[i, :] & directed[:, j])
                # R3: i - k1 -> j, i - k2 -> j, k1, k2 non-adjacent  =>  i -> j
                middle = np.flatnonzero(undirected[i, :] & directed[:, j])
                r3 = any(not skeleton[a, b] for x, a in enumerate(middle) for b in middle[x + 1:])
                if r1 or r2 or r3:
                    directed[i, j] = True
                    undirected[i, j] = undirected[j, i] = False
                    changed = True
    return (directed | undirected).astype(np.int64)


def cpdag_shd(B_true, B_est):
    """SHD between the CPDAGs of two DAGs (SHD-C), a reversal costing 1.

    Parameters
    ----------
    B_true, B_est : array-like of shape (d, d)
        DAGs.

    Returns
    -------
    shd : int
        :func:`structural_hamming_distance` of their CPDAGs.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag.metrics import cpdag_shd
    >>> chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> cpdag_shd(chain, chain.T)  # Markov equivalent
    0
    """
    true, estimate = _check_pair(B_true, B_est)
    for name, graph in (("B_true", true), ("B_est", estimate)):
        if not is_dag(graph):
            raise ValueError(f"{name} must be a DAG (it has a directed cycle) to have a CPDAG.")
    return structural_hamming_distance(dag_to_cpdag(true), dag_to_cpdag(estimate))


def _descendants(adjacency):
    """``reach[i, j]``: a directed path i -> ... -> j exists (length >= 1)."""
    d = adjacency.shape[0]
    reach = adjacency.copy()
    for k in range(d):  # Warshall
        reach |= np.outer(reach[:, k], reach[k, :])
    return reach


def _d_separated(adjacency, source, target, conditioning):
    """Whether ``source`` and ``target`` are d-separated given ``conditioning``.

    Reachability of the Bayes ball (Shachter, 1998) over (node, direction)
    states.
    """
    d = adjacency.shape[0]
    observed = np.zeros(d, dtype=bool)
    observed[list(conditioning)] = True
    ancestors_of_observed = observed.copy()
    frontier = list(np.flatnonzero(observed))
    while frontier:
        node = frontier.pop()
        for parent in np.flatnonzero(adjacency[:, node]):
            if not ancestors_of_observed[parent]:
                ancestors_of_observed[parent] = True
                frontier.append(parent)
    visited = set()
    stack = [(source, "up")]  # "up": arrived from a child; "down": from a parent
    while stack:
        node, direction = stack.pop()
        if (node, direction) in visited:
            continue
        visited.add((node, direction))
        if node == target and node != source:
            return False
        if direction == "up" and not observed[node]:
            stack += [(p, "up") for p in np.flatnonzero(adjacency[:, node])]
            stack += [(c, "down") for c in np.flatnonzero(adjacency[node, :])]
        elif direction == "down":
            if not observed[node]:
                stack += [(c, "down") for c in np.flatnonzero(adjacency[node, :])]
            if ancestors_of_observed[node]:
                stack += [(p, "up") for p in np.flatnonzero(adjacency[:, node])]
    return True


def structural_intervention_distance(B_true, B_est):
    """Structural intervention distance (Peters & Buehlmann, 2015).

    The number of ordered pairs ``(i, j)`` for which adjusting for the parents
    of ``i`` in the estimated DAG does not give the true interventional
    distribution of ``j`` under ``do(i)`` in the true DAG. Validity is decided
    with the adjustment criterion of Shpitser, VanderWeele & Robins: no
    adjustment variable is a descendant of a node on a causal path from ``i``
    to ``j`` (other than ``i``), and the adjustment set d-separates ``i`` and
    ``j`` once the first edges of the causal paths are removed. If ``j`` is a
    parent of ``i`` in the estimate, the implied effect is zero and the pair
    is wrong exactly when ``j`` descends from ``i`` in the truth.
    ``O(d^2)`` d-separation queries: meant for graphs of tens of nodes.

    Parameters
    ----------
    B_true, B_est : array-like of shape (d, d)
        True DAG and estimated DAG.

    Returns
    -------
    sid : int
        The distance (0 for identical DAGs; not symmetric).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag.metrics import structural_intervention_distance
    >>> chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> structural_intervention_distance(chain, np.zeros((3, 3)))
    3
    """
    true, estimate = _check_pair(B_true, B_est)
    if not is_dag(true):
        raise ValueError("B_true must be a DAG.")
    if not is_dag(estimate):
        raise ValueError("B_est must be a DAG.")
    d = true.shape[0]
    descendants = _descendants(true)
    wrong = 0
    for i in range(d):
        parents = set(np.flatnonzero(estimate[:, i]).tolist())
        for j in range(d):
            if j == i:
                continue
            if j in parents:
                wrong += int(descendants[i, j])
                continue
            # nodes on causal paths from i to j (excluding i): descendants of i
            # that are ancestors of j, and j itself when reachable
            on_paths = np.flatnonzero(descendants[i] & (descendants[:, j] | (np.arange(d) == j)))
            forbidden = np.zeros(d, dtype=bool)
            for node in on_paths:
                forbidden[node] = True
                forbidden |= descendants[node]
            if any(forbidden[p] for p in parents):
                wrong += 1
                continue
            backdoor = true.copy()
            for child in np.flatnonzero(true[i]):
                if child in on_paths:
                    backdoor[i, child] = False
            if not _d_separated(backdoor, i, j, parents):
                wrong += 1
    return wrong

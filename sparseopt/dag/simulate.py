"""Random DAGs and linear structural equation models."""

import numpy as np
from sklearn.utils import check_random_state

from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["simulate_dag", "simulate_weights", "simulate_sem"]

_GRAPHS = ("ER", "SF")
_NOISES = ("gaussian", "exponential", "laplace", "gumbel")


def simulate_dag(d, n_edges, graph="ER", random_state=None):
    """A random DAG with about ``n_edges`` edges, nodes in random order.

    ``"ER"``: Erdos-Renyi, each pair of a random order linked with probability
    ``2 n_edges / (d (d - 1))``. ``"SF"``: scale-free (Barabasi-Albert
    preferential attachment, ``round(n_edges / d)`` edges per new node,
    directed from the earlier node to the newer one). The nodes are then
    randomly permuted, so the index order is not a causal order.

    Parameters
    ----------
    d : int
        Number of nodes.
    n_edges : int
        Expected (ER) or approximate (SF) number of edges. SF graphs attach
        each new node by ``round(n_edges / d) >= 1`` edges, so they need
        ``n_edges >= d / 2``.
    graph : {"ER", "SF"}, default="ER"
        Graph model.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    B : ndarray of shape (d, d)
        0/1 adjacency matrix, ``B[i, j] = 1`` for an edge ``i -> j``.

    Examples
    --------
    >>> from sparseopt.dag import is_dag, simulate_dag
    >>> B = simulate_dag(10, 20, "ER", random_state=0)
    >>> B.shape, is_dag(B)
    ((10, 10), True)
    """
    d = check_integer(d, "d", lower=1)
    n_edges = check_integer(n_edges, "n_edges", lower=0, upper=d * (d - 1) // 2)
    if graph not in _GRAPHS:
        raise ValueError(f"graph must be one of {_GRAPHS}, got {graph!r}.")
    if graph == "SF" and d > 1 and 2 * n_edges < d:
        raise ValueError(f"an SF graph attaches every new node by at least one edge: n_edges "
                         f"must be at least d / 2 = {d / 2:g} (about d - 1 edges), "
                         f"got {n_edges}.")
    rng = check_random_state(random_state)
    B = np.zeros((d, d))
    if graph == "ER":
        probability = 2.0 * n_edges / (d * (d - 1)) if d > 1 else 0.0
        B = np.triu(rng.random_sample((d, d)) < probability, 1).astype(float)
    else:
        per_node = max(1, int(round(n_edges / d)))
        degree = np.zeros(d)
        for node in range(1, d):
            targets = min(per_node, node)
            weights = degree[:node] + 1.0
            chosen = rng.choice(node, targets, replace=False, p=weights / weights.sum())
            B[chosen, node] = 1.0
            degree[chosen] += 1
            degree[node] += targets
    permutation = rng.permutation(d)
    return B[np.ix_(permutation, permutation)]


def simulate_weights(B, weight_range=(0.5, 2.0), random_state=None):
    """Edge weights uniform on ``[-high, -low] U [low, high]``.

    Parameters
    ----------
    B : array-like of shape (d, d)
        0/1 adjacency matrix.
    weight_range : (float, float), default=(0.5, 2.0)
        ``(low, high)`` magnitudes, ``0 <= low < high``.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    W : ndarray of shape (d, d)
        Weighted adjacency matrix with the support of ``B``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag import simulate_weights
    >>> W = simulate_weights(np.array([[0, 1], [0, 0]]), random_state=0)
    >>> bool(0.5 <= abs(W[0, 1]) <= 2.0)
    True
    """
    B = check_array_input(B, "B", ndim=2)
    low, high = (check_scalar(v, name, lower=0.0) for v, name in
                 zip(weight_range, ("weight_range[0]", "weight_range[1]"), strict=True))
    if high <= low:
        raise ValueError(f"weight_range must satisfy low < high, got {weight_range}.")
    rng = check_random_state(random_state)
    magnitudes = rng.uniform(low, high, size=B.shape)
    signs = np.where(rng.random_sample(B.shape) < 0.5, -1.0, 1.0)
    return (B != 0) * magnitudes * signs


def simulate_sem(W, n, noise="gaussian", variances=1.0, random_state=None):
    """Samples of the linear SEM ``X_j = sum_i X_i W[i, j] + e_j``.

    Parameters
    ----------
    W : array-like of shape (d, d)
        Weighted adjacency of a DAG.
    n : int
        Number of samples.
    noise : {"gaussian", "exponential", "laplace", "gumbel"}, default="gaussian"
        Noise distribution, centred and scaled to the requested variances.
    variances : float or array-like of shape (d,), default=1.0
        Noise variance of every node (equal variances) or of each node
        (non-equal variances).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n, d)
        Samples, one row per sample.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.dag import simulate_sem
    >>> X = simulate_sem(np.array([[0.0, 2.0], [0.0, 0.0]]), 5000, random_state=0)
    >>> bool(abs(np.var(X[:, 1]) - 5.0) < 0.25)  # 2^2 * 1 + 1
    True
    """
    from sparseopt.dag.metrics import is_dag

    W = check_array_input(W, "W", ndim=2)
    d = W.shape[0]
    if W.shape != (d, d):
        raise ValueError(f"W must be square, got shape {W.shape}.")
    if not is_dag(W):
        raise ValueError("W must be the weighted adjacency matrix of a DAG.")
    n = check_integer(n, "n", lower=1)
    if noise not in _NOISES:
        raise ValueError(f"noise must be one of {_NOISES}, got {noise!r}.")
    variances = np.broadcast_to(np.asarray(variances, dtype=np.float64), (d,))
    if not np.all(np.isfinite(variances)) or np.any(variances <= 0):
        raise ValueError("variances must be positive and finite.")
    rng = check_random_state(random_state)
    scale = np.sqrt(variances)
    if noise == "gaussian":
        E = rng.standard_normal((n, d)) * scale
    elif noise == "exponential":
        E = (rng.exponential(1.0, (n, d)) - 1.0) * scale
    elif noise == "laplace":
        E = rng.laplace(0.0, 1.0 / np.sqrt(2.0), (n, d)) * scale
    else:
        E = (rng.gumbel(0.0, np.sqrt(6.0) / np.pi, (n, d)) - np.euler_gamma * np.sqrt(6.0)
             / np.pi) * scale
    return np.linalg.solve((np.eye(d) - W).T, E.T).T

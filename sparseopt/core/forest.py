r"""Exact linear solves on forest-structured blocks of a sparse symmetric matrix.

For a quadratic :math:`f(x) = \frac12 x^\top A x - b^\top x` with a sparse
symmetric matrix :math:`A`, the *graph of* :math:`A` has an edge
:math:`i - j` whenever :math:`A_{ij} \ne 0` (:math:`i \ne j`). When the
subgraph induced by a block :math:`\mathcal{B}` of variables is a forest, the
exact block update of block coordinate descent,

.. math:: x_{\mathcal{B}} \leftarrow A_{\mathcal{B}\mathcal{B}}^{-1}
          \left(b_{\mathcal{B}} - A_{\mathcal{B}\mathcal{C}}\, x_{\mathcal{C}}\right),

costs linear time: Gaussian elimination in a leaf-first order never creates
fill-in (eliminating a leaf only changes its parent's diagonal entry and
right-hand side), and back-substitution from the roots to the leaves finishes
the solve. This is the two-pass message passing of Gaussian belief
propagation on a tree, which is exact there (Weiss & Freeman, 2001), and the
"huge block" update of Nutini, Laradji & Schmidt (2022).

Matrices reach the kernels as a CSR triplet ``(indptr, indices, data)`` with
``int64`` index arrays and ``float64`` values, canonical (no duplicate
entries), both triangles stored. ``forest_solve_kernel`` and
``forest_check_kernel`` do no validation; :func:`solve_forest` and
:func:`is_forest` validate and never modify their input. The small
union-find kernels are shared with the block constructors of
:mod:`sparseopt.solvers.bcd.graph_blocks`.

References
----------
J. Nutini, I. Laradji and M. Schmidt. Let's make block coordinate descent
converge faster: faster greedy rules, message-passing, active-set complexity,
and superlinear convergence. *Journal of Machine Learning Research*,
23(131):1-74, 2022.

Y. Weiss and W. T. Freeman. Correctness of belief propagation in Gaussian
graphical models of arbitrary topology. *Neural Computation*,
13(10):2173-2200, 2001.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from sparseopt.utils.validation import check_array_input

__all__ = [
    "solve_forest",
    "is_forest",
    "forest_solve_kernel",
    "forest_check_kernel",
    "union_find_root_kernel",
    "union_find_union_kernel",
]

# Relative tolerance of the symmetry check of solve_forest.
_SYMMETRY_RTOL = 1e-12


# --------------------------------------------------------------------------
# Union-find
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def union_find_root_kernel(parent, node):
    """Root of ``node`` in a union-find forest, with path compression (jitted).

    ``parent[i] == i`` marks a root. Every node met on the way up is re-linked
    directly to the root (``parent`` is modified in place).
    """
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:
        following = parent[node]
        parent[node] = root
        node = following
    return root


@njit(cache=True, nogil=True)
def union_find_union_kernel(parent, tree_size, root_a, root_b):
    """Merge the trees of two distinct roots by size; return the new root (jitted).

    ``tree_size[r]`` is the number of nodes under root ``r``; the smaller tree
    is hung under the larger one (ties: under ``root_a``).
    """
    if tree_size[root_a] < tree_size[root_b]:
        root_a, root_b = root_b, root_a
    parent[root_b] = root_a
    tree_size[root_a] += tree_size[root_b]
    return root_a


# --------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def forest_check_kernel(indptr, indices, block, n_nodes):
    """True iff the subgraph of a CSR pattern induced by ``block`` is a forest.

    Jitted, no validation. ``n_nodes`` is the dimension of the matrix (the
    size of the node-to-position map allocated here); ``block`` holds
    distinct node ids. Every stored off-diagonal entry ``(i, j)`` with both
    ends in ``block`` is an edge, so the pattern must be symmetric and free of
    duplicates and of explicit zeros that should not count; the diagonal is
    ignored. Each edge is merged into a union-find structure (path
    compression, union by size); an edge whose ends already share a tree
    closes a cycle. Cost: ``O(n_nodes)`` for the map plus
    ``O(sum of the row lengths of the block * alpha)``.
    """
    size = block.shape[0]
    position = np.full(n_nodes, -1, dtype=np.int64)
    for k in range(size):
        position[block[k]] = k
    parent = np.arange(size)
    tree_size = np.ones(size, dtype=np.int64)
    for k in range(size):
        node = block[k]
        for entry in range(indptr[node], indptr[node + 1]):
            other = position[indices[entry]]
            # other > k visits each undirected edge once and skips the diagonal
            if other > k:
                root_a = union_find_root_kernel(parent, k)
                root_b = union_find_root_kernel(parent, other)
                if root_a == root_b:
                    return False
                union_find_union_kernel(parent, tree_size, root_a, root_b)
    return True


@njit(cache=True, nogil=True)
def forest_solve_kernel(indptr, indices, data, block, rhs):
    """Solve ``A[block][:, block] x = rhs`` when ``block`` induces a forest (jitted).

    No validation. ``(indptr, indices, data)`` is a canonical CSR matrix
    (``int64``, ``int64``, ``float64``; both triangles stored), ``block``
    holds distinct node ids, ``rhs`` has ``len(block)`` entries. Stored zeros
    off the diagonal are not edges.

    Steps: build the adjacency of the induced subgraph (local positions
    ``0..len(block)-1``); order each tree breadth-first from its
    lowest-position node; eliminate nodes in the reverse of that order (each
    leaf is folded into its parent: ``d_p -= A_pu A_up / d_u`` and
    ``r_p -= A_pu r_u / d_u``); back-substitute from the roots,
    ``x_u = (r_u - A_up x_p) / d_u``. Both ``A_up`` and ``A_pu`` are read
    from the matrix, so the solve is exact for any non-singular matrix whose
    block pattern is a forest, symmetric or not, as long as no pivot ``d_u``
    vanishes (never for a positive definite block).

    Memory: a node-to-position map of ``n`` (the matrix dimension) integers is
    allocated on each call, plus ``O(len(block) + edges)``. Time:
    ``O(n)`` for the map (a fill) plus ``O(sum of the row lengths of the
    block)``. Raises ``ValueError`` if the breadth-first search meets a
    cycle and ``ZeroDivisionError`` on a zero pivot (singular block).
    """
    n = indptr.shape[0] - 1
    size = block.shape[0]
    position = np.full(n, -1, dtype=np.int64)
    for k in range(size):
        position[block[k]] = k

    # Induced adjacency in local CSR form, and the diagonal of the block.
    pivot = np.zeros(size)
    local_ptr = np.zeros(size + 1, dtype=np.int64)
    for k in range(size):
        node = block[k]
        for entry in range(indptr[node], indptr[node + 1]):
            column = indices[entry]
            if column == node:
                pivot[k] += data[entry]
            elif position[column] >= 0 and data[entry] != 0.0:
                local_ptr[k + 1] += 1
    for k in range(size):
        local_ptr[k + 1] += local_ptr[k]
    neighbours = np.empty(local_ptr[size], dtype=np.int64)
    weights = np.empty(local_ptr[size])
    cursor = local_ptr[:size].copy()
    for k in range(size):
        node = block[k]
        for entry in range(indptr[node], indptr[node + 1]):
            column = indices[entry]
            if column != node and position[column] >= 0 and data[entry] != 0.0:
                neighbours[cursor[k]] = position[column]
                weights[cursor[k]] = data[entry]
                cursor[k] += 1

    # Breadth-first order of every tree; parents and both edge weights.
    parent = np.full(size, -1, dtype=np.int64)
    weight_to_parent = np.zeros(size)  # A[u, parent(u)]
    weight_from_parent = np.zeros(size)  # A[parent(u), u]
    visited = np.zeros(size, dtype=np.bool_)
    order = np.empty(size, dtype=np.int64)
    head = 0
    tail = 0
    for root in range(size):
        if visited[root]:
            continue
        visited[root] = True
        order[tail] = root
        tail += 1
        while head < tail:
            u = order[head]
            head += 1
            parent_seen = False
            for slot in range(local_ptr[u], local_ptr[u + 1]):
                m = neighbours[slot]
                if m == parent[u] and not parent_seen:
                    weight_to_parent[u] = weights[slot]
                    parent_seen = True
                    continue
                if visited[m]:
                    raise ValueError("the block does not induce a forest (cycle found)")
                visited[m] = True
                parent[m] = u
                weight_from_parent[m] = weights[slot]
                order[tail] = m
                tail += 1

    # Leaf-first elimination (children come after their parent in `order`).
    reduced = rhs.copy()
    for t in range(size - 1, -1, -1):
        u = order[t]
        p = parent[u]
        if pivot[u] == 0.0:
            raise ZeroDivisionError("zero pivot in the forest elimination")
        if p >= 0:
            factor = weight_from_parent[u] / pivot[u]
            pivot[p] -= factor * weight_to_parent[u]
            reduced[p] -= factor * reduced[u]

    # Back-substitution from the roots.
    x = np.empty(size)
    for t in range(size):
        u = order[t]
        p = parent[u]
        value = reduced[u]
        if p >= 0:
            value -= weight_to_parent[u] * x[p]
        x[u] = value / pivot[u]
    return x


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------
def _as_square_csr(A, name="A"):
    """Copy of ``A`` as a canonical float64 CSR matrix without stored zeros."""
    if sp.issparse(A):
        if A.dtype.kind == "c":
            raise TypeError(f"{name} must be real-valued, got complex dtype {A.dtype}.")
        if A.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {A.dtype}.")
        matrix = sp.csr_matrix(A, dtype=np.float64, copy=True)
    else:
        matrix = sp.csr_matrix(check_array_input(A, name, ndim=2, dtype=np.float64))
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be square, got shape {matrix.shape}.")
    if matrix.shape[0] == 0:
        raise ValueError(f"{name} must not be empty, got shape {matrix.shape}.")
    if not np.isfinite(matrix.data).all():
        raise ValueError(f"{name} must not contain NaN or infinity.")
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix


def _check_block(block, n_nodes, name="block"):
    """``block`` as a new int64 array of distinct indices in ``[0, n_nodes)``."""
    if sp.issparse(block):
        raise TypeError(
            f"{name} must be a 1-D array of node indices, got a sparse matrix."
        )
    array = np.asarray(block)
    if array.ndim != 1:
        raise ValueError(f"{name} must have 1 dimension(s), got shape {array.shape}.")
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integer node indices, got dtype {array.dtype}."
        )
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= n_nodes:
        raise ValueError(
            f"{name} must hold node indices in [0, {n_nodes}), "
            f"got values in [{low}, {high}]."
        )
    if np.unique(array).size != array.size:
        raise ValueError(f"{name} must not contain repeated indices.")
    return np.array(array, dtype=np.int64)


def _csr_arrays(matrix):
    return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64)


def is_forest(A, block=None):
    r"""Whether the subgraph of the graph of ``A`` induced by ``block`` is a forest.

    The graph of :math:`A` has one node per row and an edge :math:`i - j`
    (:math:`i \ne j`) when :math:`A_{ij} \ne 0` or :math:`A_{ji} \ne 0`; the
    values and the diagonal play no other role. A graph is a forest when it
    has no cycle, i.e. :math:`|E| = |V| - \#\text{components}`. Tested by
    union-find in :math:`O(n + \mathrm{nnz}(A_{\mathcal{B},:})\,\alpha)` after
    an :math:`O(\mathrm{nnz}(A))` conversion.

    Parameters
    ----------
    A : ndarray or scipy sparse matrix of shape (n, n)
        Square real matrix (converted to CSR; not modified).
    block : array-like of int, optional
        Distinct node indices in ``[0, n)``; all nodes by default.

    Returns
    -------
    forest : bool
        True if the induced subgraph has no cycle.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import is_forest
    >>> path = np.array([[2.0, -1, 0], [-1, 2, -1], [0, -1, 2]])
    >>> is_forest(path)
    True
    >>> triangle = path + np.array([[0, 0, -1.0], [0, 0, 0], [-1, 0, 0]])
    >>> is_forest(triangle), is_forest(triangle, [0, 2])
    (False, True)
    """
    matrix = _as_square_csr(A)
    n_nodes = matrix.shape[0]
    block = np.arange(n_nodes) if block is None else _check_block(block, n_nodes)
    pattern = (matrix != 0).astype(np.int8)
    pattern = (pattern + pattern.T).tocsr()
    indptr, indices = _csr_arrays(pattern)
    return bool(forest_check_kernel(indptr, indices, block, n_nodes))


def solve_forest(A, block, rhs):
    r"""Solve a block system whose graph is a forest, in linear time.

    Returns :math:`x` with :math:`A_{\mathcal{B}\mathcal{B}}\, x = r`, where
    :math:`\mathcal{B}` = ``block`` induces a forest in the graph of the
    symmetric matrix :math:`A` (edge :math:`i - j` iff
    :math:`A_{ij} \ne 0`). With
    :math:`r = b_{\mathcal{B}} - A_{\mathcal{B}\mathcal{C}} x_{\mathcal{C}}`
    this is the exact block coordinate descent update for
    :math:`f(x) = \frac12 x^\top A x - b^\top x` of Nutini, Laradji &
    Schmidt (2022), which makes "huge" forest blocks (red-black colourings,
    tree partitions, greedy trees) as cheap as single coordinates.

    The solve is Gaussian elimination in a leaf-first order of each tree
    (no fill-in: eliminating leaf :math:`u` into its parent :math:`p` does
    :math:`d_p \leftarrow d_p - A_{pu}^2/d_u`,
    :math:`r_p \leftarrow r_p - A_{pu} r_u / d_u`) followed by
    back-substitution :math:`x_u = (r_u - A_{up} x_p)/d_u` from the roots,
    i.e. two-pass Gaussian belief propagation. The result is exact up to
    rounding; time :math:`O(|\mathcal{B}| + \mathrm{nnz}(A_{\mathcal{B},:}))`
    in the kernel (:func:`forest_solve_kernel`, plus an :math:`O(n)` fill of
    a node-to-position map). This validating wrapper also converts and
    checks all of :math:`A` (:math:`O(\mathrm{nnz}(A))`); inner loops should
    call the kernel.

    Parameters
    ----------
    A : ndarray or scipy sparse matrix of shape (n, n)
        Real square matrix, finite, symmetric on the block (within
        ``1e-12`` relative to its largest entry). Converted to CSR; not
        modified. :math:`A_{\mathcal{B}\mathcal{B}}` is normally positive
        definite (then every pivot is positive).
    block : array-like of int of shape (n_block,)
        Distinct node indices in ``[0, n)``, in the order of ``rhs``.
    rhs : array-like of shape (n_block,)
        Right-hand side :math:`r`.

    Returns
    -------
    x : ndarray of shape (n_block,)
        Solution, ``x[k]`` belonging to node ``block[k]``.

    Raises
    ------
    ValueError
        If ``A`` is not square, finite and symmetric on the block, if
        ``block`` has repeated or out-of-range indices, if ``rhs`` has the
        wrong length, or if the block is not a forest.
    numpy.linalg.LinAlgError
        If a pivot vanishes (the block matrix is singular).

    See Also
    --------
    is_forest : Test the forest property alone.

    References
    ----------
    J. Nutini, I. Laradji and M. Schmidt. Let's make block coordinate descent
    converge faster: faster greedy rules, message-passing, active-set
    complexity, and superlinear convergence. *JMLR*, 23(131):1-74, 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import solve_forest
    >>> A = np.array([[3.0, -1, 0, -1], [-1, 3, -1, 0], [0, -1, 3, -1], [-1, 0, -1, 3]])
    >>> block = [0, 1, 2]  # a path: 0 - 1 - 2 (the 4-cycle is broken)
    >>> x = solve_forest(A, block, [1.0, 2.0, 3.0])
    >>> np.allclose(A[np.ix_(block, block)] @ x, [1.0, 2.0, 3.0])
    True
    """
    matrix = _as_square_csr(A)
    n_nodes = matrix.shape[0]
    block = _check_block(block, n_nodes)
    rhs = check_array_input(rhs, "rhs", ndim=1, dtype=np.float64, allow_empty=True)
    if rhs.shape[0] != block.shape[0]:
        raise ValueError(
            f"rhs must have {block.shape[0]} entries (one per node of block), "
            f"got shape {rhs.shape}."
        )
    if block.shape[0] == 0:
        return np.empty(0)
    sub = matrix[block][:, block]
    largest = abs(sub).max() if sub.nnz else 0.0
    asymmetry = abs(sub - sub.T)
    if asymmetry.nnz and asymmetry.max() > _SYMMETRY_RTOL * largest:
        raise ValueError(
            "A must be symmetric on block: max |A_ij - A_ji| = "
            f"{asymmetry.max():.3e} exceeds {_SYMMETRY_RTOL:g} * max |A_ij| = "
            f"{_SYMMETRY_RTOL * largest:.3e}."
        )
    indptr, indices = _csr_arrays(matrix)
    if not forest_check_kernel(indptr, indices, block, n_nodes):
        raise ValueError(
            "block is not a forest in the graph of A: its induced subgraph "
            "contains a cycle, so the linear-time solve does not apply "
            "(use a dense or sparse direct solver, or a forest block)."
        )
    try:
        x = forest_solve_kernel(indptr, indices, matrix.data, block, np.array(rhs))
    except ZeroDivisionError:
        x = None
    if x is None or not np.isfinite(x).all():
        raise np.linalg.LinAlgError(
            "A[block][:, block] is singular (or numerically so): a zero pivot "
            "or an overflow appeared in the leaf-first elimination."
        )
    return x

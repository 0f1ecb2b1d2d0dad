import numpy as np
import pytest
import scipy.sparse as sp

from sparseopt.core.forest import (
    forest_check_kernel,
    forest_solve_kernel,
    is_forest,
    solve_forest,
)


def random_forest_edges(rng, nodes, n_trees):
    """Edges of a random forest on ``nodes`` with ``n_trees`` trees (some isolated)."""
    nodes = rng.permutation(nodes)
    edges = []
    for k in range(1, len(nodes)):
        edges.append((nodes[k], nodes[rng.integers(0, k)]))
    # dropping n_trees - 1 edges of a spanning tree leaves n_trees trees
    keep = rng.permutation(len(edges))[: max(len(edges) - (n_trees - 1), 0)]
    return [edges[k] for k in keep]


def weighted_laplacian(rng, n, edges, diagonal_shift):
    """Laplacian of the weighted graph plus a positive diagonal (SPD), as CSR."""
    if edges:
        rows, cols = np.array(edges).T
        weights = rng.uniform(0.1, 3.0, len(edges))
        W = sp.coo_matrix((weights, (rows, cols)), shape=(n, n))
        W = (W + W.T).tocsr()
    else:
        W = sp.csr_matrix((n, n))
    degree = np.asarray(W.sum(axis=1)).ravel()
    return (sp.diags(degree + diagonal_shift) - W).tocsr()


def dense_block_solve(A, block, rhs):
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    return np.linalg.solve(dense[np.ix_(block, block)], rhs)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_trees", [1, 4])
def test_solve_forest_matches_dense_solve_on_whole_forest(seed, n_trees):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    A = weighted_laplacian(rng, n, random_forest_edges(rng, np.arange(n), n_trees),
                           rng.uniform(0.01, 1.0, n))
    block = rng.permutation(n)
    rhs = rng.standard_normal(n)
    x = solve_forest(A, block, rhs)
    expected = dense_block_solve(A, block, rhs)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-10)
    assert is_forest(A, block)


@pytest.mark.parametrize("seed", range(6))
def test_solve_forest_on_a_forest_block_of_a_cyclic_graph(seed):
    rng = np.random.default_rng(100 + seed)
    n = 70
    block = rng.choice(n, 35, replace=False)
    outside = np.setdiff1d(np.arange(n), block)
    edges = random_forest_edges(rng, block, n_trees=3)
    # dense coupling between the outside nodes and to the block: many cycles
    for _ in range(150):
        i = int(rng.choice(outside))
        j = int(rng.integers(0, n))
        if i != j:
            edges.append((i, j))
    edges = list({tuple(sorted(edge)) for edge in edges})
    A = weighted_laplacian(rng, n, edges, rng.uniform(0.1, 1.0, n))
    assert not is_forest(A)
    assert is_forest(A, block)
    rhs = rng.standard_normal(block.size)
    x = solve_forest(A, block, rhs)
    expected = dense_block_solve(A, block, rhs)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-10)
    # dense input, a csr_array with int32 indices, and a list block give the same
    from_dense = solve_forest(A.toarray(), list(block), rhs)
    np.testing.assert_allclose(from_dense, x, rtol=1e-12)
    np.testing.assert_allclose(solve_forest(sp.csr_array(A), block, rhs), x, rtol=1e-12)


def test_isolated_nodes_and_single_node():
    A = sp.diags([2.0, 4.0, 5.0]).tocsr()
    np.testing.assert_allclose(solve_forest(A, [2, 0], [10.0, 1.0]), [2.0, 0.5])
    np.testing.assert_allclose(solve_forest(A, [1], [2.0]), [0.5])
    assert solve_forest(A, [], []).shape == (0,)
    assert is_forest(A, []) and is_forest(A)


def test_kernels_directly_including_a_nonsymmetric_tree():
    rng = np.random.default_rng(7)
    n = 30
    edges = random_forest_edges(rng, np.arange(n), 2)
    rows, cols = np.array(edges).T
    # pattern of a forest, values not symmetric: the elimination is still exact
    upper = rng.uniform(-1.0, 1.0, len(edges))
    lower = rng.uniform(-1.0, 1.0, len(edges))
    A = sp.coo_matrix(
        (np.concatenate([upper, lower, np.full(n, 5.0)]),
         (np.concatenate([rows, cols, np.arange(n)]),
          np.concatenate([cols, rows, np.arange(n)]))),
        shape=(n, n),
    ).tocsr()
    indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int64)
    block = rng.permutation(n).astype(np.int64)
    rhs = rng.standard_normal(n)
    x = forest_solve_kernel(indptr, indices, A.data, block, rhs)
    expected = dense_block_solve(A, block, rhs)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)
    assert forest_check_kernel(indptr, indices, block, n)
    cycle = sp.csr_matrix(cycle_matrix(6))
    cycle_arrays = (cycle.indptr.astype(np.int64), cycle.indices.astype(np.int64))
    assert not forest_check_kernel(*cycle_arrays, np.arange(6, dtype=np.int64), 6)
    assert forest_check_kernel(*cycle_arrays, np.array([5, 0, 1, 2, 3]), 6)


def cycle_matrix(n):
    ring = np.roll(np.eye(n), 1, axis=1)
    return 3.0 * np.eye(n) - ring - ring.T


def test_cycle_is_not_a_forest():
    A = cycle_matrix(5)
    assert not is_forest(A)
    assert not is_forest(sp.csr_matrix(A), [4, 3, 2, 1, 0])
    assert is_forest(A, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="block is not a forest"):
        solve_forest(A, np.arange(5), np.ones(5))
    csr = sp.csr_matrix(A)
    with pytest.raises(ValueError, match="cycle"):
        forest_solve_kernel(csr.indptr.astype(np.int64), csr.indices.astype(np.int64),
                            csr.data, np.arange(5, dtype=np.int64), np.ones(5))


def test_explicit_zeros_are_not_edges():
    A = sp.csr_matrix(cycle_matrix(4))
    A.data[(A.indices == 3) & (np.repeat(np.arange(4), np.diff(A.indptr)) == 0)] = 0.0
    A.data[(A.indices == 0) & (np.repeat(np.arange(4), np.diff(A.indptr)) == 3)] = 0.0
    assert A.nnz == 12  # the zeros are stored
    assert is_forest(A)
    rhs = np.arange(4.0)
    np.testing.assert_allclose(solve_forest(A, np.arange(4), rhs),
                               np.linalg.solve(A.toarray(), rhs), rtol=1e-12)


def test_errors_name_the_argument():
    A = cycle_matrix(4)
    with pytest.raises(ValueError, match="A must be square"):
        solve_forest(np.ones((2, 3)), [0], [1.0])
    with pytest.raises(ValueError, match="A must not contain NaN"):
        solve_forest(sp.csr_matrix(np.diag([1.0, np.nan])), [0], [1.0])
    with pytest.raises(TypeError, match="A must be real-valued"):
        solve_forest(sp.csr_matrix(np.eye(2) * 1j), [0], [1.0])
    asymmetric = A.copy()
    asymmetric[0, 1] = -1.1
    with pytest.raises(ValueError, match="A must be symmetric on block"):
        solve_forest(asymmetric, [0, 1], [1.0, 1.0])
    # the asymmetry outside the block does not matter
    solve_forest(asymmetric, [2, 3], [1.0, 1.0])
    with pytest.raises(ValueError, match="block must not contain repeated"):
        solve_forest(A, [0, 0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"block must hold node indices in \[0, 4\)"):
        solve_forest(A, [0, 4], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"block must hold node indices"):
        is_forest(A, [-1])
    with pytest.raises(TypeError, match="block must hold integer"):
        solve_forest(A, [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="rhs must have 2 entries"):
        solve_forest(A, [0, 1], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="rhs must not contain NaN"):
        solve_forest(A, [0, 1], [1.0, np.nan])
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        solve_forest(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1], [1.0, 1.0])


def test_inputs_not_modified():
    rng = np.random.default_rng(3)
    A = weighted_laplacian(rng, 20, random_forest_edges(rng, np.arange(20), 2), 0.5)
    # a duplicate diagonal entry and an explicit zero in the last row: the
    # wrapper cleans a copy only
    A = sp.csr_matrix((np.append(A.data, [0.25, 0.0]),
                       np.append(A.indices, [19, 0]),
                       np.append(A.indptr[:-1], A.indptr[-1] + 2)), shape=A.shape)
    A_before = (A.data.copy(), A.indices.copy(), A.indptr.copy())
    block = rng.permutation(20)
    block_before = block.copy()
    rhs = rng.standard_normal(20)
    rhs_before = rhs.copy()
    solve_forest(A, block, rhs)
    is_forest(A, block)
    for after, before in zip((A.data, A.indices, A.indptr), A_before, strict=True):
        np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(block, block_before)
    np.testing.assert_array_equal(rhs, rhs_before)

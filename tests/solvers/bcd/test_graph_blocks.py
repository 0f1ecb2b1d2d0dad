import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sparseopt.solvers.bcd.graph_blocks import (
    greedy_forest_block,
    lattice_comb_blocks,
    lattice_red_black_blocks,
    red_black_blocks,
    tree_partition_blocks,
)


def induced_edges(A, block):
    """Off-diagonal pattern of A[block][:, block] (symmetrised), as CSR."""
    sub = sp.csr_matrix(A)[block][:, block]
    pattern = (abs(sub) + abs(sub.T)).tocsr()
    pattern.setdiag(0)
    pattern.eliminate_zeros()
    return pattern


def is_forest_by_components(A, block):
    """Independent check: a graph is a forest iff #edges = #nodes - #components."""
    pattern = induced_edges(A, block)
    n_components, _ = connected_components(pattern, directed=False)
    return pattern.nnz // 2 == len(block) - n_components


def assert_partition(blocks, n):
    assert all(block.dtype == np.int64 for block in blocks)
    assert all(np.all(np.diff(block) > 0) for block in blocks)  # sorted, distinct
    np.testing.assert_array_equal(np.sort(np.concatenate(blocks)), np.arange(n))


def lattice_laplacian(n_rows, n_cols):
    """4-neighbour lattice, node r + c * n_rows, built by Kronecker products."""
    def path(m):
        return sp.diags([np.ones(m - 1), np.ones(m - 1)], [-1, 1], shape=(m, m))
    W = sp.kron(sp.identity(n_cols), path(n_rows)) + sp.kron(path(n_cols),
                                                              sp.identity(n_rows))
    W = sp.csr_matrix(W)
    return (sp.diags(np.asarray(W.sum(axis=1)).ravel() + 0.1) - W).tocsr()


def random_graph(seed, n=300, density=0.02):
    rng = np.random.default_rng(seed)
    upper = sp.random(n, n, density=density, random_state=seed, format="csr")
    W = sp.triu(upper, k=1)
    W = (W + W.T).tocsr()
    return (sp.diags(np.asarray(W.sum(axis=1)).ravel() + rng.uniform(0.1, 1.0, n))
            - W).tocsr()


GRAPHS = {
    "lattice": lambda: lattice_laplacian(12, 9),
    "random_sparse": lambda: random_graph(0),
    "random_denser": lambda: random_graph(1, n=200, density=0.08),
}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_red_black_blocks_are_independent_sets(graph):
    A = GRAPHS[graph]()
    blocks = red_black_blocks(A)
    assert_partition(blocks, A.shape[0])
    for block in blocks:
        assert induced_edges(A, block).nnz == 0  # A_bb is diagonal
    # least-used colouring keeps the classes balanced on the lattice
    sizes = [block.size for block in blocks]
    assert max(sizes) - min(sizes) <= 0.1 * A.shape[0]


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_tree_partition_blocks_are_forests(graph):
    A = GRAPHS[graph]()
    blocks = tree_partition_blocks(A)
    assert_partition(blocks, A.shape[0])
    assert all(is_forest_by_components(A, block) for block in blocks)
    assert len(blocks) <= len(red_black_blocks(A))
    # lowest-index rule: a node of block k would close a cycle in every earlier
    # block (blocks only grow, so a cycle at visit time is still there at the end)
    for k, block in enumerate(blocks[1:], start=1):
        for node in block[:30]:
            for earlier in blocks[:k]:
                assert not is_forest_by_components(A, np.append(earlier, node))
    order = np.lexsort((np.arange(A.shape[0]), -A.diagonal()))
    assert order[0] in blocks[0]


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_greedy_forest_block_is_a_maximal_forest(graph):
    A = GRAPHS[graph]()
    rng = np.random.default_rng(5)
    gradient = rng.standard_normal(A.shape[0])
    order = np.argsort(-np.abs(gradient), kind="stable")
    block = greedy_forest_block(A, order)
    assert block.dtype == np.int64 and np.all(np.diff(block) > 0)
    assert is_forest_by_components(A, block)
    assert order[0] in block and order[1] in block
    outside = np.setdiff1d(np.arange(A.shape[0]), block)
    for node in outside[:40]:
        assert not is_forest_by_components(A, np.append(block, node))
    capped = greedy_forest_block(A, order, max_size=10)
    assert capped.size == 10 and is_forest_by_components(A, capped)
    # a subset of candidates
    subset = greedy_forest_block(A, order[:50])
    assert np.isin(subset, order[:50]).all() and is_forest_by_components(A, subset)


def test_custom_order_and_determinism():
    A = random_graph(2)
    order = np.random.default_rng(0).permutation(A.shape[0])
    for builder in (red_black_blocks, tree_partition_blocks):
        first, second = builder(A, order), builder(A, list(order))
        assert len(first) == len(second)
        for a, b in zip(first, second, strict=True):
            np.testing.assert_array_equal(a, b)
        assert order[0] in first[0]
    # dense input gives the same blocks
    dense = tree_partition_blocks(A.toarray())
    for a, b in zip(dense, tree_partition_blocks(A), strict=True):
        np.testing.assert_array_equal(a, b)


def test_small_known_cases():
    ring = np.roll(np.eye(4), 1, axis=1)
    cycle = 3 * np.eye(4) - ring - ring.T
    assert [b.tolist() for b in tree_partition_blocks(cycle)] == [[0, 1, 2], [3]]
    assert [b.tolist() for b in red_black_blocks(cycle)] == [[0, 2], [1, 3]]
    assert greedy_forest_block(cycle, [1, 3, 2, 0]).tolist() == [1, 2, 3]
    assert [b.tolist() for b in red_black_blocks(np.eye(3))] == [[0, 1, 2]]


def test_lattice_combs_partition_into_two_trees():
    n_rows, n_cols = 50, 50
    A = lattice_laplacian(n_rows, n_cols)
    blocks = lattice_comb_blocks(n_rows, n_cols)
    assert len(blocks) == 2
    assert_partition(blocks, n_rows * n_cols)
    for block in blocks:
        pattern = induced_edges(A, block)
        assert connected_components(pattern, directed=False)[0] == 1  # one tree
        assert pattern.nnz // 2 == block.size - 1


@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 6), (6, 1), (2, 2), (2, 5), (5, 2), (7, 8)]
)
def test_lattice_blocks_small_shapes(shape):
    A = lattice_laplacian(*shape)
    n = shape[0] * shape[1]
    combs = lattice_comb_blocks(*shape)
    assert_partition(combs, n)
    assert len(combs) == (1 if shape[0] == 1 else 2)
    assert all(is_forest_by_components(A, block) for block in combs)
    red_black = lattice_red_black_blocks(*shape)
    assert_partition(red_black, n)
    assert all(induced_edges(A, block).nnz == 0 for block in red_black)


def test_lattice_blocks_with_labelled_nodes():
    n_rows, n_cols = 10, 7
    rng = np.random.default_rng(0)
    labelled = np.zeros(n_rows * n_cols, dtype=bool)
    labelled[rng.choice(labelled.size, 15, replace=False)] = True
    unlabelled = np.flatnonzero(~labelled)
    A = lattice_laplacian(n_rows, n_cols)[unlabelled][:, unlabelled]
    for builder, forest_only in ((lattice_comb_blocks, True),
                                 (lattice_red_black_blocks, False)):
        full = builder(n_rows, n_cols)
        blocks = builder(n_rows, n_cols, labelled=labelled)
        assert_partition(blocks, unlabelled.size)
        for block, full_block in zip(blocks, full, strict=True):
            # the renumbering maps back to the unlabelled nodes of the full block
            np.testing.assert_array_equal(unlabelled[block],
                                          full_block[~labelled[full_block]])
            if forest_only:
                assert is_forest_by_components(A, block)
            else:
                assert induced_edges(A, block).nnz == 0
    everything = np.ones(4, dtype=bool)
    assert lattice_comb_blocks(2, 2, labelled=everything) == []


def test_errors_name_the_argument():
    A = lattice_laplacian(3, 3)
    with pytest.raises(ValueError, match="A must be square"):
        red_black_blocks(np.ones((2, 3)))
    with pytest.raises(ValueError, match="A must not contain NaN"):
        tree_partition_blocks(sp.csr_matrix(np.diag([1.0, np.inf])))
    with pytest.raises(ValueError, match="order must be a permutation of the 9 nodes"):
        red_black_blocks(A, order=[0, 1, 2])
    with pytest.raises(ValueError, match="order must not contain repeated"):
        tree_partition_blocks(A, order=[0] * 9)
    with pytest.raises(ValueError, match=r"order must hold node indices in \[0, 9\)"):
        greedy_forest_block(A, [9])
    with pytest.raises(TypeError, match="order must hold integer"):
        greedy_forest_block(A, [0.5])
    with pytest.raises(ValueError, match="max_size must be >= 1"):
        greedy_forest_block(A, [0, 1], max_size=0)
    with pytest.raises(ValueError, match="n_rows must be >= 1"):
        lattice_comb_blocks(0, 3)
    with pytest.raises(TypeError, match="n_cols must be an integer"):
        lattice_red_black_blocks(3, 2.0)
    with pytest.raises(TypeError, match="labelled must be a boolean mask"):
        lattice_comb_blocks(2, 2, labelled=np.ones(4, dtype=int))
    with pytest.raises(ValueError, match=r"labelled must have shape \(4,\)"):
        lattice_comb_blocks(2, 2, labelled=np.ones(5, dtype=bool))


def test_inputs_not_modified():
    A = random_graph(3)
    before = (A.data.copy(), A.indices.copy(), A.indptr.copy())
    order = np.arange(A.shape[0])[::-1].copy()
    order_before = order.copy()
    red_black_blocks(A, order)
    tree_partition_blocks(A, order)
    greedy_forest_block(A, order, max_size=5)
    for after, original in zip((A.data, A.indices, A.indptr), before, strict=True):
        np.testing.assert_array_equal(after, original)
    np.testing.assert_array_equal(order, order_before)

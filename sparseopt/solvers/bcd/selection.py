"""Block-selection rules of the BCD engine.

Rules (Nutini, Laradji & Schmidt, JMLR 2022), with ``g`` the gradient,
``L_b`` the block Lipschitz constant (largest eigenvalue of the bound
``H~_b``), ``L_i`` the coordinate constants and, for problems with a
non-smooth penalty, the proximal generalisations:

==========  ================================  ===================================
rule        fixed blocks: argmax_b of         variable blocks: the tau coordinates
==========  ================================  ===================================
cyclic      blocks in order                   chunks of a permutation, redrawn
                                              every epoch
random      uniform                           tau coordinates without replacement
lipschitz   sampled with probability ~ L_b    tau coordinates drawn ~ L_i
gs          ||s_b||, s = minimum-norm         largest |s_i|
            subgradient (= ||g_b|| smooth)
gsl         decrease of the prox-gradient     largest decrease with L_i
            model with L_b (||g_b||^2/L_b)    (g_i^2 / L_i)
gsd         decrease with diag(d), d_i the    decrease with d_i the Gershgorin row
            Gershgorin row sums of H~_bb      sums of the whole bound H~ (valid
                                              for any block: the paper's GSD
                                              with Hb, its variable-block "GSL"
                                              curves)
gsq         decrease of the model with H~_b   support of an approximate tau-sparse
            (g_b^T H~_b^{-1} g_b smooth)      minimiser of the model: 10 steps of
                                              iterative hard thresholding with
                                              step 1 / lambda_max(H~)
gs_r        ||d_b||, d the prox-gradient      largest |d_i| with L_i
            step with L_b
==========  ================================  ===================================

With the adaptive update (``"adaptive_gradient"``, the paper's "LA") the
Lipschitz-based rules use the current estimates instead of ``L_i`` / ``L_b``.

Graph problems (:class:`~sparseopt.solvers.bcd.datafits.QuadraticDatafit`)
with ``blocks="tree"``: greedy rules grow one forest by descending score
(the paper's greedy tree; ``gsd`` scores with the Gershgorin row sums of
``A``), ``random`` grows one forest along a random permutation (the paper's
random tree), and ``cyclic`` / ``lipschitz`` visit the fixed forest
partition (the paper's tree partitions). The partitions themselves are built
by :mod:`~sparseopt.solvers.bcd.partitions`.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse.linalg import factorized

from sparseopt.core.linalg import power_iteration
from sparseopt.core.selection import top_k_indices_kernel
from sparseopt.solvers.bcd.datafits import QuadraticDatafit
from sparseopt.solvers.bcd.graph_blocks import greedy_forest_block

__all__ = ["SELECTIONS", "GREEDY_RULES", "BlockSelector", "SPARSE_BLOCK"]

SELECTIONS = ("cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq", "gs_r")
GREEDY_RULES = ("gs", "gsl", "gsd", "gsq", "gs_r")
_IHT_STEPS = 10  # the paper's number of IHT iterations
_IHT_TOL = 1e-10
SPARSE_BLOCK = 64  # blocks of a sparse quadratic larger than this stay sparse


class BlockBound:
    """Cached curvature of one block: the dense bound ``matrix`` (``None`` for a
    large block of a sparse quadratic), its largest eigenvalue ``largest`` and,
    for those sparse blocks, :meth:`solve` with the block matrix plus the
    penalty's l2 term (sparse LU, factorised at the first call)."""

    def __init__(self, matrix, largest, system=None):
        self.matrix = matrix
        self.largest = largest
        self._system = system
        self._solve = None

    def solve(self, rhs):
        """``(A_bb + diag(l2_b))^{-1} rhs`` (large sparse blocks only)."""
        if self._solve is None:
            self._solve = factorized(sp.csc_matrix(self._system))
        return self._solve(rhs)


def block_bound(datafit, penalty, block):
    """The :class:`BlockBound` of ``block`` (kept sparse for large graph blocks)."""
    if _keeps_sparse(datafit, penalty, block):
        matrix = sp.csc_matrix(datafit.matrix[block][:, block])
        return BlockBound(None, _sparse_largest_eigenvalue(matrix),
                          matrix + sp.diags(penalty.l2_weights[block]))
    matrix = datafit.bound_matrix(block)
    largest = float(np.linalg.eigvalsh(matrix)[-1]) if len(block) > 1 else float(matrix[0, 0])
    return BlockBound(matrix, largest)


def _keeps_sparse(datafit, penalty, block):
    return (isinstance(datafit, QuadraticDatafit) and len(block) > SPARSE_BLOCK
            and penalty.is_smooth)


def _sparse_largest_eigenvalue(matrix):
    return power_iteration(matrix, tol=1e-8)  # symmetric PSD: sigma_max = lambda_max


class BlockSelector:
    """Chooses the next block; caches per-block constants of fixed partitions.

    Parameters
    ----------
    rule : str
        One of :data:`SELECTIONS`.
    partition : list of ndarray or None
        Fixed partition, ``None`` for variable blocks.
    block_size : int or None
        Size of variable blocks (cap on greedy forests; ``None``: unbounded).
    datafit, penalty
        The problem.
    lipschitz : ndarray of shape (n_coords,)
        Coordinate constants ``L_i``; with the adaptive update, the array of
        estimates that the update changes in place.
    rng : numpy.random.Generator
        Randomness of the random, lipschitz and cyclic-variable rules.
    tree_blocks : bool, default=False
        Forest blocks of a graph problem (see the module docstring).
    adaptive : bool, default=False
        ``lipschitz`` holds adaptive estimates (block constants are their
        maxima over the block instead of eigenvalues of the bound).
    """

    def __init__(self, rule, partition, block_size, datafit, penalty, lipschitz, rng,
                 tree_blocks=False, adaptive=False):
        self.rule = rule
        self.partition = partition
        self.block_size = block_size
        self.datafit = datafit
        self.penalty = penalty
        self.lipschitz = lipschitz
        self.rng = rng
        self.tree_blocks = tree_blocks
        self.adaptive = adaptive
        self.coordinate_constants = datafit.coordinate_lipschitz()  # the true L_i
        self._permutation = None
        self._bound_cache = {}
        if partition is not None:
            self.n_blocks = len(partition)
            self._concatenated = np.concatenate(partition)
            self._starts = np.cumsum([0] + [len(b) for b in partition[:-1]])
            self._block_of = np.repeat(np.arange(self.n_blocks), [len(b) for b in partition])
            self._singletons = all(len(b) == 1 for b in partition)

    # -- cached block quantities -------------------------------------------
    def bound(self, index):
        """The :class:`BlockBound` of block ``index`` of the partition (cached)."""
        if index not in self._bound_cache:
            self._bound_cache[index] = block_bound(self.datafit, self.penalty,
                                                   self.partition[index])
        return self._bound_cache[index]

    def block_lipschitz(self):
        """``L_b`` of every block of the partition (adaptive: current estimates)."""
        if self.adaptive:
            return np.maximum.reduceat(self.lipschitz[self._concatenated], self._starts)
        if not hasattr(self, "_block_lipschitz"):
            self._block_lipschitz = np.array([self.bound(b).largest
                                              for b in range(self.n_blocks)])
        return self._block_lipschitz

    def _block_sums(self, values):
        return np.add.reduceat(values[self._concatenated], self._starts)

    def _block_gershgorin(self):
        """Row sums of ``|H~_bb|`` within each block of the partition."""
        if not hasattr(self, "_block_gershgorin_values"):
            rows = np.empty(self.datafit.n_coords)
            for index, block in enumerate(self.partition):
                matrix = self.bound(index).matrix
                if matrix is None:
                    matrix = abs(self.datafit.matrix[block][:, block])
                rows[block] = np.asarray(abs(matrix).sum(axis=1)).ravel()
            self._block_gershgorin_values = rows
        return self._block_gershgorin_values

    def _gershgorin(self):
        """Row sums of ``|H~|`` over all coordinates (a diagonal bound for any block)."""
        if not hasattr(self, "_gershgorin_values"):
            self._gershgorin_values = self.datafit.gershgorin_rows()
        return self._gershgorin_values

    def _inverse_stack(self):
        """Padded stack of ``(H~_b + 1e-10 I)^{-1}`` for the smooth GSQ score."""
        if not hasattr(self, "_inverses"):
            width = max(len(b) for b in self.partition)
            stack = np.zeros((self.n_blocks, width, width))
            for index, block in enumerate(self.partition):
                matrix = self._dense_bound(index)
                regularised = matrix + 1e-10 * np.eye(len(block))
                stack[index, : len(block), : len(block)] = cho_solve(
                    cho_factor(regularised), np.eye(len(block)))
            self._inverses = stack
        return self._inverses

    def _dense_bound(self, index):
        matrix = self.bound(index).matrix
        if matrix is None:
            block = self.partition[index]
            return self.datafit.matrix[block][:, block].toarray()
        return matrix

    def _padded(self, values):
        width = self._inverse_stack().shape[1]
        out = np.zeros((self.n_blocks, width))
        for index, block in enumerate(self.partition):
            out[index, : len(block)] = values[block]
        return out

    # -- selection --------------------------------------------------------------
    def next(self, state, iteration):
        """``(block, index)`` for this iteration (1-based).

        ``block`` holds sorted int64 coordinates; ``index`` is its position in
        the fixed partition, ``None`` for variable blocks.
        """
        if self.partition is None:
            return self._variable_block(state, iteration), None
        if self.tree_blocks and (self.rule in GREEDY_RULES or self.rule == "random"):
            if self.rule == "random":
                order = self.rng.permutation(self.datafit.n_coords)
            else:
                scores = self._coordinate_scores(state, self.lipschitz)
                order = np.argsort(-scores, kind="stable")
            block = greedy_forest_block(self.datafit.matrix, order, max_size=self.block_size)
            return np.sort(block), None
        index = self._fixed_index(state, iteration)
        return self.partition[index], index

    def _fixed_index(self, state, iteration):
        rule = self.rule
        if rule == "cyclic":
            return (iteration - 1) % self.n_blocks
        if rule == "random":
            return int(self.rng.integers(self.n_blocks))
        if rule == "lipschitz":
            weights = self.block_lipschitz()
            return int(self.rng.choice(self.n_blocks, p=weights / weights.sum()))
        gradient, coef = state.gradient, state.coef
        if rule == "gs":
            values = self.penalty.violations(gradient, coef)
            return int(np.argmax(self._block_sums(values**2)))
        if rule == "gsq" and self._singletons:
            # one-coordinate blocks: the quadratic model has curvature L_i
            _, decreases = self.penalty.model_steps(gradient, coef, self.coordinate_constants)
            return int(np.argmax(decreases[self._concatenated]))
        if rule in ("gsl", "gs_r"):
            per_coordinate_l = self.block_lipschitz()[self._block_of]
            curvature = np.empty(self.datafit.n_coords)
            curvature[self._concatenated] = per_coordinate_l
            steps, decreases = self.penalty.model_steps(gradient, coef, curvature)
            values = decreases if rule == "gsl" else steps**2
            return int(np.argmax(self._block_sums(values)))
        if rule == "gsd":
            _, decreases = self.penalty.model_steps(gradient, coef, self._block_gershgorin())
            return int(np.argmax(self._block_sums(decreases)))
        # gsq
        if self.penalty.is_smooth:
            padded = self._padded(gradient + self.penalty.l2_weights * coef)
            scores = np.einsum("bi,bij,bj->b", padded, self._inverse_stack(), padded)
            return int(np.argmax(scores))
        return int(np.argmax([self._block_model_decrease(state, index)
                              for index in range(self.n_blocks)]))

    def _block_model_decrease(self, state, index):
        block = self.partition[index]
        matrix = self._dense_bound(index)
        gradient, coef = state.gradient[block], state.coef[block]
        delta = self.penalty.solve_quadratic_model(matrix, gradient, coef, block)
        return -(gradient @ delta + 0.5 * delta @ matrix @ delta
                 + self.penalty.change(coef, delta, block))

    def _coordinate_scores(self, state, curvature):
        rule = self.rule
        gradient, coef = state.gradient, state.coef
        if rule == "gs":
            return self.penalty.violations(gradient, coef)
        if rule == "gsd":
            curvature = self._gershgorin()
        steps, decreases = self.penalty.model_steps(gradient, coef, curvature)
        return np.abs(steps) if rule == "gs_r" else decreases

    def _variable_block(self, state, iteration):
        n_coords, size = self.datafit.n_coords, min(self.block_size, self.datafit.n_coords)
        rule = self.rule
        if rule == "cyclic":
            n_chunks = -(-n_coords // size)
            position = (iteration - 1) % n_chunks
            if position == 0 or self._permutation is None:
                self._permutation = self.rng.permutation(n_coords)
            return np.sort(self._permutation[position * size:(position + 1) * size])
        if rule == "random":
            return np.sort(self.rng.choice(n_coords, size, replace=False))
        if rule == "lipschitz":
            weights = self.lipschitz / self.lipschitz.sum()
            return np.sort(self.rng.choice(n_coords, size, replace=False, p=weights))
        if rule == "gsq":
            return self._iht_block(state, size)
        scores = self._coordinate_scores(state, self.lipschitz)
        return np.sort(top_k_indices_kernel(scores, size))

    def _iht_block(self, state, size):
        """Support of an approximate size-sparse minimiser of the block model.

        Iterative hard thresholding on the model ``q(d) = g^T d + 1/2 d^T H~ d
        + pen(w + d) - pen(w)`` over all coordinates, as in the paper: start
        from ``d_i = sqrt(L_i) s_i``, with ``s_i`` the coordinate-wise
        proximal-gradient step with ``L_i`` (``-g_i / sqrt(L_i)`` for a smooth
        problem, whose magnitudes rank coordinates as GSL; the authors' code
        starts from ``+g_i / sqrt(L_i)``), then up to 10 steps ``d <- prox_{mu
        pen}(w + d - mu (g + H~ d)) - w`` with the single step ``mu = 1 /
        lambda_max(H~)``, each followed by keeping the ``size`` largest
        ``|d_i|``; stop early once ``d`` no longer moves. The block is the kept
        support, unless every coordinate of it is already optimal (zero
        coordinate steps ``s_i``: the coupling through ``H~`` can keep such a
        coordinate, e.g. an optimal intercept, and the iteration would repeat
        it forever); then it is the ``size`` best coordinates by the GSL
        scores. Cost: about 10 products with ``H~`` per iteration.
        """
        gradient, coef = state.gradient, state.coef
        constants = self.coordinate_constants
        steps = self.penalty.model_steps(gradient, coef, constants)[0]
        direction = np.sqrt(np.maximum(constants, 0.0)) * steps
        step = 1.0 / self.datafit.bound_norm()
        support = None
        for _ in range(_IHT_STEPS):
            moved = direction - step * (gradient + self.datafit.bound_matvec(direction))
            moved = self.penalty.prox(coef + moved, step, slice(None)) - coef
            support = top_k_indices_kernel(np.abs(moved), size)
            kept = np.zeros_like(moved)
            kept[support] = moved[support]
            change = np.linalg.norm(kept - direction)
            direction = kept
            if change <= _IHT_TOL * max(1.0, np.linalg.norm(kept)):
                break
        if not np.any(steps[support]):
            support = top_k_indices_kernel(self._coordinate_scores(state, self.lipschitz), size)
        return np.sort(support)

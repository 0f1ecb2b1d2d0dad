"""Smooth data fits of the BCD engine.

A data fit owns the data and the incremental state of the iterates; the
engine only sees coordinates (a flat vector of ``n_coords``) and asks for
block gradients, block curvature (a Lipschitz upper bound ``H~_b`` or the
exact Hessian ``H_b``), trial values for line searches, and applies block
steps. Two kinds:

- :class:`GLMDatafit`: ``f(W) = scale * sum_i loss(y_i, x_i^T W)`` for least
  squares, logistic and multinomial losses, with dense or CSC ``X``. The
  state keeps the linear predictor and the loss derivative, so a block step
  costs ``O(nnz of the block's columns)``; the full gradient, needed by the
  greedy rules, is maintained incrementally: for dense least squares
  through cached Gram columns ``X^T x_j`` (``O(p)`` per updated coordinate
  once cached), otherwise through a CSR copy of ``X`` (only the rows a step
  touched are revisited; on dense data every row is, ``O(np)``).
- :class:`QuadraticDatafit`: ``f(x) = 1/2 x^T A x - b^T x`` with a sparse
  symmetric positive (semi)definite ``A``, e.g. graph label propagation; the
  gradient ``A x - b`` is maintained in ``O(degree)`` per coordinate.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from sparseopt.core import losses
from sparseopt.core.columns import gather_columns
from sparseopt.core.linalg import power_iteration
from sparseopt.solvers.bcd import block_kernels
from sparseopt.solvers.bcd.validation import check_glm_datafit, check_quadratic_datafit

__all__ = ["GLMDatafit", "QuadraticDatafit", "LOSSES"]

LOSSES = {"least_squares": losses.LEAST_SQUARES, "logistic": losses.LOGISTIC,
          "multinomial": losses.MULTINOMIAL}
# Curvature bound of each loss: l'' <= c (Boehning's bound for the multinomial).
_CURVATURE_BOUND = {losses.LEAST_SQUARES: 1.0, losses.LOGISTIC: 0.25,
                    losses.MULTINOMIAL: 0.25}
# Memory for cached Gram columns X^T x_j (least squares): 256 MB, i.e. the
# whole Gram matrix up to p = 5792; beyond, the gradient update falls back to
# the row-wise path for columns not cached.
_GRAM_CACHE_BYTES = 2**28
# Columns of X^T X computed at once for the Gershgorin row sums (256 MB).
_GERSHGORIN_CHUNK_BYTES = 2**28


class _State:
    """Iterate and incremental quantities (plain arrays, picklable)."""

    def __init__(self, coef, **arrays):
        self.coef = coef
        for name, array in arrays.items():
            setattr(self, name, array)


class GLMDatafit:
    r"""Generalised linear data fit :math:`f(W) = s \sum_i \ell(y_i, x_i^\top W)`.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design (dense: Fortran order is used; sparse: CSC).
    target : ndarray of shape (n_samples,)
        Responses: real values (least squares), labels in {-1, 1}
        (logistic) or class indices 0..K-1 (multinomial).
    loss : {"least_squares", "logistic", "multinomial"}
        The loss.
    scale : float
        The factor :math:`s` (``1 / n_samples`` for a mean loss).
    n_outputs : int, default=1
        Number of columns of :math:`W` (the number of classes K for the
        multinomial loss).
    """

    def __init__(self, X, target, loss, scale, n_outputs=1):
        X, target, scale, n_outputs = check_glm_datafit(X, target, loss, scale, n_outputs, LOSSES)
        self.loss = LOSSES[loss]
        self.scale = float(scale)
        self.n_samples, self.n_features = X.shape
        self.n_outputs = int(n_outputs)
        self.n_coords = self.n_features * self.n_outputs
        self.target = np.asarray(target, dtype=np.float64)
        self.is_sparse = sp.issparse(X)
        if self.is_sparse:
            X = sp.csc_matrix(X, dtype=np.float64)  # shares the caller's arrays if it can
            if not X.has_sorted_indices:  # sort a copy, never the caller's matrix
                X = X.copy()
                X.sort_indices()
            self.matrix = X
            self.dense = np.empty((0, 0), order="F")
            self.data, self.indices = X.data, X.indices.astype(np.int64)
            self.indptr = X.indptr.astype(np.int64)
            with np.errstate(over="ignore"):  # overflow is reported below
                squared = np.asarray(X.multiply(X).sum(axis=0)).ravel()
        else:
            self.matrix = np.asfortranarray(X, dtype=np.float64)
            self.dense = self.matrix
            self.data = np.empty(0)
            self.indices = self.indptr = np.empty(0, dtype=np.int64)
            with np.errstate(over="ignore"):
                squared = np.einsum("ij,ij->j", self.matrix, self.matrix)
        self.column_squared_norms = squared
        self._check_finite()
        self._csr = None
        self._bound_norm = None
        self._gram = None

    def _check_finite(self):
        """Refuse data whose squares overflow float64 (NaN would follow silently)."""
        if not np.all(np.isfinite(self.column_squared_norms)):
            column = int(np.flatnonzero(~np.isfinite(self.column_squared_norms))[0])
            largest = float(abs(self.matrix).max())
            raise ValueError(
                f"X overflows float64: the squared norm of column {column} is not finite "
                f"(largest |X| entry {largest:.3g}). Rescale X (e.g. divide it by its "
                "largest entry) and the penalty accordingly.")
        if not np.all(np.isfinite(self.target)):
            raise ValueError("y must be finite (no NaN or infinity).")
        with np.errstate(over="ignore"):
            squared_target = 0.5 * self.scale * float(self.target @ self.target)
        if self.loss == losses.LEAST_SQUARES and not np.isfinite(squared_target):
            raise ValueError(
                f"y overflows float64: its squared norm is not finite (largest |y| "
                f"{float(np.max(np.abs(self.target))):.3g}). Rescale y (and X) first.")

    # -- pieces of the design ---------------------------------------------
    def _arrays(self):
        return self.dense, self.data, self.indices, self.indptr, self.is_sparse

    def _csr_arrays(self):
        if self._csr is None:
            csr = sp.csr_matrix(self.matrix)
            self._csr = (csr.data, csr.indices.astype(np.int64), csr.indptr.astype(np.int64))
        return self._csr

    def coordinate_lipschitz(self):
        """Coordinate-wise Lipschitz constants of the gradient, shape (n_coords,)."""
        bound = _CURVATURE_BOUND[self.loss] * self.scale
        return np.repeat(bound * self.column_squared_norms, self.n_outputs)

    # -- state ----------------------------------------------------------------
    def start(self, coef, track_gradient):
        """State at ``coef`` (flat, copied)."""
        coef = np.array(coef, dtype=np.float64)
        weights = coef.reshape(self.n_features, self.n_outputs)
        z = np.ascontiguousarray(np.asarray(self.matrix @ weights).T)
        deriv = np.empty_like(z)
        losses.update_derivatives(self.loss, z, self.target, self.scale,
                                   np.arange(self.n_samples), deriv)
        state = _State(coef, z=z, deriv=deriv, gradient=None)
        if track_gradient:
            state.gradient = self.full_gradient(state)
        return state

    def value(self, state):
        """:math:`f` at the state."""
        return float(losses.loss_value(self.loss, state.z, self.target, self.scale))

    def full_gradient(self, state):
        """Gradient with respect to every coordinate (flat)."""
        return np.asarray(self.matrix.T @ state.deriv.T).ravel()

    def block_gradient(self, state, block):
        """Gradient on the block (maintained copy if tracked)."""
        if state.gradient is not None:
            return state.gradient[block]
        return block_kernels.block_gradient(*self._arrays(), state.deriv, block)

    def _block_layout(self, block):
        features = block // self.n_outputs
        unique, column_of = np.unique(features, return_inverse=True)
        columns = gather_columns(*self._arrays(), unique, self.n_samples, 0.0)
        return columns, column_of.astype(np.int64), (block % self.n_outputs).astype(np.int64)

    def bound_matrix(self, block):
        r"""Upper bound :math:`\tilde H_b \succeq \nabla^2_{bb} f`, constant in W.

        Least squares: :math:`s X_b^\top X_b`; logistic: a quarter of it;
        multinomial: :math:`s (x_j^\top x_{j'}) \tfrac12 (\delta_{kk'} - 1/m)`
        with :math:`m = \min(K, \text{classes in the block} + 1)` (Boehning's
        bound restricted to the block's classes, the rest lumped into one).
        """
        features = block // self.n_outputs
        unique, column_of = np.unique(features, return_inverse=True)
        output_of = block % self.n_outputs
        columns = self.matrix[:, unique]
        gram = columns.T @ columns
        gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
        gram = gram[np.ix_(column_of, column_of)] * self.scale
        if self.loss == losses.LEAST_SQUARES:
            return gram
        if self.loss == losses.LOGISTIC:
            return 0.25 * gram
        n_classes = np.unique(output_of).size
        m = self.n_outputs if n_classes >= self.n_outputs else n_classes + 1
        same = output_of[:, None] == output_of[None, :]
        return gram * 0.5 * (same - 1.0 / m)

    def hessian(self, state, block):
        """Exact Hessian :math:`\\nabla^2_{bb} f` at the state."""
        if self.loss == losses.LEAST_SQUARES:  # constant: the bound itself
            return self.bound_matrix(block)
        columns, column_of, output_of = self._block_layout(block)
        weights = losses.curvature_weights(self.loss, state.z, self.target, self.scale,
                                            np.arange(self.n_samples))
        return block_kernels.weighted_block_gram(columns, column_of, output_of, weights)

    def bound_matvec(self, vector):
        """:math:`\\tilde H v` for the whole coefficient vector (matrix-free)."""
        weights = vector.reshape(self.n_features, self.n_outputs)
        product = np.asarray(self.matrix.T @ (self.matrix @ weights)) * self.scale
        if self.loss == losses.LOGISTIC:
            product *= 0.25
        elif self.loss == losses.MULTINOMIAL:
            product = 0.5 * (product - product.mean(axis=1, keepdims=True))
        return product.ravel()

    def bound_norm(self):
        """:math:`\\lambda_{max}(\\tilde H)` (power iteration, cached)."""
        if self._bound_norm is None:
            sigma = power_iteration(self.matrix, tol=1e-8)
            factor = {losses.LEAST_SQUARES: 1.0, losses.LOGISTIC: 0.25,
                      losses.MULTINOMIAL: 0.5}[self.loss]
            self._bound_norm = factor * self.scale * sigma**2
        return self._bound_norm

    def gershgorin_rows(self):
        r"""Row sums :math:`\sum_{c'} |\tilde H_{cc'}|` of the whole bound.

        A diagonal upper bound of :math:`\tilde H_{bb}` for every block ``b``
        (Gershgorin). Computed by chunks of columns of :math:`X^\top X`:
        time :math:`O(n p^2)` for dense ``X``, memory 256 MB at most.
        """
        p = self.n_features
        rows = np.empty(p)
        chunk = max(1, _GERSHGORIN_CHUNK_BYTES // (8 * p))
        for start in range(0, p, chunk):
            stop = min(start + chunk, p)
            gram = self.matrix.T @ self.matrix[:, start:stop]
            gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
            rows[start:stop] = np.abs(gram).sum(axis=0)
        factor = {losses.LEAST_SQUARES: 1.0, losses.LOGISTIC: 0.25,
                  losses.MULTINOMIAL: 1.0 - 1.0 / self.n_outputs}[self.loss]
        return np.repeat(factor * self.scale * rows, self.n_outputs)

    @property
    def is_quadratic(self):
        """Whether the Hessian is constant (least squares)."""
        return self.loss == losses.LEAST_SQUARES

    def change(self, state, block, delta):
        r""":math:`f(w + \delta_b) - f(w)`, computed row by row (state unchanged)."""
        return float(block_kernels.block_step_change(self.loss, *self._arrays(), state.z,
                                               self.target, self.scale, block, delta))

    def _gram_columns(self, features):
        """Cached columns ``X^T x_j`` of ``features`` (``None`` once the cache is full)."""
        p = self.n_features
        if self._gram is None:
            self._gram_capacity = max(1, min(p, _GRAM_CACHE_BYTES // (8 * p)))
            self._gram = np.empty((p, min(self._gram_capacity, 64)), order="F")
            self._gram_slot = np.full(p, -1, dtype=np.int64)
            self._gram_count = 0
        missing = np.unique(features[self._gram_slot[features] < 0])
        if missing.size:
            count = self._gram_count
            if count + missing.size > self._gram_capacity:
                return None
            if count + missing.size > self._gram.shape[1]:
                width = min(self._gram_capacity, max(2 * self._gram.shape[1],
                                                     count + missing.size))
                grown = np.empty((p, width), order="F")
                grown[:, :count] = self._gram[:, :count]
                self._gram = grown
            new = self.matrix.T @ self.matrix[:, missing]
            self._gram[:, count:count + missing.size] = (
                new.toarray() if sp.issparse(new) else new)
            self._gram_slot[missing] = np.arange(count, count + missing.size)
            self._gram_count = count + missing.size
        return self._gram[:, self._gram_slot[features]]

    def refresh(self, state):
        """Recompute the maintained gradient from scratch (removes drift)."""
        if state.gradient is not None:
            state.gradient = self.full_gradient(state)

    def step(self, state, block, delta):
        """Add ``delta`` to the block and update the state incrementally."""
        state.coef[block] += delta
        touched = np.zeros(self.n_samples, dtype=np.uint8)
        n_touched = block_kernels.apply_block_step(*self._arrays(), state.z, block, delta, touched)
        if n_touched == 0:
            return
        rows = np.flatnonzero(touched)
        if state.gradient is None:
            losses.update_derivatives(self.loss, state.z, self.target, self.scale, rows,
                                       state.deriv)
            return
        if self.loss == losses.LEAST_SQUARES and self.n_outputs == 1 and not self.is_sparse:
            moved = delta != 0
            columns = self._gram_columns(block[moved])
            if columns is not None:  # gradient += s X^T X_b delta_b
                losses.update_derivatives(self.loss, state.z, self.target, self.scale, rows,
                                           state.deriv)
                state.gradient += self.scale * (columns @ delta[moved])
                return
        old = state.deriv[:, rows].copy()
        losses.update_derivatives(self.loss, state.z, self.target, self.scale, rows,
                                   state.deriv)
        if self.is_sparse and n_touched < self.n_samples:
            change = np.zeros_like(state.deriv)
            change[:, rows] = state.deriv[:, rows] - old
            block_kernels.csr_gradient_update(*self._csr_arrays(), rows, change, state.gradient)
        else:
            state.gradient = self.full_gradient(state)


@njit(cache=True, nogil=True)
def _symmetric_step(indptr, indices, data, block, delta, gradient):
    """``gradient += A[:, block] delta`` for a symmetric CSR matrix."""
    for position in range(block.shape[0]):
        step = delta[position]
        if step == 0.0:
            continue
        node = block[position]
        for entry in range(indptr[node], indptr[node + 1]):
            gradient[indices[entry]] += data[entry] * step


@njit(cache=True, nogil=True)
def _block_quadratic_form(indptr, indices, data, block, delta, n_nodes):
    """``delta^T A_bb delta`` from the CSR rows of the block."""
    position_of = np.full(n_nodes, -1, dtype=np.int64)
    for position in range(block.shape[0]):
        position_of[block[position]] = position
    total = 0.0
    for position in range(block.shape[0]):
        node = block[position]
        for entry in range(indptr[node], indptr[node + 1]):
            other = position_of[indices[entry]]
            if other >= 0:
                total += delta[position] * data[entry] * delta[other]
    return total


class QuadraticDatafit:
    r"""Quadratic :math:`f(x) = \tfrac12 x^\top A x - b^\top x`.

    Parameters
    ----------
    A : sparse or dense symmetric matrix of shape (n, n)
        Positive semidefinite (stored as CSR).
    b : ndarray of shape (n,)
        Linear term.
    """

    def __init__(self, A, b):
        A, b = check_quadratic_datafit(A, b)
        self.matrix = sp.csr_matrix(A, dtype=np.float64)  # may share the caller's arrays
        if not self.matrix.has_sorted_indices:  # sort a copy, never the caller's matrix
            self.matrix = self.matrix.copy()
            self.matrix.sort_indices()
        self.b = np.asarray(b, dtype=np.float64)
        self.n_coords = self.matrix.shape[0]
        self.indptr = self.matrix.indptr.astype(np.int64)
        self.indices = self.matrix.indices.astype(np.int64)
        self.data = self.matrix.data
        self.diagonal = self.matrix.diagonal()
        self._bound_norm = None
        if not (np.all(np.isfinite(self.data)) and np.all(np.isfinite(self.b))):
            raise ValueError("A and b must be finite (no NaN or infinity).")

    def coordinate_lipschitz(self):
        """:math:`A_{ii}`."""
        return self.diagonal.copy()

    def start(self, coef, track_gradient):
        """State at ``coef`` (the gradient is always maintained: it is cheap)."""
        coef = np.array(coef, dtype=np.float64)
        return _State(coef, gradient=self.matrix @ coef - self.b)

    def value(self, state):
        """:math:`f` at the state."""
        return float(0.5 * state.coef @ (state.gradient - self.b))

    def full_gradient(self, state):
        """:math:`A x - b`."""
        return state.gradient.copy()

    def block_gradient(self, state, block):
        """Gradient on the block."""
        return state.gradient[block]

    def bound_matrix(self, block):
        """:math:`A_{bb}` (dense): the exact block Hessian."""
        return self.matrix[block][:, block].toarray()

    def hessian(self, state, block):
        """:math:`A_{bb}`."""
        return self.bound_matrix(block)

    def bound_matvec(self, vector):
        """:math:`A v`."""
        return self.matrix @ vector

    def bound_norm(self):
        r""":math:`\lambda_{max}(A)` (power iteration, cached)."""
        if self._bound_norm is None:  # A is symmetric PSD: sigma_max = lambda_max
            self._bound_norm = power_iteration(self.matrix, tol=1e-8)
        return self._bound_norm

    is_quadratic = True

    def change(self, state, block, delta):
        r""":math:`f(x + \delta_b) - f(x) = g_b^\top\delta + \tfrac12\delta^\top A_{bb}\delta`."""
        quadratic = _block_quadratic_form(self.indptr, self.indices, self.data, block, delta,
                                          self.n_coords)
        return float(state.gradient[block] @ delta) + 0.5 * quadratic

    def gershgorin_rows(self):
        r"""Row sums :math:`\sum_j |A_{ij}|` (a diagonal bound of every :math:`A_{bb}`)."""
        return np.asarray(abs(self.matrix).sum(axis=1)).ravel()

    def refresh(self, state):
        """Recompute the maintained gradient :math:`A x - b` from scratch."""
        state.gradient = self.matrix @ state.coef - self.b

    def step(self, state, block, delta):
        """Add ``delta`` to the block; update the gradient in O(degree)."""
        state.coef[block] += delta
        _symmetric_step(self.indptr, self.indices, self.data, block, delta, state.gradient)

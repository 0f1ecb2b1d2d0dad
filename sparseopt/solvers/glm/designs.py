"""Design matrices of the working-set solvers: centring, sample weights, Gram blocks.

A least-squares fit with sample weights ``s_i`` (normalised to sum to
``n``) and an intercept is a plain least-squares fit on the weighted,
centred data ``X_c = D (X - 1 mu^T)``, ``y_c = D (y - ybar)`` with
``D = diag(sqrt(s))`` and weighted means ``mu``, ``ybar``. The kernels never
form ``X_c``: they see ``X_s = D X`` (dense, Fortran order, or CSC) and the
offsets ``mu``, and keep the residual as ``r = r_s + shift * sqrt(s)`` with
``r_s = y_c - X_s w`` and the scalar ``shift = mu . w``. Because
``X_s^T sqrt(s) = n mu`` and ``sqrt(s)^T r_s = -n shift``,

    X_c[:, j]^T r = X_s[:, j]^T r_s + n mu_j shift,
    ||r||^2      = ||r_s||^2 - n shift^2,

the formulas of :mod:`sparseopt.core.columns` for unweighted data. Sparse
``X`` is never densified; at most one copy of ``X`` is made (Fortran order,
weighting or a canonical CSC layout, whichever is needed, in one pass), and
the caller's arrays are never written.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from sparseopt.core.columns import gather_columns

__all__ = ["LeastSquaresDesign", "GramCache", "normalise_sample_weight", "check_finite_scale",
           "column_norms",
           "csc_kernel_indices", "NO_INDICES"]

# Largest Gram cache (features): 4000^2 float64 = 128 MB.
_GRAM_CACHE_LIMIT = 4000


def normalise_sample_weight(sample_weight, n_samples):
    """Weights rescaled to sum to ``n_samples`` (float64), or None."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if not weights.sum() > 0:
        raise ValueError("sample_weight sums to zero: no sample carries weight.")
    return weights * (n_samples / weights.sum())


def column_norms(matrix):
    """Euclidean norm of each column of a dense or sparse matrix."""
    if sp.issparse(matrix):
        return np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
    return np.linalg.norm(matrix, axis=0)


def check_finite_scale(values, name, what):
    """Raise a clear error when an intermediate quantity overflowed."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{name} has entries too large in magnitude for float64 arithmetic: {what} "
            "overflows. Rescale the data (e.g. sklearn.preprocessing.StandardScaler, or "
            "divide by a constant) before fitting."
        )


# The index arrays of the kernels are unsigned: numba checks a signed index for
# wrap-around at every access, which made a pass over a CSC matrix 1.75x slower
# (X^T v at 2000 x 10000, 1% dense: 0.29 ms with int64 indices, 0.17 ms uint32).
# Dense designs pass empty arrays of the same type: one compiled signature.
NO_INDICES = np.empty(0, dtype=np.uint32)
_NO_VALUES = np.empty(0)


def csc_kernel_indices(X):
    """``(indices, indptr)`` of a CSC matrix for the kernels: uint32 copies, or
    int64 when the matrix has 2^32 or more rows or non-zeros."""
    index_type = np.uint32 if max(X.shape[0], X.nnz) < 2**32 else np.int64
    return X.indices.astype(index_type), X.indptr.astype(index_type)


def canonical_csc(X):
    """``X`` as CSC with sorted, unique indices; copies only when needed."""
    X = X.tocsc() if X.format != "csc" else X
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()  # also sorts the indices, on the copy
    return X


def _column_sums(values, indptr):
    """Sums of ``values`` over each CSC column (empty columns give 0)."""
    sums = np.zeros(indptr.shape[0] - 1)
    lengths = np.diff(indptr)
    nonempty = lengths > 0
    if values.size:
        sums[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return sums


class LeastSquaresDesign:
    """The weighted, centred design of a least-squares fit (see the module doc).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated design (float32 or float64); never written.
    fit_intercept : bool
        Centre implicitly.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights normalised to sum to ``n_samples``.
    """

    def __init__(self, X, fit_intercept, sample_weight=None):
        self.n_samples, self.n_features = X.shape
        self.is_sparse = sp.issparse(X)
        self.dtype = X.dtype
        self.fit_intercept = fit_intercept
        self.sample_weight = sample_weight
        self.root_weight = None if sample_weight is None else np.sqrt(sample_weight)
        self._source = X
        self._columns = None
        if self.is_sparse:
            X = canonical_csc(X)
            if self.root_weight is not None:
                X = sp.csc_matrix((X.data * self.root_weight[X.indices].astype(self.dtype),
                                   X.indices, X.indptr), shape=X.shape)
            self.matrix = X
            indptr = X.indptr.astype(np.int64)
            squared_norms = _column_sums(X.data.astype(np.float64) ** 2, indptr)
            sums = _column_sums(X.data.astype(np.float64), indptr)
            # X_s^T sqrt(s) = sum_i s_i x_ij
            weighted_sums = sums if self.root_weight is None else np.asarray(
                X.T @ self.root_weight).ravel()
        else:
            self.matrix = X  # the caller's layout; Fortran copy made on demand
            if self.sample_weight is None:
                squared_norms = np.einsum("ij,ij->j", X, X, dtype=np.float64)
            else:
                squared_norms = np.einsum("i,ij,ij->j", self.sample_weight, X, X,
                                          dtype=np.float64)
            if not fit_intercept:  # no offsets: spare a pass over X
                weighted_sums = None
            elif self.sample_weight is not None:
                weighted_sums = np.asarray(X.T @ self.sample_weight, dtype=np.float64).ravel()
            else:
                weighted_sums = X.sum(axis=0, dtype=np.float64)
        check_finite_scale(squared_norms, "X", "the squared norm of a column")
        self.squared_norms = squared_norms
        self.offsets = (weighted_sums / self.n_samples if fit_intercept
                        else np.zeros(self.n_features))
        centred = squared_norms - self.n_samples * self.offsets**2
        # A column that is constant (zero once centred) carries no information.
        centred[centred <= 1e-13 * np.maximum(squared_norms, np.finfo(float).tiny)] = 0.0
        self.col_norms_sq = centred
        self.offsets_kernel = self.offsets.astype(self.dtype)

    # -- column access for the residual-mode kernels --------------------------
    def kernel_arrays(self):
        """``(dense, data, indices, indptr, is_sparse, offsets)`` for the kernels;
        the first call on C-ordered or weighted dense data makes the one copy."""
        if self._columns is None:
            if self.is_sparse:
                X = self.matrix
                self._columns = (np.empty((0, 0), dtype=self.dtype, order="F"), X.data,
                                 *csc_kernel_indices(X), True)
            else:
                dense = self.matrix
                if self.root_weight is not None:
                    dense = np.multiply(dense, self.root_weight[:, None].astype(self.dtype),
                                        order="F")
                elif not dense.flags.f_contiguous:
                    dense = np.asfortranarray(dense)
                self.matrix = dense  # one layout from now on
                self._columns = (dense, np.empty(0, dtype=self.dtype), NO_INDICES, NO_INDICES,
                                 False)
        return (*self._columns, self.offsets_kernel)

    @property
    def has_columns(self):
        """Whether the kernels' column layout exists (else it costs a copy of X,
        unless X is already Fortran-ordered and unweighted)."""
        return self._columns is not None or self.is_sparse or (
            self.root_weight is None and self.matrix.flags.f_contiguous)

    @property
    def weighted(self):
        """Whether ``self.matrix`` still needs the row weights applied."""
        return self.root_weight is not None and not self.is_sparse and self._columns is None

    def weigh(self, vector):
        """``D vector`` (the row weights), for data of the caller's layout."""
        return vector if self.root_weight is None else vector * self.root_weight

    # -- products of the outer loop ---------------------------------------------
    def target(self, y):
        """``(y_c, ybar)``: the weighted, centred target (float64) and its mean."""
        y64 = np.asarray(y, dtype=np.float64)
        mean = float(np.average(y64, weights=self.sample_weight)) if self.fit_intercept else 0.0
        return self.weigh(y64 - mean), mean

    def matvec(self, coef):
        """``X_s w`` (uncentred, weighted rows), float64."""
        product = np.asarray(self.matrix @ coef, dtype=np.float64).ravel()
        return self.weigh(product) if self.weighted else product

    def matvec_subset(self, columns, values):
        """``X_s[:, columns] @ values`` (uncentred), float64; without copying the
        columns once the kernels' layout exists (numpy's product gathers them
        first: 0.73 ms against 0.26 ms for 800 columns of 1000 rows)."""
        if self.has_columns:
            dense, data, indices, indptr, is_sparse, _ = self.kernel_arrays()
            return columns_combination(dense, data, indices, indptr, is_sparse,
                                       np.asarray(columns, dtype=np.int64),
                                       np.asarray(values, dtype=np.float64), self.n_samples)
        product = np.asarray(self.matrix[:, columns] @ values, dtype=np.float64).ravel()
        return self.weigh(product) if self.weighted else product

    def centred_rmatvec(self, residual, shift):
        """``X_c^T r`` for ``r = r_s + shift sqrt(s)`` (float64)."""
        vector = self.weigh(residual) if self.weighted else residual
        product = np.asarray(self.matrix.T @ vector, dtype=np.float64).ravel()
        return product + self.n_samples * shift * self.offsets

    def centred_rmatvec_subset(self, columns, residual, shift):
        """``X_c[:, columns]^T r`` for ``r = r_s + shift sqrt(s)`` (float64);
        without copying the columns once the kernels' layout exists."""
        if self.has_columns:
            dense, data, indices, indptr, is_sparse, _ = self.kernel_arrays()
            product = columns_dot(dense, data, indices, indptr, is_sparse,
                                  np.asarray(columns, dtype=np.int64), residual)
        else:
            vector = self.weigh(residual) if self.weighted else residual
            product = np.asarray(self.matrix[:, columns].T @ vector, dtype=np.float64).ravel()
        return product + self.n_samples * shift * self.offsets[columns]

    def _gather(self, columns, zero):
        """Dense ``X[:, columns]`` (Fortran order) in ``zero``'s dtype."""
        return gather_columns(self.matrix, _NO_VALUES, NO_INDICES, NO_INDICES, False, columns,
                              self.n_samples, zero)

    def centred_cross(self, rows, columns, dtype=None):
        """``X_c[:, rows]^T X_c[:, columns]`` (C order) computed in ``dtype``
        (float32: twice BLAS's speed, for the Gram cache) and returned in it;
        by default computed in ``X``'s dtype and returned in float64.
        ``rows=None`` means every feature (``X`` itself is not copied)."""
        compute = self.dtype if dtype is None else dtype
        if compute == self.dtype:
            left = self.matrix if rows is None else self.matrix[:, rows]
            right = self.matrix[:, columns]
        elif self.is_sparse:
            left = (self.matrix if rows is None else self.matrix[:, rows]).astype(compute)
            right = self.matrix[:, columns].astype(compute)
        else:  # gathered straight into the product's dtype
            zero = np.dtype(compute).type(0)
            left = (self.matrix.astype(compute) if rows is None
                    else self._gather(np.asarray(rows, dtype=np.int64), zero))
            right = self._gather(np.asarray(columns, dtype=np.int64), zero)
        if self.weighted:
            right = right * self.sample_weight[:, None].astype(right.dtype)
        product = left.T @ right
        product = product.toarray() if sp.issparse(product) else np.asarray(product)
        product = np.asarray(product, dtype=np.float64 if dtype is None else dtype)
        left_offsets = self.offsets if rows is None else self.offsets[rows]
        if not (left_offsets.any() and self.offsets[columns].any()):
            return np.ascontiguousarray(product)
        return np.ascontiguousarray(
            product - self.n_samples * np.outer(left_offsets, self.offsets[columns]))

    def centred_gram(self):
        """The full ``X_c^T X_c`` (float64), without copying ``X``."""
        matrix = self.matrix
        if self.weighted:
            gram = matrix.T @ (matrix * self.sample_weight[:, None].astype(self.dtype))
        else:
            gram = matrix.T @ matrix
        gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
        gram = np.asarray(gram, dtype=np.float64)
        gram -= self.n_samples * np.outer(self.offsets, self.offsets)
        return gram


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})  # vectorised sums
def columns_dot(dense, data, indices, indptr, is_sparse, columns, vector):
    """``X[:, columns]^T vector`` on the kernels' layout, accumulated in float64
    (jitted; no copy of the columns)."""
    out = np.empty(columns.shape[0])
    for position in range(columns.shape[0]):
        j = columns[position]
        total = 0.0
        if is_sparse:
            for k in range(indptr[j], indptr[j + 1]):
                total += data[k] * vector[indices[k]]
        else:
            for i in range(dense.shape[0]):
                total += dense[i, j] * vector[i]
        out[position] = total
    return out


@njit(cache=True, nogil=True)
def columns_combination(dense, data, indices, indptr, is_sparse, columns, values, n_rows):
    """``X[:, columns] @ values`` on the kernels' layout, accumulated in float64
    (jitted; no copy of the columns)."""
    out = np.zeros(n_rows)
    for position in range(columns.shape[0]):
        j = columns[position]
        value = values[position]
        if is_sparse:
            for k in range(indptr[j], indptr[j + 1]):
                out[indices[k]] += value * data[k]
        else:
            for i in range(n_rows):
                out[i] += value * dense[i, j]
    return out


@njit(cache=True, nogil=True)
def gather_block(matrix, positions):
    """``matrix[np.ix_(positions, positions)]`` as a new C-ordered array (jitted)."""
    size = positions.shape[0]
    block = np.empty((size, size), dtype=matrix.dtype)
    for a in range(size):
        row = matrix[positions[a]]
        for b in range(size):
            block[a, b] = row[positions[b]]
    return block


class GramCache:
    """Blocks ``X_c[:, ws]^T X_c[:, ws]`` of working sets, computed once per column.

    Working sets of successive outer iterations overlap heavily; the cache
    keeps the Gram matrix of every feature seen so far (up to 4000 features,
    then it restarts with the current working set) and only computes the
    products of new features, ``O(n |ws| |new|)``.

    With ``allow_float32`` (the greedy rules, whose fits the Gram blocks
    dominate), dense blocks are computed and stored in float32 (``single``)
    when no column's mean exceeds its standard deviation (the implicit
    centring then at most doubles the rounding) and every squared column
    norm lies in ``[1e-30, 1e30]`` (none overflows or underflows float32):
    BLAS runs twice as fast and the inner solves read half the memory. The inner solves
    start from the exact float64 gradient and the outer checks are float64,
    so the rounding only perturbs each inner model (mixed-precision
    refinement); the solver calls :meth:`to_double` when a check shows that
    float32 is not accurate enough for the problem.
    """

    def __init__(self, design, full=None, allow_float32=False):
        self.design = design
        self.full = full  # a precomputed full Gram matrix, if any
        norms = design.col_norms_sq
        self.single = allow_float32 and full is None and not design.is_sparse and bool(
            np.all(design.n_samples * design.offsets ** 2 <= norms)
            and np.all((norms == 0) | ((norms >= 1e-30) & (norms <= 1e30))))
        self._restart()

    def _restart(self):
        self.position = np.full(self.design.n_features, -1, dtype=np.int64)
        self.features = np.empty(0, dtype=np.int64)
        # capacity doubles as features arrive
        self.storage = np.empty((0, 0), dtype=np.float32 if self.single else np.float64)
        self._last = (None, None)

    def to_double(self):
        """Compute and store the blocks in float64 from now on."""
        if self.single:
            self.single = False
            self._restart()

    def missing(self, working_set):
        """Number of working-set features whose Gram columns are not cached."""
        if self.full is not None:
            return 0
        return int(np.count_nonzero(self.position[working_set] < 0))

    def _grow(self, new):
        old = self.features.size
        total = old + new.size
        if total > _GRAM_CACHE_LIMIT:  # restart with the features asked for now
            self._restart()
            return False
        if total > self.storage.shape[0]:
            storage = np.empty((min(max(total + total // 2, 64), _GRAM_CACHE_LIMIT),) * 2,
                               dtype=self.storage.dtype)
            storage[:old, :old] = self.storage[:old, :old]
            self.storage = storage
        features = np.concatenate([self.features, new])
        rows = self.design.centred_cross(new, features, self.storage.dtype)
        self.storage[old:total, :total] = rows
        self.storage[:old, old:total] = rows[:, :old].T
        self.features = features
        self.position[new] = np.arange(old, total)
        return True

    def block(self, working_set):
        """``G[ws, ws]`` as a C-contiguous array (float32 while ``single``),
        shared with the cache: not to be written."""
        last_set, last_block = self._last
        if last_set is not None and np.array_equal(last_set, working_set):
            return last_block
        if self.full is not None:
            matrix, positions = self.full, working_set
        else:
            new = working_set[self.position[working_set] < 0]
            if new.size and not self._grow(new):
                self._grow(np.asarray(working_set, dtype=np.int64))
            matrix, positions = self.storage, self.position[working_set]
        block = gather_block(matrix, positions)
        self._last = (np.array(working_set), block)
        return block


def centred_dense_columns(X, sample_scale):
    """``(X_c, means)``: a dense ``X`` minus its weighted column means (weights
    ``sample_scale`` summing to 1), on one Fortran float64 copy, when some
    column's mean exceeds a tenth of its standard deviation; else ``(X, None)``
    (sparse ``X`` is never centred: that would densify it).

    With an intercept, a column of large mean is nearly collinear with it and
    coordinate descent crawls (glmnet centres); centring moves only the
    intercepts (``b = b_c - means @ w``). A constant column becomes exactly
    zero: its centred values would be rounding noise, which an unpenalised
    coefficient followed to 1e14 (an independent review).
    """
    if sp.issparse(X):
        return X, None
    means = sample_scale @ X
    spread = np.einsum("i,ij,ij->j", sample_scale, X, X) - means * means  # (no copy of X)
    if not np.any(means * means > 0.01 * spread):
        return X, None
    constant = X.min(axis=0) == X.max(axis=0)
    centred = np.array(X, dtype=np.float64, order="F")
    centred -= means
    centred[:, constant] = 0.0
    return centred, means


def kernel_design(X, check_overflow=True):
    """``(matrix, arrays)`` for the classification kernels: a Fortran float64
    array or a canonical CSC matrix, and the same as ``(dense, data, indices,
    indptr, is_sparse)``, copying only when the layout requires it. With
    ``check_overflow``, raises a clear error when a squared column norm
    overflows (a pass over ``X``: a solver that meets every such overflow in
    its own arithmetic checks there instead)."""
    if sp.issparse(X):
        X = canonical_csc(X).astype(np.float64, copy=False)
        data = np.asarray(X.data, dtype=np.float64)
        arrays = (np.empty((0, 0), order="F"), data, *csc_kernel_indices(X), True)
        if check_overflow:
            check_overflowing_columns(_column_sums(data**2, X.indptr))
    else:
        X = dense = np.asfortranarray(X, dtype=np.float64)
        arrays = (dense, np.empty(0), NO_INDICES, NO_INDICES, False)
        if check_overflow:
            check_overflowing_columns(np.einsum("ij,ij->j", dense, dense))
    return X, arrays


def check_overflowing_columns(values):
    """The clear error of a design whose column norms (or products) overflow."""
    check_finite_scale(values, "X", "the squared norm of a column")

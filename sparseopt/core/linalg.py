"""Linear-algebra kernels: Kronecker mat-vec, sparse column products,
power iteration, preconditioned conjugate gradient and Woodbury solves.

Kronecker operators are passed to the kernels as one flat array holding the
factors one after the other (row-major) plus an ``(n_factors, 2)`` array of
their shapes, so that the kernels take plain arrays and can be cached.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from sparseopt.utils.validation import (
    check_array_input,
    check_integer,
    check_scalar,
)

__all__ = [
    "kron_matvec",
    "power_iteration",
    "conjugate_gradient",
    "woodbury_solve",
    "logdet_spd",
    "kron_matvec_kernel",
    "csc_matvec_kernel",
    "csc_rmatvec_kernel",
    "power_iteration_kron_kernel",
    "power_iteration_csc_kernel",
    "cholesky_solve_kernel",
    "woodbury_solve_kernel",
    "warm_inverse_kernel",
]


# --------------------------------------------------------------------------
# Kronecker products
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def kron_matvec_kernel(factors_flat, shapes, x):
    """``(A_1 kron ... kron A_K) x`` by successive mode products (jitted).

    ``factors_flat`` holds the row-major factors back to back, ``shapes[k]``
    is ``(rows_k, cols_k)``; ``x`` has ``prod(cols_k)`` entries. The
    Kronecker product is never formed: the cost is
    ``O(sum_k rows_k * prod_j max(rows_j, cols_j))``.
    """
    n_factors = shapes.shape[0]
    current = x.copy()
    # The tensor is stored row-major with modes (out_1..out_{k-1}, in_k..in_K).
    left = 1
    right = 1
    for k in range(n_factors):
        right *= shapes[k, 1]
    offset = 0
    for k in range(n_factors):
        rows, cols = shapes[k, 0], shapes[k, 1]
        factor = factors_flat[offset : offset + rows * cols].reshape((rows, cols))
        offset += rows * cols
        right //= cols
        tensor = current.reshape((left, cols, right))
        result = np.empty((left, rows, right), dtype=current.dtype)
        for block in range(left):
            result[block] = np.dot(factor, np.ascontiguousarray(tensor[block]))
        current = result.ravel()
        left *= rows
    return current


def _flatten_factors(factors, dtype):
    shapes = np.array([f.shape for f in factors], dtype=np.int64)
    flat = np.concatenate([np.ascontiguousarray(f, dtype=dtype).ravel() for f in factors])
    return flat, shapes


def _check_factors(factors):
    if isinstance(factors, np.ndarray) or not isinstance(factors, list | tuple):
        raise TypeError("factors must be a list or tuple of 2-D arrays.")
    if len(factors) == 0:
        raise ValueError("factors must contain at least one matrix.")
    return [
        check_array_input(f, f"factors[{k}]", ndim=2, allow_complex=True)
        for k, f in enumerate(factors)
    ]


def kron_matvec(factors, x, adjoint=False):
    r"""Multiply a vector by a Kronecker product without forming it.

    Computes :math:`(A_1 \otimes A_2 \otimes \cdots \otimes A_K)\, x` (or its
    adjoint) by :math:`K` mode products of ``x`` reshaped as a tensor (the
    "vec trick"). Memory is :math:`O(\prod_k \max(m_k, n_k))` instead of
    :math:`O(\prod_k m_k n_k)`.

    Parameters
    ----------
    factors : list of array-like of shape (m_k, n_k)
        The factors :math:`A_k`, real or complex; any number of them.
    x : array-like of shape (prod n_k,) or (prod n_k, n_vectors)
        Vector(s) to multiply, real or complex. With ``adjoint=True`` the
        first dimension is ``prod m_k``.
    adjoint : bool, default=False
        Multiply by the conjugate transpose
        :math:`A_1^H \otimes \cdots \otimes A_K^H` instead.

    Returns
    -------
    y : ndarray of shape (prod m_k,) or (prod m_k, n_vectors)
        The product; complex if any input is complex.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import kron_matvec
    >>> A, B = np.arange(4.0).reshape(2, 2), np.eye(3)
    >>> x = np.arange(6.0)
    >>> np.allclose(kron_matvec([A, B], x), np.kron(A, B) @ x)
    True
    """
    factors = _check_factors(factors)
    if adjoint:
        factors = [f.conj().T for f in factors]
    x = check_array_input(x, "x", ndim=(1, 2), allow_complex=True)
    n_in = int(np.prod([f.shape[1] for f in factors]))
    if x.shape[0] != n_in:
        raise ValueError(
            f"x must have {n_in} rows (the product of the factors' column counts), "
            f"got shape {x.shape}."
        )
    dtype = np.result_type(x.dtype, *(f.dtype for f in factors))
    flat, shapes = _flatten_factors(factors, dtype)
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 1:
        product = kron_matvec_kernel(flat, shapes, np.ascontiguousarray(x))
    else:
        product = np.stack([kron_matvec_kernel(flat, shapes, np.ascontiguousarray(x[:, j]))
                            for j in range(x.shape[1])], axis=1)
    if not np.isfinite(product).all():
        raise ValueError(
            "kron_matvec: the product overflows the floating-point range; rescale the "
            "factors or x.")
    return product


# --------------------------------------------------------------------------
# Sparse (CSC) column kernels
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def csc_matvec_kernel(data, indices, indptr, n_rows, x):
    """``A @ x`` for a CSC matrix given by its triplet (jitted, one dtype)."""
    out = np.zeros(n_rows, dtype=data.dtype)
    for j in range(indptr.shape[0] - 1):
        value = x[j]
        if value != 0:
            for position in range(indptr[j], indptr[j + 1]):
                out[indices[position]] += data[position] * value
    return out


@njit(cache=True, nogil=True)
def csc_rmatvec_kernel(data, indices, indptr, y):
    """``A^H @ y`` for a CSC matrix given by its triplet (jitted, one dtype)."""
    n_cols = indptr.shape[0] - 1
    out = np.zeros(n_cols, dtype=data.dtype)
    for j in range(n_cols):
        total = out[j]
        for position in range(indptr[j], indptr[j + 1]):
            total += np.conj(data[position]) * y[indices[position]]
        out[j] = total
    return out


def _power_of_two_scale(values):
    """The power of two in ``(max |values| / 2, max |values|]`` (1 for zeros).

    Dividing by it is exact and representable in the values' own dtype.
    """
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    return 1.0 if largest == 0.0 else float(np.ldexp(1.0, np.frexp(largest)[1] - 1))


# --------------------------------------------------------------------------
# Power iteration
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _normalized(v):
    return v / np.linalg.norm(v)


@njit(cache=True, nogil=True)
def power_iteration_kron_kernel(factors_flat, adjoint_flat, shapes, adjoint_shapes,
                                v0, tol, max_iter):
    """Spectral norm of a Kronecker operator (a dense matrix is one factor).

    Iterates ``v <- A^H A v / ||A^H A v||``; returns ``(sigma_max, n_iter)``.
    """
    v = _normalized(v0)
    eigenvalue = 0.0
    n_iter = max_iter
    for iteration in range(max_iter):
        w = kron_matvec_kernel(
            adjoint_flat, adjoint_shapes, kron_matvec_kernel(factors_flat, shapes, v)
        )
        new_eigenvalue = np.linalg.norm(w)
        if new_eigenvalue == 0.0:
            return 0.0, iteration + 1
        v = w / new_eigenvalue
        if abs(new_eigenvalue - eigenvalue) <= tol * new_eigenvalue:
            eigenvalue = new_eigenvalue
            n_iter = iteration + 1
            break
        eigenvalue = new_eigenvalue
    return np.sqrt(eigenvalue), n_iter


@njit(cache=True, nogil=True)
def power_iteration_csc_kernel(data, indices, indptr, n_rows, v0, tol, max_iter):
    """Spectral norm of a CSC matrix; returns ``(sigma_max, n_iter)`` (jitted)."""
    v = _normalized(v0)
    eigenvalue = 0.0
    n_iter = max_iter
    for iteration in range(max_iter):
        w = csc_rmatvec_kernel(
            data, indices, indptr, csc_matvec_kernel(data, indices, indptr, n_rows, v)
        )
        new_eigenvalue = np.linalg.norm(w)
        if new_eigenvalue == 0.0:
            return 0.0, iteration + 1
        v = w / new_eigenvalue
        if abs(new_eigenvalue - eigenvalue) <= tol * new_eigenvalue:
            eigenvalue = new_eigenvalue
            n_iter = iteration + 1
            break
        eigenvalue = new_eigenvalue
    return np.sqrt(eigenvalue), n_iter


def power_iteration(operator, *, tol=1e-10, max_iter=1000, random_state=0,
                    return_n_iter=False):
    r"""Spectral norm :math:`\|A\|_2` by power iteration on :math:`A^H A`.

    The Lipschitz constant of the gradient of :math:`\frac12\|Ax - b\|^2` is
    :math:`\|A\|_2^2`.

    Parameters
    ----------
    operator : ndarray, scipy sparse matrix, or list of ndarray
        A dense matrix, a sparse matrix (converted to CSC) or the factors of a
        Kronecker product :math:`A_1 \otimes \cdots \otimes A_K` (never
        formed). Real or complex.
    tol : float, default=1e-10
        Stop when the relative change of the estimate of
        :math:`\|A\|_2^2` is at most ``tol``.
    max_iter : int, default=1000
        Maximum number of iterations.
    random_state : int, default=0
        Seed of the random start vector.
    return_n_iter : bool, default=False
        Also return the number of iterations.

    Returns
    -------
    sigma_max : float
        Estimate of the largest singular value.
    n_iter : int
        Number of iterations, if ``return_n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import power_iteration
    >>> round(power_iteration(np.diag([3.0, 1.0])), 8)
    3.0
    """
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = check_integer(max_iter, "max_iter", lower=1)
    try:
        rng = np.random.default_rng(random_state)
    except (ValueError, TypeError) as exc:
        raise ValueError("random_state must be None, a non-negative integer or a numpy "
                         f"Generator, got {random_state!r}.") from exc
    # Every factor is scaled by a power of two near its largest entry, so that
    # A^H A neither overflows (entries up to 1e300) nor underflows (1e-300);
    # the norm is scaled back by the product of the scales (log2, exact).
    if sp.issparse(operator):
        matrix = sp.csc_matrix(operator)
        if matrix.shape[0] == 0 or matrix.shape[1] == 0:
            raise ValueError(f"operator must not be empty, got shape {matrix.shape}.")
        data = matrix.data
        if data.dtype.kind not in "fc":
            data = data.astype(np.float64)
        if not np.isfinite(data).all():
            raise ValueError("operator must not contain NaN or infinity.")
        scale = _power_of_two_scale(data)
        v0 = rng.standard_normal(matrix.shape[1]).astype(data.dtype)
        sigma, n_iter = power_iteration_csc_kernel(
            data / data.dtype.type(scale), matrix.indices.astype(np.int64),
            matrix.indptr.astype(np.int64), matrix.shape[0], v0, tol, max_iter,
        )
        scales = [scale]
    else:
        if isinstance(operator, list | tuple):
            factors = _check_factors(operator)
        else:
            factors = [check_array_input(operator, "operator", ndim=2, allow_complex=True)]
        scales = [_power_of_two_scale(f) for f in factors]
        factors = [f / f.dtype.type(scale) for f, scale in zip(factors, scales, strict=True)]
        dtype = np.result_type(*(f.dtype for f in factors))
        flat, shapes = _flatten_factors(factors, dtype)
        adjoint_flat, adjoint_shapes = _flatten_factors([f.conj().T for f in factors], dtype)
        v0 = rng.standard_normal(int(np.prod(shapes[:, 1]))).astype(dtype)
        sigma, n_iter = power_iteration_kron_kernel(
            flat, adjoint_flat, shapes, adjoint_shapes, v0, tol, max_iter
        )
    exponent = sum(int(np.frexp(scale)[1]) - 1 for scale in scales)
    with np.errstate(over="ignore"):
        sigma = float(np.ldexp(float(sigma), exponent))
    if not np.isfinite(sigma):
        raise ValueError(
            "operator's spectral norm exceeds the float64 range (> 1.8e308); rescale it.")
    return (sigma, int(n_iter)) if return_n_iter else sigma


# --------------------------------------------------------------------------
# Conjugate gradient
# --------------------------------------------------------------------------
# Hermitian check of an explicit operator: |u^H A v - (A u)^H v| <= this times
# ||u|| ||A v|| (rounding leaves about n eps; a non-Hermitian matrix, order 1).
_HERMITIAN_RTOL = 1e-8




def _check_explicit_operator(matrix, name, b_size):
    """Shape (blaming ``b`` for a square mismatch), finiteness and symmetry."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}.")
    if matrix.shape[0] != b_size:
        raise ValueError(
            f"b must have {matrix.shape[0]} entries to match {name} of shape "
            f"{matrix.shape}, got {b_size}.")
    values = matrix.data if sp.issparse(matrix) else matrix
    if values.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be numeric, got dtype {values.dtype}.")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must not contain NaN or infinity.")
    # Hermitian iff u^H (A v) = (A u)^H v for random u, v: two mat-vecs, no copy of A.
    probes = np.random.default_rng(0).standard_normal((2, b_size))
    forward, backward = matrix @ probes[1], matrix @ probes[0]
    asymmetry = abs(np.vdot(probes[0], forward) - np.vdot(backward, probes[1]))
    scale = np.linalg.norm(probes[0]) * max(_norm(forward), _norm(backward))
    if asymmetry > _HERMITIAN_RTOL * scale:
        raise ValueError(
            f"{name} must be Hermitian (symmetric): u^H A v and (A u)^H v differ by "
            f"{asymmetry / scale:.1e} (relative) for random u, v; conjugate gradient only "
            "solves positive definite systems.")


def _as_linear_map(operator, name, size):
    """``v -> A v`` that checks the shape and finiteness of what it returns."""
    if sp.issparse(operator) or isinstance(operator, np.ndarray):
        _check_explicit_operator(operator, name, size)
        function = operator.dot
    elif callable(operator):
        function = operator
    else:
        raise TypeError(
            f"{name} must be a matrix, a sparse matrix or a callable, "
            f"got {type(operator).__name__}.")

    def apply(vector):
        result = np.asarray(function(vector))
        if result.shape != (size,):
            raise ValueError(
                f"{name}(v) must return an array of shape ({size},), got shape "
                f"{result.shape}.")
        if not np.isfinite(result).all():
            raise ValueError(
                f"{name}(v) returned NaN or infinity: {name} is not finite, or it "
                "overflows on the iterates (rescale the system).")
        return result

    return apply


def _check_preconditioner(preconditioner, n):
    if preconditioner is None:
        return lambda r: r
    if isinstance(preconditioner, np.ndarray | list | tuple) and np.ndim(preconditioner) == 1:
        inverse_diagonal = check_array_input(preconditioner, "preconditioner", ndim=1)
        if inverse_diagonal.shape[0] != n or np.any(inverse_diagonal <= 0):
            raise ValueError(
                f"preconditioner as a diagonal must have {n} positive entries.")
        return lambda r: inverse_diagonal * r
    return _as_linear_map(preconditioner, "preconditioner", n)


def conjugate_gradient(operator, b, *, x0=None, preconditioner=None, tol=1e-10,
                       max_iter=None):
    r"""Preconditioned conjugate gradient for :math:`A x = b`, A Hermitian PD.

    Matrix-free: ``operator`` may be any callable computing :math:`v \mapsto
    Av` (a jitted kernel, a :class:`scipy.sparse.linalg.LinearOperator`'s
    ``matvec``, a closure over a Kronecker product...). The iteration itself
    is NumPy; the cost is dominated by the mat-vecs. The system is solved for
    ``b`` scaled by a power of two (exactly), so right-hand sides up to
    ``1e300`` do not overflow the norms.

    Stops when :math:`\|b - Ax_k\|_2 \le \mathrm{tol}\,\|b\|_2`.

    Parameters
    ----------
    operator : ndarray, sparse matrix or callable
        The Hermitian positive definite matrix :math:`A` or its action.
    b : array-like of shape (n,)
        Right-hand side (real or complex).
    x0 : array-like of shape (n,), optional
        Starting point (zero by default). Not modified.
    preconditioner : array-like of shape (n,), ndarray, sparse matrix or callable, optional
        Approximation of :math:`A^{-1}`: a 1-D array is the diagonal of
        :math:`M^{-1}` (e.g. ``1 / diag(A)`` for Jacobi), a matrix or callable
        is applied as :math:`r \mapsto M^{-1} r`.
    tol : float, default=1e-10
        Relative residual tolerance.
    max_iter : int, optional
        Maximum number of iterations (default ``10 n``).

    Returns
    -------
    x : ndarray of shape (n,)
        Approximate solution.
    info : dict
        ``n_iter``, ``residual_norm`` (relative) and ``converged``.

    Raises
    ------
    ValueError
        If ``operator`` (or the preconditioner) is not finite, not Hermitian
        (explicit matrices), returns NaN/inf or a wrong shape, or if the
        iterates overflow.
    numpy.linalg.LinAlgError
        If the system is singular or not positive definite (a search
        direction :math:`p` with :math:`p^H A p \le \epsilon \|p\| \|Ap\|`),
        or the preconditioner is not positive definite. ``LinAlgError`` is a
        ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import conjugate_gradient
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x, info = conjugate_gradient(A, np.array([1.0, 2.0]))
    >>> np.allclose(A @ x, [1.0, 2.0]), info["converged"]
    (True, True)
    """
    b = check_array_input(b, "b", ndim=1, allow_complex=True)
    n = b.shape[0]
    apply_operator = _as_linear_map(operator, "operator", n)
    tol = check_scalar(tol, "tol", lower=0.0, lower_inclusive=False)
    max_iter = 10 * n if max_iter is None else check_integer(max_iter, "max_iter", lower=1)
    apply_preconditioner = _check_preconditioner(preconditioner, n)
    scale = _power_of_two_scale(b)
    b = b / scale
    if x0 is None:
        x = np.zeros(n, dtype=b.dtype)
        residual = b.copy()
    else:
        x = check_array_input(x0, "x0", ndim=1, allow_complex=True).astype(
            np.result_type(b.dtype, np.asarray(x0).dtype), copy=True
        )
        if x.shape[0] != n:
            raise ValueError(f"x0 must have shape ({n},), got {x.shape}.")
        x /= scale
        residual = b - apply_operator(x)
    b_norm = np.linalg.norm(b)
    if b_norm == 0.0:
        return np.zeros_like(x), {"n_iter": 0, "residual_norm": 0.0, "converged": True}
    x, n_iter, relative_residual = _cg_iterations(
        apply_operator, apply_preconditioner, b_norm, x, residual, tol, max_iter)
    with np.errstate(over="ignore"):
        x *= scale
    if not np.isfinite(x).all():
        raise ValueError(
            "conjugate_gradient: the solution overflows the floating-point range "
            "(|x| > 1.8e308); rescale the operator or b.")
    info = {
        "n_iter": n_iter,
        "residual_norm": float(relative_residual),
        "converged": bool(relative_residual <= tol),
    }
    return x, info


def _norm(vector):
    """Euclidean norm that neither overflows nor underflows (rescaled only then)."""
    with np.errstate(over="ignore", under="ignore"):
        norm = np.linalg.norm(vector)
    if 1e-140 < norm < 1e140:
        return norm
    scale = _power_of_two_scale(vector)
    return scale * np.linalg.norm(vector / scale)


def _cg_iterations(apply_operator, apply_preconditioner, b_norm, x, residual, tol, max_iter):
    """The preconditioned CG loop on validated input; breakdowns raise."""
    eps = np.finfo(residual.dtype).eps
    z = apply_preconditioner(residual)
    direction = z.copy()
    rz = np.vdot(residual, z)
    relative_residual = np.linalg.norm(residual) / b_norm
    n_iter = 0
    while relative_residual > tol and n_iter < max_iter:
        if rz.real < 0 or np.isnan(rz):
            raise np.linalg.LinAlgError(
                "conjugate_gradient: preconditioner is not positive definite "
                f"(r^H M^-1 r = {rz.real:.3e}).")
        if rz == 0:  # the preconditioned residual vanished: no direction left
            break
        product = apply_operator(direction)
        curvature = np.vdot(direction, product)
        if curvature.real <= 0 or (
                curvature.real / _norm(direction) / _norm(product) <= eps):
            raise np.linalg.LinAlgError(
                "conjugate_gradient: operator is singular or not positive definite "
                f"(p^H A p = {curvature.real:.3e} for a search direction p); conjugate "
                "gradient needs a Hermitian positive definite operator.")
        step = rz / curvature
        x += step * direction
        residual -= step * product
        relative_residual = np.linalg.norm(residual) / b_norm
        if not np.isfinite(relative_residual):
            raise ValueError(
                "conjugate_gradient: the iterates overflowed; the operator is "
                "numerically singular or badly scaled (rescale it).")
        n_iter += 1
        z = apply_preconditioner(residual)
        rz_new = np.vdot(residual, z)
        direction = z + (rz_new / rz) * direction
        rz = rz_new
    return x, n_iter, relative_residual


# --------------------------------------------------------------------------
# Cholesky / Woodbury
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def cholesky_solve_kernel(lower, rhs):
    """Solve ``L L^T x = rhs`` given the lower Cholesky factor (jitted).

    ``rhs`` is 2-D ``(n, n_rhs)``; forward then back substitution.
    """
    n, n_rhs = rhs.shape
    y = np.empty_like(rhs)
    for c in range(n_rhs):
        for i in range(n):
            total = rhs[i, c]
            for j in range(i):
                total -= lower[i, j] * y[j, c]
            y[i, c] = total / lower[i, i]
        for i in range(n - 1, -1, -1):
            total = y[i, c]
            for j in range(i + 1, n):
                total -= lower[j, i] * y[j, c]
            y[i, c] = total / lower[i, i]
    return y


@njit(cache=True, nogil=True)
def woodbury_solve_kernel(diagonal, factor, weights, rhs):
    """Solve ``(diag(d) + U diag(c) U^T) x = rhs`` and return its log-det.

    Uses the Woodbury identity with the Cholesky factor of the ``k x k``
    capacitance matrix ``diag(1/c) + U^T diag(1/d) U`` (jitted; ``rhs`` 2-D).
    """
    scaled_factor = factor / diagonal.reshape((-1, 1))
    capacitance = factor.T @ scaled_factor
    for i in range(weights.shape[0]):
        capacitance[i, i] += 1.0 / weights[i]
    lower = np.linalg.cholesky(capacitance)
    scaled_rhs = rhs / diagonal.reshape((-1, 1))
    correction = cholesky_solve_kernel(lower, factor.T @ scaled_rhs)
    solution = scaled_rhs - scaled_factor @ correction
    logdet = 2.0 * np.sum(np.log(np.diag(lower)))
    logdet += np.sum(np.log(weights)) + np.sum(np.log(diagonal))
    return solution, logdet


def woodbury_solve(diagonal, factor, weights, rhs, *, return_logdet=False):
    r"""Solve a diagonal-plus-low-rank system by the Woodbury identity.

    Solves :math:`(D + U C U^\top) x = b` with :math:`D = \mathrm{diag}(d)`,
    :math:`C = \mathrm{diag}(c)`, both positive, through

    .. math:: (D + U C U^\top)^{-1} = D^{-1} - D^{-1} U (C^{-1} + U^\top D^{-1} U)^{-1}
              U^\top D^{-1},

    with a Cholesky factorisation of the :math:`k \times k` capacitance matrix:
    :math:`O(n k^2 + k^3)` instead of :math:`O(n^3)`. This is the covariance
    solve of sparse Bayesian learning. The log-determinant follows from the
    matrix determinant lemma.

    Parameters
    ----------
    diagonal : array-like of shape (n,)
        Positive diagonal :math:`d`.
    factor : array-like of shape (n, k)
        Low-rank factor :math:`U`.
    weights : array-like of shape (k,)
        Positive diagonal :math:`c` of the inner matrix.
    rhs : array-like of shape (n,) or (n, n_rhs)
        Right-hand side(s).
    return_logdet : bool, default=False
        Also return :math:`\log\det(D + U C U^\top)`.

    Returns
    -------
    x : ndarray, same shape as ``rhs``
        The solution.
    logdet : float
        The log-determinant, if ``return_logdet``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import woodbury_solve
    >>> U = np.array([[1.0], [2.0]])
    >>> x = woodbury_solve(np.ones(2), U, np.ones(1), np.array([1.0, 1.0]))
    >>> np.allclose((np.eye(2) + U @ U.T) @ x, 1.0)
    True
    """
    diagonal = check_array_input(diagonal, "diagonal", ndim=1, dtype=np.float64)
    factor = check_array_input(factor, "factor", ndim=2, dtype=np.float64)
    weights = check_array_input(weights, "weights", ndim=1, dtype=np.float64)
    rhs = check_array_input(rhs, "rhs", ndim=(1, 2), dtype=np.float64)
    n, k = factor.shape
    if diagonal.shape[0] != n:
        raise ValueError(
            f"diagonal must have {n} entries (rows of factor), got {diagonal.shape[0]}.")
    if weights.shape[0] != k:
        raise ValueError(
            f"weights must have {k} entries (columns of factor), got {weights.shape[0]}.")
    if rhs.shape[0] != n:
        raise ValueError(f"rhs must have {n} rows, got shape {rhs.shape}.")
    if np.any(diagonal <= 0):
        raise ValueError("diagonal must be positive.")
    if np.any(weights <= 0):
        raise ValueError("weights must be positive.")
    rhs_2d = rhs.reshape(n, -1)
    try:
        solution, logdet = woodbury_solve_kernel(
            diagonal, np.ascontiguousarray(factor), weights, np.ascontiguousarray(rhs_2d)
        )
    except np.linalg.LinAlgError:
        solution = logdet = np.nan
    if not (np.isfinite(solution).all() and np.isfinite(logdet)):
        raise ValueError(
            "woodbury_solve overflowed: the capacitance matrix diag(1/weights) + "
            "factor^T diag(1/diagonal) factor or the solution leaves the float64 range "
            "(or is numerically singular); rescale diagonal, factor, weights or rhs "
            "(factor**2 / diagonal, 1 / weights and rhs / diagonal must stay below 1e308).")
    solution = solution.reshape(rhs.shape)
    return (solution, float(logdet)) if return_logdet else solution


@njit(cache=True, nogil=True)
def _logdet_spd_kernel(matrix):
    return 2.0 * np.sum(np.log(np.diag(np.linalg.cholesky(matrix))))


def logdet_spd(matrix):
    r"""Stable :math:`\log\det A` of a symmetric positive definite matrix.

    Computed as :math:`2\sum_i \log L_{ii}` from the Cholesky factor, which
    neither overflows nor underflows where ``det`` would.

    Parameters
    ----------
    matrix : array-like of shape (n, n)
        Symmetric positive definite matrix.

    Returns
    -------
    logdet : float
        The log-determinant.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``matrix`` is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import logdet_spd
    >>> bool(np.isclose(logdet_spd(np.diag([1e200, 1e200, 1e-100])), 300 * np.log(10)))
    True
    """
    matrix = check_array_input(matrix, "matrix", ndim=2, dtype=np.float64)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}.")
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=0.0):
        raise ValueError("matrix must be symmetric.")
    try:
        return float(_logdet_spd_kernel(np.ascontiguousarray(matrix)))
    except np.linalg.LinAlgError as exc:
        raise np.linalg.LinAlgError(
            "matrix must be positive definite: its Cholesky factorisation failed (a "
            "zero or negative pivot); for a semi-definite matrix add a small multiple "
            "of the identity.") from exc


# --------------------------------------------------------------------------
# Inverses along an iteration
# --------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def warm_inverse_kernel(matrix, guess, tol=1e-12, max_steps=6):
    r"""Inverse of ``matrix`` refined from a nearby inverse ``guess``.

    With the residual :math:`E = I - A X`, the hyperpower step :math:`X
    \leftarrow X (I + E + \dots + E^{p-1})` leaves the residual :math:`E^p`
    (:math:`\|E_{+}\|_\infty \le \|E\|_\infty^p`) for :math:`p` BLAS
    products, counting :math:`A X`. From the inverse of the previous iterate of
    a slowly moving matrix one or two steps reach ``tol``, where LAPACK's LU
    inverse is slower than a few products for sizes up to about 64. Each step
    measures :math:`r = \|E\|_\infty`; with :math:`r^q =` ``tol``, the cubic
    step (:math:`p = 3`) when :math:`2 < q \le 3` (it ends there, one
    product sooner than two Newton-Schulz steps), Newton-Schulz (:math:`p =
    2`) otherwise (the last step when :math:`q \le 2`; else the next
    residual, usually far below the bound :math:`r^2`, is measured). When the
    residual is at least 1/2 (a poor guess, e.g. zeros) or ``max_steps``
    steps do not reach ``tol`` (rounding of an ill-conditioned matrix), the LU
    inverse is returned instead.

    Returns ``(inverse, n_products)``; ``n_products = -1`` flags the LU
    fallback.
    """
    n = matrix.shape[0]
    inverse = np.ascontiguousarray(guess)
    n_products = 0
    for _ in range(max_steps):
        product = matrix @ inverse
        n_products += 1
        residual = 0.0
        for i in range(n):  # product <- E = I - AX in one pass, and ||E||_inf
            row = 0.0
            for j in range(n):
                value = -product[i, j]
                product[i, j] = value
                row += abs(value)
            diagonal = product[i, i]
            product[i, i] = diagonal + 1.0
            residual = max(residual, row - abs(diagonal) + abs(diagonal + 1.0))
        if residual >= 0.5:
            break
        needed = np.log(tol) / np.log(residual) if residual > 0.0 else 1.0
        cubic = 2.0 < needed <= 3.0
        if cubic:  # I + E (I + E)
            polynomial = product @ product + product
            n_products += 1
        else:  # I + E
            polynomial = product
        for i in range(n):
            polynomial[i, i] += 1.0
        inverse = inverse @ polynomial
        n_products += 1
        if needed <= (3.0 if cubic else 2.0):
            return inverse, n_products
    return np.ascontiguousarray(np.linalg.inv(matrix)), -1

r"""A Kronecker-product operator that is never formed.

:class:`KroneckerOperator` holds the factors :math:`A_1, \dots, A_I` of
:math:`A = A_1 \otimes \cdots \otimes A_I` (NumPy's ``np.kron`` order: the
first factor's index varies slowest) and multiplies by :math:`A` or
:math:`A^H` through the mode-product kernel
:func:`~sparseopt.core.linalg.kron_matvec_kernel`. It is a plain object
holding arrays, so it pickles and can be sent to Dask workers.
"""

import numpy as np

from sparseopt.core.linalg import _check_factors, _flatten_factors, kron_matvec_kernel
from sparseopt.utils.validation import check_array_input

__all__ = ["KroneckerOperator", "kron_mode_products"]


def kron_mode_products(factors, x):
    r""":math:`(F_1 \otimes \cdots \otimes F_I)\, x` for validated factors (no checks).

    Parameters
    ----------
    factors : list of ndarray of shape (m_i, n_i)
        The factors (real or complex).
    x : ndarray of shape (prod n_i,)
        The vector.

    Returns
    -------
    y : ndarray of shape (prod m_i,)
    """
    dtype = np.result_type(x.dtype, *(f.dtype for f in factors))
    flat, shapes = _flatten_factors(factors, dtype)
    return kron_matvec_kernel(flat, shapes, np.ascontiguousarray(x, dtype=dtype))


class KroneckerOperator:
    r"""The linear map :math:`A = A_1 \otimes A_2 \otimes \cdots \otimes A_I`.

    Multiplication costs :math:`O(\sum_i m_i \prod_j \max(m_j, n_j))`
    instead of :math:`O(\prod_i m_i n_i)`, and memory holds only the factors.

    Parameters
    ----------
    factors : list of array-like of shape (m_i, n_i)
        The factors, real or complex; at least one.

    Attributes
    ----------
    factors : list of ndarray
        The validated factors.
    shape : tuple of int
        :math:`(\prod_i m_i, \prod_i n_i)`.
    dtype : numpy.dtype
        Common dtype of the factors.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.core import KroneckerOperator
    >>> A = KroneckerOperator([np.eye(2), np.arange(6.0).reshape(2, 3)])
    >>> A.shape
    (4, 6)
    >>> x = np.arange(6.0)
    >>> np.allclose(A @ x, np.kron(np.eye(2), np.arange(6.0).reshape(2, 3)) @ x)
    True
    """

    def __init__(self, factors):
        if isinstance(factors, KroneckerOperator):
            factors = factors.factors
        self.factors = _check_factors(list(factors) if isinstance(factors, tuple) else factors)
        self.dtype = np.result_type(*(f.dtype for f in self.factors))
        self.shape = (int(np.prod([f.shape[0] for f in self.factors])),
                      int(np.prod([f.shape[1] for f in self.factors])))
        self._flat, self._shapes = _flatten_factors(self.factors, self.dtype)
        adjoint = [f.conj().T for f in self.factors]
        self._flat_adjoint, self._shapes_adjoint = _flatten_factors(adjoint, self.dtype)

    @property
    def n_factors(self):
        """Number of factors :math:`I`."""
        return len(self.factors)

    def _apply(self, flat, shapes, x, size, name):
        x = check_array_input(x, name, ndim=(1, 2), allow_complex=True)
        if x.shape[0] != size:
            raise ValueError(f"{name} must have {size} rows, got shape {x.shape}.")
        dtype = np.result_type(self.dtype, x.dtype)
        flat = flat.astype(dtype, copy=False)
        if x.ndim == 1:
            return kron_matvec_kernel(flat, shapes, np.ascontiguousarray(x, dtype=dtype))
        columns = [kron_matvec_kernel(flat, shapes, np.ascontiguousarray(x[:, j], dtype=dtype))
                   for j in range(x.shape[1])]
        return np.stack(columns, axis=1)

    def matvec(self, x):
        r""":math:`A x` for ``x`` of shape ``(n,)`` or ``(n, k)``.

        Parameters
        ----------
        x : array-like of shape (prod n_i,) or (prod n_i, k)
            Vector(s).

        Returns
        -------
        y : ndarray of shape (prod m_i,) or (prod m_i, k)
        """
        return self._apply(self._flat, self._shapes, x, self.shape[1], "x")

    def rmatvec(self, y):
        r""":math:`A^H y` for ``y`` of shape ``(m,)`` or ``(m, k)``.

        Parameters
        ----------
        y : array-like of shape (prod m_i,) or (prod m_i, k)
            Vector(s).

        Returns
        -------
        x : ndarray of shape (prod n_i,) or (prod n_i, k)
        """
        return self._apply(self._flat_adjoint, self._shapes_adjoint, y, self.shape[0], "y")

    def __matmul__(self, x):
        return self.matvec(x)

    @property
    def H(self):
        """The adjoint :math:`A^H = A_1^H \\otimes \\cdots \\otimes A_I^H`."""
        return KroneckerOperator([f.conj().T for f in self.factors])

    def to_dense(self):
        """The explicit matrix (for tests and small problems only).

        Returns
        -------
        matrix : ndarray of shape (prod m_i, prod n_i)
        """
        dense = self.factors[0]
        for factor in self.factors[1:]:
            dense = np.kron(dense, factor)
        return np.array(dense, dtype=self.dtype)

    def __repr__(self):
        shapes = " x ".join(f"({m}x{n})" for m, n in (f.shape for f in self.factors))
        return f"KroneckerOperator({shapes}, dtype={self.dtype})"

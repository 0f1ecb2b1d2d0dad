"""Input validation shared by the whole package.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
offending argument and says what was expected. None of them modifies its
input: arrays are converted with :func:`numpy.asarray` (a copy only when the
dtype or layout has to change) and callers that write must copy.
"""

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_array_input",
    "check_scalar",
    "check_integer",
    "check_random_state_seed",
]


def check_array_input(
    value,
    name,
    *,
    ndim=None,
    allow_complex=False,
    allow_empty=False,
    dtype=None,
    order=None,
):
    """Convert ``value`` to a finite numeric ndarray or raise a clear error.

    Parameters
    ----------
    value : array-like
        The input to check.
    name : str
        Name of the argument, used in error messages.
    ndim : int or tuple of int, optional
        Accepted number(s) of dimensions.
    allow_complex : bool, default=False
        Whether complex input is accepted.
    allow_empty : bool, default=False
        Whether an array with zero elements is accepted.
    dtype : dtype, optional
        Target dtype. By default real input becomes float64 unless it is
        already float32 or float64, and complex input becomes complex128 unless
        it is already complex64.
    order : {"C", "F"}, optional
        Memory layout of the result.

    Returns
    -------
    array : ndarray
        The validated array (a view of ``value`` when no conversion is needed).

    Raises
    ------
    TypeError
        If ``value`` is not numeric, is sparse, or is complex while
        ``allow_complex`` is False.
    ValueError
        If ``value`` has the wrong number of dimensions, is empty, or contains
        NaN or infinity.
    """
    if sp.issparse(value):
        raise TypeError(f"{name} must be a dense array, got a sparse matrix.")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}.") from exc
    if array.dtype.kind == "c":
        if not allow_complex:
            raise TypeError(f"{name} must be real-valued, got complex dtype {array.dtype}.")
    elif array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}.")
    if ndim is not None:
        accepted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in accepted:
            expected = " or ".join(str(d) for d in accepted)
            raise ValueError(
                f"{name} must have {expected} dimension(s), got shape {array.shape}."
            )
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}.")
    if dtype is None:
        if array.dtype.kind == "c":
            dtype = array.dtype if array.dtype == np.complex64 else np.complex128
        else:
            dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.float64
    array = np.asarray(array, dtype=dtype, order=order)
    if array.size and not np.isfinite(array).all():
        raise ValueError(f"{name} must not contain NaN or infinity.")
    return array


def check_scalar(
    value,
    name,
    *,
    lower=None,
    upper=None,
    lower_inclusive=True,
    upper_inclusive=True,
):
    """Check that ``value`` is a finite real number inside an interval.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Name of the argument, used in error messages.
    lower, upper : float, optional
        Bounds of the accepted interval.
    lower_inclusive, upper_inclusive : bool, default=True
        Whether each bound belongs to the interval.

    Returns
    -------
    value : float
        ``value`` as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite or outside the interval.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if lower is not None and (value < lower or (value == lower and not lower_inclusive)):
        sign = ">=" if lower_inclusive else ">"
        raise ValueError(f"{name} must be {sign} {lower}, got {value}.")
    if upper is not None and (value > upper or (value == upper and not upper_inclusive)):
        sign = "<=" if upper_inclusive else "<"
        raise ValueError(f"{name} must be {sign} {upper}, got {value}.")
    return value


def check_integer(value, name, *, lower=None, upper=None):
    """Check that ``value`` is an integer inside ``[lower, upper]``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Name of the argument, used in error messages.
    lower, upper : int, optional
        Inclusive bounds.

    Returns
    -------
    value : int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is outside the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
    value = int(value)
    if lower is not None and value < lower:
        raise ValueError(f"{name} must be >= {lower}, got {value}.")
    if upper is not None and value > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value}.")
    return value


def check_random_state_seed(random_state):
    """Turn ``random_state`` into a 32-bit seed for numba's generator.

    Numba kernels cannot take a :class:`numpy.random.Generator`; they seed
    their own generator from an integer. The seed is drawn from
    ``random_state`` so that results stay reproducible.

    Parameters
    ----------
    random_state : None, int, RandomState or Generator
        As in scikit-learn.

    Returns
    -------
    seed : int
        A seed in ``[0, 2**31 - 1)``.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(0, 2**31 - 1))

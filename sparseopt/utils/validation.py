"""Input validation shared by the whole package.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
offending argument and says what was expected. None of them modifies its
input: arrays are converted with :func:`numpy.asarray` (a copy only when the
dtype or layout has to change) and callers that write must copy.
"""

import inspect
import numbers
import re
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_array_input",
    "check_scalar",
    "check_integer",
    "check_random_state_seed",
    "validate_data",
    "check_array",
    "check_consistent_length",
    "check_classification_targets",
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

    try:
        generator = check_random_state(random_state)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "random_state must be None, an integer in [0, 2**32 - 1], a RandomState or a "
            f"Generator, got {random_state!r}.") from exc
    return int(generator.randint(0, 2**31 - 1))


# --------------------------------------------------------------------------
# scikit-learn's validation, with errors that name the argument
# --------------------------------------------------------------------------
def _names(message, name):
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w(])", message) is not None


def _reject_strings(value, name, numeric=True):
    """Arrays of strings are data to convert, not numbers (scikit-learn parses them)."""
    dtype = getattr(value, "dtype", None)
    if numeric and isinstance(dtype, np.dtype) and dtype.kind in "USV":
        raise TypeError(f"{name} must be numeric, got dtype {dtype}; convert it to numbers "
                        "(e.g. X.astype(float)) first.")


def _raise_named(exc, name):
    """Re-raise ``exc`` with its message prefixed by ``name``, unless it names it."""
    message = str(exc)
    if type(exc) not in (ValueError, TypeError) or _names(message, name):
        raise exc
    raise type(exc)(f"{name}: {message}") from exc


@contextmanager
def _errors_named(name):
    try:
        yield
    except (ValueError, TypeError) as exc:
        _raise_named(exc, name)


def validate_data(estimator, X="no_validation", y="no_validation", **check_params):
    """:func:`sklearn.utils.validation.validate_data` whose errors name ``X`` or ``y``.

    Same arguments and result. scikit-learn names the argument only in its
    NaN/inf messages ("Input X contains NaN"); here every ``ValueError`` or
    ``TypeError`` says which of ``X`` and ``y`` is wrong (the messages
    themselves are kept, so scikit-learn's checks still match them), arrays of
    strings are rejected instead of parsed, and mismatched lengths say which
    length is which.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being validated.
    X, y : array-like, "no_validation" or None
        As in scikit-learn.
    **check_params : dict
        As in scikit-learn (``accept_sparse``, ``dtype``, ``reset``...).

    Returns
    -------
    out : ndarray, sparse matrix or tuple
        The validated ``X``, ``y`` or ``(X, y)``.
    """
    from sklearn.utils.validation import validate_data as sklearn_validate_data

    has_x = not (isinstance(X, str) and X == "no_validation")
    has_y = not (y is None or isinstance(y, str) and y == "no_validation")
    if has_x:
        _reject_strings(X, "X")
    if has_y:
        _reject_strings(y, "y", numeric=check_params.get("y_numeric", False))
    try:
        result = sklearn_validate_data(estimator, X, y, **check_params)
    except (ValueError, TypeError) as exc:
        if "inconsistent numbers of samples" in str(exc):
            raise _length_error("X", X, "y", y) from exc
        culprit = "X" if has_x else "y"
        if has_x and has_y and not _names(str(exc), "X"):
            culprit = "y" if _passes_check_array(X, check_params) else "X"
        _raise_named(exc, culprit)
    if has_y and getattr(getattr(y, "dtype", None), "kind", None) == "O":
        # scikit-learn checks an object y for NaN before converting it: None becomes NaN
        converted = result[1] if has_x else result
        if converted.dtype.kind == "f" and np.isnan(converted).any():
            raise ValueError("Input y contains NaN (None or NaN in an object array).")
    return result


def _passes_check_array(X, check_params):
    from sklearn.utils import check_array as sklearn_check_array

    accepted = inspect.signature(sklearn_check_array).parameters
    params = {k: v for k, v in check_params.items() if k in accepted and k != "input_name"}
    try:
        sklearn_check_array(X, **params)
    except (ValueError, TypeError):
        return False
    return True


def check_array(array, *args, input_name="array", **kwargs):
    """:func:`sklearn.utils.check_array` whose errors name ``input_name``.

    Same arguments and result; arrays of strings are rejected when a numeric
    dtype is requested.

    Parameters
    ----------
    array : object
        Input to check.
    *args : tuple
        Positional arguments of scikit-learn's ``check_array``.
    input_name : str, default="array"
        Name of the argument, used in every error message.
    **kwargs : dict
        Keyword arguments of scikit-learn's ``check_array``.

    Returns
    -------
    array : ndarray or sparse matrix
        The validated array.
    """
    from sklearn.utils import check_array as sklearn_check_array

    _reject_strings(array, input_name, numeric=kwargs.get("dtype", "numeric") is not None)
    with _errors_named(input_name):
        return sklearn_check_array(array, *args, input_name=input_name, **kwargs)


def check_classification_targets(y):
    """:func:`sklearn.utils.multiclass.check_classification_targets` naming ``y``.

    Parameters
    ----------
    y : array-like
        Target values.
    """
    from sklearn.utils.multiclass import check_classification_targets as sklearn_check

    with _errors_named("y"):
        sklearn_check(y)


def _length(value):
    from sklearn.utils.validation import _num_samples

    return _num_samples(value)


def _length_error(first_name, first, second_name, second):
    return ValueError(
        f"{first_name} and {second_name} have inconsistent numbers of samples: "
        f"{first_name} has {_length(first)} and {second_name} has {_length(second)}; "
        "they must have the same number of rows.")


def check_consistent_length(**arrays):
    """Check that the named arrays have the same number of rows (samples).

    Parameters
    ----------
    **arrays : dict
        ``name=array`` pairs; ``None`` values are skipped.

    Raises
    ------
    ValueError
        Naming the first two arrays whose lengths differ, with both lengths.
    """
    named = [(name, value) for name, value in arrays.items() if value is not None]
    for name, value in named[1:]:
        if _length(value) != _length(named[0][1]):
            raise _length_error(named[0][0], named[0][1], name, value)

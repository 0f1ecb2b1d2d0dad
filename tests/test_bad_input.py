"""The fuzz suite: standard bad inputs against every public entry point.

For every estimator and public function (discovered: see ``public_api.py``),
each data argument of its recipe is replaced, one at a time, by the standard
bad inputs: a NaN, an infinity, an empty array, too many dimensions, a 0-d
scalar, complex values, an object array holding ``None``, numeric strings, a
sparse matrix where only dense arrays are accepted, and one row too few
where its length must match another argument. Each numeric hyper-parameter
is set to NaN and to -1. Every case must raise a ``ValueError`` or
``TypeError`` whose message names the argument (the bad-input kinds an
argument legitimately accepts, listed in its recipe, must instead succeed or
fail with such an error: never an IndexError or a NumPy internals message).
Odd but possibly valid data (one sample, constant values, no feature,
duplicated columns) must work or fail the same clear way. An entry point for
which no case applies must say why in its recipe.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from public_api import RECIPES

ARRAY_KINDS = ("nan", "inf", "empty", "ndim", "scalar", "complex", "object", "str",
               "sparse", "mismatch")
HYPER_KINDS = ("nan", "negative")
# Odd but possibly valid data, applied to all the arrays of a recipe at once: it
# must work, or fail with a ValueError/TypeError naming one of the arrays.
ODD_KINDS = ("one_sample", "constant", "no_feature", "duplicated_columns")


def bad_array(array, kind):
    """``array`` turned into the bad input ``kind``."""
    array = np.asarray(array, dtype=np.float64)
    if kind in ("nan", "inf"):
        bad = array.copy()
        bad.flat[bad.size // 2] = np.nan if kind == "nan" else np.inf
        return bad
    if kind == "empty":
        return array[:0]
    if kind == "ndim":
        return array[..., None, None]
    if kind == "scalar":
        return np.float64(array.flat[0])
    if kind == "complex":
        return array + 1j
    if kind == "object":
        bad = array.astype(object)
        bad.flat[bad.size // 2] = None
        return bad
    if kind == "str":
        return array.astype(str)
    if kind == "sparse":
        return sp.csr_matrix(array)
    if kind == "mismatch":
        return array[:-1]
    raise AssertionError(kind)


def _cases():
    for name, recipe in sorted(RECIPES.items()):
        count = 0
        for argument, array in recipe.arrays.items():
            for kind in ARRAY_KINDS:
                if kind == "sparse" and (np.ndim(array) != 2 or argument in recipe.sparse):
                    continue
                if kind == "mismatch" and argument not in recipe.linked:
                    continue
                count += 1
                yield pytest.param(name, "array", argument, kind,
                                   id=f"{name}-{argument}-{kind}")
        for kind in ODD_KINDS if recipe.arrays else ():
            count += 1
            yield pytest.param(name, "odd", None, kind, id=f"{name}-{kind}")
        for parameter in recipe.hyper_parameters():
            for kind in HYPER_KINDS:
                count += 1
                yield pytest.param(name, "hyper", parameter, kind,
                                   id=f"{name}-{parameter}-{kind}")
        if not count:
            yield pytest.param(name, "none", None, None, id=f"{name}-no-case")


CASES = list(_cases())


def names_the_argument(message, name):
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w(])", message) is not None


def odd_arrays(arrays, kind):
    """Every array of a recipe turned into the odd input ``kind``."""
    first = len(next(iter(arrays.values())))
    odd = {}
    for name, array in arrays.items():
        array = np.asarray(array, dtype=np.float64)
        if kind == "one_sample":
            array = array[:1] if len(array) == first else array
        elif kind == "constant":
            array = np.ones_like(array)
        elif kind == "no_feature" and array.ndim == 2:
            array = array[:, :0]
        elif kind == "duplicated_columns" and array.ndim == 2 and array.shape[1] > 1:
            array = array.copy()
            array[:, 1] = array[:, 0]
        odd[name] = array
    return odd


def run_bad_case(recipe, target, argument, kind):
    """Call the recipe with the bad input; return the exception (or None)."""
    arrays, params = dict(recipe.arrays), {}
    if target == "odd":
        arrays = odd_arrays(arrays, kind)
    elif target == "array":
        arrays[argument] = bad_array(arrays[argument], kind)
    else:
        default = recipe.params.get(argument, 1)
        params[argument] = np.nan if kind == "nan" else (
            -1 if isinstance(default, int | np.integer) else -1.0)
        if kind == "nan" and isinstance(default, int | np.integer):
            params[argument] = float("nan")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            recipe.call(arrays, **params)
    except Exception as exc:  # noqa: BLE001 - the type is what is tested
        return exc
    return None


@pytest.mark.parametrize("name, target, argument, kind", CASES)
def test_bad_input_gives_a_clear_error(name, target, argument, kind):
    recipe = RECIPES[name]
    if target == "none":
        assert recipe.no_bad_input, (
            f"{name}: no standard bad input applies to its recipe (no data array, no "
            "numeric hyper-parameter); add cases to its recipe in tests/public_api.py or "
            "say why in no_bad_input")
        return
    error = run_bad_case(recipe, target, argument, kind)
    shown = recipe.names.get((kind, argument), recipe.names.get(argument, argument))
    if target == "odd":
        argument = shown = "every array"
    accepted = (target == "odd" or kind in recipe.accepts.get(argument, ())
                or (kind == "negative" and argument in recipe.negative_ok))
    if error is None:
        assert accepted, f"{name} accepted {argument} = <{kind}> without an error"
        return
    assert isinstance(error, ValueError | TypeError), (
        f"{name} with {argument} = <{kind}> raised {type(error).__name__}: {error}")
    partners = recipe.arrays if kind == "mismatch" else ()
    if target == "odd":  # a clear error may name any argument
        partners = [*recipe.arrays, *recipe.params]
    partners = [recipe.names.get(n, n) for n in partners]
    named = [n for n in (shown, *partners) if n != "every array"]
    assert any(names_the_argument(str(error), n) for n in named), (
        f"{name} with {argument} = <{kind}>: the message does not name {shown!r}: {error}")

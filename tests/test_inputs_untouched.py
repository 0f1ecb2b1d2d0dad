"""Every public entry point leaves the caller's arrays bit-identical.

For every estimator and public function (discovered: see ``public_api.py``),
each data argument of its recipe is passed as every input kind it accepts:
dense C and Fortran order, float32 and float64, a read-only memmap, and,
where the argument accepts sparse input, CSR and CSC matrices with unsorted
indices and explicitly stored zeros (writable, and read-only as a joblib
memmap hands them out). The call must succeed, and every array the caller
passed (data, indices, pointers) must be bit-identical afterwards.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from public_api import RECIPES, public_entry_points

DENSE_KINDS = ("C", "F", "float32", "memmap")
SPARSE_KINDS = ("csr", "csc", "csc_readonly")


def test_every_public_name_has_a_recipe():
    missing = sorted(set(public_entry_points()) - set(RECIPES))
    assert not missing, (
        f"public names without a call recipe in tests/public_api.py: {missing}; add one "
        "(how to call it with valid data) so that the input and fuzz suites cover it")
    stale = sorted(set(RECIPES) - set(public_entry_points()))
    assert not stale, f"recipes for names that are no longer public: {stale}"


def unsorted_sparse(array, fmt):
    """Every entry stored (zeros explicitly), indices reversed inside each row/column."""
    dense = array if fmt == "csr" else array.T
    n_major, n_minor = dense.shape
    indices = np.tile(np.arange(n_minor)[::-1], n_major).astype(np.int32)
    data = np.ascontiguousarray(dense[:, ::-1]).ravel()
    indptr = np.arange(0, n_major * n_minor + 1, n_minor, dtype=np.int32)
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    matrix = cls((data, indices, indptr), shape=array.shape)
    assert not matrix.has_sorted_indices and (matrix.data == 0).any() == (array == 0).any()
    return matrix


def as_kind(array, kind, path):
    """``array`` as the caller would pass it in the input kind ``kind``."""
    if kind == "C":
        return np.ascontiguousarray(array).copy()
    if kind == "F":
        return np.asfortranarray(array).copy()
    if kind == "float32":
        return array.astype(np.float32)
    if kind == "memmap":
        np.save(path, array)
        return np.load(path, mmap_mode="r")
    matrix = unsorted_sparse(array, kind[:3])
    if kind.endswith("readonly"):
        for part in (matrix.data, matrix.indices, matrix.indptr):
            part.flags.writeable = False
    return matrix


def snapshot(value):
    """Everything that identifies the caller's array, bit for bit."""
    if sp.issparse(value):
        return (value.format, value.shape, *(snapshot(part) for part in
                                             (value.data, value.indices, value.indptr)))
    return (value.dtype.str, value.shape, value.strides, value.flags.writeable,
            value.tobytes(order="A"))


def _cases():
    for name, recipe in sorted(RECIPES.items()):
        if not recipe.arrays:
            continue
        kinds = DENSE_KINDS + (SPARSE_KINDS if recipe.sparse else ())
        for kind in kinds:
            yield pytest.param(name, kind, id=f"{name}-{kind}")


@pytest.mark.parametrize("name, kind", list(_cases()))
def test_inputs_are_bit_identical_after_the_call(name, kind, tmp_path):
    recipe = RECIPES[name]
    arrays = {}
    for argument, array in recipe.arrays.items():
        sparse_kind = kind in SPARSE_KINDS
        if sparse_kind and (argument not in recipe.sparse or np.ndim(array) != 2):
            arrays[argument] = as_kind(array, "C", None)
        else:
            arrays[argument] = as_kind(array, kind, tmp_path / f"{argument}.npy")
    before = {argument: snapshot(value) for argument, value in arrays.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence on tiny data is not the point here
        recipe.call(arrays)
    for argument, value in arrays.items():
        assert snapshot(value) == before[argument], f"{name} modified {argument} ({kind})"

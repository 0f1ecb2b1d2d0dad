"""Synthetic problem generators and loaders of real data.

Everything here works offline: real data either is vendored (small public
files under ``sparseopt/datasets/data/``, provenance in ``PROVENANCE.md``)
or ships inside an installed package such as scikit-learn.
"""

from sparseopt.datasets._bcd_paper import make_bcd_problem
from sparseopt.datasets._label_propagation import (
    make_lattice_label_propagation,
    make_two_moons_label_propagation,
)
from sparseopt.datasets._ldp import make_ldp_regression
from sparseopt.datasets._loaders import (
    load_bundled,
    load_digits_ink,
    load_sachs,
    load_vendored_csv,
    vendored_files,
)
from sparseopt.datasets._sbl import irs_channel_nmse, make_irs_channel, make_kronecker_sparse
from sparseopt.datasets._synthetic import make_sparse_regression
from sparseopt.datasets._timeseries import load_airline, load_co2

__all__ = [
    "irs_channel_nmse",
    "load_airline",
    "load_bundled",
    "load_co2",
    "load_digits_ink",
    "load_sachs",
    "load_vendored_csv",
    "make_bcd_problem",
    "make_irs_channel",
    "make_kronecker_sparse",
    "make_lattice_label_propagation",
    "make_ldp_regression",
    "make_sparse_regression",
    "make_two_moons_label_propagation",
    "vendored_files",
]

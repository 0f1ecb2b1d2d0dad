"""Utilities: input validation helpers, estimator discovery, the progress
printer, deferred Ctrl-C for compiled loops and the optional Dask bridge."""

from sparseopt.utils.dask_bridge import get_dask_client, parallel_map
from sparseopt.utils.discovery import all_estimators
from sparseopt.utils.interrupt import DeferredInterrupt
from sparseopt.utils.progress import IterationPrinter, ProgressBar
from sparseopt.utils.validation import (
    check_array_input,
    check_integer,
    check_random_state_seed,
    check_scalar,
)

__all__ = [
    "DeferredInterrupt",
    "IterationPrinter",
    "ProgressBar",
    "all_estimators",
    "check_array_input",
    "check_integer",
    "check_random_state_seed",
    "check_scalar",
    "get_dask_client",
    "parallel_map",
]

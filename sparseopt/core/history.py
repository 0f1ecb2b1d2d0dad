"""A record of an iterative solver's progress."""

import time

import numpy as np

__all__ = ["ConvergenceHistory"]


class ConvergenceHistory:
    """Iteration, objective, stopping criterion and elapsed time of a solver.

    Every iterative solver of sparseopt appends one row per check of its
    stopping criterion; fitted estimators expose the record as ``history_``
    so that convergence can be plotted without re-running the fit.

    Parameters
    ----------
    criterion_name : str, default="criterion"
        What the criterion column holds (e.g. ``"duality_gap"``).

    Attributes
    ----------
    iterations : ndarray of int
        Iteration number of each row.
    objectives : ndarray of float
        Objective value of each row.
    criteria : ndarray of float
        Value of the stopping criterion of each row.
    times : ndarray of float
        Seconds elapsed since the record was created (or :meth:`restart`).

    Examples
    --------
    >>> from sparseopt.core import ConvergenceHistory
    >>> history = ConvergenceHistory("duality_gap")
    >>> history.append(0, 1.0, 0.5)
    >>> history.append(1, 0.8, 1e-3)
    >>> len(history), history.objectives.tolist()
    (2, [1.0, 0.8])
    """

    def __init__(self, criterion_name="criterion"):
        self.criterion_name = criterion_name
        self._rows = []
        self._start = time.perf_counter()

    def restart(self):
        """Reset the clock (rows already stored are kept)."""
        self._start = time.perf_counter()

    def append(self, iteration, objective, criterion):
        """Store one row, timestamped now.

        Parameters
        ----------
        iteration : int
            Iteration number.
        objective : float
            Objective value.
        criterion : float
            Value of the stopping criterion.
        """
        elapsed = time.perf_counter() - self._start
        self._rows.append((int(iteration), float(objective), float(criterion), elapsed))

    def _column(self, index, dtype):
        return np.array([row[index] for row in self._rows], dtype=dtype)

    @property
    def iterations(self):
        return self._column(0, np.int64)

    @property
    def objectives(self):
        return self._column(1, np.float64)

    @property
    def criteria(self):
        return self._column(2, np.float64)

    @property
    def times(self):
        return self._column(3, np.float64)

    def as_dict(self):
        """The record as a dict of arrays.

        Returns
        -------
        record : dict
            Keys ``"iteration"``, ``"objective"``, the criterion name and
            ``"time"``.
        """
        return {
            "iteration": self.iterations,
            "objective": self.objectives,
            self.criterion_name: self.criteria,
            "time": self.times,
        }

    def __len__(self):
        return len(self._rows)

    def __repr__(self):
        if not self._rows:
            return f"ConvergenceHistory({self.criterion_name!r}, empty)"
        last = self._rows[-1]
        return (
            f"ConvergenceHistory({self.criterion_name!r}, {len(self)} rows, "
            f"last: iteration={last[0]}, objective={last[1]:.6g}, "
            f"{self.criterion_name}={last[2]:.3g}, time={last[3]:.3g}s)"
        )

"""The server side: running sums of randomised reports."""

import numpy as np
from numba import njit

from sparseopt.ldp._randomizer import Reports
from sparseopt.ldp._statistics import report_width

__all__ = ["Aggregator", "BLOCK_USERS"]

# Users are summed in canonical blocks of this size, each from zero and in user
# order, and the block sums are added in block order: the result is then the same
# bits whatever the chunking of the stream, the partial_fit calls or the Dask
# partitions. 2048 users: 21 MB of per-user covariance reports at d = 50, and a
# BLAS rank-k update long enough to run at full speed in the fast path.
BLOCK_USERS = 2048


@njit(cache=True, nogil=True)
def add_rows_in_order(rows, total):
    """``total += rows[0]; total += rows[1]; ...`` (a sum that does not depend on chunking)."""
    for i in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            total[j] += rows[i, j]


class Aggregator:
    r"""The server: accumulates randomised reports in O(d^2) memory.

    It only accepts :class:`~sparseopt.ldp.Reports` (randomised values, or
    their sums over blocks of users, never raw records) and keeps, per part
    of the report, one running sum: :math:`d(d+1)/2 + d` numbers for the
    non-interactive protocol, :math:`d` for the others, whatever the number
    of users. :meth:`partial_fit` takes the reports as they arrive;
    :meth:`means` gives the averaged statistics the estimators use.

    Sums are formed in canonical blocks of ``BLOCK_USERS`` users (each from
    zero, in user order) added in block order, so that a fixed seed gives
    bit-identical results in memory, in chunks and on Dask.

    Parameters
    ----------
    kind : {"nldp", "public", "gradient", "log_norm"}
        The kind of reports collected (see :class:`~sparseopt.ldp.LocalRandomizer`).
    n_features : int
        Dimension of the records.

    Attributes
    ----------
    n_users_ : int
        Users whose reports were received.
    noise_scales_ : dict of str to float
        The public noise scales of the reports' parts.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ldp import Aggregator, LocalRandomizer
    >>> device = LocalRandomizer("public", epsilon=np.inf, delta=1e-6, n_features=2,
    ...                          x_bound=1.0, y_bound=1.0)
    >>> server = Aggregator("public", n_features=2)
    >>> server.partial_fit(device.report([[0.5, 0.0], [1.0, 1.0]], [1.0, -1.0]))
    Aggregator(kind='public', n_users_=2)
    >>> server.means()["cross"]
    array([-0.25, -0.5 ])
    """

    def __init__(self, kind, n_features):
        from sparseopt.ldp._randomizer import PARTS

        if kind not in PARTS:
            raise ValueError(f"kind must be one of {sorted(PARTS)}, got {kind!r}.")
        self.kind = kind
        self.n_features = n_features
        self._parts = [part for part, _ in PARTS[kind]]
        self._total = {p: np.zeros(report_width(p, n_features)) for p in self._parts}
        self._block = {p: np.zeros(report_width(p, n_features)) for p in self._parts}
        self._total_users = 0  # users in the completed blocks
        self._block_users = 0  # users in the current block
        self._pending = None  # the sum over a trailing incomplete block (simulation)
        self.noise_scales_ = None

    def __repr__(self):
        return f"Aggregator(kind={self.kind!r}, n_users_={self.n_users_})"

    @property
    def n_users_(self):
        pending = 0 if self._pending is None else self._pending.n_users
        return self._total_users + self._block_users + pending

    def partial_fit(self, reports):
        """Add a batch of reports.

        Parameters
        ----------
        reports : Reports
            From :meth:`LocalRandomizer.report` (rows) or from a block sum.

        Returns
        -------
        self : Aggregator
        """
        if not isinstance(reports, Reports):
            raise TypeError(
                "reports must be a Reports object made by a LocalRandomizer, got "
                f"{type(reports).__name__}: the server accepts randomised reports only, never "
                "raw records.")
        if reports.kind != self.kind or reports.n_features != self.n_features:
            raise ValueError(f"reports are of kind {reports.kind!r} with {reports.n_features} "
                             f"features; this server collects {self.kind!r} with "
                             f"{self.n_features}.")
        if self.noise_scales_ is None:
            self.noise_scales_ = dict(reports.noise_scales)
        elif reports.noise_scales != self.noise_scales_:
            raise ValueError("reports were randomised with other noise scales "
                             f"({reports.noise_scales}) than earlier ones "
                             f"({self.noise_scales_}): they cannot be averaged together.")
        if self._pending is not None:
            if not (reports.summed and reports.first_user == self._pending.first_user):
                raise ValueError("an incomplete block sum can only be replaced by the same "
                                 "block's next sum.")
            self._pending = None
        if reports.summed:
            self._add_block_sum(reports)
        else:
            self._add_rows(reports)
        return self

    def _add_block_sum(self, reports):
        if self._block_users:
            raise ValueError("a block sum must start a new block of users.")
        if not reports.complete:
            self._pending = reports
            return
        if reports.n_users != BLOCK_USERS:
            raise ValueError(f"a complete block holds {BLOCK_USERS} users, got "
                             f"{reports.n_users}.")
        for part in self._parts:
            self._total[part] = self._total[part] + reports.parts[part]
        self._total_users += reports.n_users

    def _add_rows(self, reports):
        start = 0
        while start < reports.n_users:
            stop = min(reports.n_users, start + BLOCK_USERS - self._block_users)
            for part in self._parts:
                add_rows_in_order(np.ascontiguousarray(reports.parts[part][start:stop]),
                                  self._block[part])
            self._block_users += stop - start
            start = stop
            if self._block_users == BLOCK_USERS:
                for part in self._parts:
                    self._total[part] = self._total[part] + self._block[part]
                    self._block[part] = np.zeros_like(self._block[part])
                self._total_users += BLOCK_USERS
                self._block_users = 0

    def sums(self):
        """``{part: sum of all reports received}``."""
        out = {}
        for part in self._parts:
            total = self._total[part]
            if self._block_users:
                total = total + self._block[part]
            if self._pending is not None:
                total = total + self._pending.parts[part]
            out[part] = total
        return out

    def means(self):
        """``{part: average report}`` (the private statistics)."""
        if self.n_users_ == 0:
            raise ValueError("the server has received no report yet.")
        return {part: total / self.n_users_ for part, total in self.sums().items()}

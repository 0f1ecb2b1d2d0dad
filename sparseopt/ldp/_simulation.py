"""Simulated devices: many users' reports, block by block, seeded and reproducible.

Two paths give reports with the same law:

* ``"per_user"``: every user's report is drawn (a row of noise per user), as
  the devices would; the server sums the rows.
* ``"summed"`` (the fast path, Gaussian mechanisms only): the clean reports of
  a block of users are summed (a BLAS rank-k update for the covariance) and
  the block's noise, a sum of independent :math:`\\mathcal N(0, \\sigma^2)`
  draws, is drawn in one step from its exact law :math:`\\mathcal N(0, m\\sigma^2)`.
  A trailing incomplete block gets the sum of its first :math:`m` users'
  noises from a Brownian bridge over the block, so that the partial sums
  seen while a stream is still arriving are those of the same users' noises.

Randomness is keyed by (seed, report kind, round, block, part): the same
seed gives the same reports whether the users arrive in memory, in chunks
of any size or on Dask workers.
"""

import numpy as np

from sparseopt.ldp._aggregator import BLOCK_USERS
from sparseopt.ldp._randomizer import Reports
from sparseopt.ldp.mechanisms import L2BallMechanism

__all__ = ["ClientSimulation", "simulate_reports", "supports_summed_path"]

_KIND_KEY = {"nldp": 0, "public": 1, "gradient": 2, "log_norm": 3}


def supports_summed_path(randomizer):
    """Whether the fast path is exact: Gaussian noise from a seeded generator."""
    return randomizer.mechanism in ("gaussian", "gaussian_classic") and not randomizer.secure


def _generator(key, *extra):
    return np.random.default_rng(np.random.SeedSequence(key[0], spawn_key=(*key[1:], *extra)))


def bridge_prefix_noise(sigma, key, n_users, width):
    """Sum of the first ``n_users`` of a block's ``BLOCK_USERS`` noises (Brownian bridge)."""
    lo, hi = 0, BLOCK_USERS
    total = np.sqrt(BLOCK_USERS) * sigma * _generator(key, 0, 0).standard_normal(width)
    before = np.zeros(width)
    while n_users != hi:
        mid = (lo + hi) // 2
        spread = sigma * np.sqrt((mid - lo) * (hi - mid) / (hi - lo))
        left = ((mid - lo) / (hi - lo)) * total + spread * _generator(
            key, lo + 1, hi).standard_normal(width)
        if n_users <= mid:
            hi, total = mid, left
        else:
            before += left
            lo, total = mid, total - left
    return before + total


class ClientSimulation:
    """The devices of one report stream (a sequence of users), simulated block by block.

    Parameters
    ----------
    randomizer : LocalRandomizer
        Their randomiser (bounds, mechanisms).
    seed : int
        Root seed of the noise.
    path : {"summed", "per_user"}
        See the module's docstring.
    round_index : int, default=0
        Interactive round (a separate random stream per round).
    coef, clip_norm, log_range
        What the server broadcast (``mode="iht"``).
    """

    def __init__(self, randomizer, seed, path, round_index=0, coef=None, clip_norm=None,
                 log_range=None):
        if path == "summed" and not supports_summed_path(randomizer):
            raise ValueError("the summed fast path needs the (non-secure) Gaussian mechanism; "
                             "use the per-user path.")
        self.randomizer = randomizer
        self.path = path
        self.round = dict(coef=coef, clip_norm=clip_norm, log_range=log_range)
        self.kind = randomizer.kind(clip_norm, log_range)
        self.mechanisms = randomizer.mechanisms(clip_norm, log_range)
        self.noise_scales = randomizer.noise_scales(clip_norm, log_range)
        self._key = (int(seed), _KIND_KEY[self.kind], int(round_index))
        self.next_user = 0
        self.n_clipped = 0
        self._buffer = []  # summed path: records of the current incomplete block
        self._noise_block = None  # per-user path: (block, {part: draws})

    # ------------------------------------------------------------------ feed
    def feed(self, X, y):
        """Reports of the next users ``X, y`` (in order): complete block sums
        (summed path) or one row per user (per-user path)."""
        if self.path == "per_user":
            return self._per_user(X, y)
        out = []
        start = 0
        while start < X.shape[0]:
            buffered = sum(len(rows) for rows, _ in self._buffer)
            stop = min(X.shape[0], start + BLOCK_USERS - buffered)
            self._buffer.append((X[start:stop], y[start:stop]))
            if buffered + stop - start == BLOCK_USERS:
                reports, n_clipped = self._block_sum(complete=True)
                out.append(reports)
                self.n_clipped += n_clipped
                self._buffer = []
            start = stop
        # the caller may reuse its arrays: keep copies of an incomplete block's records
        self._buffer = [(rows.copy(), target.copy()) for rows, target in self._buffer]
        return out

    def pending(self):
        """``(reports, n_clipped)`` of the trailing incomplete block (summed path), or None."""
        if self.path == "per_user" or not self._buffer:
            return None
        return self._block_sum(complete=False)

    def _block_sum(self, complete):
        if len(self._buffer) == 1:
            X, y = self._buffer[0]
        else:
            X = np.concatenate([rows for rows, _ in self._buffer])
            y = np.concatenate([target for _, target in self._buffer])
        clean, n_clipped = self.randomizer.clean_reports(X, y, **self.round, summed=True)
        block = self.next_user // BLOCK_USERS
        parts = {}
        for index, (part, mechanism) in enumerate(self.mechanisms.items()):
            sigma = mechanism.noise_scale
            noise = (bridge_prefix_noise(sigma, (*self._key, block, index), X.shape[0],
                                         clean[part].shape[0]) if sigma > 0 else 0.0)
            parts[part] = clean[part] + noise
        reports = Reports(self.kind, self.randomizer.n_features, X.shape[0], parts,
                          self.noise_scales, summed=True, first_user=self.next_user,
                          complete=complete)
        if complete:
            self.next_user += BLOCK_USERS
        return reports, n_clipped

    # -------------------------------------------------------------- per user
    def _per_user(self, X, y):
        clean, n_clipped = self.randomizer.clean_reports(X, y, **self.round)
        self.n_clipped += n_clipped
        parts = {}
        for index, (part, mechanism) in enumerate(self.mechanisms.items()):
            parts[part] = self._randomise_rows(index, mechanism, clean[part])
        reports = Reports(self.kind, self.randomizer.n_features, X.shape[0], parts,
                          self.noise_scales, first_user=self.next_user)
        self.next_user += X.shape[0]
        return [reports]

    def _randomise_rows(self, index, mechanism, rows):
        if mechanism.secure:  # operating-system entropy: nothing to key
            return mechanism.randomise(rows)
        out = np.empty_like(rows)
        start = 0
        while start < rows.shape[0]:
            user = self.next_user + start
            block, offset = divmod(user, BLOCK_USERS)
            stop = min(rows.shape[0], start + BLOCK_USERS - offset)
            draws = self._block_draws(block, index, mechanism, rows.shape[1])
            segment = slice(offset, offset + stop - start)
            if isinstance(mechanism, L2BallMechanism):
                out[start:stop] = mechanism.randomise_with(
                    rows[start:stop], draws["round"][segment], draws["side"][segment],
                    draws["direction"][segment])
            else:
                out[start:stop] = rows[start:stop] + draws["noise"][segment]
            start = stop
        return out

    def _block_draws(self, block, index, mechanism, width):
        cache = self._noise_block
        if cache is None or cache[0] != (block, index):
            generator = _generator(self._key, block, index)
            if isinstance(mechanism, L2BallMechanism):
                draws = {"round": generator.random(BLOCK_USERS),
                         "side": generator.random(BLOCK_USERS),
                         "direction": generator.standard_normal((BLOCK_USERS, width))}
            else:
                draws = {"noise": mechanism.noise((BLOCK_USERS, width), random_state=generator)}
            self._noise_block = cache = ((block, index), draws)
        return cache[1]


def simulate_reports(randomizer, seed, path, X, y, round_index=0, **round_parameters):
    """All the reports of the users ``X, y`` (one stream), ready for the server."""
    simulation = ClientSimulation(randomizer, seed, path, round_index, **round_parameters)
    reports = simulation.feed(X, y)
    n_clipped = simulation.n_clipped
    pending = simulation.pending()
    if pending is not None:
        reports.append(pending[0])
        n_clipped += pending[1]
    return reports, n_clipped


def chunk_reports(randomizer, seed, path, X, y, first_user, round_index=0, **round_parameters):
    """Block sums of a chunk of users starting on a block boundary (a Dask task).

    Per-user reports are summed in order inside each block, as the server
    would: an intermediate aggregator, so that only block sums travel.
    """
    from sparseopt.ldp._aggregator import add_rows_in_order

    simulation = ClientSimulation(randomizer, seed, path, round_index, **round_parameters)
    simulation.next_user = first_user
    out = []
    for start in range(0, X.shape[0], BLOCK_USERS):
        stop = min(X.shape[0], start + BLOCK_USERS)
        batch = simulation.feed(X[start:stop], y[start:stop])
        if path == "summed":
            pending = simulation.pending()
            if pending is not None:
                batch.append(pending[0])
                simulation.n_clipped += pending[1]
            out += batch
            continue
        reports = batch[0]
        sums = {}
        for part, rows in reports.parts.items():
            total = np.zeros(rows.shape[1])
            add_rows_in_order(np.ascontiguousarray(rows), total)
            sums[part] = total
        out.append(Reports(reports.kind, reports.n_features, reports.n_users, sums,
                           reports.noise_scales, summed=True, first_user=reports.first_user,
                           complete=reports.n_users == BLOCK_USERS))
    return out, simulation.n_clipped

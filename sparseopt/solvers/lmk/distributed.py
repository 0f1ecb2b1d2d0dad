r"""Distributed MM for the weights of a linear multiple kernel: agents send statistics.

Agents :math:`j = 1..N` each hold a data part and together minimise the
factorised objective (:mod:`.objective` with one part per agent)

.. math:: l(w, \sigma^2) = \sum_j y_j^\top C_j^{-1} y_j + \log\det C_j,
          \qquad C_j = \sigma^2 I + \sum_i w_i K_i^{(j)}.

Its MM step (:mod:`.mm`) needs only sums over the agents: per atom
:math:`t_i = \sum_j \operatorname{tr}(C_j^{-1} K_i^{(j)})` and :math:`q_i =
\sum_j \beta_j^\top K_i^{(j)} \beta_j`, and for the noise :math:`\sum_j
\operatorname{tr} C_j^{-1}` and :math:`\sum_j \|\beta_j\|^2`. So in each
round the coordinator broadcasts :math:`(w, \sigma^2)` (the active weights
and the support), every agent factorises its own :math:`C_j` and sends the
statistics of the active atoms and of the noise (:math:`2k + 2` numbers for
:math:`k` active atoms) and its value :math:`l_j`, and the coordinator sums
them and runs :func:`~.mm.mm_weights` unchanged (SQUAREM, pruning,
re-activation, the KKT stopping rule): :class:`DistributedProblem` is the
objective whose every factorisation is one such round. The statistics of
pruned atoms, needed only when the KKT conditions are checked, take one more
round (64-bit floats, from the agents' last factorisation). Without quantization the iterates are
those of the centralised MM on the same parts (to rounding), so the method
reaches the centralised minimiser of the summed objective; data never leave
the agents.

With a quantizer (:mod:`sparseopt.solvers.admm.quantize`) an agent sends
statistics it never sent before as 64-bit floats, then the unbiased stochastic rounding of
their *relative innovation* :math:`s / \hat s - 1` (:math:`\hat s` what it
last sent, which both sides keep), received as :math:`\hat s (1 + Q(s/\hat s
- 1))`: the error of each entry is a fraction of its own size (the
statistics span orders of magnitude, and the MM step divides them: an
absolute rounding error on a small trace sent weights to overflow in our
first version) and it shrinks as the iterates settle. Entries that changed
by more than a factor 2 travel as 64-bit floats with their position (one
large change would otherwise stretch the range of a bit budget over all
the others: with 2 bits this derailed a CO2 fit), so the relative error of
a quantized entry is at most :math:`2/(2^b - 1)`. The values :math:`l_j` travel as 64-bit
floats (SQUAREM's monotone test and the reported history are exact). The
coordinator's broadcast is quantized the same way: each active weight as its
relative innovation on the weight last broadcast, an atom that was inactive
or changed by more than 25% (or whose rounding would not stay positive) as
a 64-bit float with its position, the support as an exact mask and the noise
as a float, so zeros stay exact; the MM then continues from the rounded
point, at which the agents computed the statistics (:func:`~.mm.mm_weights`
adopts the point a problem evaluated). That point can be slightly worse than
the previous iterate, so the objective is no longer monotone (measured at 3
bits: up to 262 rises in a run, each at most 4.9e-5 relative; none seen at
8 bits). Quantized statistics can be off just after a
large step (the error is a fraction of the innovation's range), enough to
stop at, or prune an atom from, a point that is not stationary: so a run
that stops with quantized statistics is confirmed with exact ones (64-bit
rounds, continuing the MM from there until the KKT rule holds on them;
see :class:`sparseopt.gp.SLIMKLRegressor`). Random roundings are seeded by
(seed, round, agent), so every backend gives the same result.
"""

import numpy as np

from sparseopt.solvers.admm.quantize import quantize, rounding_rng
from sparseopt.solvers.lmk.objective import NotPositiveDefinite

__all__ = ["DistributedProblem", "StatisticsAgent", "advance_statistics"]

_FLOAT_BITS = 64
_COORDINATOR = -1  # the quantizer stream index of the coordinator
# weights that changed by more than 25% travel as floats: the others' rounding error is
# then at most 0.5 / (2^b - 1) of their size (with the statistics' factor 2, one seed of
# 10 ended at another stationary point at 4 bits, gap 8.8e-3)
_WEIGHT_LIMIT = 0.25


def relative_message(values, reference, rng, options, positive=False, limit=1.0):
    """``values`` as received when sent as quantized relative innovations on
    ``reference`` (what the receiver holds; NaN: nothing).

    Entries with no reference, or that changed by more than a factor 2, or
    (``positive``) whose reconstruction would not be positive, travel as
    64-bit floats with their position; the others as
    ``reference * (1 + Q(values / reference - 1))`` (a zero reference stands
    for 1). Returns ``(received, bits)``.
    """
    scale = np.where(reference > 0, reference, 1.0)
    change = np.where(np.isnan(reference), np.nan, values / scale - 1.0)
    escaped = ~(np.abs(change) <= limit)  # NaN (no reference) escapes too
    n_bits = 0
    if not escaped.all():
        change[~escaped], n_bits = quantize(change[~escaped], rng, step=options["step"],
                                            bits=options["bits"])
    received = np.where(escaped, values, np.maximum(scale * (1.0 + change), 0.0))
    if positive:
        unsafe = (received <= 0) & (values > 0)
        received[unsafe] = values[unsafe]
        escaped |= unsafe
    position_bits = max(1, int(np.ceil(np.log2(max(values.size, 2)))))
    return received, n_bits + int(escaped.sum()) * (_FLOAT_BITS + position_bits)


class StatisticsAgent:
    """One agent of the statistics exchange: its local problem and what it last sent.

    Same constructor as :class:`sparseopt.solvers.admm.consensus.AgentState`
    (``start`` is unused), so that the pools of :mod:`sparseopt.solvers.admm.pools`
    host it; a new state is returned by every round (nothing is mutated).

    Parameters
    ----------
    local : LocalKernelProblem
        The agent's data part (its ``problem`` is an :class:`~.objective.LMKProblem`).
    index : int
        The agent's number (seeds its quantizer).
    start : ndarray
        Unused.
    options : dict
        ``step``, ``bits``, ``seed`` of the quantizer.
    """

    def __init__(self, local, index, start, options, sent=None, message=None, factors=None,
                 factors_round=None):
        self.local, self.index, self.start, self.options = local, index, start, options
        # the receiver's reconstruction of the statistics last sent, per entry of
        # (t_1..t_A, q_1..q_A, tr C^-1, ||beta||^2); NaN: never sent
        self.sent = sent
        self.message = message
        self.factors, self.factors_round = factors, factors_round  # the last factorisation

    def _next(self, sent, message, factors, factors_round):
        return StatisticsAgent(self.local, self.index, self.start, self.options, sent, message,
                               factors, factors_round)


def advance_statistics(state, request, round_index):
    """One round of an agent: answer the coordinator's ``request``.

    ``("point", weights, noise, exact)``: factorise :math:`C_j` at that point
    and send the statistics of the active atoms (``weights > 0``) and of the
    noise, quantized with the agent's options unless ``exact``;
    ``("atoms", index, round)``: send, as 64-bit floats, the statistics of the
    atoms ``index`` at the factorisation of that earlier round (the agent's
    last one). Returns the new :class:`StatisticsAgent`; its ``message`` is
    ``(statistics, value, bits sent)``: the reconstruction of ``(t[active],
    q[active], tr C^-1, ||beta||^2)`` and :math:`l_j` (None and inf if the
    covariance is not positive definite), or ``(t[index], q[index])`` and 0.
    """
    problem = state.local.problem
    n_atoms = state.local.means.shape[0]
    sent = np.full(2 * n_atoms + 2, np.nan) if state.sent is None else state.sent.copy()
    if request[0] == "atoms":
        _, index, at_round = request
        if state.factors is None or state.factors_round != at_round:
            raise RuntimeError(f"agent {state.index} was asked for statistics of round "
                               f"{at_round} but holds the factorisation of round "
                               f"{state.factors_round}")
        trace, quad, _, _ = problem.statistics(state.factors, index)
        sent[np.concatenate([index, n_atoms + index])] = np.concatenate([trace, quad])
        return state._next(sent, (np.concatenate([trace, quad]), 0.0,
                                  2 * _FLOAT_BITS * len(index)),
                           state.factors, state.factors_round)
    _, weights, noise, exact = request
    try:
        factors = problem.factors(weights, noise)
    except NotPositiveDefinite:
        return state._next(state.sent, (None, np.inf, _FLOAT_BITS), None, round_index)
    active = np.flatnonzero(weights > 0)
    trace, quad, noise_trace, noise_quad = problem.statistics(factors, active)
    statistics = np.concatenate([trace, quad, [noise_trace, noise_quad]])
    keys = np.concatenate([active, n_atoms + active, [2 * n_atoms, 2 * n_atoms + 1]])
    reference = sent[keys]
    options = state.options
    unquantized = options["step"] is None and options["bits"] is None
    if exact or unquantized or np.isnan(reference).any():  # as 64-bit floats
        received, n_bits = statistics, _FLOAT_BITS * statistics.size
    else:  # the relative innovation, quantized: each entry's error scales with it
        received, n_bits = relative_message(
            statistics, reference, rounding_rng(options["seed"], round_index, state.index),
            options)
    sent[keys] = received
    return state._next(sent, (received, problem.value(factors), n_bits + _FLOAT_BITS),
                       factors, round_index)


class _Round:
    """The summed statistics of one round (the 'factors' of :mod:`.mm`) and the
    ``weights`` the agents received."""

    def __init__(self, round_index, active, statistics, value, weights):
        k = active.size
        self.round_index, self.active, self.value = round_index, active, value
        self.weights = weights
        self.trace, self.quad = statistics[:k], statistics[k:2 * k]
        self.noise_trace, self.noise_quad = float(statistics[2 * k]), float(statistics[2 * k + 1])


class DistributedProblem:
    r"""The summed objective of the agents of a pool, one round per factorisation.

    Implements what :func:`~.mm.mm_weights` uses of :class:`~.objective.LMKProblem`
    (``factors``, ``value``, ``statistics``); pass it there. A round at a
    point brings the statistics of its active atoms; those of other atoms
    (:func:`~.mm.mm_weights` asks for the pruned ones when it checks the KKT
    conditions) take one more round, answered from the agents' last
    factorisation.

    Parameters
    ----------
    pool : SerialPool or DaskPool
        The agents, built with ``state=StatisticsAgent`` and
        ``step=advance_statistics``.
    n_atoms : int
        Number of atoms :math:`A`.
    quantizer : dict, optional
        ``step``, ``bits``, ``seed`` of the broadcast weights' quantizer
        (default: 64-bit floats).

    Attributes
    ----------
    exact : bool
        Exchange 64-bit weights and statistics (default False: the quantizers).
    rounds : int
        Rounds (broadcasts) so far.
    bits : int
        Bits sent so far: down, the active weights (quantized relative
        innovations, or 64-bit floats), the noise as a 64-bit float and the
        support as an :math:`A`-bit mask (or the atoms asked for as a mask and
        the round as an integer); up, the statistics and the values.
    bits_unquantized : int
        The same messages as 64-bit floats.
    """

    def __init__(self, pool, n_atoms, quantizer=None):
        self.pool, self.n_atoms = pool, n_atoms
        self.quantizer = quantizer
        self.rounds, self.bits, self.bits_unquantized = 0, 0, 0
        self.exact = False
        self._broadcast = np.full(n_atoms, np.nan)  # the agents' copy of the last weights

    def _exchange(self, request, down, up_floats, down_unquantized=None):
        messages = self.pool.advance(request, self.rounds)
        self.rounds += 1
        n_agents = self.pool.n_agents
        down_unquantized = down if down_unquantized is None else down_unquantized
        self.bits += n_agents * down + sum(message[2] for message in messages)
        self.bits_unquantized += n_agents * (down_unquantized + _FLOAT_BITS * up_floats)
        return messages

    def _send_weights(self, weights, active, round_index):
        """The weights the agents receive, and the bits of the active ones."""
        values = weights[active]
        if self.exact or self.quantizer is None:
            received, n_bits = values, _FLOAT_BITS * active.size
        else:
            received, n_bits = relative_message(
                values, self._broadcast[active],
                rounding_rng(self.quantizer["seed"], round_index, _COORDINATOR),
                self.quantizer, positive=True, limit=_WEIGHT_LIMIT)
        point = weights.copy()
        point[active] = received
        self._broadcast[:] = np.nan
        self._broadcast[active] = received
        return point, n_bits

    def factors(self, weights, noise):
        """Run one round at ``(weights, noise)`` (raises :class:`NotPositiveDefinite`);
        with a quantizer, at the rounded weights the agents receive (the
        returned factors' ``weights``)."""
        weights = np.asarray(weights, dtype=np.float64)
        active = np.flatnonzero(weights > 0)
        round_index = self.rounds
        point, weight_bits = self._send_weights(weights, active, round_index)
        messages = self._exchange(("point", point, float(noise), self.exact),
                                  weight_bits + _FLOAT_BITS + self.n_atoms,
                                  2 * active.size + 3,
                                  _FLOAT_BITS * (active.size + 1) + self.n_atoms)
        if any(message[0] is None for message in messages):
            raise NotPositiveDefinite(
                "an agent's covariance sum_i w_i K_i + noise I is not numerically positive "
                "definite; raise the noise (or its floor)")
        statistics = np.maximum(sum(message[0] for message in messages), 0.0)
        return _Round(round_index, active, statistics,
                      float(sum(message[1] for message in messages)), point)

    @staticmethod
    def value(factors):
        """:math:`l` summed over the agents (exact: the values travel as floats)."""
        return factors.value

    def statistics(self, factors, index=None):
        """``(trace, quad, noise_trace, noise_quad)`` summed over the agents."""
        index = np.arange(self.n_atoms) if index is None else np.asarray(index)
        position = np.full(self.n_atoms, -1)
        position[factors.active] = np.arange(factors.active.size)
        known = position[index] >= 0
        trace, quad = np.empty(index.size), np.empty(index.size)
        trace[known] = factors.trace[position[index[known]]]
        quad[known] = factors.quad[position[index[known]]]
        missing = index[~known]
        if missing.size:
            messages = self._exchange(("atoms", missing, factors.round_index),
                                      self.n_atoms + _FLOAT_BITS, 2 * missing.size)
            extra = sum(message[0] for message in messages)
            trace[~known], quad[~known] = extra[:missing.size], extra[missing.size:]
        return trace, quad, factors.noise_trace, factors.noise_quad

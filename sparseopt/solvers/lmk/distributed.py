r"""Distributed MM for the weights of a linear multiple kernel: agents send statistics.

Agents :math:`j = 1..N` each hold a data part and together minimise the
factorised objective (:mod:`.objective` with one part per agent)

.. math:: l(w, \sigma^2) = \sum_j y_j^\top C_j^{-1} y_j + \log\det C_j,
          \qquad C_j = \sigma^2 I + \sum_i w_i K_i^{(j)}.

Its MM step (:mod:`.mm`) needs only sums over the agents: per atom
:math:`t_i = \sum_j \operatorname{tr}(C_j^{-1} K_i^{(j)})` and :math:`q_i =
\sum_j \beta_j^\top K_i^{(j)} \beta_j`, and for the noise :math:`\sum_j
\operatorname{tr} C_j^{-1}` and :math:`\sum_j \|\beta_j\|^2`. So in each
round the coordinator broadcasts :math:`(w, \sigma^2)`, every agent
factorises its own :math:`C_j` and sends its statistics (:math:`2A + 2`
numbers) and its value :math:`l_j`, and the coordinator sums them and runs
:func:`~.mm.mm_weights` unchanged (SQUAREM, pruning, re-activation, the KKT
stopping rule): :class:`DistributedProblem` is the objective whose every
factorisation is one such round. Without quantization the iterates are
those of the centralised MM on the same parts (to rounding), so the method
reaches the centralised minimiser of the summed objective; data never leave
the agents.

With a quantizer (:mod:`sparseopt.solvers.admm.quantize`) an agent sends its
first statistics as 64-bit floats, then the unbiased stochastic rounding of
their *relative innovation* :math:`s / \hat s - 1` (:math:`\hat s` what it
last sent, which both sides keep), received as :math:`\hat s (1 + Q(s/\hat s
- 1))`: the error of each entry is a fraction of its own size (the
statistics span orders of magnitude, and the MM step divides them: an
absolute rounding error on a small trace sent weights to overflow in our
first version) and it shrinks as the iterates settle; with a bit budget the
reconstruction stays non-negative. The values :math:`l_j` travel as 64-bit
floats (SQUAREM's monotone test and the reported history are exact), and so
does the broadcast point: the MM update multiplies the weights, whose
zeros must stay exact. Quantized statistics can be off just after a
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

    def __init__(self, local, index, start, options, sent=None, message=None):
        self.local, self.index, self.start, self.options = local, index, start, options
        self.sent = sent  # the receiver's reconstruction of the last statistics sent
        self.message = message


def advance_statistics(state, weights, noise, exact, round_index):
    """One round of an agent: statistics of its objective at ``(weights, noise)``.

    Quantized with the agent's options unless ``exact`` (then sent as 64-bit floats).

    Returns the new :class:`StatisticsAgent`; its ``message`` is
    ``(statistics, value, bits sent)`` with ``statistics`` the reconstruction
    of ``(t_1..t_A, q_1..q_A, tr C^-1, ||beta||^2)`` (None, and ``value`` inf,
    if the agent's covariance is not positive definite).
    """
    problem = state.local.problem
    try:
        factors = problem.factors(weights, noise)
    except NotPositiveDefinite:
        return StatisticsAgent(state.local, state.index, state.start, state.options, state.sent,
                               (None, np.inf, _FLOAT_BITS))
    trace, quad, noise_trace, noise_quad = problem.statistics(factors)
    statistics = np.concatenate([trace, quad, [noise_trace, noise_quad]])
    options = state.options
    unquantized = options["step"] is None and options["bits"] is None
    if state.sent is None or exact or unquantized:  # the first statistics travel as floats
        sent, n_bits = statistics, _FLOAT_BITS * statistics.size
    else:  # the relative innovation, quantized: each entry's error scales with it
        scale = np.where(state.sent > 0, state.sent, 1.0)
        change, n_bits = quantize(statistics / scale - 1.0,
                                  rounding_rng(options["seed"], round_index, state.index),
                                  step=options["step"], bits=options["bits"])
        sent = np.maximum(scale * (1.0 + change), 0.0)
    return StatisticsAgent(state.local, state.index, state.start, options, sent,
                           (sent, problem.value(factors), n_bits + _FLOAT_BITS))


class _Round:
    """The summed statistics and value of one round (the 'factors' of :mod:`.mm`)."""

    def __init__(self, statistics, value):
        self.statistics, self.value = statistics, value


class DistributedProblem:
    r"""The summed objective of the agents of a pool, one round per factorisation.

    Implements what :func:`~.mm.mm_weights` uses of :class:`~.objective.LMKProblem`
    (``factors``, ``value``, ``statistics``); pass it there.

    Parameters
    ----------
    pool : SerialPool or DaskPool
        The agents, built with ``state=StatisticsAgent`` and
        ``step=advance_statistics``.
    n_atoms : int
        Number of atoms :math:`A`.

    Attributes
    ----------
    exact : bool
        Ask the agents for 64-bit statistics (default False: their quantizer).
    rounds : int
        Rounds (broadcasts) so far.
    bits : int
        Bits sent so far, up (statistics, values) and down (the point, as
        64-bit floats).
    bits_unquantized : int
        The same messages as 64-bit floats.
    """

    def __init__(self, pool, n_atoms):
        self.pool, self.n_atoms = pool, n_atoms
        self.rounds, self.bits, self.bits_unquantized = 0, 0, 0
        self.exact = False

    def factors(self, weights, noise):
        """Run one round at ``(weights, noise)`` (raises :class:`NotPositiveDefinite`)."""
        messages = self.pool.advance(np.asarray(weights, dtype=np.float64), float(noise),
                                     self.exact, self.rounds)
        self.rounds += 1
        n_agents, size = self.pool.n_agents, 2 * self.n_atoms + 2
        down = n_agents * _FLOAT_BITS * (self.n_atoms + 1)
        self.bits += down + sum(message[2] for message in messages)
        self.bits_unquantized += down + n_agents * _FLOAT_BITS * (size + 1)
        if any(message[0] is None for message in messages):
            raise NotPositiveDefinite(
                "an agent's covariance sum_i w_i K_i + noise I is not numerically positive "
                "definite; raise the noise (or its floor)")
        statistics = np.maximum(sum(message[0] for message in messages), 0.0)
        return _Round(statistics, float(sum(message[1] for message in messages)))

    @staticmethod
    def value(factors):
        """:math:`l` summed over the agents (exact: the values travel as floats)."""
        return factors.value

    def statistics(self, factors, index=None):
        """``(trace, quad, noise_trace, noise_quad)`` summed over the agents."""
        a = self.n_atoms
        trace, quad = factors.statistics[:a], factors.statistics[a:2 * a]
        if index is not None:
            trace, quad = trace[index], quad[index]
        return trace, quad, float(factors.statistics[2 * a]), float(factors.statistics[2 * a + 1])

"""The statistics exchange of distributed MM: exact sums, unbiased quantized messages."""

import numpy as np
import pytest

from sparseopt.solvers.admm.pools import SerialPool
from sparseopt.solvers.admm.quantize import rounding_rng
from sparseopt.solvers.lmk.atoms import SpectralAtoms
from sparseopt.solvers.lmk.distributed import (
    DistributedProblem,
    StatisticsAgent,
    advance_statistics,
    relative_message,
)
from sparseopt.solvers.lmk.local import LocalKernelProblem
from sparseopt.solvers.lmk.mm import _Point, mm_weights
from sparseopt.solvers.lmk.objective import LMKProblem, NotPositiveDefinite

MEANS = np.linspace(0.0, 1.2, 8)[:, None]
SCALES = np.full((8, 1), 0.1)


def _agents(bits=None, seed=0, n_agents=3, broadcast_bits=None):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0, 10, 90))[:, None]
    y = np.sin(2 * np.pi * 0.4 * X[:, 0]) + 0.3 * rng.standard_normal(90)
    parts = np.array_split(rng.permutation(90), n_agents)
    args = [(X[p], y[p], MEANS, SCALES, 0.1, False, 0.0, 1, 1) for p in parts]
    pool = SerialPool(LocalKernelProblem, args, None, {"step": None, "bits": bits, "seed": 7},
                      state=StatisticsAgent, step=advance_statistics)
    central = LMKProblem([(SpectralAtoms(X[p], MEANS, SCALES), y[p]) for p in parts])
    quantizer = None if broadcast_bits is None else {"step": None, "bits": broadcast_bits,
                                                     "seed": 11}
    return DistributedProblem(pool, 8, quantizer), central


def test_rounds_sum_the_agents_statistics_exactly():
    distributed, central = _agents()
    weights = np.linspace(0.05, 0.4, 8)
    mine = distributed.factors(weights, 0.2)
    exact = central.factors(weights, 0.2)
    assert distributed.value(mine) == pytest.approx(central.value(exact), rel=1e-13)
    for a, b in zip(distributed.statistics(mine, [1, 5]), central.statistics(exact, [1, 5]),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # down: 8 active weights and the noise, and the 8-bit support, to 3 agents; up: 16 + 2
    # statistics and the value from each
    assert distributed.bits == distributed.bits_unquantized == 3 * (64 * 9 + 8 + 64 * 19)
    assert distributed.rounds == 1
    # statistics of inactive atoms: one more round, from the same factorisation
    weights[[2, 6]] = 0.0
    mine = distributed.factors(weights, 0.2)
    exact = central.factors(weights, 0.2)
    before = distributed.bits
    for a, b in zip(distributed.statistics(mine), central.statistics(exact), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    assert distributed.rounds == 3
    assert distributed.bits - before == 3 * (8 + 64 + 64 * 4)  # mask and round; 2 x 2 floats
    distributed.factors(weights, 0.3)
    with pytest.raises(RuntimeError, match="holds the factorisation of round 3"):
        distributed.statistics(mine)


def test_mm_over_the_agents_is_the_centralised_mm():
    start = np.full(8, 0.1)
    distributed, central = _agents()
    # the same iterates (to rounding: the sums are taken in another order)...
    mine = mm_weights(distributed, start, 0.1, tol=0.0, max_iter=6)
    reference = mm_weights(central, start, 0.1, tol=0.0, max_iter=6)
    np.testing.assert_allclose(mine[2]["history"].objectives,
                               reference[2]["history"].objectives, rtol=1e-12)
    np.testing.assert_allclose(mine[0], reference[0], rtol=1e-9, atol=1e-15)
    assert distributed.rounds >= 7  # a round per point, SQUAREM's trial points too
    # ... and the same minimiser
    distributed, central = _agents()
    mine = mm_weights(distributed, start, 0.1, tol=1e-9, max_iter=5000)
    reference = mm_weights(central, start, 0.1, tol=1e-9, max_iter=5000)
    assert mine[2]["converged"] and reference[2]["converged"]
    assert mine[2]["objective"] == pytest.approx(reference[2]["objective"], rel=1e-10)
    np.testing.assert_allclose(mine[0], reference[0], rtol=1e-4, atol=1e-6)


def test_quantized_statistics_are_unbiased_relative_innovations():
    weights = np.linspace(0.05, 0.4, 8)
    moved = weights * np.linspace(0.5, 2.0, 8)
    received = []
    for seed in range(400):
        distributed, central = _agents(bits=2)
        for state in distributed.pool.states:
            state.options = {"step": None, "bits": 2, "seed": seed}
        distributed.factors(weights, 0.2)  # the first round: exact floats
        trace, quad, *noise = distributed.statistics(distributed.factors(moved, 0.2))
        received.append(np.concatenate([trace, quad, noise]))
    exact = central.statistics(central.factors(moved, 0.2))
    exact = np.concatenate([exact[0], exact[1], exact[2:]])
    received = np.array(received)
    assert np.all(received >= 0)
    spread = received.std(axis=0)
    assert np.sum(spread > 1e-3 * exact) >= 12  # really rounded (2 bits: 4 levels)
    # the mean of 400 messages is the exact sum, within 5 standard errors
    np.testing.assert_array_less(np.abs(received.mean(axis=0) - exact),
                                 5 * spread / 20 + 1e-10 * exact)


def test_an_agent_that_cannot_factorise_stops_the_round():
    distributed, _ = _agents()
    with pytest.raises(NotPositiveDefinite, match="agent's covariance"):
        distributed.factors(np.full(8, -5.0), 1e-3)


def test_a_large_change_does_not_stretch_the_quantizer_over_the_others():
    # a weight falling 100x raises some statistics by more than a factor 2: those
    # travel as floats; each quantized entry is within 2/(2^b - 1) of its reference
    moved = np.full(8, 0.1)
    weights = moved.copy()
    weights[3] = 10.0
    distributed, central = _agents(bits=2)
    first = distributed.statistics(distributed.factors(weights, 0.2))
    second = distributed.statistics(distributed.factors(moved, 0.2))
    exact = central.statistics(central.factors(moved, 0.2))
    reference = np.concatenate([first[0], first[1], first[2:]])
    received = np.concatenate([second[0], second[1], second[2:]])
    exact = np.concatenate([exact[0], exact[1], exact[2:]])
    assert np.any(np.abs(exact / reference - 1) > 1)  # some entries did change that much
    np.testing.assert_array_less(np.abs(received - exact), 2 / 3 * reference + 1e-12)


def test_quantized_broadcast_rounds_the_weights_and_the_agents_use_the_rounded_point():
    """With a quantizer the coordinator sends each active weight's relative
    innovation: new atoms and changes beyond 25% as floats, the others within
    0.5 / (2^b - 1) of their size, zeros exact; the statistics are those of the
    rounded point, which the factors carry (and the MM adopts)."""
    distributed, central = _agents(broadcast_bits=3)
    start = np.linspace(0.05, 0.4, 8)
    first = distributed.factors(start, 0.2)
    np.testing.assert_array_equal(first.weights, start)  # nothing sent before: floats
    # each first weight as a float with its 3-bit position, the noise, the 8-bit support
    down_floats = 3 * (8 * (64 + 3) + 64 + 8)
    assert distributed.bits == down_floats + 3 * 64 * 19
    moved = start * np.array([1.1, 0.9, 1.2, 0.8, 1.05, 2.0, 0.0, 1.01])
    second = distributed.factors(moved, 0.2)
    received = second.weights
    assert received[6] == 0.0 and received[5] == moved[5]  # pruned; beyond 25%: a float
    rounded = [0, 1, 2, 3, 4, 7]
    # really rounded (3 bits; the extremes of the range fall on the grid)
    assert np.sum(received[rounded] != moved[rounded]) >= 4
    np.testing.assert_array_less(np.abs(received[rounded] / moved[rounded] - 1),
                                 0.5 / 7 / 0.75 + 1e-12)
    exact = central.factors(received, 0.2)
    assert distributed.value(second) == pytest.approx(central.value(exact), rel=1e-12)
    np.testing.assert_allclose(distributed.statistics(second, [0, 2])[0],
                               central.statistics(exact, [0, 2])[0], rtol=1e-12)
    assert distributed.bits - down_floats < distributed.bits_unquantized - down_floats
    # an MM iterate is the point the agents evaluated
    again = moved * np.array([1.02, 0.97, 1.1, 0.93, 1.0, 1.05, 1.0, 0.99])
    point = _Point(distributed, again, 0.2)
    assert np.any(point.weights != again)
    np.testing.assert_array_equal(point.weights, point.factors.weights)
    assert point.objective == pytest.approx(central.objective(point.weights, 0.2), rel=1e-12)


def test_relative_message_sends_entries_without_a_reference_as_floats():
    """NaN reference (nothing sent before): a float with its position, even for a
    value near 1 (a zero reference stands for 1 only where one was sent)."""
    values = np.array([0.8, 1.1, 1.2, 0.9])
    reference = np.array([np.nan, np.nan, 1.0, 1.0])
    received, n_bits = relative_message(values, reference, rounding_rng(0, 0, 0),
                                        {"step": None, "bits": 3}, positive=True, limit=0.25)
    np.testing.assert_array_equal(received[:2], values[:2])
    assert n_bits >= 2 * (64 + 2)
    received, n_bits = relative_message(values, np.full(4, np.nan), rounding_rng(0, 0, 0),
                                        {"step": None, "bits": 3})
    np.testing.assert_array_equal(received, values)
    assert n_bits == 4 * (64 + 2)


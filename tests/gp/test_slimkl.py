"""SLIM-KL: consensus reaches the centralised optimum, backends agree, fusion rules."""

import os
import warnings

import numpy as np
import pytest

from sparseopt.gp import GSMPRegressor, SLIMKLRegressor
from sparseopt.gp._fusion import fuse_predictions
from sparseopt.solvers.lmk.atoms import SpectralAtoms
from sparseopt.solvers.lmk.mm import mm_weights, stationarity
from sparseopt.solvers.lmk.objective import LMKProblem
from sparseopt.solvers.lmk.sca import sca_weights

MEANS = np.array([0.0, 0.3, 0.7, 1.1, 1.6])[:, None]
SCALES = np.full((5, 1), 0.05)


def gsm_prior_data(seed=0, n=200, noise=0.1):
    """Draws from a GSM prior with five atoms, all active."""
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0, 10, n))[:, None]
    gram = SpectralAtoms(X, MEANS, SCALES).gram(np.array([1.0, 0.6, 0.3, 0.5, 0.2]))
    return X, np.linalg.cholesky(gram + noise * np.eye(n)) @ rng.standard_normal(n)


def _fit(**params):
    X, y = gsm_prior_data()
    defaults = dict(solver="admm", grid=(MEANS, SCALES), noise=0.1, normalize_y=False,
                    random_state=0, tol=1e-5, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SLIMKLRegressor(**{**defaults, **params}).fit(X, y), X, y


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow),
                                  pytest.param(2, marks=pytest.mark.slow)])
def test_agents_reach_the_centralised_minimiser(seed):
    X, y = gsm_prior_data(seed)
    model = SLIMKLRegressor(4, solver="admm", grid=(MEANS, SCALES), noise=0.1,
                            normalize_y=False, random_state=0, tol=1e-5, max_iter=300).fit(X, y)
    problem = LMKProblem([(SpectralAtoms(X[p], MEANS, SCALES), y[p])
                          for p in model.partitions_])
    _, _, central = mm_weights(problem, np.full(5, 0.2), 0.1, learn_noise=False, tol=1e-10,
                               max_iter=5000)
    value = problem.objective(model.weights_, 0.1)
    assert abs(value - central["objective"]) <= 1e-3 * abs(central["objective"])
    assert model.log_marginal_likelihood_ == pytest.approx(
        -0.5 * (value + len(y) * np.log(2 * np.pi)), rel=1e-10)


OVERLAPPING_MEANS = np.linspace(0.0, 1.6, 30)[:, None]  # 0.055 apart
OVERLAPPING_SCALES = np.full((30, 1), 0.08)  # wider than the spacing


def overlapping_grid_data(seed, n=240, noise=0.1):
    """Draws from a GSM prior on 30 overlapping atoms, 5 of them active."""
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0, 10, n))[:, None]
    weights = np.zeros(30)
    weights[rng.choice(30, 5, replace=False)] = rng.uniform(0.2, 1.0, 5)
    gram = SpectralAtoms(X, OVERLAPPING_MEANS, OVERLAPPING_SCALES).gram(weights)
    return X, np.linalg.cholesky(gram + noise * np.eye(n)) @ rng.standard_normal(n)


def _summed_problem(X, y, partitions):
    return LMKProblem([(SpectralAtoms(X[p], OVERLAPPING_MEANS, OVERLAPPING_SCALES), y[p])
                       for p in partitions])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 6])
def test_centralised_optimum_on_an_overlapping_grid_does_not_depend_on_the_start(seed):
    # the target of the ADMM is well defined: MM from equal and random starts and SCA
    # agree (measured spread over seeds 0-9: at most 6.3e-11 relative)
    X, y = overlapping_grid_data(seed)
    rng = np.random.default_rng(seed)
    problem = _summed_problem(X, y, np.array_split(rng.permutation(len(y)), 3))
    starts = [np.full(30, 0.03)] + [rng.uniform(0.001, 0.1, 30) for _ in range(2)]
    values = [mm_weights(problem, w, 0.1, learn_noise=False, tol=1e-10, max_iter=20000)[2][
        "objective"] for w in starts]
    values.append(sca_weights(problem, starts[0], 0.1, learn_noise=False, tol=1e-9,
                              max_iter=2000)[2]["objective"])
    assert np.ptp(values) <= 1e-8 * abs(values[0])


_OVERLAP_DEFECT = ("known defect (issue 18): on an overlapping grid the consensus ADMM does "
                   "not converge (gap to the centralised optimum 1.1e-5 to 5.0e-2 over seeds "
                   "0-9 after 1000 rounds, residuals stalled); see docs/user_guide/gp.rst")


@pytest.mark.slow
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=_OVERLAP_DEFECT)
def test_agents_reach_the_centralised_optimum_on_an_overlapping_grid():
    X, y = overlapping_grid_data(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SLIMKLRegressor(3, solver="admm", grid=(OVERLAPPING_MEANS, OVERLAPPING_SCALES),
                                noise=0.1, normalize_y=False, random_state=0, tol=1e-5,
                                max_iter=300).fit(X, y)
    problem = _summed_problem(X, y, model.partitions_)
    _, _, central = mm_weights(problem, np.full(30, 0.03), 0.1, learn_noise=False,
                               tol=1e-10, max_iter=20000)
    value = problem.objective(model.weights_, 0.1)
    assert abs(value - central["objective"]) <= 1e-3 * abs(central["objective"])


def _central_value(problem):
    # the centralised optimum by SCA, another solver than the MM under test (MM from four
    # starts and SCA agree to 6.3e-11 on seeds 0-9: see the test above)
    return sca_weights(problem, np.full(30, 0.03), 0.1, learn_noise=False, tol=1e-9,
                       max_iter=2000)[2]["objective"]


def _overlapping_fit(seed, **params):
    X, y = overlapping_grid_data(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it must converge: no ConvergenceWarning
        model = SLIMKLRegressor(3, solver="mm", grid=(OVERLAPPING_MEANS, OVERLAPPING_SCALES),
                                noise=0.1, normalize_y=False, random_state=0, tol=1e-5,
                                max_iter=3000, **params).fit(X, y)
    return model, _summed_problem(X, y, model.partitions_), y


# measured (seeds 0-9, 3 agents, tol=1e-5): gap 1.7e-6 .. 8.7e-5, 565-1988 rounds; 8-bit
# messages (relative innovations of statistics and weights): gap <= 1.5e-4, 510-2000 rounds,
# 2.1-2.8x fewer bits
_DEFAULT_RUNS = {(0, None), (1, None), (0, 8)}  # the rest of seeds 0-9 in the slow run


@pytest.mark.parametrize("seed, bits", [
    (seed, bits) if (seed, bits) in _DEFAULT_RUNS
    else pytest.param(seed, bits, marks=pytest.mark.slow)
    for bits in (None, 8) for seed in range(10)])
def test_mm_agents_reach_the_centralised_optimum_on_an_overlapping_grid(seed, bits):
    model, problem, y = _overlapping_fit(seed, quantization_bits=bits)
    value = problem.objective(model.weights_, 0.1)
    central = _central_value(problem)
    assert abs(value - central) <= 1e-3 * abs(central)
    assert model.log_marginal_likelihood_ == pytest.approx(
        -0.5 * (value + len(y) * np.log(2 * np.pi)), rel=1e-10)
    assert model.history_.objectives[-1] == pytest.approx(value, rel=1e-10)
    if bits is None:
        assert model.bits_communicated_ == model.bits_unquantized_
    else:  # statistics and weights travel at 8 bits, the values and the noise at 64
        assert model.bits_communicated_ < 0.5 * model.bits_unquantized_


def test_mm_decreases_the_summed_objective_monotonically():
    model, problem, _ = _overlapping_fit(0)
    objectives = model.history_.objectives
    assert len(objectives) > 100
    assert np.all(np.diff(objectives) <= 1e-12 * np.abs(objectives[1:]))
    assert model.n_iter_ >= len(objectives) - 1  # one round per point, SQUAREM trials too


def test_mm_with_3_bit_statistics_reaches_the_exact_run():
    exact, X, y = _fit(n_agents=3, solver="mm", max_iter=2000)
    coarse, *_ = _fit(n_agents=3, solver="mm", max_iter=2000, quantization_bits=3)
    assert coarse.log_marginal_likelihood_ == pytest.approx(exact.log_marginal_likelihood_,
                                                            rel=1e-6)
    np.testing.assert_allclose(coarse.weights_, exact.weights_, rtol=1e-2, atol=1e-4)
    assert exact.bits_communicated_ == exact.bits_unquantized_
    assert coarse.bits_communicated_ < 0.6 * coarse.bits_unquantized_


@pytest.mark.parametrize("seed, bits", [(0, 3), (5, 4)])
def test_a_stop_on_quantized_statistics_is_confirmed_on_exact_ones(seed, bits):
    """The returned point meets the stopping rule (stationarity <= tol) on exact
    statistics, recomputed here from the agents' parts. Without the 64-bit
    confirmation rounds these two runs stop at 1.01e-5 and 1.41e-5 (tol 1e-5;
    measured over 2-4 bits and seeds 0-5: 4 of 18 runs above tol without it, none
    with it)."""
    model, problem, _ = _overlapping_fit(seed, quantization_bits=bits)
    weights = model.weights_
    active = np.flatnonzero(weights > 0)
    trace, quad, _, _ = problem.statistics(problem.factors(weights, 0.1), active)
    assert stationarity(weights[active], trace, quad) <= 1e-5


def test_mm_with_one_agent_is_the_single_agent_mm():
    X, y = gsm_prior_data()
    params = dict(grid=(MEANS, SCALES), tol=1e-6, random_state=0)
    model = SLIMKLRegressor(1, solver="mm", **params).fit(X, y)  # noise learned
    single = GSMPRegressor(solver="mm", **params).fit(X, y)
    np.testing.assert_allclose(model.weights_, single.weights_, rtol=1e-10, atol=1e-14)
    assert model.noise_variance_ == pytest.approx(single.noise_variance_, rel=1e-10)
    assert model.log_marginal_likelihood_ == pytest.approx(single.log_marginal_likelihood_,
                                                           rel=1e-12)
    np.testing.assert_allclose(model.predict(X[:10]), single.predict(X[:10]), rtol=1e-9)


def test_mm_shares_one_learned_noise_across_agents():
    X, y = gsm_prior_data()
    model = SLIMKLRegressor(3, solver="mm", grid=(MEANS, SCALES), tol=1e-6,
                            random_state=0).fit(X, y)
    problem = LMKProblem([(SpectralAtoms(X[p], MEANS, SCALES), (y[p] - y.mean()) / y.std())
                          for p in model.partitions_])
    central = mm_weights(problem, np.full(5, 0.18), 0.1, tol=1e-10, max_iter=5000)
    np.testing.assert_allclose(model.local_noise_variances_, model.noise_variance_)
    assert model.noise_variance_ / y.var() == pytest.approx(central[1], rel=1e-3)
    np.testing.assert_allclose(model.weights_, central[0], rtol=1e-2, atol=1e-4)


def test_one_agent_is_the_single_agent_solver():
    model, X, y = _fit(n_agents=1)
    single = GSMPRegressor(grid=(MEANS, SCALES), noise=0.1, normalize_y=False, solver="sca",
                           tol=1e-5).fit(X, y)
    np.testing.assert_allclose(model.weights_, single.weights_, rtol=1e-4, atol=1e-6)
    assert model.log_marginal_likelihood_ == pytest.approx(single.log_marginal_likelihood_,
                                                           rel=1e-7)
    np.testing.assert_allclose(model.predict(X[:10]), single.predict(X[:10]), rtol=1e-5)


def test_quantization_saves_bits_at_little_cost():
    exact, X, y = _fit(n_agents=3)
    coarse, *_ = _fit(n_agents=3, quantization_bits=6)
    assert exact.bits_communicated_ == exact.bits_unquantized_
    # per message: 5 weights x 6 bits + 128 (offset, step) + 64 (the objective value),
    # against 5 x 64 + 64 unquantized, up and down
    per_round = 3 * 2 * (5 * 6 + 128 + 64)
    assert coarse.bits_communicated_ == per_round * coarse.n_iter_
    assert coarse.n_iter_ <= 2 * exact.n_iter_
    assert coarse.log_marginal_likelihood_ == pytest.approx(exact.log_marginal_likelihood_,
                                                            rel=1e-3)


def test_fusion_rules_by_hand():
    means = np.array([[1.0, 0.0], [3.0, 2.0]])
    variances = np.array([[1.0, 4.0], [0.5, 4.0]])
    prior = 4.0
    mean, variance = fuse_predictions(means, variances, prior, "poe")
    np.testing.assert_allclose(variance, [1 / 3, 2.0])
    np.testing.assert_allclose(mean, [(1 + 6) / 3, 1.0])
    mean, variance = fuse_predictions(means, variances, prior, "bcm")
    np.testing.assert_allclose(variance, [1 / (3 - 0.25), 4.0])
    beta = 0.5 * np.log(prior / variances[:, 0])  # gPoE / rBCM weights at the first point
    mean, variance = fuse_predictions(means, variances, prior, "rbcm")
    precision = beta[0] / 1.0 + beta[1] / 0.5 + (1 - beta.sum()) / prior
    np.testing.assert_allclose(variance[0], 1 / precision)
    np.testing.assert_allclose(mean[0], (beta[0] * 1.0 + beta[1] * 6.0) / precision)
    np.testing.assert_allclose(variance[1], 4.0)  # no information: the prior
    mean, variance = fuse_predictions(means, variances, prior, "gpoe")
    normalised = beta / beta.sum()
    np.testing.assert_allclose(variance[0], 1 / (normalised[0] + 2 * normalised[1]))
    assert variances[1, 0] < variance[0] < variances[0, 0]


@pytest.mark.parametrize("solver", ["admm", "mm"])
def test_dask_backend_equals_serial(solver):
    distributed = pytest.importorskip("distributed")
    serial, X, y = _fit(n_agents=3, quantization_bits=5, max_iter=25, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                dask, *_ = _fit(n_agents=3, quantization_bits=5, max_iter=25, backend="dask",
                                client=client, solver=solver)
    np.testing.assert_allclose(dask.weights_, serial.weights_, rtol=1e-12, atol=1e-15)
    assert dask.bits_communicated_ == serial.bits_communicated_
    assert dask.n_iter_ == serial.n_iter_ > 1
    np.testing.assert_allclose(dask.predict(X), serial.predict(X), rtol=1e-12)


def _kill_a_worker_at_round(round_to_kill):
    """Make DaskPool kill one worker process (abruptly) when that round starts."""
    from sparseopt.solvers.admm import pools

    original = pools.DaskPool.advance

    def advance(self, *args):  # the round index comes last
        if args[-1] == round_to_kill:
            victim = sorted(self.client.scheduler_info()["workers"])[0]
            self.client.run(os._exit, 1, workers=[victim], on_error="ignore")
        return original(self, *args)

    return advance


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["admm", "mm"])
def test_a_worker_lost_mid_run_gives_the_same_model_or_a_clear_error(monkeypatch, solver):
    distributed = pytest.importorskip("distributed")
    from sparseopt.solvers.admm import pools

    serial, X, y = _fit(n_agents=2, quantization_bits=5, max_iter=8, tol=0.0, solver=solver)
    monkeypatch.setattr(pools.DaskPool, "advance", _kill_a_worker_at_round(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                try:
                    dask, *_ = _fit(n_agents=2, quantization_bits=5, max_iter=8, tol=0.0,
                                    backend="dask", client=client, solver=solver)
                except pools.AgentLost as error:  # recomputation failed: said clearly
                    assert "worker was lost" in str(error)
                else:  # recomputed from the task graph: exactly the serial model
                    np.testing.assert_allclose(dask.weights_, serial.weights_, rtol=1e-12)


def test_bad_input():
    X, y = gsm_prior_data()
    with pytest.raises(ValueError, match="at most one of quantization_step"):
        SLIMKLRegressor(quantization_step=0.1, quantization_bits=4).fit(X, y)
    with pytest.raises(ValueError, match="at least two each"):
        SLIMKLRegressor(n_agents=101).fit(X, y)
    with pytest.raises(ValueError, match="with solver='mm' give quantization_bits"):
        SLIMKLRegressor(quantization_step=0.1).fit(X, y)
    with pytest.raises(ValueError, match="'solver' parameter of SLIMKLRegressor"):
        SLIMKLRegressor(solver="sca").fit(X, y)
    with pytest.raises(ValueError, match="needs a Dask client"):
        SLIMKLRegressor(backend="dask", n_components=10).fit(X, y)

"""Quantized consensus ADMM: the quantizer, convergence on references, backends."""

import warnings

import numpy as np
import pytest
from scipy.optimize import nnls

from sparseopt.solvers.admm.consensus import consensus_admm
from sparseopt.solvers.admm.pools import SerialPool
from sparseopt.solvers.admm.quantize import quantize

OPTIONS = {"step": None, "bits": None, "seed": 0}


@pytest.mark.parametrize("step, bits", [(0.3, None), (None, 3)])
def test_quantizer_is_unbiased_and_within_one_step(step, bits):
    rng = np.random.default_rng(0)
    x = np.array([-1.234, 0.0, 0.05, 0.4, 2.71828])
    # one message of 1e5 copies: the same offset and step as x alone
    draws = quantize(np.tile(x, 100_000), rng, step=step, bits=bits)[0].reshape(-1, x.size)
    delta = step if step is not None else np.ptp(x) / (2 ** bits - 1)
    assert np.all(np.abs(draws - x) < delta)
    # the mean of 1e5 draws is within 5 standard errors of x (std <= delta / 2)
    assert np.all(np.abs(draws.mean(axis=0) - x) < 5 * (delta / 2) / np.sqrt(len(draws)))
    levels = np.round((draws - (0.0 if step else x.min())) / delta)
    np.testing.assert_allclose(draws, (0.0 if step else x.min()) + levels * delta, atol=1e-12)


def test_bits_of_a_message():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 50)
    assert quantize(x, rng)[1] == 64 * 50
    assert quantize(x, rng, bits=4)[1] == 4 * 50 + 128
    q, n_bits = quantize(x, rng, step=0.1)  # 11 levels: 4 bits
    assert n_bits == 4 * 50 + 128 and set(np.round(q / 0.1)) <= set(range(11))


class QuadraticAgent:
    """f_j(x) = 1/2 ||A_j x - b_j||^2 over x >= 0, solved exactly (NNLS)."""

    def __init__(self, A, b):
        self.A, self.b = A, b

    def solve(self, center, multipliers, rho, start):
        d = len(center)
        stacked = np.vstack([self.A, np.sqrt(rho) * np.eye(d)])
        target = np.concatenate([self.b, np.sqrt(rho) * (center - multipliers / rho)])
        x, _ = nnls(stacked, target)
        return x, 0.5 * np.sum((self.A @ x - self.b) ** 2)

    def objective(self, theta, local):
        return 0.5 * np.sum((self.A @ theta - self.b) ** 2)


def _quadratic_parts(seed=0, n_agents=4, d=8):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((15, d)), rng.standard_normal(15)) for _ in range(n_agents)]


def test_converges_to_the_centralised_nnls_solution():
    parts = _quadratic_parts()
    pool = SerialPool(QuadraticAgent, parts, np.zeros(8), OPTIONS)
    theta, info = consensus_admm(pool, np.zeros(8), tol=1e-9, max_iter=3000)
    exact, _ = nnls(np.vstack([A for A, _ in parts]), np.concatenate([b for _, b in parts]))
    assert info["converged"]
    np.testing.assert_allclose(theta, exact, atol=1e-6)
    assert info["bits"] == info["bits_unquantized"]  # no quantization


def test_quantized_innovations_still_converge_and_save_bits():
    parts = _quadratic_parts(1)
    exact, _ = nnls(np.vstack([A for A, _ in parts]), np.concatenate([b for _, b in parts]))
    pool = SerialPool(QuadraticAgent, parts, np.zeros(8), {**OPTIONS, "bits": 6})
    theta, info = consensus_admm(pool, np.zeros(8), tol=1e-7, max_iter=3000, bits=6)
    np.testing.assert_allclose(theta, exact, atol=1e-4)
    assert info["bits"] < info["bits_unquantized"] / 2


def test_dask_pool_equals_serial_pool():
    distributed = pytest.importorskip("distributed")
    from sparseopt.solvers.admm.pools import DaskPool

    parts = _quadratic_parts(2, n_agents=3)
    options = {**OPTIONS, "bits": 5, "seed": 7}
    serial = consensus_admm(SerialPool(QuadraticAgent, parts, np.zeros(8), options),
                            np.zeros(8), bits=5, seed=7, max_iter=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                pool = DaskPool(client, QuadraticAgent, parts, np.zeros(8), options)
                dask = consensus_admm(pool, np.zeros(8), bits=5, seed=7, max_iter=40)
                pool.close()
    np.testing.assert_allclose(dask[0], serial[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(dask[1]["history"].objectives,
                                  serial[1]["history"].objectives)

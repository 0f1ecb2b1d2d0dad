"""Gaussian processes with a sparse grid spectral mixture kernel (Suwandi et al.).

- ``CO2Forecast``: ``GSMPRegressor`` (500 atoms, MM) against scikit-learn's
  ``GaussianProcessRegressor`` with ``C * RBF + WhiteKernel`` (the anchor of the
  issue) on the weekly Mauna Loa CO2 record: first 1000 weeks, train on 900,
  forecast the last 100. Time and peak memory of a fit, test MSE and MNLP
  (mean negative log predictive density), both recomputed here from the
  predictions.
- ``SubproblemSolver``: the SCA subproblem (n = 200, A = 100) by projected
  Newton against cvxpy (Clarabel), and the relative objective gap between them.
- ``SlimklEngine``: SLIM-KL rounds with the serial and the Dask backend
  (``LocalCluster(processes=False)``, 2 agents of 1000 points): the ratio is the
  engine's overhead (the paper's ADMM).
- ``SlimklGap``: relative gap of SLIM-KL's returned weights to the centralised
  minimiser of the summed objective (SCA on the agents' parts), 3 agents on a
  grid of 30 overlapping atoms, for the statistics-exchanging MM (default) and
  the paper's consensus ADMM; rounds are tracked too.

Single thread; nothing is compiled with numba in this family (NumPy/LAPACK).
"""

import warnings

import numpy as np

from sparseopt.datasets import load_co2
from sparseopt.gp import GSMPRegressor, SLIMKLRegressor
from sparseopt.solvers.lmk.atoms import SpectralAtoms
from sparseopt.solvers.lmk.objective import LMKProblem
from sparseopt.solvers.lmk.reference import reference_subproblem
from sparseopt.solvers.lmk.sca import sca_weights
from sparseopt.solvers.lmk.subproblem import solve_subproblem

from .common import Benchmark


def co2_split():
    co2 = load_co2()
    X, y = co2.time[:1000, None], co2.data[:1000]
    return X[:900], y[:900], X[900:], y[900:]


def make_co2_model(implementation):
    if implementation == "sklearn":
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, WhiteKernel
        from sklearn.gaussian_process.kernels import ConstantKernel as C

        return GaussianProcessRegressor(C(1.0) * RBF(10.0) + WhiteKernel(1.0),
                                        normalize_y=True, random_state=0)
    if implementation == "sparseopt-periodogram":
        return GSMPRegressor(500, grid="periodogram")
    return GSMPRegressor(500)


def forecast_quality(model, X_test, y_test):
    """``(MSE, MNLP)`` of the predictive distribution (noise included)."""
    mean, std = model.predict(X_test, return_std=True)
    mse = float(np.mean((mean - y_test) ** 2))
    mnlp = float(np.mean(0.5 * np.log(2 * np.pi * std ** 2)
                         + 0.5 * (y_test - mean) ** 2 / std ** 2))
    return mse, mnlp


class CO2Forecast(Benchmark):
    """GSMPRegressor(500) (uniform grid, and with the periodogram's two peaks) vs sklearn
    RBF+White GPR on CO2 (targets: MSE <= 1, MNLP <= 1, time <= 2x)."""

    params = (["sparseopt", "sparseopt-periodogram", "sklearn"],)
    param_names = ["implementation"]
    repeat = (1, 3, 300.0)

    def setup_cache(self):
        X, y, X_test, y_test = co2_split()
        quality = {}
        for implementation in self.params[0]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make_co2_model(implementation).fit(X, y)
            quality[implementation] = forecast_quality(model, X_test, y_test)
        return (X, y), quality

    def setup(self, cache, implementation):
        self.single_thread()
        (self.X, self.y), quality = cache
        self.mse, self.mnlp = quality[implementation]
        self.implementation = implementation

    def time_fit(self, cache, implementation):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_co2_model(implementation).fit(self.X, self.y)

    def peakmem_fit(self, cache, implementation):
        """Peak memory of a fit: O(n^2 + nA) for the atoms, never A n^2."""
        self.time_fit(cache, implementation)

    def track_test_mse(self, cache, implementation):
        return self.mse

    def track_test_mnlp(self, cache, implementation):
        return self.mnlp


def subproblem_instance(n=200, n_atoms=100, seed=0):
    """A GSM-prior draw, its atoms and the linearisation at equal weights."""
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(0, 20, n))[:, None]
    means = np.linspace(0, 1.5, n_atoms)[:, None]
    scales = np.full((n_atoms, 1), 0.05)
    atoms = SpectralAtoms(X, means, scales)
    truth = np.zeros(n_atoms)
    truth[rng.choice(n_atoms, 5, replace=False)] = rng.uniform(0.3, 1.0, 5)
    y = np.linalg.cholesky(atoms.gram(truth) + 0.1 * np.eye(n)) @ rng.standard_normal(n)
    problem = LMKProblem([(atoms, y)])
    start = np.full(n_atoms, 1.0 / n_atoms)
    trace, _, _, _ = problem.statistics(problem.factors(start, 0.1))
    return problem, atoms, X, y, start, trace


class SubproblemSolver(Benchmark):
    """SCA subproblem at n=200, A=100: projected Newton vs cvxpy (target: >= 50x faster)."""

    params = (["sparseopt", "cvxpy"],)
    param_names = ["implementation"]
    repeat = (1, 3, 120.0)

    def setup(self, implementation):
        self.single_thread()
        self.problem, atoms, X, self.y, self.start, self.linear = subproblem_instance()
        if implementation == "cvxpy":
            self.dense = [atoms.gram(np.eye(atoms.n_atoms)[i]) for i in range(atoms.n_atoms)]
        self.implementation = implementation

    def solve(self):
        if self.implementation == "cvxpy":
            weights, _ = reference_subproblem(self.dense, self.y, 0.1, self.linear)
            return weights
        weights, _, _ = solve_subproblem(self.problem, self.start, 0.1, self.linear,
                                         free=np.arange(self.start.size))
        return weights

    def time_solve(self, implementation):
        self.solve()

    def track_relative_objective_gap(self, implementation):
        """(F(w) - F*) / |F*|, F recomputed here, F* the best of both solvers."""
        def value(weights):
            factors = self.problem.factors(weights, 0.1)
            return factors[0].datafit + float(self.linear @ weights)

        mine = value(self.solve())
        other = SubproblemSolver()
        other.problem, other.y, other.start, other.linear = (self.problem, self.y, self.start,
                                                             self.linear)
        if self.implementation == "cvxpy":
            other.implementation = "sparseopt"
        else:
            atoms = self.problem.parts[0][0]
            other.dense = [atoms.gram(np.eye(atoms.n_atoms)[i]) for i in range(atoms.n_atoms)]
            other.implementation = "cvxpy"
        best = min(mine, value(other.solve()))
        return (mine - best) / abs(best)


class SlimklEngine(Benchmark):
    """SLIM-KL, 2 agents x 1000 points, 3 rounds: serial vs Dask (target: <= 10% overhead)."""

    params = (["serial", "dask"],)
    param_names = ["backend"]
    repeat = (1, 3, 300.0)

    def setup(self, backend):
        self.single_thread()
        rng = np.random.default_rng(0)
        t = np.arange(2000.0)
        self.X = t[:, None]
        self.y = (np.sin(2 * np.pi * t / 50) + 0.5 * np.cos(2 * np.pi * t / 13)
                  + 0.1 * rng.standard_normal(t.size))
        self.client = self.cluster = None
        if backend == "dask":
            from distributed import Client, LocalCluster

            self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        self.model = SLIMKLRegressor(2, solver="admm", n_components=60, max_iter=3, tol=0.0,
                                     backend=backend, client=self.client, random_state=0)

    def teardown(self, backend):
        if self.client is not None:
            self.client.close()
            self.cluster.close()
        super().teardown(backend)

    def time_fit(self, backend):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.fit(self.X, self.y)


class SlimklGap(Benchmark):
    """SLIM-KL vs the centralised optimum on an overlapping grid (seed 0 of the tests)."""

    params = (["mm", "admm"],)
    param_names = ["solver"]
    timeout = 300.0

    def setup(self, solver):
        self.single_thread()
        means, scales = np.linspace(0.0, 1.6, 30)[:, None], np.full((30, 1), 0.08)
        rng = np.random.default_rng(0)  # 240 draws of a prior with 5 of the 30 atoms active
        X = np.sort(rng.uniform(0, 10, 240))[:, None]
        weights = np.zeros(30)
        weights[rng.choice(30, 5, replace=False)] = rng.uniform(0.2, 1.0, 5)
        gram = SpectralAtoms(X, means, scales).gram(weights)
        y = np.linalg.cholesky(gram + 0.1 * np.eye(240)) @ rng.standard_normal(240)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ADMM stops at max_iter
            self.model = SLIMKLRegressor(3, solver=solver, grid=(means, scales), noise=0.1,
                                         normalize_y=False, tol=1e-5, max_iter=1000,
                                         random_state=0).fit(X, y)
        problem = LMKProblem([(SpectralAtoms(X[p], means, scales), y[p])
                              for p in self.model.partitions_])
        central = sca_weights(problem, np.full(30, 0.03), 0.1, learn_noise=False, tol=1e-9,
                              max_iter=2000)[2]["objective"]
        mine = problem.objective(self.model.weights_, 0.1)
        self.gap = (mine - central) / abs(central)

    def track_relative_gap(self, solver):
        return self.gap

    def track_rounds(self, solver):
        return self.model.n_iter_

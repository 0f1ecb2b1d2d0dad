"""DAG estimation: sparseopt's CoLiDE / DAGMA against the ``dagma`` package.

``dagma`` declares torch as a dependency but ``dagma.linear`` only needs
numpy/scipy (plus python-igraph and tqdm): ``pip install --no-deps dagma
python-igraph tqdm``. Without it the anchor rows are skipped.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning

from sparseopt.dag import (
    ColideEV,
    ColideNV,
    DagmaLinear,
    simulate_dag,
    simulate_sem,
    simulate_weights,
    structural_hamming_distance,
)

from .common import Benchmark, is_installed

SCHEDULE = {"lambda1": 0.05, "T": 4, "mu_init": 1.0, "mu_factor": 0.1, "s": [1.0, 0.9, 0.8, 0.7],
            "warm_iter": 20000, "max_iter": 70000, "lr": 3e-4}


def er_problem(d, degree, seed, variance=1.0):
    B = simulate_dag(d, degree * d, "ER", random_state=seed)
    X = simulate_sem(simulate_weights(B, random_state=seed), 1000, variances=variance,
                     random_state=seed)
    return B, X


def fit(implementation, X):
    if implementation == "dagma":
        import os

        os.environ.setdefault("TQDM_DISABLE", "1")
        from dagma.linear import DagmaLinear as Official

        return Official(loss_type="l2").fit(X.copy(), w_threshold=0.3,
                                            **{**SCHEDULE, "s": list(SCHEDULE["s"])})
    estimator = {"ColideEV": ColideEV, "ColideNV": ColideNV, "DagmaLinear": DagmaLinear}[
        implementation](**SCHEDULE)
    return estimator.fit(X).adjacency_


class FitER2(Benchmark):
    """Whole fit (the paper's schedule), ER2 graphs, n = 1000, Gaussian EV noise."""

    params = (["ColideEV", "DagmaLinear", "dagma"], [20, 50])
    param_names = ["implementation", "d"]
    timeout = 900
    repeat = (1, 3, 120.0)

    def setup(self, implementation, d):
        if implementation == "dagma" and not is_installed("dagma"):
            raise NotImplementedError("dagma is not installed")
        self.single_thread()
        self.B, self.X = er_problem(d, 2, seed=0)
        if implementation != "dagma":
            fit(implementation, self.X[:50, :4])  # compile

    def time_fit(self, implementation, d):
        fit(implementation, self.X)

    def track_shd(self, implementation, d):
        return structural_hamming_distance(self.B, fit(implementation, self.X))

    track_shd.unit = "SHD"


class StepTime(Benchmark):
    """Time of 500 Adam steps (one stage), to read the per-iteration cost."""

    params = ([20, 50, 100, 200],)
    param_names = ["d"]

    def setup(self, d):
        self.single_thread()
        _, self.X = er_problem(d, 2, seed=0)
        self.model = ColideEV(T=1, warm_iter=500, max_iter=500, tol=0.0)
        self.fit(self.X[:, :4])  # compile

    def fit(self, X):
        with warnings.catch_warnings():  # tol = 0: the stage always runs out of steps
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X)

    def time_500_steps(self, d):
        self.fit(self.X)


class NoiseRobustness(Benchmark):
    """The paper's claim: with lambda1 fixed, CoLiDE-EV's SHD varies less with the
    noise variance (0.5, 1, 2, 5, 10; ER4, d = 50) than DAGMA's: SHD range."""

    params = (["ColideEV", "DagmaLinear"],)
    param_names = ["implementation"]
    timeout = 1800
    repeat = (1, 1, 0.0)
    number = 1

    def track_shd_range(self, implementation):
        shds = []
        for variance in (0.5, 1.0, 2.0, 5.0, 10.0):
            B, X = er_problem(50, 4, seed=0, variance=variance)
            shds.append(structural_hamming_distance(B, fit(implementation, X)))
        return max(shds) - min(shds)

    track_shd_range.unit = "SHD range"

"""Optimal transport: sparseopt against POT on the same problems.

problem(n): source N(0, I2), target N(1, I2), squared Euclidean cost divided
by its maximum, uniform weights, entropic eps = 1e-2 * median cost, seeds 0
and 1. Marginal errors are L1 over both marginals, for every solver.
"""

import warnings

import numpy as np

from sparseopt.ot import qrot, sinkhorn_log, sinkhorn_newton_sparse, sparsity_constrained_ot
from sparseopt.solvers.ot.duals import dual_objective

from .common import Benchmark


def problem(n, seed):
    import ot

    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    a = np.full(n, 1.0 / n)
    return a, a.copy(), M


def marginal_error(plan, a, b):
    return float(np.abs(np.asarray(plan.sum(axis=1)).ravel() - a).sum()
                 + np.abs(np.asarray(plan.sum(axis=0)).ravel() - b).sum())


def warm_up():
    a, b, M = problem(30, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sinkhorn_newton_sparse(a, b, M, 0.01, newton="always")
        sinkhorn_log(a, b, M, 0.05, max_iter=5)
        qrot(a, b, M, 0.5)
        sparsity_constrained_ot(a, b, M, 0.5, 3, max_iter=5)
        sparsity_constrained_ot(a, b, M, 0.5, 3, formulation="semi_dual", max_iter=5)


class EntropicSolve(Benchmark):
    """Whole entropic solve to marginal error 1e-8: SNS against POT's plain
    Sinkhorn. POT stops on the L2 norm of the column error: ``stopThr = 1e-8 /
    sqrt(n)`` is the loosest threshold that still guarantees an L1 error of
    1e-8 (``track_marginal_error`` shows what each reached)."""

    params = (["sparseopt_sns", "pot_sinkhorn"], [500, 2000], [0, 1])
    param_names = ["implementation", "n", "seed"]
    timeout = 900
    repeat = (1, 3, 300.0)

    def setup(self, implementation, n, seed):
        self.single_thread()
        warm_up()
        self.a, self.b, self.M = problem(n, seed)
        self.reg = 1e-2 * np.median(self.M)

    def solve(self, implementation):
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if implementation == "sparseopt_sns":
                return sinkhorn_newton_sparse(self.a, self.b, self.M, self.reg, tol=1e-8)
            return ot.sinkhorn(self.a, self.b, self.M, self.reg, numItermax=200_000,
                               stopThr=1e-8 / np.sqrt(len(self.a)))

    def time_solve(self, implementation, n, seed):
        self.solve(implementation)

    def track_marginal_error(self, implementation, n, seed):
        return marginal_error(self.solve(implementation), self.a, self.b)

    track_marginal_error.unit = "L1 marginal error"


class LogSinkhornIteration(Benchmark):
    """One log-domain Sinkhorn iteration (sweep), n = 500 and 2000."""

    params = (["sparseopt", "pot"], [500, 2000])
    param_names = ["implementation", "n"]

    def setup(self, implementation, n):
        self.single_thread()
        warm_up()
        self.a, self.b, self.M = problem(n, 0)
        self.reg = 1e-2 * np.median(self.M)

    def time_20_iterations(self, implementation, n):
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if implementation == "sparseopt":
                sinkhorn_log(self.a, self.b, self.M, self.reg, max_iter=20, tol=1e-300)
            else:
                ot.sinkhorn(self.a, self.b, self.M, self.reg, method="sinkhorn_log",
                            numItermax=20, stopThr=0.0)


class QROT(Benchmark):
    """Quadratically regularised OT (gamma = eps * n): semismooth Newton to 1e-8
    against POT's ``smooth_ot_dual(reg_type="l2")`` (its defaults)."""

    params = (["sparseopt_ssn", "pot_l2"], [500])
    param_names = ["implementation", "n"]

    def setup(self, implementation, n):
        self.single_thread()
        warm_up()
        self.a, self.b, self.M = problem(n, 0)
        self.gamma = 1e-2 * np.median(self.M) * n

    def solve(self, implementation):
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if implementation == "sparseopt_ssn":
                return qrot(self.a, self.b, self.M, self.gamma, tol=1e-8)
            return ot.smooth.smooth_ot_dual(self.a, self.b, self.M, self.gamma, reg_type="l2")

    def time_solve(self, implementation, n):
        self.solve(implementation)

    def track_marginal_error(self, implementation, n):
        return marginal_error(self.solve(implementation), self.a, self.b)

    track_marginal_error.unit = "L1 marginal error"

    def track_nnz_per_column(self, implementation, n):
        plan = self.solve(implementation)
        return float((np.asarray(plan.todense() if hasattr(plan, "todense") else plan) > 0)
                     .sum() / n)

    track_nnz_per_column.unit = "non-zeros / column"


class SparsityConstrained(Benchmark):
    """Sparsity-constrained OT, k = 5, gamma = eps * n: end to end (with the
    marginal repair) and one dual objective+gradient evaluation, against POT."""

    params = (["sparseopt", "pot"], [500, 2000])
    param_names = ["implementation", "n"]
    timeout = 900
    repeat = (1, 1, 0.0)
    number = 1

    def setup(self, implementation, n):
        if implementation == "pot" and n > 500:
            raise NotImplementedError("POT needs about 100 s per solve at n = 2000")
        self.single_thread()
        warm_up()
        self.a, self.b, self.M = problem(n, 0)
        self.gamma = 1e-2 * np.median(self.M) * n
        self.Mf = np.asfortranarray(self.M)

    def solve(self, implementation):
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if implementation == "sparseopt":
                return sparsity_constrained_ot(self.a, self.b, self.M, self.gamma, 5)
            return ot.smooth.smooth_ot_dual(self.a, self.b, self.M, self.gamma,
                                            reg_type="sparsity_constrained", max_nz=5)

    def time_solve(self, implementation, n):
        self.solve(implementation)

    def time_dual_evaluation(self, implementation, n):
        alpha, beta = np.zeros(n), np.full(n, 0.01)
        if implementation == "sparseopt":
            dual_objective(alpha, beta, self.Mf, self.a, self.b, self.gamma, 5, False)
        else:
            from ot.smooth import SparsityConstrained as Regulariser
            from ot.smooth import dual_obj_grad

            dual_obj_grad(alpha, beta, self.a, self.b, self.M,
                          Regulariser(gamma=self.gamma, max_nz=5))

    def track_marginal_error(self, implementation, n):
        return marginal_error(self.solve(implementation), self.a, self.b)

    track_marginal_error.unit = "L1 marginal error"

    def track_max_nnz_per_column(self, implementation, n):
        plan = self.solve(implementation)
        dense = np.asarray(plan.todense() if hasattr(plan, "todense") else plan)
        return int((dense > 0).sum(axis=0).max())

    track_max_nnz_per_column.unit = "non-zeros"

    def track_dual_objective(self, implementation, n):
        """The relaxation's dual objective at the returned potentials (one
        kernel, equal to POT's to 1e-12; a maximisation: higher is better)."""
        import ot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if implementation == "sparseopt":
                return sparsity_constrained_ot(self.a, self.b, self.M, self.gamma, 5,
                                               log=True)[1]["value"]
            log = ot.smooth.smooth_ot_dual(self.a, self.b, self.M, self.gamma,
                                           reg_type="sparsity_constrained", max_nz=5,
                                           log=True)[1]
        return float(dual_objective(log["alpha"], log["beta"], self.Mf, self.a, self.b,
                                    self.gamma, 5, False)[0])

    track_dual_objective.unit = "dual objective"

    def track_cost_gap_to_emd(self, implementation, n):
        import ot

        plan = self.solve(implementation)
        dense = np.asarray(plan.todense() if hasattr(plan, "todense") else plan)
        return float((dense * self.M).sum() - ot.emd2(self.a, self.b, self.M))

    track_cost_gap_to_emd.unit = "<T, M> - OT"

import warnings

import numpy as np
import ot
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot import sinkhorn2, sinkhorn_log, sinkhorn_newton_sparse


def problem(n, seed=0, weights="uniform"):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    if weights == "dirichlet":
        return rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n)), M
    return np.full(n, 1 / n), np.full(n, 1 / n), M


def error_of(plan, a, b):
    return np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()


@pytest.mark.parametrize("linear_solver", ["cg", "direct"])
@pytest.mark.parametrize("newton", ["auto", "always", "never"])
def test_plans_match_pot_sinkhorn(newton, linear_solver):
    a, b, M = problem(120, 1)
    reg = 0.02
    reference = ot.sinkhorn(a, b, M, reg, numItermax=200_000, stopThr=1e-13)
    plan, info = sinkhorn_newton_sparse(a, b, M, reg, tol=1e-11, newton=newton,
                                        linear_solver=linear_solver, log=True)
    assert np.abs(plan - reference).sum() <= 1e-6
    assert info["marginal_error"] <= 1e-11
    if newton == "never":
        assert info["n_newton"] == 0
    if newton == "always":
        assert info["n_newton"] > 0 and info["n_sinkhorn"] == 20
    log_plan, log_info = sinkhorn_log(a, b, M, reg, tol=1e-11, log=True)
    assert np.abs(log_plan - reference).sum() <= 1e-6
    assert log_info["value"] == pytest.approx(info["value"], rel=1e-9)


def test_newton_steps_follow_the_paper_and_are_reported():
    """Tang et al.: the plan block keeps its ceil(lambda m n) largest entries,
    lambda = 2/n by default, CG solves; the log reports density and CG
    iterations for every Newton step (the Hessian is never densified silently)."""
    a, b, M = problem(200, 2)
    plan, info = sinkhorn_newton_sparse(a, b, M, 0.005, newton="always", log=True)
    steps = info["newton_steps"]
    assert len(steps) == info["n_newton"] > 0
    assert steps[0]["entries"] == int(np.ceil(2 / 200 * 200 * 200))
    assert steps[0]["density"] == pytest.approx(2 / 200)
    assert all(step["cg_iterations"] > 0 for step in steps)
    densities = [step["density"] for step in steps]
    assert np.all(np.diff(densities) >= 0)
    assert info["marginal_error"] <= 1e-9
    direct = sinkhorn_newton_sparse(a, b, M, 0.005, newton="always", linear_solver="direct",
                                    density=0.05, log=True)[1]
    assert direct["newton_steps"][0]["cg_iterations"] == 0
    assert direct["newton_steps"][0]["entries"] == 2000


def test_hard_problem_switches_to_newton_and_converges():
    """problem(500): eps = 1e-2 * median cost, where plain Sinkhorn needs ~1e5
    iterations; SNS reaches 1e-8 with a short Newton phase."""
    a, b, M = problem(500, 0)
    plan, info = sinkhorn_newton_sparse(a, b, M, 1e-2 * np.median(M), tol=1e-8, log=True)
    assert info["marginal_error"] <= 1e-8 and 0 < info["n_newton"] < 100
    assert error_of(plan, a, b) <= 1e-8


def test_always_newton_reaches_a_tight_tol():
    """newton="always", reg 0.05, tol 1e-11: the line search on differences of
    values stalled at 3.2e-10 after 200 dense Newton steps, without a warning."""
    a, b, M = problem(60, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        plan, info = sinkhorn_newton_sparse(a, b, M, 0.05, tol=1e-11, newton="always", log=True)
    assert info["marginal_error"] <= 1e-11 and info["n_newton"] < 30


@pytest.mark.parametrize("reg", [1e-4, 1e-5, 1e-6])
def test_small_reg(reg):
    """Cost normalised to one, n = 100, Dirichlet targets: SNS failed at 1e-5
    and leaked SciPy's "exactly singular" warnings at 1e-6; epsilon scaling
    now reaches it. Below 1e-8 * range(M), a clear error."""
    a, b, M = problem(100, 4, weights="dirichlet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan, info = sinkhorn_newton_sparse(a, b, M, reg, log=True)
    assert info["marginal_error"] <= 1e-9 and np.isfinite(plan).all()
    assert plan.ravel() @ M.ravel() == pytest.approx(ot.emd2(a, b, M), abs=200 * reg)
    with pytest.raises(ValueError, match=r"smallest supported value for sinkhorn_newton_sparse"):
        sinkhorn_newton_sparse(a, b, M, 1e-9)


def test_log_domain_sweeps_do_not_underflow():
    a, b, M = problem(60, 2)
    with pytest.warns(ConvergenceWarning, match="marginal error is .* > tol"):
        plan, info = sinkhorn_log(a, b, M, 1e-4, tol=1e-12, max_iter=200, log=True)
    assert np.isfinite(plan).all() and np.isfinite(info["value"])
    errors = info["history"].criteria
    assert errors[-1] < errors[0]


@pytest.mark.parametrize("solver", [sinkhorn_log, sinkhorn_newton_sparse])
def test_several_histograms_and_the_value_function(solver):
    """POT's b of shape (n, n_hists) returns one cost per histogram; sinkhorn2
    is the value-only function."""
    a, _, M = problem(40, 5)
    rng = np.random.default_rng(5)
    histograms = rng.dirichlet(np.ones(40), size=3).T
    costs, info = solver(a, histograms, M, 0.05, tol=1e-11, log=True)
    reference = ot.sinkhorn2(a, histograms, M, 0.05, stopThr=1e-13, numItermax=100_000)
    np.testing.assert_allclose(costs, reference, rtol=1e-8)
    assert costs.shape == (3,) and info["alpha"].shape == (40, 3)
    for column in range(3):
        single = sinkhorn2(a, histograms[:, column], M, 0.05, method=solver.__name__, tol=1e-11)
        assert single == pytest.approx(costs[column], rel=1e-10)


def test_tol_zero_runs_to_the_cap():
    a, b, M = problem(30, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, info = sinkhorn_log(a, b, M, 0.1, tol=0.0, max_iter=25, log=True)
    assert info["n_iter"] == 25


def test_bad_input_and_no_mutation():
    a, b, M = problem(10, 3)
    with pytest.raises(ValueError, match="reg must be > 0"):
        sinkhorn_log(a, b, M, -1.0)
    with pytest.raises(ValueError, match="newton must be"):
        sinkhorn_newton_sparse(a, b, M, 0.1, newton="sometimes")
    with pytest.raises(ValueError, match="linear_solver must be"):
        sinkhorn_newton_sparse(a, b, M, 0.1, linear_solver="qr")
    with pytest.raises(ValueError, match="b has 9 entries but M has 10 columns"):
        sinkhorn_newton_sparse(a, b[:9], M, 0.1)
    with pytest.raises(ValueError, match="every column of b must sum to 1"):
        sinkhorn_log(a, np.stack([b, 2 * b], axis=1), M, 0.1)

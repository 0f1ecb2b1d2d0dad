import numpy as np
import ot
import pytest

from sparseopt.ot import sinkhorn_log, sinkhorn_newton_sparse


def problem(n, seed=0):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    return np.full(n, 1 / n), np.full(n, 1 / n), M


@pytest.mark.parametrize("newton", ["auto", "always", "never"])
def test_plans_match_pot_sinkhorn(newton):
    a, b, M = problem(120, 1)
    reg = 0.02
    reference = ot.sinkhorn(a, b, M, reg, numItermax=200_000, stopThr=1e-13)
    plan, info = sinkhorn_newton_sparse(a, b, M, reg, tol=1e-11, newton=newton, log=True)
    assert np.abs(plan - reference).sum() <= 1e-6
    assert info["marginal_error"] <= 1e-11
    if newton == "never":
        assert info["n_newton"] == 0
    if newton == "always":
        assert info["n_newton"] > 0 and info["n_sinkhorn"] == 20
    log_plan, log_info = sinkhorn_log(a, b, M, reg, tol=1e-11, log=True)
    assert np.abs(log_plan - reference).sum() <= 1e-6
    assert log_info["value"] == pytest.approx(info["value"], rel=1e-9)


def test_hard_problem_switches_to_newton_and_converges():
    """problem(500): eps = 1e-2 * median cost, where plain Sinkhorn needs ~1e5
    iterations; SNS reaches 1e-8 with a short Newton phase."""
    a, b, M = problem(500, 0)
    plan, info = sinkhorn_newton_sparse(a, b, M, 1e-2 * np.median(M), tol=1e-8, log=True)
    assert info["marginal_error"] <= 1e-8 and 0 < info["n_newton"] < 100
    assert np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum() <= 1e-8


def test_small_reg_does_not_underflow():
    """exp(-M / reg) underflows to zero for reg = 1e-4: the log-domain and
    stabilised solvers must not."""
    a, b, M = problem(60, 2)
    with pytest.warns(Warning, match="marginal error is .* > tol"):
        plan, info = sinkhorn_log(a, b, M, 1e-4, tol=1e-12, max_iter=200, log=True)
    assert np.isfinite(plan).all() and np.isfinite(info["value"])
    errors = info["history"].criteria
    assert errors[-1] < errors[0]
    plan, info = sinkhorn_newton_sparse(a, b, M, 1e-4, tol=1e-9, log=True)
    assert np.isfinite(plan).all() and info["marginal_error"] <= 1e-9


def test_bad_input_and_no_mutation():
    a, b, M = problem(10, 3)
    with pytest.raises(ValueError, match="reg must be > 0"):
        sinkhorn_log(a, b, M, -1.0)
    with pytest.raises(ValueError, match="newton must be"):
        sinkhorn_newton_sparse(a, b, M, 0.1, newton="sometimes")
    with pytest.raises(ValueError, match="b has 9 entries but M has 10 columns"):
        sinkhorn_newton_sparse(a, b[:9], M, 0.1)
    copies = a.copy(), M.copy()
    sinkhorn_newton_sparse(a, b, M, 0.05)
    np.testing.assert_array_equal(a, copies[0])
    np.testing.assert_array_equal(M, copies[1])

import warnings

import cvxpy as cp
import numpy as np
import ot
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot import qrot, qrot2, sparsity_constrained_ot
from sparseopt.solvers.ot.duals import dual_objective, semi_dual_objective


def problem(n, seed=0, m=None, weights="dirichlet"):
    """Point clouds, cost divided by its max; Dirichlet (non-uniform) or uniform weights."""
    rng = np.random.default_rng(seed)
    m = n if m is None else m
    M = ot.dist(rng.standard_normal((m, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    if weights == "uniform":
        return np.full(m, 1 / m), np.full(n, 1 / n), M
    return rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n)), M


def quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return call()


@pytest.mark.parametrize("formulation", ["dual", "semi_dual"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k1_is_unregularised_ot_plus_constant(seed, formulation):
    """k = 1: emd2 + gamma/2 sum b^2 to 1e-9 relative, non-uniform weights (L-BFGS
    stopped 4e-5 to 1.3e-4 short of it)."""
    a, b, M = problem(60, seed)
    gamma = 0.05
    plan, info = quiet(lambda: sparsity_constrained_ot(a, b, M, gamma, 1, formulation=formulation,
                                                       log=True))
    assert info["value"] == pytest.approx(ot.emd2(a, b, M) + gamma / 2 * b @ b, rel=1e-9)
    assert np.diff(plan.indptr).max() <= 1
    np.testing.assert_allclose(np.asarray(plan.sum(axis=0)).ravel(), b, rtol=1e-12)


def test_k1_plan_is_feasible_when_an_assignment_exists():
    a, b, M = problem(40, 3, weights="uniform")
    plan, info = sparsity_constrained_ot(a, b, M, 0.05, 1, log=True)
    assert info["marginal_error"] <= 1e-12 and info["method"] == "network simplex"
    assert plan.multiply(M).sum() == pytest.approx(ot.emd2(a, b, M), rel=1e-12)


@pytest.mark.parametrize("formulation", ["dual", "semi_dual"])
@pytest.mark.parametrize("seed", [0, 4])
def test_value_is_certified_and_monotone_in_k(seed, formulation):
    """Non-uniform weights: the value is at least the relaxation at every start
    tried (the QROT potentials among them) and does not increase with k; k = m
    is QROT."""
    a, b, M = problem(40, seed)
    gamma = 0.05
    _, reference = qrot(a, b, M, gamma, log=True)
    values = []
    for k in (1, 2, 3, 4, 5, 8, 40):
        plan, info = quiet(lambda k=k: sparsity_constrained_ot(a, b, M, gamma, k,
                                                               formulation=formulation, log=True))
        assert info["value"] >= max(info["start_values"].values())
        assert info["value"] >= reference["value"] - 1e-12
        assert np.diff(plan.indptr).max() <= k and info["max_nz_per_column"] <= k
        values.append(info["value"])
    assert values[-1] == pytest.approx(reference["value"], rel=1e-12)
    assert np.all(np.diff(values) <= 1e-12), np.diff(values)


def test_stops_on_the_relaxation_at_least_as_good_as_qrot_potentials():
    """k = 2, 200 x 200 Dirichlet weights: the old stopping rule (relaxation's
    marginal error <= tol) was never met; every solve ran to max_iter and the
    value ended below the relaxation at the QROT potentials."""
    a, b, M = problem(200, 5)
    gamma = 0.05
    _, qrot_info = qrot(a, b, M, gamma, log=True)
    at_qrot = dual_objective(qrot_info["alpha"], qrot_info["beta"], np.asfortranarray(M), a, b,
                             gamma, 2, False)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan, info = sparsity_constrained_ot(a, b, M, gamma, 2, log=True, max_iter=1000)
    assert not any("max_iter" in str(w.message) for w in caught)
    assert info["status"] == "converged" and info["n_iter"] < 1000
    assert info["value"] >= at_qrot >= qrot_info["value"]
    np.testing.assert_allclose(np.asarray(plan.sum(axis=0)).ravel(), b, atol=1e-6)


def test_formulations_reach_the_same_value():
    a, b, M = problem(50, 6)
    values = [sparsity_constrained_ot(a, b, M, 0.5, 3, formulation=formulation, log=True,
                                      dual_tol=1e-10)[1]["value"]
              for formulation in ("dual", "semi_dual")]
    assert values[0] == pytest.approx(values[1], rel=1e-12)


def test_value_matches_cvxpy_on_a_small_problem():
    """The relaxation's optimum from an independent conic solve (sum of the k
    largest squared positive parts, DCP)."""
    a, b, M = problem(10, 8)
    gamma, k = 0.2, 2
    alpha, beta = cp.Variable(10), cp.Variable(10)
    terms = [cp.sum_largest(cp.square(cp.pos(alpha + beta[j] - M[:, j])), k) for j in range(10)]
    problem_ = cp.Problem(cp.Maximize(alpha @ a + beta @ b - sum(terms) / (2 * gamma)))
    problem_.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    _, info = quiet(lambda: sparsity_constrained_ot(a, b, M, gamma, k, log=True, dual_tol=1e-12,
                                                    max_iter=5000))
    assert info["value"] == pytest.approx(problem_.value, rel=1e-6)


def test_failed_repair_keeps_finite_potentials():
    """Six rows, two columns, k = 2: no support carries the marginals. The
    repair's diverging potentials (|alpha| 4e5 before) are not returned: the
    relaxation's best ones are, with their value."""
    rng = np.random.default_rng(9)
    M = rng.random((6, 2))
    with pytest.warns(ConvergenceWarning, match="2-sparse support cannot carry"):
        plan, info = sparsity_constrained_ot(None, None, M, 0.1, 2, log=True)
    assert np.abs(info["alpha"]).max() < 10 and np.abs(info["beta"]).max() < 10
    value = dual_objective(info["alpha"], info["beta"], np.asfortranarray(M), np.full(6, 1 / 6),
                           np.full(2, 0.5), 0.1, 2, False)[0]
    assert value == pytest.approx(info["value"], rel=1e-9)
    assert info["marginal_error"] <= info["relaxation_marginal_error"]
    assert np.diff(plan.indptr).max() <= 2


def test_rows_axis_limits_rows():
    a, b, M = problem(40, 4, m=30, weights="uniform")
    plan, info = sparsity_constrained_ot(a, b, M, 0.05, 4, axis="rows", log=True)
    assert np.diff(plan.tocsr().indptr).max() <= 4
    assert plan.shape == (30, 40) and info["marginal_error"] <= 1e-9


@pytest.mark.parametrize("method", ["ssn", "lbfgs"])
def test_qrot_matches_cvxpy(method):
    a, b, M = problem(30, 7)
    gamma = 0.1
    T = cp.Variable(M.shape, nonneg=True)
    cp.Problem(cp.Minimize(cp.sum(cp.multiply(M, T)) + gamma / 2 * cp.sum_squares(T)),
               [cp.sum(T, axis=1) == a, cp.sum(T, axis=0) == b]).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    plan, info = qrot(a, b, M, gamma, method=method, log=True, tol=1e-10)
    np.testing.assert_allclose(plan.toarray(), T.value, atol=1e-6)
    assert info["marginal_error"] <= 1e-10
    assert qrot2(a, b, M, gamma, method=method, tol=1e-10) == pytest.approx(
        float(np.sum(M * T.value)), abs=1e-6)


def test_qrot_newton_converges_or_warns_on_random_problems():
    """30 random n = 40 problems at tol 1e-12: semismooth Newton stalled
    between tol and 10 tol on 6 of them, silently."""
    for seed in range(30):
        rng = np.random.default_rng(seed)
        M = rng.random((40, 40))
        a, b = rng.dirichlet(np.ones(40)), rng.dirichlet(np.ones(40))
        gamma = 10.0 ** rng.uniform(-2, 0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan, info = qrot(a, b, M, gamma, tol=1e-12, log=True)
        error = np.abs(plan.sum(1).A1 - a).sum() + np.abs(plan.sum(0).A1 - b).sum()
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert error <= 1e-12 or warned, (seed, error)
        assert info["status"] == "converged", seed


@pytest.mark.parametrize("reg", [1e-3, 1e-5, 1e-6])
def test_small_reg(reg):
    """Cost normalised to one, n = 100: qrot failed at reg <= 1e-5 (marginal
    error 1 to 2.3) and the relaxation returned empty plans. Below the
    smallest supported reg, a clear error."""
    a, b, M = problem(100, 10, weights="uniform")
    plan, info = qrot(a, b, M, reg, log=True)
    assert info["marginal_error"] <= 1e-9
    assert plan.multiply(M).sum() == pytest.approx(ot.emd2(a, b, M), abs=max(1e-6, 100 * reg))
    plan, info = quiet(lambda: sparsity_constrained_ot(a, b, M, reg, 3, log=True))
    assert plan.nnz >= 100 and info["value"] >= max(info["start_values"].values())
    with pytest.raises(ValueError, match=r"smallest supported value for qrot.*1e-06"):
        qrot(a, b, M, 1e-7)


def test_float32_marginals_and_tol_zero():
    """float32 weights off by their rounding were rejected ("off by -1.49e-08");
    tol = 0 raised (POT runs to its iteration cap)."""
    a, b, M = problem(30, 11)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    assert abs(float(a32.astype(np.float64).sum()) - 1.0) > 1e-9  # really off
    plan, info = sparsity_constrained_ot(a32, b32, M.astype(np.float32), 0.1, 3, log=True)
    assert np.isfinite(info["value"]) and plan.dtype == np.float64
    plan, info = quiet(lambda: qrot(a, b, M, 0.1, tol=0.0, max_iter=200, log=True))
    assert info["marginal_error"] <= 1e-12
    with pytest.raises(ValueError, match=r"a must sum to 1.*tolerance 1\.9e-06 for float32"):
        qrot((a32 * 1.001).astype(np.float32), b32, M, 0.1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"a": [-0.5, 1.5, 0.0]}, "non-negative; its smallest entry is -0.5"),
        ({"a": [0.5, 0.6, 0.0]}, "it sums to 1.1.*off by 0.1"),
        ({"a": [0.5, 0.5]}, "has 2 entries but M has 3 rows"),
        ({"M": np.array([[0.0, np.inf, 1.0]] * 3)}, "M must not contain NaN or infinity"),
        ({"reg": 0.0}, "reg must be > 0"),
        ({"max_nz": 0}, "max_nz must be >= 1"),
        ({"formulation": "primal"}, "formulation must be"),
    ],
)
def test_bad_input(kwargs, match):
    arguments = {"a": None, "b": None, "M": np.ones((3, 3)), "reg": 1.0, "max_nz": 1}
    arguments.update(kwargs)
    formulation = arguments.pop("formulation", "dual")
    with pytest.raises(ValueError, match=match):
        sparsity_constrained_ot(arguments["a"], arguments["b"], arguments["M"],
                                arguments["reg"], arguments["max_nz"], formulation=formulation)
    if "max_nz" not in kwargs and "formulation" not in kwargs:
        with pytest.raises(ValueError, match=match):
            qrot(arguments["a"], arguments["b"], arguments["M"], arguments["reg"])


def test_semi_dual_potentials_give_the_plan():
    a, b, M = problem(40, 2)
    gamma = 0.05
    plan, info = quiet(lambda: sparsity_constrained_ot(a, b, M, gamma, 4, formulation="semi_dual",
                                                       repair=False, log=True))
    plan = plan.toarray()
    model = np.maximum(info["alpha"][:, None] + info["beta"][None, :] - M, 0.0) / gamma
    support = plan > 0
    np.testing.assert_allclose(plan[support], model[support], rtol=1e-8, atol=1e-12)
    value = semi_dual_objective(info["alpha"], np.asfortranarray(M), a, b, gamma, 4, False)[0]
    assert value == pytest.approx(info["value"], rel=1e-12)

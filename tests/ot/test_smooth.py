import warnings

import cvxpy as cp
import numpy as np
import ot
import pytest
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot import qrot, sparsity_constrained_ot
from sparseopt.solvers.ot.duals import dual_objective, semi_dual_objective


def problem(n, seed=0, m=None):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((n if m is None else m, 2))
    xt = rng.standard_normal((n, 2)) + 1.0
    M = ot.dist(xs, xt)
    M /= M.max()
    return np.full(xs.shape[0], 1 / xs.shape[0]), np.full(n, 1 / n), M


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k1_semi_dual_is_unregularised_ot_plus_constant(seed):
    a, b, M = problem(60, seed)
    gamma = 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, info = sparsity_constrained_ot(a, b, M, gamma, 1, formulation="semi_dual",
                                          repair=False, log=True)
    assert info["value"] == pytest.approx(ot.emd2(a, b, M) + gamma / 2 * b @ b, abs=1e-6)


@pytest.mark.parametrize("formulation", ["dual", "semi_dual"])
def test_large_k_is_qrot_and_value_is_monotone_in_k(formulation):
    a, b, M = problem(50, 3)
    gamma = 0.05
    _, reference = qrot(a, b, M, gamma, log=True)
    values = []
    for k in (1, 2, 3, 5, 50):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            plan, info = sparsity_constrained_ot(a, b, M, gamma, k, formulation=formulation,
                                                 log=True, max_iter=3000)
        values.append(info["value"])
        assert np.diff(plan.indptr).max() <= k and info["max_nz_per_column"] <= k
    assert values[-1] == pytest.approx(reference["value"], abs=1e-6)
    assert np.all(np.diff(values) <= 1e-7)


def test_rows_axis_limits_rows():
    a, b, M = problem(40, 4, m=30)
    plan, info = sparsity_constrained_ot(a, b, M, 0.05, 4, axis="rows", log=True)
    assert np.diff(plan.tocsr().indptr).max() <= 4
    assert plan.shape == (30, 40) and info["marginal_error"] <= 1e-8


def test_kernels_match_pot_and_finite_differences():
    from ot.smooth import SparsityConstrained, dual_obj_grad

    a, b, M = problem(40, 5)
    rng = np.random.default_rng(5)
    alpha, beta = 0.05 * rng.standard_normal(40), 0.05 * rng.standard_normal(40) + 0.3
    gamma, k = 0.05, 3
    value, ga, gb, *_ = dual_objective(alpha, beta, np.asfortranarray(M), a, b, gamma, k, False)
    reference = dual_obj_grad(alpha, beta, a, b, M, SparsityConstrained(gamma=gamma, max_nz=k))
    assert value == pytest.approx(reference[0], rel=1e-12)
    np.testing.assert_allclose(ga, reference[1], atol=1e-12)
    np.testing.assert_allclose(gb, reference[2], atol=1e-12)
    eps = 1e-7
    for index in range(5):
        e = np.zeros(40)
        e[index] = eps
        plus = dual_objective(alpha + e, beta, np.asfortranarray(M), a, b, gamma, k, False)[0]
        minus = dual_objective(alpha - e, beta, np.asfortranarray(M), a, b, gamma, k, False)[0]
        assert (plus - minus) / (2 * eps) == pytest.approx(ga[index], abs=1e-6)
        plus = semi_dual_objective(alpha + e, np.asfortranarray(M), a, b, gamma, k, False)[0]
        minus = semi_dual_objective(alpha - e, np.asfortranarray(M), a, b, gamma, k, False)[0]
        gradient = semi_dual_objective(alpha, np.asfortranarray(M), a, b, gamma, k, False)[1]
        assert (plus - minus) / (2 * eps) == pytest.approx(gradient[index], abs=1e-6)
        plus = dual_objective(alpha, beta + e, np.asfortranarray(M), a, b, gamma, k, False)[0]
        minus = dual_objective(alpha, beta - e, np.asfortranarray(M), a, b, gamma, k, False)[0]
        assert (plus - minus) / (2 * eps) == pytest.approx(gb[index], abs=1e-6)


def test_ties_are_broken_towards_the_smaller_index():
    M = np.zeros((4, 1)) + np.array([[0.5], [0.1], [0.1], [0.1]])
    a, b = np.full(4, 0.25), np.ones(1)
    plan = dual_objective(np.zeros(4), np.ones(1), np.asfortranarray(M), a, b, 1.0, 2, True)
    np.testing.assert_array_equal(plan[4], [1, 2])  # rows 1 and 2 of the three tied
    # the semi-dual's k-sparse projection breaks the same tie the same way, also
    # past the small-k path (k = 20 of 40 tied rows)
    plan = semi_dual_objective(np.zeros(4), np.asfortranarray(M), a, b, 1.0, 2, True)
    np.testing.assert_array_equal(plan[3], [1, 2])
    tied = np.asfortranarray(np.r_[[[0.5]], np.full((40, 1), 0.1)])
    weights = np.full(41, 1 / 41)
    for kernel in (lambda: dual_objective(np.zeros(41), np.ones(1), tied, weights, b, 1.0, 20,
                                          True)[4],
                   lambda: semi_dual_objective(np.zeros(41), tied, weights, b, 1.0, 20, True)[3]):
        np.testing.assert_array_equal(kernel(), np.arange(1, 21))


def test_better_or_equal_dual_objective_than_pot():
    a, b, M = problem(100, 6)
    gamma = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pot = ot.smooth.smooth_ot_dual(a, b, M, gamma, reg_type="sparsity_constrained",
                                          max_nz=5, log=True, stopThr=1e-12, numItermax=5000)
    pot_value = dual_objective(pot["alpha"], pot["beta"], np.asfortranarray(M), a, b, gamma, 5,
                               False)[0]
    _, info = sparsity_constrained_ot(a, b, M, gamma, 5, log=True, repair=False, max_iter=5000)
    assert info["value"] >= pot_value - 1e-8 * abs(pot_value)


@pytest.mark.parametrize("method", ["ssn", "lbfgs"])
def test_qrot_matches_cvxpy(method):
    a, b, M = problem(30, 7)
    gamma = 0.1
    T = cp.Variable(M.shape, nonneg=True)
    cp.Problem(cp.Minimize(cp.sum(cp.multiply(M, T)) + gamma / 2 * cp.sum_squares(T)),
               [cp.sum(T, axis=1) == a, cp.sum(T, axis=0) == b]).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plan, info = qrot(a, b, M, gamma, method=method, log=True, tol=1e-10)
    np.testing.assert_allclose(plan.toarray(), T.value, atol=1e-6)
    if method == "ssn":
        assert info["marginal_error"] <= 1e-10


def test_no_silent_failure():
    """A solver that does not warn must have met 10 * tol."""
    a, b, M = problem(40, 8)
    for call in (lambda: sparsity_constrained_ot(a, b, M, 0.01, 1, log=True),
                 lambda: sparsity_constrained_ot(a, b, M, 0.05, 5, log=True),
                 lambda: qrot(a, b, M, 0.05, log=True, max_iter=2)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, info = call()
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert warned or info["marginal_error"] <= 10 * 1e-9


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


def test_inputs_are_not_modified():
    a, b, M = problem(20, 9)
    copies = a.copy(), b.copy(), M.copy()
    sparsity_constrained_ot(a, b, M, 0.05, 3)
    qrot(a, b, M, 0.05)
    for original, copy in zip((a, b, M), copies, strict=True):
        np.testing.assert_array_equal(original, copy)

"""The OT solvers' kernels against references: sort-based selection and
projections, POT's dual objectives, finite differences and the exact
differences of the dual values, dense solves of the Newton systems."""

import io
from contextlib import redirect_stdout

import numpy as np
import ot
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from ot.smooth import SparsityConstrained, SquaredL2, dual_obj_grad, semi_dual_obj_grad

from sparseopt.solvers.ot.block_system import solve_block_system
from sparseopt.solvers.ot.duals import (
    balance_columns,
    dual_objective,
    qrot_step,
    restricted_dual_objective,
    restricted_dual_step,
    semi_dual_objective,
)
from sparseopt.solvers.ot.selection import partition_top_k, simplex_threshold
from sparseopt.solvers.ot.sinkhorn import dual_step, dual_value, plan_top_entries


def problem(n, seed=0):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    return np.full(n, 1 / n), rng.dirichlet(np.full(n, 5.0)), np.asfortranarray(M)


@given(arrays(np.float64, st.integers(1, 60), elements=st.sampled_from([0.0, 1.0, 2.5, -3.0])
              | st.floats(-1e3, 1e3)), st.integers(0, 70))
def test_partition_top_k_selects_the_sorted_top(values, k):
    """Against a stable sort by (value descending, label ascending), ties included."""
    labels = np.random.default_rng(len(values)).permutation(len(values)).astype(np.int64)
    work_values, work_labels = values.copy(), labels.copy()
    partition_top_k(work_values, work_labels, len(values), k)
    order = np.lexsort((labels, -values))[:min(k, len(values))]
    assert set(work_labels[:len(order)].tolist()) == set(labels[order].tolist())
    assert sorted(work_values.tolist()) == sorted(values.tolist())  # a permutation


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-50, 50)),
       st.floats(1e-3, 10))
@example(np.full(29, -44.14319651948057), 1.0)  # error 1.05e-12 (CI found a like case)
def test_simplex_threshold_is_the_projection_threshold(values, radius):
    tau = simplex_threshold(values, len(values), radius)
    # the threshold comes from sums of the values: rounding of order n * sum |v| * eps
    rounding = 4 * len(values) * np.abs(values).sum() * np.finfo(float).eps
    assert np.maximum(values - tau, 0).sum() == pytest.approx(radius, rel=1e-12,
                                                               abs=1e-12 + rounding)
    top = np.sort(values)[::-1]  # sort-based reference (Held, Wolfe & Crowder)
    cumulative = (np.cumsum(top) - radius) / np.arange(1, len(top) + 1)
    assert tau == pytest.approx(cumulative[np.flatnonzero(top > cumulative)[-1]], abs=1e-10)


def test_simplex_threshold_terminates_on_rounding_ties():
    """Rounding could re-admit an entry and cycle forever (a hang, before)."""
    values = np.array([0.1 + 0.2, 0.3, 0.30000000000000004, 0.1, 0.2, 0.3] * 5)
    tau = simplex_threshold(values, len(values), 1e-9)
    assert np.isfinite(tau)


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("k", [1, 2, 5, 17, 50, 99, 100])
def test_duals_match_pot_for_every_k(k, dense):
    """Value and gradients of POT's dual and semi-dual, for small and large k
    (the partition path) and many positive entries per column."""
    a, b, M = problem(100, 1)
    rng = np.random.default_rng(2)
    gamma = 1.0 if dense else 0.5
    alpha = 0.3 * rng.standard_normal(100) if dense else 0.01 * rng.standard_normal(100)
    beta = np.full(100, 1.0) if dense else balance_columns(M, b, gamma, alpha)
    regulariser = SparsityConstrained(max_nz=k, gamma=gamma) if k < 100 else SquaredL2(gamma)
    value, grad_alpha, grad_beta, *_ = dual_objective(alpha, beta, M, a, b, gamma, k, False)
    reference = dual_obj_grad(alpha, beta, a, b, np.array(M), regulariser)
    assert value == pytest.approx(reference[0], rel=1e-12)
    np.testing.assert_allclose(grad_alpha, reference[1], atol=1e-11)
    np.testing.assert_allclose(grad_beta, reference[2], atol=1e-11)
    with redirect_stdout(io.StringIO()):  # POT's projection prints
        reference = semi_dual_obj_grad(alpha, a, b, np.array(M), regulariser)
    value, gradient, *_ = semi_dual_objective(alpha, M, a, b, gamma, k, False)
    assert value == pytest.approx(reference[0], rel=1e-12)
    np.testing.assert_allclose(gradient, reference[1], atol=1e-12)


def test_gradients_match_finite_differences():
    a, b, M = problem(40, 5)
    rng = np.random.default_rng(5)
    alpha, beta = 0.05 * rng.standard_normal(40), 0.05 * rng.standard_normal(40) + 0.3
    gamma, k, eps = 0.05, 3, 1e-7
    _, grad_alpha, grad_beta, *_ = dual_objective(alpha, beta, M, a, b, gamma, k, False)
    gradient = semi_dual_objective(alpha, M, a, b, gamma, k, False)[1]
    for index in range(5):
        e = np.zeros(40)
        e[index] = eps
        difference = (dual_objective(alpha + e, beta, M, a, b, gamma, k, False)[0]
                      - dual_objective(alpha - e, beta, M, a, b, gamma, k, False)[0]) / (2 * eps)
        assert difference == pytest.approx(grad_alpha[index], abs=1e-6)
        difference = (dual_objective(alpha, beta + e, M, a, b, gamma, k, False)[0]
                      - dual_objective(alpha, beta - e, M, a, b, gamma, k, False)[0]) / (2 * eps)
        assert difference == pytest.approx(grad_beta[index], abs=1e-6)
        difference = (semi_dual_objective(alpha + e, M, a, b, gamma, k, False)[0]
                      - semi_dual_objective(alpha - e, M, a, b, gamma, k, False)[0]) / (2 * eps)
        assert difference == pytest.approx(gradient[index], abs=1e-6)


def test_semi_dual_beta_maximises_the_dual():
    a, b, M = problem(30, 3)
    alpha = 0.02 * np.random.default_rng(3).standard_normal(30)
    for k in (1, 2, 4, 30):
        value, _, beta, *_ = semi_dual_objective(alpha, M, a, b, 0.1, k, False)
        assert dual_objective(alpha, beta, M, a, b, 0.1, k, False)[0] == pytest.approx(value,
                                                                                     rel=1e-12)
        for shift in (-1e-4, 1e-4):
            assert dual_objective(alpha, beta + shift, M, a, b, 0.1, k, False)[0] <= value


def test_ties_are_spread_cyclically():
    """Exact ties in column j go to rows j, j+1, ... (mod m): a constant cost
    spreads the columns over the rows instead of piling them on the first."""
    m, n, k = 6, 4, 2
    M = np.zeros((m, n), order="F")
    a, b = np.full(m, 1 / m), np.full(n, 1 / n)
    for kernel in (lambda: dual_objective(np.zeros(m), np.ones(n), M, a, b, 1.0, k, True),
                   lambda: semi_dual_objective(np.zeros(m), M, a, b, 1.0, k, True)):
        indptr, indices = kernel()[-3:-1]
        for j in range(n):
            assert sorted(indices[indptr[j]:indptr[j + 1]].tolist()) == sorted(
                [j % m, (j + 1) % m])


@pytest.mark.parametrize("step", [1.0, 0.3, 1e-14])
def test_exact_increments_equal_differences_of_values(step):
    """The line searches' increments equal the differences of the values
    where those are exact, and keep their digits where the values agree to
    16 digits (the difference would then be rounding noise)."""
    a, b, M = problem(50, 7)
    rng = np.random.default_rng(7)
    alpha, beta = 0.02 * rng.standard_normal(50), balance_columns(M, b, 0.1, None)
    d_alpha, d_beta = 0.01 * rng.standard_normal(50), 0.01 * rng.standard_normal(50)
    increment, value, *_ = qrot_step(alpha, beta, d_alpha, d_beta, step, M, a, b, 0.1, False)
    before = dual_objective(alpha, beta, M, a, b, 0.1, 50, False)[0]
    after = dual_objective(alpha + step * d_alpha, beta + step * d_beta, M, a, b, 0.1, 50,
                           False)[0]
    assert value == pytest.approx(after, rel=1e-14)
    # the restricted version on all pairs is the same function
    rows, columns = np.indices(M.shape).reshape(2, -1)
    costs = np.asarray(M)[rows, columns]
    restricted = restricted_dual_step(alpha, beta, d_alpha, d_beta, step, costs, rows, columns, a,
                                      b, 0.1)[0]
    entropic = dual_step(np.ascontiguousarray(M), a, b, 0.05, alpha, beta, d_alpha, d_beta, step)
    entropic_difference = (dual_value(np.ascontiguousarray(M), a, b, 0.05, alpha + step * d_alpha,
                                      beta + step * d_beta)[0]
                           - dual_value(np.ascontiguousarray(M), a, b, 0.05, alpha, beta)[0])
    if step > 1e-6:
        assert increment == pytest.approx(after - before, rel=1e-9)
        assert restricted == pytest.approx(after - before, rel=1e-9)
        assert entropic[0] == pytest.approx(entropic_difference, rel=1e-9)
    else:  # first order: the slope times the step, which the differences lose
        slope = (a - restricted_dual_objective(alpha, beta, costs, rows, columns, a, b, 0.1)[3]
                 .reshape(M.shape).sum(1)) @ d_alpha
        slope += (b - restricted_dual_objective(alpha, beta, costs, rows, columns, a, b, 0.1)[3]
                  .reshape(M.shape).sum(0)) @ d_beta
        assert increment == pytest.approx(step * slope, rel=1e-9)
        assert restricted == pytest.approx(step * slope, rel=1e-9)
        assert abs((after - before) - step * slope) > 1e-3 * abs(step * slope)


def test_plan_top_entries_are_the_largest():
    a, b, M = problem(30, 2)
    C = np.ascontiguousarray(M)
    f, g = np.zeros(30), 0.01 * np.random.default_rng(2).standard_normal(30)
    plan = np.exp((f[:, None] + g[None, :] - C) / 0.05)
    rows, columns, values = plan_top_entries(C, 0.05, f, g, 45)
    assert len(values) == 45
    np.testing.assert_allclose(np.sort(values), np.sort(plan.ravel())[-45:], rtol=1e-14)
    np.testing.assert_allclose(values, plan[rows, columns], rtol=1e-14)


@pytest.mark.parametrize("solver", ["direct", "cg"])
@pytest.mark.parametrize("shape", [(20, 20), (25, 12), (12, 25)])
def test_block_system_solves_match_a_dense_solve(solver, shape):
    m, n = shape
    rng = np.random.default_rng(m * n)
    weights = rng.random((m, n)) * (rng.random((m, n)) < 0.3)
    rows, columns = np.nonzero(weights)
    values = weights[rows, columns]
    d_alpha = weights.sum(1) + 0.1
    d_beta = weights.sum(0) + 0.1
    r_alpha, r_beta = rng.standard_normal(m), rng.standard_normal(n)
    x_alpha, x_beta, iterations = solve_block_system(rows, columns, values, d_alpha, d_beta,
                                                     r_alpha, r_beta, solver=solver, rtol=1e-13)
    dense = np.block([[np.diag(d_alpha), weights], [weights.T, np.diag(d_beta)]])[:-1, :-1]
    reference = np.linalg.solve(dense, np.concatenate([r_alpha, r_beta[:-1]]))
    np.testing.assert_allclose(np.concatenate([x_alpha, x_beta[:-1]]), reference, atol=1e-9)
    assert x_beta[-1] == 0.0 and (iterations > 0) == (solver == "cg")

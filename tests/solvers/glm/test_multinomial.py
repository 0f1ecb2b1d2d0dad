import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning

from sparseopt.bcd import MultinomialLogisticRegression
from sparseopt.solvers.glm.multinomial import _best_common_shift, solve_multinomial


def shifted_penalty(row, shift, l1, l2):
    return l1 * np.abs(row + shift).sum() + 0.5 * l2 * ((row + shift) ** 2).sum()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("l2", [0.0, 1e-6, 0.3])
def test_best_common_shift_minimises_the_row_penalty(seed, l2):
    """Against a bounded scalar minimisation (and every kink), ties included."""
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(2, 9))
    row = rng.standard_normal(n_classes) * 10.0 ** rng.integers(-3, 3)
    if seed % 4 == 0:  # repeated entries and exact zeros
        row[: n_classes // 2] = row[-1]
        row[0] = 0.0
    l1 = float(rng.uniform(0.1, 2.0))
    shift = _best_common_shift(row, l1, l2, np.empty(n_classes))
    ours = shifted_penalty(row, shift, l1, l2)
    span = 2 * np.abs(row).max() + 1.0
    reference = minimize_scalar(lambda c: shifted_penalty(row, c, l1, l2), bounds=(-span, span),
                                method="bounded", options={"xatol": 1e-12}).fun
    kinks = min(shifted_penalty(row, -value, l1, l2) for value in row)
    assert ours <= min(reference, kinks) + 1e-12 * max(1.0, abs(reference))
    if l2 == 0.0:  # among the optimal shifts, the one closest to zero
        assert abs(shift) <= min(abs(-value) for value in row
                                 if shifted_penalty(row, -value, l1, l2) <= ours + 1e-12) + 1e-15


def test_rows_move_along_the_common_shift():
    """A feature scaled by 1e6 has a row whose l1 optimum puts one class at zero;
    coordinate descent alone hardly moves the row along the shift (the block
    Hessian is singular there): the fit stalled at max_iter. It converges
    early now, to the objective of the fit on the unscaled feature."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 8))
    labels = np.argmax(X @ rng.standard_normal((8, 3)) + rng.gumbel(size=(120, 3)), 1)
    scales = np.array([1e-6, 1e-3, 1, 1e3, 1e6, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        W, info = solve_multinomial(X * scales, labels, 3, 1e-2, 0.0, tol=1e-6, max_iter=5000)
    assert info["converged"] and info["n_iter"] < 500
    assert np.all(np.sum(W[:8] == 0, axis=1) >= 1)  # one class at zero in every row


def test_warm_start_at_the_optimum_stops_at_once():
    """The unpenalised gradients are measured against the gradient at zero, not
    at the warm start (where it is already tiny: refits ran to max_iter)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 8))
    labels = np.argmax(X @ rng.standard_normal((8, 3)) + rng.gumbel(size=(120, 3)), 1)
    for l1 in (0.0, 1e-6):
        W, info = solve_multinomial(X, labels, 3, l1, 0.0, tol=1e-4, max_iter=10_000)
        assert info["converged"]
        for _ in range(2):
            W, info = solve_multinomial(X, labels, 3, l1, 0.0, tol=1e-4, max_iter=10_000,
                                        coef_init=W)
            assert info["converged"] and info["n_iter"] == 0


def test_a_stop_without_descent_says_so():
    """Raw wine without intercepts at tol=1e-15: no step decreases the
    objective before the gap meets it; the warning says so and does not
    advise a larger max_iter. (With intercepts the centred columns now reach
    that tol in 223 epochs.)"""
    X, labels = load_wine(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match=r"no step decreases .* Increase tol\.$"):
        W, info = solve_multinomial(X, labels, 3, 0.1, 0.0, fit_intercept=False, tol=1e-15,
                                    max_iter=100_000)
    assert info["n_iter"] < 100_000 and not info["converged"]


@pytest.mark.parametrize("weighted", [False, True])
def test_columns_with_large_means_converge_as_centred_ones(weighted):
    """Second review: iris shifted by 50 did not converge in 100000 epochs and
    raw wine took 20675 (columns of large mean are nearly collinear with the
    intercepts); dense columns are now centred. Shifting X moves only the
    intercepts: the same coefficients, intercepts minus 50 * the class sums."""
    X, labels = load_iris(return_X_y=True)
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, len(labels)) if weighted \
        else None
    base = MultinomialLogisticRegression(alpha=1e-3, tol=1e-10, max_iter=100_000).fit(
        X, labels, sample_weight=sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        shifted = MultinomialLogisticRegression(alpha=1e-3, tol=1e-10, max_iter=5000).fit(
            X + 50.0, labels, sample_weight=sample_weight)
    np.testing.assert_allclose(shifted.coef_, base.coef_, atol=1e-5)
    expected = base.intercept_ - 50.0 * base.coef_.sum(axis=1)
    np.testing.assert_allclose(shifted.intercept_, expected - expected.mean(), atol=1e-3)
    assert shifted.n_iter_ < 2000


@pytest.mark.parametrize("alpha, factors", [(0.0, None), (0.01, [0.0, 1.0, 1.0, 1.0, 1.0])])
def test_an_unpenalised_constant_column_stays_harmless(alpha, factors):
    """Second review of the centring: a column of ones, centred, became
    rounding noise that its unpenalised coefficient followed to 7e14 (objective
    up to 1e-2 above the optimum, no warning). A constant column is redundant
    with the intercepts: the fit equals the fit without it."""
    X, labels = load_iris(return_X_y=True)
    X = X[:, :4]
    with_ones = np.column_stack([np.ones(len(labels)), X])
    options = {"alpha": alpha, "tol": 1e-10, "max_iter": 100_000}
    ours = MultinomialLogisticRegression(weights=factors, **options).fit(with_ones, labels)
    reference = MultinomialLogisticRegression(
        weights=None if factors is None else factors[1:], **options).fit(X, labels)
    assert np.all(np.abs(ours.coef_) < 1e3)
    np.testing.assert_allclose(ours.predict_proba(with_ones), reference.predict_proba(X),
                               atol=1e-6)

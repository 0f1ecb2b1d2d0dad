from types import SimpleNamespace

import numpy as np
import pytest

from sparseopt.datasets import make_sparse_regression
from sparseopt.solvers import bcd_lasso, enet_dual_gap
from sparseopt.solvers.glm.elastic_net import _check_single_precision


def test_function_form_reports_history_and_gap():
    X, y, _ = make_sparse_regression(50, 80, 5, random_state=3)
    alpha = np.max(np.abs(X.T @ y)) / len(y) / 5
    coef, intercept, info = bcd_lasso(X, y, alpha, tol=1e-10)
    assert intercept == 0.0 and info["converged"]
    residual = y - X @ coef
    primal, gap = enet_dual_gap(residual @ residual, y @ residual, X.T @ residual, coef,
                                len(y), alpha, 0.0)
    assert gap == pytest.approx(info["dual_gap"], abs=1e-12)
    assert info["history"].objectives[-1] == pytest.approx(primal)


def test_dual_gap_is_zero_at_zero_above_alpha_max():
    X, y, _ = make_sparse_regression(20, 30, 3, random_state=0)
    n = len(y)
    alpha = 1.5 * np.max(np.abs(X.T @ y)) / n
    primal, gap = enet_dual_gap(y @ y, y @ y, X.T @ y, np.zeros(30), n, alpha, 0.0)
    assert primal == pytest.approx(y @ y / (2 * n)) and gap == pytest.approx(0.0, abs=1e-14)


def test_unknown_rule():
    with pytest.raises(ValueError, match="selection must be one of"):
        bcd_lasso(np.eye(3), np.ones(3), 0.1, selection="gsq")


def test_verbose_prints_through_the_iteration_printer(capsys):
    X, y, _ = make_sparse_regression(20, 30, 3, random_state=0)
    coef, _, info = bcd_lasso(X, y, 0.05, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == info["n_outer"] + 1  # verbose=2: every check
    assert all(line.startswith("[bcd_enet] iter ") and "criterion" in line for line in lines)
    bcd_lasso(X, y, 0.05, verbose=1)
    assert len(capsys.readouterr().out.strip().splitlines()) <= 2  # rate-limited: first, last


def test_function_form_validates_its_input():
    X, y, _ = make_sparse_regression(20, 30, 3, random_state=0)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        bcd_lasso(np.where(X > 1, np.nan, X), y, 0.1)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        bcd_lasso(X, np.r_[np.inf, y[1:]], 0.1)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        bcd_lasso(X, y, -0.1)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        bcd_lasso(X, y[:-1], 0.1)
    with pytest.raises(ValueError, match=r"coef_init must have shape \(30,\)"):
        bcd_lasso(X, y, 0.1, coef_init=np.zeros(3))
    with pytest.raises(ValueError, match="y must be 1-D"):
        bcd_lasso(X, y[:, None], 0.1)
    with pytest.raises(ValueError, match="Complex data not supported"):
        bcd_lasso(X + 1j, y, 0.1)


@pytest.mark.parametrize("exact_violation, reached, primal_after, switches", [
    (0.5, 1.0, 1.0, False),      # met on the exact gradient too
    (2.5, 1.0, 1.0, True),       # missed by more than rounding allows
    (0.5, np.inf, 1.0, True),    # ran out of epochs (ill-conditioned)
    (0.5, 1.0, 1.0 + 1e-9, True),  # the objective increased
])
def test_float32_gram_blocks_switch_to_float64_on_each_trigger(exact_violation, reached,
                                                               primal_after, switches):
    """The checks that drop float32 Gram blocks after a float32 inner solve:
    its working set's exact KKT violation (times n) against twice the
    tolerance met on its model, an exhausted epoch budget, or a larger
    objective than before the solve."""
    calls = []
    problem = SimpleNamespace(n_samples=10, gram=SimpleNamespace(
        to_double=lambda: calls.append(True)))
    violations = np.array([0.0, exact_violation / 10, 0.03, 9.0])  # feature 3 is outside
    check = SimpleNamespace(violations=violations, primal=primal_after)
    _check_single_precision(problem, check, np.array([0, 1, 2]), reached, 1.0)
    assert bool(calls) == switches

"""Cross-solver contracts: the log's keys, no silent failure (errors recomputed
from the returned plans), zero weights, argument names in errors, the
estimator's call forms."""

import warnings

import numpy as np
import ot
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot import (
    SparsityConstrainedOT,
    qrot,
    sinkhorn_log,
    sinkhorn_newton_sparse,
    sparsity_constrained_ot,
)

TOL = 1e-9


def problem(m, n, seed=0):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((m, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    return np.full(m, 1 / m), rng.dirichlet(np.full(n, 5.0)), M


def plan_error(plan, a, b):
    plan = plan.toarray() if sp.issparse(plan) else plan
    return np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()


SOLVERS = {
    "dual": lambda a, b, M: sparsity_constrained_ot(a, b, M, 0.05, 5, log=True, tol=TOL),
    "semi_dual": lambda a, b, M: sparsity_constrained_ot(a, b, M, 0.05, 5, log=True, tol=TOL,
                                                         formulation="semi_dual"),
    "semi_dual_rows": lambda a, b, M: sparsity_constrained_ot(
        a, b, M, 0.05, 5, log=True, tol=TOL, formulation="semi_dual", axis="rows"),
    "semi_dual_no_repair": lambda a, b, M: sparsity_constrained_ot(
        a, b, M, 0.05, 5, log=True, tol=TOL, formulation="semi_dual", repair=False),
    "k1": lambda a, b, M: sparsity_constrained_ot(a, b, M, 0.01, 1, log=True, tol=TOL),
    "qrot_ssn": lambda a, b, M: qrot(a, b, M, 0.05, log=True, tol=TOL),
    "qrot_lbfgs": lambda a, b, M: qrot(a, b, M, 0.05, method="lbfgs", log=True, tol=TOL),
    "qrot_short": lambda a, b, M: qrot(a, b, M, 0.05, log=True, tol=TOL, max_iter=2),
    "sinkhorn_log": lambda a, b, M: sinkhorn_log(a, b, M, 0.05, log=True, tol=TOL),
    "sinkhorn_log_short": lambda a, b, M: sinkhorn_log(a, b, M, 0.01, log=True, tol=TOL,
                                                       max_iter=7),
    "sns": lambda a, b, M: sinkhorn_newton_sparse(a, b, M, 0.01, log=True, tol=TOL),
    "sns_short": lambda a, b, M: sinkhorn_newton_sparse(a, b, M, 0.001, log=True, tol=TOL,
                                                        max_iter=7, max_newton=1),
}


@pytest.mark.parametrize("name", SOLVERS)
def test_log_keys_and_no_silent_failure(name):
    """Every solver logs value, alpha, beta, n_iter and the marginal error of the
    plan it returns; one that does not warn has met 10 * tol."""
    a, b, M = problem(40, 30, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan, info = SOLVERS[name](a, b, M)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert np.isfinite(info["value"]) and info["n_iter"] >= 1
    assert info["alpha"].shape == (40,) and info["beta"].shape == (30,)
    assert info["marginal_error"] == pytest.approx(plan_error(plan, a, b), rel=1e-6, abs=1e-14)
    assert warned or plan_error(plan, a, b) <= 10 * TOL
    if name.endswith("short"):
        assert warned and info["n_iter"] <= (8 if name.startswith("sns") else 7)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # no repair
@pytest.mark.parametrize("axis", ["columns", "rows"])
def test_semi_dual_potentials_give_the_plan(axis):
    a, b, M = problem(40, 30, 2)
    gamma = 0.05
    plan, info = sparsity_constrained_ot(a, b, M, gamma, 4, formulation="semi_dual", axis=axis,
                                         repair=False, log=True)
    plan = plan.toarray()
    model = np.maximum(info["alpha"][:, None] + info["beta"][None, :] - M, 0.0) / gamma
    support = plan > 0
    np.testing.assert_allclose(plan[support], model[support], rtol=1e-8, atol=1e-12)


def test_zero_weights_and_argument_names():
    a, b, M = problem(4, 3)
    b_zero = np.array([0.5, 0.5, 0.0])
    with pytest.raises(ValueError, match=r"b has zero entries at \[2\].*semi-dual"):
        sparsity_constrained_ot(a, b_zero, M, 0.1, 2, formulation="semi_dual")
    with pytest.raises(ValueError, match=r"a has zero entries at \[1\].*semi-dual"):
        sparsity_constrained_ot([0.5, 0.0, 0.25, 0.25], b, M, 0.1, 2, formulation="semi_dual",
                                axis="rows")
    for solver in (sinkhorn_log, sinkhorn_newton_sparse):
        with pytest.raises(ValueError, match=f"b has zero entries.*{solver.__name__}"):
            solver(a, b_zero, M, 0.1)
    # the dual formulation handles a zero column: it gets no mass
    plan = sparsity_constrained_ot(a, b_zero, M, 0.1, 2)
    assert plan[:, 2].nnz == 0 or abs(plan[:, 2].sum()) <= 1e-12
    # with axis="rows" errors still name the caller's arguments
    with pytest.raises(ValueError, match="a has 2 entries but M has 4 rows"):
        sparsity_constrained_ot([0.5, 0.5], b, M, 0.1, 2, axis="rows")
    with pytest.raises(ValueError, match="a must be non-negative"):
        sparsity_constrained_ot([1.5, -0.5, 0.0, 0.0], b, M, 0.1, 2, axis="rows")


def test_sns_stays_with_sinkhorn_on_an_easy_problem():
    a, b, M = problem(200, 200, 3)
    _, info = sinkhorn_newton_sparse(a, b, M, 0.5, tol=1e-9, log=True)
    assert info["n_newton"] == 0 and info["marginal_error"] <= 1e-9
    first = sinkhorn_newton_sparse(a, b, M, 0.01, tol=1e-9, log=True)[1]
    second = sinkhorn_newton_sparse(a, b, M, 0.01, tol=1e-9, log=True)[1]
    assert (first["n_sinkhorn"], first["n_newton"]) == (second["n_sinkhorn"],
                                                        second["n_newton"])


def test_estimator_call_forms():
    rng = np.random.default_rng(4)
    Xs, Xt = rng.standard_normal((20, 2)), rng.standard_normal((25, 2)) + 3.0
    ys, yt = np.repeat([0, 1], 10), rng.integers(0, 2, 25)
    expected = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, Xt=Xt).plan_.toarray()
    assert expected.shape == (20, 25)
    for fitted in (SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, Xt),
                   SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs=Xs, Xt=Xt)):
        np.testing.assert_array_equal(fitted.plan_.toarray(), expected)
        assert fitted.alpha_.shape == (20,) and fitted.beta_.shape == (25,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labelled = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs, ys, Xt, yt)
        keywords = SparsityConstrainedOT(reg=0.05, max_nz=3).fit(Xs=Xs, ys=ys, Xt=Xt, yt=yt)
    np.testing.assert_array_equal(labelled.plan_.toarray(), keywords.plan_.toarray())
    for args, kwargs in [((Xs, Xt), {"Xt": Xt}), ((Xs, Xt[:, :1]), {}),
                         ((Xs[:, :1], ys[:, None]), {})]:
        with pytest.raises(ValueError, match="pass labels as a 1-D y"):
            SparsityConstrainedOT().fit(*args, **kwargs)
    with pytest.raises(ValueError, match="give X or Xs, not both"):
        SparsityConstrainedOT().fit(Xs, Xs=Xs)
    with pytest.raises(ValueError, match=r"one label per sample of Xs and Xt \(20 and 25\)"):
        SparsityConstrainedOT().fit(Xs, ys[:5], Xt, yt)

"""Cross-solver contracts: the log's keys, no silent failure (errors recomputed
from the returned plans, also with a large cost offset), centred potentials,
verbose output, Ctrl-C, inputs never modified, zero weights, argument names
in errors."""

import warnings

import numpy as np
import ot
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sparseopt.ot import (
    SparsityConstrainedOT,
    qrot,
    route_tokens,
    sinkhorn_log,
    sinkhorn_newton_sparse,
    sparsity_constrained_ot,
)

TOL = 1e-9


def problem(m, n, seed=0):
    rng = np.random.default_rng(seed)
    M = ot.dist(rng.standard_normal((m, 2)), rng.standard_normal((n, 2)) + 1.0)
    M /= M.max()
    return rng.dirichlet(np.full(m, 5.0)), rng.dirichlet(np.full(n, 5.0)), M


def plan_error(plan, a, b):
    plan = plan.toarray() if sp.issparse(plan) else plan
    return np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()


SOLVERS = {
    "dual": lambda a, b, M, **kw: sparsity_constrained_ot(a, b, M, 0.05, 5, log=True, tol=TOL,
                                                          **kw),
    "semi_dual": lambda a, b, M, **kw: sparsity_constrained_ot(
        a, b, M, 0.05, 5, log=True, tol=TOL, formulation="semi_dual", **kw),
    "semi_dual_rows": lambda a, b, M, **kw: sparsity_constrained_ot(
        a, b, M, 0.05, 5, log=True, tol=TOL, formulation="semi_dual", axis="rows", **kw),
    "no_repair": lambda a, b, M, **kw: sparsity_constrained_ot(
        a, b, M, 0.05, 2, log=True, tol=TOL, formulation="semi_dual", repair=False, **kw),
    "k1": lambda a, b, M, **kw: sparsity_constrained_ot(a, b, M, 0.01, 1, log=True, tol=TOL,
                                                        **kw),
    "qrot_ssn": lambda a, b, M, **kw: qrot(a, b, M, 0.05, log=True, tol=TOL, **kw),
    "qrot_lbfgs": lambda a, b, M, **kw: qrot(a, b, M, 0.05, method="lbfgs", log=True, tol=TOL,
                                             **kw),
    "qrot_short": lambda a, b, M, **kw: qrot(a, b, M, 0.05, log=True, tol=TOL, max_iter=2, **kw),
    "sinkhorn_log": lambda a, b, M, **kw: sinkhorn_log(a, b, M, 0.05, log=True, tol=TOL, **kw),
    "sinkhorn_log_short": lambda a, b, M, **kw: sinkhorn_log(a, b, M, 0.01, log=True, tol=TOL,
                                                             max_iter=7, **kw),
    "sns": lambda a, b, M, **kw: sinkhorn_newton_sparse(a, b, M, 0.01, log=True, tol=TOL, **kw),
    "sns_direct": lambda a, b, M, **kw: sinkhorn_newton_sparse(
        a, b, M, 0.01, log=True, tol=TOL, linear_solver="direct", **kw),
    "sns_always_tight": lambda a, b, M, **kw: sinkhorn_newton_sparse(
        a, b, M, 0.01, log=True, tol=1e-12, newton="always", **kw),
    "sns_short": lambda a, b, M, **kw: sinkhorn_newton_sparse(a, b, M, 0.001, log=True, tol=TOL,
                                                              max_iter=7, max_newton=1, **kw),
}


@pytest.mark.parametrize("offset", [0.0, 1e6])
@pytest.mark.parametrize("name", SOLVERS)
def test_log_reports_the_returned_plan(name, offset):
    """Every solver logs value, alpha, beta, n_iter and the marginal error of the
    plan it returns, also for M + 1e6 (SNS logged 8.5e-11 there while its plan's
    error was 1.4e-8); it warns whenever that error exceeds tol."""
    a, b, M = problem(40, 30, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan, info = SOLVERS[name](a, b, M + offset)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    error = plan_error(plan, a, b)
    assert np.isfinite(info["value"]) and info["n_iter"] >= 0
    assert info["alpha"].shape == (40,) and info["beta"].shape == (30,)
    assert info["marginal_error"] == pytest.approx(error, rel=1e-6, abs=1e-15)
    tol = 1e-12 if name == "sns_always_tight" else TOL
    assert warned == (error > tol), (error, [str(w.message) for w in caught])
    if name.endswith("short"):
        assert warned


@pytest.mark.parametrize("name", ["dual", "semi_dual", "k1", "qrot_ssn", "sinkhorn_log", "sns"])
def test_potentials_are_centred_and_follow_a_cost_offset(name):
    """Gauge a^T alpha = b^T beta; M + c shifts both potentials by c / 2 and the
    value by c, and changes neither the plan nor the value otherwise."""
    a, b, M = problem(30, 30, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plan, info = SOLVERS[name](a, b, M)
        shifted_plan, shifted = SOLVERS[name](a, b, M + 10.0)
    assert a @ info["alpha"] == pytest.approx(b @ info["beta"], abs=1e-14)
    np.testing.assert_allclose(shifted["alpha"], info["alpha"] + 5.0, atol=1e-8)
    np.testing.assert_allclose(shifted["beta"], info["beta"] + 5.0, atol=1e-8)
    assert shifted["value"] == pytest.approx(info["value"] + 10.0, abs=1e-8)
    dense = (lambda p: p.toarray()) if sp.issparse(plan) else np.asarray
    np.testing.assert_allclose(dense(shifted_plan), dense(plan), atol=1e-9)


def test_verbose_prints_through_the_iteration_printer(capsys):
    a, b, M = problem(30, 30, 3)
    sinkhorn_newton_sparse(a, b, M, 0.005, newton="always", verbose=2)
    sinkhorn_log(a, b, M, 0.05, verbose=2)
    qrot(a, b, M, 0.05, verbose=2)
    qrot(a, b, M, 0.05, method="lbfgs", verbose=2, tol=1e-6)
    sparsity_constrained_ot(a, b, M, 0.05, 2, verbose=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SparsityConstrainedOT(reg=0.05, max_nz=2, verbose=2).fit(M[:, :2], M[:, 2:4])
    out = capsys.readouterr().out
    for name in ("[sinkhorn_newton_sparse] iter", "phase=newton", "cg_iterations=",
                 "[sinkhorn_log] iter", "[qrot(ssn)] iter", "[qrot(lbfgs)] iter",
                 "[sparsity_constrained_ot] iter"):
        assert name in out, name
    assert out.count("[sparsity_constrained_ot]") >= 2  # the function and the estimator


@pytest.mark.parametrize("kind", ["float32_F", "readonly"])
def test_inputs_are_never_modified(kind):
    a, b, M = problem(20, 20, 4)
    if kind == "float32_F":
        a, b, M = a.astype(np.float32), b.astype(np.float32), np.asfortranarray(M, np.float32)
    else:
        for array in (a, b, M):
            array.setflags(write=False)
    copies = [array.copy() for array in (a, b, M)]
    rng = np.random.default_rng(4)
    Xs, Xt = rng.standard_normal((20, 2)), rng.standard_normal((20, 2))
    Xs.setflags(write=kind != "readonly")
    Xt.setflags(write=kind != "readonly")
    samples = Xs.copy(), Xt.copy()
    logits = np.asarray(M[:, :4]).copy()
    logits.setflags(write=kind != "readonly")
    logits_copy = logits.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver in SOLVERS.values():
            solver(a, b, M)
        sinkhorn_log(a, np.stack([b, b], axis=1), M, 0.05)
        model = SparsityConstrainedOT(reg=0.05, max_nz=2).fit(Xs, Xt=Xt)
        model.transform(Xs), model.inverse_transform(Xt)
        route_tokens(logits, k=2)
    for original, copy in zip((a, b, M, Xs, Xt, logits), (*copies, *samples, logits_copy),
                              strict=True):
        np.testing.assert_array_equal(original, copy)


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
    assert abs(plan[:, 2].sum()) <= 1e-12
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


_SETUP = """
import warnings
import numpy as np
import ot
from sparseopt.ot import qrot, sinkhorn_log, sinkhorn_newton_sparse, sparsity_constrained_ot
warnings.simplefilter("ignore")
def problem(n):
    rng = np.random.default_rng(0)
    M = ot.dist(rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 1.0)
    return np.full(n, 1 / n), np.full(n, 1 / n), M / M.max()
a, b, M = problem(40)
{warm}
a, b, M = problem({n})
"""

_CALLS = {  # warm-up (compiles), a call that runs for more than 3 s, problem size
    "sinkhorn_log": ("sinkhorn_log(a, b, M, 0.05, max_iter=10)",
                     "sinkhorn_log(a, b, M, 1e-3, tol=0.0, max_iter=10**7)", 800),
    "sinkhorn_newton_sparse": (
        "sinkhorn_newton_sparse(a, b, M, 0.01, newton='always')",
        "sinkhorn_newton_sparse(a, b, M, 1e-3, tol=0.0, newton='never', max_iter=10**8)", 800),
    "qrot": ("qrot(a, b, M, 0.05); qrot(a, b, M, 0.05, method='lbfgs')",
             "for _ in range(10**6):\n    qrot(a, b, M, 1e-3 * M.shape[0])", 1000),
    "sparsity_constrained_ot": (
        "sparsity_constrained_ot(a, b, M, 0.05, 2)",
        "for _ in range(10**6):\n    sparsity_constrained_ot(a, b, M, 1e-2 * M.shape[0], 3)",
        1000),
}


@pytest.mark.parametrize("solver", _CALLS)
def test_ctrl_c_interrupts_promptly(assert_interruptible, solver):
    """SIGINT 3 s into a long solve raises KeyboardInterrupt within 1 s (it
    surfaced as SystemError from a numba callback, or only at the end)."""
    warm, call, n = _CALLS[solver]
    assert_interruptible(_SETUP.format(warm=warm, n=n), call)

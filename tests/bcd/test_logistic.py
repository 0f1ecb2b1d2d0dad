import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sparseopt.bcd import (
    GroupLogisticRegression,
    MultinomialLogisticRegression,
    SparseLogisticRegression,
)
from sparseopt.datasets import make_sparse_regression
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, bcd_minimize
from sparseopt.solvers.bcd.monitors import glm_gap_monitor


@pytest.fixture(scope="module")
def binary_problem():
    X, y, _ = make_sparse_regression(120, 40, 6, rho=0.4, random_state=3)
    labels = np.where(y > np.median(y), "yes", "no")
    return X, labels


def cvxpy_logistic(X, signs, l1, l2, fit_intercept):
    n, p = X.shape
    w, b = cp.Variable(p), cp.Variable()
    margins = cp.multiply(signs, X @ w + (b if fit_intercept else 0))
    objective = cp.sum(cp.logistic(-margins)) / n + l1 * cp.norm1(w) + 0.5 * l2 * cp.sum_squares(w)
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_abs=1e-12,
                                             tol_gap_rel=1e-12, tol_feas=1e-12)
    return w.value, (b.value if fit_intercept else 0.0)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_binary_matches_cvxpy(binary_problem, fit_intercept, sparse, l1_ratio):
    X, labels = binary_problem
    alpha = 0.02
    signs = np.where(labels == "yes", 1.0, -1.0)
    w_ref, b_ref = cvxpy_logistic(X, signs, alpha * l1_ratio, alpha * (1 - l1_ratio),
                                  fit_intercept)
    design = sp.csc_matrix(X) if sparse else X
    model = SparseLogisticRegression(alpha=alpha, l1_ratio=l1_ratio,
                                     fit_intercept=fit_intercept, tol=1e-12).fit(design, labels)
    np.testing.assert_allclose(model.coef_.ravel(), w_ref, atol=2e-6)
    assert model.intercept_[0] == pytest.approx(b_ref, abs=2e-6)
    assert list(model.classes_) == ["no", "yes"]


def test_binary_matches_liblinear_and_engine_paths(binary_problem):
    X, labels = binary_problem
    n, alpha = X.shape[0], 0.02
    reference = LogisticRegression(C=1 / (n * alpha), l1_ratio=1.0, solver="liblinear",
                                   fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, labels)
    fast = SparseLogisticRegression(alpha=alpha, fit_intercept=False, tol=1e-12).fit(X, labels)
    np.testing.assert_allclose(fast.coef_, reference.coef_, atol=1e-6)
    for options in ({"selection": "gsl", "blocks": "variable", "block_size": 5},
                    {"selection": "gsq", "blocks": "sorted", "block_size": 4,
                     "update": "lipschitz_matrix"},
                    {"selection": "cyclic", "update": "gradient", "active_set": True}):
        engine = SparseLogisticRegression(alpha=alpha, fit_intercept=True, tol=1e-10,
                                          max_iter=5000, **options).fit(X, labels)
        fast_intercept = SparseLogisticRegression(alpha=alpha, tol=1e-12).fit(X, labels)
        np.testing.assert_allclose(engine.coef_, fast_intercept.coef_, atol=1e-6)
        np.testing.assert_allclose(engine.intercept_, fast_intercept.intercept_, atol=1e-6)


def test_binary_probabilities_and_errors(binary_problem):
    X, labels = binary_problem
    model = SparseLogisticRegression(alpha=0.01).fit(X, labels)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])
    assert model.score(X, labels) > 0.8
    with pytest.raises(ValueError, match="at least two classes"):
        SparseLogisticRegression().fit(X, np.zeros(len(labels)))
    with pytest.raises(ValueError, match="Only binary classification"):
        SparseLogisticRegression().fit(X, np.arange(len(labels)) % 3)
    with pytest.raises(ValueError, match="block_size must be in"):
        SparseLogisticRegression(block_size=100).fit(X, labels)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@pytest.mark.parametrize("update", ["newton", "lipschitz_matrix", "gradient"])
def test_multinomial_l2_matches_sklearn(iris, update):
    X, y = iris
    n, alpha = len(y), 0.01
    reference = LogisticRegression(C=1 / (n * alpha), tol=1e-12, max_iter=100_000).fit(X, y)
    model = MultinomialLogisticRegression(alpha=alpha, l1_ratio=0.0, update=update, tol=1e-11,
                                          max_iter=20_000).fit(X, y)
    # the intercepts are defined up to a common shift: compare the scores
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_multinomial_l1_matches_cvxpy(iris):
    X, y = iris
    n, p, k = X.shape[0], X.shape[1], 3
    alpha = 0.01
    W, b = cp.Variable((p, k)), cp.Variable(k)
    scores = X @ W + np.ones((n, 1)) @ cp.reshape(b, (1, k), order="C")
    onehot = np.eye(k)[y]
    loss = cp.sum(cp.log_sum_exp(scores, axis=1)) - cp.sum(cp.multiply(onehot, scores))
    cp.Problem(cp.Minimize(loss / n + alpha * cp.sum(cp.abs(W)))).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    model = MultinomialLogisticRegression(alpha=alpha, tol=1e-11, max_iter=20_000).fit(X, y)
    np.testing.assert_allclose(model.coef_.T, W.value, atol=2e-5)
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_configurations_match_cvxpy(sparse, fit_intercept, l1_ratio, weighted):
    """Every configuration of the multinomial solver (layout, intercept, penalty,
    sample weights) against Clarabel on correlated 4-class data."""
    rng = np.random.default_rng(7)
    X, y, _ = make_sparse_regression(90, 12, 4, rho=0.7, random_state=5)
    X[rng.random(X.shape) < 0.3] = 0.0
    labels = np.digitize(y + 0.3 * rng.standard_normal(90), np.quantile(y, [0.25, 0.5, 0.75]))
    sample_weight = rng.uniform(0.2, 3.0, 90) if weighted else None
    n, p, k, alpha = 90, 12, 4, 0.02
    scale = np.ones(n) / n if sample_weight is None else sample_weight / sample_weight.sum()
    W, b = cp.Variable((p, k)), cp.Variable(k)
    scores = X @ W + (np.ones((n, 1)) @ cp.reshape(b, (1, k), order="C") if fit_intercept else 0)
    losses = cp.log_sum_exp(scores, axis=1) - cp.sum(cp.multiply(np.eye(k)[labels], scores), axis=1)
    penalty = alpha * (l1_ratio * cp.sum(cp.abs(W)) + (1 - l1_ratio) / 2 * cp.sum_squares(W))
    problem = cp.Problem(cp.Minimize(scale @ losses + penalty))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    design = sp.csc_matrix(X) if sparse else X
    model = MultinomialLogisticRegression(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12,
                                          fit_intercept=fit_intercept, max_iter=20_000)
    model.fit(design, labels, sample_weight=sample_weight)
    scores = X @ model.coef_.T + model.intercept_
    reference = X @ W.value + (b.value if fit_intercept else 0.0)
    # the optimal probabilities are unique; the coefficients only with an l2 term
    # (an l1 penalty alone can leave a common shift of a feature's row free)
    np.testing.assert_allclose(model.predict_proba(X), np.exp(reference - logsumexp(
        reference, axis=1, keepdims=True)), atol=2e-6)
    if l1_ratio < 1.0:
        np.testing.assert_allclose(model.coef_.T, W.value, atol=2e-5)
    top = scores.max(axis=1)
    ours = scale @ (top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
                    - scores[np.arange(n), labels])
    ours += alpha * (l1_ratio * np.abs(model.coef_).sum()
                     + (1 - l1_ratio) / 2 * (model.coef_ ** 2).sum())
    assert ours <= problem.value + 1e-9 * max(1.0, abs(problem.value))


@pytest.mark.parametrize("loss", ["least_squares", "logistic", "multinomial"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_gap_monitor_is_a_certificate(loss, l2):
    """The gap bounds P(w) - P* from above everywhere and vanishes at the optimum."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8))
    n_outputs = 3 if loss == "multinomial" else 1
    target = {"least_squares": rng.standard_normal(60), "logistic": np.sign(
        rng.standard_normal(60)), "multinomial": rng.integers(0, 3, 60).astype(float)}[loss]
    datafit = GLMDatafit(X, target, loss, 1 / 60, n_outputs=n_outputs)
    penalty = ElasticNetPenalty(0.05, l2, np.ones(8 * n_outputs))
    at_zero = datafit.value(datafit.start(np.zeros(8 * n_outputs), False))
    monitor = glm_gap_monitor(datafit, penalty, at_zero)
    optimum, info = bcd_minimize(datafit, penalty, blocks="variable", block_size=4,
                                 selection="gsl", update="newton", max_iter=3000, tol=1e-13,
                                 monitor=monitor)
    assert info["converged"]
    best = info["objective"]
    for _ in range(5):
        state = datafit.start(optimum + 0.3 * rng.standard_normal(optimum.size), False)
        objective, criterion = monitor(state)
        assert criterion * at_zero >= objective - best - 1e-12


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_refit_at_the_optimum_takes_no_epoch(fit_intercept):
    # The unpenalised gradients were measured against their value at the warm
    # start (near the optimum: ~alpha), so a refit on the same data ran 7 more
    # epochs; they are measured against the gradient at zero, as a cold fit's.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 20)) + 0.5
    labels = (X[:, :3] @ np.array([1.5, -2.0, 1.0]) + 0.5 * rng.standard_normal(100)
              > 0.8).astype(int)
    model = SparseLogisticRegression(alpha=0.02, warm_start=True, tol=1e-8,
                                     fit_intercept=fit_intercept, max_iter=20_000)
    first = model.fit(X, labels).coef_.copy()
    assert model.n_iter_ > 0
    assert model.fit(X, labels).n_iter_ == 0
    np.testing.assert_array_equal(model.coef_, first)


def _imbalanced_logistic(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 6))
    labels = np.where(rng.random(60) < 0.85, 1.0, -1.0)
    labels[:3] = [1.0, -1.0, -1.0]
    return X, labels


@pytest.mark.parametrize("make", [
    lambda: SparseLogisticRegression(alpha=0.05),
    lambda: SparseLogisticRegression(alpha=0.05, selection="gsl", block_size=2,
                                     update="lipschitz_matrix"),
    lambda: GroupLogisticRegression(groups=3, alpha=0.05 / np.sqrt(3)),
], ids=["fast", "engine", "group"])
def test_gap_with_an_intercept_is_a_certificate_at_every_stop(make):
    # The dual point ignored the intercept's constraint sum_i u_i = 0: stopped
    # early on imbalanced labels, GroupLogisticRegression reported a zero gap
    # 22% above the optimum (the engine: 2.5% above, gap 0). Balanced over
    # the classes, the dual point is feasible and every gap a certificate.
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    for seed in range(5):
        X, labels = _imbalanced_logistic(seed)
        reference = make()
        groups = [np.arange(0, 3), np.arange(3, 6)]
        w, b = cp.Variable(6), cp.Variable()
        if isinstance(reference, GroupLogisticRegression):
            penalty = reference.alpha * np.sqrt(3) * sum(cp.norm(w[g]) for g in groups)
        else:
            penalty = reference.alpha * cp.norm1(w)
        problem = cp.Problem(cp.Minimize(
            cp.sum(cp.logistic(-cp.multiply(labels, X @ w + b))) / 60 + penalty))
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                      tol_feas=1e-12)
        for max_iter in (1, 2, 3, 5, 1000):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = make().set_params(tol=1e-12, max_iter=max_iter).fit(X, labels)
            coef, intercept = model.coef_.ravel(), float(np.ravel(model.intercept_)[0])
            if isinstance(model, GroupLogisticRegression):
                norm = model.alpha * np.sqrt(3) * sum(np.linalg.norm(coef[g]) for g in groups)
            else:
                norm = model.alpha * np.abs(coef).sum()
            ours = np.mean(np.logaddexp(0.0, -labels * (X @ coef + intercept))) + norm
            assert ours - model.dual_gap_ <= problem.value + 1e-9, (seed, max_iter)
        assert ours <= problem.value + 1e-8 and model.dual_gap_ <= 1e-8


@pytest.mark.parametrize("options", [{}, {"selection": "gsl", "block_size": 2}],
                         ids=["fast", "engine"])
def test_alpha_zero_stops_on_the_gradient(options):
    # alpha=0 left no dual bound (gap = objective): the fit ran to max_iter
    # with a ConvergenceWarning; it stops when the gradient is tol times its
    # value at zero, dual_gap_ NaN (no certificate).
    import warnings
    rng = np.random.default_rng(7)
    X = rng.standard_normal((60, 6))
    labels = np.where(X[:, 0] - X[:, 3] + 1.5 * rng.standard_normal(60) > 0, 1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseLogisticRegression(alpha=0.0, tol=1e-10, **options).fit(X, labels)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, labels)
    np.testing.assert_allclose(model.coef_.ravel(), reference.coef_.ravel(), atol=1e-6)
    assert np.isnan(model.dual_gap_) and model.n_iter_ < 1000


def test_multinomial_alpha_zero_stops_on_the_gradient():
    # Same defect as the binary one: alpha=0 ran to max_iter (gap = objective).
    import warnings
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 3))
    y = np.digitize(X[:, 0] - X[:, 1] + rng.standard_normal(90), [-0.5, 0.5])  # overlapping
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MultinomialLogisticRegression(alpha=0.0, tol=1e-10).fit(X, y)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    assert np.isnan(model.dual_gap_) and model.n_iter_ < 1000


@pytest.mark.parametrize("make", [lambda: SparseLogisticRegression(alpha=0.01),
                                  lambda: MultinomialLogisticRegression(alpha=0.01),
                                  lambda: GroupLogisticRegression(groups=2, alpha=0.01)])
def test_predict_log_proba(make):
    # It was missing (AttributeError), where sklearn's LogisticRegression has it.
    X, y = load_iris(return_X_y=True)
    if not isinstance(make(), MultinomialLogisticRegression):
        y = (y == 2).astype(int)
    model = make().fit(X, y)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)),
                               rtol=1e-10, atol=1e-12)
    far = 1e3 * X  # probabilities round to 0 and 1; their logarithms stay finite
    assert np.all(np.isfinite(model.predict_log_proba(far)))


def test_multinomial_intercepts_are_centred_like_sklearns():
    # Any common shift of the intercepts is optimal; ours drifted along it
    # (sum 4.75 on standardised iris, l1) where sklearn's sum to zero.
    from sklearn.preprocessing import StandardScaler

    from sparseopt.bcd import SparseLogisticRegressionCV
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = MultinomialLogisticRegression(alpha=1e-2, tol=1e-10, max_iter=20_000).fit(X, y)
    reference = LogisticRegression(C=1 / (len(y) * 1e-2), l1_ratio=1.0, solver="saga",
                                   tol=1e-10, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-4)
    assert abs(model.intercept_.sum()) < 1e-12
    cv = SparseLogisticRegressionCV(alphas=[1e-2], cv=3, tol=1e-10, max_iter=20_000).fit(X, y)
    np.testing.assert_allclose(cv.intercept_, model.intercept_, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multinomial_unpenalised_rows_are_centred_as_sklearn(seed):
    """Second review: at alpha=0 (and on rows of zero penalty factor) the
    class sums of a feature's coefficients were 1.1-6.4 (any common shift is
    optimal), so ``coef_`` differed from scikit-learn's by up to 2.1 with
    equal probabilities; such rows are now centred, as the intercepts."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 5))
    labels = rng.integers(0, 3, 60)
    ours = MultinomialLogisticRegression(alpha=0.0, tol=1e-10, max_iter=10_000).fit(X, labels)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-5)
    factors = np.array([0.0, 1.0, 0.0, 2.0, 1.0])
    weighted = MultinomialLogisticRegression(alpha=0.02, l1_ratio=1.0, weights=factors,
                                             tol=1e-10).fit(X, labels)
    np.testing.assert_allclose(weighted.coef_[:, factors == 0].sum(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("make", [SparseLogisticRegression, MultinomialLogisticRegression])
def test_max_iter_below_a_newton_step_returns_the_start_as_documented(make):
    """A Newton step needs two epochs (its gradient and one model pass): with
    max_iter=1 the default solver returns its start with n_iter_ = 0 and a
    ConvergenceWarning (documented under ``max_iter``); max_iter=2 makes one step."""
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 20))
    labels = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1.0)
    if make is SparseLogisticRegression:
        labels = np.minimum(labels, 1)
    with pytest.warns(ConvergenceWarning, match="max_iter=1 epochs"):
        model = make(alpha=0.01, max_iter=1).fit(X, labels)
    assert model.n_iter_ == 0
    assert not np.any(model.coef_) and not np.any(model.intercept_)
    with pytest.warns(ConvergenceWarning, match="max_iter=2 epochs"):
        model = make(alpha=0.01, max_iter=2).fit(X, labels)
    assert model.n_iter_ == 2 and np.count_nonzero(model.coef_) > 0

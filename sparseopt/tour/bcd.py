"""Tour rows of the block coordinate descent family (:mod:`sparseopt.bcd`).

Each function takes ``quick`` (smaller data for ``tour --quick``) and returns a
:class:`~sparseopt.tour.Task`: the data, the metric, sparseopt's estimators
and the scikit-learn, skglm and celer estimators a user would otherwise fit,
with the same objective and tolerance in each library's own terms.
"""

import numpy as np

from sparseopt.tour._runner import Implementation, Task

_SKGLM_JIT = "skglm compiles its jitclasses in every new process (5-15 s per model)"

# sklearn's Lasso/ElasticNet stop at a duality gap of tol * ||y||^2 / n (objective
# scaled by 1/n), sparseopt's at tol * ||y - mean||^2 / (2n): half sklearn's tol is
# the same gap (celer's rule is sklearn's). The relative objective column checks
# that all got there.
_TOL = 1e-6


def _regression_data(quick):
    from sklearn.model_selection import train_test_split

    from sparseopt.datasets import make_sparse_regression

    n_samples, n_features = (200, 500) if quick else (400, 2000)
    X, y, coef = make_sparse_regression(n_samples, n_features, 20, rho=0.5, snr=5,
                                        random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    data = f"Toeplitz(0.5) {n_samples}x{n_features}, 20 true coefs, 25% test"
    return X_train, X_test, y_train, y_test, coef, data


def _alpha_max(X, y):
    return np.max(np.abs(X.T @ (y - y.mean()))) / len(y)


def _penalised_least_squares(X, y, alpha, l1_ratio):
    def objective(model):
        coef = np.ravel(model.coef_)
        residual = y - X @ coef - model.intercept_
        return (residual @ residual / (2 * len(y)) + alpha * l1_ratio * np.abs(coef).sum()
                + alpha * (1 - l1_ratio) / 2 * coef @ coef)
    return objective


def _support_details(true_coef):
    def details(model):
        found, true = np.ravel(model.coef_) != 0, true_coef != 0
        f1 = 2 * np.sum(found & true) / max(found.sum() + true.sum(), 1)
        return f"{found.sum()} non-zero coefs (support F1 {f1:.2f})"
    return details


def _r2(X_test, y_test):
    from sklearn.metrics import r2_score

    return lambda model: r2_score(y_test, model.predict(X_test))


def lasso(quick=False):
    """Lasso on a sparse p >> n regression: sklearn, skglm, celer; OLS and ridge baselines."""
    X, X_test, y, y_test, coef, data = _regression_data(quick)
    alpha = _alpha_max(X, y) / 20

    def sparseopt_lasso(selection):
        from sparseopt.bcd import Lasso
        return lambda: Lasso(alpha=alpha, selection=selection, tol=_TOL).fit(X, y)

    def sklearn_lasso():
        from sklearn.linear_model import Lasso
        return Lasso(alpha=alpha, tol=_TOL / 2, max_iter=100_000).fit(X, y)

    def skglm_lasso():
        from skglm import Lasso
        return Lasso(alpha=alpha, tol=_TOL, max_iter=1000).fit(X, y)

    def celer_lasso():
        from celer import Lasso
        return Lasso(alpha=alpha, tol=_TOL / 2).fit(X, y)

    def least_squares():
        from sklearn.linear_model import LinearRegression
        return LinearRegression().fit(X, y)

    def ridge_cv():
        from sklearn.linear_model import RidgeCV
        return RidgeCV(alphas=np.geomspace(1e-2, 1e4, 25)).fit(X, y)

    return Task(
        title="Lasso: sparse linear regression with more features than samples",
        data=data + ", alpha = alpha_max / 20",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=_support_details(coef),
        objective=_penalised_least_squares(X, y, alpha, 1.0),
        covers=("Lasso",),
        implementations=[
            Implementation("sparseopt Lasso (cyclic)", sparseopt_lasso("cyclic"), compiles=True),
            Implementation("sparseopt Lasso (selection='gsl')", sparseopt_lasso("gsl"),
                           compiles=True),
            Implementation("sklearn Lasso", sklearn_lasso, role="anchor"),
            Implementation("skglm Lasso", skglm_lasso, role="anchor", requires=("skglm",),
                           compiles=True, not_in_quick=_SKGLM_JIT),
            Implementation("celer Lasso", celer_lasso, role="anchor", requires=("celer",)),
            Implementation("sklearn LinearRegression", least_squares, role="baseline"),
            Implementation("sklearn RidgeCV", ridge_cv, role="baseline"),
        ],
    )


def elastic_net(quick=False):
    """Elastic net (l1_ratio 0.5) on the same data: sklearn, skglm, celer."""
    X, X_test, y, y_test, coef, data = _regression_data(quick)
    alpha, l1_ratio = _alpha_max(X, y) / 10, 0.5

    def sparseopt_enet():
        from sparseopt.bcd import ElasticNet
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL).fit(X, y)

    def sklearn_enet():
        from sklearn.linear_model import ElasticNet
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL / 2,
                          max_iter=100_000).fit(X, y)

    def skglm_enet():
        from skglm import ElasticNet
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL).fit(X, y)

    def celer_enet():
        from celer import ElasticNet
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL / 2).fit(X, y)

    return Task(
        title="ElasticNet: the same regression with l1_ratio = 0.5",
        data=data + ", alpha = alpha_max / 10",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=_support_details(coef),
        objective=_penalised_least_squares(X, y, alpha, l1_ratio),
        covers=("ElasticNet",),
        implementations=[
            Implementation("sparseopt ElasticNet", sparseopt_enet, compiles=True),
            Implementation("sklearn ElasticNet", sklearn_enet, role="anchor"),
            Implementation("skglm ElasticNet", skglm_enet, role="anchor", requires=("skglm",),
                           compiles=True, not_in_quick=_SKGLM_JIT),
            Implementation("celer ElasticNet", celer_enet, role="anchor", requires=("celer",)),
        ],
    )


def path(quick=False):
    """lasso_path on a 50-value grid, alpha chosen on held-out data: sklearn's lasso_path."""
    X, X_test, y, y_test, coef, data = _regression_data(quick)
    # Centre with the training means (no intercept in sklearn's lasso_path).
    x_mean, y_mean = X.mean(axis=0), y.mean()
    X, X_test, y, y_test = X - x_mean, X_test - x_mean, y - y_mean, y_test - y_mean
    alphas = np.geomspace(_alpha_max(X, y), _alpha_max(X, y) / 100, 50)

    def sparseopt_path():
        from sparseopt.bcd import lasso_path
        return lasso_path(X, y, alphas=alphas, tol=_TOL)[:2]

    def sklearn_path():
        from sklearn.linear_model import lasso_path
        return lasso_path(X, y, alphas=alphas, tol=_TOL / 2, max_iter=100_000)[:2]

    def best(result):
        _, coefs = result
        residuals = y_test[:, None] - X_test @ coefs
        r2 = 1 - (residuals ** 2).sum(axis=0) / ((y_test - y_test.mean()) ** 2).sum()
        return int(np.argmax(r2)), r2

    def mean_objective(result):
        grid, coefs = result
        residuals = y[:, None] - X @ coefs
        values = (residuals ** 2).sum(axis=0) / (2 * len(y)) + grid * np.abs(coefs).sum(axis=0)
        return float(values.mean())

    def details(result):
        index, _ = best(result)
        return f"best of 50 alphas: #{index + 1}, {np.sum(result[1][:, index] != 0)} non-zero"

    return Task(
        title="lasso_path: 50 warm-started Lassos; the best R^2 on held-out data",
        data=data + ", centred",
        metric="best R^2",
        score=lambda result: best(result)[1].max(),
        details=details,
        objective=mean_objective,
        covers=("lasso_path",),
        implementations=[
            Implementation("sparseopt lasso_path", sparseopt_path, compiles=True),
            Implementation("sklearn lasso_path", sklearn_path, role="anchor"),
        ],
    )


def least_squares_bcd(quick=False):
    """LeastSquaresBCD (ridge) with the paper's greedy block rules: sklearn's Ridge."""
    from sklearn.model_selection import train_test_split

    from sparseopt.datasets import make_sparse_regression

    n_samples, n_features = (1000, 50) if quick else (4000, 200)
    X, y, _ = make_sparse_regression(n_samples, n_features, 30, rho=0.9, snr=5,
                                     random_state=0)
    X, X_test, y, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    alpha = 1e-2

    def bcd(**options):
        from sparseopt.bcd import LeastSquaresBCD
        return lambda: LeastSquaresBCD(alpha=alpha, tol=1e-8, **options).fit(X, y)

    def sklearn_ridge():
        from sklearn.linear_model import Ridge
        # Ridge minimises ||y - Xw||^2 + a ||w||^2: a = n * alpha is the same problem.
        return Ridge(alpha=alpha * len(y)).fit(X, y)

    def objective(model):
        residual = y - X @ model.coef_ - model.intercept_
        return residual @ residual / (2 * len(y)) + alpha / 2 * model.coef_ @ model.coef_

    return Task(
        title="LeastSquaresBCD: ridge on correlated tall data, the paper's block rules",
        data=f"Toeplitz(0.9) {n_samples}x{n_features}, 25% test, alpha = 0.01",
        metric="test R^2",
        score=_r2(X_test, y_test),
        objective=objective,
        covers=("LeastSquaresBCD",),
        implementations=[
            Implementation("sparseopt LeastSquaresBCD (cyclic)", bcd(), compiles=True),
            Implementation("sparseopt LeastSquaresBCD gsl, 10-blocks", bcd(
                selection="gsl", blocks="variable", block_size=10, update="newton"),
                compiles=True),
            Implementation("sklearn Ridge (direct solve)", sklearn_ridge, role="anchor"),
        ],
    )


def _split_standardised(name):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sparseopt.datasets import load_bundled

    bunch = load_bundled(name)
    X_train, X_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=0.25, random_state=0, stratify=bunch.target)
    scaler = StandardScaler().fit(X_train)
    data = f"{name} {bunch.data.shape[0]}x{bunch.data.shape[1]}, standardised, 25% test"
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, data


def _accuracy(X_test, y_test):
    return lambda model: float(np.mean(model.predict(X_test) == y_test))


def _features_used(n_features):
    def details(model):
        used = np.any(np.atleast_2d(model.coef_) != 0, axis=0).sum()
        return f"uses {used} of {n_features} features"
    return details


def sparse_logistic(quick=False):
    """l1 logistic regression on breast cancer: sklearn (saga, liblinear), skglm; l2 baseline."""
    X, X_test, y, y_test, data = _split_standardised("breast_cancer")
    alpha = 0.02
    C = 1.0 / (alpha * len(y))  # sklearn: C * sum(loss) + ||w||_1

    def sparseopt_logistic():
        from sparseopt.bcd import SparseLogisticRegression
        return SparseLogisticRegression(alpha=alpha, tol=1e-6).fit(X, y)

    def sklearn_l1(solver):
        def run():
            from sklearn.linear_model import LogisticRegression
            # liblinear penalises the intercept: a large scaling makes that negligible
            return LogisticRegression(C=C, l1_ratio=1.0, solver=solver, tol=1e-6,
                                      max_iter=10_000, intercept_scaling=1e4).fit(X, y)
        return run

    def skglm_logistic():
        from skglm import SparseLogisticRegression
        return SparseLogisticRegression(alpha=alpha, tol=1e-6, max_iter=100).fit(X, y)

    def dense_logistic():
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(max_iter=1000).fit(X, y)

    def objective(model):
        margin = (2 * y - 1) * (X @ np.ravel(model.coef_) + np.ravel(model.intercept_)[0])
        return np.logaddexp(0, -margin).mean() + alpha * np.abs(model.coef_).sum()

    return Task(
        title="SparseLogisticRegression: l1 logistic regression, few features",
        data=data + f", alpha = {alpha}",
        metric="test acc.",
        score=_accuracy(X_test, y_test),
        details=_features_used(X.shape[1]),
        objective=objective,
        covers=("SparseLogisticRegression",),
        implementations=[
            Implementation("sparseopt SparseLogisticRegression", sparseopt_logistic,
                           compiles=True),
            Implementation("sklearn LogisticRegression l1 saga", sklearn_l1("saga"),
                           role="anchor"),
            Implementation("sklearn LogisticRegression l1 liblinear", sklearn_l1("liblinear"),
                           role="anchor"),
            Implementation("skglm SparseLogisticRegression", skglm_logistic, role="anchor",
                           requires=("skglm",), compiles=True, not_in_quick=_SKGLM_JIT),
            Implementation("sklearn LogisticRegression (l2)", dense_logistic, role="baseline"),
        ],
    )


def multinomial_logistic(quick=False):
    """l1 multinomial logistic regression on digits: sklearn (saga); l2 baseline."""
    X, X_test, y, y_test, data = _split_standardised("digits")
    alpha = 0.005
    if quick:
        X, y = X[:300], y[:300]
        data = data.replace("25% test", "300 training rows")

    def sparseopt_multinomial():
        from sparseopt.bcd import MultinomialLogisticRegression
        return MultinomialLogisticRegression(alpha=alpha, tol=1e-4).fit(X, y)

    def sklearn_saga():
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=1.0 / (alpha * len(y)), l1_ratio=1.0, solver="saga",
                                  tol=1e-4, max_iter=2000).fit(X, y)

    def dense_logistic():
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(max_iter=1000).fit(X, y)

    def objective(model):
        scores = X @ model.coef_.T + model.intercept_
        log_normaliser = np.logaddexp.reduce(scores, axis=1)
        classes = np.searchsorted(model.classes_, y)
        loss = np.mean(log_normaliser - scores[np.arange(len(y)), classes])
        return loss + alpha * np.abs(model.coef_).sum()

    return Task(
        title="MultinomialLogisticRegression: 10 digit classes, l1 penalty",
        data=data + f", alpha = {alpha}",
        metric="test acc.",
        score=_accuracy(X_test, y_test),
        details=_features_used(X.shape[1]),
        objective=objective,
        covers=("MultinomialLogisticRegression",),
        implementations=[
            Implementation("sparseopt MultinomialLogisticRegression", sparseopt_multinomial,
                           compiles=True),
            Implementation("sklearn LogisticRegression l1 saga", sklearn_saga, role="anchor",
                           not_in_quick="several seconds per fit"),
            Implementation("sklearn LogisticRegression (l2)", dense_logistic, role="baseline"),
        ],
    )


def label_propagation(quick=False):
    """Graph label propagation on two moons: sklearn's LabelPropagation and LabelSpreading."""
    from sparseopt.datasets import make_two_moons_label_propagation

    n_samples, n_labelled = (1000, 50) if quick else (2000, 100)
    problem = make_two_moons_label_propagation(n_samples=n_samples, n_labelled=n_labelled,
                                               random_state=0)
    unlabelled = ~problem.labelled
    values = np.where(problem.labelled, problem.labels, np.nan)
    classes = np.where(problem.labelled, problem.y, -1)

    def sparseopt_propagation():
        from sparseopt.bcd import GraphLabelPropagation
        model = GraphLabelPropagation(n_neighbors=5, tol=1e-8).fit(problem.X, values)
        return np.where(model.transduction_ > 1.5, 2, 1)

    def sklearn(name):
        def run():
            from sklearn import semi_supervised
            estimator = getattr(semi_supervised, name)(kernel="knn", n_neighbors=5,
                                                       max_iter=10_000, tol=1e-8)
            return estimator.fit(problem.X, classes).transduction_
        return run

    def nearest_labelled():
        from sklearn.neighbors import KNeighborsClassifier
        knn = KNeighborsClassifier(n_neighbors=1).fit(problem.X[problem.labelled],
                                                     problem.y[problem.labelled])
        return knn.predict(problem.X)

    return Task(
        title="GraphLabelPropagation: labels spread over a 5-NN graph",
        data=f"two moons, {n_samples} points, {n_labelled} labelled (the paper's experiment)",
        metric="accuracy",
        score=lambda labels: float(np.mean(labels[unlabelled] == problem.y[unlabelled])),
        covers=("GraphLabelPropagation",),
        implementations=[
            Implementation("sparseopt GraphLabelPropagation", sparseopt_propagation,
                           compiles=True),
            Implementation("sklearn LabelPropagation (knn)", sklearn("LabelPropagation"),
                           role="anchor"),
            Implementation("sklearn LabelSpreading (knn)", sklearn("LabelSpreading"),
                           role="anchor"),
            Implementation("1-nearest labelled neighbour", nearest_labelled, role="baseline"),
        ],
    )


def _group_data(quick, classification=False):
    from sklearn.model_selection import train_test_split

    n_samples, n_groups, size = (200, 60, 5) if quick else (400, 200, 5)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n_samples, n_groups * size))
    coef = np.zeros(n_groups * size)
    for group in rng.choice(n_groups, 8, replace=False):
        coef[group * size:(group + 1) * size] = rng.standard_normal(size)
    score = X @ coef
    if classification:
        y = (score + 0.5 * rng.standard_normal(n_samples) > 0).astype(int)
    else:
        y = score + 0.3 * np.std(score) * rng.standard_normal(n_samples)
    split = train_test_split(X, y, test_size=0.25, random_state=0)
    data = (f"Gaussian {n_samples}x{n_groups * size}, {n_groups} groups of {size}, 8 active, "
            "25% test")
    return (*split, coef, size, data)


def _group_details(true_coef, size):
    def details(model):
        active = np.abs(np.ravel(model.coef_)).reshape(-1, size).max(axis=1) != 0
        true = np.abs(true_coef).reshape(-1, size).max(axis=1) != 0
        return (f"{active.sum()} active groups ({np.sum(active & true)} of {true.sum()} true), "
                f"{np.count_nonzero(model.coef_)} non-zero coefs")
    return details


def group_lasso(quick=False):
    """GroupLasso on group-sparse regression: skglm's and celer's GroupLasso; the Lasso."""
    X, X_test, y, y_test, coef, size, data = _group_data(quick)
    n_groups = X.shape[1] // size
    weights = np.full(n_groups, np.sqrt(size))  # Yuan & Lin's, given to every library
    centred = X.T @ (y - y.mean())
    alpha = np.max(np.linalg.norm(centred.reshape(-1, size), axis=1) / weights) / len(y) / 10

    def ours():
        from sparseopt.bcd import GroupLasso
        return GroupLasso(size, alpha, weights=weights, tol=_TOL).fit(X, y)

    def other(package):
        def run():
            import importlib
            estimator = importlib.import_module(package).GroupLasso
            return estimator(size, alpha, weights=weights, tol=_TOL, max_iter=1000).fit(X, y)
        return run

    def lasso():
        from sparseopt.bcd import Lasso
        return Lasso(alpha=alpha, tol=_TOL).fit(X, y)

    def objective(model):
        residual = y - X @ model.coef_ - model.intercept_
        norms = np.linalg.norm(np.reshape(model.coef_, (-1, size)), axis=1)
        return residual @ residual / (2 * len(y)) + alpha * weights @ norms

    return Task(
        title="GroupLasso: groups of features enter or leave together",
        data=data + ", alpha = alpha_max / 10",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=_group_details(coef, size),
        objective=objective,
        covers=("GroupLasso",),
        implementations=[
            Implementation("sparseopt GroupLasso", ours, compiles=True),
            Implementation("skglm GroupLasso", other("skglm"), role="anchor",
                           requires=("skglm",), compiles=True, not_in_quick=_SKGLM_JIT),
            Implementation("celer GroupLasso", other("celer"), role="anchor",
                           requires=("celer",)),
            Implementation("sparseopt Lasso (no groups)", lasso, role="baseline"),
        ],
    )


def sparse_group_lasso(quick=False):
    """SparseGroupLasso: sparse groups, sparse inside; the group Lasso and the Lasso."""
    X, X_test, y, y_test, coef, size, data = _group_data(quick)
    alpha = np.max(np.abs(X.T @ (y - y.mean()))) / len(y) / 10

    def ours(name, **options):
        def run():
            from sparseopt import bcd
            return getattr(bcd, name)(alpha=alpha, tol=_TOL, **options).fit(X, y)
        return run

    return Task(
        title="SparseGroupLasso: sparse groups, and sparse inside the groups",
        data=data + ", alpha = alpha_max / 10, l1_ratio = 0.5",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=_group_details(coef, size),
        covers=("SparseGroupLasso",),
        implementations=[
            Implementation("sparseopt SparseGroupLasso", ours(
                "SparseGroupLasso", groups=size, l1_ratio=0.5), compiles=True),
            Implementation("sparseopt GroupLasso", ours("GroupLasso", groups=size),
                           role="baseline"),
            Implementation("sparseopt Lasso", ours("Lasso"), role="baseline"),
        ],
    )


def group_logistic(quick=False):
    """GroupLogisticRegression: a group-sparse classifier; l1 and l2 logistic baselines."""
    X, X_test, y, y_test, coef, size, data = _group_data(quick, classification=True)
    alpha = 0.02

    def ours():
        from sparseopt.bcd import GroupLogisticRegression
        return GroupLogisticRegression(size, alpha, tol=1e-6).fit(X, y)

    def sparse_logistic():
        from sparseopt.bcd import SparseLogisticRegression
        return SparseLogisticRegression(alpha=alpha, tol=1e-6).fit(X, y)

    def dense_logistic():
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(max_iter=1000).fit(X, y)

    return Task(
        title="GroupLogisticRegression: a classifier that selects groups of features",
        data=data + f", alpha = {alpha}",
        metric="test acc.",
        score=_accuracy(X_test, y_test),
        details=_group_details(coef, size),
        covers=("GroupLogisticRegression",),
        implementations=[
            Implementation("sparseopt GroupLogisticRegression", ours, compiles=True),
            Implementation("sparseopt SparseLogisticRegression (l1)", sparse_logistic,
                           role="baseline"),
            Implementation("sklearn LogisticRegression (l2)", dense_logistic,
                           role="baseline"),
        ],
    )


def _multi_task_data(quick):
    from sklearn.model_selection import train_test_split

    n_samples, n_features, n_tasks = (100, 200, 4) if quick else (200, 600, 6)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((n_samples, n_features))
    W = np.zeros((n_features, n_tasks))
    W[rng.choice(n_features, 15, replace=False)] = rng.standard_normal((15, n_tasks))
    Y = X @ W + 0.5 * rng.standard_normal((n_samples, n_tasks))
    split = train_test_split(X, Y, test_size=0.25, random_state=0)
    data = f"Gaussian {n_samples}x{n_features}, {n_tasks} tasks, 15 shared rows, 25% test"
    return (*split, W, data)


def _rows_used(n_features):
    def details(model):
        rows = np.any(np.atleast_2d(model.coef_) != 0, axis=0)
        return f"uses {rows.sum()} of {n_features} features"
    return details


def _multi_task_objective(X, Y, alpha, l1_ratio):
    def objective(model):
        W = np.atleast_2d(model.coef_)  # (n_tasks, n_features), scikit-learn's layout
        residual = Y - X @ W.T - model.intercept_
        norms = np.linalg.norm(W, axis=0)
        return (np.sum(residual ** 2) / (2 * len(Y)) + alpha * l1_ratio * norms.sum()
                + alpha * (1 - l1_ratio) / 2 * np.sum(W ** 2))
    return objective


def multi_task_lasso(quick=False):
    """MultiTaskLasso: one support for every task; scikit-learn's; a Lasso per task."""
    X, X_test, Y, Y_test, W, data = _multi_task_data(quick)
    alpha = np.max(np.linalg.norm(X.T @ (Y - Y.mean(axis=0)), axis=1)) / len(Y) / 10

    def ours():
        from sparseopt.bcd import MultiTaskLasso
        return MultiTaskLasso(alpha=alpha, tol=_TOL).fit(X, Y)

    def sklearn_multi_task():
        from sklearn.linear_model import MultiTaskLasso
        return MultiTaskLasso(alpha=alpha, tol=_TOL / 2, max_iter=10_000).fit(X, Y)

    def lasso_per_task():
        from sklearn.multioutput import MultiOutputRegressor

        from sparseopt.bcd import Lasso
        model = MultiOutputRegressor(Lasso(alpha=alpha, tol=_TOL)).fit(X, Y)
        model.coef_ = np.array([estimator.coef_ for estimator in model.estimators_])
        return model

    return Task(
        title="MultiTaskLasso: several targets that share one set of features",
        data=data + ", alpha = alpha_max / 10",
        metric="test R^2",
        score=_r2(X_test, Y_test),
        details=_rows_used(X.shape[1]),
        objective=_multi_task_objective(X, Y, alpha, 1.0),
        covers=("MultiTaskLasso",),
        implementations=[
            Implementation("sparseopt MultiTaskLasso", ours, compiles=True),
            # celer 0.7.4's MultiTaskLasso fails on scikit-learn 1.9 (no _validate_data);
            # skglm's adds 20 s of JIT for the anchor scikit-learn already provides.
            Implementation("sklearn MultiTaskLasso", sklearn_multi_task, role="anchor"),
            Implementation("sparseopt Lasso per task", lasso_per_task, role="baseline"),
        ],
    )


def multi_task_elastic_net(quick=False):
    """MultiTaskElasticNet next to scikit-learn's."""
    X, X_test, Y, Y_test, W, data = _multi_task_data(quick)
    alpha, l1_ratio = np.max(np.linalg.norm(X.T @ (Y - Y.mean(axis=0)), axis=1)) / len(Y) / 5, 0.5

    def ours():
        from sparseopt.bcd import MultiTaskElasticNet
        return MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL).fit(X, Y)

    def sklearn_enet():
        from sklearn.linear_model import MultiTaskElasticNet
        return MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=_TOL / 2,
                                   max_iter=10_000).fit(X, Y)

    return Task(
        title="MultiTaskElasticNet: the shared support plus a ridge term",
        data=data + ", alpha = alpha_max / 5, l1_ratio = 0.5",
        metric="test R^2",
        score=_r2(X_test, Y_test),
        details=_rows_used(X.shape[1]),
        objective=_multi_task_objective(X, Y, alpha, l1_ratio),
        covers=("MultiTaskElasticNet",),
        implementations=[
            Implementation("sparseopt MultiTaskElasticNet", ours, compiles=True),
            Implementation("sklearn MultiTaskElasticNet", sklearn_enet, role="anchor"),
        ],
    )


def _diabetes_poly3(quick):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from sparseopt.datasets import load_bundled

    bunch = load_bundled("diabetes")
    X = StandardScaler().fit_transform(
        PolynomialFeatures(degree=3, include_bias=False).fit_transform(bunch.data))
    X_train, X_test, y_train, y_test = train_test_split(X, bunch.target, test_size=0.25,
                                                        random_state=0)
    data = f"diabetes, degree-3 features {X.shape[0]}x{X.shape[1]}, standardised, 25% test"
    return X_train, X_test, y_train, y_test, data


def _cv_setup(quick):
    from sklearn.model_selection import KFold

    n_alphas, n_folds = (10, 3) if quick else (30, 5)
    return n_alphas, n_folds, KFold(n_folds, shuffle=True, random_state=0)


def _chosen_alpha(model):
    return f"alpha_ = {model.alpha_:.3g}, {np.sum(np.ravel(model.coef_) != 0)} non-zero coefs"


def lasso_cv(quick=False):
    """LassoCV (warm-started path per fold) on real data: sklearn's LassoCV; OLS baseline."""
    X, X_test, y, y_test, data = _diabetes_poly3(quick)
    n_alphas, n_folds, folds = _cv_setup(quick)

    def ours():
        from sparseopt.bcd import LassoCV
        return LassoCV(alphas=n_alphas, cv=folds, max_iter=10_000).fit(X, y)

    def sklearn_cv():
        from sklearn.linear_model import LassoCV
        return LassoCV(alphas=n_alphas, cv=folds, max_iter=10_000).fit(X, y)

    def ols():
        from sklearn.linear_model import LinearRegression
        return LinearRegression().fit(X, y)

    return Task(
        title="LassoCV: the penalty chosen by cross-validation on one warm-started path per fold",
        data=data + f", {n_alphas} alphas x {n_folds} folds, default tol, max_iter 10^4",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=lambda model: _chosen_alpha(model) if hasattr(model, "alpha_") else "",
        covers=("LassoCV",),
        implementations=[
            Implementation("sparseopt LassoCV", ours, compiles=True),
            Implementation("sklearn LassoCV", sklearn_cv, role="anchor"),
            Implementation("OLS on the same features", ols, role="baseline"),
        ],
    )


def elastic_net_cv(quick=False):
    """ElasticNetCV over two l1 ratios on real data: sklearn's ElasticNetCV."""
    X, X_test, y, y_test, data = _diabetes_poly3(quick)
    n_alphas, n_folds, folds = _cv_setup(quick)
    ratios = [0.5, 1.0]

    def ours():
        from sparseopt.bcd import ElasticNetCV
        return ElasticNetCV(l1_ratio=ratios, alphas=n_alphas, cv=folds,
                            max_iter=10_000).fit(X, y)

    def sklearn_cv():
        from sklearn.linear_model import ElasticNetCV
        return ElasticNetCV(l1_ratio=ratios, alphas=n_alphas, cv=folds,
                            max_iter=10_000).fit(X, y)

    return Task(
        title="ElasticNetCV: penalty and l1 ratio chosen by cross-validation",
        data=data + f", l1_ratio in {ratios}, {n_alphas} alphas x {n_folds} folds",
        metric="test R^2",
        score=_r2(X_test, y_test),
        details=lambda model: f"l1_ratio_ = {model.l1_ratio_:g}, " + _chosen_alpha(model),
        covers=("ElasticNetCV",),
        implementations=[
            Implementation("sparseopt ElasticNetCV", ours, compiles=True),
            Implementation("sklearn ElasticNetCV", sklearn_cv, role="anchor"),
        ],
    )


def sparse_logistic_cv(quick=False):
    """l1 logistic regression with the penalty chosen by CV: sklearn's LogisticRegressionCV."""
    from sklearn.model_selection import StratifiedKFold

    X, X_test, y, y_test, data = _split_standardised("breast_cancer")
    n_alphas, n_folds, _ = _cv_setup(quick)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=0)
    n_train = len(y) * (n_folds - 1) / n_folds
    alphas = np.geomspace(0.2, 0.002, n_alphas)

    def ours():
        from sparseopt.bcd import SparseLogisticRegressionCV
        return SparseLogisticRegressionCV(alphas=alphas, cv=folds).fit(X, y)

    def sklearn_cv():
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        # sklearn: C * sum(loss) + ||w||_1, i.e. C = 1 / (alpha * n_train) on each fold;
        # its refit would keep C on all n samples (another alpha): refit at the alpha
        # chosen, as ours does (liblinear penalises the intercept: scaled out)
        search = LogisticRegressionCV(Cs=1.0 / (alphas * n_train), cv=folds, l1_ratios=[1.0],
                                      solver="liblinear", scoring="neg_log_loss",
                                      intercept_scaling=1e4, max_iter=1000).fit(X, y)
        alpha = 1.0 / (float(np.ravel(search.C_)[0]) * n_train)
        return LogisticRegression(C=1.0 / (alpha * len(y)), l1_ratio=1.0, solver="liblinear",
                                  intercept_scaling=1e4, max_iter=1000).fit(X, y)

    def details(model):
        used = np.sum(np.ravel(model.coef_) != 0)
        return f"uses {used} of {X.shape[1]} features"

    return Task(
        title="SparseLogisticRegressionCV: l1 logistic regression, penalty chosen by log-loss",
        data=data + f", {n_alphas} penalties x {n_folds} folds",
        metric="test acc.",
        score=_accuracy(X_test, y_test),
        details=details,
        covers=("SparseLogisticRegressionCV",),
        implementations=[
            Implementation("sparseopt SparseLogisticRegressionCV", ours, compiles=True),
            Implementation("sklearn LogisticRegressionCV l1 liblinear", sklearn_cv,
                           role="anchor"),
        ],
    )


TASKS = (lasso, elastic_net, path, least_squares_bcd, sparse_logistic, multinomial_logistic,
         label_propagation, group_lasso, sparse_group_lasso, group_logistic, multi_task_lasso,
         multi_task_elastic_net, lasso_cv, elastic_net_cv, sparse_logistic_cv)

NOT_IN_TOUR = {
    "GroupLassoCV": "GroupLasso's row shows the solver; the folds run on LassoCV's path runner",
    "enet_path": "lasso_path with l1_ratio=0.5 by default: lasso_path's row shows the solver",
}

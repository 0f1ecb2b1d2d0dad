"""Block coordinate descent: sparseopt against scikit-learn, skglm and celer.

Every solver of a suite reaches the same target, a duality gap of at most
``target * P(0)`` (1e-6 unless a suite says otherwise) measured by one
formula for all (rescaled-residual / Fenchel dual point). Each library's own
``tol`` means something different, so ``setup_cache`` calibrates every
solver, sparseopt included: the loosest tol, on a factor-2 grid from 1e-2,
whose solution meets the target. Timings are single-thread, numba warm.
"""

import warnings

import numpy as np
import scipy.sparse as sp

from sparseopt.bcd import (
    GroupLasso,
    Lasso,
    MultinomialLogisticRegression,
    MultiTaskLasso,
    SparseLogisticRegression,
    lasso_path,
)
from sparseopt.datasets import (
    make_bcd_problem,
    make_lattice_label_propagation,
    make_sparse_regression,
)
from sparseopt.solvers import (
    enet_dual_gap,
    lattice_comb_blocks,
    lattice_red_black_blocks,
    logistic_dual_gap,
)
from sparseopt.solvers.bcd import ElasticNetPenalty, GLMDatafit, QuadraticDatafit, bcd_minimize

from .common import Benchmark, is_installed

TARGET_GAP = 1e-6


def lasso_relative_gap(X, y, coef, alpha):
    residual = y - np.asarray(X @ coef).ravel()
    correlation = np.asarray(X.T @ residual).ravel()
    _, gap = enet_dual_gap(residual @ residual, y @ residual, correlation, coef, len(y), alpha,
                           0.0)
    return gap / (y @ y / (2 * len(y)))


def logistic_relative_gap(X, y, coef, alpha):
    n = len(y)
    z = np.asarray(X @ coef).ravel()
    deriv = -y / (1.0 + np.exp(np.clip(y * z, -700, 700))) / n
    _, gap = logistic_dual_gap(y, z, -np.asarray(X.T @ deriv).ravel(), coef, alpha, 0.0, n)
    return gap / np.log(2.0)


def calibrate(make, fit_and_gap, target=TARGET_GAP):
    """Loosest tol (factor-2 grid from 1e-2) meeting the target gap; raises if
    none down to 1e-14 does (the suite would compare unequal precisions)."""
    tol = 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while tol > 1e-14:
            if fit_and_gap(make(tol)) <= target:
                return tol
            tol /= 2
    raise RuntimeError(f"calibration: no tol down to 1e-14 reaches the gap {target:g}")


def fit_untimed(estimator, X, y):
    """One fit on the suite's own data in ``setup``: compiles (or loads) every
    numba kernel for this data's layout and sizes, which a tiny warm-up
    problem may not reach (e.g. the residual-mode solver, C vs Fortran order)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)


def small_problem(sparse, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20, 30))
    return (sp.csc_matrix(X) if sparse else np.asfortranarray(X)), rng.standard_normal(20)


# ---------------------------------------------------------------------------
# Lasso
# ---------------------------------------------------------------------------
def make_lasso(implementation, alpha, tol):
    if implementation == "sparseopt":
        return Lasso(alpha=alpha, fit_intercept=False, tol=tol)
    if implementation == "sklearn":
        from sklearn.linear_model import Lasso as SklearnLasso

        return SklearnLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=100_000)
    if implementation == "skglm":
        import skglm

        return skglm.Lasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=1000)
    import celer

    return celer.Lasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=1000)


def warm_up_lasso(implementation, sparse):
    """Compile numba code (sparseopt, skglm) below alpha_max, so inner loops run."""
    X, y = small_problem(sparse)
    alpha = np.max(np.abs(X.T @ y)) / 20 / 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_lasso(implementation, alpha, 1e-8).fit(X, y)


class _LassoSuite(Benchmark):
    params = (["sparseopt", "sklearn", "skglm", "celer"],)
    param_names = ["implementation"]
    problem = None  # (n_samples, n_features, kwargs of make_sparse_regression)
    alpha_fraction = 20  # alpha = alpha_max / alpha_fraction
    target = TARGET_GAP

    def prepare(self):
        """Data, alpha and calibrated tolerances (called by each ``setup_cache``:
        asv keys its cache on the defining function)."""
        n_samples, n_features, kwargs = self.problem
        X, y, _ = make_sparse_regression(n_samples, n_features, random_state=0, **kwargs)
        alpha = np.max(np.abs(X.T @ y)) / n_samples / self.alpha_fraction
        tols = {}
        for implementation in self.params[0]:
            if implementation != "sparseopt" and not is_installed(implementation):
                continue
            warm_up_lasso(implementation, sp.issparse(X))
            tols[implementation] = calibrate(
                lambda tol, impl=implementation: make_lasso(impl, alpha, tol),
                lambda model: lasso_relative_gap(X, y, model.fit(X, y).coef_, alpha),
                self.target)
        return X, y, alpha, tols

    def setup(self, cache, implementation):
        X, y, alpha, tols = cache
        if implementation not in tols:
            raise NotImplementedError(f"{implementation} is not installed")
        self.single_thread()
        self.estimator = make_lasso(implementation, alpha, tols[implementation])
        fit_untimed(self.estimator, X, y)

    def time_fit(self, cache, implementation):
        X, y, _, _ = cache
        self.estimator.fit(X, y)

    def track_relative_gap(self, cache, implementation):
        X, y, alpha, _ = cache
        return lasso_relative_gap(X, y, self.estimator.fit(X, y).coef_, alpha)

    track_relative_gap.unit = "gap / P(0)"

    def track_support_size(self, cache, implementation):
        X, y, _, _ = cache
        return int(np.count_nonzero(self.estimator.fit(X, y).coef_))

    track_support_size.unit = "features"


class LassoDenseToeplitz(_LassoSuite):
    """Dense 1000 x 5000, Toeplitz(0.6), 5% true support, alpha = alpha_max / 20."""

    problem = (1000, 5000, {"n_informative": 250, "rho": 0.6})

    def setup_cache(self):
        return self.prepare()


class LassoDenseToeplitzTight(_LassoSuite):
    """Dense 1000 x 5000, Toeplitz(0.6), alpha = alpha_max / 50, gap 1e-8 * P(0)
    (issue 12's target: <= 0.5x skglm, <= 0.15x sklearn)."""

    problem = (1000, 5000, {"n_informative": 250, "rho": 0.6})
    alpha_fraction = 50
    target = 1e-8

    def setup_cache(self):
        return self.prepare()


class LassoSparse(_LassoSuite):
    """Sparse CSC 2000 x 20000, 0.5% density, alpha = alpha_max / 20."""

    problem = (2000, 20000, {"n_informative": 200, "rho": 0.0, "sparse_density": 0.005})

    def setup_cache(self):
        return self.prepare()


# ---------------------------------------------------------------------------
# Lasso path
# ---------------------------------------------------------------------------
def run_path(implementation, X, y, alphas, tol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if implementation == "sparseopt":
            return lasso_path(X, y, alphas=alphas, tol=tol)[1]
        if implementation == "sklearn":
            from sklearn.linear_model import lasso_path as sklearn_path

            return sklearn_path(X, y, alphas=alphas, tol=tol, max_iter=100_000)[1]
        import skglm

        return skglm.Lasso(fit_intercept=False, tol=tol).path(X, y, alphas)[1]


class LassoPath(Benchmark):
    """50 alphas from alpha_max to alpha_max / 20, dense Toeplitz(0.6) 1000 x 5000,
    warm starts; every solution to the target gap."""

    params = (["sparseopt", "sklearn", "skglm"],)
    param_names = ["implementation"]

    def setup_cache(self):
        X, y, _ = make_sparse_regression(1000, 5000, 250, rho=0.6, random_state=0)
        alpha_max = np.max(np.abs(X.T @ y)) / len(y)
        alphas = np.geomspace(alpha_max, alpha_max / 20, 50)
        tols = {}
        for implementation in self.params[0]:
            if implementation != "sparseopt" and not is_installed(implementation):
                continue
            warm_up_lasso(implementation if implementation != "sklearn" else "sklearn", False)
            if implementation == "sparseopt":
                tols[implementation] = TARGET_GAP
                continue

            def worst_gap(tol, impl=implementation):
                coefs = run_path(impl, X, y, alphas, tol)
                return max(lasso_relative_gap(X, y, coefs[:, k], a) for k, a in enumerate(alphas))

            tols[implementation] = calibrate(lambda tol: tol, worst_gap)
        return X, y, alphas, tols

    def setup(self, cache, implementation):
        X, y, alphas, tols = cache
        if implementation not in tols:
            raise NotImplementedError(f"{implementation} is not installed")
        self.single_thread()
        warm_up_lasso(implementation, False)
        if implementation == "sparseopt":  # its kernels on this data's layout and sizes
            run_path(implementation, X, y, alphas[:3], tols[implementation])

    def time_path(self, cache, implementation):
        X, y, alphas, tols = cache
        run_path(implementation, X, y, alphas, tols[implementation])

    def track_worst_relative_gap(self, cache, implementation):
        X, y, alphas, tols = cache
        coefs = run_path(implementation, X, y, alphas, tols[implementation])
        return max(lasso_relative_gap(X, y, coefs[:, k], a) for k, a in enumerate(alphas))

    track_worst_relative_gap.unit = "gap / P(0)"


# ---------------------------------------------------------------------------
# l1 logistic regression
# ---------------------------------------------------------------------------
def make_logistic(implementation, alpha, n_samples, tol):
    if implementation == "sparseopt":
        return SparseLogisticRegression(alpha=alpha, fit_intercept=False, tol=tol)
    if implementation == "skglm":
        import skglm

        return skglm.SparseLogisticRegression(alpha=alpha, fit_intercept=False, tol=tol,
                                              max_iter=1000)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1 / (n_samples * alpha), l1_ratio=1.0, solver="liblinear",
                              fit_intercept=False, tol=tol, max_iter=100_000, random_state=0)


class SparseLogisticL1(Benchmark):
    """Sparse CSC 2000 x 10000 (1% density), labels sign(X w* + noise),
    alpha = alpha_max / 20 (about 1300 non-zeros)."""

    params = (["sparseopt", "skglm", "liblinear"],)
    param_names = ["implementation"]
    alpha_fraction = 20

    def make_data(self):
        return make_sparse_regression(2000, 10000, 100, sparse_density=0.01, random_state=0)

    def setup_cache(self):
        return self.prepare()

    def prepare(self):
        X, y, _ = self.make_data()
        labels = np.where(y > 0, 1.0, -1.0)
        n = len(labels)
        alpha = np.max(np.abs(X.T @ (labels / 2))) / n / self.alpha_fraction
        tols = {}
        for implementation in self.params[0]:
            if implementation == "skglm" and not is_installed("skglm"):
                continue
            self.warm_up(implementation)
            tols[implementation] = calibrate(
                lambda tol, impl=implementation: make_logistic(impl, alpha, n, tol),
                lambda model: logistic_relative_gap(X, labels, model.fit(X, labels).coef_.ravel(),
                                                    alpha))
        return X, labels, alpha, tols

    @staticmethod
    def warm_up(implementation):
        X, y = small_problem(True)
        labels = np.where(y > 0, 1.0, -1.0)
        alpha = np.max(np.abs(X.T @ labels)) / 2 / 20 / 10
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_logistic(implementation, alpha, 20, 1e-8).fit(X, labels)

    def setup(self, cache, implementation):
        X, labels, alpha, tols = cache
        if implementation not in tols:
            raise NotImplementedError(f"{implementation} is not installed")
        self.single_thread()
        self.estimator = make_logistic(implementation, alpha, len(labels), tols[implementation])
        fit_untimed(self.estimator, X, labels)

    def time_fit(self, cache, implementation):
        X, labels, _, _ = cache
        self.estimator.fit(X, labels)

    def track_relative_gap(self, cache, implementation):
        X, labels, alpha, _ = cache
        return logistic_relative_gap(X, labels, self.estimator.fit(X, labels).coef_.ravel(),
                                     alpha)

    track_relative_gap.unit = "gap / P(0)"


class DenseLogisticL1(SparseLogisticL1):
    """Dense 500 x 2000, Toeplitz(0.5), alpha = alpha_max / 10 (about 180 non-zeros)."""

    alpha_fraction = 10

    def make_data(self):
        return make_sparse_regression(500, 2000, 50, rho=0.5, random_state=0)

    def setup_cache(self):
        return self.prepare()


class UncentredLogisticL1(SparseLogisticL1):
    """Dense 200 x 50 Gaussian features + 100 without intercept (nearly
    collinear columns), labels from two features, alpha = alpha_max / 100
    (about 12 non-zeros). skglm is left out: one of its fits took 25-56 s
    here at tol 1e-4 to 1e-8 (relative gaps 6e-4 to 8e-8), too long for the
    calibration grid."""

    params = (["sparseopt", "liblinear"],)
    alpha_fraction = 100

    def make_data(self):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((200, 50))
        y = X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(200)
        return X + 100.0, y, None

    def setup_cache(self):
        return self.prepare()


def softmax_objective(X, labels, coef, intercept, alpha):
    """Mean softmax loss plus ``alpha ||W||_1`` (``coef`` of shape (K, p))."""
    scores = X @ coef.T + intercept
    top = scores.max(axis=1)
    loss = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    loss -= scores[np.arange(len(labels)), labels]
    return float(loss.mean() + alpha * np.abs(coef).sum())


class MultinomialL1(Benchmark):
    """l1 softmax regression with intercepts on scikit-learn's digits
    (1797 x 64, 10 classes, standardised; alpha = 1e-2, about 130 of 640
    coefficients non-zero) against scikit-learn's saga, its only solver of
    this problem. Both are calibrated to a relative suboptimality of at most
    1e-5 (a looser target than the other suites: saga needs about 2 s for
    it), measured against our fit at tol 1e-12, which saga's calibrated fit
    must not undercut."""

    params = (["sparseopt", "saga"],)
    param_names = ["implementation"]
    alpha = 1e-2
    target = 1e-5

    @staticmethod
    def make_model(implementation, alpha, n_samples, tol):
        if implementation == "sparseopt":
            return MultinomialLogisticRegression(alpha=alpha, tol=tol, max_iter=100_000)
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1 / (n_samples * alpha), l1_ratio=1.0, solver="saga",
                                  tol=tol, max_iter=100_000, random_state=0)

    def setup_cache(self):
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        X, labels = load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        n, alpha = len(labels), self.alpha
        best = self.make_model("sparseopt", alpha, n, 1e-12).fit(X, labels)
        optimum = softmax_objective(X, labels, best.coef_, best.intercept_, alpha)

        def suboptimality(model):
            model.fit(X, labels)
            value = softmax_objective(X, labels, model.coef_, model.intercept_, alpha)
            if value < optimum - 1e-9 * optimum:
                raise RuntimeError(f"{model!r} beats the reference optimum: {value} < {optimum}")
            return (value - optimum) / optimum

        tols = {implementation: calibrate(
            lambda tol, impl=implementation: self.make_model(impl, alpha, n, tol),
            suboptimality, target=self.target) for implementation in self.params[0]}
        return X, labels, optimum, tols

    def setup(self, cache, implementation):
        X, labels, _, tols = cache
        self.single_thread()
        self.model = self.make_model(implementation, self.alpha, len(labels),
                                     tols[implementation])
        fit_untimed(self.model, X, labels)

    def time_fit(self, cache, implementation):
        X, labels, _, _ = cache
        self.model.fit(X, labels)

    def track_relative_suboptimality(self, cache, implementation):
        X, labels, optimum, _ = cache
        self.model.fit(X, labels)
        value = softmax_objective(X, labels, self.model.coef_, self.model.intercept_,
                                  self.alpha)
        return (value - optimum) / optimum

    track_relative_suboptimality.unit = "(P - P*) / P*"


# ---------------------------------------------------------------------------
# greedy rules on the default path, precompute="auto", multi-task and groups
# ---------------------------------------------------------------------------
class GreedyRulesFastPath(Benchmark):
    """Lasso's fast solver with each coordinate rule on the dense 1000 x 5000
    Toeplitz(0.6) problem at alpha_max / 50, each with tol=1e-9 (a gap of at
    most 1e-9 * P(0); issue 12's target: greedy within 1.5x cyclic; measured
    2.4-2.5x on two machines, 2.9-3.0x on a third, then 1.39-1.44x on a fourth
    with float32 Gram blocks, 1.89x there before them)."""

    params = (["cyclic", "random", "gs", "gsl"],)
    param_names = ["selection"]

    def setup_cache(self):
        X, y, _ = make_sparse_regression(1000, 5000, 250, rho=0.6, random_state=0)
        alpha = np.max(np.abs(X.T @ y)) / 1000 / 50
        return X, y, alpha

    def setup(self, cache, selection):
        X, y, alpha = cache
        self.single_thread()
        self.model = Lasso(alpha=alpha, fit_intercept=False, selection=selection, tol=1e-9,
                           max_iter=100_000, random_state=0)
        fit_untimed(self.model, X, y)

    def time_fit(self, cache, selection):
        X, y, _ = cache
        self.model.fit(X, y)

    def track_relative_gap(self, cache, selection):
        X, y, alpha = cache
        return lasso_relative_gap(X, y, self.model.fit(X, y).coef_, alpha)

    track_relative_gap.unit = "gap / P(0)"


class TallPrecompute(Benchmark):
    """Dense C-ordered 10000 x 1000, alpha_max / 20: precompute="auto" (cost model,
    Gram blocks of the working set) against the residual mode, the full Gram
    matrix and scikit-learn (which copies X to Fortran order). Issue 12: auto
    was 15x slower than False at 20000 x 2000, +402 MB."""

    params = (["auto", "residual", "full_gram", "sklearn"],)
    param_names = ["mode"]

    def setup_cache(self):
        rng = np.random.default_rng(0)
        X = rng.standard_normal((10000, 1000))
        coef = np.zeros(1000)
        coef[rng.choice(1000, 50, replace=False)] = rng.standard_normal(50)
        y = X @ coef + 0.5 * rng.standard_normal(10000)
        alpha = np.max(np.abs(X.T @ (y - y.mean()))) / 10000 / 20
        return X, y, alpha

    def setup(self, cache, mode):
        X, y, alpha = cache
        self.single_thread()
        if mode == "sklearn":
            from sklearn.linear_model import Lasso as SklearnLasso

            self.model = SklearnLasso(alpha=alpha, tol=1e-6)
        else:
            precompute = {"auto": "auto", "residual": False, "full_gram": True}[mode]
            self.model = Lasso(alpha=alpha, tol=1e-6, precompute=precompute)
            self.model.fit(X[:200, :50], y[:200])

    def time_fit(self, cache, mode):
        X, y, _ = cache
        self.model.fit(X, y)

    def peakmem_fit(self, cache, mode):
        X, y, _ = cache
        self.model.fit(X, y)


class MultiTask(Benchmark):
    """Multi-task Lasso, dense 300 x 2000 Toeplitz(0.5), 5 tasks sharing 20
    features, alpha = alpha_max / 20, every solver to a gap of 1e-6 * P(0)."""

    params = (["sparseopt", "sklearn"],)
    param_names = ["implementation"]

    def setup_cache(self):
        X, y, coef = make_sparse_regression(300, 2000, 20, rho=0.5, random_state=0)
        rng = np.random.default_rng(0)
        Y = X @ (coef[:, None] * rng.standard_normal((1, 5))) + rng.standard_normal((300, 5))
        alpha = np.max(np.linalg.norm(X.T @ Y, axis=1)) / 300 / 20
        tols = {impl: calibrate(lambda tol, impl=impl: self.make(impl, alpha, tol),
                                lambda model: self.relative_gap(X, Y, model.fit(X, Y), alpha))
                for impl in self.params[0]}
        return X, Y, alpha, tols

    @staticmethod
    def make(implementation, alpha, tol):
        if implementation == "sparseopt":
            return MultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=100_000)
        from sklearn.linear_model import MultiTaskLasso as SklearnMultiTaskLasso

        return SklearnMultiTaskLasso(alpha=alpha, fit_intercept=False, tol=tol,
                                     max_iter=100_000)

    @staticmethod
    def relative_gap(X, Y, model, alpha):
        from sparseopt.solvers.glm.multitask import multitask_dual_gap

        W = model.coef_.T
        residual = Y - X @ W
        _, gap = multitask_dual_gap(float(np.sum(residual**2)), float(np.sum(Y * residual)),
                                    X.T @ residual, W, len(Y), alpha, 0.0, np.ones(len(W)))
        return gap / (np.sum(Y**2) / (2 * len(Y)))

    def setup(self, cache, implementation):
        X, Y, alpha, tols = cache
        self.single_thread()
        self.model = self.make(implementation, alpha, tols[implementation])
        self.model.fit(X[:50, :100], Y[:50])

    def time_fit(self, cache, implementation):
        X, Y, _, _ = cache
        self.model.fit(X, Y)

    def track_relative_gap(self, cache, implementation):
        X, Y, alpha, _ = cache
        return self.relative_gap(X, Y, self.model.fit(X, Y), alpha)

    track_relative_gap.unit = "gap / P(0)"


class GroupLassoSuite(Benchmark):
    """Group Lasso, dense 1000 x 2000 Toeplitz(0.5), 400 groups of 5 (unit
    weights), alpha = alpha_max / 10, every solver to a gap of 1e-6 * P(0)
    (issue 12's target: <= 0.8x skglm)."""

    params = (["sparseopt", "skglm"],)
    param_names = ["implementation"]

    def setup_cache(self):
        X, y, _ = make_sparse_regression(1000, 2000, 100, rho=0.5, random_state=0)
        groups = [np.arange(start, start + 5) for start in range(0, 2000, 5)]
        alpha = max(np.linalg.norm(X[:, g].T @ y) for g in groups) / 1000 / 10
        tols = {}
        for implementation in self.params[0]:
            if implementation != "sparseopt" and not is_installed(implementation):
                continue
            self.make(implementation, alpha, 1e-4, 20).fit(X[:50, :100], y[:50])  # compile
            tols[implementation] = calibrate(
                lambda tol, impl=implementation: self.make(impl, alpha, tol),
                lambda model: self.relative_gap(X, y, model.fit(X, y).coef_, alpha, groups))
        return X, y, alpha, tols

    @staticmethod
    def make(implementation, alpha, tol, n_groups=400):
        weights = np.ones(n_groups)  # skglm's default; the gap formula's
        if implementation == "sparseopt":
            return GroupLasso(groups=5, alpha=alpha, weights=weights, fit_intercept=False,
                              tol=tol)
        import skglm

        return skglm.GroupLasso(groups=5, alpha=alpha, weights=weights, fit_intercept=False,
                                tol=tol, max_iter=1000)

    @staticmethod
    def relative_gap(X, y, coef, alpha, groups):
        from sparseopt.solvers.glm.group_lasso import group_lasso_dual_gap

        _, gap = group_lasso_dual_gap(X, y, coef, alpha, 0.0, groups, np.ones(len(groups)))
        return gap / (y @ y / (2 * len(y)))

    def setup(self, cache, implementation):
        X, y, alpha, tols = cache
        if implementation not in tols:
            raise NotImplementedError(f"{implementation} is not installed")
        self.single_thread()
        self.make(implementation, alpha, 1e-4, 20).fit(X[:50, :100], y[:50])  # compile
        self.model = self.make(implementation, alpha, tols[implementation])

    def time_fit(self, cache, implementation):
        X, y, _, _ = cache
        self.model.fit(X, y)

    def track_relative_gap(self, cache, implementation):
        X, y, alpha, _ = cache
        groups = [np.arange(start, start + 5) for start in range(0, 2000, 5)]
        return self.relative_gap(X, y, self.model.fit(X, y).coef_, alpha, groups)

    track_relative_gap.unit = "gap / P(0)"


# ---------------------------------------------------------------------------
# the paper's findings (quality per rule, 500 / 60 iterations)
# ---------------------------------------------------------------------------
class PaperRules(Benchmark):
    """Dataset A recipe (1000 x 2000), blocks of 5, 500 iterations: relative
    suboptimality f / f(0) (f* = 0) per partition, selection rule and update
    (the paper's Figures 4, 5, 9 and 10 at reduced size)."""

    params = (["variable", "sorted", "avg", "fixed"],
              ["random", "cyclic", "lipschitz", "gs", "gsl", "gsd", "gsq"],
              ["gradient", "adaptive_gradient", "lipschitz_matrix"])
    param_names = ["blocks", "selection", "update"]
    timeout = 300

    def setup_cache(self):
        X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
        return X, y

    def setup(self, cache, blocks, selection, update):
        if selection == "gsq" and blocks != "variable" and update != "lipschitz_matrix":
            raise NotImplementedError("fixed-block GSQ is for matrix updates")

    def track_relative_suboptimality(self, cache, blocks, selection, update):
        X, y = cache
        datafit = GLMDatafit(X, y, "least_squares", 1.0)
        penalty = ElasticNetPenalty(0.0, 0.0, np.ones(X.shape[1]))
        coef, _ = bcd_minimize(datafit, penalty, blocks=blocks, block_size=5,
                               selection=selection, update=update, max_iter=500,
                               check_every=500, random_state=0)
        residual = X @ coef - y  # recomputed from the returned coefficients
        return (0.5 * residual @ residual) / (0.5 * y @ y)

    track_relative_suboptimality.unit = "f / f(0)"


class EngineGreedyDense(Benchmark):
    """Time per block update of the engine on a dense 1000 x 5000 Lasso
    (Toeplitz 0.6, alpha_max / 50): the greedy rules keep the gradient up to
    date through cached Gram columns; cyclic (no gradient) is the baseline.
    Each timed call starts from a fresh data fit, so Gram columns are
    computed inside it (first visit of each coordinate)."""

    params = (["cyclic", "gs", "gsl"], ["fixed", "variable"])
    param_names = ["selection", "blocks"]
    n_updates = 2000

    def setup_cache(self):
        X, y, _ = make_sparse_regression(1000, 5000, 50, rho=0.6, random_state=0)
        return np.asfortranarray(X), y

    def setup(self, cache, selection, blocks):
        self.single_thread()
        X, y = cache
        self.penalty = ElasticNetPenalty(np.max(np.abs(X.T @ y)) / len(y) / 50, 0.0,
                                         np.ones(X.shape[1]))
        self.run(cache, selection, blocks, 20)  # compile

    def run(self, cache, selection, blocks, n_updates):
        X, y = cache
        datafit = GLMDatafit(X, y, "least_squares", 1.0 / len(y))
        bcd_minimize(datafit, self.penalty, blocks=blocks, block_size=1 if blocks == "fixed"
                     else 5, selection=selection, max_iter=n_updates, check_every=10**9)

    def time_2000_updates(self, cache, selection, blocks):
        self.run(cache, selection, blocks, self.n_updates)


class PaperNonnegativeL1(Benchmark):
    """Dataset A recipe (1000 x 2000), 1/2 ||Ax - b||^2 + 1e4 sum(x), x >= 0,
    variable blocks of 100 by the GS-q rule (82 non-zeros at the optimum):
    (f - f*) / (f(0) - f*) after 20 iterations of projected gradient (PG), the
    exact block QP (PN) and two-metric projection (TMP); f* from
    scikit-learn's positive Lasso (the paper's Figure 7)."""

    params = (["gradient", "lipschitz_matrix", "two_metric"],)
    param_names = ["update"]

    def setup_cache(self):
        from sklearn.linear_model import Lasso as SklearnLasso

        X, y, _ = make_bcd_problem("least_squares", 1000, 2000, random_state=0)
        coef = SklearnLasso(alpha=1e4 / len(y), positive=True, fit_intercept=False,
                            tol=1e-14, max_iter=10**6).fit(X, y).coef_
        return X, y, 0.5 * np.sum((X @ coef - y) ** 2) + 1e4 * coef.sum()

    def setup(self, cache, update):
        self.single_thread()
        X, y, _ = cache
        self.datafit = GLMDatafit(X, y, "least_squares", 1.0)
        self.penalty = ElasticNetPenalty(1e4, 0.0, np.ones(X.shape[1]), positive=True)
        self.run(update, 2)  # compile

    def run(self, update, n_iter):
        return bcd_minimize(self.datafit, self.penalty, blocks="variable", block_size=100,
                            selection="gsl", update=update, max_iter=n_iter,
                            check_every=n_iter)[0]

    def time_20_iterations(self, cache, update):
        self.run(update, 20)

    def track_relative_suboptimality(self, cache, update):
        X, y, optimum = cache
        coef = self.run(update, 20)  # the objective recomputed from the coefficients
        objective = 0.5 * np.sum((X @ coef - y) ** 2) + 1e4 * coef.sum()
        return (objective - optimum) / (0.5 * y @ y - optimum)

    track_relative_suboptimality.unit = "(f - f*) / (f(0) - f*)"


class PaperLattice(Benchmark):
    """50 x 50 lattice label propagation (the paper's f* reproduced):
    (f - f*) / (f(0) - f*) after 60 updates, and their time, for the paper's
    blocks of Figure 6: tree partitions (the two combs), greedy and random
    trees, red-black and the general (dense, n^(1/3)) block."""

    params = (["trees", "red_black", "greedy_tree", "random_tree", "general"],)
    param_names = ["partition"]

    def setup_cache(self):
        problem = make_lattice_label_propagation(random_state=1)
        return problem.A, problem.b, problem.labelled

    def setup(self, cache, partition):
        A, b, labelled = cache
        options = {
            "trees": dict(blocks=lattice_comb_blocks(50, 50, labelled=labelled)),
            "red_black": dict(blocks=lattice_red_black_blocks(50, 50, labelled=labelled)),
            "greedy_tree": dict(blocks="tree", block_size=None, selection="gs"),
            "random_tree": dict(blocks="tree", block_size=None, selection="random"),
            "general": dict(blocks="general", block_size=None, selection="gs",
                            update="lipschitz_matrix"),
        }[partition]
        self.options = {"update": "message_passing", **options}
        self.datafit = QuadraticDatafit(A, b)
        self.penalty = ElasticNetPenalty(0.0, 0.0, np.ones(A.shape[0]))
        self.run()  # compile

    def run(self):
        return bcd_minimize(self.datafit, self.penalty, max_iter=60, check_every=60,
                            random_state=0, **self.options)[0]

    def time_60_updates(self, cache, partition):
        self.run()

    def track_relative_suboptimality(self, cache, partition):
        A, b, _ = cache
        optimum = -1045999575.2270696  # the authors' f*, reproduced by our solve
        x = self.run()  # f = x^T A x / 2 - b^T x recomputed from the returned x
        return (0.5 * x @ (A @ x) - b @ x - optimum) / -optimum

    track_relative_suboptimality.unit = "(f - f*) / (f(0) - f*)"

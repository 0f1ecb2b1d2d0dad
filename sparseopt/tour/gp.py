"""Tour rows of Gaussian processes with sparse spectral kernels (:mod:`sparseopt.gp`).

Forecasts of the vendored Mauna Loa CO2 record (every fourth week of the first
1000 weeks: 225 to train, 25 to forecast), scored by test MSE in ppm^2 for
every implementation; scikit-learn's GaussianProcessRegressor with
C * RBF + WhiteKernel is the anchor.
"""

import warnings

import numpy as np

from sparseopt.tour._runner import Implementation, Task

NOT_IN_TOUR = {"make_spectral_grid": "builds the grid every row's estimator uses"}


def _co2(quick):
    from sparseopt.datasets import load_co2

    co2 = load_co2()
    step = 8 if quick else 4
    X, y = co2.time[:1000:step, None], co2.data[:1000:step]
    n_train = 900 // step
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _mse(X_test, y_test):
    return lambda model: float(np.mean((model.predict(X_test) - y_test) ** 2))


def _sklearn_rbf(X, y):
    def run():
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, WhiteKernel
        from sklearn.gaussian_process.kernels import ConstantKernel as C

        return GaussianProcessRegressor(C(1.0) * RBF(10.0) + WhiteKernel(1.0),
                                        normalize_y=True, random_state=0).fit(X, y)
    return run


def co2_forecast(quick=False):
    """GSMPRegressor (MM and SCA) and its kernel in sklearn's GP, next to RBF + White."""
    X, y, X_test, y_test = _co2(quick)

    def ours(solver):
        def run():
            from sparseopt.gp import GSMPRegressor
            return GSMPRegressor(100, solver=solver).fit(X, y)
        return run

    def kernel_in_sklearn():
        from sklearn.gaussian_process import GaussianProcessRegressor

        from sparseopt.gp import GSMKernel, GSMPRegressor

        learned = GSMPRegressor(100).fit(X, y)
        spectral = learned.kernel_.k1
        assert isinstance(spectral, GSMKernel)
        return GaussianProcessRegressor(learned.kernel_, optimizer=None, normalize_y=True,
                                        alpha=0.0).fit(X, y)

    return Task(
        title="GSMPRegressor: sparse spectral kernel, CO2 forecast",
        data=f"Mauna Loa CO2, {len(y)} train / {len(y_test)} forecast",
        metric="test MSE",
        higher_is_better=False,
        score=_mse(X_test, y_test),
        details=lambda model: (f"{model.active_components_.size} of {model.weights_.size} atoms"
                               if hasattr(model, "active_components_") else ""),
        covers=("GSMPRegressor", "GSMKernel"),
        implementations=[
            Implementation("sparseopt GSMPRegressor (MM)", ours("mm")),
            Implementation("sparseopt GSMPRegressor (SCA)", ours("sca")),
            Implementation("sklearn GPR with the learned GSMKernel", kernel_in_sklearn),
            Implementation("sklearn GPR, C*RBF + White", _sklearn_rbf(X, y), role="anchor"),
        ],
    )


def gsmp_kernel(quick=False):
    """GSMPKernel (2-D inputs) inside sklearn's GP, whose optimiser tunes its weights."""
    rng = np.random.default_rng(0)
    n = 80 if quick else 160
    X = rng.uniform(0, 4, (n, 2))
    y = (np.sin(2 * np.pi * 0.5 * X[:, 0]) * np.cos(2 * np.pi * 0.25 * X[:, 1])
         + 0.05 * rng.standard_normal(n))
    X_test = rng.uniform(0, 4, (100, 2))
    y_test = np.sin(2 * np.pi * 0.5 * X_test[:, 0]) * np.cos(2 * np.pi * 0.25 * X_test[:, 1])

    def sklearn_with_gsmp():
        from sklearn.gaussian_process import GaussianProcessRegressor

        from sparseopt.gp import GSMPKernel, make_spectral_grid

        means, scales = make_spectral_grid(X, 12, n_scales=1)
        kernel = GSMPKernel(np.full(12, 1 / 12), means, scales)
        with warnings.catch_warnings():
            # sklearn warns when a weight ends at its lower bound: here that is the
            # sparsity the grid kernel is for, not a failure of the optimiser
            warnings.filterwarnings("ignore", message=".*close to the specified lower bound")
            return GaussianProcessRegressor(kernel, alpha=1e-2, random_state=0).fit(X, y)

    def ours():
        from sparseopt.gp import GSMPRegressor
        return GSMPRegressor(12, n_scales=1).fit(X, y)

    def rbf():
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, WhiteKernel

        return GaussianProcessRegressor(RBF([1.0, 1.0]) + WhiteKernel(0.1), random_state=0,
                                        normalize_y=True).fit(X, y)

    return Task(
        title="GSMPKernel: grid spectral product kernel in sklearn's GP",
        data=f"2-D product of sinusoids, {n} points",
        metric="test MSE",
        higher_is_better=False,
        score=_mse(X_test, y_test),
        covers=("GSMPKernel",),
        implementations=[
            Implementation("sparseopt GSMPRegressor", ours),
            Implementation("sklearn GPR with GSMPKernel", sklearn_with_gsmp),
            Implementation("sklearn GPR, ARD RBF + White", rbf, role="anchor"),
        ],
    )


def slimkl(quick=False):
    """SLIMKLRegressor: 3 agents keep their data, 8-bit messages; vs one machine."""
    X, y, X_test, y_test = _co2(quick)

    def agents(bits):
        def run():
            from sparseopt.gp import SLIMKLRegressor
            return SLIMKLRegressor(3, n_components=100, quantization_bits=bits,
                                   random_state=0).fit(X, y)
        return run

    def one_machine():
        from sparseopt.gp import GSMPRegressor
        return GSMPRegressor(100).fit(X, y)

    return Task(
        title="SLIMKLRegressor: distributed sparse kernel learning",
        data=f"Mauna Loa CO2, 3 agents x {len(y) // 3} points",
        metric="test MSE",
        higher_is_better=False,
        score=_mse(X_test, y_test),
        details=lambda model: (f"{model.bits_unquantized_ / model.bits_communicated_:.1f}x "
                               "fewer bits" if hasattr(model, "bits_communicated_") else ""),
        covers=("SLIMKLRegressor",),
        implementations=[
            Implementation("sparseopt SLIMKLRegressor (8-bit)", agents(8)),
            Implementation("sparseopt SLIMKLRegressor (64-bit)", agents(None)),
            Implementation("sparseopt GSMPRegressor (one machine)", one_machine,
                           role="baseline"),
        ],
    )


TASKS = (co2_forecast, gsmp_kernel, slimkl)

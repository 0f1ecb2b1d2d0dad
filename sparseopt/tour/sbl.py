"""Tour rows of sparse Bayesian learning (:mod:`sparseopt.sbl`) next to scikit-learn.

Every row scores the coefficients against the truth the simulator drew
(normalised squared error, NMSE), the same formula for every implementation;
scikit-learn's ARDRegression is the anchor of the classic model, and the
baselines are models without the structure each estimator exploits (no
sparsity, one task at a time, no blocks, least squares).
"""

import numpy as np

from sparseopt.tour._runner import Implementation, Task


def _nmse(truth, estimate):
    estimate = np.asarray(estimate).reshape(truth.shape)
    return float(np.sum(np.abs(estimate - truth) ** 2) / np.sum(np.abs(truth) ** 2))


def _sparse_design(n_samples, n_features, rng):
    X = rng.standard_normal((n_samples, n_features))
    return X / np.linalg.norm(X, axis=0)


def _noisy(clean, snr_db, rng):
    power = np.mean(clean ** 2)
    return clean + np.sqrt(power / 10 ** (snr_db / 10)) * rng.standard_normal(clean.shape)


def _features_by_tasks(coef, n_features):
    """Coefficients as (n_features, n_tasks), whichever convention the estimator uses."""
    coef = np.asarray(coef)
    return coef.T if coef.shape[0] != n_features else coef


def _rows_details(truth, coef):
    rows, true = np.any(coef != 0, axis=1), np.any(truth != 0, axis=1)
    return f"{rows.sum()} non-zero rows ({np.sum(rows & true)} of {true.sum()} true)"


def _support_details(truth):
    def details(model):
        rows = np.abs(model.coef_).reshape(truth.shape[0], -1).max(axis=1) != 0
        true = np.abs(truth).reshape(truth.shape[0], -1).max(axis=1) != 0
        return f"{rows.sum()} non-zero coefs ({np.sum(rows & true)} of {true.sum()} true)"
    return details


def regression(quick=False):
    """SBLRegressor (relevance vector / ARD regression) next to ARDRegression."""
    n_samples, n_features = (100, 400) if quick else (200, 1000)
    rng = np.random.default_rng(0)
    X = _sparse_design(n_samples, n_features, rng)
    coef = np.zeros(n_features)
    support = rng.choice(n_features, 20, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], 20) * rng.uniform(0.5, 1.5, 20)
    y = _noisy(X @ coef, 20, rng)

    def ours(update):
        def run():
            from sparseopt.sbl import SBLRegressor
            return SBLRegressor(update, fit_intercept=False).fit(X, y)
        return run

    def sklearn(name, **options):
        def run():
            from sklearn import linear_model
            return getattr(linear_model, name)(fit_intercept=False, **options).fit(X, y)
        return run

    return Task(
        title="SBLRegressor: sparse Bayesian regression, more features than samples",
        data=f"Gaussian {n_samples}x{n_features}, 20 non-zeros, 20 dB",
        metric="coef NMSE",
        higher_is_better=False,
        score=lambda model: _nmse(coef, model.coef_),
        details=_support_details(coef),
        covers=("SBLRegressor",),
        implementations=[
            Implementation("sparseopt SBLRegressor (MacKay)", ours("mackay"), compiles=True),
            Implementation("sparseopt SBLRegressor (EM)", ours("em"), compiles=True),
            Implementation("sklearn ARDRegression", sklearn("ARDRegression"), role="anchor"),
            Implementation("sklearn RidgeCV", sklearn("RidgeCV", alphas=np.geomspace(
                1e-3, 1e3, 13)), role="baseline"),
        ],
    )


def multi_task(quick=False):
    """MultiTaskSBL pools tasks that share a support: sklearn's MultiTaskLassoCV."""
    n_samples, n_features, n_tasks = (40, 150, 4) if quick else (60, 300, 5)
    rng = np.random.default_rng(1)
    X = _sparse_design(n_samples, n_features, rng)
    W = np.zeros((n_features, n_tasks))
    W[rng.choice(n_features, 12, replace=False)] = rng.standard_normal((12, n_tasks))
    Y = _noisy(X @ W, 20, rng)

    def ours():
        from sparseopt.sbl import MultiTaskSBL
        return MultiTaskSBL(fit_intercept=False).fit(X, Y)

    def multi_task_lasso():
        from sklearn.linear_model import MultiTaskLassoCV
        return MultiTaskLassoCV(fit_intercept=False, cv=3, alphas=30).fit(X, Y)

    def one_task_at_a_time():
        from sparseopt.sbl import SBLRegressor

        class Stacked:
            coef_ = np.column_stack([SBLRegressor(fit_intercept=False).fit(X, Y[:, task]).coef_
                                     for task in range(n_tasks)])
        return Stacked

    return Task(
        title="MultiTaskSBL: tasks sharing one support (multiple measurement vectors)",
        data=f"Gaussian {n_samples}x{n_features}, {n_tasks} tasks, 12 shared rows, 20 dB",
        metric="coef NMSE",
        higher_is_better=False,
        score=lambda model: _nmse(W, _features_by_tasks(model.coef_, n_features)),
        details=lambda model: _rows_details(W, _features_by_tasks(model.coef_, n_features)),
        covers=("MultiTaskSBL",),
        implementations=[
            Implementation("sparseopt MultiTaskSBL", ours, compiles=True),
            Implementation("sklearn MultiTaskLassoCV", multi_task_lasso, role="anchor",
                           not_in_quick="cross-validates 30 alphas"),
            Implementation("sparseopt SBLRegressor per task", one_task_at_a_time,
                           role="baseline"),
        ],
    )


def block(quick=False):
    """BlockSBL: correlated blocks of coefficients, zero or not as a whole."""
    n_samples, n_features = (60, 200) if quick else (100, 400)
    rng = np.random.default_rng(2)
    X = _sparse_design(n_samples, n_features, rng)
    coef = np.zeros(n_features)
    for start in rng.choice(n_features // 4, 5, replace=False) * 4:
        coef[start:start + 4] = rng.standard_normal() + 0.3 * rng.standard_normal(4)
    y = _noisy(X @ coef, 15, rng)

    def ours():
        from sparseopt.sbl import BlockSBL
        return BlockSBL(block_size=4, fit_intercept=False).fit(X, y)

    def ard():
        from sklearn.linear_model import ARDRegression
        return ARDRegression(fit_intercept=False).fit(X, y)

    def no_blocks():
        from sparseopt.sbl import SBLRegressor
        return SBLRegressor(fit_intercept=False).fit(X, y)

    return Task(
        title="BlockSBL: coefficients in correlated blocks of 4, zero or not together",
        data=f"Gaussian {n_samples}x{n_features}, 5 active blocks of 4, 15 dB",
        metric="coef NMSE",
        higher_is_better=False,
        score=lambda model: _nmse(coef, model.coef_),
        details=_support_details(coef),
        covers=("BlockSBL",),
        implementations=[
            Implementation("sparseopt BlockSBL", ours, compiles=True),
            Implementation("sklearn ARDRegression (no blocks)", ard, role="anchor"),
            Implementation("sparseopt SBLRegressor (no blocks)", no_blocks, role="baseline"),
        ],
    )


def kronecker(quick=False):
    """KroneckerSBL on He & Joseph's synthetic setup: SVD and AM M-steps, the explicit matrix."""
    from sparseopt.datasets import make_kronecker_sparse

    data = make_kronecker_sparse(snr_db=25, random_state=0)
    shape = "x".join(str(factor.shape[0]) for factor in data.factors)

    def ours():
        from sparseopt.sbl import KroneckerSBL
        return KroneckerSBL("svd", noise=data.noise_variance).fit(data.factors, data.y).coef_

    def function():
        from sparseopt.sbl import kronecker_sbl
        return kronecker_sbl(data.factors, data.y, solver="am", noise=data.noise_variance)

    def explicit():
        from sparseopt.core import KroneckerOperator
        from sparseopt.sbl import SBLRegressor
        A = KroneckerOperator(data.factors).to_dense()
        return SBLRegressor(noise=data.noise_variance, fit_intercept=False).fit(A, data.y).coef_

    return Task(
        title="KroneckerSBL: a Kronecker dictionary and support (He & Joseph)",
        data=f"15^3 grid, {shape} = {data.y.size} measurements, 3 non-zeros per factor, 25 dB",
        metric="coef NMSE",
        higher_is_better=False,
        score=lambda coef: _nmse(data.coef, coef),
        details=lambda coef: f"{np.count_nonzero(coef)} non-zeros ({np.count_nonzero(data.coef)}"
                             " true)",
        covers=("KroneckerSBL", "kronecker_sbl"),
        implementations=[
            Implementation("sparseopt KroneckerSBL (SVD)", ours, compiles=True),
            Implementation("sparseopt kronecker_sbl (AM)", function, compiles=True),
            Implementation("sparseopt SBLRegressor, explicit matrix", explicit,
                           role="baseline", not_in_quick="a dense 1440x3375 problem"),
        ],
    )


def irs_channel(quick=False):
    """Pattern-coupled KroneckerSBL estimates an IRS-aided MIMO channel (complex data)."""
    from sparseopt.datasets import irs_channel_nmse, make_irs_channel

    data = make_irs_channel(16, random_state=0)

    def ours(**options):
        def run():
            from sparseopt.sbl import KroneckerSBL
            model = KroneckerSBL("am", prune_rel=(1e-2, 1e-1, 1e-2), inner_max_iter=9,
                                 inner_tol=1e-4, init_scale=1e-6, complex_data=True,
                                 noise=data.noise_variance, **options)
            return model.fit(data.factors, data.y).coef_
        return run

    def least_squares():
        from sparseopt.core import KroneckerOperator
        return np.linalg.lstsq(KroneckerOperator(data.factors).to_dense(), data.y, rcond=None)[0]

    return Task(
        title="IRS channel: pattern-coupled KroneckerSBL on complex MIMO pilots",
        data=f"He & Joseph's IRS-MIMO setup, {data.y.size} x {data.coef.size} complex, 16 dB",
        metric="NMSE",
        higher_is_better=False,
        score=lambda coef: irs_channel_nmse(data, coef),
        covers=("KroneckerSBL",),
        implementations=[
            Implementation("sparseopt KroneckerSBL (PC, beta=0.8)",
                           ours(pattern_coupling=[0.8, None, 0.8]), compiles=True),
            Implementation("sparseopt KroneckerSBL (AM, no coupling)", ours(), compiles=True),
            Implementation("least squares (min-norm)", least_squares, role="baseline"),
        ],
    )


TASKS = (regression, multi_task, block, kronecker, irs_channel)

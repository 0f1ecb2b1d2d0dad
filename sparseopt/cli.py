"""``python -m sparseopt``: environment information and a tour of the estimators.

``info`` prints versions, the numba cache directory and thread settings.
``tour`` fits every estimator that exists on real or synthetic data and
prints one table row per fit (estimator, data, quality metric, fit time).
Each family adds its rows to :data:`TOUR`.
"""

import argparse
import importlib
import os
import platform
import sys
import time
from importlib import metadata

import numpy as np

__all__ = ["main", "TOUR"]

_DEPENDENCIES = ("numpy", "scipy", "scikit-learn", "numba", "cvxpy", "pot")
_OPTIONAL = ("skglm", "celer", "dask", "distributed", "asv", "sphinx")


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def info(stream=None):
    """Print versions, numba cache location and thread settings."""
    stream = sys.stdout if stream is None else stream
    import numba

    import sparseopt

    lines = [f"sparseopt     {sparseopt.__version__}",
             f"python        {platform.python_version()} ({sys.executable})",
             f"platform      {platform.platform()}"]
    lines += [f"{name:<13} {_version(name)}" for name in _DEPENDENCIES]
    lines += ["optional:"] + [f"  {name:<11} {_version(name)}" for name in _OPTIONAL]
    cache_dir = numba.config.CACHE_DIR or "(next to the sources, in __pycache__)"
    lines += [
        f"numba cache   {cache_dir}",
        f"numba JIT     {'disabled' if numba.config.DISABLE_JIT else 'enabled'}",
        f"threads       numba {numba.config.NUMBA_NUM_THREADS}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"cpus {os.cpu_count()}",
    ]
    stream.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------
# Tour: each entry returns rows (estimator, data, metric, value, fit seconds).
# ---------------------------------------------------------------------------
def _timed_fit(estimator, *args):
    start = time.perf_counter()
    estimator.fit(*args)
    return time.perf_counter() - start


def _tour_lasso_diabetes():
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from sparseopt.bcd import Lasso
    from sparseopt.datasets import load_bundled

    bunch = load_bundled("diabetes")
    X = PolynomialFeatures(degree=3, include_bias=False).fit_transform(bunch.data)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, bunch.target, test_size=0.25, random_state=0
    )
    Lasso(alpha=1.0).fit(X_train[:20, :5], y_train[:20])  # compile outside the timing
    search = GridSearchCV(Lasso(tol=1e-6), {"alpha": np.geomspace(0.05, 20, 12)}, cv=5)
    seconds = _timed_fit(search, X_train, y_train)
    return [("bcd.Lasso + GridSearchCV (60 fits)", f"diabetes poly3 {X.shape[0]}x{X.shape[1]}",
             "test R^2", search.score(X_test, y_test), seconds)]


def _tour_lasso_synthetic():
    from sparseopt.bcd import Lasso
    from sparseopt.datasets import make_sparse_regression

    X, y, coef = make_sparse_regression(500, 2000, 20, rho=0.5, snr=5, random_state=0)
    alpha = np.max(np.abs(X.T @ (y - y.mean()))) / len(y) / 10
    rows = []
    for selection in ("cyclic", "gsl"):
        Lasso(alpha=1.0, selection=selection).fit(X[:20, :5], y[:20])
        model = Lasso(alpha=alpha, selection=selection, tol=1e-8)
        seconds = _timed_fit(model, X, y)
        found, true = model.coef_ != 0, coef != 0
        f1 = 2 * np.sum(found & true) / max(found.sum() + true.sum(), 1)
        rows.append((f"bcd.Lasso({selection})", "Toeplitz(0.5) 500x2000",
                     "support F1", f1, seconds))
    return rows


def _split_standardised(bunch):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=0.25, random_state=0, stratify=bunch.target)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _tour_logistic():
    from sparseopt.bcd import MultinomialLogisticRegression, SparseLogisticRegression
    from sparseopt.datasets import load_bundled

    rows = []
    for name, estimator, data in (
        ("bcd.SparseLogisticRegression", SparseLogisticRegression(alpha=0.01),
         "breast_cancer"),
        ("bcd.MultinomialLogisticRegression", MultinomialLogisticRegression(alpha=0.002),
         "digits"),
    ):
        X_train, X_test, y_train, y_test = _split_standardised(load_bundled(data))
        type(estimator)(alpha=0.1).fit(X_train[:40, :5], y_train[:40])  # compile first
        seconds = _timed_fit(estimator, X_train, y_train)
        shape = f"{data} {X_train.shape[0] + X_test.shape[0]}x{X_train.shape[1]}"
        rows.append((name, shape, "test accuracy", estimator.score(X_test, y_test), seconds))
    return rows


def _tour_label_propagation():
    from sparseopt.bcd import GraphLabelPropagation
    from sparseopt.datasets import make_two_moons_label_propagation

    problem = make_two_moons_label_propagation(n_samples=2000, n_labelled=100, random_state=0)
    y = np.where(problem.labelled, problem.labels, np.nan)
    GraphLabelPropagation(n_neighbors=5).fit(problem.X[:200], y[:200])
    model = GraphLabelPropagation(n_neighbors=5, tol=1e-8)
    seconds = _timed_fit(model, problem.X, y)
    predicted = np.where(model.transduction_ > 1.5, 2, 1)
    accuracy = float(np.mean(predicted[~problem.labelled] == problem.y[~problem.labelled]))
    return [("bcd.GraphLabelPropagation", "two moons 2000 pts, 100 labels",
             "accuracy (unlabelled)", accuracy, seconds)]


def _tour_dag():
    from sparseopt.dag import (
        ColideEV,
        ColideNV,
        simulate_dag,
        simulate_sem,
        simulate_weights,
        structural_hamming_distance,
    )
    from sparseopt.datasets import load_sachs

    sachs = load_sachs()
    ColideEV(T=1, warm_iter=10, max_iter=10).fit(sachs.data[:30, :4])  # compile first
    rows = []
    for estimator in (ColideNV(), ColideEV()):
        seconds = _timed_fit(estimator, sachs.data)
        rows.append((f"dag.{type(estimator).__name__}", "Sachs 853x11 (17-arc truth)",
                     "SHD", structural_hamming_distance(sachs.target, estimator.adjacency_),
                     seconds))
    B = simulate_dag(20, 40, random_state=0)
    X = simulate_sem(simulate_weights(B, random_state=0), 1000, random_state=0)
    model = ColideEV()
    seconds = _timed_fit(model, X)
    rows.append(("dag.ColideEV", "ER2 d=20, n=1000", "SHD",
                 structural_hamming_distance(B, model.adjacency_), seconds))
    return rows


def _tour_ot():
    from sklearn.metrics import pairwise_distances

    from sparseopt.ot import qrot, sinkhorn_newton_sparse, sparsity_constrained_ot

    rng = np.random.default_rng(0)
    M = pairwise_distances(rng.standard_normal((500, 2)), rng.standard_normal((500, 2)) + 1.0,
                           metric="sqeuclidean")
    M /= M.max()
    eps = 1e-2 * np.median(M)
    small = M[:20, :20] / M[:20, :20].sum()
    sinkhorn_newton_sparse(None, None, small, 0.01, newton="always")  # compile first
    qrot(None, None, small, 0.5)
    sparsity_constrained_ot(None, None, small, 0.5, 3, max_iter=3)
    rows = []
    for name, call in (
        ("ot.sinkhorn_newton_sparse", lambda: sinkhorn_newton_sparse(
            None, None, M, eps, tol=1e-8, log=True)),
        ("ot.qrot (semismooth Newton)", lambda: qrot(None, None, M, eps * 500, tol=1e-8,
                                                     log=True)),
        ("ot.sparsity_constrained_ot k=5", lambda: sparsity_constrained_ot(
            None, None, M, eps * 500, 5, log=True)),
    ):
        start = time.perf_counter()
        _, info = call()
        rows.append((name, "Gaussian clouds 500x500", "marginal error",
                     info["marginal_error"], time.perf_counter() - start))
    return rows


def _tour_sbl():
    import warnings

    from sklearn.linear_model import ARDRegression

    from sparseopt.datasets import irs_channel_nmse, make_irs_channel, make_kronecker_sparse
    from sparseopt.sbl import KroneckerSBL, SBLRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 1000))
    X /= np.linalg.norm(X, axis=0)
    coef = np.zeros(1000)
    support = rng.choice(1000, 20, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], 20) * rng.uniform(0.5, 1.5, 20)
    clean = X @ coef
    y = clean + np.sqrt(np.mean(clean ** 2) / 100) * rng.standard_normal(200)
    SBLRegressor().fit(X[:20, :30], y[:20])  # compile outside the timing
    rows = []
    for name, model in (("sbl.SBLRegressor(mackay)", SBLRegressor(fit_intercept=False)),
                        ("sklearn ARDRegression", ARDRegression(fit_intercept=False))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds = _timed_fit(model, X, y)
        found = np.argsort(-np.abs(model.coef_))[:20]
        rows.append((name, "Gaussian 200x1000, 20 nonzeros, 20 dB", "true support in top 20",
                     len(set(found) & set(support)) / 20, seconds))
    data = make_kronecker_sparse(snr_db=25, random_state=0)
    model = KroneckerSBL("svd", noise=data.noise_variance)
    seconds = _timed_fit(model, data.factors, data.y)
    rows.append(("sbl.KroneckerSBL(svd)", "He & Joseph 15^3 grid, M=1440, 25 dB", "NMSE",
                 np.sum((model.coef_ - data.coef) ** 2) / np.sum(data.coef ** 2), seconds))
    irs = make_irs_channel(16, random_state=0)
    model = KroneckerSBL("am", pattern_coupling=[0.8, None, 0.8], prune_rel=(1e-2, 1e-1, 1e-2),
                         inner_max_iter=9, inner_tol=1e-4, init_scale=1e-6, complex_data=True,
                         noise=irs.noise_variance)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds = _timed_fit(model, irs.factors, irs.y)
    rows.append(("sbl.KroneckerSBL(PC, beta=0.8)", "IRS-MIMO channel 288x5832, 16 dB",
                 "channel NMSE", irs_channel_nmse(irs, model.coef_), seconds))
    return rows


TOUR = [_tour_lasso_diabetes, _tour_lasso_synthetic, _tour_logistic, _tour_label_propagation,
        _tour_dag, _tour_ot, _tour_sbl]


def tour(stream=None, progress_stream=None):
    """Fit every estimator of the tour and print the results table."""
    stream = sys.stdout if stream is None else stream
    from sparseopt.utils.progress import ProgressBar

    bar = ProgressBar(len(TOUR), stream=progress_stream)
    rows = []
    for entry in TOUR:
        rows.extend(entry())
        bar.update(entry.__name__.removeprefix("_tour_"))
    bar.close()
    headers = ("estimator", "data", "metric", "value", "fit time (s)")
    table = [headers] + [
        (name, data, metric, f"{value:.4g}", f"{seconds:.3f}")
        for name, data, metric, value, seconds in rows
    ]
    widths = [max(len(row[k]) for row in table) for k in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    stream.write("\n".join(lines) + "\n")
    stream.write("fit times exclude numba compilation (each estimator is warmed up first).\n")
    return rows


def main(argv=None):
    """Command-line entry point.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m sparseopt", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="versions, numba cache directory and threads")
    commands.add_parser("tour", help="fit every estimator and print a results table")
    arguments = parser.parse_args(argv)
    importlib.import_module("sparseopt")
    if arguments.command == "info":
        info()
    else:
        tour()
    return 0

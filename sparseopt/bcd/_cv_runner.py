"""Running the cross-validation paths: folds, parallelism, stopping, warnings.

One task per (fold, l1_ratio) computes a warm-started path on the fold's
training rows and returns only its test errors; one more task computes the
path on all the data (the final model, as ``cv.glmnet`` does), which stops
at the chosen alpha. Tasks run through joblib (threads by default: the
kernels release the GIL; any joblib backend, e.g. Dask's, also works), and
a :class:`PathControl` shared by the tasks lets the caller stop them.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv

from sparseopt.utils.progress import IterationPrinter, ProgressBar

__all__ = ["PathControl", "Cancelled", "split_folds", "fold_rows", "warm_path",
           "run_tasks", "path_epochs", "convergence_summary", "best_grid_point",
           "check_fold_weights"]


class Cancelled(Exception):
    """Raised inside a task when its run was cancelled (Ctrl-C in the caller)."""


class PathControl:
    """What the caller tells running paths: stop after an alpha index, or stop now.

    Shared by reference with tasks running in threads (the default); a task
    shipped to another process gets a copy and simply runs to the end of
    its grid, which gives the same solutions.
    """

    def __init__(self):
        self.stop_index = None
        self.cancelled = False

    def monitor(self, name, verbose):
        """The ``printer`` handed to the solvers: cancels, then prints at ``verbose >= 2``."""
        return _Monitor(self, IterationPrinter(name, verbose if verbose >= 2 else 0))


class _Monitor:
    """A solver's printer that first checks for cancellation (called at every
    outer iteration of the solvers)."""

    def __init__(self, control, printer):
        self.control = control
        self.printer = printer

    def __call__(self, iteration, **values):
        if self.control.cancelled:
            raise Cancelled
        self.printer(iteration, **values)


def split_folds(cv, X, y, classifier):
    """``[(train, test), ...]`` of ``cv`` (scikit-learn's ``check_cv``: an int,
    a splitter or an iterable of splits; KFold, or StratifiedKFold for
    classifiers, by default with 5 folds)."""
    try:
        folds = [(np.asarray(train), np.asarray(test))
                 for train, test in check_cv(cv, y, classifier=classifier).split(X, y)]
    except ValueError as exc:
        raise ValueError(f"cv could not split the {X.shape[0]} samples of X: {exc}") from exc
    if not folds:
        raise ValueError("cv produced no split: give an int >= 2, a splitter or a list of "
                         "(train, test) index pairs.")
    for train, test in folds:
        if len(train) == 0 or len(test) == 0:
            raise ValueError("cv produced a split with an empty training or test set: every "
                             "fold needs at least one sample on each side.")
    return folds


def check_fold_weights(folds, sample_weight):
    """Every training and test set must carry a positive total sample weight
    (the fit and the weighted test score are undefined otherwise)."""
    if sample_weight is None:
        return
    for k, (train, test) in enumerate(folds):
        for rows, what in ((train, "training"), (test, "test")):
            if not np.sum(sample_weight[rows]) > 0:
                raise ValueError(f"sample_weight: the {what} rows of fold {k + 1} all have "
                                 f"weight zero; every {what} set needs a positive weight.")


def fold_rows(X, rows):
    """The rows of ``X``: a Fortran-ordered copy (dense) or a CSC matrix (sparse)."""
    if sp.issparse(X):
        return sp.csc_matrix(X[rows])
    return np.asfortranarray(X[rows])


def warm_path(solve, alphas, control, *, honour_stop=True):
    """Solve along ``alphas`` (decreasing), each solve warm-started at the
    previous solution: ``solve(alpha, start) -> (solution, info)``. With
    ``honour_stop``, stops after ``control.stop_index`` once it is set (read
    between solves). Returns the solutions and infos computed."""
    solutions, infos = [], []
    start = None
    for k, alpha in enumerate(alphas):
        if control.cancelled:
            raise Cancelled
        if honour_stop and control.stop_index is not None and k > control.stop_index:
            break
        start, info = solve(alpha, start)
        solutions.append(start)
        infos.append(info)
    return solutions, infos


def run_tasks(tasks, final_task, control, *, n_jobs, printer, on_done):
    """Run the fold ``tasks`` and ``final_task`` (``None``: none) through joblib.

    ``printer`` (an :class:`~sparseopt.utils.IterationPrinter`) reports the
    tasks as they finish, with a :class:`~sparseopt.utils.ProgressBar` when
    it is verbose. ``on_done(results)`` is called once every fold task has
    finished and returns the alpha index where ``final_task`` may stop (it
    keeps running in parallel with the last folds, then stops there). Returns ``(results,
    final_result)``, the fold results in task order. The tasks' solvers do
    not warn: the caller summarises their convergence (see
    :func:`convergence_summary`). Ctrl-C cancels the running tasks.
    """
    jobs = [delayed(_indexed)(k, task) for k, task in enumerate(tasks)]
    if final_task is not None:
        jobs.append(delayed(_indexed)(len(tasks), final_task))
    bar = ProgressBar(len(jobs)) if printer.verbose else None
    results = [None] * len(tasks)
    final_result = None
    done = 0
    try:
        parallel = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator_unordered")
        for index, result in parallel(jobs):
            if index == len(tasks):
                final_result = result
            else:
                results[index] = result
                done += 1
                if done == len(tasks):
                    control.stop_index = on_done(results)
            if bar is not None:
                bar.update("fold paths" if index < len(tasks) else "path on all data")
            printer(done, paths=f"{done}/{len(tasks)}")
    except BaseException:
        control.cancelled = True  # the tasks still running stop at their next check
        raise
    finally:
        if bar is not None:
            bar.close()
    return results, final_result


def _indexed(index, task):
    return index, task()


def best_grid_point(scores, grids):
    """``(ratio index, alpha index)`` of the largest mean score ``scores``
    ``(n_l1_ratios, n_alphas)``. Near-ties (within a relative 1e-12: the
    float means of equal fold scores may differ in the last bit) go to the
    larger alpha, then to the first ratio; NaN scores are never chosen."""
    if not np.any(np.isfinite(scores)):
        return 0, 0
    best = np.nanmax(scores)
    tied = scores >= best - 1e-12 * abs(best)
    alphas = np.where(tied, np.asarray(grids, dtype=np.float64), -np.inf)
    ratio, alpha = np.unravel_index(np.argmax(alphas), alphas.shape)
    return int(ratio), int(alpha)


def path_epochs(infos):
    """Epochs of the solves of a path (what produced its last solution); at
    least 1, the first solve's check being a pass over the data even when the
    zero solution is optimal."""
    return max(1, sum(info["n_iter"] for info in infos))


def convergence_summary(name, failed, total, final_converged, max_iter):
    """One ConvergenceWarning for a whole cross-validation (``failed`` of
    ``total`` path solves did not converge; the final model's solve too if
    ``final_converged`` is False), or none. Called from an estimator's
    ``fit`` (the warning points at the caller of ``fit``)."""
    if failed == 0 and final_converged:
        return
    parts = []
    if failed:
        parts.append(f"{failed} of {total} cross-validation path solves")
    if not final_converged:
        parts.append("the final model's solve at alpha_")
    warnings.warn(
        f"{name}: {' and '.join(parts)} did not reach tol within max_iter={max_iter} epochs. "
        "Increase max_iter or tol (or drop the smallest alphas of the grid).",
        ConvergenceWarning, stacklevel=4)

"""Edge confidence by bootstrap: refits of a DAG estimator on resampled rows."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from threadpoolctl import threadpool_limits

from sparseopt.utils.validation import check_array_input

__all__ = ["bootstrap_edges"]


def _refit(estimator, X, seed):
    rows = np.random.default_rng(seed).integers(0, X.shape[0], X.shape[0])
    return estimator.fit(X[rows]).adjacency_ != 0


@validate_params(
    {
        "estimator": [HasMethods(["fit", "get_params"])],
        "X": ["array-like"],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def bootstrap_edges(estimator, X, n_bootstrap=100, n_jobs=None, random_state=None):
    """Frequency of every edge over refits on rows resampled with replacement.

    Each of the ``n_bootstrap`` refits clones ``estimator`` and fits it on
    ``n`` rows of ``X`` drawn with replacement; the result is the fraction of
    refits whose ``adjacency_`` has the edge ``i -> j``. A confidence for
    each edge of a single fit, which has no SHD to go by on real data
    (Friedman, Goldszmidt & Wyner, 1999).

    The refits run through joblib: threads by default (the DAG kernels
    release the GIL, and BLAS is limited to one thread per refit during the
    call), or any joblib backend active in a ``joblib.parallel_config``
    context, e.g. ``"dask"`` on a ``distributed.Client``. Every refit's rows
    come from its own seed, drawn from ``random_state`` up front, so the
    result does not depend on ``n_jobs`` or the backend.

    Parameters
    ----------
    estimator : estimator
        An unfitted or fitted DAG estimator (:class:`ColideEV`,
        :class:`ColideNV`, :class:`DagmaLinear` or any estimator with an
        ``adjacency_`` attribute after ``fit(X)``); it is cloned, not fitted.
    X : array-like of shape (n_samples, n_nodes)
        Observations (not modified).
    n_bootstrap : int, default=100
        Number of refits.
    n_jobs : int, optional
        Refits run at once (``None``: 1 unless in a joblib context; ``-1``:
        all cores).
    random_state : int, RandomState instance or None, default=None
        Seed of the resampling.

    Returns
    -------
    frequencies : ndarray of shape (n_nodes, n_nodes)
        ``frequencies[i, j]``: fraction of refits with the edge ``i -> j``.

    Examples
    --------
    >>> from sparseopt.dag import ColideEV, bootstrap_edges, simulate_dag
    >>> from sparseopt.dag import simulate_sem, simulate_weights
    >>> B = simulate_dag(4, 3, random_state=0)
    >>> X = simulate_sem(simulate_weights(B, random_state=0), 300, random_state=0)
    >>> frequencies = bootstrap_edges(ColideEV(T=2, warm_iter=3000, max_iter=10000), X,
    ...                               n_bootstrap=5, random_state=0)
    >>> frequencies.shape, float(frequencies[B != 0].min())
    ((4, 4), 1.0)
    """
    # a copy: the refits index it from threads
    X = np.array(check_array_input(X, "X", ndim=2, dtype=np.float64))
    seeds = check_random_state(random_state).randint(0, 2**31 - 1, size=n_bootstrap)
    with threadpool_limits(limits=1):
        graphs = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_refit)(clone(estimator), X, seed) for seed in seeds)
    return np.mean(graphs, axis=0)

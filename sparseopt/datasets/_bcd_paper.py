"""Synthetic problems shaped like the experiments of Nutini, Laradji & Schmidt (2022)."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from sparseopt.utils.validation import check_integer

__all__ = ["make_bcd_problem"]

_PROBLEMS = ("least_squares", "logistic", "multinomial")


def make_bcd_problem(problem="least_squares", n_samples=1000, n_features=10000, *,
                     n_classes=50, random_state=None):
    r"""Sparse design with heterogeneous column scales (the paper's datasets A-C).

    The design follows the recipe of the paper's experiments: entries
    :math:`N(0, 1) + 1`, each column multiplied by :math:`10\,N(0, 1)` (so the
    coordinate Lipschitz constants differ by orders of magnitude, where
    greedy Lipschitz-aware rules shine), and each entry kept with
    probability :math:`10 \log(n) / n`. The truth has about 10% non-zeros.

    - ``"least_squares"`` (dataset A): :math:`y = X w + N(0, 1)`;
    - ``"logistic"`` (dataset B): :math:`y = \operatorname{sign}(X w)` with
      10% of the labels flipped, in {-1, 1};
    - ``"multinomial"`` (dataset C): :math:`W \in \mathbb{R}^{p \times K}`
      dense Gaussian and :math:`y = \operatorname{argmax}_k (XW + E)_k`.

    Parameters
    ----------
    problem : {"least_squares", "logistic", "multinomial"}, default="least_squares"
        Which data set.
    n_samples : int, default=1000
        Number of rows (the paper uses 1000).
    n_features : int, default=10000
        Number of columns (the paper: 10000 for A and B, 1000 for C).
    n_classes : int, default=50
        Number of classes of the multinomial problem.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : scipy.sparse.csc_matrix of shape (n_samples, n_features)
        The design.
    y : ndarray of shape (n_samples,)
        Targets (real, {-1, 1} or class indices).
    coef : ndarray of shape (n_features,) or (n_features, n_classes)
        The truth.

    Examples
    --------
    >>> from sparseopt.datasets import make_bcd_problem
    >>> X, y, coef = make_bcd_problem("logistic", 100, 300, random_state=0)
    >>> X.shape, set(y.tolist()) == {-1.0, 1.0}
    ((100, 300), True)
    """
    if problem not in _PROBLEMS:
        raise ValueError(f"problem must be one of {_PROBLEMS}, got {problem!r}.")
    n_samples = check_integer(n_samples, "n_samples", lower=2)
    n_features = check_integer(n_features, "n_features", lower=1)
    n_classes = check_integer(n_classes, "n_classes", lower=2)
    rng = check_random_state(random_state)
    design = (rng.standard_normal((n_samples, n_features)) + 1.0) * (
        10.0 * rng.standard_normal(n_features))
    keep = rng.random_sample((n_samples, n_features)) < 10.0 * np.log(n_samples) / n_samples
    X = sp.csc_matrix(design * keep)
    if problem == "multinomial":
        coef = rng.standard_normal((n_features, n_classes))
        scores = X @ coef + rng.standard_normal((n_samples, n_classes))
        return X, np.argmax(scores, axis=1).astype(np.float64), coef
    coef = rng.standard_normal(n_features) * (rng.random_sample(n_features) < 0.1)
    signal = X @ coef
    if problem == "least_squares":
        return X, signal + rng.standard_normal(n_samples), coef
    flips = np.where(rng.random_sample(n_samples) < 0.1, -1.0, 1.0)
    labels = np.where(signal >= 0, 1.0, -1.0) * flips
    return X, labels, coef

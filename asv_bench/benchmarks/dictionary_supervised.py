"""Supervised dictionary learning: sparseopt's variants and solvers against the
two-stage anchor (scikit-learn's PCA, then LogisticRegression).

Data: scikit-learn's digits 3 vs 8 (centred pixels / 16), the total ink as a
covariate, one stratified half split; 2 atoms, ``nu = 1``, 300 iterations; xi =
0.01 for the filter variant, 0.1 for the feature variant (the gallery
example's setting). Quality next to time: held-out accuracy.
"""

import functools
import warnings

import numpy as np

from sparseopt.dictionary import SupervisedDictionaryLearning

from .common import Benchmark

SETTINGS = {"lpgd-filter": ("lpgd", "filter", 0.01), "bcd-filter": ("bcd", "filter", 0.01),
            "lpgd-feature": ("lpgd", "feature", 0.1), "bcd-feature": ("bcd", "feature", 0.1)}


@functools.lru_cache(maxsize=1)
def digits_split(seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    keep = np.isin(digits.target, [3, 8])
    X, y = digits.data[keep] / 16.0, digits.target[keep]
    ink = X.sum(axis=1, keepdims=True)
    covariates = (ink - ink.mean()) / ink.std()
    return train_test_split(X - X.mean(axis=0), y, covariates, test_size=0.5,
                            random_state=seed, stratify=y)


def fit(implementation, X, y, covariates):
    """The fitted model and a function predicting labels from (X, covariates)."""
    from sklearn.exceptions import ConvergenceWarning

    if implementation == "pca-then-logistic":
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression

        pca = PCA(2).fit(X)
        model = LogisticRegression(C=1.0).fit(np.hstack([pca.transform(X), covariates]), y)
        return lambda X, c: model.predict(np.hstack([pca.transform(X), c]))
    solver, variant, xi = SETTINGS[implementation]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fixed 300 iterations
        model = SupervisedDictionaryLearning(n_components=2, xi=xi, nu=1.0, variant=variant,
                                             solver=solver, max_iter=300, tol=0.0)
        model.fit(X, y, covariates=covariates)
    return lambda X, c: model.predict(X, covariates=c)


class SupervisedDigits(Benchmark):
    """SDL on digits 3 vs 8 with a covariate (the issue's ``track_`` SDL accuracy)."""

    params = (list(SETTINGS) + ["pca-then-logistic"],)
    param_names = ["implementation"]
    repeat = (1, 3, 60.0)

    def setup(self, implementation):
        self.single_thread()
        self.X_train, self.X_test, self.y_train, self.y_test, self.c_train, self.c_test = \
            digits_split()

    def time_fit(self, implementation):
        fit(implementation, self.X_train, self.y_train, self.c_train)

    def track_held_out_accuracy(self, implementation):
        predict = fit(implementation, self.X_train, self.y_train, self.c_train)
        return float(np.mean(predict(self.X_test, self.c_test) == self.y_test))

    track_held_out_accuracy.unit = "accuracy"

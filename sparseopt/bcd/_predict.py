"""Prediction shared by the family's fitted linear models.

Every regressor stores ``coef_`` (``(n_features,)``, or ``(n_targets,
n_features)`` for several targets) and ``intercept_``; every classifier stores
``coef_`` of shape ``(n_rows, n_features)`` (one row for a binary model, one
per class otherwise), ``intercept_`` and ``classes_``.
"""

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from sparseopt.utils.validation import validate_data


class LinearRegressorMixin(RegressorMixin):
    """``predict`` and the input tags of a fitted linear regressor."""

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            :math:`X w + b`.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, dtype=[np.float64, np.float32],
                          reset=False)
        if np.ndim(self.coef_) == 2:
            return np.asarray(X @ self.coef_.T) + self.intercept_
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class LinearClassifierMixin(ClassifierMixin):
    """Scores, labels and probabilities of a fitted linear classifier.

    A one-row ``coef_`` is a binary model whose score is the log-odds of
    ``classes_[1]``; several rows are class scores, turned into probabilities
    by the softmax. Set ``_binary_only = True`` on estimators that fit two
    classes only.
    """

    _binary_only = False

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def decision_function(self, X):
        """Scores :math:`X W + b`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, one score per sample, positive for
            ``classes_[1]`` (for class scores, their difference), as
            scikit-learn expects; otherwise the class scores.
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return scores[:, 0]
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Predicted classes.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, ordered as ``classes_``.
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            positive = expit(scores[:, 0])
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithms of the class probabilities (computed without rounding
        the probabilities first, so that tiny ones keep their logarithm).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, ordered as ``classes_``.
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return np.column_stack([-np.logaddexp(0.0, scores[:, 0]),
                                    -np.logaddexp(0.0, -scores[:, 0])])
        return log_softmax(scores, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        if self._binary_only:
            tags.classifier_tags.multi_class = False
        return tags

"""What every linear SBL estimator shares: data checks (real through
scikit-learn, complex through sparseopt's validators), centring for the
intercept, the ConvergenceWarning and the ARDRegression-like predict."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.utils.validation import check_array_input, validate_data

__all__ = ["SBLBase", "COMMON_CONSTRAINTS", "complex_error"]

COMMON_CONSTRAINTS = {
    "noise": [StrOptions({"learn"}), Interval(Real, 0, None, closed="neither")],
    "noise_floor": [Interval(Real, 0, 1, closed="left")],
    "prune_rel": [Interval(Real, 0, 1, closed="neither")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "fit_intercept": ["boolean"],
    "complex_data": ["boolean"],
    "verbose": ["verbose"],
}

def complex_error(estimator, culprit):
    """The error for complex input when ``complex_data=False``."""
    return ValueError(f"Complex data not supported by {type(estimator).__name__} with "
                      f"complex_data=False ({culprit} is complex); set complex_data=True to "
                      "fit the circular complex Gaussian model.")


def _is_complex(value):
    return np.iscomplexobj(value) if isinstance(value, np.ndarray) else (
        np.asarray(value).dtype.kind == "c" if not hasattr(value, "dtypes") else False)


class SBLBase(RegressorMixin, BaseEstimator):
    """Shared fit/predict plumbing of the linear SBL estimators."""

    _multi_output = False

    def _validate_fit_data(self, X, y):
        """``(X, Y, one_column)``: float64 (or complex128) ``X`` and 2-D ``Y``."""
        if sp.issparse(y):
            raise TypeError("y must be a dense array, got a sparse matrix.")
        if _is_complex(X) or _is_complex(y):
            if not self.complex_data:
                raise complex_error(self, "X" if _is_complex(X) else "y")
            X = check_array_input(X, "X", ndim=2, allow_complex=True, dtype=np.complex128)
            y = check_array_input(y, "y", ndim=(1, 2) if self._multi_output else 1,
                                  allow_complex=True, dtype=np.complex128)
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries.")
            self.n_features_in_ = X.shape[1]
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True,
                                 multi_output=self._multi_output, ensure_min_samples=2)
        one_column = y.ndim == 1
        return X, (y[:, None] if one_column else y), one_column

    def _centre(self, X, Y):
        if self.fit_intercept:
            self.X_offset_ = X.mean(axis=0)
            self.y_offset_ = Y.mean(axis=0)
            return X - self.X_offset_, Y - self.y_offset_
        self.X_offset_ = np.zeros(X.shape[1], dtype=X.dtype)
        self.y_offset_ = np.zeros(Y.shape[1], dtype=Y.dtype)
        return X, Y

    def _noise_settings(self, Y):
        """``(start, learn, floor)`` of the noise variance for centred ``Y``."""
        variance = max(float(np.mean(np.abs(Y) ** 2)), np.finfo(float).tiny)
        if isinstance(self.noise, str):
            return 0.1 * variance, True, self.noise_floor * variance
        return float(self.noise), False, 0.0

    def _store(self, mean, one_column, info, noise):
        """Coefficients and intercept from the posterior mean of shape (p, L)."""
        coef = mean.T
        intercept = self.y_offset_ - coef @ self.X_offset_
        self.coef_ = coef[0] if one_column else coef
        self.intercept_ = intercept[0] if one_column else intercept
        if np.isrealobj(self.intercept_) and one_column:
            self.intercept_ = float(self.intercept_)
        self.noise_variance_ = float(noise)
        self.alpha_ = 1.0 / self.noise_variance_
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        self.log_marginal_likelihood_ = info["log_evidence"]
        if not info["converged"]:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={info['n_iter']} "
                f"iterations: criterion {info['criterion']:.3e} > tol={self.tol:.3e}. "
                "Increase max_iter or tol.", ConvergenceWarning, stacklevel=3)

    def predict(self, X, return_std=False):
        """Predictive mean (and standard deviation), as ARDRegression's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (complex if the model was fitted on complex data).
        return_std : bool, default=False
            Also return the predictive standard deviation
            :math:`\\sqrt{\\sigma^2 + x \\Sigma x^H}` (posterior covariance
            :math:`\\Sigma` of the active coefficients plus the noise).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            :math:`X w + b`.
        y_std : ndarray, same shape as ``y_mean``
            Only if ``return_std``.
        """
        check_is_fitted(self)
        if np.iscomplexobj(self.coef_) or _is_complex(X):
            X = check_array_input(X, "X", ndim=2, allow_complex=True, dtype=np.complex128)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                                 f"expecting {self.n_features_in_} features as input.")
        else:
            X = validate_data(self, X, dtype=np.float64, reset=False)
        y_mean = X @ self.coef_.T + self.intercept_
        if not return_std:
            return y_mean
        centred = (X - self.X_offset_)[:, self.active_]
        if len(self.active_):
            variance = np.real(np.sum((centred @ self.sigma_) * centred.conj(), axis=1))
        else:
            variance = np.zeros(X.shape[0])
        std = np.sqrt(np.maximum(variance, 0.0) + self.noise_variance_)
        if y_mean.ndim == 2:
            std = np.repeat(std[:, None], y_mean.shape[1], axis=1)
        return y_mean, std

"""What the GP estimators share: parameter checks, target scaling, the grid,
starting weights and the exact GP posterior of a data part."""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import cholesky, solve_triangular
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sparseopt.gp._grid import make_spectral_grid
from sparseopt.gp._validation import check_means_scales
from sparseopt.solvers.lmk.atoms import spectral_gram
from sparseopt.utils.validation import validate_data

__all__ = ["COMMON_CONSTRAINTS", "GaussianPosterior", "SpectralGPBase"]

COMMON_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "n_scales": [Interval(Integral, 1, None, closed="left")],
    "grid": [StrOptions({"uniform", "random"}), tuple],
    "noise": [StrOptions({"learn"}), Interval(Real, 0, None, closed="neither")],
    "noise_floor": [Interval(Real, 0, 1, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "normalize_y": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

_START_NOISE = 0.1  # of the (scaled) target variance


class GaussianPosterior:
    """Exact GP posterior of one data part (Cholesky; never an explicit inverse).

    Parameters
    ----------
    X : ndarray of shape (n, P)
        Training inputs.
    y : ndarray of shape (n,)
        Scaled targets.
    weights, means, scales : ndarray
        The kernel (atoms with weight 0 are dropped).
    noise : float
        Noise variance.
    """

    def __init__(self, X, y, weights, means, scales, noise):
        active = np.flatnonzero(weights)
        self.X, self.noise = X, noise
        self.weights, self.means, self.scales = weights[active], means[active], scales[active]
        covariance = self.kernel(X, X)
        covariance[np.diag_indices_from(covariance)] += noise
        self.lower = cholesky(covariance, lower=True, check_finite=False)
        self.alpha = solve_triangular(self.lower, solve_triangular(
            self.lower, y, lower=True, check_finite=False), lower=True, trans=1,
            check_finite=False)
        self.prior_variance = float(np.sum(self.weights))

    def kernel(self, A, B):
        return spectral_gram(A, B, self.weights, self.means, self.scales)

    def predict(self, X, full_covariance=False):
        """Latent mean and variance (or covariance) at ``X``, in scaled units."""
        cross = self.kernel(X, self.X)
        mean = cross @ self.alpha
        whitened = solve_triangular(self.lower, cross.T, lower=True, check_finite=False)
        if full_covariance:
            return mean, self.kernel(X, X) - whitened.T @ whitened
        variance = self.prior_variance - np.einsum("ij,ij->j", whitened, whitened)
        return mean, np.maximum(variance, 0.0)


class SpectralGPBase(RegressorMixin, BaseEstimator):
    """Shared plumbing of :class:`GSMPRegressor` and :class:`SLIMKLRegressor`."""

    def _validate_training_data(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True,
                             ensure_min_samples=2)
        if self.normalize_y:
            self._y_train_mean = float(np.mean(y))
            std = float(np.std(y))
            self._y_train_std = std if std > 0 else 1.0
        else:
            self._y_train_mean, self._y_train_std = 0.0, 1.0
        return X, (y - self._y_train_mean) / self._y_train_std

    def _make_grid(self, X, y=None, n_peaks=2):
        if isinstance(self.grid, tuple):
            if len(self.grid) != 2:
                raise ValueError("grid must be a string option or a pair (means, scales), "
                                 f"got a tuple of length {len(self.grid)}.")
            means = self.grid[0]
            if np.ndim(means) == 1:  # one frequency per atom: one input dimension
                means = np.reshape(means, (-1, 1))
            means, scales = check_means_scales(means, self.grid[1])
            if means.shape[1] != X.shape[1]:
                raise ValueError(f"grid means have {means.shape[1]} columns but X has "
                                 f"{X.shape[1]} features.")
            return means, scales
        return make_spectral_grid(X, self.n_components, n_scales=self.n_scales,
                                  sampling=self.grid, y=y, n_peaks=n_peaks,
                                  random_state=self.random_state)

    def _noise_start(self):
        """``(noise, learn, floor)`` in scaled units."""
        floor = self.noise_floor
        if isinstance(self.noise, str):
            return max(_START_NOISE, floor), True, floor
        return float(self.noise) / self._y_train_std ** 2, False, 0.0

    @staticmethod
    def _start_weights(n_atoms, noise):
        """Equal positive weights sharing the variance the noise leaves."""
        return np.full(n_atoms, max(1.0 - noise, 0.1) / n_atoms)

    def _unscale(self, mean, spread, power):
        return mean * self._y_train_std + self._y_train_mean, spread * self._y_train_std ** power

    def _check_predict_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

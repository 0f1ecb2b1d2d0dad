r"""E-step of sparse Bayesian learning with a diagonal prior.

Model: :math:`Y = \Phi X + E` with :math:`L` columns, prior
:math:`x_{i\cdot} \sim \mathcal N(0, \gamma_i I)` on the rows of :math:`X`,
noise variance :math:`\sigma^2` (real or circular complex Gaussian). The
posterior of each column is Gaussian with

.. math:: \Sigma = (\Phi^H\Phi/\sigma^2 + \Gamma^{-1})^{-1}
                 = \Gamma - \Gamma\Phi^H C^{-1}\Phi\Gamma, \qquad
          M = \Sigma\Phi^H Y/\sigma^2 = \Gamma\Phi^H C^{-1} Y,

with :math:`C = \sigma^2 I + \Phi\Gamma\Phi^H`. Two forms, neither of which
inverts a matrix or forms the full :math:`k \times k` covariance:

- *dual* (``n <= k``): Cholesky :math:`C = LL^H`, :math:`V = L^{-1}\Phi`;
  then :math:`t_i = \|v_i\|^2 = \phi_i^H C^{-1}\phi_i`, :math:`M =
  \Gamma V^H L^{-1}Y` and :math:`\operatorname{diag}\Sigma = \gamma -
  \gamma^2 t`. Cost :math:`O(n^2 k)`.
- *primal* (``k < n``): Cholesky :math:`B = I + \Gamma^{1/2}\Phi^H\Phi
  \Gamma^{1/2}/\sigma^2 = LL^H` of the scaled precision, :math:`F =
  L^{-1}\Gamma^{1/2}` (a triangular solve), :math:`\Sigma = F^H F`. Cost
  :math:`O(k^2 n)` for the Gram matrix (cached by the caller) plus
  :math:`O(k^3)`.

Both give the log-evidence :math:`\log p(Y \mid \gamma, \sigma^2)` from the
Cholesky factor (determinant lemma in the primal form).
"""

import numpy as np
from scipy.linalg import cholesky, solve_triangular

__all__ = ["DiagonalPosterior", "diagonal_posterior"]


class DiagonalPosterior:
    r"""Posterior moments of a diagonal-prior SBL model (see the module docstring).

    Attributes
    ----------
    mean : ndarray of shape (k, L)
        Posterior mean :math:`M`.
    variance : ndarray of shape (k,)
        :math:`\operatorname{diag}\Sigma` (real, non-negative).
    quad : ndarray of shape (k,)
        :math:`q_i = \|\phi_i^H C^{-1} Y\|^2 / L` (the ARD statistics).
    trace : ndarray of shape (k,)
        :math:`t_i = \phi_i^H C^{-1} \phi_i`.
    log_evidence : float
        :math:`\log p(Y \mid \gamma, \sigma^2)`, summed over columns.
    form : {"dual", "primal"}
        Which factorisation was used.
    """

    def __init__(self, mean, variance, quad, trace, log_evidence, form, factor, prior):
        self.mean = mean
        self.variance = variance
        self.quad = quad
        self.trace = trace
        self.log_evidence = log_evidence
        self.form = form
        self._factor = factor
        self._prior = prior

    def covariance(self, index=None):
        r"""The block :math:`\Sigma_{II}` of the posterior covariance.

        Parameters
        ----------
        index : array-like of int, optional
            Positions :math:`I` (default: all, the full :math:`k \times k`
            matrix; use it only when ``k`` is small).

        Returns
        -------
        block : ndarray of shape (len(index), len(index))
            Hermitian positive semi-definite.
        """
        if index is None:
            index = np.arange(self._factor.shape[1])
        columns = self._factor[:, index]
        block = columns.conj().T @ columns
        if self.form == "dual":
            block = np.diag(self._prior[index]).astype(block.dtype) - block
        return block

    def quadratic_form(self, rows):
        r""":math:`\operatorname{diag}(Z \Sigma Z^H)` for rows :math:`Z` (predictive variance).

        Parameters
        ----------
        rows : ndarray of shape (m, k)
            The rows :math:`Z`.

        Returns
        -------
        values : ndarray of shape (m,)
            Non-negative reals.
        """
        projected = rows @ self._factor.conj().T
        values = np.sum(np.abs(projected) ** 2, axis=1)
        if self.form == "dual":
            values = np.sum(np.abs(rows) ** 2 * self._prior, axis=1) - values
        return np.maximum(values, 0.0)


def _log_normalizer(n_values, complex_data):
    """``log`` of the Gaussian normalising constant per value (real or circular complex)."""
    return n_values * (np.log(np.pi) if complex_data else np.log(2.0 * np.pi))


def diagonal_posterior(Phi, Y, gamma, noise, *, gram=None, phi_y=None, y_norm2=None,
                       form="auto"):
    r"""Posterior of :math:`X` given prior variances ``gamma`` and ``noise``.

    Parameters
    ----------
    Phi : ndarray of shape (n, k)
        Dictionary restricted to the active atoms (real or complex).
    Y : ndarray of shape (n, L)
        Observations.
    gamma : ndarray of shape (k,)
        Positive prior variances.
    noise : float
        Noise variance :math:`\sigma^2 > 0`.
    gram : ndarray of shape (k, k), optional
        :math:`\Phi^H\Phi` (primal form; computed if missing).
    phi_y : ndarray of shape (k, L), optional
        :math:`\Phi^H Y` (primal form).
    y_norm2 : float, optional
        :math:`\|Y\|_F^2` (primal form).
    form : {"auto", "dual", "primal"}, default="auto"
        ``"auto"`` picks the dual form when ``n <= k``.

    Returns
    -------
    posterior : DiagonalPosterior
    """
    n, k = Phi.shape
    n_columns = Y.shape[1]
    complex_data = np.iscomplexobj(Phi) or np.iscomplexobj(Y)
    scale = 1.0 if complex_data else 0.5
    if form == "auto":
        form = "dual" if n <= k else "primal"
    if form == "dual":
        scaled = Phi * np.sqrt(gamma)
        C = scaled @ scaled.conj().T
        C[np.diag_indices(n)] += noise
        lower = cholesky(C, lower=True, overwrite_a=True, check_finite=False)
        V = solve_triangular(lower, Phi, lower=True, check_finite=False)
        v = solve_triangular(lower, Y, lower=True, check_finite=False)
        projections = V.conj().T @ v  # Phi^H C^-1 Y
        trace = np.sum(V.real ** 2 + V.imag ** 2, axis=0) if complex_data else \
            np.einsum("ij,ij->j", V, V)
        mean = gamma[:, None] * projections
        variance = np.maximum(gamma - gamma * gamma * trace, 0.0)
        quad = np.sum(np.abs(projections) ** 2, axis=1) / n_columns
        logdet = 2.0 * np.sum(np.log(np.abs(np.diag(lower))))
        data = float(np.sum(np.abs(v) ** 2))
        factor = V * gamma  # Sigma = Gamma - factor^H factor
        prior = gamma
    else:
        if gram is None:
            gram = Phi.conj().T @ Phi
        if phi_y is None:
            phi_y = Phi.conj().T @ Y
        if y_norm2 is None:
            y_norm2 = float(np.sum(np.abs(Y) ** 2))
        root = np.sqrt(gamma)
        B = (root[:, None] * gram * root[None, :]) / noise
        B[np.diag_indices(k)] += 1.0
        lower = cholesky(B, lower=True, overwrite_a=True, check_finite=False)
        factor = solve_triangular(lower, np.diag(root).astype(lower.dtype), lower=True,
                                  check_finite=False)  # Sigma = factor^H factor
        mean = factor.conj().T @ (factor @ phi_y) / noise
        variance = np.sum(np.abs(factor) ** 2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            trace = np.maximum(1.0 - variance / gamma, 0.0) / gamma
            quad = np.sum(np.abs(mean) ** 2, axis=1) / (n_columns * gamma * gamma)
        logdet = n * np.log(noise) + 2.0 * np.sum(np.log(np.abs(np.diag(lower))))
        data = (y_norm2 - float(np.sum(np.real(np.conj(phi_y) * mean)))) / noise
        prior = None
    log_evidence = -scale * (n_columns * logdet + data + _log_normalizer(n * n_columns,
                                                                          complex_data))
    return DiagonalPosterior(mean, variance, quad, trace, float(log_evidence), form, factor,
                             prior)

r"""The ML-II objective of a linear multiple kernel and its ARD statistics.

For data parts :math:`j = 1..N` (one part: ordinary GP regression; several:
the block-diagonal, factorised likelihood of distributed GPs), targets
:math:`y_j`, atoms :math:`K_i^{(j)}` and

.. math:: C_j(w, \sigma^2) = \sigma^2 I + \sum_i w_i K_i^{(j)}, \qquad
          l(w, \sigma^2) = \sum_j y_j^\top C_j^{-1} y_j + \log\det C_j,

(Suwandi et al.'s objective: twice the negative log marginal likelihood
without its constant :math:`n\log 2\pi`). The data fit is convex in
:math:`(w, \sigma^2)` and the log-determinant concave: a difference of convex
functions whose gradient is

.. math:: \frac{\partial l}{\partial w_i} = t_i - q_i, \qquad
          t_i = \sum_j \operatorname{tr}(C_j^{-1} K_i^{(j)}), \quad
          q_i = \sum_j \beta_j^\top K_i^{(j)} \beta_j, \quad \beta_j = C_j^{-1} y_j,

and :math:`\partial l / \partial \sigma^2 = \sum_j \operatorname{tr} C_j^{-1}
- \|\beta_j\|^2` (the noise is the weight of the identity atom). Every
factorisation is a Cholesky factorisation; :math:`C^{-1}` (needed for the
traces) comes from the Cholesky factor (LAPACK ``potri``), never from an LU
inverse or a pseudo-inverse.
"""

import numpy as np
from scipy.linalg import cholesky, lapack, solve_triangular

__all__ = ["CholeskyFactor", "LMKProblem", "NotPositiveDefinite"]


class NotPositiveDefinite(ValueError):
    """The covariance :math:`C` lost positive definiteness in floating point."""


class CholeskyFactor:
    """Cholesky factor ``L`` of one part's covariance, with ``beta = C^{-1} y``.

    Attributes
    ----------
    lower : ndarray of shape (n, n)
        Lower-triangular ``L`` with ``C = L L^T``.
    beta : ndarray of shape (n,)
        :math:`C^{-1} y`.
    datafit : float
        :math:`y^\\top C^{-1} y`.
    logdet : float
        :math:`\\log\\det C`.
    """

    def __init__(self, covariance, y):
        try:
            self.lower = cholesky(covariance, lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError as exc:
            raise NotPositiveDefinite(
                "the covariance sum_i w_i K_i + noise I is not numerically positive definite; "
                "raise the noise (or its floor)") from exc
        whitened = solve_triangular(self.lower, y, lower=True, check_finite=False)
        self.beta = solve_triangular(self.lower, whitened, lower=True, trans=1,
                                     check_finite=False)
        self.datafit = float(whitened @ whitened)
        self.logdet = 2.0 * float(np.sum(np.log(np.diag(self.lower))))

    def half_solve(self, matrix):
        """:math:`L^{-1} M`."""
        return solve_triangular(self.lower, matrix, lower=True, check_finite=False)

    def inverse(self):
        """:math:`C^{-1}` from the Cholesky factor (LAPACK ``potri``), full symmetric."""
        inverse, info = lapack.dpotri(self.lower, lower=1)
        if info != 0:
            raise NotPositiveDefinite(f"potri failed (info={info})")
        return np.tril(inverse) + np.tril(inverse, -1).T


class LMKProblem:
    r"""The objective :math:`l(w, \sigma^2)` over one or several data parts.

    Parameters
    ----------
    parts : list of (SpectralAtoms, ndarray of shape (n_j,))
        Atoms and targets of each part (all parts share the atom grid).
    """

    def __init__(self, parts):
        self.parts = [(atoms, np.asarray(y, dtype=np.float64)) for atoms, y in parts]
        self.n_atoms = self.parts[0][0].n_atoms
        self.n_samples = sum(y.shape[0] for _, y in self.parts)

    def factors(self, weights, noise):
        """One :class:`CholeskyFactor` per part (raises :class:`NotPositiveDefinite`)."""
        result = []
        for atoms, y in self.parts:
            covariance = atoms.gram(weights)
            covariance[np.diag_indices_from(covariance)] += noise
            result.append(CholeskyFactor(covariance, y))
        return result

    @staticmethod
    def value(factors):
        """:math:`l` from the factors."""
        return sum(f.datafit + f.logdet for f in factors)

    def objective(self, weights, noise):
        """:math:`l(w, \\sigma^2)`, or ``inf`` if a covariance is not positive definite."""
        try:
            return self.value(self.factors(weights, noise))
        except NotPositiveDefinite:
            return np.inf

    def quads(self, factors, index=None):
        r""":math:`q_i = \sum_j \beta_j^\top K_i \beta_j` (atoms in ``index``, default all)."""
        return sum(atoms.quads(f.beta, index)
                   for (atoms, _), f in zip(self.parts, factors, strict=True))

    def statistics(self, factors, index=None):
        r"""``(trace, quad, noise_trace, noise_quad)``: the gradient is ``trace - quad``.

        ``trace`` and ``quad`` hold :math:`t_i, q_i` for the atoms in
        ``index`` (default: all); ``noise_trace`` :math:`= \sum_j
        \operatorname{tr} C_j^{-1}` and ``noise_quad`` :math:`= \sum_j
        \|\beta_j\|^2` are those of the identity atom.
        """
        trace, noise_trace = 0.0, 0.0
        for (atoms, _), f in zip(self.parts, factors, strict=True):
            inverse = f.inverse()
            trace = trace + atoms.traces(inverse, index)
            noise_trace += float(np.trace(inverse))
        quad = self.quads(factors, index)
        noise_quad = sum(float(f.beta @ f.beta) for f in factors)
        return trace, quad, noise_trace, noise_quad

    def gradient(self, weights, noise):
        """``(dl/dw, dl/dnoise)`` at ``(weights, noise)`` (for tests and users)."""
        trace, quad, noise_trace, noise_quad = self.statistics(self.factors(weights, noise))
        return trace - quad, noise_trace - noise_quad

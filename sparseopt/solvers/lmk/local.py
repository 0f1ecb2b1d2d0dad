r"""An agent's local problem in SLIM-KL: its data part and its DSCA step.

The agent's objective is :math:`l_j(w, \sigma_j^2) = y_j^\top C_j^{-1} y_j +
\log\det C_j`; the weights :math:`w` are shared (the consensus variables)
and a learned noise :math:`\sigma_j^2` stays the agent's own (its local
iterate is :math:`x = (w, \sigma_j^2)`). In each ADMM round it runs a few
warm-started SCA/DSCA steps (:func:`~.sca.sca_weights`) on
:math:`l_j(w, \sigma_j^2) + \lambda_j^\top w + \frac\rho2 \|w -
\theta\|^2`. The atoms are built on first use, where the
agent runs (a Dask worker), and are not pickled with it.
"""

import numpy as np

from sparseopt.solvers.lmk.atoms import SpectralAtoms
from sparseopt.solvers.lmk.objective import LMKProblem
from sparseopt.solvers.lmk.sca import sca_weights

__all__ = ["LocalKernelProblem"]


class LocalKernelProblem:
    """One data part with the shared grid and the local solver options.

    Parameters
    ----------
    X : ndarray of shape (n_j, P)
        The agent's inputs.
    y : ndarray of shape (n_j,)
        Its (scaled) targets.
    means, scales : ndarray of shape (A, P)
        The shared grid.
    noise : float
        Fixed noise, or the floor-respecting start when ``learn_noise``.
    learn_noise : bool
        Whether the noise is the last entry of ``x``.
    noise_floor : float
        Lower bound of a learned noise.
    max_iter : int
        SCA steps per round.
    n_blocks : int
        DSCA blocks.
    """

    def __init__(self, X, y, means, scales, noise, learn_noise, noise_floor, max_iter,
                 n_blocks):
        self.X, self.y, self.means, self.scales = X, y, means, scales
        self.noise, self.learn_noise, self.noise_floor = noise, learn_noise, noise_floor
        self.max_iter, self.n_blocks = max_iter, n_blocks
        self._problem = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_problem"] = None  # rebuilt where the agent runs
        return state

    @property
    def problem(self):
        if self._problem is None:
            self._problem = LMKProblem([(SpectralAtoms(self.X, self.means, self.scales),
                                         self.y)])
        return self._problem

    def _split(self, x):
        n_atoms = self.means.shape[0]
        return x[:n_atoms], (float(x[n_atoms]) if self.learn_noise else self.noise)

    def solve(self, center, multipliers, rho, start):
        """Warm-started DSCA on the augmented local objective: ``(x, value)``."""
        weights, noise = self._split(start)
        weights, noise, info = sca_weights(
            self.problem, weights, max(noise, self.noise_floor), learn_noise=self.learn_noise,
            noise_floor=self.noise_floor, tol=0.0, max_iter=self.max_iter,
            n_blocks=self.n_blocks, rho=rho, center=center, multipliers=multipliers)
        x = np.append(weights, noise) if self.learn_noise else weights
        return x, info["objective"]

    def objective(self, weights, local):
        """:math:`l_j` at ``weights`` with the noise of the local iterate ``local``."""
        noise = self._split(np.asarray(local, dtype=np.float64))[1]
        return self.problem.objective(np.asarray(weights, dtype=np.float64), noise)

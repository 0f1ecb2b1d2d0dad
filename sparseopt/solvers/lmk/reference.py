r"""cvxpy reference for the SCA subproblem (tests and benchmarks only).

.. math:: \min_{w \ge 0}\ y^\top (\sigma^2 I + \textstyle\sum_i w_i K_i)^{-1} y
          + b^\top w + \tfrac{\rho}{2}\|w - c\|^2

in the second-order-cone form of Suwandi et al.'s MOSEK code: with factors
:math:`K_i = L_i L_i^\top` (eigenvectors of the eigenvalues above
:math:`10^{-13}` of the largest),

.. math:: y^\top C^{-1} y = \min\Big\{\sum_i \frac{\|u_i\|^2}{w_i}
          + \frac{\|u_0\|^2}{\sigma^2} :
          \sum_i L_i u_i + u_0 = y\Big\},

each term a cvxpy ``quad_over_lin`` (a rotated cone), solved by Clarabel's
interior-point method. (cvxpy's ``matrix_frac`` gives the same value through
an :math:`(n+1)`-square semidefinite cone, whose interior-point Hessian needs
:math:`O(n^4)` memory: 3 GB at :math:`n = 200`.) It forms every atom
densely: use it on small problems only.
"""

import numpy as np

__all__ = ["reference_subproblem"]

_RANK_TOL = 1e-13


def _factor(atom):
    values, vectors = np.linalg.eigh(atom)
    keep = values > _RANK_TOL * max(values.max(), np.finfo(float).tiny)
    return vectors[:, keep] * np.sqrt(values[keep])


def reference_subproblem(atoms, y, noise, linear, *, rho=0.0, center=None, solver="CLARABEL"):
    r"""Solve the subproblem with cvxpy (all atoms free, the noise fixed).

    Parameters
    ----------
    atoms : list of ndarray of shape (n, n)
        The atoms :math:`K_i`, dense.
    y : ndarray of shape (n,)
        Targets.
    noise : float
        Fixed noise variance.
    linear : ndarray of shape (A,)
        :math:`b`.
    rho : float, default=0.0
        Proximal weight.
    center : ndarray of shape (A,), optional
        Proximal centre (default 0).
    solver : str, default="CLARABEL"
        A cvxpy solver for second-order cones.

    Returns
    -------
    weights : ndarray of shape (A,)
    objective : float
        The optimal value reported by the solver.
    """
    import cvxpy as cp

    n_atoms = len(atoms)
    weights = cp.Variable(n_atoms, nonneg=True)
    factors = [_factor(atom) for atom in atoms]
    parts = [cp.Variable(f.shape[1]) for f in factors]
    residual = cp.Variable(len(y))
    fit = cp.sum_squares(residual) / noise + sum(
        cp.quad_over_lin(u, weights[i]) for i, u in enumerate(parts))
    constraints = [sum(f @ u for f, u in zip(factors, parts, strict=True)) + residual == y]
    center = np.zeros(n_atoms) if center is None else center
    objective = fit + linear @ weights
    if rho > 0:
        objective = objective + 0.5 * rho * cp.sum_squares(weights - center)
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver=solver)
    return np.maximum(weights.value, 0.0), float(problem.value)

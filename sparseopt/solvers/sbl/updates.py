r"""Type-II maximum-likelihood (ARD) updates of prior variances and noise.

The model is :math:`y \sim \mathcal N(0, C)` with
:math:`C = \sigma^2 I + \sum_i w_i K_i`, one non-negative weight :math:`w_i`
per *atom* :math:`K_i = \Phi_i B_i \Phi_i^H` of rank :math:`r_i` (a column
:math:`\phi_i \phi_i^H` in classic SBL, a block in block SBL, a kernel matrix
in a Gaussian-process multiple-kernel model). Every update below needs only,
per atom,

.. math:: q_i = \frac1L \|B_i^{1/2}\Phi_i^H C^{-1} Y\|_F^2, \qquad
          t_i = \operatorname{tr}(C^{-1} K_i),

(``quad`` and ``trace``; :math:`L` columns of :math:`Y`), so that they work
on plain arrays for any kind of atom:

- EM (Dempster et al.; Wipf & Rao 2004): :math:`w_i \leftarrow w_i +
  w_i^2 (q_i - t_i) / r_i`, the posterior second moment of the atom's
  coefficients; never decreases the marginal likelihood.
- MacKay (1992; sklearn's ARDRegression): :math:`w_i \leftarrow w_i q_i /
  t_i`, the fixed point of the gradient; fast but not monotone.
- MM (Wipf & Nagarajan 2010; BSBL-BO of Zhang & Rao 2013):
  :math:`w_i \leftarrow w_i \sqrt{q_i / t_i}`, minimising the bound obtained by
  linearising :math:`\log\det C`.

Plain functions on arrays (no numba: one vector operation each).
"""

import numpy as np

__all__ = ["ARD_RULES", "ard_update", "noise_update"]

ARD_RULES = ("em", "mackay", "mm")


def ard_update(rule, weights, quad, trace, rank=1):
    r"""One ARD update of the atom weights (prior variances).

    Parameters
    ----------
    rule : {"em", "mackay", "mm"}
        Update rule (see the module docstring).
    weights : ndarray of shape (k,)
        Current positive weights :math:`w`.
    quad : ndarray of shape (k,)
        :math:`q_i = \|B_i^{1/2}\Phi_i^H C^{-1} Y\|^2 / L`.
    trace : ndarray of shape (k,)
        :math:`t_i = \operatorname{tr}(C^{-1} K_i) \ge 0`.
    rank : int or ndarray of shape (k,), default=1
        Rank :math:`r_i` of each atom (only EM uses it).

    Returns
    -------
    new_weights : ndarray of shape (k,)
        Non-negative updated weights; an atom with ``trace == 0`` (a zero
        column) gets weight 0.
    """
    weights = np.asarray(weights, dtype=np.float64)
    quad = np.asarray(quad, dtype=np.float64)
    trace = np.maximum(np.asarray(trace, dtype=np.float64), 0.0)
    if rule == "em":
        return np.maximum(weights + weights * weights * (quad - trace) / rank, 0.0)
    safe = np.where(trace > 0.0, trace, 1.0)
    if rule == "mackay":
        new = weights * quad / safe
    elif rule == "mm":
        new = weights * np.sqrt(quad / safe)
    else:
        raise ValueError(f"rule must be one of {ARD_RULES}, got {rule!r}.")
    return np.where(trace > 0.0, new, 0.0)


def noise_update(rule, residual_sq, noise, dof, n_samples):
    r"""The noise variance update matching :func:`ard_update`'s rule.

    With the residual :math:`R = Y - \Phi M` of the posterior mean,
    ``residual_sq`` :math:`= \|R\|_F^2 / L` and the effective number of
    parameters :math:`\gamma = \sum_i w_i t_i = n - \sigma^2
    \operatorname{tr} C^{-1}` (``dof``):

    - EM: :math:`\sigma^2 \leftarrow (\|R\|^2/L + \sigma^2\gamma) / n`;
    - MacKay: :math:`\sigma^2 \leftarrow (\|R\|^2/L) / (n - \gamma)`;
    - MM: :math:`\sigma^2 \leftarrow \sqrt{\sigma^2 (\|R\|^2/L) / (n - \gamma)}`
      (the MM step for the identity atom: :math:`q = \|R\|^2/(L\sigma^4)`,
      :math:`t = \operatorname{tr} C^{-1}`).

    Parameters
    ----------
    rule : {"em", "mackay", "mm"}
        Update rule.
    residual_sq : float
        :math:`\|Y - \Phi M\|_F^2 / L`.
    noise : float
        Current noise variance :math:`\sigma^2 > 0`.
    dof : float
        :math:`\gamma = \sum_i w_i t_i`, in ``[0, n]``.
    n_samples : int
        Number of rows :math:`n`.

    Returns
    -------
    new_noise : float
        The updated noise variance (before any floor).
    """
    spare = max(n_samples - dof, 1e-12 * n_samples)
    if rule == "em":
        return (residual_sq + noise * dof) / n_samples
    if rule == "mackay":
        return residual_sq / spare
    if rule == "mm":
        return float(np.sqrt(noise * residual_sq / spare))
    raise ValueError(f"rule must be one of {ARD_RULES}, got {rule!r}.")

r"""Tipping & Faul's fast marginal-likelihood maximisation (sequential SBL).

Tipping & Faul, "Fast marginal likelihood maximisation for sparse Bayesian
models", AISTATS 2003. The model starts from one atom and, at each step,
adds, deletes or re-estimates the single atom whose change increases the
log-evidence most. With :math:`C_{-i}` the covariance without atom
:math:`i`, its sparsity and quality factors :math:`s_i = \phi_i^H
C_{-i}^{-1}\phi_i`, :math:`q_i = \phi_i^H C_{-i}^{-1} y` separate the
evidence:

.. math:: \mathcal L(\alpha) = \mathcal L_{-i} + c\,\Big[\log\frac{\alpha_i}
          {\alpha_i + s_i} + \frac{|q_i|^2}{\alpha_i + s_i}\Big],

(:math:`c = 1/2` for real data, 1 for complex), maximised at
:math:`\alpha_i = s_i^2 / (|q_i|^2 - s_i)` when :math:`|q_i|^2 > s_i` and at
:math:`\alpha_i = \infty` (the atom out) otherwise. Every step has an exact
positive gain :math:`\Delta\mathcal L`. The posterior :math:`\Sigma, \mu` of
the :math:`k` active atoms and the factors :math:`S_m, Q_m` of all :math:`p`
atoms follow by rank-one updates in :math:`O(pk)` (plus one product
:math:`\Phi^H\phi_i` of :math:`O(np)` per addition); a full recomputation
(:math:`O(pk^2)`) follows each noise update and every ``_REFRESH`` steps.
"""

import numpy as np
from numba import njit
from scipy.linalg import cho_factor, cho_solve

from sparseopt.core import ConvergenceHistory
from sparseopt.utils import IterationPrinter

__all__ = ["fast_sbl"]

# Tipping's SparseBayes v2 defaults: noise re-estimated from step 10, then every 5 steps;
# an atom whose column is this close to an active one (cosine) is not added.
_NOISE_START, _NOISE_EVERY = 10, 5
_ALIGNMENT = 1.0 - 1e-3
_REFRESH = 1000  # steps between full recomputations when the noise is fixed
_KINDS = ("add", "delete", "reestimate")


class _State:
    """Active atoms and the statistics of Tipping & Faul's algorithm."""

    def __init__(self, Phi, y, beta):
        n, p = Phi.shape
        self.Phi = Phi
        self.y = y
        self.beta = beta
        self.norms2 = np.sum(np.abs(Phi) ** 2, axis=0)
        self.phi_y = Phi.conj().T @ y
        self.dtype = self.phi_y.dtype
        self.c = 1.0 if np.iscomplexobj(self.phi_y) else 0.5
        self.active = np.zeros(0, dtype=np.int64)
        self.alpha = np.zeros(0)
        self.alpha_full = np.full(p, np.inf)  # inf off the model
        self.position = np.full(p, -1, dtype=np.int64)
        # Phi^H Phi_A, column-major so that its first k columns are contiguous; grown as needed
        self._cross = np.zeros((p, 8), dtype=self.dtype, order="F")
        self.cross = self._cross[:, :0]  # the columns in use

    def add_column(self, index, alpha):
        k = len(self.active)
        if k == self._cross.shape[1]:
            grown = np.zeros((self._cross.shape[0], 2 * k), dtype=self.dtype, order="F")
            grown[:, :k] = self._cross
            self._cross = grown
        self._cross[:, k] = self.Phi.conj().T @ self.Phi[:, index]
        self.active = np.append(self.active, index)
        self.cross = self._cross[:, :k + 1]
        self.alpha = np.append(self.alpha, alpha)
        self.alpha_full[index] = alpha
        self.position[index] = k

    def recompute(self):
        """Sigma, mu, S, Q and the log-evidence from scratch."""
        beta, active, cross = self.beta, self.active, self.cross
        precision = beta * cross[active, :]
        precision = 0.5 * (precision + precision.conj().T)
        precision[np.diag_indices(len(active))] += self.alpha
        factor = cho_factor(precision, lower=True, check_finite=False)
        self.Sigma = np.ascontiguousarray(cho_solve(
            factor, np.eye(len(active), dtype=precision.dtype), check_finite=False))
        self.mu = beta * self.Sigma @ self.phi_y[active]
        projected = cross @ self.Sigma
        self.S = beta * self.norms2 - beta * beta * np.real(np.sum(projected * cross.conj(),
                                                                   axis=1))
        self.Q = beta * self.phi_y - beta * (cross @ self.mu)
        n = self.Phi.shape[0]
        logdet = (-n * np.log(beta) - np.sum(np.log(self.alpha))
                  + 2.0 * np.sum(np.log(np.abs(np.diag(factor[0])))))
        data = beta * float(np.sum(np.abs(self.y) ** 2)) - beta * float(
            np.real(np.vdot(self.phi_y[active], self.mu)))
        normalizer = n * (np.log(np.pi) if self.c == 1.0 else np.log(2.0 * np.pi))
        self.log_evidence = -self.c * (logdet + data + normalizer)

    # -- rank-one updates (Tipping & Faul 2003, appendix) ------------------
    def reestimate(self, position, new_alpha):
        delta = 1.0 / (new_alpha - self.alpha[position])
        kappa = 1.0 / (np.real(self.Sigma[position, position]) + delta)
        downdate_kernel(self.Sigma, self.mu, self.cross, self.S, self.Q, position, kappa,
                        self.beta)
        self.alpha[position] = new_alpha
        self.alpha_full[self.active[position]] = new_alpha

    def add(self, index, new_alpha):
        beta = self.beta
        sigma_ii = 1.0 / (new_alpha + self.S[index])
        mu_i = sigma_ii * self.Q[index]
        k = len(self.active)
        v = beta * (self.Sigma @ self.cross[index, :].conj())
        Sigma = np.empty((k + 1, k + 1), dtype=self.Sigma.dtype)
        Sigma[:k, :k] = self.Sigma
        hermitian_rank_one_kernel(Sigma[:k, :k], v, -sigma_ii)
        Sigma[:k, k] = -sigma_ii * v
        Sigma[k, :k] = -sigma_ii * v.conj()
        Sigma[k, k] = sigma_ii
        e = -(self.cross @ v)
        self.mu = np.append(self.mu - mu_i * v, mu_i)
        self.add_column(index, new_alpha)
        e += self._cross[:, k]
        e *= beta
        self.S -= sigma_ii * (e.real ** 2 + e.imag ** 2)
        self.Q -= mu_i * e
        self.Sigma = Sigma

    def delete(self, position):
        kappa = 1.0 / np.real(self.Sigma[position, position])
        downdate_kernel(self.Sigma, self.mu, self.cross, self.S, self.Q, position, kappa,
                        self.beta)
        keep = np.arange(len(self.active)) != position
        self.Sigma = self.Sigma[np.ix_(keep, keep)]
        self.mu = self.mu[keep]
        k = len(self.active)
        self._cross[:, position:k - 1] = self._cross[:, position + 1:k]
        self.cross = self._cross[:, :k - 1]
        index = self.active[position]
        self.alpha_full[index] = np.inf
        self.position[index] = -1
        self.active = self.active[keep]
        self.alpha = self.alpha[keep]
        self.position[self.active] = np.arange(len(self.active))


@njit(cache=True, nogil=True)
def choose_action_kernel(S, Q, alpha, blocked, c, tol, can_delete):
    """One pass over the atoms: the best action of Tipping & Faul (jitted).

    ``alpha`` is ``inf`` off the model. Returns ``(index, kind, new_alpha,
    gain, small)`` with kind 0 = add, 1 = delete, 2 = re-estimate; deletions
    with a gain come first (SparseBayes' default). ``small`` says that no
    addition or deletion is possible and every re-estimation changes
    ``log alpha`` by less than ``tol``.
    """
    best, best_kind, best_alpha, best_gain = -1, 0, np.inf, -np.inf
    best_delete, best_delete_gain = -1, 0.0
    small = True
    for m in range(S.shape[0]):
        a = alpha[m]
        q2 = Q[m].real * Q[m].real + Q[m].imag * Q[m].imag
        if np.isinf(a):
            s = S[m]
        elif a > S[m]:
            ratio = a / (a - S[m])
            s, q2 = ratio * S[m], ratio * ratio * q2
        else:
            continue  # rounding (S_m can only be below alpha_m)
        if s <= 0.0:
            continue  # a column in the span of the model, numerically: never added
        theta = q2 - s
        target = s * s / theta if theta > 0.0 else np.inf
        if np.isinf(a):
            if theta <= 0.0 or blocked[m]:
                continue
            small = False
            gain = c * (np.log(target / (target + s)) + q2 / (target + s))
            kind = 0
        else:
            current = c * (np.log(a / (a + s)) + q2 / (a + s))
            if theta <= 0.0:
                if not can_delete:
                    continue
                small = False
                gain = -current
                if gain > best_delete_gain:
                    best_delete, best_delete_gain = m, gain
                kind = 1
            else:
                if abs(np.log(target / a)) >= tol:
                    small = False
                gain = c * (np.log(target / (target + s)) + q2 / (target + s)) - current
                kind = 2
        if gain > best_gain:
            best, best_kind, best_alpha, best_gain = m, kind, target, gain
    if best_delete >= 0:
        return best_delete, 1, np.inf, best_delete_gain, False
    return best, best_kind, best_alpha, best_gain, small


@njit(cache=True, nogil=True)
def downdate_kernel(Sigma, mu, cross, S, Q, position, kappa, beta):
    """The rank-one change of a re-estimation (``kappa``) or deletion
    (``kappa = 1 / Sigma_jj``) of the atom at ``position``, in place (jitted):
    Sigma -= kappa s s^H, mu -= kappa mu_j s, S += kappa |z|^2,
    Q += kappa mu_j z with s = Sigma[:, j], z = beta Phi^H Phi_A s."""
    column = Sigma[:, position].copy()
    scaled = kappa * mu[position]
    k = column.shape[0]
    for i in range(k):
        weight = kappa * column[i]
        for j in range(k):
            Sigma[i, j] -= weight * np.conj(column[j])
        mu[i] -= scaled * column[i]
    z = np.dot(cross, column)
    for m in range(S.shape[0]):
        value = beta * z[m]
        S[m] += kappa * (value.real * value.real + value.imag * value.imag)
        Q[m] += scaled * value


@njit(cache=True, nogil=True)
def hermitian_rank_one_kernel(matrix, vector, weight):
    """``matrix -= weight * vector vector^H`` in place (jitted)."""
    k = vector.shape[0]
    for i in range(k):
        scaled = weight * vector[i]
        for j in range(k):
            matrix[i, j] -= scaled * np.conj(vector[j])


def _aligned(state, index):
    """Active atoms whose column is (nearly) collinear with atom ``index``."""
    active = state.active
    cosine = np.abs(state.cross[index, :]) / np.sqrt(state.norms2[index] * state.norms2[active])
    return active[cosine > _ALIGNMENT]


def fast_sbl(Phi, y, *, noise=1.0, learn_noise=True, noise_floor=0.0, tol=1e-4,
             max_iter=10000, verbose=0, callback=None):
    r"""Tipping & Faul's sequential SBL on validated arrays.

    Parameters
    ----------
    Phi : ndarray of shape (n, p)
        Dictionary (real or complex); zero columns are never added.
    y : ndarray of shape (n,)
        Observations.
    noise : float, default=1.0
        Noise variance (fixed, or the start when ``learn_noise``).
    learn_noise : bool, default=True
        Re-estimate the noise (MacKay's rule) from step 10, then every 5 steps.
    noise_floor : float, default=0.0
        Lower bound on the learned noise variance.
    tol : float, default=1e-4
        Stop when no atom can be added or deleted with a gain and every
        re-estimation changes :math:`\log\alpha` by less than ``tol`` (and,
        with a learned noise, its last update changed :math:`\log\sigma^2`
        by less than ``tol``).
    max_iter : int, default=10000
        Maximum number of steps (additions, deletions, re-estimations).
    verbose : int, default=0
        Print progress.
    callback : callable, optional
        Called after every step as ``callback(step, active, alpha, noise)``
        (copies), e.g. to check the evidence independently.

    Returns
    -------
    mean : ndarray of shape (p,)
        Posterior mean, zero off the model.
    gamma : ndarray of shape (p,)
        Prior variances :math:`1/\alpha`, zero off the model.
    noise : float
        Final noise variance.
    info : dict
        ``n_iter``, ``converged``, ``criterion``, ``history`` (log-evidence
        per step), ``active``, ``Sigma`` (posterior covariance of the active
        atoms, in the order of ``active``), ``log_evidence``, ``actions``
        (counts of additions, deletions and re-estimations).
    """
    n, p = Phi.shape
    noise = float(noise)
    state = _State(Phi, y, 1.0 / noise)
    usable = state.norms2 > 0
    projection2 = np.where(usable, np.abs(state.phi_y) ** 2 / np.where(usable, state.norms2, 1.0),
                           -1.0)
    start = int(np.argmax(projection2))
    excess = max(projection2[start] - noise, 1e-6 * projection2[start], np.finfo(float).tiny)
    state.add_column(start, state.norms2[start] / excess)
    state.recompute()
    blocked = ~usable
    blocked_by = {}
    history = ConvergenceHistory("largest_log_alpha_change")
    printer = IterationPrinter("SBL-fast", verbose)
    counts = {"add": 0, "delete": 0, "reestimate": 0}
    history.append(0, state.log_evidence, np.inf)
    converged, noise_change, step = False, np.inf, 0
    while step < max_iter:
        index, kind, new_alpha, gain, small = choose_action_kernel(
            state.S, state.Q, state.alpha_full, blocked, state.c, tol, len(state.active) > 1)
        if index < 0 or gain <= 0.0 or (small and (not learn_noise or noise_change < tol)):
            converged = True  # no single-atom change increases the evidence enough
            break
        log_alpha_change = np.inf
        if kind == 0:
            partners = _aligned(state, index)
            if partners.size:
                blocked[index] = True
                blocked_by.setdefault(int(partners[0]), []).append(index)
                continue
            state.add(index, new_alpha)
        elif kind == 1:
            state.delete(state.position[index])
            for freed in blocked_by.pop(index, []):
                blocked[freed] = False
        else:
            position = state.position[index]
            log_alpha_change = abs(np.log(new_alpha / state.alpha[position]))
            state.reestimate(position, new_alpha)
        counts[_KINDS[kind]] += 1
        step += 1
        state.log_evidence += gain
        if learn_noise and step >= _NOISE_START and step % _NOISE_EVERY == 0:
            residual = y - Phi[:, state.active] @ state.mu
            well_determined = len(state.active) - float(
                np.sum(state.alpha * np.real(np.diag(state.Sigma))))
            new_noise = float(np.sum(np.abs(residual) ** 2)) / max(n - well_determined,
                                                                     1e-12 * n)
            new_noise = max(new_noise, noise_floor)
            noise_change = abs(np.log(new_noise / noise))
            noise = new_noise
            state.beta = 1.0 / noise
            state.recompute()
        elif step % _REFRESH == 0:
            state.recompute()
        history.append(step, state.log_evidence, log_alpha_change)
        printer(step, objective=state.log_evidence, action=_KINDS[kind],
                active=len(state.active))
        if callback is not None:
            callback(step, state.active.copy(), state.alpha.copy(), noise)
    state.recompute()
    mean = np.zeros(p, dtype=state.mu.dtype)
    mean[state.active] = state.mu
    gamma = np.zeros(p)
    gamma[state.active] = 1.0 / state.alpha
    info = {"n_iter": step, "converged": converged, "criterion": history.criteria[-1],
            "history": history, "active": state.active.copy(), "Sigma": state.Sigma,
            "log_evidence": float(state.log_evidence), "actions": counts}
    return mean, gamma, noise, info

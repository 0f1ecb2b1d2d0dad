r"""Quantized consensus ADMM (Suwandi et al.'s SLIM-KL outer loop).

Agents :math:`j = 1..N` each hold a local objective :math:`f_j` (their data
never leave them) and solve, together,

.. math:: \min_{\zeta_1..\zeta_N,\ \theta \ge \ell}\ \sum_j f_j(\zeta_j)
          \quad \text{s.t.}\ \zeta_j = \theta,

by ADMM in unscaled form (Boyd et al. 2011, section 7.1):

1. each agent computes :math:`\zeta_j \leftarrow \arg\min f_j(\zeta) +
   \lambda_j^\top(\zeta - \theta) + \frac\rho2\|\zeta - \theta\|^2` (a few
   warm-started steps of its local solver) and sends the quantized
   innovation :math:`Q(\zeta_j - \theta)`, received as :math:`\hat\zeta_j =
   \theta + Q(\zeta_j - \theta)`;
2. the coordinator sets :math:`\bar\theta = \max(\ell, \frac1N\sum_j
   \hat\zeta_j + \lambda_j/\rho)` (the projection keeps the kernel weights
   non-negative, which the official code omits) and broadcasts
   :math:`Q(\bar\theta - \theta)`; everyone sets :math:`\theta \leftarrow
   \max(\ell, \theta + Q(\bar\theta - \theta))`;
3. :math:`\lambda_j \leftarrow \lambda_j + \rho(Q(\zeta_j) - Q(\theta))`,
   computed identically by the agent and by the coordinator (so that
   multipliers never travel);
4. primal and dual residuals :math:`r = \|(Q(\zeta_j) - Q(\theta))_j\|`,
   :math:`s = \rho\sqrt N \|Q(\theta) - Q(\theta_{old})\|`; stop when
   :math:`r \le \epsilon_{pri}` and :math:`s \le \epsilon_{dual}` with
   :math:`\epsilon_{pri} = \sqrt{Nd}\,\epsilon_{abs} + \epsilon_{rel}
   \max(\|\zeta\|, \sqrt N\|\theta\|)`, :math:`\epsilon_{dual} =
   \sqrt{Nd}\,\epsilon_{abs} + \epsilon_{rel}\|\lambda\|`, where
   :math:`\epsilon_{abs}` is at least the quantization step (the residuals
   cannot fall below the rounding noise);
5. residual balancing: :math:`\rho \leftarrow 2\rho` if :math:`r > 10 s`,
   :math:`\rho/2` if :math:`s > 10 r`.

:math:`Q` is the unbiased stochastic quantizer of :mod:`.quantize`. An
agent's local iterate may hold more than the consensus variables (e.g. its
own noise variance): only its first ``len(theta)`` entries take part.
Suwandi et al. quantize the values :math:`\zeta_j` and :math:`\theta`
themselves, so that the rounding error never vanishes (with
a bit budget, a weight smaller than a 255th of the largest is rounded to 0
or to that 255th at random); quantizing the innovation, known to both
sides, keeps the same unbiased quantizer while its error shrinks with the
residuals (the step of a bit budget follows the innovation's range).
Every random rounding is seeded by (``seed``, round, agent), so that any
backend, and any recomputation after a lost worker, gives the same result.
"""

import numpy as np

from sparseopt.core import ConvergenceHistory
from sparseopt.solvers.admm.quantize import quantize, rounding_rng
from sparseopt.utils import DeferredInterrupt, IterationPrinter

__all__ = ["AgentState", "advance_agent", "consensus_admm"]

_BALANCE_RATIO = 10.0
_BALANCE_FACTOR = 2.0
_COORDINATOR = -1  # the quantizer stream index of the coordinator


class AgentState:
    """One agent of the consensus: its local problem, multipliers and last iterate.

    A new state is returned by every round (nothing is mutated), so that a
    task scheduler may recompute any round.

    Parameters
    ----------
    local : object
        The local problem: ``solve(center, multipliers, rho, start) -> (x,
        value)`` where ``x`` is the local iterate (its first ``d`` entries
        are the consensus variables), and ``objective(theta, x) -> float``.
    index : int
        The agent's number (seeds its quantizer).
    start : ndarray
        Starting local iterate.
    options : dict
        ``step``, ``bits``, ``seed``.
    """

    def __init__(self, local, index, start, options, multipliers=None, zeta=None,
                 zeta_sent=None, message=None, penalty=None):
        self.local, self.index, self.options = local, index, options
        self.start = np.asarray(start, dtype=np.float64)
        self.multipliers = multipliers
        self.zeta = self.start if zeta is None else zeta
        self.zeta_sent = zeta_sent
        self.message = message
        self.penalty = penalty  # the rho of the round that produced zeta_sent


def advance_agent(state, theta, rho, round_index):
    """One round of an agent: dual update with the received ``theta``, local step, send.

    Returns the new :class:`AgentState`; its ``message`` is ``(theta +
    Q(zeta - theta), local objective value, bits sent)``.
    """
    multipliers = np.zeros_like(theta) if state.multipliers is None else state.multipliers
    if state.zeta_sent is not None:
        multipliers = multipliers + state.penalty * (state.zeta_sent - theta)
    zeta, value = state.local.solve(theta, multipliers, rho, state.zeta)
    options = state.options
    innovation, n_bits = quantize(zeta[:theta.size] - theta,
                                  rounding_rng(options["seed"], round_index, state.index),
                                  step=options["step"], bits=options["bits"])
    sent = theta + innovation
    return AgentState(state.local, state.index, state.start, options, multipliers, zeta, sent,
                      (sent, float(value), n_bits + 64), rho)


def consensus_admm(pool, start, *, rho=1.0, lower=None, tol=1e-3, abs_tol=0.0,
                   max_iter=100, step=None, bits=None, seed=0, verbose=0):
    r"""Run quantized consensus ADMM over the agents of ``pool``.

    Parameters
    ----------
    pool : SerialPool or DaskPool
        The agents (see :mod:`.pools`).
    start : ndarray of shape (d,)
        Starting consensus point :math:`\theta`.
    rho : float, default=1.0
        Initial penalty :math:`\rho > 0` (then balanced).
    lower : ndarray of shape (d,), optional
        Lower bounds :math:`\ell` of :math:`\theta` (default 0).
    tol : float, default=1e-3
        Relative tolerance :math:`\epsilon_{rel}`.
    abs_tol : float, default=0.0
        Absolute tolerance :math:`\epsilon_{abs}` per entry (raised to the
        quantization step).
    max_iter : int, default=100
        Maximum number of rounds.
    step, bits : float, int, optional
        Quantizer (see :func:`.quantize.quantize`).
    seed : int, default=0
        Seed of every stochastic rounding.
    verbose : int, default=0
        Print progress.

    Returns
    -------
    theta : ndarray of shape (d,)
        The consensus point (quantized as broadcast).
    info : dict
        ``n_iter``, ``converged``, ``history`` (objective: sum of the local
        ADMM objectives; criterion: :math:`\max(r/\epsilon_{pri},
        s/\epsilon_{dual})`), ``rho``, ``bits`` (uplink + downlink),
        ``bits_unquantized`` (the same messages as 64-bit floats),
        ``primal_residuals``, ``dual_residuals``.
    """
    theta = np.asarray(start, dtype=np.float64).copy()
    lower = np.zeros_like(theta) if lower is None else np.asarray(lower, dtype=np.float64)
    n_agents, size = pool.n_agents, theta.size
    multipliers = np.zeros((n_agents, size))
    history = ConvergenceHistory("residual_ratio")
    printer = IterationPrinter("admm", verbose)
    penalty = rho
    total_bits, unquantized_bits = 0, 0
    primal, dual = [], []
    converged, n_iter, criterion = False, 0, np.inf
    previous_zetas = None
    abs_tol = max(abs_tol, step or 0.0)
    with DeferredInterrupt() as interrupt:
        while n_iter < max_iter:
            messages = pool.advance(theta, rho, n_iter)
            zetas = np.array([message[0] for message in messages])
            total_bits += sum(message[2] for message in messages)
            # the coordinator's copy of the multipliers (agents update theirs identically)
            if previous_zetas is not None:
                multipliers += penalty * (previous_zetas - theta)
            penalty = rho
            average = np.maximum(np.mean(zetas + multipliers / penalty, axis=0), lower)
            innovation, down_bits = quantize(average - theta,
                                             rounding_rng(seed, n_iter, _COORDINATOR),
                                             step=step, bits=bits)
            new_theta = np.maximum(theta + innovation, lower)
            total_bits += n_agents * (down_bits + 64)  # theta and rho to every agent
            unquantized_bits += 2 * n_agents * (64 * size + 64)
            r = float(np.linalg.norm(zetas - new_theta))
            s = float(np.sqrt(n_agents) * np.linalg.norm(penalty * (new_theta - theta)))
            scale = np.sqrt(n_agents * size) * abs_tol
            eps_primal = scale + tol * max(np.linalg.norm(zetas),
                                           np.sqrt(n_agents) * np.linalg.norm(new_theta))
            eps_dual = scale + tol * np.linalg.norm(multipliers + penalty * (zetas - new_theta))
            criterion = max(r / max(eps_primal, 1e-300), s / max(eps_dual, 1e-300))
            value = sum(message[1] for message in messages)
            history.append(n_iter, value, criterion)
            primal.append(r)
            dual.append(s)
            printer(n_iter, objective=value, criterion=criterion, rho=rho)
            theta, previous_zetas = new_theta, zetas
            n_iter += 1
            interrupt.check()
            if n_iter > 1 and r <= eps_primal and s <= eps_dual:
                converged = True
                break
            if r > _BALANCE_RATIO * s:
                rho *= _BALANCE_FACTOR
            elif s > _BALANCE_RATIO * r:
                rho /= _BALANCE_FACTOR
    printer(n_iter, objective=history.objectives[-1] if len(history) else None,
            criterion=criterion, force=True)
    return theta, {"n_iter": n_iter, "converged": converged, "history": history,
                   "rho": penalty, "bits": total_bits,
                   "bits_unquantized": unquantized_bits, "primal_residuals": np.array(primal),
                   "dual_residuals": np.array(dual)}

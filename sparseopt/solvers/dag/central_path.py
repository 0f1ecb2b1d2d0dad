"""Central-path continuation for linear DAG learning with the log-det acyclicity.

Minimises, along a decreasing sequence of weights ``mu`` (DAGMA's central
path),

    mu (Q(W, sigma) + lambda1 ||W||_1) + h_s(W),
    h_s(W) = -log det(s I - W o W) + d log s,

where ``Q`` is one of the linear scores

- ``"l2"``: ``1/2 tr((I - W)^T C (I - W))`` with ``C = X^T X / n`` (DAGMA);
- ``"logistic"``: ``1/n sum(log(1 + exp(X W)) - X o (X W))`` (DAGMA, 0/1 data);
- ``"colide_ev"``: ``tr((I - W)^T C (I - W)) / (2 sigma) + d sigma / 2`` with
  the closed-form ``sigma = sqrt(tr(...) / d)`` after every step (CoLiDE-EV);
- ``"colide_nv"``: ``sum_j [((I - W)^T C (I - W))_jj / sigma_j + sigma_j] / 2``
  with ``sigma_j = sqrt(((I - W)^T C (I - W))_jj)`` (CoLiDE-NV),

by Adam steps on the subgradient (``sign(0) = 0``). ``h`` is finite only
while ``s I - W o W`` is an M-matrix, i.e. its inverse is entrywise
non-negative; as in DAGMA, a step that leaves this domain is undone and
retried with half the learning rate when ``s > 0.9`` and it is not the
stage's first step, else the whole stage is restarted with a halved
learning rate and ``s + 0.1``. Every ``checkpoint`` iterations the stage
stops when the objective changed by at most ``tol`` relatively.

The steps run in numba (:func:`sparseopt.solvers.dag.stage.stage_steps`:
one inverse and one matrix product per step) in chunks of about
``_CHUNK_SECONDS``: between chunks control returns to Python, where progress
is printed and a Ctrl-C recorded by :class:`sparseopt.utils.DeferredInterrupt`
raises ``KeyboardInterrupt`` (a SIGINT handled inside a numba call surfaced
as ``SystemError``); the state lives in arrays, so the result does not
depend on the chunking.

BLAS runs on one thread during the fit (as scikit-learn's KMeans does): the
matrices are small, and OpenBLAS's threads spin-wait on a busy machine
(measured at d = 100 on 2 loaded cores: 2000 steps took 37-55 s with the
default 2 threads, 1.4 s with one).
"""

import time

import numpy as np
from scipy.linalg import cython_blas  # noqa: F401  (loads the BLAS numba calls: see below)
from threadpoolctl import ThreadpoolController

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.dag.stage import (
    _EV,
    _L2,
    _LOGISTIC,
    _NV,
    CONVERGED,
    LEFT_DOMAIN,
    OUT_OF_STEPS,
    RUNNING,
    SCORES,
    STEP_UNDERFLOW,
    noise_scales,
    objective_value,
    score_gradient,
    stage_steps,
)
from sparseopt.utils.interrupt import DeferredInterrupt

__all__ = ["SCORES", "CONVERGED", "OUT_OF_STEPS", "STEP_UNDERFLOW", "central_path_fit",
           "objective_and_gradient"]

# Seconds of numba work between two returns to Python. The first chunk has
# _FIRST_CHUNK steps and each next one at most 4x more, until a chunk takes
# about this long. Measured cost of the returns (CPU time of whole fits, medians
# of 7 interleaved runs against one call per stage): +1.0% at d = 10, +0.7% at
# d = 20, within noise at d = 50. tests/dag/test_progress.py checks that the
# result does not depend on the chunking.
_CHUNK_SECONDS = 0.05
_FIRST_CHUNK = 8
# Up to this size the inverse is refined from the extrapolation of the last
# two (two or three BLAS products), above it LAPACK's LU inverse is used.
# Measured here (CPU time per step, one thread, 2 loaded cores), LU -> refined:
# d = 64: 73 -> 71 us, d = 100: 220 -> 174 us, d = 150: 568 -> 519 us.
_WARM_INVERSE_MAX_D = 200
# One ThreadpoolController, made at the first fit: threadpool_limits scans the
# loaded libraries at every call (3-40 ms holding the GIL, measured), on which
# the threads of a bootstrap queued.
_BLAS = []


def _one_blas_thread():
    """A context that runs BLAS on one thread (see the module docstring)."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


class _Stage:
    """State of one stage (fixed ``mu`` and ``s``), advanced in chunks."""

    def __init__(self, W, sigma, lr):
        d = W.shape[0]
        self.W = W.copy()
        self.sigma = sigma.copy()
        self.adam = np.zeros((3, d, d))
        self.inverses = np.zeros((2, d, d))
        self.lr = lr
        self.previous = 1e16
        self.iteration = 0
        self.n_checks = 0
        self.status = RUNNING

    def run(self, problem, mu, s, n_steps, records, report, interrupt):
        chunk = _FIRST_CHUNK
        while self.status == RUNNING:
            stop = min(self.iteration + chunk, n_steps)
            start = time.perf_counter()
            checks_before = self.n_checks
            (self.status, self.iteration, self.lr, self.previous,
             self.n_checks) = stage_steps(
                problem["code"], problem["X"], problem["C"], self.W, self.sigma, self.adam,
                self.inverses, problem["l1_mask"], problem["keep_mask"], mu,
                problem["lambda1"], s, self.lr, self.previous, self.iteration, stop, n_steps,
                problem["tol"], problem["checkpoint"], problem["beta_1"], problem["beta_2"],
                problem["domain_slack"], problem["sigma_floor"], records, self.n_checks,
                self.W.shape[0] <= _WARM_INVERSE_MAX_D)
            elapsed = time.perf_counter() - start
            interrupt.check()
            report(self, checks_before)
            if elapsed < _CHUNK_SECONDS:
                chunk = int(chunk * min(4.0, _CHUNK_SECONDS / max(elapsed, 1e-9)))
            else:
                chunk = max(1, int(chunk * _CHUNK_SECONDS / elapsed))
        return self


def central_path_fit(X, score, *, lambda1, T, mu_init, mu_factor, s, warm_iter, max_iter, lr,
                     checkpoint=1000, tol=1e-6, beta_1=0.99, beta_2=0.999, sigma_floor=0.0,
                     l1_mask=None, keep_mask=None, w_init=None, domain_slack=None,
                     printer=None):
    r"""Run the central path of DAGMA / CoLiDE on validated data.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data, centred by the caller for the least-squares scores (not
        modified).
    score : {"l2", "logistic", "colide_ev", "colide_nv"}
        The score :math:`Q`.
    lambda1 : float
        l1 weight.
    T : int
        Number of stages.
    mu_init, mu_factor : float
        First ``mu`` and its decrease factor per stage.
    s : sequence of float
        ``s`` per stage (the last value is repeated if shorter than ``T``).
    warm_iter, max_iter : int
        Adam steps of every stage but the last, and of the last one.
    lr : float
        Adam learning rate.
    checkpoint : int, default=1000
        Steps between objective checks.
    tol : float, default=1e-6
        Relative objective change that ends a stage.
    beta_1, beta_2 : float
        Adam's decay rates.
    sigma_floor : float, default=0.0
        Lower bound of the CoLiDE noise scales.
    l1_mask : ndarray of shape (d, d), optional
        Per-entry l1 weight (0 leaves an entry unpenalised, a negative value
        rewards it as DAGMA's ``include_edges``).
    keep_mask : ndarray of shape (d, d), optional
        0 at entries held at zero (forbidden edges, the diagonal).
    w_init : ndarray of shape (d, d), optional
        Starting point (zero by default).
    domain_slack : float, optional
        An entry of ``(sI - W o W)^{-1}`` below ``-domain_slack`` means the
        domain was left (CoLiDE: 1e-6, DAGMA: 0); default by score.
    printer : callable, optional
        A :class:`sparseopt.utils.IterationPrinter`, called after the
        objective checks with the stage, ``mu``, ``s``, the stage's steps,
        the objective, its relative change and ``h``.

    Returns
    -------
    W : ndarray of shape (d, d)
        Final weights (no thresholding).
    sigma : ndarray of shape (d,)
        Noise scales (CoLiDE scores; residual scales otherwise).
    info : dict
        ``n_iter`` (Adam steps, all stages and restarts), ``history``,
        ``s`` (the values actually used per stage), ``status`` (how the last
        stage ended: ``CONVERGED``, ``OUT_OF_STEPS`` or ``STEP_UNDERFLOW``),
        ``n_checks`` (its objective checks) and ``h`` (the last check's
        :math:`h_s(W)`).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, d = X.shape
    code = SCORES.index(score)
    C = X.T @ X / n
    s = [float(value) for value in np.atleast_1d(s)]
    s = (s + [s[-1]] * (T - len(s)))[:T]
    problem = {
        "code": code, "X": X, "C": C, "lambda1": float(lambda1), "tol": float(tol),
        "checkpoint": int(checkpoint), "beta_1": float(beta_1), "beta_2": float(beta_2),
        "sigma_floor": float(sigma_floor),
        "l1_mask": np.ones((d, d)) if l1_mask is None else np.ascontiguousarray(
            l1_mask, dtype=np.float64),
        "keep_mask": np.ones((d, d)) if keep_mask is None else np.ascontiguousarray(
            keep_mask, dtype=np.float64),
        "domain_slack": float((1e-6 if code in (_EV, _NV) else 0.0) if domain_slack is None
                              else domain_slack),
    }
    W = np.zeros((d, d)) if w_init is None else np.array(w_init, dtype=np.float64)
    W *= problem["keep_mask"]
    residual = X - X @ W
    if code == _EV:
        sigma = np.full(d, max(float(np.min(np.linalg.norm(residual, axis=0))) / np.sqrt(n),
                               sigma_floor))
    else:
        sigma = np.maximum(np.linalg.norm(residual, axis=0) / np.sqrt(n), sigma_floor)
    history = ConvergenceHistory("relative_change")
    records = np.empty((int(max(warm_iter, max_iter)) // int(checkpoint) + 2, 2))

    with _one_blas_thread(), DeferredInterrupt() as interrupt:
        W, sigma, stage, total = _run_stages(problem, W, sigma, s, float(mu_init), mu_factor, T,
                                             warm_iter, max_iter, lr, records, history, printer,
                                             interrupt)
    if code in (_L2, _LOGISTIC):
        difference = np.eye(d) - W
        sigma = np.sqrt(np.maximum(np.einsum("ij,ij->j", difference, C @ difference), 0.0))
    last = min(stage.n_checks, records.shape[0]) - 1
    return W, sigma, {"n_iter": total, "history": history, "s": s, "status": stage.status,
                      "n_checks": stage.n_checks,
                      "h": float(records[last, 1]) if last >= 0 else np.nan}


def _run_stages(problem, W, sigma, s, mu, mu_factor, T, warm_iter, max_iter, lr, records,
                history, printer, interrupt):
    """The central path: ``T`` stages, each restarted with ``s + 0.1`` and half
    the learning rate while it leaves the domain; ``s`` is updated in place."""
    checkpoint, total = problem["checkpoint"], 0
    for index in range(T):
        steps = int(max_iter) if index == T - 1 else int(warm_iter)
        rate = float(lr)
        while True:
            report = _reporter(printer, records, index, mu, s[index], total, checkpoint)
            stage = _Stage(W, sigma, rate).run(problem, mu, s[index], steps, records, report,
                                               interrupt)
            total += stage.iteration
            if stage.status != LEFT_DOMAIN:
                break
            rate *= 0.5
            s[index] += 0.1
        for k in range(min(stage.n_checks, records.shape[0])):
            change = _relative_change(records, k)
            history.append(total - stage.iteration + min((k + 1) * checkpoint, stage.iteration),
                           records[k, 0], np.nan if change is None else change)
        W, sigma = stage.W, stage.sigma
        mu *= mu_factor
    return W, sigma, stage, total


def _relative_change(records, k):
    if k <= 0 or k >= records.shape[0]:
        return None
    return abs(records[k, 0] - records[k - 1, 0]) / abs(records[k - 1, 0])


_STATUS_NAMES = {CONVERGED: "converged", OUT_OF_STEPS: "out of steps",
                 STEP_UNDERFLOW: "step underflow",
                 LEFT_DOMAIN: "left the domain (restart with s + 0.1)"}


def _reporter(printer, records, index, mu, s, done, checkpoint):
    """Prints a line per objective check (the printer limits their rate) and
    a forced one, with how the stage ended, at its end."""
    if printer is None:
        return lambda stage, first: None

    def report(stage, first):
        last = min(stage.n_checks, records.shape[0])
        for k in range(first, last):
            final = stage.status != RUNNING and k == last - 1
            steps = min((k + 1) * checkpoint, stage.iteration)
            printer(done + steps, objective=float(records[k, 0]),
                    criterion=_relative_change(records, k), force=final, stage=index + 1,
                    mu=mu, s=s, steps=steps, h=float(records[k, 1]),
                    **({"end": _STATUS_NAMES[stage.status]} if final else {}))
        if stage.status != RUNNING and last <= first:  # ended without a new check
            printer(done + stage.iteration, force=True, stage=index + 1, mu=mu, s=s,
                    steps=stage.iteration, end=_STATUS_NAMES[stage.status])

    return report


def objective_and_gradient(X, W, sigma, score, mu=1.0, lambda1=0.0, s=1.0):
    r"""Objective :math:`\mu(Q + \lambda_1\|W\|_1) + h_s` and its smooth gradient.

    Evaluates the same kernels as the optimisation loop (for checks and
    plots). The gradient is that of :math:`\mu Q + h_s` (the l1 subgradient
    is left out); for the CoLiDE scores ``sigma`` is held fixed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, d)
        Data (centred for the least-squares scores).
    W : ndarray of shape (d, d)
        Weights, inside the domain (:math:`sI - W\circ W` an M-matrix).
    sigma : ndarray of shape (1,) or (d,)
        Noise scale(s); ignored by ``"l2"`` and ``"logistic"``.
    score : {"l2", "logistic", "colide_ev", "colide_nv"}
        The score.
    mu, lambda1, s : float
        Weights and log-det parameter.

    Returns
    -------
    objective : float
        The objective.
    gradient : ndarray of shape (d, d)
        Gradient of the smooth part.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    W = np.ascontiguousarray(W, dtype=np.float64)
    d = W.shape[0]
    code = SCORES.index(score)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (d,)).copy()
    C = X.T @ X / X.shape[0]
    difference = np.eye(d) - W
    product = C @ difference
    _, columns = noise_scales(_NV, difference, product, 0.0)
    value, _ = objective_value(code, X, W, columns, sigma, mu, lambda1, np.ones((d, d)), s)
    inverse = np.linalg.inv(s * np.eye(d) - W * W)
    gradient = score_gradient(code, X, C, W, product, sigma, mu, np.empty((d, d)))
    gradient += 2.0 * W * inverse.T
    return float(value), gradient

"""The state and loop of online dictionary learning (kernels in ``online``).

:class:`OnlineLearner` holds the dictionary, the sufficient statistics and
the step counter, and does one mini-batch step (code, accumulate, update
the atoms); :func:`learn_epochs` runs epochs of shuffled mini-batches with
a stopping rule on the epoch's average objective. Both trust their input
(the public door is :class:`sparseopt.dictionary.OnlineDictionaryLearning`).
"""

import numpy as np

from sparseopt.core.history import ConvergenceHistory
from sparseopt.solvers.dictionary.online import (
    DEAD_ATOM,
    accumulate_masked_statistics,
    accumulate_statistics,
    forgetting_factor,
    update_atoms,
    update_atoms_masked,
)
from sparseopt.solvers.sparse_coding.encode import code_in_threads, prepare_method
from sparseopt.solvers.sparse_coding.objective import coding_objectives

__all__ = ["OnlineLearner", "learn_epochs", "initial_dictionary"]


def initial_dictionary(X, n_components, rng):
    """Normalised random signals of ``X`` (Mairal et al.'s and SPAMS'
    initialisation); Gaussian atoms for the rows ``X`` cannot provide."""
    n_samples, n_features = X.shape
    taken = min(n_samples, n_components)
    dictionary = np.empty((n_components, n_features))
    dictionary[:taken] = X[rng.choice(n_samples, taken, replace=False)]
    dictionary[taken:] = rng.standard_normal((n_components - taken, n_features))
    norms = np.linalg.norm(dictionary, axis=1)
    empty = norms == 0
    dictionary[empty] = rng.standard_normal((int(empty.sum()), n_features))
    norms[empty] = np.linalg.norm(dictionary[empty], axis=1)
    dictionary /= norms[:, None]
    return dictionary


class OnlineLearner:
    """Dictionary, statistics and counters of one online learning run.

    Parameters
    ----------
    dictionary : ndarray of shape (n_atoms, n_features)
        Initial atoms (copied).
    method : str
        Coder of the batches (see :mod:`sparseopt.solvers.sparse_coding`).
    coding_options : dict
        Its options (``alpha``, ``tol``, ``max_iter``, ...).
    alpha : float
        Weight of the l1 term in the reported objective.
    positive_dict : bool
        Non-negative atoms.
    masking : float or None
        Fraction of the features hidden at each batch (masking objective).
    rng : numpy.random.Generator
        Masks and replacements of unused atoms.
    n_jobs : int
        Threads of the coding step.
    forgetting : {"sklearn", "spams"}
        Weights of past mini-batches: scikit-learn's, or SPAMS' (its count
        starts one step later, :meth:`start_epochs` caps it for a finite set
        and :meth:`end_epoch` drops the statistics older than the previous
        epoch, without masking).
    """

    def __init__(self, dictionary, method, coding_options, alpha, positive_dict, masking, rng,
                 n_jobs=1, forgetting="sklearn"):
        self.dictionary = np.array(dictionary, dtype=np.float64, order="C", copy=True)
        n_atoms, n_features = self.dictionary.shape
        self.method = method
        self.coding_options = coding_options
        self.alpha = alpha
        self.positive_dict = positive_dict
        self.masking = masking
        self.rng = rng
        self.n_jobs = n_jobs
        self.lag = 1 if forgetting == "spams" else 0
        self.theta_max = None
        self.n_steps = 0
        self.B = np.zeros((n_atoms, n_features))
        self.A_past = self.B_past = None
        if masking is None:
            self.A = np.zeros((n_atoms, n_atoms))
            if forgetting == "spams":
                self.A_past, self.B_past = np.zeros_like(self.A), np.zeros_like(self.B)
        else:
            self.A_rows = np.zeros((n_features, n_atoms, n_atoms))
            self.row_steps = np.zeros(n_features, dtype=np.int64)

    def _code(self, dictionary, signals):
        gram = np.ascontiguousarray(dictionary @ dictionary.T)
        correlations = np.ascontiguousarray(signals @ dictionary.T)
        norms_sq = np.einsum("ij,ij->i", signals, signals)
        codes = np.zeros((signals.shape[0], dictionary.shape[0]))
        options = prepare_method(self.method, gram, self.coding_options)
        code_in_threads(self.method, gram, correlations, norms_sq, options, codes, self.n_jobs)
        return codes, gram, correlations, norms_sq

    def step(self, batch):
        """One mini-batch: code, accumulate, update the atoms. Returns the
        per-signal objectives (with the dictionary the batch was coded on):
        ``1/2 ||x - D^T c||^2 + alpha ||c||_1``, or with masking the
        hidden-feature loss ``1/2 ||x_H - D_H^T c||^2``."""
        batch = np.ascontiguousarray(batch, dtype=np.float64)
        if self.masking is None:
            codes, gram, correlations, norms_sq = self._code(self.dictionary, batch)
            objectives = coding_objectives(gram, correlations, codes, norms_sq, self.alpha)
            beta = forgetting_factor(self.n_steps, batch.shape[0], self.lag,
                                     self.theta_max)
            accumulate_statistics(self.A, self.B, codes, batch, beta)
            A, B = self.A, self.B
            if self.A_past is not None:
                self.A_past *= beta
                self.B_past *= beta
                A, B = A + self.A_past, B + self.B_past
            self._replace_unused(np.diag(A), batch)
            update_atoms(self.dictionary, A, B, self.positive_dict)
        else:
            hidden, visible = self._mask()
            codes = self._code(np.ascontiguousarray(self.dictionary[:, visible]),
                               np.ascontiguousarray(batch[:, visible]))[0]
            residual = batch[:, hidden] - codes @ self.dictionary[:, hidden]
            objectives = 0.5 * np.einsum("ij,ij->i", residual, residual)
            betas = np.array([forgetting_factor(step, batch.shape[0], self.lag, self.theta_max)
                              for step in self.row_steps])
            accumulate_masked_statistics(self.A_rows, self.B, codes, batch, hidden, betas)
            self.row_steps[hidden] += 1
            usage = np.einsum("rjj->j", self.A_rows) / max(self.row_steps.sum(), 1)
            self._replace_unused(np.where(self.row_steps.sum() > 0, usage, 1.0), batch)
            update_atoms_masked(self.dictionary, self.A_rows, self.B, self.positive_dict)
        self.n_steps += 1
        return objectives

    def start_epochs(self, n_samples):
        """Epochs over ``n_samples`` signals follow: with SPAMS' forgetting
        (without masking, whose per-feature counts SPAMS does not have), the
        factor's count stops at twice their number."""
        if self.lag and self.masking is None:
            self.theta_max = 2 * n_samples

    def start_stream(self):
        """Batches of a stream follow (no epochs, no known size): no cap."""
        self.theta_max = None

    def end_epoch(self):
        """SPAMS' epoch parity: from now on the statistics are those of the
        epoch just ended and of the next one; older ones are dropped, so each
        signal of a finite set counts at most twice (no-op otherwise)."""
        if self.A_past is not None:
            self.A_past, self.A = self.A, self.A_past
            self.B_past, self.B = self.B, self.B_past
            self.A[:] = 0.0
            self.B[:] = 0.0

    def _mask(self):
        n_features = self.dictionary.shape[1]
        n_hidden = min(max(int(round(self.masking * n_features)), 1), n_features - 1)
        order = self.rng.permutation(n_features)
        return np.sort(order[:n_hidden]), np.sort(order[n_hidden:])

    def _replace_unused(self, usage, batch):
        """Atoms no code used get a normalised signal of the batch (and noise)."""
        unused = np.flatnonzero(usage < DEAD_ATOM)
        if self.n_steps == 0 or unused.size == 0:
            return
        picks = batch[self.rng.integers(0, batch.shape[0], unused.size)]
        picks = picks + 0.01 * np.std(batch) * self.rng.standard_normal(picks.shape)
        if self.positive_dict:
            picks = np.abs(picks)
        norms = np.linalg.norm(picks, axis=1, keepdims=True)
        self.dictionary[unused] = picks / np.where(norms > 0, norms, 1.0)


def learn_epochs(learner, X, n_epochs, batch_size, shuffle, tol, rng, printer, interrupt):
    """Epochs of mini-batches of ``X``; stops early when the epoch's average
    objective changes by at most ``tol`` (relative) from the previous epoch.

    Returns ``info``: ``n_epochs`` run, ``converged`` (``None`` without
    ``tol``), ``objective`` (average of the last epoch) and ``history``.
    """
    history = ConvergenceHistory("relative change of the epoch's average objective")
    n_samples = X.shape[0]
    previous = None
    converged = None if tol is None else False
    epoch = 0
    learner.start_epochs(n_samples)
    for epoch in range(1, n_epochs + 1):
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        total = 0.0
        for start in range(0, n_samples, batch_size):
            total += learner.step(X[order[start:start + batch_size]]).sum()
            interrupt.check()
        learner.end_epoch()
        objective = total / n_samples
        change = np.inf if previous is None else abs(previous - objective) / max(previous,
                                                                                 1e-300)
        history.append(epoch, objective, change)
        printer(epoch, objective=objective, criterion=change, force=epoch == n_epochs,
                steps=learner.n_steps)
        previous = objective
        if tol is not None and change <= tol:
            converged = True
            break
    return {"n_epochs": epoch, "converged": converged, "objective": previous,
            "history": history}

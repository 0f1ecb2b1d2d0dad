"""The driver of the coders: chunks of signals, over threads.

:func:`encode` trusts its input (the public door is
:func:`sparseopt.dictionary.sparse_encode`). It forms the Gram matrix of the
dictionary once, then codes the signals chunk by chunk: each task computes
the correlations of its chunk with the atoms (a BLAS product) and runs the
method's batch kernel, which releases the GIL, so that ``n_jobs`` threads
code chunks at the same time and the memory beyond the codes stays at one
``chunk_size x n_atoms`` block per thread.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sparseopt.solvers.sparse_coding.greedy import mp_batch, omp_batch, ormp_batch
from sparseopt.solvers.sparse_coding.lasso import lasso_batch
from sparseopt.solvers.sparse_coding.thresholding import LQ_CODES, cel0_batch, lq_batch
from sparseopt.utils.interrupt import DeferredInterrupt
from sparseopt.utils.progress import IterationPrinter

__all__ = ["METHODS", "encode", "spectral_norm_sq"]

METHODS = ("lasso", "omp", "ormp", "mp", "lq", "cel0")
# Rows per task: the correlations of a chunk (2048 x 100 doubles, 1.6 MB)
# stay in cache-sized blocks and Ctrl-C / verbose get control back often.
CHUNK_SIZE = 2048


def spectral_norm_sq(gram):
    """Largest eigenvalue of the Gram matrix, ``||D||_2^2``."""
    if gram.shape[0] == 0:
        return 0.0
    return float(np.linalg.eigvalsh(gram)[-1])


class _Method:
    """What a method needs once per call (Gram-derived constants) and how it
    codes one chunk; ``code`` returns the per-signal statistics."""

    def __init__(self, name, gram, dictionary, options):
        self.name = name
        self.gram = gram
        self.dictionary = dictionary
        self.options = options
        if name in ("lq", "cel0"):
            lipschitz = spectral_norm_sq(gram)
            factor = 0.99 if name == "cel0" else 1.0
            self.step = factor / lipschitz if lipschitz > 0 else 0.0
            self.atom_norms = np.sqrt(np.maximum(np.diag(gram), 0.0))

    def code(self, X, codes):
        opt = self.options
        correlations = X @ self.dictionary.T
        n = X.shape[0]
        if self.name == "lasso":
            epochs, worst = np.zeros(n), np.zeros(n)
            lasso_batch(self.gram, correlations, opt["alpha"], opt["positive"], opt["tol"],
                        opt["max_iter"], codes, epochs, worst)
            return {"n_iter": epochs, "kkt_violation": worst,
                    "converged": worst <= opt["tol"] * np.abs(correlations).max(axis=1,
                                                                                initial=0.0)}
        norms_sq = np.einsum("ij,ij->i", X, X)
        residual = np.zeros(n)
        if self.name in ("omp", "ormp"):
            kernel = omp_batch if self.name == "omp" else ormp_batch
            kernel(self.gram, correlations, norms_sq, opt["n_nonzero_coefs"], opt["target"],
                   codes, residual)
            return {"residual_sq": residual}
        if self.name == "mp":
            steps = np.zeros(n, dtype=np.int64)
            mp_batch(self.gram, correlations, norms_sq, opt["n_nonzero_coefs"], opt["target"],
                     opt["max_iter"], codes, residual, steps)
            return {"residual_sq": residual, "n_iter": steps}
        n_iter = np.zeros(n, dtype=np.int64)
        if self.name == "lq":
            lq_batch(self.gram, correlations, opt["alpha"], LQ_CODES[opt["q"]], self.step,
                     opt["tol"], opt["max_iter"], codes, n_iter)
        else:
            cel0_batch(self.gram, correlations, opt["alpha"], self.atom_norms, self.step,
                       opt["tol"], opt["max_iter"], codes, n_iter)
        return {"n_iter": n_iter, "converged": n_iter < opt["max_iter"]}


def _chunks(n_samples, chunk_size):
    return [slice(start, min(start + chunk_size, n_samples))
            for start in range(0, n_samples, chunk_size)]


def encode(X, dictionary, method, *, alpha=1.0, n_nonzero_coefs=None, target=-1.0, q=0.0,
           positive=False, tol=1e-10, max_iter=1000, init=None, gram=None, n_jobs=1,
           chunk_size=CHUNK_SIZE, verbose=0):
    """Code the rows of ``X`` on the rows of ``dictionary`` (trusted input).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Signals.
    dictionary : ndarray of shape (n_atoms, n_features), float64
        Atoms as rows.
    method : {"lasso", "omp", "ormp", "mp", "lq", "cel0"}
        Coder.
    alpha : float
        Weight of the penalty (lasso, lq, cel0).
    n_nonzero_coefs : int
        Number of atoms (omp, ormp) or largest number of atoms (mp).
    target : float
        Greedy methods stop at this squared residual when it is ``>= 0``.
    q : {0, 0.5, 2/3}
        Exponent of ``lq``.
    positive : bool
        Non-negative lasso codes.
    tol, max_iter : float, int
        Tolerance and iteration cap of lasso, lq, cel0 (and step cap of mp).
    init : ndarray of shape (n_samples, n_atoms), optional
        Warm start (lasso, lq, cel0); not modified.
    gram : ndarray of shape (n_atoms, n_atoms), optional
        ``dictionary @ dictionary.T`` if already computed.
    n_jobs : int
        Threads.
    chunk_size : int
        Signals per task.
    verbose : int
        Progress through :class:`~sparseopt.utils.IterationPrinter`.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_atoms), float64
    info : dict
        Per-signal arrays (``n_iter``, ``kkt_violation``, ``residual_sq``,
        ``converged`` as the method reports them).
    """
    n_samples = X.shape[0]
    n_atoms = dictionary.shape[0]
    gram = dictionary @ dictionary.T if gram is None else gram
    options = dict(alpha=alpha, n_nonzero_coefs=n_nonzero_coefs, target=target, q=q,
                   positive=positive, tol=tol, max_iter=max_iter)
    coder = _Method(method, np.ascontiguousarray(gram), dictionary, options)
    codes = np.zeros((n_samples, n_atoms)) if init is None else np.array(init, dtype=np.float64,
                                                                       order="C", copy=True)
    chunks = _chunks(n_samples, chunk_size)
    printer = IterationPrinter(f"sparse_encode[{method}]", verbose)
    results = [None] * len(chunks)

    def task(index):
        piece = chunks[index]
        results[index] = coder.code(np.ascontiguousarray(X[piece]), codes[piece])
        return index

    with DeferredInterrupt() as interrupt:
        if n_jobs == 1 or len(chunks) == 1:
            done = map(task, range(len(chunks)))
            for count, _ in enumerate(done, start=1):
                interrupt.check()
                printer(count, force=count == len(chunks), signals=chunks[count - 1].stop)
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                for count, _ in enumerate(pool.map(task, range(len(chunks))), start=1):
                    interrupt.check()
                    printer(count, force=count == len(chunks), signals=chunks[count - 1].stop)
    info = {}
    for key in (results[0] or {}) if results else ():
        info[key] = np.concatenate([result[key] for result in results])
    return codes, info

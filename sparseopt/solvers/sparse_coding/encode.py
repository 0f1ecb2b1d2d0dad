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

__all__ = ["METHODS", "encode", "code_correlations", "code_in_threads", "prepare_method",
           "spectral_norm_sq"]

METHODS = ("lasso", "omp", "ormp", "mp", "lq", "cel0")
# Rows per task: the correlations of a chunk (2048 x 100 doubles, 1.6 MB)
# stay in cache-sized blocks and Ctrl-C / verbose get control back often.
CHUNK_SIZE = 2048


def spectral_norm_sq(gram):
    """Largest eigenvalue of the Gram matrix, ``||D||_2^2``."""
    if gram.shape[0] == 0:
        return 0.0
    return float(np.linalg.eigvalsh(gram)[-1])


def prepare_method(method, gram, options):
    """The per-call constants of a method (step sizes from the Gram matrix)."""
    prepared = dict(options)
    if method in ("lq", "cel0"):
        lipschitz = spectral_norm_sq(gram)
        factor = 0.99 if method == "cel0" else 1.0
        prepared["step"] = factor / lipschitz if lipschitz > 0 else 0.0
        prepared["atom_norms"] = np.sqrt(np.maximum(np.diag(gram), 0.0))
    return prepared


def code_correlations(method, gram, correlations, norms_sq, options, codes):
    """Run the method's batch kernel on precomputed correlations ``X D^T``
    (C order) and squared signal norms, into ``codes`` (warm start for
    lasso, lq, cel0); returns the per-signal statistics of the kernel.
    ``options`` come from :func:`prepare_method`."""
    n = correlations.shape[0]
    if method == "lasso":
        epochs, worst = np.zeros(n), np.zeros(n)
        lasso_batch(gram, correlations, options["alpha"], options["positive"], options["tol"],
                    options["max_iter"], codes, epochs, worst)
        scale = np.abs(correlations).max(axis=1, initial=0.0)
        return {"n_iter": epochs, "kkt_violation": worst,
                "converged": worst <= options["tol"] * scale}
    residual = np.zeros(n)
    if method in ("omp", "ormp"):
        kernel = omp_batch if method == "omp" else ormp_batch
        kernel(gram, correlations, norms_sq, options["n_nonzero_coefs"], options["target"],
               codes, residual)
        return {"residual_sq": residual}
    if method == "mp":
        steps = np.zeros(n, dtype=np.int64)
        mp_batch(gram, correlations, norms_sq, options["n_nonzero_coefs"], options["target"],
                 options["max_iter"], codes, residual, steps)
        return {"residual_sq": residual, "n_iter": steps}
    n_iter = np.zeros(n, dtype=np.int64)
    if method == "lq":
        lq_batch(gram, correlations, options["alpha"], LQ_CODES[options["q"]], options["step"],
                 options["tol"], options["max_iter"], codes, n_iter)
    else:
        cel0_batch(gram, correlations, options["alpha"], options["atom_norms"], options["step"],
                   options["tol"], options["max_iter"], codes, n_iter)
    return {"n_iter": n_iter, "converged": n_iter < options["max_iter"]}


def code_in_threads(method, gram, correlations, norms_sq, options, codes, n_jobs=1,
                    chunk_size=CHUNK_SIZE):
    """:func:`code_correlations` over row chunks on ``n_jobs`` threads."""
    chunks = _chunks(correlations.shape[0], chunk_size)
    if n_jobs == 1 or len(chunks) <= 1:
        return code_correlations(method, gram, correlations, norms_sq, options, codes)

    def task(piece):
        return code_correlations(method, gram, correlations[piece], norms_sq[piece], options,
                                 codes[piece])

    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        results = list(pool.map(task, chunks))
    return {key: np.concatenate([result[key] for result in results]) for key in results[0]}


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
    gram = np.ascontiguousarray(gram)
    prepared = prepare_method(method, gram, options)
    codes = np.zeros((n_samples, n_atoms)) if init is None else np.array(init, dtype=np.float64,
                                                                       order="C", copy=True)
    chunks = _chunks(n_samples, chunk_size)
    printer = IterationPrinter(f"sparse_encode {method}", verbose)
    results = [None] * len(chunks)

    def task(index):
        piece = chunks[index]
        signals = np.ascontiguousarray(X[piece])
        norms_sq = np.einsum("ij,ij->i", signals, signals)
        results[index] = code_correlations(method, gram, signals @ dictionary.T, norms_sq,
                                           prepared, codes[piece])
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
    keys = results[0].keys() if results else ()
    info = {key: np.concatenate([result[key] for result in results]) for key in keys}
    return codes, info

"""sparse_encode and SparseCoder against scikit-learn, cvxpy and NumPy references."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.decomposition import SparseCoder as SkSparseCoder
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import orthogonal_mp_gram

from sparseopt.dictionary import SparseCoder, sparse_encode


def _problem(seed, n_samples=100, n_atoms=30, n_features=20, coherent=False):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n_atoms, n_features))
    if coherent:  # pairs of atoms with correlation ~0.99 (as learned patch dictionaries)
        D[1::2] = D[0::2][: n_atoms // 2] + 0.1 * rng.standard_normal((n_atoms // 2, n_features))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    codes = rng.standard_normal((n_samples, n_atoms)) * (rng.random((n_samples, n_atoms)) < 0.15)
    X = codes @ D + 0.05 * rng.standard_normal((n_samples, n_features))
    return X, D


def _lasso_objective(X, D, C, alpha):
    return 0.5 * ((X - C @ D) ** 2).sum(1) + alpha * np.abs(C).sum(1)


# ------------------------------------------------------------------------------- OMP
@pytest.mark.parametrize("seed", range(10))
def test_omp_supports_identical_to_sklearn(seed):
    """10 seeds x 100 signals = 1000 signals; 5 atoms, then the residual target."""
    X, D = _problem(seed)
    gram, cov = D @ D.T, (X @ D.T).T
    codes = sparse_encode(X, D, method="omp", n_nonzero_coefs=5)
    reference = orthogonal_mp_gram(gram, cov, n_nonzero_coefs=5).T
    np.testing.assert_array_equal(codes != 0, reference != 0)
    np.testing.assert_allclose(codes, reference, atol=1e-10)
    target = 0.05
    norms = (X ** 2).sum(1)
    codes = sparse_encode(X, D, method="omp", alpha=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = orthogonal_mp_gram(gram, cov, tol=target, norms_squared=norms).T
    np.testing.assert_array_equal(codes != 0, reference != 0)
    np.testing.assert_allclose(codes, reference, atol=1e-9)


def test_omp_residual_is_orthogonal_to_the_support():
    X, D = _problem(0, coherent=True)
    codes, info = sparse_encode(X, D, method="omp", n_nonzero_coefs=6, log=True)
    residual = X - codes @ D
    on_support = np.where(codes != 0, residual @ D.T, 0.0)
    assert np.abs(on_support).max() < 1e-10
    np.testing.assert_allclose(info["residual_sq"], (residual ** 2).sum(1), rtol=1e-12)


# ---------------------------------------------------------------------- ORMP and MP
def _ormp_reference(D, x, n_atoms):
    """Order-recursive MP by definition: add the atom whose least-squares refit
    leaves the smallest residual."""
    support = []
    for _ in range(n_atoms):
        best, best_value = None, np.inf
        for j in range(D.shape[0]):
            if j in support:
                continue
            atoms = D[support + [j]]
            coef = np.linalg.lstsq(atoms.T, x, rcond=None)[0]
            value = np.sum((x - atoms.T @ coef) ** 2)
            if value < best_value - 1e-12:
                best, best_value = j, value
        support.append(best)
    code = np.zeros(D.shape[0])
    code[support] = np.linalg.lstsq(D[support].T, x, rcond=None)[0]
    return code


def _mp_reference(D, x, n_steps):
    code, residual = np.zeros(D.shape[0]), x.copy()
    norms = (D ** 2).sum(1)
    for _ in range(n_steps):
        scores = (D @ residual) ** 2 / norms
        j = int(np.argmax(scores))
        step = D[j] @ residual / norms[j]
        code[j] += step
        residual -= step * D[j]
    return code


@pytest.mark.parametrize("seed", range(10))
def test_ormp_and_mp_match_their_definitions(seed):
    X, D = _problem(seed, n_samples=20, n_atoms=15, n_features=10, coherent=True)
    D *= np.random.default_rng(seed).uniform(0.5, 2.0, (15, 1))  # unnormalised atoms
    codes = sparse_encode(X, D, method="ormp", n_nonzero_coefs=4)
    for x, code in zip(X, codes, strict=True):
        np.testing.assert_allclose(code, _ormp_reference(D, x, 4), atol=1e-9)
    codes, info = sparse_encode(X, D, method="mp", n_nonzero_coefs=15, max_iter=12, log=True)
    assert info["n_iter"] == 12
    for x, code in zip(X, codes, strict=True):
        np.testing.assert_allclose(code, _mp_reference(D, x, 12), atol=1e-10)


def test_ormp_differs_from_omp_on_coherent_atoms():
    X, D = _problem(1, coherent=True)
    D *= np.random.default_rng(1).uniform(0.3, 1.0, (30, 1))
    omp = sparse_encode(X, D, method="omp", n_nonzero_coefs=5)
    ormp = sparse_encode(X, D, method="ormp", n_nonzero_coefs=5)
    assert np.any((omp != 0) != (ormp != 0))
    # ORMP's residual is never worse at the first step and on average lower
    assert ((X - ormp @ D) ** 2).sum() < ((X - omp @ D) ** 2).sum()


def test_mp_residual_decreases_with_steps():
    X, D = _problem(2)
    errors = [((X - sparse_encode(X, D, method="mp", n_nonzero_coefs=30, max_iter=t) @ D) ** 2
               ).sum(1) for t in (1, 3, 6, 12)]
    assert all(np.all(a >= b - 1e-12) for a, b in zip(errors, errors[1:], strict=False))
    assert np.all(errors[-1] < errors[0])


# ---------------------------------------------------------------------------- lasso
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("coherent", [False, True])
def test_lasso_matches_sklearn_lasso(seed, coherent):
    """sklearn's Lasso minimises 1/(2 n) ||x - D^T c||^2 + a ||c||_1: a = alpha / n."""
    X, D = _problem(seed, n_samples=10, coherent=coherent)
    alpha = 0.1
    codes, info = sparse_encode(X, D, alpha=alpha, log=True)
    assert info["converged"] and info["kkt_violation"].max() <= 1e-8
    for x, code in zip(X, codes, strict=True):
        reference = SkLasso(alpha=alpha / D.shape[1], fit_intercept=False, tol=1e-14,
                            max_iter=1_000_000).fit(D.T, x).coef_
        ours = _lasso_objective(x[None], D, code[None], alpha)
        theirs = _lasso_objective(x[None], D, reference[None], alpha)
        assert ours <= theirs + 1e-10
        if not coherent:  # unique solution: the codes agree too
            np.testing.assert_allclose(code, reference, atol=1e-6)


def test_lasso_kkt_per_atom():
    X, D = _problem(4, coherent=True)
    alpha = 0.2
    codes = sparse_encode(X, D, alpha=alpha)
    correlation = (X - codes @ D) @ D.T
    support = codes != 0
    assert np.abs(correlation[~support]).max() <= alpha + 1e-8
    np.testing.assert_allclose(correlation[support], alpha * np.sign(codes[support]),
                               atol=1e-8)


@pytest.mark.parametrize("positive", [False, True])
def test_lasso_matches_cvxpy(positive):
    cp = pytest.importorskip("cvxpy")
    X, D = _problem(5, n_samples=4, n_atoms=12, n_features=8, coherent=True)
    alpha = 0.15
    codes = sparse_encode(X, D, alpha=alpha, positive=positive)
    for x, code in zip(X, codes, strict=True):
        c = cp.Variable(12, nonneg=positive)
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - D.T @ c) + alpha * cp.norm1(c)))
        problem.solve(solver=cp.CLARABEL)
        ours = _lasso_objective(x[None], D, code[None], alpha)[0]
        assert ours <= problem.value + 1e-7  # never worse than the conic solver
        assert ours >= problem.value - 1e-6  # and cvxpy's point is feasible: equal
        np.testing.assert_allclose(code, c.value, atol=1e-4)
        if positive:
            assert code.min() >= 0


def test_lasso_on_overcomplete_dictionaries_and_alpha_zero_limit():
    """More atoms than features (a rank-deficient Gram) and a tiny alpha: the
    least-squares fit of x is reached and the KKT conditions still hold."""
    X, D = _problem(6, n_samples=20, n_atoms=60, n_features=10, coherent=True)
    codes, info = sparse_encode(X, D, alpha=1e-6, log=True)
    assert info["kkt_violation"].max() <= 1e-8
    assert np.abs(X - codes @ D).max() < 1e-4


def test_warm_start_reaches_the_same_codes_and_leaves_init_untouched():
    X, D = _problem(7)
    cold = sparse_encode(X, D, alpha=0.1)
    init = cold + 0.01
    before = init.copy()
    warm = sparse_encode(X, D, alpha=0.1, init=init)
    np.testing.assert_array_equal(init, before)
    np.testing.assert_allclose(warm, cold, atol=1e-8)


@pytest.mark.parametrize("method", ["lasso", "omp", "ormp", "mp", "lq", "cel0"])
def test_threads_and_chunks_give_the_same_codes(method):
    from sparseopt.solvers.sparse_coding.encode import encode

    X, D = _problem(8, n_samples=300)
    options = dict(alpha=0.2, n_nonzero_coefs=5, target=-1.0, max_iter=500)
    one, _ = encode(X, D, method, **options)
    many, _ = encode(X, D, method, n_jobs=2, chunk_size=37, **options)
    np.testing.assert_allclose(one, many, rtol=1e-12, atol=1e-12)  # BLAS rounding per chunk


def test_float32_in_float32_out_and_scaling_invariance():
    X, D = _problem(9)
    codes32 = sparse_encode(X.astype(np.float32), D, alpha=0.1)
    assert codes32.dtype == np.float32
    # scaling the signals and alpha together scales the codes
    codes = sparse_encode(X, D, alpha=0.1)
    np.testing.assert_allclose(sparse_encode(7 * X, D, alpha=0.7), 7 * codes, atol=1e-8)
    np.testing.assert_allclose(codes32, codes, atol=1e-5)


def test_convergence_warning_when_max_iter_is_hit():
    from sklearn.exceptions import ConvergenceWarning

    X, D = _problem(13, coherent=True)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        codes, info = sparse_encode(X, D, method="cel0", alpha=0.1, max_iter=1, log=True)
    assert not info["converged"]


def test_log_reports_what_it_returns():
    X, D = _problem(10)
    codes, info = sparse_encode(X, D, alpha=0.3, log=True)
    np.testing.assert_allclose(info["objective"], _lasso_objective(X, D, codes, 0.3),
                               rtol=1e-10)
    np.testing.assert_allclose(info["residual_sq"], ((X - codes @ D) ** 2).sum(1), rtol=1e-10)


def test_jit_and_pure_python_agree(tmp_path):
    script = (
        "import numpy as np\n"
        "from sparseopt.dictionary import sparse_encode\n"
        "rng = np.random.default_rng(0)\n"
        "D = rng.standard_normal((8, 5)); X = rng.standard_normal((6, 5))\n"
        "out = [sparse_encode(X, D, method=m, alpha=a, n_nonzero_coefs=3, max_iter=300)\n"
        "       for m, a in [('lasso', 0.2), ('omp', None), ('ormp', None), ('mp', None),\n"
        "                    ('lq', 0.2), ('cel0', 0.2)]]\n"
        f"np.save({str(tmp_path / 'out')!r} + __import__('os').environ['TAG'], np.array(out))\n"
    )
    for tag, disable in (("jit", "0"), ("python", "1")):
        env = dict(os.environ, NUMBA_DISABLE_JIT=disable, TAG=tag)
        subprocess.run([sys.executable, "-c", script], check=True, env=env)
    np.testing.assert_allclose(np.load(tmp_path / "outjit.npy"),
                               np.load(tmp_path / "outpython.npy"), atol=1e-10)


# ---------------------------------------------------------------------- SparseCoder
@pytest.mark.parametrize("algorithm, params", [
    ("omp", dict(transform_n_nonzero_coefs=4)),
    ("lasso_cd", dict(transform_alpha=0.1)),
    ("lasso_lars", dict(transform_alpha=0.1, split_sign=True)),
])
def test_sparse_coder_is_a_drop_in_for_sklearn(algorithm, params):
    X, D = _problem(11, n_samples=30)
    ours = SparseCoder(D, transform_algorithm=algorithm, **params)
    theirs = SkSparseCoder(D, transform_algorithm=algorithm, transform_max_iter=100000,
                           **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs.fit_transform(X)
    np.testing.assert_allclose(ours.fit_transform(X), expected, atol=1e-6)
    np.testing.assert_allclose(ours.inverse_transform(expected), theirs.inverse_transform(
        expected), atol=1e-12)
    assert ours.n_components_ == theirs.n_components_


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, match", [
    (lambda X, D: sparse_encode(X, D[:0]), "dictionary has no atom"),
    (lambda X, D: sparse_encode(X, D[:, :-1]), "dictionary has atoms of"),
    (lambda X, D: sparse_encode(np.where(X > 1, np.nan, X), D), "X"),
    (lambda X, D: sparse_encode(X, np.where(D > 0.5, np.inf, D)), "dictionary"),
    (lambda X, D: sparse_encode(X, D, method="omp", n_nonzero_coefs=0), "n_nonzero_coefs"),
    (lambda X, D: sparse_encode(X, D, method="lars"), "algorithm must be one of"),
    (lambda X, D: sparse_encode(X, D, alpha=-1.0), "alpha"),
    (lambda X, D: sparse_encode(X, D, method="lq", q=0.3), "q must be one of"),
    (lambda X, D: sparse_encode(X, D, method="omp", positive=True), "positive"),
    (lambda X, D: sparse_encode(X, D, init=np.zeros((2, 2))), "init must have shape"),
    (lambda X, D: sparse_encode(X, D, n_jobs=0), "n_jobs"),
    (lambda X, D: SparseCoder().fit(X), "needs a dictionary"),
    (lambda X, D: SparseCoder(D[:, :-1]).fit(X), "dictionary has atoms of"),
    (lambda X, D: SparseCoder(D).fit(X).inverse_transform(np.zeros((2, 3))), "columns"),
])
def test_bad_input_errors_name_the_argument(call, match):
    X, D = _problem(12, n_samples=5)
    with pytest.raises((ValueError, TypeError), match=match):
        call(X, D)


def test_sparse_encode_on_a_dask_cluster_matches_in_process():
    distributed = pytest.importorskip("distributed")
    X, D = _problem(14, n_samples=2100)  # two chunks of 2048 rows
    init = sparse_encode(X, D, alpha=0.2) * 0.5
    local, info = sparse_encode(X, D, alpha=0.2, init=init, log=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's own deprecation chatter
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                remote, remote_info = sparse_encode(X, D, alpha=0.2, init=init, client=client,
                                                    log=True)
    np.testing.assert_allclose(remote, local, atol=1e-12)
    np.testing.assert_allclose(remote_info["kkt_violation"], info["kkt_violation"], atol=1e-12)

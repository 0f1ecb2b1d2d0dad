"""Grid spectral atoms: every operation against the atoms formed one by one."""

import numpy as np
import pytest

from sparseopt.solvers.lmk.atoms import SpectralAtoms, spectral_atom_stack, spectral_gram


def brute_force_atoms(X, Y, means, scales):
    """K_i(x, y) = prod_p exp(-2 pi^2 tau_p^2 s_ip^2) cos(2 pi m_ip tau_p), by loops."""
    atoms = np.empty((means.shape[0], X.shape[0], Y.shape[0]))
    for i in range(means.shape[0]):
        for a in range(X.shape[0]):
            for b in range(Y.shape[0]):
                value = 1.0
                for p in range(X.shape[1]):
                    tau = X[a, p] - Y[b, p]
                    value *= np.exp(-2 * np.pi ** 2 * tau ** 2 * scales[i, p] ** 2) * np.cos(
                        2 * np.pi * means[i, p] * tau)
                atoms[i, a, b] = value
    return atoms


def _case(n_dims, lattice, seed=0):
    rng = np.random.default_rng(seed)
    n, n_atoms = 24, 7
    if lattice:  # spacing 0.25 (not 1), an offset and gaps
        X = rng.choice(np.arange(0, 6) * 0.25 + 3.0, size=(n, n_dims))
    else:
        X = rng.standard_normal((n, n_dims)) * 3.0
    means = rng.uniform(0, 1.5, (n_atoms, n_dims))
    scales = np.repeat(rng.uniform(0.01, 0.4, (2, n_dims)), [3, 4], axis=0)  # two envelopes
    return X, means, scales, rng


CASES = [(1, True, "lag"), (1, True, "dense"), (1, False, "dense"), (2, True, "lag"),
         (2, True, "dense"), (3, False, "dense"), (1, False, "direct"), (3, False, "direct"),
         (6, False, "direct")]


@pytest.mark.parametrize("n_dims, lattice, method", CASES)
def test_operations_equal_the_atoms_formed_one_by_one(n_dims, lattice, method):
    X, means, scales, rng = _case(n_dims, lattice)
    K = brute_force_atoms(X, X, means, scales)
    atoms = SpectralAtoms(X, means, scales, method=method)
    assert atoms.method == method
    weights = rng.uniform(0, 1, means.shape[0])
    weights[2] = 0.0
    M = rng.standard_normal((X.shape[0],) * 2)
    M = M + M.T
    v = rng.standard_normal(X.shape[0])
    index = np.array([4, 0, 6])
    np.testing.assert_allclose(atoms.gram(weights), np.tensordot(weights, K, 1), atol=1e-12)
    np.testing.assert_allclose(atoms.traces(M), np.einsum("ijk,jk->i", K, M), atol=1e-11)
    np.testing.assert_allclose(atoms.traces(M, index), np.einsum("ijk,jk->i", K[index], M),
                               atol=1e-11)
    np.testing.assert_allclose(atoms.quads(v, index), np.einsum("ijk,j,k->i", K[index], v, v),
                               atol=1e-11)
    np.testing.assert_allclose(atoms.products(v, index), np.einsum("ijk,k->ji", K[index], v),
                               atol=1e-11)


def test_auto_picks_the_lag_method_on_a_lattice_only():
    X, means, scales, _ = _case(1, True)
    assert SpectralAtoms(X, means, scales).method == "lag"
    X11, means11, scales11, _ = _case(11, False)
    assert SpectralAtoms(X11, means11, scales11).method == "direct"
    assert SpectralAtoms(X + 1e-3 * np.arange(X.shape[0])[:, None] ** 2, means,
                         scales).method == "dense"
    with pytest.raises(ValueError, match="lattice"):
        SpectralAtoms(X + 0.01 * np.random.default_rng(1).random(X.shape), means, scales,
                      method="lag")


@pytest.mark.parametrize("n_dims", [1, 2, 3, 11])  # 11: the direct method
def test_cross_gram_and_stack_equal_the_brute_force(n_dims):
    X, means, scales, rng = _case(n_dims, False)
    Y = rng.standard_normal((9, n_dims)) * 2.0
    weights = rng.uniform(0, 1, means.shape[0])
    np.testing.assert_allclose(spectral_gram(X, Y, weights, means, scales),
                               np.tensordot(weights, brute_force_atoms(X, Y, means, scales), 1),
                               atol=1e-12)
    np.testing.assert_allclose(spectral_atom_stack(X, means, scales),
                               brute_force_atoms(X, X, means, scales).transpose(1, 2, 0),
                               atol=1e-12)

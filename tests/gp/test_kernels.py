"""GSMKernel / GSMPKernel: the formula, gradients, and scikit-learn's GP."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.gaussian_process import GaussianProcessRegressor

from sparseopt.gp import GSMKernel, GSMPKernel


def spectral_mixture_like_gpytorch(X, Y, weights, means, scales):
    """GPyTorch's SpectralMixtureKernel / TFP's SpectralMixture, vectorised their way:
    scale the inputs, then differences; product over dimensions, weighted sum."""
    exp_x, exp_y = X[None] * scales[:, None], Y[None] * scales[:, None]  # (A, n, P)
    cos_x, cos_y = X[None] * means[:, None], Y[None] * means[:, None]
    exp_term = -2 * np.pi ** 2 * (exp_x[:, :, None] - exp_y[:, None]) ** 2
    cos_term = 2 * np.pi * (cos_x[:, :, None] - cos_y[:, None])
    components = (np.exp(exp_term) * np.cos(cos_term)).prod(-1)
    return np.tensordot(weights, components, 1)


def _grid(n_atoms=5, n_dims=2, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.1, 1.0, n_atoms), rng.uniform(0, 0.8, (n_atoms, n_dims)),
            rng.uniform(0.05, 0.3, (n_atoms, n_dims)), rng)


def test_gsmp_kernel_equals_the_spectral_mixture_formula():
    weights, means, scales, rng = _grid()
    X, Y = rng.standard_normal((7, 2)), rng.standard_normal((4, 2))
    kernel = GSMPKernel(weights, means, scales)
    np.testing.assert_allclose(kernel(X, Y), spectral_mixture_like_gpytorch(
        X, Y, weights, means, scales), atol=1e-12)
    np.testing.assert_allclose(kernel.diag(X), np.diag(kernel(X)), atol=1e-12)


def test_gsm_kernel_is_the_one_dimensional_case():
    weights, means, scales, rng = _grid(n_dims=1)
    X = rng.uniform(0, 10, (6, 1))
    one = GSMKernel(weights, means[:, 0], scales[:, 0])
    np.testing.assert_allclose(one(X), GSMPKernel(weights, means, scales)(X), atol=1e-13)
    np.testing.assert_allclose(one(X), spectral_mixture_like_gpytorch(X, X, weights, means,
                                                                      scales), atol=1e-12)
    with pytest.raises(ValueError, match="1 feature"):
        one(rng.standard_normal((3, 2)))


def test_gradient_matches_finite_differences_of_the_log_weights():
    weights, means, scales, rng = _grid()
    X = rng.standard_normal((6, 2))
    kernel = GSMPKernel(weights, means, scales)
    _, gradient = kernel(X, eval_gradient=True)
    step = 1e-6
    for i in range(len(weights)):
        theta = kernel.theta.copy()
        theta[i] += step
        plus = kernel.clone_with_theta(theta)(X)
        theta[i] -= 2 * step
        minus = kernel.clone_with_theta(theta)(X)
        np.testing.assert_allclose(gradient[:, :, i], (plus - minus) / (2 * step), atol=1e-8)
    fixed = GSMPKernel(weights, means, scales, weights_bounds="fixed")
    assert fixed(X, eval_gradient=True)[1].shape == (6, 6, 0)


def test_drops_into_scikit_learn_gaussian_process():
    rng = np.random.default_rng(0)
    X = np.sort(rng.uniform(0, 10, 40))[:, None]
    y = np.sin(2 * np.pi * 0.3 * X[:, 0]) + 0.05 * rng.standard_normal(40)
    kernel = GSMKernel(np.full(4, 0.25), [0.0, 0.15, 0.3, 0.45], 0.05)
    model = GaussianProcessRegressor(kernel, alpha=1e-2, random_state=0).fit(X, y)
    assert model.log_marginal_likelihood_value_ > model.log_marginal_likelihood(
        kernel.theta) + 1.0
    # the 0.3-cycle atom carries the signal
    assert np.argmax(model.kernel_.weights) == 2
    assert pickle.loads(pickle.dumps(model.kernel_)) == model.kernel_
    assert clone(model).kernel == kernel


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": [-1.0, 1.0]}, "weights must be non-negative"),
    ({"weights": [1.0]}, "weights has 1 entries but means has 2"),
    ({"means": [[-0.1, 0.0], [0.2, 0.0]]}, "means must be non-negative"),
    ({"scales": [[0.1, -0.1], [0.1, 0.1]]}, "scales must be non-negative"),
    ({"scales": [0.1, 0.1, 0.1]}, "scales must be a scalar or of shape"),
    ({"means": np.zeros((0, 2)), "weights": []}, "must not be empty"),
    ({"weights": [np.nan, 1.0]}, "weights must not contain NaN"),
])
def test_bad_grids_raise_clear_errors(kwargs, message):
    params = {"weights": [1.0, 1.0], "means": [[0.0, 0.1], [0.2, 0.3]], "scales": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        GSMPKernel(**params)(np.zeros((2, 2)))

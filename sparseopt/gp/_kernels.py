r"""Grid spectral mixture kernels for scikit-learn: :class:`GSMKernel`, :class:`GSMPKernel`."""

import numpy as np
from sklearn.gaussian_process.kernels import Hyperparameter, Kernel

from sparseopt.gp._validation import check_grid
from sparseopt.solvers.lmk.atoms import spectral_atom_stack, spectral_gram
from sparseopt.utils.validation import check_array

__all__ = ["GSMKernel", "GSMPKernel"]


class _GridSpectralKernel(Kernel):
    """Shared evaluation of the grid spectral mixture kernels (no sibling subclassing)."""

    _one_dimensional = False

    def __init__(self, weights, means, scales, weights_bounds=(1e-10, 1e5)):
        self.weights = weights
        self.means = means
        self.scales = scales
        self.weights_bounds = weights_bounds

    @property
    def hyperparameter_weights(self):
        return Hyperparameter("weights", "numeric", self.weights_bounds,
                              len(np.atleast_1d(self.weights)))

    def _grid(self):
        """Validated ``(weights (A,), means (A, P), scales (A, P))``."""
        return check_grid(self.weights, self.means, self.scales,
                          one_dimensional=self._one_dimensional)

    def _inputs(self, X, name, n_dims):
        X = check_array(X, input_name=name, dtype=np.float64, ensure_2d=True)
        if X.shape[1] != n_dims:
            expected = ("1 feature (GSMKernel is the one-dimensional kernel; use GSMPKernel "
                        "for several)" if self._one_dimensional else f"{n_dims} features")
            raise ValueError(f"{name} has {X.shape[1]} features but the kernel's grid has "
                             f"{expected}.")
        return X

    def __call__(self, X, Y=None, eval_gradient=False):
        r"""Kernel :math:`k(X, Y)` and, optionally, its gradient.

        Parameters
        ----------
        X : ndarray of shape (n_samples_X, n_features)
            Left argument.
        Y : ndarray of shape (n_samples_Y, n_features), default=None
            Right argument (default: ``X``).
        eval_gradient : bool, default=False
            Also return the gradient with respect to the log-weights
            (only when ``Y`` is None), of shape ``(n_X, n_X, A)``:
            :math:`w_i K_i` (``O(n^2 A)`` memory, as every scikit-learn
            kernel gradient; :class:`GSMPRegressor` never forms it).

        Returns
        -------
        K : ndarray of shape (n_samples_X, n_samples_Y)
        K_gradient : ndarray of shape (n_samples_X, n_samples_X, n_dims)
            Only if ``eval_gradient``; ``n_dims`` is ``A``, or 0 when the
            weights are fixed.
        """
        weights, means, scales = self._grid()
        X = self._inputs(X, "X", means.shape[1])
        if eval_gradient and Y is not None:
            raise ValueError("Gradient can only be evaluated when Y is None.")
        Y = X if Y is None else self._inputs(Y, "Y", means.shape[1])
        K = spectral_gram(X, Y, weights, means, scales)
        if not eval_gradient:
            return K
        if self.hyperparameter_weights.fixed:
            return K, np.empty((X.shape[0], X.shape[0], 0))
        return K, spectral_atom_stack(X, means, scales) * weights

    def diag(self, X):
        """Diagonal :math:`k(x, x) = \\sum_i w_i` of the kernel matrix.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)

        Returns
        -------
        diagonal : ndarray of shape (n_samples,)
        """
        weights, means, _ = self._grid()
        X = self._inputs(X, "X", means.shape[1])
        return np.full(X.shape[0], float(np.sum(weights)))

    def is_stationary(self):
        """The kernel depends on :math:`x - x'` only."""
        return True

    def __eq__(self, other):
        if type(self) is not type(other):
            return False
        mine, theirs = self.get_params(), other.get_params()
        return all(np.shape(mine[key]) == np.shape(theirs[key])
                   and np.all(np.asarray(mine[key]) == np.asarray(theirs[key]))
                   for key in mine)

    def __repr__(self):
        weights = np.atleast_1d(np.asarray(self.weights, dtype=float))
        return (f"{type(self).__name__}(n_components={weights.size}, "
                f"active={int(np.count_nonzero(weights))}, sum_weights={weights.sum():.4g})")


class GSMKernel(_GridSpectralKernel):
    r"""Grid spectral mixture (GSM) kernel for one-dimensional inputs.

    .. math:: k(x, x') = \sum_{i=1}^A w_i \exp(-2\pi^2 \tau^2 s_i^2)
              \cos(2\pi m_i \tau), \qquad \tau = x - x', \quad w \ge 0,

    a spectral mixture (Wilson & Adams 2013) whose frequencies :math:`m_i`
    and spectral standard deviations :math:`s_i` are a fixed grid, so that
    only the weights are learned (Suwandi et al.). A scikit-learn kernel: it
    drops into :class:`sklearn.gaussian_process.GaussianProcessRegressor`,
    whose optimiser then tunes the log-weights (memory :math:`O(n^2 A)` for
    the gradient; :class:`GSMPRegressor` learns sparse weights in
    :math:`O(n^2 + nA)` instead). ``s`` is a standard deviation, as
    GPyTorch's ``mixture_scales`` and TFP's ``scales`` (not Wilson's
    variance).

    Parameters
    ----------
    weights : array-like of shape (A,)
        Non-negative weights :math:`w`.
    means : array-like of shape (A,)
        Frequencies :math:`m_i \ge 0` (cycles per unit of ``x``).
    scales : float or array-like of shape (A,)
        Spectral standard deviations :math:`s_i \ge 0`.
    weights_bounds : pair of floats or "fixed", default=(1e-10, 1e5)
        Bounds of each weight for scikit-learn's optimiser.

    References
    ----------
    R. C. Suwandi, Z. Lin, F. Yin, Z. Wang, S. Theodoridis, "Sparsity-aware
    distributed learning for Gaussian processes with linear multiple
    kernel", IEEE TNNLS, 2024 (arXiv:2309.08201).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.gp import GSMKernel
    >>> kernel = GSMKernel([1.0, 0.5], means=[0.0, 0.25], scales=0.01)
    >>> K = kernel(np.arange(3.0)[:, None])
    >>> round(float(K[0, 0]), 6), round(float(K[0, 2]), 4)
    (1.5, 0.4961)
    """

    _one_dimensional = True


class GSMPKernel(_GridSpectralKernel):
    r"""Grid spectral mixture product (GSMP) kernel for multi-dimensional inputs.

    .. math:: k(x, x') = \sum_{i=1}^A w_i \prod_{p=1}^P
              \exp(-2\pi^2 \tau_p^2 s_{ip}^2) \cos(2\pi m_{ip} \tau_p),
              \qquad \tau = x - x', \quad w \ge 0,

    each atom a product over the input dimensions of one-dimensional
    spectral components on a fixed grid (Suwandi et al.); only the weights
    are learned. With one input dimension it is :class:`GSMKernel`. A
    scikit-learn kernel (see :class:`GSMKernel` for the gradient).

    Parameters
    ----------
    weights : array-like of shape (A,)
        Non-negative weights :math:`w`.
    means : array-like of shape (A, P)
        Frequencies :math:`m_{ip} \ge 0`.
    scales : float or array-like of shape (P,) or (A, P)
        Spectral standard deviations :math:`s_{ip} \ge 0` (a row of shape
        ``(P,)`` is shared by every atom).
    weights_bounds : pair of floats or "fixed", default=(1e-10, 1e5)
        Bounds of each weight for scikit-learn's optimiser.

    References
    ----------
    R. C. Suwandi et al., IEEE TNNLS, 2024 (see :class:`GSMKernel`).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.gp import GSMPKernel
    >>> kernel = GSMPKernel([1.0], means=[[0.0, 0.5]], scales=[[0.1, 0.1]])
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> np.round(kernel(X), 4).tolist()
    [[1.0, -0.8209], [-0.8209, 1.0]]
    """

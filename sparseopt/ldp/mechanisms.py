r"""Noise mechanisms of the local randomisers, vectorised over a batch of users.

Every mechanism privatises one report per user (a row of ``values``) and
states what it guarantees:

* :class:`GaussianMechanism`: :math:`v + \mathcal N(0, \sigma^2 I)` for
  reports of l2 sensitivity :math:`\Delta`; ``calibration="analytic"``
  (Balle & Wang, ICML 2018, valid for every :math:`\varepsilon`) or
  ``"classic"`` (Dwork & Roth, Theorem A.1, :math:`\varepsilon \le 1`);
* :class:`LaplaceMechanism`: :math:`v + \mathrm{Laplace}(\Delta_1/\varepsilon)`
  per entry, pure :math:`\varepsilon` for reports of l1 sensitivity
  :math:`\Delta_1`;
* :class:`L2BallMechanism`: the pure-:math:`\varepsilon` mechanism of Duchi,
  Jordan & Wainwright (JASA 2018) for vectors in an l2 ball: an unbiased
  report on a sphere of radius :math:`B`.

Sensitivity is replace-one (a user's report changes from that of one record
to that of any other admissible record). Each mechanism is seedable
(``random_state``) for simulations; ``secure=True`` is the choice for real
deployments: randomness from the operating system's secure generator (no
seed) and, for the additive mechanisms, lattice noise on a rounded input so
that no floating-point low-order bit of the output depends on the input
(see :mod:`sparseopt.ldp._secure`). Its Gaussian is the discrete Gaussian,
calibrated through zero-concentrated DP, which costs a few percent more noise
than the analytic calibration.
"""

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, log_ndtr

from sparseopt.ldp import _secure
from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = [
    "GaussianMechanism",
    "LaplaceMechanism",
    "L2BallMechanism",
    "analytic_gaussian_sigma",
    "classic_gaussian_sigma",
]


def _check_epsilon(epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float | np.floating
                                                     | np.integer):
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}.")
    epsilon = float(epsilon)
    if not epsilon > 0:  # NaN fails too
        raise ValueError(f"epsilon must be > 0 (np.inf means no noise), got {epsilon}.")
    return epsilon


def _check_delta(delta):
    return check_scalar(delta, "delta", lower=0.0, upper=1.0, lower_inclusive=False,
                        upper_inclusive=False)


def _check_sensitivity(sensitivity, epsilon, name="sensitivity"):
    """A finite sensitivity >= 0; an infinite one only without noise (epsilon = inf)."""
    if (isinstance(sensitivity, int | float | np.floating) and np.isinf(sensitivity)
            and sensitivity > 0 and np.isinf(epsilon)):
        return float(sensitivity)
    if isinstance(sensitivity, int | float | np.floating) and np.isposinf(sensitivity):
        raise ValueError(f"{name} is infinite: an unbounded report cannot be privatised; bound "
                         "it (e.g. clip_norm) or use epsilon=np.inf (no noise).")
    return check_scalar(sensitivity, name, lower=0.0)


def analytic_gaussian_sigma(epsilon, delta, sensitivity=1.0):
    r"""Noise scale of the analytic Gaussian mechanism (Balle & Wang, ICML 2018).

    The smallest :math:`\sigma` for which :math:`v + \mathcal N(0, \sigma^2 I)`
    is :math:`(\varepsilon, \delta)`-DP for reports of l2 sensitivity
    :math:`\Delta` (their Theorem 8, an exact characterisation):

    .. math:: \Phi\Big(\frac{\Delta}{2\sigma} - \frac{\varepsilon\sigma}{\Delta}\Big)
              - e^{\varepsilon}\,\Phi\Big(-\frac{\Delta}{2\sigma}
              - \frac{\varepsilon\sigma}{\Delta}\Big) \le \delta .

    Valid for every :math:`\varepsilon > 0` (the classic calibration is not
    for :math:`\varepsilon > 1`). Solved by Brent's method on
    :math:`\log(\sigma/\Delta)` with :math:`e^{\varepsilon}\Phi(\cdot)`
    evaluated in log space (no overflow for large :math:`\varepsilon`).

    Parameters
    ----------
    epsilon : float
        Privacy parameter :math:`\varepsilon > 0`; ``np.inf`` gives 0.
    delta : float
        Privacy parameter in :math:`(0, 1)`.
    sensitivity : float, default=1.0
        l2 sensitivity :math:`\Delta \ge 0`.

    Returns
    -------
    sigma : float
        The noise standard deviation.

    Examples
    --------
    >>> from sparseopt.ldp import analytic_gaussian_sigma
    >>> round(analytic_gaussian_sigma(1.0, 1e-6), 4)
    4.2247
    """
    epsilon = _check_epsilon(epsilon)
    delta = _check_delta(delta)
    sensitivity = _check_sensitivity(sensitivity, epsilon)
    if sensitivity == 0.0 or np.isinf(epsilon):
        return 0.0

    def excess(log_ratio):
        ratio = np.exp(log_ratio)  # sigma / Delta
        a, b = 0.5 / ratio, epsilon * ratio
        return np.exp(log_ndtr(a - b)) - np.exp(epsilon + log_ndtr(-a - b)) - delta

    low, high = -5.0, 1.0
    while excess(low) < 0:
        low -= 5.0
    while excess(high) > 0:
        high += 2.0
    return float(sensitivity * np.exp(brentq(excess, low, high, xtol=1e-15, rtol=1e-15)))


def classic_gaussian_sigma(epsilon, delta, sensitivity=1.0):
    r"""Noise scale of the classic Gaussian mechanism (Dwork & Roth, Theorem A.1).

    .. math:: \sigma = \Delta\,\sqrt{2\ln(1.25/\delta)}\,/\,\varepsilon,

    proved for :math:`\varepsilon \le 1` only; about 25% noisier than
    :func:`analytic_gaussian_sigma` at :math:`\varepsilon = 1`.

    Parameters
    ----------
    epsilon : float
        Privacy parameter in :math:`(0, 1]`.
    delta : float
        Privacy parameter in :math:`(0, 1)`.
    sensitivity : float, default=1.0
        l2 sensitivity :math:`\Delta \ge 0`.

    Returns
    -------
    sigma : float
        The noise standard deviation.

    Examples
    --------
    >>> from sparseopt.ldp import classic_gaussian_sigma
    >>> round(classic_gaussian_sigma(1.0, 1e-6), 4)
    5.2988
    """
    epsilon = _check_epsilon(epsilon)
    delta = _check_delta(delta)
    sensitivity = _check_sensitivity(sensitivity, epsilon)
    if epsilon > 1.0:
        raise ValueError(f"epsilon must be <= 1 for the classic Gaussian calibration, got "
                         f"{epsilon}; use calibration='analytic' (valid for any epsilon).")
    return float(sensitivity * np.sqrt(2.0 * np.log(1.25 / delta)) / epsilon)


def _generator(random_state):
    """A :class:`numpy.random.Generator` from ``random_state`` (None, int, RandomState,
    Generator)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, int | np.integer):
        if random_state is not None and not 0 <= int(random_state) < 2**32:
            raise ValueError(f"random_state must be in [0, 2**32), got {random_state}.")
        return np.random.default_rng(random_state)
    raise ValueError("random_state must be None, an integer, a RandomState or a Generator, "
                     f"got {random_state!r}.")


class _Mechanism:
    """Shared parts: privacy parameters, the random source, input checks."""

    pure = False  # delta = 0

    def _setup_randomness(self, secure, random_state):
        if not isinstance(secure, bool | np.bool_):
            raise TypeError(f"secure must be a bool, got {type(secure).__name__}.")
        self.secure = bool(secure)
        if self.secure and random_state is not None:
            raise ValueError("secure=True draws from the operating system's entropy and cannot "
                             "be seeded: leave random_state=None.")
        self.random_state = random_state
        self._rng = None if self.secure else _generator(random_state)

    @property
    def privacy(self):
        """The guarantee per report, ``(epsilon, delta)``."""
        return (self.epsilon, 0.0 if self.pure else self.delta)

    def _rows(self, values):
        values = check_array_input(values, "values", ndim=(1, 2), dtype=np.float64)
        return values

    def _source(self, random_state):
        if self.secure:
            if random_state is not None:
                raise ValueError("secure=True cannot be seeded: pass random_state=None.")
            return None
        return self._rng if random_state is None else _generator(random_state)


class GaussianMechanism(_Mechanism):
    r"""Additive Gaussian noise for reports of bounded l2 sensitivity.

    Each report :math:`v` (a row of ``values``) becomes
    :math:`v + z`, :math:`z \sim \mathcal N(0, \sigma^2 I)`, which is
    :math:`(\varepsilon, \delta)`-DP when any two admissible reports differ
    by at most :math:`\Delta` in l2 norm.

    Parameters
    ----------
    epsilon : float
        Privacy parameter :math:`\varepsilon > 0` (``np.inf``: no noise).
    delta : float
        Privacy parameter in :math:`(0, 1)`.
    sensitivity : float
        l2 sensitivity :math:`\Delta` of one report.
    calibration : {"analytic", "classic"}, default="analytic"
        :func:`analytic_gaussian_sigma` (any :math:`\varepsilon`) or
        :func:`classic_gaussian_sigma` (:math:`\varepsilon \le 1`).
    secure : bool, default=False
        Discrete Gaussian noise on a power-of-two lattice, input rounded to
        the lattice, randomness from :func:`os.urandom` (no seed). Its
        :math:`\sigma` comes from zero-concentrated DP (Canonne, Kamath &
        Steinke 2020), with the sensitivity increased by the rounding
        (:math:`\gamma\sqrt{\mathrm{dimension}}`, about :math:`10^{-4}` of it).
        The safe choice on real devices.
    dimension : int, default=1
        Length of one report (only used with ``secure=True``).
    random_state : None, int, RandomState or Generator, default=None
        Seed of the noise (simulations; must be None with ``secure=True``).

    Attributes
    ----------
    noise_scale : float
        :math:`\sigma`, the standard deviation of each noise entry.
    lattice_step : float or None
        :math:`\gamma` with ``secure=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ldp import GaussianMechanism
    >>> mechanism = GaussianMechanism(1.0, 1e-6, sensitivity=2.0, random_state=0)
    >>> round(mechanism.noise_scale, 3)
    8.449
    >>> mechanism.randomise(np.zeros((4, 3))).shape
    (4, 3)
    """

    def __init__(self, epsilon, delta, sensitivity, *, calibration="analytic", secure=False,
                 dimension=1, random_state=None):
        self.epsilon = _check_epsilon(epsilon)
        self.delta = _check_delta(delta)
        self.sensitivity = _check_sensitivity(sensitivity, self.epsilon)
        if calibration not in ("analytic", "classic"):
            raise ValueError(f"calibration must be 'analytic' or 'classic', got {calibration!r}.")
        self.calibration = calibration
        self.dimension = check_integer(dimension, "dimension", lower=1)
        self._setup_randomness(secure, random_state)
        if calibration == "classic":
            self.noise_scale = classic_gaussian_sigma(self.epsilon, self.delta, self.sensitivity)
        else:
            self.noise_scale = analytic_gaussian_sigma(self.epsilon, self.delta, self.sensitivity)
        self.lattice_step = None
        if self.secure and self.noise_scale > 0:
            self.lattice_step = _secure.lattice_step(self.noise_scale)
            rounded = self.sensitivity + self.lattice_step * np.sqrt(self.dimension)
            if calibration == "classic":  # the classic bound, on the rounded sensitivity
                self.noise_scale = classic_gaussian_sigma(self.epsilon, self.delta, rounded)
            else:
                units = _secure.discrete_gaussian_sigma(self.epsilon, self.delta,
                                                        rounded / self.lattice_step)
                self.noise_scale = units * self.lattice_step

    def noise(self, shape, *, random_state=None):
        """Independent noise draws of the given shape.

        Parameters
        ----------
        shape : tuple of int
            Shape of the draw.
        random_state : None, int or Generator, optional
            Overrides the mechanism's generator for this call.

        Returns
        -------
        noise : ndarray
            :math:`\\mathcal N(0, \\sigma^2)` entries (lattice multiples with ``secure``).
        """
        source = self._source(random_state)
        if self.noise_scale == 0.0:
            return np.zeros(shape)
        if self.secure:
            units = self.noise_scale / self.lattice_step
            return _secure.discrete_gaussian(units, shape) * self.lattice_step
        return self.noise_scale * source.standard_normal(shape)

    def randomise(self, values, *, random_state=None):
        """Privatise reports.

        Parameters
        ----------
        values : array-like of shape (n_users, dimension) or (dimension,)
            One clean report per row.
        random_state : None, int or Generator, optional
            Overrides the mechanism's generator for this call.

        Returns
        -------
        reports : ndarray, same shape
            ``values`` plus noise (a new array).
        """
        values = self._rows(values)
        if self.secure and self.lattice_step is not None:
            values = _secure.round_to_lattice(values, self.lattice_step)
        return values + self.noise(values.shape, random_state=random_state)

    def summed_noise(self, n_users, shape, *, random_state=None):
        """The sum of ``n_users`` independent noise draws, drawn in one step.

        The sum of :math:`n` independent :math:`\\mathcal N(0, \\sigma^2)` is
        exactly :math:`\\mathcal N(0, n\\sigma^2)`: the simulation fast path.

        Parameters
        ----------
        n_users : int
            Number of summed reports.
        shape : tuple of int
            Shape of one report.
        random_state : None, int or Generator, optional
            Overrides the mechanism's generator for this call.

        Returns
        -------
        noise : ndarray of the given shape
        """
        n_users = check_integer(n_users, "n_users", lower=0)
        if self.secure:
            raise ValueError("secure=True samples every user's lattice noise; the sum of "
                             "discrete Gaussians has no closed form: use the per-user path.")
        source = self._source(random_state)
        return np.sqrt(n_users) * self.noise_scale * source.standard_normal(shape)


class LaplaceMechanism(_Mechanism):
    r"""Additive Laplace noise for reports of bounded l1 sensitivity (pure epsilon).

    Each entry of a report gets independent :math:`\mathrm{Laplace}(b)` noise
    with :math:`b = \Delta_1/\varepsilon`, which is
    :math:`\varepsilon`-DP when admissible reports differ by at most
    :math:`\Delta_1` in l1 norm.

    Parameters
    ----------
    epsilon : float
        Privacy parameter :math:`\varepsilon > 0` (``np.inf``: no noise).
    sensitivity : float
        l1 sensitivity :math:`\Delta_1`.
    secure : bool, default=False
        Discrete Laplace noise on a power-of-two lattice, input rounded to
        the lattice (sensitivity increased by :math:`\gamma\,\mathrm{dimension}`),
        randomness from :func:`os.urandom` (no seed).
    dimension : int, default=1
        Length of one report (only used with ``secure=True``).
    random_state : None, int, RandomState or Generator, default=None
        Seed of the noise (must be None with ``secure=True``).

    Attributes
    ----------
    noise_scale : float
        The Laplace scale :math:`b`; each entry has standard deviation
        :math:`\sqrt 2\,b`.

    Examples
    --------
    >>> from sparseopt.ldp import LaplaceMechanism
    >>> LaplaceMechanism(0.5, sensitivity=2.0).noise_scale
    4.0
    """

    pure = True
    delta = 0.0

    def __init__(self, epsilon, sensitivity, *, secure=False, dimension=1, random_state=None):
        self.epsilon = _check_epsilon(epsilon)
        self.sensitivity = _check_sensitivity(sensitivity, self.epsilon)
        self.dimension = check_integer(dimension, "dimension", lower=1)
        self._setup_randomness(secure, random_state)
        self.noise_scale = 0.0 if np.isinf(self.epsilon) else self.sensitivity / self.epsilon
        self.lattice_step = None
        if self.secure and self.noise_scale > 0:
            self.lattice_step = _secure.lattice_step(self.noise_scale)
            rounded = self.sensitivity + self.lattice_step * self.dimension
            self.noise_scale = rounded / self.epsilon

    def noise(self, shape, *, random_state=None):
        """Independent Laplace draws of the given shape (see :meth:`GaussianMechanism.noise`)."""
        source = self._source(random_state)
        if self.noise_scale == 0.0:
            return np.zeros(shape)
        if self.secure:
            units = self.noise_scale / self.lattice_step
            return _secure.discrete_laplace(units, shape) * self.lattice_step
        return source.laplace(0.0, self.noise_scale, shape)

    def randomise(self, values, *, random_state=None):
        """Privatise reports (rows of ``values``); see :meth:`GaussianMechanism.randomise`."""
        values = self._rows(values)
        if self.secure and self.lattice_step is not None:
            values = _secure.round_to_lattice(values, self.lattice_step)
        return values + self.noise(values.shape, random_state=random_state)


class L2BallMechanism(_Mechanism):
    r"""Pure-epsilon privatisation of vectors in an l2 ball (Duchi, Jordan & Wainwright).

    A report :math:`v` with :math:`\|v\|_2 \le r` is first rounded to
    :math:`\tilde v = \pm r\,v/\|v\|_2` with probabilities
    :math:`\tfrac12 \pm \|v\|_2/(2r)`; then, with probability
    :math:`\pi = e^{\varepsilon}/(e^{\varepsilon} + 1)`, the output is
    uniform on the half-sphere :math:`\{z : \|z\|_2 = B, \langle z, \tilde v\rangle > 0\}`
    and otherwise on the opposite half, with

    .. math:: B = r\,\frac{e^{\varepsilon} + 1}{e^{\varepsilon} - 1}\,
              \frac{\sqrt{\pi}\,\Gamma(\tfrac{d+1}{2})}{\Gamma(\tfrac d2)},

    which makes the output unbiased, :math:`\mathbb E[z] = v`. Any output
    has density ratio at most :math:`\pi/(1 - \pi) = e^{\varepsilon}`
    between two inputs: :math:`\varepsilon`-DP, :math:`\delta = 0`. The
    original privatiser of Wang & Xu's LDP-IHT. The sum of such reports has
    no closed form: simulations draw every user.

    Parameters
    ----------
    epsilon : float
        Privacy parameter :math:`\varepsilon > 0`.
    radius : float
        :math:`r`: every report must satisfy :math:`\|v\|_2 \le r` (its
        sensitivity is :math:`2r`).
    secure : bool, default=False
        Draw the coins and directions from :func:`os.urandom` (no seed). The
        input enters only through two coin probabilities and a sign.
    random_state : None, int, RandomState or Generator, default=None
        Seed (must be None with ``secure=True``).

    Attributes
    ----------
    noise_scale : float
        :math:`B`, the norm of every output.
    sensitivity : float
        :math:`2r`.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ldp import L2BallMechanism
    >>> mechanism = L2BallMechanism(1.0, radius=1.0, random_state=0)
    >>> out = mechanism.randomise(np.full((2, 3), 0.5))
    >>> np.allclose(np.linalg.norm(out, axis=1), mechanism.output_norm(3))
    True
    """

    pure = True
    delta = 0.0

    def __init__(self, epsilon, radius, *, secure=False, random_state=None):
        self.epsilon = _check_epsilon(epsilon)
        self.radius = check_scalar(radius, "radius", lower=0.0, lower_inclusive=False)
        self.sensitivity = 2.0 * self.radius
        self._setup_randomness(secure, random_state)
        self.noise_scale = None  # depends on the dimension: see output_norm

    def output_norm(self, dimension):
        """:math:`B` for reports of length ``dimension``."""
        dimension = check_integer(dimension, "dimension", lower=1)
        if np.isinf(self.epsilon):
            return self.radius
        ratio = 1.0 / np.tanh(self.epsilon / 2.0)  # (e^eps + 1) / (e^eps - 1)
        return float(self.radius * ratio * np.sqrt(np.pi)
                     * np.exp(gammaln((dimension + 1) / 2.0) - gammaln(dimension / 2.0)))

    def randomise(self, values, *, random_state=None):
        """Privatise reports (rows of ``values``, each of norm at most ``radius``).

        Parameters
        ----------
        values : array-like of shape (n_users, dimension) or (dimension,)
            Clean reports.
        random_state : None, int or Generator, optional
            Overrides the mechanism's generator for this call.

        Returns
        -------
        reports : ndarray, same shape
            Unbiased reports of norm :meth:`output_norm`.
        """
        values = self._rows(values)
        one = values.ndim == 1
        rows = np.atleast_2d(values)
        n_users, dimension = rows.shape
        norms = np.linalg.norm(rows, axis=1)
        outside = int(np.sum(norms > self.radius * (1.0 + 1e-12)))
        if outside:
            raise ValueError(f"values has {outside} report(s) of l2 norm above radius="
                             f"{self.radius} (largest {norms.max():.6g}); clip them first.")
        if np.isinf(self.epsilon):
            return values.copy()
        source = self._source(random_state)
        uniform = (_secure.secure_uniform if self.secure else source.random)
        normal = (_secure.secure_standard_normal if self.secure else source.standard_normal)
        out = self.randomise_with(rows, uniform(n_users), uniform(n_users),
                                  normal((n_users, dimension)))
        return out[0] if one else out

    def randomise_with(self, rows, round_draws, side_draws, direction_draws):
        """:meth:`randomise` with its random draws given (rows of norm at most ``radius``).

        ``round_draws`` and ``side_draws`` are uniform on (0, 1), one per row;
        ``direction_draws`` standard normal, one row per row: the simulation
        draws them per block of users so that every user's report is the
        same whatever the chunking.
        """
        norms = np.linalg.norm(rows, axis=1)
        if np.isinf(self.epsilon):
            return rows.copy()
        # rounding to the sphere of radius r: +v/|v| with probability 1/2 + |v|/(2r)
        sign = np.where(round_draws < 0.5 + norms / (2.0 * self.radius), 1.0, -1.0)
        safe = np.where(norms > 0, norms, 1.0)
        # a zero report: both signs equally likely, any direction (the side draw's)
        direction = np.where((norms > 0)[:, None], rows / safe[:, None], direction_draws)
        direction /= np.linalg.norm(direction, axis=1)[:, None]
        rounded = sign[:, None] * direction
        keep_side = side_draws < 1.0 / (1.0 + np.exp(-self.epsilon))
        z = direction_draws / np.linalg.norm(direction_draws, axis=1)[:, None]
        wrong_side = (np.sum(z * rounded, axis=1) > 0) != keep_side
        z = np.where(wrong_side[:, None], -z, z)
        return self.output_norm(rows.shape[1]) * z

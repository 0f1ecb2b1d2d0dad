"""The client side: a user's local randomiser, and the reports it sends."""

import numpy as np

from sparseopt.ldp import _statistics as stats
from sparseopt.ldp._validation import check_bounds, check_privacy, check_record_arrays
from sparseopt.ldp.mechanisms import GaussianMechanism, L2BallMechanism, LaplaceMechanism
from sparseopt.utils.validation import check_array_input, check_integer

__all__ = ["LocalRandomizer", "Reports"]

# What each protocol's users report, and the share of (epsilon, delta) each part spends
# (basic composition, as in Zhu et al.'s Algorithm 1: half on each part).
PARTS = {
    "nldp": (("covariance", 0.5), ("cross", 0.5)),
    "public": (("cross", 1.0),),
    "gradient": (("gradient", 1.0),),
    "log_norm": (("log_norm", 1.0),),
}
MECHANISMS = ("gaussian", "gaussian_classic", "laplace", "l2_ball")


class Reports:
    """Randomised reports, as the server receives them.

    Either one report per user (``values``: rows) or, in the simulation
    fast path and from intermediate aggregators, their sum over a block of
    users (``sums``). Raw records never appear here: only randomised values,
    counts and the public protocol parameters.

    Parameters
    ----------
    kind : {"nldp", "public", "gradient", "log_norm"}
        What the users reported (see :class:`LocalRandomizer`).
    n_features : int
        Dimension of the records.
    n_users : int
        Number of users whose reports are in here.
    parts : dict of str to ndarray
        Per part (``"covariance"``, ``"cross"``, ``"gradient"`` or
        ``"log_norm"``): rows of shape ``(n_users, width)`` or, with
        ``summed=True``, their sum of shape ``(width,)``.
    noise_scales : dict of str to float
        Public noise scale of each part's mechanism.
    summed : bool, default=False
        Whether ``parts`` hold sums.
    first_user : int, default=0
        Index of the first user in the protocol's user sequence.
    complete : bool, default=True
        For sums over a block: whether the block is full.
    """

    def __init__(self, kind, n_features, n_users, parts, noise_scales, *, summed=False,
                 first_user=0, complete=True):
        self.kind = kind
        self.n_features = n_features
        self.n_users = n_users
        self.parts = parts
        self.noise_scales = noise_scales
        self.summed = summed
        self.first_user = first_user
        self.complete = complete

    def __repr__(self):
        shape = "sums" if self.summed else "rows"
        return (f"Reports(kind={self.kind!r}, n_users={self.n_users}, {shape} of "
                f"{sorted(self.parts)}, first_user={self.first_user})")


class LocalRandomizer:
    r"""A user's local randomiser: bounds the record, forms the report, adds noise.

    It runs on the device: :meth:`privatize_one` needs only the user's own
    record (and, in the interactive protocol, what the server broadcast).
    :meth:`report` does the same for a batch of users at once (vectorised).
    What it returns is all the server ever sees.

    Reports by protocol (``mode``), with the sensitivities of
    :mod:`sparseopt.ldp._statistics` (Zhu et al., ICLR 2024):

    * ``"nldp"`` (non-interactive, Algorithm 1): the upper triangle of
      :math:`\tilde x\tilde x^\top` and :math:`\tilde x\tilde y`, each with
      half of :math:`(\varepsilon, \delta)`;
    * ``"public"`` (the server has public unlabelled features):
      :math:`\tilde x\tilde y` with the whole budget;
    * ``"iht"`` (sequentially interactive LDP-IHT): the clipped gradient
      :math:`\mathrm{clip}_C(\tilde x(\langle\tilde x, \theta\rangle - \tilde y))`
      at the broadcast :math:`\theta` and :math:`C`, or, for the users who
      calibrate the clipping, the clipped :math:`\log\|g\|_2`.

    Parameters
    ----------
    mode : {"nldp", "public", "iht"}
        The protocol.
    epsilon : float
        Per-user privacy parameter :math:`\varepsilon > 0` (``np.inf``: no noise).
    delta : float
        Per-user :math:`\delta` in :math:`(0, 1)` (not spent by the pure
        mechanisms ``"laplace"`` and ``"l2_ball"``).
    n_features : int
        Dimension :math:`d` of the records.
    x_bound : float
        Declared bound :math:`\tau_1` on the features (per coordinate, or on
        the l2 norm with ``x_norm="l2"``).
    y_bound : float
        Declared bound :math:`\tau_2` on :math:`|y|`.
    x_norm : {"inf", "l2"}, default="inf"
        Which norm ``x_bound`` bounds ("inf": the paper's truncation).
    on_out_of_bounds : {"raise", "clip"}, default="raise"
        Records outside the bounds raise a ``ValueError`` (naming the bound
        and the count), or are shrunk onto them.
    mechanism : {"gaussian", "gaussian_classic", "laplace", "l2_ball"}, default="gaussian"
        Analytic Gaussian, classic Gaussian (:math:`\varepsilon \le 1` per
        part), Laplace (pure) or the l2-ball mechanism (pure). The scalar
        log-norm uses the Laplace mechanism with the pure ones.
    secure : bool, default=False
        Secure sampling (see :mod:`sparseopt.ldp.mechanisms`); no seed.
    random_state : None, int or Generator, default=None
        Seed of the noise.

    Attributes
    ----------
    n_clipped_ : int
        Records shrunk onto the bounds so far (known on the devices only;
        never sent).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ldp import LocalRandomizer
    >>> device = LocalRandomizer("public", epsilon=1.0, delta=1e-6, n_features=3,
    ...                          x_bound=2.0, y_bound=2.0, random_state=0)
    >>> report = device.privatize_one([0.5, -1.0, 0.2], 1.5)
    >>> sorted(report), report["cross"].shape
    (['cross'], (3,))
    """

    def __init__(self, mode, *, epsilon, delta, n_features, x_bound, y_bound, x_norm="inf",
                 on_out_of_bounds="raise", mechanism="gaussian", secure=False,
                 random_state=None):
        if mode not in ("nldp", "public", "iht"):
            raise ValueError(f"mode must be 'nldp', 'public' or 'iht', got {mode!r}.")
        self.mode = mode
        self.epsilon, self.delta = check_privacy(epsilon, delta)
        self.n_features = check_integer(n_features, "n_features", lower=1)
        self.x_bound, self.y_bound, self.x_norm = check_bounds(x_bound, y_bound, x_norm)
        if on_out_of_bounds not in ("raise", "clip"):
            raise ValueError("on_out_of_bounds must be 'raise' or 'clip', got "
                             f"{on_out_of_bounds!r}.")
        self.on_out_of_bounds = on_out_of_bounds
        if mechanism not in MECHANISMS:
            raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}.")
        self.mechanism = mechanism
        self.secure = secure
        self.random_state = random_state
        self.n_clipped_ = 0
        self._mechanisms = {}
        self._generator = None if secure else np.random.default_rng(
            random_state if not isinstance(random_state, np.random.RandomState)
            else random_state.randint(0, 2**31 - 1))

    # ------------------------------------------------------------------ setup
    def kind(self, clip_norm=None, log_range=None):
        """The report kind for the round parameters (``"gradient"``/``"log_norm"`` in IHT)."""
        if self.mode != "iht":
            return self.mode
        if (clip_norm is None) == (log_range is None):
            raise ValueError("mode='iht' reports need either clip_norm (a gradient report) or "
                             "log_range (a clipping-calibration report), as broadcast by the "
                             "server.")
        return "gradient" if clip_norm is not None else "log_norm"

    def mechanisms(self, clip_norm=None, log_range=None):
        """``{part: mechanism}`` of the report kind (cached per round parameters)."""
        kind = self.kind(clip_norm, log_range)
        key = (kind, clip_norm, None if log_range is None else tuple(log_range))
        if key not in self._mechanisms:
            self._mechanisms[key] = {
                part: self._make_mechanism(part, share, clip_norm, log_range)
                for part, share in PARTS[kind]}
        return self._mechanisms[key]

    def noise_scales(self, clip_norm=None, log_range=None):
        """``{part: public noise scale}`` (standard deviation of each entry's noise)."""
        scales = {}
        for part, mechanism in self.mechanisms(clip_norm, log_range).items():
            if isinstance(mechanism, L2BallMechanism):
                width = stats.report_width(part, self.n_features)
                norm = mechanism.output_norm(width)
                scales[part] = float(np.sqrt(max(norm**2 / width, 0.0)))
            elif isinstance(mechanism, LaplaceMechanism):
                scales[part] = float(np.sqrt(2.0) * mechanism.noise_scale)
            else:
                scales[part] = float(mechanism.noise_scale)
        return scales

    def privacy(self):
        """The per-user guarantee ``(epsilon, delta)`` of one report."""
        pure = self.mechanism in ("laplace", "l2_ball")
        return (self.epsilon, 0.0 if pure else self.delta)

    def _make_mechanism(self, part, share, clip_norm, log_range):
        epsilon, delta = self.epsilon * share, self.delta * share
        log_width = None if log_range is None else float(log_range[1] - log_range[0])
        args = (part, self.n_features, self.x_bound, self.y_bound, self.x_norm, clip_norm)
        width = stats.report_width(part, self.n_features)
        if part == "log_norm" and self.mechanism in ("laplace", "l2_ball"):
            return LaplaceMechanism(epsilon, log_width, secure=self.secure, dimension=1)
        if self.mechanism == "laplace":
            return LaplaceMechanism(epsilon, stats.l1_sensitivity(*args), secure=self.secure,
                                    dimension=width)
        if self.mechanism == "l2_ball":
            return L2BallMechanism(epsilon, stats.report_radius(*args), secure=self.secure)
        sensitivity = (log_width if part == "log_norm" else stats.l2_sensitivity(*args))
        calibration = "classic" if self.mechanism == "gaussian_classic" else "analytic"
        return GaussianMechanism(epsilon, delta, sensitivity, calibration=calibration,
                                 secure=self.secure, dimension=width)

    # ---------------------------------------------------------------- reports
    def clean_reports(self, X, y, coef=None, clip_norm=None, log_range=None, *, summed=False):
        """Bounded records turned into clean reports (before noise), on the devices.

        Returns ``({part: rows or block sum}, n_clipped)``; used by
        :meth:`report` and by the simulation fast path.
        """
        X, y = check_record_arrays(X, y, self.n_features)
        kind = self.kind(clip_norm, log_range)
        coef = self._check_round(kind, coef, clip_norm, log_range)
        X_tilde, y_tilde, n_clipped = stats.apply_bounds(X, y, self.x_bound, self.y_bound,
                                                         self.x_norm, self.on_out_of_bounds)
        compute = stats.block_sums if summed else stats.report_rows
        clip = np.inf if clip_norm is None else clip_norm
        clean = {part: compute(part, X_tilde, y_tilde, coef, clip, log_range)
                 for part, _ in PARTS[kind]}
        return clean, n_clipped

    def _check_round(self, kind, coef, clip_norm, log_range):
        if kind not in ("gradient", "log_norm"):
            return None
        coef = check_array_input(coef, "coef", ndim=1, dtype=np.float64)
        if coef.shape[0] != self.n_features:
            raise ValueError(f"coef must have n_features={self.n_features} entries, got "
                             f"{coef.shape[0]}.")
        if clip_norm is not None and not (isinstance(clip_norm, int | float | np.floating)
                                          and clip_norm > 0):
            raise ValueError(f"clip_norm must be > 0 (np.inf: no clipping), got {clip_norm!r}.")
        if log_range is not None and not (len(log_range) == 2 and log_range[0] < log_range[1]):
            raise ValueError(f"log_range must be (low, high) with low < high, got {log_range}.")
        return coef

    def report(self, X, y, coef=None, clip_norm=None, log_range=None, *, random_state=None,
               first_user=0):
        """Randomised reports of a batch of users (one row each).

        Parameters
        ----------
        X : array-like of shape (n_users, n_features)
            The users' features.
        y : array-like of shape (n_users,)
            Their targets.
        coef : array-like of shape (n_features,), optional
            The broadcast iterate (``mode="iht"``).
        clip_norm : float, optional
            The broadcast gradient clipping radius (``mode="iht"``).
        log_range : (float, float), optional
            The broadcast range of the log-norm (``mode="iht"`` calibration users).
        random_state : None, int or Generator, optional
            Overrides the randomiser's generator for this call.
        first_user : int, default=0
            Position of the first of these users in the protocol's sequence.

        Returns
        -------
        reports : Reports
            What the server receives.
        """
        clean, n_clipped = self.clean_reports(X, y, coef, clip_norm, log_range)
        self.n_clipped_ += n_clipped
        generator = self._generator if random_state is None else random_state
        if self.secure:
            generator = None
        parts = {part: mechanism.randomise(clean[part], random_state=generator)
                 for part, mechanism in self.mechanisms(clip_norm, log_range).items()}
        n_users = next(iter(parts.values())).shape[0]
        return Reports(self.kind(clip_norm, log_range), self.n_features, n_users, parts,
                       self.noise_scales(clip_norm, log_range), first_user=first_user)

    def privatize_one(self, x, y, coef=None, clip_norm=None, log_range=None):
        """One user's randomised report, computed from that user's record only.

        Parameters
        ----------
        x : array-like of shape (n_features,)
            The user's features.
        y : float
            The user's target.
        coef, clip_norm, log_range
            What the server broadcast (``mode="iht"``), as in :meth:`report`.

        Returns
        -------
        report : dict of str to ndarray
            ``{part: randomised 1-D report}``.
        """
        x = check_array_input(x, "x", ndim=1, dtype=np.float64)
        y = check_array_input(np.atleast_1d(y), "y", ndim=1, dtype=np.float64)
        if y.shape != (1,):
            raise ValueError(f"y must be one number (one user's target), got shape {y.shape}.")
        reports = self.report(x[None, :], y, coef, clip_norm, log_range)
        return {part: rows[0] for part, rows in reports.parts.items()}

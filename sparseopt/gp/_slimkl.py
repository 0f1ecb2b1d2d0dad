r"""SLIM-KL: sparse linear multiple kernel learning across agents, :class:`SLIMKLRegressor`."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from sparseopt.gp._base import COMMON_CONSTRAINTS, GaussianPosterior, SpectralGPBase
from sparseopt.gp._fusion import FUSION_RULES, fuse_predictions
from sparseopt.gp._regressor import learned_kernel
from sparseopt.solvers.admm.consensus import consensus_admm
from sparseopt.solvers.admm.pools import DaskPool, SerialPool
from sparseopt.solvers.lmk.distributed import (
    DistributedProblem,
    StatisticsAgent,
    advance_statistics,
)
from sparseopt.solvers.lmk.local import LocalKernelProblem
from sparseopt.solvers.lmk.mm import mm_weights
from sparseopt.utils import get_dask_client

__all__ = ["SLIMKLRegressor"]


def _partition(n_samples, n_agents, how, rng):
    order = rng.permutation(n_samples) if how == "random" else np.arange(n_samples)
    return [np.sort(part) for part in np.array_split(order, n_agents)]


class SLIMKLRegressor(SpectralGPBase):
    r"""SLIM-KL: a sparse grid spectral mixture GP learned by agents that keep their data.

    The training set is split among ``n_agents`` agents (a data centre each,
    or a Dask worker each). They learn one kernel, the weights :math:`w \ge 0`
    of a grid spectral mixture product (:class:`GSMPKernel`) and the noise,
    by minimising the sum of their local objectives (the factorised
    likelihood of distributed GPs)

    .. math:: \min_{w \ge 0,\ \sigma_j^2} \sum_{j=1}^N y_j^\top C_j^{-1} y_j
              + \log\det C_j, \qquad C_j = \sigma_j^2 I + \sum_i w_i K_i^{(j)},

    Two solvers, both keeping the data on the agents:

    - ``solver="mm"`` (default; not the paper's algorithm): in each round the
      coordinator broadcasts :math:`(w, \sigma^2)`, every agent factorises its
      :math:`C_j` and sends its MM statistics :math:`\operatorname{tr}(C_j^{-1}
      K_i^{(j)})` and :math:`\beta_j^\top K_i^{(j)} \beta_j` per active atom
      (plus the two noise statistics and its value :math:`l_j`), and the
      coordinator sums them and takes the MM step of the summed
      objective (:mod:`sparseopt.solvers.lmk.distributed`; the same update,
      SQUAREM acceleration, pruning and KKT stopping rule as
      :class:`GSMPRegressor`). Its iterates are those of the centralised MM,
      so it reaches the centralised minimiser of the summed objective
      (measured: 1.7e-6 to 8.7e-5 relative on 10 seeds where the ADMM
      stalls at about 1e-2, see the user guide). The noise is one variable
      shared by all agents. With quantization the relative innovations of
      the statistics and of the broadcast weights are stochastically rounded
      (the values :math:`l_j` and the noise travel as 64-bit floats, the
      support as a mask), and a stop is confirmed on exact messages.
    - ``solver="admm"``: Suwandi et al.'s quantized consensus ADMM: in each
      round every agent takes a few DSCA steps on its ADMM-augmented
      objective and sends its stochastically quantized weights; the
      coordinator averages, projects on :math:`w \ge 0`, quantizes and
      broadcasts; multipliers are updated on both sides and :math:`\rho` is
      balanced between the primal and dual residuals. Only quantized weight
      vectors (plus the penalty and a local objective value per round, as
      floats) travel; each agent may learn its own noise. Known defect: on
      grids of overlapping atoms it stalls short of the centralised optimum
      (relative gap about 1e-2, ill-conditioning; see the user guide).

    Predictions combine the agents' local GPs with the learned kernel by
    the chosen fusion rule.

    Parameters
    ----------
    n_agents : int, default=4
        Number of agents :math:`N`.
    solver : {"mm", "admm"}, default="mm"
        Exchange the MM statistics (reaches the centralised optimum) or run
        the paper's consensus ADMM (see above).
    rho : float, default=1.0
        Initial ADMM penalty (balanced during the fit; ``"admm"`` only).
    quantization_step : float, default=None
        Fixed quantization step :math:`\Delta` of the messages: the weights
        (the paper's; in units of the scaled target variance), ``"admm"``
        only: with ``"mm"`` a fixed step on the statistics' relative
        changes keeps a rounding error that never shrinks, and the MM does
        not settle (measured), so it is refused. None: see
        ``quantization_bits``.
    quantization_bits : int, default=None
        Bits per entry of a message, with the step relative to each
        message's range. Both None: no quantization (64-bit floats).
    backend : {"serial", "dask"}, default="serial"
        Run the agents in this process, or one per Dask worker (their data
        built and kept on it).
    client : distributed.Client, default=None
        Cluster of the Dask backend (default: the active client).
    fusion : {"gpoe", "poe", "bcm", "rbcm"}, default="gpoe"
        How the agents' predictions are combined (see the user guide).
    partition : {"random", "contiguous"}, default="random"
        How samples are assigned to agents (contiguous blocks of a time
        series make each agent extrapolate far from its data).
    n_components, n_scales, grid, noise_floor, normalize_y
        As in :class:`GSMPRegressor`.
    noise : "learn" or float, default="learn"
        Fix the noise variance, or learn it: with ``"mm"`` one noise shared
        by the agents (its two statistics travel), with ``"admm"`` each
        agent its own (a local nuisance parameter that never travels;
        Suwandi et al. fix it).
    tol : float, default=1e-3
        ``"mm"``: the stationarity tolerance of :class:`GSMPRegressor`
        (largest log-weight derivative over :math:`\sum_i w_i t_i`; 1e-3
        can leave a relative objective gap of 1e-2 on ill-conditioned grids,
        1e-5 left at most 9e-5 in our measurements); ``"admm"``: relative
        ADMM tolerance :math:`\epsilon_{rel}` (see
        :func:`~sparseopt.solvers.admm.consensus.consensus_admm`).
    max_iter : int, default=None
        Maximum number of MM steps (500; SQUAREM's trial points add rounds)
        or ADMM rounds (100).
    local_max_iter : int, default=3
        SCA steps of each agent per round (``"admm"`` only).
    n_blocks : int, default=1
        DSCA blocks of the local step (``"admm"`` only).
    random_state : int, RandomState instance or None, default=None
        Seeds the partition, a random grid and the quantizers.
    verbose : int, default=0
        Print the residuals while fitting.

    Attributes
    ----------
    weights_ : ndarray of shape (A,)
        Consensus weights (scaled units).
    active_components_ : ndarray of int
        Indices of the non-zero weights.
    means_, scales_ : ndarray of shape (A, n_features)
        The grid.
    noise_variance_ : float
        Mean of the agents' noise variances, in the units of ``y`` squared.
    local_noise_variances_ : ndarray of shape (n_agents,)
        Each agent's noise variance (all equal with ``"mm"``; learned locally
        with ``"admm"`` and ``noise="learn"``).
    kernel_ : sklearn kernel
        The consensus kernel (scaled units) plus the mean white noise.
    log_marginal_likelihood_ : float
        Factorised log likelihood :math:`\sum_j \log p(y_j)` of the scaled
        targets at the consensus weights (each agent with its noise).
    n_iter_ : int
        Communication rounds (one broadcast and one message per agent each).
    history_ : ConvergenceHistory
        ``"mm"``: the summed objective :math:`\sum_j l_j` (exact, ending at
        the returned weights) and the stationarity per MM point;
        ``"admm"``: the sum of the local ADMM objectives and the residual
        ratio per round.
    bits_communicated_ : int
        Bits sent, up and down, over the whole fit.
    bits_unquantized_ : int
        What the same messages cost as 64-bit floats.
    partitions_ : list of ndarray of int
        Training samples of each agent.
    n_features_in_ : int
        Number of features seen during fit.

    References
    ----------
    R. C. Suwandi, Z. Lin, F. Yin, Z. Wang, S. Theodoridis, "Sparsity-aware
    distributed learning for Gaussian processes with linear multiple
    kernel", IEEE TNNLS, 2024. M. P. Deisenroth and J. W. Ng, "Distributed
    Gaussian processes", ICML 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.gp import SLIMKLRegressor
    >>> t = np.arange(200.0)[:, None]
    >>> y = np.sin(2 * np.pi * t[:, 0] / 20)
    >>> model = SLIMKLRegressor(n_agents=2, n_components=60, quantization_bits=8,
    ...                         random_state=0).fit(t, y)
    >>> model.bits_communicated_ < model.bits_unquantized_
    True
    """

    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        "n_agents": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"admm", "mm"})],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "quantization_step": [Interval(Real, 0, None, closed="neither"), None],
        "quantization_bits": [Interval(Integral, 1, 52, closed="both"), None],
        "backend": [StrOptions({"serial", "dask"})],
        "client": [None, object],
        "fusion": [StrOptions(set(FUSION_RULES))],
        "partition": [StrOptions({"random", "contiguous"})],
        "local_max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_agents=4, *, solver="mm", rho=1.0, quantization_step=None,
                 quantization_bits=None, backend="serial", client=None, fusion="gpoe",
                 partition="random", n_components=300, n_scales=3, grid="uniform", noise="learn",
                 noise_floor=1e-6, tol=1e-3, max_iter=None, local_max_iter=3, n_blocks=1,
                 normalize_y=True, random_state=None, verbose=0):
        self.n_agents = n_agents
        self.solver = solver
        self.rho = rho
        self.quantization_step = quantization_step
        self.quantization_bits = quantization_bits
        self.backend = backend
        self.client = client
        self.fusion = fusion
        self.partition = partition
        self.n_components = n_components
        self.n_scales = n_scales
        self.grid = grid
        self.noise = noise
        self.noise_floor = noise_floor
        self.tol = tol
        self.max_iter = max_iter
        self.local_max_iter = local_max_iter
        self.n_blocks = n_blocks
        self.normalize_y = normalize_y
        self.random_state = random_state
        self.verbose = verbose

    def _pool(self, factory_args, start, options):
        agents = ({} if self.solver == "admm"
                  else {"state": StatisticsAgent, "step": advance_statistics})
        if self.backend == "serial":
            return SerialPool(LocalKernelProblem, factory_args, start, options, **agents)
        client = get_dask_client(self.client)
        if client is None:
            raise ValueError("backend='dask' needs a Dask client: pass client=... or start "
                             "one (distributed.Client()) before fitting.")
        return DaskPool(client, LocalKernelProblem, factory_args, start, options, **agents)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the consensus kernel across the agents.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (at least two per agent).
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.quantization_step is not None and self.quantization_bits is not None:
            raise ValueError("Give at most one of quantization_step and quantization_bits.")
        if self.solver == "mm" and self.quantization_step is not None:
            raise ValueError("quantization_step is the fixed step of solver='admm'; with "
                             "solver='mm' give quantization_bits (a step relative to each "
                             "message, whose rounding error shrinks as the MM settles).")
        X, y = self._validate_training_data(X, y)
        if X.shape[0] < 2 * self.n_agents:
            raise ValueError(f"X has {X.shape[0]} samples: n_agents={self.n_agents} agents need "
                             "at least two each.")
        rng = check_random_state(self.random_state)
        means, scales = self._make_grid(X)
        seed = int(rng.randint(0, 2 ** 31 - 1))
        parts = _partition(X.shape[0], self.n_agents, self.partition, rng)
        noise, learn, floor = self._noise_start()
        n_atoms = means.shape[0]
        weights = self._start_weights(n_atoms, noise)
        local_start = np.append(weights, noise) if learn else weights
        factory_args = [(X[p], y[p], means, scales, noise, learn, floor, self.local_max_iter,
                         self.n_blocks) for p in parts]
        options = {"step": self.quantization_step, "bits": self.quantization_bits,
                   "seed": seed}
        pool = self._pool(factory_args, local_start, options)
        try:
            if self.solver == "mm":
                weights, noise, info = self._fit_mm(pool, weights, noise, learn, floor, seed)
                noises, objective = np.full(self.n_agents, noise), info["objective"]
            else:
                weights, info = consensus_admm(
                    pool, weights, rho=self.rho, tol=self.tol,
                    max_iter=100 if self.max_iter is None else self.max_iter,
                    step=self.quantization_step, bits=self.quantization_bits, seed=seed,
                    verbose=self.verbose)
                final = pool.evaluate(weights)
                noises = np.array([local[n_atoms] if learn else noise for _, local in final])
                objective = sum(value for value, _ in final)
        finally:
            pool.close()
        self._store(X, y, parts, weights, means, scales, noises, info, objective)
        return self

    def _fit_mm(self, pool, weights, noise, learn, floor, seed):
        """The centralised MM of the summed objective, one statistics round per step;
        with quantized statistics, the stop is confirmed (or the MM finished) on exact ones."""
        quantizer = None
        if self.quantization_bits is not None:
            quantizer = {"step": None, "bits": self.quantization_bits, "seed": seed}
        problem = DistributedProblem(pool, weights.size, quantizer)
        max_iter = 500 if self.max_iter is None else self.max_iter
        options = {"learn_noise": learn, "noise_floor": floor, "tol": self.tol,
                   "verbose": self.verbose}
        weights, noise, info = mm_weights(problem, weights, noise, max_iter=max_iter, **options)
        quantized = self.quantization_step is not None or self.quantization_bits is not None
        if quantized and info["converged"]:
            history, done = info["history"], info["n_iter"]
            problem.exact = True
            weights, noise, info = mm_weights(problem, weights, noise,
                                              max_iter=max_iter - done, **options)
            for row in zip(info["history"].iterations, info["history"].objectives,
                           info["history"].criteria, strict=True):
                history.append(done + row[0], *row[1:])
            info["history"] = history
        info.update(n_iter=problem.rounds, bits=problem.bits,
                    bits_unquantized=problem.bits_unquantized)
        return weights, noise, info

    def _store(self, X, y, parts, weights, means, scales, noises, info, objective):
        self.weights_ = weights
        self.active_components_ = np.flatnonzero(weights)
        self.means_, self.scales_ = means, scales
        noise = float(np.mean(noises))
        self._noise = noise
        self.local_noise_variances_ = noises * self._y_train_std ** 2
        self.noise_variance_ = noise * self._y_train_std ** 2
        self.kernel_ = learned_kernel(weights, means, scales, noise)
        self.log_marginal_likelihood_ = -0.5 * (objective + X.shape[0] * np.log(2.0 * np.pi))
        self.n_iter_ = info["n_iter"]
        self.history_ = info["history"]
        self.bits_communicated_ = int(info["bits"])
        self.bits_unquantized_ = int(info["bits_unquantized"])
        self.partitions_ = parts
        self._experts = [GaussianPosterior(X[p], y[p], weights, means, scales, local_noise)
                         for p, local_noise in zip(parts, noises, strict=True)]
        if not info["converged"]:
            what = ("ADMM rounds: residual ratio" if self.solver == "admm"
                    else f"MM rounds: stationarity (tol={self.tol:.1e})")
            warnings.warn(
                f"SLIMKLRegressor did not converge in {self.n_iter_} {what} "
                f"{self.history_.criteria[-1]:.3e}. Increase max_iter or tol.",
                ConvergenceWarning, stacklevel=3)

    def predict(self, X, return_std=False):
        """Fused predictive distribution of the targets (noise included).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Query points.
        return_std : bool, default=False
            Also return the predictive standard deviation.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
        y_std : ndarray of shape (n_samples,)
            Only if ``return_std``.
        """
        X = self._check_predict_input(X)
        prior = self._experts[0].prior_variance
        if prior > 0:
            local = [expert.predict(X) for expert in self._experts]
            mean, variance = fuse_predictions(np.array([m for m, _ in local]),
                                              np.array([v for _, v in local]), prior,
                                              self.fusion)
        else:  # no active atom: the latent function is 0
            mean, variance = np.zeros(X.shape[0]), np.zeros(X.shape[0])
        mean, variance = self._unscale(mean, variance + self._noise, 2)
        return (mean, np.sqrt(variance)) if return_std else mean

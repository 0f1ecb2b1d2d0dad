r"""Generators of He & Joseph's experiments: Kronecker-sparse recovery and IRS-MIMO channels."""

import numbers

import numpy as np
from sklearn.utils import Bunch

from sparseopt.core.kronecker import kron_mode_products
from sparseopt.utils.validation import check_array_input, check_integer, check_scalar

__all__ = ["make_kronecker_sparse", "make_irs_channel", "irs_channel_nmse"]


def _per_factor(value, name, n_factors):
    values = list(value) if isinstance(value, list | tuple | np.ndarray) else [value] * n_factors
    if len(values) != n_factors:
        raise ValueError(f"{name} must be an int or one int per factor ({n_factors}), "
                         f"got {len(values)} values.")
    return [check_integer(v, f"{name}[{i}]", lower=1) for i, v in enumerate(values)]


def _complex_normal(rng, size):
    return (rng.standard_normal(size) + 1j * rng.standard_normal(size)) / np.sqrt(2.0)


def make_kronecker_sparse(n_rows=(8, 12, 15), n_columns=15, n_nonzero=3, *, snr_db=25.0,
                          complex_data=False, random_state=None):
    r"""He & Joseph's synthetic Kronecker-sparse recovery problem.

    :math:`y = (A_1 \otimes \cdots \otimes A_I)\,x + e` with Gaussian factors
    :math:`A_i \in \mathbb R^{m_i \times N_i}` (standard normal entries),
    :math:`x = x_1 \otimes \cdots \otimes x_I` where each :math:`x_i` has
    ``n_nonzero`` standard normal entries at random positions, and white
    noise of variance :math:`\sigma^2 = \overline{|Ax|^2} / 10^{\mathrm{SNR}/10}`.
    The defaults are the paper's (I = 3, N_i = 15, M = 8 * 12 * 15 = 1440,
    3 non-zeros per factor, hence 27 in :math:`x`).

    Parameters
    ----------
    n_rows : sequence of int, default=(8, 12, 15)
        Rows :math:`m_i` of each factor (their number is :math:`I`).
    n_columns : int or sequence of int, default=15
        Columns :math:`N_i`.
    n_nonzero : int or sequence of int, default=3
        Non-zeros of each :math:`x_i`, at most :math:`N_i`.
    snr_db : float, default=25.0
        Signal-to-noise ratio in dB; ``np.inf`` for noiseless data.
    complex_data : bool, default=False
        Circular complex Gaussian factors, coefficients and noise instead.
    random_state : int, numpy Generator or None, default=None
        Seed.

    Returns
    -------
    data : Bunch
        ``factors`` (list of :math:`A_i`), ``y``, ``coef`` (:math:`x`),
        ``noise_variance`` (:math:`\sigma^2`), ``factor_supports`` (sorted
        support of each :math:`x_i`), ``snr_db``.

    References
    ----------
    Y. He and G. Joseph, IEEE TSP 2024, Section VI-A (official MATLAB code:
    ``YanbinHe/JournalKroSBL``, ``KroSBL_f/noisy_compare.m``).

    Examples
    --------
    >>> from sparseopt.datasets import make_kronecker_sparse
    >>> data = make_kronecker_sparse(random_state=0)
    >>> [f.shape for f in data.factors], data.y.shape, int((data.coef != 0).sum())
    ([(8, 15), (12, 15), (15, 15)], (1440,), 27)
    """
    rng = np.random.default_rng(random_state)
    n_rows = [check_integer(m, f"n_rows[{i}]", lower=1) for i, m in enumerate(n_rows)]
    n_factors = len(n_rows)
    if n_factors == 0:
        raise ValueError("n_rows must list at least one factor.")
    n_columns = _per_factor(n_columns, "n_columns", n_factors)
    n_nonzero = _per_factor(n_nonzero, "n_nonzero", n_factors)
    for i, (k, size) in enumerate(zip(n_nonzero, n_columns, strict=True)):
        if k > size:
            raise ValueError(f"n_nonzero[{i}] = {k} exceeds n_columns[{i}] = {size}.")
    snr_db = np.inf if snr_db == np.inf else check_scalar(snr_db, "snr_db")
    draw = (lambda size: _complex_normal(rng, size)) if complex_data else rng.standard_normal
    factors = [draw((m, size)) for m, size in zip(n_rows, n_columns, strict=True)]
    supports, coef = [], np.ones(1)
    for k, size in zip(n_nonzero, n_columns, strict=True):
        support = np.sort(rng.choice(size, k, replace=False))
        factor_coef = np.zeros(size, dtype=np.complex128 if complex_data else np.float64)
        factor_coef[support] = draw(k)
        supports.append(support)
        coef = np.kron(coef, factor_coef)
    clean = kron_mode_products(factors, coef)
    noise_variance = 0.0
    if np.isfinite(snr_db):
        noise_variance = float(np.mean(np.abs(clean) ** 2)) / 10.0 ** (snr_db / 10.0)
    y = clean + np.sqrt(noise_variance) * draw(clean.shape[0])
    return Bunch(factors=factors, y=y, coef=coef, noise_variance=noise_variance,
                 factor_supports=supports, snr_db=snr_db)


def _steering_grid(n_elements, grid_size):
    """Uniform linear array responses on the grid ``2 k / G - 1`` (k = 0..G-1)."""
    angles = 2.0 * np.arange(grid_size) / grid_size - 1.0
    return np.exp(1j * np.pi * np.outer(np.arange(n_elements), angles)) / np.sqrt(n_elements)


def make_irs_channel(snr_db=12.0, *, n_ms=6, n_bs=16, n_irs=256, grid_size=18, n_pilots=3,
                     n_patterns=6, angle_spread=3, random_state=None, pilot_random_state=0):
    r"""He & Joseph's uplink IRS-aided MIMO channel estimation problem.

    A mobile station (``n_ms`` antennas) sends ``n_pilots`` QPSK pilots
    :math:`X` through an intelligent reflecting surface (``n_irs`` elements)
    to a base station (``n_bs`` antennas), under ``n_patterns`` random
    :math:`\pm 1` reflection patterns :math:`\psi_t`. The MS-IRS channel
    :math:`H_1` has one departure angle at the MS and ``angle_spread``
    contiguous arrival angles at the IRS; the IRS-BS channel :math:`H_2` one
    departure angle at the IRS and ``angle_spread`` contiguous arrival angles
    at the BS, all on ``grid_size``-point grids, with CN(0, 1) path gains.
    The received pilots :math:`\mathrm{vec}(H_2\,\mathrm{diag}(\psi_t)\,H_1X)`
    stacked over the patterns are exactly

    .. math:: y = (\Psi^\top D \otimes X^\top \bar A_{MS} \otimes A_{BS})\,x +
              e,

    with the ULA dictionaries :math:`A_{MS}, A_{BS}`, the IRS cascade
    dictionary :math:`D` (columns :math:`e^{-2\pi i kn/G}/N_{IRS}`) and a
    block-sparse :math:`x` (``angle_spread`` x 1 x ``angle_spread``
    non-zeros, contiguous in the first and last factors, hence
    pattern-coupled SBL). Noise is circular complex Gaussian with variance
    (mean received power) / 10^(SNR/10). The defaults are the paper's
    (M = 6 * 3 * 16 = 288 rows, N = 18^3 = 5832 columns).

    Parameters
    ----------
    snr_db : float, default=12.0
        Signal-to-noise ratio in dB. The same ``random_state`` gives the same
        channel, pilots and patterns at every SNR (only the noise level
        changes), as in the paper's sweep.
    n_ms, n_bs, n_irs : int, default=6, 16, 256
        Antennas at the mobile station and the base station, IRS elements.
    grid_size : int, default=18
        Points of every angle grid.
    n_pilots : int, default=3
        Pilot symbols per pattern.
    n_patterns : int, default=6
        IRS reflection patterns.
    angle_spread : int, default=3
        Contiguous arrival angles at the IRS and at the BS.
    random_state : int, numpy Generator or None, default=None
        Seed of the channel (angles and path gains) and the noise.
    pilot_random_state : int, numpy Generator or None, default=0
        Seed of the pilots and reflection patterns. The paper draws them once
        and keeps them across trials (only the channel and the noise change),
        hence a fixed default.

    Returns
    -------
    data : Bunch
        ``factors`` ``[Psi^T D, X^T conj(A_MS), A_BS]``; ``y``; ``coef``
        (:math:`x`, complex, ``grid_size**3``); ``noise_variance``;
        ``channel`` (shape ``(n_patterns, n_bs * n_ms)``, row :math:`t` is
        :math:`\mathrm{vec}(H_2\,\mathrm{diag}(\psi_t)\,H_1)` computed from
        :math:`H_1, H_2` directly); ``channel_factors`` ``[Psi^T D,
        conj(A_MS), A_BS]`` (so that the cascaded channels of an estimate
        :math:`\hat x` are ``kron(channel_factors) @ x_hat``); ``support``;
        ``snr_db``.

    References
    ----------
    Y. He and G. Joseph, IEEE TSP 2024, Section VII (official MATLAB code:
    ``YanbinHe/JournalKroSBL``, ``PC-KroSBL/main.m``).

    Examples
    --------
    >>> from sparseopt.datasets import make_irs_channel
    >>> data = make_irs_channel(random_state=0)
    >>> [f.shape for f in data.factors], int((data.coef != 0).sum())
    ([(6, 18), (3, 18), (16, 18)], 9)
    """
    rng = np.random.default_rng(random_state)
    if isinstance(pilot_random_state, numbers.Integral):
        check_integer(pilot_random_state, "pilot_random_state", lower=0)
    elif pilot_random_state is not None and not isinstance(pilot_random_state,
                                                           np.random.Generator):
        raise TypeError("pilot_random_state must be None, a non-negative int or a "
                        f"numpy Generator, got {type(pilot_random_state).__name__}.")
    setup_rng = np.random.default_rng(pilot_random_state)
    sizes = {name: check_integer(value, name, lower=1) for name, value in [
        ("n_ms", n_ms), ("n_bs", n_bs), ("n_irs", n_irs), ("grid_size", grid_size),
        ("n_pilots", n_pilots), ("n_patterns", n_patterns), ("angle_spread", angle_spread)]}
    if sizes["angle_spread"] > grid_size:
        raise ValueError(f"angle_spread ({angle_spread}) exceeds grid_size ({grid_size}).")
    snr_db = check_scalar(snr_db, "snr_db")
    G, spread = grid_size, angle_spread
    qpsk = (setup_rng.choice([-1.0, 1.0], (n_ms, n_pilots))
            + 1j * setup_rng.choice([-1.0, 1.0], (n_ms, n_pilots))) / np.sqrt(2.0)
    pilots = qpsk / np.sqrt(n_ms)
    patterns = setup_rng.choice([-1.0, 1.0], (n_irs, n_patterns)) / np.sqrt(n_irs)
    departure_ms = rng.integers(G)
    arrival_irs = rng.integers(G - spread + 1) + np.arange(spread)
    departure_irs = rng.integers(G)
    arrival_bs = rng.integers(G - spread + 1) + np.arange(spread)
    A_bs, A_irs, A_ms = (_steering_grid(n, G) for n in (n_bs, n_irs, n_ms))
    gains_irs = _complex_normal(rng, spread)
    gains_bs = _complex_normal(rng, spread)
    scale_1 = np.sqrt(n_ms * n_irs / spread)
    scale_2 = np.sqrt(n_bs * n_irs / spread)
    H2 = scale_2 * np.outer(A_bs[:, arrival_bs] @ gains_bs, A_irs[:, departure_irs].conj())
    H1 = scale_1 * np.outer(A_irs[:, arrival_irs] @ gains_irs, A_ms[:, departure_ms].conj())
    for t in range(n_patterns):  # the paper redraws a pattern that cancels the channel
        while np.linalg.norm(H2 @ (patterns[:, t, None] * H1)) < 1e-5:
            patterns[:, t] = setup_rng.choice([-1.0, 1.0], n_irs) / np.sqrt(n_irs)
    cascade = np.exp(-2j * np.pi * np.outer(np.arange(n_irs), np.arange(G)) / G) / n_irs
    pattern_factor = patterns.T @ cascade
    factors = [pattern_factor, pilots.T @ A_ms.conj(), A_bs]
    coef = np.zeros((G, G, G), dtype=np.complex128)
    for a, gain_a in zip(arrival_irs, gains_irs, strict=True):
        coef[(departure_irs - a) % G, departure_ms, arrival_bs] = scale_1 * scale_2 * gain_a * \
            gains_bs
    coef = coef.ravel()
    clean = kron_mode_products(factors, coef)
    noise_variance = float(np.mean(np.abs(clean) ** 2)) / 10.0 ** (snr_db / 10.0)
    y = clean + np.sqrt(noise_variance) * _complex_normal(rng, clean.shape[0])
    channel = np.stack([(H2 @ (patterns[:, t, None] * H1)).ravel(order="F")
                        for t in range(n_patterns)])
    return Bunch(factors=factors, y=y, coef=coef, noise_variance=noise_variance, channel=channel,
                 channel_factors=[pattern_factor, A_ms.conj(), A_bs],
                 support=np.flatnonzero(coef), snr_db=snr_db)


def irs_channel_nmse(data, coef):
    r"""The paper's cascaded-channel NMSE of an estimate :math:`\hat x`.

    :math:`\frac1T\sum_t \|\hat H_t - H_t\|_F^2 / \|H_t\|_F^2` over the
    ``T`` reflection patterns, with :math:`\hat H_t` from
    ``data.channel_factors`` and the true :math:`H_t` from ``data.channel``.

    Parameters
    ----------
    data : Bunch
        The output of :func:`make_irs_channel`.
    coef : array-like of shape (grid_size**3,)
        Estimate of ``data.coef``.

    Returns
    -------
    nmse : float
    """
    coef = check_array_input(coef, "coef", ndim=1, allow_complex=True).astype(np.complex128)
    if coef.shape != data.coef.shape:
        raise ValueError(f"coef must have shape {data.coef.shape}, got {coef.shape}.")
    estimate = kron_mode_products(data.channel_factors, coef).reshape(data.channel.shape)
    errors = np.sum(np.abs(estimate - data.channel) ** 2, axis=1)
    return float(np.mean(errors / np.sum(np.abs(data.channel) ** 2, axis=1)))

"""Sampling for ``secure=True``: operating-system entropy and lattice noise.

Two weaknesses of the usual floating-point samplers are removed here:

* the randomness comes from :func:`os.urandom` (the operating system's
  cryptographically secure generator), not from a seeded pseudo-random
  generator whose state could be guessed or replayed;
* additive noise is an integer multiple of a power-of-two lattice step
  ``gamma`` and the input is rounded to the same lattice first, so every
  output is an exactly representable lattice point. Mironov's attack
  ("On significance of the least significant bits for differential
  privacy", CCS 2012) reads the input off the low-order bits of
  ``x + noise`` when ``noise`` is a floating-point sample; on the lattice
  there are no such bits to read.

The lattice noise is the discrete Gaussian (Canonne, Kamath & Steinke,
"The discrete Gaussian for differential privacy", NeurIPS 2020, Algorithm 3:
rejection from a discrete Laplace) or the discrete Laplace (difference of two
geometric variables). The acceptance and geometric probabilities are
evaluated in double precision, so each draw follows its law up to a relative
error of about ``2**-52`` per probability (a total-variation distance below
``1e-15``); this is stated in the mechanisms' documentation.
"""

import os

import numpy as np
from scipy.optimize import brentq, minimize_scalar

# Lattice step relative to the noise scale: 2**-20 keeps the rounding of the
# input (which adds gamma * sqrt(dim) to the sensitivity) below 1e-4 of the
# sensitivity for a 1275-entry report, and the lattice noise within integers
# that double precision represents exactly.
LATTICE_BITS = 20


def secure_uniform(size):
    """Uniform draws in ``(0, 1)`` from 53 random bits of :func:`os.urandom`."""
    count = int(np.prod(size))
    words = np.frombuffer(os.urandom(8 * count), dtype=np.uint64) >> np.uint64(11)
    return ((words.astype(np.float64) + 0.5) * 2.0**-53).reshape(size)


def secure_standard_normal(size):
    """Standard normal draws (Box-Muller on :func:`secure_uniform`)."""
    count = int(np.prod(size))
    half = (count + 1) // 2
    radius = np.sqrt(-2.0 * np.log(secure_uniform(half)))
    angle = 2.0 * np.pi * secure_uniform(half)
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:count].reshape(size)


def lattice_step(scale):
    """Power-of-two lattice step about ``scale * 2**-LATTICE_BITS``."""
    return 2.0 ** (np.floor(np.log2(scale)) - LATTICE_BITS)


def round_to_lattice(values, gamma):
    """``values`` rounded to the nearest multiple of ``gamma`` (exact: gamma is a power of 2)."""
    return np.round(np.asarray(values, dtype=np.float64) / gamma) * gamma


def _geometric(q_log, size):
    """Geometric variables on {0, 1, ...} with P(k) = (1 - q) q**k, ``q_log = log q``."""
    return np.floor(np.log(secure_uniform(size)) / q_log)


def discrete_laplace(scale, size):
    """Integers with P(k) proportional to exp(-|k| / scale)."""
    q_log = -1.0 / scale
    return _geometric(q_log, size) - _geometric(q_log, size)


def discrete_gaussian(sigma, size):
    """Integers with P(k) proportional to exp(-k**2 / (2 sigma**2)) (CKS20, Algorithm 3)."""
    count = int(np.prod(size))
    t = np.floor(sigma) + 1.0
    out = np.empty(count)
    missing = np.arange(count)
    while missing.size:
        proposal = discrete_laplace(t, missing.size)
        accept = secure_uniform(missing.size) < np.exp(
            -((np.abs(proposal) - sigma**2 / t) ** 2) / (2.0 * sigma**2))
        out[missing[accept]] = proposal[accept]
        missing = missing[~accept]
    return out.reshape(size)


# --------------------------------------------------------------------------
# zero-concentrated DP: the discrete Gaussian's privacy accounting
# --------------------------------------------------------------------------
def zcdp_delta(epsilon, rho):
    r"""Smallest delta of an (epsilon, delta)-DP guarantee implied by rho-zCDP.

    Canonne, Kamath & Steinke (2020), Corollary 13:
    :math:`\delta = \inf_{\alpha > 1} \frac{e^{(\alpha-1)(\alpha\rho - \varepsilon)}}{\alpha - 1}
    (1 - 1/\alpha)^{\alpha}`.
    """
    if rho == 0.0:
        return 0.0

    def log_delta(log_alpha_minus_one):
        alpha = 1.0 + np.exp(log_alpha_minus_one)
        return ((alpha - 1.0) * (alpha * rho - epsilon) - np.log(alpha - 1.0)
                + alpha * np.log1p(-1.0 / alpha))

    best = minimize_scalar(log_delta, bounds=(-30.0, 30.0), method="bounded",
                           options={"xatol": 1e-12})
    return float(min(np.exp(best.fun), 1.0))


def discrete_gaussian_sigma(epsilon, delta, sensitivity):
    """Smallest sigma of the discrete Gaussian giving (epsilon, delta)-DP through zCDP.

    The discrete Gaussian with l2 sensitivity ``sensitivity`` (in lattice
    units) is ``sensitivity**2 / (2 sigma**2)``-zCDP in any dimension
    (CKS20, Theorem 14), converted with :func:`zcdp_delta`.
    """
    def excess(log_sigma):
        rho = sensitivity**2 / (2.0 * np.exp(2.0 * log_sigma))
        return np.log(zcdp_delta(epsilon, rho)) - np.log(delta)

    low = np.log(sensitivity) - 10.0
    high = np.log(sensitivity) + 2.0
    while excess(high) > 0:
        high += 2.0
    return float(np.exp(brentq(excess, low, high, xtol=1e-13)))

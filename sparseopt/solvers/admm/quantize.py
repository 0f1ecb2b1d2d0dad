r"""Unbiased stochastic-rounding quantizer of ADMM messages, with bit accounting.

With step :math:`\Delta` and offset :math:`a`, an entry :math:`x` is sent as
the integer :math:`k = \lfloor (x - a)/\Delta \rfloor + B`, with
:math:`B \sim \mathrm{Bernoulli}((x - a)/\Delta - \lfloor (x - a)/\Delta
\rfloor)`, and received as :math:`a + k\Delta`: :math:`\mathbb E[Q(x)] = x`
and :math:`|Q(x) - x| < \Delta` (Suwandi et al.'s quantizer, whose offset
is 0). Either a fixed step (the paper's :math:`\Delta`; offset 0) or a bit
budget :math:`b` (offset :math:`\min x`, step :math:`(\max x - \min x) /
(2^b - 1)`, relative to the message's own range) is given. A message costs
:math:`d \lceil \log_2 L \rceil` bits for :math:`L` levels, plus a 128-bit
header (offset and step) when quantized, against :math:`64d` unquantized.
"""

import numpy as np

__all__ = ["message_bits", "quantize", "rounding_rng"]

_HEADER_BITS = 128
_FLOAT_BITS = 64


def rounding_rng(seed, round_index, agent):
    """The generator of one message's random rounding, seeded by (``seed``, round,
    sender): any backend, and any recomputation of a round, draws the same bits.
    ``agent`` is the sender's number, -1 for the coordinator."""
    return np.random.default_rng([seed, round_index, agent + 1])


def quantize(x, rng, *, step=None, bits=None):
    """Stochastic rounding of ``x`` (no quantization when both are None).

    Parameters
    ----------
    x : ndarray of shape (d,)
        The message.
    rng : numpy.random.Generator
        Source of the random rounding (seeded by the caller).
    step : float, optional
        Fixed step :math:`\\Delta > 0` (offset 0).
    bits : int, optional
        Bits per entry :math:`b \\ge 1` (offset and step from the range of ``x``).

    Returns
    -------
    quantized : ndarray of shape (d,)
        :math:`Q(x)`, unbiased.
    n_bits : int
        Cost of the message in bits.
    """
    x = np.asarray(x, dtype=np.float64)
    if step is None and bits is None:
        return x.copy(), _FLOAT_BITS * x.size
    if bits is not None:
        offset = float(x.min())
        spread = float(x.max()) - offset
        step = spread / (2 ** bits - 1) if spread > 0 else 1.0
    else:
        offset = 0.0
    position = (x - offset) / step
    lower = np.floor(position)
    rounded = lower + (rng.random(x.shape) < position - lower)
    return offset + rounded * step, message_bits(rounded, bits)


def message_bits(levels, bits=None):
    """Bits of a quantized message whose entries are the integers ``levels``."""
    if bits is None:
        span = float(np.max(levels, initial=0.0) - np.min(levels, initial=0.0))
        bits = max(1, int(np.ceil(np.log2(span + 1.0)))) if span > 0 else 1
    return int(bits) * np.size(levels) + _HEADER_BITS

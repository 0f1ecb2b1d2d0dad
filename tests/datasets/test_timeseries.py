"""Vendored time series of the GP family: Mauna Loa CO2 (weekly) and airline passengers."""

import numpy as np
import pytest

from sparseopt.datasets import load_airline, load_co2


def test_co2_is_weekly_in_time_order_with_its_gaps_documented():
    kept = load_co2(missing="keep")
    filled = load_co2()
    assert kept.data.shape == filled.data.shape == (2284,)
    assert int(np.isnan(kept.data).sum()) == 59 == int(filled.missing.sum())
    np.testing.assert_array_equal(np.isnan(kept.data), filled.missing)
    assert not np.isnan(filled.data).any()
    np.testing.assert_array_equal(kept.data[~kept.missing], filled.data[~filled.missing])
    # equally spaced weeks: 7 days in years of 365.25 days
    np.testing.assert_allclose(np.diff(filled.time), 7 / 365.25, rtol=1e-9)
    assert np.all(np.diff(filled.dates).astype(int) == 7)
    # interpolated values lie between their neighbours
    inside = np.flatnonzero(filled.missing[1:-1]) + 1
    lower = np.minimum(filled.data[inside - 1], filled.data[inside + 1])
    upper = np.maximum(filled.data[inside - 1], filled.data[inside + 1])
    assert np.all((filled.data[inside] >= lower - 1e-9) & (filled.data[inside] <= upper + 1e-9))
    assert 310 < filled.data.min() and filled.data.max() < 380
    assert "Mauna Loa" in filled.provenance
    with pytest.raises(ValueError, match="missing must be"):
        load_co2(missing="drop")


def test_airline_passengers_is_the_box_jenkins_series():
    airline = load_airline()
    assert airline.data.shape == (144,)
    assert airline.data[0] == 112 and airline.data[-1] == 432  # Jan 1949, Dec 1960
    np.testing.assert_allclose(np.diff(airline.time), 1 / 12)
    assert str(airline.dates[0]) == "1949-01"
    assert airline.provenance

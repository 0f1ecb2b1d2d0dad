"""Small public time series vendored for the GP family: Mauna Loa CO2 and airline passengers."""

import numpy as np
from sklearn.utils import Bunch

from sparseopt.datasets._loaders import load_vendored_csv

__all__ = ["load_airline", "load_co2"]


def _decimal_year(dates):
    """Years since 1970 + 1970 in units of 365.25 days (equal weeks stay equally spaced)."""
    return 1970.0 + dates.astype(np.int64) / 365.25


def load_co2(missing="interpolate"):
    """Weekly atmospheric CO2 at Mauna Loa, March 1958 to December 2001.

    2284 consecutive weeks (Keeling & Whorf's continuous record, as shipped by
    statsmodels; public domain), 59 of them missing. The GP family's benchmark
    uses the first 1000 weeks: train on 900, forecast the last 100.

    Parameters
    ----------
    missing : {"interpolate", "keep"}, default="interpolate"
        Fill the missing weeks by linear interpolation in time, or keep them
        as NaN.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (ndarray of shape (2284,): CO2 in ppm, in time order),
        ``time`` (decimal years of 365.25 days, so that the weeks are
        equally spaced), ``dates`` (``datetime64[D]``, Saturdays),
        ``missing`` (boolean mask of the weeks that had no measurement) and
        ``provenance``.

    Examples
    --------
    >>> from sparseopt.datasets import load_co2
    >>> co2 = load_co2()
    >>> co2.data.shape, int(co2.missing.sum()), round(float(co2.data[0]), 1)
    ((2284,), 59, 316.1)
    """
    if missing not in ("interpolate", "keep"):
        raise ValueError(f"missing must be 'interpolate' or 'keep', got {missing!r}.")
    table = load_vendored_csv("mauna_loa_co2_weekly.csv")
    codes = table.data[:, 0].astype(np.int64)
    dates = np.array([f"{c // 10000:04d}-{c // 100 % 100:02d}-{c % 100:02d}" for c in codes],
                     dtype="datetime64[D]")
    values = table.data[:, 1].copy()
    absent = np.isnan(values)
    time = _decimal_year(dates)
    if missing == "interpolate":
        values[absent] = np.interp(time[absent], time[~absent], values[~absent])
    return Bunch(data=values, time=time, dates=dates, missing=absent,
                 provenance=table.provenance)


def load_airline():
    """Monthly international airline passengers (thousands), 1949 to 1960.

    The Box & Jenkins series (144 months), as shipped by pmdarima and R's
    ``datasets``.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        ``data`` (ndarray of shape (144,)), ``time`` (decimal years, the start
        of each month), ``dates`` (``datetime64[M]``) and ``provenance``.

    Examples
    --------
    >>> from sparseopt.datasets import load_airline
    >>> air = load_airline()
    >>> air.data.shape, int(air.data[0]), int(air.data[-1])
    ((144,), 112, 432)
    """
    table = load_vendored_csv("airline_passengers.csv")
    year, month = table.data[:, 0].astype(np.int64), table.data[:, 1].astype(np.int64)
    dates = np.array([f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)],
                     dtype="datetime64[M]")
    return Bunch(data=table.data[:, 2].copy(), time=year + (month - 1) / 12.0, dates=dates,
                 provenance=table.provenance)

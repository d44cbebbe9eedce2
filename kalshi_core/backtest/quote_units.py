"""Units of the quote arrays: dollars and contracts as the kernels' integers, times as
nanoseconds, the array type aliases, and the error for input that cannot be put in them.

`QuoteDataError` is defined here, at the bottom of the quote modules, because every one of them
raises it (these unit checks, the gridding, the containers, the frame and tape entry points);
callers import it from `kalshi_core.backtest.quotes`, which re-exports it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from kalshi_core.backtest.fees import COUNT_SCALE, PRICE_SCALE
from kalshi_core.backtest.kernels import STALE, UNCAPPED

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class QuoteDataError(ValueError):
    """Input data the engine cannot use as given (bad columns, prices off the tick, ...)."""


def to_ns(ts: datetime) -> int:
    """Nanoseconds since the epoch (tz-aware, or naive read as UTC)."""
    return int(pd.Timestamp(ts).as_unit("ns").value)


# Elements per chunk of the unit conversions: their temporaries stay in cache.
_UNIT_CHUNK: Final = 1 << 18


def _chunks(n: int) -> range:
    return range(0, n, _UNIT_CHUNK)


def to_price_units(name: str, arr: FloatArray) -> npt.NDArray[np.int32]:
    """Dollars -> integer price units, STALE where not finite. Checked in two passes over
    chunks (the range first, everywhere, then the tick), so the error does not depend on where
    a bad value lies."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        outside = (chunk < 0) | (chunk > 1)  # NaN compares False; +-inf are not prices: stale
        if outside.any() and np.isfinite(chunk[outside]).any():
            raise QuoteDataError(f"{name}: prices must be dollars in [0, 1]")
    out = np.empty(flat.size, dtype=np.int32)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        finite = np.isfinite(chunk)
        scaled = np.where(finite, chunk * PRICE_SCALE, 0.0)
        units = np.rint(scaled)
        if (np.abs(scaled - units) > 1e-6).any():
            raise QuoteDataError(f"{name}: prices must be multiples of $0.0001")
        units[~finite] = STALE
        out[a : a + _UNIT_CHUNK] = units
    return out.reshape(arr.shape)


def to_size_units(name: str, arr: FloatArray) -> IntArray:
    """Contracts -> integer count units, STALE where NaN, UNCAPPED where +inf (two passes over
    chunks, as `to_price_units`)."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    for a in _chunks(flat.size):
        if (flat[a : a + _UNIT_CHUNK] < 0).any():  # -inf included, NaN not
            raise QuoteDataError(f"{name}: sizes must be >= 0")
    out = np.empty(flat.size, dtype=np.int64)
    for a in _chunks(flat.size):
        chunk = flat[a : a + _UNIT_CHUNK]
        finite = np.isfinite(chunk)
        scaled = np.where(finite, chunk * COUNT_SCALE, 0.0)
        units = np.rint(scaled)
        if (np.abs(scaled - units) > 1e-6).any():
            raise QuoteDataError(f"{name}: sizes must be multiples of 0.01 contracts")
        units[~finite] = STALE
        units[np.isposinf(chunk)] = UNCAPPED
        out[a : a + _UNIT_CHUNK] = units
    return out.reshape(arr.shape)

"""Performance metrics: Sharpe on a fixed frequency, drawdown, deflated Sharpe.

Sharpe is computed from the PnL curve sampled at the end of fixed buckets (e.g. hourly),
annualised with the number of such buckets in a year (365.25 days: Kalshi trades every day).
Returns are PnL changes over a constant capital base, so the ratio does not depend on the
capital chosen. Never sqrt(252) on irregular ticks. The frequency may not be finer than the
backtest's grid step (`check_sharpe_freq`): the PnL only moves on grid bars, so finer buckets
would count one return per bar but annualise as if every bucket had one.

The deflated Sharpe ratio follows Bailey & Lopez de Prado (2014), "The Deflated Sharpe Ratio:
Correcting for Selection Bias, Backtest Overfitting and Non-Normality": the probability that the
selected strategy's true Sharpe beats the expected maximum Sharpe of `n_trials` unskilled trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.frequencies import to_offset

EULER_GAMMA = 0.5772156649015329
_YEAR = pd.Timedelta(days=365.25)


class SharpeFrequencyError(ValueError):
    """A Sharpe frequency the backtest grid cannot support (finer than its step)."""


def _freq_text(value: str | pd.Timedelta) -> str:
    """`value` as the user wrote it, or a Timedelta as a short pandas offset ("5min", "1h")."""
    if isinstance(value, str):
        return value
    text = to_offset(value).freqstr
    return text if text[0].isdigit() else f"1{text}"


def check_sharpe_freq(grid_step: str | pd.Timedelta, sharpe_freq: str | pd.Timedelta) -> None:
    """Refuse a Sharpe frequency finer than the grid step.

    The PnL curve changes only on grid bars. With buckets finer than the step (say 1-min
    buckets on a 5-min grid) only one bucket in k = step / freq holds a bar, so the sampled
    curve has one return per bar while `periods_per_year(freq)` annualises as if there were k:
    the Sharpe comes out sqrt(k) too large. At the step or coarser every bucket holds a bar.
    """
    step, freq = pd.Timedelta(grid_step), pd.Timedelta(sharpe_freq)
    if freq <= pd.Timedelta(0):
        raise SharpeFrequencyError("Sharpe frequency must be positive")
    if freq < step:
        g, f = _freq_text(grid_step), _freq_text(sharpe_freq)
        raise SharpeFrequencyError(
            f"sharpe_freq {f} is finer than the backtest grid step {g}: the PnL only changes "
            f"once per {g}, so a Sharpe annualised per {f} would be inflated by "
            f"sqrt({step / freq:g}); use sharpe_freq >= {g} (e.g. 1h), or a grid freq <= {f}"
        )


def bucket_ends(index: pd.DatetimeIndex, freq: str | pd.Timedelta) -> npt.NDArray[np.int64]:
    """Index of the last bar of every `freq` bucket (UTC-aligned) that holds a bar."""
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    buckets = index.floor(pd.Timedelta(freq)).asi8
    change = np.flatnonzero(buckets[1:] != buckets[:-1])
    return np.append(change, len(index) - 1).astype(np.int64)


def periods_per_year(freq: str | pd.Timedelta) -> float:
    step = pd.Timedelta(freq)
    if step <= pd.Timedelta(0):
        raise ValueError("Sharpe frequency must be positive")
    return float(_YEAR / step)


@dataclass(frozen=True, slots=True)
class SharpeStats:
    annualised: float | None
    per_period: float | None
    n_returns: int
    skew: float
    kurtosis: float  # non-excess (normal = 3)


def sharpe_from_pnl(pnl_at_bucket_ends: npt.ArrayLike, freq: str | pd.Timedelta) -> SharpeStats:
    """Sharpe of the per-bucket PnL changes (the curve starts from 0 before the first bucket)."""
    curve = np.asarray(pnl_at_bucket_ends, dtype=np.float64)
    rets = np.diff(np.concatenate(([0.0], curve)))
    n = int(rets.size)
    if n < 2:
        return SharpeStats(None, None, n, 0.0, 3.0)
    sd = float(rets.std(ddof=1))
    if not math.isfinite(sd) or sd <= 1e-12:
        return SharpeStats(None, None, n, 0.0, 3.0)
    mean = float(rets.mean())
    sr = mean / sd
    centred = rets - mean
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5 if m2 > 0 else 0.0
    kurt = float(np.mean(centred**4)) / m2**2 if m2 > 0 else 3.0
    return SharpeStats(sr * math.sqrt(periods_per_year(freq)), sr, n, skew, kurt)


def max_drawdown(pnl: npt.ArrayLike) -> float:
    """Largest fall of the PnL curve from its running peak (the curve starts at 0)."""
    curve = np.concatenate(([0.0], np.asarray(pnl, dtype=np.float64)))
    return float(np.max(np.maximum.accumulate(curve) - curve))


def expected_max_sharpe(n_trials: int, trial_sharpe_variance: float) -> float:
    """E[max SR] of `n_trials` unskilled trials (per-period units)."""
    if n_trials < 2 or trial_sharpe_variance <= 0:
        return 0.0
    z = NormalDist().inv_cdf
    n = float(n_trials)
    return math.sqrt(trial_sharpe_variance) * (
        (1 - EULER_GAMMA) * z(1 - 1 / n) + EULER_GAMMA * z(1 - 1 / (n * math.e))
    )


def deflated_sharpe_ratio(
    sharpe: float,
    n_returns: int,
    skew: float,
    kurtosis: float,
    n_trials: int,
    trial_sharpe_variance: float,
) -> float | None:
    """DSR: P[true SR > E[max SR of n_trials]] given the selected per-period `sharpe`,
    the number of returns it rests on and their skew/kurtosis (non-excess)."""
    if n_returns < 2 or not math.isfinite(sharpe):
        return None
    sr0 = expected_max_sharpe(n_trials, trial_sharpe_variance)
    denom = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if denom <= 0:
        return None
    stat = (sharpe - sr0) * math.sqrt(n_returns - 1) / math.sqrt(denom)
    return NormalDist().cdf(stat)

"""Calibration tables of the real-data report (`calibrate` plus per-band market counts) and
the `calibration_bands` parameter grids chosen from a train-period table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.real_strategy.decimals import decimal_text, ratio
from kalshi_core.analysis.calibration import (
    CalibrationParams,
    CalibrationTrade,
    band_index,
    calibrate,
    exclusion,
)

RETURN_THRESHOLDS = (Decimal(0), Decimal("0.02"), Decimal("0.05"))
MIN_BAND_OBSERVATIONS = 30


def calibration_table(trades: Sequence[CalibrationTrade]) -> dict[str, Any]:
    """`calibrate` with the default parameters, plus per band the markets with a kept print
    there and the share of them that settled YES, each market counted once whatever its
    volume (a mirrored NO side counts as a market of its own)."""
    params = CalibrationParams()
    result = calibrate(trades, params)
    window = timedelta(seconds=params.close_window_s)
    edges = list(params.band_edges)
    markets: list[dict[str, bool]] = [{} for _ in result.bands]
    for t in trades:
        if exclusion(t, window) is None:
            markets[band_index(t.yes_price, edges)][t.ticker] = t.result == "yes"
    return {
        "markets": result.markets,
        "observations": result.observations,
        "contracts": str(result.contracts),
        "brier": decimal_text(result.brier),
        "first": None if result.first_trade_at is None else result.first_trade_at.isoformat(),
        "last": None if result.last_trade_at is None else result.last_trade_at.isoformat(),
        "excluded": result.exclusions,
        "bands": [
            {
                "lower": str(b.lower),
                "upper": str(b.upper),
                "observations": b.observations,
                "markets": len(markets[i]),
                "market_win_rate": ratio(
                    Decimal(sum(markets[i].values())), Decimal(len(markets[i]))
                ),
                "contracts": str(b.contracts),
                "mean_price": decimal_text(b.mean_price),
                "win_rate": decimal_text(b.win_rate),
                "return_after_fees": decimal_text(b.return_after_fees),
            }
            for i, b in enumerate(result.bands)
        ],
    }


def positive_bands(
    table: dict[str, Any], threshold: Decimal, min_observations: int = MIN_BAND_OBSERVATIONS
) -> list[list[str]]:
    """The bands of a calibration table whose return after fees is above `threshold`, with at
    least `min_observations` prints, as `calibration_bands` parameters ([lo, hi] pairs)."""
    return [
        [b["lower"], b["upper"]]
        for b in table["bands"]
        if b["return_after_fees"] is not None
        and Decimal(b["return_after_fees"]) > threshold
        and b["observations"] >= min_observations
    ]


def band_grid(table: dict[str, Any]) -> list[dict[str, Any]]:
    """One sweep combination per distinct band set: for each return threshold, the positive
    bands, and the favourites among them (bands from 0.50 up: the favourite-longshot pattern
    says buy favourites, fixed before looking at the data)."""
    out: list[dict[str, Any]] = []
    for threshold in RETURN_THRESHOLDS:
        bands = positive_bands(table, threshold)
        favourites = [b for b in bands if Decimal(b[0]) >= Decimal("0.50")]
        for chosen in (bands, favourites):
            if chosen and {"bands": chosen} not in out:
                out.append({"bands": chosen})
    return out

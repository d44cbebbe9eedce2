"""Data transforms of the real-data report: each market's NO side listed as a market of its
own (`mirror_tape`, `mirror_meta`, `mirror_calibration_trade`), the close a signal may know
under the report's assumed close rule (`with_close_rule`), and the split of calibration prints
into what was known at the split and what came after it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from bench.real_strategy.decimals import ONE
from kalshi_core.analysis.calibration import CalibrationTrade
from kalshi_core.backtest import MarketMeta

NO_SUFFIX = "~NO"  # ticker of a market's NO side in the mirrored universe
KNOWN_SINCE = datetime(1970, 1, 1, tzinfo=UTC)  # an assumed scheduled close: known at every bar

# --- the NO side as a market of its own ------------------------------------------------------

_FLIP = {"yes": "no", "no": "yes"}


def mirror_tape(frame: pd.DataFrame) -> pd.DataFrame:
    """The tape of each market's NO side, in YES terms of a market `<ticker>~NO`.

    A NO contract at q is a YES contract of the mirror at q: a print at YES price p is one at
    1 - p there, and its taker side flips (a NO-taker bought NO at 1 - p, so the mirror's ask
    was 1 - p; a YES-taker sold NO, hitting the mirror's bid). Unknown sides stay unknown,
    block trades stay block trades; sizes and times are unchanged."""
    out = frame.copy()
    out["market_ticker"] = frame["market_ticker"].astype(str) + NO_SUFFIX
    out["yes_price"] = np.round(1.0 - frame["yes_price"].astype(np.float64), 6)
    side = frame["taker_side"]
    out["taker_side"] = side.map(_FLIP).astype(object).where(side.notna(), None)
    return out


def mirror_meta(meta: MarketMeta) -> MarketMeta:
    """Metadata of the NO side: the result flipped (a scalar pays 1 - value), the rest kept."""
    value = meta.settlement_value
    return meta.model_copy(
        update={
            "ticker": meta.ticker + NO_SUFFIX,
            "result": _FLIP.get(meta.result or "", meta.result),
            "settlement_value": None if value is None else ONE - value,
        }
    )


def mirror_calibration_trade(trade: CalibrationTrade) -> CalibrationTrade:
    """The same print read as the purchase of NO at 1 - p (result flipped)."""
    return CalibrationTrade(
        ticker=trade.ticker + NO_SUFFIX,
        created_time=trade.created_time,
        yes_price=ONE - trade.yes_price,
        count=trade.count,
        result=_FLIP.get(trade.result or "", trade.result),
        close_time=trade.close_time,
        fee_type=trade.fee_type,
        fee_multiplier=trade.fee_multiplier,
    )


def with_close_rule(meta: MarketMeta) -> MarketMeta:
    """The close a signal may know under the report's assumption (not in the data): a close on
    a whole minute is scheduled (known from the start); one with a fractional second is an
    early close, known to no bar."""
    close = meta.close_time
    scheduled = close is not None and close.second == 0 and close.microsecond == 0
    return meta.model_copy(update={"close_times": ((KNOWN_SINCE, close),) if scheduled else ()})


# --- calibration by period ---------------------------------------------------------------------


def known_at_split(trades: Iterable[CalibrationTrade], split: datetime) -> list[CalibrationTrade]:
    """Prints whose outcome a trader knew at the split: made before it, in markets that closed
    before it (the dumps hold no settlement times; a result follows its close)."""
    return [
        t
        for t in trades
        if t.created_time < split and t.close_time is not None and t.close_time <= split
    ]


def made_after_split(trades: Iterable[CalibrationTrade], split: datetime) -> list[CalibrationTrade]:
    """Prints made at or after the split (the out-of-sample calibration)."""
    return [t for t in trades if t.created_time >= split]

"""The loaded recording: series, events, markets, the trade tape and minute candles.

Times are integer microseconds since the epoch, prices integer units of $0.0001, counts
hundredths of a contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
US: Final = 1_000_000
HOUR_US: Final = 3600 * US
DATASETS: Final = ("multi", "nba", "econ")
STATUSES: Final = frozenset(
    {
        "initialized",
        "inactive",
        "active",
        "closed",
        "determined",
        "disputed",
        "amended",
        "finalized",
        "settled",
    }
)
"""Market status values Kalshi returns (`settled`: the older spelling of `finalized`)."""
SETTLED: Final = frozenset({"finalized", "settled"})
RESULTS: Final = frozenset({"yes", "no", ""})


class RecordedDataError(ValueError):
    """A recorded file cannot be served; the message names the file, line and column."""

    def __init__(
        self, path: Path | str, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f": column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line
        self.column = column


def iso_us(us: int) -> str:
    """Microseconds -> RFC 3339 as Kalshi writes it (Go's RFC3339Nano: trailing zeros cut)."""
    seconds, micro = divmod(us, US)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if micro:
        text += "." + f"{micro:06d}".rstrip("0")
    return text + "Z"


@dataclass(frozen=True, slots=True)
class RecordedSeries:
    ticker: str
    title: str
    category: str


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    event_ticker: str
    series_ticker: str
    title: str
    category: str


@dataclass(frozen=True, slots=True)
class RecordedMarket:
    """A market as recorded (times in microseconds, prices in $0.0001, counts in hundredths)."""

    ticker: str
    event_ticker: str
    series_ticker: str
    dataset: str
    title: str | None
    status: str
    open_us: int
    close_us: int
    settled_us: int | None  # None: not settled (closed or determined)
    result: str  # "yes" | "no" | "" (none)
    result_source: str  # "recorded" | "inferred" | "none"
    settlement_bp: int | None
    volume_h: int
    last_bp: int | None
    provenance: str  # which files it came from and what was derived


@dataclass(slots=True)
class TradeTape:
    """Every recorded trade, newest first: position i is the trade's rank (the cursor key).

    Ties in time are ordered by market then trade id, so the order is total and stable."""

    time_us: I64
    market: I64
    price_bp: I64
    count_h: I64
    taker: npt.NDArray[np.int8]  # 1 yes, 0 no, -1 not recorded
    trade_id: list[str]
    by_market: list[I64]  # ranks of each market's trades, newest first

    @property
    def size(self) -> int:
        return len(self.time_us)


@dataclass(slots=True)
class MinuteCandles:
    """One market's recorded 1-minute trade-price candles, oldest first (end = minute + 60 s)."""

    end_s: I64
    open_bp: I64
    high_bp: I64
    low_bp: I64
    close_bp: I64
    volume_h: I64


@dataclass(slots=True)
class RecordedData:
    """Everything a recorded simulator serves; markets, events and series sorted by ticker."""

    root: Path
    datasets: tuple[str, ...]
    files: list[str]
    series: list[RecordedSeries]
    events: list[RecordedEvent]
    markets: list[RecordedMarket]
    tape: TradeTape
    candles: dict[int, MinuteCandles]
    first_us: int
    last_us: int
    market_index: dict[str, int] = field(default_factory=dict)
    event_index: dict[str, int] = field(default_factory=dict)
    series_index: dict[str, int] = field(default_factory=dict)
    event_markets: list[list[int]] = field(default_factory=list)
    series_markets: list[list[int]] = field(default_factory=list)
    series_events: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.market_index = {m.ticker: i for i, m in enumerate(self.markets)}
        self.event_index = {e.event_ticker: i for i, e in enumerate(self.events)}
        self.series_index = {s.ticker: i for i, s in enumerate(self.series)}
        self.event_markets = [[] for _ in self.events]
        self.series_markets = [[] for _ in self.series]
        self.series_events = [[] for _ in self.series]
        for i, m in enumerate(self.markets):
            self.event_markets[self.event_index[m.event_ticker]].append(i)
            self.series_markets[self.series_index[m.series_ticker]].append(i)
        for i, e in enumerate(self.events):
            self.series_events[self.series_index[e.series_ticker]].append(i)

    @property
    def end_us(self) -> int:
        """The simulator's "now": the hour after the last recorded instant."""
        return (self.last_us // HOUR_US + 1) * HOUR_US

    @property
    def default_cutoff_us(self) -> int:
        """Middle of the recording, on the hour: both endpoint families serve part of it."""
        mid = self.first_us + (self.last_us - self.first_us) // 2
        return mid // HOUR_US * HOUR_US

    def summary(self) -> dict[str, object]:
        return {
            "datasets": list(self.datasets),
            "files": self.files,
            "series": len(self.series),
            "events": len(self.events),
            "markets": len(self.markets),
            "trades": self.tape.size,
            "candle_markets": len(self.candles),
            "results": {
                src: sum(1 for m in self.markets if m.result and m.result_source == src)
                for src in ("recorded", "inferred")
            },
            "first": iso_us(self.first_us),
            "last": iso_us(self.last_us),
        }

"""Building a `RecordedData` from a directory: markets drafted from every layout, then frozen.

What a recording lacks is derived here, and each market's provenance says how (see the
package docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from kalshi_sim.recorded.csv_fields import CsvRow, find_file
from kalshi_sim.recorded.data import (
    DATASETS,
    HOUR_US,
    SETTLED,
    US,
    MinuteCandles,
    RecordedData,
    RecordedDataError,
    RecordedEvent,
    RecordedMarket,
    RecordedSeries,
    TradeTape,
)
from kalshi_sim.recorded.layouts import load_econ, load_multi, load_nba


def split_ticker(ticker: str) -> tuple[str, str]:
    """(series, event) of a market ticker when no file names them: Kalshi tickers are
    SERIES-EVENTCODE-MARKET (the market part may hold dashes: KXPAYROLLS-24DEC-T-100000);
    a two-part ticker (RECSSNBER-23) is its own event."""
    parts = ticker.split("-")
    if len(parts) < 2 or not all(parts[:2]):
        return parts[0], ticker
    if len(parts) == 2:
        return parts[0], ticker
    return parts[0], f"{parts[0]}-{parts[1]}"


@dataclass(slots=True)
class MarketDraft:
    ticker: str
    event_ticker: str
    series_ticker: str
    dataset: str
    category: str
    where: str  # file:line that introduced it
    title: str | None = None
    status: str | None = None
    close_us: int | None = None
    result: str = ""
    result_source: str = "none"
    settlement_bp: int | None = None
    volume_h: int | None = None
    last_bp: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _TradeRows:
    time_us: list[int] = field(default_factory=list)
    ticker: list[str] = field(default_factory=list)
    price_bp: list[int] = field(default_factory=list)
    count_h: list[int] = field(default_factory=list)
    taker: list[int] = field(default_factory=list)
    trade_id: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # trade id -> file:line


_TAKER = {"yes": 1, "no": 0, "": -1}


class RecordingBuilder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []
        self.series: dict[str, RecordedSeries] = {}
        self.events: dict[str, RecordedEvent] = {}
        self.markets: dict[str, MarketDraft] = {}
        self.trades = _TradeRows()
        self.candles: dict[str, MinuteCandles] = {}

    def use(self, path: Path) -> Path:
        self.files.append(path.name)
        return path

    # -- helpers --------------------------------------------------------------------------------
    def add_series(self, ticker: str, category: str) -> None:
        if ticker not in self.series:
            # the recordings name no series title
            self.series[ticker] = RecordedSeries(ticker, ticker, category)

    def add_event(self, ticker: str, series: str, category: str, title: str | None = None) -> None:
        self.add_series(series, category)
        if ticker not in self.events:
            self.events[ticker] = RecordedEvent(ticker, series, title or ticker, category)

    def draft(self, row: CsvRow, ticker: str, dataset: str, category: str) -> MarketDraft:
        if not ticker:
            raise row.error("ticker", "empty ticker")
        d = self.markets.get(ticker)
        if d is None:
            series, event = split_ticker(ticker)
            d = MarketDraft(ticker, event, series, dataset, category, f"{row.path.name}:{row.line}")
            self.markets[ticker] = d
        elif d.dataset != dataset:
            raise row.error(
                "ticker", f"market {ticker} is also in the {d.dataset} data set ({d.where})"
            )
        return d

    def add_trade(
        self, row: CsvRow, ticker: str, t_us: int, price_bp: int, count_h: int, taker: str
    ) -> None:
        tid = row.get("trade_id")
        if not tid:
            raise row.error("trade_id", "empty trade id")
        if tid in self.trades.where:
            raise row.error("trade_id", f"trade {tid} already read at {self.trades.where[tid]}")
        if taker not in _TAKER:
            raise row.error("taker_side", f"expected 'yes' or 'no', got {taker!r}")
        tr = self.trades
        tr.where[tid] = f"{row.path.name}:{row.line}"
        tr.time_us.append(t_us)
        tr.ticker.append(ticker)
        tr.price_bp.append(price_bp)
        tr.count_h.append(count_h)
        tr.taker.append(_TAKER[taker])
        tr.trade_id.append(tid)

    # -- freezing -------------------------------------------------------------------------------
    def finish(self, datasets: tuple[str, ...]) -> RecordedData:
        tickers = sorted(self.markets)
        index = {t: i for i, t in enumerate(tickers)}
        tape = self._tape(index)
        candles = {index[t]: c for t, c in self.candles.items()}
        first_trade: dict[int, int] = {}
        last_trade: dict[int, int] = {}
        if tape.size:
            # ranks are newest first: the last rank of a market is its first trade
            for m, ranks in enumerate(tape.by_market):
                if len(ranks):
                    last_trade[m] = int(tape.time_us[ranks[0]])
                    first_trade[m] = int(tape.time_us[ranks[-1]])
        markets: list[RecordedMarket] = []
        instants: list[int] = []
        for m, ticker in enumerate(tickers):
            d = self.markets[ticker]
            c = candles.get(m)
            first = first_trade.get(m)
            last = last_trade.get(m)
            notes = list(d.notes)
            if c is not None and len(c.end_s):
                first = int(c.end_s[0] - 60) * US
                last = int(c.end_s[-1]) * US
            close_us = d.close_us
            if close_us is None:
                if last is None:
                    raise RecordedDataError(self.root, f"market {ticker} has no close time")
                close_us = last
                notes.append("close time not recorded: its last trade or traded minute's end")
            open_us = min(first if first is not None else close_us, close_us)
            open_us = open_us // HOUR_US * HOUR_US
            notes.append("open time not recorded: the hour of its first recorded activity")
            volume_h = d.volume_h
            last_bp = d.last_bp
            if volume_h is None:
                volume_h = _volume(tape, c, m)
            if last_bp is None:
                last_bp = _last_price(tape, c, m)
            status = d.status or ("finalized" if d.result else "closed")
            settled_us: int | None = None
            if status in SETTLED:
                settled_us = max(close_us, last or close_us)
                notes.append("settlement time not recorded: its close, or its last print if later")
            markets.append(
                RecordedMarket(
                    ticker=ticker,
                    event_ticker=d.event_ticker,
                    series_ticker=d.series_ticker,
                    dataset=d.dataset,
                    title=d.title,
                    status=status,
                    open_us=open_us,
                    close_us=close_us,
                    settled_us=settled_us,
                    result=d.result,
                    result_source=d.result_source if d.result else "none",
                    settlement_bp=d.settlement_bp,
                    volume_h=volume_h,
                    last_bp=last_bp,
                    provenance=f"{d.where}; " + "; ".join(notes),
                )
            )
            instants += [close_us, settled_us or close_us]
            if last is not None:
                instants.append(last)
            if first is not None:
                instants.append(first)
            if d.event_ticker not in self.events:
                self.add_event(d.event_ticker, d.series_ticker, d.category)
        if not markets:
            raise RecordedDataError(self.root, "no markets in the recorded files")
        event_series = {
            mk.event_ticker: self.events[mk.event_ticker].series_ticker for mk in markets
        }
        for mk in markets:
            if mk.series_ticker != event_series[mk.event_ticker]:
                raise RecordedDataError(
                    self.root,
                    f"market {mk.ticker} names series {mk.series_ticker} but its event "
                    f"{mk.event_ticker} belongs to {event_series[mk.event_ticker]}",
                )
        used_series = set(event_series.values())
        return RecordedData(
            root=self.root,
            datasets=datasets,
            files=self.files,
            series=[self.series[s] for s in sorted(used_series)],
            events=[self.events[e] for e in sorted(event_series)],
            markets=markets,
            tape=tape,
            candles=candles,
            first_us=min(instants),
            last_us=max(instants),
        )

    def _tape(self, index: dict[str, int]) -> TradeTape:
        tr = self.trades
        n = len(tr.time_us)
        t = np.asarray(tr.time_us, np.int64)
        m = np.asarray([index[x] for x in tr.ticker], np.int64)
        ids = np.asarray(tr.trade_id) if n else np.zeros(0, "U1")
        order = np.lexsort((ids, m, -t)) if n else np.zeros(0, np.int64)
        market = m[order]
        by_market_order = np.argsort(market, kind="stable")
        bounds = np.searchsorted(market[by_market_order], np.arange(len(index) + 1))
        return TradeTape(
            time_us=t[order],
            market=market,
            price_bp=np.asarray(tr.price_bp, np.int64)[order],
            count_h=np.asarray(tr.count_h, np.int64)[order],
            taker=np.asarray(tr.taker, np.int8)[order],
            trade_id=[tr.trade_id[i] for i in order.tolist()],
            by_market=[
                by_market_order[bounds[i] : bounds[i + 1]].astype(np.int64)
                for i in range(len(index))
            ],
        )


def _volume(tape: TradeTape, c: MinuteCandles | None, m: int) -> int:
    if c is not None:
        return int(c.volume_h.sum())
    return int(tape.count_h[tape.by_market[m]].sum()) if tape.size else 0


def _last_price(tape: TradeTape, c: MinuteCandles | None, m: int) -> int | None:
    if c is not None:
        return int(c.close_bp[-1]) if len(c.close_bp) else None
    ranks = tape.by_market[m] if tape.size else np.zeros(0, np.int64)
    return int(tape.price_bp[ranks[0]]) if len(ranks) else None


_LOADERS: Final = {"multi": load_multi, "nba": load_nba, "econ": load_econ}
_KEY_FILES: Final = {
    "multi": "multi_closed_markets",
    "nba": "nba_candles_1m",
    "econ": "econ_trades",
}


def available_datasets(root: Path) -> tuple[str, ...]:
    """The layouts present in `root` (by their main file)."""
    return tuple(name for name in DATASETS if find_file(root, _KEY_FILES[name]) is not None)


def load_recorded(root: Path, datasets: Sequence[str] = ()) -> RecordedData:
    """Read the named layouts (default: every layout present) from `root`."""
    root = Path(root)
    if not root.is_dir():
        raise RecordedDataError(root, "not a directory")
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise RecordedDataError(root, f"unknown data set {unknown[0]!r} (known: {DATASETS})")
    names = tuple(dict.fromkeys(datasets)) or available_datasets(root)
    if not names:
        wanted = ", ".join(f"{f}.csv[.gz]" for f in _KEY_FILES.values())
        raise RecordedDataError(root, f"no recorded data set here (looked for {wanted})")
    b = RecordingBuilder(root)
    for name in names:
        _LOADERS[name](b)
    return b.finish(names)

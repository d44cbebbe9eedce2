"""One reader per recorded layout (multi, nba, econ): their files, columns and checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from kalshi_sim.recorded.csv_fields import (
    CsvRow,
    count_field,
    csv_rows,
    find_file,
    price_field,
    time_field,
    unix_field,
)
from kalshi_sim.recorded.data import RESULTS, SETTLED, STATUSES, MinuteCandles, RecordedDataError

if TYPE_CHECKING:
    from kalshi_sim.recorded.loader import MarketDraft, RecordingBuilder

_MULTI_MARKET_COLUMNS: Final = (
    "ticker",
    "event_ticker",
    "category",
    "status",
    "close_time",
    "volume",
    "last_price",
    "result",
    "settlement_value",
)
_MULTI_ENRICHED_COLUMNS: Final = (*_MULTI_MARKET_COLUMNS, "title", "series_ticker")
_MULTI_EVENT_COLUMNS: Final = ("event_ticker", "title", "category", "series_ticker")
_TAPE_COLUMNS: Final = ("ticker", "created_time", "count", "taker_side", "trade_id")
_NBA_CANDLE_COLUMNS: Final = ("ticker", "timestamp", "open", "high", "low", "close", "volume")
_NBA_RESULT_COLUMNS: Final = ("ticker", "result_inferred")


def need_file(root: Path, name: str, dataset: str) -> Path:
    path = find_file(root, name)
    if path is None:
        raise RecordedDataError(root, f"the {dataset} data set needs {name}.csv (or .csv.gz)")
    return path


def load_multi(b: RecordingBuilder) -> None:
    root = b.root
    closed = b.use(need_file(root, "multi_closed_markets", "multi"))
    enriched = b.use(need_file(root, "multi_enriched_markets", "multi"))
    events = b.use(need_file(root, "multi_events", "multi"))
    trades = b.use(need_file(root, "multi_trades", "multi"))
    for row in csv_rows(events, _MULTI_EVENT_COLUMNS):
        ticker, series = row.get("event_ticker"), row.get("series_ticker")
        if not ticker:
            raise row.error("event_ticker", "empty event ticker")
        if not series:
            raise row.error("series_ticker", "empty series ticker")
        if ticker in b.events:
            raise row.error("event_ticker", f"event {ticker} listed twice")
        b.add_event(ticker, series, row.get("category"), row.get("title") or None)
    closed_rows: dict[str, CsvRow] = {}
    for row in csv_rows(closed, _MULTI_MARKET_COLUMNS):
        ticker = row.get("ticker")
        if ticker in closed_rows:
            raise row.error(
                "ticker", f"market {ticker} already listed at line {closed_rows[ticker].line}"
            )
        closed_rows[ticker] = row
        _read_market_row(row, b.draft(row, ticker, "multi", row.get("category")))
    enriched_rows: set[str] = set()
    for row in csv_rows(enriched, _MULTI_ENRICHED_COLUMNS):
        ticker = row.get("ticker")
        first = closed_rows.get(ticker)
        if first is None:
            raise row.error("ticker", f"market {ticker} is not in {closed.name}")
        # The two files describe the same markets: a disagreement means one of them is wrong.
        for col in _MULTI_MARKET_COLUMNS:
            if row.get(col) != first.get(col):
                raise row.error(
                    col,
                    f"{row.get(col)!r} disagrees with {closed.name}:{first.line} "
                    f"({first.get(col)!r})",
                )
        series = row.get("series_ticker")
        if not series:
            raise row.error("series_ticker", "empty series ticker")
        d = b.markets[ticker]
        d.title = row.get("title") or None
        d.series_ticker = series
        enriched_rows.add(ticker)
    for ticker, row in closed_rows.items():
        if ticker not in enriched_rows:
            raise RecordedDataError(
                enriched, f"market {ticker} ({closed.name}:{row.line}) is missing"
            )
        if b.markets[ticker].event_ticker not in b.events:
            raise row.error(
                "event_ticker", f"event {b.markets[ticker].event_ticker} is not in {events.name}"
            )
    for row in csv_rows(trades, (*_TAPE_COLUMNS, "price")):
        ticker = row.get("ticker")
        if ticker not in closed_rows:
            raise row.error("ticker", f"market {ticker} is not in {closed.name}")
        b.add_trade(
            row,
            ticker,
            time_field(row, "created_time"),
            price_field(row, "price", cents=False),
            count_field(row, "count"),
            row.get("taker_side"),
        )


def _read_market_row(row: CsvRow, d: MarketDraft) -> None:
    d.event_ticker = row.get("event_ticker") or d.event_ticker
    status = row.get("status")
    if status not in STATUSES:
        raise row.error("status", f"unknown market status {status!r}")
    d.status = status
    d.close_us = time_field(row, "close_time")
    d.volume_h = count_field(row, "volume")
    d.last_bp = price_field(row, "last_price", cents=True)
    result = row.get("result")
    if result not in RESULTS:
        raise row.error("result", f"expected 'yes', 'no' or empty, got {result!r}")
    d.result = result
    d.result_source = "recorded"
    if row.get("settlement_value"):
        d.settlement_bp = price_field(row, "settlement_value", cents=True)
    if result and d.settlement_bp != (10_000 if result == "yes" else 0):
        raise row.error(
            "settlement_value",
            f"{row.get('settlement_value')!r} cents does not pay a {result!r} result",
        )
    if status in SETTLED and not result:
        raise row.error("result", f"a {status} market needs a result")


def load_nba(b: RecordingBuilder) -> None:
    path = b.use(need_file(b.root, "nba_candles_1m", "nba"))
    cols: dict[str, list[list[int]]] = {}
    last_end: dict[str, tuple[int, int]] = {}
    for row in csv_rows(path, _NBA_CANDLE_COLUMNS):
        ticker = row.get("ticker")
        d = b.draft(row, ticker, "nba", "Sports")
        start = unix_field(row, "timestamp")
        if start % 60:
            raise row.error("timestamp", f"{start} is not the start of a UTC minute")
        prev = last_end.get(ticker)
        if prev is not None and start + 60 <= prev[0]:
            raise row.error("timestamp", f"not after line {prev[1]} of the same market")
        last_end[ticker] = (start + 60, row.line)
        o, h, lo, c = (price_field(row, k, cents=True) for k in ("open", "high", "low", "close"))
        if not lo <= min(o, c) <= max(o, c) <= h:
            raise row.error("high", f"open/high/low/close {o}/{h}/{lo}/{c} are not an OHLC")
        v = count_field(row, "volume")
        if v <= 0:
            raise row.error("volume", "a recorded candle must hold trades (volume > 0)")
        cols.setdefault(d.ticker, []).append([start + 60, o, h, lo, c, v])
    for ticker, rows in cols.items():
        a = np.asarray(rows, np.int64)
        b.candles[ticker] = MinuteCandles(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])
        b.markets[ticker].notes.append(f"1-minute trade-price candles from {path.name}")
    results = find_file(b.root, "nba_results_inferred")
    if results is None:
        return
    b.use(results)
    for row in csv_rows(results, _NBA_RESULT_COLUMNS):
        ticker = row.get("ticker")
        if ticker not in cols:
            raise row.error("ticker", f"market {ticker} has no candles in {path.name}")
        d = b.markets[ticker]
        result = row.get("result_inferred")
        if result not in RESULTS:
            raise row.error("result_inferred", f"expected 'yes', 'no' or empty, got {result!r}")
        if result:
            d.result = result
            d.result_source = "inferred"
            d.settlement_bp = 10_000 if result == "yes" else 0
            d.notes.append(
                f"result INFERRED from the last traded price ({results.name}), "
                "not Kalshi's settlement record"
            )
        else:
            d.notes.append(f"no result: {results.name} could not infer one")


def load_econ(b: RecordingBuilder) -> None:
    path = b.use(need_file(b.root, "econ_trades", "econ"))
    for row in csv_rows(path, (*_TAPE_COLUMNS, "yes_price")):
        ticker = row.get("ticker")
        d = b.draft(row, ticker, "econ", "Economics")
        yes = price_field(row, "yes_price", cents=True)
        if row.get("no_price") and yes + price_field(row, "no_price", cents=True) != 10_000:
            raise row.error("no_price", "yes_price + no_price is not 100 cents")
        if not d.notes:
            d.notes.append(f"trade tape from {path.name}; no outcome recorded")
        b.add_trade(
            row,
            ticker,
            time_field(row, "created_time"),
            yes,
            count_field(row, "count"),
            row.get("taker_side"),
        )

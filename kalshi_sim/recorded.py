"""Recorded datasets: real Kalshi recordings loaded for the simulator to serve as Kalshi would.

A directory holds one or more of these layouts (the files of the project's real-data folder,
described in docs/REALDATA.md); `load_recorded(dir)` reads every layout it finds:

- ``multi``: multi_closed_markets.csv (status, close time, volume, last price, result and
  settlement value in cents per market), multi_enriched_markets.csv (the same markets with title
  and series), multi_events.csv, multi_trades.csv[.gz] (complete public trade tapes);
- ``nba``: nba_candles_1m.csv[.gz] (1-minute candles of trade prices, only minutes that traded;
  no quotes, no open interest) and, if present, nba_results_inferred.csv (a result *inferred*
  from the last traded price, not Kalshi's settlement record);
- ``econ``: econ_trades.csv[.gz] (trade tapes with prices in cents; no outcomes).

What a recording holds is served exactly: statuses, close times, results, settlement values,
trade ids, times, prices, counts and taker sides. What it does not hold is derived, and each
market says how (`RecordedMarket.provenance`):
- open time: the hour of the market's first recorded activity (never after a recorded trade);
- close time (nba, econ): the end of the last traded minute / the last trade;
- settlement time: the close time, or the last trade when a print came after the close
  (recorded tapes have them: KXATPMATCH-25NOV08DJOMUS-DJO printed 49 s after its close);
- results: recorded (multi), inferred (nba, labelled so), or none (econ, and nba markets
  without an inferred result): those markets are served ``closed`` without a result.
Results never come from the last price: KXETHD-25NOV0911-T3519.99 settled "no" although its
last trade printed at 0.98, and it is served so.

A file that cannot be read raises `RecordedDataError` naming the file, line and column. Times
are integer microseconds since the epoch, prices integer units of $0.0001, counts hundredths of
a contract (Kalshi's `*_fp` granularity): everything exact, nothing through floats.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final, TextIO

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


# --- reading CSV ------------------------------------------------------------------------------


def _find(root: Path, name: str) -> Path | None:
    """`name.csv` or `name.csv.gz` in root (the shared folder gzips the big files)."""
    for candidate in (root / f"{name}.csv", root / f"{name}.csv.gz"):
        if candidate.is_file():
            return candidate
    return None


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


@dataclass(frozen=True, slots=True)
class _Row:
    """One CSV record with where it came from, for error messages."""

    path: Path
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def error(self, column: str | None, message: str) -> RecordedDataError:
        return RecordedDataError(self.path, message, line=self.line, column=column)


def _rows(path: Path, required: Sequence[str]) -> Iterator[_Row]:
    """The records of a CSV file; a missing column or a short record is an error."""
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise RecordedDataError(path, "empty file (no header)", line=1) from None
        except (csv.Error, UnicodeDecodeError, OSError) as exc:
            raise RecordedDataError(path, f"unreadable header: {exc}", line=1) from None
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise RecordedDataError(
                path,
                f"missing column{'s' if len(missing) > 1 else ''} "
                + ", ".join(repr(c) for c in missing)
                + f" (header: {', '.join(header)})",
                line=1,
                column=missing[0],
            )
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError, OSError) as exc:
                raise RecordedDataError(
                    path, f"unreadable record: {exc}", line=reader.line_num
                ) from None
            if not rec:
                continue
            if len(rec) != len(header):
                raise RecordedDataError(
                    path,
                    f"{len(rec)} fields where the header has {len(header)}",
                    line=reader.line_num,
                    column=header[min(len(rec), len(header) - 1)],
                )
            yield _Row(path, reader.line_num, dict(zip(header, rec, strict=True)))


def _decimal(row: _Row, column: str) -> Decimal:
    text = row.get(column)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise row.error(column, f"not a number: {text!r}") from None
    if not value.is_finite():
        raise row.error(column, f"not a finite number: {text!r}")
    return value


def _units(row: _Row, column: str, scale: int, what: str) -> int:
    """An exact decimal times `scale` as an integer (refuses finer values than the unit)."""
    scaled = _decimal(row, column) * scale
    if scaled != scaled.to_integral_value():
        raise row.error(column, f"{row.get(column)!r} is finer than {what}")
    return int(scaled)


def _price_bp(row: _Row, column: str, *, cents: bool) -> int:
    """A price in $0.0001 units from dollars ("0.99") or cents ("99", "72.0")."""
    bp = _units(row, column, 100 if cents else 10_000, "$0.0001")
    if not 0 <= bp <= 10_000:
        unit = "cents" if cents else "dollars"
        raise row.error(column, f"price {row.get(column)!r} ({unit}) is outside [0, 1] dollars")
    return bp


def _count_h(row: _Row, column: str) -> int:
    """Contracts in hundredths (Kalshi counts are `*_fp` strings with two decimals)."""
    n = _units(row, column, 100, "0.01 contract")
    if n < 0:
        raise row.error(column, f"negative count {row.get(column)!r}")
    return n


def _time_us(row: _Row, column: str) -> int:
    text = row.get(column)
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise row.error(column, f"not an ISO-8601 time: {text!r}") from None
    if d.tzinfo is None or d.utcoffset() is None:
        raise row.error(column, f"time without a timezone: {text!r}")
    return _us(d)


def _us(d: datetime) -> int:
    delta = d - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _unix_s(row: _Row, column: str) -> int:
    text = row.get(column)
    try:
        return int(text)
    except ValueError:
        raise row.error(column, f"not a unix time in seconds: {text!r}") from None


def iso_us(us: int) -> str:
    """Microseconds -> RFC 3339 as Kalshi writes it (Go's RFC3339Nano: trailing zeros cut)."""
    seconds, micro = divmod(us, US)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if micro:
        text += "." + f"{micro:06d}".rstrip("0")
    return text + "Z"


def _split_ticker(ticker: str) -> tuple[str, str]:
    """(series, event) of a market ticker when no file names them: Kalshi tickers are
    SERIES-EVENTCODE-MARKET (the market part may hold dashes: KXPAYROLLS-24DEC-T-100000);
    a two-part ticker (RECSSNBER-23) is its own event."""
    parts = ticker.split("-")
    if len(parts) < 2 or not all(parts[:2]):
        return parts[0], ticker
    if len(parts) == 2:
        return parts[0], ticker
    return parts[0], f"{parts[0]}-{parts[1]}"


# --- the loaded data --------------------------------------------------------------------------


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


# --- building ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _MarketDraft:
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


class _Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []
        self.series: dict[str, RecordedSeries] = {}
        self.events: dict[str, RecordedEvent] = {}
        self.markets: dict[str, _MarketDraft] = {}
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

    def draft(self, row: _Row, ticker: str, dataset: str, category: str) -> _MarketDraft:
        if not ticker:
            raise row.error("ticker", "empty ticker")
        d = self.markets.get(ticker)
        if d is None:
            series, event = _split_ticker(ticker)
            d = _MarketDraft(
                ticker, event, series, dataset, category, f"{row.path.name}:{row.line}"
            )
            self.markets[ticker] = d
        elif d.dataset != dataset:
            raise row.error(
                "ticker", f"market {ticker} is also in the {d.dataset} data set ({d.where})"
            )
        return d

    def add_trade(
        self, row: _Row, ticker: str, t_us: int, price_bp: int, count_h: int, taker: str
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


# --- the layouts ------------------------------------------------------------------------------

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


def _need(root: Path, name: str, dataset: str) -> Path:
    path = _find(root, name)
    if path is None:
        raise RecordedDataError(root, f"the {dataset} data set needs {name}.csv (or .csv.gz)")
    return path


def _load_multi(b: _Builder) -> None:
    root = b.root
    closed = b.use(_need(root, "multi_closed_markets", "multi"))
    enriched = b.use(_need(root, "multi_enriched_markets", "multi"))
    events = b.use(_need(root, "multi_events", "multi"))
    trades = b.use(_need(root, "multi_trades", "multi"))
    for row in _rows(events, _MULTI_EVENT_COLUMNS):
        ticker, series = row.get("event_ticker"), row.get("series_ticker")
        if not ticker:
            raise row.error("event_ticker", "empty event ticker")
        if not series:
            raise row.error("series_ticker", "empty series ticker")
        if ticker in b.events:
            raise row.error("event_ticker", f"event {ticker} listed twice")
        b.add_event(ticker, series, row.get("category"), row.get("title") or None)
    closed_rows: dict[str, _Row] = {}
    for row in _rows(closed, _MULTI_MARKET_COLUMNS):
        ticker = row.get("ticker")
        if ticker in closed_rows:
            raise row.error(
                "ticker", f"market {ticker} already listed at line {closed_rows[ticker].line}"
            )
        closed_rows[ticker] = row
        _read_market_row(row, b.draft(row, ticker, "multi", row.get("category")))
    enriched_rows: set[str] = set()
    for row in _rows(enriched, _MULTI_ENRICHED_COLUMNS):
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
    for row in _rows(trades, (*_TAPE_COLUMNS, "price")):
        ticker = row.get("ticker")
        if ticker not in closed_rows:
            raise row.error("ticker", f"market {ticker} is not in {closed.name}")
        b.add_trade(
            row,
            ticker,
            _time_us(row, "created_time"),
            _price_bp(row, "price", cents=False),
            _count_h(row, "count"),
            row.get("taker_side"),
        )


def _read_market_row(row: _Row, d: _MarketDraft) -> None:
    d.event_ticker = row.get("event_ticker") or d.event_ticker
    status = row.get("status")
    if status not in STATUSES:
        raise row.error("status", f"unknown market status {status!r}")
    d.status = status
    d.close_us = _time_us(row, "close_time")
    d.volume_h = _count_h(row, "volume")
    d.last_bp = _price_bp(row, "last_price", cents=True)
    result = row.get("result")
    if result not in RESULTS:
        raise row.error("result", f"expected 'yes', 'no' or empty, got {result!r}")
    d.result = result
    d.result_source = "recorded"
    if row.get("settlement_value"):
        d.settlement_bp = _price_bp(row, "settlement_value", cents=True)
    if result and d.settlement_bp != (10_000 if result == "yes" else 0):
        raise row.error(
            "settlement_value",
            f"{row.get('settlement_value')!r} cents does not pay a {result!r} result",
        )
    if status in SETTLED and not result:
        raise row.error("result", f"a {status} market needs a result")


def _load_nba(b: _Builder) -> None:
    path = b.use(_need(b.root, "nba_candles_1m", "nba"))
    cols: dict[str, list[list[int]]] = {}
    last_end: dict[str, tuple[int, int]] = {}
    for row in _rows(path, _NBA_CANDLE_COLUMNS):
        ticker = row.get("ticker")
        d = b.draft(row, ticker, "nba", "Sports")
        start = _unix_s(row, "timestamp")
        if start % 60:
            raise row.error("timestamp", f"{start} is not the start of a UTC minute")
        prev = last_end.get(ticker)
        if prev is not None and start + 60 <= prev[0]:
            raise row.error("timestamp", f"not after line {prev[1]} of the same market")
        last_end[ticker] = (start + 60, row.line)
        o, h, lo, c = (_price_bp(row, k, cents=True) for k in ("open", "high", "low", "close"))
        if not lo <= min(o, c) <= max(o, c) <= h:
            raise row.error("high", f"open/high/low/close {o}/{h}/{lo}/{c} are not an OHLC")
        v = _count_h(row, "volume")
        if v <= 0:
            raise row.error("volume", "a recorded candle must hold trades (volume > 0)")
        cols.setdefault(d.ticker, []).append([start + 60, o, h, lo, c, v])
    for ticker, rows in cols.items():
        a = np.asarray(rows, np.int64)
        b.candles[ticker] = MinuteCandles(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])
        b.markets[ticker].notes.append(f"1-minute trade-price candles from {path.name}")
    results = _find(b.root, "nba_results_inferred")
    if results is None:
        return
    b.use(results)
    for row in _rows(results, _NBA_RESULT_COLUMNS):
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


def _load_econ(b: _Builder) -> None:
    path = b.use(_need(b.root, "econ_trades", "econ"))
    for row in _rows(path, (*_TAPE_COLUMNS, "yes_price")):
        ticker = row.get("ticker")
        d = b.draft(row, ticker, "econ", "Economics")
        yes = _price_bp(row, "yes_price", cents=True)
        if row.get("no_price") and yes + _price_bp(row, "no_price", cents=True) != 10_000:
            raise row.error("no_price", "yes_price + no_price is not 100 cents")
        if not d.notes:
            d.notes.append(f"trade tape from {path.name}; no outcome recorded")
        b.add_trade(
            row,
            ticker,
            _time_us(row, "created_time"),
            yes,
            _count_h(row, "count"),
            row.get("taker_side"),
        )


_LOADERS: Final = {"multi": _load_multi, "nba": _load_nba, "econ": _load_econ}
_KEY_FILES: Final = {
    "multi": "multi_closed_markets",
    "nba": "nba_candles_1m",
    "econ": "econ_trades",
}


def available_datasets(root: Path) -> tuple[str, ...]:
    """The layouts present in `root` (by their main file)."""
    return tuple(name for name in DATASETS if _find(root, _KEY_FILES[name]) is not None)


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
    b = _Builder(root)
    for name in names:
        _LOADERS[name](b)
    return b.finish(names)


# --- queries (what the routes ask) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandleRow:
    """One period with recorded trades: trade-price OHLC, volume-weighted mean (None when the
    recording has no trades, only candles), the last price before the period, volume."""

    end_s: int
    open_bp: int
    high_bp: int
    low_bp: int
    close_bp: int
    mean: Decimal | None  # dollars, 4 decimals
    previous_bp: int | None
    volume_h: int


_BP: Final = Decimal(10_000)
_MEAN_STEP: Final = Decimal("0.0001")


def _ceil_to(x: int, step: int) -> int:
    return -(-x // step) * step


def trade_candles(
    tape: TradeTape, m: int, first_end: int, last_end: int, p: int
) -> list[CandleRow]:
    """Candles of period `p` seconds ending in [first_end, last_end] built from the tape: a
    trade at t belongs to the candle whose inclusive end is the first period boundary >= t."""
    ranks = tape.by_market[m][::-1] if tape.size else np.zeros(0, np.int64)
    times = tape.time_us[ranks]
    lo = int(np.searchsorted(times, (first_end - p) * US, side="right"))
    hi = int(np.searchsorted(times, last_end * US, side="right"))
    if hi <= lo:
        return []
    prices = tape.price_bp[ranks[lo:hi]]
    counts = tape.count_h[ranks[lo:hi]]
    ends = -(-times[lo:hi] // (p * US)) * p
    starts = np.flatnonzero(np.diff(ends, prepend=ends[0] - 1))
    bounds = [*starts.tolist(), hi - lo]
    previous = int(tape.price_bp[ranks[lo - 1]]) if lo else None
    out: list[CandleRow] = []
    for a, b in itertools.pairwise(bounds):
        px, n = prices[a:b], counts[a:b]
        volume = int(n.sum())
        mean = None
        if volume:
            mean = (Decimal(int((px * n).sum())) / volume / _BP).quantize(_MEAN_STEP)
        out.append(
            CandleRow(
                int(ends[a]),
                int(px[0]),
                int(px.max()),
                int(px.min()),
                int(px[-1]),
                mean,
                previous,
                volume,
            )
        )
        previous = int(px[-1])
    return out


def minute_candles(c: MinuteCandles, first_end: int, last_end: int, p: int) -> list[CandleRow]:
    """Recorded 1-minute candles aggregated to period `p` seconds (a multiple of 60): the
    minute ending at e belongs to the period ending at the first boundary >= e. The recording
    has no volume-weighted mean, so it stays None."""
    lo = int(np.searchsorted(c.end_s, first_end - p, side="right"))
    hi = int(np.searchsorted(c.end_s, last_end, side="right"))
    if hi <= lo:
        return []
    ends = -(-c.end_s[lo:hi] // p) * p
    starts = np.flatnonzero(np.diff(ends, prepend=ends[0] - 1))
    bounds = [*starts.tolist(), hi - lo]
    previous = int(c.close_bp[lo - 1]) if lo else None
    out: list[CandleRow] = []
    for a, b in itertools.pairwise(bounds):
        i, j = lo + a, lo + b
        out.append(
            CandleRow(
                int(ends[a]),
                int(c.open_bp[i]),
                int(c.high_bp[i:j].max()),
                int(c.low_bp[i:j].min()),
                int(c.close_bp[j - 1]),
                None,
                previous,
                int(c.volume_h[i:j].sum()),
            )
        )
        previous = int(c.close_bp[j - 1])
    return out


def candle_rows(
    data: RecordedData, m: int, start_s: int, end_s: int, period_minutes: int
) -> list[CandleRow]:
    """The periods ending in [start_s, end_s] that hold recorded trades (a recording knows
    nothing of the others: no quote, no trade), from the market's candles or its tape."""
    p = period_minutes * 60
    first_end, last_end = _ceil_to(start_s, p), end_s - end_s % p
    if last_end < first_end:
        return []
    c = data.candles.get(m)
    if c is not None:
        return minute_candles(c, first_end, last_end, p)
    return trade_candles(data.tape, m, first_end, last_end, p)


def trade_span(
    tape: TradeTape, m: int | None, lower_us: int | None, upper_us: int | None, after_rank: int
) -> tuple[I64, int, int]:
    """The trades of market m (or all) with lower_us <= time <= upper_us and rank > after_rank
    (-1: from the newest): (ranks of the candidates, first position, end position)."""
    ranks = tape.by_market[m] if m is not None else np.arange(tape.size, dtype=np.int64)
    neg = -tape.time_us[ranks]  # ascending: ranks are newest first
    i0 = 0 if upper_us is None else int(np.searchsorted(neg, -upper_us, side="left"))
    i1 = len(ranks) if lower_us is None else int(np.searchsorted(neg, -lower_us, side="right"))
    start = max(i0, int(np.searchsorted(ranks, after_rank, side="right")))
    return ranks, start, i1


def recent_activity(data: RecordedData, m: int, since_us: int) -> tuple[int, int | None]:
    """(contracts traded after `since_us`, last price at or before it) of market m."""
    c = data.candles.get(m)
    if c is not None:
        k = int(np.searchsorted(c.end_s, since_us // US, side="right"))
        return int(c.volume_h[k:].sum()), (int(c.close_bp[k - 1]) if k else None)
    if not data.tape.size:
        return 0, None
    ranks = data.tape.by_market[m]
    neg = -data.tape.time_us[ranks]
    k = int(np.searchsorted(neg, -since_us, side="left"))  # trades newer than since_us
    before = int(data.tape.price_bp[ranks[k]]) if k < len(ranks) else None
    return int(data.tape.count_h[ranks[:k]].sum()), before

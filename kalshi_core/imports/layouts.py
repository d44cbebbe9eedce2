"""Which columns a dump may have, what they mean, and how a row becomes a staged record.

Kalshi's field names are the contract: a field is read from the first of its accepted columns
that the file has (the exact `*_dollars` / `*_fp` spelling before the legacy cents one, as the
API parser does). Layouts recognised (docs/IMPORT.md lists them):

- trades: `trade_id, ticker, created_time, count[_fp]` and a price: `yes_price_dollars`,
  `yes_price` (cents), `price` (dollars, older tapes) or the NO side (`no_price[_dollars]`);
  with both sides, they must add up to $1. `taker_side`, `is_block_trade` optional.
- markets: `ticker, event_ticker, status` plus any metadata (`title`, `close_time`, `result`,
  `settlement_value[_dollars]`, ...). Quote columns (bid/ask/last/volume) are ignored and listed
  as such: a quote without its observation time cannot become history.
- candles: `ticker`, `end_period_ts` (or `end_time`, or `timestamp`: the period's start), YES
  bid and ask OHLC (`yes_bid_open`, `yes_bid_open_dollars`, ...: all eight or none), trade-price
  OHLC (`price_open`, ..., or bare `open`..`close` in cents; required without the book),
  `volume`, optional `open_interest`, and the period from `period_interval` or the import's
  `period` option. Without the book, a candle's book and open interest stay unknown (NULL).

Nothing is guessed: a file lacking a required column is refused with the columns it lacks (a
ticker is never taken from a file name, a result never inferred from prices).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

import orjson

from kalshi_core.imports import values as v
from kalshi_core.imports.files import DumpReader
from kalshi_core.imports.problems import Problem, ProblemLog
from kalshi_core.storage.repositories import ImportedCandle, ImportedMarket, ImportedTrade

Kind = Literal["markets", "trades", "candles"]
KINDS: Final[tuple[Kind, ...]] = ("markets", "trades", "candles")
CANDLE_PERIODS: Final = (1, 60, 1440)
_OHLC: Final = ("open", "high", "low", "close")
_GO_ZERO_TIME: Final = "0001-01-01"

Convert = Callable[[object], Any]


@dataclass(frozen=True, slots=True)
class Source:
    column: str
    convert: Convert
    unit: str = ""  # how the docs and messages describe the column (e.g. "cents")


@dataclass(frozen=True, slots=True)
class Field:
    """A record field: read from the first present `sources` column.

    `required`: the file must have one of the columns. `nullable`: an empty cell is allowed
    (the field is then None)."""

    name: str
    sources: tuple[Source, ...]
    required: bool = False
    nullable: bool = True


def _time_or_zero(x: object) -> datetime | None:
    """Times of market metadata: Go's zero time (0001-01-01...) means none, as in the API."""
    if type(x) is str and x.startswith(_GO_ZERO_TIME):
        return None
    return v.time_rfc3339(x)


def _time_assume_utc(x: object) -> datetime:
    """`_fetched_at` of the public dataset: written by `datetime.utcnow()` (naive UTC)."""
    if isinstance(x, datetime) and x.tzinfo is None:
        return x.replace(tzinfo=UTC)
    return v.time_rfc3339(x)


def _tick_size_cents(x: object) -> Decimal:
    d = v.price_cents(x)
    if d <= 0:
        raise ValueError(f"tick size {x!r} must be > 0 cents")
    return d


def _period(x: object) -> int:
    n = v.whole_number(x)
    if n not in CANDLE_PERIODS:
        raise ValueError(f"period {x!r} is not one of {CANDLE_PERIODS} minutes")
    return n


def _price(name: str) -> tuple[Source, Source]:
    return (
        Source(f"{name}_dollars", v.price_dollars, "dollars"),
        Source(name, v.price_cents, "cents"),
    )


def _count(name: str) -> tuple[Source, Source]:
    return (Source(f"{name}_fp", v.count, "contracts"), Source(name, v.count, "contracts"))


_TICKER: Final = Field(
    "ticker",
    (Source("ticker", v.ticker), Source("market_ticker", v.ticker)),
    required=True,
    nullable=False,
)

TRADE_FIELDS: Final = (
    Field("trade_id", (Source("trade_id", v.ticker),), required=True, nullable=False),
    _TICKER,
    Field("created_time", (Source("created_time", v.time_rfc3339),), required=True, nullable=False),
    Field("count", _count("count"), required=True, nullable=False),
    Field(
        "yes_price",
        (*_price("yes_price"), Source("price", v.price_dollars, "dollars")),
    ),
    Field("no_price", _price("no_price")),
    Field("taker_side", (Source("taker_side", v.side), Source("taker_outcome_side", v.side))),
    Field("is_block_trade", (Source("is_block_trade", v.boolean),)),
)

BOOK_OHLC: Final = tuple(f"{side}_{part}" for side in ("yes_bid", "yes_ask") for part in _OHLC)
TRADE_OHLC: Final = tuple(f"price_{part}" for part in _OHLC)
CANDLE_FIELDS: Final = (
    _TICKER,
    Field(
        "period_minutes", (Source("period_interval", _period), Source("period_minutes", _period))
    ),
    # Kalshi's candlestick names a period by its end; a trade-price candle file (the NBA layout,
    # docs/IMPORT.md) by its start (`timestamp`, unix seconds), and the end is start + period.
    Field(
        "end_time",
        (Source("end_period_ts", v.time_unix, "unix seconds"), Source("end_time", v.time_rfc3339)),
        nullable=False,
    ),
    Field(
        "start_time",
        (Source("timestamp", v.time_unix, "unix seconds, the period's start"),),
        nullable=False,
    ),
    # The book: all eight columns or none (a trade-price candle file has none; the stored
    # book, if any, is kept). Present, a cell may not be empty.
    *(Field(name, _price(name), nullable=False) for name in BOOK_OHLC),
    # Trade prices: Kalshi's `price_open[_dollars]`, or bare `open/high/low/close` in cents
    # (Kalshi's legacy naming: a bare price field is cents, `*_dollars` dollars).
    *(Field(f"price_{part}", (*_price(f"price_{part}"), *_price(part))) for part in _OHLC),
    Field("volume", _count("volume"), required=True, nullable=False),
    Field("open_interest", _count("open_interest")),
)

_MARKET_TIMES: Final = (
    "open_time",
    "close_time",
    "expected_expiration_time",
    "latest_expiration_time",
    "settlement_ts",
)
MARKET_FIELDS: Final = (
    _TICKER,
    Field("event_ticker", (Source("event_ticker", v.ticker),), required=True, nullable=False),
    Field("series_ticker", (Source("series_ticker", v.ticker),)),
    Field("title", (Source("title", v.text),)),
    Field("yes_sub_title", (Source("yes_sub_title", v.text),)),
    Field("no_sub_title", (Source("no_sub_title", v.text),)),
    Field("market_type", (Source("market_type", v.market_type),)),
    Field("status", (Source("status", v.status),), required=True, nullable=False),
    *(Field(t, (Source(t, _time_or_zero),)) for t in _MARKET_TIMES),
    Field("result", (Source("result", v.result),)),
    Field("settlement_value", _price("settlement_value")),
    Field("can_close_early", (Source("can_close_early", v.boolean),)),
    Field("price_level_structure", (Source("price_level_structure", v.text),)),
    Field("tick_size", (Source("tick_size", _tick_size_cents, "cents"),)),
    Field("is_mve", (Source("is_mve", v.boolean),)),
    Field("mve_collection_ticker", (Source("mve_collection_ticker", v.text),)),
    Field("updated_at", (Source("updated_time", _time_or_zero),)),
    Field("created_time", (Source("created_time", _time_or_zero),)),
    Field("fetched_at", (Source("_fetched_at", _time_assume_utc),)),
)
# Defaults of Market fields a present-but-empty cell stands for.
_MARKET_EMPTY: Final[dict[str, object]] = {
    "yes_sub_title": "",
    "no_sub_title": "",
    "market_type": "binary",
    "can_close_early": False,
}
_NOT_MARKET_FIELDS: Final = frozenset({"mve_collection_ticker", "fetched_at", "created_time"})
# Staged with a market's fields for the close rule (`kalshi_core.closes`), not `Market` fields
# (the loader takes them out): `can_close_early` as the dump itself said it (left out when it
# did not: no column, or an empty cell, which the market still stores as false) and the
# market's `created_time` (the open when no `open_time` is given).
CLOSE_SAID: Final = "_can_close_early_said"
CREATED: Final = "_created_time"

FIELDS: Final[dict[Kind, tuple[Field, ...]]] = {
    "trades": TRADE_FIELDS,
    "markets": MARKET_FIELDS,
    "candles": CANDLE_FIELDS,
}

# Columns a markets dump commonly carries that have no place in `markets`: the quote at the
# time of the dump (no observation time, so it cannot become history) and derived labels.
_TRADE_OHLC_HINT: Final = frozenset(_OHLC)


def detect_kind(columns: Sequence[str]) -> Kind | None:
    cols = set(columns)
    if "trade_id" in cols:
        return "trades"
    candle_marks = {"end_period_ts", "yes_bid_open", "yes_bid_open_dollars", "price_open"}
    if cols & candle_marks or cols >= _TRADE_OHLC_HINT:
        return "candles"
    if "ticker" in cols and ("event_ticker" in cols or "status" in cols):
        return "markets"
    return None


@dataclass(frozen=True, slots=True)
class _Bound:
    field: str
    column: str
    convert: Convert
    nullable: bool


class RowMapper:
    """One file's columns bound to a kind's fields; turns rows into staged records.

    Build it with `RowMapper.bind`, which reports the file's problems (missing columns) instead
    of a mapper when the file cannot be read as that kind."""

    def __init__(
        self,
        kind: Kind,
        reader: DumpReader,
        bound: list[_Bound],
        src: int,
        period: int | None,
    ) -> None:
        self.kind = kind
        self.reader = reader
        self.src = src
        self.period = period
        self._bound = bound
        self.used = [b.column for b in bound]
        self.ignored = [c for c in reader.columns if c not in set(self.used)]
        self.fields = {b.field for b in bound}
        positions = reader.positions(self.used)
        self._plan = [
            (b.field, b.column, p, b.convert, b.nullable)
            for b, p in zip(bound, positions, strict=True)
        ]

    @classmethod
    def bind(
        cls, kind: Kind, reader: DumpReader, src: int, period: int | None
    ) -> RowMapper | list[Problem]:
        name = reader.file.name
        cols = reader.columns
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        if dupes:
            return [Problem(name, f"repeated column name(s): {', '.join(dupes)}")]
        tz = reader.timestamp_columns()
        problems: list[Problem] = []
        missing: list[str] = []
        bound: list[_Bound] = []
        for f in FIELDS[kind]:
            present = [s for s in f.sources if s.column in cols]
            if not present:
                if f.required:
                    missing.append(_columns_of(f))
                continue
            src_col = present[0]
            if tz.get(src_col.column) is False and src_col.column != "_fetched_at":
                problems.append(
                    Problem(
                        name,
                        "holds timestamps without a time zone; Kalshi's times are UTC, write "
                        "them with one (e.g. pandas: .dt.tz_localize('UTC'))",
                        column=src_col.column,
                    )
                )
            bound.append(_Bound(f.name, src_col.column, src_col.convert, f.nullable))
        fields = {b.field for b in bound}
        if kind == "trades" and not fields & {"yes_price", "no_price"}:
            missing.append(
                "a price: yes_price_dollars, yes_price (cents), price (dollars), "
                "no_price_dollars or no_price (cents)"
            )
        if kind == "candles":
            missing += _candle_columns_missing(fields, period)
        if missing:
            message = f"missing columns of a {kind} file: {'; '.join(missing)}"
            problems.append(Problem(name, message))
        if problems:
            return problems
        return cls(kind, reader, bound, src, period)

    def _convert(self, row: Sequence[object], line: int, log: ProblemLog) -> dict[str, Any] | None:
        reader = self.reader
        if reader.width is not None and len(row) != reader.width:
            log.add(
                Problem(
                    reader.file.name,
                    f"{len(row)} values, the header has {reader.width} columns",
                    line=line,
                    unit=reader.unit,
                )
            )
            return None
        out: dict[str, Any] = {}
        ok = True
        for field, column, pos, convert, nullable in self._plan:
            raw = row[pos]
            if raw is None or raw == "" or (type(raw) is float and raw != raw):
                if not nullable:
                    log.add(Problem(reader.file.name, "empty", line, column, unit=reader.unit))
                    ok = False
                out[field] = None
                continue
            try:
                out[field] = convert(raw)
            except ValueError as exc:
                log.add(Problem(reader.file.name, str(exc), line, column, unit=reader.unit))
                ok = False
        return out if ok else None

    def _problem(self, message: str, line: int, field: str, log: ProblemLog) -> None:
        column = next(b.column for b in self._bound if b.field == field)
        log.add(Problem(self.reader.file.name, message, line, column, unit=self.reader.unit))

    def trade(self, row: Sequence[object], line: int, log: ProblemLog) -> ImportedTrade | None:
        f = self._convert(row, line, log)
        if f is None:
            return None
        yes: Decimal | None = f.get("yes_price")
        no: Decimal | None = f.get("no_price")
        if yes is None and no is None:
            self._problem("empty: a trade needs its price", line, _price_field(f), log)
            return None
        if yes is not None and no is not None and yes + no != v.ONE:
            self._problem(
                f"YES {yes} + NO {no} = {yes + no} dollars, not 1: the row's price is not exact "
                "(a dump that converted dollars with int(float(x) * 100) turns 0.29 into 28); "
                "re-export it from the *_dollars fields",
                line,
                "no_price",
                log,
            )
            return None
        return ImportedTrade(
            self.src,
            line,
            f["trade_id"],
            f["ticker"],
            f["created_time"],
            yes if yes is not None else v.ONE - no,  # type: ignore[operator]
            f["count"],
            f.get("taker_side"),
            f.get("is_block_trade"),
        )

    def candle(self, row: Sequence[object], line: int, log: ProblemLog) -> ImportedCandle | None:
        f = self._convert(row, line, log)
        if f is None:
            return None
        period = f.get("period_minutes") or self.period
        if period is None:
            self._problem("empty: the candle's period is needed", line, "period_minutes", log)
            return None
        end = f.get("end_time")
        if end is None:
            start: datetime = f["start_time"]
            if start.timestamp() % (period * 60):
                self._problem(
                    f"{start.isoformat()} is not the start of a {period}-minute period",
                    line,
                    "start_time",
                    log,
                )
                return None
            end = start + timedelta(minutes=period)
        return ImportedCandle._make(
            [
                self.src,
                line,
                f["ticker"],
                period,
                end,
                *(f.get(name) for name in BOOK_OHLC),
                *(f.get(name) for name in TRADE_OHLC),
                f["volume"],
                f.get("open_interest"),
            ]
        )

    def market(self, row: Sequence[object], line: int, log: ProblemLog) -> ImportedMarket | None:
        f = self._convert(row, line, log)
        if f is None:
            return None
        ticker: str = f["ticker"]
        fields: dict[str, object] = {}
        if f.get("can_close_early") is not None:
            fields[CLOSE_SAID] = f["can_close_early"]
        if f.get("created_time") is not None:
            fields[CREATED] = v.canonical_time(f["created_time"])
        for name, value in f.items():
            if name == "ticker" or name in _NOT_MARKET_FIELDS:
                continue
            if value is None and name in _MARKET_EMPTY:
                value = _MARKET_EMPTY[name]
            if isinstance(value, Decimal):
                value = v.canonical_decimal(value)
            elif isinstance(value, datetime):
                value = v.canonical_time(value)
            fields[name] = value
        if "is_mve" not in fields or fields["is_mve"] is None:
            # as the API parser decides it: a combo's ticker or its collection
            fields["is_mve"] = bool(f.get("mve_collection_ticker")) or ticker.startswith("KXMVE")
        updated = f.get("updated_at")
        return ImportedMarket(
            self.src,
            line,
            ticker,
            updated,
            f.get("fetched_at"),
            orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode(),
        )

    def records(
        self, rows: Sequence[Sequence[object]], lines: Sequence[int], log: ProblemLog
    ) -> list[Any]:
        build = {"trades": self.trade, "candles": self.candle, "markets": self.market}[self.kind]
        out = []
        for row, line in zip(rows, lines, strict=True):
            record = build(row, line, log)
            if record is not None:
                out.append(record)
        return out


def _candle_columns_missing(fields: set[str], period: int | None) -> list[str]:
    """What a candles file lacks beyond the always-required columns: a time, a period, and
    prices: the whole book (Kalshi's candlestick) or the trade-price OHLC."""
    missing = []
    if not fields & {"end_time", "start_time"}:
        missing.append(
            "end_period_ts (unix seconds) or end_time, or timestamp (unix seconds, the "
            "period's start)"
        )
    if "period_minutes" not in fields and period is None:
        missing.append(
            "period_interval (minutes), or the import's period option (--period 1|60|1440)"
        )
    book = [name for name in BOOK_OHLC if name in fields]
    if book and len(book) < len(BOOK_OHLC):
        # half a book cannot be stored (a candle's bid without its ask)
        missing += [f"{name}[_dollars]" for name in BOOK_OHLC if name not in fields]
    elif not book and not fields >= set(TRADE_OHLC):
        missing.append(
            "prices: the YES bid and ask OHLC (yes_bid_open[_dollars], ... yes_ask_close"
            "[_dollars]), or the trade-price OHLC (price_open[_dollars], ... or open, high, "
            "low, close in cents)"
        )
    return missing


def _price_field(f: dict[str, Any]) -> str:
    return "yes_price" if "yes_price" in f else "no_price"


def _columns_of(f: Field) -> str:
    """The accepted columns of a field, short: `yes_bid_open[_dollars]`, `volume[_fp]`."""
    if len(f.sources) == 2:
        exact, legacy = f.sources[0].column, f.sources[1].column
        if exact in (f"{legacy}_dollars", f"{legacy}_fp"):
            return f"{legacy}[{exact[len(legacy) :]}]"
    return " or ".join(f"{s.column} ({s.unit})" if s.unit else s.column for s in f.sources)

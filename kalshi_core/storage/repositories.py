"""Repository Protocols (ADR-002): every reader and writer of the workbench goes through these.

Dagster assets, the API and notebooks depend on the Protocols; `kalshi_core.storage.postgres`
holds the PostgreSQL implementations. All methods are async.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    NamedTuple,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from kalshi_core.closes import ClosesRecorded, KnownClose
from kalshi_core.models import (
    BacktestResult,
    Candle,
    Event,
    IngestPoll,
    Market,
    MarketSnapshot,
    Series,
    Trade,
)

if TYPE_CHECKING:
    import pandas as pd

    from kalshi_core.analysis.calibration import CalibrationResult, CalibrationTrade


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What one `save_many` call did."""

    received: int
    written: int  # rows appended to market_snapshots (changed quotes, restored observations)
    unchanged: int  # skipped because the quote equals the one in force at its time
    duplicates: int  # skipped because (market, observation time) was already recorded
    too_late: int = 0  # refused: older than the recent observations a late write can be placed by
    restored: int = 0  # observations re-stored after a late row changed the history before them
    dropped: int = 0  # stored rows removed because a late row made them repeat their predecessor


@dataclass(frozen=True, slots=True)
class LatestQuote:
    """A market's latest snapshot joined with its metadata (one row of `market_latest`).

    `snapshot.timestamp` is the last observation of the market; `changed_at` is when its quote
    last changed (the newest stored history row). `market` is None while only the ticker is
    known (metadata not loaded yet).
    """

    snapshot: MarketSnapshot
    market: Market | None
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SnapshotQuality:
    """Data-quality figures of the stored snapshots in a window (`MarketRepository.quality`)."""

    start: datetime
    end: datetime
    rows: int  # stored snapshot rows with start <= observed_at < end
    markets: int  # distinct markets among them
    crossed: int  # rows with yes_bid > yes_ask
    out_of_range: int  # rows with a price outside [0, 1] (the schema forbids it: expect 0)
    duplicate_keys: int  # (market, observed_at) keys stored more than once (the key forbids it)
    open_markets: int  # markets with status active/open that have a latest quote
    stale_open_markets: int  # ... whose quote has not changed for `stale_after`
    examples: list[str] = field(default_factory=list)  # a few offending rows, human-readable


@dataclass(frozen=True, slots=True)
class RawPage:
    """One fetched API page as received (uncompressed `body`); stored compressed, per page."""

    fetched_at: datetime
    endpoint: str
    body: bytes
    params: Mapping[str, Any] = field(default_factory=dict)
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class MarketFilter:
    status: str | None = None
    series_ticker: str | None = None
    event_ticker: str | None = None
    search: str | None = None  # case-insensitive substring of ticker or title
    sort: Literal["ticker", "volume", "volume_24h", "open_interest", "close_time", "updated"] = (
        "ticker"
    )
    descending: bool = False


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Poll coverage over a window: expected grid ticks vs ticks recorded ok."""

    tier: str
    start: datetime
    end: datetime
    expected: int
    ok: int
    missed: int
    errors: int
    gaps: list[tuple[datetime, datetime]]  # [first missing tick, last missing tick] runs
    last_tick: datetime | None

    @property
    def ratio(self) -> float:
        return self.ok / self.expected if self.expected else 1.0


@runtime_checkable
class MarketRepository(Protocol):
    """Snapshots (`market_snapshots`), latest quotes (`market_latest`) and market metadata."""

    async def save(self, snapshot: MarketSnapshot) -> None:
        """Row-by-row write (the seed's path); kept as the benchmark baseline."""
        ...

    async def save_many(
        self,
        snapshots: Sequence[MarketSnapshot],
        *,
        poll: IngestPoll | None = None,
        raw_pages: Sequence[RawPage] = (),
    ) -> SaveReport:
        """Hot path: one transaction; COPY changed quotes into market_snapshots, upsert
        market_latest, record `poll` (its rows_written counts what this tick stored) and the
        compressed `raw_pages`; idempotent (the same tick written twice changes nothing)."""
        ...

    async def get_latest(self, ticker: str) -> LatestQuote | None: ...

    async def get_all_latest(
        self, flt: MarketFilter | None = None, limit: int = 100, offset: int = 0
    ) -> Page[LatestQuote]: ...

    async def get_history(
        self,
        ticker: str,
        limit: int = 500,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[MarketSnapshot]:
        """Newest first, at most `limit` rows, `start <= timestamp < end`."""
        ...

    async def upsert_markets(self, markets: Sequence[Market]) -> int: ...

    async def get_market(self, ticker: str) -> Market | None: ...

    async def close_time_history(
        self, tickers: Sequence[str]
    ) -> dict[str, list[tuple[datetime, datetime | None]]]:
        """Each ticker's close_time as known over time, (known_from, close_time) oldest first;
        known_from is `datetime.min` (UTC) for a close whose age is unknown. Tickers without
        history are left out. Backtests read it so a signal sees only the close known at
        each bar."""
        ...

    async def quality(
        self, start: datetime, end: datetime, *, stale_after: timedelta
    ) -> SnapshotQuality:
        """Quality figures of `[start, end)`; staleness is judged at min(end, now)."""
        ...

    async def snapshot_frame(
        self,
        tickers: Sequence[str] | None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame:
        """Stored snapshot rows for the backtest engine, `start <= observed_at < end`, ordered
        by (observed_at, market_ticker): columns market_ticker, observed_at (UTC), yes_bid,
        yes_ask, last_price, yes_bid_size, yes_ask_size, volume, open_interest as float64
        (the Decimal -> float boundary of vectorized backtests). With `as_of`, each market's
        last row before `start` is included too (the quote in force at `start`, however old:
        storage is change-only)."""
        ...


@runtime_checkable
class EventRepository(Protocol):
    async def upsert_many(self, events: Sequence[Event]) -> int: ...

    async def get(self, event_ticker: str) -> Event | None: ...

    async def list(
        self, series_ticker: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[Event]: ...

    async def markets_of(self, event_ticker: str) -> builtins.list[Market]: ...


@runtime_checkable
class SeriesRepository(Protocol):
    async def upsert_many(self, series: Sequence[Series]) -> int: ...

    async def get(self, ticker: str) -> Series | None: ...

    async def list(self, limit: int = 100, offset: int = 0) -> Page[Series]: ...


@runtime_checkable
class BacktestRepository(Protocol):
    async def save(self, result: BacktestResult) -> int:
        """Insert one result; returns its id."""
        ...

    async def get(self, result_id: int) -> BacktestResult | None: ...

    async def list(
        self, strategy_name: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[BacktestResult]:
        """Newest first; items omit the equity curve and trades (summary rows)."""
        ...


@runtime_checkable
class IngestPollRepository(Protocol):
    async def record(self, poll: IngestPoll) -> None:
        """Insert or replace the row for (tier, tick)."""
        ...

    async def record_many(self, polls: Sequence[IngestPoll]) -> int:
        """`record` for many ticks in one transaction (e.g. marking missed ticks)."""
        ...

    async def recorded_ticks(
        self, tier: str, start: datetime, end: datetime
    ) -> list[IngestPoll]: ...

    async def coverage(
        self, tier: str, start: datetime, end: datetime, interval_s: int
    ) -> CoverageReport: ...

    async def last(self, tier: str) -> IngestPoll | None: ...

    async def coverage_spans(
        self, tickers: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Per market, the merged `[since, until)` spans in which a tier kept observing it,
        clipped to `[start, end)`. Markets for which no coverage was ever recorded (data written
        without a poll, or before coverage was recorded) are absent; covered ones are present,
        possibly with no span inside the window."""
        ...


class ImportedTrade(NamedTuple):
    """A validated trade of an imported dump; `src`/`line` say where it came from (the import's
    file index and the file's line or Parquet row) so duplicates are reported by location. A
    None `taker_side`/`is_block_trade` means the dump did not say: a stored value is kept."""

    src: int
    line: int
    trade_id: str
    ticker: str
    created_time: datetime
    yes_price: Decimal
    contracts: Decimal  # column `count` (a NamedTuple field cannot be named count)
    taker_side: str | None
    is_block_trade: bool | None


class ImportedCandle(NamedTuple):
    """A validated candle of an imported dump (see `ImportedTrade`). A None trade price means
    no trade in the period or that the dump did not say: a stored price is kept. The book (all
    eight bid/ask prices) and the open interest are None together for a trade-price candle file,
    which does not record them: a stored book is kept, else they stay unknown (NULL)."""

    src: int
    line: int
    ticker: str
    period_minutes: int
    end_time: datetime
    yes_bid_open: Decimal | None
    yes_bid_high: Decimal | None
    yes_bid_low: Decimal | None
    yes_bid_close: Decimal | None
    yes_ask_open: Decimal | None
    yes_ask_high: Decimal | None
    yes_ask_low: Decimal | None
    yes_ask_close: Decimal | None
    price_open: Decimal | None
    price_high: Decimal | None
    price_low: Decimal | None
    price_close: Decimal | None
    volume: Decimal
    open_interest: Decimal | None


class ImportedMarket(NamedTuple):
    """A validated market row of an imported dump: only the `Market` fields the dump holds, as
    canonical JSON text (sorted keys; Decimals and UTC times as strings), so two rows of one
    ticker compare as text. `updated_at`, then `fetched_at`, order a ticker's rows: the newest
    one is kept."""

    src: int
    line: int
    ticker: str
    updated_at: datetime | None
    fetched_at: datetime | None
    fields_json: str


@dataclass(frozen=True, slots=True)
class StagedMarket:
    """The row an import keeps for one ticker, with the market as stored before the import
    (None: not stored, or only a placeholder without metadata)."""

    ticker: str
    fields_json: str
    stored: Market | None


@dataclass(frozen=True, slots=True)
class StagedCounts:
    """Rows staged for one table, the distinct keys among them, and the keys that different
    rows give different values (for markets: among each ticker's newest rows)."""

    table: str
    rows: int
    keys: int
    conflicting_keys: int


@dataclass(frozen=True, slots=True)
class ImportConflict:
    """One key given different values by the rows at `locations`: (src, line), input order."""

    table: str
    key: str
    locations: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What writing one table's staged rows did: each distinct key was inserted, updated or
    found unchanged (`rows` staged = keys + `duplicates`, rows repeating a key)."""

    table: str
    rows: int
    inserted: int
    updated: int
    unchanged: int

    @property
    def duplicates(self) -> int:
        return self.rows - self.inserted - self.updated - self.unchanged


@runtime_checkable
class HistoryImportSession(Protocol):
    """One dump import: rows are staged (COPY) as they stream in, then written together.

    The session is one transaction: it commits when its context exits without an exception,
    and any exception leaves every table as it was."""

    async def stage_trades(self, rows: Sequence[ImportedTrade]) -> None: ...

    async def stage_candles(self, rows: Sequence[ImportedCandle]) -> None: ...

    async def stage_markets(self, rows: Sequence[ImportedMarket]) -> None: ...

    async def staged(self) -> builtins.list[StagedCounts]:
        """Counts per staging table (markets, market_trades, market_candles)."""
        ...

    async def conflicts(self, limit: int) -> builtins.list[ImportConflict]:
        """Up to `limit` conflicting keys per table, each with the first rows giving it."""
        ...

    async def write_history(self) -> builtins.list[ImportCounts]:
        """Upsert the staged trades and candles (the first row of each key); a row equal to
        the stored one is not rewritten."""
        ...

    def staged_markets(self, chunk: int) -> AsyncIterator[builtins.list[StagedMarket]]:
        """The kept row of each staged ticker, by ticker, `chunk` at a time, each with the
        stored market; callers merge and write through `MarketRepository.upsert_markets`."""
        ...

    async def record_known_closes(self, closes: Sequence[KnownClose]) -> ClosesRecorded:
        """`HistoryRepository.record_known_closes` inside the session's transaction (for the
        markets just written through the markets repository)."""
        ...


@runtime_checkable
class HistoryRepository(Protocol):
    """Backfilled and imported trades and candlesticks (`market_trades`, `market_candles`)."""

    async def replace_trades(
        self, tickers: Sequence[str], start: datetime, end: datetime, trades: Sequence[Trade]
    ) -> int:
        """Rewrite the window for these tickers in one transaction (idempotent per partition)."""
        ...

    async def replace_candles(
        self,
        tickers: Sequence[str],
        period_minutes: int,
        start: datetime,
        end: datetime,
        candles: Sequence[Candle],
    ) -> int: ...

    async def get_trades(
        self, ticker: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Trade]: ...

    async def get_candles(
        self,
        ticker: str,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Candle]: ...

    async def last_candle_end(self, ticker: str, period_minutes: int) -> datetime | None:
        """The end of `ticker`'s newest stored candle of that period, or None if it has none."""
        ...

    async def candle_frame(
        self,
        tickers: Sequence[str] | None,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Candles for the backtest engine, `start <= end_time < end`, ordered by (end_time,
        market_ticker): columns market_ticker, end_time (UTC), yes_bid_close, yes_ask_close,
        price_close (NaN without trades), volume, open_interest as float64."""
        ...

    def import_session(self) -> AbstractAsyncContextManager[HistoryImportSession]:
        """A dump import's staging session, one transaction (see `HistoryImportSession`)."""
        ...

    async def record_known_closes(self, closes: Sequence[KnownClose]) -> ClosesRecorded:
        """Record from when the closes of markets written after the fact were known
        (`kalshi_core.closes`: from the open when scheduled, else at the close) in
        `market_close_times`, only where the stored history has nothing at or before that time
        and never saw the close change; idempotent. Returns the rows added."""
        ...

    async def trade_frame(
        self,
        tickers: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame:
        """Trades for the backtest engine, `start <= created_time < end`, ordered by
        (created_time, trade_id): columns market_ticker, created_time (UTC), yes_price and
        count (float64), taker_side ('yes'/'no'/None), is_block_trade (bool). With `as_of`,
        also every non-block print at each market's last YES-taker and last NO-taker moment
        before `start` (the prices in force at the start, however old)."""
        ...


@runtime_checkable
class CalibrationRepository(Protocol):
    """Calibration analyses (`calibration_results`) and the trade prints they read
    (`kalshi_core.analysis.calibration`, docs/CALIBRATION.md)."""

    def trades(self, series_ticker: str | None) -> AsyncGenerator[CalibrationTrade, None]:
        """Every print of `market_trades` in scope (a series, or None: all), streamed, with its
        market's result, close time and effective fee type/multiplier (an event's override
        beats its series'); prints of markets without metadata come with result None."""
        ...

    async def kept_totals(
        self, series_ticker: str | None, close_window_s: int
    ) -> tuple[int, Decimal]:
        """(observations, contracts) of the prints the analysis keeps, counted by SQL alone:
        the independent recount its asset check compares the bands with."""
        ...

    async def series_with_trades(self) -> builtins.list[str]:
        """Series tickers with at least one print of a market settled yes or no."""
        ...

    async def save(self, result: CalibrationResult) -> int:
        """Store an analysis; one row per parameter set (series, close window, band edges,
        flat rate): saving the same parameters again replaces the row and keeps its id."""
        ...

    async def get(self, result_id: int) -> CalibrationResult | None: ...

    async def list(
        self,
        series_ticker: str | None = None,
        *,
        pooled: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[CalibrationResult]:
        """Newest first (computed_at); `series_ticker` filters one series, `pooled=True` keeps
        the analyses over every series, `pooled=False` the per-series ones."""
        ...


@runtime_checkable
class RawPageRepository(Protocol):
    """Compressed raw API pages (`raw_pages`, day-partitioned for cheap retention)."""

    async def add(self, pages: Sequence[RawPage]) -> int: ...

    async def list(
        self, start: datetime, end: datetime, endpoint: str | None = None, limit: int = 1000
    ) -> list[RawPage]:
        """Pages fetched in `[start, end)`, oldest first, bodies decompressed."""
        ...

    async def count(self, start: datetime | None = None, end: datetime | None = None) -> int: ...

    async def prune(self, older_than: datetime) -> int:
        """Remove pages fetched before `older_than` (drops whole day partitions where it can);
        returns the number of pages removed."""
        ...


@runtime_checkable
class JsonReadRepository(Protocol):
    """Reads that return response JSON as text, rendered by the database (the API's hot
    endpoints), and the small health/ingestion summaries beside them."""

    async def market(self, ticker: str) -> str | None:
        """One market's latest quote with its metadata as a JSON object, or None."""
        ...

    async def markets(self, flt: MarketFilter, limit: int, offset: int) -> tuple[str, int]:
        """A page of latest quotes as a JSON array (the order of `MarketRepository.
        get_all_latest`), and the total matching `flt`."""
        ...

    async def history(
        self,
        ticker: str,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> str | None:
        """Stored snapshots of `ticker`, newest first, as a JSON array; None if unknown."""
        ...

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        ...

    async def last_ok_tick(self, tier: str) -> datetime | None: ...

    async def recent_errors(
        self, tier: str, since: datetime, limit: int
    ) -> list[dict[str, Any]]: ...

    async def recent_ticks(self, tier: str, since: datetime) -> list[datetime]: ...


ArchiveStep = Literal["written", "verified", "recorded", "retired", "dropped"]
"""The steps of archiving a day, in order: the temporary file written, the file verified and
moved into place, the day recorded in `archived_days`, the day served from its file (retired),
the partition dropped."""


@dataclass(frozen=True, slots=True)
class ArchivedDay:
    """One row of `archived_days`: a finished day of `table` in its Parquet file."""

    table: str
    day: date
    url: str  # the file (a local path or an fsspec URL)
    rows: int
    bytes: int
    checksum: str  # `kalshi_core.storage.archive.RowChecksum.digest` of the rows
    written_at: datetime
    verified_at: datetime | None  # None: to be archived again (the partition changed)
    retired_at: datetime | None  # readers take the day from the file since (None: from PostgreSQL)
    dropped_at: datetime | None  # None: the partition is still in PostgreSQL too


@runtime_checkable
class ArchiveRepository(Protocol):
    """The Parquet archive of finished days (`archived_days` and the files, docs/ARCHIVE.md)."""

    async def archive_day(
        self, table: str, day: date, *, today: date | None = None
    ) -> ArchivedDay | None:
        """Write the finished day's partition to its file, verify it against the partition's
        rows and record it; the record (an already verified day is skipped), or None when the
        day has no partition. A file that does not verify raises and the partition stays."""
        ...

    async def drop_expired(
        self,
        table: str = "market_snapshots",
        *,
        hot_days: int | None = None,
        today: date | None = None,
    ) -> builtins.list[date]:
        """Retire the recorded days older than `hot_days` (readers switch to their files), and
        drop the partitions of days retired longer than the drop grace ago, each after
        re-checking its file and its rows; returns the days dropped."""
        ...

    async def verify_day(self, table: str, day: date) -> ArchivedDay:
        """Re-read a recorded file and check it against its record; raises if it differs."""
        ...

    async def get(self, table: str, day: date) -> ArchivedDay | None: ...

    async def days(self, table: str = "market_snapshots") -> builtins.list[ArchivedDay]: ...

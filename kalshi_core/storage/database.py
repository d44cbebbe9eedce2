"""The asyncpg connection pool every repository shares, and the `Repositories` bundle.

    async with await Database.connect(url, min_size=1, max_size=10) as db:
        repos = repositories(db)
        await repos.markets.save_many(snapshots, poll=poll)

Connections decode `json`/`jsonb` with orjson and NUMERIC as `Decimal` (asyncpg's default, kept:
money stays exact). `readonly=True` makes every transaction of the pool read-only
(`default_transaction_read_only`), which is what the API uses.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

import asyncpg
import orjson

from kalshi_core.logs import get_logger
from kalshi_core.settings import get_settings
from kalshi_core.storage.partitions import PartitionCache, days_ahead
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
from kalshi_core.storage.postgres.backtests import PostgresBacktestRepository
from kalshi_core.storage.postgres.calibration import PostgresCalibrationRepository
from kalshi_core.storage.postgres.events import PostgresEventRepository
from kalshi_core.storage.postgres.history import PostgresHistoryRepository
from kalshi_core.storage.postgres.markets import PostgresMarketRepository
from kalshi_core.storage.postgres.polls import PostgresIngestPollRepository
from kalshi_core.storage.postgres.raw_pages import PostgresRawPageRepository
from kalshi_core.storage.postgres.series import PostgresSeriesRepository
from kalshi_core.storage.repositories import (
    ArchiveRepository,
    BacktestRepository,
    CalibrationRepository,
    EventRepository,
    HistoryRepository,
    IngestPollRepository,
    MarketRepository,
    RawPageRepository,
    SeriesRepository,
)

log = get_logger(__name__)


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants `postgresql://`; accept the SQLAlchemy spellings too."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]!r}")
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per-connection setup of every pool: orjson for json/jsonb."""
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, schema="pg_catalog", encoder=_json_dumps, decoder=orjson.loads, format="text"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The read-only pool's reset: nothing to undo (see `Database.connect`)."""


class Database:
    """An asyncpg pool plus what the writers need per database (the partition cache)."""

    def __init__(
        self, pool: asyncpg.Pool, *, readonly: bool = False, partition_days_ahead: int = 3
    ) -> None:
        self._pool = pool
        self.readonly = readonly
        self.partition_days_ahead = partition_days_ahead
        self.partitions = PartitionCache()
        self._ahead_done: dict[str, date] = {}
        self._counts: dict[str, tuple[float, int]] = {}

    @classmethod
    async def connect(
        cls,
        url: str,
        min_size: int = 1,
        max_size: int = 10,
        *,
        readonly: bool = False,
        partition_days_ahead: int | None = None,
        command_timeout: float | None = 60.0,
    ) -> Database:
        """Open a pool. `partition_days_ahead` defaults to the setting of the same name."""
        if partition_days_ahead is None:
            partition_days_ahead = get_settings().partition_days_ahead
        # JIT compilation costs tens of ms and pays off only for long analytical queries;
        # with the hot path's misestimated CTEs it would kick in at the wrong moments.
        server_settings = {"application_name": "kalshi_workbench", "jit": "off"}
        if readonly:
            server_settings["default_transaction_read_only"] = "on"
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url),
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            # asyncpg's default reset sends `RESET ALL; UNLISTEN *; CLOSE ALL; ...` on every
            # release: a second round trip per API request. Readers never change session state
            # (no SET, LISTEN, cursors or advisory locks), so their pool skips it; an open
            # transaction is still rolled back. Writers keep the full reset.
            reset=_keep_session if readonly else None,
            server_settings=server_settings,
            command_timeout=command_timeout,
        )
        if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
            raise RuntimeError("asyncpg.create_pool returned no pool")
        return cls(pool, readonly=readonly, partition_days_ahead=partition_days_ahead)

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as conn:
            yield conn

    async def close(self) -> None:
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def require_writable(self) -> None:
        if self.readonly:
            raise PermissionError("this Database was opened read-only (readonly=True)")

    async def cached_count(self, key: str, ttl_s: float, load: Callable[[], Awaitable[int]]) -> int:
        """A count that may be up to `ttl_s` seconds old (0 = always fresh), shared by every
        repository of this Database: counting 100k rows on every page request is what would
        otherwise dominate a paginated list."""
        now = time.monotonic()
        hit = self._counts.get(key)
        if ttl_s > 0 and hit is not None and now - hit[0] < ttl_s:
            return hit[1]
        value = await load()
        self._counts[key] = (now, value)
        return value

    def forget_cached_counts(self) -> None:
        self._counts.clear()

    def forget_partitions(self) -> None:
        """Drop what the partition cache knows (after partitions were dropped by hand)."""
        self.partitions.forget()
        self._ahead_done.clear()

    async def ensure_partitions(
        self, conn: asyncpg.Connection, table: str, days: Iterable[date]
    ) -> None:
        """Make sure the day partitions a write touches exist, plus today's ones ahead.

        Call it outside the write transaction: creating a partition locks the parent table,
        which should last milliseconds, not a whole tick.
        """
        wanted = set(days)
        today = datetime.now(UTC).date()
        if self._ahead_done.get(table) != today:
            wanted.update(days_ahead(today, self.partition_days_ahead))
        await self.partitions.ensure(conn, table, wanted)
        self._ahead_done[table] = today


@dataclass(frozen=True, slots=True)
class Repositories:
    """Every repository, built on one Database.

    Fields are typed with the Protocols of `kalshi_core.storage.repositories` (the contract
    callers may rely on); `repositories(db)` fills them with the PostgreSQL implementations.
    """

    db: Database
    markets: MarketRepository
    events: EventRepository
    series: SeriesRepository
    backtests: BacktestRepository
    polls: IngestPollRepository
    history: HistoryRepository
    raw_pages: RawPageRepository
    calibration: CalibrationRepository
    archive: ArchiveRepository


def repositories(db: Database) -> Repositories:
    """The repository bundle for a Database (cheap: what repositories cache lives on `db`)."""
    return Repositories(
        db=db,
        markets=PostgresMarketRepository(db),
        events=PostgresEventRepository(db),
        series=PostgresSeriesRepository(db),
        backtests=PostgresBacktestRepository(db),
        polls=PostgresIngestPollRepository(db),
        history=PostgresHistoryRepository(db),
        raw_pages=PostgresRawPageRepository(db),
        calibration=PostgresCalibrationRepository(db),
        archive=PostgresArchiveRepository(db),
    )

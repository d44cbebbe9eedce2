"""Poll ticks (`ingest_polls`) in PostgreSQL: one row per (tier, tick), coverage and gaps.

Coverage is computed on the wall-clock grid: the expected ticks of `[start, end)` are the
multiples of `interval_s` seconds since the Unix epoch, which is how the ingestion schedules
its polls (ticks at :00, :05, ...). A grid tick without a row counts as missed.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from kalshi_core.models import IngestPoll
from kalshi_core.storage.repositories import CoverageReport
from kalshi_core.storage.tables import TIER_PREFIXES

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_COLUMNS: Final = (
    "tier",
    "tick",
    "started_at",
    "finished_at",
    "markets_seen",
    "rows_written",
    "retries",
    "http_429s",
    "status",
    "error",
    "run_id",
    "interval_s",
)
_INSERT = f"""
INSERT INTO ingest_polls ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i + 1}" for i in range(len(_COLUMNS)))})
ON CONFLICT (tier, tick) DO UPDATE SET
"""
_REPLACE = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[2:]) + ", recorded_at = now()"


def _rank(status: str) -> str:
    return f"CASE {status} WHEN 'ok' THEN 2 WHEN 'error' THEN 1 ELSE 0 END"


# A tick's record only moves up: missed -> error -> ok. An ok tick is never downgraded (a
# successor run marking its predecessor's unfinished ticks missed can race the predecessor's
# commit), and an error keeps its detail when a later pass only knows the tick was missed.
_NO_DOWNGRADE = f"\nWHERE {_rank('EXCLUDED.status')} >= {_rank('ingest_polls.status')}"

UPSERT_POLL: Final = _INSERT + _REPLACE + _NO_DOWNGRADE
"""Insert or replace the row of (tier, tick), never replacing it by a lesser status."""

UPSERT_POLL_ADDING_ROWS: Final = (
    _INSERT
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[2:] if c != "rows_written")
    + ", rows_written = ingest_polls.rows_written + EXCLUDED.rows_written, recorded_at = now()"
    + _NO_DOWNGRADE
)
"""Like UPSERT_POLL, but a repeated write of the tick adds the rows it stored (usually 0)."""

_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM ingest_polls"

_TIER_SPANS = ", ".join(f"(l.{p}_since, l.{p}_until)" for p in TIER_PREFIXES.values())
_COVERAGE_SPANS: Final = f"""
WITH m AS (SELECT id, ticker FROM markets WHERE ticker = ANY($1::text[])),
spans AS (
    SELECT m.ticker, c.since, c.until FROM m JOIN market_coverage c ON c.market_id = m.id
    UNION ALL
    SELECT m.ticker, x.since, x.until
    FROM m JOIN market_latest l ON l.market_id = m.id
    CROSS JOIN LATERAL (VALUES {_TIER_SPANS}) x(since, until)
    WHERE x.since IS NOT NULL
)
-- every covered market once (NULL span when none falls in the window), then its spans in order
SELECT ticker, since, until FROM spans WHERE until > $2 AND since < $3 AND until > since
UNION ALL
SELECT DISTINCT ticker, NULL::timestamptz, NULL::timestamptz FROM spans
ORDER BY 1, 2 NULLS FIRST
"""
"""Coverage spans (closed ones and each tier's open one) of some markets overlapping a window."""


def poll_args(poll: IngestPoll) -> tuple[Any, ...]:
    """Bind arguments for UPSERT_POLL / UPSERT_POLL_ADDING_ROWS."""
    for name in ("tick", "started_at", "finished_at"):
        value = getattr(poll, name)
        if value is not None and value.tzinfo is None:
            raise ValueError(f"IngestPoll.{name}: naive datetime {value.isoformat()} rejected")
    return tuple(getattr(poll, c) for c in _COLUMNS)


def _poll_from(row: asyncpg.Record) -> IngestPoll:
    return IngestPoll.model_construct(**{c: row[c] for c in _COLUMNS})


def grid_ticks(start: datetime, end: datetime, interval_s: int) -> builtins.list[datetime]:
    """The grid ticks (multiples of `interval_s` since the epoch) in `[start, end)`."""
    if interval_s <= 0:
        raise ValueError("interval_s must be > 0")
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{name}: naive datetime {value.isoformat()} rejected")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=interval_s)
    since = (start - epoch) // timedelta(microseconds=1)
    step_us = interval_s * 1_000_000
    t = epoch + timedelta(microseconds=-(-since // step_us) * step_us)  # ceil to the grid
    ticks: builtins.list[datetime] = []
    while t < end:
        ticks.append(t)
        t += step
    return ticks


class PostgresIngestPollRepository:
    """`IngestPollRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, poll: IngestPoll) -> None:
        """Insert or replace the row for (tier, tick); a status never goes down (missed < error
        < ok), so a late `missed` cannot overwrite a committed tick."""
        self._db.require_writable()
        args = poll_args(poll)
        async with self._db.acquire() as conn:
            await conn.execute(UPSERT_POLL, *args)

    async def record_many(self, polls: Sequence[IngestPoll]) -> int:
        """`record` for many ticks in one transaction; returns how many were given."""
        if not polls:
            return 0
        self._db.require_writable()
        args = [poll_args(p) for p in sorted(polls, key=lambda p: (p.tier, p.tick))]
        async with self._db.acquire() as conn, conn.transaction():
            await conn.executemany(UPSERT_POLL, args)
        return len(args)

    async def recorded_ticks(
        self, tier: str, start: datetime, end: datetime
    ) -> builtins.list[IngestPoll]:
        """Rows of `tier` with `start <= tick < end`, oldest first."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                f"{_SELECT} WHERE tier = $1 AND tick >= $2 AND tick < $3 ORDER BY tick",
                tier,
                start,
                end,
            )
        return [_poll_from(r) for r in rows]

    async def last(self, tier: str) -> IngestPoll | None:
        """The newest recorded tick of `tier`, whatever its status."""
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE tier = $1 ORDER BY tick DESC LIMIT 1", tier)
        return None if row is None else _poll_from(row)

    async def coverage(
        self, tier: str, start: datetime, end: datetime, interval_s: int
    ) -> CoverageReport:
        """Expected grid ticks in `[start, end)` vs those recorded ok.

        `missed` counts grid ticks recorded as missed or not recorded at all; `errors` those
        recorded as error; `gaps` are runs of consecutive grid ticks that are not ok, as
        (first, last) pairs; `last_tick` is the newest ok tick in the window.
        """
        grid = grid_ticks(start, end, interval_s)
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                "SELECT tick, status FROM ingest_polls"
                " WHERE tier = $1 AND tick >= $2 AND tick < $3",
                tier,
                start,
                end,
            )
        status = {r["tick"]: r["status"] for r in rows}
        ok = errors = 0
        gaps: builtins.list[tuple[datetime, datetime]] = []
        run_start: datetime | None = None
        prev: datetime | None = None
        last_ok: datetime | None = None
        for t in grid:
            s = status.get(t)
            if s == "ok":
                ok += 1
                last_ok = t
                if run_start is not None and prev is not None:
                    gaps.append((run_start, prev))
                run_start = None
            else:
                if s == "error":
                    errors += 1
                if run_start is None:
                    run_start = t
            prev = t
        if run_start is not None and prev is not None:
            gaps.append((run_start, prev))
        return CoverageReport(
            tier=tier,
            start=start,
            end=end,
            expected=len(grid),
            ok=ok,
            missed=len(grid) - ok - errors,
            errors=errors,
            gaps=gaps,
            last_tick=last_ok,
        )

    async def coverage_spans(
        self, tickers: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, builtins.list[tuple[datetime, datetime]]]:
        """Per market, merged coverage spans clipped to `[start, end)` (see the Protocol)."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_COVERAGE_SPANS, list(tickers), start, end)
        spans: dict[str, builtins.list[tuple[datetime, datetime]]] = {}
        for r in rows:
            out = spans.setdefault(r["ticker"], [])
            if r["since"] is None:  # covered at some time, not in this window
                continue
            since, until = max(r["since"], start), min(r["until"], end)
            if since >= until:
                continue
            if out and since <= out[-1][1]:  # overlapping or touching: one span
                out[-1] = (out[-1][0], max(out[-1][1], until))
            else:
                out.append((since, until))
        return spans

"""The tick loop of one poll window: fetch on the wall-clock grid, commit each tick atomically.

Dagster-free so it can be tested directly and driven by anything. One call polls one window of
one tier: for each grid tick it waits for the tick, scans Kalshi, and hands the snapshots, the
poll record and the raw pages to `MarketRepository.save_many`, which commits them in one
transaction, so a tick is all or nothing. Ticks already recorded `ok` (a retried run) are skipped;
ticks whose time has passed before they could start are recorded as `missed` rather than fetched
late (a late fetch would carry the wrong time).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from kalshi_core.kalshi import CallStats
from kalshi_core.logs import get_logger
from kalshi_core.models import IngestPoll, Market, MarketSnapshot
from kalshi_core.storage.repositories import IngestPollRepository, MarketRepository
from kalshi_pipeline.lib.poll_grid import PollGrid

log = get_logger(__name__)

# A missed-tick backlog older than this is not back-filled with `missed` rows: an outage of days
# is visible from the gap itself and need not write tens of thousands of rows.
MISSED_BACKFILL_LIMIT = timedelta(hours=24)
# Shortest deadline of one tick's scan (3 poll intervals when that is longer).
TICK_DEADLINE_FLOOR_S = 15.0


class ScanResult(Protocol):
    """What a scan of the tier's markets returns (kalshi_core.kalshi's MarketScan satisfies it)."""

    @property
    def markets(self) -> Sequence[Market]: ...
    @property
    def snapshots(self) -> Sequence[MarketSnapshot]: ...
    @property
    def raw_pages(self) -> Sequence[Any]: ...
    @property
    def requests(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def http_429s(self) -> int: ...
    @property
    def complete(self) -> bool: ...


Scanner = Callable[[datetime, int], Awaitable[ScanResult]]


@dataclass(slots=True)
class TickOutcome:
    tick: datetime
    status: str  # ok | missed | error | skipped (already recorded by an earlier attempt)
    markets_seen: int = 0
    rows_written: int = 0
    http_s: float = 0.0
    commit_s: float = 0.0  # scan end -> committed: parse/diff/write cost beyond HTTP
    tick_to_commit_s: float = 0.0
    retries: int = 0
    http_429s: int = 0
    error: str | None = None
    too_late: int = 0  # observations refused as too old to place in the history (see save_many)


@dataclass(slots=True)
class WindowReport:
    tier: str
    window_start: datetime
    window_end: datetime
    outcomes: list[TickOutcome] = field(default_factory=list)
    crossed_quotes: int = 0
    incomplete_scans: int = 0
    unknown_fields: set[str] = field(default_factory=set)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_written(self) -> int:
        return sum(o.rows_written for o in self.outcomes)

    @property
    def markets_seen(self) -> int:
        return max((o.markets_seen for o in self.outcomes), default=0)

    def percentile(self, attr: str, q: float) -> float | None:
        values = sorted(getattr(o, attr) for o in self.outcomes if o.status == "ok")
        if not values:
            return None
        if len(values) == 1:
            return float(values[0])
        return float(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1])


def sequence_for(tick: datetime) -> int:
    """REST snapshots carry the tick's epoch milliseconds as their sequence: monotonic per market
    and identical for every writer of the same tick (WebSocket rows will carry Kalshi's `seq`)."""
    return int(tick.timestamp() * 1000)


INGESTION_GC_GEN0_THRESHOLD = 10_000


def tune_gc_for_ingestion() -> None:
    """Run the cyclic garbage collector less often in an ingestion process.

    A catalogue tick keeps ~116k markets' models alive while it builds as many new objects
    (snapshots, COPY rows); with CPython 3.11's default gen0 threshold of 700 allocations the
    collector then runs full passes over millions of live objects several times per tick.
    Parsing 117k markets with the results kept took 2.10 s at the default and 1.23 s at 10,000
    (measured here); memory is unaffected (the objects hold no cycles). Process-wide, so it is
    applied once by the poll window's process (a Dagster run worker), not by the library.
    """
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 < INGESTION_GC_GEN0_THRESHOLD:
        gc.set_threshold(INGESTION_GC_GEN0_THRESHOLD, gen1, gen2)


async def poll_window(
    *,
    grid: PollGrid,
    window_start: datetime,
    scan: Scanner,
    markets: MarketRepository,
    polls: IngestPollRepository,
    run_id: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    record_backlog: bool = True,
    raw_pages_every_s: int = 0,
) -> WindowReport:
    """Poll every tick of one window of one tier; see the module docstring.

    `raw_pages_every_s`: keep the raw pages of the ticks on this grid (epoch seconds divisible
    by it) and of every tick whose scan was incomplete or saw a crossed quote; 0 keeps every
    tick's pages. At 5 s ticks, keeping every page costs gigabytes a day.
    """
    window_end = grid.window_end(window_start)
    report = WindowReport(grid.tier, window_start, window_end)
    done = {
        p.tick
        for p in await polls.recorded_ticks(grid.tier, window_start, window_end)
        if p.status == "ok"
    }
    if record_backlog:
        await _record_backlog(grid, window_start, polls, run_id)
    known = MetadataWriter(markets)
    for tick in grid.window_ticks(window_start):
        if tick in done:
            report.outcomes.append(TickOutcome(tick, "skipped"))
            continue
        wait = (tick - now()).total_seconds()
        if wait > 0:
            await sleep(wait)
        elif -wait >= grid.interval_s:
            outcome = TickOutcome(tick, "missed", error="tick passed before it could start")
            await _record(polls, grid.tier, tick, outcome, run_id)
            report.outcomes.append(outcome)
            continue
        report.outcomes.append(
            await _poll_tick(
                grid, tick, scan, markets, polls, run_id, known, report, raw_pages_every_s
            )
        )
    await known.drain()
    return report


class MetadataWriter:
    """Upserts market metadata that changed, off the tick's critical path.

    A catalogue run's first tick sees ~100k markets whose metadata this process has not seen
    yet; upserting them inline would hold that tick (and miss the next ones) for seconds. The
    snapshots never wait for it: `save_many` creates a placeholder row for an unknown ticker,
    and the metadata lands moments later. Failures are logged; the next change retries.
    """

    def __init__(self, markets: MarketRepository) -> None:
        self._repo = markets
        self._known: dict[str, Market] = {}
        self._pending: dict[str, Market] = {}
        self._task: asyncio.Task[None] | None = None

    def submit(self, items: Sequence[Market]) -> None:
        for m in items:
            if self._known.get(m.ticker) != m:
                self._known[m.ticker] = m
                self._pending[m.ticker] = m
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self._pending:
            batch = list(self._pending.values())
            self._pending.clear()
            try:
                await self._repo.upsert_markets(batch)
            except Exception as exc:  # metadata is retried on its next change or next run
                for m in batch:
                    self._known.pop(m.ticker, None)
                log.warning(
                    "market metadata upsert failed",
                    extra={"markets": len(batch), "error": f"{type(exc).__name__}: {exc}"},
                )
                return

    async def drain(self) -> None:
        if self._task is not None:
            await self._task


async def _poll_tick(
    grid: PollGrid,
    tick: datetime,
    scan: Scanner,
    markets: MarketRepository,
    polls: IngestPollRepository,
    run_id: str | None,
    known: MetadataWriter,
    report: WindowReport,
    raw_pages_every_s: int = 0,
) -> TickOutcome:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    outcome = TickOutcome(tick, "ok")
    try:
        # a tick never blocks the window: past its deadline it is an error and the grid goes on
        deadline = max(3.0 * grid.interval_s, TICK_DEADLINE_FLOOR_S)
        try:
            result = await asyncio.wait_for(scan(tick, sequence_for(tick)), timeout=deadline)
        except TimeoutError:
            raise TimeoutError(f"scan did not finish within {deadline:g}s") from None
        t1 = time.perf_counter()
        outcome.http_s = t1 - t0
        outcome.markets_seen = len(result.snapshots)
        outcome.retries = result.retries
        outcome.http_429s = result.http_429s
        if not result.complete:
            report.incomplete_scans += 1
        crossed = sum(1 for s in result.snapshots if s.yes_bid > s.yes_ask)
        report.crossed_quotes += crossed
        # metadata is not part of the tick's atomicity: upserted in the background on change
        known.submit(result.markets)
        poll = IngestPoll(
            tier=grid.tier,
            tick=tick,
            started_at=started,
            finished_at=datetime.now(UTC),
            markets_seen=outcome.markets_seen,
            retries=outcome.retries,
            http_429s=outcome.http_429s,
            status="ok",
            run_id=run_id,
            interval_s=grid.interval_s,  # lets save_many record the markets this tick covered
        )
        keep_raw = (
            raw_pages_every_s <= 0
            or int(tick.timestamp()) % raw_pages_every_s == 0
            or not result.complete
            or crossed > 0
        )
        saved = await markets.save_many(
            result.snapshots, poll=poll, raw_pages=result.raw_pages if keep_raw else ()
        )
        outcome.rows_written = saved.written
        outcome.too_late = saved.too_late
        if saved.too_late:
            log.warning(
                "observations too old to place refused",
                extra={"tier": grid.tier, "tick": tick.isoformat(), "too_late": saved.too_late},
            )
        t2 = time.perf_counter()
        outcome.commit_s = t2 - t1
        outcome.tick_to_commit_s = (datetime.now(UTC) - tick).total_seconds()
    except Exception as exc:  # a failed tick is recorded, the window goes on
        outcome.status = "error"
        outcome.error = f"{type(exc).__name__}: {exc}"[:2000]
        # What the failed scan cost (a tick lost to a 429 storm still counts its 429s).
        stats = getattr(exc, "stats", None)
        if isinstance(stats, CallStats):
            outcome.retries = stats.retries
            outcome.http_429s = stats.http_429s
        log.warning(
            "tick failed",
            extra={"tier": grid.tier, "tick": tick.isoformat(), "error": outcome.error},
        )
        await _record(polls, grid.tier, tick, outcome, run_id, started=started)
    return outcome


async def _record(
    polls: IngestPollRepository,
    tier: str,
    tick: datetime,
    outcome: TickOutcome,
    run_id: str | None,
    started: datetime | None = None,
) -> None:
    try:
        await polls.record(
            IngestPoll(
                tier=tier,
                tick=tick,
                started_at=started,
                finished_at=datetime.now(UTC) if started else None,
                retries=outcome.retries,
                http_429s=outcome.http_429s,
                status=outcome.status,
                error=outcome.error,
                run_id=run_id,
            )
        )
    except Exception as exc:  # the database itself may be what failed
        log.error(
            "could not record poll",
            extra={"tier": tier, "tick": tick.isoformat(), "error": f"{type(exc).__name__}: {exc}"},
        )


async def _record_backlog(
    grid: PollGrid, window_start: datetime, polls: IngestPollRepository, run_id: str | None
) -> None:
    """Mark ticks between the tier's last recorded tick and this window as missed, so an outage
    of the whole pipeline (daemon down, machine off) shows up as data, not silence."""
    last = await polls.last(grid.tier)
    if last is None:
        return
    start = max(
        last.tick + timedelta(seconds=grid.interval_s), window_start - MISSED_BACKFILL_LIMIT
    )
    if start >= window_start:
        return
    recorded = {p.tick for p in await polls.recorded_ticks(grid.tier, start, window_start)}
    for tick in grid.ticks(start, window_start):
        if tick not in recorded:
            await _record(
                polls,
                grid.tier,
                tick,
                TickOutcome(tick, "missed", error="no run polled this tick"),
                run_id,
            )

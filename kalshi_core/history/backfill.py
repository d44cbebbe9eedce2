"""History backfill: trades and candlesticks of a universe over UTC days, into PostgreSQL.

    async with KalshiClient.from_settings() as client, await Database.connect(url) as db:
        repos = repositories(db)
        runner = HistoryBackfill(client, repos.history, markets=repos.markets)
        report = await runner.trades(HistoryUniverse.of(series=["KXHIGHNY"]), day1, day8)
        report = await runner.candles(universe, day1, day8, period=60)

How a run goes:
1. read the historical cutoff, resolve the universe to the markets open during the window
   (`kalshi_core.history.universe`) and upsert their metadata (results and fees are what a
   backtest needs, and settled markets never reach the ingestion listings), with from when
   each close was known (`kalshi_core.closes`: the history precedes our copy of the metadata);
2. fetch the days in chunks (`days_per_fetch`): trades split at the trades cutoff, candles per
   market by the market cutoff (`kalshi_core.history.routing`), requests running concurrently
   within the shared rate limit; the next chunk is fetched while the current one is written;
3. write each day with one `replace_trades` / `replace_candles` call: one transaction that
   rewrites that day for every market of the universe. A re-run writes the same rows; a crash
   leaves each day either as it was or fully rewritten, and the next run redoes the rest.

If the trades cutoff moves across a chunk while it is fetched (Kalshi archives continuously),
the chunk's trades are fetched again with the new cutoff, and a market that became historical
between the listing and its candle request is re-routed, so nothing falls between the families.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from kalshi_core.closes import known_close
from kalshi_core.history.routing import (
    BATCH_MAX_CANDLES,
    CANDLE_PERIODS,
    DAY_S,
    SINGLE_MAX_CANDLES,
    Cutoff,
    Family,
    candle_count,
    day_start,
    days_between,
    default_days_per_fetch,
    max_days_per_request,
    pack_batches,
    trade_segments,
)
from kalshi_core.history.universe import HistoryMarket, HistoryUniverse, resolve_markets
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.kalshi.errors import KalshiNotFoundError
from kalshi_core.kalshi.responses import CallStats
from kalshi_core.logs import get_logger
from kalshi_core.models import Candle, Trade
from kalshi_core.storage.repositories import HistoryRepository, MarketRepository

log = get_logger(__name__)

T = TypeVar("T")
Kind = Literal["trades", "candles"]
MAX_CUTOFF_REFETCH = 3


class BackfillError(RuntimeError):
    """A backfill could not complete a day (nothing of that day was written)."""


@dataclass(frozen=True, slots=True)
class DayResult:
    """One committed day."""

    kind: Kind
    day: date
    period_minutes: int | None
    rows: int
    rows_live: int
    rows_historical: int
    markets_with_rows: int


@dataclass(slots=True)
class BackfillReport:
    """What one backfill run did; `metadata()` is the Dagster materialization metadata."""

    kind: Kind
    start: date
    end: date  # exclusive
    period_minutes: int | None = None
    days: list[DayResult] = field(default_factory=list)
    markets: int = 0
    markets_live: int = 0
    markets_historical: int = 0
    historical_listed: bool = False
    requests: int = 0
    retries: int = 0
    http_429s: int = 0
    rate_wait_s: float = 0.0
    calls_live: int = 0
    calls_historical: int = 0
    calls_other: int = 0  # cutoff, market listings
    cutoff_refetches: int = 0
    rerouted_markets: int = 0
    # rows added to market_close_times for the upserted markets (`kalshi_core.closes`)
    closes_known_from_open: int = 0
    closes_known_at_close: int = 0
    wall_s: float = 0.0

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.days)

    @property
    def rows_live(self) -> int:
        return sum(d.rows_live for d in self.days)

    @property
    def rows_historical(self) -> int:
        return sum(d.rows_historical for d in self.days)

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "days": len(self.days),
            "first_day": self.start.isoformat(),
            "last_day": (self.days[-1].day if self.days else self.start).isoformat(),
            "rows": self.rows,
            "rows_live": self.rows_live,
            "rows_historical": self.rows_historical,
            "markets": self.markets,
            "markets_live": self.markets_live,
            "markets_historical": self.markets_historical,
            "requests": self.requests,
            "retries": self.retries,
            "http_429s": self.http_429s,
            "calls_live": self.calls_live,
            "calls_historical": self.calls_historical,
            "calls_other": self.calls_other,
            "rate_wait_s": round(self.rate_wait_s, 3),
            "cutoff_refetches": self.cutoff_refetches,
            "rerouted_markets": self.rerouted_markets,
            "closes_known_from_open": self.closes_known_from_open,
            "closes_known_at_close": self.closes_known_at_close,
            "wall_s": round(self.wall_s, 3),
        }
        if self.period_minutes is not None:
            out["period_minutes"] = self.period_minutes
        return out


@dataclass(slots=True)
class _Chunk:
    """Fetched rows of consecutive days, bucketed by day, with their endpoint family."""

    days: list[date]
    rows: dict[date, list[Any]]
    live: dict[date, int]
    historical: dict[date, int]


def _chunked(days: Sequence[date], n: int) -> list[list[date]]:
    return [list(days[i : i + n]) for i in range(0, len(days), n)]


class HistoryBackfill:
    """Runs trades and candle backfills with one client and one history repository.

    `concurrency` bounds requests in flight (the shared token bucket bounds their rate); keep
    it at or below the client's connection pool (2 x `client.max_concurrency`).
    `on_day` is called after each committed day (progress reporting; an exception it raises
    stops the run after that day, as a crash would).
    """

    def __init__(
        self,
        client: KalshiClient,
        history: HistoryRepository,
        *,
        markets: MarketRepository | None = None,
        concurrency: int | None = None,
        on_day: Callable[[DayResult], None] | None = None,
    ) -> None:
        self.client = client
        self.history = history
        self.markets_repo = markets
        self.concurrency = concurrency or max(1, 2 * client.max_concurrency)
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.on_day = on_day
        self._gate = asyncio.Semaphore(self.concurrency)

    # --- public -------------------------------------------------------------------------------

    async def trades(
        self,
        universe: HistoryUniverse,
        start: date,
        end: date,
        *,
        days_per_fetch: int | None = None,
    ) -> BackfillReport:
        """Backfill public trades of `universe` for the UTC days ``start <= d < end``."""
        return await self._run("trades", universe, start, end, None, days_per_fetch)

    async def candles(
        self,
        universe: HistoryUniverse,
        start: date,
        end: date,
        *,
        period: int = 1,
        days_per_fetch: int | None = None,
    ) -> BackfillReport:
        """Backfill candlesticks of one period (1, 60 or 1440 minutes) for ``start <= d < end``;
        a candle belongs to the day holding its end time."""
        if period not in CANDLE_PERIODS:
            raise ValueError(f"candle period must be one of {CANDLE_PERIODS} minutes, got {period}")
        return await self._run("candles", universe, start, end, period, days_per_fetch)

    # --- the run ------------------------------------------------------------------------------

    async def _run(
        self,
        kind: Kind,
        universe: HistoryUniverse,
        start: date,
        end: date,
        period: int | None,
        days_per_fetch: int | None,
    ) -> BackfillReport:
        if end <= start:
            raise ValueError(f"empty day range {start} .. {end} (end is exclusive)")
        per_fetch = days_per_fetch or default_days_per_fetch(period)
        if per_fetch < 1:
            raise ValueError("days_per_fetch must be >= 1")
        if period is not None:
            per_fetch = min(per_fetch, max_days_per_request(period, BATCH_MAX_CANDLES))
        t0 = time.perf_counter()
        before = _copy(self.client.stats)
        report = BackfillReport(kind=kind, start=start, end=end, period_minutes=period)
        try:
            await self._run_days(report, universe, start, end, period, per_fetch)
        finally:
            after = self.client.stats
            report.requests = after.requests - before.requests
            report.retries = after.retries - before.retries
            report.http_429s = after.http_429s - before.http_429s
            report.rate_wait_s = after.rate_wait_s - before.rate_wait_s
            report.wall_s = time.perf_counter() - t0
            log.info(f"history backfill ({kind}) finished", extra=report.metadata())
        return report

    async def _run_days(
        self,
        report: BackfillReport,
        universe: HistoryUniverse,
        start: date,
        end: date,
        period: int | None,
        per_fetch: int,
    ) -> None:
        cutoff = await self._cutoff(report)
        lookback_s = 0 if period is None else period * 60
        resolved = await resolve_markets(
            self.client,
            universe,
            day_start(start),
            day_start(end),
            cutoff[1],
            lookback=timedelta(seconds=lookback_s),
        )
        report.calls_other += resolved.requests
        report.historical_listed = resolved.historical_listed
        markets = resolved.markets
        report.markets = len(markets)
        report.markets_historical = sum(1 for m in markets if m.historical)
        report.markets_live = report.markets - report.markets_historical
        if self.markets_repo is not None and markets:
            await self.markets_repo.upsert_markets([m.market for m in markets])
            # The history reaches back before we stored the market: record from when its
            # close was known (from the open when Kalshi says it cannot close early).
            closes = []
            for m in markets:
                close = known_close(
                    m.ticker,
                    m.market.close_time,
                    can_close_early=m.market.can_close_early,  # always sent by Kalshi
                    open_time=m.market.open_time,
                )
                if close is not None:
                    closes.append(close)
            recorded = await self.history.record_known_closes(closes)
            report.closes_known_from_open = recorded.from_open
            report.closes_known_at_close = recorded.at_close
        state = _RunState(cutoff[0], {m.ticker: m.historical for m in markets})
        tickers = [m.ticker for m in markets]
        chunks = _chunked(days_between(start, end), per_fetch)

        def fetch(days: list[date]) -> asyncio.Task[_Chunk]:
            if period is None:
                coro = self._fetch_trades(report, state, markets, days)
            else:
                coro = self._fetch_candles(report, state, markets, days, period)
            return asyncio.ensure_future(coro)

        pending: asyncio.Task[_Chunk] | None = fetch(chunks[0]) if chunks else None
        try:
            for i in range(len(chunks)):
                assert pending is not None
                chunk = await pending
                # The next chunk's requests run while this one is written.
                pending = fetch(chunks[i + 1]) if i + 1 < len(chunks) else None
                for d in chunk.days:
                    result = await self._write_day(tickers, d, period, chunk)
                    report.days.append(result)
                    log.info("history day written", extra=_day_extra(result))
                    if self.on_day is not None:
                        self.on_day(result)
                chunk.rows.clear()
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)

    async def _write_day(
        self, tickers: list[str], d: date, period: int | None, chunk: _Chunk
    ) -> DayResult:
        lo = day_start(d)
        hi = day_start(date.fromordinal(d.toordinal() + 1))
        rows = chunk.rows.get(d, [])
        if period is None:
            n = await self.history.replace_trades(tickers, lo, hi, rows)
        else:
            n = await self.history.replace_candles(tickers, period, lo, hi, rows)
        return DayResult(
            kind="trades" if period is None else "candles",
            day=d,
            period_minutes=period,
            rows=n,
            rows_live=chunk.live.get(d, 0),
            rows_historical=chunk.historical.get(d, 0),
            markets_with_rows=len({r.ticker for r in rows}),
        )

    # --- requests -----------------------------------------------------------------------------

    async def _cutoff(self, report: BackfillReport) -> tuple[Cutoff, Any]:
        async with self._gate:
            raw = await self.client.get_historical_cutoff()
        report.calls_other += 1
        return Cutoff.from_wire(raw), raw

    async def _gather(self, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        async def one(job: Callable[[], Awaitable[T]]) -> T:
            async with self._gate:
                return await job()

        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(one(j)) for j in jobs]
        except BaseExceptionGroup as group:
            # Callers handle a KalshiError, not a group: the first failure is the cause, the
            # rest were cancelled or failed the same way.
            first: BaseException = group
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            if len(group.exceptions) > 1:
                log.warning(
                    "several backfill requests failed",
                    extra={"failures": [str(e)[:200] for e in group.exceptions[:5]]},
                )
            raise first from None
        return [t.result() for t in tasks]

    # --- trades -------------------------------------------------------------------------------

    async def _fetch_trades(
        self,
        report: BackfillReport,
        state: _RunState,
        markets: Sequence[HistoryMarket],
        days: list[date],
    ) -> _Chunk:
        lo = int(day_start(days[0]).timestamp())
        hi = int(day_start(days[-1]).timestamp()) + DAY_S
        for _attempt in range(MAX_CUTOFF_REFETCH + 1):
            cutoff = state.cutoff
            jobs: list[Callable[[], Awaitable[tuple[Family, int, int, list[Trade]]]]] = []
            for m in markets:
                segments = trade_segments(
                    lo, hi, m.open_ts, m.close_ts, cutoff, live_market=not m.historical
                )
                for seg in segments:
                    jobs.append(self._trade_job(report, m.ticker, seg.family, seg.lo, seg.hi))
            results = await self._gather(jobs)
            # Kalshi may have archived more trades meanwhile: if the boundary moved across
            # this chunk, trades between the old and new cutoff were asked of the wrong family.
            new_cutoff, _raw = await self._cutoff(report)
            state.cutoff = new_cutoff
            moved = (cutoff.trades_ts, new_cutoff.trades_ts)
            if moved[0] == moved[1] or max(moved) <= lo or min(moved) >= hi:
                break
            report.cutoff_refetches += 1
            log.warning(
                "historical cutoff moved during a trades fetch; fetching the chunk again",
                extra={"from_ts": moved[0], "to_ts": moved[1], "chunk_start": days[0].isoformat()},
            )
        else:
            raise BackfillError(
                f"historical cutoff kept moving while fetching trades of {days[0]}..{days[-1]}"
            )
        chunk = _Chunk(days, {d: [] for d in days}, {}, {})
        seen: set[str] = set()
        for family, seg_lo, seg_hi, trades in results:
            counter = chunk.live if family is Family.LIVE else chunk.historical
            for t in trades:
                ts = t.created_time.timestamp()
                if not (seg_lo <= ts < seg_hi) or t.trade_id in seen:
                    continue
                seen.add(t.trade_id)
                d = date.fromordinal(_EPOCH_ORDINAL + int(ts) // DAY_S)
                chunk.rows[d].append(t)
                counter[d] = counter.get(d, 0) + 1
        return chunk

    def _trade_job(
        self, report: BackfillReport, ticker: str, family: Family, lo: int, hi: int
    ) -> Callable[[], Awaitable[tuple[Family, int, int, list[Trade]]]]:
        async def job() -> tuple[Family, int, int, list[Trade]]:
            fetch = (
                self.client.get_trades
                if family is Family.LIVE
                else self.client.get_historical_trades
            )
            # One second of slack each side, whatever Kalshi's bound semantics; the exact window
            # is applied to the rows.
            listing = await fetch(ticker=ticker, min_ts=lo - 1, max_ts=hi + 1)
            n = listing.stats.requests
            if family is Family.LIVE:
                report.calls_live += n
            else:
                report.calls_historical += n
            return family, lo, hi, [t for t in listing.items if t.ticker == ticker]

        return job

    # --- candles ------------------------------------------------------------------------------

    async def _fetch_candles(
        self,
        report: BackfillReport,
        state: _RunState,
        markets: Sequence[HistoryMarket],
        days: list[date],
        period: int,
    ) -> _Chunk:
        lo = int(day_start(days[0]).timestamp())
        hi = int(day_start(days[-1]).timestamp()) + DAY_S
        by_ticker = {m.ticker: m for m in markets}
        counts = {m.ticker: candle_count(lo, hi, m.open_ts, m.close_ts, period) for m in markets}
        live = [(t, n) for t, n in counts.items() if n and not state.historical[t]]
        hist = [t for t, n in counts.items() if n and state.historical[t]]
        results: list[tuple[Family, list[Candle]]] = []

        async def batch(tickers: Sequence[str]) -> None:
            try:
                got = await self.client.get_candlesticks_batch(
                    tickers, start_ts=lo, end_ts=hi - 1, period_interval=period
                )
            except KalshiNotFoundError:
                report.calls_live += 1
                await self._reroute(report, state, by_ticker, tickers, batch, historical)
                return
            report.calls_live += 1
            results.append((Family.LIVE, [c for t in tickers for c in got.get(t, [])]))

        async def historical(ticker: str) -> None:
            m = by_ticker[ticker]
            step = max_days_per_request(period, SINGLE_MAX_CANDLES) * DAY_S
            out: list[Candle] = []
            for w_lo in range(lo, hi, step):
                w_hi = min(hi, w_lo + step)
                if not candle_count(w_lo, w_hi, m.open_ts, m.close_ts, period):
                    continue
                out.extend(
                    await self.client.get_historical_candlesticks(
                        ticker, start_ts=w_lo, end_ts=w_hi - 1, period_interval=period
                    )
                )
                report.calls_historical += 1
            results.append((Family.HISTORICAL, out))

        jobs: list[Callable[[], Awaitable[None]]] = [
            partial(batch, job.tickers) for job in pack_batches(live)
        ]
        jobs += [partial(historical, t) for t in hist]
        await self._gather(jobs)

        chunk = _Chunk(days, {d: [] for d in days}, {}, {})
        seen: set[tuple[str, int]] = set()
        for family, candles in results:
            counter = chunk.live if family is Family.LIVE else chunk.historical
            for c in candles:
                ts = int(c.end_time.timestamp())
                key = (c.ticker, ts)
                if not (lo <= ts < hi) or key in seen or c.ticker not in by_ticker:
                    continue
                seen.add(key)
                d = date.fromordinal(_EPOCH_ORDINAL + ts // DAY_S)
                chunk.rows[d].append(c)
                counter[d] = counter.get(d, 0) + 1
        return chunk

    async def _reroute(
        self,
        report: BackfillReport,
        state: _RunState,
        by_ticker: dict[str, HistoryMarket],
        tickers: Sequence[str],
        batch: Callable[[Sequence[str]], Awaitable[None]],
        historical: Callable[[str], Awaitable[None]],
    ) -> None:
        """A live batch answered 404: some market was archived after the listing. Re-read the
        cutoff, move the markets that settled before it to the historical endpoint, retry."""
        cutoff, _raw = await self._cutoff(report)
        state.cutoff = cutoff
        moved = [
            t
            for t in tickers
            if (s := by_ticker[t].market.settlement_ts) is not None
            and int(s.timestamp()) < cutoff.markets_ts
        ]
        if not moved:
            raise BackfillError(
                f"/markets/candlesticks answered 404 for {len(tickers)} markets "
                f"({', '.join(list(tickers)[:5])}...) and none of them settled before the "
                "historical cutoff; is a ticker unknown to Kalshi?"
            )
        for t in moved:
            state.historical[t] = True
        report.rerouted_markets += len(moved)
        log.warning("markets archived during the backfill; re-routed", extra={"markets": moved})
        rest = [t for t in tickers if t not in set(moved)]
        await asyncio.gather(*(historical(t) for t in moved), *([batch(rest)] if rest else []))


@dataclass(slots=True)
class _RunState:
    cutoff: Cutoff
    historical: dict[str, bool]


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _copy(s: CallStats) -> CallStats:
    return CallStats(s.requests, s.retries, s.http_429s, s.rate_wait_s)


def _day_extra(r: DayResult) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "day": r.day.isoformat(),
        "period_minutes": r.period_minutes,
        "rows": r.rows,
        "rows_live": r.rows_live,
        "rows_historical": r.rows_historical,
        "markets_with_rows": r.markets_with_rows,
    }

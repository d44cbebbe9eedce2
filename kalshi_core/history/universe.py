"""Which markets a history backfill covers: a universe (series / events / tickers) resolved to
the markets that traded during a UTC window, from the live `/markets` listing and, for windows
reaching back past the historical cutoff, from `/historical/markets`.

Kalshi moves a market to `/historical/*` once it settled before `market_settled_ts`; from then
on the live listings no longer show it. A backfill that only asked `/markets` would quietly
lose every market older than the cutoff, so both families are asked whenever the window
reaches back that far, and each market remembers which family serves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kalshi_core.history.routing import LATE_PRINT_S
from kalshi_core.kalshi.client import MAX_TICKERS_PER_REQUEST, KalshiClient
from kalshi_core.kalshi.responses import HistoricalCutoff, Listing, MarketRecord
from kalshi_core.logs import get_logger
from kalshi_core.models import Market
from kalshi_core.settings import Settings

log = get_logger(__name__)


class UniverseError(ValueError):
    """The universe names nothing to backfill."""


def _clean(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in names if n and n.strip()))


@dataclass(frozen=True, slots=True)
class HistoryUniverse:
    """The markets to backfill, named by series, events and/or tickers (settled ones included).

    A market belongs to the universe when any of the three names it."""

    series: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        series: Iterable[str] = (),
        events: Iterable[str] = (),
        tickers: Iterable[str] = (),
    ) -> HistoryUniverse:
        return cls(_clean(series), _clean(events), _clean(tickers))

    @classmethod
    def from_settings(cls, settings: Settings) -> HistoryUniverse:
        """The watchlist (WATCHLIST_SERIES / _EVENTS / _TICKERS)."""
        return cls.of(
            settings.watchlist_series, settings.watchlist_events, settings.watchlist_tickers
        )

    @property
    def empty(self) -> bool:
        return not (self.series or self.events or self.tickers)

    def describe(self) -> dict[str, list[str]]:
        return {
            "series": list(self.series),
            "events": list(self.events),
            "tickers": list(self.tickers),
        }


@dataclass(frozen=True, slots=True)
class HistoryMarket:
    """One market of a backfill and the endpoint family that serves its candlesticks."""

    market: Market
    historical: bool  # listed by /historical/markets: settled before the market cutoff

    @property
    def ticker(self) -> str:
        return self.market.ticker

    @property
    def open_ts(self) -> int | None:
        t = self.market.open_time
        return None if t is None else int(t.timestamp())

    @property
    def close_ts(self) -> int | None:
        t = self.market.close_time
        return None if t is None else int(t.timestamp())

    def trades_in(self, start_ts: int, end_ts: int) -> bool:
        """Whether it could print a trade in [start_ts, end_ts): open then, or closed less than
        `LATE_PRINT_S` before (unknown times: assume so)."""
        o, c = self.open_ts, self.close_ts
        return (o is None or o < end_ts) and (c is None or c + LATE_PRINT_S >= start_ts)


@dataclass(frozen=True, slots=True)
class ResolvedMarkets:
    """The markets of a universe active in a window, plus what resolving them cost."""

    markets: list[HistoryMarket]
    requests: int
    retries: int
    http_429s: int
    historical_listed: bool  # whether /historical/markets was asked

    @property
    def live(self) -> list[HistoryMarket]:
        return [m for m in self.markets if not m.historical]

    @property
    def historical(self) -> list[HistoryMarket]:
        return [m for m in self.markets if m.historical]


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def resolve_markets(
    client: KalshiClient,
    universe: HistoryUniverse,
    start: datetime,
    end: datetime,
    cutoff: HistoricalCutoff,
    *,
    lookback: timedelta = timedelta(0),
) -> ResolvedMarkets:
    """Markets of `universe` that were open at some time in ``[start - lookback, end)``.

    `lookback` widens the window backwards: a candle is stamped with its period's end, so a
    daily candle ending on day D covers trading on day D-1 (pass the candle period).
    Live markets come from `/markets` (any status, closing after the window start); when the
    window starts before the cutoff, `/historical/markets` is listed too. A ticker listed by
    both (the cutoff moved between the two calls) is historical.
    """
    if universe.empty:
        raise UniverseError(
            "empty universe: name series, events or tickers to backfill (or set "
            "WATCHLIST_SERIES / WATCHLIST_EVENTS / WATCHLIST_TICKERS)"
        )
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError(f"bad window {start!r} .. {end!r}: need aware datetimes, start < end")
    lo = int((start - lookback).timestamp())
    hi = int(end.timestamp())
    now = datetime.now(UTC)
    scan_task = asyncio.ensure_future(
        client.scan_markets(
            observed_at=now,
            sequence=0,
            status=None,
            series_tickers=list(universe.series),
            event_tickers=list(universe.events),
            tickers=list(universe.tickers),
            # Kalshi's bound is exclusive: a market closing exactly at `lo` still traded then,
            # and one that closed shortly before can still print (LATE_PRINT_S).
            min_close_ts=lo - 1 - LATE_PRINT_S,
            keep_raw=False,
        )
    )
    historical_listed = lo < int(cutoff.market_settled_ts.timestamp())
    hist_calls: list[asyncio.Future[Listing[MarketRecord]]] = []
    if historical_listed:
        for s in universe.series:
            hist_calls.append(asyncio.ensure_future(client.get_historical_markets(series_ticker=s)))
        for e in universe.events:
            hist_calls.append(asyncio.ensure_future(client.get_historical_markets(event_ticker=e)))
        for chunk in _chunks(universe.tickers, MAX_TICKERS_PER_REQUEST):
            hist_calls.append(asyncio.ensure_future(client.get_historical_markets(tickers=chunk)))
    try:
        scan = await scan_task
        listings = [await c for c in hist_calls]
    finally:
        every: list[asyncio.Future[Any]] = [scan_task, *hist_calls]
        for f in every:
            if not f.done():
                f.cancel()
        await asyncio.gather(scan_task, *hist_calls, return_exceptions=True)

    found: dict[str, HistoryMarket] = {}
    for m in scan.markets:
        found[m.ticker] = HistoryMarket(m, historical=False)
    requests, retries, http_429s = scan.requests, scan.retries, scan.http_429s
    for listing in listings:
        requests += listing.stats.requests
        retries += listing.stats.retries
        http_429s += listing.stats.http_429s
        for rec in listing.items:
            found[rec.market.ticker] = HistoryMarket(rec.market, historical=True)
    active = sorted((hm for hm in found.values() if hm.trades_in(lo, hi)), key=lambda hm: hm.ticker)
    log.info(
        "history universe resolved",
        extra={
            "universe": universe.describe(),
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "listed": len(found),
            "active": len(active),
            "historical": sum(1 for hm in active if hm.historical),
            "requests": requests,
        },
    )
    return ResolvedMarkets(active, requests, retries, http_429s, historical_listed)

"""Load quote arrays through the repositories (a thin layer over their frames).

Written against Protocols, so a notebook, a Dagster asset or a test can pass any object with
these methods. The frame -> arrays logic lives in `kalshi_core.backtest.quotes` and is tested on
frames built in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

import pandas as pd

from kalshi_core.backtest.quotes import (
    MarketMeta,
    QuoteArrays,
    QuoteDataError,
    candle_frame_to_snapshot_frame,
    quotes_from_frame,
)
from kalshi_core.models import Event, Market, Series


class SnapshotFrameSource(Protocol):
    async def snapshot_frame(
        self,
        tickers: Sequence[str] | None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame: ...

    async def get_market(self, ticker: str) -> Market | None: ...


class CandleFrameSource(Protocol):
    async def candle_frame(
        self,
        tickers: Sequence[str] | None,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame: ...


class SeriesSource(Protocol):
    async def get(self, ticker: str) -> Series | None: ...


class EventSource(Protocol):
    async def get(self, event_ticker: str) -> Event | None: ...


class GapSource(Protocol):
    """`IngestPollRepository.coverage(...)` returns an object with `.gaps`."""

    async def coverage(
        self, tier: str, start: datetime, end: datetime, interval_s: int
    ) -> object: ...


class RepoBundle(Protocol):
    """Anything holding the repositories by these names (e.g. `storage.database.Repositories`)."""

    @property
    def markets(self) -> SnapshotFrameSource: ...
    @property
    def series(self) -> SeriesSource | None: ...
    @property
    def events(self) -> EventSource | None: ...
    @property
    def history(self) -> CandleFrameSource | None: ...
    @property
    def polls(self) -> GapSource | None: ...


@dataclass(frozen=True, slots=True)
class BacktestRepos:
    """The repositories `load_quotes` reads from (history only for candles)."""

    markets: SnapshotFrameSource
    series: SeriesSource | None = None
    events: EventSource | None = None
    history: CandleFrameSource | None = None
    polls: GapSource | None = None


async def load_market_meta(
    repos: RepoBundle,
    universe: Sequence[str],
    flat_rates: Mapping[str, Decimal] | None = None,
) -> list[MarketMeta]:
    """Metadata of every ticker (unknown tickers are an error, listed together)."""
    metas: list[MarketMeta] = []
    missing: list[str] = []
    series_cache: dict[str, Series | None] = {}
    for ticker in universe:
        market = await repos.markets.get_market(ticker)
        if market is None:
            missing.append(ticker)
            continue
        series = None
        if repos.series is not None and market.series_ticker:
            if market.series_ticker not in series_cache:
                series_cache[market.series_ticker] = await repos.series.get(market.series_ticker)
            series = series_cache[market.series_ticker]
        event = await repos.events.get(market.event_ticker) if repos.events is not None else None
        flat = (flat_rates or {}).get(market.series_ticker or "")
        metas.append(MarketMeta.from_market(market, series, event, flat_rate=flat))
    if missing:
        raise QuoteDataError(f"unknown market tickers: {', '.join(missing)}")
    return metas


async def load_quotes(
    repos: RepoBundle,
    universe: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    source: Literal["snapshots", "candles"] = "snapshots",
    freq: str = "1min",
    staleness: str = "5min",
    period_minutes: int = 1,
    flat_rates: Mapping[str, Decimal] | None = None,
    coverage_tier: str | None = None,
    poll_interval_s: int | None = None,
) -> QuoteArrays:
    """Quote arrays of `universe` on the grid ``start <= t < end``.

    Rows from one staleness limit before `start` are read too, so the quote in force at the
    first grid time is known. With `coverage_tier` and `poll_interval_s` (snapshots only), the
    ingestion gaps of that tier blank every quote inside them: with change-only storage, a
    missing row means "unchanged", a missed poll means "unknown".
    """
    if not universe:
        raise QuoteDataError("empty universe")
    metas = await load_market_meta(repos, universe, flat_rates)
    lead = pd.Timedelta(staleness)
    if source == "snapshots":
        frame = await repos.markets.snapshot_frame(list(universe), start - lead, end)
    elif source == "candles":
        if repos.history is None:
            raise QuoteDataError("source='candles' needs repos.history")
        candles = await repos.history.candle_frame(
            list(universe), period_minutes, start - lead, end
        )
        frame = candle_frame_to_snapshot_frame(candles)
    else:
        raise QuoteDataError(f"unknown source {source!r} (snapshots or candles)")
    gaps: list[tuple[datetime, datetime]] = []
    if source == "snapshots" and repos.polls is not None and coverage_tier and poll_interval_s:
        report = await repos.polls.coverage(coverage_tier, start, end, poll_interval_s)
        gaps = list(getattr(report, "gaps", []))
    return quotes_from_frame(
        frame,
        metas,
        start=start,
        end=end,
        freq=freq,
        staleness=staleness,
        data_source=source,
        stale_intervals=gaps,
    )

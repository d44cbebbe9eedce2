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
    quotes_from_trades,
)
from kalshi_core.models import Event, Market, Series


class SnapshotFrameSource(Protocol):
    async def snapshot_frame(
        self,
        tickers: Sequence[str] | None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame: ...

    async def get_market(self, ticker: str) -> Market | None: ...

    async def close_time_history(
        self, tickers: Sequence[str]
    ) -> dict[str, list[tuple[datetime, datetime | None]]]: ...


class CandleFrameSource(Protocol):
    async def candle_frame(
        self,
        tickers: Sequence[str] | None,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame: ...


class TradeFrameSource(Protocol):
    async def trade_frame(
        self,
        tickers: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame: ...


class HistoryFrameSource(CandleFrameSource, TradeFrameSource, Protocol):
    """`HistoryRepository`'s frame reads: candles and the trade tape."""


class SeriesSource(Protocol):
    async def get(self, ticker: str) -> Series | None: ...


class EventSource(Protocol):
    async def get(self, event_ticker: str) -> Event | None: ...


class CoverageSource(Protocol):
    """`IngestPollRepository.coverage_spans`: per market, when a tier kept observing it."""

    async def coverage_spans(
        self, tickers: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]: ...


class RepoBundle(Protocol):
    """Anything holding the repositories by these names (e.g. `storage.database.Repositories`)."""

    @property
    def markets(self) -> SnapshotFrameSource: ...
    @property
    def series(self) -> SeriesSource | None: ...
    @property
    def events(self) -> EventSource | None: ...
    @property
    def history(self) -> HistoryFrameSource | None: ...
    @property
    def polls(self) -> CoverageSource | None: ...


@dataclass(frozen=True, slots=True)
class BacktestRepos:
    """The repositories `load_quotes` reads from (history only for candles and trades)."""

    markets: SnapshotFrameSource
    series: SeriesSource | None = None
    events: EventSource | None = None
    history: HistoryFrameSource | None = None
    polls: CoverageSource | None = None


async def load_market_meta(
    repos: RepoBundle,
    universe: Sequence[str],
    flat_rates: Mapping[str, Decimal] | None = None,
) -> list[MarketMeta]:
    """Metadata of every ticker (unknown tickers are an error, listed together), with each
    market's stored close-time history, so signals see only the close known at each bar."""
    metas: list[MarketMeta] = []
    missing: list[str] = []
    series_cache: dict[str, Series | None] = {}
    close_history = await repos.markets.close_time_history(list(universe))
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
        # A stored market without history rows never had a close: none is known at any bar.
        closes = close_history.get(ticker, [])
        metas.append(
            MarketMeta.from_market(market, series, event, flat_rate=flat, close_times=closes)
        )
    if missing:
        raise QuoteDataError(f"unknown market tickers: {', '.join(missing)}")
    return metas


async def load_quotes(
    repos: RepoBundle,
    universe: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    source: Literal["snapshots", "candles", "trades"] = "snapshots",
    freq: str = "1min",
    staleness: str = "5min",
    period_minutes: int = 1,
    flat_rates: Mapping[str, Decimal] | None = None,
    max_wait_bars: int = 0,
) -> QuoteArrays:
    """Quote arrays of `universe` on the grid ``start <= t < end``.

    Snapshots: each market's last row before `start` is read too (the quote in force at the
    first grid time, however old: storage is change-only), and with `repos.polls` each market's
    coverage spans decide when its quote is known (see `quotes_from_frame`): a quote stays known
    while its tier kept observing the market, and is unknown inside real gaps (missed or failed
    ticks, the market absent from the scan). Candles: rows from one staleness limit before
    `start`, freshness by the staleness limit; candles must carry bid/ask closes (trade-price
    candles are refused). Trades: the public tape (`market_trades`), for data without a book:
    orders fill only at prints of their side (`quotes_from_trades`), signals see the last
    print while it is younger than `staleness`.

    `max_wait_bars`: how long an order waits for a bar that can fill it (see `QuoteArrays`);
    on a tape, where most bars hold no print, it is what lets an order meet the next print.
    """
    if not universe:
        raise QuoteDataError("empty universe")
    metas = await load_market_meta(repos, universe, flat_rates)
    known: dict[str, list[tuple[datetime, datetime]]] | None = None
    if source == "snapshots":
        frame = await repos.markets.snapshot_frame(list(universe), start, end, as_of=True)
        if repos.polls is not None:
            known = await repos.polls.coverage_spans(list(universe), start, end)
    elif source == "candles":
        if repos.history is None:
            raise QuoteDataError("source='candles' needs repos.history")
        candles = await repos.history.candle_frame(
            list(universe), period_minutes, start - pd.Timedelta(staleness), end
        )
        frame = candle_frame_to_snapshot_frame(candles)
    elif source == "trades":
        if repos.history is None:
            raise QuoteDataError("source='trades' needs repos.history")
        # Bar 0 holds the prints of the step before the first grid time; the signal view
        # looks one staleness limit back; `as_of` adds the last prints before that (the mark).
        lookback = max(pd.Timedelta(freq), pd.Timedelta(staleness))
        tape = await repos.history.trade_frame(list(universe), start - lookback, end, as_of=True)
        return quotes_from_trades(
            tape,
            metas,
            start=start,
            end=end,
            freq=freq,
            staleness=staleness,
            max_wait_bars=max_wait_bars,
        )
    else:
        raise QuoteDataError(f"unknown source {source!r} (snapshots, candles or trades)")
    return quotes_from_frame(
        frame,
        metas,
        start=start,
        end=end,
        freq=freq,
        staleness=staleness,
        data_source=source,
        known=known,
        max_wait_bars=max_wait_bars,
    )

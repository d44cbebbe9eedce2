"""The history endpoints: trades (live and historical tier), candlesticks (one market, a batch,
historical tier) and the historical tier's cutoff and settled markets. A mixin of
`KalshiClient`; requests go through `Paginator`/`Transport`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from kalshi_core.kalshi import wire
from kalshi_core.kalshi.client.pagination import Paginator
from kalshi_core.kalshi.client.params import (
    DEFAULT,
    MAX_TICKERS_PER_REQUEST,
    ParamValue,
    Timestamp,
    _chunks,
    _Default,
    _unix,
)
from kalshi_core.kalshi.responses import CallStats, HistoricalCutoff, Listing, MarketRecord
from kalshi_core.models import Candle, Trade


class HistoryEndpoints(Paginator):
    """Trades, candlesticks and the historical tier."""

    # --- trades -----------------------------------------------------------------------------------

    async def _trades(
        self,
        path: str,
        ticker: str | None,
        min_ts: Timestamp | None,
        max_ts: Timestamp | None,
        limit: int | None,
        max_pages: int | None,
    ) -> Listing[Trade]:
        params: dict[str, ParamValue] = {
            "limit": limit or self.page_limit,
            "ticker": ticker,
            "min_ts": None if min_ts is None else _unix(min_ts, "min_ts"),
            "max_ts": None if max_ts is None else _unix(max_ts, "max_ts"),
        }
        return await self._paginate(
            path,
            params,
            "trades",
            lambda items, ep, off, _at: wire.parse_items(
                items, "trades", ep, wire.parse_trade, off
            ),
            max_pages=max_pages,
        )

    async def get_trades(
        self,
        *,
        ticker: str | None = None,
        min_ts: Timestamp | None = None,
        max_ts: Timestamp | None = None,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> Listing[Trade]:
        """`GET /markets/trades` (trades after the historical cutoff)."""
        return await self._trades("/markets/trades", ticker, min_ts, max_ts, limit, max_pages)

    async def get_historical_trades(
        self,
        *,
        ticker: str | None = None,
        min_ts: Timestamp | None = None,
        max_ts: Timestamp | None = None,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> Listing[Trade]:
        """`GET /historical/trades` (trades before the historical cutoff)."""
        return await self._trades("/historical/trades", ticker, min_ts, max_ts, limit, max_pages)

    # --- candlesticks -----------------------------------------------------------------------------

    @staticmethod
    def _candle_params(
        start_ts: Timestamp, end_ts: Timestamp, period_interval: int
    ) -> dict[str, ParamValue]:
        if period_interval not in wire.CANDLE_PERIODS:
            raise ValueError(
                f"period_interval must be one of {wire.CANDLE_PERIODS} minutes, "
                f"got {period_interval}"
            )
        return {
            "start_ts": _unix(start_ts, "start_ts"),
            "end_ts": _unix(end_ts, "end_ts"),
            "period_interval": period_interval,
        }

    async def get_market_candlesticks(
        self,
        series_ticker: str,
        ticker: str,
        *,
        start_ts: Timestamp,
        end_ts: Timestamp,
        period_interval: int,
    ) -> list[Candle]:
        """`GET /series/{series}/markets/{ticker}/candlesticks`."""
        params = self._candle_params(start_ts, end_ts, period_interval)
        path = f"/series/{series_ticker}/markets/{ticker}/candlesticks"
        resp = await self._get(path, params, CallStats())
        return wire.parse_candles_response(resp.body, resp.endpoint, ticker, period_interval)

    async def get_candlesticks_batch(
        self,
        tickers: Iterable[str],
        *,
        start_ts: Timestamp,
        end_ts: Timestamp,
        period_interval: int,
        include_latest_before_start: bool = False,
    ) -> dict[str, list[Candle]]:
        """`GET /markets/candlesticks`, 100 tickers per request, requests run concurrently."""
        base = self._candle_params(start_ts, end_ts, period_interval)
        if include_latest_before_start:
            base["include_latest_before_start"] = True
        unique = list(dict.fromkeys(tickers))
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(chunk: list[str]) -> dict[str, list[Candle]]:
            async with gate:
                resp = await self._get(
                    "/markets/candlesticks",
                    {**base, "market_tickers": ",".join(chunk)},
                    CallStats(),
                )
            return wire.parse_batch_candles_response(resp.body, resp.endpoint, period_interval)

        out: dict[str, list[Candle]] = {}
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(one(c)) for c in _chunks(unique, MAX_TICKERS_PER_REQUEST)]
        for t in tasks:
            out.update(t.result())
        return out

    async def get_historical_candlesticks(
        self, ticker: str, *, start_ts: Timestamp, end_ts: Timestamp, period_interval: int
    ) -> list[Candle]:
        """`GET /historical/markets/{ticker}/candlesticks` (markets settled before the cutoff)."""
        params = self._candle_params(start_ts, end_ts, period_interval)
        resp = await self._get(f"/historical/markets/{ticker}/candlesticks", params, CallStats())
        return wire.parse_candles_response(resp.body, resp.endpoint, ticker, period_interval)

    # --- historical tier --------------------------------------------------------------------------

    async def get_historical_cutoff(self) -> HistoricalCutoff:
        resp = await self._get("/historical/cutoff", {}, CallStats())
        return wire.parse_historical_cutoff(resp.body, resp.endpoint)

    async def get_historical_markets(
        self,
        *,
        series_ticker: str | None = None,
        event_ticker: str | None = None,
        tickers: Sequence[str] | None = None,
        mve_filter: str | _Default | None = DEFAULT,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> Listing[MarketRecord]:
        """`GET /historical/markets` (markets settled before the cutoff; filters are mutually
        exclusive on Kalshi's side)."""
        mve = self._mve(mve_filter)
        params: dict[str, ParamValue] = {
            "limit": limit or self.page_limit,
            "series_ticker": series_ticker,
            "event_ticker": event_ticker,
            "tickers": ",".join(tickers) if tickers else None,
            # This endpoint only knows "exclude" (its default is to include combos).
            "mve_filter": mve if mve == "exclude" else None,
        }
        parser = wire.MarketParser(self._clock(), series_ticker=series_ticker)
        return await self._paginate(
            "/historical/markets",
            params,
            wire.decode_markets_page,
            lambda items, ep, off, _at: wire.build_market_records(items, ep, parser, offset=off),
            max_pages=max_pages,
        )

    async def get_historical_market(self, ticker: str) -> MarketRecord:
        resp = await self._get(f"/historical/markets/{ticker}", {}, CallStats())
        return wire.parse_market_response(
            resp.body, resp.endpoint, wire.MarketParser(resp.fetched_at)
        )

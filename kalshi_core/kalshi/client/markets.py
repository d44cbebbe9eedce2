"""The catalogue and live-state endpoints: markets (one, a filtered listing, and the ingestion
job's concurrent `scan_markets`), events, series, a market's order book, and the exchange's
status. A mixin of `KalshiClient`; requests go through `Paginator`/`Transport`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from kalshi_core.kalshi import wire
from kalshi_core.kalshi.client.pagination import Paginator
from kalshi_core.kalshi.client.params import (
    DEFAULT,
    EVENT_QUERY_STATUSES,
    MARKET_QUERY_STATUSES,
    MAX_EVENTS_PAGE_LIMIT,
    MAX_TICKERS_PER_REQUEST,
    ParamValue,
    Timestamp,
    _as_list,
    _check_status,
    _chunks,
    _Default,
    _unix,
)
from kalshi_core.kalshi.client.transport import log
from kalshi_core.kalshi.errors import KalshiError
from kalshi_core.kalshi.responses import (
    CallStats,
    EventRecord,
    ExchangeStatus,
    Listing,
    MarketRecord,
    MarketScan,
    RawPage,
)
from kalshi_core.models import Market, MarketSnapshot, OrderBook, Series

_STATUS_BODY_CODES: Final = frozenset({500, 503, 504})


class MarketEndpoints(Paginator):
    """Markets, events, series, order books and exchange status."""

    # --- markets ----------------------------------------------------------------------------------

    def _market_params(
        self,
        *,
        status: str | None,
        series_ticker: str | None,
        event_ticker: str | None,
        tickers: Sequence[str] | None,
        min_close_ts: Timestamp | None,
        max_close_ts: Timestamp | None,
        mve_filter: str | _Default | None,
        limit: int | None,
    ) -> dict[str, ParamValue]:
        return {
            "limit": limit or self.page_limit,
            "status": _check_status(status, MARKET_QUERY_STATUSES),
            "series_ticker": series_ticker,
            "event_ticker": event_ticker,
            "tickers": ",".join(tickers) if tickers else None,
            "min_close_ts": None if min_close_ts is None else _unix(min_close_ts, "min_close_ts"),
            "max_close_ts": None if max_close_ts is None else _unix(max_close_ts, "max_close_ts"),
            "mve_filter": self._mve(mve_filter),
        }

    async def get_markets(
        self,
        *,
        status: str | None = None,
        series_ticker: str | None = None,
        event_ticker: str | None = None,
        tickers: Sequence[str] | None = None,
        min_close_ts: Timestamp | None = None,
        max_close_ts: Timestamp | None = None,
        mve_filter: str | _Default | None = DEFAULT,
        limit: int | None = None,
        max_pages: int | None = None,
        observed_at: datetime | None = None,
        sequence: int = 0,
        keep_raw: bool = False,
    ) -> Listing[MarketRecord]:
        """`GET /markets`: every page of markets matching the filters (status uses the *query*
        words: unopened/open/paused/closed/settled). Each record pairs the market's metadata with
        its quote, stamped `observed_at` (default: when the record's page arrived)."""
        params = self._market_params(
            status=status,
            series_ticker=series_ticker,
            event_ticker=event_ticker,
            tickers=tickers,
            min_close_ts=min_close_ts,
            max_close_ts=max_close_ts,
            mve_filter=mve_filter,
            limit=limit,
        )
        parser = wire.MarketParser(
            observed_at or self._clock(), sequence, series_ticker=series_ticker
        )
        return await self._paginate(
            "/markets",
            params,
            wire.decode_markets_page,
            lambda items, ep, off, at: wire.build_market_records(
                items, ep, parser if observed_at is not None else parser.at(at), offset=off
            ),
            max_pages=max_pages,
            keep_raw=keep_raw,
        )

    async def get_market(self, ticker: str, *, sequence: int = 0) -> MarketRecord:
        """`GET /markets/{ticker}`; raises `KalshiNotFoundError` for an unknown ticker."""
        resp = await self._get(f"/markets/{ticker}", {}, CallStats())
        return wire.parse_market_response(
            resp.body, resp.endpoint, wire.MarketParser(resp.fetched_at, sequence)
        )

    async def scan_markets(
        self,
        *,
        observed_at: datetime,
        sequence: int,
        status: str | None = "open",
        series_ticker: str | Iterable[str] | None = None,
        event_ticker: str | Iterable[str] | None = None,
        tickers: Iterable[str] | None = None,
        series_tickers: Iterable[str] | None = None,
        event_tickers: Iterable[str] | None = None,
        min_close_ts: Timestamp | None = None,
        max_close_ts: Timestamp | None = None,
        mve_filter: str | _Default | None = DEFAULT,
        max_pages: int | None = None,
        keep_raw: bool = True,
        allow_partial: bool = False,
    ) -> MarketScan:
        """Scan `/markets` for the ingestion job.

        With no series/events/tickers this is the catalogue (every market with `status`).
        `series_ticker`/`event_ticker` take one ticker or several; `series_tickers`/
        `event_tickers` are plural spellings of the same filters (both are merged).
        Otherwise each named series and event is one listing and tickers go 100 per request;
        the listings run concurrently (within the shared rate limit and `max_concurrency`) and
        are merged without duplicates (first occurrence wins). Snapshots carry the time their
        page's response arrived (not `observed_at`, the tick the scan belongs to, which the
        result keeps for coverage), `sequence` and source 'rest'.

        A failure raises (`KalshiError`), unless `allow_partial=True`: then the scan returns
        what it fetched with `complete=False` and the error text.
        """
        parser = wire.MarketParser(observed_at, sequence)  # checks observed_at/sequence early
        series_list = _as_list(series_ticker) + _as_list(series_tickers)
        event_list = _as_list(event_ticker) + _as_list(event_tickers)
        ticker_list = list(dict.fromkeys(_as_list(tickers)))
        common: dict[str, Any] = {
            "status": status,
            "min_close_ts": min_close_ts,
            "max_close_ts": max_close_ts,
            "mve_filter": mve_filter,
            "limit": None,
        }
        jobs: list[tuple[dict[str, ParamValue], str | None]] = []
        none: dict[str, Any] = {"series_ticker": None, "event_ticker": None, "tickers": None}
        if not (series_list or event_list or ticker_list):
            jobs.append((self._market_params(**none, **common), None))
        for s in dict.fromkeys(series_list):
            p = self._market_params(**{**none, "series_ticker": s}, **common)
            jobs.append((p, s))
        for e in dict.fromkeys(event_list):
            jobs.append((self._market_params(**{**none, "event_ticker": e}, **common), None))
        for chunk in _chunks(ticker_list, MAX_TICKERS_PER_REQUEST):
            jobs.append((self._market_params(**{**none, "tickers": chunk}, **common), None))

        gate = asyncio.Semaphore(self.max_concurrency)
        stats = CallStats()

        async def run(params: dict[str, ParamValue], series: str | None) -> Listing[MarketRecord]:
            job_parser = (
                wire.MarketParser(observed_at, sequence, series_ticker=series) if series else parser
            )
            async with gate:
                return await self._paginate(
                    "/markets",
                    params,
                    wire.decode_markets_page,
                    # each page's snapshots carry when that page arrived, never the tick:
                    # a quote is not dated before anyone could have seen it
                    lambda items, ep, off, at: wire.build_market_records(
                        items, ep, job_parser.at(at), offset=off
                    ),
                    max_pages=max_pages,
                    keep_raw=keep_raw,
                    stats=stats,
                    partial_ok=allow_partial,
                )

        tasks = [asyncio.ensure_future(run(p, s)) for p, s in jobs]
        try:
            await asyncio.wait(
                tasks,
                return_when=asyncio.ALL_COMPLETED if allow_partial else asyncio.FIRST_EXCEPTION,
            )
        finally:
            for t in tasks:
                if not t.done():
                    t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        markets: list[Market] = []
        snapshots: list[MarketSnapshot] = []
        raw: list[RawPage] = []
        seen: set[str] = set()
        complete = True
        pages = 0
        error: str | None = None
        for t in tasks:
            if t.cancelled():
                complete = False
                continue
            exc = t.exception()
            if exc is not None:
                if not isinstance(exc, KalshiError):
                    raise exc
                if not allow_partial:
                    raise exc
                error = error or str(exc)
                complete = False
                continue
            listing = t.result()
            pages += listing.pages
            complete = complete and listing.complete
            error = error or listing.error
            raw.extend(listing.raw_pages)
            for rec in listing.items:
                tkr = rec.market.ticker
                if tkr not in seen:
                    seen.add(tkr)
                    markets.append(rec.market)
                    snapshots.append(rec.snapshot)
        log.info(
            "kalshi market scan",
            extra={
                "markets": len(markets),
                "pages": pages,
                "requests": stats.requests,
                "retries": stats.retries,
                "http_429s": stats.http_429s,
                "complete": complete,
                "error": error,
            },
        )
        return MarketScan(
            observed_at=observed_at,
            sequence=sequence,
            markets=markets,
            snapshots=snapshots,
            raw_pages=raw,
            requests=stats.requests,
            retries=stats.retries,
            http_429s=stats.http_429s,
            complete=complete,
            pages=pages,
            error=error,
            rate_wait_s=stats.rate_wait_s,
        )

    # --- events and series ------------------------------------------------------------------------

    async def get_events(
        self,
        *,
        status: str | None = None,
        series_ticker: str | None = None,
        min_close_ts: Timestamp | None = None,
        with_nested_markets: bool = False,
        limit: int = MAX_EVENTS_PAGE_LIMIT,
        max_pages: int | None = None,
    ) -> Listing[EventRecord]:
        """`GET /events` (multivariate events are excluded by Kalshi on this endpoint)."""
        params: dict[str, ParamValue] = {
            "limit": min(limit, MAX_EVENTS_PAGE_LIMIT),
            "status": _check_status(status, EVENT_QUERY_STATUSES),
            "series_ticker": series_ticker,
            "min_close_ts": None if min_close_ts is None else _unix(min_close_ts, "min_close_ts"),
            "with_nested_markets": True if with_nested_markets else None,
        }
        parser = wire.MarketParser(self._clock())
        return await self._paginate(
            "/events",
            params,
            "events",
            lambda items, ep, off, _at: wire.parse_event_list(items, ep, parser, off),
            max_pages=max_pages,
        )

    async def get_event(
        self, event_ticker: str, *, with_nested_markets: bool = True
    ) -> EventRecord:
        """`GET /events/{event_ticker}` with its markets."""
        params: dict[str, ParamValue] = {"with_nested_markets": with_nested_markets}
        resp = await self._get(f"/events/{event_ticker}", params, CallStats())
        return wire.parse_event_response(
            resp.body, resp.endpoint, wire.MarketParser(resp.fetched_at)
        )

    async def get_series_list(
        self, *, category: str | None = None, tags: str | None = None
    ) -> list[Series]:
        """`GET /series` (not paginated by Kalshi)."""
        resp = await self._get("/series", {"category": category, "tags": tags}, CallStats())
        return wire.parse_series_list(resp.body, resp.endpoint)

    async def get_series(self, series_ticker: str) -> Series:
        resp = await self._get(f"/series/{series_ticker}", {}, CallStats())
        return wire.parse_series_response(resp.body, resp.endpoint)

    # --- order book -------------------------------------------------------------------------------

    async def get_orderbook(self, ticker: str, *, depth: int | None = None) -> OrderBook:
        """`GET /markets/{ticker}/orderbook` (bids on both sides; see `OrderBook`)."""
        resp = await self._get(f"/markets/{ticker}/orderbook", {"depth": depth}, CallStats())
        return wire.parse_orderbook_response(resp.body, resp.endpoint, ticker)

    # --- exchange ---------------------------------------------------------------------------------

    async def get_exchange_status(self) -> ExchangeStatus:
        """`GET /exchange/status`. During maintenance Kalshi answers 503/500/504 with the same
        body, which is an answer (exchange inactive), not a failure to retry."""
        resp = await self._get("/exchange/status", {}, CallStats(), accept=_STATUS_BODY_CODES)
        return wire.parse_exchange_status(resp.body, resp.endpoint)

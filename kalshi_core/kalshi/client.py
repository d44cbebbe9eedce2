"""Async client for Kalshi's public market-data endpoints (Trade API v2, or kalshi_sim).

    async with KalshiClient.from_settings(get_settings()) as client:
        scan = await client.scan_markets(observed_at=tick, sequence=n, status="open")

What it owns, so callers do not:
- the shared token bucket (`kalshi_core.kalshi.ratelimit`), one per base URL per process;
- retries with exponential backoff and full jitter on 429, 5xx, timeouts and connection errors,
  bounded by `max_retries`, honouring `Retry-After` when a server sends one;
- cursor pagination that stops on an empty cursor, refuses a repeated cursor, and says whether a
  listing is complete; the next page is requested while the current one is being parsed;
- parsing into the domain models (`kalshi_core.kalshi.wire`), all-or-nothing per page;
- optional request signing (`kalshi_core.kalshi.auth`).

Counters (requests, retries, 429s, time spent waiting for the rate limit) are returned with every
listing and scan and accumulated in `client.stats`. One client belongs to one event loop; make a
new one per loop (the rate limit is shared regardless).
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeVar

import httpx

from kalshi_core.kalshi import wire
from kalshi_core.kalshi.auth import RequestSigner
from kalshi_core.kalshi.errors import (
    KalshiError,
    KalshiHTTPError,
    KalshiNotFoundError,
    KalshiPaginationError,
    KalshiTransportError,
)
from kalshi_core.kalshi.ratelimit import TokenBucket, shared_limiter
from kalshi_core.kalshi.responses import (
    CallStats,
    EventRecord,
    ExchangeStatus,
    HistoricalCutoff,
    Listing,
    MarketRecord,
    MarketScan,
    RawPage,
)
from kalshi_core.logs import get_logger
from kalshi_core.models import Candle, Market, MarketSnapshot, OrderBook, Series, Trade
from kalshi_core.settings import PRODUCTION_BASE_URL, Settings, get_settings

log = get_logger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
ParamValue = str | int | bool | None
Timestamp = int | datetime

MARKET_QUERY_STATUSES: Final = frozenset({"unopened", "open", "paused", "closed", "settled"})
EVENT_QUERY_STATUSES: Final = frozenset({"unopened", "open", "closed", "settled"})
# Kalshi's responses use different words than its filters; a caller passing a response value
# gets pointed at the right query value instead of an empty listing.
_RESPONSE_TO_QUERY_STATUS: Final = {
    "initialized": "unopened",
    "inactive": "paused",
    "active": "open",
    "determined": "closed",
    "disputed": "closed",
    "amended": "closed",
    "finalized": "settled",
}
MAX_PAGE_LIMIT: Final = 1000
MAX_EVENTS_PAGE_LIMIT: Final = 200
MAX_TICKERS_PER_REQUEST: Final = 100
_MAX_RETRY_AFTER_S: Final = 60.0
_STATUS_BODY_CODES: Final = frozenset({500, 503, 504})
_BUILD_SLICE: Final = 200


class _Default:
    """Marks 'use the client's configured value' for parameters where None means 'omit'."""


DEFAULT: Final = _Default()


@dataclass(frozen=True, slots=True)
class _Response:
    body: bytes
    fetched_at: datetime
    endpoint: str
    params: dict[str, str]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _unix(v: Timestamp, name: str) -> int:
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{name}={v.isoformat()} must be timezone-aware")
        return int(v.timestamp())
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be unix seconds (int) or an aware datetime")
    return v


def _check_status(status: str | None, allowed: frozenset[str]) -> str | None:
    if status is None or status in allowed:
        return status
    hint = _RESPONSE_TO_QUERY_STATUS.get(status)
    extra = (
        f" ({status!r} is a status Kalshi returns; filter with {hint!r})"
        if hint is not None
        else ""
    )
    raise ValueError(f"status filter must be one of {sorted(allowed)}, got {status!r}{extra}")


def _as_list(v: str | Iterable[str] | None) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _encode_params(params: Mapping[str, ParamValue]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return out


def _retry_after_s(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - _utcnow()).total_seconds())


def _error_message(resp: httpx.Response) -> str:
    text = resp.text[:300] if resp.content else ""
    return text.strip() or resp.reason_phrase or "no body"


class KalshiClient:
    """Async client for Kalshi's public market data. Use as `async with`."""

    def __init__(
        self,
        base_url: str = PRODUCTION_BASE_URL,
        *,
        timeout_s: float = 10.0,
        max_retries: int = 6,
        rate_limiter: TokenBucket | None = None,
        signer: RequestSigner | None = None,
        mve_filter: str | None = "exclude",
        page_limit: int = MAX_PAGE_LIMIT,
        max_concurrency: int = 4,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 1 <= page_limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"page_limit must be in [1, {MAX_PAGE_LIMIT}]")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.limiter = rate_limiter
        self.mve_filter = mve_filter
        self.page_limit = page_limit
        self.max_concurrency = max_concurrency
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.stats = CallStats()
        self._signer = signer
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._base_path = httpx.URL(self.base_url + "/").path.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            limits=httpx.Limits(
                max_connections=max(8, 2 * max_concurrency),
                max_keepalive_connections=max(8, 2 * max_concurrency),
            ),
            headers={"Accept": "application/json", "User-Agent": "kalshi-workbench/0.1"},
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        **overrides: Any,
    ) -> KalshiClient:
        """A client configured from settings: base URL, timeouts, retries, the shared rate
        limiter for that base URL, the mve filter and (when configured) request signing."""
        s = settings or get_settings()
        kwargs: dict[str, Any] = {
            "timeout_s": s.kalshi_timeout_s,
            "max_retries": s.kalshi_max_retries,
            "rate_limiter": shared_limiter(
                s.kalshi_base_url, s.kalshi_rate_limit_per_s, s.kalshi_rate_burst
            ),
            "signer": RequestSigner.from_settings(s),
            "mve_filter": s.kalshi_mve_filter or None,
        }
        kwargs.update(overrides)
        return cls(s.kalshi_base_url, transport=transport, sleep=sleep, **kwargs)

    async def __aenter__(self) -> KalshiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return (
            f"KalshiClient(base_url={self.base_url!r}, signed={self._signer is not None}, "
            f"rate_limited={self.limiter is not None})"
        )

    # --- transport ------------------------------------------------------------------------------

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)]; at least Retry-After."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2.0**attempt))
        delay = self._jitter() * ceiling
        if retry_after is not None:
            delay = max(delay, min(retry_after, _MAX_RETRY_AFTER_S))
        return delay

    async def _get(
        self,
        path: str,
        params: Mapping[str, ParamValue],
        stats: CallStats,
        accept: frozenset[int] = frozenset(),
    ) -> _Response:
        """GET with rate limiting and retries; returns the body of a 2xx response (or of a status
        in `accept`, returned without retrying)."""
        query = _encode_params(params)
        endpoint = f"GET {path}"
        attempt = 0
        while True:
            call = CallStats()
            try:
                resp = await self._attempt(path, query, call)
            finally:
                stats.add(call)
                self.stats.add(call)
            retry_after: float | None = None
            if isinstance(resp, httpx.Response):
                status = resp.status_code
                if 200 <= status < 300 or status in accept:
                    return _Response(resp.content, self._clock(), endpoint, query)
                if status != 429 and status < 500:  # 429 and every 5xx are transient
                    cls = KalshiNotFoundError if status == 404 else KalshiHTTPError
                    refused = cls(endpoint, status, _error_message(resp))
                    refused.stats = stats
                    raise refused
                if status == 429:
                    stats.http_429s += 1
                    self.stats.http_429s += 1
                retry_after = _retry_after_s(resp.headers)
                failure = f"HTTP {status}"
            else:
                failure = resp
            if attempt >= self.max_retries:
                msg = f"gave up after {attempt + 1} attempts; last failure: {failure}"
                gave_up: KalshiError = (
                    KalshiHTTPError(endpoint, resp.status_code, msg)
                    if isinstance(resp, httpx.Response)
                    else KalshiTransportError(endpoint, msg)
                )
                gave_up.stats = stats
                raise gave_up
            delay = self.backoff_delay(attempt, retry_after)
            attempt += 1
            stats.retries += 1
            self.stats.retries += 1
            log.warning(
                "kalshi request failed; retrying",
                extra={
                    "endpoint": endpoint,
                    "failure": failure,
                    "attempt": attempt,
                    "max_retries": self.max_retries,
                    "delay_s": round(delay, 3),
                },
            )
            await self._sleep(delay)

    async def _attempt(
        self, path: str, query: dict[str, str], call: CallStats
    ) -> httpx.Response | str:
        """One HTTP attempt: the response, or a description of the transport failure."""
        if self.limiter is not None:
            call.rate_wait_s += await self.limiter.acquire()
        call.requests += 1
        headers = (
            self._signer.headers("GET", self._base_path + path)
            if self._signer is not None
            else None
        )
        try:
            return await self._http.get(path.lstrip("/"), params=query, headers=headers)
        except httpx.TimeoutException as exc:
            return f"timeout ({type(exc).__name__})"
        except (httpx.TransportError, httpx.DecodingError) as exc:
            return f"{type(exc).__name__}: {exc}"

    # --- pagination -----------------------------------------------------------------------------

    async def _paginate(
        self,
        path: str,
        params: Mapping[str, ParamValue],
        items_key: str | Callable[[bytes, str], tuple[list[Any], str]],
        build: Callable[[list[Any], str, int, datetime], list[T]],
        *,
        max_pages: int | None = None,
        keep_raw: bool = False,
        stats: CallStats | None = None,
        partial_ok: bool = False,
    ) -> Listing[T]:
        """Follow cursors to the end (or `max_pages`). The next page is requested as soon as its
        cursor is known, so the server works on it while this page's models are built.

        A failing page raises; with `partial_ok` the pages before it are returned instead, with
        `complete=False` and the error text (a repeated cursor always raises).

        `build(items, endpoint, offset, fetched_at)` gets the time the page's response arrived,
        so models built from it can be stamped with when Kalshi's answer could first be seen."""
        stats = stats if stats is not None else CallStats()
        endpoint = f"GET {path}"
        items: list[T] = []
        raw: list[RawPage] = []
        seen: set[str] = set()
        pages = 0
        cursor: str | None = None
        error: str | None = None
        pending: asyncio.Task[_Response] | None = asyncio.ensure_future(
            self._get(path, dict(params), stats)
        )
        try:
            while pending is not None:
                resp = await pending
                pending = None
                if isinstance(items_key, str):
                    page_items, next_cursor = wire.decode_page(resp.body, endpoint, items_key)
                else:
                    page_items, next_cursor = items_key(resp.body, endpoint)
                pages += 1
                if next_cursor:
                    if next_cursor in seen:
                        raise KalshiPaginationError(
                            endpoint,
                            f"page {pages} returned cursor {next_cursor[:40]!r} again; "
                            "stopping instead of looping",
                        )
                    seen.add(next_cursor)
                    if max_pages is None or pages < max_pages:
                        pending = asyncio.ensure_future(
                            self._get(path, {**params, "cursor": next_cursor}, stats)
                        )
                # Build in slices, yielding to the event loop in between: the request for the
                # next page (just scheduled) gets sent and read meanwhile, and other coroutines
                # of the process are not starved for a whole page.
                for start in range(0, len(page_items), _BUILD_SLICE):
                    await asyncio.sleep(0)
                    chunk = page_items[start : start + _BUILD_SLICE]
                    # Building allocates ~10 objects per item and frees none; the cyclic GC
                    # would walk the growing result again and again for nothing (the models hold
                    # no cycles), so it is paused for the synchronous slice only.
                    gc_was_enabled = gc.isenabled()
                    gc.disable()
                    try:
                        items.extend(build(chunk, endpoint, start, resp.fetched_at))
                    finally:
                        if gc_was_enabled:
                            gc.enable()
                if keep_raw:
                    raw.append(
                        RawPage(
                            fetched_at=resp.fetched_at,
                            endpoint=endpoint,
                            body=resp.body,
                            params=resp.params,
                            cursor=cursor,
                        )
                    )
                cursor = next_cursor
        except KalshiPaginationError:
            raise
        except KalshiError as exc:
            if not partial_ok:
                raise
            error = str(exc)
            log.warning(
                "kalshi listing stopped early", extra={"endpoint": endpoint, "error": error}
            )
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        return Listing(
            items=items,
            complete=error is None and not cursor,
            pages=pages,
            stats=stats,
            raw_pages=raw,
            error=error,
        )

    def _mve(self, mve_filter: str | _Default | None) -> str | None:
        return self.mve_filter if isinstance(mve_filter, _Default) else mve_filter

    # --- markets --------------------------------------------------------------------------------

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

    # --- events and series ----------------------------------------------------------------------

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

    # --- order book and trades ------------------------------------------------------------------

    async def get_orderbook(self, ticker: str, *, depth: int | None = None) -> OrderBook:
        """`GET /markets/{ticker}/orderbook` (bids on both sides; see `OrderBook`)."""
        resp = await self._get(f"/markets/{ticker}/orderbook", {"depth": depth}, CallStats())
        return wire.parse_orderbook_response(resp.body, resp.endpoint, ticker)

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

    # --- candlesticks ---------------------------------------------------------------------------

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

    # --- historical and exchange ----------------------------------------------------------------

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

    async def get_exchange_status(self) -> ExchangeStatus:
        """`GET /exchange/status`. During maintenance Kalshi answers 503/500/504 with the same
        body, which is an answer (exchange inactive), not a failure to retry."""
        resp = await self._get("/exchange/status", {}, CallStats(), accept=_STATUS_BODY_CODES)
        return wire.parse_exchange_status(resp.body, resp.endpoint)

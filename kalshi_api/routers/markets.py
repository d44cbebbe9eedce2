"""Markets: latest quotes (paged, filtered, sorted), one market, its stored history and candles.

These are the hot endpoints: their bodies are JSON text built by the storage layer's
`kalshi_core.storage.postgres.json_reads` and sent as-is (no pydantic round trip); the response
models document that JSON for OpenAPI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from kalshi_api.deps import CacheDep, ReadsDep, ReposDep
from kalshi_api.errors import json_error
from kalshi_api.params import (
    DEFAULT_HISTORY_LIMIT,
    MAX_HISTORY_LIMIT,
    TEXT_PATTERN,
    Limit,
    MarketSort,
    Offset,
    Order,
    QueryTime,
    TickerPath,
    ticker_query,
)
from kalshi_api.responses import (
    CACHED_LIST_RESPONSES,
    JSONText,
    json_page,
    markets_cache_key,
    unknown_market,
    unknown_market_history,
)
from kalshi_api.schemas import YES_PRICE_DOC, CandleOut, ErrorOut, HistoryPointOut, MarketOut
from kalshi_core.models import MarketStatus
from kalshi_core.storage.repositories import MarketFilter

router = APIRouter(
    prefix="/markets",
    tags=["markets"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown market ticker."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)


@router.get(
    "",
    name="list",
    summary="Latest quote of every market",
    description="One item per market from `market_latest`, joined with its metadata. "
    f"`yes_price`: {YES_PRICE_DOC} The total is in the `X-Total-Count` header.",
    response_model=list[MarketOut],
    responses=CACHED_LIST_RESPONSES,
)
async def list_markets(
    request: Request,
    reads: ReadsDep,
    cache: CacheDep,
    status: Annotated[MarketStatus | None, Query(description="Kalshi status.")] = None,
    series: Annotated[str | None, ticker_query("Series ticker.")] = None,
    event: Annotated[str | None, ticker_query("Event ticker.")] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=TEXT_PATTERN,
            description="Case-insensitive substring of the ticker or the title.",
        ),
    ] = None,
    sort: Annotated[MarketSort, Query(description="Sort key; ticker breaks ties.")] = "ticker",
    order: Annotated[Order, Query()] = "asc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    flt = MarketFilter(
        status=status.value if status is not None else None,
        series_ticker=series,
        event_ticker=event,
        search=search or None,
        sort=sort,
        descending=order == "desc",
    )
    version = cache.version  # read before querying: a change meanwhile makes the entry stale
    body, total = await reads.markets(flt, limit, offset)
    key = markets_cache_key(request.scope["query_string"])
    return json_page(request, cache, key, version, body, total)


@router.get(
    "/{ticker}",
    name="get",
    summary="One market's latest quote",
    description=f"`yes_price`: {YES_PRICE_DOC}",
    response_model=MarketOut,
)
async def get_market(reads: ReadsDep, ticker: TickerPath) -> Any:
    body = await reads.market(ticker)
    if body is None:
        return unknown_market(ticker)
    return JSONText(body)


def _window_error(field: str, msg: str, value: datetime) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": msg, "input": value.isoformat()}]
    )


@router.get(
    "/{ticker}/history",
    name="history",
    summary="A market's stored snapshots, newest first",
    description="Rows are stored when the quote changes, so consecutive points differ. "
    "`start <= timestamp < end`; both are ISO-8601 with a timezone (e.g. "
    "2026-01-01T00:00:00Z) and start must be before end (422 otherwise). "
    f"`yes_price`: {YES_PRICE_DOC}",
    response_model=list[HistoryPointOut],
)
async def market_history(
    reads: ReadsDep,
    ticker: TickerPath,
    limit: Annotated[
        int, Query(ge=1, le=MAX_HISTORY_LIMIT, description="At most this many points.")
    ] = DEFAULT_HISTORY_LIMIT,
    start: Annotated[QueryTime | None, Query(description="Inclusive lower bound.")] = None,
    end: Annotated[QueryTime | None, Query(description="Exclusive upper bound.")] = None,
) -> Any:
    if start is not None and end is not None and start >= end:
        raise _window_error("end", "end must be after start", end)
    body = await reads.history(ticker, limit, start, end)
    if body is None:
        return unknown_market_history(ticker)
    return JSONText(body)


MAX_CANDLES = 5000


class CandlePeriod(IntEnum):
    """Minutes per candle (an enum: a query string's "60" is not the literal 60)."""

    MINUTE = 1
    HOUR = 60
    DAY = 1440


def _shifted(at: datetime, by: timedelta) -> datetime:
    """`at + by`, held at the ends of the calendar (a query may ask for year 1 or 9999)."""
    try:
        return at + by
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if by < timedelta(0) else at


@router.get(
    "/{ticker}/candles",
    name="candles",
    summary="A market's stored candlesticks, oldest first",
    description="Candles whose period ends in `[start, end)`. Without `start` and `end`: the "
    "`limit` periods up to now, or up to one period after the close for a market that has "
    "closed, or up to the newest candle for candles imported without their market's metadata; "
    "with one of them, `limit` periods from `start` or up to `end`. Given both, a "
    "window longer than `limit` periods or with `start >= end` is refused (422): narrow it or "
    f"raise `limit` (at most {MAX_CANDLES}). Written by the history backfill and by imports.",
    response_model=list[CandleOut],
)
async def market_candles(
    repos: ReposDep,
    ticker: TickerPath,
    period: Annotated[
        CandlePeriod, Query(description="Minutes per candle: 1, 60 or 1440.")
    ] = CandlePeriod.HOUR,
    limit: Annotated[
        int, Query(ge=1, le=MAX_CANDLES, description="At most this many periods.")
    ] = 1000,
    start: Annotated[QueryTime | None, Query(description="Inclusive lower bound.")] = None,
    end: Annotated[QueryTime | None, Query(description="Exclusive upper bound.")] = None,
) -> Any:
    step = timedelta(minutes=int(period))
    market = await repos.markets.get_market(ticker)
    newest: datetime | None = None
    if market is None:
        # candles imported without their market's row (a trade-price candle file) are served;
        # a ticker with neither is unknown
        newest = await repos.history.last_candle_end(ticker, int(period))
        if newest is None:
            return json_error(
                404,
                f"unknown market ticker {ticker!r}: no market metadata and no "
                f"{int(period)}-minute candles",
            )
    if end is None and start is not None:
        end = _shifted(start, limit * step)
    if end is None:
        now = datetime.now(UTC)
        if newest is not None:
            end = _shifted(newest, timedelta(microseconds=1))  # up to the newest candle
        elif market is not None and market.close_time is not None and market.close_time < now:
            end = _shifted(market.close_time, step)
        else:
            end = now
    if start is None:
        start = _shifted(end, -limit * step)
    elif start >= end:
        raise _window_error("end", "end must be after start", end)
    elif end - start > limit * step:
        raise _window_error(
            "start",
            f"the window holds more than limit={limit} periods of {int(period)} minutes: "
            f"narrow it or raise limit (at most {MAX_CANDLES})",
            start,
        )
    candles = await repos.history.get_candles(ticker, int(period), start, end)
    return [CandleOut.model_validate(c) for c in candles]

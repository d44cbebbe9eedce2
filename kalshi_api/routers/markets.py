"""Markets: latest quotes (paged, filtered, sorted), one market, and its stored history.

These are the hot endpoints: their bodies are JSON text built by the storage layer's
`kalshi_core.storage.postgres.json_reads` and sent as-is (no pydantic round trip); the response
models document that JSON for OpenAPI.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from kalshi_api.deps import CacheDep, ReadsDep
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
from kalshi_api.schemas import YES_PRICE_DOC, ErrorOut, HistoryPointOut, MarketOut
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
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "end"),
                    "msg": "end must be after start",
                    "input": end.isoformat(),
                }
            ]
        )
    body = await reads.history(ticker, limit, start, end)
    if body is None:
        return unknown_market_history(ticker)
    return JSONText(body)

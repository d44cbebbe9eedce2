"""Markets: latest quotes (paged, filtered, sorted), one market, and its stored history.

These are the hot endpoints: their bodies are JSON text built by the storage layer's
`kalshi_core.storage.postgres.json_reads` and sent as-is (no pydantic round trip); the response
models document that JSON for OpenAPI.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from kalshi_api.changes import etag_of
from kalshi_api.deps import CacheDep, ReadsDep
from kalshi_api.errors import json_error
from kalshi_api.params import (
    TEXT_PATTERN,
    Limit,
    Offset,
    Order,
    QueryTime,
    TickerPath,
    ticker_query,
)
from kalshi_api.schemas import YES_PRICE_DOC, ErrorOut, HistoryPointOut, MarketOut
from kalshi_core.models import MarketStatus
from kalshi_core.storage.repositories import MarketFilter

router = APIRouter(
    prefix="/api/v1/markets",
    tags=["markets"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown market ticker."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)

TOTAL_HEADER: Final = {
    "X-Total-Count": {
        "description": "Items matching the filters (may be up to API_COUNT_CACHE_S old).",
        "schema": {"type": "integer"},
    },
    "ETag": {
        "description": "Validator of this page; send it back in If-None-Match to get a 304 "
        "while the data has not changed.",
        "schema": {"type": "string"},
    },
}
MarketSort = Literal["ticker", "volume", "volume_24h", "open_interest", "close_time", "updated"]
DEFAULT_HISTORY_LIMIT: Final = 500
MAX_HISTORY_LIMIT: Final = 10_000


def markets_cache_key(query_string: bytes) -> tuple[str, bytes]:
    """A markets page's `ResponseCache` key: its raw query string (`kalshi_api.hotpath`)."""
    return ("markets", query_string)


def validators(body: bytes) -> dict[str, str]:
    """ETag + `Cache-Control: no-cache`: browsers keep the page and revalidate it each poll,
    getting a body-less 304 while the data has not changed."""
    return {"ETag": etag_of(body), "Cache-Control": "no-cache"}


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches `etag` (a list of tags or `*`, weak or not)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def unknown_market(ticker: str) -> Response:
    return json_error(404, f"unknown market ticker {ticker!r} (or no quote stored yet)")


def unknown_market_history(ticker: str) -> Response:
    return json_error(404, f"unknown market ticker {ticker!r}")


class JSONText(Response):
    """A body that is already JSON."""

    media_type = "application/json"


@router.get(
    "",
    name="list",
    summary="Latest quote of every market",
    description="One item per market from `market_latest`, joined with its metadata. "
    f"`yes_price`: {YES_PRICE_DOC} The total is in the `X-Total-Count` header.",
    response_model=list[MarketOut],
    responses={
        200: {"headers": TOTAL_HEADER},
        304: {"description": "Not modified: the page still matches the If-None-Match ETag."},
    },
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
    raw = body.encode()
    headers = {"X-Total-Count": str(total), **validators(raw)}
    cache.put(markets_cache_key(request.scope["query_string"]), version, raw, headers)
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return JSONText(raw, headers=headers)


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

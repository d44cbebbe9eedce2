"""Events: a paged list (optionally of one series) and one event with its markets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from kalshi_api.deps import ReposDep
from kalshi_api.errors import json_error
from kalshi_api.params import Limit, Offset, TickerPath, ticker_query
from kalshi_api.responses import LIST_RESPONSES, page_items
from kalshi_api.schemas import ErrorOut, EventDetailOut, EventOut, MarketMetaOut

router = APIRouter(
    prefix="/events",
    tags=["events"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown event ticker."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)


@router.get(
    "",
    name="list",
    summary="Events, by ticker",
    response_model=list[EventOut],
    responses=LIST_RESPONSES,
)
async def list_events(
    repos: ReposDep,
    response: Response,
    series: Annotated[str | None, ticker_query("Only events of this series.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[EventOut]:
    page = await repos.events.list(series_ticker=series, limit=limit, offset=offset)
    return page_items(response, page, EventOut.model_validate)


@router.get(
    "/{ticker}",
    name="get",
    summary="One event with its markets",
    response_model=EventDetailOut,
)
async def get_event(repos: ReposDep, ticker: TickerPath) -> EventDetailOut | Response:
    event = await repos.events.get(ticker)
    if event is None:
        return json_error(404, f"unknown event ticker {ticker!r}")
    markets = await repos.events.markets_of(ticker)
    return EventDetailOut.model_validate(
        {**event.model_dump(), "markets": [MarketMetaOut.of(m) for m in markets]}
    )

"""Series: fee type and multiplier live here."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kalshi_api.deps import ReposDep
from kalshi_api.errors import json_error
from kalshi_api.params import Limit, Offset, TickerPath
from kalshi_api.responses import LIST_RESPONSES, page_items
from kalshi_api.schemas import ErrorOut, SeriesOut

router = APIRouter(
    prefix="/series",
    tags=["series"],
    responses={
        404: {"model": ErrorOut, "description": "Unknown series ticker."},
        503: {"model": ErrorOut, "description": "Database unavailable."},
    },
)


@router.get(
    "",
    name="list",
    summary="Series, by ticker",
    response_model=list[SeriesOut],
    responses=LIST_RESPONSES,
)
async def list_series(
    repos: ReposDep, response: Response, limit: Limit = 100, offset: Offset = 0
) -> list[SeriesOut]:
    page = await repos.series.list(limit=limit, offset=offset)
    return page_items(response, page, SeriesOut.model_validate)


@router.get("/{ticker}", name="get", summary="One series", response_model=SeriesOut)
async def get_series(repos: ReposDep, ticker: TickerPath) -> SeriesOut | Response:
    series = await repos.series.get(ticker)
    if series is None:
        return json_error(404, f"unknown series ticker {ticker!r}")
    return SeriesOut.model_validate(series)

"""Response helpers shared by the routers and the hot path (`kalshi_api.hotpath`).

ETags and `304 Not Modified`, the `X-Total-Count` list header, JSON bodies that are already text,
the 404 bodies of the markets endpoints, and the two shapes of a list endpoint's answer (a
repository `Page` of models, or a JSON-text page cached per data version): one definition each,
so the hot path answers with exactly the bytes and headers the routes would. No module imports a
router.

A list route is then its parameters and one call:

    @router.get("", name="list", response_model=list[SeriesOut], responses=LIST_RESPONSES)
    async def list_series(repos: ReposDep, response: Response, limit: Limit = 100,
                          offset: Offset = 0) -> list[SeriesOut]:
        page = await repos.series.list(limit=limit, offset=offset)
        return page_items(response, page, SeriesOut.model_validate)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from fastapi import Request, Response

from kalshi_api.changes import ResponseCache, etag_of
from kalshi_api.errors import json_error
from kalshi_core.storage.repositories import Page

TOTAL_HEADER: Final = {
    "X-Total-Count": {
        "description": "Items matching the filters (may be up to API_COUNT_CACHE_S old).",
        "schema": {"type": "integer"},
    },
}
ETAG_HEADER: Final = {
    "ETag": {
        "description": "Validator of this page; send it back in If-None-Match to get a 304 "
        "while the data has not changed.",
        "schema": {"type": "string"},
    },
}
LIST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {200: {"headers": TOTAL_HEADER}}
"""`responses=` of a list route answered by `page_items`."""
CACHED_LIST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"headers": {**TOTAL_HEADER, **ETAG_HEADER}},
    304: {"description": "Not modified: the page still matches the If-None-Match ETag."},
}
"""`responses=` of a list route answered by `json_page` (ETag and 304 too)."""

Item = TypeVar("Item")
Out = TypeVar("Out")


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


def page_items(response: Response, page: Page[Item], item: Callable[[Item], Out]) -> list[Out]:
    """A list route's body: `page`'s items converted by `item`, its total in `X-Total-Count`."""
    response.headers["X-Total-Count"] = str(page.total)
    return [item(x) for x in page.items]


def json_page(
    request: Request,
    cache: ResponseCache,
    key: object,
    version: int | None,
    body: str,
    total: int,
) -> Response:
    """A list page rendered as JSON text: `X-Total-Count`, ETag and `Cache-Control`, stored in
    `cache` under `key` at `version` (the data version read *before* the query, so a change
    meanwhile makes the entry stale), and a body-less 304 when If-None-Match matches."""
    raw = body.encode()
    headers = {"X-Total-Count": str(total), **validators(raw)}
    cache.put(key, version, raw, headers)
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return JSONText(raw, headers=headers)

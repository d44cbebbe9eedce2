"""Response helpers shared by the routers and the hot path (`kalshi_api.hotpath`).

ETags and `304 Not Modified`, the `X-Total-Count` list header, JSON bodies that are already text,
and the 404 bodies of the markets endpoints: one definition each, so the hot path answers with
exactly the bytes and headers the routes would. No module imports a router.
"""

from __future__ import annotations

from typing import Final

from fastapi import Response

from kalshi_api.changes import etag_of
from kalshi_api.errors import json_error

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

"""Contract: every list endpoint sends the headers its OpenAPI document promises, and no other.

Protects: the list routes built on `kalshi_api.responses` (`page_items`, `json_page`) keep
`X-Total-Count` on every list, and `ETag` / `Cache-Control: no-cache` exactly where they are
documented (the markets list, the only one with a 304); the client generated from the document
(frontend/src/api/generated) then describes what the API really sends.
"""

from __future__ import annotations

from typing import Any

import httpx

from kalshi_core.storage.database import Repositories
from tests.api.conftest import seed_catalogue

PAGE_HEADERS = {"x-total-count", "etag"}


async def test_list_endpoints_send_exactly_their_documented_headers(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await seed_catalogue(repos)
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    lists = {
        path: op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method == "get" and op["operationId"].endswith("-list")
    }
    assert set(lists) == {
        "/api/v1/markets",
        "/api/v1/events",
        "/api/v1/series",
        "/api/v1/backtests",
        "/api/v1/calibration",
    }
    for path, op in lists.items():
        documented = {name.lower() for name in op["responses"]["200"]["headers"]}
        assert "x-total-count" in documented, path
        r = await client.get(path)
        assert r.status_code == 200, path
        sent = {name for name in r.headers if name in PAGE_HEADERS}
        assert sent == documented & PAGE_HEADERS, path
        assert r.headers["x-total-count"] == str(len(r.json())), path
        assert ("etag" in documented) == ("304" in op["responses"]), path
        if "etag" in documented:
            assert r.headers["cache-control"] == "no-cache", path
            again = await client.get(path, headers={"If-None-Match": r.headers["etag"]})
            assert (again.status_code, again.content) == (304, b""), path
            assert again.headers["x-total-count"] == r.headers["x-total-count"], path

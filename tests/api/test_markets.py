"""Contract: the markets endpoints over HTTP on real PostgreSQL.

Protects: `/api/v1/markets` returns a JSON array of items with every documented field, prices as
exact JSON numbers in dollars (0.5600 -> 0.56, the mid 0.565 exactly), `yes_price` as defined by
`derive_yes_price`, the total in `X-Total-Count` (exposed to the SPA through CORS); filters
(status, series, event, search with LIKE wildcards as plain text), every sort key in both orders
(ties by ticker A-Z), pagination edges (offset past the end -> [] with the total);
`/markets/{ticker}` and its `/history` (newest first, limit, [start, end) bounds, 404 for unknown
tickers); and that bad parameters (limits, offsets, naive or inverted dates, long tickers, NUL
bytes, SQL-shaped input) are 4xx with a JSON message, never 5xx, and leave the data intact.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from kalshi_core.models import derive_yes_price
from kalshi_core.storage.database import Repositories
from tests.api.conftest import ORIGIN, T0, market, seed_catalogue, snapshot

MARKET_FIELDS = {
    "market_ticker",
    "timestamp",
    "source",
    "sequence",
    "yes_price",
    "no_price",
    "yes_bid",
    "yes_ask",
    "no_bid",
    "no_ask",
    "last_price",
    "yes_bid_size",
    "yes_ask_size",
    "volume",
    "volume_24h",
    "open_interest",
    "status",
    "title",
    "event_ticker",
    "series_ticker",
    "close_time",
    "changed_at",
}
HISTORY_FIELDS = MARKET_FIELDS - {
    "status",
    "title",
    "event_ticker",
    "series_ticker",
    "close_time",
    "changed_at",
}


def tickers(response: httpx.Response) -> list[str]:
    return [item["market_ticker"] for item in response.json()]


async def test_list_shape_prices_and_total(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert isinstance(body, list)
    assert r.headers["X-Total-Count"] == "5"  # the market without a quote is not listed
    first = body[0]
    assert set(first) == MARKET_FIELDS
    assert first["market_ticker"] == "KXA-E1-M1"
    assert first["yes_bid"] == 0.56
    assert first["yes_ask"] == 0.57
    assert first["yes_price"] == 0.565  # the mid, exactly
    assert first["no_price"] == 0.435
    assert first["no_bid"] == 0.43
    assert first["no_ask"] == 0.44
    assert first["last_price"] == 0.55
    assert first["volume"] == 300
    assert first["source"] == "rest"
    assert first["status"] == "active"
    assert first["series_ticker"] == "KXA"
    assert first["event_ticker"] == "KXA-E1"
    assert first["timestamp"].startswith("2026-11-20T12:00:00")
    assert first["timestamp"].endswith("Z")
    for key in ("yes_price", "no_price", "yes_bid", "volume", "open_interest"):
        assert isinstance(first[key], int | float), key


async def test_prices_are_exact_decimal_text(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await repos.markets.upsert_markets([market("KXD-E-M")])
    await repos.markets.save_many(
        [snapshot("KXD-E-M", 0, "0.5600", "0.5700", "0.123456", volume="1234567.89")]
    )
    raw = (await client.get("/api/v1/markets/KXD-E-M")).text
    # Digits as stored, trailing zeros dropped, never a binary float artefact.
    assert '"yes_bid" : 0.56,' in raw or '"yes_bid":0.56,' in raw
    assert "0.5600" not in raw
    item = orjson.loads(raw)
    assert Decimal(str(item["last_price"])) == Decimal("0.123456")
    assert Decimal(str(item["volume"])) == Decimal("1234567.89")
    assert Decimal(str(item["yes_price"])) == Decimal("0.565")


@pytest.mark.parametrize(
    ("bid", "ask", "last"),
    [
        ("0.5600", "0.5700", "0.1000"),  # both sides quote: mid
        ("0", "0.5700", "0.3300"),  # no bid: last
        ("0.4000", "1", "0.3300"),  # no ask: last
        ("0", "1", "0.9900"),  # empty book: last
        ("0.5000", "0.5000", "0.1000"),  # locked book: mid
        ("0.000001", "0.999999", "0.5"),
    ],
)
async def test_yes_price_follows_derive_yes_price(
    client: httpx.AsyncClient, repos: Repositories, bid: str, ask: str, last: str
) -> None:
    await repos.markets.upsert_markets([market("KXY-E-M")])
    await repos.markets.save_many([snapshot("KXY-E-M", 0, bid, ask, last)])
    item = (await client.get("/api/v1/markets/KXY-E-M")).json()
    expected = derive_yes_price(Decimal(bid), Decimal(ask), Decimal(last))
    assert Decimal(str(item["yes_price"])) == expected
    assert Decimal(str(item["no_price"])) == 1 - expected
    history = (await client.get("/api/v1/markets/KXY-E-M/history")).json()
    assert Decimal(str(history[0]["yes_price"])) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "finalized"}, ["KXA-E2-M1"]),
        ({"series": "KXB"}, ["KXB-E1-M1", "KXB-E1-M2"]),
        ({"event": "KXA-E1"}, ["KXA-E1-M1", "KXA-E1-M2"]),
        ({"search": "in p"}, ["KXA-E1-M1", "KXB-E1-M2"]),  # titles, case-insensitive
        ({"search": "kxb-e1-m2"}, ["KXB-E1-M2"]),  # tickers too
        ({"search": "%"}, ["KXA-E2-M1"]),  # a wildcard is plain text
        ({"search": "_"}, ["KXA-E2-M1"]),
        ({"series": "KXA", "status": "active"}, ["KXA-E1-M1", "KXA-E1-M2"]),
        ({"series": "NOPE"}, []),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, repos: Repositories, params: dict[str, str], expected: list[str]
) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets", params=params)
    assert r.status_code == 200
    assert tickers(r) == expected
    assert r.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("ticker", "desc", ["KXB-E1-M2", "KXB-E1-M1", "KXA-E2-M1", "KXA-E1-M2", "KXA-E1-M1"]),
        # equal volumes (300) fall back to the ticker A-Z, whatever the direction (as the
        # repository's get_all_latest: tests/api/test_list_parity.py)
        ("volume", "desc", ["KXA-E2-M1", "KXA-E1-M1", "KXB-E1-M1", "KXA-E1-M2", "KXB-E1-M2"]),
        ("volume", "asc", ["KXB-E1-M2", "KXA-E1-M2", "KXA-E1-M1", "KXB-E1-M1", "KXA-E2-M1"]),
        # markets without a close time come last either way, A-Z
        ("close_time", "asc", ["KXA-E1-M2", "KXB-E1-M1", "KXA-E1-M1", "KXA-E2-M1", "KXB-E1-M2"]),
        ("close_time", "desc", ["KXA-E1-M1", "KXB-E1-M1", "KXA-E1-M2", "KXA-E2-M1", "KXB-E1-M2"]),
    ],
)
async def test_sort(
    client: httpx.AsyncClient, repos: Repositories, sort: str, order: str, expected: list[str]
) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets", params={"sort": sort, "order": order})
    assert tickers(r) == expected


async def test_every_sort_key_is_accepted(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    for sort in ("ticker", "volume", "volume_24h", "open_interest", "close_time", "updated"):
        for order in ("asc", "desc"):
            r = await client.get("/api/v1/markets", params={"sort": sort, "order": order})
            assert r.status_code == 200, (sort, order)
            assert sorted(tickers(r)) == sorted(
                ["KXA-E1-M1", "KXA-E1-M2", "KXA-E2-M1", "KXB-E1-M1", "KXB-E1-M2"]
            )


async def test_pagination_edges(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    all_tickers = tickers(await client.get("/api/v1/markets"))
    pages: list[str] = []
    for offset in range(0, 5, 2):
        r = await client.get("/api/v1/markets", params={"limit": 2, "offset": offset})
        assert r.headers["X-Total-Count"] == "5"
        pages += tickers(r)
    assert pages == all_tickers
    full = await client.get("/api/v1/markets", params={"limit": 5})
    assert len(full.json()) == 5
    assert full.headers["X-Total-Count"] == "5"
    past = await client.get("/api/v1/markets", params={"offset": 50})
    assert past.status_code == 200
    assert past.json() == []
    assert past.headers["X-Total-Count"] == "5"
    filtered_past = await client.get("/api/v1/markets", params={"offset": 1, "series": "KXB"})
    assert tickers(filtered_past) == ["KXB-E1-M2"]
    assert filtered_past.headers["X-Total-Count"] == "2"


async def test_total_header_is_exposed_to_the_spa(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets", headers={"Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "x-total-count" in r.headers["access-control-expose-headers"].lower()
    other = await client.get("/api/v1/markets", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await client.options(
        "/api/v1/markets",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 400


async def test_get_market(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets/KXB-E1-M1")
    assert r.status_code == 200
    item = r.json()
    assert set(item) == MARKET_FIELDS
    assert item["market_ticker"] == "KXB-E1-M1"
    assert item["yes_price"] == 0.315
    assert item["title"] == "Sun in Rome?"


async def test_unknown_ticker_is_404_json(client: httpx.AsyncClient, repos: Repositories) -> None:
    await seed_catalogue(repos)
    for path in ("/api/v1/markets/KXNOPE-1", "/api/v1/markets/KXNOPE-1/history"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/json"
        assert "KXNOPE-1" in r.json()["detail"]
    # Metadata but no quote yet: no latest item, an empty history.
    assert (await client.get("/api/v1/markets/KXB-E1-M3")).status_code == 404
    r = await client.get("/api/v1/markets/KXB-E1-M3/history")
    assert r.status_code == 200
    assert r.json() == []


async def _seed_history(repos: Repositories) -> None:
    await repos.markets.upsert_markets([market("KXH-E-M"), market("KXH-E-OTHER")])
    # Ten changed quotes, one per minute, spanning a day boundary (two partitions).
    start = T0.replace(hour=23, minute=55)
    for i in range(10):
        await repos.markets.save_many(
            [
                snapshot("KXH-E-M", start + timedelta(minutes=i), f"0.{10 + i}", "0.9000", "0.5"),
                snapshot("KXH-E-OTHER", start + timedelta(minutes=i), "0.2", "0.3", "0.25"),
            ]
        )


async def test_history_newest_first_limit_and_bounds(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await _seed_history(repos)
    r = await client.get("/api/v1/markets/KXH-E-M/history")
    assert r.status_code == 200
    points = r.json()
    assert len(points) == 10
    assert set(points[0]) == HISTORY_FIELDS
    assert {p["market_ticker"] for p in points} == {"KXH-E-M"}
    times = [p["timestamp"] for p in points]
    assert times == sorted(times, reverse=True)
    assert points[0]["yes_bid"] == 0.19
    assert points[-1]["yes_bid"] == 0.1

    r = await client.get("/api/v1/markets/KXH-E-M/history", params={"limit": 3})
    assert [p["yes_bid"] for p in r.json()] == [0.19, 0.18, 0.17]

    start = "2026-11-20T23:57:00Z"
    end = "2026-11-21T00:01:00+00:00"
    r = await client.get("/api/v1/markets/KXH-E-M/history", params={"start": start, "end": end})
    assert [p["yes_bid"] for p in r.json()] == [0.15, 0.14, 0.13, 0.12]  # [start, end)

    # Another timezone names the same instant.
    r = await client.get(
        "/api/v1/markets/KXH-E-M/history", params={"start": "2026-11-21T01:03:00+01:00"}
    )
    assert [p["yes_bid"] for p in r.json()] == [0.19, 0.18]
    r = await client.get("/api/v1/markets/KXH-E-M/history", params={"end": start})
    assert [p["yes_bid"] for p in r.json()] == [0.11, 0.1]
    r = await client.get(
        "/api/v1/markets/KXH-E-M/history",
        params={"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"},
    )
    assert r.json() == []


BAD_REQUESTS = [
    "/api/v1/markets?limit=0",
    "/api/v1/markets?limit=1001",
    "/api/v1/markets?limit=-5",
    "/api/v1/markets?limit=abc",
    "/api/v1/markets?limit=1.5",
    "/api/v1/markets?offset=-1",
    "/api/v1/markets?offset=99999999999999999999999",
    "/api/v1/markets?sort=password",
    "/api/v1/markets?sort=ticker;DROP TABLE markets",
    "/api/v1/markets?order=sideways",
    "/api/v1/markets?status=open%27--",
    "/api/v1/markets?series=",
    "/api/v1/markets?series=" + "A" * 201,
    "/api/v1/markets?search=%00",
    "/api/v1/markets?search=" + "x" * 201,
    "/api/v1/markets/KXH-E-M/history?limit=0",
    "/api/v1/markets/KXH-E-M/history?limit=10001",
    "/api/v1/markets/KXH-E-M/history?start=2026-11-20T00:00:00",  # naive
    "/api/v1/markets/KXH-E-M/history?end=2026-11-20",  # a date is naive too
    "/api/v1/markets/KXH-E-M/history?start=yesterday",
    "/api/v1/markets/KXH-E-M/history?start=1700000000",  # a Unix time is not ISO-8601
    "/api/v1/markets/KXH-E-M/history?start=0.5",
    "/api/v1/markets/KXH-E-M/history?start=2026-13-45T00:00:00Z",
    "/api/v1/markets/KXH-E-M/history?start=2026-11-21T00:00:00Z&end=2026-11-20T00:00:00Z",
    "/api/v1/markets/KXH-E-M/history?start=2026-11-20T00:00:00Z&end=2026-11-20T00:00:00Z",
    "/api/v1/markets/KXH-E-M/history?start=9999-12-31T23:59:59-23:00",  # overflows UTC
    "/api/v1/markets/KXH-E-M/history?start=0001-01-01T00:00:00%2B01:00",
    "/api/v1/markets/" + "A" * 201,
    "/api/v1/markets/" + "A" * 201 + "/history",
    "/api/v1/markets/KX%00H",
    "/api/v1/markets/KX%00H/history",
    "/api/v1/markets/KX%0AH",
]


@pytest.mark.parametrize("path", BAD_REQUESTS)
async def test_bad_parameters_are_422(
    client: httpx.AsyncClient, repos: Repositories, path: str
) -> None:
    await _seed_history(repos)
    r = await client.get(path)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail
    assert all("msg" in problem and "loc" in problem for problem in detail)


INJECTIONS = [
    "' OR '1'='1",
    "KXH-E-M' --",
    "KXH-E-M'; DROP TABLE markets; --",
    "1; SELECT pg_sleep(10)",
    "%",
    "_",
    "KXH-E-%",
    '"); DELETE FROM market_latest; --',
    "\\",
    "☃-ünïcødé-𝔘",
    "..%2F..%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("ticker", INJECTIONS)
async def test_sql_shaped_tickers_are_just_unknown(
    client: httpx.AsyncClient, repos: Repositories, ticker: str
) -> None:
    await _seed_history(repos)
    for suffix in ("", "/history"):
        r = await client.get(f"/api/v1/markets/{quote(ticker, safe='')}{suffix}")
        assert r.status_code == 404, (ticker, suffix, r.text)
    r = await client.get("/api/v1/markets", params={"search": ticker, "series": ticker})
    assert r.status_code == 200
    assert r.json() == []
    # Nothing was touched.
    r = await client.get("/api/v1/markets")
    assert r.headers["X-Total-Count"] == "2"
    assert len((await client.get("/api/v1/markets/KXH-E-M/history")).json()) == 10


async def test_empty_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/markets")
    assert r.status_code == 200
    assert r.json() == []
    assert r.headers["X-Total-Count"] == "0"
    past: dict[str, Any] = {"offset": 10, "sort": "volume", "order": "desc"}
    r = await client.get("/api/v1/markets", params=past)
    assert r.json() == []
    assert r.headers["X-Total-Count"] == "0"
    assert (await client.get("/api/v1/markets/KXA-1")).status_code == 404
    assert (await client.get("/api/v1/markets/KXA-1/history")).status_code == 404


async def test_list_etag_and_304_through_the_route(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await seed_catalogue(repos)
    r = await client.get("/api/v1/markets?limit=3")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    assert r.headers["cache-control"] == "no-cache"
    for header in (etag, f"W/{etag}", f'"x", {etag}', "*"):
        again = await client.get("/api/v1/markets?limit=3", headers={"If-None-Match": header})
        assert (again.status_code, again.content) == (304, b""), header
        assert again.headers["x-total-count"] == r.headers["x-total-count"]
    other = await client.get("/api/v1/markets?limit=3", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200
    assert other.content == r.content

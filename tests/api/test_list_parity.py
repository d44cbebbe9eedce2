"""Contract: the API's markets list and `MarketRepository.get_all_latest` order markets the same.

Both are built from one filter/ORDER BY builder (`kalshi_core.storage.postgres.latest_list`); this
compares, on the same data, the tickers of the repository method and of `/api/v1/markets` for
every sort key in both directions, with and without filters, whole and page by page. The data
has ties on every sort key but the ticker (equal volumes, equal close times, NULL close times,
placeholder markets without metadata, quotes changed in the same tick), so the tie-break order
(ticker A-Z whatever the direction) is what is compared.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import httpx
import pytest

from kalshi_api.params import MarketSort
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import MarketFilter
from tests.api.conftest import market, snapshot
from tests.builders import T0

pytestmark = pytest.mark.asyncio(loop_scope="session")

SORTS: tuple[str, ...] = get_args(MarketSort)
FILTERS: list[dict[str, str]] = [
    {},
    {"status": "active"},
    {"series": "KXB"},
    {"event": "KXA-E1"},
    {"search": "m1"},
    {"series": "KXA", "status": "active", "search": "KXA"},
]


async def seed_ties(repos: Repositories) -> None:
    day = timedelta(days=1)
    await repos.markets.upsert_markets(
        [
            market("KXA-E1-M1", close_time=T0 + day),
            market("KXA-E1-M2", close_time=T0 + day),
            market("KXA-E1-M3", close_time=None),
            market("KXA-E2-M1", close_time=T0 + 2 * day),
            market("KXB-E1-M1", close_time=None),
            market("KXB-E1-M2", close_time=T0 + day),
            market("KXB-E2-M1", close_time=T0 + 2 * day, status="closed"),
        ]
    )

    def quote(ticker: str, ts: int, volume: str, v24: str, oi: str) -> Any:
        return snapshot(ticker, ts, volume=volume, volume_24h=v24, open_interest=oi)

    # Two ticks: "updated" ties within each tick. KXZ-* have no metadata (placeholders).
    await repos.markets.save_many(
        [
            quote("KXA-E1-M1", 0, "100", "10", "5"),
            quote("KXA-E1-M2", 0, "100", "20", "5"),
            quote("KXB-E1-M2", 0, "300", "10", "7"),
            quote("KXZ-1", 0, "100", "20", "7"),
            quote("KXB-E2-M1", 0, "50", "10", "5"),
        ]
    )
    await repos.markets.save_many(
        [
            quote("KXA-E1-M3", 60, "300", "20", "5"),
            quote("KXA-E2-M1", 60, "300", "10", "7"),
            quote("KXB-E1-M1", 60, "100", "20", "5"),
            quote("KXZ-2", 60, "50", "10", "7"),
        ]
    )


def _filter(params: dict[str, str], sort: str, order: str) -> MarketFilter:
    return MarketFilter(
        status=params.get("status"),
        series_ticker=params.get("series"),
        event_ticker=params.get("event"),
        search=params.get("search"),
        sort=sort,  # type: ignore[arg-type]
        descending=order == "desc",
    )


async def both(
    client: httpx.AsyncClient,
    repos: Repositories,
    params: dict[str, str],
    sort: str,
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[str], list[str]]:
    page = await repos.markets.get_all_latest(_filter(params, sort, order), limit, offset)
    r = await client.get(
        "/api/v1/markets",
        params={**params, "sort": sort, "order": order, "limit": limit, "offset": offset},
    )
    assert r.status_code == 200, r.text
    assert r.headers["X-Total-Count"] == str(page.total)
    return [q.snapshot.market_ticker for q in page.items], [i["market_ticker"] for i in r.json()]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
async def test_repository_and_api_list_markets_in_the_same_order(
    client: httpx.AsyncClient, repos: Repositories, sort: str, order: str
) -> None:
    await seed_ties(repos)
    for params in FILTERS:
        repo_all, api_all = await both(client, repos, params, sort, order, 100, 0)
        assert api_all == repo_all, params
        # Page by page too: the API sorts and cuts first, then renders the page.
        for offset in range(0, len(repo_all) + 1, 3):
            repo_page, api_page = await both(client, repos, params, sort, order, 3, offset)
            assert api_page == repo_page == repo_all[offset : offset + 3], (params, offset)


async def test_ties_read_a_to_z_whatever_the_direction(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    # The data really has ties, and both directions break them by ticker ascending.
    await seed_ties(repos)
    high_first = ["KXA-E1-M3", "KXA-E2-M1", "KXB-E1-M2"]  # volume 300
    middle = ["KXA-E1-M1", "KXA-E1-M2", "KXB-E1-M1", "KXZ-1"]  # volume 100
    low = ["KXB-E2-M1", "KXZ-2"]  # volume 50
    repo, api = await both(client, repos, {}, "volume", "desc", 100, 0)
    assert api == repo == high_first + middle + low
    repo, api = await both(client, repos, {}, "volume", "asc", 100, 0)
    assert api == repo == low + middle + high_first
    # NULL close times (and placeholders without metadata) come last either way, A-Z.
    repo, api = await both(client, repos, {}, "close_time", "desc", 100, 0)
    assert api == repo
    assert api[-4:] == ["KXA-E1-M3", "KXB-E1-M1", "KXZ-1", "KXZ-2"]

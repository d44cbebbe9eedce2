"""Contract: GET /markets filters and cursor pagination behave as Kalshi's.

- Pagination is complete and duplicate-free over a 100k+ market universe (limit 1000), and
  mve_filter=exclude / only split it into the non-combo and combo (KXMVE...) markets.
- status uses query values (open/closed/settled/unopened) and answers response values
  (active/closed+determined/finalized/initialized); series, event, tickers and close-time filters
  select exactly what the metadata says; historical markets only appear under /historical.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import numpy as np
import pytest

from kalshi_sim.app import admin_state
from kalshi_sim.testing import SimServer, serve
from sim.conftest import START, base_config

NOW = int(START.timestamp())


def _scan(c: httpx.Client, path: str = "/markets", **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = ""
    while True:
        r = c.get(path, params={"limit": 1000, "cursor": cursor, **params})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["markets"]
        cursor = body["cursor"]
        if not cursor:
            return out


@pytest.fixture(scope="module")
def big_sim() -> Iterator[SimServer]:
    with serve(base_config(markets=60_000, mve_markets=60_000)) as server:
        yield server


def test_pagination_complete_over_100k(big_sim: SimServer) -> None:
    u = admin_state(big_sim.app).u
    cutoff = admin_state(big_sim.app).cutoff(NOW)
    live = u.m_settle >= cutoff
    assert u.n_markets > 100_000
    with httpx.Client(base_url=big_sim.base_url, timeout=120) as c:
        everything = [m["ticker"] for m in _scan(c)]
        assert len(everything) == len(set(everything)) == int(live.sum())
        exclude = {m["ticker"] for m in _scan(c, mve_filter="exclude")}
        only = {m["ticker"] for m in _scan(c, mve_filter="only")}
    expected_only = {u.m_ticker[i] for i in np.flatnonzero(live & u.m_is_mve)}
    assert only == expected_only
    assert all(t.startswith("KXMVE") for t in only)
    assert exclude == set(everything) - only
    assert not any(t.startswith("KXMVE") for t in exclude)
    hist = admin_state(big_sim.app).u
    assert int((~live).sum()) > 0
    assert hist is u


def test_status_filters_use_query_values(client: httpx.Client, current_sim: SimServer) -> None:
    u = admin_state(current_sim.app).u
    expected = {
        "open": {"active"},
        "unopened": {"initialized"},
        "closed": {"closed", "determined"},
        "settled": {"finalized"},
    }
    counts = {}
    for query, statuses in expected.items():
        got = _scan(client, status=query)
        counts[query] = len(got)
        assert {m["status"] for m in got} <= statuses
    assert counts["open"] > counts["settled"] > 0
    assert counts["unopened"] > 0
    both = _scan(client, status="open,settled")
    assert len(both) == counts["open"] + counts["settled"]
    opens = u.m_open <= NOW
    active = opens & (u.m_close > NOW)
    assert counts["open"] == int(active.sum())


def test_series_event_tickers_and_close_filters(client: httpx.Client) -> None:
    sample = client.get("/markets", params={"status": "open", "limit": 50}).json()["markets"]
    m = sample[7]
    series = m["ticker"].split("-")[0]
    by_series = _scan(client, series_ticker=series)
    assert by_series
    assert {x["ticker"].split("-")[0] for x in by_series} == {series}
    by_event = _scan(client, event_ticker=m["event_ticker"])
    assert {x["event_ticker"] for x in by_event} == {m["event_ticker"]}
    event = client.get(f"/events/{m['event_ticker']}").json()
    assert {x["ticker"] for x in by_event} == {x["ticker"] for x in event["markets"]}
    picked = [sample[1]["ticker"], sample[3]["ticker"], "NOT-A-TICKER"]
    by_tickers = _scan(client, tickers=",".join(picked))
    assert {x["ticker"] for x in by_tickers} == set(picked[:2])
    lo, hi = NOW + 3600, NOW + 2 * 86400
    window = _scan(client, min_close_ts=lo, max_close_ts=hi)
    assert window
    for x in window:
        close = datetime.fromisoformat(x["close_time"].replace("Z", "+00:00")).timestamp()
        assert lo < close < hi


def test_historical_split(client: httpx.Client) -> None:
    cutoff = client.get("/historical/cutoff").json()["market_settled_ts"]
    hist = _scan(client, "/historical/markets")
    assert hist
    assert {m["status"] for m in hist} == {"finalized"}
    live = {m["ticker"] for m in _scan(client)}
    assert live.isdisjoint({m["ticker"] for m in hist})
    for m in hist:
        assert m["settlement_ts"] < cutoff
    t = hist[0]["ticker"]
    assert client.get(f"/markets/{t}").status_code == 404
    assert client.get(f"/historical/markets/{t}").status_code == 200


def test_limit_bounds_and_cursor_shape(client: httpx.Client) -> None:
    assert len(client.get("/markets").json()["markets"]) == 100
    assert len(client.get("/markets", params={"limit": 1}).json()["markets"]) == 1
    assert len(client.get("/markets", params={"limit": 1000}).json()["markets"]) == 1000
    assert client.get("/markets", params={"limit": 1001}).status_code == 400
    assert client.get("/markets", params={"limit": -1}).status_code == 400
    events = client.get("/events", params={"limit": 500})
    assert events.status_code == 400
    body = client.get("/markets", params={"limit": 5}).json()
    assert isinstance(body["cursor"], str)
    assert body["cursor"]

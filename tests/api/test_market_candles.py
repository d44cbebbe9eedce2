"""Contract: `GET /api/v1/markets/{ticker}/candles` over HTTP on real PostgreSQL.

Protects: a market's stored candles of one period, oldest first, period end in `[start, end)`;
prices and counts as exact JSON numbers, unknown book fields as null; the default window (ending
one period after the close of a closed market, `limit` periods long); a window longer than
`limit` periods or ending before it starts is a 422 naming the field; an unknown ticker is a 404;
an unsupported period is a 422; candles imported without their market's row are served, the
default window ending at the newest. (This endpoint is the worked example of docs/EXTENDING.md's
API recipe.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kalshi_core.models import Candle
from kalshi_core.storage.database import Repositories
from tests.builders import build_candle, build_market

CLOSE = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
_TRADE_FIELDS = ("price_open", "price_high", "price_low", "price_close")
_TRADED = ("0.45", "0.46", "0.44", "0.45")


def _candle(ticker: str, end: datetime, close: str, traded: bool, period: int = 60) -> Candle:
    trade = dict(zip(_TRADE_FIELDS, _TRADED, strict=True))
    return build_candle(
        ticker,
        end,
        period_minutes=period,
        yes_bid_close=close,
        yes_ask_close="0.4725",
        **(trade if traded else dict.fromkeys(trade)),
        volume="12.5" if traded else 0,
        open_interest=None,
    )


async def _seed(repos: Repositories) -> None:
    await repos.markets.upsert_markets([build_market("KXC-E1-M1", close_time=CLOSE)])
    hours = [CLOSE - 3 * HOUR, CLOSE - 2 * HOUR, CLOSE - HOUR, CLOSE]
    candles = [_candle("KXC-E1-M1", t, f"0.4{i}", i % 2 == 0) for i, t in enumerate(hours)]
    window = (CLOSE - 10 * HOUR, CLOSE + HOUR)
    await repos.history.replace_candles(["KXC-E1-M1"], 60, *window, candles)
    one_minute = [_candle("KXC-E1-M1", CLOSE - timedelta(minutes=1), "0.41", True, period=1)]
    await repos.history.replace_candles(["KXC-E1-M1"], 1, *window, one_minute)


async def test_default_window_of_a_closed_market(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await _seed(repos)
    r = await client.get("/api/v1/markets/KXC-E1-M1/candles")
    assert r.status_code == 200
    body = r.json()
    # every hourly candle up to the close, oldest first; the 1-minute one is another period
    assert [c["end_time"][:19] for c in body] == [
        "2026-11-20T09:00:00",
        "2026-11-20T10:00:00",
        "2026-11-20T11:00:00",
        "2026-11-20T12:00:00",
    ]
    first, second = body[0], body[1]
    assert first["market_ticker"] == "KXC-E1-M1"
    assert first["period_minutes"] == 60
    assert first["yes_bid_close"] == 0.40
    assert first["yes_ask_close"] == 0.4725
    assert first["price_close"] == 0.45
    assert first["volume"] == 12.5
    assert first["open_interest"] is None
    assert second["price_open"] is None
    assert second["volume"] == 0
    r = await client.get("/api/v1/markets/KXC-E1-M1/candles", params={"period": 1})
    assert [c["end_time"][:19] for c in r.json()] == ["2026-11-20T11:59:00"]


async def test_explicit_window_and_limit(client: httpx.AsyncClient, repos: Repositories) -> None:
    await _seed(repos)
    params = {"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T12:00:00Z"}
    r = await client.get("/api/v1/markets/KXC-E1-M1/candles", params=params)
    assert [c["end_time"][:19] for c in r.json()] == [
        "2026-11-20T10:00:00",
        "2026-11-20T11:00:00",
    ]
    # without start: `limit` periods before end
    r = await client.get(
        "/api/v1/markets/KXC-E1-M1/candles", params={"end": "2026-11-20T12:00:00Z", "limit": 1}
    )
    assert [c["end_time"][:19] for c in r.json()] == ["2026-11-20T11:00:00"]
    # without end: `limit` periods from start
    r = await client.get(
        "/api/v1/markets/KXC-E1-M1/candles",
        params={"start": "2026-11-20T09:30:00Z", "limit": 2},
    )
    assert [c["end_time"][:19] for c in r.json()] == [
        "2026-11-20T10:00:00",
        "2026-11-20T11:00:00",
    ]


async def test_windows_at_the_ends_of_the_calendar(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    await _seed(repos)
    for end in ("0001-01-01T00:30:00Z", "9999-12-31T23:59:59Z"):
        r = await client.get("/api/v1/markets/KXC-E1-M1/candles", params={"end": end})
        assert r.status_code == 200, r.text
        assert r.json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-11-20T12:00:00Z", "end": "2026-11-20T10:00:00Z"}, "end"),
        ({"start": "2026-11-01T00:00:00Z", "end": "2026-11-20T00:00:00Z", "limit": 10}, "start"),
        ({"period": 5}, "period"),
        ({"limit": 0}, "limit"),
        ({"limit": 5001}, "limit"),
        ({"start": "2026-11-20T10:00:00"}, "start"),  # no timezone
    ],
)
async def test_bad_windows_are_422(
    client: httpx.AsyncClient, repos: Repositories, params: dict[str, str | int], field: str
) -> None:
    await _seed(repos)
    r = await client.get("/api/v1/markets/KXC-E1-M1/candles", params=params)
    assert r.status_code == 422, r.text
    assert field in {e["loc"][-1] for e in r.json()["detail"]}


async def test_unknown_market_is_404(client: httpx.AsyncClient, repos: Repositories) -> None:
    await _seed(repos)
    r = await client.get("/api/v1/markets/KXNOPE-1/candles")
    assert r.status_code == 404
    assert "KXNOPE-1" in r.json()["detail"]
    # a period the market has no candles of is an empty list, not a 404
    r = await client.get("/api/v1/markets/KXC-E1-M1/candles", params={"period": 1440})
    assert r.json() == []


async def test_candles_without_their_markets_row(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    # a trade-price candle file imported alone: no `markets` row, the window ends at the newest
    old = datetime(2025, 10, 21, 0, 9, tzinfo=UTC)
    candles = [_candle("KXNBA-G1-OKC", old + i * HOUR, "0.40", True) for i in range(3)]
    await repos.history.replace_candles(["KXNBA-G1-OKC"], 60, old, old + 3 * HOUR, candles)
    r = await client.get("/api/v1/markets/KXNBA-G1-OKC/candles", params={"limit": 2})
    assert r.status_code == 200, r.text
    assert [c["end_time"][:16] for c in r.json()] == ["2025-10-21T01:09", "2025-10-21T02:09"]
    r = await client.get("/api/v1/markets/KXNBA-G1-OKC/candles", params={"period": 1})
    assert r.status_code == 404

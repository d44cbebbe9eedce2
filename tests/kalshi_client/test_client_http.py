"""Contract: `KalshiClient` over HTTP (httpx.MockTransport, no network, no real sleeping).

- pagination follows cursors, stops on an empty cursor, refuses a repeated cursor with an error,
  and reports `complete`;
- retries 429, 5xx, timeouts and connection errors with full-jitter exponential backoff bounded
  by `max_retries`, honours Retry-After, counts requests/retries/429s; 4xx is not retried;
- a malformed page raises `KalshiResponseError` naming the endpoint; no partial result unless
  `allow_partial` is asked for;
- watchlist scans run listings concurrently and merge them without duplicates;
- every public endpoint hits the documented path with the documented query parameters.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from kalshi_core.kalshi import (
    KalshiClient,
    KalshiHTTPError,
    KalshiNotFoundError,
    KalshiPaginationError,
    KalshiResponseError,
    KalshiTransportError,
)
from kalshi_core.settings import SIMULATOR_BASE_URL, Settings

BASE = "http://sim.test/trade-api/v2"
TICK = datetime(2026, 8, 12, 4, 0, 5, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def make_market(base: dict[str, Any], i: int, prefix: str = "KXT") -> dict[str, Any]:
    m = copy.deepcopy(base)
    m["ticker"] = f"{prefix}-{i:06d}"
    m["event_ticker"] = f"{prefix}-EV{i // 10}"
    m["yes_bid_dollars"] = f"0.{(i % 90) + 1:02d}00"
    m["yes_ask_dollars"] = f"0.{(i % 90) + 5:02d}00"
    return m


class PagedMarkets:
    """A `/markets` server over a list, `page_size` per page, cursor = next offset."""

    def __init__(self, markets: list[dict[str, Any]], page_size: int) -> None:
        self.markets = markets
        self.page_size = page_size
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        start = int(request.url.params.get("cursor") or 0)
        end = start + self.page_size
        cursor = str(end) if end < len(self.markets) else ""
        body = {"markets": self.markets[start:end], "cursor": cursor}
        return httpx.Response(200, content=orjson.dumps(body))


class ArrivalClock:
    """The client's clock: each reading (one per response) one second after the last."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> datetime:
        self.n += 1
        return TICK + timedelta(seconds=self.n)


def client(handler: Handler, sleep: Any = None, **kw: Any) -> KalshiClient:
    async def no_sleep(_: float) -> None:
        return None

    return KalshiClient(
        BASE,
        transport=httpx.MockTransport(handler),
        sleep=sleep or no_sleep,
        **kw,
    )


# --- pagination ----------------------------------------------------------------------------------


async def test_full_pagination_stops_on_empty_cursor(market_current: dict[str, Any]) -> None:
    server = PagedMarkets([make_market(market_current, i) for i in range(2500)], page_size=1000)
    async with client(server, clock=ArrivalClock()) as c:
        scan = await c.scan_markets(observed_at=TICK, sequence=4)
    assert scan.complete
    assert scan.pages == 3
    assert scan.requests == 3
    assert (scan.retries, scan.http_429s) == (0, 0)
    assert len(scan.markets) == len(scan.snapshots) == 2500
    assert len({m.ticker for m in scan.markets}) == 2500
    assert [m.ticker for m in scan.markets] == [s.market_ticker for s in scan.snapshots]
    assert all(s.sequence == 4 and s.source == "rest" for s in scan.snapshots)
    # each snapshot carries when its page arrived, never the scheduled tick (no look-ahead)
    arrivals = [p.fetched_at for p in scan.raw_pages]
    assert arrivals == [TICK + timedelta(seconds=n) for n in (1, 2, 3)]
    assert [s.timestamp for s in scan.snapshots] == [a for a in arrivals for _ in range(1000)][
        :2500
    ]
    assert scan.observed_at == TICK
    assert [p.cursor for p in scan.raw_pages] == [None, "1000", "2000"]
    assert orjson.loads(scan.raw_pages[1].body)["cursor"] == "2000"
    assert scan.raw_pages[0].endpoint == "GET /markets"
    first = server.requests[0].url
    assert first.path == "/trade-api/v2/markets"
    assert dict(first.params) == {"limit": "1000", "status": "open", "mve_filter": "exclude"}


async def test_repeated_cursor_is_an_error_not_a_loop(market_current: dict[str, Any]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        cursor = "A" if calls % 2 else "B"  # A, B, A, ...
        body = {"markets": [make_market(market_current, calls)], "cursor": cursor}
        return httpx.Response(200, content=orjson.dumps(body))

    async with client(handler) as c:
        with pytest.raises(KalshiPaginationError, match=r"^GET /markets: page 3 returned cursor"):
            await c.get_markets(status="open")
    assert calls == 3


async def test_max_pages_reports_incomplete(market_current: dict[str, Any]) -> None:
    server = PagedMarkets([make_market(market_current, i) for i in range(50)], page_size=10)
    async with client(server) as c:
        listing = await c.get_markets(max_pages=2)
    assert not listing.complete
    assert listing.pages == 2
    assert len(listing.items) == 20
    assert len(server.requests) == 2  # no page fetched beyond the limit


async def test_malformed_page_mid_listing_raises_naming_endpoint(
    market_current: dict[str, Any],
) -> None:
    good = PagedMarkets([make_market(market_current, i) for i in range(30)], page_size=10)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "20":
            return httpx.Response(200, content=b'{"markets": [{"ticker": "X", "eve')
        return good(request)

    async with client(handler) as c:
        with pytest.raises(KalshiResponseError, match=r"^GET /markets: body is not valid JSON"):
            await c.scan_markets(observed_at=TICK, sequence=1)
        partial = await c.scan_markets(observed_at=TICK, sequence=1, allow_partial=True)
    assert not partial.complete
    assert partial.error is not None
    assert "GET /markets: body is not valid JSON" in partial.error
    assert len(partial.markets) == 20  # pages before the bad one, clearly marked incomplete


# --- retries -------------------------------------------------------------------------------------


class Flaky:
    """Fails the first `failures` requests in the given ways, then serves `ok`."""

    def __init__(self, failures: list[Any], ok: Handler) -> None:
        self.failures = list(failures)
        self.ok = ok
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.failures:
            f = self.failures.pop(0)
            if isinstance(f, Exception):
                raise f
            if isinstance(f, httpx.Response):
                return f
            return httpx.Response(f, json={"error": "too many requests"} if f == 429 else None)
        return self.ok(request)


async def test_retries_429_5xx_timeouts_and_connection_errors(
    market_current: dict[str, Any], fake_sleep: Any
) -> None:
    ok = PagedMarkets([make_market(market_current, i) for i in range(5)], page_size=10)
    req = httpx.Request("GET", BASE)
    flaky = Flaky(
        [
            429,
            503,
            httpx.ReadTimeout("slow", request=req),
            httpx.ConnectError("refused", request=req),
            520,  # any 5xx, not only the usual ones
            httpx.RemoteProtocolError("peer closed connection", request=req),
        ],
        ok,
    )
    async with client(flaky, sleep=fake_sleep, max_retries=6, jitter=lambda: 1.0) as c:
        scan = await c.scan_markets(observed_at=TICK, sequence=0)
        assert c.stats.requests == 7
    assert scan.complete
    assert len(scan.markets) == 5
    assert scan.requests == 7
    assert scan.retries == 6
    assert scan.http_429s == 1
    # full jitter with jitter()=1 gives the ceilings: 0.5 * 2**attempt capped at 8
    assert fake_sleep.delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


async def test_backoff_is_full_jitter_within_bounds(fake_sleep: Any) -> None:
    c = client(lambda r: httpx.Response(200), sleep=fake_sleep, jitter=lambda: 0.25)
    assert c.backoff_delay(0) == pytest.approx(0.125)
    assert c.backoff_delay(3) == pytest.approx(1.0)
    assert c.backoff_delay(10) == pytest.approx(2.0)  # cap 8 s * 0.25
    assert c.backoff_delay(0, retry_after=3.0) == 3.0  # Retry-After is a floor
    assert c.backoff_delay(0, retry_after=3600.0) == 60.0  # ...but never an hour
    await c.aclose()


async def test_retry_after_header_is_honoured(
    market_current: dict[str, Any], fake_sleep: Any
) -> None:
    ok = PagedMarkets([make_market(market_current, 1)], page_size=10)
    flaky = Flaky([httpx.Response(429, headers={"Retry-After": "2.5"})], ok)
    async with client(flaky, sleep=fake_sleep, jitter=lambda: 0.0) as c:
        listing = await c.get_markets()
    assert fake_sleep.delays == [2.5]
    assert listing.stats.http_429s == 1


async def test_retry_budget_exhausted_raises(fake_sleep: Any) -> None:
    flaky = Flaky([429] * 10, lambda r: httpx.Response(200))
    async with client(flaky, sleep=fake_sleep, max_retries=3) as c:
        with pytest.raises(KalshiHTTPError, match=r"^GET /markets: HTTP 429: gave up after 4") as e:
            await c.get_markets()
    assert e.value.status_code == 429
    assert flaky.calls == 4
    assert len(fake_sleep.delays) == 3

    req = httpx.Request("GET", BASE)
    down = Flaky([httpx.ConnectError("refused", request=req)] * 10, lambda r: httpx.Response(200))
    async with client(down, sleep=fake_sleep, max_retries=2) as c:
        with pytest.raises(KalshiTransportError, match=r"gave up after 3 attempts.*ConnectError"):
            await c.get_exchange_status()


async def test_client_errors_are_not_retried(fake_sleep: Any) -> None:
    flaky = Flaky([httpx.Response(404, json={"error": "market not found"})], lambda r: r)
    async with client(flaky, sleep=fake_sleep) as c:
        with pytest.raises(KalshiNotFoundError, match=r"^GET /markets/NOPE: HTTP 404: .*not found"):
            await c.get_market("NOPE")
    assert flaky.calls == 1
    assert fake_sleep.delays == []
    bad = Flaky([400], lambda r: r)
    async with client(bad, sleep=fake_sleep) as c:
        with pytest.raises(KalshiHTTPError, match="HTTP 400"):
            await c.get_markets(status="open")
    assert bad.calls == 1


async def test_exchange_status_maintenance_body_is_an_answer(fake_sleep: Any) -> None:
    body = {"exchange_active": False, "trading_active": False}
    flaky = Flaky([httpx.Response(503, json=body)], lambda r: r)
    async with client(flaky, sleep=fake_sleep) as c:
        st = await c.get_exchange_status()
    assert st.exchange_active is False
    assert fake_sleep.delays == []


# --- scans ---------------------------------------------------------------------------------------


async def test_watchlist_scan_merges_series_events_and_tickers_without_duplicates(
    market_current: dict[str, Any],
) -> None:
    a = [make_market(market_current, i, "KXA") for i in range(25)]
    b = [make_market(market_current, i, "KXB") for i in range(5)]
    everything = {m["ticker"]: m for m in a + b}
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        p = dict(request.url.params)
        seen.append(p)
        if "series_ticker" in p:
            pool = a if p["series_ticker"] == "KXA" else b
        elif "event_ticker" in p:
            pool = [m for m in a + b if m["event_ticker"] == p["event_ticker"]]
        else:
            pool = [everything[t] for t in p["tickers"].split(",") if t in everything]
        start = int(p.get("cursor") or 0)
        cursor = str(start + 10) if start + 10 < len(pool) else ""
        body = {"markets": pool[start : start + 10], "cursor": cursor}
        return httpx.Response(200, content=orjson.dumps(body))

    async with client(handler) as c:
        scan = await c.scan_markets(
            observed_at=TICK,
            sequence=9,
            series_tickers=["KXA", "KXB"],
            event_ticker="KXA-EV1",  # overlaps series KXA
            tickers=["KXB-000001", "KXA-000003", "KXB-000001"],  # overlaps, repeated
        )
    assert scan.complete
    assert sorted(m.ticker for m in scan.markets) == sorted(everything)
    assert [s.market_ticker for s in scan.snapshots] == [m.ticker for m in scan.markets]
    by_ticker = {m.ticker: m for m in scan.markets}
    assert by_ticker["KXA-000003"].series_ticker == "KXA"  # known from the series filter
    assert scan.pages == 3 + 1 + 1 + 1  # KXA: 3 pages, KXB 1, event 1, tickers 1
    assert {"tickers": "KXB-000001,KXA-000003"}.items() <= next(
        p for p in seen if "tickers" in p
    ).items()
    assert all(p["status"] == "open" and p["mve_filter"] == "exclude" for p in seen)


async def test_tickers_go_100_per_request(market_current: dict[str, Any]) -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        names = request.url.params["tickers"].split(",")
        seen.append(len(names))
        markets = [make_market(market_current, int(n.split("-")[1])) for n in names]
        return httpx.Response(200, content=orjson.dumps({"markets": markets, "cursor": ""}))

    async with client(handler) as c:
        scan = await c.scan_markets(
            observed_at=TICK, sequence=0, tickers=[f"KXT-{i:06d}" for i in range(250)]
        )
    assert sorted(seen) == [50, 100, 100]
    assert len(scan.markets) == 250


async def test_scan_argument_checks() -> None:
    async with client(lambda r: httpx.Response(200)) as c:
        with pytest.raises(ValueError, match="timezone-aware"):
            await c.scan_markets(observed_at=datetime(2026, 1, 1), sequence=0)
        with pytest.raises(
            ValueError, match=r"'active' is a status Kalshi returns; filter with 'open'"
        ):
            await c.scan_markets(observed_at=TICK, sequence=0, status="active")
        with pytest.raises(ValueError, match="period_interval"):
            await c.get_market_candlesticks("S", "T", start_ts=0, end_ts=1, period_interval=5)


# --- every endpoint: path and parameters ---------------------------------------------------------


async def test_endpoints_use_documented_paths_and_params(market_current: dict[str, Any]) -> None:
    log: list[tuple[str, dict[str, str]]] = []
    trade = {
        "trade_id": "t",
        "ticker": "KXA-1",
        "count_fp": "3.00",
        "yes_price_dollars": "0.5000",
        "no_price_dollars": "0.5000",
        "taker_outcome_side": "yes",
        "created_time": "2026-08-11T00:00:00Z",
    }
    candle = {
        "end_period_ts": 1754956800,
        "yes_bid": {
            "open_dollars": "0.1",
            "high_dollars": "0.2",
            "low_dollars": "0.1",
            "close_dollars": "0.2",
        },
        "yes_ask": {
            "open_dollars": "0.3",
            "high_dollars": "0.4",
            "low_dollars": "0.3",
            "close_dollars": "0.4",
        },
        "price": {},
        "volume_fp": "1.00",
        "open_interest_fp": "2.00",
    }
    event = {
        "event_ticker": "KXA-EV",
        "series_ticker": "KXA",
        "title": "t",
        "markets": [market_current],
    }
    series = {"ticker": "KXA", "title": "A", "fee_type": "quadratic", "fee_multiplier": 1}
    responses: dict[str, Any] = {
        "/markets": {"markets": [market_current], "cursor": ""},
        f"/markets/{market_current['ticker']}": {"market": market_current},
        "/events": {"events": [event], "cursor": ""},
        "/events/KXA-EV": {"event": event, "markets": []},
        "/series": {"series": [series]},
        "/series/KXA": {"series": series},
        "/markets/KXA-1/orderbook": {"orderbook_fp": {"yes_dollars": [], "no_dollars": []}},
        "/markets/trades": {"trades": [trade], "cursor": ""},
        "/historical/trades": {"trades": [trade], "cursor": ""},
        "/series/KXA/markets/KXA-1/candlesticks": {"ticker": "KXA-1", "candlesticks": [candle]},
        "/markets/candlesticks": {
            "markets": [{"market_ticker": "KXA-1", "candlesticks": [candle]}]
        },
        "/historical/markets/KXA-1/candlesticks": {"ticker": "KXA-1", "candlesticks": [candle]},
        "/historical/cutoff": {
            "market_settled_ts": "2026-05-01T00:00:00Z",
            "trades_created_ts": "2026-05-01T00:00:00Z",
            "orders_updated_ts": "2026-05-01T00:00:00Z",
        },
        "/historical/markets": {"markets": [market_current], "cursor": ""},
        "/historical/markets/KXA-1": {"market": market_current},
        "/exchange/status": {"exchange_active": True, "trading_active": True},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/trade-api/v2")
        log.append((path, dict(request.url.params)))
        return httpx.Response(200, content=orjson.dumps(responses[path]))

    t0 = datetime(2026, 8, 1, tzinfo=UTC)
    t1 = datetime(2026, 8, 2, tzinfo=UTC)
    async with client(handler) as c:
        mk = await c.get_markets(
            status="closed", series_ticker="KXA", min_close_ts=t0, max_close_ts=1754956800
        )
        assert mk.items[0].market.series_ticker == "KXA"
        rec = await c.get_market(market_current["ticker"])
        assert rec.market.ticker == market_current["ticker"]
        evs = await c.get_events(status="open", series_ticker="KXA", with_nested_markets=True)
        assert evs.items[0].markets[0].market.series_ticker == "KXA"
        ev = await c.get_event("KXA-EV")
        assert ev.event.series_ticker == "KXA"
        assert [s.ticker for s in await c.get_series_list(category="Climate")] == ["KXA"]
        assert (await c.get_series("KXA")).fee_multiplier == 1
        assert (await c.get_orderbook("KXA-1", depth=5)).best_yes_ask == 1
        assert (await c.get_trades(ticker="KXA-1", min_ts=t0)).items[0].count == 3
        assert (await c.get_historical_trades(ticker="KXA-1", max_ts=t1)).complete
        cs = await c.get_market_candlesticks(
            "KXA", "KXA-1", start_ts=t0, end_ts=t1, period_interval=60
        )
        assert cs[0].yes_ask_close == Decimal("0.4")
        batch = await c.get_candlesticks_batch(
            ["KXA-1"], start_ts=t0, end_ts=t1, period_interval=1440
        )
        assert batch["KXA-1"][0].period_minutes == 1440
        await c.get_historical_candlesticks("KXA-1", start_ts=t0, end_ts=t1, period_interval=1)
        assert (await c.get_historical_cutoff()).market_settled_ts.year == 2026
        assert (await c.get_historical_markets(series_ticker="KXA")).complete
        assert (await c.get_historical_market("KXA-1")).market.ticker == market_current["ticker"]
        assert (await c.get_exchange_status()).trading_active
    ts0, ts1 = str(int(t0.timestamp())), str(int(t1.timestamp()))
    assert log == [
        (
            "/markets",
            {
                "limit": "1000",
                "status": "closed",
                "series_ticker": "KXA",
                "min_close_ts": ts0,
                "max_close_ts": "1754956800",
                "mve_filter": "exclude",
            },
        ),
        (f"/markets/{market_current['ticker']}", {}),
        (
            "/events",
            {
                "limit": "200",
                "status": "open",
                "series_ticker": "KXA",
                "with_nested_markets": "true",
            },
        ),
        ("/events/KXA-EV", {"with_nested_markets": "true"}),
        ("/series", {"category": "Climate"}),
        ("/series/KXA", {}),
        ("/markets/KXA-1/orderbook", {"depth": "5"}),
        ("/markets/trades", {"limit": "1000", "ticker": "KXA-1", "min_ts": ts0}),
        ("/historical/trades", {"limit": "1000", "ticker": "KXA-1", "max_ts": ts1}),
        (
            "/series/KXA/markets/KXA-1/candlesticks",
            {"start_ts": ts0, "end_ts": ts1, "period_interval": "60"},
        ),
        (
            "/markets/candlesticks",
            {"start_ts": ts0, "end_ts": ts1, "period_interval": "1440", "market_tickers": "KXA-1"},
        ),
        (
            "/historical/markets/KXA-1/candlesticks",
            {"start_ts": ts0, "end_ts": ts1, "period_interval": "1"},
        ),
        ("/historical/cutoff", {}),
        ("/historical/markets", {"limit": "1000", "series_ticker": "KXA", "mve_filter": "exclude"}),
        ("/historical/markets/KXA-1", {}),
        ("/exchange/status", {}),
    ]


async def test_from_settings_uses_base_url_and_mve_setting(market_current: dict[str, Any]) -> None:
    urls: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(request.url)
        return httpx.Response(200, content=orjson.dumps({"markets": [], "cursor": ""}))

    for base in (SIMULATOR_BASE_URL, "https://api.elections.kalshi.com/trade-api/v2/"):
        s = Settings(kalshi_base_url=base, kalshi_mve_filter="", kalshi_rate_limit_per_s=0)
        async with KalshiClient.from_settings(s, transport=httpx.MockTransport(handler)) as c:
            assert c.limiter is None
            await c.get_markets()
    assert str(urls[0]) == "http://127.0.0.1:8765/trade-api/v2/markets?limit=1000"
    assert str(urls[1]) == "https://api.elections.kalshi.com/trade-api/v2/markets?limit=1000"


async def test_error_names_the_element_index_within_a_large_page(
    market_current: dict[str, Any],
) -> None:
    markets = [make_market(market_current, i) for i in range(700)]
    markets[450]["yes_ask_dollars"] = "7.0000"
    server = PagedMarkets(markets, page_size=1000)
    async with client(server) as c:
        with pytest.raises(
            KalshiResponseError,
            match=r"^GET /markets: markets\[450\] \(KXT-000450\)\.yes_ask_dollars: price '7.0000'",
        ):
            await c.get_markets()

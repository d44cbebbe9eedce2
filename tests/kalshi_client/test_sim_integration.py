"""Contract: `KalshiClient` against the local exchange (`kalshi_sim`, real HTTP on a free port).

- a full catalogue pagination of 100,000 markets is complete, without duplicates, combos excluded;
- a 429 storm is ridden out within the retry budget and counted;
- 5xx answers, hung requests (client timeouts) and dropped connections are retried to a complete,
  correct scan (the simulator's clock is frozen, so a faulty scan must equal a clean one);
- truncated, non-JSON and field-dropped pages give a clear `KalshiResponseError` naming the
  endpoint, never a partial result;
- the simulator's legacy format (integer cents and counts) parses to the same values as its
  current format.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from kalshi_core.kalshi import KalshiClient, KalshiResponseError, wire
from kalshi_core.kalshi.responses import MarketScan
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import SimServer, serve

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
TICK = datetime(2026, 8, 12, 4, 0, 5, tzinfo=UTC)
CLEAN = {
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "truncate_rate": 0.0,
    "malformed_rate": 0.0,
    "drop_field_rate": 0.0,
    "storm_until": 0.0,
    "outage_until": 0.0,
    "latency_ms": 0.0,
}


def _config(**kw: Any) -> SimConfig:
    base: dict[str, Any] = {
        "seed": 11,
        "markets": 2500,
        "mve_markets": 300,
        "rate_limit_per_s": 0.0,
        "time_scale": 0.0,  # frozen clock: every scan sees the same catalogue
        "start_time": START,
    }
    base.update(kw)
    return SimConfig(**base)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with serve(_config()) as server:
        yield server


async def set_faults(server: SimServer, **knobs: Any) -> None:
    async with httpx.AsyncClient(timeout=10) as h:
        r = await h.post(server.root_url + "/_sim/faults", content=orjson.dumps(knobs))
    r.raise_for_status()


@pytest.fixture
async def clean_sim(sim: SimServer) -> AsyncIterator[SimServer]:
    await set_faults(sim, **CLEAN)
    yield sim
    await set_faults(sim, **CLEAN)


def client_for(server: SimServer, **kw: Any) -> KalshiClient:
    kw.setdefault("rate_limiter", None)
    return KalshiClient(server.base_url, **kw)


async def scan(c: KalshiClient, **kw: Any) -> MarketScan:
    return await c.scan_markets(observed_at=TICK, sequence=1, **kw)


def _same_catalogue(a: MarketScan, b: MarketScan) -> None:
    """Same markets and quotes; the snapshots' times differ (each is when its page arrived)."""
    assert a.markets == b.markets
    assert [s.model_dump(exclude={"timestamp"}) for s in a.snapshots] == [
        s.model_dump(exclude={"timestamp"}) for s in b.snapshots
    ]


# --- full pagination -----------------------------------------------------------------------------


@pytest.mark.slow
async def test_full_pagination_of_100k_markets() -> None:
    # historical_days is large so no market has moved to /historical: the live listing holds
    # every one of the 100,000 non-combo markets.
    cfg = _config(markets=100_000, mve_markets=2000, historical_days=36500.0, seed=5)
    with serve(cfg) as server:
        async with client_for(server, timeout_s=60) as c:
            result = await scan(c, status=None, keep_raw=False)
            combos = await scan(c, status=None, mve_filter="only", keep_raw=False)
            async with httpx.AsyncClient(timeout=10) as h:
                stats = (await h.get(server.root_url + "/_sim/stats")).json()
    universe = stats["markets"]
    n = len(result.markets)
    assert result.complete
    assert result.error is None
    assert n >= 100_000  # the universe rounds to whole events
    assert n + len(combos.markets) == universe  # every market, exactly once
    assert len({m.ticker for m in result.markets}) == n
    assert len({s.market_ticker for s in result.snapshots}) == n
    assert not any(m.is_mve or m.ticker.startswith("KXMVE") for m in result.markets)
    assert all(m.is_mve for m in combos.markets)
    assert result.pages == result.requests == -(-n // 1000)


async def test_open_catalogue_excludes_combos_and_matches_a_plain_crawl(
    clean_sim: SimServer,
) -> None:
    async with client_for(clean_sim) as c:
        result = await scan(c)
        with_combos = await scan(c, mve_filter=None)
    # an independent crawl with plain httpx is the oracle for the ticker set
    expected: list[str] = []
    cursor = ""
    async with httpx.AsyncClient(base_url=clean_sim.base_url + "/", timeout=30) as h:
        while True:
            params = {"limit": "1000", "status": "open", "mve_filter": "exclude"}
            if cursor:
                params["cursor"] = cursor
            page = orjson.loads((await h.get("markets", params=params)).content)
            expected += [m["ticker"] for m in page["markets"]]
            cursor = page["cursor"]
            if not cursor:
                break
    assert [m.ticker for m in result.markets] == expected
    assert {m.status for m in result.markets} == {"active"}
    combos = [m for m in with_combos.markets if m.is_mve]
    assert combos
    assert len(with_combos.markets) == len(result.markets) + len(combos)


# --- faults --------------------------------------------------------------------------------------


async def test_429_storm_is_ridden_out_within_the_retry_budget(clean_sim: SimServer) -> None:
    async with client_for(clean_sim) as c:
        baseline = await scan(c)
        await set_faults(clean_sim, storm_s=1.5)
        # jitter fixed at its ceiling: waits 0.5 + 1 + 2 s outlast the 1.5 s storm
        async with client_for(clean_sim, max_retries=6, jitter=lambda: 1.0) as stormy:
            result = await scan(stormy)
    assert result.complete
    assert result.http_429s >= 2
    assert result.retries >= result.http_429s
    _same_catalogue(result, baseline)


async def test_5xx_timeouts_and_resets_are_retried_to_a_correct_scan(
    clean_sim: SimServer,
) -> None:
    async with client_for(clean_sim) as c:
        baseline = await scan(c)
    await set_faults(clean_sim, error_rate=0.4, timeout_rate=0.2, hang_s=1.0, seed=3)
    async with client_for(
        clean_sim, max_retries=12, timeout_s=0.4, backoff_base_s=0.01, backoff_max_s=0.05
    ) as c:
        results = [await scan(c) for _ in range(3)]
        events = await c.get_events(status="open", max_pages=2)
    for r in results:
        assert r.complete
        _same_catalogue(r, baseline)
    assert sum(r.retries for r in results) > 0
    assert events.items
    await set_faults(clean_sim, **CLEAN)
    await set_faults(clean_sim, outage_s=0.3, outage_mode="reset")
    async with client_for(clean_sim, backoff_base_s=0.1, jitter=lambda: 1.0) as c:
        after_outage = await scan(c)
    assert after_outage.complete
    assert after_outage.retries >= 1
    _same_catalogue(after_outage, baseline)


@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        ("truncate_rate", r"^GET /markets: body is not valid JSON"),
        ("malformed_rate", r"^GET /markets: body is not valid JSON .* starting '<html>"),
        ("drop_field_rate", r"^GET /markets: markets\[0\] \(\S+\)\.yes_bid_dollars: missing"),
    ],
)
async def test_malformed_pages_give_a_clear_error(
    clean_sim: SimServer, knob: str, expected: str
) -> None:
    await set_faults(clean_sim, **{knob: 1.0})
    async with client_for(clean_sim) as c:
        with pytest.raises(KalshiResponseError, match=expected):
            await scan(c)
        partial = await scan(c, allow_partial=True)
    assert not partial.complete
    assert partial.markets == []
    assert partial.error is not None
    assert partial.error.startswith("GET /markets: ")


# --- formats -------------------------------------------------------------------------------------


def _strip_exact(obj: Any) -> Any:
    """Drop the `*_dollars` / `*_fp` spellings so only legacy integers remain."""
    if isinstance(obj, dict):
        return {
            k: _strip_exact(v)
            for k, v in obj.items()
            if not (k.endswith("_dollars") or k.endswith("_fp"))
        }
    if isinstance(obj, list):
        return [_strip_exact(v) for v in obj]
    return obj


async def test_legacy_format_parses_to_the_same_values() -> None:
    with serve(_config(seed=21)) as cur, serve(_config(seed=21, legacy_format=True)) as leg:
        async with client_for(cur) as c1, client_for(leg) as c2:
            current, legacy = await asyncio.gather(scan(c1), scan(c2))
    assert current.complete
    assert legacy.complete
    # parse the legacy pages once more with only the integer-cent fields left
    cents_only: list[Any] = []
    parser = wire.MarketParser(TICK, 1)
    for page in legacy.raw_pages:
        body = _strip_exact(orjson.loads(page.body))
        cents_only += wire.parse_market_list(body["markets"], "GET /markets", parser)
    assert [r.market.ticker for r in cents_only] == [m.ticker for m in current.markets]
    quote = ("yes_bid", "yes_ask", "last_price", "volume", "volume_24h", "open_interest")
    meta = ("ticker", "event_ticker", "status", "result", "close_time", "open_time")
    compared = 0
    for rec, m, s, lm, ls in zip(
        cents_only,
        current.markets,
        current.snapshots,
        legacy.markets,
        legacy.snapshots,
        strict=True,
    ):
        for f in meta:
            assert getattr(rec.market, f) == getattr(m, f) == getattr(lm, f), (m.ticker, f)
        # Integer cents cannot carry deci-cent markets (sub-cent quotes, tapered ticks); the
        # legacy simulator serves those as whole-cent markets, so only whole-cent markets hold
        # the same data in both formats.
        if m.price_level_structure != "linear_cent":
            continue
        compared += 1
        assert rec.market.tick_size == m.tick_size == lm.tick_size == Decimal("0.01")
        for f in quote:
            assert getattr(rec.snapshot, f) == getattr(s, f) == getattr(ls, f), (m.ticker, f)
    assert compared > len(current.markets) // 2

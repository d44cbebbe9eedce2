"""Contract: the token bucket admits `burst` requests at once and `rate_per_s` after that, serves
reservations in order, refunds cancelled waits, is shared per base URL across clients, threads and
event loops, turns off with 0/None, and reports `stats()`. Time is injected: nothing sleeps."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import orjson
import pytest

from kalshi_core.kalshi import KalshiClient, TokenBucket, shared_limiter
from kalshi_core.kalshi.ratelimit import registered_limiters
from kalshi_core.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ClockSleep:
    """A sleep that advances the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)
        self.clock.now += delay


def test_burst_then_rate() -> None:
    clock = FakeClock()
    b = TokenBucket(20, 20, clock=clock)
    waits = [b.reserve() for _ in range(25)]
    assert waits[:20] == [0.0] * 20
    # the 21st token arrives 1/20 s later, the 25th 5/20 s later
    assert waits[20:] == pytest.approx([0.05, 0.10, 0.15, 0.20, 0.25])
    clock.now += 0.25  # all reservations served; bucket empty
    assert b.reserve() == pytest.approx(0.05)
    clock.now += 10  # refill caps at burst
    assert b.stats().tokens == pytest.approx(20.0)
    st = b.stats()
    assert st.acquired == 26
    assert st.waited == 6
    assert st.max_wait_s == pytest.approx(0.25)
    assert st.total_wait_s == pytest.approx(0.05 + 0.10 + 0.15 + 0.20 + 0.25 + 0.05)


async def test_acquire_paces_requests_at_the_rate() -> None:
    clock = FakeClock()
    sleep = ClockSleep(clock)
    b = TokenBucket(10, 5, clock=clock, sleep=sleep)
    start = clock.now
    for _ in range(35):
        await b.acquire()
    # 5 free, then 30 more at 10/s
    assert clock.now - start == pytest.approx(3.0)
    assert len(sleep.calls) == 30


async def test_cancelled_waiter_gives_its_token_back() -> None:
    clock = FakeClock()
    gate = asyncio.Event()

    async def blocking_sleep(delay: float) -> None:
        await gate.wait()

    b = TokenBucket(1, 1, clock=clock, sleep=blocking_sleep)
    assert b.reserve() == 0.0
    task = asyncio.ensure_future(b.acquire())
    await asyncio.sleep(0)
    assert b.stats().tokens == pytest.approx(-1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b.stats().tokens == pytest.approx(0.0)


def test_invalid_budget_rejected() -> None:
    with pytest.raises(ValueError, match="rate_per_s > 0"):
        TokenBucket(0, 1)
    with pytest.raises(ValueError, match="burst >= 1"):
        TokenBucket(1, 0)


def test_registry_shares_one_bucket_per_base_url_and_off_means_none() -> None:
    a = shared_limiter("http://ratelimit-test.invalid/trade-api/v2", 20, 20)
    b = shared_limiter("http://ratelimit-test.invalid/trade-api/v2/", 20, 20)
    other = shared_limiter("http://ratelimit-other.invalid/trade-api/v2", 20, 20)
    assert a is b
    assert a is not other
    assert registered_limiters()["http://ratelimit-test.invalid/trade-api/v2"] is a
    c = shared_limiter("http://ratelimit-test.invalid/trade-api/v2", 50, 100)
    assert c is a
    assert (a.rate_per_s, a.burst) == (50, 100)  # reconfigured in place
    assert shared_limiter("http://x.invalid", 0, 20) is None
    assert shared_limiter("http://x.invalid", None, 20) is None
    assert shared_limiter("http://x.invalid", 20, 0) is None


async def test_clients_from_settings_share_the_bucket() -> None:
    s = Settings(
        kalshi_base_url="http://shared-bucket.invalid/trade-api/v2",
        kalshi_rate_limit_per_s=7,
        kalshi_rate_burst=3,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=orjson.dumps({"markets": [], "cursor": ""}))

    t = httpx.MockTransport(handler)
    async with (
        KalshiClient.from_settings(s, transport=t) as c1,
        KalshiClient.from_settings(s, transport=t) as c2,
    ):
        assert c1.limiter is not None
        assert c1.limiter is c2.limiter
        before = c1.limiter.stats().acquired
        await c1.get_markets()
        await c2.get_markets()
        assert c1.limiter.stats().acquired - before == 2


def test_one_bucket_serves_threads_with_their_own_event_loops() -> None:
    """Dagster may run steps on fresh loops in other threads: the bucket must work from all of
    them at once and never hand out more than burst + rate * elapsed tokens."""
    clock = FakeClock()  # frozen: every wait is a pure reservation

    async def sleep(delay: float) -> None:
        await asyncio.sleep(0)

    bucket = TokenBucket(100, 10, clock=clock, sleep=sleep)
    waits: list[float] = []

    def worker() -> None:
        async def run() -> None:
            for _ in range(50):
                waits.append(await bucket.acquire())

        asyncio.run(run())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 200 reservations at a frozen clock: 10 free, then one every 1/100 s, in strict order
    assert len(waits) == 200
    assert sorted(waits) == pytest.approx([0.0] * 10 + [i / 100 for i in range(1, 191)])
    assert bucket.stats().acquired == 200


def _stats_dict(b: TokenBucket) -> dict[str, Any]:
    s = b.stats()
    return {"acquired": s.acquired, "waited": s.waited}


def test_reset_stats() -> None:
    b = TokenBucket(1, 1, clock=FakeClock())
    b.reserve()
    b.reserve()
    assert _stats_dict(b) == {"acquired": 2, "waited": 1}
    b.reset_stats()
    assert _stats_dict(b) == {"acquired": 0, "waited": 0}


async def test_client_takes_a_token_per_attempt_and_reports_the_wait() -> None:
    clock = FakeClock()
    sleep = ClockSleep(clock)
    bucket = TokenBucket(10, 2, clock=clock, sleep=sleep)
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 3:
            return httpx.Response(503)  # a retry costs a token too
        n = int(request.url.params.get("cursor") or 0)
        body = {"markets": [], "cursor": str(n + 1) if n < 3 else ""}
        return httpx.Response(200, content=orjson.dumps(body))

    async def no_backoff(_: float) -> None:
        return None

    async with KalshiClient(
        "http://limited.invalid/trade-api/v2",
        rate_limiter=bucket,
        transport=httpx.MockTransport(handler),
        sleep=no_backoff,
    ) as c:
        listing = await c.get_markets()
    assert listing.complete
    assert listing.stats.requests == 5  # 4 pages + 1 retry
    assert bucket.stats().acquired == 5
    # 2 tokens of burst, then one every 0.1 s of (fake) time
    assert listing.stats.rate_wait_s == pytest.approx(0.3)
    assert sum(sleep.calls) == pytest.approx(0.3)

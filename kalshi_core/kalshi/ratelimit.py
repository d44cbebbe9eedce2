"""Token-bucket rate limiting for Kalshi reads, shared by every client of a process.

Kalshi meters reads per account with a token bucket (Basic tier: ~20 reads/s). A process may hold
several clients (Dagster resources, a backfill, a notebook) and Dagster may run each step on a new
event loop, sometimes in another thread. So the bucket is guarded by a `threading.Lock` (never an
asyncio primitive bound to a loop) and works by *reservation*: `reserve()` takes a token now,
letting the balance go negative, and returns how long the caller must wait for its turn; the
caller then sleeps on whatever loop it runs on. Reservations are served in call order, and a
cancelled waiter gives its token back.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LimiterStats:
    """Counters since the bucket was created (or last `reset_stats()`)."""

    rate_per_s: float
    burst: int
    acquired: int  # tokens handed out
    waited: int  # acquisitions that had to wait
    total_wait_s: float
    max_wait_s: float
    tokens: float  # balance now; negative while reservations are queued


class TokenBucket:
    """A thread-safe, event-loop-agnostic token bucket.

    `clock` (monotonic seconds) and `sleep` are injectable so tests need no real time.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(
                f"token bucket needs rate_per_s > 0 and burst >= 1 (got {rate_per_s}, {burst})"
            )
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._rate = float(rate_per_s)
        self._burst = int(burst)
        self._tokens = float(burst)
        self._updated = clock()
        self._acquired = 0
        self._waited = 0
        self._total_wait = 0.0
        self._max_wait = 0.0

    @property
    def rate_per_s(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def _refill(self, now: float) -> None:
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
        self._updated = now

    def reserve(self, tokens: float = 1.0) -> float:
        """Take `tokens` now; return the seconds the caller must wait before using them."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= tokens
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self._rate
            self._acquired += 1
            if wait > 0:
                self._waited += 1
                self._total_wait += wait
                self._max_wait = max(self._max_wait, wait)
            return wait

    def refund(self, tokens: float = 1.0) -> None:
        """Give back a reservation that was not used (e.g. its waiter was cancelled)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(float(self._burst), self._tokens + tokens)

    async def acquire(self, tokens: float = 1.0) -> float:
        """Wait for a token on the running event loop; returns the time waited (seconds)."""
        wait = self.reserve(tokens)
        if wait > 0:
            try:
                await self._sleep(wait)
            except asyncio.CancelledError:
                self.refund(tokens)
                raise
        return wait

    def reconfigure(self, rate_per_s: float, burst: int) -> None:
        """Change the budget in place (clients sharing the bucket keep sharing it)."""
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(
                f"token bucket needs rate_per_s > 0 and burst >= 1 (got {rate_per_s}, {burst})"
            )
        with self._lock:
            self._refill(self._clock())
            self._rate = float(rate_per_s)
            self._burst = int(burst)
            self._tokens = min(self._tokens, float(burst))

    def stats(self) -> LimiterStats:
        with self._lock:
            self._refill(self._clock())
            return LimiterStats(
                rate_per_s=self._rate,
                burst=self._burst,
                acquired=self._acquired,
                waited=self._waited,
                total_wait_s=self._total_wait,
                max_wait_s=self._max_wait,
                tokens=self._tokens,
            )

    def reset_stats(self) -> None:
        with self._lock:
            self._acquired = self._waited = 0
            self._total_wait = self._max_wait = 0.0


_registry: dict[str, TokenBucket] = {}
_registry_lock = threading.Lock()


def shared_limiter(
    base_url: str, rate_per_s: float | None, burst: int | None
) -> TokenBucket | None:
    """The process-wide bucket for `base_url`, created on first use; None when limiting is off.

    One bucket per base URL, because Kalshi's budget is per exchange (production and the simulator
    do not share a budget). A later call with a different budget reconfigures the shared bucket.
    """
    if not rate_per_s or not burst:
        return None
    key = base_url.rstrip("/")
    with _registry_lock:
        bucket = _registry.get(key)
        if bucket is None:
            bucket = TokenBucket(rate_per_s, burst)
            _registry[key] = bucket
        elif bucket.rate_per_s != rate_per_s or bucket.burst != burst:
            bucket.reconfigure(rate_per_s, burst)
        return bucket


def registered_limiters() -> dict[str, TokenBucket]:
    """A snapshot of the registry (base URL -> bucket), for health reports."""
    with _registry_lock:
        return dict(_registry)

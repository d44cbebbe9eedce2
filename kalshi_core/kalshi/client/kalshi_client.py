"""`KalshiClient`, the one public client: its constructor and settings, with the endpoint groups
(`MarketEndpoints`, `HistoryEndpoints`) mixed in over `Paginator` and `Transport`."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from kalshi_core.kalshi.auth import RequestSigner
from kalshi_core.kalshi.client.history import HistoryEndpoints
from kalshi_core.kalshi.client.markets import MarketEndpoints
from kalshi_core.kalshi.client.params import MAX_PAGE_LIMIT
from kalshi_core.kalshi.client.transport import Sleep, _utcnow
from kalshi_core.kalshi.ratelimit import TokenBucket, shared_limiter
from kalshi_core.settings import PRODUCTION_BASE_URL, Settings, get_settings


class KalshiClient(MarketEndpoints, HistoryEndpoints):
    """Async client for Kalshi's public market data. Use as `async with`."""

    def __init__(
        self,
        base_url: str = PRODUCTION_BASE_URL,
        *,
        timeout_s: float = 10.0,
        max_retries: int = 6,
        rate_limiter: TokenBucket | None = None,
        signer: RequestSigner | None = None,
        mve_filter: str | None = "exclude",
        page_limit: int = MAX_PAGE_LIMIT,
        max_concurrency: int = 4,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        # Every argument is checked before the HTTP client (and its pool) exists.
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 1 <= page_limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"page_limit must be in [1, {MAX_PAGE_LIMIT}]")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.mve_filter = mve_filter
        self.page_limit = page_limit
        self.max_concurrency = max_concurrency
        super().__init__(
            base_url,
            timeout_s=timeout_s,
            max_retries=max_retries,
            rate_limiter=rate_limiter,
            signer=signer,
            max_connections=max(8, 2 * max_concurrency),
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            transport=transport,
            sleep=sleep,
            jitter=jitter,
            clock=clock,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        **overrides: Any,
    ) -> KalshiClient:
        """A client configured from settings: base URL, timeouts, retries, the shared rate
        limiter for that base URL, the mve filter and (when configured) request signing."""
        s = settings or get_settings()
        kwargs: dict[str, Any] = {
            "timeout_s": s.kalshi_timeout_s,
            "max_retries": s.kalshi_max_retries,
            "rate_limiter": shared_limiter(
                s.kalshi_base_url, s.kalshi_rate_limit_per_s, s.kalshi_rate_burst
            ),
            "signer": RequestSigner.from_settings(s),
            "mve_filter": s.kalshi_mve_filter or None,
        }
        kwargs.update(overrides)
        return cls(s.kalshi_base_url, transport=transport, sleep=sleep, **kwargs)

    def __repr__(self) -> str:
        return (
            f"KalshiClient(base_url={self.base_url!r}, signed={self._signer is not None}, "
            f"rate_limited={self.limiter is not None})"
        )

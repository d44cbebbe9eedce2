"""Async client for Kalshi's public market-data endpoints (Trade API v2, or kalshi_sim).

    async with KalshiClient.from_settings(get_settings()) as client:
        scan = await client.scan_markets(observed_at=tick, sequence=n, status="open")

What it owns, so callers do not:
- the shared token bucket (`kalshi_core.kalshi.ratelimit`), one per base URL per process;
- retries with exponential backoff and full jitter on 429, 5xx, timeouts and connection errors,
  bounded by `max_retries`, honouring `Retry-After` when a server sends one;
- cursor pagination that stops on an empty cursor, refuses a repeated cursor, and says whether a
  listing is complete; the next page is requested while the current one is being parsed;
- parsing into the domain models (`kalshi_core.kalshi.wire`), all-or-nothing per page;
- optional request signing (`kalshi_core.kalshi.auth`).

Counters (requests, retries, 429s, time spent waiting for the rate limit) are returned with every
listing and scan and accumulated in `client.stats`. One client belongs to one event loop; make a
new one per loop (the rate limit is shared regardless).

Modules, by job:
- `kalshi_client`: `KalshiClient` itself (constructor, `from_settings`);
- `markets`: markets, `scan_markets`, events, series, order books, exchange status;
- `history`: trades, candlesticks, the historical tier;
- `pagination`: cursor pagination and the listing defaults;
- `transport`: the GET with rate limiting, signing, retries, backoff and error messages;
- `params`: query arguments (filter words, limits, timestamps, ticker lists).
"""

from kalshi_core.kalshi.client.kalshi_client import KalshiClient
from kalshi_core.kalshi.client.params import (
    DEFAULT,
    EVENT_QUERY_STATUSES,
    MARKET_QUERY_STATUSES,
    MAX_EVENTS_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    MAX_TICKERS_PER_REQUEST,
    ParamValue,
    Timestamp,
)
from kalshi_core.kalshi.client.transport import Sleep

__all__ = [
    "DEFAULT",
    "EVENT_QUERY_STATUSES",
    "MARKET_QUERY_STATUSES",
    "MAX_EVENTS_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
    "MAX_TICKERS_PER_REQUEST",
    "KalshiClient",
    "ParamValue",
    "Sleep",
    "Timestamp",
]

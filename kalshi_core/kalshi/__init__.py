"""Kalshi Trade API v2 client: typed market data with rate limiting, retries and pagination.

`KalshiClient` is the entry point; `wire` parses payloads into `kalshi_core.models`;
`ratelimit` holds the process-wide token buckets; `auth` signs requests when a key is configured.
"""

from kalshi_core.kalshi.auth import RequestSigner
from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.kalshi.errors import (
    KalshiAuthError,
    KalshiError,
    KalshiHTTPError,
    KalshiNotFoundError,
    KalshiPaginationError,
    KalshiResponseError,
    KalshiTransportError,
)
from kalshi_core.kalshi.ratelimit import LimiterStats, TokenBucket, shared_limiter
from kalshi_core.kalshi.responses import (
    CallStats,
    EventRecord,
    ExchangeStatus,
    HistoricalCutoff,
    Listing,
    MarketRecord,
    MarketScan,
    RawPage,
)

__all__ = [
    "CallStats",
    "EventRecord",
    "ExchangeStatus",
    "HistoricalCutoff",
    "KalshiAuthError",
    "KalshiClient",
    "KalshiError",
    "KalshiHTTPError",
    "KalshiNotFoundError",
    "KalshiPaginationError",
    "KalshiResponseError",
    "KalshiTransportError",
    "LimiterStats",
    "Listing",
    "MarketRecord",
    "MarketScan",
    "RawPage",
    "RequestSigner",
    "TokenBucket",
    "shared_limiter",
]

"""What the Kalshi client hands back besides domain models: listings with their completeness and
request counters, the catalogue/watchlist scan result, raw pages, and small wire-only records
(exchange status, historical cutoff) that the storage layer does not keep. `RawPage` is the
storage layer's own type (re-exported here), so scans hand pages straight to `save_many`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from kalshi_core.models import Event, Market, MarketSnapshot
from kalshi_core.storage.repositories import RawPage as RawPage

T = TypeVar("T")


@dataclass(slots=True)
class CallStats:
    """Request counters for one call or scan (a call may issue many requests and retries)."""

    requests: int = 0  # HTTP attempts sent, retries included
    retries: int = 0  # attempts after the first, for any reason
    http_429s: int = 0
    rate_wait_s: float = 0.0  # time spent waiting on the shared token bucket

    def add(self, other: CallStats) -> None:
        self.requests += other.requests
        self.retries += other.retries
        self.http_429s += other.http_429s
        self.rate_wait_s += other.rate_wait_s


# Results hold up to ~10^5 models and ~10^8 bytes of pages, so their reprs are summaries: a full
# repr takes seconds, and Python 3.11's asyncio.run() builds one of the main task's result when
# it restores the SIGINT handler.


@dataclass(frozen=True, slots=True, repr=False)
class Listing(Generic[T]):
    """A cursor-paginated listing. `complete` is False when `max_pages` stopped it early, or
    when a partial listing was asked for and a page failed (`error` says why)."""

    items: list[T]
    complete: bool
    pages: int
    stats: CallStats
    raw_pages: list[RawPage] = field(default_factory=list)
    error: str | None = None

    def __repr__(self) -> str:
        return (
            f"Listing(items=<{len(self.items)}>, complete={self.complete}, pages={self.pages}, "
            f"stats={self.stats!r}, raw_pages=<{len(self.raw_pages)}>, error={self.error!r})"
        )


class MarketRecord(NamedTuple):
    """A market's metadata and its quote as observed in one response."""

    market: Market
    snapshot: MarketSnapshot


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event with the markets Kalshi returned alongside it (empty unless asked for)."""

    event: Event
    markets: list[MarketRecord]


@dataclass(frozen=True, slots=True, repr=False)
class MarketScan:
    """One scan of `/markets` for the ingestion job (the catalogue or a watchlist).

    `markets` and `snapshots` are aligned (same order, one per distinct ticker). `complete` is
    True only when every listing the scan needed ran to its last page; with
    `allow_partial=True` a failed scan returns what it had, `complete=False` and the `error`.
    """

    observed_at: datetime
    sequence: int
    markets: list[Market]
    snapshots: list[MarketSnapshot]
    raw_pages: list[RawPage]
    requests: int
    retries: int
    http_429s: int
    complete: bool
    pages: int
    error: str | None = None
    rate_wait_s: float = 0.0

    def __repr__(self) -> str:
        return (
            f"MarketScan(observed_at={self.observed_at.isoformat()}, sequence={self.sequence}, "
            f"markets=<{len(self.markets)}>, snapshots=<{len(self.snapshots)}>, "
            f"raw_pages=<{len(self.raw_pages)}>, requests={self.requests}, retries={self.retries}, "
            f"http_429s={self.http_429s}, complete={self.complete}, pages={self.pages}, "
            f"error={self.error!r})"
        )


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    exchange_active: bool
    trading_active: bool
    exchange_estimated_resume_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoricalCutoff:
    """Boundary between live and `/historical/*` data."""

    market_settled_ts: datetime
    trades_created_ts: datetime | None
    orders_updated_ts: datetime | None

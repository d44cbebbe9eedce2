"""Query and path parameter types shared by the routers, with their limits.

Limits are part of the contract: anything outside them is a 422 before a query runs, so a
fuzzer's NUL bytes, megabyte strings or 2**70 offsets never reach PostgreSQL (which would reject
a NUL in text, and asyncpg an integer wider than 64 bits, as a 500).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator

from kalshi_core.models import AwareDatetime

TICKER_MAX: Final = 200
TEXT_PATTERN: Final = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (NUL included)."""
MAX_OFFSET: Final = 10_000_000
MAX_ID: Final = 2**63 - 1
EXAMPLE_TICKER: Final = "KXHIGHNY-25DEC01-T45"
DEFAULT_HISTORY_LIMIT: Final = 500
MAX_HISTORY_LIMIT: Final = 10_000
MarketSort = Literal["ticker", "volume", "volume_24h", "open_interest", "close_time", "updated"]


_ISO_DATETIME: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_text(value: Any) -> Any:
    # pydantic would also take "1700000000" (a Unix time) or "2026-01-01" (a date); the
    # contract is an ISO-8601 date-time.
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError(
            "expected an ISO-8601 date-time with a timezone, e.g. 2026-01-01T00:00:00Z"
        )
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is out of range once converted to UTC") from exc


QueryTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
"""ISO-8601 with a timezone (e.g. 2026-01-01T00:00:00Z); naive times are rejected."""

TickerPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=TICKER_MAX,
        pattern=TEXT_PATTERN,
        description="Kalshi ticker.",
        examples=[EXAMPLE_TICKER],
    ),
]


def ticker_query(description: str) -> object:
    return Query(min_length=1, max_length=TICKER_MAX, pattern=TEXT_PATTERN, description=description)


Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (1..1000).")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="Items to skip; past the end gives [].")
]
Order = Literal["asc", "desc"]

"""Query arguments for Kalshi's endpoints: the accepted filter words, page and batch limits, and
the helpers that turn caller-friendly arguments (datetimes, one-or-many tickers) into what the
API takes. Pure functions; nothing here does I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

ParamValue = str | int | bool | None
Timestamp = int | datetime

MARKET_QUERY_STATUSES: Final = frozenset({"unopened", "open", "paused", "closed", "settled"})
EVENT_QUERY_STATUSES: Final = frozenset({"unopened", "open", "closed", "settled"})
# Kalshi's responses use different words than its filters; a caller passing a response value
# gets pointed at the right query value instead of an empty listing.
_RESPONSE_TO_QUERY_STATUS: Final = {
    "initialized": "unopened",
    "inactive": "paused",
    "active": "open",
    "determined": "closed",
    "disputed": "closed",
    "amended": "closed",
    "finalized": "settled",
}
MAX_PAGE_LIMIT: Final = 1000
MAX_EVENTS_PAGE_LIMIT: Final = 200
MAX_TICKERS_PER_REQUEST: Final = 100


class _Default:
    """Marks 'use the client's configured value' for parameters where None means 'omit'."""


DEFAULT: Final = _Default()


def _unix(v: Timestamp, name: str) -> int:
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"{name}={v.isoformat()} must be timezone-aware")
        return int(v.timestamp())
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be unix seconds (int) or an aware datetime")
    return v


def _check_status(status: str | None, allowed: frozenset[str]) -> str | None:
    if status is None or status in allowed:
        return status
    hint = _RESPONSE_TO_QUERY_STATUS.get(status)
    extra = (
        f" ({status!r} is a status Kalshi returns; filter with {hint!r})"
        if hint is not None
        else ""
    )
    raise ValueError(f"status filter must be one of {sorted(allowed)}, got {status!r}{extra}")


def _as_list(v: str | Iterable[str] | None) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]

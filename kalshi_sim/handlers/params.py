"""Reading a request as Kalshi does: query parameters, page limits, cursors, candle windows.

A bad value is a 400 with Kalshi's envelope naming the parameter.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from kalshi_sim.handlers.responses import bad_request

MAX_CANDLES = 5000
"""Most candlesticks one request may ask for."""


def query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def int_param(
    q: dict[str, str],
    name: str,
    default: int | None = None,
    *,
    lo: int | None = None,
    hi: int | None = None,
) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise bad_request(f"{name} must be between {lo} and {hi}")
    return v


def bool_param(q: dict[str, str], name: str) -> bool:
    raw = q.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise bad_request(f"{name} must be true or false")


def limit_param(q: dict[str, str], default: int = 100, hi: int = 1000) -> int:
    v = int_param(q, "limit", default, lo=0, hi=hi)
    assert v is not None
    return v or default


def candle_params(q: dict[str, str]) -> tuple[int, int, int]:
    """(start_ts, end_ts, period_interval in minutes), all required."""
    start = int_param(q, "start_ts")
    end = int_param(q, "end_ts")
    period = int_param(q, "period_interval")
    if start is None or end is None or period is None:
        raise bad_request("start_ts, end_ts and period_interval are required")
    if period not in (1, 60, 1440):
        raise bad_request("period_interval must be 1, 60 or 1440")
    if end < start:
        raise bad_request("end_ts must not be before start_ts")
    return start, end, period


def encode_cursor(kind: str, *parts: int | float) -> str:
    raw = kind + ":" + ":".join(repr(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, n: int) -> list[float] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        head, *rest = raw.split(":")
        if head != kind or len(rest) != n:
            raise ValueError
        return [float(x) for x in rest]
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request("invalid cursor") from None

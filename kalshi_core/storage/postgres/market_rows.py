"""Market metadata rows in PostgreSQL: the columns of `markets`, the SELECT and the upsert that
read and write them, and the conversions between a row and a `Market`.

Shared by the repositories that read market metadata (markets, events, dump imports); the
upsert is `PostgresMarketRepository.upsert_markets`'s statement.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import asyncpg

from kalshi_core.models import Market, PriceRange

MARKET_COLUMNS: Final = (
    "ticker",
    "event_ticker",
    "series_ticker",
    "title",
    "yes_sub_title",
    "no_sub_title",
    "market_type",
    "status",
    "open_time",
    "close_time",
    "expected_expiration_time",
    "latest_expiration_time",
    "settlement_ts",
    "result",
    "settlement_value",
    "can_close_early",
    "price_level_structure",
    "price_ranges",
    "tick_size",
    "is_mve",
    "updated_at",
)
M_COLUMNS: Final = ", ".join(f"m.{c}" for c in MARKET_COLUMNS)
"""Every metadata column of `markets` over the alias m, as a select list."""
MARKET_SELECT: Final = f"SELECT {M_COLUMNS} FROM markets m"
"""Every metadata column of `markets` (alias m); append a WHERE clause."""

# A listing that does not name the series (the catalogue scan) must not erase a series ticker
# learned elsewhere; an unknown one is taken from the market's event when that is stored.
_EVENT_ARG = MARKET_COLUMNS.index("event_ticker") + 1
_UPSERT_VALUES = ", ".join(
    f"coalesce(${i + 1}, (SELECT e.series_ticker FROM events e WHERE e.event_ticker = "
    f"${_EVENT_ARG}))"
    if c == "series_ticker"
    else f"${i + 1}"
    for i, c in enumerate(MARKET_COLUMNS)
)
_COMPARED = [c for c in MARKET_COLUMNS if c not in ("ticker", "series_ticker", "updated_at")]
_CMP_OLD = ", ".join(f"markets.{c}" for c in _COMPARED)
_CMP_NEW = ", ".join(f"EXCLUDED.{c}" for c in _COMPARED)
UPSERT_MARKET: Final = f"""
INSERT INTO markets ({", ".join(MARKET_COLUMNS)})
VALUES ({_UPSERT_VALUES})
ON CONFLICT (ticker) DO UPDATE SET
    {
    ", ".join(
        f"{c} = coalesce(EXCLUDED.{c}, markets.{c})"
        if c == "series_ticker"
        else f"{c} = EXCLUDED.{c}"
        for c in MARKET_COLUMNS
        if c != "ticker"
    )
}
WHERE (markets.updated_at IS NULL OR EXCLUDED.updated_at IS NULL
       OR EXCLUDED.updated_at >= markets.updated_at)
  -- unchanged metadata writes no new row version (scans re-send every market every run)
  AND (({_CMP_OLD}) IS DISTINCT FROM ({_CMP_NEW})
       OR (EXCLUDED.series_ticker IS NOT NULL
           AND EXCLUDED.series_ticker IS DISTINCT FROM markets.series_ticker))
"""
"""Insert or update one market by ticker (bind `market_args`); an older `updated_at` never
overwrites a newer one, and unchanged metadata is not rewritten."""


def market_from_row(row: asyncpg.Record) -> Market | None:
    """A `Market` from a row with the markets columns, None for a placeholder row."""
    if row["event_ticker"] is None or row["status"] is None:
        return None
    fields = {c: row[c] for c in MARKET_COLUMNS}
    fields["price_ranges"] = [
        PriceRange(start=Decimal(pr["start"]), end=Decimal(pr["end"]), step=Decimal(pr["step"]))
        for pr in (row["price_ranges"] or [])
    ]
    return Market.model_construct(**fields)


def market_args(m: Market) -> tuple[Any, ...]:
    """The arguments of `UPSERT_MARKET` for `m` (price range bounds as decimal text)."""
    values = m.model_dump()
    values["price_ranges"] = [{k: str(v) for k, v in pr.items()} for pr in values["price_ranges"]]
    return tuple(values[c] for c in MARKET_COLUMNS)

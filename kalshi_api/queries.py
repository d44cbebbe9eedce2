"""The API's fast read path: PostgreSQL renders the hot responses as JSON text.

`/markets`, `/markets/{ticker}` and `/markets/{ticker}/history` are the endpoints the SPA and
notebooks hit hardest. Decoding hundreds of NUMERIC columns into `Decimal`s and serializing them
again costs ~8 us per row in Python (~4 ms for a 500-row history page), which caps one worker at a
few hundred pages per second. Here PostgreSQL builds each item with `json_build_object` instead:
NUMERIC text goes into the JSON digit for digit (`trim_scale` drops the padding, so 0.5600 is
written as 0.56), no float is ever involved, and Python only joins the pieces.

`yes_price` is defined by `kalshi_core.models.derive_yes_price`; `YES_PRICE_SQL` is its
transcription for PostgreSQL, and tests/api/test_yes_price_sql.py proves the two agree on every
case the rule distinguishes. Every value is a bound parameter; the only text spliced into SQL comes
from the constants of this module (sort columns are looked up in a fixed mapping).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import astuple
from datetime import datetime
from typing import Any, Final

from kalshi_core.storage.database import Database
from kalshi_core.storage.repositories import MarketFilter
from kalshi_core.storage.tables import QUOTE_COLUMNS, SOURCE_NAMES

YES_PRICE_SQL: Final = (
    "(CASE WHEN {bid} > 0 AND {ask} < 1 AND {ask} >= {bid} THEN ({bid} + {ask}) / 2 "
    "ELSE {last} END)"
)
"""`derive_yes_price(yes_bid, yes_ask, last_price)` as a SQL expression (format with columns)."""

_SOURCE_SQL: Final = (
    "CASE {col} "
    + " ".join(f"WHEN {code} THEN '{name}'" for code, name in sorted(SOURCE_NAMES.items()))
    + " END"
)
_ISO_FORMAT: Final = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def _iso(column: str) -> str:
    # Rendered in UTC whatever the session's TimeZone; NULL (and +/-infinity) stay null.
    return f"to_char({column} AT TIME ZONE 'UTC', '{_ISO_FORMAT}')"


def _quote_pairs(alias: str) -> str:
    """The quote fields of a snapshot-shaped row `alias` (with yes price `p.yes_price`)."""
    pairs = [
        f"'source', {_SOURCE_SQL.format(col=f'{alias}.source')}",
        f"'sequence', {alias}.sequence",
        "'yes_price', trim_scale(p.yes_price)",
        "'no_price', trim_scale(1 - p.yes_price)",
        f"'yes_bid', trim_scale({alias}.yes_bid)",
        f"'yes_ask', trim_scale({alias}.yes_ask)",
        f"'no_bid', trim_scale(1 - {alias}.yes_ask)",
        f"'no_ask', trim_scale(1 - {alias}.yes_bid)",
    ]
    pairs += [
        f"'{c}', trim_scale({alias}.{c})" for c in QUOTE_COLUMNS if c not in ("yes_bid", "yes_ask")
    ]
    return ", ".join(pairs)


def _yes_price_lateral(alias: str) -> str:
    expr = YES_PRICE_SQL.format(
        bid=f"{alias}.yes_bid", ask=f"{alias}.yes_ask", last=f"{alias}.last_price"
    )
    return f"CROSS JOIN LATERAL (SELECT {expr} AS yes_price) p"


# One market item, from a row `s` carrying the markets columns and the latest quote.
_MARKET_ITEM: Final = (
    "json_build_object("
    f"'market_ticker', s.ticker, 'timestamp', {_iso('s.observed_at')}, {_quote_pairs('s')}, "
    "'status', s.status, 'title', s.title, 'event_ticker', s.event_ticker, "
    f"'series_ticker', s.series_ticker, 'close_time', {_iso('s.close_time')}, "
    f"'changed_at', {_iso('s.changed_at')})::text"
)
_LATEST_COLUMNS: Final = (
    "m.ticker, m.status, m.title, m.event_ticker, m.series_ticker, m.close_time, "
    "l.observed_at, l.changed_at, l.sequence, l.source, "
    + ", ".join(f"l.{c}" for c in QUOTE_COLUMNS)
)
_LATEST_FROM: Final = "markets m JOIN market_latest l ON l.market_id = m.id"

_MARKET_BY_TICKER: Final = f"""
SELECT {_MARKET_ITEM}
FROM (SELECT {_LATEST_COLUMNS} FROM {_LATEST_FROM} WHERE m.ticker = $1) s
{_yes_price_lateral("s")}
"""

# Sort keys: (inner column, column of the subquery `s`). Ticker breaks ties, as in the
# repository's get_all_latest.
_SORTS: Final = {
    "ticker": ("m.ticker", "s.ticker"),
    "volume": ("l.volume", "s.volume"),
    "volume_24h": ("l.volume_24h", "s.volume_24h"),
    "open_interest": ("l.open_interest", "s.open_interest"),
    "close_time": ("m.close_time", "s.close_time"),
    "updated": ("l.changed_at", "s.changed_at"),
}

_HISTORY_ITEM: Final = (
    "json_build_object("
    f"'market_ticker', $1::text, 'timestamp', {_iso('h.observed_at')}, {_quote_pairs('h')})"
)
_HISTORY_COLUMNS: Final = "h.observed_at, h.source, h.sequence, " + ", ".join(
    f"h.{c}" for c in QUOTE_COLUMNS
)

_PING: Final = "SELECT 1"
_LAST_OK_TICK: Final = (
    "SELECT tick FROM ingest_polls WHERE tier = $1 AND status = 'ok' ORDER BY tick DESC LIMIT 1"
)
_RECENT_ERRORS: Final = """
SELECT tick, status, error, retries, http_429s, run_id FROM ingest_polls
WHERE tier = $1 AND tick >= $2 AND status = 'error'
ORDER BY tick DESC LIMIT $3
"""
_RECENT_TICKS: Final = """
SELECT tick FROM ingest_polls WHERE tier = $1 AND tick >= $2 ORDER BY tick DESC LIMIT 64
"""


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(flt: MarketFilter) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("m.status", flt.status),
        ("m.series_ticker", flt.series_ticker),
        ("m.event_ticker", flt.event_ticker),
    ):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    if flt.search:
        args.append(f"%{_escape_like(flt.search)}%")
        n = len(args)
        where.append(f"(m.ticker ILIKE ${n} OR m.title ILIKE ${n})")
    return ("WHERE " + " AND ".join(where)) if where else "", args


class TotalCache:
    """Recent list totals by filter, reused for `ttl_s` seconds (bounded, oldest evicted).

    Counting 100,000 latest quotes costs PostgreSQL several milliseconds, more than the page
    itself; the number of markets changes at most once per ingestion tick, so a total a few
    seconds old is the same total. `ttl_s = 0` turns the cache off.
    """

    def __init__(self, ttl_s: float, max_entries: int = 1024) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, int]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> int | None:
        if self.ttl_s <= 0:
            return None
        hit = self._entries.get(key)
        if hit is None:
            return None
        expires, total = hit
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return total

    def put(self, key: tuple[Any, ...], total: int) -> None:
        if self.ttl_s <= 0:
            return
        self._entries[key] = (time.monotonic() + self.ttl_s, total)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


class ApiReads:
    """The read queries behind the hot endpoints and the health/ingestion summaries.

    Methods return JSON text ready to send (or None when the market does not exist); they go
    through the shared read-only `Database` pool and bind every value.
    """

    def __init__(self, db: Database, *, count_cache_s: float = 5.0) -> None:
        self._db = db
        self.totals = TotalCache(count_cache_s)

    async def market(self, ticker: str) -> str | None:
        """One market's latest quote with its metadata, or None if it has no quote."""
        async with self._db.acquire() as conn:
            text: str | None = await conn.fetchval(_MARKET_BY_TICKER, ticker)
        return text

    async def markets(self, flt: MarketFilter, limit: int, offset: int) -> tuple[str, int]:
        """A page of latest quotes as a JSON array, and the total matching `flt`."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be >= 1 and offset >= 0")
        if flt.sort not in _SORTS:
            raise ValueError(f"unknown sort {flt.sort!r}; one of {sorted(_SORTS)}")
        where_sql, args = _where(flt)
        inner, outer = _SORTS[flt.sort]
        direction = "DESC" if flt.descending else "ASC"
        if flt.sort == "ticker":
            inner_order = f"{inner} {direction}"
            outer_order = f"{outer} {direction}"
        else:
            inner_order = f"{inner} {direction} NULLS LAST, m.ticker {direction}"
            outer_order = f"{outer} {direction} NULLS LAST, s.ticker {direction}"
        # Sort and cut on plain columns first, build JSON for the page only.
        sql = f"""
            SELECT {_MARKET_ITEM}
            FROM (SELECT {_LATEST_COLUMNS} FROM {_LATEST_FROM} {where_sql}
                  ORDER BY {inner_order} LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}) s
            {_yes_price_lateral("s")}
            ORDER BY {outer_order}
        """
        key = astuple(flt)[:4]
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, *args, limit, offset)
            total = self._total_from_page(len(rows), limit, offset)
            if total is None:
                total = self.totals.get(key)
            if total is None:
                if where_sql:
                    count_sql = f"SELECT count(*) FROM {_LATEST_FROM} {where_sql}"
                else:
                    count_sql = "SELECT count(*) FROM market_latest"
                total = int(await conn.fetchval(count_sql, *args))
                self.totals.put(key, total)
        body = "[" + ",".join(r[0] for r in rows) + "]"
        # A cached total older than the rows just read must not contradict them.
        return body, max(total, offset + len(rows)) if rows else total

    @staticmethod
    def _total_from_page(n: int, limit: int, offset: int) -> int | None:
        # A page that is neither full nor past the end tells the total by itself.
        if n < limit and (n > 0 or offset == 0):
            return offset + n
        return None

    async def history(
        self,
        ticker: str,
        limit: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> str | None:
        """Stored snapshots of `ticker`, newest first, `start <= timestamp < end`, as a JSON
        array; None if the ticker is unknown."""
        if limit < 1:
            raise ValueError("limit must be >= 1")
        conds = ["h.market_id = m.id"]
        args: list[Any] = [ticker, limit]
        # Literal bounds (not `$n IS NULL OR ...`) so PostgreSQL prunes day partitions.
        if start is not None:
            args.append(start)
            conds.append(f"h.observed_at >= ${len(args)}")
        if end is not None:
            args.append(end)
            conds.append(f"h.observed_at < ${len(args)}")
        sql = f"""
            SELECT (
                SELECT coalesce(json_agg(r.j ORDER BY r.observed_at DESC), '[]'::json)::text
                FROM (
                    SELECT h.observed_at, {_HISTORY_ITEM} AS j
                    FROM (SELECT {_HISTORY_COLUMNS} FROM market_snapshots h
                          WHERE {" AND ".join(conds)}
                          ORDER BY h.observed_at DESC LIMIT $2) h
                    {_yes_price_lateral("h")}
                ) r
            )
            FROM markets m WHERE m.ticker = $1
        """
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(sql, *args)
        return None if row is None else str(row[0])

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        async with self._db.acquire() as conn:
            await conn.fetchval(_PING)

    async def last_ok_tick(self, tier: str) -> datetime | None:
        async with self._db.acquire() as conn:
            tick: datetime | None = await conn.fetchval(_LAST_OK_TICK, tier)
        return tick

    async def recent_errors(self, tier: str, since: datetime, limit: int) -> list[dict[str, Any]]:
        """The newest error ticks of `tier` since `since`."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_RECENT_ERRORS, tier, since, limit)
        return [dict(r) for r in rows]

    async def recent_ticks(self, tier: str, since: datetime) -> list[datetime]:
        """Up to 64 newest recorded ticks of `tier` since `since` (any status), newest first."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_RECENT_TICKS, tier, since)
        return [r[0] for r in rows]

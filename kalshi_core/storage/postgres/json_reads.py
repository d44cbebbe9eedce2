"""`JsonReadRepository` on PostgreSQL: reads whose JSON the database renders as text.

The API's hot endpoints answer with these bodies as they are (and notebooks or scripts can use
them for the same JSON); SQL lives here, in the storage layer, beside the repositories it shares
its filters with.

`/markets`, `/markets/{ticker}` and `/markets/{ticker}/history` are the endpoints the SPA and
notebooks hit hardest. Decoding hundreds of NUMERIC columns into `Decimal`s and serializing them
again costs ~8 us per row in Python (~4 ms for a 500-row history page), which caps one worker at a
few hundred pages per second. Here PostgreSQL writes each item's stored fields as JSON text
(string concatenation: NUMERIC text goes into the JSON digit for digit, `trim_scale` drops the
padding so 0.5600 is written 0.56, no float is involved), and Python appends the derived prices.
Quotes are stored as integers (micro-dollars, centi-contracts: migration 0009); the SQL writes
them as the text the NUMERIC columns gave (`trim_scale(units * 0.000001)`), with integer
arithmetic for whole cents and whole contracts in the many-row reads (tests/storage/
test_json_quote_text.py checks every price), so the JSON is the same as before, at the same cost.

The derived prices (`yes_price`, `no_price`, `no_bid`, `no_ask`) come from
`kalshi_core.models.derive_yes_price`, the one definition of `yes_price`, computed with Decimals
once per distinct (yes_bid, yes_ask, last_price) and remembered: quotes repeat, so a history page
costs a dict lookup per row. Every value is a bound parameter; the only text spliced into SQL
comes from the constants of this module and of the storage layer.

The markets list selects and orders exactly as `MarketRepository.get_all_latest`: both take
their WHERE clause, bound values and ORDER BY from `latest_list_query` in
`kalshi_core.storage.postgres.latest_list`; only the column list (JSON text here) differs.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Final

import asyncpg
import orjson

from kalshi_core.models import ONE, derive_yes_price
from kalshi_core.storage.database import Database
from kalshi_core.storage.postgres.archive_reads import ServedDays, archive_reader
from kalshi_core.storage.postgres.latest_list import LATEST_FROM, latest_list_query
from kalshi_core.storage.repositories import MarketFilter
from kalshi_core.storage.tables import QUOTE_COLUMNS, QUOTE_PRICES, SOURCE_NAMES
from kalshi_core.units import COUNT_PLACES, PRICE_PLACES

# --- JSON text builders -------------------------------------------------------------------
# Items are built by string concatenation: `json_build_object` looks up every argument's type
# output function on every row, which made it ~2.5x slower than `||` here. Every piece below is
# NOT NULL JSON text (a NULL would blank the whole item), so nullable values are coalesced.


def _num(expr: str) -> str:
    # NUMERIC text is a valid JSON number (no exponent, no NaN: CHECK constraints keep values
    # finite); trim_scale drops trailing zeros: 0.5600 -> 0.56.
    return f"trim_scale({expr})::text"


# One micro-dollar and one centi-contract as NUMERIC literals: 0.000001 and 0.01.
_MICRO: Final = format(Decimal(1).scaleb(-PRICE_PLACES), "f")
_CENTI: Final = format(Decimal(1).scaleb(-COUNT_PLACES), "f")
_CENT: Final = 10 ** (PRICE_PLACES - 2)  # micro-dollars in a cent, a dime and a dollar
_DIME: Final = 10 ** (PRICE_PLACES - 1)
_DOLLAR: Final = 10**PRICE_PLACES
_CONTRACT: Final = 10**COUNT_PLACES  # centi-contracts in a contract


def _exact_num(expr: str, unit: str) -> str:
    # integer * NUMERIC is exact (the product has the literal's scale), so trim_scale writes
    # the same text the NUMERIC column gave: 450000 micro-dollars -> 0.45, 100 centi -> 1.
    return _num(f"({expr} * {unit})")


def _price_num(expr: str) -> str:
    """Micro-dollars `expr` as the text of `_exact_num(expr, _MICRO)`, without NUMERIC for the
    prices nearly every quote has: whole cents, and 0.

    The NUMERIC form (a cast, a multiplication, trim_scale) costs ~2x a plain integer's text
    and a history row has three prices; integer arithmetic writes the same digits: a whole
    cent k strictly between 0 and 1 dollar is `0.` and k's two digits (`right(100 + k, 2)`),
    or its one digit when k is whole dimes (0.5, never 0.50). Everything else (1 dollar,
    sub-cent prices, anything out of range) takes the exact NUMERIC form."""
    return (
        f"CASE WHEN {expr} % {_CENT} = 0 AND {expr} > 0 AND {expr} < {_DOLLAR} THEN "
        f"CASE WHEN {expr} % {_DIME} = 0 THEN '0.' || ({expr} / {_DIME})::text "
        f"ELSE '0.' || right(({expr} / {_CENT} + 100)::text, 2) END "
        f"WHEN {expr} = 0 THEN '0' "
        f"ELSE {_exact_num(expr, _MICRO)} END"
    )


def _count_num(expr: str) -> str:
    """Centi-contracts `expr` as the text of `_exact_num(expr, _CENTI)`: whole contracts (nearly
    every count) as the integer quotient's text, which is the same digits for any sign."""
    return (
        f"CASE WHEN {expr} % {_CONTRACT} = 0 THEN ({expr} / {_CONTRACT})::text "
        f"ELSE {_exact_num(expr, _CENTI)} END"
    )


# How a query writes a quote column (`alias`, `column`) as JSON text. Both give the same text;
# they differ in cost. The integer form saves ~0.1 us per value but is a larger expression,
# which PostgreSQL compiles again at every execution (~10-15 us for an item's eight values):
# queries of many rows (history pages, the markets list) take it, the one-row market query
# keeps the compact NUMERIC form.
QuoteText = Callable[[str, str], str]


def _integer_quote(alias: str, column: str) -> str:
    expr = f"{alias}.{column}"
    return _price_num(expr) if column in QUOTE_PRICES else _count_num(expr)


def _numeric_quote(alias: str, column: str) -> str:
    return _exact_num(f"{alias}.{column}", _MICRO if column in QUOTE_PRICES else _CENTI)


def _str(expr: str) -> str:
    return f"coalesce(to_json({expr})::text, 'null')"


def _time(expr: str) -> str:
    # to_json renders a timestamp as ISO 8601 whatever DateStyle is; AT TIME ZONE makes it UTC
    # whatever TimeZone is, so the "Z" is true. Infinite or NULL -> null.
    return (
        f"CASE WHEN isfinite({expr}) THEN left(to_json({expr} AT TIME ZONE 'UTC')::text, -1)"
        " || 'Z\"' ELSE 'null' END"
    )


def _open_object(fields: list[tuple[str, str]]) -> str:
    """`{"a":<a>,"b":<b>` (no closing brace: Python appends the derived prices)."""
    parts = [
        f"'{'{' if i == 0 else ','}\"{name}\":' || {expr}" for i, (name, expr) in enumerate(fields)
    ]
    return "(" + " || ".join(parts) + ")"


_SOURCE_SQL: Final = (
    "CASE {col} "
    + " ".join(f"WHEN {code} THEN '\"{name}\"'" for code, name in sorted(SOURCE_NAMES.items()))
    + " END"
)
# The three prices the derived ones depend on, as trimmed text, selected next to each item.
_PRICE_TEXT: Final = ("bid_t", "ask_t", "last_t")


def _price_columns(alias: str, quote: QuoteText) -> str:
    return (
        f"{quote(alias, 'yes_bid')} AS bid_t, {quote(alias, 'yes_ask')} AS ask_t, "
        f"{quote(alias, 'last_price')} AS last_t"
    )


def _quote_fields(alias: str, quote: QuoteText) -> list[tuple[str, str]]:
    """The stored quote fields of a snapshot-shaped row `alias` (with its `_PRICE_TEXT`)."""
    return [
        ("timestamp", _time(f"{alias}.observed_at")),
        ("source", _SOURCE_SQL.format(col=f"{alias}.source")),
        ("sequence", f"{alias}.sequence::text"),
        ("yes_bid", f"{alias}.bid_t"),
        ("yes_ask", f"{alias}.ask_t"),
        ("last_price", f"{alias}.last_t"),
        *[(c, quote(alias, c)) for c in QUOTE_COLUMNS if c not in _STORED_PRICES],
    ]


_STORED_PRICES: Final = ("yes_bid", "yes_ask", "last_price")


def _item_select(quote: QuoteText) -> str:
    """SELECT of one market item (and its `_PRICE_TEXT`) from a row `s` carrying the markets
    columns and the latest quote."""
    item = _open_object(
        [
            ("market_ticker", _str("s.ticker")),
            *_quote_fields("s", quote),
            ("status", _str("s.status")),
            ("title", _str("s.title")),
            ("event_ticker", _str("s.event_ticker")),
            ("series_ticker", _str("s.series_ticker")),
            ("close_time", _time("s.close_time")),
            ("changed_at", _time("s.changed_at")),
        ]
    )
    return f"SELECT {item}, s.bid_t, s.ask_t, s.last_t"


def _latest_columns(quote: QuoteText) -> str:
    return (
        "m.ticker, m.status, m.title, m.event_ticker, m.series_ticker, m.close_time, "
        "l.observed_at, l.changed_at, l.sequence, l.source, "
        + ", ".join(f"l.{c}" for c in QUOTE_COLUMNS)
        + f", {_price_columns('l', quote)}"
    )


_ITEM_SELECT: Final = _item_select(_integer_quote)
_LATEST_COLUMNS: Final = _latest_columns(_integer_quote)

_MARKET_BY_TICKER: Final = f"""
{_item_select(_numeric_quote)}
FROM (SELECT {_latest_columns(_numeric_quote)} FROM {LATEST_FROM} WHERE m.ticker = $1) s
"""

# The ticker is bound once as ready-made JSON text ($2) rather than encoded on every row.
_HISTORY_ITEM: Final = _open_object(
    [("market_ticker", "$2::text"), *_quote_fields("h", _integer_quote)]
)
_HISTORY_COLUMNS: Final = (
    "h.observed_at, h.source, h.sequence, "
    + ", ".join(f"h.{c}" for c in QUOTE_COLUMNS)
    + f", {_price_columns('h', _integer_quote)}"
)


def _decimal_json(value: Decimal) -> str:
    """An exact Decimal as a JSON number: no exponent, no trailing zeros (0.5650 -> 0.565)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


class DerivedPrices:
    """`,"yes_price":..,"no_price":..,"no_bid":..,"no_ask":..` by (yes_bid, yes_ask, last_price)
    text, computed with `derive_yes_price` on Decimals and remembered (bounded)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._max = max_entries
        self._cache: dict[tuple[str, str, str], str] = {}
        self._closed: dict[tuple[str, str, str], str] = {}  # the same, with "}," appended

    def fragment(self, bid: str, ask: str, last: str) -> str:
        key = (bid, ask, last)
        hit = self._cache.get(key)
        if hit is None:
            yes_bid, yes_ask = Decimal(bid), Decimal(ask)
            yes_price = derive_yes_price(yes_bid, yes_ask, Decimal(last))
            hit = (
                f',"yes_price":{_decimal_json(yes_price)}'
                f',"no_price":{_decimal_json(ONE - yes_price)}'
                f',"no_bid":{_decimal_json(ONE - yes_ask)}'
                f',"no_ask":{_decimal_json(ONE - yes_bid)}'
            )
            if len(self._cache) >= self._max:
                self._cache.clear()
                self._closed.clear()
            self._cache[key] = hit
        return hit

    def items(self, rows: Iterable[Sequence[str]]) -> str:
        """A JSON array from (open item, bid, ask, last) rows."""
        # The hot loop of history pages (up to 10,000 rows): one dict lookup per row on the
        # remembered fragments, one join at the end, no per-row string building.
        closed = self._closed
        parts: list[str] = []
        append = parts.append
        for item, bid, ask, last in rows:
            key = (bid, ask, last)
            tail = closed.get(key)
            if tail is None:
                tail = closed[key] = self.fragment(bid, ask, last) + "},"
            append(item)
            append(tail)
        if not parts:
            return "[]"
        parts[-1] = parts[-1][:-1]  # no comma after the last item
        return "[" + "".join(parts) + "]"


_PING: Final = "SELECT 1"
_MARKET_EXISTS: Final = "SELECT 1 FROM markets WHERE ticker = $1"
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


class PostgresJsonReads:
    """`JsonReadRepository`: the read queries behind the hot endpoints and the health/ingestion
    summaries.

    Methods return JSON text ready to send (or None when the market does not exist); they go
    through the shared read-only `Database` pool and bind every value.
    """

    def __init__(self, db: Database, *, count_cache_s: float = 5.0) -> None:
        self._db = db
        self.totals = TotalCache(count_cache_s)
        self.derived = DerivedPrices()

    async def market(self, ticker: str) -> str | None:
        """One market's latest quote with its metadata, or None if it has no quote."""
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(_MARKET_BY_TICKER, ticker)
        if row is None:
            return None
        return f"{row[0]}{self.derived.fragment(row[1], row[2], row[3])}}}"

    async def markets(self, flt: MarketFilter, limit: int, offset: int) -> tuple[str, int]:
        """A page of latest quotes as a JSON array, and the total matching `flt`."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be >= 1 and offset >= 0")
        q = latest_list_query(flt)  # the repository's filters and order, by construction
        # Sort and cut on plain columns first, build JSON for the page only; the outer query
        # repeats the order over the subquery's columns (a subquery's order is not kept).
        sql = f"""
            {_ITEM_SELECT}
            FROM (SELECT {_LATEST_COLUMNS} FROM {LATEST_FROM} {q.where}
                  ORDER BY {q.order_by()} {q.limit_offset}) s
            ORDER BY {q.order_by("s")}
        """
        key = astuple(flt)[:4]
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, *q.args, limit, offset)
            total = self._total_from_page(len(rows), limit, offset)
            if total is None:
                total = self.totals.get(key)
            if total is None:
                total = int(await conn.fetchval(q.count_sql, *q.args))
                self.totals.put(key, total)
        body = self.derived.items(rows)
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
        array; None if the ticker is unknown. Days whose partition was archived and dropped
        are read from their Parquet files, rendered by the same SQL (see archive_reads)."""
        if limit < 1:
            raise ValueError("limit must be >= 1")
        archive = archive_reader(self._db)

        async def read(served: ServedDays) -> list[asyncpg.Record] | None:
            plan = archive.history_plan(served, start, end)  # None: no archived day in range
            async with self._db.acquire() as conn:
                if plan is None:  # hot days only: one query, as before the archive
                    rows = await self._history_rows(
                        conn, ticker, limit, start, end, "market_snapshots", []
                    )
                else:
                    fetch = partial(self._history_rows, conn, ticker)
                    rows = await archive.history(served, plan, ticker, limit, start, end, fetch)
                # an empty page asks on the same connection whether the market exists
                if not rows and await conn.fetchval(_MARKET_EXISTS, ticker) is None:
                    return None
                return rows

        rows = await archive.consistent(read)
        return None if rows is None else self.derived.items(rows)

    async def _history_rows(
        self,
        conn: asyncpg.Connection,
        ticker: str,
        limit: int,
        start: datetime | None,
        end: datetime | None,
        relation: str,
        extra: list[Any],
    ) -> list[asyncpg.Record]:
        # `relation`: market_snapshots, or it with archived rows bound as arrays in `extra`
        # ($4 on, archive_reads.HISTORY_FIRST_PARAM)
        conds = ["h.market_id = (SELECT id FROM markets WHERE ticker = $1)"]
        args: list[Any] = [ticker, orjson.dumps(ticker).decode(), limit, *extra]
        # Literal bounds (not `$n IS NULL OR ...`) so PostgreSQL prunes day partitions.
        if start is not None:
            args.append(start)
            conds.append(f"h.observed_at >= ${len(args)}")
        if end is not None:
            args.append(end)
            conds.append(f"h.observed_at < ${len(args)}")
        # The outer ORDER BY costs no sort: the planner knows the subquery comes out in
        # that order (Merge Append of the day partitions' backward index scans).
        sql = f"""
            SELECT {_HISTORY_ITEM}, h.bid_t, h.ask_t, h.last_t
            FROM (SELECT {_HISTORY_COLUMNS} FROM {relation} h
                  WHERE {" AND ".join(conds)}
                  ORDER BY h.observed_at DESC LIMIT $3) h
            ORDER BY h.observed_at DESC
        """
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows

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

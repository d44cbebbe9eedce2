"""The snapshot write path (`MarketRepository.save_many` / `save`): encoding, checks and SQL.

One tick is written by `write_tick` inside the caller's transaction:
1. the snapshots' quotes are converted to the stored integers (`kalshi_core.units`: prices in
   micro-dollars, counts in centi-contracts; a value that cannot be stored exactly, is out of
   range or is not a Decimal raises a ValueError naming the snapshot), encoded here in
   PostgreSQL's binary COPY format (`stage_copy`: one struct pack a row; fixed-width integers
   cost the server no parsing) and streamed into a per-connection temp staging table; each chunk
   is sent while the next rows convert, and a bad row aborts the COPY before anything reaches
   the stored tables;
2. the transaction takes the snapshot-writer advisory lock: one writer at a time per database
   (ingestion is a singleton by design), so two writers of the same tick queue instead of
   racing, and the hot statement needs neither ON CONFLICT nor a lock order;
3. tickers not yet in `markets` get a placeholder row;
4. one statement keeps only the rows whose quote differs from the market's previous
   observation, inserts them into `market_snapshots`, and refreshes `market_latest` (by ctid,
   the row it just compared with: no second index probe) without moving it back in time.

As-of guarantee: whatever order commits arrive in (two tiers, or two window runs of one tier),
the stored history equals what writing every observation in time order would store. A *late*
observation (older than the market's last one) is compared with the stored row before it; if it
differs it is inserted, and the first observation after it (from `market_latest.seen`, the
market's last `SEEN_LIMIT` observation times) is restored with the earlier quote, or the stored
row after it is dropped when it now repeats it. An observation older than `seen` covers is
refused (`too_late`), never written where it would rewrite later observations. One equal to an
already recorded observation time is a duplicate, so a re-written tick changes nothing.

Coverage: with the tick's tier and grid interval (`Coverage`), the same statement extends each
market's open coverage span of that tier (`market_latest.<tier>_since/_until`) when the market's
previous tick of the tier was the one just before, and otherwise closes it into
`market_coverage` and opens a new one: a quote is known only while its tier kept seeing it.

A batch naming a ticker twice (a websocket burst, a replay) is written in rounds that name each
ticker once, in time order per ticker.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import asyncpg

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.repositories import SaveReport
from kalshi_core.storage.tables import (
    QUOTE_COLUMNS,
    QUOTE_COUNTS,
    QUOTE_PRICES,
    SOURCE_CODES,
    TIER_PREFIXES,
)
from kalshi_core.units import COUNT_PLACES, PRICE_PLACES, count_to_centi, price_to_micros

PRICES: Final = QUOTE_PRICES
COUNTS: Final = QUOTE_COUNTS
_MAX_BIGINT: Final = 2**63 - 1

_Q = ", ".join(QUOTE_COLUMNS)


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in QUOTE_COLUMNS)


# The stage's quote columns have the stored types; their values were range-checked while
# converting (`kalshi_core.units`), so the stage needs no CHECK of its own.
STAGE: Final = "_snapshot_stage"
# (column, SQL type, struct code of its binary COPY value) of the fixed-width columns; the
# ticker, the one variable-length column, comes last
_FIXED_COLUMNS: Final = (
    ("observed_at", "timestamptz", "q"),  # microseconds since 2000-01-01 UTC
    ("source", "smallint", "h"),
    ("sequence", "bigint", "q"),
    *((c, "integer", "i") if c in PRICES else (c, "bigint", "q") for c in QUOTE_COLUMNS),
)
STAGE_COLUMNS: Final = (*(c for c, _, _ in _FIXED_COLUMNS), "market_ticker")
CREATE_STAGE: Final = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    {", ".join(f"{c} {sql_type} NOT NULL" for c, sql_type, _ in _FIXED_COLUMNS)},
    market_ticker text NOT NULL
) ON COMMIT DELETE ROWS
"""

# The stage is written in PostgreSQL's binary COPY format, encoded here (asyncpg's generic
# encoder costs ~0.6 us per timestamptz value alone): a signature, flags and header extension
# length; per row its field count, then each field as an int4 length and the value big-endian;
# an int2 -1 ends the data. One struct packs a row's fixed part: field count, then each fixed
# column's length and value, then the ticker's length; the ticker's UTF-8 bytes follow.
_COPY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER: Final = b"\xff\xff"
_ROW: Final = struct.Struct(">h" + "".join(f"i{code}" for _, _, code in _FIXED_COLUMNS) + "i")
_PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_CHUNK_ROWS: Final = 2048
"""Rows per COPY data message: the server parses one while the next is encoded."""

# Placeholder rows for tickers seen before their metadata. NOT EXISTS first so the steady
# state burns no identity values; ON CONFLICT covers a concurrent writer.
_INSERT_UNKNOWN_MARKETS = """
INSERT INTO markets (ticker)
SELECT DISTINCT src.market_ticker FROM {source} src
WHERE NOT EXISTS (SELECT 1 FROM markets m WHERE m.ticker = src.market_ticker)
ORDER BY 1
ON CONFLICT (ticker) DO NOTHING
"""

SEEN_LIMIT: Final = 24
"""Observation times kept per market in `market_latest.seen`: how many later observations a late
commit may be overtaken by and still be placed exactly (24 = two minutes of 5 s watchlist ticks,
six of 15 s catalogue ticks; a tick's scan deadline is at most 3 poll intervals). An observation
older than the list is refused (`SaveReport.too_late`) rather than written where it would
rewrite what later observations showed."""


# A market's recent observation times (`market_latest.seen`, ~200 bytes) are read by ctid only
# for the rare rows that need them (an observation not newer than the market's last): carried
# in `s`, they would more than double the width of the rows every step of the tick re-reads.
_SEEN_OF: Final = "(SELECT x.seen FROM market_latest x WHERE x.ctid = {ctid})"


def _aliased(alias: str) -> str:
    return ", ".join(f"{alias}.{c} AS {alias}_{c}" for c in QUOTE_COLUMNS)


_NOW_Q = ", ".join(f"n_{c}" for c in QUOTE_COLUMNS)
_PRED_Q = ", ".join(f"p_{c}" for c in QUOTE_COLUMNS)


def _cover_set(prefix: str | None, tick: str, interval: str) -> str:
    """SET clauses extending a market's open coverage span of one tier (see module docstring)."""
    if prefix is None:
        return ""
    since, until = f"{prefix}_since", f"{prefix}_until"
    return f""",
        {since} = CASE WHEN l.{until} = {tick} THEN l.{since}
                       WHEN l.{until} IS NULL OR l.{until} < {tick} THEN s.observed_at
                       ELSE l.{since} END,
        {until} = CASE WHEN l.{until} IS NULL OR l.{until} <= {tick} THEN {tick} + {interval}
                       ELSE l.{until} END"""


def _write_sql(source: str, prefix: str | None, tick: str = "$1", interval: str = "$2") -> str:
    """The tick statement for batches naming each ticker once (see the module docstring).

    `prefix` is the tier's coverage column prefix (`wl`, `cat`) or None when the write carries no
    coverage; `tick`/`interval` are the SQL expressions of the poll tick and its grid interval.
    """
    k = SEEN_LIMIT
    cover_cols = (
        "" if prefix is None else f", l.{prefix}_since AS l_since, l.{prefix}_until AS l_until"
    )
    spans = (
        ""
        if prefix is None
        else f"""
spans AS (
    -- a span that broke (a missed tick, or the market absent from an ok scan) is closed
    SELECT market_id, l_since AS since, l_until AS until FROM s
    WHERE kind NOT IN ('new', 'too_late') AND l_until < {tick} AND l_until > l_since
    UNION ALL
    -- a tick of this tier committed after a later one: its own span, before the open one
    SELECT market_id, observed_at, {tick} + {interval} FROM s
    WHERE kind NOT IN ('new', 'too_late') AND l_until > {tick}
      AND {tick} + {interval} <= l_since AND {tick} + {interval} > observed_at
),
closed AS (
    INSERT INTO market_coverage (market_id, tier, since, until)
    SELECT market_id, $3, since, until FROM spans ORDER BY market_id
    ON CONFLICT (market_id, tier, since)
        DO UPDATE SET until = greatest(market_coverage.until, EXCLUDED.until)
    RETURNING 1
),"""
    )
    fresh_cols = "" if prefix is None else f", {prefix}_since, {prefix}_until"
    fresh_vals = "" if prefix is None else f", observed_at, {tick} + {interval}"
    cover = _cover_set(prefix, tick, interval)
    return f"""
WITH s AS (
    SELECT m.id AS market_id, src.observed_at, src.source, src.sequence, {_qualified("src")},
           l.observed_at AS l_observed_at, l.changed_at AS l_changed_at, l.ctid AS l_ctid,
           l.seen_from AS l_seen_from {cover_cols},
           CASE WHEN l.market_id IS NULL THEN 'new'
                WHEN src.observed_at > l.observed_at THEN
                    CASE WHEN ROW({_qualified("src")}) IS DISTINCT FROM ROW({_qualified("l")})
                         THEN 'changed' ELSE 'same' END
                WHEN src.observed_at = l.observed_at
                     OR src.observed_at = ANY({_SEEN_OF.format(ctid="l.ctid")}::timestamptz[])
                     THEN 'dup'
                WHEN src.observed_at < l.seen_from THEN 'too_late'
                ELSE 'late' END AS kind
    FROM {source} src
    JOIN markets m ON m.ticker = src.market_ticker
    LEFT JOIN market_latest l ON l.market_id = m.id
),
late AS (
    -- An observation older than the market's last one: compare it with the stored row before
    -- it (p), find the stored row after it (n) and the first observation after it (r_at, from
    -- `seen`), so the history becomes what writing everything in time order would have made.
    SELECT s.*, p.at AS p_at, p.source AS p_source, {_aliased("p")},
           n.at AS n_at, {_aliased("n")},
           (SELECT min(x) FROM unnest(ls.seen) x WHERE x > s.observed_at) AS r_at,
           ARRAY(SELECT x FROM unnest(ls.seen || s.observed_at) x ORDER BY x) AS seen_sorted
    FROM s
    CROSS JOIN LATERAL (SELECT {_SEEN_OF.format(ctid="s.l_ctid")} AS seen) ls
    LEFT JOIN LATERAL (
        SELECT h.observed_at AS at, h.source, {_qualified("h")}
        FROM market_snapshots h
        WHERE h.market_id = s.market_id AND h.observed_at < s.observed_at
        ORDER BY h.observed_at DESC LIMIT 1
    ) p ON true
    LEFT JOIN LATERAL (
        SELECT h.observed_at AS at, {_qualified("h")}
        FROM market_snapshots h
        WHERE h.market_id = s.market_id AND h.observed_at > s.observed_at
        ORDER BY h.observed_at LIMIT 1
    ) n ON true
    WHERE s.kind = 'late'
),
judged AS (
    SELECT late.*,
           differs AND p_at IS NOT NULL AND (n_at IS NULL OR r_at < n_at) AS restores,
           differs AND n_at IS NOT NULL AND r_at = n_at
               AND ROW({_qualified("late")}) IS NOT DISTINCT FROM ROW({_NOW_Q}) AS drops_next
    FROM (SELECT late.*, (p_at IS NULL OR ROW({_qualified("late")}) IS DISTINCT FROM ROW({_PRED_Q}))
                 AS differs
          FROM late) late
),
want AS (
    SELECT market_id, observed_at, sequence, source, {_Q} FROM s
    WHERE kind IN ('new', 'changed')
    UNION ALL
    SELECT market_id, observed_at, sequence, source, {_Q} FROM judged WHERE differs
    UNION ALL
    -- the first observation after the late one showed the earlier quote again: restore it
    -- (its tick is unknown here, so its sequence is its own arrival in epoch milliseconds)
    SELECT market_id, r_at, (extract(epoch FROM r_at) * 1000)::bigint, p_source, {_PRED_Q}
    FROM judged WHERE restores
),
ins AS (
    INSERT INTO market_snapshots (observed_at, sequence, market_id, source, {_Q})
    SELECT observed_at, sequence, market_id, source, {_Q} FROM want
    ORDER BY market_id, observed_at
    RETURNING 1
),
dropped AS (
    -- the stored row after the late one now repeats it: in time order it would not exist
    DELETE FROM market_snapshots h USING judged j
    WHERE j.drops_next AND h.market_id = j.market_id AND h.observed_at = j.n_at
    RETURNING 1
),{spans}
fwd AS (
    UPDATE market_latest l SET
        observed_at = s.observed_at,
        changed_at = CASE WHEN s.kind = 'changed' THEN s.observed_at ELSE l.changed_at END,
        sequence = s.sequence,
        source = s.source,
        {", ".join(f"{c} = s.{c}" for c in QUOTE_COLUMNS)},
        seen = l.seen[greatest(1, cardinality(l.seen) - {k - 2}):] || s.observed_at,
        seen_from = CASE WHEN cardinality(l.seen) >= {k}
                         THEN l.seen[cardinality(l.seen) - {k - 2}] ELSE l.seen_from END{cover}
    FROM s
    -- by ctid: the row s already found, no second index probe (TID scan)
    WHERE l.ctid = s.l_ctid AND l.market_id = s.market_id AND s.kind IN ('changed', 'same')
    RETURNING 1
),
back AS (
    UPDATE market_latest l SET
        changed_at = CASE
            WHEN j.drops_next AND j.n_at = l.changed_at THEN j.observed_at
            WHEN j.differs THEN greatest(l.changed_at, j.observed_at,
                                         CASE WHEN j.restores THEN j.r_at END)
            ELSE l.changed_at END,
        seen = CASE WHEN j.market_id IS NULL THEN l.seen
                    ELSE j.seen_sorted[greatest(1, cardinality(j.seen_sorted) - {k - 1}):] END,
        seen_from = CASE WHEN j.market_id IS NOT NULL AND cardinality(j.seen_sorted) > {k}
                         THEN j.seen_sorted[cardinality(j.seen_sorted) - {k - 1}]
                         ELSE l.seen_from END{cover}
    FROM s LEFT JOIN judged j ON j.market_id = s.market_id
    WHERE l.ctid = s.l_ctid AND l.market_id = s.market_id AND s.kind IN ('late', 'dup')
    RETURNING 1
),
fresh AS (
    INSERT INTO market_latest (market_id, observed_at, changed_at, sequence, source, {_Q},
                               seen{fresh_cols})
    SELECT market_id, observed_at, observed_at, sequence, source, {_Q},
           ARRAY[observed_at]{fresh_vals}
    FROM s WHERE kind = 'new'
    ORDER BY market_id
    ON CONFLICT (market_id) DO NOTHING
    RETURNING 1
)
SELECT c.distinct_keys, c.stored_dups, c.too_late,
       c.wanted + (SELECT count(*) FROM judged WHERE differs) AS wanted,
       (SELECT count(*) FROM ins) AS written,
       (SELECT count(*) FROM judged WHERE restores) AS restored,
       (SELECT count(*) FROM dropped) AS dropped
-- one pass over s for its counts (s is materialized: each scan of it reads every row)
FROM (SELECT count(*) AS distinct_keys,
             count(*) FILTER (WHERE kind = 'dup') AS stored_dups,
             count(*) FILTER (WHERE kind = 'too_late') AS too_late,
             count(*) FILTER (WHERE kind IN ('new', 'changed')) AS wanted
      FROM s) c
"""


_ONE_ROW = (
    "(SELECT 0 AS ord, $1::text AS market_ticker, $2::timestamptz AS observed_at,"
    " $3::smallint AS source, $4::bigint AS sequence, "
    + ", ".join(
        f"${i + 5}::{'integer' if c in PRICES else 'bigint'} AS {c}"
        for i, c in enumerate(QUOTE_COLUMNS)
    )
    + ")"
)
BATCH_INSERT_MARKETS: Final = _INSERT_UNKNOWN_MARKETS.format(source=STAGE)
BATCH_WRITE: Final = _write_sql(STAGE, None)
"""A batch without coverage (no poll, or a poll without a grid interval)."""
BATCH_WRITE_COVERING: Final = {
    prefix: _write_sql(STAGE, prefix, "$1::timestamptz", "$2::interval")
    for prefix in TIER_PREFIXES.values()
}
"""Per tier prefix: a batch that also records its coverage ($1 tick, $2 interval, $3 tier)."""
ROW_INSERT_MARKETS: Final = _INSERT_UNKNOWN_MARKETS.format(source=_ONE_ROW)
ROW_WRITE: Final = _write_sql(_ONE_ROW, None)

WRITER_LOCK: Final = "SELECT pg_advisory_xact_lock(hashtext('kalshi_snapshot_writer'))"
"""Serializes snapshot writers (save_many and save) for the rest of the transaction."""


def validate_snapshots(snapshots: Sequence[MarketSnapshot]) -> None:
    """Full Python validation with a message naming the row, before anything is written (the
    row-by-row path uses it; `save_many` checks the same while converting, see `stage_copy`).

    `MarketSnapshot` validates on construction, but `model_construct` (or a subclass) can bypass
    that, and a naive datetime would silently be read in the server's time zone. Quote values
    must be storable exactly (`kalshi_core.units`).
    """
    for i, s in enumerate(snapshots):
        row_args(i, s)


def row_args(i: int, s: MarketSnapshot) -> tuple[Any, ...]:
    """Snapshot #`i` checked and as bind arguments of `ROW_INSERT_MARKETS` / `ROW_WRITE`:
    (ticker, time, source code, sequence, the quote as stored integers)."""
    if not isinstance(s, MarketSnapshot):
        raise TypeError(f"snapshot #{i} is a {type(s).__name__}, not a MarketSnapshot")
    _check_time(i, s)
    if not s.market_ticker:
        raise ValueError(f"snapshot #{i}: empty market_ticker")
    source = SOURCE_CODES.get(s.source)
    if source is None:
        raise ValueError(f"snapshot #{i} ({s.market_ticker}): unknown source {s.source!r}")
    return (s.market_ticker, s.timestamp, source, _sequence(i, s), *_quote_ints(i, s))


def _sequence(i: int, s: MarketSnapshot) -> int:
    seq = s.sequence
    if type(seq) is not int or not 0 <= seq <= _MAX_BIGINT:
        raise ValueError(
            f"snapshot #{i} ({s.market_ticker}): sequence={seq!r} must be an int in [0, 2**63)"
        )
    return seq


def _quote_ints(i: int, s: MarketSnapshot) -> tuple[int, ...]:
    """The quote of snapshot #`i` as stored integers (QUOTE_COLUMNS order), or a ValueError
    naming the snapshot and the field."""
    d = s.__dict__
    try:
        return (
            price_to_micros(d["yes_bid"]),
            price_to_micros(d["yes_ask"]),
            price_to_micros(d["last_price"]),
            count_to_centi(d["yes_bid_size"]),
            count_to_centi(d["yes_ask_size"]),
            count_to_centi(d["volume"]),
            count_to_centi(d["volume_24h"]),
            count_to_centi(d["open_interest"]),
        )
    except (ValueError, KeyError):
        raise ValueError(_quote_message(i, s)) from None


def _quote_message(i: int, s: MarketSnapshot) -> str:
    """Why snapshot #`i`'s quote cannot be stored, naming the first bad field."""
    for name in QUOTE_COLUMNS:
        v = getattr(s, name, None)
        convert = price_to_micros if name in PRICES else count_to_centi
        try:
            convert(v)  # type: ignore[arg-type]
        except ValueError:
            pass
        else:
            continue
        if not isinstance(v, Decimal):
            return f"snapshot #{i} ({s.market_ticker}): {name}={v!r} must be a Decimal"
        if not v.is_finite() or v < 0 or (name in PRICES and v > 1):
            return _range_message(i, s, name)
        if name in PRICES:
            return (
                f"snapshot #{i} ({s.market_ticker}): {name}={v!r} cannot be stored exactly; "
                f"prices are stored in micro-dollars (at most {PRICE_PLACES} decimal places)"
            )
        return (
            f"snapshot #{i} ({s.market_ticker}): {name}={v!r} cannot be stored exactly; counts "
            f"are stored in centi-contracts (at most {COUNT_PLACES} decimal places, "
            "up to 92233720368547758.07)"
        )
    raise AssertionError(f"snapshot #{i}: no bad quote field")  # pragma: no cover


def _check_time(i: int, s: MarketSnapshot) -> None:
    ts = s.timestamp
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(
            f"snapshot #{i} ({s.market_ticker}): naive datetime {ts!r} rejected; "
            "timestamps must be timezone-aware"
        )


def distinct_timestamps(snapshots: Sequence[MarketSnapshot]) -> set[datetime]:
    """The batch's distinct observation times (usually one); rejects a naive one by name."""
    stamps = {s.timestamp for s in snapshots}
    for ts in stamps:
        if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
            i = next(i for i, s in enumerate(snapshots) if s.timestamp is ts)
            _check_time(i, snapshots[i])
    return stamps


def _range_message(i: int, s: MarketSnapshot, name: str) -> str:
    v = getattr(s, name)
    if name in PRICES:
        return (
            f"snapshot #{i} ({s.market_ticker}): {name}={v!r} out of range; "
            "prices are dollars in [0, 1]"
        )
    return f"snapshot #{i} ({s.market_ticker}): {name}={v!r} must be a finite Decimal >= 0"


def stage_copy(snapshots: Sequence[MarketSnapshot], indices: Sequence[int]) -> Iterator[bytes]:
    """The batch as binary COPY data for the stage (`STAGE_COLUMNS`), in chunks, checking types,
    time zones, tickers, sources, sequences and that every quote value can be stored exactly (a
    ValueError names the row; raised while the COPY streams, it aborts the COPY).

    `indices` gives each snapshot's index in the whole batch (the row named in errors).
    """
    micros = price_to_micros
    centi = count_to_centi
    pack = _ROW.pack
    nfields = len(STAGE_COLUMNS)
    stamps: dict[datetime, int] = {}  # a tick's rows share one time: converted once
    codes = SOURCE_CODES
    out: list[bytes] = [_COPY_HEADER]
    add = out.append
    for n, (i, s) in enumerate(zip(indices, snapshots, strict=True), 1):
        if type(s) is not MarketSnapshot and not isinstance(s, MarketSnapshot):
            raise TypeError(f"snapshot #{i} is a {type(s).__name__}, not a MarketSnapshot")
        d = s.__dict__
        ts = d["timestamp"]
        at = stamps.get(ts)
        if at is None:
            _check_time(i, s)
            at = stamps[ts] = (ts - _PG_EPOCH) // _MICROSECOND
        ticker = d["market_ticker"]
        if type(ticker) is not str or not ticker:
            _check_ticker(i, ticker)
        try:
            name = ticker.encode()
        except UnicodeEncodeError:
            raise ValueError(f"snapshot #{i}: market_ticker {ticker!r} is not valid text") from None
        source = codes.get(d["source"])
        if source is None:
            raise ValueError(f"snapshot #{i} ({ticker}): unknown source {d['source']!r}")
        seq = d["sequence"]
        if type(seq) is not int or not 0 <= seq <= _MAX_BIGINT:
            _sequence(i, s)
        try:
            # fmt: off
            add(pack(
                nfields,  # then each column's length and value, in `_FIXED_COLUMNS` order
                8, at,
                2, source,
                8, seq,
                4, micros(d["yes_bid"]),
                4, micros(d["yes_ask"]),
                4, micros(d["last_price"]),
                8, centi(d["yes_bid_size"]),
                8, centi(d["yes_ask_size"]),
                8, centi(d["volume"]),
                8, centi(d["volume_24h"]),
                8, centi(d["open_interest"]),
                len(name),  # the ticker's bytes follow
            ))
            # fmt: on
        except (ValueError, KeyError):
            raise ValueError(_quote_message(i, s)) from None
        add(name)
        if n % _CHUNK_ROWS == 0:
            yield b"".join(out)
            out.clear()
    add(_COPY_TRAILER)
    yield b"".join(out)


def _check_ticker(i: int, ticker: object) -> None:
    if not isinstance(ticker, str):
        raise ValueError(f"snapshot #{i}: market_ticker {ticker!r} must be a str")
    if not ticker:
        raise ValueError(f"snapshot #{i}: empty market_ticker")


async def _chunks(data: Iterator[bytes]) -> AsyncIterator[bytes]:
    # asyncpg streams an async iterable's chunks as COPY data messages
    for chunk in data:
        yield chunk


def _report(received: int, rows: Sequence[asyncpg.Record]) -> SaveReport:
    distinct = sum(int(r["distinct_keys"]) for r in rows)
    stored_dups = sum(int(r["stored_dups"]) for r in rows)
    too_late = sum(int(r["too_late"]) for r in rows)
    wanted = sum(int(r["wanted"]) for r in rows)
    return SaveReport(
        received=received,
        written=sum(int(r["written"]) for r in rows),
        unchanged=distinct - stored_dups - too_late - wanted,
        duplicates=(received - distinct) + stored_dups,
        too_late=too_late,
        restored=sum(int(r["restored"]) for r in rows),
        dropped=sum(int(r["dropped"]) for r in rows),
    )


async def prepare_stage(conn: asyncpg.Connection) -> None:
    """Create the connection's staging table (outside a transaction: it then lives as long as
    the connection, and ON COMMIT DELETE ROWS empties it after every tick)."""
    await conn.execute(CREATE_STAGE)


def rounds(snapshots: Sequence[MarketSnapshot]) -> list[list[int]]:
    """Batch positions split so each round names a ticker at most once, a ticker's rows in time
    order across rounds (usually one round: a tick names each market once)."""
    if len({s.market_ticker for s in snapshots}) == len(snapshots):
        return [list(range(len(snapshots)))]
    # time order per ticker; of two rows with the same time the one given last wins (it goes
    # first, the other is then a duplicate)
    order = sorted(range(len(snapshots)), key=lambda i: (snapshots[i].timestamp, -i))
    per_round: list[list[int]] = []
    depth: dict[str, int] = {}
    for i in order:
        ticker = snapshots[i].market_ticker
        r = depth.get(ticker, 0)
        depth[ticker] = r + 1
        if r == len(per_round):
            per_round.append([])
        per_round[r].append(i)
    return per_round


@dataclass(frozen=True, slots=True)
class Coverage:
    """The tick a batch belongs to: its tier, scheduled time and grid interval."""

    tier: str
    tick: datetime
    interval: timedelta


async def write_tick(
    conn: asyncpg.Connection,
    snapshots: Sequence[MarketSnapshot],
    coverage: Coverage | None = None,
) -> SaveReport:
    """Steps 1-4 of the module docstring, inside the caller's transaction."""
    plan = rounds(snapshots)
    if coverage is not None:
        prefix = TIER_PREFIXES.get(coverage.tier)
        if prefix is None:
            raise ValueError(f"unknown tier {coverage.tier!r} (one of {sorted(TIER_PREFIXES)})")
        statement = BATCH_WRITE_COVERING[prefix]
        args: tuple[object, ...] = (coverage.tick, coverage.interval, coverage.tier)
    else:
        statement, args = BATCH_WRITE, ()
    results: list[asyncpg.Record] = []
    for n, positions in enumerate(plan):
        batch = [snapshots[i] for i in positions]
        if n:
            await conn.execute(f"DELETE FROM {STAGE}")
        try:
            await conn.copy_to_table(
                STAGE,
                source=_chunks(stage_copy(batch, positions)),
                columns=STAGE_COLUMNS,
                format="binary",
            )
        except asyncpg.DataError as exc:
            # what the conversion cannot catch, e.g. a NUL byte in a ticker (text cannot hold it)
            raise ValueError(f"snapshot batch rejected: {exc}") from exc
        if n == 0:
            # One snapshot writer at a time per database (ingestion is a singleton by design):
            # two writers queue instead of racing, and the statement needs neither ON CONFLICT
            # nor a lock order. Taken after the COPY, which only touches the private stage.
            await conn.execute(WRITER_LOCK)
        await conn.execute(BATCH_INSERT_MARKETS)
        row = await conn.fetchrow(statement, *args)
        if row is None:  # pragma: no cover - the statement always returns one row
            raise RuntimeError("snapshot write returned no row")
        results.append(row)
    return _report(len(snapshots), results)

"""The snapshot write path (`MarketRepository.save_many` / `save`): encoding, checks and SQL.

One tick is written by `write_tick` inside the caller's transaction:
1. the snapshots are encoded in Python as COPY text (str() of a Decimal is exact and several
   times cheaper than asyncpg's binary NUMERIC encoder), streamed in chunks so the server parses
   one chunk while Python encodes the next, into a per-connection temp staging table whose CHECK
   constraints reject out-of-range prices/counts (NaN, infinity, < 0, > 1) for the whole batch
   at C speed; a violation becomes a ValueError that names the snapshot;
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

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import asyncpg

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.repositories import SaveReport
from kalshi_core.storage.tables import QUOTE_COLUMNS, SOURCE_CODES, TIER_PREFIXES

_ZERO = Decimal(0)
_ONE = Decimal(1)
PRICES: Final = ("yes_bid", "yes_ask", "last_price")
COUNTS: Final = ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")

_Q = ", ".join(QUOTE_COLUMNS)


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in QUOTE_COLUMNS)


STAGE: Final = "_snapshot_stage"
STAGE_COLUMNS: Final = ("ord", "market_ticker", "observed_at", "source", "sequence", *QUOTE_COLUMNS)
_STAGE_CHECKS = ",\n    ".join(
    [f"CONSTRAINT {p}_range CHECK ({p} >= 0 AND {p} <= 1)" for p in PRICES]
    + [f"CONSTRAINT {c}_range CHECK ({c} >= 0 AND {c} < 'Infinity')" for c in COUNTS]
)
CREATE_STAGE: Final = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    ord integer NOT NULL,
    market_ticker text NOT NULL,
    observed_at timestamptz NOT NULL,
    source smallint NOT NULL,
    sequence bigint NOT NULL,
    {", ".join(f"{c} numeric NOT NULL" for c in QUOTE_COLUMNS)},
    {_STAGE_CHECKS}
) ON COMMIT DELETE ROWS
"""

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
           l.seen AS l_seen, l.seen_from AS l_seen_from {cover_cols},
           CASE WHEN l.market_id IS NULL THEN 'new'
                WHEN src.observed_at > l.observed_at THEN
                    CASE WHEN ROW({_qualified("src")}) IS DISTINCT FROM ROW({_qualified("l")})
                         THEN 'changed' ELSE 'same' END
                WHEN src.observed_at = l.observed_at OR src.observed_at = ANY(l.seen) THEN 'dup'
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
           (SELECT min(x) FROM unnest(s.l_seen) x WHERE x > s.observed_at) AS r_at,
           ARRAY(SELECT x FROM unnest(s.l_seen || s.observed_at) x ORDER BY x) AS seen_sorted
    FROM s
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
SELECT (SELECT count(*) FROM s) AS distinct_keys,
       (SELECT count(*) FROM s WHERE kind = 'dup') AS stored_dups,
       (SELECT count(*) FROM s WHERE kind = 'too_late') AS too_late,
       (SELECT count(*) FROM s WHERE kind IN ('new', 'changed'))
           + (SELECT count(*) FROM judged WHERE differs) AS wanted,
       (SELECT count(*) FROM ins) AS written,
       (SELECT count(*) FROM judged WHERE restores) AS restored,
       (SELECT count(*) FROM dropped) AS dropped
"""


_ONE_ROW = (
    "(SELECT 0 AS ord, $1::text AS market_ticker, $2::timestamptz AS observed_at,"
    " $3::smallint AS source, $4::bigint AS sequence, "
    + ", ".join(f"${i + 5}::numeric AS {c}" for i, c in enumerate(QUOTE_COLUMNS))
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

_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def validate_snapshots(snapshots: Sequence[MarketSnapshot]) -> None:
    """Full Python validation with a message naming the row (the row-by-row path uses it;
    `save_many` checks ranges in the staging table instead, at C speed).

    `MarketSnapshot` validates on construction, but `model_construct` (or a subclass) can bypass
    that, and a naive datetime would silently be read in the server's time zone.
    """
    for i, s in enumerate(snapshots):
        if not isinstance(s, MarketSnapshot):
            raise TypeError(f"snapshot #{i} is a {type(s).__name__}, not a MarketSnapshot")
        _check_time(i, s)
        for name in PRICES:
            v = getattr(s, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v < _ZERO or v > _ONE:
                raise ValueError(_range_message(i, s, name))
        for name in COUNTS:
            v = getattr(s, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v < _ZERO:
                raise ValueError(_range_message(i, s, name))
        if s.source not in SOURCE_CODES:
            raise ValueError(f"snapshot #{i} ({s.market_ticker}): unknown source {s.source!r}")
        if not s.market_ticker:
            raise ValueError(f"snapshot #{i}: empty market_ticker")


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


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def encode_stage(
    snapshots: Sequence[MarketSnapshot], start: int = 0, indices: Sequence[int] | None = None
) -> bytes:
    """The batch as COPY text rows for the staging table (checks types, time zones, sources).

    Ranges are not checked here: the staging table's constraints do that for the whole batch.
    `start` is the index of `snapshots[0]` in the whole batch (the `ord` column), or `indices`
    gives each row's index in the whole batch.
    """
    iso_of: dict[datetime, str] = {}
    lines: list[str] = []
    append = lines.append
    codes = SOURCE_CODES
    positions = indices if indices is not None else range(start, start + len(snapshots))
    for i, s in zip(positions, snapshots, strict=True):
        if type(s) is not MarketSnapshot and not isinstance(s, MarketSnapshot):
            raise TypeError(f"snapshot #{i} is a {type(s).__name__}, not a MarketSnapshot")
        d = s.__dict__
        ts = d["timestamp"]
        iso = iso_of.get(ts)
        if iso is None:
            _check_time(i, s)
            iso = ts.isoformat()
            iso_of[ts] = iso
        ticker = d["market_ticker"]
        if not ticker:
            raise ValueError(f"snapshot #{i}: empty market_ticker")
        source = codes.get(d["source"])
        if source is None:
            raise ValueError(f"snapshot #{i} ({ticker}): unknown source {d['source']!r}")
        values = [d[c] for c in QUOTE_COLUMNS]
        for name, v in zip(QUOTE_COLUMNS, values, strict=True):
            if type(v) is not Decimal:
                raise ValueError(f"snapshot #{i} ({ticker}): {name}={v!r} must be a Decimal")
        append(
            f"{i}\t{ticker}\t{iso}\t{source}\t{int(d['sequence'])}\t" + "\t".join(map(str, values))
        )
    text = "\n".join(lines) + "\n"
    if _COPY_SPECIAL.search("".join(s.market_ticker for s in snapshots)):
        # Rare: a ticker with a backslash or a control character; escape it for COPY text.
        text = "".join(
            "\t".join(_escape(f) if k == 1 else f for k, f in enumerate(line.split("\t"))) + "\n"
            for line in lines
        )
    return text.encode()


def _violation_to_value_error(
    exc: asyncpg.PostgresError, snapshots: Sequence[MarketSnapshot]
) -> ValueError:
    """Name the snapshot a staging-table CHECK (or NUMERIC parse) rejected."""
    detail = getattr(exc, "detail", None) or ""
    constraint = getattr(exc, "constraint_name", None) or ""
    field = constraint.removesuffix("_range")
    m = re.match(r"Failing row contains \((\d+),", detail)
    if m and field in QUOTE_COLUMNS:
        i = int(m.group(1))
        if 0 <= i < len(snapshots):
            return ValueError(_range_message(i, snapshots[i], field))
    return ValueError(f"snapshot batch rejected: {exc} {detail}".strip())


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


COPY_CHUNK: Final = 2000
"""Rows per COPY message: the server parses one chunk while Python encodes the next."""


async def _stage_chunks(
    snapshots: Sequence[MarketSnapshot], indices: Sequence[int]
) -> AsyncIterator[bytes]:
    for start in range(0, len(snapshots), COPY_CHUNK):
        yield encode_stage(
            snapshots[start : start + COPY_CHUNK], start, indices[start : start + COPY_CHUNK]
        )


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
                source=_stage_chunks(batch, positions),
                columns=STAGE_COLUMNS,
                format="text",
            )
        except (asyncpg.CheckViolationError, asyncpg.DataError) as exc:
            raise _violation_to_value_error(exc, snapshots) from exc
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

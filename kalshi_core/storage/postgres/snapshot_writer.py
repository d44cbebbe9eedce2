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

Two variants of that statement: the common tick (each ticker once) compares every row with
`market_latest` directly; a batch that repeats a ticker (a websocket burst, a replay) orders the
rows per market and compares each with the one before it. A late row (at or before the
market's last change) is compared with the stored row before it in time; one that equals an
already stored (market, observed_at) key is a duplicate, so a re-written tick changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

import asyncpg

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.repositories import SaveReport
from kalshi_core.storage.tables import QUOTE_COLUMNS, SOURCE_CODES

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

_P = ", ".join(f"p_{c}" for c in QUOTE_COLUMNS)

_UPSERT_LATEST_SET = f"""
ON CONFLICT (market_id) DO UPDATE SET
    observed_at = EXCLUDED.observed_at,
    changed_at = GREATEST(market_latest.changed_at, EXCLUDED.changed_at),
    sequence = EXCLUDED.sequence,
    source = EXCLUDED.source,
    {", ".join(f"{c} = EXCLUDED.{c}" for c in QUOTE_COLUMNS)}
WHERE EXCLUDED.observed_at > market_latest.observed_at
"""

# Each ticker at most once in the batch: compare with market_latest directly. Runs under the
# writer lock (see write_tick), so plain INSERT/UPDATE suffice: no speculative insertion.
_WRITE_UNIQUE = f"""
WITH s AS (
    SELECT m.id AS market_id, src.observed_at, src.source, src.sequence, {_qualified("src")},
           l.observed_at AS l_observed_at, l.ctid AS l_ctid,
           CASE WHEN l.market_id IS NULL THEN 'new'
                WHEN src.observed_at <= l.changed_at THEN 'late'
                WHEN ROW({_qualified("src")}) IS DISTINCT FROM ROW({_qualified("l")})
                    THEN 'changed'
                ELSE 'same' END AS kind
    FROM {{source}} src
    JOIN markets m ON m.ticker = src.market_ticker
    LEFT JOIN market_latest l ON l.market_id = m.id
),
late AS (
    SELECT s.*, p.at AS stored_at,
           (p.at IS NULL OR ROW({_qualified("s")}) IS DISTINCT FROM ROW({_P})) AS differs
    FROM s LEFT JOIN LATERAL (
        SELECT h.observed_at AS at, {", ".join(f"h.{c} AS p_{c}" for c in QUOTE_COLUMNS)}
        FROM market_snapshots h
        WHERE h.market_id = s.market_id AND h.observed_at <= s.observed_at
        ORDER BY h.observed_at DESC LIMIT 1
    ) p ON true
    WHERE s.kind = 'late'
),
want AS (
    SELECT market_id, observed_at, sequence, source, {_Q} FROM s
    WHERE kind IN ('new', 'changed')
    UNION ALL
    SELECT market_id, observed_at, sequence, source, {_Q} FROM late
    WHERE stored_at IS DISTINCT FROM observed_at AND differs
),
ins AS (
    INSERT INTO market_snapshots (observed_at, sequence, market_id, source, {_Q})
    SELECT observed_at, sequence, market_id, source, {_Q} FROM want
    ORDER BY market_id, observed_at
    RETURNING 1
),
up AS (
    UPDATE market_latest l SET
        observed_at = s.observed_at,
        changed_at = CASE WHEN s.kind = 'changed' THEN s.observed_at ELSE l.changed_at END,
        sequence = s.sequence,
        source = s.source,
        {", ".join(f"{c} = s.{c}" for c in QUOTE_COLUMNS)}
    FROM s
    -- by ctid: the row s already found, no second index probe (TID scan)
    WHERE l.ctid = s.l_ctid AND l.market_id = s.market_id AND s.kind IN ('changed', 'same')
      AND s.observed_at > s.l_observed_at
    RETURNING 1
),
fresh AS (
    INSERT INTO market_latest (market_id, observed_at, changed_at, sequence, source, {_Q})
    SELECT market_id, observed_at, observed_at, sequence, source, {_Q}
    FROM s WHERE kind = 'new'
    ORDER BY market_id
    ON CONFLICT (market_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM s) AS received,
       (SELECT count(*) FROM s) AS distinct_keys,
       (SELECT count(*) FROM late WHERE stored_at = observed_at) AS stored_dups,
       (SELECT count(*) FROM want) AS wanted,
       (SELECT count(*) FROM ins) AS written,
       (SELECT count(*) FROM up) + (SELECT count(*) FROM fresh) AS latest_upserted
"""

# A ticker may repeat: order each market's rows and compare each with the one before it.
_WRITE_GENERAL = f"""
WITH staged AS (
    SELECT DISTINCT ON (m.id, src.observed_at)
           m.id AS market_id, src.observed_at, src.source, src.sequence, {_qualified("src")}
    FROM {{source}} src JOIN markets m ON m.ticker = src.market_ticker
    ORDER BY m.id, src.observed_at, src.ord DESC
),
ordered AS (
    SELECT s.*, ROW({_qualified("s")}) AS q,
           lag(s.observed_at) OVER w AS prev_at,
           lag(ROW({_qualified("s")})) OVER w AS prev_q
    FROM staged s
    WINDOW w AS (PARTITION BY s.market_id ORDER BY s.observed_at)
),
judged AS (
    SELECT o.*, sp.at AS stored_at, (l.market_id IS NOT NULL) AS has_latest,
           CASE WHEN o.prev_at IS NOT NULL AND (sp.at IS NULL OR o.prev_at > sp.at)
                THEN o.prev_q ELSE sp.q END AS pred_q
    FROM ordered o
    LEFT JOIN market_latest l ON l.market_id = o.market_id
    LEFT JOIN LATERAL (
        -- the stored predecessor: the latest quote for anything newer than the last change,
        -- else (a late or repeated row) the newest stored row at or before it
        SELECT l.changed_at AS at, ROW({_qualified("l")}) AS q
        WHERE o.observed_at > l.changed_at
        UNION ALL
        (SELECT h.observed_at, ROW({_qualified("h")})
         FROM market_snapshots h
         WHERE (l.market_id IS NULL OR o.observed_at <= l.changed_at)
           AND h.market_id = o.market_id AND h.observed_at <= o.observed_at
         ORDER BY h.observed_at DESC LIMIT 1)
    ) sp ON true
),
want AS (
    SELECT * FROM judged
    WHERE stored_at IS DISTINCT FROM observed_at
      AND (pred_q IS NULL OR q IS DISTINCT FROM pred_q)
),
ins AS (
    INSERT INTO market_snapshots (observed_at, sequence, market_id, source, {_Q})
    SELECT observed_at, sequence, market_id, source, {_Q} FROM want
    ORDER BY market_id, observed_at
    ON CONFLICT (market_id, observed_at) DO NOTHING
    RETURNING 1
),
last_obs AS (
    SELECT DISTINCT ON (market_id) * FROM judged ORDER BY market_id, observed_at DESC
),
changed AS (
    SELECT market_id, max(observed_at) AS changed_at FROM want GROUP BY market_id
),
up AS (
    INSERT INTO market_latest (market_id, observed_at, changed_at, sequence, source, {_Q})
    SELECT lo.market_id, lo.observed_at,
           COALESCE(c.changed_at,
                    CASE WHEN lo.has_latest THEN '-infinity'::timestamptz ELSE lo.observed_at END),
           lo.sequence, lo.source, {_qualified("lo")}
    FROM last_obs lo LEFT JOIN changed c ON c.market_id = lo.market_id
    ORDER BY lo.market_id
    {_UPSERT_LATEST_SET}
    RETURNING 1
)
SELECT (SELECT count(*) FROM {{source}} rcv) AS received,
       (SELECT count(*) FROM staged) AS distinct_keys,
       (SELECT count(*) FROM judged WHERE stored_at = observed_at) AS stored_dups,
       (SELECT count(*) FROM want) AS wanted,
       (SELECT count(*) FROM ins) AS written,
       (SELECT count(*) FROM up) AS latest_upserted
"""

_ONE_ROW = (
    "(SELECT 0 AS ord, $1::text AS market_ticker, $2::timestamptz AS observed_at,"
    " $3::smallint AS source, $4::bigint AS sequence, "
    + ", ".join(f"${i + 5}::numeric AS {c}" for i, c in enumerate(QUOTE_COLUMNS))
    + ")"
)
BATCH_INSERT_MARKETS: Final = _INSERT_UNKNOWN_MARKETS.format(source=STAGE)
BATCH_WRITE_UNIQUE: Final = _WRITE_UNIQUE.format(source=STAGE)
BATCH_WRITE_GENERAL: Final = _WRITE_GENERAL.format(source=STAGE)
ROW_INSERT_MARKETS: Final = _INSERT_UNKNOWN_MARKETS.format(source=_ONE_ROW)
ROW_WRITE: Final = _WRITE_UNIQUE.format(source=_ONE_ROW)

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


def encode_stage(snapshots: Sequence[MarketSnapshot], start: int = 0) -> bytes:
    """The batch as COPY text rows for the staging table (checks types, time zones, sources).

    Ranges are not checked here: the staging table's constraints do that for the whole batch.
    `start` is the index of `snapshots[0]` in the whole batch (the `ord` column).
    """
    iso_of: dict[datetime, str] = {}
    lines: list[str] = []
    append = lines.append
    codes = SOURCE_CODES
    for i, s in enumerate(snapshots, start):
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


def _report(row: asyncpg.Record) -> SaveReport:
    received = int(row["received"])
    distinct = int(row["distinct_keys"])
    stored_dups = int(row["stored_dups"])
    wanted = int(row["wanted"])
    written = int(row["written"])
    # Rows another writer stored first (ON CONFLICT skipped them) count as duplicates too.
    return SaveReport(
        received=received,
        written=written,
        unchanged=distinct - stored_dups - wanted,
        duplicates=(received - distinct) + stored_dups + (wanted - written),
    )


async def prepare_stage(conn: asyncpg.Connection) -> None:
    """Create the connection's staging table (outside a transaction: it then lives as long as
    the connection, and ON COMMIT DELETE ROWS empties it after every tick)."""
    await conn.execute(CREATE_STAGE)


COPY_CHUNK: Final = 2000
"""Rows per COPY message: the server parses one chunk while Python encodes the next."""


async def _stage_chunks(snapshots: Sequence[MarketSnapshot]) -> AsyncIterator[bytes]:
    for start in range(0, len(snapshots), COPY_CHUNK):
        yield encode_stage(snapshots[start : start + COPY_CHUNK], start)


async def write_tick(conn: asyncpg.Connection, snapshots: Sequence[MarketSnapshot]) -> SaveReport:
    """Steps 1-3 of the module docstring, inside the caller's transaction."""
    try:
        await conn.copy_to_table(
            STAGE, source=_stage_chunks(snapshots), columns=STAGE_COLUMNS, format="text"
        )
    except (asyncpg.CheckViolationError, asyncpg.DataError) as exc:
        raise _violation_to_value_error(exc, snapshots) from exc
    # One snapshot writer at a time per database (ingestion is a singleton by design): two
    # writers of the same tick queue instead of racing, and the hot statement needs neither
    # ON CONFLICT nor a lock order. Taken after the COPY, which only touches the private stage.
    await conn.execute(WRITER_LOCK)
    await conn.execute(BATCH_INSERT_MARKETS)
    unique = len({s.market_ticker for s in snapshots}) == len(snapshots)
    row = await conn.fetchrow(BATCH_WRITE_UNIQUE if unique else BATCH_WRITE_GENERAL)
    if row is None:  # pragma: no cover - the statement always returns one row
        raise RuntimeError("snapshot write returned no row")
    return _report(row)

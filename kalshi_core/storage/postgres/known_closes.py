"""Record from when the close of a market written after the fact was known (`kalshi_core.closes`)
in `market_close_times`, with one statement on a given connection.

Used by `PostgresHistoryRepository.record_known_closes` (the history backfill) and by a dump
import's staging session (inside its transaction, so a refused import adds nothing).

A row is added only where it adds knowledge the history lacks, never against it:
- the market is stored with the same close the source gave (a dump row the markets repository
  did not apply, being older than the stored metadata, says nothing about the stored close);
- no row of its history is at or before the claimed `known_from` (we observed it then already,
  or its close is of unknown age, migration 0005's -infinity), and none holds another close
  (a close seen to change was not fixed from the open);
- `known_from` is not in the future (a market still open is not known to close "at its
  close" yet).
Rows are only ever added before every existing row, so the newest row still matches
`markets.close_time` (the invariant of migration 0005's trigger), and adding them again adds
nothing: the import and the backfill stay idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import asyncpg

from kalshi_core.closes import ClosesRecorded, KnownClose

_RECORD: Final = """
    WITH k AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
            AS k(ticker, close_time, known_from)
    ), added AS (
        INSERT INTO market_close_times (market_id, known_from, close_time)
        SELECT m.id, k.known_from, m.close_time
        FROM k JOIN markets m ON m.ticker = k.ticker AND m.close_time = k.close_time
        WHERE k.known_from <= now()
          AND NOT EXISTS (
              SELECT 1 FROM market_close_times h
              WHERE h.market_id = m.id
                AND (h.known_from <= k.known_from OR h.close_time IS DISTINCT FROM m.close_time))
        ON CONFLICT (market_id, known_from) DO NOTHING
        RETURNING known_from, close_time
    )
    SELECT count(*) FILTER (WHERE known_from < close_time) AS from_open,
           count(*) FILTER (WHERE known_from = close_time) AS at_close
    FROM added"""


async def record_known_closes(
    conn: asyncpg.Connection, closes: Sequence[KnownClose], *, command_timeout: float | None = None
) -> ClosesRecorded:
    """Add the rows the guards above allow; a ticker given twice counts its last entry."""
    if any(c.known_from > c.close_time for c in closes):
        bad = next(c for c in closes if c.known_from > c.close_time)
        raise ValueError(f"{bad.ticker}: known_from {bad.known_from} is after its close")
    last = {c.ticker: c for c in closes}
    if not last:
        return ClosesRecorded()
    rows = list(last.values())
    row = await conn.fetchrow(
        _RECORD,
        [c.ticker for c in rows],
        [c.close_time for c in rows],
        [c.known_from for c in rows],
        timeout=command_timeout,
    )
    assert row is not None
    return ClosesRecorded(row["from_open"], row["at_close"])

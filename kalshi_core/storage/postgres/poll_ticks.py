"""Tick-by-tick rows of `ingest_polls` for telling "not running" from "failing".

`PostgresIngestPollRepository.coverage` counts ticks; judging why a tick was lost needs more of
each row: which run wrote it and whether it is a backlog mark. The poller writes three kinds of
non-ok rows (kalshi_pipeline.lib.poller): `error` (a running poller attempted the tick and
failed), `missed` "tick passed before it could start" (a run reached the tick too late), and
`missed` "no run polled this tick", written by a run when it starts for every grid tick since the
tier's last recorded one (`_record_backlog`): the hours the workbench was stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

BACKLOG_ERROR: Final = "no run polled this tick"
"""The `error` of the `missed` rows a starting run writes for the ticks nobody polled
(kalshi_pipeline.lib.poller._record_backlog; tests/api/test_ingestion_health.py keeps the two
in step)."""

_TICKS: Final = """
SELECT tick, status, run_id, (status = 'missed' AND error IS NOT DISTINCT FROM $4) AS backlog
FROM ingest_polls
WHERE tier = $1 AND tick >= $2 AND tick < $3
ORDER BY tick
"""


@dataclass(frozen=True, slots=True)
class PollTickRow:
    """One recorded tick: its status, the run that wrote it, and whether it is a backlog mark."""

    tick: datetime
    status: str  # ok | missed | error
    run_id: str | None
    backlog: bool


class PostgresPollTickReader:
    """Reads `ingest_polls` row by row (read-only; the API's pool may be read-only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ticks(self, tier: str, start: datetime, end: datetime) -> list[PollTickRow]:
        """Rows of `tier` with `start <= tick < end`, oldest first."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_TICKS, tier, start, end, BACKLOG_ERROR)
        return [PollTickRow(r["tick"], r["status"], r["run_id"], r["backlog"]) for r in rows]

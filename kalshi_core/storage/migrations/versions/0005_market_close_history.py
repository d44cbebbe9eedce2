"""`market_close_times`: each market's close_time as it was known over time.

`markets` is upserted in place, so before this table a backtest could only see a market's latest
close_time. A market that closed early (or whose close was moved) then told a close-relative
signal the future. A row here says "from `known_from` on, the stored metadata gave `close_time`"
(NULL: no close given). The close known at time t is the row with the greatest
`known_from <= t`.

Rows are written by row triggers on `markets`, so every writer is caught: metadata upserts,
backfills and hand-written SQL alike. A row is added when a market is inserted with a close_time
and when an update changes it. An upsert that leaves close_time as it is adds nothing, and
neither do placeholder rows (a ticker without metadata, close_time NULL).
`known_from` is the metadata's `updated_at` (Kalshi's update time, when the new close became
public), or now() when the writer gives none. It is never earlier than the market's newest
history row, so the newest row always matches `markets.close_time`. An older `updated_at` after
a now()-stamped row would otherwise put the current close behind a stale one. Two changes with
the same stamp keep the later write.

Backfill: each existing market with a close_time gets one row with `known_from = -infinity`.
We do not know when the stored close became known. `created_at` is only when our row was
inserted, and the close it holds now may have been written by any later upsert, because nothing
kept the earlier values. So stamping it with `created_at` would look like an observation time
and still be a look-ahead for a close that moved later. It would also blank the close for bars
before `created_at`, although history backfilled from candles and trades reaches back past
that time. `-infinity` claims only what we know (the value, not when it became known) and
keeps the pre-migration behaviour for those markets. The look-ahead that remains for them is
marked in the data: a `known_from` of -infinity means "time unknown", and no observed change
ever gets that value. Changes made after this migration carry real times.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE market_close_times (
            market_id int4 NOT NULL REFERENCES markets(id) ON DELETE CASCADE,
            known_from timestamptz NOT NULL,
            close_time timestamptz,
            CONSTRAINT market_close_times_pkey PRIMARY KEY (market_id, known_from)
        )
        """
    )
    op.execute(
        """
        INSERT INTO market_close_times (market_id, known_from, close_time)
        SELECT id, '-infinity'::timestamptz, close_time FROM markets
        WHERE close_time IS NOT NULL
        """
    )
    op.execute(
        """
        CREATE FUNCTION kalshi_record_close_time() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- greatest() skips NULLs: the market's first row gets the metadata time as is
            INSERT INTO market_close_times (market_id, known_from, close_time)
            VALUES (
                NEW.id,
                greatest(
                    coalesce(NEW.updated_at, now()),
                    (SELECT max(h.known_from) FROM market_close_times h
                     WHERE h.market_id = NEW.id)
                ),
                NEW.close_time
            )
            ON CONFLICT (market_id, known_from) DO UPDATE SET close_time = EXCLUDED.close_time;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER markets_close_time_inserted AFTER INSERT ON markets "
        "FOR EACH ROW WHEN (NEW.close_time IS NOT NULL) "
        "EXECUTE FUNCTION kalshi_record_close_time()"
    )
    op.execute(
        "CREATE TRIGGER markets_close_time_changed AFTER UPDATE OF close_time ON markets "
        "FOR EACH ROW WHEN (OLD.close_time IS DISTINCT FROM NEW.close_time) "
        "EXECUTE FUNCTION kalshi_record_close_time()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS markets_close_time_changed ON markets")
    op.execute("DROP TRIGGER IF EXISTS markets_close_time_inserted ON markets")
    op.execute("DROP FUNCTION IF EXISTS kalshi_record_close_time()")
    op.execute("DROP TABLE IF EXISTS market_close_times")

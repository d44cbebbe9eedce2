"""What each tier covered, and the recent observations a late commit needs (as-of history).

Change-only storage drops unchanged observations, so two facts were lost that the stored history
needs to answer "what could a trader have seen at t" exactly:

- **Coverage.** A quote is known while the tier covering the market keeps observing it on its
  grid; it is unknown inside real gaps (missed or failed ticks, or the market absent from an ok
  scan). `market_latest` now carries, per tier, the market's open coverage span
  (`<tier>_since`: when the first observation of the span arrived; `<tier>_until`: the next grid
  tick that was due, i.e. last observed tick + interval). A span that breaks moves to
  `market_coverage`. `ingest_polls.interval_s` records each tick's grid interval.
- **Recent observations.** Commits of two tiers (or of two window runs of one tier) can arrive
  out of time order. When a late observation changes the history, the first observation after
  it must be re-stored, so `market_latest.seen` keeps the market's most recent observation times
  (a bounded list); `seen_from` says from when the list is complete (NULL: since the market was
  first seen). Existing rows start with their last observation only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIER_PREFIXES = ("wl", "cat")


def upgrade() -> None:
    cover = ", ".join(
        f"ADD COLUMN {p}_since timestamptz, ADD COLUMN {p}_until timestamptz" for p in TIER_PREFIXES
    )
    op.execute(
        "ALTER TABLE market_latest "
        "ADD COLUMN seen timestamptz[] NOT NULL DEFAULT '{}', "
        f"ADD COLUMN seen_from timestamptz, {cover}"
    )
    # What existed before is known only up to its last observation: nothing older can be placed.
    op.execute("UPDATE market_latest SET seen = ARRAY[observed_at], seen_from = observed_at")
    op.execute(
        """
        CREATE TABLE market_coverage (
            market_id integer NOT NULL REFERENCES markets(id) ON DELETE CASCADE,
            tier text NOT NULL,
            since timestamptz NOT NULL,
            until timestamptz NOT NULL,
            CONSTRAINT market_coverage_pkey PRIMARY KEY (market_id, tier, since),
            CONSTRAINT market_coverage_tier CHECK (tier IN ('watchlist', 'catalogue')),
            CONSTRAINT market_coverage_order CHECK (until > since)
        )
        """
    )
    op.execute("ALTER TABLE ingest_polls ADD COLUMN interval_s integer")
    op.execute(
        "ALTER TABLE ingest_polls ADD CONSTRAINT ingest_polls_interval_s "
        "CHECK (interval_s IS NULL OR interval_s > 0)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ingest_polls DROP CONSTRAINT ingest_polls_interval_s")
    op.execute("ALTER TABLE ingest_polls DROP COLUMN interval_s")
    op.execute("DROP TABLE market_coverage")
    cover = ", ".join(f"DROP COLUMN {p}_since, DROP COLUMN {p}_until" for p in TIER_PREFIXES)
    op.execute(f"ALTER TABLE market_latest DROP COLUMN seen, DROP COLUMN seen_from, {cover}")

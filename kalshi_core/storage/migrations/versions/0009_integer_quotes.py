"""Quote columns as exact integers: prices in micro-dollars (int4), counts in centi-contracts.

`market_snapshots` (the partitioned parent: the change reaches every day partition) and
`market_latest` keep their column names; `yes_bid`, `yes_ask`, `last_price` become int4
micro-dollars (1 = $0.000001, 1_000_000 = $1) and `yes_bid_size`, `yes_ask_size`, `volume`,
`volume_24h`, `open_interest` int8 centi-contracts (1 = 0.01 contract): Kalshi's 6-decimal
dollar prices and 2-decimal fractional counts, exactly (see `kalshi_core.units`, the conversions
at the edges). The range CHECKs are replaced (prices 0..1_000_000, counts >= 0) and each column
says its unit in a COMMENT.

Existing rows are converted in place. A stored value these units cannot hold exactly (a price
with more than 6 decimal places, a count with more than 2, NaN or out of range) is never rounded:
the upgrade stops before converting anything, names how many rows and shows one, and the data
stays as it was. The tables are locked first, so no write can slip in between check and
conversion. Downgrade converts back to NUMERIC exactly (shortest form: 0.45, not 0.450000).

Nothing else reads these columns inside the database: the NOTIFY trigger of 0004 is per
statement and reads no column, the coverage and `seen` columns of 0006 are untouched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("market_snapshots", "market_latest")
PRICES = ("yes_bid", "yes_ask", "last_price")
COUNTS = ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")
# Frozen here (not imported): a migration must keep meaning what it meant when it shipped.
MICROS = 1_000_000
CENTI = 100
_MAX_COUNT = "92233720368547758.07"  # the int8 maximum in centi-contracts, as contracts
COMMENTS = {
    **{p: "micro-dollars: 1 = $0.000001, 1000000 = $1 (migration 0009)" for p in PRICES},
    **{c: "centi-contracts: 1 = 0.01 contract (migration 0009)" for c in COUNTS},
}


def _exact(column: str) -> str:
    """SQL: the NUMERIC value of `column` fits its integer unit exactly (false for NaN)."""
    if column in PRICES:
        return (
            f"({column} >= 0 AND {column} <= 1 "
            f"AND {column} * {MICROS} = trunc({column} * {MICROS}))"
        )
    # NaN and Infinity sort above every number, so the upper bound excludes them too.
    return (
        f"({column} >= 0 AND {column} <= {_MAX_COUNT} "
        f"AND {column} * {CENTI} = trunc({column} * {CENTI}))"
    )


def _inexact_rows(table: str) -> tuple[int, str | None]:
    """How many rows of `table` hold a value the integer units cannot store, and one of them."""
    bind = op.get_bind()
    bad = " OR ".join(f"NOT {_exact(c)}" for c in (*PRICES, *COUNTS))
    n = int(bind.execute(text(f"SELECT count(*) FROM {table} WHERE {bad}")).scalar_one())
    if n == 0:
        return 0, None
    fields = ", ".join(
        f"CASE WHEN NOT {_exact(c)} THEN '{c}=' || {c}::text END" for c in (*PRICES, *COUNTS)
    )
    row = bind.execute(
        text(
            f"SELECT coalesce(m.ticker, 'market_id ' || t.market_id::text), "
            f"t.observed_at, concat_ws(', ', {fields}) "
            f"FROM {table} t LEFT JOIN markets m ON m.id = t.market_id WHERE {bad} "
            "ORDER BY t.market_id, t.observed_at LIMIT 1"
        )
    ).one()
    return n, f"{row[0]} observed at {row[1].isoformat()}: {row[2]}"


def upgrade() -> None:
    op.execute("LOCK TABLE market_snapshots, market_latest IN ACCESS EXCLUSIVE MODE")
    problems = []
    for table in TABLES:
        n, example = _inexact_rows(table)
        if n:
            problems.append(f"{table}: {n} row(s), e.g. {example}")
    if problems:
        raise RuntimeError(
            "migration 0009 (integer quote columns) refused: stored values cannot be converted "
            "exactly (prices need at most 6 decimal places in [0, 1], counts at most 2 in "
            f"[0, {_MAX_COUNT}]); nothing was changed. "
            + "; ".join(problems)
            + ". Correct or delete those rows, then upgrade again."
        )
    for table in TABLES:
        # One ALTER per table: PostgreSQL drops the old CHECKs, rewrites the table once with
        # every column converted, then validates the new CHECKs.
        clauses = [f"DROP CONSTRAINT {table}_{c}_check" for c in (*PRICES, *COUNTS)]
        clauses += [
            f"ALTER COLUMN {p} TYPE integer USING ({p} * {MICROS})::integer" for p in PRICES
        ]
        clauses += [f"ALTER COLUMN {c} TYPE bigint USING ({c} * {CENTI})::bigint" for c in COUNTS]
        clauses += [
            f"ADD CONSTRAINT {table}_{p}_range CHECK ({p} >= 0 AND {p} <= {MICROS})" for p in PRICES
        ]
        clauses += [f"ADD CONSTRAINT {table}_{c}_nonneg CHECK ({c} >= 0)" for c in COUNTS]
        op.execute(f"ALTER TABLE {table} " + ", ".join(clauses))
        for column, comment in COMMENTS.items():
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS '{comment}'")


def downgrade() -> None:
    for table in TABLES:
        clauses = [f"DROP CONSTRAINT {table}_{p}_range" for p in PRICES]
        clauses += [f"DROP CONSTRAINT {table}_{c}_nonneg" for c in COUNTS]
        # int * NUMERIC is exact (the product's scale is the sum of the scales); trim_scale
        # gives the shortest form.
        clauses += [
            f"ALTER COLUMN {p} TYPE numeric USING trim_scale({p} * 0.000001)" for p in PRICES
        ]
        clauses += [f"ALTER COLUMN {c} TYPE numeric USING trim_scale({c} * 0.01)" for c in COUNTS]
        # the CHECKs of 0001, under the names PostgreSQL gave them there
        clauses += [
            f"ADD CONSTRAINT {table}_{p}_check CHECK ({p} >= 0 AND {p} <= 1)" for p in PRICES
        ]
        clauses += [f"ADD CONSTRAINT {table}_{c}_check CHECK ({c} >= 0)" for c in COUNTS]
        op.execute(f"ALTER TABLE {table} " + ", ".join(clauses))
        for column in COMMENTS:
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS NULL")

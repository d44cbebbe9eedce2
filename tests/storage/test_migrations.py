"""Contract: the Alembic migrations run from the package on an empty database: up to head,
down to base (leaving only Alembic's version table), and up again; day partitions are created
ahead after an upgrade; the SQLAlchemy metadata in `tables.py` matches what the migrations
build (no drift in tables, columns, column types or comments); the CLI reports the revision.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg2
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from kalshi_core.storage.migrate import current, downgrade, head_revision, sqlalchemy_url, upgrade
from kalshi_core.storage.tables import metadata


def _tables(url: str) -> set[str]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S')"
            )
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


def test_up_down_up(empty_database_url: str) -> None:
    assert current(empty_database_url) is None
    upgrade(empty_database_url, partition_days_ahead=2)
    assert current(empty_database_url) == head_revision()
    tables = _tables(empty_database_url)
    assert {
        "series",
        "events",
        "markets",
        "market_snapshots",
        "market_latest",
        "ingest_polls",
        "raw_pages",
        "backtest_results",
        "market_trades",
        "market_candles",
    } <= tables
    today = datetime.now(UTC).date()
    for d in range(3):
        day = today + timedelta(days=d)
        assert f"market_snapshots_p{day:%Y%m%d}" in tables
        assert f"raw_pages_p{day:%Y%m%d}" in tables

    downgrade(empty_database_url, "0002")
    assert current(empty_database_url) == "0002"
    downgrade(empty_database_url, "0001")
    assert current(empty_database_url) == "0001"
    assert "market_trades" not in _tables(empty_database_url)
    downgrade(empty_database_url)
    assert current(empty_database_url) is None
    assert _tables(empty_database_url) == {"alembic_version"}

    upgrade(empty_database_url)
    assert current(empty_database_url) == head_revision()
    upgrade(empty_database_url)  # idempotent at head
    assert current(empty_database_url) == head_revision()


def test_metadata_matches_migrations(empty_database_url: str) -> None:
    upgrade(empty_database_url, partition_days_ahead=0)
    engine = create_engine(sqlalchemy_url(empty_database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and name is not None and "_p2" in name)
                    ),
                    "compare_type": True,
                },
            )
            diffs = compare_metadata(ctx, metadata)
    finally:
        engine.dispose()
    table_or_column = [
        d for d in diffs if d[0] in ("add_table", "remove_table", "add_column", "remove_column")
    ]
    assert table_or_column == []
    # column types and comments agree too (e.g. the integer quote columns of 0009)
    column_changes = [
        c
        for d in diffs
        if isinstance(d, list)
        for c in d
        if c[0] in ("modify_type", "modify_comment")
    ]
    assert column_changes == []


def test_cli_current(empty_database_url: str) -> None:
    upgrade(empty_database_url, "0001", partition_days_ahead=0)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kalshi_core.storage.migrate",
            "current",
            "--database-url",
            empty_database_url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "0001"

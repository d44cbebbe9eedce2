"""Contract: the two ways in. `python -m kalshi_core.imports` imports files and folders into the
database of DATABASE_URL (or --database-url), prints what it wrote and exits 0; a refused input
exits 2 with every problem by file:line and column on stderr and writes nothing. The Dagster
asset `imported_history` (group history) loads with the code location, materializes with a
path in its config and reports rows per table, skipped duplicates and files; a refused input
fails the run with the problems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg2
import pytest

from kalshi_pipeline.definitions import defs
from kalshi_pipeline.defs.imports.assets import imported_history
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from tests.imports.conftest import REALDATA, read_csv, write_csv

pytestmark = pytest.mark.usefixtures("clean_db")
ROOT = Path(__file__).resolve().parents[2]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "kalshi_core.imports", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _count(database_url: str, table: str) -> int:
    # Sync on purpose: the CLI and dg.materialize run their own event loops.
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def test_cli_imports_and_refuses(database_url: str, tmp_path: Path) -> None:
    ok = _cli(
        database_url,
        str(REALDATA / "multi_closed_markets.csv"),
        str(REALDATA / "multi_trades.csv.gz"),
    )
    assert ok.returncode == 0, ok.stderr
    assert "imported 299 rows from 2 file(s)" in ok.stdout
    assert "market_trades: 254 inserted, 0 updated, 0 unchanged" in ok.stdout
    assert "ignored columns category, normalized_status, volume, last_price" in ok.stdout

    header, rows = read_csv(REALDATA / "econ_trades.csv.gz")
    rows[2]["yes_price"] = "sixty"
    bad = write_csv(tmp_path / "econ.csv", header, [[r[c] for c in header] for r in rows])
    refused = _cli(database_url, "--kind", "trades", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:4: column 'yes_price': 'sixty' is not a number" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert _count(database_url, "market_trades") == 254


def test_asset_materializes_and_fails_clearly(database_url: str, tmp_path: Path) -> None:
    loaded = defs()
    keys = {k.to_user_string() for k in loaded.resolve_all_asset_keys()}
    assert "imported_history" in keys
    assert imported_history.group_names_by_key[dg.AssetKey("imported_history")] == "history"

    folder = tmp_path / "dump"
    folder.mkdir()
    for name in ("multi_enriched_markets.csv", "econ_trades.csv.gz"):
        (folder / name).write_bytes((REALDATA / name).read_bytes())
    resources = {"database": WorkbenchDatabase(database_url=database_url)}

    def run(path: Path) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [imported_history],
            run_config={"ops": {"imported_history": {"config": {"path": str(path)}}}},
            resources=resources,
            raise_on_error=False,
        )

    result = run(folder)
    assert result.success
    [mat] = result.asset_materializations_for_node("imported_history")
    meta: dict[str, Any] = {k: m.value for k, m in mat.metadata.items()}
    assert meta["files"] == 2
    assert meta["markets_inserted"] == 45
    assert meta["market_trades_inserted"] == 300
    assert meta["skipped_duplicates"] == 0
    assert [f["file"] for f in meta["file_list"]] == [
        str(folder / "econ_trades.csv.gz"),
        str(folder / "multi_enriched_markets.csv"),
    ]

    again = run(folder)
    [mat] = again.asset_materializations_for_node("imported_history")
    assert mat.metadata["market_trades_unchanged"].value == 300
    assert mat.metadata["market_trades_inserted"].value == 0

    failed = run(REALDATA / "nba_candles_1m.csv.gz")
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    text = str(failure.step_failure_data.error)
    assert "nba_candles_1m.csv.gz: missing columns of a candles file" in text
    assert _count(database_url, "market_candles") == 0

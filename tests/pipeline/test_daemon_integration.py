"""Contract: the real Dagster daemon (sensor -> queued runs -> poll windows) against the
simulator and a real PostgreSQL keeps the 5 s grid: over two minutes of full windows >= 95% of
the watchlist's ticks are committed, no (market, tick) row is stored twice, each tier holds at
most one poller per window, and the day partition of `market_snapshots` is materialized.

Slow by nature (about five minutes): it runs the daemon for real.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg2
import pytest

from kalshi_core.storage.migrate import upgrade
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import run_simulator
from tests.conftest import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
WINDOW_S = 120
MEASURE_S = 120

pytestmark = pytest.mark.slow
# Busy dynamics: every market requotes each minute, so each window writes rows (the calibrated
# default leaves most of 3,000 markets unchanged for minutes).
SIM = SimConfig(markets=3000, seed=11, rate_limit_per_s=20, dynamics="busy")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str, datetime]]:
    data_db = f"kalshi_test_{uuid.uuid4().hex[:12]}"
    dagster_db = f"kalshi_test_dagster_{uuid.uuid4().hex[:8]}"
    data_url = create_database(data_db)
    dagster_url = create_database(dagster_db)
    upgrade(data_url, partition_days_ahead=2)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    proc: subprocess.Popen[bytes] | None = None
    try:
        with run_simulator(SIM) as sim_url:
            env = {
                **os.environ,
                "DAGSTER_HOME": str(home),
                "DAGSTER_PG_URL": "postgresql+psycopg2://" + dagster_url.split("://", 1)[1],
                "DATABASE_URL": data_url,
                "KALSHI_BASE_URL": sim_url,
                "POLL_INTERVAL_S": "5",
                "POLL_WINDOW_S": str(WINDOW_S),
                "INGESTION_LEAD_S": "90",
                "WATCHLIST_SERIES": '["KXHIGHNY", "KXBTCD"]',
                "CATALOGUE_ENABLED": "true",
                "CATALOGUE_MARKETS_ESTIMATE": "3000",
                "LOG_JSON": "true",
            }
            started = datetime.now(UTC)
            log = (tmp_path / "daemon.log").open("wb")
            proc = subprocess.Popen(
                [str(ROOT / ".venv/bin/dagster-daemon"), "run", "-w", "workspace.yaml"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            yield data_url, dagster_url, started
    finally:
        if proc is not None:
            # the daemon's code servers may outlive it; stop the whole tree
            tree = psutil.Process(proc.pid).children(recursive=True)
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            for child in tree:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        drop_database(data_db)
        drop_database(dagster_db)


def test_daemon_keeps_the_five_second_grid(stack: tuple[str, str, datetime]) -> None:
    data_url, dagster_url, started = stack
    # the first full window whose run the sensor could request ahead of time
    first = int((started + timedelta(seconds=60)).timestamp())
    w2 = datetime.fromtimestamp(first + (-first % WINDOW_S), UTC)
    end = w2 + timedelta(seconds=MEASURE_S)
    time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds() + 20))

    with psycopg2.connect(data_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT tier, status, count(*) FROM ingest_polls WHERE tick >= %s AND tick < %s "
            "GROUP BY 1, 2",
            (w2, end),
        )
        counts = {(t, s): n for t, s, n in cur.fetchall()}
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM market_snapshots GROUP BY market_id, observed_at "
            "HAVING count(*) > 1) d"
        )
        dupes = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT count(*) FROM market_snapshots WHERE observed_at >= %s", (w2,))
        rows = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            "SELECT tier, tick, count(DISTINCT run_id) FROM ingest_polls GROUP BY 1, 2 "
            "HAVING count(DISTINCT run_id) > 1"
        )
        multi = cur.fetchall()
        cur.execute(
            "SELECT tier, tick, status, error FROM ingest_polls WHERE tick >= %s AND tick < %s "
            "AND status <> 'ok' ORDER BY tick",
            (w2, end),
        )
        bad = cur.fetchall()
    with psycopg2.connect(dagster_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
            "AND asset_key LIKE %s AND partition = %s",
            ("%market_snapshots%", w2.strftime("%Y-%m-%d")),
        )
        materializations = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            "SELECT count(*), count(DISTINCT t.value) FROM runs r JOIN run_tags t "
            "ON t.run_id = r.run_id AND t.key = 'dagster/run_key'"
        )
        runs, keys = cur.fetchone()  # type: ignore[misc]

    expected = MEASURE_S // 5
    print("not ok", bad)
    print("polls", counts, "rows", rows, "runs", runs, "materializations", materializations)
    ok = counts.get(("watchlist", "ok"), 0)
    assert ok >= 0.95 * expected, counts
    catalogue_ok = counts.get(("catalogue", "ok"), 0)
    assert catalogue_ok >= 0.9 * (MEASURE_S // 15), counts
    assert dupes == 0
    assert rows > 0
    assert multi == []  # never two pollers on one tick
    assert runs == keys  # one run per window key
    assert materializations >= 2

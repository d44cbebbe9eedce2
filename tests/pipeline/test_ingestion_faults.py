"""Contract: ingestion rides out faults by itself — a 429 storm, a 60 s outage, malformed pages,
a PostgreSQL restart mid-window and `kill -9` of a poller mid-tick — with no duplicate row, no
partial tick (a tick's rows and its `ok` poll record commit together or not at all), every tick
of the window accounted for (ok / missed / error), and polling back to `ok` once the fault ends.

Runs the real client against the simulator's fault knobs and real PostgreSQL; slow by nature.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
import pytest_asyncio

from kalshi_core.kalshi.client import KalshiClient
from kalshi_core.settings import Settings
from kalshi_core.storage.database import Database, Repositories, repositories
from kalshi_core.storage.migrate import upgrade
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.poller import WindowReport, poll_window
from kalshi_sim.config import SimConfig
from kalshi_sim.testing import run_simulator

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SERIES = ["KXHIGHNY", "KXBTCD"]


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    # Busy dynamics: each tick writes rows, so "a tick's rows commit with its poll record" is
    # tested on every tick (calibrated markets mostly stand still between 2 s ticks).
    with run_simulator(SimConfig(markets=3000, seed=5, rate_limit_per_s=0, dynamics="busy")) as url:
        yield url


def admin(sim_url: str, **faults: Any) -> None:
    root = sim_url.split("/trade-api")[0]
    httpx.post(f"{root}/_sim/faults", json=faults, timeout=5).raise_for_status()


@pytest.fixture
def reset_faults(sim_url: str) -> Iterator[None]:
    yield
    admin(
        sim_url,
        error_rate=0.0,
        malformed_rate=0.0,
        truncate_rate=0.0,
        timeout_rate=0.0,
        outage_until=0.0,
        storm_until=0.0,
    )


def client_for(sim_url: str) -> KalshiClient:
    s = Settings(
        _env_file=None,  # type: ignore[call-arg]
        kalshi_base_url=sim_url,
        kalshi_rate_limit_per_s=0,
        kalshi_timeout_s=2.0,
        kalshi_max_retries=4,
    )
    return KalshiClient.from_settings(s)


def next_window(window_s: int, lead_s: float = 2.0) -> datetime:
    now = time.time() + lead_s
    return datetime.fromtimestamp(int(now) + (-int(now) % window_s), UTC)


async def poll(
    repos: Repositories, client: KalshiClient, grid: PollGrid, start: datetime
) -> WindowReport:
    async def scan(tick: datetime, seq: int) -> Any:
        return await client.scan_markets(observed_at=tick, sequence=seq, series_tickers=SERIES)

    return await poll_window(
        grid=grid,
        window_start=start,
        scan=scan,
        markets=repos.markets,
        polls=repos.polls,
        run_id="fault-test",
    )


async def integrity(db: Database, tier: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Duplicates and partial ticks in [start, end): rows per tick vs the tick's poll record."""
    async with db.acquire() as conn:
        dupes = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM market_snapshots GROUP BY market_id, observed_at "
            "HAVING count(*) > 1) d"
        )
        # rows carry when their page arrived; the tick they belong to is their sequence (the
        # tick's epoch milliseconds)
        rows = {
            datetime.fromtimestamp(r["sequence"] / 1000, UTC): r["n"]
            for r in await conn.fetch(
                "SELECT sequence, count(*) AS n FROM market_snapshots "
                "WHERE sequence >= $1 AND sequence < $2 GROUP BY 1",
                int(start.timestamp() * 1000),
                int(end.timestamp() * 1000),
            )
        }
        polls = {
            r["tick"]: (r["status"], r["rows_written"])
            for r in await conn.fetch(
                "SELECT tick, status, rows_written FROM ingest_polls "
                "WHERE tier = $1 AND tick >= $2 AND tick < $3",
                tier,
                start,
                end,
            )
        }
    partial = [t for t, n in rows.items() if polls.get(t, ("none", -1)) != ("ok", n)]
    return {"dupes": dupes, "partial": partial, "polls": polls}


async def test_429_storm_is_ridden_out(
    sim_url: str, repos: Repositories, clean_db: Database, reset_faults: None
) -> None:
    grid = PollGrid("watchlist", 2, 30)
    start = next_window(30)

    async def storm() -> None:
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 6)
        admin(sim_url, storm_until=time.time() + 6)

    async with client_for(sim_url) as client:
        task = asyncio.create_task(storm())
        report = await poll(repos, client, grid, start)
        await task
    check = await integrity(clean_db, "watchlist", start, start + timedelta(seconds=30))
    assert check["dupes"] == 0
    assert check["partial"] == []
    assert len(check["polls"]) == 15  # every tick accounted for
    assert sum(o.http_429s for o in report.outcomes) > 0
    assert [o.status for o in report.outcomes][-3:] == ["ok"] * 3


async def test_malformed_pages_fail_ticks_cleanly(
    sim_url: str, repos: Repositories, clean_db: Database, reset_faults: None
) -> None:
    grid = PollGrid("watchlist", 2, 30)
    start = next_window(30)

    async def corrupt() -> None:
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 5)
        admin(sim_url, malformed_rate=1.0)
        await asyncio.sleep(6)
        admin(sim_url, malformed_rate=0.0)

    async with client_for(sim_url) as client:
        task = asyncio.create_task(corrupt())
        report = await poll(repos, client, grid, start)
        await task
    errors = [o for o in report.outcomes if o.status == "error"]
    assert errors, "malformed pages must fail their ticks"
    assert all("/markets" in (o.error or "") for o in errors)
    check = await integrity(clean_db, "watchlist", start, start + timedelta(seconds=30))
    assert check["dupes"] == 0
    assert check["partial"] == []
    assert all(check["polls"][o.tick][0] == "error" for o in errors)
    assert report.outcomes[-1].status == "ok"


async def test_sixty_second_outage_then_recovery(
    sim_url: str, repos: Repositories, clean_db: Database, reset_faults: None
) -> None:
    grid = PollGrid("watchlist", 5, 90)
    start = next_window(90)

    async def outage() -> None:
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 8)
        admin(sim_url, outage_until=time.time() + 60, outage_mode="reset")

    async with client_for(sim_url) as client:
        task = asyncio.create_task(outage())
        report = await poll(repos, client, grid, start)
        await task
    statuses = [o.status for o in report.outcomes]
    assert "error" in statuses or "missed" in statuses
    assert statuses[-2:] == ["ok", "ok"], statuses
    check = await integrity(clean_db, "watchlist", start, start + timedelta(seconds=90))
    assert check["dupes"] == 0
    assert check["partial"] == []
    assert len(check["polls"]) == 18


# --- PostgreSQL restart: a private cluster we may restart without disturbing anything else ---


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    """PostgreSQL's server binaries: on PATH (most installs), else Debian's versioned folder,
    else where `pg_config` says."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(initdb).parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if debian:
        return debian[-1]
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        raise RuntimeError("PostgreSQL server binaries not found (initdb, pg_config)")
    out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture
def private_pg() -> Iterator[tuple[str, Path, int]]:
    pgdir = Path(tempfile.mkdtemp(prefix="kalshi_pg_"))
    if os.geteuid() == 0:
        shutil.chown(pgdir, "postgres")
    port = _free_port()
    data = pgdir / "data"
    subprocess.run(
        _as_postgres(
            [
                str(_pg_bin() / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    ctl = [str(_pg_bin() / "pg_ctl"), "-D", str(data), "-l", str(pgdir / "log"), "-w"]
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {pgdir}"
    subprocess.run(_as_postgres([*ctl, "-o", opts, "start"]), check=True, capture_output=True)
    try:
        conn = psycopg2.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE kalshi")
        conn.close()
        url = f"postgresql://postgres@127.0.0.1:{port}/kalshi"
        upgrade(url, partition_days_ahead=1)
        yield url, data, port
    finally:
        subprocess.run(_as_postgres([*ctl, "stop", "-m", "immediate"]), capture_output=True)
        shutil.rmtree(pgdir, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def private_repos(private_pg: tuple[str, Path, int]) -> AsyncIterator[Repositories]:
    db = await Database.connect(private_pg[0], min_size=1, max_size=4, command_timeout=5)
    try:
        yield repositories(db)
    finally:
        await db.close()


async def test_postgres_restart_mid_window(
    sim_url: str, private_pg: tuple[str, Path, int], private_repos: Repositories
) -> None:
    _url, data, port = private_pg
    grid = PollGrid("watchlist", 2, 30)
    start = next_window(30)
    ctl = [str(_pg_bin() / "pg_ctl"), "-D", str(data), "-w"]
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {data.parent}"

    async def restart() -> None:
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 8)
        await asyncio.to_thread(
            subprocess.run, _as_postgres([*ctl, "stop", "-m", "fast"]), capture_output=True
        )
        await asyncio.sleep(4)
        await asyncio.to_thread(
            subprocess.run,
            _as_postgres([*ctl, "-l", str(data.parent / "log"), "-o", opts, "start"]),
            capture_output=True,
        )

    async with client_for(sim_url) as client:
        task = asyncio.create_task(restart())
        report = await poll(private_repos, client, grid, start)
        await task
    statuses = [o.status for o in report.outcomes]
    assert "error" in statuses, statuses  # ticks during the restart fail ...
    assert statuses[-3:] == ["ok"] * 3, statuses  # ... and polling recovers by itself
    check = await integrity(private_repos.db, "watchlist", start, start + timedelta(seconds=30))
    assert check["dupes"] == 0
    assert check["partial"] == []


# --- kill -9 of a poller mid-tick, then the retried run resumes the window --------------------

POLLER = """
import asyncio, sys
from datetime import datetime
from kalshi_core.storage.database import Database, repositories
from kalshi_pipeline.lib.poll_grid import PollGrid
from kalshi_pipeline.lib.poller import poll_window
from tests.pipeline.test_ingestion_faults import client_for, SERIES

async def main(url, sim, start):
    db = await Database.connect(url, max_size=2)
    repos = repositories(db)
    async with client_for(sim) as client:
        async def scan(tick, seq):
            return await client.scan_markets(observed_at=tick, sequence=seq, series_tickers=SERIES)
        await poll_window(grid=PollGrid("watchlist", 2, 30), window_start=start, scan=scan,
                          markets=repos.markets, polls=repos.polls, run_id=sys.argv[4])

asyncio.run(main(sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])))
"""


async def test_kill_9_mid_tick_then_resume(
    sim_url: str, database_url: str, clean_db: Database, reset_faults: None
) -> None:
    start = next_window(30, lead_s=12)  # the child process needs a few seconds to import
    # slow responses widen the window in which the kill lands inside a tick
    admin(sim_url, latency_ms=600)
    args = [sys.executable, "-c", POLLER, database_url, sim_url, start.isoformat()]
    child = await asyncio.to_thread(subprocess.Popen, [*args, "run-1"], cwd=ROOT)
    kill_at = start + timedelta(seconds=9.3)
    await asyncio.sleep(max(0.0, (kill_at - datetime.now(UTC)).total_seconds()))
    child.send_signal(signal.SIGKILL)
    await asyncio.to_thread(child.wait)
    admin(sim_url, latency_ms=0)
    retry = await asyncio.to_thread(subprocess.run, [*args, "run-2"], cwd=ROOT, timeout=120)
    assert retry.returncode == 0
    check = await integrity(clean_db, "watchlist", start, start + timedelta(seconds=30))
    assert check["dupes"] == 0
    assert check["partial"] == [], "a killed tick must leave nothing behind"
    assert len(check["polls"]) == 15, "every tick of the window accounted for"
    by_run = {s for s, _ in check["polls"].values()}
    assert "ok" in by_run
    async with clean_db.acquire() as conn:
        runs = await conn.fetch(
            "SELECT run_id, count(*) AS n FROM ingest_polls WHERE tick >= $1 GROUP BY 1", start
        )
    assert {r["run_id"] for r in runs} == {"run-1", "run-2"}, "the retry resumed, not restarted"

"""API load benchmark: uvicorn (one worker) over 100k markets / 50M snapshot rows, driven by wrk.

    .venv/bin/python -m bench.api_load                        # load, measure, drop (~6 min)
    .venv/bin/python -m bench.api_load --reuse kalshi_apibench_dev --duration 10
    .venv/bin/python -m bench.api_load --markets 10000 --rows 1000000   # a quick run
    API_RESPONSE_CACHE_MB=0 .venv/bin/python -m bench.api_load ...    # markets pages uncached

Steps: create a throwaway database and fill it (`bench.api_dataset`, timed; finished days are
compacted as the pipeline's nightly `compacted_market_snapshots` does, `--no-compact` skips it),
start `uvicorn kalshi_api.main:app` with one worker in a subprocess, then for each scenario run
`wrk` (a separate process, 32 connections on loopback, `--latency`) after a short warm-up, and
report p50/p99 latency and requests/s. Each scenario also reports the CPU time the API process
and the PostgreSQL backends spent per request (psutil): that cost depends less on what else runs
than latency and req/s do. The database is dropped at the end unless `--keep` or `--reuse`.

Scenarios: the markets page (`/api/v1/markets?limit=100`), also while a writer commits a
1,000-market tick to `market_latest` every 5 s (as ingestion does: each tick invalidates the
cached page), one market and its 500-point history, each for one hot ticker and for tickers drawn
uniformly from every market (cold pages).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import psycopg2

from bench.api_dataset import load, market_ticker
from bench.throwaway_db import create_database, drop_database, url_for

ROOT = Path(__file__).resolve().parent.parent

_RANDOM_TICKER_LUA = """
math.randomseed(%(seed)d)
request = function()
  local i = math.random(1, %(markets)d)
  local ev = math.floor((i - 1) / 10) + 1
  local t = string.format("KXB%%03d-E%%06d-M%%06d", (ev - 1) %% 100 + 1, ev, i)
  return wrk.format("GET", "/api/v1/markets/" .. t .. "%(suffix)s")
end
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    path: str  # a fixed path, or "" with `suffix` for random tickers
    suffix: str = ""
    target: str = ""
    tick_every_s: float = 0.0  # > 0: a writer commits a watchlist-sized tick this often


@dataclass(frozen=True, slots=True)
class Result:
    scenario: str
    target: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str
    api_cpu_ms_per_req: float
    pg_cpu_ms_per_req: float
    writer_ticks: int = 0


def scenarios(markets: int) -> list[Scenario]:
    hot = market_ticker(min(777, markets))
    return [
        Scenario(
            "markets?limit=100", "/api/v1/markets?limit=100", target="p50 < 10 ms, p99 < 40 ms"
        ),
        Scenario(
            "markets?limit=100 (5 s ticks)",
            "/api/v1/markets?limit=100",
            target="p50 < 10 ms, p99 < 40 ms",
            tick_every_s=5.0,
        ),
        Scenario("market (hot)", f"/api/v1/markets/{hot}", target=">= 3,500 req/s"),
        Scenario("market (random)", "", "", target=">= 3,500 req/s"),
        Scenario("history?limit=500 (hot)", f"/api/v1/markets/{hot}/history?limit=500"),
        Scenario("history?limit=500 (random)", "", "/history?limit=500", target=">= 600 req/s"),
    ]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> tuple[float, float, float, int, int, str]:
    """(req/s, p50 ms, p99 ms, requests, non-2xx, socket errors) from `wrk --latency` output."""
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))\s*$", output, re.M))

    def pct(key: str) -> float:
        m = re.fullmatch(r"([\d.]+)(us|ms|s)", lat[key])
        assert m is not None
        return _ms(m.group(1), m.group(2))

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non2xx_m = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sock_m = re.search(r"Socket errors: (.*)", output)
    return (
        rps,
        pct("50"),
        pct("99"),
        total,
        int(non2xx_m.group(1)) if non2xx_m else 0,
        sock_m.group(1).strip() if sock_m else "",
    )


def _pg_backends(admin_url: str, database: str) -> list[psutil.Process]:
    conn = psycopg2.connect(admin_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                (database, "kalshi_workbench"),
            )
            pids = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    return procs


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


class TickWriter:
    """Commits a watchlist-sized change to `market_latest` every `every_s` seconds, as
    ingestion does, so the API's cached pages are invalidated at the live rate."""

    def __init__(self, database_url: str, every_s: float, markets: int) -> None:
        self.database_url = database_url
        self.every_s = every_s
        self.markets = markets
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TickWriter:
        if self.every_s > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = psycopg2.connect(self.database_url)
        try:
            while not self._stop.wait(self.every_s):
                first = (self.ticks * 1000) % max(self.markets - 1000, 1) + 1
                with conn, conn.cursor() as cur:
                    cur.execute(
                        "UPDATE market_latest SET observed_at = now(), "
                        # one more contract: counts are centi-contracts (migration 0009)
                        "volume = volume + 100 WHERE market_id BETWEEN %s AND %s",
                        (first, first + 999),
                    )
                self.ticks += 1
        finally:
            conn.close()


def run_wrk(
    base: str, scenario: Scenario, markets: int, connections: int, duration: int, script_dir: str
) -> str:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    url = base + scenario.path
    if not scenario.path:
        script = Path(script_dir) / f"random{abs(hash(scenario.suffix))}.lua"
        script.write_text(
            _RANDOM_TICKER_LUA
            % {"seed": 12345, "markets": markets, "suffix": scenario.suffix.replace('"', "")}
        )
        cmd += ["-s", str(script)]
        url = base
    return subprocess.run(
        [*cmd, url], check=True, capture_output=True, text=True, timeout=duration + 60
    ).stdout


def start_api(database_url: str, port: int, pool_max: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": str(pool_max),
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "kalshi_api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the API did not answer /health within 120 s")


def measure(
    database_url: str,
    database: str,
    markets: int,
    *,
    port: int,
    connections: int,
    duration: int,
    warmup: int,
    pool_max: int,
) -> list[Result]:
    api = start_api(database_url, port, pool_max)
    results: list[Result] = []
    admin = url_for("postgres")
    try:
        api_proc = psutil.Process(api.pid)
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            for sc in scenarios(markets):
                run_wrk(base, sc, markets, connections, warmup, tmp)
                backends = _pg_backends(admin, database)
                with TickWriter(database_url, sc.tick_every_s, markets) as writer:
                    api0 = api_proc.cpu_times()
                    pg0 = _cpu(backends)
                    out = run_wrk(base, sc, markets, connections, duration, tmp)
                    api1 = api_proc.cpu_times()
                    pg1 = _cpu(backends)
                rps, p50, p99, total, non2xx, sock = parse_wrk(out)
                n = max(total, 1)
                results.append(
                    Result(
                        scenario=sc.name,
                        target=sc.target,
                        requests_per_s=rps,
                        p50_ms=p50,
                        p99_ms=p99,
                        requests=total,
                        non_2xx=non2xx,
                        socket_errors=sock,
                        api_cpu_ms_per_req=(
                            (api1.user + api1.system - api0.user - api0.system) / n * 1000
                        ),
                        pg_cpu_ms_per_req=(pg1 - pg0) / n * 1000,
                        writer_ticks=writer.ticks,
                    )
                )
                r = results[-1]
                print(
                    f"{r.scenario:28s} {r.requests_per_s:9.1f} req/s  p50 {r.p50_ms:7.2f} ms  "
                    f"p99 {r.p99_ms:7.2f} ms  non-2xx {r.non_2xx}  cpu/req: api "
                    f"{r.api_cpu_ms_per_req:.3f} ms, pg {r.pg_cpu_ms_per_req:.3f} ms"
                    + (f"  ({r.writer_ticks} ticks written)" if sc.tick_every_s else ""),
                    flush=True,
                )
    finally:
        api.send_signal(signal.SIGTERM)
        try:
            api.wait(timeout=20)
        except subprocess.TimeoutExpired:
            api.kill()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--reuse", metavar="DBNAME", help="measure an already loaded database")
    parser.add_argument("--keep", action="store_true", help="do not drop the loaded database")
    parser.add_argument(
        "--no-compact", action="store_true", help="skip the nightly compaction of loaded days"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pool-max", type=int, default=10)
    parser.add_argument("--port", type=int, default=8471)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install -y wrk")

    started = datetime.now(UTC)
    load1, load5, _ = os.getloadavg()
    print(f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load avg {load1:.1f}/{load5:.1f}")
    name = args.reuse or f"kalshi_apibench_{started:%Y%m%d%H%M%S}"
    load_report = None
    database_url = url_for(name) if args.reuse else create_database(name)
    try:
        if not args.reuse:
            load_report = load(
                database_url,
                markets=args.markets,
                rows=args.rows,
                days=args.days,
                compact=not args.no_compact,
            )
            print(load_report.describe(), flush=True)
        results = measure(
            database_url,
            name,
            args.markets,
            port=args.port,
            connections=args.connections,
            duration=args.duration,
            warmup=args.warmup,
            pool_max=args.pool_max,
        )
    finally:
        if not args.reuse and not args.keep:
            drop_database(name)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "load": asdict(load_report) if load_report else None,
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()

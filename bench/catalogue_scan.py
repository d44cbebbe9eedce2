"""Benchmark: one full catalogue scan (all open non-combo markets) through `KalshiClient`
against a local `kalshi_sim` started as a subprocess, client-side rate limiter off.

    .venv/bin/python -m bench.catalogue_scan [--markets 131000] [--mve-markets 20000] [--runs 3]

Reports, per run: wall time, markets/s, pages, the client's CPU time (decode + model building)
and the simulator's CPU time (rendering pages), plus the client's peak RSS. Goal: < 3 s wall for
~104,000 open markets (104 pages of 1000). The simulator's clock is frozen so every run sees the
same catalogue. The process's GC thresholds are those of an ingestion run
(`tune_gc_for_ingestion`; `--default-gc` keeps CPython's). Roughly 65-80% of the simulator's
markets are open, depending on the hour the frozen clock starts at: the default 131,000 gave
95,000-104,000 open ones, `--markets 143000` gave 103,555 at 09:06 UTC; the report states the
number actually scanned. Also reported: the machine's load average, since other
processes on a shared 2-core machine slow every number here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from kalshi_core.kalshi import KalshiClient
from kalshi_pipeline.lib.poller import tune_gc_for_ingestion

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(
    markets: int, mve_markets: int, port: int, dynamics: str = "busy"
) -> subprocess.Popen[bytes]:
    """The simulator in its own process. Busy dynamics by default: every market requotes each
    minute, the worst case for the scan's writer and the figures of docs/BENCHMARKS.md."""
    cmd = [
        sys.executable,
        "-m",
        "kalshi_sim",
        "--port",
        str(port),
        "--markets",
        str(markets),
        "--mve-markets",
        str(mve_markets),
        "--rate-limit",
        "0",
        "--time-scale",
        "0",
        "--dynamics",
        dynamics,
    ]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(proc: subprocess.Popen[bytes], base_url: str, timeout_s: float = 600) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"simulator exited with {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(base_url + "/exchange/status", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError("simulator did not become ready")


async def one_scan(base_url: str, sim: psutil.Process) -> dict[str, float | int | bool]:
    gc.collect()
    sim_cpu0 = sum(sim.cpu_times()[:2])
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    async with KalshiClient(base_url, rate_limiter=None, timeout_s=60) as client:
        scan = await client.scan_markets(observed_at=datetime.now(UTC), sequence=1, status="open")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    sim_cpu = sum(sim.cpu_times()[:2]) - sim_cpu0
    tickers = {m.ticker for m in scan.markets}
    assert scan.complete
    assert len(tickers) == len(scan.markets) == len(scan.snapshots)
    assert not any(m.is_mve for m in scan.markets)
    return {
        "wall_s": round(wall, 3),
        "markets": len(scan.markets),
        "markets_per_s": round(len(scan.markets) / wall),
        "pages": scan.pages,
        "requests": scan.requests,
        "retries": scan.retries,
        "bytes": sum(len(p.body) for p in scan.raw_pages),
        "client_cpu_s": round(cpu, 3),
        "sim_cpu_s": round(sim_cpu, 3),
        "complete": scan.complete,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, default=131_000)
    ap.add_argument("--mve-markets", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--default-gc",
        action="store_true",
        help="keep CPython's default GC thresholds (the ingestion run raises gen0 to 10,000)",
    )
    ap.add_argument("--base-url", default=None, help="use a running simulator instead")
    args = ap.parse_args()
    if not args.default_gc:
        tune_gc_for_ingestion()  # the scan runs in an ingestion run's process, tuned so

    proc: subprocess.Popen[bytes] | None = None
    if args.base_url:
        base_url = args.base_url.rstrip("/")
        sim = None
        startup = 0.0
    else:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}/trade-api/v2"
        proc = start_simulator(args.markets, args.mve_markets, port)
        startup = wait_ready(proc, base_url)
        sim = psutil.Process(proc.pid)
    try:
        runs = []
        for _ in range(args.runs):
            runs.append(asyncio.run(one_scan(base_url, sim or psutil.Process(os.getpid()))))
            print(json.dumps(runs[-1]), flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    walls = sorted(r["wall_s"] for r in runs)
    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "simulator_startup_s": round(startup, 1),
        "markets_in_universe": args.markets,
        "combo_markets": args.mve_markets,
        "runs": len(runs),
        "wall_s_best": walls[0],
        "wall_s_median": walls[len(walls) // 2],
        "markets": runs[0]["markets"],
        "markets_per_s_best": round(int(runs[0]["markets"]) / walls[0]),
        "client_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "gc_threshold": list(gc.get_threshold()),
        "goal_wall_s": 3.0,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

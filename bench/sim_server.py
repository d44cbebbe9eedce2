"""Benchmark: the simulator's own costs at Kalshi scale.

    .venv/bin/python -m bench.sim_server [--markets 104000] [--mve-markets 104000]

Reports (each startup in a fresh process, so numba/imports are paid as a user would):
- startup: `create_app` wall and CPU seconds and RSS, cold (universe generated) and warm (read
  back from the universe cache), for markets + combo markets;
- server time per 1000-market page: in-process select + quote model + JSON writer, median and
  p95, CPU and wall, over a full scan (all markets, mve_filter=exclude&status=open, combos only);
- an HTTP scan of every open non-combo market (limit=1000) through uvicorn with one keep-alive
  httpx connection: pages and total wall time.
The machine's load average is printed too: other processes on a shared 2-core machine slow
every number here (CPU seconds are the steadier figure).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_STARTUP = """
import json, sys, time, psutil
from pathlib import Path
from kalshi_sim.config import SimConfig
from kalshi_sim.app import create_app
markets, mve, cache = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
w, c = time.perf_counter(), time.process_time()
app = create_app(SimConfig(markets=markets, mve_markets=mve, rate_limit_per_s=0,
                           cache_dir=Path(cache) if cache else None))
print(json.dumps({"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c,
                  "rss_mib": psutil.Process().memory_info().rss / 2**20,
                  "markets": app.state.sim.u.n_markets}))
"""


def startup(markets: int, mve: int, cache: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP, str(markets), str(mve), cache],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def page_costs(markets: int, mve: int, cache: str) -> None:
    import numpy as np

    from kalshi_sim.app import admin_state, create_app
    from kalshi_sim.config import SimConfig
    from kalshi_sim.model_exchange import render_markets_array, select_markets

    app = create_app(
        SimConfig(markets=markets, mve_markets=mve, rate_limit_per_s=0, time_scale=0.0,
                  cache_dir=Path(cache))
    )  # fmt: skip
    state = admin_state(app)
    now = state.clock.now()
    for label, query in (
        ("all markets", {}),
        ("open, mve_filter=exclude", {"status": "open", "mve_filter": "exclude"}),
        ("combos only", {"mve_filter": "only"}),
    ):
        cursor, walls, cpus, n = "", [], [], 0
        while True:
            w, c = time.perf_counter(), time.process_time()
            idx, cursor = select_markets(
                state, {**query, "limit": "1000", "cursor": cursor}, now, historical=False,
                limit=1000,
            )  # fmt: skip
            body = render_markets_array(state, idx, now)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
            n += len(idx)
            assert body[:1] == b"["
            if not cursor:
                break
        wa, ca = np.asarray(walls) * 1000, np.asarray(cpus) * 1000
        print(
            f"  {label}: {n} markets, {len(walls)} pages; per page wall median "
            f"{np.median(wa):.1f} ms p95 {np.percentile(wa, 95):.1f} ms, CPU median "
            f"{np.median(ca):.1f} ms; total wall {wa.sum() / 1000:.2f} s"
        )
    import psutil

    rss = psutil.Process().memory_info().rss / 2**20
    print(f"  RSS after the scans (static JSON pages touched): {rss:.0f} MiB")


def http_scan(markets: int, mve: int, cache: str) -> None:
    import httpx

    from kalshi_sim.config import SimConfig
    from kalshi_sim.testing import serve

    cfg = SimConfig(markets=markets, mve_markets=mve, rate_limit_per_s=0, time_scale=0.0,
                    cache_dir=Path(cache))  # fmt: skip
    with serve(cfg) as server, httpx.Client(base_url=server.base_url, timeout=60) as c:
        for run in range(2):
            cursor, pages, n = "", 0, 0
            w = time.perf_counter()
            while True:
                r = c.get(
                    "/markets",
                    params={
                        "limit": 1000,
                        "status": "open",
                        "mve_filter": "exclude",
                        "cursor": cursor,
                    },
                )
                body = r.json()
                n += len(body["markets"])
                pages += 1
                cursor = body["cursor"]
                if not cursor:
                    break
            print(
                f"  HTTP scan run {run + 1}: {n} open non-combo markets, {pages} pages, "
                f"{time.perf_counter() - w:.2f} s wall (client json decode included)"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--markets", type=int, default=104_000)
    p.add_argument("--mve-markets", type=int, default=104_000)
    a = p.parse_args()
    print(
        f"date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; "
        f"load average: {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory() as cache:
        cold = startup(a.markets, a.mve_markets, cache)
        warm = startup(a.markets, a.mve_markets, cache)
        nocache = startup(a.markets, a.mve_markets, "")
        for name, r in (
            ("cold (generate + write cache)", cold),
            ("warm (cache)", warm),
            ("no cache (generate)", nocache),
        ):
            print(
                f"startup {name}: {int(r['markets'])} markets, wall {r['wall_s']:.2f} s, "
                f"CPU {r['cpu_s']:.2f} s, RSS {r['rss_mib']:.0f} MiB"
            )
        print("server time per 1000-market page (in-process):")
        page_costs(a.markets, a.mve_markets, cache)
        print("HTTP:")
        http_scan(a.markets, a.mve_markets, cache)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()

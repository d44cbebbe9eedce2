"""The API benchmark for two commits on the same machine, interleaved: is a change a regression?

    .venv/bin/python -m bench.api_compare --base 55d5068            # ~20 min with the defaults
    .venv/bin/python -m bench.api_compare --base HEAD~5 --rounds 2 --markets 5000 --rows 1000000

Why: `bench.api_load`'s figures move with the machine, not only with the code. On the 2-core VM
of 2026-12-05 the same commit's markets page measured from 10,100 to 18,700 req/s within half an
hour, with nothing else running (the host's other tenants are invisible from inside). A figure
recorded on another day cannot tell a 10% regression from that drift; two commits measured
side by side, alternating, can.

Steps: check out `--base` in a temporary git worktree; load one database per side with that
side's own `bench.api_dataset` (its own migrations and column layout, the same generated data);
then for `--rounds` rounds run `bench.api_load --reuse` once per side, the order alternating
(base first in odd rounds, the working tree first in even ones) so that drift in time hits both
equally. Each run starts its own uvicorn from its side's code and the same virtualenv. Reports,
per scenario, the median req/s and API + PostgreSQL CPU per request of each side and the ratio
head/base. Drops both databases and removes the worktree at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.throwaway_db import drop_database

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def _load(tree: Path, name: str, markets: int, rows: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.api_dataset",
            "--markets",
            str(markets),
            "--rows",
            str(rows),
            "--name",
            name,
            "--keep",
        ],
        cwd=tree,
        check=True,
    )


def _run(tree: Path, name: str, markets: int, duration: int, out: Path) -> list[dict[str, Any]]:
    cmd = [
        sys.executable,
        "-m",
        "bench.api_load",
        "--reuse",
        name,
        "--markets",
        str(markets),
        "--duration",
        str(duration),
        "--json",
        str(out),
    ]
    if subprocess.run(cmd, cwd=tree).returncode != 0:
        # one run in the first trials exited 1 and its retry passed: a failed run is retried once
        # (its output above says why), a second failure stops the comparison
        print("run failed; retrying once", flush=True)
        subprocess.run(cmd, cwd=tree, check=True)
    results: list[dict[str, Any]] = json.loads(out.read_text())["results"]
    return results


def _summary(runs: dict[str, list[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Median req/s and CPU per request by scenario and side, and head / base."""
    table: list[dict[str, Any]] = []
    scenarios = [r["scenario"] for r in runs["base"][0]]
    for scenario in scenarios:
        row: dict[str, Any] = {"scenario": scenario}
        for side in ("base", "head"):
            picked = [r for run in runs[side] for r in run if r["scenario"] == scenario]
            row[f"{side}_req_s"] = statistics.median(r["requests_per_s"] for r in picked)
            row[f"{side}_cpu_ms"] = statistics.median(
                r["api_cpu_ms_per_req"] + r["pg_cpu_ms_per_req"] for r in picked
            )
        row["req_s_ratio"] = row["head_req_s"] / row["base_req_s"]
        row["cpu_ratio"] = row["head_cpu_ms"] / row["base_cpu_ms"]
        table.append(row)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="the commit to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--markets", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario and run")
    parser.add_argument("--json", type=Path, help="also write the runs and the summary here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install -y wrk")
    base_rev = _git("rev-parse", "--short", args.base)
    head_rev = _git("rev-parse", "--short", "HEAD")
    stamp = datetime.now(UTC)
    load1, _, _ = os.getloadavg()
    print(
        f"{stamp:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load {load1:.1f}: base {base_rev} "
        f"vs the working tree at {head_rev}, {args.rounds} rounds",
        flush=True,
    )
    names = {side: f"kalshi_apicmp_{side}_{stamp:%Y%m%d%H%M%S}" for side in ("base", "head")}
    work = Path(tempfile.mkdtemp(prefix="kalshi_apicmp_"))
    base_tree = work / "base"
    trees = {"base": base_tree, "head": ROOT}
    _git("worktree", "add", "--detach", str(base_tree), base_rev)
    runs: dict[str, list[list[dict[str, Any]]]] = {"base": [], "head": []}
    try:
        for side in ("base", "head"):
            _load(trees[side], names[side], args.markets, args.rows)
        for i in range(args.rounds):
            order = ("base", "head") if i % 2 == 0 else ("head", "base")
            for side in order:
                print(f"--- round {i + 1}: {side} ({os.getloadavg()[0]:.1f} load)", flush=True)
                out = work / f"{side}_{i}.json"
                runs[side].append(_run(trees[side], names[side], args.markets, args.duration, out))
    finally:
        for name in names.values():
            drop_database(name)
        _git("worktree", "remove", "--force", str(base_tree))
        shutil.rmtree(work, ignore_errors=True)
    table = _summary(runs)
    print(f"\nmedians of {args.rounds} runs per side; ratio = working tree / {base_rev}")
    for row in table:
        print(
            f"{row['scenario']:30s} {row['base_req_s']:9.0f} -> {row['head_req_s']:9.0f} req/s "
            f"({row['req_s_ratio']:.3f})   CPU/req {row['base_cpu_ms']:.3f} -> "
            f"{row['head_cpu_ms']:.3f} ms ({row['cpu_ratio']:.3f})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"base": base_rev, "head": head_rev, "runs": runs, "summary": table}, indent=2
            )
        )


if __name__ == "__main__":
    main()

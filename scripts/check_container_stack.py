"""Checks of a running workbench stack, made the way a user would: over HTTP, against the API,
Dagster's GraphQL API and the dashboard (scripts/test-containers.sh calls them in turn).
Standard library only, so it runs with any python3, before or without the project's venv.

    check_container_stack.py ready        ingestion fresh (/health: every tier's last ok tick
                                          < 30 s old), Dagster lists the assets, the ingestion
                                          sensor runs and has started ingestion runs, the
                                          dashboard serves the SPA and passes /api on
    check_container_stack.py backtest     a backtest launched through Dagster's GraphQL API
                                          succeeds and is listed by /api/v1/backtests
    check_container_stack.py resumed --since ISO
                                          ingestion committed ticks after ISO and is fresh
    check_container_stack.py docker-runs  ingestion runs execute in containers of their own

Each check retries until it holds or its --timeout passes; the last reason is printed on failure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

MAX_AGE_S = 30.0
EXPECTED_ASSETS = {"market_snapshots", "series", "events", "markets", "backtest_momentum"}
INGESTION_TAG = "kalshi/ingestion"
DOCKER_CONTAINER_TAG = "docker/container_id"


class CheckError(Exception):
    """The condition does not hold (yet)."""


def log(msg: str) -> None:
    sys.stderr.write(f"[check] {msg}\n")
    sys.stderr.flush()


def lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def http(url: str, data: bytes | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (our own URLs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return int(resp.status), lower(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), lower(exc.headers), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise CheckError(f"{url}: {exc}") from exc


def graphql(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    status, _, raw = http(f"{base}/graphql", body)
    if status != 200:
        raise CheckError(f"GraphQL HTTP {status}: {raw[:300]!r}")
    reply = json.loads(raw)
    if reply.get("errors"):
        raise CheckError(f"GraphQL errors: {reply['errors']}")
    return dict(reply["data"])


def until(what: str, timeout: float, check: Callable[[], Any], every: float = 2.0) -> Any:
    """`check()` until it returns without CheckError; its result, or exit 1 after `timeout`."""
    start = time.monotonic()
    while True:
        try:
            result = check()
        except CheckError as exc:
            if time.monotonic() - start > timeout:
                log(f"FAIL {what} (after {timeout:.0f} s): {exc}")
                raise SystemExit(1) from exc
            time.sleep(every)
            continue
        log(f"ok   {what} ({time.monotonic() - start:.0f} s)")
        return result


# ---- the checks ----


def ingestion_fresh(api: str, since: datetime | None = None) -> dict[str, float]:
    status, _, raw = http(f"{api}/health")
    if status != 200:
        raise CheckError(f"/health answered {status}: {raw[:300]!r}")
    body = json.loads(raw)
    ages: dict[str, float] = {}
    for tier in body["ingestion"]:
        age, last = tier.get("age_s"), tier.get("last_ok_tick")
        if age is None or age >= MAX_AGE_S:
            raise CheckError(f"tier {tier['tier']}: last ok tick {last}, age {age} s")
        if since is not None and datetime.fromisoformat(last.replace("Z", "+00:00")) <= since:
            raise CheckError(f"tier {tier['tier']}: no tick after {since.isoformat()} yet")
        ages[tier["tier"]] = float(age)
    if not ages:
        raise CheckError("/health lists no ingestion tier")
    return ages


def dagster_assets_and_sensor(dagster: str) -> None:
    data = graphql(
        dagster,
        """{ assetNodes { assetKey { path } }
             repositoriesOrError { ... on RepositoryConnection { nodes {
               sensors { name sensorState { status ticks(limit: 5) { status } } } } } } }""",
    )
    assets = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    missing = EXPECTED_ASSETS - assets
    if missing:
        raise CheckError(f"assets missing from Dagster: {sorted(missing)} (has {sorted(assets)})")
    sensors = {
        s["name"]: s["sensorState"]
        for repo in data["repositoriesOrError"]["nodes"]
        for s in repo["sensors"]
    }
    state = sensors.get("ingestion_sensor")
    if state is None or state["status"] != "RUNNING":
        raise CheckError(f"ingestion_sensor not RUNNING: {state}")
    ticks = [t["status"] for t in state["ticks"]]
    if not ticks or "FAILURE" in ticks[:1]:
        raise CheckError(f"ingestion_sensor ticks: {ticks}")


def ingestion_runs(dagster: str) -> list[dict[str, Any]]:
    data = graphql(
        dagster,
        """query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}, limit: 20) {
             ... on Runs { results { runId status tags { key value } } } } }""",
        {"tags": [{"key": INGESTION_TAG, "value": "watchlist"}]},
    )
    runs: list[dict[str, Any]] = data["runsOrError"]["results"]
    if not any(r["status"] in {"STARTED", "SUCCESS"} for r in runs):
        raise CheckError(f"no started ingestion run: {[(r['runId'], r['status']) for r in runs]}")
    return runs


def dashboard_serves(dashboard: str) -> None:
    status, _, page = http(f"{dashboard}/")
    if status != 200 or b'id="root"' not in page:
        raise CheckError(f"dashboard / answered {status} without the SPA's root element")
    scripts = re.findall(rb'src="(/assets/[^"]+\.js)"', page)
    if not scripts:
        raise CheckError("dashboard index.html names no script")
    status, headers, _ = http(f"{dashboard}{scripts[0].decode()}")
    if status != 200 or "javascript" not in headers.get("content-type", ""):
        raise CheckError(f"{scripts[0].decode()} answered {status} {headers.get('content-type')}")
    status, _, page = http(f"{dashboard}/markets/SOME-TICKER")
    if status != 200 or b'id="root"' not in page:
        raise CheckError(f"client route /markets/SOME-TICKER answered {status}")
    status, headers, _ = http(f"{dashboard}/api/v1/markets?limit=1")
    total = headers.get("x-total-count")
    if status != 200 or not total or int(total) == 0:
        raise CheckError(f"dashboard /api/v1/markets answered {status}, X-Total-Count {total}")


def launch_backtest(dagster: str, asset: str) -> str:
    config = {
        "series": ["KXBTCD"],
        "lookback_hours": 0.1,
        "freq": "10s",
        "sharpe_freq": "1min",
        "min_coverage": 0.0,
    }
    data = graphql(
        dagster,
        """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
             ... on LaunchRunSuccess { run { runId } }
             ... on PythonError { message }
             ... on RunConfigValidationInvalid { errors { message } } } }""",
        {
            "p": {
                "selector": {
                    "repositoryLocationName": "kalshi_pipeline",
                    "repositoryName": "__repository__",
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": [asset]}],
                },
                "runConfigData": {"ops": {asset: {"config": config}}},
            }
        },
    )
    reply = data["launchRun"]
    if reply["__typename"] != "LaunchRunSuccess":
        raise SystemExit(f"launchRun: {reply}")
    return str(reply["run"]["runId"])


def run_finished(dagster: str, run_id: str) -> dict[str, Any]:
    data = graphql(
        dagster,
        """query($id: ID!) { runOrError(runId: $id) { ... on Run { status
             tags { key value } } } }""",
        {"id": run_id},
    )
    run: dict[str, Any] = data["runOrError"]
    if run["status"] not in {"SUCCESS", "FAILURE", "CANCELED"}:
        raise CheckError(f"run {run_id} is {run['status']}")
    return run


def run_errors(dagster: str, run_id: str) -> list[str]:
    data = graphql(
        dagster,
        """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
             events { __typename message } } } }""",
        {"id": run_id},
    )
    events = data["logsForRun"].get("events", [])
    return [f"{e['__typename']}: {e['message']}" for e in events if "Failure" in e["__typename"]]


def backtest_listed(api: str, strategy: str, since: datetime) -> int:
    status, _, raw = http(f"{api}/api/v1/backtests?strategy={strategy}&limit=10")
    if status != 200:
        raise CheckError(f"/api/v1/backtests answered {status}")
    for row in json.loads(raw):
        created = row.get("created_at") or row.get("run_at")
        if created and datetime.fromisoformat(created.replace("Z", "+00:00")) >= since:
            return int(row["id"])
    raise CheckError(f"no {strategy} backtest created after {since.isoformat()}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("check", choices=["ready", "backtest", "resumed", "docker-runs"])
    p.add_argument("--api", default="http://127.0.0.1:18000")
    p.add_argument("--dagster", default="http://127.0.0.1:13000")
    p.add_argument("--dashboard", default="http://127.0.0.1:15173")
    p.add_argument("--timeout", type=float, default=180)
    p.add_argument("--since", help="ISO-8601 UTC time (resumed)")
    p.add_argument("--strategy", default="momentum")
    p.add_argument(
        "--expect-container", action="store_true", help="backtest: ran in its own container"
    )
    a = p.parse_args()

    if a.check == "ready":
        ages = until("/health 200, every tier's last ok tick < 30 s old", a.timeout,
                     lambda: ingestion_fresh(a.api))  # fmt: skip
        log(f"     ingestion ages: {ages}")
        until("Dagster GraphQL lists the assets; ingestion_sensor RUNNING with ticks", 60,
              lambda: dagster_assets_and_sensor(a.dagster))  # fmt: skip
        until("ingestion runs started by the sensor", 60, lambda: ingestion_runs(a.dagster))
        until("dashboard serves the SPA, its assets, client routes and /api", 60,
              lambda: dashboard_serves(a.dashboard))  # fmt: skip
    elif a.check == "backtest":
        started = datetime.now(UTC).replace(microsecond=0)
        asset = f"backtest_{a.strategy}"
        run_id = launch_backtest(a.dagster, asset)
        log(f"     launched {asset} as run {run_id}")
        run = until(f"backtest run {run_id} finished", a.timeout,
                    lambda: run_finished(a.dagster, run_id), every=3)  # fmt: skip
        if run["status"] != "SUCCESS":
            for line in run_errors(a.dagster, run_id)[-10:]:
                log(f"     {line}")
            log(f"FAIL backtest run {run_id} ended {run['status']}")
            return 1
        if a.expect_container and not any(t["key"] == DOCKER_CONTAINER_TAG for t in run["tags"]):
            log(f"FAIL backtest run {run_id} did not run in a container of its own")
            return 1
        bt_id = until("the backtest is listed by /api/v1/backtests", 30,
                      lambda: backtest_listed(a.api, a.strategy, started))  # fmt: skip
        print(bt_id)
    elif a.check == "resumed":
        if not a.since:
            p.error("resumed needs --since")
        since = datetime.fromisoformat(a.since.replace("Z", "+00:00"))
        until(f"ingestion committed ticks after {a.since} and is fresh", a.timeout,
              lambda: ingestion_fresh(a.api, since), every=3)  # fmt: skip
    else:

        def in_containers() -> None:
            runs = ingestion_runs(a.dagster)
            tagged = [r for r in runs if any(t["key"] == DOCKER_CONTAINER_TAG for t in r["tags"])]
            if not tagged:
                raise CheckError(f"no ingestion run carries the {DOCKER_CONTAINER_TAG} tag")

        until("ingestion runs execute in containers of their own (DockerRunLauncher)", a.timeout,
              in_containers)  # fmt: skip
        until("/health 200, ingestion fresh", a.timeout, lambda: ingestion_fresh(a.api))
    return 0


if __name__ == "__main__":
    sys.exit(main())

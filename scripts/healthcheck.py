"""Container health checks for docker-compose.yml: each costs one Python start and small imports
(the Dagster CLI's own checks import Dagster, seconds of CPU per probe on a small machine).

    python scripts/healthcheck.py http URL         a 2xx answer within 3 s
    python scripts/healthcheck.py grpc HOST:PORT   the Dagster code server answers SERVING
    python scripts/healthcheck.py daemon           the Dagster daemon's sensor and run-queue
                                                   heartbeats in DAGSTER_PG_URL are under 2 min old

Exit status 0 = healthy, 1 = not (the reason on stderr).
"""

from __future__ import annotations

import os
import sys
import urllib.request

TIMEOUT_S = 3.0
HEARTBEAT_MAX_AGE_S = 120.0
# the daemons the workbench needs: the ingestion sensor and the queue that starts its runs
REQUIRED_DAEMONS = ("SENSOR", "QUEUED_RUN_COORDINATOR")


def check_http(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 (our own URL)
            status = int(resp.status)
    except Exception as exc:
        return f"{url}: {exc}"
    return None if 200 <= status < 300 else f"{url}: HTTP {status}"


def check_grpc(address: str) -> str | None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="DagsterApi"), timeout=TIMEOUT_S
            )
        except grpc.RpcError as exc:
            return f"{address}: {exc.code()}"
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        return f"{address}: status {reply.status}"
    return None


def check_daemon() -> str | None:
    import psycopg2

    url = os.environ["DAGSTER_PG_URL"].replace("postgresql+psycopg2://", "postgresql://", 1)
    try:
        with psycopg2.connect(url, connect_timeout=int(TIMEOUT_S)) as conn, conn.cursor() as cur:
            # timestamps are naive UTC
            cur.execute(
                "SELECT daemon_type, extract(epoch FROM (now() AT TIME ZONE 'UTC') - "
                "max(timestamp)) FROM daemon_heartbeats GROUP BY daemon_type"
            )
            ages = {str(kind): float(age) for kind, age in cur.fetchall()}
    except psycopg2.Error as exc:
        return f"daemon heartbeats: {exc}".strip()
    stale = [
        f"{d}: {'none' if d not in ages else f'{ages[d]:.0f} s old'}"
        for d in REQUIRED_DAEMONS
        if ages.get(d, float("inf")) > HEARTBEAT_MAX_AGE_S
    ]
    return f"stale daemon heartbeats ({', '.join(stale)})" if stale else None


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"http", "grpc", "daemon"}:
        sys.stderr.write(__doc__ or "")
        return 2
    kind, args = argv[0], argv[1:]
    if kind == "http":
        error = check_http(args[0])
    elif kind == "grpc":
        error = check_grpc(args[0])
    else:
        error = check_daemon()
    if error:
        sys.stderr.write(f"unhealthy: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

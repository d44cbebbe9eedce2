"""Report on a running ingestion stack (e.g. `make dev` left running for 30+ minutes).

    .venv/bin/python -m bench.ingestion_run_report --minutes 30

Reads the workbench database (DATABASE_URL) and Dagster's storage (DAGSTER_PG_URL, as set by
scripts/dev.sh; default: database `kalshi_dagster` on the same server) and prints, for the last N
minutes: ticks present / expected per tier, duplicate (market, tick) keys, rows written by
change-only storage vs every market every tick, Dagster runs per hour, and Dagster event-log
growth extrapolated to a day (serialized event bytes in the window; table overhead on top is
estimated from the table's bytes per event).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime, timedelta

import psycopg2

from kalshi_core.settings import get_settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=30)
    args = ap.parse_args()
    settings = get_settings()
    data_url = os.environ.get("DATABASE_URL", settings.database_url)
    dagster_url = os.environ.get(
        "DAGSTER_PG_URL", data_url.rsplit("/", 1)[0] + "/kalshi_dagster"
    ).replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(data_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT max(tick) FROM ingest_polls")
        last = cur.fetchone()[0]  # type: ignore[index]
    end = (last or datetime.now(UTC)).astimezone(UTC)
    end = end.replace(second=end.second - end.second % 5, microsecond=0)
    start = end - timedelta(minutes=args.minutes)
    out: dict[str, object] = {"window": [start.isoformat(), end.isoformat()]}
    with psycopg2.connect(data_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT tier, status, count(*), sum(markets_seen), sum(rows_written), "
            "min(tick), max(tick) FROM ingest_polls WHERE tick >= %s AND tick < %s GROUP BY 1, 2",
            (start, end),
        )
        tiers: dict[str, dict[str, object]] = {}
        for tier, status, n, seen, rows, _lo, _hi in cur.fetchall():
            t = tiers.setdefault(tier, {"ok": 0, "missed": 0, "error": 0})
            t[status] = n
            if status == "ok":
                t["markets_x_ticks"] = int(seen or 0)
                t["rows_written"] = int(rows or 0)
        cur.execute(
            "SELECT tier, min(tick), count(DISTINCT tick) FROM ingest_polls WHERE tick >= %s "
            "AND tick < %s GROUP BY 1",
            (start, end),
        )
        for tier, _first, _distinct in cur.fetchall():
            cur2 = conn.cursor()
            cur2.execute(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY d) FROM (SELECT "
                "extract(epoch FROM tick - lag(tick) OVER (ORDER BY tick)) AS d FROM ingest_polls "
                "WHERE tier = %s AND tick >= %s AND tick < %s) x WHERE d > 0",
                (tier, start, end),
            )
            interval = float(cur2.fetchone()[0] or 5)  # type: ignore[index]
            expected = int(args.minutes * 60 / interval)
            t = tiers[tier]
            t["interval_s"] = interval
            t["expected"] = expected
            t["coverage"] = round(int(t["ok"]) / expected, 5)  # type: ignore[call-overload]
            if t.get("rows_written"):
                t["change_only_reduction_x"] = round(
                    int(t["markets_x_ticks"]) / int(t["rows_written"]),  # type: ignore[call-overload]
                    2,
                )
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM market_snapshots WHERE observed_at >= %s "
            "AND observed_at < %s GROUP BY market_id, observed_at HAVING count(*) > 1) d",
            (start, end),
        )
        out["duplicate_keys"] = cur.fetchone()[0]  # type: ignore[index]
        out["tiers"] = tiers
    with psycopg2.connect(dagster_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM runs WHERE create_timestamp >= %s AND create_timestamp < %s",
            (start.replace(tzinfo=None), end.replace(tzinfo=None)),
        )
        runs = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            "SELECT count(*), coalesce(sum(octet_length(event)), 0) FROM event_logs "
            "WHERE timestamp >= %s AND timestamp < %s",
            (start.replace(tzinfo=None), end.replace(tzinfo=None)),
        )
        events, event_bytes = cur.fetchone()  # type: ignore[misc]
        cur.execute(
            "SELECT pg_total_relation_size('event_logs'), (SELECT count(*) FROM event_logs)"
        )
        table_bytes, table_events = cur.fetchone()  # type: ignore[misc]
    per_day = 24 * 60 / args.minutes
    out["dagster"] = {
        "runs_in_window": runs,
        "runs_per_hour": round(runs * 60 / args.minutes, 1),
        "events_in_window": events,
        "event_bytes_per_day_mb": round(event_bytes * per_day / 1e6, 1),
        "event_log_table_bytes_per_event": round(table_bytes / max(table_events, 1)),
        "event_log_growth_per_day_mb_incl_indexes": round(
            events * per_day * table_bytes / max(table_events, 1) / 1e6, 1
        ),
    }
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()

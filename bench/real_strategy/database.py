"""One data set's run of the real-data report in a throwaway database: create it, migrate it,
run the data set's runner on it, drop it (whatever happened), and time the whole."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2

from bench.real_strategy.runners import RUNNERS
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_ADMIN_URL",
    os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)


def _admin(sql: str) -> None:
    conn = psycopg2.connect(ADMIN_URL)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


async def _run(root: Path, dataset: str, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = await Database.connect(db_url, min_size=1, max_size=4)
    try:
        return await RUNNERS[dataset](root, repositories(db), db, args)
    finally:
        await db.close()


def run_dataset(root: Path, dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    name = f"kalshi_realrep_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    db_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    t0 = time.perf_counter()
    try:
        upgrade(db_url, partition_days_ahead=1)
        out = asyncio.run(_run(root, dataset, db_url, args))
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out

"""One data set's run of the real-data report in a throwaway database: create it, migrate it,
run the data set's runner on it, drop it (whatever happened), and time the whole."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from bench.real_strategy.runners import RUNNERS
from bench.throwaway_db import throwaway_database
from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.migrate import upgrade


async def _run(root: Path, dataset: str, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = await Database.connect(db_url, min_size=1, max_size=4)
    try:
        return await RUNNERS[dataset](root, repositories(db), db, args)
    finally:
        await db.close()


def run_dataset(root: Path, dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_database("kalshi_realrep") as db_url:
        t0 = time.perf_counter()  # wall_s: migration, run and drop (the create is not timed)
        upgrade(db_url, partition_days_ahead=1)
        out = asyncio.run(_run(root, dataset, db_url, args))
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out

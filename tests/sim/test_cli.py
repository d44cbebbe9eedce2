"""Contract: `python -m kalshi_sim --port P --markets N --seed S` serves the Trade API on P."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_command_line_serves_markets() -> None:
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kalshi_sim", "--port", str(port), "--markets", "400",
         "--mve-markets", "100", "--seed", "3", "--rate-limit", "0", "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/trade-api/v2"
        deadline = time.monotonic() + 180
        while True:
            try:
                r = httpx.get(f"{base}/exchange/status", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.2)
        assert r.json()["exchange_active"] is True
        body = httpx.get(f"{base}/markets", params={"limit": 1000}, timeout=30).json()
        assert len(body["markets"]) > 100
    finally:
        proc.terminate()
        proc.wait(timeout=30)

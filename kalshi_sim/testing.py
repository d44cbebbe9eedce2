"""Run the simulator in-process for tests: `with run_simulator(cfg) as base_url: ...`.

uvicorn serves the app from a background thread on a free local port; the context manager
yields the Trade API base URL (http://127.0.0.1:PORT/trade-api/v2) and stops the server on exit.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from kalshi_sim.app import create_app
from kalshi_sim.config import SimConfig
from kalshi_sim.handlers.routes import PREFIX


class SimServer:
    """A uvicorn server on its own thread; `.app` exposes the SimState via kalshi_sim.app."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            daemon=True,
            name=f"kalshi-sim-{self.port}",
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{PREFIX}"

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("kalshi_sim server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@contextmanager
def run_simulator(config: SimConfig | None = None) -> Iterator[str]:
    """Serve a simulator for the duration of the block; yields its Trade API base URL."""
    with serve(config) as server:
        yield server.base_url


@contextmanager
def serve(config: SimConfig | None = None, app: Starlette | None = None) -> Iterator[SimServer]:
    """Like run_simulator but yields the SimServer (app state, root URL for /_sim)."""
    server = SimServer(app or create_app(config))
    server.start()
    try:
        yield server
    finally:
        server.stop()

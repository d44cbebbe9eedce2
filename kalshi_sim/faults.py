"""Kalshi-like limits and injected faults, as an ASGI middleware with run-time knobs.

The token bucket answers 429 `{"error": "too many requests"}` without Retry-After, as Kalshi does.
Faults (5xx, latency, hangs, truncated/malformed JSON, dropped fields, outages, 429 storms) are
drawn from a seeded RNG so a test can make each one certain (rate 1.0) and observe it.
Admin paths (/_sim/...) bypass both.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, fields, replace
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kalshi_sim.config import FaultConfig

TOO_MANY = b'{"error": "too many requests"}'


class TokenBucket:
    """Classic token bucket; rate 0 disables it."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(rate, burst)

    def configure(self, rate: float, burst: float | None = None) -> None:
        with self._lock:
            self.rate = float(rate)
            self.burst = float(burst if burst is not None else max(rate, 1.0))
            self.tokens = self.burst
            self.stamp = time.monotonic()

    def take(self) -> bool:
        with self._lock:
            if self.rate <= 0:
                return True
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class FaultState:
    """Current fault knobs, the limiter and the counters the admin API exposes."""

    def __init__(self, cfg: FaultConfig, rate: float, burst: float | None) -> None:
        self._lock = threading.Lock()
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.bucket = TokenBucket(rate, burst)
        self.counters: Counter[str] = Counter()

    def update(self, changes: dict[str, Any]) -> FaultConfig:
        """Apply a partial update; `outage_s` / `storm_s` are relative durations from now."""
        known = {f.name for f in fields(FaultConfig)}
        changes = dict(changes)
        now = time.time()
        if "outage_s" in changes:
            changes["outage_until"] = now + float(changes.pop("outage_s"))
        if "storm_s" in changes:
            changes["storm_until"] = now + float(changes.pop("storm_s"))
        if "rate_limit_per_s" in changes or "rate_burst" in changes:
            rate = float(changes.pop("rate_limit_per_s", self.bucket.rate))
            burst = changes.pop("rate_burst", None)
            self.bucket.configure(rate, None if burst is None else float(burst))
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        if "drop_fields" in changes:
            changes["drop_fields"] = tuple(changes["drop_fields"])
        if "outage_mode" in changes and changes["outage_mode"] not in ("503", "reset"):
            raise ValueError("outage_mode must be '503' or 'reset'")
        for k, v in changes.items():
            if k not in ("drop_fields", "outage_mode") and not isinstance(v, int | float):
                raise ValueError(f"{k} must be a number")
        with self._lock:
            self.cfg = replace(self.cfg, **changes)
            if "seed" in changes:
                self.rng = random.Random(self.cfg.seed)
            return self.cfg

    def snapshot(self) -> dict[str, Any]:
        d = asdict(self.cfg)
        d["drop_fields"] = list(self.cfg.drop_fields)
        d["rate_limit_per_s"] = self.bucket.rate
        d["rate_burst"] = self.bucket.burst
        d["now"] = time.time()
        return d

    def roll(self, p: float) -> bool:
        if p <= 0:
            return False
        with self._lock:
            return self.rng.random() < p

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n


def _drop(obj: Any, names: tuple[str, ...]) -> Any:
    if isinstance(obj, dict):
        return {k: _drop(v, names) for k, v in obj.items() if k not in names}
    if isinstance(obj, list):
        return [_drop(v, names) for v in obj]
    return obj


class FaultMiddleware:
    """Applies the limiter and the fault knobs of a FaultState in front of the API."""

    def __init__(self, app: ASGIApp, state: FaultState, admin_prefix: str = "/_sim") -> None:
        self.app = app
        self.state = state
        self.admin_prefix = admin_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.admin_prefix):
            await self.app(scope, receive, send)
            return
        st = self.state
        cfg = st.cfg
        st.count("requests_total")
        now = time.time()
        if now < cfg.outage_until:
            st.count("outage_rejections")
            if cfg.outage_mode == "reset":
                await _drop_connection(send)
            await _send(
                send,
                503,
                b'{"error": {"code": "service_unavailable", '
                b'"message": "service unavailable", "service": "exchange"}}',
            )
            return
        if now < cfg.storm_until:
            st.count("rate_limited_429")
            await _send(send, 429, TOO_MANY)
            return
        if not st.bucket.take():
            st.count("rate_limited_429")
            await _send(send, 429, TOO_MANY)
            return
        delay = cfg.latency_ms / 1000.0
        if cfg.latency_jitter_ms > 0:
            delay += st.rng.random() * cfg.latency_jitter_ms / 1000.0
        if delay > 0:
            await asyncio.sleep(delay)
        if st.roll(cfg.timeout_rate):
            st.count("fault_timeout")
            await asyncio.sleep(cfg.hang_s)
            await _drop_connection(send)
        if st.roll(cfg.error_rate):
            st.count("fault_5xx")
            code = st.rng.choice((500, 502, 503))
            await _send(
                send,
                code,
                b'{"error": {"code": "internal_server_error", '
                b'"message": "internal server error", "service": "exchange"}}',
            )
            return
        mutate = None
        if st.roll(cfg.truncate_rate):
            mutate = "truncate"
        elif st.roll(cfg.malformed_rate):
            mutate = "malformed"
        elif st.roll(cfg.drop_field_rate):
            mutate = "drop"
        if mutate is None:
            await self.app(scope, receive, _counting_send(send, st))
            return
        await self._mutated(scope, receive, send, mutate)

    async def _mutated(self, scope: Scope, receive: Receive, send: Send, how: str) -> None:
        st = self.state
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        if status == 200:
            st.count(f"fault_{how}")
            if how == "truncate":
                body = body[: max(1, len(body) // 2)]
            elif how == "malformed":
                body = b"<html><body>upstream error</body></html>"
            else:
                body = orjson.dumps(_drop(orjson.loads(body), st.cfg.drop_fields))
        await _send(send, status, body)


def _counting_send(send: Send, st: FaultState) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            st.count(f"status_{message['status']}")
        await send(message)

    return wrapped


class SimulatedDisconnect(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised after a response has started so the server closes the connection mid-response."""


class _QuietDisconnects(logging.Filter):
    """Keeps uvicorn from logging a traceback for every simulated disconnect."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SimulatedDisconnect)


logging.getLogger("uvicorn.error").addFilter(_QuietDisconnects())


async def _drop_connection(send: Send) -> None:
    """Start a response that promises a body, then abort: the client sees the connection drop
    (httpx: RemoteProtocolError), which is what a reset or a dying upstream looks like."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    raise SimulatedDisconnect


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

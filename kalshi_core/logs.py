"""Structured JSON logging, configured once per process and shared by Dagster resources,
the API and the simulator.

Every record is one JSON object per line. Values whose key looks secret (key, token, password,
signature, authorization) are masked, so a key id or a private key never reaches a log.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_SECRET_MARKERS = ("password", "secret", "private_key", "signature", "authorization", "token")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_configured = False


def _is_secret(key: str) -> bool:
    k = key.lower()
    return any(m in k for m in _SECRET_MARKERS) or k.endswith("api_key")


def redact(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of `fields` with secret-looking values replaced by '***'."""
    return {k: ("***" if _is_secret(k) else v) for k, v in fields.items()}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; `extra=` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        payload.update(redact(extra))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Install the JSON handler on the root logger. Safe to call more than once."""
    global _configured
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root.handlers[:] = [handler]
    # httpx logs every request at INFO with full URLs; keep it at WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str) -> logging.Logger:
    """A named logger; configure_logging() decides where it goes."""
    return logging.getLogger(name)

"""On-disk cache of generated universes, so restarting a big simulator takes seconds.

A universe is a pure function of (generator source, seed, sizes, anchor, format, dynamics); the
cache key hashes exactly those, so a code change or another config never reads a stale file. One
.npz is a directory of .npy files (the static JSON buffer is memory-mapped on load) with the
string lists newline-joined (tickers and orjson output never contain raw newlines). An incomplete or
unreadable entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from kalshi_core.logs import get_logger
from kalshi_sim import catalogue, combos, dynamics, market_layouts, universe, universe_builder
from kalshi_sim.config import SimConfig
from kalshi_sim.market_paths import params
from kalshi_sim.universe import Universe
from kalshi_sim.universe_builder import build_universe

log = get_logger(__name__)

_STR_LISTS = ("s_ticker", "s_category", "e_ticker", "m_ticker")
_BYTES_LISTS = ("s_json", "e_json")
_SKIP = {"ticker_index", "event_index", "series_index", "series_markets", "series_events"}
_GENERATOR_MODULES = (
    catalogue,
    combos,
    dynamics,
    market_layouts,
    params,
    universe,
    universe_builder,
)
"""Every module whose source shapes a generated universe (this one hashes itself too)."""


def default_cache_dir() -> Path:
    env = os.environ.get("KALSHI_SIM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kalshi_sim"


def cache_key(cfg: SimConfig) -> str:
    h = hashlib.sha256()
    for module in _GENERATOR_MODULES:
        h.update(Path(str(module.__file__)).read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(
        json.dumps(
            [
                cfg.seed,
                cfg.markets,
                cfg.combo_markets,
                cfg.anchor.timestamp(),
                cfg.legacy_format,
                cfg.horizon_days,
                cfg.dynamics,
                cfg.activity,
            ]
        ).encode()
    )
    return h.hexdigest()[:24]


def save(u: Universe, path: Path) -> None:
    """Write u as a directory of .npy files (renamed into place when complete)."""
    arrays: dict[str, Any] = {}
    for f in fields(u):
        if f.name in _SKIP:
            continue
        value = getattr(u, f.name)
        if f.name in _STR_LISTS:
            arrays[f.name] = np.frombuffer("\n".join(value).encode(), np.uint8)
        elif f.name in _BYTES_LISTS:
            arrays[f.name] = np.frombuffer(b"\n".join(value), np.uint8)
        elif f.name == "s_tags":
            arrays[f.name] = np.frombuffer(json.dumps(value).encode(), np.uint8)
        else:
            arrays[f.name] = np.asarray(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, suffix=".tmp"))
    try:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        (tmp / "complete").write_text("ok")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load(path: Path) -> Universe:
    """Read a saved universe; big arrays are memory-mapped (read-only), so this is fast."""
    if not (path / "complete").exists():
        raise ValueError(f"incomplete universe cache {path}")
    kw: dict[str, Any] = {}
    for f in fields(Universe):
        if f.name in _SKIP:
            continue
        arr = np.load(path / f"{f.name}.npy", mmap_mode="r", allow_pickle=False)
        if f.name in _STR_LISTS:
            text = arr.tobytes().decode()
            kw[f.name] = text.split("\n") if text else []
        elif f.name in _BYTES_LISTS:
            raw = arr.tobytes()
            kw[f.name] = raw.split(b"\n") if raw else []
        elif f.name == "s_tags":
            kw[f.name] = [tuple(x) for x in json.loads(arr.tobytes())]
        elif f.name in ("seed", "anchor_ts", "dynamics"):
            kw[f.name] = int(arr)
        elif f.name in ("m_buf", "m_buf_legacy"):
            kw[f.name] = arr
        else:
            kw[f.name] = np.array(arr)
    u = Universe(**kw)
    u.finish_indexes()
    return u


def cached_universe(cfg: SimConfig, cache_dir: Path | None) -> Universe:
    """The universe for cfg, from the cache when present (and written there when not)."""
    if cache_dir is None:
        return build_universe(cfg)
    path = cache_dir / f"universe-{cache_key(cfg)}"
    if path.exists():
        try:
            return load(path)
        except (OSError, ValueError, KeyError) as exc:
            log.warning(
                "ignoring unreadable universe cache", extra={"path": str(path), "error": str(exc)}
            )
            shutil.rmtree(path, ignore_errors=True)
    u = build_universe(cfg)
    try:
        save(u, path)
    except OSError as exc:
        log.warning("could not write universe cache", extra={"path": str(path), "error": str(exc)})
    return u

"""Contract: the universe is a pure function of its config, and the on-disk cache returns it
unchanged (a different config or a corrupt file never yields a wrong universe)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np

from kalshi_sim.universe import Universe
from kalshi_sim.universe_builder import build_universe
from kalshi_sim.universe_cache import cache_key, cached_universe, load
from sim.conftest import base_config


def _assert_same(a: Universe, b: Universe) -> None:
    for f in fields(Universe):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
        else:
            assert x == y, f.name


def test_same_config_same_universe_and_cache_roundtrip(tmp_path: Path) -> None:
    cfg = base_config(markets=800, mve_markets=200)
    built = build_universe(cfg)
    _assert_same(built, build_universe(cfg))
    first = cached_universe(cfg, tmp_path)
    files = list(tmp_path.glob("universe-*"))
    assert len(files) == 1
    _assert_same(built, first)
    _assert_same(built, load(files[0]))
    assert cache_key(cfg) != cache_key(base_config(markets=800, mve_markets=200, seed=9))
    assert cache_key(cfg) != cache_key(
        base_config(markets=800, mve_markets=200, legacy_format=True)
    )


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    cfg = base_config(markets=300, mve_markets=50)
    path = tmp_path / f"universe-{cache_key(cfg)}"
    path.mkdir()
    (path / "m_ticker.npy").write_bytes(b"not an array")
    u = cached_universe(cfg, tmp_path)
    _assert_same(u, build_universe(cfg))
    _assert_same(u, load(path))


def test_legacy_universe_roundtrip(tmp_path: Path) -> None:
    cfg = base_config(markets=300, mve_markets=50, legacy_format=True)
    u = cached_universe(cfg, tmp_path)
    again = cached_universe(cfg, tmp_path)
    _assert_same(u, again)
    assert u.fragment(0, legacy=True) != u.fragment(0)


def test_horizon_adds_later_events() -> None:
    base = build_universe(base_config(markets=3000, mve_markets=0))
    longer = build_universe(base_config(markets=3000, mve_markets=0, horizon_days=5))
    day = 86400
    late = base.anchor_ts + 4 * day
    assert int((longer.m_open > late).sum()) > int((base.m_open > late).sum())
    assert longer.n_markets == base.n_markets

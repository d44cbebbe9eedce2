"""Contract: the numba page writer emits exactly the bytes of the reference Python renderer
(every status, combos, settled and unopened markets, timestamps across years)."""

from __future__ import annotations

import numpy as np
import orjson

from kalshi_sim.app import admin_state, create_app
from kalshi_sim.render import join_array, market_fragments, markets_array
from sim.conftest import START, base_config

NOW = START.timestamp()


def test_numba_writer_matches_python_renderer() -> None:
    state = admin_state(create_app(base_config(markets=1500, mve_markets=400)))
    u = state.u
    idx = np.arange(u.n_markets)
    for t in (NOW, NOW + 5 * 86400 + 17, NOW - 30 * 86400, NOW + 400 * 86400):
        rows = state.model.rows(idx, t)
        statuses = set(rows[:, 0].tolist())
        fast = markets_array(u, idx.tolist(), rows, t, legacy=False)
        slow = join_array(market_fragments(u, idx.tolist(), rows, t, legacy=False))
        assert fast == slow, t
        assert len(orjson.loads(fast)) == u.n_markets
        if t == NOW:
            assert statuses >= {0, 1, 4}

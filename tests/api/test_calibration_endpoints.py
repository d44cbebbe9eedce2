"""Contract: the calibration endpoints over HTTP on real PostgreSQL.

`GET /api/v1/calibration` lists stored analyses newest first as a JSON array with
`X-Total-Count`, limit/offset paging and the `series` / `pooled` filters, summary rows without
bands; `GET /api/v1/calibration/{id}` gives one analysis with its bands, every Decimal as a JSON
number in dollars equal to the hand-computed figure. Unknown ids are a 404 JSON error; ids out
of range, bad limits and non-boolean `pooled` are 422s.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kalshi_core.analysis.calibration import CalibrationParams, run_calibration
from kalshi_core.storage.database import Repositories
from tests.calibration_fixture import (
    EXPECTED_BANDS,
    EXPECTED_BRIER,
    EXPECTED_EXCLUSIONS,
    EXPECTED_OBSERVATIONS,
    seed,
)


async def _store(repos: Repositories) -> tuple[int, int, int]:
    await seed(repos)
    params = CalibrationParams(series_ticker="KXCAL")
    result = await run_calibration(repos.calibration, params)
    first = await repos.calibration.save(result)
    pooled = await repos.calibration.save(result.model_copy(update={"series_ticker": None}))
    wide = await repos.calibration.save(result.model_copy(update={"close_window_s": 3600}))
    return first, pooled, wide


def _num(v: str | None) -> float | None:
    return None if v is None else float(Decimal(v))


async def test_list_newest_first_with_filters(
    client: httpx.AsyncClient, repos: Repositories
) -> None:
    first, pooled, wide = await _store(repos)
    r = await client.get("/api/v1/calibration")
    assert r.status_code == 200
    assert r.headers["X-Total-Count"] == "3"
    body = r.json()
    assert [a["id"] for a in body] == [wide, pooled, first]
    assert "bands" not in body[0]
    item = body[2]
    assert item["series_ticker"] == "KXCAL"
    assert item["close_window_s"] == 600
    assert item["brier"] == float(EXPECTED_BRIER)
    assert item["observations"] == EXPECTED_OBSERVATIONS
    assert item["contracts"] == 189
    assert item["band_edges"][:3] == [0, 0.05, 0.1]
    assert item["exclusions"] == EXPECTED_EXCLUSIONS

    r = await client.get("/api/v1/calibration", params={"series": "KXCAL"})
    assert [a["id"] for a in r.json()] == [wide, first]
    r = await client.get("/api/v1/calibration", params={"pooled": "true"})
    assert [a["series_ticker"] for a in r.json()] == [None]
    assert r.headers["X-Total-Count"] == "1"
    r = await client.get("/api/v1/calibration", params={"limit": 1, "offset": 1})
    assert [a["id"] for a in r.json()] == [pooled]
    assert r.headers["X-Total-Count"] == "3"
    r = await client.get("/api/v1/calibration", params={"series": "KXNONE"})
    assert (r.json(), r.headers["X-Total-Count"]) == ([], "0")


async def test_one_analysis_with_bands(client: httpx.AsyncClient, repos: Repositories) -> None:
    first, _, _ = await _store(repos)
    r = await client.get(f"/api/v1/calibration/{first}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == first
    assert body["brier"] == 0.056324
    got = [
        (
            b["lower"],
            b["upper"],
            b["observations"],
            b["contracts"],
            b["mean_price"],
            b["win_rate"],
            b["return_after_fees"],
            b["fees"],
        )
        for b in body["bands"]
    ]
    assert got == [
        (float(lo), float(hi), n, float(c), _num(mp), _num(wr), _num(ret), float(fees))
        for lo, hi, n, c, mp, wr, ret, fees in EXPECTED_BANDS
    ]
    assert body["bands"][5]["return_after_fees"] == 0.089283


async def test_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/calibration/12345")
    assert r.status_code == 404
    assert r.json() == {"detail": "unknown calibration id 12345"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/calibration/0",
        "/api/v1/calibration/abc",
        f"/api/v1/calibration/{2**63}",
        "/api/v1/calibration?limit=0",
        "/api/v1/calibration?limit=1001",
        "/api/v1/calibration?offset=-1",
        "/api/v1/calibration?pooled=maybe",
        "/api/v1/calibration?series=",
        "/api/v1/calibration?series=%00",
    ],
)
async def test_bad_parameters_are_422(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 422
    assert "detail" in r.json()

"""Contract: `CalibrationRepository` on real PostgreSQL.

- `trades` streams every print in scope joined with its market's result, close time and the
  effective fee (an event's override beats its series'): exactly the rows the fixture module
  derives; a series scope leaves other series out; prints without market metadata come with
  result None.
- `run_calibration` over it gives the hand-computed analysis, and `kept_totals` (SQL alone)
  agrees with the bands' totals.
- `save`/`get` round-trip a result exactly (Decimal bands, edges, exclusions); saving the same
  parameters again replaces the row and keeps its id, other parameters make a new row.
- `list` is newest first with summary rows, exact totals and series / pooled filters.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kalshi_core.analysis.calibration import (
    CalibrationParams,
    calibrate,
    run_calibration,
)
from kalshi_core.models import Market, Trade
from kalshi_core.storage.database import Repositories
from kalshi_core.storage.repositories import CalibrationRepository
from tests.calibration_fixture import (
    EXPECTED_BRIER,
    EXPECTED_CONTRACTS,
    EXPECTED_OBSERVATIONS,
    calibration_rows,
    seed,
)

pytestmark = pytest.mark.usefixtures("clean_db")

OTHER = "KXOTHER-26JAN10-X"


async def _seed_other(repos: Repositories) -> None:
    """A second series' settled market, and a print of a market nobody has metadata for."""
    close = datetime(2026, 1, 10, 12, tzinfo=UTC)
    t = datetime(2026, 1, 10, 8, tzinfo=UTC)
    await repos.markets.upsert_markets(
        [
            Market(
                ticker=OTHER,
                event_ticker="KXOTHER-26JAN10",
                series_ticker="KXOTHER",
                status="finalized",
                result="no",
                close_time=close,
            )
        ]
    )
    trades = [
        Trade(trade_id="o1", ticker=OTHER, created_time=t, yes_price=Decimal("0.2"), count=1),
        Trade(trade_id="u1", ticker="KXGHOST-1", created_time=t, yes_price=Decimal("0.3"), count=1),
    ]
    await repos.history.replace_trades([OTHER, "KXGHOST-1"], t, close, trades)


async def test_trades_join_metadata_and_fees(repos: Repositories) -> None:
    assert isinstance(repos.calibration, CalibrationRepository)
    await seed(repos)
    await _seed_other(repos)

    def key(t: object) -> tuple[str, datetime, Decimal]:
        return (t.ticker, t.created_time, t.yes_price)  # type: ignore[attr-defined]

    got = sorted([t async for t in repos.calibration.trades("KXCAL")], key=key)
    assert got == sorted(calibration_rows(), key=key)
    assert {t.fee_multiplier for t in got if t.ticker == "KXCAL-26JAN10H-C"} == {Decimal("0.5")}

    everything = [t async for t in repos.calibration.trades(None)]
    assert len(everything) == len(got) + 2
    ghost = next(t for t in everything if t.ticker == "KXGHOST-1")
    assert (ghost.result, ghost.close_time, ghost.fee_type) == (None, None, "quadratic")
    assert await repos.calibration.series_with_trades() == ["KXCAL", "KXOTHER"]


async def test_run_calibration_and_sql_recount(repos: Repositories) -> None:
    await seed(repos)
    await _seed_other(repos)
    result = await run_calibration(repos.calibration, CalibrationParams(series_ticker="KXCAL"))
    assert result.brier == EXPECTED_BRIER
    assert result.observations == EXPECTED_OBSERVATIONS
    assert await repos.calibration.kept_totals("KXCAL", 600) == (
        EXPECTED_OBSERVATIONS,
        EXPECTED_CONTRACTS,
    )
    # pooled: KXCAL plus the KXOTHER print; the print without metadata is unsettled
    pooled = await run_calibration(repos.calibration, CalibrationParams())
    assert pooled.observations == EXPECTED_OBSERVATIONS + 1
    assert pooled.exclusions["unsettled"] == 2
    assert await repos.calibration.kept_totals(None, 600) == (
        pooled.observations,
        pooled.contracts,
    )
    assert await repos.calibration.kept_totals("KXCAL", 0) == (EXPECTED_OBSERVATIONS + 2, 212)


async def test_save_get_round_trip_and_replace(repos: Repositories) -> None:
    result = calibrate(calibration_rows(), CalibrationParams(series_ticker="KXCAL"))
    first = await repos.calibration.save(result)
    stored = await repos.calibration.get(first)
    assert stored is not None
    assert stored.id == first
    assert stored.computed_at is not None
    assert stored.model_copy(update={"id": None, "computed_at": None}) == result
    assert [str(b.contracts) for b in stored.bands][:2] == ["0", "100.00"]  # scale kept

    await asyncio.sleep(0.01)
    again = await repos.calibration.save(result.model_copy(update={"markets": 99}))
    assert again == first
    replaced = await repos.calibration.get(first)
    assert replaced is not None
    assert replaced.markets == 99
    assert replaced.computed_at is not None
    assert replaced.computed_at > stored.computed_at

    # same scope, other parameters: a second analysis; equal edges written differently: same
    other = await repos.calibration.save(result.model_copy(update={"close_window_s": 0}))
    assert other != first
    padded = tuple(Decimal(f"{e:.4f}") for e in result.band_edges)
    assert await repos.calibration.save(result.model_copy(update={"band_edges": padded})) == first
    assert await repos.calibration.get(10_000) is None


async def test_list_filters_and_pages(repos: Repositories) -> None:
    base = calibrate(calibration_rows(), CalibrationParams(series_ticker="KXCAL"))
    ids = [
        await repos.calibration.save(base),
        await repos.calibration.save(base.model_copy(update={"series_ticker": None})),
        await repos.calibration.save(base.model_copy(update={"series_ticker": "KXOTHER"})),
    ]
    page = await repos.calibration.list(limit=2)
    assert page.total == 3
    assert [r.id for r in page.items] == ids[::-1][:2]  # newest first
    assert all(r.bands == [] for r in page.items)  # summary rows
    assert (await repos.calibration.list(offset=2)).items[0].id == ids[0]

    only = await repos.calibration.list("KXOTHER")
    assert (only.total, [r.id for r in only.items]) == (1, [ids[2]])
    pooled = await repos.calibration.list(pooled=True)
    assert [r.series_ticker for r in pooled.items] == [None]
    per_series = await repos.calibration.list(pooled=False)
    assert per_series.total == 2
    assert (await repos.calibration.list("KXCAL", pooled=True)).total == 0

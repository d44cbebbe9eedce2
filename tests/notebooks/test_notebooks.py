"""Contract: every notebook under notebooks/ runs top to bottom against a real PostgreSQL with
data in it (through the repositories, no Dagster needed), and is committed without outputs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.pipeline.test_backtest_assets import seed

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.usefixtures("clean_db")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(seed(database_url))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "markets with quotes" in text
    assert "PnL" in text
    assert os.environ["DATABASE_URL"] == database_url

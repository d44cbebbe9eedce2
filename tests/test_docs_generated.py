"""Contract: the generated parts of the docs are what `scripts/gen-docs.py` generates today.

docs/DAGSTER.md's asset table is rendered from the Dagster definitions; a new asset, strategy,
partitioning, job, schedule or sensor changes it, and this test fails until the script has been
run (`.venv/bin/python scripts/gen-docs.py`) and the result committed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_gen_docs() -> ModuleType:
    # The script's file name has a hyphen (scripts/ are commands, not modules).
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen-docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_docs = load_gen_docs()


@pytest.mark.parametrize("section", gen_docs.SECTIONS, ids=lambda s: f"{s.path.name}:{s.name}")
def test_generated_section_is_current(section: Any) -> None:
    # In a fresh process: the strategy registry is process-wide, and other tests register
    # strategies of their own, which would show up as assets here.
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-docs.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, (
        f"{section.path.name}'s {section.name} section is stale: "
        "run .venv/bin/python scripts/gen-docs.py and commit the result\n"
        f"{done.stdout}{done.stderr}"
    )


def test_asset_table_lists_every_asset_with_what_runs_it() -> None:
    @dg.asset(group_name="raw", partitions_def=dg.DailyPartitionsDefinition("2026-01-01"))
    def quotes() -> None:
        """Quotes. Polled every 5 s."""

    @dg.asset(group_name="derived", deps=[quotes])
    def report() -> None:
        """A report | with a pipe."""

    job = dg.define_asset_job("quotes_job", selection=[quotes])
    definitions = dg.Definitions(
        assets=[quotes, report],
        jobs=[job],
        schedules=[dg.ScheduleDefinition(job=job, cron_schedule="0 * * * *")],
    )
    table = gen_docs.asset_table(definitions)
    assert table.splitlines()[0] == "2 groups, 2 assets:"
    assert (
        "| `raw` | `quotes` | daily (UTC) from 2026-01-01 | — "
        "| job `quotes_job`: `quotes_job_schedule` (`0 * * * *` UTC) | Quotes. |"
    ) in table
    derived = "| `derived` | `report` | — | `quotes` | on demand | A report \\| with a pipe. |"
    assert derived in table
    # upstream groups first
    assert table.index("`raw`") < table.index("`derived`")


def test_a_missing_marker_is_an_error(tmp_path: Path) -> None:
    doc = tmp_path / "DOC.md"
    doc.write_text("# no markers\n")
    section = gen_docs.Section(doc, "assets", lambda: "table")
    with pytest.raises(SystemExit, match="markers"):
        gen_docs.regenerate(doc.read_text(), section)
    doc.write_text(f"a\n{section.begin}\nold\n{section.end}\nb\n")
    fresh = gen_docs.regenerate(doc.read_text(), section)
    assert fresh == f"a\n{section.begin}\ntable\n{section.end}\nb\n"

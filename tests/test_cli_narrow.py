"""Narrow terminals: at 80 columns (COLUMNS honoured when piped) no line is wider than the terminal and no
money figure is broken across lines. The figures are taken from `--output json` (another code path), so
the check does not trust the table code it tests. The fleet progress plan goes to stderr, the bar only on
a terminal outside CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KUBEFLEET = str(Path(sys.executable).parent / "kubefleet")
AS_OF = "2026-11-27"


def _run(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("CI", None)
    return subprocess.run([KUBEFLEET, *args, "--as-of", AS_OF], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600, check=False)


def _money(value: str) -> str:
    return f"${Decimal(value):,.2f}"


def _fits(text: str, width: int) -> None:
    long = [line for line in text.splitlines() if len(line) > width]
    assert not long, "\n".join(long[:5])


pytestmark = pytest.mark.slow


def test_compare_at_80_columns() -> None:
    table = _run("compare", "examples/sweet-spot.yaml")
    assert table.returncode == 0, table.stderr
    _fits(table.stdout, 80)
    (doc,) = json.loads(_run("compare", "examples/sweet-spot.yaml", "--output", "json").stdout)["items"]
    for provider, data in doc["providers"].items():
        for category, value in data["by_category"].items():
            assert _money(value) in table.stdout, (provider, category, value)


def test_fleet_at_80_columns_plan_on_stderr_no_bar_when_piped() -> None:
    table = _run("fleet", "examples/")
    assert table.returncode == 0, table.stderr
    _fits(table.stdout, 80)
    doc = json.loads(_run("fleet", "examples/", "--output", "json").stdout)
    clusters = doc["clusters"] if "clusters" in doc else doc["rows"]
    for row in clusters:
        assert _money(row["monthly"]) in table.stdout, row["name"]
    assert table.stderr.startswith("fleet: 7 clusters, ") and "to price on all providers" in table.stderr
    assert "━" not in table.stderr and "\r" not in table.stderr  # no progress bar into a pipe
    assert "by kind: " in table.stdout


def test_diff_at_80_columns_keeps_names_whole() -> None:
    base, new = "tests/data/diff/provider-block.old.yaml", "tests/data/diff/provider-block.new.yaml"
    table = _run("diff", "--base", base, new)
    assert table.returncode == 1, table.stderr  # a project move is refused (tests/test_diff_region.py); table whole
    _fits(table.stdout, 80)
    doc = json.loads(_run("diff", "--base", base, new, "--output", "json").stdout)
    for cluster in doc["clusters"]:
        for change in cluster["changes"]:
            if change["op"] != "same":  # unchanged resources are counted, not listed ("N resources unchanged")
                assert change["name"] in table.stdout  # identifiers are never folded
    assert "left out type" in table.stdout


def test_wide_terminals_keep_every_column() -> None:
    table = _run("fleet", "examples/", columns=200)
    assert "narrow terminal" not in table.stdout
    header = next(line for line in table.stdout.splitlines() if "cluster" in line and "monthly" in line)
    for col in ("team", "owner", "version", "max"):
        assert col in header


def test_fleet_reports_progress_from_zero_to_all() -> None:
    from datetime import date

    from kubefleet.catalog import load_catalog
    from kubefleet.fleet import build_report, discover

    loaded, failures = discover([ROOT / "examples" / "dev-small.yaml", ROOT / "examples" / "sweet-spot.yaml"])
    calls: list[tuple[int, int, int]] = []
    build_report(loaded, failures, as_of=date(2026, 11, 27), catalog=load_catalog(), compare_providers=False,
                 jobs=1, progress=lambda done, total, workers: calls.append((done, total, workers)))
    assert calls == [(0, 2, 1), (1, 2, 1), (2, 2, 1)]


def test_the_bar_is_off_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubefleet.cli import fleet_cmd

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("CI", "true")
    assert not fleet_cmd.show_progress_bar()
    monkeypatch.delenv("CI")
    assert fleet_cmd.show_progress_bar()

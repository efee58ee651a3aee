"""`fleet --usage`: one usage file (Infracost's infracost-usage.yml format) across a fleet, each cluster
priced with its own entry, then the type default, under the flags (Infracost's precedence, tested for
`cost`/`compare` in test_cost_usage.py). Here: the fleet hands every cluster its own assumptions, and clusters
whose specs are twins are priced apart when their usage differs (never one price for both)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubefleet import fleet as fleet_mod
from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.cli.cost_cmds import _assumptions, _per_cluster
from kubefleet.fleet import ProviderPrice, build_report, discover

ROOT = Path(__file__).resolve().parents[1]
USAGE = """version: 0.1
resource_type_default_usage:
  kubefleet_cluster:
    monthly_data_processed_gb: 300
resource_usage:
  kubefleet_cluster.orders-prod:
    monthly_data_ingested_gb: 60
  kubefleet_cluster.orders-prod-copy:
    monthly_data_ingested_gb: 5
"""


def test_each_cluster_is_priced_with_its_own_usage_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "fleet.yaml"
    text = (ROOT / "examples" / "fleet.yaml").read_text()
    first = text.split("\n---\n")[0]
    specs.write_text(text + "\n---\n" + first.replace("name: orders-prod", "name: orders-prod-copy"))
    usage = tmp_path / "usage.yml"
    usage.write_text(USAGE)
    seen: list[tuple[str, Any]] = []

    def recording_price_one(spec: Any, providers: Any, *, as_of: Any, catalog: Any, assumptions: Any,
                            fx: Any = None) -> dict[str, ProviderPrice]:
        seen.append((spec.metadata.name, assumptions))  # a recording stand-in: no render, no pricing
        total = Decimal(assumptions.log_gb_month or 0) + assumptions.egress_gb_month
        return {p: ProviderPrice(p, region="r", monthly=total, monthly_max=total) for p in providers}

    monkeypatch.setattr(fleet_mod, "price_one", recording_price_one)
    loaded, failures = discover([specs])
    assert not failures and len(loaded) == 4
    base = _assumptions(None, "50", None)  # --egress-gb 50 wins over the usage file's type default
    report = build_report(loaded, failures, as_of=load_catalog().as_of(), catalog=load_catalog(),
                          assumptions=base, compare_providers=False,
                          assumptions_for=_per_cluster(base, usage, [i.spec.name for i in loaded]))
    by_name = {row.name: row for row in report.rows}
    assert by_name["orders-prod"].monthly == Decimal(60 + 50)
    assert by_name["orders-prod-copy"].monthly == Decimal(5 + 50)  # a twin spec, its own usage: priced apart
    assert len(seen) == 4  # the two prod twins were not merged
    for _name, assumed in seen:
        assert assumed.egress_gb_month == Decimal(50) and assumed.origins["egress_gb_month"] == "--egress-gb"
    assert {a.log_gb_month for _n, a in seen} == {Decimal(60), Decimal(5), None}
    logs = [a for _n, a in seen if a.log_gb_month == Decimal(60)]
    assert logs and "usage.yml:7:31 (monthly_data_ingested_gb)" in logs[0].origins["log_gb_month"]


def test_without_usage_twins_still_share_one_price(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "fleet.yaml"
    first = (ROOT / "examples" / "fleet.yaml").read_text().split("\n---\n")[0]
    specs.write_text(first + "\n---\n" + first.replace("name: orders-prod", "name: orders-prod-copy"))
    calls: list[str] = []

    def recording_price_one(spec: Any, providers: Any, **_kw: Any) -> dict[str, ProviderPrice]:
        calls.append(spec.metadata.name)
        return {p: ProviderPrice(p, region="r", monthly=Decimal(1), monthly_max=Decimal(1)) for p in providers}

    monkeypatch.setattr(fleet_mod, "price_one", recording_price_one)
    loaded, failures = discover([specs])
    build_report(loaded, failures, as_of=load_catalog().as_of(), catalog=load_catalog(), compare_providers=False)
    assert len(calls) == 1


def test_fleet_bad_usage_file_is_exit_2_at_its_position(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text("version: 0.1\nresource_usage:\n  kubefleet_cluster.orders-prod:\n    monthly_logs_gb: 5\n")
    result = CliRunner().invoke(app, ["fleet", str(ROOT / "examples" / "fleet.yaml"), "--usage", str(usage)])
    assert result.exit_code == 2
    assert f"{usage}:4:5" in result.output and "unknown usage key" in result.output
    assert "Traceback" not in result.output

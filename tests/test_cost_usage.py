"""Usage files (Infracost's infracost-usage.yml shape) and usage flags: every usage-priced line says it is
an estimate and where its volume came from; bad input is file:line:col with exit 2."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.cost.model import Assumptions
from kubefleet.cost.usage import load_usage
from kubefleet.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT / "tests" / "data" / "usage" / "kubefleet-usage.yml"


def test_cluster_entry_wins_over_type_default_and_flags_win_over_both() -> None:
    usage = load_usage(USAGE)
    mine = usage.assumptions_for("sweet-spot", Assumptions())
    assert mine.log_gb_month == Decimal(60) and mine.egress_gb_month == Decimal(100)
    assert mine.origins["log_gb_month"].endswith("kubefleet-usage.yml:10:31 (monthly_data_ingested_gb)")
    other = usage.assumptions_for("dev-sandbox", Assumptions())
    assert other.log_gb_month == Decimal(20) and "kubefleet-usage.yml:6:31" in other.origins["log_gb_month"]
    flagged = usage.assumptions_for("sweet-spot", Assumptions(log_gb_month=Decimal(5), origins={"log_gb_month": "--log-gb"}),
                                    flags=frozenset({"log_gb_month"}))
    assert flagged.log_gb_month == Decimal(5) and flagged.origins["log_gb_month"] == "--log-gb"


def test_compare_with_a_usage_file_prices_the_log_lines_as_estimates_and_ranks() -> None:
    result = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--as-of", "2026-11-27", "--usage",
                                      str(USAGE.relative_to(ROOT)), "--output", "json", "--providers", "gke,eks,aks"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    data = doc["items"][0] if "items" in doc else doc
    logs = [c for p in ("gke", "eks") for c in data["providers"][p]["components"] if c["category"] == "logging"]
    assert len(logs) == 2 and all(c["estimate"] for c in logs)
    assert all("kubefleet-usage.yml:10:31" in c["note"] for c in logs)
    eks = next(c for c in logs if "CloudWatch" in c["name"])
    assert eks["monthly"] == "30.00"  # 60 GB × $0.50
    gke = next(c for c in logs if "Cloud Logging" in c["name"])
    assert gke["monthly"] == "5.00"  # (60 − 50 free) GiB × $0.50
    assert data["cheapest"] == "eks"


BAD = [
    ("version: 0.2\n", 1, 10, "unsupported usage file version"),
    ("version: 0.1\nresource_usage:\n  kubefleet_cluster.a:\n    monthly_data_ingested_gb: -1\n", 4, 31, "between 0"),
    ("version: 0.1\nresource_usage:\n  kubefleet_cluster.a:\n    monthly_logs_gb: 5\n", 4, 5, "unknown usage key"),
    ("version: 0.1\nresource_usage:\n  aws_nat_gateway.a:\n    monthly_data_processed_gb: 5\n", 3, 3,
     "unknown resource address"),
    ("version: 0.1\nresource_type_default_usage:\n  kubefleet_cluster:\n    monthly_data_processed_gb: lots\n",
     4, 32, "must be a number"),
    ("version: 0.1\nresource_type_default_usage:\n  kubefleet_cluster:\n    monthly_data_processed_gb: true\n",
     4, 32, "must be a number"),
    ("resource_usage: {}\n", 1, 1, "missing version"),
    ("- 1\n", 1, 1, "one YAML mapping"),
    ("version: 0.1\nversion: 0.1\n", 2, 1, "duplicate"),
]


@pytest.mark.parametrize(("text", "line", "col", "what"), BAD, ids=[b[3] for b in BAD])
def test_bad_usage_files_are_refused_at_their_position(tmp_path: Path, text: str, line: int, col: int,
                                                       what: str) -> None:
    path = tmp_path / "usage.yml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_usage(path)
    issue = err.value.issues[0]
    assert (issue.line, issue.column) == (line, col) and what in issue.message, issue.render()


def test_cli_bad_usage_file_exits_2_with_position_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "usage.yml"
    path.write_text("version: 0.1\nresource_usage:\n  kubefleet_cluster.sweet-spot:\n    monthly_logs_gb: 5\n")
    result = CliRunner().invoke(app, ["cost", "examples/sweet-spot.yaml", "--provider", "gke", "--usage", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4:5: unknown usage key" in result.output and "Traceback" not in result.output


def test_usage_file_that_is_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "usage.yml"
    os.mkfifo(fifo)
    with pytest.raises(SpecError) as err:
        load_usage(fifo)
    assert err.value.issues[0].file == str(fifo)


"""`kubefleet policy check` / `policy rules` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kubefleet.cli.app import app
from tests.conftest import ROOT
from tests.test_policies import PROD, WINDOW

runner = CliRunner()

GOOD = dict(name="pay", labels="team: payments, owner: jane-doe, cost-center: cc-1234, env: prod", provider="gke",
            version="1.35", availability="regional", endpoint="private", replicas="",
            pools="    - {name: general, machine: {vcpus: 4, memoryGiB: 16}, autoscaling: {min: 3, max: 9}}",
            private="true", isolation="shared", istio="none", plane="sidecar", pods=0, upgrades=WINDOW)


def write(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(PROD.format(**{**GOOD, **overrides}))
    return path


def test_clean_spec_exits_0(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", str(write(tmp_path)), "--as-of", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "no policy findings" in result.output and "pay on gke" in result.output


def test_mandatory_violation_exits_1_advisory_does_not(tmp_path: Path) -> None:
    spec = write(tmp_path, endpoint="public")
    result = runner.invoke(app, ["policy", "check", str(spec), "--as-of", "2026-11-27", "-o", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [f["rule"] for f in data["findings"]] == ["prod-private-endpoint"]
    assert data["summary"] == {"mandatory": 1, "advisory": 0}
    config = tmp_path / "policy.yaml"
    config.write_text("rules: {prod-private-endpoint: advisory}\n")
    relaxed = runner.invoke(app, ["policy", "check", str(spec), "--as-of", "2026-11-27", "--config", str(config)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "prod-private-endpoint" in relaxed.output and "advisory" in relaxed.output


def test_markdown_output(tmp_path: Path) -> None:
    spec = write(tmp_path, labels="team: payments, owner: jane-doe, cost-center: cc-1, env: prod")
    result = runner.invoke(app, ["policy", "check", str(spec), "--as-of", "2026-11-27", "-o", "markdown"])
    assert result.exit_code == 1
    assert "| ❌ mandatory | `ownership-labels` | pay | all |" in result.stdout


def test_provider_option_and_version_date(tmp_path: Path) -> None:
    spec = write(tmp_path, version="1.33")
    result = runner.invoke(app, ["policy", "check", str(spec), "-p", "gke", "--as-of", "2026-06-01", "-o", "json"])
    assert result.exit_code == 0, result.output
    late = runner.invoke(app, ["policy", "check", str(spec), "-p", "gke", "--as-of", "2026-11-27", "-o", "json"])
    assert late.exit_code == 1
    assert [f["rule"] for f in json.loads(late.stdout)["findings"]] == ["version-support"]


def test_bad_config_exits_2_with_position(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("rules:\n  budget-cluster: {monthlyCap: lots}\n")
    result = runner.invoke(app, ["policy", "check", str(write(tmp_path)), "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}:2:32: monthlyCap must be a number" in result.output


def test_bad_date_and_provider_exit_2(tmp_path: Path) -> None:
    spec = str(write(tmp_path))
    assert runner.invoke(app, ["policy", "check", spec, "--as-of", "27/11/2026"]).exit_code == 2
    assert runner.invoke(app, ["policy", "check", spec, "-p", "gcp"]).exit_code == 2


def test_rules_lists_every_rule() -> None:
    result = runner.invoke(app, ["policy", "rules", "-o", "json"])
    assert result.exit_code == 0
    ids = [r["id"] for r in json.loads(result.stdout)["items"]]
    assert {"ownership-labels", "budget-team", "allowed-regions", "allowed-providers", "mesh-overhead"} <= set(ids)


def test_budget_with_the_real_pricer(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text("rules: {budget-cluster: {monthlyCap: 100}, budget-team: {teamCaps: {payments: 1000000}}}\n")
    result = runner.invoke(app, ["policy", "check", str(write(tmp_path)), "--as-of", "2026-11-27",
                                 "--config", str(config), "-o", "json"])
    assert result.exit_code == 1, result.output
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["budget-cluster"]


def test_a_directory_with_bad_specs_reports_every_bad_file(tmp_path: Path) -> None:
    """Like `validate DIR`: the first spec that does not load does not hide the others."""
    good = (ROOT / "examples" / "dev-small.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata: {name: b}\nspec: {nodePools: 3}\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec: {region: mars}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "check", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'b.yaml'}:4:19: spec.nodePools: expected a list" in result.output
    assert f"{tmp_path / 'c.yaml'}:4:16: spec.region: unknown neutral region 'mars'" in result.output
    assert "Traceback" not in result.output


"""Offline refusals where the cloud would refuse: a skipped minor or a downgrade between base and head.

`diff` shows it as refused (not as a routine update) in table, JSON and Markdown and exits 1; `validate --base`
and `plan --base` report it at spec.kubernetes.version (file:line:col) and exit 2. The rules are the providers'
own words, cited in kubefleet.lifecycle.skew.PROVIDER_RULES:
- EKS: "you can update only one minor version at a time" / "You cannot downgrade the Kubernetes of an Amazon
  EKS cluster" (awsdocs/amazon-eks-user-guide@4d52b4d0…:latest/ug/clusters/update-cluster.adoc:102,256);
- GKE: a finished minor upgrade cannot be downgraded (cloud.google.com … upgrading-a-cluster#downgrading);
- AKS: no minor skip, except from an unsupported version to a supported one
  (MicrosoftDocs/azure-aks-docs@fb060abe…:articles/aks/upgrade-aks-faq.yml:21).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.lifecycle.skew import PROVIDER_RULES
from tests.conftest import MINIMAL, ROOT

AS_OF = "2026-12-06"
runner = CliRunner()


def _spec(path: Path, version: str, provider: str, name: str = "mini") -> Path:
    text = MINIMAL.replace('version: "1.33"', f'version: "{version}"').replace("name: mini", f"name: {name}")
    path.write_text(text.replace("spec:\n", f"spec:\n  provider: {provider}\n", 1))
    return path


def _version_position(path: Path) -> str:
    """file:line:col of the version's value, found in the text itself (not by kubefleet's locator)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if "version:" in line:
            return f"{path}:{number}:{line.index('version:') + len('version: ') + 1}"
    raise AssertionError("no version line")


def test_diff_skip_is_refused_in_every_format_and_exits_1(tmp_path: Path) -> None:
    old = _spec(tmp_path / "old.yaml", "1.32", "eks")
    new = _spec(tmp_path / "new.yaml", "1.34", "eks")
    args = ["diff", "--base", str(old), str(new), "--as-of", AS_OF]
    table = runner.invoke(app, [*args], env={"COLUMNS": "250"})
    assert table.exit_code == 1
    assert "REFUSED: EKS refuses to skip minor versions" in table.stdout
    assert "VERSION CHANGE REFUSED" in table.stdout and "update REFUSED" in table.stdout  # not a routine update
    assert "go through 1.32 → 1.33 → 1.34 instead" in table.stdout
    assert PROVIDER_RULES["eks"].skip in table.stdout.replace("\n", "")
    doc = json.loads(runner.invoke(app, [*args, "-o", "json"]).stdout)
    assert doc["refused"] == 1
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "diff.schema.json").read_text()))
    (refused,) = [n for n in doc["clusters"][0]["upgrades"] if n["kind"] == "refused"]
    assert (refused["base"], refused["head"], refused["chain"]) == ("1.32", "1.34", ["1.33", "1.34"])
    assert refused["rule"] == PROVIDER_RULES["eks"].skip
    moved = [c for c in doc["clusters"][0]["changes"] if "refused" in c]
    assert {c["type"] for c in moved} == {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"}
    md = runner.invoke(app, [*args, "-o", "markdown"])
    assert md.exit_code == 1
    assert "> [!CAUTION]" in md.stdout and "1 Kubernetes version change(s) the cloud will refuse" in md.stdout
    assert md.stdout.index("### Upgrades") < md.stdout.index("<details>")
    assert "- ❌ **mini** · EKS: 2 changed" in md.stdout and "version change refused by the cloud" in md.stdout
    assert "| ❌ update **refused** (see Upgrades) | `mini` (`aws:eks/cluster:Cluster`)" in md.stdout
    assert "✏️ update | `mini`" not in md.stdout


def test_diff_downgrade_is_refused_without_a_chain(tmp_path: Path) -> None:
    old = _spec(tmp_path / "old.yaml", "1.35", "gke")
    new = _spec(tmp_path / "new.yaml", "1.34", "gke")
    result = runner.invoke(app, ["diff", "--base", str(old), str(new), "--as-of", AS_OF, "-o", "json"])
    assert result.exit_code == 1
    (refused,) = [n for n in json.loads(result.stdout)["clusters"][0]["upgrades"] if n["kind"] == "refused"]
    assert refused["chain"] == [] and refused["rule"] == PROVIDER_RULES["gke"].downgrade
    assert "cannot go back a minor" in refused["text"]


def test_one_minor_at_a_time_is_not_refused(tmp_path: Path) -> None:
    old = _spec(tmp_path / "old.yaml", "1.34", "eks")
    new = _spec(tmp_path / "new.yaml", "1.35", "eks")
    result = runner.invoke(app, ["diff", "--base", str(old), str(new), "--as-of", AS_OF, "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] == 0


def test_aks_skip_from_an_unsupported_minor_is_allowed(tmp_path: Path) -> None:
    """AKS 1.32 reached end of life on 2026-03-31 (aks-versions): AKS lets it skip to a supported minor."""
    old = _spec(tmp_path / "old.yaml", "1.32", "aks")
    new = _spec(tmp_path / "new.yaml", "1.34", "aks")
    assert runner.invoke(app, ["validate", str(new), "--base", str(old), "--as-of", "2026-12-06"]).exit_code != 1
    result = runner.invoke(app, ["validate", str(new), "--base", str(old), "--as-of", "2025-12-01"])
    assert result.exit_code == 2  # still supported then: the skip is refused
    assert "AKS refuses to skip minor versions" in result.output


def test_validate_base_file_reports_at_the_version_line(tmp_path: Path) -> None:
    old = _spec(tmp_path / "old.yaml", "1.35", "gke")
    new = _spec(tmp_path / "new.yaml", "1.34", "gke")
    result = runner.invoke(app, ["validate", str(new), "--base", str(old), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert f"{_version_position(new)}: GKE refuses a downgrade" in result.output
    assert PROVIDER_RULES["gke"].downgrade in result.output
    assert "refuses" not in runner.invoke(app, ["validate", str(new), "--as-of", AS_OF]).output  # no base: no check


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    git("init", "-q")
    (tmp_path / "clusters").mkdir()
    _spec(tmp_path / "clusters" / "pay.yaml", "1.32", "eks", name="pay")
    git("add", ".")
    git("commit", "-qm", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_and_plan_base_git_ref(repo: Path) -> None:
    pay = _spec(repo / "clusters" / "pay.yaml", "1.34", "eks", name="pay")
    _spec(repo / "clusters" / "new.yaml", "1.35", "eks", name="fresh")  # new since the ref: no base, no refusal
    result = runner.invoke(app, ["validate", "clusters", "--base", "HEAD", "--as-of", AS_OF])
    assert result.exit_code == 2
    assert f"{_version_position(Path('clusters/pay.yaml'))}: EKS refuses to skip minor versions" in result.output
    assert "1.32 → 1.33 → 1.34" in result.output
    assert "✓ clusters/new.yaml: 1 cluster (fresh)" in result.output  # new since the ref: no base to compare
    plan = runner.invoke(app, ["plan", str(pay), "--base", "HEAD", "--as-of", AS_OF])
    assert plan.exit_code == 2 and "EKS refuses to skip minor versions" in plan.output
    bad = runner.invoke(app, ["validate", "clusters", "--base", "no-such-ref", "--as-of", AS_OF])
    assert bad.exit_code == 2 and "neither a file nor a commit" in bad.output


@pytest.mark.parametrize("golden", sorted((ROOT / "tests" / "golden" / "diff").glob("*.json")), ids=lambda p: p.name)
def test_diff_json_goldens_match_the_published_schema(golden: Path) -> None:
    """The goldens are diff's real output (tests/test_diff.py compares them byte for byte)."""
    jsonschema.validate(json.loads(golden.read_text()), json.loads((ROOT / "schemas" / "diff.schema.json").read_text()))

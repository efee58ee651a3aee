"""The CLI skeleton: help, version, exit codes, lazy imports, schema, init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.spec.schema import schema_text
from tests.conftest import EXAMPLES, MINIMAL, ROOT

runner = CliRunner()

HEAVY = ("pulumi", "pulumi_gcp", "pulumi_aws", "pulumi_azure_native", "pulumi_vsphere", "pulumi_kubernetes",
         "pulumi_random", "pulumi_policy", "grpc")


def test_help_imports_no_cloud_sdk() -> None:
    code = (
        "import sys\n"
        "from kubefleet.cli.main import main\n"
        "sys.argv = ['kubefleet', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY=' + ','.join(sorted(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY=\n" in out, out[-500:]
    assert "Commands" in out


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("kubefleet 0.")


def test_validate_examples_ok() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") == len(list(EXAMPLES.glob("*.yaml")))


def test_validate_bad_file_exit_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("nodePools", "nodepools"))
    result = runner.invoke(app, ["validate", str(bad), str(EXAMPLES / "dev-small.yaml")])
    assert result.exit_code == 2
    assert f"{bad}:9:3:" in result.output
    assert "did you mean `nodePools`?" in result.output
    assert "✓" in result.output  # the good file is still reported
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["validate", "missing.yaml"], ["validate"], ["plan"], ["nosuchcommand"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_validate_empty_directory_is_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "no *.yaml" in result.output


def test_schema_matches_committed_copy() -> None:
    committed = (ROOT / "schemas" / "cluster.schema.json").read_text()
    assert committed == schema_text(), "schemas/cluster.schema.json is stale: kubefleet schema -o schemas/cluster.schema.json"
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert "nodePools" in data["$defs"]["ClusterBody"]["properties"]
    assert data["properties"]["apiVersion"]["const"] == "kubefleet.dev/v1alpha1"


def test_init_writes_valid_spec_and_refuses_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "payments.yaml"
    result = runner.invoke(app, ["init", "payments", "--path", str(target), "--provider", "eks"])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "name: payments" in text and "provider: eks" in text and "# " in text
    again = runner.invoke(app, ["init", "payments", "--path", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(app, ["init", "payments", "--path", str(target), "--force"])
    assert forced.exit_code == 0
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 0


def test_init_rejects_bad_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "Bad_Name", "--path", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and "DNS-1123" in result.output


def test_real_subprocess_exit_codes(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "kubefleet"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "kubefleet.cli"]
    ok = subprocess.run([*cmd, "validate", str(EXAMPLES / "sweet-spot.yaml")], capture_output=True, text=True)
    assert ok.returncode == 0 and "✓" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: [\n")
    res = subprocess.run([*cmd, "validate", str(bad)], capture_output=True, text=True,
                         env={**os.environ, "NO_COLOR": "1"})
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert f"{bad}:" in res.stderr

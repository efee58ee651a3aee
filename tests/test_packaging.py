"""The wheel holds only the `kubefleet` top-level package (the card's folders are mapped into it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_holds_only_kubefleet(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    [wheel] = list(tmp_path.glob("kubefleet-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"kubefleet", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, top
    for needed in ("kubefleet/cli/app.py", "kubefleet/providers/base.py", "kubefleet/stacks/__main__.py",
                   "kubefleet/policies/__init__.py", "kubefleet/templates/starter.yaml",
                   # `--policy-pack kubefleet` copies these two from the installed package
                   "kubefleet/policies/PulumiPolicy.yaml", "kubefleet/policies/__main__.py"):
        assert needed in names, needed
    assert any(n.startswith("kubefleet/catalog/data/") and n.endswith(".yaml") for n in names)
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kubefleet = kubefleet.cli.main:main" in entry


def test_pulumi_project_file_is_valid() -> None:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((ROOT / "Pulumi.yaml").read_text())
    assert data["runtime"]["name"] == "python"
    assert data["main"] == "stacks/"
    assert data["stackConfigDir"] == "stacks"
    assert (ROOT / "stacks" / "__main__.py").exists()
    for stack_file in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        cfg = YAML(typ="safe").load(stack_file.read_text())["config"]
        if "kubefleet:scope" in cfg:  # a project's shared stack (providers/scope.py), named as clusters expect
            assert stack_file.name == f"Pulumi.scope-gcp-{cfg['gcp:project']}.yaml"
            continue
        assert (ROOT / cfg["kubefleet:spec"]).exists()

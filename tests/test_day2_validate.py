"""Validation the API models cannot see, at the spec's line: a taint the clouds refuse. Limits come from
the EKS API model (botocore) and Kubernetes' validation rules, not from kubefleet."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from tests.conftest import MINIMAL

EKS = botocore.session.get_session().get_service_model("eks")
TAINT = EKS.shape_for("Taint").members
VALUE_MAX = TAINT["value"].metadata["max"]
KEY_MAX = TAINT["key"].metadata["max"]


def _spec(tmp_path: Path, key: str, value: str) -> tuple[Path, int]:
    text = MINIMAL.replace("      count: 3\n", "      count: 3\n      taints:\n"
                           f"        - key: {key}\n          value: \"{value}\"\n")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    line = text.splitlines().index(f'          value: "{value}"') + 1
    return path, line


@pytest.mark.parametrize(("key", "value", "ok"), [
    ("dedicated", "gpu", True),
    ("example.com/dedicated", "a" * VALUE_MAX, True),
    ("dedicated", "a" * (VALUE_MAX + 1), False),  # longer than the EKS API (and Kubernetes) allow
    ("dedicated", "has space", False),  # Kubernetes label-value syntax
    ("dedicated", "-leading", False),
    ("k" * (KEY_MAX + 1), "x", False),  # longer than the EKS API's taintKey
    ("bad_prefix!/x", "x", False),
])
def test_taints_the_clouds_refuse_are_caught_at_the_spec_line(tmp_path: Path, key: str, value: str, ok: bool) -> None:
    path, line = _spec(tmp_path, key, value)
    result = CliRunner().invoke(app, ["validate", str(path)])
    if ok:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "taint" in flat
    assert f"c.yaml:{line}:" in flat or f"c.yaml:{line - 1}:" in flat  # the value line (or the key's)


@pytest.mark.parametrize(("zones", "region", "ok"), [
    (["us-east4-b", "us-east4-c"], None, True),  # us-east is us-east4 on GKE (the spec's region table)
    (["us-west1-a"], None, False),  # a zone of another region
    (["us-central1-f"], "us-central1", True),  # the per-provider region override
    (["us-east1-b"], "us-central1", False),
])
def test_gke_zones_from_another_region_are_caught_at_the_zone_line(tmp_path: Path, zones: list[str],
                                                                   region: str | None, ok: bool) -> None:
    gke = "  providers:\n    gke:\n" + (f"      region: {region}\n" if region else "") + "      zones:\n" + \
        "".join(f"        - {z}\n" for z in zones)
    text = MINIMAL + gke
    path = tmp_path / "z.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    if ok:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    line = text.splitlines().index(f"        - {zones[0]}") + 1
    assert f"z.yaml:{line}:" in " ".join(result.output.split()) and "region" in result.output

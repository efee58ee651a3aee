"""`up`/`preview` of a spec that moves an existing cluster to another region, through the REAL Pulumi CLI against
the local cloud (tests/localcloud): both stop with exit 2 at the spec field before the engine runs — the refusal
`diff` and `validate/plan --base` show (kubefleet.changes.diff.location_refusals) — with the live stack's `region`
output as the old side. The oracles are the engine's backend state and the local cloud's log of what it was asked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.localcloud import cloud
from tests.test_e2e_engine import Env, engine_env, kf, live, ok, pytestmark

__all__ = ["engine_env", "pytestmark"]  # the fixture and the marks (slow; skipped without the CLI), shared

README = Path(__file__).resolve().parent.parent / "README.md"


def _line_of(text: str, needle: str) -> int:
    (line,) = [i for i, row in enumerate(text.splitlines(), 1) if row.startswith(needle)]
    return line


def _refused(env: Env, *args: str) -> str:
    result = kf(*args)
    assert result.exit_code == 2, result.output
    out = " ".join(str(result.output).split())
    return out


def test_gke_region_move_is_refused_by_up_and_preview_before_the_engine(engine_env: Env) -> None:
    engine_env.write_spec()
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    original = engine_env.spec.read_text(encoding="utf-8")
    before_live, before_state = live(engine_env), engine_env.state_text()
    before_log = len(cloud.read_log(engine_env.cloud))

    moved = original.replace("  region: us-east\n", "  region: europe-west\n")
    assert moved != original
    engine_env.spec.write_text(moved, encoding="utf-8")
    line = _line_of(moved, "  region: europe-west")
    for args in (("up", spec, "-p", "gke", "-y"), ("preview", spec, "-p", "gke")):
        out = _refused(engine_env, *args)
        assert f"{engine_env.spec.name}:{line}:" in out, out  # file:line:col of spec.region
        assert "refuses to move the existing GKE cluster 'e2e' from region us-east4 to europe-west4" in out, out
        assert "rule:" in out
    assert live(engine_env) == before_live  # nothing created, updated or deleted in the cloud ...
    assert len(cloud.read_log(engine_env.cloud)) == before_log  # ... not even asked
    assert engine_env.state_text() == before_state  # and the backend's state is as it was

    # a provider override that names the live region is not a move; one that names another is refused there
    engine_env.spec.write_text(moved.replace("gke: {project: local-project}",
                                             "gke: {project: local-project, region: us-east4}"), encoding="utf-8")
    assert "is up to date" in ok("up", spec, "-p", "gke", "-y")
    override = original.replace("gke: {project: local-project}", "gke: {project: local-project, region: us-west1}")
    engine_env.spec.write_text(override, encoding="utf-8")
    out = _refused(engine_env, "preview", spec, "-p", "gke")
    assert f"{engine_env.spec.name}:{_line_of(override, '    gke:')}:" in out, out
    assert "from region us-east4 to us-west1" in out

    engine_env.spec.write_text(original, encoding="utf-8")
    assert "is up to date" in ok("up", spec, "-p", "gke", "-y")
    assert live(engine_env) == before_live


@pytest.mark.parametrize(("target", "label", "before", "after"), [
    ("eks", "EKS", "us-east-1", "eu-west-1"), ("aks", "AKS", "eastus", "westeurope")])
def test_eks_and_aks_region_moves_are_refused_by_up(engine_env: Env, target: str, label: str, before: str,
                                                     after: str) -> None:
    engine_env.write_spec()
    spec = str(engine_env.spec)
    ok("up", spec, "-p", target, "-y")
    original = engine_env.spec.read_text(encoding="utf-8")
    before_live, before_log = live(engine_env), len(cloud.read_log(engine_env.cloud))
    moved = original.replace("  region: us-east\n", "  region: europe-west\n")
    engine_env.spec.write_text(moved, encoding="utf-8")
    out = _refused(engine_env, "up", spec, "-p", target, "-y")
    assert f"{engine_env.spec.name}:{_line_of(moved, '  region: europe-west')}:" in out, out
    assert f"refuses to move the existing {label} cluster 'e2e' from region {before} to {after}" in out, out
    assert live(engine_env) == before_live and len(cloud.read_log(engine_env.cloud)) == before_log
    engine_env.spec.write_text(original, encoding="utf-8")
    assert "is up to date" in ok("up", spec, "-p", target, "-y")


def test_no_stack_yet_passes_and_reading_the_region_creates_no_stack(engine_env: Env) -> None:
    from kubefleet.cli.engine_cmds import _target
    from kubefleet.engine.workspace import live_region

    engine_env.write_spec()
    engine_env.spec.write_text(engine_env.spec.read_text(encoding="utf-8").replace(
        "  region: us-east\n", "  region: europe-west\n"), encoding="utf-8")
    target = _target(engine_env.spec, "gke", None, None, None, creates=True)
    assert live_region(target) is None
    assert engine_env.state_files() == []  # selected, never created
    assert "refuses to move" not in ok("preview", str(engine_env.spec), "-p", "gke")


def test_readme_says_up_and_preview_refuse_the_move() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "`up` does not compare with the live stack yet" not in text
    assert "`up` and `preview` refuse it too" in text

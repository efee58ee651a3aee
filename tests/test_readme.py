"""README is the contract with a newcomer: every `$ kubefleet ...` line in it runs, exactly as written."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.spec.doc import reference_markdown
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
CONSOLE = [line[2:] for block in re.findall(r"```console\n(.*?)```", README, re.S)
           for line in block.splitlines() if line.startswith("$ kubefleet ")]
ENGINE = [line.split("#")[0].strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S)
          for line in block.splitlines() if line.startswith("kubefleet ")]


def test_readme_has_the_two_newcomer_commands() -> None:
    assert "kubefleet compare examples/sweet-spot.yaml" in README
    assert "python -m pytest -n 2" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -n 2" in ci, ".ci/run must run README's test command"


@pytest.mark.parametrize("command", CONSOLE, ids=[c[:60] for c in CONSOLE])
def test_readme_command_runs(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{command}\n{result.output[-3000:]}"
    assert "Traceback" not in result.output
    assert result.output.strip()


@pytest.mark.skipif(shutil.which("pulumi") is not None, reason="with the Pulumi CLI these would reach a real backend")
@pytest.mark.parametrize("command", ENGINE, ids=[c[:50] for c in ENGINE])
def test_readme_engine_commands_say_how_to_install_pulumi(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, [*shlex.split(command)[1:], "--yes"] if " up " in f" {command} " else shlex.split(command)[1:])
    assert result.exit_code == 2, f"{command}\n{result.output[-2000:]}"
    assert "pulumi" in result.output.lower() and "Traceback" not in result.output


def test_spec_reference_is_in_sync() -> None:
    assert (ROOT / "docs" / "spec-reference.md").read_text() == reference_markdown(), (
        "docs/spec-reference.md is stale: python -c 'from kubefleet.spec.doc import reference_markdown; "
        "open(\"docs/spec-reference.md\",\"w\").write(reference_markdown())'"
    )

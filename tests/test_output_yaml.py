"""`-o yaml` wherever `-o json` exists: the same object, emitted safely.

Oracles: PyYAML's safe loader (a YAML 1.1 reader, as Go's yaml.v2 and many CI tools are) and ruamel's
YAML 1.2 safe loader both read the YAML back to exactly the object `json.loads` makes of `-o json`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.cli.console import json_text_as_yaml

runner = CliRunner()

TRICKY = {"no": "no", "on": "On", "version": "1.30", "hex": "0x1F", "date": "2026-12-01", "under": "1_000",
          "tilde": "~", "null": None, "colon": "a: b", "hash": "# not a comment", "octal": "010", "inf": ".inf",
          "merge": "<<", "lead": " x", "multi": "line1\nline2", "unicode": "Zürich ✓", "bools": [True, False],
          "numbers": [1, -2, 3.5, 10**20], "empty": {}, "list": [], "yes_key": {"yes": "y"}, "blank": ""}


def _both_readers(text: str) -> list[Any]:
    return [yaml.safe_load(text), YAML(typ="safe", pure=True).load(text)]


def test_tricky_values_read_back_as_the_same_object_under_yaml_1_1_and_1_2() -> None:
    text = json_text_as_yaml(json.dumps(TRICKY))
    for loaded in _both_readers(text):
        assert loaded == TRICKY
    assert list(yaml.safe_load(text)) == list(TRICKY)  # the document's key order is kept


def test_json_lines_become_a_yaml_stream() -> None:
    text = json_text_as_yaml('{"a": "no"}\n{"b": 1}\n')
    assert list(yaml.safe_load_all(text)) == [{"a": "no"}, {"b": 1}]


@pytest.mark.parametrize("args", [
    ["prices", "show", "-p", "eks", "-r", "us-east-1", "--as-of", "2026-12-06"],
    ["policy", "check", "examples/dev-small.yaml", "--provider", "gke"],
])
def test_yaml_output_is_the_json_document(args: list[str]) -> None:
    as_json = runner.invoke(app, [*args, "-o", "json"])
    as_yaml = runner.invoke(app, [*args, "--output", "yaml"])
    assert as_yaml.exit_code == as_json.exit_code and as_json.exit_code in (0, 1), as_yaml.output
    expected = json.loads(as_json.stdout)
    for loaded in _both_readers(as_yaml.stdout):
        assert loaded == expected
    # the next invocation in the same process without -o yaml is JSON again
    assert json.loads(runner.invoke(app, [*args, "-o", "json"]).stdout) == expected


def _commands(command: Any, path: str = "kubefleet") -> list[tuple[str, Any]]:
    subs = getattr(command, "commands", None)
    if subs:
        return [c for name, sub in subs.items() for c in _commands(sub, f"{path} {name}")]
    return [(path, command)]


def test_every_json_output_choice_offers_yaml() -> None:
    import typer.main

    from kubefleet.cli.main import tidy_help

    root = typer.main.get_command(app)
    tidy_help(root)
    offered = []
    for path, command in _commands(root):
        for param in command.params:
            desc = getattr(param, "type_descriptor", None)
            choices = [str(getattr(c, "value", c)) for c in (getattr(desc, "choices", None) or ())]
            if param.name == "output" and "json" in choices:
                offered.append(path)
                assert getattr(param, "_kubefleet_yaml", False), path
                assert "yaml" in (param.metavar or ""), (path, param.metavar)
    assert len(offered) >= 10 and "kubefleet prices show" in offered and "kubefleet preview" in offered

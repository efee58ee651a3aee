"""Issue 25: a cold `compare` is not silent for seconds: a job still running after ~1 s (the delay is
KUBEFLEET_PROGRESS_AFTER, default 1) says what it does and how far it is on stderr; a quick (warm) run says
nothing; stdout is never touched. (First here: it fills the module's render cache the tables below read.)

At 60, 80 and 100 columns (COLUMNS honoured, also when piped) the plan and the compare tables
(costs, node pools, features, parity) never split a word: every token of the narrow output is a token of
the same output rendered 1,000 columns wide (a tokenised comparison with the unwrapped text), and no line
is wider than the terminal. Narrow tables become `header: value` blocks rather than cut words."""

from __future__ import annotations

import re

import pytest

from tests.conftest import EXAMPLES

BOX = "│┃┏┓┗┛━─┡┩╇╈┳┻┼├┤╭╮╰╯┌┐└┘┬┴═║╔╗╚╝╠╣╦╩╬╞╡╪╤╧╟╢╫"
TOKEN = re.compile(rf"[^\s{BOX}]+")

COMMANDS = {
    "compare": ["compare", str(EXAMPLES / "sweet-spot.yaml"), "--providers", "gke,kubeadm", "--as-of", "2026-11-27"],
    "plan": ["plan", str(EXAMPLES / "sweet-spot.yaml"), "--provider", "gke", "--as-of", "2026-11-27"],
}


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One render cache for the module: each command renders once, then every width reads it."""
    return str(tmp_path_factory.mktemp("narrow-home"))


def _render(args: list[str], columns: int, monkeypatch: pytest.MonkeyPatch) -> str:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_cold_compare_shows_progress_a_warm_one_is_quiet(monkeypatch: pytest.MonkeyPatch, shared_home: str) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    monkeypatch.setenv("KUBEFLEET_HOME", shared_home)
    args = [*COMMANDS["compare"], "-o", "json"]
    monkeypatch.setenv("KUBEFLEET_PROGRESS_AFTER", "0")  # as if rendering took longer than the delay
    cold = CliRunner().invoke(app, args)
    assert cold.exit_code == 0, cold.output
    lines = cold.stderr.splitlines()
    assert any(line.startswith("compare: rendering offline") and line.endswith("2 to do") for line in lines), lines
    assert any(line.endswith("2/2") for line in lines), lines
    assert cold.stdout.lstrip().startswith("{")  # progress never reaches stdout (JSON stays JSON)
    monkeypatch.setenv("KUBEFLEET_PROGRESS_AFTER", "30")  # a quick run (everything cached) says nothing
    warm = CliRunner().invoke(app, args)
    assert warm.exit_code == 0 and warm.stdout == cold.stdout
    assert "to do" not in warm.stderr, warm.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_word_is_split_at_60_80_100_columns(name: str, monkeypatch: pytest.MonkeyPatch, shared_home: str) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", shared_home)
    wide = set(TOKEN.findall(_render(COMMANDS[name], 1000, monkeypatch)))
    shapes = set()
    for columns in (60, 80, 100):
        text = _render(COMMANDS[name], columns, monkeypatch)
        shapes.add(text)
        too_wide = [line for line in text.splitlines() if len(line) > columns]
        assert not too_wide, f"{name} at {columns}: " + "\n".join(too_wide[:3])
        # a stacked block's `header:` label is the header's last word with a colon
        # a word wider than the terminal (an 82-character resource type at 60 columns) must fold somewhere
        longer = [w for w in wide if len(w) > columns - 4]
        split = sorted({t for t in TOKEN.findall(text) if t not in wide and not (t.endswith(":") and t[:-1] in wide)
                        and not any(t in w for w in longer)})
        assert not split, f"{name} at {columns} columns splits or cuts: {split[:10]}\n{text}"
    assert len(shapes) == 3  # COLUMNS is honoured: three widths, three layouts

"""Engine commands as Pulumi users expect them: ``-s/--stack``, ``--target URN`` (repeatable), ``--debug`` and
``up --yes`` printing the change set it applies.

The Automation API's ``Stack`` is played by a recording stand-in (never MagicMock): it records the keyword
arguments each engine call gets and sends the engine events a real run sends (step events, a debug diagnostic,
a summary), so the CLI's whole path from flags to ``Stack.up(target=…, debug=…)`` and back to the screen runs.
The keyword names are checked against the installed ``pulumi.automation.Stack`` signatures, so a flag can
not be passed under a name the Automation API does not take.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import Stack
from pulumi.automation.events import EngineEvent
from typer.testing import CliRunner

from kubefleet.cli.app import app
from tests.test_changes import CLUSTER, NET, pre

SPEC = "examples/dev-small.yaml"
URN_NET = "urn:pulumi:team-dev::kubefleet::kubefleet:gke:Cluster$gcp:compute/network:Network::vpc"
URN_CLUSTER = "urn:pulumi:team-dev::kubefleet::kubefleet:gke:Cluster$gcp:container/cluster:Cluster::main"


def _event(**body: Any) -> EngineEvent:
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, **body})


@dataclass
class RecordingStack:
    """Plays ``pulumi.automation.Stack`` for one run: records (method, kwargs); previews report ``changes``."""

    secret: str
    changes: bool = True
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _run(self, method: str, kwargs: dict[str, Any]) -> Any:
        accepted = set(inspect.signature(getattr(Stack, method)).parameters)
        assert set(kwargs) <= accepted, f"Stack.{method} takes no {set(kwargs) - accepted}"
        self.calls.append((method, kwargs))
        on_event = kwargs["on_event"]
        planning = method == "preview"
        if self.changes:
            for event in (pre("create", NET, "vpc"), pre("create", CLUSTER, "main", seq=2)):
                if not planning:
                    event.resource_pre_event.planning = False  # type: ignore[union-attr]
                on_event(event)
        on_event(_event(diagnosticEvent={"message": f"engine debug: passphrase {self.secret} loaded\n",
                                         "color": "never", "severity": "debug"}))
        on_event(_event(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1,
                                      "resourceChanges": {"create": 2} if self.changes else {"same": 2},
                                      "policyPacks": {}}))
        return _Result()

    def preview(self, **kwargs: Any) -> Any:
        return self._run("preview", kwargs)

    def up(self, **kwargs: Any) -> Any:
        return self._run("up", kwargs)

    def refresh(self, **kwargs: Any) -> Any:
        return self._run("refresh", kwargs)

    def destroy(self, **kwargs: Any) -> Any:
        return self._run("destroy", kwargs)

    def export_stack(self) -> Any:
        return _Result()


class _Result:
    outputs: dict[str, Any] = {}
    deployment: dict[str, Any] = {"resources": []}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> tuple[RecordingStack, list[str]]:
    """The recording stack for every open_stack, the stack names it was opened for; no Pulumi CLI needed."""
    import kubefleet.cli.engine_cmds as engine_cmds
    import kubefleet.engine.preflight as preflight
    import kubefleet.engine.workspace as workspace
    from kubefleet.engine.backend import resolve_backend

    for var in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE",
                "PULUMI_CONFIG_PASSPHRASE_FILE", "CI"):
        monkeypatch.delenv(var, raising=False)
    passphrase = resolve_backend().env["PULUMI_CONFIG_PASSPHRASE"]  # the secret the engine must never show
    stack = RecordingStack(secret=passphrase)
    opened: list[str] = []

    def open_stack(target: Any, **_: Any) -> RecordingStack:
        opened.append(target.stack_name)
        return stack

    monkeypatch.setattr(preflight, "require_pulumi_cli", lambda: None)
    monkeypatch.setattr(workspace, "open_stack", open_stack)
    # the project's shared scope stack (a second stack) is exercised by tests/test_e2e_scope.py
    monkeypatch.setattr(engine_cmds, "_scope_preview", lambda *_, **__: None)
    monkeypatch.setattr(engine_cmds, "_scope_apply", lambda *_, **__: None)
    # the live-region preflight reads the backend through the Pulumi CLI; it is exercised by
    # tests/test_e2e_location.py against the real CLI. Here: no stack deployed elsewhere
    monkeypatch.setattr(workspace, "live_region", lambda *_: None)
    return stack, opened


def _kf(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_up_yes_prints_the_change_set_then_applies_the_targets_of_the_named_stack(
        engine: tuple[RecordingStack, list[str]]) -> None:
    stack, opened = engine
    result = _kf("up", SPEC, "-p", "gke", "-s", "team-dev", "--yes",
                 "--target", URN_NET, "-t", URN_CLUSTER, "--target", URN_NET)
    assert result.exit_code == 0, result.output
    assert [m for m, _ in stack.calls] == ["preview", "up"]  # the change set first, as `pulumi up --yes`
    for _, kwargs in stack.calls:
        assert kwargs["target"] == [URN_NET, URN_CLUSTER]  # repeatable, order kept, duplicates once
        assert kwargs["debug"] is None
    assert set(opened) == {"team-dev"}
    out = result.output
    table_at = out.index("dev-sandbox · GKE: 2 created")
    assert out.index("vpc", table_at) < out.index("main", table_at) < out.index("team-dev is up")
    assert "engine debug" not in out  # without --debug, debug diagnostics stay hidden


def test_debug_shows_the_engines_debug_diagnostics_with_secrets_masked(
        engine: tuple[RecordingStack, list[str]]) -> None:
    stack, _ = engine
    result = _kf("up", SPEC, "-p", "gke", "--yes", "--debug")
    assert result.exit_code == 0, result.output
    assert all(kwargs["debug"] is True and kwargs["target"] is None for _, kwargs in stack.calls)
    assert "engine debug: passphrase [secret] loaded" in result.output
    assert stack.secret not in result.output


def test_up_yes_with_nothing_to_change_applies_nothing(engine: tuple[RecordingStack, list[str]]) -> None:
    stack, _ = engine
    stack.changes = False
    result = _kf("up", SPEC, "-p", "gke", "--stack", "team-dev", "-y")
    assert result.exit_code == 0, result.output
    assert [m for m, _ in stack.calls] == ["preview"]
    assert "team-dev is up to date: nothing to apply" in result.output


@pytest.mark.parametrize(("command", "method"), [
    (["preview"], "preview"), (["refresh"], "refresh"), (["destroy", "--yes"], "destroy"),
])
def test_preview_refresh_and_destroy_take_stack_target_and_debug(
        engine: tuple[RecordingStack, list[str]], command: list[str], method: str) -> None:
    stack, opened = engine
    result = _kf(command[0], SPEC, "-p", "gke", "-s", "org/kubefleet/team-dev", "--target", URN_CLUSTER,
                 "--debug", *command[1:])
    assert result.exit_code in (0, 1), result.output  # refresh/preview exit 1 only on drift
    ((called, kwargs),) = stack.calls
    assert called == method
    assert kwargs["target"] == [URN_CLUSTER] and kwargs["debug"] is True
    assert set(opened) == {"org/kubefleet/team-dev"}
    assert stack.secret not in result.output
    if method == "destroy":
        assert not kwargs.get("remove")  # a targeted destroy keeps the stack (and the rest of it)
        assert "1 targeted resource(s)" in result.output


def test_destroy_without_target_removes_the_stack(engine: tuple[RecordingStack, list[str]]) -> None:
    stack, _ = engine
    assert _kf("destroy", SPEC, "-p", "gke", "--yes").exit_code == 0
    ((_, kwargs),) = stack.calls
    assert kwargs["remove"] is True and kwargs["target"] is None


@pytest.mark.parametrize("bad", ["vpc", "pulumi:vpc", "urn:pulumi:", "urn:pulumi:a b"])
def test_a_target_that_is_not_a_urn_is_a_usage_error(engine: tuple[RecordingStack, list[str]], bad: str) -> None:
    stack, _ = engine
    result = CliRunner().invoke(app, ["up", SPEC, "-p", "gke", "--yes", "--target", bad])
    assert result.exit_code == 2, result.output
    assert "is not a resource URN" in result.output and "Traceback" not in result.output
    assert stack.calls == []


def test_the_recording_stack_checks_names_against_the_installed_automation_api() -> None:
    """The stand-in is not permissive: a keyword Stack.up does not take fails the test."""
    stack = RecordingStack(secret="x")
    with pytest.raises(AssertionError, match="takes no"):
        stack.up(on_event=lambda e: None, targets=["urn:pulumi:x"])
    assert os.environ.get("KUBEFLEET_HOME") and Path(os.environ["KUBEFLEET_HOME"]).is_dir()

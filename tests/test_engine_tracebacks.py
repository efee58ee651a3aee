"""Engine text that carries a Python traceback (a dynamic provider raised) reaches the operator as the
exception it ends with, never as a traceback. The tracebacks here are real ones (``traceback.format_exc``
of real exceptions, including kubeadm's readiness gate giving up against a closed loopback port)."""

from __future__ import annotations

import socket
import traceback

import pytest
from pulumi.automation.errors import CommandError

from kubefleet.engine.errors import EngineContext, engine_detail, translate
from kubefleet.engine.tracebacks import condense_tracebacks
from kubefleet.providers.kubeadm import readiness


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gate_traceback() -> tuple[str, str]:
    url = readiness.readyz_url(f"https://127.0.0.1:{_closed_port()}")
    try:
        readiness.wait_ready(url, "", deadline_s=0.01, poll_s=0.01)
    except TimeoutError:
        return url, traceback.format_exc()
    raise AssertionError("the gate answered without a server")


def _chained() -> str:
    try:
        try:
            {}["missing"]
        except KeyError as err:
            raise ValueError("the seed is not hex") from err
    except ValueError:
        return traceback.format_exc()
    raise AssertionError


def test_a_traceback_becomes_its_exception_line_in_place() -> None:
    url, tb = _gate_traceback()
    indented = "\n".join("    " + ln for ln in ("error: " + tb).splitlines())
    text = "  creating pulumi-python:dynamic:Resource e2e-api-ready\n" + indented + "\n  FAILED creating x\n"
    out = condense_tracebacks(text)
    assert out.splitlines() == [
        "  creating pulumi-python:dynamic:Resource e2e-api-ready",
        f"    error: TimeoutError: {url} did not answer ok within 0 s",
        "  FAILED creating x",
    ]


def test_a_chained_traceback_ends_with_the_last_exception() -> None:
    tb = _chained()
    assert "During handling" in tb or "direct cause" in tb  # really chained
    assert condense_tracebacks(tb + "next\n") == "ValueError: the seed is not hex\nnext\n"


@pytest.mark.parametrize("text", ["", "no traceback here\nerror: update failed", "Traceback: a word in prose"])
def test_text_without_a_traceback_is_unchanged(text: str) -> None:
    assert condense_tracebacks(text) == text


def test_the_readiness_gate_failing_in_the_engine_is_named_with_what_to_do() -> None:
    url, tb = _gate_traceback()
    raw = ("stderr: Updating (e2e-kubeadm):\n"
           + "\n".join("    " + ln for ln in ("error: " + tb).splitlines())
           + "\n  pulumi-python:dynamic:Resource (e2e-api-ready):\n    error: update failed\n")
    err = translate(CommandError(raw), EngineContext(action="up", stack="e2e-kubeadm", provider="kubeadm"))
    assert f"the cluster's API server did not answer {url} within 0 s" in err.message
    assert "journalctl -u kubefleet-bootstrap" in (err.hint or "")
    assert "Traceback" not in err.message and "File " not in err.message
    assert "Traceback" not in engine_detail(raw)


def test_a_refusal_raised_inside_the_program_keeps_its_hint_and_exit_code() -> None:
    """The inline program runs in this process; the engine reports only its message. translate() hands back
    the original kubefleet error (here kubeadm's scale-down refusal) instead of a generic program failure."""
    from pulumi.automation.errors import InlineSourceRuntimeError

    from kubefleet.errors import program_error
    from kubefleet.providers.kubeadm.topology import removal_error

    refusal = removal_error(["web-default-2-abc123"], [], [])
    assert refusal is not None
    program_error(refusal)
    raw = f"stderr: error: python inline source runtime error: {refusal.message}\nkubefleet.errors.RenderError: ..."
    err = translate(InlineSourceRuntimeError(raw), EngineContext(action="up", stack="web-kubeadm"))
    assert err is refusal and err.exit_code == 2
    assert "--drained web-default-2-abc123" in (err.hint or "")


@pytest.mark.parametrize("provider, drained, expect", [
    ("kubeadm", None, {"kubefleet:kubeadmDrainedNodes": ""}),
    ("kubeadm", " a-1 , b-2 ", {"kubefleet:kubeadmDrainedNodes": "a-1,b-2"}),
    ("gke", None, {}),
])
def test_drained_nodes_are_always_set_for_kubeadm(provider: str, drained: str | None, expect: dict[str, str]) -> None:
    from types import SimpleNamespace

    from kubefleet.cli.engine_cmds import _kubeadm_run_config

    assert _kubeadm_run_config(SimpleNamespace(provider=provider), drained) == expect


@pytest.mark.parametrize("provider, drained, message", [
    ("gke", "a-1", "kubeadm clusters only"),
    ("kubeadm", "A_1,--force", "is not a node name"),
])
def test_drained_nodes_refuse_what_cannot_be_meant(provider: str, drained: str, message: str) -> None:
    from types import SimpleNamespace

    from kubefleet.cli.engine_cmds import _kubeadm_run_config
    from kubefleet.errors import UsageError

    with pytest.raises(UsageError, match=message):
        _kubeadm_run_config(SimpleNamespace(provider=provider), drained)


@pytest.mark.parametrize("value", ["abc", "0", "-5", "99999999", "1.5"])
def test_a_bad_ready_timeout_is_a_usage_error_before_the_engine_runs(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from kubefleet.cli.engine_cmds import _kubeadm_run_config
    from kubefleet.errors import UsageError

    monkeypatch.setenv("KUBEFLEET_READY_TIMEOUT_S", value)
    with pytest.raises(UsageError, match="KUBEFLEET_READY_TIMEOUT_S"):
        _kubeadm_run_config(SimpleNamespace(provider="kubeadm"), None)
    monkeypatch.setenv("KUBEFLEET_READY_TIMEOUT_S", "600")
    assert readiness.ready_timeout_s() == 600

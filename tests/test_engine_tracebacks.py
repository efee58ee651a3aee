"""Engine text that carries a Python traceback (a dynamic provider raised) reaches the operator as the
exception it ends with, never as a traceback. The tracebacks here are real ones (``traceback.format_exc``
of real exceptions, including a socket connect to a closed loopback port timing out as a dynamic provider's
wait would)."""

from __future__ import annotations

import socket
import traceback

import pytest

from kubefleet.engine.errors import EngineContext, translate
from kubefleet.engine.tracebacks import condense_tracebacks


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str) -> None:
    """A dynamic provider's wait, as one would write it: connect, and give up with a TimeoutError."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        raise TimeoutError(f"{url} did not answer ok within 0 s") from None


def _gate_traceback() -> tuple[str, str]:
    url = f"https://127.0.0.1:{_closed_port()}/readyz"
    try:
        _wait_ready(url)
    except TimeoutError:
        return url, traceback.format_exc()
    raise AssertionError("the wait answered without a server")


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


def test_a_refusal_raised_inside_the_program_keeps_its_hint_and_exit_code() -> None:
    """The inline program runs in this process; the engine reports only its message. translate() hands back
    the original kubefleet error instead of a generic program failure."""
    from pulumi.automation.errors import InlineSourceRuntimeError

    from kubefleet.errors import RenderError, program_error

    refusal = RenderError("spec.kubernetes.version: '1.30' is too old for kubeadm on vSphere",
                          hint="use 1.31 or newer")
    program_error(refusal)
    raw = f"stderr: error: python inline source runtime error: {refusal.message}\nkubefleet.errors.RenderError: ..."
    err = translate(InlineSourceRuntimeError(raw), EngineContext(action="up", stack="web-kubeadm"))
    assert err is refusal and err.exit_code == 2
    assert err.hint == "use 1.31 or newer"

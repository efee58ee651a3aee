"""Issue 25: no credential in any output. A backend URL is masked by STRUCTURE (userinfo, every query value,
the fragment), not by a list of parameter names: `?pw=`, `?pass=`, `?session=`, `?code=`, an encoded
`tok%65n=` and `#access_token=` went out in clear before.

Two oracles: a Hypothesis property over the masking and scrubbing (random secrets in every URL part, in the
spellings an engine echoes them: as given, percent-decoded, with a parameter added), and every engine and
fleet command run through the real Pulumi CLI with such a URL -- its stdout, stderr, JSON and markdown
scanned for every secret.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile_cases import good_spec
from tests.localcloud.install import find_pulumi_cli

# names a list-based masker would have let through, and one it would have caught
PARAM_NAMES = ("pw", "pass", "session", "code", "tok%65n", "region", "x", "token")


def backend_url(scheme: str, host: str, path: str, parts: dict[str, str], names: list[str]) -> str:
    """A URL with a secret in every part: user, password, each query value (under ``names``), a bare
    query item, and the fragment (``access_token=...``)."""
    query = "&".join(f"{n}={parts[f'q{i}']}" for i, n in enumerate(names)) + f"&{parts['bare']}"
    return f"{scheme}://{parts['user']}:{parts['password']}@{host}{path}?{query}#access_token={parts['fragment']}"


def _secret_values(n_query: int) -> st.SearchStrategy[dict[str, str]]:
    # url-safe base64 of random bytes: letters, digits, '-' and '_' (cheap to draw, unlike st.text)
    token = st.binary(min_size=9, max_size=24).map(lambda b: "S3c" + base64.urlsafe_b64encode(b).decode().rstrip("="))
    keys = ["user", "password", "bare", "fragment", *(f"q{i}" for i in range(n_query))]
    return st.fixed_dictionaries({k: token for k in keys})


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, list[str]]:
    names = draw(st.lists(st.sampled_from(PARAM_NAMES), min_size=1, max_size=4))
    parts = draw(_secret_values(len(names)))
    scheme = draw(st.sampled_from(["https", "s3", "gs", "azblob", "file"]))
    host = draw(st.sampled_from(["api.example.com", "bucket", "acct.blob.core.windows.net:443", ""]))
    path = draw(st.sampled_from(["", "/org", "/tmp/state", "/a/b%20c"]))
    return backend_url(scheme, host, path, parts, names), list(parts.values())


def _leaks(text: str, values: list[str]) -> list[str]:
    return [v for v in values if v in text or quote(v, safe="") in text]


@settings(max_examples=150, deadline=None)
@given(urls())
def test_masking_and_scrubbing_by_structure_leave_no_secret(case: tuple[str, list[str]]) -> None:
    from kubefleet.engine.backend import Backend
    from kubefleet.redact import mask_url, mask_urls_in, scrub, url_secrets

    url, values = case
    assert not _leaks(mask_url(url), values), mask_url(url)
    assert mask_url(url).split("://")[0] == url.split("://")[0]  # still says which backend it is
    # what an engine echoes: the URL quoted, decoded, with its own parameter added, inside JSON
    head, _, tail = url.partition("?")
    echoed = (f'error: unable to open state directory "{url}" (resolved to "{unquote(url)}"): open bucket '
              f"{head}?no_tmp_dir=true&{tail} {json.dumps({'backend': url})}")
    assert not _leaks(scrub(echoed, url_secrets(url)), values)
    as_given = f'error: "{url}": open bucket {head}?no_tmp_dir=true&{tail} {json.dumps({"backend": url})}'
    assert not _leaks(mask_urls_in(as_given), values)  # by structure alone, without the known values
    backend = Backend(url=url, kind="cloud", source="--backend")
    assert not _leaks(backend.describe(), values)
    assert set(values) <= set(backend.secret_values())


def test_the_issue_spellings_are_masked() -> None:
    from kubefleet.redact import mask_url

    assert mask_url("https://user:TOKEN@host") == "https://***@host"
    assert mask_url("https://h/p?pw=a1&pass=b2&session=c3&code=d4&tok%65n=e5#access_token=f6") == \
        "https://h/p?pw=***&pass=***&session=***&code=***&tok%65n=***#***"
    assert mask_url("file://u:p@/var/state?x") == "file://***@/var/state?***"
    assert mask_url("user:pass@host") == "***@host"
    assert mask_url("s3://bucket/prefix") == "s3://bucket/prefix"  # nothing to hide, nothing hidden


@settings(max_examples=60, deadline=None)
@given(urls(), urls())
def test_the_pr_comments_links_carry_no_secret(run: tuple[str, list[str]], report: tuple[str, list[str]]) -> None:
    """The PR comment's new fields (--run-url, --report-url) are masked by structure like a backend URL."""
    from kubefleet.changes.model import ClusterChanges
    from kubefleet.report.pr_markdown import Link, render_pr_markdown

    text = render_pr_markdown([ClusterChanges("c", "gke", (), None, None)], "t",
                              links=[Link("workflow run", run[0]), Link("HTML report", report[0])])
    assert "[workflow run](<" in text and "[HTML report](<" in text
    assert not _leaks(text, run[1] + report[1]), text


# ---------------------------------------------------------------- every engine and fleet command

CLI_DIR, WHY_NOT = find_pulumi_cli()

#: every command that talks to a backend, with the outputs it has (table, json, markdown)
COMMANDS: dict[str, list[str]] = {
    "stacks": ["stacks"],
    "stacks-json": ["stacks", "-o", "json"],
    "fleet-stacks": ["fleet", "--stacks", "SPEC"],
    "fleet-stacks-json": ["fleet", "--stacks", "SPEC", "-o", "json"],
    "preview-markdown": ["preview", "SPEC", "-o", "markdown"],
    "up": ["up", "SPEC", "--yes"],
    "destroy": ["destroy", "SPEC", "--yes"],
    "refresh": ["refresh", "SPEC"],
    "outputs-json": ["outputs", "SPEC", "-o", "json"],
    "kubeconfig": ["kubeconfig", "SPEC"],
}


def _random_url(directory: Path, *, query: bool = True) -> tuple[str, list[str]]:
    """A file:// backend (the engine parses it locally, no network) with fresh random secrets in every part;
    without ``query`` only the fragment carries one (the engine accepts that URL: the success path)."""
    parts = {k: "S3c" + secrets.token_urlsafe(12) for k in ("user", "password", "bare", "fragment", "q0", "q1",
                                                             "q2", "q3", "q4")}
    if not query:
        return f"file://{directory}#access_token={parts['fragment']}", [parts["fragment"]]
    return backend_url("file", "", str(directory), parts, ["pw", "session", "code", "tok%65n", "pass"]), \
        list(parts.values())


@pytest.fixture
def engine_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str], str, bool], str]:
    if CLI_DIR is None:
        if os.environ.get("KUBEFLEET_REQUIRE_E2E") == "1":  # .ci/run built the CLI: a missing one is a failure
            pytest.fail(WHY_NOT)
        pytest.skip(WHY_NOT)
    monkeypatch.setenv("PATH", f"{CLI_DIR}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    spec = tmp_path / "ok.yaml"
    # GKE, not the default kubeadm: a kubeadm `up`/`preview` stops at its missing management cluster before it
    # opens the backend, and the backend URL is what these tests feed with secrets
    spec.write_text(good_spec().replace("provider: kubeadm", "provider: gke").replace('"1.33"', '"1.35"')
                    + "  providers:\n    gke: {project: hostile-test}\n", encoding="utf-8")

    def run(args: list[str], url: str, via_env: bool) -> str:
        from typer.testing import CliRunner

        from kubefleet.cli.app import app

        argv = [str(spec) if a == "SPEC" else a for a in args]
        if via_env:
            monkeypatch.setenv("PULUMI_BACKEND_URL", url)
        else:
            argv += ["--backend", url]
        result = CliRunner().invoke(app, argv)
        monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
        assert result.exit_code in (0, 1, 2), f"{args}: exit {result.exit_code}: {result.output[-800:]}"
        assert "Traceback" not in result.output and "internal error" not in result.output, result.output
        return result.output  # stdout and stderr

    return run


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
def test_no_engine_or_fleet_command_prints_a_backend_credential(
        command: str, engine_env: Callable[[list[str], str, bool], str], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    url, values = _random_url(state)
    output = engine_env(COMMANDS[command], url, command in ("stacks", "refresh"))  # two through the environment
    assert not _leaks(output, values), output
    assert "***" in output or "[secret]" in output, output  # the URL (or its parts) was shown, masked


@pytest.mark.parametrize("command", ["stacks-json", "fleet-stacks-json"])
def test_a_working_backend_with_a_credential_in_its_fragment_is_listed_masked(
        command: str, engine_env: Callable[[list[str], str, bool], str], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    url, values = _random_url(state, query=False)
    output = engine_env(COMMANDS[command], url, False)
    data = json.loads(output[output.index("{"):])
    assert data["backend"] == f"file://{state}#***"
    assert not _leaks(output, values), output

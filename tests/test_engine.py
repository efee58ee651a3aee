"""The engine path without a Pulumi CLI: backend choice, passphrase, provider config, error mapping,
event progress, secret masking, private files, and the missing-CLI path through a real subprocess.

Tests that need the real CLI are skipped when `pulumi` is not on PATH; each gets an isolated
file:// backend in tmp_path (and monkeypatch restores the environment), like Pulumi's own tests.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from pulumi.automation import (
    CommandError,
    CommandResult,
    CompilationError,
    ConcurrentUpdateError,
    InlineSourceRuntimeError,
    InvalidVersionError,
    OutputValue,
    StackAlreadyExistsError,
    StackNotFoundError,
)
from pulumi.automation import RuntimeError as AutomationRuntimeError
from pulumi.automation.events import EngineEvent
from rich.console import Console
from typer.testing import CliRunner

from kubefleet.changes.model import changes_from_events, changes_json
from kubefleet.cli.app import app
from kubefleet.engine.backend import PULUMI_CLOUD, check_backend_url, ensure_passphrase, resolve_backend
from kubefleet.engine.errors import EngineContext, engine_detail, engine_errors, translate
from kubefleet.engine.files import write_private_file
from kubefleet.engine.outputs import display_outputs, kubeconfig_text, secret_output_values
from kubefleet.engine.progress import EventRouter, step_from_event
from kubefleet.engine.workspace import (
    check_stack_name,
    default_stack_name,
    open_stack,
    provider_config,
    required_plugins,
    stack_target,
)
from kubefleet.errors import EngineError, EngineMissingError, UsageError
from kubefleet.redact import scrub
from kubefleet.report.pr_markdown import render_pr_markdown
from tests.conftest import EXAMPLES, ROOT
from tests.localcloud.install import find_pulumi_cli
from tests.test_changes import CLUSTER, SEKRET, pre

PULUMI_DIR, NO_PULUMI = find_pulumi_cli()
needs_pulumi = pytest.mark.skipif(PULUMI_DIR is None, reason=NO_PULUMI)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _spec(name: str = "sweet-spot.yaml", index: int = 0):  # type: ignore[no-untyped-def]
    from kubefleet.spec.loader import load_file

    return load_file(EXAMPLES / name)[index].spec


@pytest.fixture
def no_pulumi_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A PATH without `pulumi` (only a directory with nothing in it)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE", "CI"):
        monkeypatch.delenv(var, raising=False)
    return str(empty)


# ------------------------------------------------------------------ backend and passphrase


def test_default_is_the_embedded_file_backend_with_a_private_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    home = Path(os.environ["KUBEFLEET_HOME"])
    backend = resolve_backend()
    assert backend.kind == "embedded" and backend.source == "default"
    assert backend.url == "file://" + (home / "state").resolve().as_posix()
    assert (home / "state").is_dir() and _mode(home / "state") == 0o700
    passphrase_file = home / "passphrase"
    assert backend.passphrase_file == passphrase_file
    assert _mode(passphrase_file) == 0o600
    passphrase = passphrase_file.read_text().strip()
    assert len(passphrase) >= 40
    assert backend.env["PULUMI_CONFIG_PASSPHRASE"] == passphrase
    assert backend.env["PULUMI_BACKEND_URL"] == backend.url
    assert "PULUMI_CONFIG_PASSPHRASE" not in os.environ  # for the workspace only
    assert passphrase not in repr(backend) and passphrase not in backend.describe()
    assert resolve_backend().env["PULUMI_CONFIG_PASSPHRASE"] == passphrase  # generated once


def test_a_loosened_passphrase_file_is_made_private_again(tmp_path: Path) -> None:
    value, path = ensure_passphrase(tmp_path)
    os.chmod(path, 0o644)
    assert ensure_passphrase(tmp_path) == (value, path)
    assert _mode(path) == 0o600


def test_empty_passphrase_file_is_an_engine_error(tmp_path: Path) -> None:
    (tmp_path / "passphrase").write_text("")
    with pytest.raises(EngineError, match="cannot be decrypted"):
        ensure_passphrase(tmp_path)


@pytest.mark.parametrize("var", ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"])
def test_a_configured_passphrase_wins(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv(var, "users-own")
    backend = resolve_backend()
    assert backend.kind == "embedded"
    assert "PULUMI_CONFIG_PASSPHRASE" not in backend.env
    assert not (Path(os.environ["KUBEFLEET_HOME"]) / "passphrase").exists()


@pytest.mark.parametrize(("url", "kind"), [
    ("https://api.pulumi.com", "cloud"),
    ("s3://acme-state?region=us-east-1", "object-store"),
    ("gs://acme-state", "object-store"),
    ("azblob://state", "object-store"),
    ("file:///srv/state", "file"),
    ("file://~/state", "file"),
])
def test_team_backends_from_the_flag_get_no_generated_passphrase(url: str, kind: str) -> None:
    backend = resolve_backend(url)
    assert (backend.url, backend.kind, backend.source) == (url, kind, "--backend")
    assert dict(backend.env) == {"PULUMI_BACKEND_URL": url}
    assert not (Path(os.environ["KUBEFLEET_HOME"]) / "passphrase").exists()


def test_backend_from_environment_and_access_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://team-state")
    assert resolve_backend().source == "PULUMI_BACKEND_URL"
    assert resolve_backend("s3://flag-wins").url == "s3://flag-wins"
    monkeypatch.delenv("PULUMI_BACKEND_URL")
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-0123456789")
    cloud = resolve_backend()
    assert (cloud.url, cloud.kind, cloud.source) == (PULUMI_CLOUD, "cloud", "PULUMI_ACCESS_TOKEN")
    assert "pul-0123456789" not in repr(cloud) and "PULUMI_ACCESS_TOKEN" not in cloud.env


@pytest.mark.parametrize("url", ["http://pulumi.internal", "ftp://x", "postgres://db", "s3://", "bucket", ""])
def test_other_backend_schemes_are_usage_errors(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="not a backend"):
        check_backend_url(url)
    if url:
        monkeypatch.setenv("PULUMI_BACKEND_URL", url)
        with pytest.raises(UsageError, match="PULUMI_BACKEND_URL"):
            resolve_backend()


# ------------------------------------------------------------------ stacks, config, plugins


def test_stack_names() -> None:
    spec = _spec()
    assert default_stack_name(spec, "gke") == "sweet-spot-gke"
    assert stack_target(spec, "eks", resolve_backend("s3://b")).stack_name == "sweet-spot-eks"
    assert stack_target(spec, "eks", resolve_backend("s3://b"), "acme/kubefleet/prod").stack_name == "acme/kubefleet/prod"
    with pytest.raises(UsageError, match="not a valid stack name"):
        check_stack_name("has space")


def test_provider_config_from_the_spec(monkeypatch: pytest.MonkeyPatch, load_spec, minimal_text) -> None:  # type: ignore[no-untyped-def]
    spec = _spec()
    assert provider_config(spec, "gke", {}) == {"gcp:project": "acme-prod", "gcp:region": spec.region_for("gke")}
    assert provider_config(spec, "eks", {}) == {"aws:region": spec.region_for("eks")}
    assert provider_config(spec, "aks", {}) == {"azure-native:location": spec.region_for("aks")}
    with pytest.raises(UsageError, match="vCenter"):
        provider_config(spec, "kubeadm", {})
    assert provider_config(spec, "kubeadm", {"VSPHERE_SERVER": "vc.example"}) == {"kubefleet:vsphereServer": "vc.example"}
    custom = load_spec(minimal_text + "  providers:\n    aks: {subscriptionId: sub-123}\n"
                       "    kubeadm: {vsphere: {server: vc.acme}}\n    gke: {region: europe-west4}\n")
    assert provider_config(custom, "aks", {})["azure-native:subscriptionId"] == "sub-123"
    assert provider_config(custom, "kubeadm", {"VSPHERE_SERVER": "ignored"}) == {"kubefleet:vsphereServer": "vc.acme"}
    # kubeadm (Cluster API): the management kubeconfig file and the vCenter account go to stack config
    kc = Path(tempfile.mkdtemp()) / "mgmt.kubeconfig"
    kc.write_text("apiVersion: v1\nkind: Config\n")
    got = provider_config(custom, "kubeadm", {"KUBEFLEET_MANAGEMENT_KUBECONFIG": str(kc), "VSPHERE_USER": "u",
                                              "VSPHERE_PASSWORD": "p"})
    assert got == {"kubefleet:vsphereServer": "vc.acme", "kubefleet:managementKubeconfig": kc.read_text(),
                   "kubefleet:vsphereUser": "u", "kubefleet:vspherePassword": "p"}
    from kubefleet.engine.management import SECRET_CONFIG

    assert {"kubefleet:managementKubeconfig", "kubefleet:vspherePassword"} == SECRET_CONFIG
    with pytest.raises(UsageError, match="KUBEFLEET_MANAGEMENT_KUBECONFIG"):
        provider_config(custom, "kubeadm", {"KUBEFLEET_MANAGEMENT_KUBECONFIG": str(kc) + ".missing"})
    assert provider_config(custom, "gke", {"GOOGLE_PROJECT": "from-env"}) == {
        "gcp:project": "from-env", "gcp:region": "europe-west4"}


def test_required_plugins_use_the_installed_sdk_versions() -> None:
    from importlib.metadata import version

    plugins = required_plugins("gke")
    assert plugins[0] == ("gcp", "v" + version("pulumi_gcp"))
    assert all(v.startswith("v") for _, v in plugins)
    assert "policy" not in dict(plugins)


# ------------------------------------------------------------------ error mapping


def _result(stderr: str = "", stdout: str = "", code: int = 255) -> CommandResult:
    return CommandResult(stdout=stdout, stderr=stderr, code=code)


CTX = EngineContext(action="up", stack="sweet-spot-gke", provider="gke", backend="file:///state",
                    secrets=["the-passphrase-123"])


@pytest.mark.parametrize(("err", "message", "hint"), [
    (ConcurrentUpdateError(_result("error: the stack is currently locked by 1 lock(s)")), "is locked",
     "pulumi cancel --stack sweet-spot-gke"),
    (StackNotFoundError(_result("error: no stack named 'sweet-spot-gke' found")), "does not exist", "kubefleet stacks"),
    (StackAlreadyExistsError(_result("error: stack 'x' already exists")), "already exists", "--stack"),
    (InlineSourceRuntimeError(_result(stdout="error: python inline source runtime error: boom")),
     "program failed", "kubefleet plan"),
    (AutomationRuntimeError(_result(stdout="error: an unhandled error occurred: boom")), "program failed",
     "kubefleet plan"),
    (CompilationError(_result(stdout=": syntax error: x")), "program failed", "kubefleet plan"),
    (CommandError(_result("error: google: could not find default credentials")), "credentials",
     "gcloud auth application-default login"),
    (CommandError(_result("error: constructing secrets manager: passphrase must be set with "
                          "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE")), "passphrase",
     "PULUMI_CONFIG_PASSPHRASE"),
    (CommandError(_result("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")),
     "state backend", "pulumi login"),
    (CommandError(_result("error: resource urn:x cannot be deleted because it is protected")), "protected",
     "--force"),
    (CommandError(_result("error: something else broke: the-passphrase-123")), "failed", "rerun"),
])
def test_each_typed_automation_error_maps_to_a_clear_engine_error(err: Exception, message: str, hint: str) -> None:
    mapped = translate(err, CTX)
    assert isinstance(mapped, EngineError) and mapped.exit_code == 2
    assert message in mapped.message
    assert mapped.hint is not None and hint in mapped.hint
    assert "the-passphrase-123" not in mapped.render()
    assert "Traceback" not in mapped.render()


def test_missing_or_old_cli_maps_to_engine_missing() -> None:
    missing = translate(FileNotFoundError(2, "No such file or directory", "pulumi"), CTX)
    assert isinstance(missing, EngineMissingError) and "not installed" in missing.message
    old = translate(InvalidVersionError("Minimum version requirement failed."), CTX)
    assert isinstance(old, EngineMissingError) and "Minimum version" in old.message


def test_engine_errors_context_converts_and_leaves_bugs_alone() -> None:
    with pytest.raises(EngineError, match="is locked"), engine_errors(CTX):
        raise ConcurrentUpdateError(_result("[409] Conflict: Another update is currently in progress."))
    with pytest.raises(KeyError), engine_errors(CTX):
        raise KeyError("a kubefleet bug stays a bug")


def test_engine_detail_keeps_error_lines_and_scrubs_secrets() -> None:
    raw = str(CommandError(_result(
        stdout="Updating (sweet-spot-gke)\n  gcp:container:Cluster main creating\n",
        stderr=f"error: update failed\nerror: kubeconfig was {SEKRET}\nclient-key-data: QUJD\n",
    )))
    detail = engine_detail(raw, [SEKRET])
    assert detail.splitlines() == ["error: update failed", "error: kubeconfig was [secret]"]
    assert "QUJD" not in scrub(raw)


def test_scrub_removes_environment_credentials_and_private_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-K7MDENG")
    text = ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-K7MDENG and -----BEGIN RSA PRIVATE KEY-----\nabc\n"
            "-----END RSA PRIVATE KEY----- token: eyJhbGciOi")
    clean = scrub(text)
    assert "wJalrXUtnFEMI" not in clean and "abc" not in clean and "eyJhbGciOi" not in clean


# ------------------------------------------------------------------ events -> progress


def test_progress_records_from_engine_events() -> None:
    u = "urn:pulumi:s::kubefleet::gcp:container/cluster:Cluster::main"
    meta = {"op": "create", "urn": u, "type": "gcp:container/cluster:Cluster", "provider": ""}
    started = step_from_event(EngineEvent.from_json({"sequence": 1, "timestamp": 0,
                                                     "resourcePreEvent": {"metadata": meta}}))
    done = step_from_event(EngineEvent.from_json({"sequence": 2, "timestamp": 0,
                                                  "resOutputsEvent": {"metadata": meta}}))
    failed = step_from_event(EngineEvent.from_json({"sequence": 3, "timestamp": 0,
                                                    "resOpFailedEvent": {"metadata": meta, "status": 1, "steps": 0}}))
    assert started is not None and started.line() == "creating gcp:container/cluster:Cluster main"
    assert done is not None and done.line() == "created gcp:container/cluster:Cluster main"
    assert failed is not None and failed.line().startswith("FAILED creating")
    stack_meta = {"op": "same", "urn": "urn:pulumi:s::kubefleet::pulumi:pulumi:Stack::k", "type": "pulumi:pulumi:Stack"}
    assert step_from_event(EngineEvent.from_json({"resourcePreEvent": {"metadata": stack_meta}})) is None


def test_router_sends_steps_diagnostics_and_summary() -> None:
    steps, diags, seen = [], [], []
    router = EventRouter(on_step=steps.append, on_diagnostic=diags.append, listeners=[seen.append],
                         secrets=["the-passphrase-123"])
    router(pre("create", CLUSTER, "main"))
    router(EngineEvent.from_json({"sequence": 2, "timestamp": 0, "diagnosticEvent": {
        "message": "error: bad passphrase the-passphrase-123\n", "color": "never", "severity": "error"}}))
    router(EngineEvent.from_json({"sequence": 3, "timestamp": 0, "diagnosticEvent": {
        "message": "debug noise", "color": "never", "severity": "debug"}}))
    router(EngineEvent.from_json({"sequence": 4, "timestamp": 0, "summaryEvent": {
        "maybeCorrupt": False, "durationSeconds": 3, "resourceChanges": {"create": 5, "same": 1}}}))
    assert [s.op for s in steps] == ["create"]
    assert [(d.severity, d.message) for d in diags] == [("error", "error: bad passphrase [secret]")]
    assert len(seen) == 4
    assert router.summary == {"create": 5, "same": 1}


# ------------------------------------------------------------------ outputs, kubeconfig file


def _outputs() -> dict[str, OutputValue]:
    return {
        "clusterName": OutputValue("sweet-spot", False),
        "endpoint": OutputValue("10.0.0.2", False),
        "kubeconfig": OutputValue(f"apiVersion: v1\nusers:\n- user: {{token: {SEKRET}}}\n", True),
        "adminPassword": OutputValue("hunter2-long-enough", False),  # secret by name even if not flagged
        "extra": OutputValue({"nested": {"clientKey": SEKRET}}, False),
    }


def test_outputs_mask_secrets_unless_asked() -> None:
    shown = display_outputs(_outputs())
    assert shown == {"adminPassword": "[secret]", "clusterName": "sweet-spot", "endpoint": "10.0.0.2",
                     "extra": {"nested": {"clientKey": "[secret]"}}, "kubeconfig": "[secret]"}
    assert display_outputs(_outputs(), show_secrets=True)["kubeconfig"].startswith("apiVersion: v1")
    assert f"token: {SEKRET}}}" in "\n".join(secret_output_values(_outputs()))
    assert kubeconfig_text(_outputs()) is not None
    assert kubeconfig_text({"kubeconfig": OutputValue({"apiVersion": "v1"}, True)}) == '{\n  "apiVersion": "v1"\n}'
    assert kubeconfig_text({}) is None


def test_kubeconfig_file_is_0600_and_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "c.kubeconfig"
    written = write_private_file(target, "apiVersion: v1")
    assert written == target and _mode(target) == 0o600 and target.read_text() == "apiVersion: v1\n"
    with pytest.raises(UsageError, match="already exists"):
        write_private_file(target, "other")
    os.chmod(target, 0o644)
    write_private_file(target, "new", force=True)
    assert _mode(target) == 0o600 and target.read_text() == "new\n"
    assert [p.name for p in target.parent.iterdir()] == ["c.kubeconfig"]
    with pytest.raises(UsageError, match="directory"):
        write_private_file(tmp_path, "x")


# ------------------------------------------------------------------ no secret in any output


def test_a_seeded_secret_reaches_no_output_format() -> None:
    """Seed SEKRET as a kubeconfig input (by name), a wire secret and a secret output; grep every format."""
    from kubefleet.cli.engine_cmds import _print_outputs, print_changes_table
    from kubefleet.redact import SECRET_SIG, SIG_KEY

    events = [
        pre("update", CLUSTER, "main", old={"kubeconfig": SEKRET + "-a", "name": "a"},
            new={"kubeconfig": SEKRET + "-b", "name": "b"}, detailed={"kubeconfig": "update", "name": "update"}),
        pre("update", "gcp:container/nodePool:NodePool", "general",
            old={"config": {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(SEKRET)}},
            new={"config": {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(SEKRET + "x")}}),
        pre("refresh", "gcp:compute/firewall:Firewall", "fw", old={"token": SEKRET}, new={"token": SEKRET},
            old_outputs={"token": SEKRET}, new_outputs={"token": SEKRET + "-rotated"}),
    ]
    changes = changes_from_events(events, "sweet-spot", "gke", Decimal(1), Decimal(2))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, no_color=True)
    print_changes_table(changes, console)
    _print_outputs(display_outputs(_outputs()), console)
    formats = {
        "table": buffer.getvalue(),
        "json": changes_json([changes]),
        "markdown": render_pr_markdown([changes], "t"),
        "outputs-json": json.dumps(display_outputs(_outputs())),
    }
    for name, text in formats.items():
        assert SEKRET not in text, name
        assert "[secret]" in text, name


# ------------------------------------------------------------------ CLI without the Pulumi CLI


def test_missing_cli_through_a_real_subprocess(no_pulumi_path: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_BACKEND_URL"}
    env["PATH"] = no_pulumi_path
    proc = subprocess.run(
        [sys.executable, "-m", "kubefleet.cli", "up", "examples/sweet-spot.yaml", "--provider", "gke", "--yes"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "the Pulumi CLI (`pulumi`) is not installed or not on PATH" in proc.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in proc.stderr
    assert "brew install pulumi/tap/pulumi" in proc.stderr
    assert "kubefleet plan" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    home = Path(env["KUBEFLEET_HOME"])
    assert not (home / "passphrase").exists()  # nothing is created before the CLI check


@pytest.mark.parametrize("args", [
    ["preview", "examples/dev-small.yaml", "--provider", "eks"],
    ["preview", "examples/dev-small.yaml", "--provider", "eks", "--refresh", "--output", "markdown"],
    ["refresh", "examples/dev-small.yaml", "--provider", "aks"],
    ["outputs", "examples/dev-small.yaml", "--provider", "gke"],
    ["kubeconfig", "examples/dev-small.yaml", "--provider", "gke"],
    ["destroy", "examples/dev-small.yaml", "--provider", "gke", "--yes"],
    ["destroy", "examples/sweet-spot.yaml", "--force", "--yes"],
    ["stacks"],
])
def test_every_engine_command_reports_the_missing_cli(no_pulumi_path: str, args: list[str]) -> None:
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "Pulumi CLI" in result.output and "get.pulumi.com" in result.output
    assert "Traceback" not in result.output


def test_destroy_refuses_a_production_cluster_without_force(no_pulumi_path: str) -> None:
    result = CliRunner().invoke(app, ["destroy", "examples/sweet-spot.yaml", "--yes"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "refusing to destroy 'sweet-spot'" in result.output and "env: prod" in result.output
    assert "--force" in result.output


def test_usage_errors_come_before_the_cli_check(no_pulumi_path: str) -> None:
    runner = CliRunner()
    several = runner.invoke(app, ["up", "examples/fleet.yaml", "--yes"], catch_exceptions=False)
    assert several.exit_code == 2 and "--cluster" in several.output and "orders-prod" in several.output
    bad_backend = runner.invoke(app, ["preview", "examples/dev-small.yaml", "-p", "gke", "--backend", "ftp://x"])
    assert bad_backend.exit_code == 2 and "not a backend" in bad_backend.output
    bad_stack = runner.invoke(app, ["outputs", "examples/dev-small.yaml", "-p", "gke", "--stack", "a b"])
    assert bad_stack.exit_code == 2 and "stack name" in bad_stack.output


def test_non_interactive_apply_needs_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubefleet.cli.engine_cmds import _require_confirmation

    monkeypatch.setenv("CI", "true")
    with pytest.raises(UsageError, match="refusing to apply without --yes in a non-interactive run"):
        _require_confirmation(False, "Apply?")
    assert _require_confirmation(True, "Apply?") is True


def test_up_prices_the_graph_it_shows() -> None:
    """`up` renders once (cached) and prices that same graph, as of today, before it asks."""
    from datetime import date
    from decimal import Decimal

    from kubefleet.catalog import load_catalog
    from kubefleet.cli.engine_cmds import _plan_and_cost
    from kubefleet.cost.pricer import price_graph

    target = stack_target(_spec(), "gke", resolve_backend("s3://b"))
    graph, monthly, _ = _plan_and_cost(target)
    assert graph.resources[0].type == "kubefleet:gke:Cluster"
    assert isinstance(monthly, Decimal) and monthly > 0
    assert monthly == price_graph(graph, load_catalog(), as_of=date.today()).monthly_total


# ------------------------------------------------------------------ with the real CLI (skipped here)


@pytest.fixture
def file_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An isolated file:// backend and passphrase; monkeypatch restores the environment afterwards."""
    state = tmp_path / "state"
    state.mkdir()
    url = "file://" + state.as_posix()
    monkeypatch.setenv("PULUMI_BACKEND_URL", url)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    if PULUMI_DIR is not None:
        monkeypatch.setenv("PATH", os.pathsep.join([PULUMI_DIR, os.environ.get("PATH", "")]))
    return url


@needs_pulumi
def test_stacks_in_an_empty_file_backend(file_backend: str) -> None:
    result = CliRunner().invoke(app, ["stacks", "--output", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"apiVersion": "kubefleet.dev/v1", "kind": "StackList", "backend": file_backend,
                                         "items": []}


@needs_pulumi
def test_outputs_of_a_missing_stack_is_a_clear_error(file_backend: str) -> None:
    result = CliRunner().invoke(app, ["outputs", "examples/dev-small.yaml", "--provider", "gke"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_workspace_options_carry_the_backend_and_a_private_work_dir() -> None:
    from kubefleet.engine.workspace import workspace_options

    backend = resolve_backend()
    opts = workspace_options(backend)
    assert opts.env_vars is not None and opts.env_vars["PULUMI_BACKEND_URL"] == backend.url
    assert opts.project_settings is not None and opts.project_settings.name == "kubefleet"
    assert opts.project_settings.backend is not None and opts.project_settings.backend.url == backend.url
    work = Path(opts.work_dir or "")
    assert work.is_dir() and _mode(work) == 0o700
    assert work.is_relative_to(Path(os.environ["KUBEFLEET_HOME"]))
    assert workspace_options(resolve_backend("s3://other")).work_dir != opts.work_dir


# ------------------------------------------------------------------ event shapes the real CLI sends
# Shapes observed from pulumi v3.274.0 (scripts/build-pulumi-cli.sh) in tests/test_e2e_engine.py; these
# run without the CLI so the parsing stays covered everywhere.

_POOL = "gcp:container/nodePool:NodePool"
_POOL_URN = f"urn:pulumi:e2e-gke::kubefleet::kubefleet:gke:Cluster${_POOL}::e2e-default"


def _step(kind: str, op: str, old: int, new: int, *, detailed: bool) -> EngineEvent:
    def state(count: int) -> dict[str, object]:
        return {"type": _POOL, "urn": _POOL_URN, "id": "default-1", "parent": "", "provider": "",
                "inputs": {"nodeCount": count}, "outputs": {"nodeCount": count}}

    metadata: dict[str, object] = {"op": op, "urn": _POOL_URN, "type": _POOL, "provider": "",
                                   "old": state(old), "new": state(new)}
    if detailed:
        metadata["diffs"] = ["nodeCount"]
        metadata["detailedDiff"] = {"nodeCount": {"diffKind": "update", "inputDiff": True}}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, kind: {"metadata": metadata, "planning": True}})


def test_refresh_drift_arrives_with_the_refresh_steps_outputs_event() -> None:
    """`preview --refresh`: the engine's refresh pre event carries the recorded state twice (the Read
    has not happened); the difference the cloud reported comes with the step's outputs event."""
    events = [
        _step("resourcePreEvent", "refresh", 2, 2, detailed=False),
        _step("resOutputsEvent", "refresh", 2, 5, detailed=True),
        _step("resourcePreEvent", "update", 5, 2, detailed=True),
        _step("resOutputsEvent", "update", 5, 2, detailed=True),
    ]
    result = changes_from_events(events, "e2e", "gke")
    (change,) = result.changes
    assert change.op == "update" and change.drift
    assert [(i.path, i.old, i.new) for i in change.inputs] == [("nodeCount", 5, 2)]
    only_pre = changes_from_events(events[:1], "e2e", "gke")
    assert not only_pre.drifted


def test_refresh_operation_reports_drift_with_an_update_outputs_event() -> None:
    """`refresh`: the outputs event of a refresh that found a difference says op "update"."""
    events = [
        _step("resourcePreEvent", "refresh", 2, 2, detailed=False),
        _step("resOutputsEvent", "update", 2, 5, detailed=True),
    ]
    (change,) = changes_from_events(events, "e2e", "gke").changes
    assert change.op == "same" and change.drift
    assert [(i.path, i.old, i.new) for i in change.inputs] == [("nodeCount", 2, 5)]


def test_router_lists_policy_violations_from_engine_policy_events() -> None:
    seen: list[object] = []
    router = EventRouter(on_diagnostic=seen.append, secrets=["s3cr3t-value"])
    router(EngineEvent.from_json({"sequence": 1, "timestamp": 0, "policyEvent": {
        "message": "a prod cluster's API server\nendpoint is public s3cr3t-value", "color": "never",
        "policyName": "prod-private-endpoint", "policyPackName": "kubefleet", "policyPackVersion": "0.1.0",
        "policyPackVersionTag": "0.1.0", "enforcementLevel": "mandatory",
        "resourceUrn": "urn:pulumi:e2e-gke::kubefleet::pulumi:pulumi:Stack::kubefleet-e2e-gke"}}))
    (violation,) = router.violations
    assert violation.mandatory and violation.policy == "prod-private-endpoint"
    assert violation.line() == ("mandatory policy prod-private-endpoint of kubefleet (kubefleet-e2e-gke): "
                                "a prod cluster's API server endpoint is public [secret]")
    assert len(seen) == 1


def test_a_resource_failure_is_not_a_backend_problem() -> None:
    raw = ("code: 255\n stdout: Updating (e2e-eks):\n +  aws:eks:Cluster e2e **creating failed** error: operation "
           "error EKS: CreateCluster, https response error StatusCode: 403, AccessDeniedException: User: "
           "arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:CreateCluster\nDiagnostics:\n"
           "  aws:eks:Cluster (e2e):\n    error: operation error EKS: CreateCluster, AccessDeniedException\n")
    err = translate(CommandError(CommandResult(stdout=raw, stderr="", code=255)), CTX)
    assert "the cloud refused a resource operation" in str(err) and "state backend" not in str(err)
    backend = translate(CommandError(CommandResult(stdout="", stderr="error: AccessDenied: s3 bucket", code=255)), CTX)
    assert "cannot reach the state backend" in str(backend)


def test_the_engine_deploys_the_instance_types_the_cli_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    """`up` prices and previews with the active catalog (the user's refreshed prices over the shipped ones);
    the program the engine then runs must resolve with that same catalog, or shape matching (the cheapest
    fitting type) could deploy another instance type than the one shown. With a refreshed price list that
    makes the shipped choice expensive, the inline program open_stack hands the engine declares the type the
    CLI priced."""
    import pulumi
    import pulumi.automation as auto
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from kubefleet.catalog import load_catalog
    from kubefleet.cost.sources.cache import active_catalog, cached_file
    from kubefleet.providers import get_adapter
    from kubefleet.render.offline import _LOCK, _make_mocks_and_monitor
    from kubefleet.resolve.cluster import resolve
    from kubefleet.spec.loader import load_file

    spec = load_file(EXAMPLES / "sweet-spot.yaml")[0].spec
    shipped = resolve(spec, "gke", catalog=load_catalog()).instances["general"].name
    text = (ROOT / "kubefleet/catalog/data/gke.yaml").read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{shipped}:"))
    overlay = cached_file("gke")
    overlay.parent.mkdir(parents=True, exist_ok=True)
    overlay.write_text(text.replace(line, line.split("price:")[0] + 'price: "99.0", source: gce-pricing-cyclenerd}', 1))
    priced = resolve(spec, "gke", catalog=active_catalog()).instances["general"].name
    assert priced != shipped, "the refreshed price list should move the choice"

    captured: dict[str, object] = {}

    class Captured(Exception):
        pass

    def no_engine(**kwargs: object) -> None:
        captured.update(kwargs)
        raise Captured

    monkeypatch.setattr(auto, "create_or_select_stack", no_engine)
    with pytest.raises(Captured):
        open_stack(stack_target(spec, "gke", resolve_backend()))
    program = captured["program"]
    assert callable(program)

    with _LOCK:
        the_mocks, monitor, recorded = _make_mocks_and_monitor(get_adapter("gke"))
        settings.ROOT.set(None)
        mocks.set_mocks(the_mocks, project="kubefleet", stack="engine-catalog", preview=False, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(program))
    del pulumi  # imported for the runtime it sets up
    machine_types = {r.get("nodeConfig.machineType") for r in recorded if r.type == "gcp:container/nodePool:NodePool"}
    assert machine_types == {priced}, machine_types

"""`upgrade apply` without the engine: the readiness gate over real HTTPS against the local cloud's API
stand-in (tests/localcloud/managed_api.py), the chain's stop/resume bookkeeping with a recording engine
(tests/test_e2e_upgrade.py drives the real Pulumi CLI), and the options."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.engine import upgrade
from kubefleet.engine.backend import resolve_backend
from kubefleet.engine.workspace import stack_target
from kubefleet.errors import KubefleetError, ProblemFound, UsageError
from kubefleet.spec.loader import load_file
from tests.conftest import ROOT
from tests.localcloud import cloud, managed_api, versions


def test_durations() -> None:
    assert upgrade.parse_duration("30s") == 30
    assert upgrade.parse_duration("10m") == 600
    assert upgrade.parse_duration("1.5h") == 5400
    assert upgrade.parse_duration("250ms") == 0.25
    assert upgrade.parse_duration("45") == 45
    for bad in ("soon", "-1s", "13h", ""):
        with pytest.raises(UsageError):
            upgrade.parse_duration(bad)


# ------------------------------------------------------------------ the readiness gate, over HTTPS


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[managed_api.ManagedStandIn]:
    token = secrets.token_urlsafe(16)
    managed_api.install_auth_plugins(tmp_path / "bin")
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), os.environ["PATH"]]))
    monkeypatch.setenv(managed_api.TOKEN_ENV, token)
    root = tmp_path / "cloud"
    cloud.put(root, {"type": versions.EKS_CLUSTER, "urn": "urn::c", "id": "c", "inputs": {},
                     "outputs": {"version": "1.35"}})
    cloud.put(root, {"type": "aws:eks/nodeGroup:NodeGroup", "urn": "urn::ng", "id": "ng", "inputs": {},
                     "outputs": {"nodeGroupName": "general", "version": "1.34",
                                 "scalingConfig": {"desiredSize": 2}}})
    with contextlib.contextmanager(managed_api.serve)(root, managed_api.free_loopback_address(), token) as standin:
        yield standin


def _kubeconfig(standin: managed_api.ManagedStandIn) -> str:
    """The kubeconfig the EKS program builds (providers/eks/cluster.py), pointed at the stand-in."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "e2e",
        "clusters": [{"name": "e2e", "cluster": {"server": f"https://{standin.address}",
                                                 "certificate-authority-data": base64.b64encode(standin.ca_pem).decode()}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e"}}],
        "users": [{"name": "e2e", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                    "command": "aws", "args": ["eks", "get-token"]}}}],
    })


def test_the_gate_reads_version_and_nodes_through_the_kubeconfig(api: managed_api.ManagedStandIn) -> None:
    upgrade.wait_ready(_kubeconfig(api), "eks", "1.35", timeout_s=0)
    assert api.requests == ["/readyz", "/version", "/api/v1/nodes"]
    with pytest.raises(upgrade.ClusterNotReady, match=r"reports v1\.35\.0, not 1\.36"):
        upgrade.wait_ready(_kubeconfig(api), "eks", "1.36", timeout_s=0)
    api.not_ready.add("general-1")
    with pytest.raises(upgrade.ClusterNotReady, match=r"node general-1 is not Ready \(KubeletNotReady\)"):
        upgrade.wait_ready(_kubeconfig(api), "eks", "1.35", timeout_s=0)


def test_the_gate_polls_until_its_deadline(api: managed_api.ManagedStandIn) -> None:
    api.not_ready.add("general-0")
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds
        if clock[0] >= 10:
            api.not_ready.clear()  # the node came back

    upgrade.wait_ready(_kubeconfig(api), "eks", "1.35", timeout_s=60, poll_s=5, sleep=sleep,
                       monotonic=lambda: clock[0])
    assert slept == [5, 5]


def test_the_gate_refuses_a_kubelet_newer_than_the_api_server(api: managed_api.ManagedStandIn) -> None:
    record = cloud.find(api.root, "aws:eks/nodeGroup:NodeGroup", "ng")
    record["outputs"]["version"] = "1.36"
    cloud.put(api.root, record)
    with pytest.raises(upgrade.ClusterNotReady, match=r"kubelet v1\.36\.0, outside the version skew"):
        upgrade.wait_ready(_kubeconfig(api), "eks", "1.35", timeout_s=0)


def test_the_gate_says_what_is_wrong_with_credentials(api: managed_api.ManagedStandIn,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(managed_api.TOKEN_ENV)
    with pytest.raises(upgrade.ClusterNotReady, match=r"credential plugin `aws` failed \(exit 1\): not logged in"):
        upgrade.wait_ready(_kubeconfig(api), "eks", "1.35", timeout_s=0)
    missing = _kubeconfig(api).replace('"command": "aws"', '"command": "no-such-plugin", "installHint": "get it"')
    with pytest.raises(upgrade.ClusterNotReady, match=r"`no-such-plugin` is not installed \(get it\)"):
        upgrade.wait_ready(missing, "eks", "1.35", timeout_s=0)


# ------------------------------------------------------------------ the chain, with a recording engine


@dataclass
class RecordingEngine:
    """Plays the stack: ``up`` moves its version to the spec's (or fails once for a minor); every call recorded."""

    version: str
    kubeconfig: str
    fail_on: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, bool]] = field(default_factory=list)

    def outputs(self, target: Any) -> Mapping[str, Any]:
        self.calls.append(("outputs", target.spec.spec.kubernetes.version, False))
        from pulumi.automation import OutputValue

        return {"kubernetesVersion": OutputValue(self.version, False), "kubeconfig": OutputValue(self.kubeconfig, True)}

    def up(self, target: Any, on_event: Any, refresh: bool) -> Mapping[str, Any]:
        minor = target.spec.spec.kubernetes.version
        self.calls.append(("up", minor, refresh))
        if minor in self.fail_on:
            self.fail_on.discard(minor)
            from kubefleet.errors import EngineError

            raise EngineError("the cloud refused a resource operation: busy")
        self.version = minor
        return self.outputs(target)

    def ops(self) -> upgrade.EngineOps:
        return upgrade.EngineOps(outputs=self.outputs, up=self.up)


class Silent:
    def plan(self, current: str, hops: list[str], skipped: list[str]) -> None:
        self.last_plan = (current, hops, skipped)

    def hop_start(self, index: int, total: int, previous: str, minor: str) -> None: ...
    def engine_events(self) -> Any:
        return None

    def engine_done(self, minor: str, reported: str) -> None: ...
    def ready(self, minor: str) -> None: ...
    def soaking(self, minor: str, seconds: float) -> None: ...
    def hop_done(self, minor: str) -> None: ...


def test_a_stopped_chain_resumes_where_it_stopped(api: managed_api.ManagedStandIn, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path / "home"))
    spec = load_file(ROOT / "examples" / "sweet-spot.yaml")[0].spec
    target = stack_target(spec, "eks", resolve_backend())
    record = cloud.find(api.root, versions.EKS_CLUSTER, "c")
    engine = RecordingEngine("1.35", _kubeconfig(api), fail_on={"1.37"})

    def follow(version: str) -> None:  # the "cloud" follows the engine, so the gate sees the new version
        record["outputs"]["version"] = version
        cloud.put(api.root, record)

    def up(target: Any, on_event: Any, refresh: bool) -> Mapping[str, Any]:
        result = RecordingEngine.up(engine, target, on_event, refresh)
        follow(engine.version)
        return result

    ops = upgrade.EngineOps(outputs=engine.outputs, up=up)
    options = upgrade.ApplyOptions(target="1.37", soak_s=30, rerun="kubefleet upgrade apply x --yes")
    slept: list[float] = []
    with pytest.raises(ProblemFound, match=r"hop 2 of 2 \(1.36 → 1.37\) failed in the engine") as stopped:
        upgrade.apply_chain(target, options, Silent(), ops=ops, sleep=slept.append)
    stopped_run = upgrade.load_run(upgrade.state_path(target.backend.url, target.stack_name))
    assert stopped_run is not None and stopped_run.status == "stopped"
    jsonschema.validate(stopped_run.as_json(), json.loads((ROOT / "schemas" / "upgrade-run.schema.json").read_text()))
    assert "resumes at 1.37" in (stopped.value.hint or "")
    assert slept == [30]  # hop 1 soaked; hop 2 never got there
    assert [c for c in engine.calls if c[0] == "up"] == [("up", "1.36", True), ("up", "1.37", False)]

    engine.calls.clear()
    reporter = Silent()
    run = upgrade.apply_chain(target, options, reporter, ops=ops, sleep=slept.append)
    assert reporter.last_plan == ("1.36", ["1.37"], ["1.36"])
    assert [c for c in engine.calls if c[0] == "up"] == [("up", "1.37", True)]  # 1.36 not applied again
    assert run.status == "done" and [h.minor for h in run.hops if h.done] == ["1.36", "1.37"]
    saved = upgrade.load_run(upgrade.state_path(target.backend.url, target.stack_name))
    assert saved is not None and saved.status == "done" and saved.failure is None
    jsonschema.validate(saved.as_json(), json.loads((ROOT / "schemas" / "upgrade-run.schema.json").read_text()))


def test_a_gate_that_failed_is_checked_again_without_another_update(api: managed_api.ManagedStandIn,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path / "home"))
    spec = load_file(ROOT / "examples" / "sweet-spot.yaml")[0].spec
    target = stack_target(spec, "eks", resolve_backend())
    engine = RecordingEngine("1.34", _kubeconfig(api))  # the stand-in's cluster runs 1.35
    api.not_ready.add("general-0")
    options = upgrade.ApplyOptions(target="1.35", ready_timeout_s=0)
    with pytest.raises(ProblemFound, match=r"on 1\.35 but not ready after the update: node general-0 is not Ready"):
        upgrade.apply_chain(target, options, Silent(), ops=engine.ops())
    api.not_ready.clear()
    engine.calls.clear()
    run = upgrade.apply_chain(target, options, Silent(), ops=engine.ops())
    assert [c for c in engine.calls if c[0] == "up"] == []  # the hop is gated again, not re-applied
    assert run.status == "done"


def test_the_engine_succeeding_without_moving_the_version_stops_the_chain(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path / "home"))
    spec = load_file(ROOT / "examples" / "sweet-spot.yaml")[0].spec
    target = stack_target(spec, "aks", resolve_backend())

    class Stuck(RecordingEngine):
        def up(self, target: Any, on_event: Any, refresh: bool) -> Mapping[str, Any]:
            self.calls.append(("up", target.spec.spec.kubernetes.version, refresh))
            return self.outputs(target)  # an auto-upgrade channel ignores the program's version

    engine = Stuck("1.35", "{}")
    with pytest.raises(ProblemFound, match=r"reports Kubernetes 1\.35, not 1\.36"):
        upgrade.apply_chain(target, upgrade.ApplyOptions(target="1.36"), Silent(), ops=engine.ops())


def test_a_target_below_the_deployed_minor_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path / "home"))
    spec = load_file(ROOT / "examples" / "sweet-spot.yaml")[0].spec
    engine = RecordingEngine("1.36", "{}")
    with pytest.raises(KubefleetError, match=r"1\.36 → 1\.35 is a downgrade") as refused:
        upgrade.apply_chain(stack_target(spec, "eks", resolve_backend()), upgrade.ApplyOptions(target="1.35"),
                            Silent(), ops=engine.ops())
    assert refused.value.exit_code == 2
    assert [c for c in engine.calls if c[0] == "up"] == []


def test_usage_errors_come_before_the_engine(tmp_path: Path) -> None:
    spec = str(ROOT / "examples" / "sweet-spot.yaml")
    for args, expected in (
        (["--provider", "gke", "--to", "one.two"], "is not a Kubernetes minor"),
        (["--provider", "kubeadm", "--to", "1.36"], "drives GKE, EKS and AKS"),
        (["--provider", "aks", "--to", "1.36"], "auto-upgrade channel"),
        (["--provider", "gke", "--to", "1.36", "--soak", "2d"], "is not a duration"),
    ):
        result = CliRunner().invoke(app, ["upgrade", "apply", spec, *args])
        assert result.exit_code == 2, result.output
        assert expected in " ".join(result.output.split()), result.output

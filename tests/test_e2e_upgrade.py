"""`kubefleet upgrade apply` end to end: the REAL Pulumi CLI against the local cloud, which enforces the
clouds' documented control-plane version rules (tests/localcloud/versions.py, each cited) and serves the
cluster's API through a stand-in (tests/localcloud/managed_api.py) that the readiness gate reaches with the
stack's own kubeconfig and credential plugin.

Oracles: what the engine did to the local cloud (its log and resource records), what the API stand-in was
asked, and the clouds' own refusal texts. Engine runs are slow, so each test does several things:
GKE does --dry-run and the full two-hop chain with a failure injected in the second hop and the resume; EKS
and AKS each do a two-hop apply, EKS after the cloud refused an engine `up` that skips a minor.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator

import jsonschema  # type: ignore[import-untyped]
import pytest

from kubefleet.errors import EngineError
from tests.conftest import ROOT
from tests.localcloud import cloud, managed_api, versions
from tests.test_e2e_engine import CLI_DIR, WHY_NOT, Env, engine_env, kf, live, ok

__all__ = ["engine_env"]  # the fixture, shared with tests/test_e2e_engine.py

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)]

CLUSTER = {"gke": versions.GKE_CLUSTER, "eks": versions.EKS_CLUSTER, "aks": versions.AKS_CLUSTER}
#: (start, target, channel): two minors each provider offers on that channel as of today
CHAINS = {"gke": ("1.35", "1.37", "rapid"), "eks": ("1.34", "1.36", "extended"), "aks": ("1.35", "1.37", "none")}


@pytest.fixture
def api(engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[managed_api.ManagedStandIn]:
    """The cluster's API server stand-in, and credential plugins on PATH that log in with its token."""
    token = secrets.token_urlsafe(16)
    plugins = engine_env.root / "auth-bin"
    managed_api.install_auth_plugins(plugins)
    monkeypatch.setenv("PATH", os.pathsep.join([str(plugins), os.environ['PATH']]))
    monkeypatch.setenv(managed_api.TOKEN_ENV, token)
    with contextlib.contextmanager(managed_api.serve)(engine_env.cloud,
                                                      managed_api.free_loopback_address(), token) as standin:
        yield standin


def _spec(env: Env, version: str, channel: str) -> str:
    text = env.spec.read_text(encoding="utf-8")
    start = text.index("kubernetes: {")
    end = text.index("}", start) + 1
    env.spec.write_text(text[:start] + f'kubernetes: {{version: "{version}", channel: {channel}}}' + text[end:],
                        encoding="utf-8")
    return str(env.spec)


def _deploy(env: Env, provider: str) -> None:
    """Bring the cluster up through the engine as `kubefleet up -y` does (open_stack + run_up), without the
    CLI's offline plan and price, which the tests of `up` cover: the subject here is `upgrade apply`."""
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.errors import EngineContext, engine_errors
    from kubefleet.engine.progress import EventRouter
    from kubefleet.engine.scope import apply_scope
    from kubefleet.engine.workspace import open_stack, run_up, stack_target
    from kubefleet.spec.loader import load_file

    (loaded,) = load_file(env.spec)
    target = stack_target(loaded.spec, provider, resolve_backend())
    with engine_errors(EngineContext(action="up", stack=target.stack_name, provider=provider)):
        apply_scope(target, EventRouter())  # the project's shared stack first, as `up` (GKE only)
        run_up(open_stack(target), EventRouter())


def _running(env: Env, provider: str) -> str:
    (record,) = live(env, CLUSTER[provider])
    version = versions.running_version(record["type"], record["outputs"])
    assert version is not None
    return version


def _cluster_updates(env: Env, provider: str) -> list[dict[str, object]]:
    return [e for e in cloud.read_log(env.cloud) if e.get("type") == CLUSTER[provider] and e["op"] == "update"]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_gke_two_hops_stop_at_an_injected_failure_and_resume(engine_env: Env,
                                                              api: managed_api.ManagedStandIn) -> None:
    start, target, channel = CHAINS["gke"]
    spec = _spec(engine_env, start, channel)
    _deploy(engine_env, "gke")
    assert _running(engine_env, "gke").startswith("1.35.")

    # --dry-run: hop 1 previewed by the engine, hop 2 against hop 1's program; nothing changes
    out = _flat(ok("upgrade", "apply", spec, "-p", "gke", "--to", target, "--dry-run"))
    assert "hop 1/2: 1.35 → 1.36 · engine preview against the deployed stack" in out, out
    assert "hop 2/2: 1.36 → 1.37 · the 1.36 program against the 1.37 program" in out, out
    assert out.count("minMasterVersion") == 2, out  # each hop moves the control plane's version, one minor
    assert _cluster_updates(engine_env, "gke") == []

    # the second hop fails in the cloud (another operation holds the cluster): stop, say what to do
    versions.fail_upgrade_to(engine_env.cloud, versions.GKE_CLUSTER, "1.37", "busy")
    result = kf("upgrade", "apply", spec, "-p", "gke", "--to", target, "--soak", "200ms", "-y")
    flat = _flat(result.output)
    assert result.exit_code == 1, result.output
    assert "hop 2 of 2 (1.36 → 1.37) failed in the engine; the cluster stays on 1.36" in flat, flat
    assert "Cluster is running incompatible operation" in flat, flat
    assert "resumes at 1.37" in flat and "kubefleet upgrade apply" in flat, flat
    assert "Traceback" not in result.output
    assert _running(engine_env, "gke").startswith("1.36.")
    # hop 1 was gated through the stack's kubeconfig: the stand-in was asked for its version and nodes
    assert {"/readyz", "/version", "/api/v1/nodes"} <= set(api.requests), api.requests
    (state_file,) = (engine_env.home / "upgrades").glob("*.json")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    jsonschema.validate(state, json.loads((ROOT / "schemas" / "upgrade-run.schema.json").read_text()))
    assert state["kind"] == "UpgradeRun" and state["status"] == "stopped"
    assert state["failure"]["hop"] == "1.37" and state["failure"]["stage"] == "engine"
    assert [h["minor"] for h in state["hops"] if h["engine"] == "done" and h["ready"] == "done"] == ["1.36"]
    passphrase = (engine_env.home / "passphrase").read_text(encoding="utf-8").strip()
    for secret in (passphrase, api.token, "BEGIN CERTIFICATE", "kubeconfig"):
        assert secret not in state_file.read_text(encoding="utf-8")
    updates_before = len(_cluster_updates(engine_env, "gke"))

    # rerun: 1.36 is skipped (the stack runs it), only 1.37 is applied, and gated; --output json: the record
    resumed = kf("upgrade", "apply", spec, "-p", "gke", "--to", target, "-y", "-o", "json")
    assert resumed.exit_code == 0, resumed.output
    out = _flat(resumed.stderr)
    assert "already done (the stack runs 1.36): 1.36" in out, out
    assert "hop 1/1: 1.36 → 1.37" in out and "e2e-gke runs Kubernetes 1.37" in out, out
    assert f'set spec.kubernetes.version to "{target}"' in out, out
    assert _running(engine_env, "gke").startswith("1.37.")
    assert len(_cluster_updates(engine_env, "gke")) == updates_before + 1
    record = json.loads(resumed.stdout)
    jsonschema.validate(record, json.loads((ROOT / "schemas" / "upgrade-run.schema.json").read_text()))
    assert record == json.loads(state_file.read_text(encoding="utf-8"))
    assert record["status"] == "done" and [h["minor"] for h in record["hops"]] == ["1.36", "1.37"]
    for secret in (passphrase, api.token):
        assert secret not in resumed.output


@pytest.mark.parametrize("provider", ["eks", "aks"])
def test_two_hops_on_eks_and_aks(engine_env: Env, api: managed_api.ManagedStandIn, provider: str) -> None:
    start, target, channel = CHAINS[provider]
    spec = _spec(engine_env, start, channel)
    _deploy(engine_env, provider)
    if provider == "eks":  # an up with the spec bumped two minors: the cloud refuses the skip, as EKS words it
        _spec(engine_env, target, channel)
        with pytest.raises(EngineError) as refused:
            _deploy(engine_env, provider)
        assert (f"InvalidParameterException: Unsupported Kubernetes minor version update from {start} to {target}"
                in _flat(refused.value.message)), refused.value.message
        assert refused.value.exit_code == 2 and "the cloud refused a resource operation" in refused.value.message
        assert _running(engine_env, provider) == start
        _spec(engine_env, start, channel)

    out = _flat(ok("upgrade", "apply", spec, "-p", provider, "--to", target, "-y"))
    middle = f"1.{int(start.split('.')[1]) + 1}"
    assert f"hop 1/2: {start} → {middle}" in out and f"hop 2/2: {middle} → {target}" in out, out
    assert out.count("API server ready on") == 2, out
    assert _running(engine_env, provider) == target
    # one engine update per minor: the cloud saw the cluster go start → middle → target
    assert len(_cluster_updates(engine_env, provider)) == 2


def test_the_local_clouds_version_rules() -> None:
    """Each cloud's rule as the local cloud applies it (the e2e tests above exercise two through the engine)."""
    gke = {"masterVersion": "1.35.0-gke.100"}
    assert versions.refusal(versions.GKE_CLUSTER, gke, {"minMasterVersion": "1.36"}) is None
    assert "cannot be reached" in str(versions.refusal(versions.GKE_CLUSTER, gke, {"minMasterVersion": "1.37"}))
    # a lower minMasterVersion never reaches GKE (the provider only raises it): accepted, the master stays
    assert versions.refusal(versions.GKE_CLUSTER, gke, {"minMasterVersion": "1.34"}) is None
    outputs = {"masterVersion": "1.34.0-gke.100"}
    versions.settle(versions.GKE_CLUSTER, gke, {"minMasterVersion": "1.34"}, outputs)
    assert outputs["masterVersion"] == "1.35.0-gke.100"
    eks = {"version": "1.33"}
    assert versions.refusal(versions.EKS_CLUSTER, eks, {"version": "1.34"}) is None
    assert "update from 1.33 to 1.32" in str(versions.refusal(versions.EKS_CLUSTER, eks, {"version": "1.32"}))
    aks = {"currentKubernetesVersion": "1.33"}
    assert "Upgrading Kubernetes version 1.33 to 1.35 is not allowed" in str(
        versions.refusal(versions.AKS_CLUSTER, aks, {"kubernetesVersion": "1.35"}))
    lts = {"currentKubernetesVersion": "1.33", "supportPlan": "AKSLongTermSupport"}
    assert versions.refusal(versions.AKS_CLUSTER, lts, {"kubernetesVersion": "1.35",
                                                         "supportPlan": "AKSLongTermSupport"}) is None


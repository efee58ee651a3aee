"""End to end through the REAL Pulumi CLI, against the test-only local cloud (tests/localcloud).

The CLI is built from its Go module by scripts/build-pulumi-cli.sh (.ci/run does it and exports
KUBEFLEET_TEST_PULUMI_DIR). Without it, and without a `pulumi` on PATH, every test here is skipped with
the reason. Each test gets private HOME, KUBEFLEET_HOME, PULUMI_HOME and local-cloud directories, so
nothing touches the real home directories, and the embedded file backend with its generated 0600
passphrase is what is exercised (no PULUMI_BACKEND_URL / PULUMI_CONFIG_PASSPHRASE from outside).

The oracle is the engine: what `pulumi` records in its state file, the events it emits, and what it
asked the local cloud to do (the cloud's own log and resource files).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import random
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubefleet.cli.app import app
from tests.conftest import ROOT
from tests.localcloud import cloud
from tests.localcloud.install import find_pulumi_cli, install_plugins

CLI_DIR, WHY_NOT = find_pulumi_cli()
#: .ci/run sets this once it has built the CLI: from then on a missing CLI is a failure, not a skip
REQUIRED = os.environ.get("KUBEFLEET_REQUIRE_E2E") == "1"
if CLI_DIR is None and REQUIRED:
    raise RuntimeError(f"KUBEFLEET_REQUIRE_E2E=1 but the end-to-end tests cannot run: {WHY_NOT}")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)]

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{team: platform, owner: ops-bot, cost-center: cc-0001, env: {env}}}
spec:
  provider: gke
  kubernetes: {{version: "1.35", channel: stable}}
  region: us-east
  controlPlane: {{availability: zonal, tier: free, endpoint: public, replicas: 1}}
  nodePools:
    - name: default
      machine: {{vcpus: 2, memoryGiB: 8}}
      count: 2
      disk: {{sizeGiB: 50, type: standard}}
  providers:
    gke: {{project: local-project}}
    kubeadm:
      vsphere: {{server: vcenter.local, datacenter: dc1, cluster: c1, datastore: ds1, network: vm-net, template: ubuntu-2404}}
      controlPlaneVip: {vip}
"""


@dataclass(frozen=True)
class Drift:
    """An out-of-band edit of a node pool (someone resized it in the console), per target."""

    type: str
    path: str  # dotted path in the cloud's record
    value: Any
    program: Any  # what the program sets (2 nodes / the spec's size)
    shown: str  # the property path the preview reports
    term: str  # the drift in the spec's terms, as the preview words it
    spec_count: int | None  # the pool count a spec would need to match the cloud (for the cost oracle)


DRIFT: dict[str, Drift] = {
    "gke": Drift("gcp:container/nodePool:NodePool", "nodeCount", 5, 2, "nodeCount",
                 "nodePools[default].count (nodeCount): 5 nodes per zone in the cloud, 2 nodes per zone in the spec", 5),
    "eks": Drift("aws:eks/nodeGroup:NodeGroup", "scalingConfig", {"desiredSize": 5, "maxSize": 5, "minSize": 5},
                 {"desiredSize": 2, "maxSize": 2, "minSize": 2}, "scalingConfig",
                 "nodePools[default].count (scalingConfig.desiredSize): 5 nodes in the cloud, 2 nodes in the spec", 5),
    "aks": Drift("azure-native:containerservice:AgentPool", "count", 5, 2, "count",
                 "nodePools[default].count (count): 5 nodes in the cloud, 2 nodes in the spec", 5),
}


def loopback_vip() -> str:
    """A loopback address whose :6443 is free (127.0.0.0/8 all reaches this host on Linux), so parallel runs
    do not collide and nothing is ever sent off the machine."""
    for _ in range(50):
        vip = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.10"
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind((vip, 6443))
            return vip
    raise RuntimeError("no free loopback address for the API-server stand-in")


@dataclass
class Env:
    root: Path
    home: Path
    cloud: Path
    spec: Path
    vip: str

    def write_spec(self, name: str = "e2e", env: str = "dev") -> None:
        self.spec.write_text(SPEC.format(name=name, env=env, vip=self.vip), encoding="utf-8")

    def state_files(self) -> list[Path]:
        return sorted((self.home / "state" / ".pulumi" / "stacks").rglob("*.json"))

    def state_text(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8") for p in self.state_files())


@pytest.fixture
def engine_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    assert CLI_DIR is not None
    home = tmp_path / "home"
    kf_home = tmp_path / "kubefleet-home"
    pulumi_home = tmp_path / "pulumi-home"
    cloud_dir = tmp_path / "cloud"
    bin_dir = tmp_path / "bin"
    for d in (home, cloud_dir):
        d.mkdir()
    install_plugins(bin_dir / "plugins", pulumi_home)  # provider plugins: from PULUMI_HOME's plugin cache
    host = bin_dir / "plugins" / "pulumi-language-python"
    bin_dir.joinpath("pulumi-language-python").symlink_to(host)  # the language host: from PATH
    bin_dir.joinpath("pulumi-resource-pulumi-python").symlink_to(host.with_name("pulumi-resource-pulumi-python"))
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), CLI_DIR, os.environ.get("PATH", "")]))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBEFLEET_HOME", str(kf_home))
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    monkeypatch.setenv(cloud.STATE_ENV, str(cloud_dir))
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("PULUMI_DIY_BACKEND_NO_LEGACY_WARNING", "true")
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE",
                "PULUMI_CONFIG_PASSPHRASE_FILE", "CI", "PULUMI_IGNORE_AMBIENT_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    env = Env(root=tmp_path, home=kf_home, cloud=cloud_dir, spec=tmp_path / "cluster.yaml", vip=loopback_vip())
    env.write_spec()
    # Safety: a VIP in a spec the tests deploy is never anything but loopback.
    assert ipaddress.ip_address(env.vip).is_loopback
    yield env


def kf(*args: str, input: str | None = None) -> Any:
    """`kubefleet ...` in process (CliRunner); exceptions are failures, not exit codes."""
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return result


def ok(*args: str) -> str:
    result = kf(*args)
    assert result.exit_code == 0, f"kubefleet {' '.join(args)} exited {result.exit_code}:\n{result.output}"
    return str(result.output)


def md_escaped(text: str) -> str:
    """``text`` as kubefleet's Markdown writes free text (report.pr_markdown.md_text)."""
    from kubefleet.report.pr_markdown import md_text

    return md_text(text, limit=10_000)


def live(env: Env, type_: str | None = None) -> list[dict[str, Any]]:
    return [r for r in cloud.all_resources(env.cloud) if type_ is None or r["type"] == type_]


#: what a GKE cluster's `up` puts in the project's shared scope stack (providers/gke/scope.py), which the
#: cluster's `destroy` never touches (tests/test_e2e_scope.py destroys it with `destroy --scope`)
SCOPE_TYPES = frozenset({"gcp:projects/service:Service", "gcp:gkehub/feature:Feature"})
SCOPE_STACKS = {"gke": ["scope-gcp-local-project"]}


def cluster_live(env: Env) -> list[dict[str, Any]]:
    """The live resources, without the once-per-project ones of the scope stack."""
    return [r for r in live(env) if r["type"] not in SCOPE_TYPES]


def _value(record: dict[str, Any], path: str) -> Any:
    node: Any = record["outputs"]
    for part in path.split("."):
        node = node[part]
    return node


# ------------------------------------------------------------------ the lifecycle, per target


@pytest.mark.parametrize("target", ["gke", "eks", "aks"])
def test_lifecycle_through_the_real_engine(engine_env: Env, target: str) -> None:
    """kubeadm's lifecycle (Cluster API objects in a real kube-apiserver) is tests/test_e2e_kubeadm.py."""
    _lifecycle(engine_env, target)


def _lifecycle(env: Env, target: str) -> None:
    spec = str(env.spec)
    drift = DRIFT[target]
    transcript: list[str] = []

    # up -y: non-interactive, no question
    out = ok("up", spec, "-p", target, "-y")
    transcript.append(out)
    assert "e2e-" + target + " is up" in out
    creates = [e for e in cloud.read_log(env.cloud) if e["op"] == "create"]
    assert creates, "the engine created nothing in the local cloud"
    # the spec's pool (AKS also runs its System pool as an AgentPool, providers/aks/nodepool.py)
    pools = [cloud.find(env.cloud, drift.type, "e2e-default")]
    assert all(_value(p, drift.path) == drift.program for p in pools)

    # outputs: the kubeconfig masked
    out = ok("outputs", spec, "-p", target, "-o", "json")
    transcript.append(out)
    from tests.test_output_contract import validate

    assert validate(json.loads(out)) == "StackOutputs"  # schemas/outputs.schema.json, real output
    values = json.loads(out)["outputs"]
    assert values["kubeconfig"] == "[secret]"
    assert values["provider"] == target and values["clusterName"]
    assert values["endpoint"] and values["endpoint"] != "[secret]"

    # kubeconfig: a 0600 file, only its path printed
    kc_path = env.root / "kc.yaml"
    out = ok("kubeconfig", spec, "-p", target, "-o", str(kc_path))
    transcript.append(out)
    assert out.strip() == str(kc_path)
    assert stat.S_IMODE(kc_path.stat().st_mode) == 0o600
    kubeconfig = yaml.safe_load(kc_path.read_text(encoding="utf-8"))
    assert kubeconfig["clusters"][0]["cluster"]["server"]
    assert values["endpoint"].split("//")[-1].split(":")[0] in kubeconfig["clusters"][0]["cluster"]["server"]

    # no plaintext secret in the engine's state file or in anything printed
    secret_out = ok("outputs", spec, "-p", target, "-o", "json", "--show-secrets")
    kubeconfig_text = json.loads(secret_out)["outputs"]["kubeconfig"]
    kubeconfig_text = kubeconfig_text if isinstance(kubeconfig_text, str) else json.dumps(kubeconfig_text)
    passphrase = (env.home / "passphrase").read_text(encoding="utf-8").strip()
    assert stat.S_IMODE((env.home / "passphrase").stat().st_mode) == 0o600
    secrets = [kubeconfig_text, json.dumps(kubeconfig_text), passphrase]
    for user in kubeconfig.get("users", []):
        for key in ("client-key-data", "token", "password"):
            if user.get("user", {}).get(key):
                secrets.append(str(user["user"][key]))
    for record in live(env):  # the cloud knows the generated secrets (random tokens, seeds) in clear
        if record["type"].startswith("random:") and record["inputs"].get("byteLength", 16) >= 16:
            secrets.extend(str(record["outputs"][k]) for k in ("result", "hex", "b64Std") if record["outputs"].get(k))
    state = env.state_text()
    deployment = json.loads(env.state_files()[0].read_text(encoding="utf-8"))["checkpoint"]["latest"]
    (stack_resource,) = [r for r in deployment["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    stored = stack_resource["outputs"]["kubeconfig"]  # the engine's secret envelope, encrypted
    assert stored["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270" and stored["ciphertext"]
    for secret in secrets:
        assert secret not in state, f"a secret ({secret[:12]}…) is in the state file in plaintext"
        for text in transcript:
            assert secret not in text, f"a secret ({secret[:12]}…) was printed"

    # someone resizes a node pool in the console
    name = "e2e-default"
    cloud.edit(env.cloud, drift.type, name, {drift.path: drift.value})

    # preview --refresh --output markdown: the drift in spec terms, with the monthly cost; exit 1
    result = kf("preview", spec, "-p", target, "--refresh", "--output", "markdown")
    transcript.append(result.output)
    assert result.exit_code == 1, result.output
    assert "drift" in result.output.lower()
    flat = " ".join(result.output.split())
    assert drift.shown in flat and md_escaped(drift.term) in flat, flat
    assert "Traceback" not in result.output
    # what the drift costs while it lasts: the cloud as it runs now against the spec
    (cost_line,) = [ln for ln in result.output.splitlines() if "monthly cost of the drift" in ln]
    delta = Decimal(cost_line.split("**")[1].split("/month")[0].replace("$", "").replace(",", ""))
    assert delta > 0, cost_line  # more nodes / more vCPUs than the spec
    # only drift changes: putting it back lowers the bill by exactly that much, and the headline says so
    assert f"Monthly cost will decrease by ${delta:,}" in flat, flat
    if drift.spec_count is not None:
        # oracle: the spec edited to the cloud's count, priced from scratch (render + cost, no drift code)
        bigger = env.root / "bigger.yaml"
        bigger.write_text(env.spec.read_text(encoding="utf-8").replace("count: 2", f"count: {drift.spec_count}"),
                          encoding="utf-8")
        now = json.loads(ok("cost", str(bigger), "-p", target, "-o", "json"))["items"][0]["providers"][target]["monthly_total"]
        declared = json.loads(ok("cost", spec, "-p", target, "-o", "json"))["items"][0]["providers"][target]["monthly_total"]
        assert delta == Decimal(now) - Decimal(declared), (cost_line, now, declared)

    # up -y converges: the cloud is back to what the program says
    out = ok("up", spec, "-p", target, "-y")
    transcript.append(out)
    record = cloud.find(env.cloud, drift.type, name)
    assert _value(record, drift.path) == drift.program
    assert any(e["op"] == "update" and e["type"] == drift.type for e in cloud.read_log(env.cloud))

    # destroy (env: dev, so no --force), then nothing is left: not in the cloud, not in the backend
    out = ok("destroy", spec, "-p", target, "-y")
    transcript.append(out)
    assert cluster_live(env) == []
    listed = json.loads(ok("stacks", "-o", "json"))
    assert listed["kind"] == "StackList"
    assert [s["name"] for s in listed["items"]] == SCOPE_STACKS.get(target, [])
    for text in transcript:
        for secret in secrets:
            assert secret not in text


# ------------------------------------------------------------------ edge cases, on one target


def test_up_asks_after_showing_the_engine_change_set(engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interactive `up`: the engine's preview of the stack (creates first; later a REPLACE in red), then
    the question; answering no applies nothing."""
    import kubefleet.cli.engine_cmds as engine_cmds

    spec = str(engine_env.spec)
    monkeypatch.setattr(engine_cmds, "_interactive", lambda: True)
    result = kf("up", spec, "-p", "gke", input="n\n")
    assert result.exit_code == 0, result.output
    assert "create" in result.output and "gcp:container/nodePool:NodePool" in result.output
    assert "Apply these changes to stack e2e-gke?" in result.output and "nothing applied" in result.output
    assert live(engine_env) == []  # the preview touched nothing

    ok("up", spec, "-p", "gke", "-y")
    # a change the provider cannot make in place: spot VMs (nodeConfig.spot is ForceNew: the generated replace table)
    text = engine_env.spec.read_text(encoding="utf-8").replace("count: 2\n", "count: 2\n      spot: true\n")
    engine_env.spec.write_text(text, encoding="utf-8")
    result = kf("up", spec, "-p", "gke", input="n\n")
    assert result.exit_code == 0, result.output
    assert "REPLACE gcp:container/nodePool:NodePool" in result.output
    assert "nodeConfig" in result.output and "nothing applied" in result.output
    assert [r for r in live(engine_env, "gcp:container/nodePool:NodePool") if r["outputs"]["nodeConfig"].get("spot")] == []

    # non-interactive without --yes: refused before the engine runs
    monkeypatch.setattr(engine_cmds, "_interactive", lambda: False)
    result = kf("up", spec, "-p", "gke")
    assert result.exit_code == 2 and "--yes" in result.output


def test_a_failing_create_is_a_clear_error_and_a_retry_converges(engine_env: Env) -> None:
    spec = str(engine_env.spec)
    cloud.fail_next(engine_env.cloud, "gcp:container/nodePool:NodePool", "quota")
    result = kf("up", spec, "-p", "gke", "-y")
    assert result.exit_code == 2, result.output
    assert "Quota 'CPUS' exceeded" in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output
    assert not live(engine_env, "gcp:container/nodePool:NodePool")
    assert live(engine_env, "gcp:container/cluster:Cluster")  # what succeeded stays, as in a real cloud
    ok("up", spec, "-p", "gke", "-y")
    assert live(engine_env, "gcp:container/nodePool:NodePool")


def test_a_permission_error_is_not_reported_as_a_backend_problem(engine_env: Env) -> None:
    """AWS says AccessDeniedException when the caller lacks an IAM permission: a cloud permission
    problem of the stack, not "cannot reach the state backend"."""
    spec = str(engine_env.spec)
    cloud.fail_next(engine_env.cloud, "aws:eks/cluster:Cluster", "permission")
    result = kf("up", spec, "-p", "eks", "-y")
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())  # rich wraps long lines
    assert "not authorized to perform: eks:CreateCluster" in flat, result.output
    assert "the cloud refused a resource operation" in flat
    assert "state backend" not in flat


def test_a_second_concurrent_up_gets_the_lock_error(engine_env: Env) -> None:
    spec = str(engine_env.spec)
    cloud.slow_down(engine_env.cloud, "gcp:compute/network:Network", 25)
    first = subprocess.Popen([sys.executable, "-m", "kubefleet.cli", "up", spec, "-p", "gke", "-y"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # the cluster stack's own lock (.pulumi/locks/<org>/<project>/<stack>/<id>.json): `up` first brings the
        # project's shared scope stack up, whose lock alone would let the second `up` race past the first
        locks = engine_env.home / "state" / ".pulumi" / "locks"

        def cluster_locked() -> bool:
            return any("e2e-gke" in p.parts for p in locks.rglob("*.json"))

        deadline = time.monotonic() + 90
        while not cluster_locked() and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()[0]
            time.sleep(0.5)
        assert cluster_locked(), "the first up never took the cluster stack's lock"
        second = kf("up", spec, "-p", "gke", "-y")
        assert second.exit_code == 2, second.output
        assert "is locked: another update is in progress" in second.output
        assert "pulumi cancel" in second.output and "Traceback" not in second.output
    finally:
        output = first.communicate(timeout=240)[0]
    assert first.returncode == 0, output


def test_a_wrong_passphrase_is_a_clear_error(engine_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    passphrase_file = engine_env.home / "passphrase"
    assert stat.S_IMODE(passphrase_file.stat().st_mode) == 0o600
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not-the-passphrase")
    result = kf("outputs", spec, "-p", "gke", "--show-secrets")
    assert result.exit_code == 2, result.output
    assert "wrong or missing passphrase" in result.output
    assert "not-the-passphrase" not in result.output and "Traceback" not in result.output


def test_production_needs_force_to_destroy(engine_env: Env) -> None:
    engine_env.write_spec(env="prod")
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    state = json.loads(engine_env.state_files()[0].read_text(encoding="utf-8"))
    protected = [r for r in state["checkpoint"]["latest"]["resources"] if r.get("protect")]
    assert protected, "env: prod resources are not protected in the engine's state"
    refused = kf("destroy", spec, "-p", "gke", "-y")
    assert refused.exit_code == 2 and "refusing to destroy" in refused.output
    assert live(engine_env)
    out = ok("destroy", spec, "-p", "gke", "-y", "--force")
    assert "unprotected" in out and cluster_live(engine_env) == []


def test_policy_pack_through_the_real_engine(engine_env: Env) -> None:
    """kubefleet's CrossGuard pack, booted by the engine through the Python language runtime; a
    mandatory violation reported by the engine stops the preview."""
    # `kubefleet`: the pack kubefleet ships, prepared for the interpreter running kubefleet
    # (kubefleet/engine/policy_pack.py); the engine boots it through the Python language host
    pack = "kubefleet"
    spec = str(engine_env.spec)
    result = kf("preview", spec, "-p", "gke", "--policy-pack", pack, "-o", "json")
    assert result.exit_code == 0, result.output
    plan_out = kf("plan", spec, "-p", "gke", "-o", "json").output
    planned = json.loads(plan_out[plan_out.index("{"):])["items"][0]["resources"]
    # the engine creates every resource the offline plan lists (custom and component), nothing else
    assert json.loads(result.output[result.output.index("{"):])["clusters"][0]["counts"]["create"] == len(planned)
    # a violation only the engine sees: the pack reads the spec from stack config; give it a prod spec
    # whose control plane is public (the offline check is skipped by preview)
    engine_env.write_spec(env="prod")
    result = kf("preview", spec, "-p", "gke", "--policy-pack", pack, "-o", "json")
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "mandatory policy violation(s) stopped the preview of e2e-gke" in flat
    # the pack's own rules, reported by the engine (policies/rules.py ids)
    assert "mandatory policy prod-private-endpoint of kubefleet" in flat
    assert "mandatory policy prod-ha-control-plane of kubefleet" in flat
    assert "Traceback" not in result.output


def test_refresh_accepts_the_clouds_state(engine_env: Env) -> None:
    """`refresh` reports the drift and records it; afterwards a plain preview shows the update that
    would put the program's value back (the state now says 5 nodes)."""
    spec = str(engine_env.spec)
    ok("up", spec, "-p", "gke", "-y")
    cloud.edit(engine_env.cloud, "gcp:container/nodePool:NodePool", "e2e-default", {"nodeCount": 5})
    out = ok("refresh", spec, "-p", "gke")
    flat = " ".join(out.split())
    assert "1 resource(s) drifted" in flat and "nodeCount" in flat
    assert "nodePools[default].count (nodeCount): 5 nodes per zone in the cloud, 2 nodes per zone in the spec" in flat
    assert "monthly cost of the drift: +$" in flat
    preview = json.loads(ok("preview", spec, "-p", "gke", "-o", "json"))
    from tests.test_output_contract import validate

    assert validate(preview) == "Preview"  # schemas/preview.schema.json, real output
    (change,) = [c for c in preview["clusters"][0]["changes"] if c["op"] != "same"]
    assert change["name"] == "e2e-default" and change["inputs"] == [{"path": "nodeCount", "old": 5, "new": 2}]
    assert not change["drift"]  # no refresh in this preview: the state already holds the cloud's value


@pytest.mark.parametrize("target", ["aks", "eks"])
def test_the_offline_diff_ignores_what_the_engine_ignores(engine_env: Env, target: str) -> None:
    """An autoscaled pool's node count belongs to the autoscaler (ignore_changes in the program). Raising the
    minimum: the real engine's preview changes only the bounds, and the offline PR diff must say the same."""
    spec = str(engine_env.spec)
    autoscaled = engine_env.spec.read_text(encoding="utf-8").replace("count: 2", "autoscaling: {min: 2, max: 5}")
    engine_env.spec.write_text(autoscaled, encoding="utf-8")
    ok("up", spec, "-p", target, "-y")
    # the autoscaler has added a node since (so the new minimum does not exceed what runs: see the next test)
    grown = {"aks": {"count": 3}, "eks": {"scalingConfig.desiredSize": 3}}[target]
    cloud.edit(engine_env.cloud, DRIFT[target].type, "e2e-default", grown)
    base = engine_env.root / "base.yaml"
    base.write_text(autoscaled, encoding="utf-8")
    engine_env.spec.write_text(autoscaled.replace("min: 2", "min: 3"), encoding="utf-8")

    pool_type = DRIFT[target].type
    engine = json.loads(ok("preview", spec, "-p", target, "-o", "json"))["clusters"][0]["changes"]
    offline_out = ok("diff", "--base", str(base), spec, "--providers", target, "-o", "json")
    offline = json.loads(offline_out[offline_out.index("{"):])["clusters"][0]["changes"]

    def changed(changes: list[dict[str, Any]]) -> dict[str, list[str]]:
        return {c["name"]: sorted(i["path"] for i in c["inputs"]) for c in changes
                if c["op"] != "same" and c["type"] == pool_type}

    assert changed(engine) == changed(offline), (engine, offline)
    (paths,) = changed(engine).values()
    assert paths and not any(p in ("count", "scalingConfig.desiredSize") for p in paths), paths


def test_raising_an_autoscaled_eks_minimum_above_what_runs_converges(engine_env: Env) -> None:
    """EKS refuses a minimum above the node group's desired size, and the program leaves desiredSize to the
    autoscaler. Raising the minimum past what runs now must still work: the program reads the node group
    back and declares the new minimum as its desired size (the local cloud enforces EKS's rule)."""
    spec = str(engine_env.spec)
    autoscaled = engine_env.spec.read_text(encoding="utf-8").replace("count: 2", "autoscaling: {min: 2, max: 6}")
    engine_env.spec.write_text(autoscaled, encoding="utf-8")
    ok("up", spec, "-p", "eks", "-y")
    pool = cloud.find(engine_env.cloud, "aws:eks/nodeGroup:NodeGroup", "e2e-default")
    assert pool["outputs"]["scalingConfig"] == {"desiredSize": 2, "maxSize": 6, "minSize": 2}

    # the autoscaler added a node; then the team raises the minimum to 4
    cloud.edit(engine_env.cloud, "aws:eks/nodeGroup:NodeGroup", "e2e-default", {"scalingConfig.desiredSize": 3})
    engine_env.spec.write_text(autoscaled.replace("min: 2", "min: 4"), encoding="utf-8")
    ok("up", spec, "-p", "eks", "-y")
    pool = cloud.find(engine_env.cloud, "aws:eks/nodeGroup:NodeGroup", "e2e-default")
    assert pool["outputs"]["scalingConfig"] == {"desiredSize": 4, "maxSize": 6, "minSize": 4}

    # within the bounds the autoscaler's value stands: a later up with the same spec leaves desiredSize alone
    cloud.edit(engine_env.cloud, "aws:eks/nodeGroup:NodeGroup", "e2e-default", {"scalingConfig.desiredSize": 5})
    ok("up", spec, "-p", "eks", "-y")
    pool = cloud.find(engine_env.cloud, "aws:eks/nodeGroup:NodeGroup", "e2e-default")
    assert pool["outputs"]["scalingConfig"]["desiredSize"] == 5

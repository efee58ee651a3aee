"""The management-cluster check against a REAL kube-apiserver (tests/capi_apiserver.py, Cluster API's and CAPV's
pinned CRDs installed): beyond the CRDs, a cluster with more than one master reads CAPV's manager Deployment
and warns when CAPV's NodeAntiAffinity gate is off (kubefleet/engine/management.py).

The Deployment is CAPV v1.16.1's own manager manifest (tests/data/capi/capv-v1.16.1-src/config/manager/
manager.yaml, pinned at 5b57d1db) with the variables substituted the way clusterctl does
(``${VAR:=default}``: the variable's value, else the default) and the name/namespace its kustomization gives
it (config/default/kustomization.yaml: namespace capv-system, namePrefix capv-). So the argument format the
check parses is upstream's, not ours, and the ``kubectl patch`` it prints is applied to the real apiserver.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubefleet.engine import management
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec
from tests.capi_apiserver import ApiServer
from tests.conftest import ROOT
from tests.test_e2e_engine import CLI_DIR, WHY_NOT, Env, engine_env, kf  # noqa: F401  (engine_env: fixture)

CAPV_SRC = ROOT / "tests" / "data" / "capi" / "capv-v1.16.1-src"
DEPLOYMENTS = "/apis/apps/v1/namespaces/capv-system/deployments"

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: antiaff
  labels: {team: platform, owner: ops-bot, cost-center: cc-0001, env: prod}
spec:
  provider: kubeadm
  kubernetes: {version: "1.35"}
  region: us-east
  controlPlane: {availability: AVAILABILITY, replicas: REPLICAS}
  nodePools:
    - name: default
      machine: {vcpus: 2, memoryGiB: 8}
      count: 3
  providers:
    kubeadm:
      vsphere: {server: vcenter.example.com, datacenter: dc1, cluster: c1, datastore: ds1, network: vm-net}
      controlPlaneVip: 10.20.0.10
"""


def _spec(replicas: int) -> ClusterSpec:
    text = SPEC.replace("REPLICAS", str(replicas)).replace("AVAILABILITY", "regional" if replicas > 1 else "zonal")
    return load_text(text, "antiaff.yaml")[0].spec


def capv_manager(env: Mapping[str, str]) -> dict[str, Any]:
    """CAPV's manager Deployment as clusterctl installs it, with ``env`` as clusterctl's variables."""
    text = (CAPV_SRC / "config/manager/manager.yaml").read_text()
    text = re.sub(r"\$\{(\w+):=([^}]*)\}", lambda m: env.get(m[1], m[2]), text)
    assert "${" not in text
    kustomization = yaml.safe_load((CAPV_SRC / "config/default/kustomization.yaml").read_text())
    doc: dict[str, Any] = yaml.safe_load(text)
    doc["metadata"]["name"] = kustomization["namePrefix"] + doc["metadata"]["name"]
    doc["metadata"]["namespace"] = kustomization["namespace"]
    return doc


def _kubeconfig(api: ApiServer) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "mgmt",
        "clusters": [{"name": "mgmt", "cluster": {
            "server": api.url, "certificate-authority-data": base64.b64encode(api.ca_file.read_bytes()).decode()}}],
        "users": [{"name": "mgmt", "user": {"token": api.token}}],
        "contexts": [{"name": "mgmt", "context": {"cluster": "mgmt", "user": "mgmt"}}],
    })


@pytest.fixture
def mgmt(apiserver: ApiServer) -> Iterator[ApiServer]:
    """The session's apiserver without a CAPV manager Deployment before and after the test."""
    path = f"{DEPLOYMENTS}/{management.CAPV_MANAGER}"
    apiserver.request("DELETE", path)
    yield apiserver
    apiserver.request("DELETE", path)


def _install(api: ApiServer, env: Mapping[str, str]) -> dict[str, Any]:
    made = api.request("POST", f"{DEPLOYMENTS}?fieldValidation=Strict", capv_manager(env))
    assert made.ok, made.message
    return made.body


def test_the_names_are_the_ones_clusterctl_gives_capvs_manager() -> None:
    doc = capv_manager({})
    assert (doc["metadata"]["namespace"], doc["metadata"]["name"]) == (management.CAPV_NAMESPACE, management.CAPV_MANAGER)
    assert [c["name"] for c in doc["spec"]["template"]["spec"]["containers"]] == [management.CAPV_CONTAINER]


def test_gate_off_warns_for_three_masters_and_the_printed_patch_turns_it_on(mgmt: ApiServer) -> None:
    _install(mgmt, {})  # clusterctl's defaults: NodeAntiAffinity=false
    kubeconfig = _kubeconfig(mgmt)
    (warning,) = management.check_installed(_spec(3), kubeconfig)
    assert "3 masters of 'antiaff' may share an ESXi host" in warning and "NodeAntiAffinity" in warning
    assert "capv-system/capv-controller-manager" in warning
    # the single-master dev cluster on the same management cluster is not bothered
    assert management.check_installed(_spec(1), kubeconfig) == []
    # the fix printed is exact: its JSON patch, sent to the real apiserver, turns the gate on ...
    command = warning.split("To turn it on", 1)[1].split(": ", 1)[1]
    assert command.startswith("kubectl -n capv-system patch deployment capv-controller-manager --type=json -p ")
    import shlex

    patch = shlex.split(command)[-1]
    got = mgmt.request("PATCH", f"{DEPLOYMENTS}/{management.CAPV_MANAGER}", yaml.safe_load(patch),
                       content_type="application/json-patch+json")
    assert got.ok, got.message
    args = got.body["spec"]["template"]["spec"]["containers"][0]["args"]
    gates = next(a for a in args if a.startswith("--feature-gates="))
    # ... and keeps every other gate as CAPV's manifest sets it
    assert gates == ("--feature-gates=MultiNetworks=false,NamespaceScopedZones=false,NodeAutoPlacement=false,"
                     "PriorityQueue=true,ReconcilerRateLimiting=true,NodeAntiAffinity=true")
    assert management.check_installed(_spec(3), kubeconfig) == []


def test_installed_with_exp_node_anti_affinity_true_there_is_nothing_to_say(mgmt: ApiServer) -> None:
    _install(mgmt, {"EXP_NODE_ANTI_AFFINITY": "true"})
    assert management.check_installed(_spec(5), _kubeconfig(mgmt)) == []


def test_no_capv_manager_where_clusterctl_puts_it_says_it_could_not_check(mgmt: ApiServer) -> None:
    (warning,) = management.check_installed(_spec(3), _kubeconfig(mgmt))
    assert warning.startswith("could not check") and "no Deployment capv-system/capv-controller-manager" in warning
    assert management.check_installed(_spec(1), _kubeconfig(mgmt)) == []


@pytest.mark.parametrize(("args", "expected"), [
    # Go's flag package: one or two dashes, value after = or as the next argument; component-base merges
    # repeated --feature-gates; strconv.ParseBool's spellings
    (["--feature-gates=NodeAntiAffinity=true"], {"NodeAntiAffinity": True}),
    (["-feature-gates", "NodeAntiAffinity=T,PriorityQueue=0"], {"NodeAntiAffinity": True, "PriorityQueue": False}),
    (["--feature-gates=NodeAntiAffinity=true", "--feature-gates=NodeAntiAffinity=false"], {"NodeAntiAffinity": False}),
    (["--v=4", "--leader-elect"], {}),
    (["--feature-gates=NodeAntiAffinity=yes"], {}),  # ParseBool refuses "yes": the manager would not start
])
def test_feature_gate_arguments(args: list[str], expected: dict[str, bool]) -> None:
    assert management.feature_gates(args) == expected


def test_a_manager_without_any_feature_gates_flag_gets_one_added() -> None:
    deployment = capv_manager({})
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["args"] = [a for a in container["args"] if not a.startswith("--feature-gates")]
    fix = management.anti_affinity_fix(deployment)
    assert '"op": "add"' in fix and "/spec/template/spec/containers/0/args/-" in fix
    assert "--feature-gates=NodeAntiAffinity=true" in fix


@pytest.mark.slow
@pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)
def test_kubefleet_up_prints_the_warning_with_the_fix(
    engine_env: Env, mgmt: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """Through the CLI (CliRunner, Pulumi CLI installed): `kubefleet up` for three masters on a management
    cluster whose CAPV manager runs with clusterctl's defaults prints the warning and the kubectl patch on
    stderr, and is not refused for it (here it then stops, exit 2, only because a non-interactive `up` without
    --yes never applies - before any engine work)."""
    _install(mgmt, {})
    kc = tmp_path / "mgmt.kubeconfig"
    kc.write_text(_kubeconfig(mgmt), encoding="utf-8")
    monkeypatch.setenv("KUBEFLEET_MANAGEMENT_KUBECONFIG", str(kc))
    monkeypatch.setenv("VSPHERE_USER", "svc-capv@vsphere.local")
    monkeypatch.setenv("VSPHERE_PASSWORD", "Vc-pa55-antiaff")
    spec = engine_env.spec
    spec.write_text(SPEC.replace("REPLICAS", "3").replace("AVAILABILITY", "regional"), encoding="utf-8")
    result = kf("up", str(spec), "-p", "kubeadm")
    flat = " ".join(result.output.split())
    assert result.exit_code == 2 and "without --yes" in flat, flat
    assert "warning: the 3 masters of 'antiaff' may share an ESXi host" in flat, flat
    assert "kubectl -n capv-system patch deployment capv-controller-manager --type=json" in flat
    assert "Vc-pa55-antiaff" not in flat and mgmt.token not in flat

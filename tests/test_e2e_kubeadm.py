"""kubeadm end to end: the real Pulumi CLI (Automation API) creates the Cluster API objects in a REAL
management cluster - kube-apiserver v1.35.4 + etcd built from their Go modules, Cluster API v1.13.6's,
CAPV v1.16.1's and in-cluster IPAM's pinned CRDs installed, and Cluster API's three managers (built from the
v1.13.6 module) running with their admission webhooks registered (tests/capi_apiserver.py). Lifecycle:
up -> kubeconfig -> one minor up (through ``topology.version``, under Cluster API's Cluster webhook) ->
a pool scaled -> destroy refused while a Machine is deleting -> destroy -> the presence check refusing
a management cluster without CAPV.

The ``kubernetes`` provider plugin is the local cloud's stand-in (tests/localcloud/kube_forward.py): it
makes pulumi-kubernetes' calls (server-side apply, waitFor, delete-and-wait) against that apiserver.

**Where this harness plays a controller's part, and why** (no vCenter, so CAPV cannot run, and nothing can
boot a machine):

- once Cluster API's topology controller (running for real) has created the KubeadmControlPlane, the
  harness pauses the Cluster (Cluster API's own stop switch, so no controller rewrites what follows), sets
  the KCP's ``status.version`` (what a provisioned control plane reports, read by the Cluster webhook's
  upgrade rules) and the Cluster's ``ControlPlaneInitialized`` condition, and writes the
  ``<cluster>-kubeconfig`` Secret - KCP's job once the first control-plane machine is up;
- it creates one Machine of the cluster holding a finalizer and deletes it (a machine Cluster API is still
  deleting), then lets it go;
- when kubefleet deletes an object that carries finalizers of controllers that are paused or absent (the
  Cluster, the ClusterResourceSet) or the namespace (kube-controller-manager, which empties namespaces,
  does not run), the harness removes the finalizers, as those controllers would once done.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubefleet.providers.kubeadm import capi
from tests.capi_apiserver import ApiServer, reinstall_crd
from tests.localcloud.kube_forward import FORWARD_ENV
from tests.test_e2e_engine import CLI_DIR, WHY_NOT, Env, engine_env, kf, ok  # noqa: F401  (engine_env: fixture)

REQUIRED = os.environ.get("KUBEFLEET_REQUIRE_E2E") == "1" or os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CLI_DIR is None, reason=WHY_NOT)]

NAME = "e2e"
NS = f"kubefleet-{NAME}"
SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: e2e
  labels: {team: platform, owner: ops-bot, cost-center: cc-0001, env: dev}
spec:
  provider: kubeadm
  kubernetes: {version: "VERSION"}
  region: us-east
  controlPlane: {availability: zonal, replicas: 1}
  nodePools:
    - name: default
      machine: {vcpus: 2, memoryGiB: 8}
      count: COUNT
      disk: {sizeGiB: 50, type: standard}
  providers:
    kubeadm:
      vsphere: {server: vcenter.example.com, datacenter: dc1, cluster: c1, datastore: ds1, network: vm-net}
      controlPlaneVip: 10.20.0.10
"""
PASSWORD = "Vc-pa55-e2e-0b7f1d"
CLUSTERS = f"/apis/cluster.x-k8s.io/v1beta2/namespaces/{NS}/clusters"
KCPS = f"/apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/{NS}/kubeadmcontrolplanes"
MACHINES = f"/apis/cluster.x-k8s.io/v1beta2/namespaces/{NS}/machines"
HOLD = "kubefleet.test/hold"
REMOVED_CRD = "vspheremachinetemplates.infrastructure.cluster.x-k8s.io"


@pytest.fixture
def management(apiserver: ApiServer) -> Iterator[ApiServer]:
    """The session's Cluster API oracle (tests/conftest.py ``apiserver``), with Cluster API's managers; the
    CRD the presence check removes is put back afterwards for the tests that share it."""
    if not apiserver.webhooks:
        reason = "Cluster API managers not built (scripts/build-capi-managers.sh): no webhooks to judge day 2"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    yield apiserver
    reinstall_crd(apiserver, REMOVED_CRD)


def _kubeconfig(api: ApiServer, ca_file: Path) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "mgmt",
        "clusters": [{"name": "mgmt", "cluster": {
            "server": api.url, "certificate-authority-data": base64.b64encode(ca_file.read_bytes()).decode()}}],
        "users": [{"name": "mgmt", "user": {"token": api.token}}],
        "contexts": [{"name": "mgmt", "context": {"cluster": "mgmt", "user": "mgmt"}}],
    })


class Controllers:
    """The parts of KCP/CAPV/kube-controller-manager this harness plays (see the module docstring)."""

    def __init__(self, api: ApiServer) -> None:
        self.api = ApiServer(api.url, api.token, api.ca_file)  # its own connection: it runs in its own thread
        self.stop = threading.Event()
        self.kubeconfig = ""
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Controllers:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stop.wait(0.3):
            try:
                self._tick()
            except Exception as err:
                self.errors.append(repr(err))

    def _tick(self) -> None:
        api = self.api
        got = api.request("GET", f"{CLUSTERS}/{NAME}")
        cluster = got.body if got.ok else None
        if cluster is not None and not cluster["metadata"].get("deletionTimestamp"):
            kcps = api.request("GET", KCPS).body.get("items") or []
            if kcps:
                self._settle(cluster, kcps[0])
        self._release_finalizers()

    def _settle(self, cluster: dict[str, Any], kcp: dict[str, Any]) -> None:
        api = self.api
        if not cluster["spec"].get("paused"):
            assert api.merge_patch(f"{CLUSTERS}/{NAME}", {"spec": {"paused": True}}).ok
        version = cluster["spec"]["topology"]["version"]
        if (kcp.get("status") or {}).get("version") != version:
            path = f"{KCPS}/{kcp['metadata']['name']}/status"
            assert api.merge_patch(path, {"status": {"version": version}}).ok
        conds = {c["type"]: c["status"] for c in (cluster.get("status") or {}).get("conditions") or []}
        if conds.get("ControlPlaneInitialized") != "True":
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            others = [c for c in (cluster.get("status") or {}).get("conditions") or []
                      if c["type"] != "ControlPlaneInitialized"]
            status = {"conditions": [*others, {"type": "ControlPlaneInitialized", "status": "True",
                                               "reason": "Initialized", "message": "", "lastTransitionTime": now}]}
            made = api.merge_patch(f"{CLUSTERS}/{NAME}/status", {"status": status})
            assert made.ok, made.message
        secret = f"/api/v1/namespaces/{NS}/secrets/{NAME}-kubeconfig"
        if api.request("GET", secret).status == 404:
            self.kubeconfig = _workload_kubeconfig()
            made = api.request("POST", f"/api/v1/namespaces/{NS}/secrets", {
                "apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                "metadata": {"name": f"{NAME}-kubeconfig", "labels": {capi.CLUSTER_NAME_LABEL: NAME}},
                "data": {"value": base64.b64encode(self.kubeconfig.encode()).decode()}})
            assert made.ok, made.message

    def _release_finalizers(self) -> None:
        api = self.api
        for path in (CLUSTERS, f"/apis/addons.cluster.x-k8s.io/v1beta2/namespaces/{NS}/clusterresourcesets",
                     f"/apis/cluster.x-k8s.io/v1beta2/namespaces/{NS}/clusterclasses"):
            for item in api.request("GET", path).body.get("items") or []:
                meta = item["metadata"]
                if meta.get("deletionTimestamp") and meta.get("finalizers"):
                    api.merge_patch(f"{path}/{meta['name']}", {"metadata": {"finalizers": None}})
        ns = api.request("GET", f"/api/v1/namespaces/{NS}")
        if ns.ok and ns.body["metadata"].get("deletionTimestamp"):
            body = {**ns.body, "spec": {"finalizers": []}}
            api.request("PUT", f"/api/v1/namespaces/{NS}/finalize", body)


def _workload_kubeconfig() -> str:
    """What KCP writes: the VIP endpoint, the cluster CA, an admin client certificate (values random here)."""
    def blob(n: int) -> str:
        return base64.b64encode(os.urandom(n)).decode()

    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": f"{NAME}-admin@{NAME}",
        "clusters": [{"name": NAME, "cluster": {"server": "https://10.20.0.10:6443", "certificate-authority-data": blob(64)}}],
        "users": [{"name": f"{NAME}-admin", "user": {"client-certificate-data": blob(64), "client-key-data": blob(48)}}],
        "contexts": [{"name": f"{NAME}-admin@{NAME}", "context": {"cluster": NAME, "user": f"{NAME}-admin"}}],
    })


def _write(env: Env, version: str, count: int) -> None:
    env.spec.write_text(SPEC.replace("VERSION", version).replace("COUNT", str(count)), encoding="utf-8")


def _cluster(api: ApiServer) -> dict[str, Any]:
    got = api.request("GET", f"{CLUSTERS}/{NAME}")
    assert got.ok, got.message
    return got.body


def test_kubeadm_lifecycle_through_cluster_api(
    engine_env: Env, management: ApiServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    api = management
    ca_file = api.ca_file  # the apiserver's self-signed serving certificate and its CA
    kubeconfig_file = engine_env.root / "mgmt.kubeconfig"
    kubeconfig_file.write_text(_kubeconfig(api, ca_file), encoding="utf-8")
    monkeypatch.setenv("KUBEFLEET_MANAGEMENT_KUBECONFIG", str(kubeconfig_file))
    monkeypatch.setenv("VSPHERE_USER", "svc-capv@vsphere.local")
    monkeypatch.setenv("VSPHERE_PASSWORD", PASSWORD)
    monkeypatch.setenv(FORWARD_ENV, api.url)
    spec = str(engine_env.spec)
    transcript: list[str] = []

    with Controllers(api) as controllers:
        # ---- up: the Cluster API objects land in the management cluster; the topology controller takes over
        _write(engine_env, "1.34", 2)
        transcript.append(ok("up", spec, "-p", "kubeadm", "-y"))
        cluster = _cluster(api)
        assert cluster["spec"]["topology"]["version"] == "v1.34.4"
        assert cluster["metadata"]["labels"]["kubefleet.dev/managed-by"] == "kubefleet"
        kcp = api.request("GET", KCPS).body["items"][0]  # made by Cluster API's topology controller
        assert kcp["spec"]["version"] == "v1.34.4"
        identity = api.request("GET", f"/api/v1/namespaces/{capi.CAPV_NAMESPACE}/secrets/{NS}").body
        assert base64.b64decode(identity["data"]["password"]).decode() == PASSWORD

        # ---- outputs and kubeconfig: the Secret KCP writes, read back as a secret output
        values = json.loads(ok("outputs", spec, "-p", "kubeadm", "-o", "json"))["outputs"]  # StackOutputs
        assert values["kubeconfig"] == "[secret]" and values["endpoint"] == "https://10.20.0.10:6443"
        kc_path = engine_env.root / "kc.yaml"
        assert ok("kubeconfig", spec, "-p", "kubeadm", "-o", str(kc_path)).strip() == str(kc_path)
        assert stat.S_IMODE(kc_path.stat().st_mode) == 0o600
        assert kc_path.read_text(encoding="utf-8") == controllers.kubeconfig

        # ---- one minor up: topology.version, accepted by Cluster API's Cluster webhook
        _write(engine_env, "1.35", 2)
        transcript.append(ok("up", spec, "-p", "kubeadm", "-y"))
        assert _cluster(api)["spec"]["topology"]["version"] == "v1.35.4"

        # ---- scale a pool: replicas on the MachineDeployment topology
        _write(engine_env, "1.35", 3)
        transcript.append(ok("up", spec, "-p", "kubeadm", "-y"))
        (md,) = _cluster(api)["spec"]["topology"]["workers"]["machineDeployments"]
        assert md["replicas"] == 3

        # ---- destroy refuses while Cluster API is still deleting a machine of the cluster
        machine = {"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
                   "metadata": {"name": f"{NAME}-default-x1", "namespace": NS, "finalizers": [HOLD],
                                "labels": {capi.CLUSTER_NAME_LABEL: NAME}},
                   "spec": {"clusterName": NAME, "bootstrap": {"dataSecretName": "none"},
                            "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io",
                                                  "kind": "VSphereMachine", "name": f"{NAME}-default-x1"}}}
        made = api.create(machine)
        assert made.ok, made.message
        assert api.request("DELETE", f"{MACHINES}/{NAME}-default-x1").ok
        refused = kf("destroy", spec, "-p", "kubeadm", "-y")
        transcript.append(refused.output)
        flat = " ".join(refused.output.split())
        assert refused.exit_code == 1, refused.output
        assert f"Cluster API is still deleting 1 machine(s) ({NAME}-default-x1)" in flat, flat
        assert _cluster(api)  # nothing was deleted
        api.merge_patch(f"{MACHINES}/{NAME}-default-x1", {"metadata": {"finalizers": None}})

        # ---- destroy: every object kubefleet made is gone from the management cluster
        transcript.append(ok("destroy", spec, "-p", "kubeadm", "-y"))
        assert api.request("GET", f"{CLUSTERS}/{NAME}").status == 404
        assert api.request("GET", f"/api/v1/namespaces/{capi.CAPV_NAMESPACE}/secrets/{NS}").status == 404
        assert not controllers.errors, controllers.errors

    # ---- no secret in anything printed or in the state in plaintext
    state = engine_env.state_text()
    key = yaml.safe_load(controllers.kubeconfig)["users"][0]["user"]["client-key-data"]
    for secret in (PASSWORD, api.token, key):
        assert secret not in state
        for text in transcript:
            assert secret not in text

    # ---- the presence check: a management cluster without CAPV's kinds is refused before the engine runs
    crd = REMOVED_CRD
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}"
    assert api.request("DELETE", path).ok
    result = kf("preview", spec, "-p", "kubeadm")  # while the apiserver deletes it (and every instance)
    flat = " ".join(result.output.split())
    assert result.exit_code == 2 and (f"{crd} is being deleted" in flat or f"{crd} is not installed" in flat), flat
    deadline = time.monotonic() + 60
    while api.request("GET", path).status != 404:
        assert time.monotonic() < deadline, f"{crd} still there"
        time.sleep(0.5)
    result = kf("preview", spec, "-p", "kubeadm")
    flat = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"{crd} is not installed" in flat and "CLUSTER_TOPOLOGY=true EXP_NODE_ANTI_AFFINITY=true clusterctl init" in flat, flat
    assert "--infrastructure vsphere:v1.16.1" in flat and api.token not in flat


def test_the_management_cluster_can_be_another_kubefleet_stack(
    engine_env: Env, management: ApiServer, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """``spec.providers.kubeadm.managementCluster: mgmt-eks``: the presence check and the program (a
    StackReference) read the management kubeconfig from that stack's secret ``kubeconfig`` output, in the
    same backend; no KUBEFLEET_MANAGEMENT_KUBECONFIG is set. (The stack here is a one-output stand-in for a
    kubefleet cluster stack, written through the same Automation API workspace.)"""
    import pulumi
    from pulumi import automation as auto

    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.workspace import PROJECT, workspace_options

    api = management
    text = _kubeconfig(api, api.ca_file)

    def program() -> None:
        pulumi.export("kubeconfig", pulumi.Output.secret(text))

    mgmt = auto.create_or_select_stack(stack_name="mgmt-eks", project_name=PROJECT, program=program,
                                       opts=workspace_options(resolve_backend()))
    mgmt.up()
    monkeypatch.delenv("KUBEFLEET_MANAGEMENT_KUBECONFIG", raising=False)
    monkeypatch.setenv("VSPHERE_USER", "svc-capv@vsphere.local")
    monkeypatch.setenv("VSPHERE_PASSWORD", PASSWORD)
    monkeypatch.setenv(FORWARD_ENV, api.url)
    spec = str(engine_env.spec)
    engine_env.spec.write_text(SPEC.replace("VERSION", "1.35").replace("COUNT", "1").replace(
        "      controlPlaneVip:", "      managementCluster: mgmt-eks\n      controlPlaneVip:"), encoding="utf-8")
    with Controllers(api):
        out = ok("up", spec, "-p", "kubeadm", "-y")
        assert _cluster(api)["spec"]["topology"]["version"] == "v1.35.4"
        ok("destroy", spec, "-p", "kubeadm", "-y")
    assert api.request("GET", f"{CLUSTERS}/{NAME}").status == 404
    assert api.token not in out
    mgmt.destroy()

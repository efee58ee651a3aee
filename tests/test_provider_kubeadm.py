"""The kubeadm-on-vSphere adapter (Cluster API objects through pulumi-kubernetes), rendered for real under
the Pulumi SDK's mock monitor.

The objects themselves are checked by a real kube-apiserver with Cluster API's and CAPV's CRDs and Cluster
API's webhooks (tests/test_capi_render.py) and through the real Pulumi CLI (tests/test_e2e_kubeadm.py);
here: the program declares exactly those objects, on the management cluster's provider, with secrets kept
secret and ownership labels everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubefleet.errors import RenderError, SpecError
from kubefleet.graph import SECRET, RenderedResource, ResourceGraph
from kubefleet.providers.base import spec_field_paths
from kubefleet.providers.kubeadm import capi
from kubefleet.providers.kubeadm.adapter import CONTROL_PLANE_INITIALIZED, WAIT_FOR, KubeadmAdapter
from kubefleet.render.offline import render
from kubefleet.spec.loader import LoadedSpec
from kubefleet.spec.model import ClusterSpec
from tests.conftest import example_specs, resolved, shape_resolver

COMPONENT = "kubefleet:kubeadm:Cluster"
RELEASE = "kubernetes:helm.sh/v3:Release"
PROVIDER = "pulumi:providers:kubernetes"
CRDS = Path(__file__).parent / "data" / "capi" / "crds"

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: onprem
  labels: {team: infra, owner: kim, cost-center: cc-42, env: staging}
spec:
  kubernetes: {version: "1.33.4"}
  region: europe-west
  controlPlane: {availability: regional, replicas: 3, endpoint: private}
  network: {nodeCidr: 172.20.0.0/16, podCidr: 10.128.0.0/14, serviceCidr: 10.96.0.0/16}
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      autoscaling: {min: 2, max: 5}
      disk: {sizeGiB: 80, type: ssd}
    - name: edge
      machine: {vcpus: 2, memoryGiB: 8}
      count: 1
      labels: {role: edge}
      taints: [{key: dedicated, value: edge, effect: NoSchedule}]
  providers:
    kubeadm:
      vsphere: {server: vc.example.com, datacenter: dc9, cluster: c9, datastore: ds9, network: pg-k8s, folder: k8s/onprem}
      controlPlaneVip: 172.20.0.5
"""
STATIC = SPEC.replace(
    "      controlPlaneVip: 172.20.0.5\n",
    "      controlPlaneVip: 172.20.0.5\n      controlPlaneAddresses: [172.20.0.11, 172.20.0.12, 172.20.0.13]\n"
    "      gateway: 172.20.0.1\n",
)


def _render(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "kubeadm", resolver=shape_resolver("kubeadm"))


@pytest.fixture
def onprem(load_spec: Callable[[str], ClusterSpec]) -> ClusterSpec:
    return load_spec(SPEC)


def _objects(graph: ResourceGraph) -> list[RenderedResource]:
    return [r for r in graph.resources if r.type.startswith("kubernetes:") and r.type != RELEASE]


def _kind_name(r: RenderedResource) -> tuple[str, str]:
    return r.type.rsplit(":", 1)[-1], str(r.get("metadata.name"))


# ---- the program declares exactly capi.render's objects (which the apiserver oracle accepts) ----


@pytest.mark.parametrize("loaded", example_specs(), ids=lambda s: s.spec.name)
def test_every_example_declares_the_oracle_checked_objects(loaded: LoadedSpec) -> None:
    spec = loaded.spec
    graph = _render(spec)
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server=spec.spec.providers.kubeadm.vsphere.server
                             if spec.spec.providers.kubeadm and spec.spec.providers.kubeadm.vsphere.server
                             else "vcenter.invalid")
    expected = capi.render(inputs) + capi.credential_secrets(inputs, "u", "p")
    assert sorted(_kind_name(r) for r in _objects(graph)) == sorted((o["kind"], o["metadata"]["name"]) for o in expected)
    # the program's spec of every Cluster API object is the one the oracle checks (the Cluster: plus an annotation)
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in expected}
    for r in _objects(graph):
        want = by_key[_kind_name(r)]
        if "spec" in want:
            assert r.get("spec") == want["spec"], _kind_name(r)
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.one(COMPONENT).name == spec.name
    # the in-guest lifecycle is gone: no VMs, no dynamic providers, no vSphere SDK, no random tokens
    assert not [r for r in graph.resources if r.type.split(":")[0] in ("vsphere", "random", "pulumi-python")]


def test_every_object_goes_to_the_management_cluster_and_carries_the_ownership_labels(onprem: ClusterSpec) -> None:
    graph = _render(onprem)
    (provider,) = graph.of_type(PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET  # the management kubeconfig, a secret
    labels = {"kubefleet.dev/cluster": "onprem", "kubefleet.dev/managed-by": "kubefleet", "team": "infra",
              "owner": "kim", "cost-center": "cc-42", "env": "staging"}
    for r in _objects(graph):
        got = r.get("metadata.labels") or {}
        assert labels.items() <= got.items(), (r.name, got)
        if r.get("metadata.namespace") or r.type.endswith(":Cluster"):
            assert got.get(capi.CLUSTER_NAME_LABEL) == "onprem" or r.get("metadata.namespace") == capi.CAPV_NAMESPACE


def test_the_cluster_waits_for_its_control_plane_and_the_kubeconfig_is_read_back_secret(onprem: ClusterSpec) -> None:
    graph = _render(onprem)
    (cluster,) = graph.of_type("kubernetes:cluster.x-k8s.io/v1beta2:Cluster")
    assert cluster.get("metadata.annotations")[WAIT_FOR] == CONTROL_PLANE_INITIALIZED
    assert cluster.get("spec.topology.version") == "v1.33.4"
    assert cluster.get("spec.topology.controlPlane.replicas") == 3
    workers = {w["name"]: w for w in cluster.get("spec.topology.workers.machineDeployments")}
    assert workers["edge"]["replicas"] == 1 and "replicas" not in workers["general"]
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.outputs["endpoint"] == "https://172.20.0.5:6443"


def test_vcenter_credentials_are_secret_end_to_end(onprem: ClusterSpec) -> None:
    graph = _render(onprem)
    secrets = graph.of_type("kubernetes:core/v1:Secret")
    assert {s.get("metadata.namespace") for s in secrets} == {capi.CAPV_NAMESPACE, capi.namespace(onprem)}
    for s in secrets:
        assert s.inputs["stringData"] == SECRET, s.name
    identity = graph.one("kubernetes:infrastructure.cluster.x-k8s.io/v1beta2:VSphereClusterIdentity")
    assert identity.get("spec.secretName") == capi.identity_name(onprem)


def test_the_program_reads_the_configured_credentials_into_the_secrets(
    onprem: ClusterSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With stack config set, the Secrets carry those values (read through the recorded plain inputs);
    the password never shows in the rendered graph."""
    adapter = KubeadmAdapter()
    seen: dict[str, dict[str, Any]] = {}
    original = adapter.mock_outputs

    def record(type_: str, name: str, inputs: Any) -> dict[str, Any]:
        seen[name] = dict(inputs)
        return original(type_, name, inputs)

    monkeypatch.setattr(KubeadmAdapter, "mock_outputs", lambda self, t, n, i: record(t, n, i))
    import pulumi

    real_get = pulumi.Config.get
    real_secret = pulumi.Config.get_secret
    values = {"vsphereUser": "svc-capv@vsphere.local", "vspherePassword": "pa55-not-real-9f3"}
    monkeypatch.setattr(pulumi.Config, "get", lambda self, key, *a, **k: values.get(key) or real_get(self, key, *a, **k))
    monkeypatch.setattr(pulumi.Config, "get_secret", lambda self, key, *a, **k:
                        pulumi.Output.secret(values[key]) if key in values else real_secret(self, key, *a, **k))
    graph = _render(onprem)
    identity = seen[f"Secret:{capi.CAPV_NAMESPACE}/{capi.identity_name(onprem)}"]
    assert identity["stringData"] == {"username": values["vsphereUser"], "password": values["vspherePassword"]}
    assert values["vspherePassword"] not in json.dumps(graph.as_json(), default=str)


def test_a_management_stack_is_read_through_a_stack_reference(
    load_spec: Callable[[str], ClusterSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []
    original = KubeadmAdapter.mock_outputs

    def record(self: KubeadmAdapter, type_: str, name: str, inputs: Any) -> dict[str, Any]:
        asked.append((type_, dict(inputs)))
        return original(self, type_, name, inputs)

    monkeypatch.setattr(KubeadmAdapter, "mock_outputs", record)
    spec = load_spec(SPEC.replace("      controlPlaneVip:", "      managementCluster: mgmt-eks\n      controlPlaneVip:"))
    graph = _render(spec)
    refs = [i for t, i in asked if t == "pulumi:pulumi:StackReference"]
    assert len(refs) == 1 and refs[0]["name"].endswith("/kubefleet/mgmt-eks"), refs
    assert graph.one(PROVIDER).inputs["kubeconfig"] == SECRET


@pytest.mark.parametrize("name", ["mgmt eks", "a/b/c/d", "x" * 101])
def test_a_bad_management_stack_name_is_a_spec_error_at_its_line(
    load_spec: Callable[[str], ClusterSpec], name: str
) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(SPEC.replace("      controlPlaneVip:", f"      managementCluster: {json.dumps(name)}\n      controlPlaneVip:"))
    issue = err.value.issues[0]
    assert "managementCluster" in issue.message and "stack name" in issue.message and (issue.line, issue.column) == (24, 26), issue


def test_static_addresses_become_an_ip_pool(load_spec: Callable[[str], ClusterSpec]) -> None:
    graph = _render(load_spec(STATIC))
    pool = graph.one("kubernetes:ipam.cluster.x-k8s.io/v1alpha2:InClusterIPPool")
    assert pool.get("spec.addresses") == ["172.20.0.11", "172.20.0.12", "172.20.0.13"]


@pytest.mark.parametrize(
    "addresses, needle",
    [("[172.20.0.11, 172.20.0.12]", "one address per master"), ("[172.20.0.11, 172.20.0.12, 10.0.0.1]", "outside"),
     ("[172.20.0.11, 172.20.0.12, 172.20.0.5]", "is the control-plane VIP")],
)
def test_bad_static_addresses_are_spec_errors_with_a_position(
    load_spec: Callable[[str], ClusterSpec], addresses: str, needle: str
) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(STATIC.replace("[172.20.0.11, 172.20.0.12, 172.20.0.13]", addresses))
    issue = err.value.issues[0]
    assert (needle in issue.message or needle in (issue.hint or "")) and issue.line > 1


# ---- versions ----


@pytest.mark.parametrize("version", ["1.22", "1.30", "1.30.9", "1.36"])
def test_unsupported_minors_are_refused_with_a_hint(load_spec: Callable[[str], ClusterSpec], version: str) -> None:
    """v1beta4 needs kubeadm >= 1.31 (cluster-api@ae7ff04: bootstrap/kubeadm/pkg/types/utils.go:39)."""
    with pytest.raises(RenderError) as err:
        _render(load_spec(SPEC.replace('"1.33.4"', f'"{version}"')))
    assert "spec.kubernetes.version" in err.value.message
    assert err.value.hint is not None and "1.31" in err.value.hint


# ---- mesh, tenancy, parity ----


def test_istio_is_installed_with_helm_through_the_workload_kubeconfig(load_spec: Callable[[str], ClusterSpec]) -> None:
    graph = _render(load_spec(SPEC + "  addons:\n    istio: {mode: self-managed, dataPlane: ambient}\n"))
    assert {r.inputs["chart"] for r in graph.of_type(RELEASE)} == {"base", "istiod", "cni", "ztunnel"}
    assert all(p.inputs["kubeconfig"] == SECRET for p in graph.of_type(PROVIDER))
    assert len(graph.of_type(PROVIDER)) == 2  # the management cluster's and the workload cluster's


def test_sandboxed_tenancy_ships_gvisor_in_bootstrap_data(load_spec: Callable[[str], ClusterSpec]) -> None:
    graph = _render(load_spec(SPEC + "  tenancy: {isolation: sandboxed}\n"))
    for tpl in graph.of_type("kubernetes:bootstrap.cluster.x-k8s.io/v1beta2:KubeadmConfigTemplate"):
        assert capi.RUNSC_SCRIPT in tpl.get("spec.template.spec.preKubeadmCommands")
    crs_maps = [c for c in graph.of_type("kubernetes:core/v1:ConfigMap") if "runsc" in json.dumps(c.inputs)]
    assert crs_maps, "the gVisor RuntimeClass travels in a ClusterResourceSet ConfigMap"


def test_field_support_covers_every_path(onprem: ClusterSpec) -> None:
    table = KubeadmAdapter().field_support(resolved(onprem, "kubeadm"))
    assert sorted(table) == sorted(spec_field_paths("kubeadm"))


def test_everything_hangs_under_the_component(onprem: ClusterSpec) -> None:
    graph = _render(onprem)
    component = graph.one(COMPONENT)
    by_urn = {r.urn: r for r in graph.resources}
    for res in graph.resources:
        parent = res.parent
        while parent is not None and parent != component.urn:
            parent = by_urn[parent].parent
        assert res is component or parent == component.urn, f"{res.type} {res.name} is not under the component"


# ---- the management cluster preflight's kinds (kubefleet.engine.management) ----


def test_the_presence_check_asks_for_every_rendered_kind_under_its_upstream_crd_name(
    load_spec: Callable[[str], ClusterSpec]
) -> None:
    """Oracle: the pinned upstream CRDs' own ``spec.names.plural`` and served versions."""
    from kubefleet.engine.management import required_crds

    upstream = {}
    for path in CRDS.glob("*/*.yaml"):
        for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if doc:
                served = {v["name"] for v in doc["spec"]["versions"] if v.get("served")}
                upstream[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = (doc["metadata"]["name"], served)
    spec = load_spec(STATIC)
    crds = required_crds(spec)
    for crd in crds:
        name, served = upstream[(crd.group, crd.kind)]
        assert crd.name == name and crd.version in served, crd
    asked = {(c.group, c.version, c.kind) for c in crds}
    for r in _objects(_render(spec)):
        api, kind = r.type.removeprefix("kubernetes:").rsplit(":", 1)
        if "." in api.split("/")[0]:  # a Cluster API kind (not core/v1)
            group, version = api.split("/")
            assert (group, version, kind) in asked, r.type


def test_a_missing_management_cluster_stops_before_the_engine(tmp_path: Path, onprem: ClusterSpec) -> None:
    from kubefleet.engine.management import KUBECONFIG_ENV, require_setup

    with pytest.raises(Exception) as err:
        require_setup(onprem, {})
    assert getattr(err.value, "exit_code", None) == 2 and KUBECONFIG_ENV in (getattr(err.value, "hint", "") or "")
    with pytest.raises(Exception) as err:
        require_setup(onprem, {KUBECONFIG_ENV: str(tmp_path / "kc")})
    assert "VSPHERE_USER" in (getattr(err.value, "hint", "") or "")

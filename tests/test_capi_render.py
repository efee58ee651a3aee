"""Every Cluster API object the kubeadm target renders, for every example and the spec shapes that change
what is rendered, is accepted by a real kube-apiserver with Cluster API v1.13.6's and CAPV v1.16.1's CRDs
installed (server-side dry run, strict field validation): the oracle of tests/capi_apiserver.py.

Without the binaries (no Go toolchain to build them) these tests skip and say why; .ci/run builds them
and sets KUBEFLEET_REQUIRE_CAPI_ORACLE=1, which turns that skip into a failure.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubefleet.providers.kubeadm import capi, capv_template
from kubefleet.spec.model import ClusterSpec
from tests.capi_apiserver import ApiServer, binaries_dir, running_apiserver
from tests.conftest import example_specs, resolved

DATA = Path(__file__).parent / "data" / "capi"

VARIANTS = {
    # static control-plane addresses (CAPV IPAM), sandboxed tenancy (gVisor), autoscaled pool, blue-green,
    # taints and labels, 5 masters, an explicit template with the {version} placeholder
    "static-sandboxed": """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: onprem
  labels: {team: infra, owner: kim, cost-center: cc-42, env: staging}
spec:
  kubernetes: {version: "1.33.4"}
  region: europe-west
  controlPlane: {availability: regional, replicas: 5, endpoint: private}
  network: {nodeCidr: 172.20.0.0/16, podCidr: 10.128.0.0/14, serviceCidr: 10.96.0.0/16}
  tenancy: {isolation: sandboxed}
  upgrades: {strategy: blue-green}
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      autoscaling: {min: 2, max: 5}
      disk: {sizeGiB: 80, type: ssd}
    - name: edge
      machine: {vcpus: 2, memoryGiB: 8}
      count: 1
      labels: {role: edge}
      taints: [{key: dedicated, value: edge, effect: NoSchedule}, {key: gpu, effect: NoExecute}]
  providers:
    kubeadm:
      vsphere: {server: vc.example.com, datacenter: dc9, cluster: c9, datastore: ds9, network: pg-k8s,
                template: "noble-kube-{version}", folder: k8s/onprem}
      controlPlaneVip: 172.20.0.5
      controlPlaneAddresses: [172.20.0.11, 172.20.0.12, 172.20.0.13, 172.20.0.14, 172.20.0.15]
      gateway: 172.20.0.1
""",
}


def _specs() -> list[tuple[str, ClusterSpec]]:
    from kubefleet.spec.loader import load_text

    out = [(f"example:{ls.spec.name}", ls.spec) for ls in example_specs()]
    out += [(f"variant:{k}", load_text(v, f"{k}.yaml")[0].spec) for k, v in VARIANTS.items()]
    return out


def _rendered(spec: ClusterSpec) -> list[dict[str, Any]]:
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server="vcenter.example.com", thumbprint="AA:BB")
    return capi.render(inputs) + capi.credential_secrets(inputs, "svc-capv@vsphere.local", "not-a-real-password")


@pytest.fixture(scope="module")
def apiserver() -> Iterator[ApiServer]:
    bins = binaries_dir()
    if bins is None:
        reason = (
            "kube-apiserver/etcd not built (scripts/build-kube-apiserver.sh needs a Go toolchain); "
            "the Cluster API objects were not checked against the CRDs"
        )
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with running_apiserver(bins) as api:
        for ns in ("capv-system",):
            api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        yield api


def _ensure_namespace(api: ApiServer, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["kind"] == "Namespace":
            made = api.request("POST", "/api/v1/namespaces", obj)
            assert made.ok or made.status == 409, made.message


# ---- the oracle accepts what we render ----


@pytest.mark.parametrize(("label", "spec"), _specs(), ids=[k for k, _ in _specs()])
def test_every_object_passes_the_apiserver(apiserver: ApiServer, label: str, spec: ClusterSpec) -> None:
    objects = _rendered(spec)
    _ensure_namespace(apiserver, objects)
    refused = []
    for obj in objects:
        if obj["kind"] == "Namespace":
            continue
        result = apiserver.dry_run(obj)
        if not result.ok:
            refused.append(f"{obj['kind']} {obj['metadata']['name']}: {result.message}")
        warnings = result.body.get("metadata", {}).get("managedFields")
        del warnings
    assert not refused, "\n".join(refused)


# ---- the oracle is not vacuous: it refuses what Cluster API's schemas refuse ----


@pytest.mark.parametrize(
    ("kind", "path", "value", "why"),
    [
        ("VSphereMachineTemplate", ("spec", "template", "spec", "numCPUs"), 1, "greater than or equal to 2"),
        ("VSphereMachineTemplate", ("spec", "template", "spec", "cloneMode"), "instantClone", "Unsupported value"),
        ("KubeadmControlPlaneTemplate", ("spec", "template", "spec", "rollout", "before", "certificatesExpiryDays"), 3, "greater than or equal to 7"),
        ("Cluster", ("spec", "topology", "bogusField"), True, "unknown field"),
        ("ClusterClass", ("spec", "controlPlane", "healthCheck", "checks", "unhealthyMachineConditions"),
         [{"type": "Ready", "status": "False", "timeoutSeconds": 10}], "Ready"),
    ],
)
def test_the_apiserver_refuses_broken_objects(
    apiserver: ApiServer, kind: str, path: tuple[str, ...], value: Any, why: str
) -> None:
    objects = _rendered(example_specs()[0].spec)
    _ensure_namespace(apiserver, objects)
    obj = copy.deepcopy(next(o for o in objects if o["kind"] == kind))
    target = obj
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    result = apiserver.dry_run(obj)
    assert not result.ok, f"{kind} with {'.'.join(path)}={value!r} was accepted"
    assert why in result.message, result.message


# ---- mapping: what each spec field becomes ----


def _by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_spec_maps_onto_topology_pools_replicas_and_rollout() -> None:
    spec = dict(_specs())["variant:static-sandboxed"]
    objects = _rendered(spec)
    (cluster,) = _by_kind(objects, "Cluster")
    topo = cluster["spec"]["topology"]
    assert topo["version"] == "v1.33.4"
    assert topo["controlPlane"]["replicas"] == 5
    mds = {md["name"]: md for md in topo["workers"]["machineDeployments"]}
    assert mds["edge"]["replicas"] == 1
    assert "replicas" not in mds["general"]  # autoscaled: the autoscaler owns the count
    assert mds["general"]["metadata"]["annotations"][capi.AUTOSCALER_MAX] == "5"
    (cc,) = _by_kind(objects, "ClusterClass")
    assert topo["classRef"]["name"] == cc["metadata"]["name"]
    rollouts = {c["class"]: c["rollout"] for c in cc["spec"]["workers"]["machineDeployments"]}
    assert rollouts["edge"]["strategy"]["rollingUpdate"] == {"maxSurge": "100%", "maxUnavailable": 0}
    assert cc["spec"]["kubernetesVersions"][0] == "v1.30.14" and "v1.34.4" in cc["spec"]["kubernetesVersions"]
    # static masters: addresses from an InClusterIPPool, no DHCP
    (pool,) = _by_kind(objects, "InClusterIPPool")
    assert pool["spec"]["addresses"][0] == "172.20.0.11" and pool["spec"]["prefix"] == 16
    cp = next(o for o in _by_kind(objects, "VSphereMachineTemplate") if "control-plane" in o["metadata"]["name"])
    device = cp["spec"]["template"]["spec"]["network"]["devices"][0]
    assert device["dhcp4"] is False and device["addressesFromPools"][0]["name"] == pool["metadata"]["name"]
    assert cp["spec"]["template"]["spec"]["template"] == "noble-kube-v1.33.4"
    # taints and labels on the pool's join configuration
    edge = next(o for o in _by_kind(objects, "KubeadmConfigTemplate") if "-edge-" in o["metadata"]["name"])
    reg = edge["spec"]["template"]["spec"]["joinConfiguration"]["nodeRegistration"]
    assert {"key": "gpu", "effect": "NoExecute"} in reg["taints"]
    assert {"name": "node-labels", "value": "kubefleet.dev/pool=edge,role=edge"} in reg["kubeletExtraArgs"]


def test_image_builder_template_per_patch_unless_overridden() -> None:
    spec = example_specs()[0].spec
    objects = _rendered(spec)
    names = {o["spec"]["template"]["spec"]["template"] for o in _by_kind(objects, "VSphereMachineTemplate")}
    assert names == {"ubuntu-2404-kube-v1.35.4"}
    assert capi.image_builder_template("1.30.14") == "ubuntu-2204-kube-v1.30.14"


def test_every_object_carries_the_ownership_labels() -> None:
    for _, spec in _specs():
        labels = resolved(spec, "kubeadm").labels
        for obj in _rendered(spec):
            got = obj["metadata"]["labels"]
            assert {k: got.get(k) for k in labels} == dict(labels), f"{obj['kind']} {obj['metadata']['name']}"


def test_templates_are_named_by_content_so_a_change_rolls() -> None:
    """CAPV's VSphereMachineTemplate spec is immutable (its webhook refuses updates); a changed shape must
    therefore be a new template under a new name, and the class that points at it a new class."""
    from kubefleet.spec.loader import load_text

    text = VARIANTS["static-sandboxed"]
    before = _rendered(load_text(text, "a.yaml")[0].spec)
    after = _rendered(load_text(text.replace("memoryGiB: 16}", "memoryGiB: 32}"), "b.yaml")[0].spec)
    names = lambda objs, kind: {o["metadata"]["name"] for o in _by_kind(objs, kind)}  # noqa: E731
    changed = names(before, "VSphereMachineTemplate") ^ names(after, "VSphereMachineTemplate")
    assert len(changed) == 2 and all("-general-" in n for n in changed)
    assert names(before, "ClusterClass") != names(after, "ClusterClass")
    assert names(before, "KubeadmControlPlaneTemplate") == names(after, "KubeadmControlPlaneTemplate")
    assert names(before, "Cluster") == names(after, "Cluster")


def test_sandboxed_pools_get_the_runsc_runtime_and_its_runtime_class() -> None:
    objects = _rendered(dict(_specs())["variant:static-sandboxed"])
    for tpl in _by_kind(objects, "KubeadmConfigTemplate"):
        spec = tpl["spec"]["template"]["spec"]
        assert capi.RUNSC_SCRIPT in spec["preKubeadmCommands"]
        assert spec["files"][0]["content"] == capi.runsc_script()
    (crs,) = _by_kind(objects, "ClusterResourceSet")
    assert {"kind": "ConfigMap", "name": "kubefleet-runtimeclass"} in crs["spec"]["resources"]
    plain = _rendered(example_specs()[0].spec)
    assert all("files" not in t["spec"]["template"]["spec"] for t in _by_kind(plain, "KubeadmConfigTemplate"))


def test_credentials_only_in_secrets() -> None:
    spec = example_specs()[0].spec
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server="vc.example.com")
    assert "not-a-real-password" not in repr(capi.render(inputs))
    secrets = capi.credential_secrets(inputs, "svc", "not-a-real-password")
    assert {s["kind"] for s in secrets} == {"Secret"}
    assert all("not-a-real-password" in repr(s["stringData"]) for s in secrets)
    identity = next(s for s in secrets if s["metadata"]["namespace"] == capi.CAPV_NAMESPACE)
    assert identity["metadata"]["name"] == capi.identity_name(spec)


# ---- the scripts kubefleet adds to the bootstrap data ----


def test_bootstrap_scripts_pass_shellcheck() -> None:
    import shutil
    import subprocess

    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (apt-get install shellcheck)")
    paths = [str(capi._TEMPLATES / n) for n in ("kubefleet-runsc.sh", "kubefleet-calico.sh")]
    done = subprocess.run(["shellcheck", "-s", "bash", *paths], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    ("config", "table"),
    [
        # containerd 2.x writes config version 3 (containerd/containerd docs/cri/config.md)
        ('version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\n',
         'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'),
        # containerd 1.7 (image-builder's images before 2.x): version 2
        ('version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n',
         'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'),
        # a 2.x config whose runtime table is not spelled out still takes the 2.x table
        ("version = 3\n", 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'),
        ("", 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'),
    ],
)
def test_runsc_goes_into_the_table_of_the_containerd_config_version(tmp_path: Path, config: str, table: str) -> None:
    """The old bootstrap's containerd 2.x branch never fired (it grepped for a table the default 2.x
    config need not contain); the runtime table now follows the config file's ``version``."""
    import subprocess

    conf = tmp_path / "config.toml"
    conf.write_text(config)
    done = subprocess.run(
        ["bash", str(capi._TEMPLATES / "kubefleet-runsc.sh"), "table"],
        env={"CONTAINERD_CONFIG": str(conf), "PATH": os.environ["PATH"]}, capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == table


# ---- the shipped and the test data are the pinned upstream files ----


def _git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_pinned_files_match_provenance() -> None:
    """Each file's git blob id (CAPV, IPAM provider) or sha256 (Cluster API's module zip) is the one
    PROVENANCE.md recorded from the pinned upstream tree."""
    recorded: dict[str, str] = {}
    for line in (DATA / "PROVENANCE.md").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("blob", "sha256"):
            recorded[parts[2]] = f"{parts[0]} {parts[1]}"
    files = [*sorted(DATA.glob("crds/*/*.yaml")), capv_template.TEMPLATE]
    assert len(recorded) == len(files)
    for path in files:
        rel = str(path.relative_to(Path(__file__).parent.parent))
        kind, digest = recorded[rel].split()
        got = _git_blob(path) if kind == "blob" else hashlib.sha256(path.read_bytes()).hexdigest()
        assert got == digest, rel

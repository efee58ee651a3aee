"""The AKS oracle: rendered containerservice inputs against azure-mgmt-containerservice's ARM model.

Expected values come from the SDK's model (enum classes, ``_validation``) or from cited documents, never
from kubefleet's own tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.lifecycle.compat import load_compat
from kubefleet.providers import verify_graph
from kubefleet.providers.aks import mocks as aks_mocks
from kubefleet.providers.aks.verify import PINNED_MODEL, load_models, pulumi_api_version
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec

from .conftest import ROOT, example_specs, shape_resolver
from .strategies import specs

models = pytest.importorskip("azure.mgmt.containerservice.models")

MC = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
EXAMPLES = [loaded.spec for loaded in example_specs()]


def aks(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "aks", resolver=shape_resolver("aks"))


def with_inputs(graph: ResourceGraph, res: RenderedResource, edit: Callable[[dict[str, Any]], None]) -> None:
    """Force one rendered resource's inputs (deep-copied) into a shape the cloud would reject."""
    import copy

    inputs = copy.deepcopy(dict(res.inputs))
    edit(inputs)
    graph.resources[graph.resources.index(res)] = replace(res, inputs=inputs)


# ---- the oracle itself ------------------------------------------------------------------------------


def test_the_model_speaks_the_api_version_pulumi_azure_native_speaks() -> None:
    m = load_models()
    # Both read from the installed packages: the SDK's request builder and pulumi-azure-native's docstring.
    assert m.api_version == pulumi_api_version() == "2025-09-01"
    assert m.version == PINNED_MODEL


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda s: s.name)
def test_every_example_passes_the_aks_api_model(spec: ClusterSpec) -> None:
    report = verify_graph(aks(spec))
    assert report.oracle is not None and "azure-mgmt-containerservice" in report.oracle
    assert report.checked > 50
    assert report.violations == [], "\n".join(v.render() for v in report.violations)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_every_valid_spec_passes_the_aks_api_model(spec: ClusterSpec) -> None:
    # Disks above the ARM maximum are a known spec/AKS gap the oracle reports (see the test below).
    if any(p.disk.size_gib > models.ManagedClusterAgentPoolProfile._validation["os_disk_size_gb"]["maximum"]
           for p in spec.spec.node_pools):
        return
    report = verify_graph(aks(spec))
    assert report.violations == [], "\n".join(v.render() for v in report.violations)


def test_a_wrong_enum_names_resource_field_value_and_allowed_set() -> None:
    graph = aks(EXAMPLES[0])
    cluster = graph.one(MC)

    def wrong(inputs: dict[str, Any]) -> None:
        inputs["networkProfile"]["networkPolicy"] = "kube-router"
        inputs["agentPoolProfiles"][0]["osSKU"] = "Debian"

    with_inputs(graph, cluster, wrong)
    found = {v.field: v for v in verify_graph(graph).violations}
    policy = found["networkProfile.networkPolicy"]
    assert policy.resource == f"{MC}::{cluster.name}"
    assert policy.value == "kube-router"
    assert policy.problem == "not one of the allowed values"
    assert policy.allowed.split(" | ") == [e.value for e in models.NetworkPolicy]
    assert found["agentPoolProfiles.0.osSKU"].allowed.split(" | ") == [e.value for e in models.OSSKU]


def test_case_matters_for_enums() -> None:
    graph = aks(EXAMPLES[0])
    pool = graph.of_type(POOL)[0]
    with_inputs(graph, pool, lambda i: i.update(mode="user"))
    [v] = verify_graph(graph).violations
    assert (v.field, v.value) == ("mode", "user")
    assert "case" in v.problem and models.AgentPoolMode.USER.value in v.allowed


def test_required_readonly_unknown_and_url_parameters_are_checked() -> None:
    graph = aks(EXAMPLES[0])
    cluster = graph.one(MC)

    def wrong(inputs: dict[str, Any]) -> None:
        del inputs["location"]
        inputs["fqdn"] = "set-by-azure"
        inputs["kubernetesVersionTypo"] = "1.35"
        inputs["resourceName"] = "-starts-with-a-dash"

    with_inputs(graph, cluster, wrong)
    found = {v.field: v for v in verify_graph(graph).violations}
    assert models.ManagedCluster._validation["location"] == {"required": True}
    assert found["location"].problem == "required member missing"
    assert found["fqdn"].problem.startswith("read-only")
    assert found["kubernetesVersionTypo"].problem == "not a field of the API model"
    assert "kubernetesVersion" in found["kubernetesVersionTypo"].allowed.split(", ")
    assert found["resourceName"].problem == "violates pattern"


def test_a_spec_written_wrong_on_purpose_fails_plan_verify(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The neutral spec allows a 4096 GiB boot disk; ARM's agent pool model stops at 2048. kubefleet's own
    limit table refuses it at the spec's line (exit 2), and that table is read from the same model; were a
    limit missing from the table, `plan --verify` would still stop it (exit 1)."""
    from kubefleet.lifecycle import check
    from kubefleet.spec import limits

    text = (ROOT / "examples" / "istio-microservices.yaml").read_text()
    text = re.sub(r"(nodePools:\n\s+- name: \S+\n)", r"\1      disk: {sizeGiB: 4096}\n", text, count=1)
    assert "sizeGiB: 4096" in text
    spec_file = tmp_path / "big-disk.yaml"
    spec_file.write_text(text)
    limit = models.AgentPool._validation["os_disk_size_gb"]["maximum"]
    assert limit == limits.AKS_MAX_OS_DISK_GIB == 2048

    refused = CliRunner().invoke(app, ["plan", str(spec_file), "--provider", "aks"])
    assert refused.exit_code == 2, refused.output
    assert f"{spec_file}:" in refused.output and "at most 2,048 GiB" in refused.output

    monkeypatch.setattr(check, "api_limits", lambda loaded, provider: [])  # a limit the table does not know
    result = CliRunner().invoke(app, ["plan", str(spec_file), "--provider", "aks", "--verify", "--output", "json"])
    assert result.exit_code == 1, result.output
    assert "osDiskSizeGB" in result.output and "4096" in result.output and f"maximum {limit}" in result.output


# ---- defects fixed, judged by the model or a cited source -------------------------------------------

PUBLIC_AUTHORIZED_PRIVATE_NODES = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: natauth
  labels: {team: t, owner: o, cost-center: cc-1, env: dev}
spec:
  kubernetes: {version: "1.35", channel: stable}
  region: europe-west
  controlPlane: {endpoint: public, authorizedNetworks: ["198.51.100.0/24"]}
  network: {privateNodes: true}
  nodePools:
    - {name: general, machine: {vcpus: 4, memoryGiB: 16}, count: 2, disk: {sizeGiB: 128}}
  providers:
    aks: {adminGroupObjectIds: ["7f6b8b8e-0000-4000-8000-000000000001"]}
"""


def test_private_egress_ip_is_the_load_balancers_outbound_ip_and_authorized(
        load_spec: Callable[[str], ClusterSpec]) -> None:
    """api-server-authorized-ip-ranges.md@fb060ab:45: the cluster egress IP must be allowed; private nodes egress
    from kubefleet's static IP, the Standard load balancer's one outbound IP. The API model takes the body (the
    REST names come from its _attribute_map), and sees a wrong one there (the oracle reads this profile)."""
    graph = aks(load_spec(PUBLIC_AUTHORIZED_PRIVATE_NODES))
    ip = graph.one("azure-native:network:PublicIPAddress")
    egress = aks_mocks.mock_outputs(ip.type, ip.name, ip.inputs)["ipAddress"]
    cluster = graph.one(MC)
    assert cluster.get("networkProfile.outboundType") == models.OutboundType.LOAD_BALANCER.value
    rest = {e["key"] for e in models.ManagedClusterLoadBalancerProfile._attribute_map.values()}
    assert "outboundIPs" in rest
    ips = {e["key"] for e in models.ManagedClusterLoadBalancerProfileOutboundIPs._attribute_map.values()}
    assert ips == {"publicIPs"}
    assert cluster.get("networkProfile.loadBalancerProfile.outboundIPs.publicIPs") == [{"id": f"{ip.name}-id"}]
    assert cluster.get("apiServerAccessProfile.authorizedIPRanges") == ["198.51.100.0/24", f"{egress}/32"]
    assert verify_graph(graph).violations == []
    profile = cluster.inputs["networkProfile"]["loadBalancerProfile"]
    profile["idleTimeoutInMinutes"] = 3  # the model's range is 4 to 120
    try:
        assert any("idleTimeoutInMinutes" in str(v) for v in verify_graph(graph).violations)
    finally:
        profile["idleTimeoutInMinutes"] = 30


def test_admin_groups_reach_the_aad_profile(load_spec: Callable[[str], ClusterSpec]) -> None:
    graph = aks(load_spec(PUBLIC_AUTHORIZED_PRIVATE_NODES))
    aad = graph.one(MC).get("aadProfile")
    rest = {e["key"]: a for a, e in models.ManagedClusterAADProfile._attribute_map.items()}
    assert set(aad) <= set(rest)
    assert aad["adminGroupObjectIDs"] == ["7f6b8b8e-0000-4000-8000-000000000001"]
    assert aad["managed"] is True and aad["enableAzureRBAC"] is True


def test_network_policy_is_enforced_with_cilium() -> None:
    """use-network-policies.md@fb060ab:48 recommends Cilium; azure-cni-powered-by-cilium.md:158-170."""
    profile = aks(EXAMPLES[0]).one(MC).get("networkProfile")
    assert profile["networkPolicy"] == models.NetworkPolicy.CILIUM.value
    assert profile["networkDataplane"] == models.NetworkDataplane.CILIUM.value
    assert profile["networkPluginMode"] == models.NetworkPluginMode.OVERLAY.value


def test_gpu_pools_get_the_nvidia_device_plugin() -> None:
    """use-nvidia-gpu.md@fb060ab:81-89,190: AKS installs the driver only; the device plugin v0.18.0 is ours."""
    gpu_spec = next(s for s in EXAMPLES if any(p.machine.gpu for p in s.spec.node_pools))
    graph = aks(gpu_spec)
    [ds] = graph.of_type("kubernetes:apps/v1:DaemonSet")
    pod = ds.get("spec.template.spec")
    assert pod["containers"][0]["image"] == "nvcr.io/nvidia/k8s-device-plugin:v0.18.0"
    [term] = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    gpu_pool_names = {p.get("agentPoolName") for p in graph.of_type(POOL) if p.get("gpuProfile")}
    assert set(term["matchExpressions"][0]["values"]) == gpu_pool_names
    no_gpu = next(s for s in EXAMPLES if not any(p.machine.gpu for p in s.spec.node_pools))
    assert aks(no_gpu).of_type("kubernetes:apps/v1:DaemonSet") == []


# ---- compatibility rows, pinned to the cited documents ------------------------------------------------


def test_compat_sources_are_pinned_to_a_commit() -> None:
    for source in load_compat().table("aks").sources.values():
        assert re.search(r"/blob/[0-9a-f]{40}/", source.url), source.url


def test_compat_rows_match_the_cited_calendars() -> None:
    compat = load_compat()
    # supported-kubernetes-versions.md@fb060ab:53 — 1.35: AKS GA Mar 2026, end of life Mar 2027;
    # line 72 — LTS end of life Mar 2028; line 44 — an EOL month means its last day.
    assert "1.35" in compat.offered_minors("aks", "stable", date(2026, 3, 1))
    assert "1.35" in compat.offered_minors("aks", "stable", date(2027, 3, 31))
    assert "1.35" not in compat.offered_minors("aks", "stable", date(2027, 4, 1))
    assert "1.35" in compat.offered_minors("aks", "extended", date(2028, 3, 31))
    # line 67: 1.30 ended community support on Aug 22, 2025 (an explicit date).
    assert "1.30" in compat.offered_minors("aks", "rapid", date(2025, 8, 22))
    assert "1.30" not in compat.offered_minors("aks", "rapid", date(2025, 8, 23))
    # istio-support-policy.md@fb060ab:35 — asm-1-26 covers 1.29-1.34, not 1.35; line 36 — asm-1-27 adds 1.35.
    rows = {r.revision: r for r in compat.table("aks").mesh}
    assert rows["asm-1-26"].minors == ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34")
    assert "1.35" in rows["asm-1-27"].minors
    # the case: asm-1-26 cannot be installed on 1.35; the default is the newest compatible one
    on = date(2026, 9, 1)
    offered = [r.revision for r in compat.mesh_revisions("aks", "1.35", on)]
    assert "asm-1-26" not in offered and offered[0] == "asm-1-30"  # line 39: asm-1-30, AKS release July 2026


# ---- day-2: fields AKS changes behind the program's back ---------------------------------------------


def _ignore_changes(spec: ClusterSpec, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Each resource's ``ignore_changes`` option, recorded by a Pulumi stack transformation."""
    import pulumi

    import kubefleet.render.program as program

    seen: dict[str, list[str]] = {}
    original = program.cluster_program

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen[args.name] = list(args.opts.ignore_changes or [])

    def wrapped(*a: Any, **kw: Any) -> None:
        pulumi.runtime.register_stack_transformation(record)
        original(*a, **kw)

    monkeypatch.setattr(program, "cluster_program", wrapped)
    aks(spec)
    return seen


def test_auto_upgraded_version_and_autoscaled_count_are_not_fought(
    load_spec: Callable[[str], ClusterSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    """auto-upgrade-cluster.md@fb060ab:86: stable moves a cluster to minor N-1 itself; the cluster
    autoscaler owns an autoscaled pool's count."""
    text = PUBLIC_AUTHORIZED_PRIVATE_NODES.replace(
        "count: 2, disk", "autoscaling: {min: 1, max: 5}, disk")
    seen = _ignore_changes(load_spec(text), monkeypatch)
    # agentPoolProfiles: only the bootstrap System pool, never changed (providers/aks/nodepool.py)
    assert seen["natauth-aks"] == ["agentPoolProfiles", "kubernetesVersion"]
    assert seen["natauth-general"] == ["count"]
    pinned = _ignore_changes(load_spec(PUBLIC_AUTHORIZED_PRIVATE_NODES.replace("channel: stable", "channel: none")),
                             monkeypatch)
    assert pinned["natauth-aks"] == ["agentPoolProfiles"] and pinned["natauth-general"] == []

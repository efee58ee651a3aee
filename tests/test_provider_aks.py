"""The AKS adapter, exercised for real under the Pulumi SDK's mock monitor (kubefleet.render.offline)."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from kubefleet.errors import RenderError
from kubefleet.graph import SECRET, RenderedResource, ResourceGraph
from kubefleet.naming import ownership_labels
from kubefleet.providers import get_adapter
from kubefleet.providers.aks import AksAdapter
from kubefleet.providers.aks import mocks as aks_mocks
from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.kubeconfig import ca_from_kubeconfig, render_kubeconfig
from kubefleet.providers.base import spec_field_paths
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_file
from kubefleet.spec.model import ClusterSpec
from tests.conftest import resolved

from .conftest import EXAMPLES, ROOT, example_specs, shape_resolver

MC = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
MAINT = "azure-native:containerservice:MaintenanceConfiguration"
RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"
COMPONENT = "kubefleet:aks:Cluster"
AKS_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")


def aks(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "aks", resolver=shape_resolver("aks"))


def example(file: str, name: str | None = None) -> ClusterSpec:
    for loaded in load_file(EXAMPLES / file):
        if name is None or loaded.spec.name == name:
            return loaded.spec
    raise KeyError(name)


def pools(graph: ResourceGraph) -> dict[str, RenderedResource]:
    """User agent pools by their spec pool name (the logical name is ``<cluster>-<pool>``)."""
    prefix = graph.cluster + "-"
    return {r.name.removeprefix(prefix): r for r in graph.of_type(POOL) if r.get("mode") == "User"}


def system_agent_pool(graph: ResourceGraph) -> RenderedResource:
    """The managed System pool (an AgentPool in mode System)."""
    [system] = [r for r in graph.of_type(POOL) if r.get("mode") == "System"]
    return system


BASE = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{team: t, owner: o, cost-center: cc-1, env: dev}}
spec:
  kubernetes: {{version: "1.33", channel: {channel}}}
  region: europe-west
  controlPlane: {{tier: {tier}, endpoint: {endpoint}{extra_cp}}}
  nodePools:
    - name: general
      machine: {{vcpus: 4, memoryGiB: 16}}
      count: 2
"""


def inline(
    load_spec: Callable[[str], ClusterSpec],
    *,
    name: str = "inline",
    channel: str = "stable",
    tier: str = "standard",
    endpoint: str = "public",
    extra_cp: str = "",
    tail: str = "",
) -> ClusterSpec:
    text = BASE.format(name=name, channel=channel, tier=tier, endpoint=endpoint, extra_cp=extra_cp)
    return load_spec(text + tail)


# ---- every example ------------------------------------------------------------------------------

EXAMPLE_SPECS = [s.spec for s in example_specs()]


@pytest.fixture(scope="module")
def example_graphs() -> dict[str, ResourceGraph]:
    return {spec.name: aks(spec) for spec in EXAMPLE_SPECS}


def _ancestors(graph: ResourceGraph, res: RenderedResource) -> list[str]:
    by_urn = {r.urn: r for r in graph.resources}
    chain, parent = [], res.parent
    while parent is not None:
        chain.append(parent)
        parent = by_urn[parent].parent if parent in by_urn else None
    return chain


def _takes_tags(type_: str) -> bool:
    """Whether the real SDK class for ``type_`` has a ``tags`` input (so the contract requires tags)."""
    pkg, module, cls = type_.split(":")
    if pkg != "azure-native":
        return False
    klass = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)
    return "tags" in inspect.signature(klass._internal_init).parameters


@pytest.mark.parametrize("name", [s.name for s in EXAMPLE_SPECS])
def test_every_example_renders_under_one_component(
    example_graphs: dict[str, ResourceGraph], name: str
) -> None:
    graph = example_graphs[name]
    spec = graph.spec
    [component] = graph.of_type(COMPONENT)
    assert component.name == spec.name
    assert component.protect is (spec.metadata.env == "prod")
    assert len(graph.of_type(MC)) == 1
    assert set(pools(graph)) == {p.name for p in spec.spec.node_pools}
    for res in graph.resources:
        if res is not component:
            assert component.urn in _ancestors(graph, res), f"{res.type} {res.name} escapes the component"
    tags = t.azure_tags(ownership_labels(spec))
    assert tags["kubefleet.dev_cluster"] == spec.name
    assert not any("/" in k for k in tags)
    tagged = [r for r in graph.custom() if _takes_tags(r.type)]
    assert {r.type for r in tagged} >= {MC, POOL, "azure-native:network:VirtualNetwork"}
    for res in tagged:
        assert res.inputs.get("tags") == tags, f"{res.type} {res.name} lacks the ownership tags"
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.outputs["endpoint"].startswith("https://") and graph.outputs["endpoint"].endswith(":443")
    assert graph.region == spec.region_for("aks")


def test_field_support_covers_every_path() -> None:
    adapter = get_adapter("aks")
    assert isinstance(adapter, AksAdapter)
    paths = set(spec_field_paths("aks"))
    for spec in EXAMPLE_SPECS:
        table = adapter.field_support(resolved(spec, "aks"))
        assert set(table) == paths
        for path, support in table.items():
            assert support.status in ("native", "emulated", "unsupported")
            assert support.detail and "\n" not in support.detail, path
        assert [n.field for n in adapter.parity(resolved(spec, "aks"))] == spec_field_paths("aks")


# ---- control plane ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "sku"), [("free", "Free"), ("standard", "Standard"), ("premium", "Premium")]
)
def test_tier_maps_to_sku_tier(load_spec: Callable[[str], ClusterSpec], tier: str, sku: str) -> None:
    mc = aks(inline(load_spec, tier=tier)).one(MC)
    assert mc.get("sku") == {"name": "Base", "tier": sku}
    assert mc.get("supportPlan") == "KubernetesOfficial"


def test_extended_channel_needs_premium_and_lts(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(load_spec, channel="extended", tier="standard")
    graph = aks(spec)
    mc = graph.one(MC)
    assert mc.get("sku.tier") == "Premium"
    assert mc.get("supportPlan") == "AKSLongTermSupport"
    assert mc.get("autoUpgradeProfile.upgradeChannel") == "patch"
    tier = {n.field: n for n in graph.parity}["spec.controlPlane.tier"]
    assert tier.status == "emulated" and "Premium" in tier.detail


@pytest.mark.parametrize(
    ("channel", "aks_channel", "node_os"),
    [
        ("rapid", "rapid", "NodeImage"),
        ("regular", "stable", "NodeImage"),
        ("stable", "stable", "NodeImage"),
        # channel none stops Kubernetes upgrades, not security patches: node OS patching stays on
        # (auto-upgrade-node-os-image.md@fb060ab:59: `None` = "your nodes don't have security updates applied").
        ("none", "none", "SecurityPatch"),
    ],
)
def test_channel_maps_to_auto_upgrade_channel(
    load_spec: Callable[[str], ClusterSpec], channel: str, aks_channel: str, node_os: str
) -> None:
    graph = aks(inline(load_spec, channel=channel))
    assert graph.one(MC).get("autoUpgradeProfile") == {
        "upgradeChannel": aks_channel,
        "nodeOSUpgradeChannel": node_os,
    }
    status = {n.field: n.status for n in graph.parity}["spec.kubernetes.channel"]
    assert status == ("emulated" if channel == "regular" else "native")


def test_private_cluster_drops_authorised_ranges_and_says_so(
    example_graphs: dict[str, ResourceGraph],
) -> None:
    graph = example_graphs["sweet-spot"]  # private endpoint with authorizedNetworks
    access = graph.one(MC).get("apiServerAccessProfile")
    assert access == {"enablePrivateCluster": True}
    note = {n.field: n for n in graph.parity}["spec.controlPlane.authorizedNetworks"]
    assert note.status == "unsupported" and "private" in note.detail
    assert ".privatelink." in graph.outputs["endpoint"]


def test_public_cluster_gets_authorised_ranges(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(load_spec, extra_cp=', authorizedNetworks: ["203.0.113.0/24", "198.51.100.0/24"]')
    graph = aks(spec)
    access = graph.one(MC).get("apiServerAccessProfile")
    assert access == {
        "enablePrivateCluster": False,
        "authorizedIPRanges": ["203.0.113.0/24", "198.51.100.0/24"],
    }
    assert ".hcp." in graph.outputs["endpoint"] and "privatelink" not in graph.outputs["endpoint"]


def test_identity_oidc_workload_identity_and_aad(example_graphs: dict[str, ResourceGraph]) -> None:
    mc = example_graphs["shop-mesh"].one(MC)
    assert mc.get("identity") == {"type": "SystemAssigned"}
    assert mc.get("oidcIssuerProfile.enabled") is True
    assert mc.get("securityProfile.workloadIdentity.enabled") is True
    assert mc.get("aadProfile") == {"managed": True, "enableAzureRBAC": True}
    assert mc.get("disableLocalAccounts") is True


# ---- network ------------------------------------------------------------------------------------


def test_network_profile_and_egress_for_private_nodes(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["sweet-spot"]
    spec = graph.spec
    net = graph.one(MC).get("networkProfile")
    assert net["networkPlugin"] == "azure" and net["networkPluginMode"] == "overlay"
    assert net["podCidr"] == spec.spec.network.pod_cidr == "10.64.0.0/14"
    assert net["serviceCidr"] == "10.96.0.0/16"
    assert net["dnsServiceIP"] == "10.96.0.10"
    assert net["outboundType"] == "loadBalancer"
    [ip] = graph.of_type(PIP)
    # the mock monitor's id for the egress IP: the load balancer's one outbound IP
    assert net["loadBalancerProfile"]["outboundIPs"] == {"publicIPs": [{"id": f"{ip.name}-id"}]}
    assert "managedOutboundIPs" not in net["loadBalancerProfile"]  # one outbound IP option at a time
    vnet = graph.one("azure-native:network:VirtualNetwork")
    assert vnet.get("addressSpace.addressPrefixes") == [spec.spec.network.node_cidr]
    subnet = graph.one("azure-native:network:Subnet")
    assert subnet.get("addressPrefix") == spec.spec.network.node_cidr
    assert subnet.get("natGateway") is None and subnet.get("defaultOutboundAccess") is False
    assert graph.of_type("azure-native:network:NatGateway") == []
    assert graph.one(MC).get("agentPoolProfiles.0.vnetSubnetID") == f"{subnet.name}-id"
    for pool in pools(graph).values():
        assert pool.get("vnetSubnetID") == f"{subnet.name}-id"


def test_public_nodes_use_the_load_balancer(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["orders-staging"]
    assert graph.one(MC).get("networkProfile.outboundType") == "loadBalancer"
    assert graph.of_type("azure-native:network:NatGateway") == []


def test_existing_resource_group_and_subscription(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(
        load_spec,
        tail="  providers:\n    aks: {resourceGroup: rg-existing, subscriptionId: 11111111-2222-3333-4444-555555555555}\n",
    )
    graph = aks(spec)
    assert graph.of_type("azure-native:resources:ResourceGroup") == []
    assert graph.one(MC).get("resourceGroupName") == "rg-existing"
    provider = graph.one("pulumi:providers:azure-native")
    assert provider.get("subscriptionId") == "11111111-2222-3333-4444-555555555555"
    for ra in graph.of_type("azure-native:authorization:RoleAssignment"):
        assert ra.get("roleDefinitionId").startswith("/subscriptions/11111111-2222-3333-4444-555555555555/")


# ---- node pools ---------------------------------------------------------------------------------


def _model_system_pool_minimum() -> int:
    """The smallest System pool the AKS API model allows (AgentPool.count's text, ARM 2025-09-01)."""
    import importlib
    import inspect

    models = importlib.import_module("azure.mgmt.containerservice.models")
    doc = " ".join((inspect.getdoc(models.AgentPool) or "").split(":ivar count:", 1)[1].split(":ivar", 1)[0].split())
    found = re.search(r"range of (\d+) to \d+ \(inclusive\) for system pools", doc)
    assert found, doc
    return int(found.group(1))


#: AKS's documented System pool rule, MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:
#: articles/aks/use-system-pools.md:77 "System pools must contain at least two nodes but the recommendation is
#: three nodes", :78 "System node pools require a VM SKU of at least 4 vCPUs and 4 GB of memory", :79 "B series
#: VMs aren't supported for system node pools". Stricter than the API model's count range (read below).
DOC_SYSTEM_MIN_NODES, DOC_SYSTEM_RECOMMENDED_NODES, DOC_SYSTEM_MIN_VCPUS = 2, 3, 4
#: Azure VM size names: [family][sub-family]*[# of vCPUs]... (learn.microsoft.com/azure/virtual-machines/
#: vm-naming-conventions), e.g. Standard_D4s_v5 = D family, 4 vCPUs.
AZURE_SIZE = re.compile(r"^Standard_(?P<family>[A-Z]+)(?P<vcpus>\d+)")


def _system_pools(graph: ResourceGraph) -> list[tuple[str, int, str, list[str]]]:
    """(name, count, vmSize, zones) of every System pool: the inline bootstrap pool and the System AgentPools."""
    out = [(p["name"], p["count"], p["vmSize"], p["availabilityZones"])
           for p in graph.one(MC).get("agentPoolProfiles") if p["mode"] == "System"]
    out += [(r.get("agentPoolName"), r.get("count"), r.get("vmSize"), r.get("availabilityZones"))
            for r in graph.of_type(POOL) if r.get("mode") == "System"]
    return out


def test_bootstrap_system_pool_inline_and_every_pool_an_agent_pool(example_graphs: dict[str, ResourceGraph]) -> None:
    """The cluster is created with a System pool of AKS's documented minimum (the API model alone would take
    fewer nodes) and ignores agentPoolProfiles afterwards; the spec's System pool and every spec pool are
    AgentPools."""
    assert _model_system_pool_minimum() <= DOC_SYSTEM_MIN_NODES  # the documented rule is the binding one
    graph = example_graphs["inference"]
    mc = graph.one(MC)
    [bootstrap] = mc.get("agentPoolProfiles")
    assert bootstrap["mode"] == "System"
    assert bootstrap["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert bootstrap["vmSize"] == "Standard_D4s_v5"  # ctx.instance of the 4 vCPU / 16 GiB system shape
    assert bootstrap["count"] == DOC_SYSTEM_MIN_NODES
    assert "agentPoolProfiles" in mc.ignore_changes
    system = system_agent_pool(graph)
    assert system.get("mode") == "System" and system.get("nodeTaints") == ["CriticalAddonsOnly=true:NoSchedule"]
    assert system.get("vmSize") == "Standard_D4s_v5"
    assert system.get("count") == DOC_SYSTEM_RECOMMENDED_NODES and system.get("availabilityZones") == ["1", "2", "3"]
    assert system.get("agentPoolName") != bootstrap["name"]
    assert not system.delete_before_replace  # a new name: create-before-delete keeps a System pool running
    for pool in pools(graph).values():
        assert pool.get("mode") == "User"
        assert pool.get("resourceName") == graph.one(MC).get("resourceName")


def test_every_system_pool_meets_the_documented_minimum(example_graphs: dict[str, ResourceGraph]) -> None:
    """use-system-pools.md@fb060ab:77-79 on every example, zonal and regional: at least two nodes (three, one per
    zone, when the nodes span three zones; all in the one zone otherwise), at least 4 vCPUs, no B series."""
    seen = set()
    for name, graph in example_graphs.items():
        zonal = graph.one(MC).get("agentPoolProfiles")[0]["availabilityZones"] == ["1"]
        seen.add(zonal)
        for pool, count, size, zones in _system_pools(graph):
            found = AZURE_SIZE.match(size)
            assert found, (name, pool, size)
            assert int(found["vcpus"]) >= DOC_SYSTEM_MIN_VCPUS and found["family"] != "B", (name, pool, size)
            assert count >= DOC_SYSTEM_MIN_NODES, (name, pool, count)
            if zonal:
                assert zones == ["1"], (name, pool, zones)
            elif pool != graph.one(MC).get("agentPoolProfiles")[0]["name"]:  # the managed one: one node per zone
                assert zones == ["1", "2", "3"] and count >= DOC_SYSTEM_RECOMMENDED_NODES, (name, pool, zones, count)
    assert seen == {True, False}  # both kinds of cluster are among the examples


def test_autoscaling_spot_taints_labels_and_disk(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["inference"]
    by_name = pools(graph)
    gpu, system = by_name["gpu"], by_name["system"]
    assert gpu.get("enableAutoScaling") is True
    assert (gpu.get("minCount"), gpu.get("maxCount"), gpu.get("count")) == (1, 8, 1)
    assert gpu.get("scaleSetPriority") == "Spot"
    assert gpu.get("scaleSetEvictionPolicy") == "Delete"
    assert gpu.get("spotMaxPrice") == -1
    assert gpu.get("nodeTaints") == ["nvidia.com/gpu=present:NoSchedule"]
    assert gpu.get("nodeLabels") == {"accelerator": "nvidia-l4"}
    assert gpu.get("gpuProfile") == {"driver": "Install"}
    assert gpu.get("osDiskSizeGB") == 200 and gpu.get("osDiskType") == "Managed"
    assert gpu.get("vmSize") == graph.instances["gpu"].name == "Standard_D8s_v5"
    assert gpu.get("upgradeSettings") is None  # AKS has no surge nodes for spot pools
    assert system.get("upgradeSettings") == {"maxSurge": "1", "maxUnavailable": "0"}
    surge = {n.field: n for n in graph.parity}["spec.upgrades.maxSurge"]
    assert surge.status == "emulated" and "gpu" in surge.detail
    assert system.get("enableAutoScaling") is False and system.get("count") == 2
    assert system.get("scaleSetPriority") is None and system.get("nodeTaints") is None
    gpu_kind = {n.field: n for n in graph.parity}["spec.nodePools[].machine.gpu.kind"]
    assert gpu_kind.status == "emulated" and "nvidia-l4" in gpu_kind.detail


def test_max_surge_and_unavailable(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["shop-mesh"]  # maxSurge: 2
    for pool in pools(graph).values():
        assert pool.get("upgradeSettings") == {"maxSurge": "2", "maxUnavailable": "0"}
    assert graph.one(MC).get("agentPoolProfiles.0.upgradeSettings.maxSurge") == "2"
    assert system_agent_pool(graph).get("upgradeSettings") == {"maxSurge": "2", "maxUnavailable": "0"}


def test_taint_without_value_and_os_choice(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(
        load_spec,
        tail=(
            "    - name: ubuntu-pool\n"
            "      machine: {vcpus: 2, memoryGiB: 8}\n"
            "      count: 1\n"
            "      os: ubuntu\n"
            "      taints: [{key: dedicated, effect: NoExecute}]\n"
        ),
    )
    by_name = pools(aks(spec))
    assert by_name["ubuntu-pool"].get("osSKU") == "Ubuntu"
    assert by_name["ubuntu-pool"].get("nodeTaints") == ["dedicated:NoExecute"]
    assert by_name["general"].get("osSKU") == "AzureLinux"
    assert by_name["general"].get("workloadRuntime") == "OCIContainer"


def test_kata_when_sandboxed(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["tenants"]
    [pool] = pools(graph).values()
    assert pool.get("workloadRuntime") == "KataVmIsolation"
    assert pool.get("osSKU") == "AzureLinux"
    assert {n.field: n.status for n in graph.parity}["spec.tenancy.isolation"] == "native"


def test_kata_forces_azure_linux_and_skips_gpu_pools(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(
        load_spec,
        tail=(
            "    - name: gpu\n"
            "      machine: {vcpus: 8, memoryGiB: 32, gpu: {kind: nvidia-t4}}\n"
            "      count: 1\n"
            "    - name: ubu\n"
            "      machine: {vcpus: 4, memoryGiB: 16}\n"
            "      count: 1\n"
            "      os: ubuntu\n"
            "  tenancy: {isolation: sandboxed}\n"
        ),
    )
    graph = aks(spec)
    by_name = pools(graph)
    assert (
        by_name["ubu"].get("osSKU") == "AzureLinux"
        and by_name["ubu"].get("workloadRuntime") == "KataVmIsolation"
    )
    assert by_name["gpu"].get("workloadRuntime") == "OCIContainer"
    parity = {n.field: n for n in graph.parity}
    assert parity["spec.nodePools[].os"].status == "emulated"
    assert (
        parity["spec.tenancy.isolation"].status == "emulated"
        and "gpu" in parity["spec.tenancy.isolation"].detail
    )


# ---- names --------------------------------------------------------------------------------------


def test_names_legal_and_deterministic(example_graphs: dict[str, ResourceGraph]) -> None:
    for graph in example_graphs.values():
        mc = graph.one(MC)
        system_name = mc.get("agentPoolProfiles.0.name")
        names = [p.get("agentPoolName") for p in graph.of_type(POOL)] + [system_name]
        assert all(AKS_POOL_NAME.match(n) for n in names), names
        assert len(set(names)) == len(names)
        assert len(mc.get("resourceName")) <= 63 and len(mc.get("dnsPrefix")) <= 54
        assert re.match(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$", mc.get("dnsPrefix"))
        assert len(mc.get("nodeResourceGroup")) <= 80
    spec = example("sweet-spot.yaml")
    assert json.dumps(aks(spec).as_json(), sort_keys=True) == json.dumps(
        example_graphs["sweet-spot"].as_json(), sort_keys=True
    )


def test_long_pool_names_are_cut_but_distinct(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(
        load_spec,
        name="a-rather-long-cluster-name-for-azure-xyz",
        tail=(
            "    - name: memory-optimised-one\n      machine: {vcpus: 2, memoryGiB: 16}\n      count: 1\n"
            "    - name: memory-optimised-two\n      machine: {vcpus: 2, memoryGiB: 16}\n      count: 1\n"
        ),
    )
    names = {p.name: t.pool_name_for(spec, p.name) for p in spec.spec.node_pools}
    assert all(AKS_POOL_NAME.match(n) for n in names.values())
    assert names["memory-optimised-one"] != names["memory-optimised-two"]
    assert names["memory-optimised-one"].startswith("memoryop")


# ---- mesh ---------------------------------------------------------------------------------------


def test_istio_managed_uses_the_addon_with_a_revision(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["shop-mesh"]
    assert graph.one(MC).get("serviceMeshProfile") == {
        "mode": "Istio",
        # shop-mesh runs 1.35: the newest add-on revision compatible with 1.35 in the AKS Istio add-on
        # release calendar (MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/istio-support-policy.md:39)
        "istio": {"revisions": ["asm-1-30"]},
    }
    assert graph.of_type(RELEASE) == []


def test_istio_managed_revision_and_ambient(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = inline(
        load_spec, tail="  addons: {istio: {mode: managed, dataPlane: ambient, revision: asm-1-25}}\n"
    )
    graph = aks(spec)
    assert graph.one(MC).get("serviceMeshProfile.istio.revisions") == ["asm-1-25"]
    note = {n.field: n for n in graph.parity}["spec.addons.istio.dataPlane"]
    assert note.status == "unsupported" and "sidecar" in note.detail


def test_istio_self_managed_installs_helm_releases(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["tenants"]  # self-managed, ambient
    assert graph.one(MC).get("serviceMeshProfile") is None
    releases = graph.of_type(RELEASE)
    assert sorted(r.get("chart") for r in releases) == ["base", "cni", "istiod", "ztunnel"]
    assert {r.get("repositoryOpts.repo") for r in releases} == {
        "https://istio-release.storage.googleapis.com/charts"
    }
    [k8s] = graph.of_type(K8S_PROVIDER)
    assert k8s.get("kubeconfig") == SECRET
    mode = {n.field: n for n in graph.parity}["spec.addons.istio.mode"]
    assert mode.status == "emulated" and "private" in mode.detail


# ---- upgrades -----------------------------------------------------------------------------------


def test_maintenance_configurations_follow_the_window(example_graphs: dict[str, ResourceGraph]) -> None:
    graph = example_graphs["shop-mesh"]  # sat 22:00 for 6h
    configs = {r.get("configName"): r for r in graph.of_type(MAINT)}
    assert set(configs) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for cfg in configs.values():
        assert cfg.get("maintenanceWindow") == {
            "schedule": {"weekly": {"dayOfWeek": "Saturday", "intervalWeeks": 1}},
            "startTime": "22:00",
            "durationHours": 6,
            "utcOffset": "+00:00",
        }
        assert cfg.get("resourceName") == graph.one(MC).get("resourceName")


def test_no_window_no_schedule_and_blue_green_reported(example_graphs: dict[str, ResourceGraph]) -> None:
    assert example_graphs["orders-staging"].of_type(MAINT) == []
    inference = {n.field: n for n in example_graphs["inference"].parity}
    assert inference["spec.upgrades.strategy"].status == "unsupported"


# ---- secrets, kubeconfig, real types ------------------------------------------------------------

SEEDED = "kubefleet-seeded-secret-7f3c9a"


def test_secrets_never_leak(load_spec: Callable[[str], ClusterSpec], monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed the credentials AKS lists with a token and a recognisable CA; neither may reach the graph."""
    original = aks_mocks._credential_kubeconfig

    def seeded(cluster: str, group: str) -> str:
        doc = json.loads(base64.b64decode(original(cluster, group)))
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
            SEEDED.encode()
        ).decode()
        doc["users"][0]["user"] = {"token": SEEDED}
        return base64.b64encode(json.dumps(doc).encode()).decode()

    monkeypatch.setattr(aks_mocks, "_credential_kubeconfig", seeded)
    spec = inline(load_spec, tail="  addons: {istio: {mode: self-managed}}\n")
    graph = aks(spec)
    text = json.dumps(graph.as_json()) + json.dumps(graph.outputs)
    encoded = base64.b64encode(SEEDED.encode()).decode()
    assert SEEDED not in text and encoded not in text
    assert graph.outputs["kubeconfig"] == SECRET
    assert graph.one(K8S_PROVIDER).get("kubeconfig") == SECRET


def test_kubeconfig_uses_kubelogin_and_no_token() -> None:
    creds = json.loads(base64.b64decode(aks_mocks._credential_kubeconfig("c1", "rg1")))
    encoded = base64.b64encode(json.dumps(creds).encode()).decode()
    ca = ca_from_kubeconfig(encoded)
    assert ca == aks_mocks.offline_ca("c1")
    config = json.loads(render_kubeconfig("c1", "https://c1.hcp.eastus.azmk8s.io:443", ca))
    assert config["clusters"][0]["cluster"] == {
        "server": "https://c1.hcp.eastus.azmk8s.io:443",
        "certificate-authority-data": ca,
    }
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["command"] == "kubelogin"
    assert "get-token" in user["exec"]["args"]
    assert "token" not in json.dumps(user).replace("get-token", "")


def test_kubeconfig_is_built_from_the_cluster_endpoint_and_ca(
    example_graphs: dict[str, ResourceGraph], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubefleet.providers.aks import kubeconfig

    seen: list[tuple[str, str, str]] = []
    real = kubeconfig.render_kubeconfig

    def recording(name: str, server: str, ca: str) -> str:
        seen.append((name, server, ca))
        return real(name, server, ca)

    monkeypatch.setattr(kubeconfig, "render_kubeconfig", recording)
    graph = aks(example("istio-microservices.yaml"))
    cluster = graph.one(MC).get("resourceName")
    assert seen == [(cluster, graph.outputs["endpoint"], aks_mocks.offline_ca(cluster))]
    assert graph.outputs["endpoint"] == example_graphs["shop-mesh"].outputs["endpoint"]


def test_misspelt_sdk_argument_fails_under_render(
    load_spec: Callable[[str], ClusterSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_azure_native import containerservice

    from kubefleet.providers.aks import nodepool

    def misspelt(spec: ClusterSpec) -> Any:
        return containerservice.AgentPoolUpgradeSettingsArgs(max_surg=t.max_surge(spec))

    monkeypatch.setattr(nodepool, "_upgrade_settings", misspelt)
    with pytest.raises(RenderError, match="max_surg"):
        aks(inline(load_spec))


def test_mock_call_answers_only_what_it_knows() -> None:
    adapter = AksAdapter()
    assert adapter.mock_call("azure-native:containerservice:listManagedClusterAdminCredentials", {}) is None
    with pytest.raises(Exception, match="ResourceNotFound"):  # offline nothing is deployed
        adapter.mock_call("azure-native:containerservice:getManagedCluster", {"resourceName": "x"})
    cfg = adapter.mock_call("azure-native:authorization:getClientConfig", {})
    assert cfg is not None and cfg == adapter.mock_call("azure-native:authorization:getClientConfig", {})


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    code = (
        "import sys, kubefleet.providers.aks as a; a.AksAdapter().field_support; "
        "print('pulumi_azure_native' in sys.modules, 'pulumi_kubernetes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---- secrets encryption (KMS) and workload identity ---------------------------------------------------

KMS_TAIL = (
    "  providers:\n    aks:\n      kms:\n"
    "        keyId: https://kv-shop.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef\n"
    "        keyVaultResourceId: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/"
    "providers/Microsoft.KeyVault/vaults/kv-shop\n"
)


def _model_doc(cls: str, attr: str) -> str:
    models = importlib.import_module("azure.mgmt.containerservice.models")
    doc = inspect.getdoc(getattr(models, cls)) or ""
    return " ".join(doc.split(f":ivar {attr}:", 1)[1].split(":ivar", 1)[0].split())


def test_kms_uses_a_user_assigned_identity_granted_on_the_vault_before_the_cluster(
        load_spec: Callable[[str], ClusterSpec]) -> None:
    """use-kms-etcd-encryption.md@fb060ab:54 ("KMS etcd encryption doesn't work with system-assigned managed
    identity"), :153-156 (Key Vault Crypto User on the vault); the AKS API model (ARM 2025-09-01) accepts the
    body, and for a public vault keyVaultResourceId is left empty as its text asks."""
    from kubefleet.providers import verify_graph

    graph = aks(inline(load_spec, tail=KMS_TAIL))
    mc = graph.one(MC)
    identity = graph.one("azure-native:managedidentity:UserAssignedIdentity")
    assert mc.get("identity") == {"type": "UserAssigned", "userAssignedIdentities": [f"{identity.name}-id"]}
    kms = mc.get("securityProfile.azureKeyVaultKms")
    assert kms == {"enabled": True, "keyId": "https://kv-shop.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef",
                   "keyVaultNetworkAccess": "Public"}
    assert "When keyVaultNetworkAccess is ``Public``\\ , leave the field empty" in _model_doc(
        "AzureKeyVaultKms", "key_vault_resource_id")
    grants = {r.name: r for r in graph.of_type("azure-native:authorization:RoleAssignment")}
    crypto = grants["inline-kms-crypto-user"]
    assert crypto.get("scope").endswith("/Microsoft.KeyVault/vaults/kv-shop")
    assert crypto.get("roleDefinitionId").endswith("/roleDefinitions/" + t.KEY_VAULT_CRYPTO_USER)
    assert crypto.get("principalId") == aks_mocks.mock_outputs(
        "azure-native:managedidentity:UserAssignedIdentity", identity.name, identity.inputs)["principalId"]
    subnet = grants["inline-subnet-user-assigned-network-contributor"]
    assert subnet.get("principalId") == crypto.get("principalId")  # the same identity, granted before the cluster
    assert crypto.parent_name == identity.name and subnet.parent_name == identity.name
    report = verify_graph(graph)
    assert report.violations == [], report.violations
    parity = {n.field: n for n in graph.parity}
    assert "securityProfile.azureKeyVaultKms" in parity["spec.providers.aks.kms.keyId"].detail


def test_workload_identity_is_on_by_default_and_can_be_turned_off(load_spec: Callable[[str], ClusterSpec]) -> None:
    on = aks(inline(load_spec)).one(MC)
    assert on.get("oidcIssuerProfile.enabled") is True and on.get("securityProfile.workloadIdentity.enabled") is True
    assert on.get("identity") == {"type": "SystemAssigned"} and on.get("securityProfile.azureKeyVaultKms") is None
    off = aks(inline(load_spec, tail="  providers:\n    aks: {workloadIdentity: false}\n")).one(MC)
    assert off.get("oidcIssuerProfile.enabled") is False and off.get("securityProfile.workloadIdentity.enabled") is False


@pytest.mark.parametrize(("key_id", "vault_id", "where"), [
    ("https://kv-shop.vault.azure.net/keys/etcd", "/subscriptions/00000000-0000-0000-0000-000000000001/"
     "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shop", "keyId"),  # no version
    ("https://kv-shop.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef", "/subscriptions/"
     "00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-else",
     "keyVaultResourceId"),  # another vault
])
def test_kms_fields_are_validated_at_their_line(tmp_path: Any, key_id: str, vault_id: str, where: str) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    text = BASE.format(name="kms", channel="stable", tier="standard", endpoint="public", extra_cp="") + (
        f"  providers:\n    aks:\n      kms:\n        keyId: {key_id}\n        keyVaultResourceId: {vault_id}\n")
    path = tmp_path / "kms.yaml"
    path.write_text(text.replace("kubernetes: {version", "provider: aks\n  kubernetes: {version"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.strip().startswith(where))
    assert result.exit_code == 2 and f"kms.yaml:{line}:" in result.output, result.output


PIP = "azure-native:network:PublicIPAddress"
NAT = "azure-native:network:NatGateway"
SUBNET = "azure-native:network:Subnet"


def test_why_not_a_nat_gateway_the_installed_sdk() -> None:
    """The zone-redundant StandardV2 NAT gateway (nat-gateway.md@fb060ab:234-235: a Standard one "provides
    resiliency only within the availability zone in which you deploy it") is not in the network API version
    the installed pulumi-azure-native speaks: its enum and its docstring say so."""
    import pulumi_azure_native.network as network

    assert [e.value for e in network.NatGatewaySkuName] == ["Standard"]
    assert "Uses Azure REST API version 2024-05-01." in inspect.getsource(network.nat_gateway)
    # the load balancer's outbound IP: a Standard SKU with zones (load balancers "only support Standard SKU IP
    # addresses", load-balancer-standard.md@fb060ab:48)
    assert "Standard" in [e.value for e in network.PublicIPAddressSkuName]


@pytest.mark.parametrize("availability", ["regional", "zonal"])
def test_private_egress_ip_is_zone_redundant_whatever_the_nodes_zones(
        load_spec: Callable[[str], ClusterSpec], availability: str) -> None:
    """The egress IP is a Standard public IP in zones 1, 2 and 3: "A zone-redundant public IP address used for
    outbound connections is served by all zones" and "can serve a zonal resource in any zone"
    (MicrosoftDocs/azure-docs@9ebaa0fec53a2507c4df2ed74cc7a307aa53e4ff:articles/load-balancer/
    load-balancer-standard-availability-zones.md, "Outbound connections", "Automatic zone-redundancy"); the
    single-zone cluster's nodes are in one of its zones."""
    cp = f", availability: {availability}" + (", replicas: 1" if availability == "zonal" else "")
    graph = aks(inline(load_spec, extra_cp=cp, tail="  network: {privateNodes: true}\n"))
    [ip] = graph.of_type(PIP)
    assert ip.get("zones") == ["1", "2", "3"]
    assert ip.get("sku") == {"name": "Standard", "tier": "Regional"} and ip.get("publicIPAllocationMethod") == "Static"
    nodes = graph.one(MC).get("agentPoolProfiles.0.availabilityZones")
    assert set(nodes) <= set(ip.get("zones")) and (nodes == ["1"]) == (availability == "zonal")
    assert graph.of_type(NAT) == []
    grants = {r.name: r for r in graph.of_type("azure-native:authorization:RoleAssignment")}
    # the cluster identity joins the IP to its load balancer (aks-service-permissions.md@fb060ab:31,45)
    assert grants["inline-egress-ip-network-contributor"].get("scope") == f"{ip.name}-id"


def test_zones_change_leaves_the_egress_ip(load_spec: Callable[[str], ClusterSpec]) -> None:
    """Day 2: an IP's zonality "isn't alterable" (recreate it: load-balancer-standard-availability-zones.md,
    "Frontend") and pulumi-azure-native would send a zones change as an update (zones is not in the generated
    replace table): the egress IP's zones never follow the cluster's, so zonal <-> regional leaves it as it is."""
    from kubefleet.changes import replace
    from kubefleet.changes.diff import diff_graphs

    assert "zones" not in replace.replace_paths(PIP)
    tail = "  network: {privateNodes: true}\n"
    zonal = aks(inline(load_spec, extra_cp=", availability: zonal, replicas: 1", tail=tail))
    regional = aks(inline(load_spec, extra_cp=", availability: regional", tail=tail))
    ops = {f"{d.change.type}::{d.change.name}": d.change.op for d in diff_graphs(zonal, regional)}
    assert ops[f"{PIP}::inline-egress-ip"] == "same" and ops[f"{MC}::inline-aks"] != "replace"


def _legacy(monkeypatch: pytest.MonkeyPatch, answer: str | None, pools: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Make `up`'s question to Azure answer a running cluster with outboundType ``answer`` (None: no cluster yet)
    and ``pools``; record the asks."""
    import kubefleet.providers.aks.cluster as cluster_module
    from kubefleet.providers.aks.network import LiveCluster

    asked: list[tuple[str, str]] = []

    def live(group: str, cluster: str, opts: Any) -> LiveCluster | None:
        asked.append((group, cluster))
        return None if answer is None else LiveCluster(answer, pools)

    monkeypatch.setattr(cluster_module, "live_cluster", live)
    return asked


def test_an_older_kubefleets_nat_cluster_keeps_its_egress_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A running cluster an older kubefleet created egresses through a NAT gateway (outboundType
    userAssignedNATGateway). outboundType is create-only in pulumi-azure-native (the generated replace table) and
    "can only be set at cluster creation time" in the API model, so changing it would replace the cluster:
    `up` keeps every egress input exactly as that kubefleet declared it (tests/data/aks/legacy-nat-egress.json,
    its render of sweet-spot) and adds only the zone-redundant IP and its grant, for the migration
    (egress-outboundtype.md@fb060ab:130: AKS itself migrates a BYO VNet from userAssignedNATGateway to
    loadBalancer)."""
    from kubefleet.changes import replace

    assert "networkProfile.outboundType" in replace.replace_paths(MC)
    models = importlib.import_module("azure.mgmt.containerservice.models")
    assert "can only be set at cluster creation time" in " ".join(
        (inspect.getdoc(models.ContainerServiceNetworkProfile) or "").split())
    asked = _legacy(monkeypatch, "userAssignedNATGateway")
    graph = aks(example("sweet-spot.yaml"))
    assert asked == [("rg-payments-prod", graph.one(MC).get("resourceName"))]
    before = json.loads((ROOT / "tests/data/aks/legacy-nat-egress.json").read_text())["resources"]
    for key, inputs in before.items():
        type_, name = key.split("::")
        [now] = [r for r in graph.of_type(type_) if r.name == name]
        if type_ == MC:
            assert now.get("networkProfile") == inputs["networkProfile"], key
        else:
            assert now.inputs == inputs, key
    new = {f"{r.type}::{r.name}" for r in graph.resources if r.custom} - set(before)
    assert {k for k in new if k.startswith(("azure-native:network:", "azure-native:authorization:"))
            and "egress" in k} == {f"{PIP}::sweet-spot-egress-ip",
                                   "azure-native:authorization:RoleAssignment::sweet-spot-egress-ip-network-contributor"}
    assert "zone-redundant" in {n.field: n for n in graph.parity}["spec.network.privateNodes"].detail


@pytest.mark.parametrize("answer", [None, "loadBalancer"])
def test_a_new_or_migrated_cluster_gets_the_load_balancer_egress(monkeypatch: pytest.MonkeyPatch,
                                                                answer: str | None) -> None:
    """No cluster yet (None), or one migrated with `az aks update --outbound-type loadBalancer`: no NAT gateway."""
    _legacy(monkeypatch, answer)
    graph = aks(example("sweet-spot.yaml"))
    assert graph.of_type(NAT) == [] and graph.one(MC).get("networkProfile.outboundType") == "loadBalancer"


def test_public_nodes_keep_the_aks_managed_outbound_ip(monkeypatch: pytest.MonkeyPatch,
                                                      example_graphs: dict[str, ResourceGraph]) -> None:
    _legacy(monkeypatch, "loadBalancer")
    graph = aks(example_graphs["orders-staging"].spec)
    assert graph.of_type(PIP) == [] and graph.one(MC).get("networkProfile.loadBalancerProfile") is None


def test_an_older_kubefleets_inline_system_pool_is_named(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A cluster an older kubefleet created runs its System pool inline under the name the bootstrap pool has
    now (3 x the 2 vCPU / 8 GiB size on a regional cluster: e1b02c0^ providers/aks/nodepool.py
    system_pool_profile, resolve/pools.py). agentPoolProfiles is ignored after creation and azure-native
    re-sends it with every cluster PUT (pulumi/pulumi-azure-native#2719), so it stays beside the System
    AgentPool: `up` says what it runs. A cluster this version created is not named."""
    spec = example("sweet-spot.yaml")
    from kubefleet.providers.aks.network import LivePool

    inline_pool = LivePool(t.system_pool_name(spec), "Standard_D2s_v5", 3)
    _legacy(monkeypatch, "loadBalancer", (inline_pool, LivePool("sys1234", "Standard_D4s_v5", 3)))
    with caplog.at_level("WARNING"):
        aks(spec)
    [said] = [r.getMessage() for r in caplog.records if inline_pool.name in r.getMessage()]
    assert "3 x Standard_D2s_v5" in said and "2 x Standard_D4s_v5" in said and "#2719" in said
    caplog.clear()
    _legacy(monkeypatch, "loadBalancer", (LivePool(t.system_pool_name(spec), "Standard_D4s_v5", 2),))
    with caplog.at_level("WARNING"):
        aks(spec)
    assert not [r for r in caplog.records if "System pool" in r.getMessage()]
    _legacy(monkeypatch, "loadBalancer", (LivePool(t.system_pool_name(spec), "Standard_D2s_v5", 1),))
    with caplog.at_level("WARNING"):
        aks(spec)
    assert any("below AKS's documented System pool minimum" in r.getMessage() for r in caplog.records)


def test_turning_kms_on_replaces_the_subnet_grant_under_a_new_name(load_spec: Callable[[str], ClusterSpec]) -> None:
    """Day 2: KMS on an existing cluster moves the control plane to the user-assigned identity. principalId
    replaces a role assignment (the generated replace table), so the identity's grant gets its own name: the
    new grant is created and the old one deleted, no two assignments under one name."""
    from kubefleet.changes import replace
    from kubefleet.changes.diff import diff_graphs

    assert "principalId" in replace.replace_paths("azure-native:authorization:RoleAssignment")
    before, after = aks(inline(load_spec)), aks(inline(load_spec, tail=KMS_TAIL))
    ops = {d.change.name: d.change.op for d in diff_graphs(before, after)}
    assert ops["inline-subnet-network-contributor"] == "delete"
    assert ops["inline-subnet-user-assigned-network-contributor"] == "create"
    assert ops["inline-identity"] == "create" and ops["inline-aks"] == "update"
    names = {r.get("roleAssignmentName") for g in (before, after)
             for r in g.of_type("azure-native:authorization:RoleAssignment") if "subnet" in r.name}
    assert len(names) == 2

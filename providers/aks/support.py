"""How AKS realises every spec field (the parity table), spec-sensitive where the answer depends on it."""

from __future__ import annotations

from typing import Final

from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.gpu import DEVICE_PLUGIN_IMAGE
from kubefleet.providers.base import Support, emulated, native, unsupported
from kubefleet.resolve.model import MeshRevision, ResolvedCluster
from kubefleet.spec.model import ClusterSpec

#: GPUs Azure sells as VM sizes (NCasT4_v3, NC A100 v4 / ND A100 v4, NC H100 v5 / ND H100 v5).
AZURE_GPUS = ("nvidia-t4", "nvidia-a100", "nvidia-h100")


def _gpu_kind(spec: ClusterSpec) -> Support:
    missing = sorted({p.machine.gpu.kind for p in spec.spec.node_pools if p.machine.gpu} - set(AZURE_GPUS))
    if missing:
        return emulated(
            f"Azure sells no VM size with {', '.join(missing)}; the nearest GPU size is matched "
            "(see the instance note); gpuProfile driver Install" + _device_plugin(spec)
        )
    return native("matched to an N-series VM size; gpuProfile driver Install" + _device_plugin(spec))


#: Kubernetes objects declared in the program (Helm releases, the device plugin) need the API server.
#: API Server VNet Integration projects it into a delegated subnet of the cluster's own VNet
#: (MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/api-server-vnet-integration.md:18,37), still inside
#: the network; `az aks command invoke` runs one kubectl/helm command through ARM
#: (access-private-cluster.md:21), which no Pulumi Kubernetes provider can use. So no AKS route lets a
#: runner outside the network reach a private API server, and parity says so.
PRIVATE_RUNNER: Final = (
    "the API server is private, so `up` must run from its VNet or a peered network: API Server VNet "
    "Integration still places the endpoint inside the VNet, and `az aks command invoke` runs one "
    "kubectl/helm command, not a Pulumi provider"
)


def _device_plugin(spec: ClusterSpec) -> str:
    text = (f"; NVIDIA device plugin DaemonSet ({DEVICE_PLUGIN_IMAGE}) on the GPU pools so nvidia.com/gpu is "
            "advertised (AKS installs the driver only)")
    if t.private_endpoint(spec):
        text += "; " + PRIVATE_RUNNER
    return text


def _tier(spec: ClusterSpec) -> Support:
    asked = spec.spec.control_plane.tier
    if spec.spec.kubernetes.channel == "extended" and asked != "premium":
        return emulated(
            f"tier {asked} is raised to sku.tier Premium: AKS long-term support (the extended channel) "
            "is only sold with the Premium tier"
        )
    return native(f"ManagedCluster sku {{name: Base, tier: {t.sku_tier(spec)}}}")


def _channel(spec: ClusterSpec) -> Support:
    channel = spec.spec.kubernetes.channel
    aks = t.upgrade_channel(spec)
    if channel == "extended":
        return native(
            "autoUpgradeProfile.upgradeChannel patch with supportPlan AKSLongTermSupport (Premium tier): "
            "the minor stays for AKS's two-year LTS window, patches only"
        )
    if channel == "regular":
        return emulated(
            "AKS has no 'regular' channel; mapped to upgradeChannel stable (latest patch of minor N-1), "
            "the same as 'stable' — AKS's only other minor-following channel is rapid"
        )
    if channel == "stable":
        return native("autoUpgradeProfile.upgradeChannel stable (latest patch of the N-1 minor)")
    if channel == "none":
        return native(
            "autoUpgradeProfile.upgradeChannel none: no automatic Kubernetes upgrades; node OS security "
            "patching stays on (nodeOSUpgradeChannel SecurityPatch, not None)"
        )
    return native(f"autoUpgradeProfile.upgradeChannel {aks} (latest patch of the newest minor)")


def _authorized(spec: ClusterSpec) -> Support:
    cp = spec.spec.control_plane
    if cp.endpoint == "private" and cp.authorized_networks:
        return unsupported(
            "AKS accepts authorizedIPRanges only on a public API server; this private cluster's endpoint is "
            "reachable only from its VNet (and peered networks), so the ranges are not applied"
        )
    if t.needs_egress_range(spec):
        return native("apiServerAccessProfile.authorizedIPRanges on the public API server, plus the private "
                      "nodes' static egress IP (/32) so they can reach it")
    return native("apiServerAccessProfile.authorizedIPRanges on the public API server (AKS adds the load "
                  "balancer's outbound IP itself)")


def _mode(ctx: ResolvedCluster) -> Support:
    spec = ctx.spec
    mode = spec.spec.addons.istio.mode
    if mode == "managed":
        return native(f"serviceMeshProfile mode Istio (AKS Istio add-on), revision {_revision_of(ctx).revision}")
    if mode == "self-managed":
        detail = "upstream Istio charts (base, istiod; cni + ztunnel for ambient) as Helm Releases"
        if t.private_endpoint(spec):
            detail += "; " + PRIVATE_RUNNER
        return emulated(detail)
    return native("no mesh installed")


def _data_plane(spec: ClusterSpec) -> Support:
    istio = spec.spec.addons.istio
    if istio.mode == "managed" and istio.data_plane == "ambient":
        return unsupported(
            "the AKS Istio add-on runs sidecars only (no ambient/ztunnel); the add-on is installed in sidecar "
            "mode — use mode self-managed for ambient"
        )
    if istio.mode == "self-managed":
        return emulated(f"Helm chart values for the {istio.data_plane} data plane")
    if istio.mode == "managed":
        return native("the AKS Istio add-on injects sidecars into labelled namespaces")
    return native("no mesh installed; nothing to configure")


def _revision_of(ctx: ResolvedCluster) -> MeshRevision:
    if ctx.mesh_revision is None:
        raise ValueError("an AKS cluster is resolved with its add-on revision (kubefleet.resolve.cluster)")
    return ctx.mesh_revision


def _revision(ctx: ResolvedCluster) -> Support:
    spec = ctx.spec
    istio = spec.spec.addons.istio
    if istio.mode == "managed":
        given = ("from the spec" if istio.revision else
                 f"default: the newest add-on revision compatible with Kubernetes "
                 f"{'.'.join(spec.spec.kubernetes.version.split('.')[:2])} as of {_revision_of(ctx).on.isoformat()} "
                 "(AKS Istio add-on release calendar, kubefleet/catalog/data/compat-aks.yaml)")
        return native(f"serviceMeshProfile.istio.revisions [{_revision_of(ctx).revision}] ({given})")
    if istio.mode == "self-managed":
        if istio.revision and istio.revision.startswith("asm-"):
            return unsupported(
                "asm-* names an AKS add-on revision; upstream charts install the pinned chart version"
            )
        return emulated("istiod `revision` value of the Helm charts (pinned chart version otherwise)")
    return native("no mesh installed; nothing to configure")


def _isolation(spec: ClusterSpec) -> Support:
    if not t.sandboxed(spec):
        return native("runc containers on shared node kernels (workloadRuntime OCIContainer)")
    gpu_pools = [p.name for p in spec.spec.node_pools if p.machine.gpu]
    detail = (
        "Pod Sandboxing: workloadRuntime KataVmIsolation (Kata Containers; AKS offers no gVisor) on Azure Linux "
        "pools of generation 2 VM sizes with nested virtualization (`validate` refuses a pinned size without); "
        "pods opt in with runtimeClassName kata-vm-isolation"
    )
    if gpu_pools:
        return emulated(
            detail + f"; GPU pools ({', '.join(gpu_pools)}) stay on runc — Kata passes no GPUs through"
        )
    return native(detail)


def _os(spec: ClusterSpec) -> Support:
    forced = [p.name for p in spec.spec.node_pools if p.os == "ubuntu" and t.kata(spec, p)]
    if forced:
        return emulated(
            f"pools {', '.join(forced)} run Azure Linux instead of Ubuntu: Kata pod sandboxing needs Azure Linux"
        )
    return native("osSKU AzureLinux (Microsoft's container host) by default, Ubuntu for os: ubuntu")


def _strategy(spec: ClusterSpec) -> Support:
    if spec.spec.upgrades.strategy == "blue-green":
        return unsupported(
            "AKS upgrades node pools in place by surge (the GA API has no blue-green node pool upgrade); "
            "the surge settings are used — blue-green means adding a pool and draining the old one yourself"
        )
    return native("agent pool upgradeSettings (surge upgrade is AKS's node pool upgrade)")


def _surge(spec: ClusterSpec, field: str) -> Support:
    spot = [p.name for p in spec.spec.node_pools if p.spot]
    if spot:
        return emulated(
            f"AgentPool upgradeSettings.{field} on regular pools; spot pools ({', '.join(spot)}) are upgraded "
            "by AKS without surge nodes (cordon + eviction), so it does not apply to them"
        )
    return native(f"AgentPool upgradeSettings.{field}")


def _window(spec: ClusterSpec, part: str) -> Support:
    if spec.spec.upgrades.maintenance_window is None:
        return native("no window set: AKS applies channel upgrades at any time")
    if spec.spec.kubernetes.channel == "none":
        return native(f"MaintenanceConfiguration {t.NODE_OS_SCHEDULE} only (channel none: no Kubernetes "
                      f"upgrades to schedule, node OS patching stays on): weekly schedule, {part}")
    return native(
        f"MaintenanceConfiguration {t.AUTO_UPGRADE_SCHEDULE} and {t.NODE_OS_SCHEDULE}: weekly schedule, {part}"
    )


def _private_nodes(spec: ClusterSpec) -> Support:
    if spec.spec.network.private_nodes:
        return native(
            "AKS nodes have no public IPs; egress through the cluster's Standard load balancer (outboundType "
            "loadBalancer) from one static Standard public IP kubefleet owns, zone-redundant (zones 1, 2, 3) "
            "whatever zones the nodes use, so egress survives a zone outage and the address stays when zones "
            "change. Not a NAT gateway: a Standard NAT gateway lives in one zone (\"resiliency only within the "
            "availability zone in which you deploy it\"), and the zone-redundant StandardV2 NAT gateway is not in "
            "the network API version pulumi-azure-native 3.x speaks (2024-05-01: NAT gateway SKU Standard only). "
            "A cluster an older kubefleet created with a NAT gateway (userAssignedNATGateway) keeps it, not "
            "zone-redundant: changing outboundType replaces the cluster through pulumi-azure-native, although "
            "AKS migrates it in place (README, \"AKS egress\")"
        )
    return native(
        "AKS nodes have no public IPs either way; egress through the standard load balancer "
        "(outboundType loadBalancer)"
    )


def field_support(ctx: ResolvedCluster) -> dict[str, Support]:
    spec = ctx.spec
    cp = spec.spec.control_plane
    return {
        "spec.kubernetes.version": native(
            "ManagedCluster kubernetesVersion (a minor picks its latest patch)"
        ),
        "spec.kubernetes.channel": _channel(spec),
        "spec.controlPlane.availability": native(
            "node pools in availability zones "
            + ",".join(t.zones(spec))
            + "; the AKS control plane itself is Azure-run and zone-redundant in zone regions. "
            + _system_pools(spec)
        ),
        "spec.controlPlane.tier": _tier(spec),
        "spec.controlPlane.endpoint": native(
            "apiServerAccessProfile.enablePrivateCluster " + ("true" if cp.endpoint == "private" else "false")
        ),
        "spec.controlPlane.authorizedNetworks": _authorized(spec),
        "spec.controlPlane.replicas": unsupported(
            "AKS runs and sizes the control plane itself; there is no replica count to set (or pay per VM)"
        ),
        "spec.nodePools[].name": native(
            "AgentPool name: lowercase alphanumeric, at most 12 characters, hashed"
        ),
        "spec.nodePools[].machine.vcpus": native("matched to an Azure VM size (vmSize)"),
        "spec.nodePools[].machine.memoryGiB": native("matched to an Azure VM size (vmSize)"),
        "spec.nodePools[].machine.gpu.kind": _gpu_kind(spec),
        "spec.nodePools[].machine.gpu.count": native("matched to an N-series VM size with that many GPUs"),
        "spec.nodePools[].instanceTypes.aks": native("pinned vmSize"),
        "spec.nodePools[].instanceTypes.gke": native(
            "not applicable: GKE's pin; AKS reads instanceTypes.aks"
        ),
        "spec.nodePools[].instanceTypes.eks": native(
            "not applicable: EKS's pin; AKS reads instanceTypes.aks"
        ),
        "spec.nodePools[].count": native("AgentPool count (enableAutoScaling false)"),
        "spec.nodePools[].autoscaling.min": native(
            "AgentPool enableAutoScaling with minCount (cluster autoscaler)"
        ),
        "spec.nodePools[].autoscaling.max": native("AgentPool maxCount (cluster autoscaler)"),
        "spec.nodePools[].spot": native(
            "scaleSetPriority Spot, evictionPolicy Delete, spotMaxPrice -1 (up to the on-demand price)"
        ),
        "spec.nodePools[].disk.sizeGiB": _disk_size(spec),
        "spec.nodePools[].disk.type": emulated(
            "osDiskType Managed: AKS picks the OS disk SKU from the VM size (Premium SSD on premium-storage "
            "sizes); Ephemeral is not used since it must fit the size's cache/temp disk"
        ),
        "spec.nodePools[].os": _os(spec),
        "spec.nodePools[].labels": native("AgentPool nodeLabels"),
        "spec.nodePools[].taints[].key": native("AgentPool nodeTaints as key=value:Effect"),
        "spec.nodePools[].taints[].value": native("AgentPool nodeTaints as key=value:Effect"),
        "spec.nodePools[].taints[].effect": native("AgentPool nodeTaints as key=value:Effect"),
        "spec.network.nodeCidr": native("VirtualNetwork address space and node Subnet"),
        "spec.network.podCidr": native(
            "networkProfile podCidr (Azure CNI Overlay, Cilium dataplane; networkPolicy cilium enforces "
            "Kubernetes NetworkPolicy, as GKE Dataplane V2 does)"
        ),
        "spec.network.serviceCidr": native("networkProfile serviceCidr, dnsServiceIP at its .10"),
        "spec.network.privateNodes": _private_nodes(spec),
        "spec.addons.istio.mode": _mode(ctx),
        "spec.addons.istio.dataPlane": _data_plane(spec),
        "spec.addons.istio.expectedPods": native(
            "a sizing input for the sidecar cost estimate; nothing is deployed from it"
        ),
        "spec.addons.istio.revision": _revision(ctx),
        "spec.tenancy.isolation": _isolation(spec),
        "spec.upgrades.strategy": _strategy(spec),
        "spec.upgrades.maxSurge": _surge(spec, "maxSurge"),
        "spec.upgrades.maxUnavailable": _surge(spec, "maxUnavailable"),
        "spec.upgrades.maintenanceWindow.day": _window(spec, "dayOfWeek"),
        "spec.upgrades.maintenanceWindow.start": _window(spec, "startTime (UTC)"),
        "spec.upgrades.maintenanceWindow.hours": _window(spec, "durationHours"),
        "spec.providers.aks.subscriptionId": native("subscriptionId of an explicit azure-native provider"),
        "spec.providers.aks.location": native("location of every Azure resource"),
        "spec.providers.aks.adminGroupObjectIds": native(
            "aadProfile.adminGroupObjectIDs (Entra ID groups with cluster-admin; Azure RBAC stays on)"
        ),
        "spec.providers.aks.resourceGroup": native(
            "existing resource group used as is; otherwise kubefleet creates one"
        ),
        "spec.providers.aks.kms.keyId": _kms(spec),
        "spec.providers.aks.kms.keyVaultResourceId": _kms(spec),
        "spec.providers.aks.workloadIdentity": _workload_identity(spec),
    }


def _kms(spec: ClusterSpec) -> Support:
    if not t.kms(spec):
        return native("not set: secrets in etcd are encrypted at rest by AKS with platform-managed keys; set kms "
                      "for encryption with your own Key Vault key")
    return native("securityProfile.azureKeyVaultKms (KMS plugin, your Key Vault key, public-access vault); the "
                  "control plane runs with a user-assigned identity kubefleet creates and grants Key Vault Crypto "
                  "User on the vault (KMS does not work with a system-assigned identity). Rotating the key is "
                  "yours; deleting it makes the cluster's secrets unreadable")


def _workload_identity(spec: ClusterSpec) -> Support:
    if t.workload_identity(spec):
        return native("oidcIssuerProfile.enabled and securityProfile.workloadIdentity.enabled: pods exchange "
                      "service-account tokens for Microsoft Entra tokens (federated credentials), no secrets")
    return native("off: no OIDC issuer, no Microsoft Entra Workload ID")


def _system_pools(spec: ClusterSpec) -> str:
    from kubefleet.resolve.pools import SYSTEM_MIN_NODES as BOOTSTRAP_COUNT  # nodepool.BOOTSTRAP_COUNT
    from kubefleet.resolve.pools import system_pool

    count = system_pool(spec).count
    return (f"System pods run on an AgentPool in mode System ({count} nodes of at least 4 vCPUs, AKS's documented "
            "System pool minimum), replaced under a new name (created before the old one is deleted) when its VM "
            f"size or zones change, and on the {BOOTSTRAP_COUNT}-node System pool the cluster is created with, "
            "which is kept as it is (AKS creates no cluster without one, and every later cluster update names it; "
            "a cluster an older kubefleet created keeps its inline System pool as it was created, and `up` says what it runs)")


def _disk_size(spec: ClusterSpec) -> Support:
    from kubefleet.spec.limits import AKS_MAX_OS_DISK_GIB

    big = [p.name for p in spec.spec.node_pools if p.disk.size_gib > AKS_MAX_OS_DISK_GIB]
    if big:
        return unsupported(f"AgentPool osDiskSizeGB is at most {AKS_MAX_OS_DISK_GIB:,} GiB and a pool has no other "
                           f"disk; pool(s) {', '.join(big)} ask for more (`kubefleet validate` refuses it for AKS)")
    return native("AgentPool osDiskSizeGB")

"""Pure spec -> AKS translations (no cloud SDK import): names, tags, tiers, channels, pools.

Every decision the adapter makes about a spec field lives here once, so the resource modules, the
parity table (``support.py``) and the tests all read the same mapping.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from typing import Final, Literal

from kubefleet.naming import AKS_CLUSTER, AKS_POOL, AZURE_RG, NameRule, cloud_name
from kubefleet.spec import ClusterSpec, Machine, NodePool, Taint

# ---- names ---------------------------------------------------------------------------------------

#: ManagedCluster dnsPrefix: 1-54 characters, alphanumerics and hyphens, starting and ending alphanumeric.
AKS_DNS_PREFIX: Final = NameRule(max_len=54)
#: The node resource group AKS creates for the VMs: at most 80 characters.
AKS_NODE_RG: Final = NameRule(max_len=80, charset=r"a-zA-Z0-9._()-", lowercase=False)
#: Virtual network, subnet, NAT gateway, public IP: 1-64 characters (VNet is the tightest), a-z0-9._-
AZURE_NETWORK: Final = NameRule(max_len=64, charset=r"a-z0-9._-")
#: Agent pool names get a 4-character hash so 8 of the 12 characters stay readable.
POOL_HASH_LEN: Final = 4

SYSTEM_POOL: Final = "system"
#: The neutral pool name the System pool is resolved under (``ctx.instance``) and hashed with.
SYSTEM_POOL_KEY: Final = "kubefleet-aks-system"


def identity(spec: ClusterSpec, region: str) -> tuple[str, str, str]:
    """What a cloud name is hashed from: the cluster name, the provider and the region."""
    return (spec.name, "aks", region)


@dataclass(frozen=True)
class Names:
    resource_group: str
    cluster: str
    dns_prefix: str
    node_resource_group: str
    vnet: str
    subnet: str
    nat_gateway: str
    nat_ip: str


def names(spec: ClusterSpec, region: str) -> Names:
    ident = identity(spec, region)
    base = spec.name
    return Names(
        resource_group=cloud_name(AZURE_RG, f"rg-{base}", *ident),
        cluster=cloud_name(AKS_CLUSTER, base, *ident),
        dns_prefix=cloud_name(AKS_DNS_PREFIX, base, *ident),
        node_resource_group=cloud_name(AKS_NODE_RG, f"mc-{base}", *ident),
        vnet=cloud_name(AZURE_NETWORK, f"vnet-{base}", *ident),
        subnet=cloud_name(AZURE_NETWORK, f"snet-{base}-nodes", *ident),
        nat_gateway=cloud_name(AZURE_NETWORK, f"ng-{base}", *ident),
        nat_ip=cloud_name(AZURE_NETWORK, f"pip-{base}-nat", *ident),
    )


def pool_name_for(spec: ClusterSpec, pool_name: str) -> str:
    """AKS agent pool name: lowercase letter first, lowercase alphanumerics only, at most 12 characters."""
    return cloud_name(AKS_POOL, pool_name, spec.name, pool_name, hash_len=POOL_HASH_LEN)


def system_pool_name(spec: ClusterSpec) -> str:
    """The System pool's name, hashed apart from a spec pool that is itself called ``system``."""
    return cloud_name(AKS_POOL, SYSTEM_POOL, spec.name, SYSTEM_POOL_KEY, hash_len=POOL_HASH_LEN)


def role_assignment_name(*parts: str) -> str:
    """Role assignment names are GUIDs; derive them so re-runs address the same assignment."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/aks/" + "/".join(parts)))


# ---- tags ----------------------------------------------------------------------------------------

_TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/]")


def azure_tags(labels: dict[str, str]) -> dict[str, str]:
    """Azure tag names may not contain ``< > % & \\ ? /``; ``kubefleet.dev/cluster`` -> ``kubefleet.dev_cluster``."""
    return {_TAG_NAME_FORBIDDEN.sub("_", k)[:512]: v[:256] for k, v in labels.items()}


# ---- control plane -------------------------------------------------------------------------------

Tier = Literal["Free", "Standard", "Premium"]

TIERS: Final[dict[str, Tier]] = {"free": "Free", "standard": "Standard", "premium": "Premium"}


def sku_tier(spec: ClusterSpec) -> Tier:
    """controlPlane.tier -> sku.tier; the extended channel (AKS LTS) is only sold with Premium."""
    if spec.spec.kubernetes.channel == "extended":
        return "Premium"
    return TIERS[spec.spec.control_plane.tier]


def support_plan(spec: ClusterSpec) -> str:
    return "AKSLongTermSupport" if spec.spec.kubernetes.channel == "extended" else "KubernetesOfficial"


#: neutral channel -> AKS cluster auto-upgrade channel. AKS has rapid (latest patch of the newest
#: minor), stable (latest patch of minor N-1), patch (latest patch, minor never changes), node-image
#: and none. There is no third minor-following channel, so regular and stable both land on ``stable``;
#: extended keeps the minor (LTS) and takes patches only.
UPGRADE_CHANNELS: Final[dict[str, str]] = {
    "rapid": "rapid",
    "regular": "stable",
    "stable": "stable",
    "extended": "patch",
    "none": "none",
}


def upgrade_channel(spec: ClusterSpec) -> str:
    return UPGRADE_CHANNELS[spec.spec.kubernetes.channel]


def node_os_upgrade_channel(spec: ClusterSpec) -> str:
    """Node images follow AKS's weekly NodeImage releases unless the spec turns auto-upgrades off."""
    return "None" if spec.spec.kubernetes.channel == "none" else "NodeImage"


def dns_service_ip(spec: ClusterSpec) -> str:
    """kube-dns ClusterIP: the .10 of the service range, as AKS's own default does."""
    net = ipaddress.IPv4Network(spec.spec.network.service_cidr)
    return str(net.network_address + 10)


def private_endpoint(spec: ClusterSpec) -> bool:
    return spec.spec.control_plane.endpoint == "private"


def authorized_ip_ranges(spec: ClusterSpec) -> list[str] | None:
    """Authorised ranges guard the public API server only; AKS rejects them on a private cluster."""
    if private_endpoint(spec) or not spec.spec.control_plane.authorized_networks:
        return None
    return list(spec.spec.control_plane.authorized_networks)


def outbound_type(spec: ClusterSpec) -> str:
    """Private nodes egress through a NAT gateway on their subnet; otherwise the standard load balancer."""
    return "userAssignedNATGateway" if spec.spec.network.private_nodes else "loadBalancer"


def zones(spec: ClusterSpec) -> list[str]:
    """regional = nodes spread over availability zones 1-3; zonal = zone 1 only."""
    return ["1", "2", "3"] if spec.spec.control_plane.availability == "regional" else ["1"]


# ---- mesh ----------------------------------------------------------------------------------------

#: Istio add-on revision when the spec names none (check ``az aks mesh get-revisions -l <region>``).
DEFAULT_MESH_REVISION: Final = "asm-1-26"


def mesh_revision(spec: ClusterSpec) -> str:
    revision = spec.spec.addons.istio.revision
    if revision is None:
        return DEFAULT_MESH_REVISION
    if revision.startswith("asm-"):
        return revision
    return f"asm-{revision}"  # "1-26" names the same Istio minor as asm-1-26


def managed_mesh(spec: ClusterSpec) -> bool:
    return spec.spec.addons.istio.mode == "managed"


def helm_mesh(spec: ClusterSpec) -> bool:
    return spec.spec.addons.istio.mode == "self-managed"


# ---- node pools ----------------------------------------------------------------------------------

#: The system pool hosts CoreDNS, metrics-server, konnectivity: AKS requires one (>= 2 vCPU, 4 GiB).
SYSTEM_MACHINE: Final = Machine(vcpus=2, memory_gib=8)
SYSTEM_TAINT: Final = "CriticalAddonsOnly=true:NoSchedule"


def system_pool(spec: ClusterSpec) -> NodePool:
    """The neutral shape of the system pool, resolved through ``ctx.instance`` like every other pool."""
    count = 3 if spec.spec.control_plane.availability == "regional" else 1
    return NodePool(name=SYSTEM_POOL_KEY, machine=SYSTEM_MACHINE, count=count)


def taint(t: Taint) -> str:
    """Kubernetes taint syntax AKS takes: ``key=value:Effect`` (``key:Effect`` without a value)."""
    return f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}"


def max_surge(spec: ClusterSpec) -> str:
    return str(spec.spec.upgrades.max_surge)


def max_unavailable(spec: ClusterSpec) -> str:
    return str(spec.spec.upgrades.max_unavailable)


def sandboxed(spec: ClusterSpec) -> bool:
    return spec.spec.tenancy.isolation == "sandboxed"


def kata(spec: ClusterSpec, pool: NodePool) -> bool:
    """Kata VM isolation on this pool: sandboxed clusters, except GPU pools (Kata passes no GPUs through)."""
    return sandboxed(spec) and pool.machine.gpu is None


def os_sku(spec: ClusterSpec, pool: NodePool) -> str:
    """Azure Linux by default; Ubuntu when asked, unless Kata needs Azure Linux (the only Kata host)."""
    if kata(spec, pool):
        return "AzureLinux"
    return "Ubuntu" if pool.os == "ubuntu" else "AzureLinux"


def workload_runtime(spec: ClusterSpec, pool: NodePool) -> str:
    return "KataVmIsolation" if kata(spec, pool) else "OCIContainer"


def os_disk_type(pool: NodePool) -> str:
    """Managed OS disks always: an Ephemeral disk must fit the VM size's cache/temp disk, which the
    neutral spec cannot promise; AKS picks Premium SSD for premium-storage (``s``) sizes itself."""
    return "Managed"


# ---- maintenance ---------------------------------------------------------------------------------

DAYS: Final[dict[str, str]] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

AUTO_UPGRADE_SCHEDULE: Final = "aksManagedAutoUpgradeSchedule"
NODE_OS_SCHEDULE: Final = "aksManagedNodeOSUpgradeSchedule"


def maintenance_configs(spec: ClusterSpec) -> list[str]:
    """Which AKS-managed schedules the window drives (none when upgrades are off or no window is set)."""
    if spec.spec.upgrades.maintenance_window is None or spec.spec.kubernetes.channel == "none":
        return []
    return [AUTO_UPGRADE_SCHEDULE, NODE_OS_SCHEDULE]

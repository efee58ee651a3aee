"""Pure spec -> AKS translations (no cloud SDK import): names, tags, tiers, channels, pools.

Every decision the adapter makes about a spec field lives here once, so the resource modules, the
parity table (``support.py``) and the tests all read the same mapping.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from kubefleet.naming import AKS_CLUSTER, AKS_POOL, AZURE_RG, NameRule, cloud_name
from kubefleet.resolve.pools import SYSTEM_POOL_KEY
from kubefleet.spec.model import ClusterSpec, NodePool, Taint

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
    nat_gateway: str  # clusters an older kubefleet created (providers/aks/network.py)
    nat_ip: str
    egress_ip: str  # private nodes' zone-redundant load balancer outbound IP
    identity: str  # the user-assigned control-plane identity (KMS only)


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
        egress_ip=cloud_name(AZURE_NETWORK, f"pip-{base}-egress", *ident),
        identity=cloud_name(AZURE_NETWORK, f"id-{base}", *ident),
    )


def pool_name_for(spec: ClusterSpec, pool_name: str) -> str:
    """AKS agent pool name: lowercase letter first, lowercase alphanumerics only, at most 12 characters."""
    return cloud_name(AKS_POOL, pool_name, spec.name, pool_name, hash_len=POOL_HASH_LEN)


def system_pool_name(spec: ClusterSpec) -> str:
    """The bootstrap System pool's name (inline in the ManagedCluster at creation), hashed apart from a spec
    pool that is itself called ``system``."""
    return cloud_name(AKS_POOL, SYSTEM_POOL, spec.name, SYSTEM_POOL_KEY, hash_len=POOL_HASH_LEN)


#: Prefix of the managed System pool (an AgentPool); its hash covers the inputs that replace a pool.
SYSTEM_AGENT_POOL: Final = "sys"


def system_agent_pool_name(spec: ClusterSpec, replace_inputs: Mapping[str, object]) -> str:
    """The managed System AgentPool's name: a new name whenever an input that replaces a pool changes, so
    the engine creates the new System pool before it deletes the old one (AKS keeps at least one System
    pool at all times; the agentPoolName is the ARM URL, so two pools cannot share it)."""
    parts = [f"{k}={replace_inputs[k]!r}" for k in sorted(replace_inputs)]
    return cloud_name(AKS_POOL, SYSTEM_AGENT_POOL, spec.name, SYSTEM_POOL_KEY, *parts, hash_len=POOL_HASH_LEN)


def role_assignment_name(*parts: str) -> str:
    """Role assignment names are GUIDs; derive them so re-runs address the same assignment."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kubefleet/aks/" + "/".join(parts)))


# ---- tags ----------------------------------------------------------------------------------------

_TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/]")


def azure_tags(labels: Mapping[str, str]) -> dict[str, str]:
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
    """Node OS security patching stays on on every channel.

    ``NodeImage`` (weekly node image with security and bug fixes) follows the auto-upgrade channels;
    ``channel: none`` means "no Kubernetes upgrades", not "no security patches", so it gets
    ``SecurityPatch`` (security fixes only, reimaging only when needed) rather than ``None`` ("your nodes
    don't have security updates applied automatically"), per
    MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/auto-upgrade-node-os-image.md:55-62.
    """
    return "SecurityPatch" if spec.spec.kubernetes.channel == "none" else "NodeImage"


def auto_upgrades(spec: ClusterSpec) -> bool:
    """AKS changes the cluster's Kubernetes version itself (every channel but ``none``)."""
    return upgrade_channel(spec) != "none"


def dns_service_ip(spec: ClusterSpec) -> str:
    """kube-dns ClusterIP: the .10 of the service range, as AKS's own default does."""
    net = ipaddress.IPv4Network(spec.spec.network.service_cidr)
    return str(net.network_address + 10)


def private_endpoint(spec: ClusterSpec) -> bool:
    return spec.spec.control_plane.endpoint == "private"


def authorized_ip_ranges(spec: ClusterSpec) -> list[str] | None:
    """Authorised ranges guard the public API server only; AKS rejects them on a private cluster.

    The cluster's own egress IP must be in the list or the nodes cannot reach the API server
    (api-server-authorized-ip-ranges.md@fb060ab:45). AKS adds the Standard load balancer's outbound IP
    by itself only "during cluster creation" (same file, line 51), and never a NAT gateway's:
    :func:`needs_egress_range` says when the adapter appends the private nodes' static egress IP (the load
    balancer's outbound IP kubefleet owns, or an older cluster's NAT gateway IP).
    """
    if private_endpoint(spec) or not spec.spec.control_plane.authorized_networks:
        return None
    return list(spec.spec.control_plane.authorized_networks)


def needs_egress_range(spec: ClusterSpec) -> bool:
    """Private nodes egress from a static IP kubefleet owns: it joins the authorised ranges."""
    return authorized_ip_ranges(spec) is not None and spec.spec.network.private_nodes


def egress_range(ip: str) -> str:
    return f"{ip}/32"


#: Kubernetes NetworkPolicy engine. Azure CNI Overlay with the Cilium dataplane enforces NetworkPolicy,
#: as GKE Dataplane V2 does; Microsoft recommends it for new clusters and retires Azure NPM for Linux on
#: 2028-09-30 (MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/use-network-policies.md:48,125;
#: azure-cni-powered-by-cilium.md:158-170: networkPlugin azure, networkPluginMode overlay, networkDataplane
#: cilium). With networkDataplane cilium, networkPolicy must be cilium.
NETWORK_DATAPLANE: Final = "cilium"
NETWORK_POLICY: Final = "cilium"


#: Zones of the private nodes' egress IP: zone-redundant, whatever zones the nodes use (providers/aks/network.py).
EGRESS_IP_ZONES: Final = ("1", "2", "3")


def outbound_type(spec: ClusterSpec, *, legacy_nat: bool = False) -> str:
    """Egress through the cluster's Standard load balancer: from kubefleet's zone-redundant static IP for
    private nodes, from an AKS-managed IP otherwise. ``legacy_nat``: a running cluster an older kubefleet
    created with a NAT gateway keeps ``userAssignedNATGateway`` (changing it replaces the cluster through
    pulumi-azure-native; providers/aks/network.py)."""
    return "userAssignedNATGateway" if spec.spec.network.private_nodes and legacy_nat else "loadBalancer"


def owns_egress_ip(spec: ClusterSpec) -> bool:
    """Private nodes: the load balancer's outbound IP is kubefleet's own static, zone-redundant IP."""
    return spec.spec.network.private_nodes


def zones(spec: ClusterSpec) -> list[str]:
    """regional = nodes spread over availability zones 1-3; zonal = zone 1 only."""
    return ["1", "2", "3"] if spec.spec.control_plane.availability == "regional" else ["1"]


# ---- mesh ----------------------------------------------------------------------------------------

def managed_mesh(spec: ClusterSpec) -> bool:
    return spec.spec.addons.istio.mode == "managed"


def helm_mesh(spec: ClusterSpec) -> bool:
    return spec.spec.addons.istio.mode == "self-managed"


# ---- node pools ----------------------------------------------------------------------------------

SYSTEM_TAINT: Final = "CriticalAddonsOnly=true:NoSchedule"


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
    """Which AKS-managed schedules the window drives: none without a window; with ``channel: none`` only
    the node OS schedule (security patching stays on, see :func:`node_os_upgrade_channel`)."""
    if spec.spec.upgrades.maintenance_window is None:
        return []
    if not auto_upgrades(spec):
        return [NODE_OS_SCHEDULE]
    return [AUTO_UPGRADE_SCHEDULE, NODE_OS_SCHEDULE]


# ---- access --------------------------------------------------------------------------------------


def admin_group_object_ids(spec: ClusterSpec) -> list[str] | None:
    """Entra ID groups whose members are cluster admins (aadProfile.adminGroupObjectIDs)."""
    opts = spec.spec.providers.aks
    return list(opts.admin_group_object_ids) if opts is not None and opts.admin_group_object_ids else None


# ---- secrets encryption, workload identity ---------------------------------------------------------

#: Built-in role "Key Vault Crypto User" (encrypt/decrypt with keys): what the KMS plugin's identity needs on
#: the vault (MicrosoftDocs/azure-aks-docs@fb060ab articles/aks/use-kms-etcd-encryption.md:153-156).
KEY_VAULT_CRYPTO_USER: Final = "12338af0-0e69-4776-bea7-57ae8d297424"


def kms(spec: ClusterSpec) -> bool:
    """KMS etcd encryption with the user's key. It "doesn't work with system-assigned managed identity"
    (use-kms-etcd-encryption.md:54): the cluster then runs with a user-assigned identity."""
    opts = spec.spec.providers.aks
    return opts is not None and opts.kms is not None


def workload_identity(spec: ClusterSpec) -> bool:
    opts = spec.spec.providers.aks
    return opts is None or opts.workload_identity


# ---- GPUs ----------------------------------------------------------------------------------------


def gpu_pools(spec: ClusterSpec) -> list[NodePool]:
    return [p for p in spec.spec.node_pools if p.machine.gpu is not None]

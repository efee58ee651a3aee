"""Node pools a provider adds beyond the spec's own, so the resolve step chooses their instance types too.

GKE Sandbox needs one non-sandboxed pool for system pods (kube-dns, metrics agents) beside sandboxed
pools; kubefleet runs it on 2 vCPU / 8 GiB, one node per zone (at least two). AKS requires a System-mode pool for
CoreDNS, metrics-server and konnectivity: "System pools must contain at least two nodes but the recommendation is
three nodes" and "System node pools require a VM SKU of at least 4 vCPUs and 4 GB of memory" (B series not
supported; MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:articles/aks/use-system-pools.md:77-79).
kubefleet runs it on 4 vCPU / 16 GiB (the general-purpose 1:4 ratio at the documented vCPU minimum), 3 nodes
when the control plane is regional (one per zone, the recommendation), else 2 (the minimum, all in the one
zone). It is resolved through shape matching like every other pool (under :data:`SYSTEM_POOL_KEY`, which also seeds its cloud name), so the
adapter reads its instance type from the resolved cluster. Value definitions only: may import the spec;
the AKS adapter imports it.
"""

from __future__ import annotations

from typing import Final

from kubefleet.spec.limits import AKS_SYSTEM_POOL_KEY
from kubefleet.spec.model import ClusterSpec, Machine, NodePool

#: The neutral pool name the System pool is resolved under (``ctx.instance``) and hashed with; reserved for
#: it on AKS (``validate`` refuses a spec pool of that name at its line).
SYSTEM_POOL_KEY: Final = AKS_SYSTEM_POOL_KEY
#: The system pool hosts CoreDNS, metrics-server, konnectivity: AKS requires >= 4 vCPUs and 4 GB of memory
#: (use-system-pools.md@fb060ab:78); 16 GiB keeps the general-purpose ratio of the sizes matched before.
SYSTEM_MACHINE: Final = Machine(vcpus=4, memory_gib=16)
#: AKS's documented minimum and recommended node counts of a System pool (use-system-pools.md@fb060ab:77).
SYSTEM_MIN_NODES: Final = 2
SYSTEM_RECOMMENDED_NODES: Final = 3


def system_pool(spec: ClusterSpec) -> NodePool:
    """The neutral shape of the system pool, resolved through ``ctx.instance`` like every other pool: one node
    per zone over three zones (regional), else the two-node minimum in the single zone."""
    regional = spec.spec.control_plane.availability == "regional"
    count = SYSTEM_RECOMMENDED_NODES if regional else SYSTEM_MIN_NODES
    return NodePool(name=SYSTEM_POOL_KEY, machine=SYSTEM_MACHINE, count=count)


#: The non-sandboxed pool GKE Sandbox needs for system pods, and its shape.
GKE_SANDBOX_SYSTEM_POOL: Final = "gvisor-system"
GKE_SANDBOX_SYSTEM_MACHINE: Final = Machine(vcpus=2, memory_gib=8)


def gke_sandbox_system_pool(spec: ClusterSpec, count: int = 1) -> NodePool | None:
    """The non-sandboxed system pool of a sandboxed GKE cluster (None when nothing runs sandboxed), named
    apart from the spec's own pools. Its instance type does not depend on ``count``."""
    if spec.spec.tenancy.isolation != "sandboxed":
        return None
    taken = {p.name for p in spec.spec.node_pools}
    name = GKE_SANDBOX_SYSTEM_POOL
    while name in taken:
        name = f"{name}-x"
    return NodePool(name=name, machine=GKE_SANDBOX_SYSTEM_MACHINE, count=count)


def provider_pools(spec: ClusterSpec, provider: str) -> list[NodePool]:
    """The pools ``provider`` adds to ``spec``'s own (AKS: its System pool; GKE: the sandbox system pool)."""
    if provider == "aks":
        return [system_pool(spec)]
    if provider == "gke":
        sandbox = gke_sandbox_system_pool(spec)
        return [sandbox] if sandbox is not None else []
    return []

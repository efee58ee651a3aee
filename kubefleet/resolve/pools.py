"""Node pools a provider adds beyond the spec's own, so the resolve step chooses their instance types too.

GKE Sandbox needs one non-sandboxed pool for system pods (kube-dns, metrics agents) beside sandboxed
pools; kubefleet runs it on 2 vCPU / 8 GiB, one node per zone (at least two). AKS requires a System-mode pool for CoreDNS, metrics-server and konnectivity (>= 2 vCPU, 4 GiB); kubefleet
runs it on 2 vCPU / 8 GiB, 3 nodes when the control plane is regional, else 1. It is resolved through shape
matching like every other pool (under :data:`SYSTEM_POOL_KEY`, which also seeds its cloud name), so the
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
#: The system pool hosts CoreDNS, metrics-server, konnectivity: AKS requires one (>= 2 vCPU, 4 GiB).
SYSTEM_MACHINE: Final = Machine(vcpus=2, memory_gib=8)


def system_pool(spec: ClusterSpec) -> NodePool:
    """The neutral shape of the system pool, resolved through ``ctx.instance`` like every other pool."""
    count = 3 if spec.spec.control_plane.availability == "regional" else 1
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

"""Limits a provider states that the neutral spec allows, checked at the spec's own line.

The schema admits what any provider could run; these are the narrower bounds of one provider's API or of
what kubefleet pins for it (an AKS OS disk, an EKS label value, the Kubernetes minors kubeadm's v1beta4
documents and the pinned add-ons support). ``validate``/``plan``/``up`` report them positioned
(:mod:`kubefleet.lifecycle.check`), the resolve step refuses kubeadm minors before a program runs, and
``compare``'s parity marks them unsupported. The constants are tied to the clouds' API models by the verify
tests, so they cannot drift from them. May import only the spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from kubefleet.errors import RenderError, SpecIssue
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.spec.loader import LoadedSpec

#: AKS node pools have only an OS disk, at most 2,048 GiB: ARM 2025-09-01 ContainerServiceOSDisk ``maximum:
#: 2048`` (azure-mgmt-containerservice 40.1.0, the API pulumi-azure-native 3.x speaks; tests/test_verify_aks.py
#: reads the bound from that model, so this constant cannot drift from it).
AKS_MAX_OS_DISK_GIB: Final = 2048
#: EKS node-group label values are 1-63 characters (botocore eks ``labelValue`` min 1; Kubernetes allows
#: an empty value, EKS does not; tests/test_verify_eks.py reads the bound from the model).
EKS_MIN_LABEL_VALUE: Final = 1
#: The neutral pool name kubefleet resolves AKS's system pool under; it also seeds that pool's cloud name,
#: so a spec pool may not take it on AKS (kubefleet/resolve/pools.py).
AKS_SYSTEM_POOL_KEY: Final = "kubefleet-aks-system"

#: A regional GKE cluster's node pools span this many zones unless ``providers.gke.zones`` names them.
GKE_DEFAULT_REGIONAL_ZONES: Final = 3

#: ``kubeadm.k8s.io/v1beta4`` is read by kubeadm 1.31 and newer only: Cluster API picks v1beta4 from
#: exactly this version (kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
#: bootstrap/kubeadm/pkg/types/utils.go:39 ``v1beta4KubeadmVersion = semver.MustParse("1.31.0")``).
MIN_MINOR: Final = 31
#: The newest minor the pinned add-ons were checked with: Calico v3.31 lists Kubernetes 1.35 as supported
#: (docs.tigera.io/calico/latest/getting-started/kubernetes/requirements, confirmed by the maintainers in
#: https://github.com/orgs/projectcalico/discussions/11717, read 2026-11-29). Raise it with the add-on pins.
MAX_MINOR: Final = 35


def check_version(spec: ClusterSpec) -> None:
    """Refuse Kubernetes minors kubeadm's v1beta4 documents (or the pinned add-ons) do not support."""
    minor = spec.spec.kubernetes.minor_number
    if minor < MIN_MINOR:
        raise RenderError(
            f"spec.kubernetes.version: {spec.spec.kubernetes.version!r} is too old for kubeadm on vSphere: the "
            f"kubeadm.k8s.io/v1beta4 configuration kubefleet writes needs kubeadm 1.{MIN_MINOR} or newer",
            hint=f"set spec.kubernetes.version to 1.{MIN_MINOR} .. 1.{MAX_MINOR} (v1beta3 for older minors is not generated)",
        )
    if minor > MAX_MINOR:
        raise RenderError(
            f"spec.kubernetes.version: {spec.spec.kubernetes.version!r} is newer than the add-ons kubefleet pins "
            f"for kubeadm (Calico, kube-vip) were checked with (up to 1.{MAX_MINOR})",
            hint=f"set spec.kubernetes.version to 1.{MIN_MINOR} .. 1.{MAX_MINOR}",
        )


def api_limits(loaded: LoadedSpec, provider: str) -> list[SpecIssue]:
    """The provider API limits ``loaded`` breaks, each at its spec field (empty = none)."""
    found: list[SpecIssue] = []
    for i, pool in enumerate(loaded.spec.spec.node_pools):
        if provider == "aks" and pool.disk.size_gib > AKS_MAX_OS_DISK_GIB:
            found.append(loaded.issue(
                ("spec", "nodePools", i, "disk", "sizeGiB"),
                f"AKS node disks are at most {AKS_MAX_OS_DISK_GIB:,} GiB (a node pool has only its OS disk); "
                f"pool {pool.name!r} asks for {pool.disk.size_gib:,}",
                f"use sizeGiB: {AKS_MAX_OS_DISK_GIB} or less on AKS, and persistent volumes for data",
            ))
        if provider == "aks" and pool.name == AKS_SYSTEM_POOL_KEY:
            found.append(loaded.issue(
                ("spec", "nodePools", i, "name"),
                f"the node pool name {pool.name!r} is reserved on AKS for the system pool kubefleet adds",
                "rename that node pool",
            ))
        if provider == "gke" and pool.autoscaling is not None:
            smallest, largest = gke_initial_bounds(loaded.spec, pool.autoscaling.min, pool.autoscaling.max)
            if smallest > largest:
                zones = gke_zone_count(loaded.spec)
                found.append(loaded.issue(
                    ("spec", "nodePools", i, "autoscaling", "max"),
                    f"GKE starts an autoscaled pool with the same number of nodes in each of its {zones} zones, so "
                    f"pool {pool.name!r} (min {pool.autoscaling.min}, max {pool.autoscaling.max} in total) has no "
                    f"start within its bounds: {smallest} per zone is {smallest * zones} nodes, over the max",
                    f"raise autoscaling.max to at least {smallest * zones}, or place the pool in fewer zones "
                    "(providers.gke.zones)",
                ))
        if provider == "eks":
            for key, value in pool.labels.items():
                if len(value) < EKS_MIN_LABEL_VALUE:
                    found.append(loaded.issue(
                        ("spec", "nodePools", i, "labels", key),
                        f"EKS refuses an empty node-label value (label {key!r} of pool {pool.name!r}); "
                        "Kubernetes allows it, the EKS API does not",
                        f'give it a value, e.g. `{key}: "true"`',
                    ))
    return found


def gke_zone_count(spec: ClusterSpec) -> int:
    """How many zones each GKE node pool spans (its node counts are per zone)."""
    opts = spec.spec.providers.gke
    if opts is not None and opts.zones:
        return len(opts.zones)
    return GKE_DEFAULT_REGIONAL_ZONES if spec.spec.control_plane.availability == "regional" else 1


def gke_initial_bounds(spec: ClusterSpec, low: int, high: int) -> tuple[int, int]:
    """The per-zone initial node counts an autoscaled GKE pool may start with: GKE creates
    ``initial_node_count`` nodes in *each* of the pool's zones (gcloud's ``--num-nodes``: "the number of nodes
    to create in each location", cloud.google.com/kubernetes-engine/docs/how-to/cluster-autoscaler, read
    2026-12-06), and the autoscaler's bounds are totals (``total_min_node_count`` / ``total_max_node_count``:
    "Minimum/Maximum number of nodes in the node pool", google-cloud-container 2.65.0 NodePoolAutoscaling) or,
    with ``nodeCount: perZone``, per zone (``min_node_count`` / ``max_node_count``: "for one location"). So the
    start must satisfy ``low <= initial x zones <= high`` (totals) or ``low <= initial <= high`` (per zone):
    (smallest, largest) per-zone value; smallest > largest = no start fits."""
    opts = spec.spec.providers.gke
    if opts is not None and opts.node_count == "perZone":
        return low, high
    zones = gke_zone_count(spec)
    return -(-low // zones), high // zones

"""Pure translations from the neutral spec to GKE's vocabulary (no SDK import, no Pulumi).

Kept apart from the resource modules so the mapping rules read as one table and the parity report can
use them without importing pulumi_gcp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from kubefleet.resolve.pools import GKE_SANDBOX_SYSTEM_POOL
from kubefleet.spec.limits import GKE_DEFAULT_REGIONAL_ZONES
from kubefleet.spec.model import ClusterSpec, MaintenanceWindow, NodePool

#: spec channel -> GKE release channel. ``none`` is NOT sent as UNSPECIFIED ("No channel"): Google deprecated
#: it, new customers cannot create or update a cluster to use it, and after 2027-06-14 GKE enrols remaining
#: clusters in Stable (https://docs.cloud.google.com/kubernetes-engine/docs/release-notes-nochannel, read
#: 2026-11-29). kubefleet emulates it: the Stable channel plus a maintenance exclusion of scope
#: NO_MINOR_OR_NODE_UPGRADES until the minor's end of support (see NO_CHANNEL_EXCLUSION).
RELEASE_CHANNELS: Final[dict[str, str]] = {
    "rapid": "RAPID",
    "regular": "REGULAR",
    "stable": "STABLE",
    "extended": "EXTENDED",
    "none": "STABLE",
}

#: The maintenance exclusion that emulates "No channel": no automatic minor or node upgrades, until the
#: minor's end of support (scope and end-time behaviour: container_v1.MaintenanceExclusionOptions; the
#: provider accepts them at hashicorp/terraform-provider-google@e03b762:google/services/container/
#: resource_container_cluster.go:1381,1387). The start is a fixed instant so the render never reads the clock.
NO_CHANNEL_EXCLUSION: Final = "kubefleet-no-channel"
NO_CHANNEL_SCOPE: Final = "NO_MINOR_OR_NODE_UPGRADES"
NO_CHANNEL_END: Final = "UNTIL_END_OF_SUPPORT"
NO_CHANNEL_START: Final = "2024-01-01T00:00:00Z"

#: GKE Sandbox runtime, spelled as the API enum (container_v1.SandboxConfig.Type.GVISOR); the provider
#: validates StringInSlice([GVISOR], false), case-sensitive (terraform-provider-google@e03b762:
#: google/services/container/node_config.go:755). The old lower-case "gvisor" was the deprecated sandboxType.
SANDBOX_TYPE: Final = "GVISOR"

#: Roles of the least-privilege node service account, as terraform-google-kubernetes-engine grants its own
#: (terraform-google-modules/terraform-google-kubernetes-engine@bb176b2:modules/beta-private-cluster/sa.tf:53
#: container.defaultNodeServiceAccount, :60 + variables.tf:1115 monitoring.metricWriter, :67
#: stackdriver.resourceMetadata.writer, :81 artifactregistry.reader - the module grants the last only with
#: grant_registry_access; kubefleet grants it on the cluster's project so nodes can pull its images).
NODE_SA_ROLES: Final = (
    "roles/container.defaultNodeServiceAccount",
    "roles/monitoring.metricWriter",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)

#: Istio's webhook port the control plane must reach on private nodes (istiod's sidecar injector and
#: validation). The module opens 8443, 9443, 15017 by default
#: (terraform-google-kubernetes-engine@bb176b2:modules/beta-private-cluster/variables.tf:623, firewall.tf:93).
ISTIO_WEBHOOK_PORT: Final = "15017"

DISK_TYPES: Final[dict[str, str]] = {"standard": "pd-standard", "balanced": "pd-balanced", "ssd": "pd-ssd"}
IMAGE_TYPES: Final[dict[str, str]] = {"default": "COS_CONTAINERD", "ubuntu": "UBUNTU_CONTAINERD"}
TAINT_EFFECTS: Final[dict[str, str]] = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
RRULE_DAYS: Final[dict[str, str]] = {
    "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
}

#: GKE spreads a regional cluster's node pools over three zones unless node locations are given.
DEFAULT_REGIONAL_ZONES: Final = GKE_DEFAULT_REGIONAL_ZONES

#: GKE rejects a maintenance policy that allows less than 48 hours of maintenance in any 32-day window
#: (blocks shorter than 4 h do not count). Every 32-day window holds at least four of any weekday, so a
#: weekly window needs at least 12 hours.
MIN_WEEKLY_WINDOW_HOURS: Final = 12

#: A fixed Monday: the first occurrence of a recurring window is anchored to this week so the rendered
#: start/end times never depend on the clock (GKE repeats the window from the RRULE either way).
_ANCHOR_MONDAY: Final = datetime(2024, 1, 1)

#: The project when neither the spec, the stack config nor the environment names one.
PROJECT_PLACEHOLDER: Final = "set-providers-gke-project"

#: The non-sandboxed pool GKE Sandbox needs for system pods (kube-dns, metrics agents): kubefleet.resolve.pools.
SANDBOX_SYSTEM_POOL: Final = GKE_SANDBOX_SYSTEM_POOL

#: Machine families whose GPUs are part of the machine type (no guest_accelerators needed).
BUILT_IN_GPU_FAMILIES: Final = frozenset({"a2", "a3", "a4", "g2", "g4"})

#: GKE Standard edition's per-cluster management fee and the free-tier credit (gke-pricing).
CLUSTER_FEE_NOTE: Final = "GKE Standard edition charges USD 0.10 per cluster-hour"
FREE_TIER_NOTE: Final = (
    "the USD 74.40 monthly free-tier credit per billing account offsets the fee of one zonal "
    "(or Autopilot) cluster; regional clusters are never covered"
)


def release_channel(spec: ClusterSpec) -> str:
    return RELEASE_CHANNELS[spec.spec.kubernetes.channel]


def auto_upgrade(spec: ClusterSpec) -> bool:
    """Pools enrolled in a release channel must auto-upgrade (``none`` is emulated inside Stable, so it too)."""
    return True


def no_channel(spec: ClusterSpec) -> bool:
    return spec.spec.kubernetes.channel == "none"


def dns_endpoint(spec: ClusterSpec) -> bool:
    """A private endpoint also gets GKE's DNS-based endpoint (IAM-authenticated, reachable from outside the
    VPC), so ``up`` can install in-cluster charts without running inside the network."""
    return spec.spec.control_plane.endpoint == "private"


def is_regional(spec: ClusterSpec) -> bool:
    return spec.spec.control_plane.availability == "regional"


def given_zones(spec: ClusterSpec) -> list[str]:
    opts = spec.spec.providers.gke
    return list(opts.zones) if opts is not None else []


def zone_count(spec: ClusterSpec) -> int:
    """How many zones each node pool spans (GKE's node counts are per zone)."""
    zones = given_zones(spec)
    if zones:
        return len(zones)
    return DEFAULT_REGIONAL_ZONES if is_regional(spec) else 1


def private_nodes(spec: ClusterSpec) -> bool:
    """Private nodes as asked, and always with a private endpoint (GKE requires them together)."""
    return spec.spec.network.private_nodes or spec.spec.control_plane.endpoint == "private"


@dataclass(frozen=True)
class FixedSize:
    per_zone: int
    total: int


def counts_per_zone(spec: ClusterSpec) -> bool:
    """``spec.providers.gke.nodeCount: perZone``: counts are GKE's own per-zone numbers (default: totals)."""
    opts = spec.spec.providers.gke
    return opts is not None and opts.node_count == "perZone"


def fixed_size(pool: NodePool, zones: int, per_zone: bool = False) -> FixedSize:
    """``count`` is a total in the spec; GKE's ``node_count`` is per zone, so round up honestly. With
    ``per_zone`` (nodeCount: perZone) the count already is GKE's per-zone number."""
    assert pool.count is not None
    each = pool.count if per_zone else math.ceil(pool.count / zones)
    return FixedSize(each, each * zones)


def initial_per_zone(pool: NodePool, zones: int, per_zone: bool = False) -> int:
    """Nodes per zone an autoscaled pool starts with: enough for its minimum, at least one where the maximum
    allows it, never more than the maximum (GKE creates this many in *each* zone; kubefleet.spec.limits.
    gke_initial_bounds gives the rule and its sources; `validate` refuses bounds no start fits)."""
    assert pool.autoscaling is not None
    low, high = pool.autoscaling.min, pool.autoscaling.max
    smallest, largest = (low, high) if per_zone else (math.ceil(low / zones), high // zones)
    return max(smallest, min(1, largest))


@dataclass(frozen=True)
class Window:
    start: str  # RFC 3339, UTC
    end: str
    recurrence: str  # RFC 5545 RRULE
    hours: int  # effective length (may be longer than asked, see MIN_WEEKLY_WINDOW_HOURS)


def maintenance_window(window: MaintenanceWindow) -> Window:
    day_index = list(RRULE_DAYS).index(window.day)
    hh, mm = (int(x) for x in window.start.split(":"))
    start = _ANCHOR_MONDAY + timedelta(days=day_index, hours=hh, minutes=mm)
    hours = max(window.hours, MIN_WEEKLY_WINDOW_HOURS)
    end = start + timedelta(hours=hours)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return Window(start.strftime(fmt), end.strftime(fmt), f"FREQ=WEEKLY;BYDAY={RRULE_DAYS[window.day]}", hours)


def gpu_built_in(machine_type: str) -> bool:
    return machine_type.split("-", 1)[0] in BUILT_IN_GPU_FAMILIES


def project_of(spec: ClusterSpec) -> str | None:
    opts = spec.spec.providers.gke
    return opts.project if opts is not None else None


def existing_network(spec: ClusterSpec) -> tuple[str | None, str | None]:
    opts = spec.spec.providers.gke
    if opts is None:
        return None, None
    return opts.network, opts.subnetwork

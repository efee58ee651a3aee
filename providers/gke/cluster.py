"""The GKE control plane: ``gcp.container.Cluster`` with its default pool removed (pools are declared
one per spec pool in nodepool.py), release channel, version, location, private endpoint / nodes,
authorised networks, Workload Identity, Dataplane V2, VPC-native ranges, maintenance window, labels."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from kubefleet.naming import gcp_labels
from kubefleet.providers.gke import names, settings
from kubefleet.providers.gke.network import ClusterNetwork
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec


@dataclass(frozen=True)
class Placement:
    """Where the control plane lives (``location``) and which zones the nodes use."""

    location: pulumi.Input[str]
    node_locations: pulumi.Input[list[str]] | None
    zones: int  # zones every node pool spans (GKE counts nodes per zone)


def resolve_project(spec: ClusterSpec) -> str:
    """``spec.providers.gke.project``, else the project the Google provider itself would use (the
    ``gcp:project`` stack config, then GOOGLE_PROJECT / GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT /
    CLOUDSDK_CORE_PROJECT), else a placeholder that names what to set (GCP rejects it on apply)."""
    return settings.project_of(spec) or gcp.config.project or settings.PROJECT_PLACEHOLDER


def zones_stash_name(spec: ClusterSpec, region: str) -> str:
    """The logical name of the stash that keeps the zones picked for the cluster: it names what the pick depends
    on (availability, region, how many zones), so changing one of those is a new stash and a new pick."""
    kind = "regional" if settings.is_regional(spec) else "zonal"
    return f"{spec.name}-zones-{kind}-{region}-{settings.zone_count(spec)}"


def placement(spec: ClusterSpec, ctx: ResolvedCluster, project: pulumi.Input[str],
              parent: pulumi.Resource | None = None) -> Placement:
    """Regional: location = region, nodes in the given zones or the region's first zones that are UP.
    Zonal: location = the first given zone (the rest become extra node zones) or the region's first UP zone.

    Zone names are looked up at apply time (``compute.getZones``) rather than guessed: regions do not all
    use the letters a, b, c (us-east1 has b, c, d).

    Picked once: the data source lists the region's zones *now* (status UP, sorted: terraform-provider-google-beta
    @3dc173a:google-beta/services/compute/data_source_google_compute_zones.go, ``(status eq UP)`` filter :80, then
    ``sort.Strings`` :125), so a zone that is down during a later ``up``, or one Google adds or retires, shifts the
    list. ``location`` is ForceNew (resource_container_cluster.go:328-332): a zonal cluster would be deleted
    and re-created in another zone, and a regional one would move its nodes (``node_locations`` is updatable:
    nodes created or removed). So the pick of the first apply is kept in the stack's state with Pulumi's
    ``Stash`` resource (pulumi 3.272 ``pulumi.Stash``: ``output`` is "the value saved in the state for the
    stash", ``input`` "the most recent value passed"), under a name that changes with the availability, the
    region and the zone count (:func:`zones_stash_name`) - a change of those picks again, as does naming
    ``providers.gke.zones``."""
    regional = settings.is_regional(spec)
    zones = settings.zone_count(spec)
    given = settings.given_zones(spec)
    if given:
        return Placement(ctx.region, given, zones) if regional else Placement(given[0], given[1:] or None, zones)
    found = gcp.compute.get_zones_output(project=project, region=ctx.region, status="UP").names
    first = found.apply(lambda names: sorted(names)[:zones])
    kept = pulumi.Stash(zones_stash_name(spec, ctx.region), input=first,
                        opts=pulumi.ResourceOptions(parent=parent)).output.apply(lambda names: list(names))
    if regional:
        return Placement(ctx.region, kept, zones)
    return Placement(kept.apply(lambda names: names[0]), None, zones)


def _private_config(spec: ClusterSpec) -> gcp.container.ClusterPrivateClusterConfigArgs | None:
    endpoint_private = spec.spec.control_plane.endpoint == "private"
    nodes_private = settings.private_nodes(spec)
    if not (endpoint_private or nodes_private):
        return None
    return gcp.container.ClusterPrivateClusterConfigArgs(
        enable_private_nodes=nodes_private,
        enable_private_endpoint=endpoint_private,
        master_global_access_config=gcp.container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(
            enabled=endpoint_private
        ),
    )


def _authorized_networks(spec: ClusterSpec) -> gcp.container.ClusterMasterAuthorizedNetworksConfigArgs | None:
    cp = spec.spec.control_plane
    if not cp.authorized_networks and cp.endpoint == "public":
        return None  # a public endpoint with no list stays open (authenticated) to the internet
    return gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
        cidr_blocks=[
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=cidr, display_name=f"kubefleet-{i}"
            )
            for i, cidr in enumerate(cp.authorized_networks)
        ],
        gcp_public_cidrs_access_enabled=False,
    )


def _ip_allocation(spec: ClusterSpec, net: ClusterNetwork) -> gcp.container.ClusterIpAllocationPolicyArgs:
    if net.pods_range and net.services_range:
        return gcp.container.ClusterIpAllocationPolicyArgs(
            cluster_secondary_range_name=net.pods_range,
            services_secondary_range_name=net.services_range,
            stack_type="IPV4",
        )
    # An existing subnetwork: GKE creates the secondary ranges from the spec's CIDRs.
    return gcp.container.ClusterIpAllocationPolicyArgs(
        cluster_ipv4_cidr_block=spec.spec.network.pod_cidr,
        services_ipv4_cidr_block=spec.spec.network.service_cidr,
        stack_type="IPV4",
    )


def _maintenance(spec: ClusterSpec) -> gcp.container.ClusterMaintenancePolicyArgs | None:
    window = spec.spec.upgrades.maintenance_window
    exclusions = _no_channel_exclusion() if settings.no_channel(spec) else None
    if window is None and exclusions is None:
        return None
    recurring = None
    if window is not None:
        w = settings.maintenance_window(window)
        recurring = gcp.container.ClusterMaintenancePolicyRecurringWindowArgs(
            start_time=w.start, end_time=w.end, recurrence=w.recurrence
        )
    return gcp.container.ClusterMaintenancePolicyArgs(recurring_window=recurring, maintenance_exclusions=exclusions)


def _endpoints(spec: ClusterSpec) -> gcp.container.ClusterControlPlaneEndpointsConfigArgs | None:
    """A private endpoint also turns on the DNS-based endpoint: container_v1 documents
    ControlPlaneEndpointsConfig.DNSEndpointConfig.endpoint as "accessible from the public internet", gated by
    IAM (container.clusters.connect) and allow_external_traffic. kubectl / Helm from outside the VPC then work
    without a bastion; the IP endpoint stays private."""
    if not settings.dns_endpoint(spec):
        return None
    return gcp.container.ClusterControlPlaneEndpointsConfigArgs(
        dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
            allow_external_traffic=True
        )
    )


def _no_channel_exclusion() -> list[gcp.container.ClusterMaintenancePolicyMaintenanceExclusionArgs]:
    return [
        gcp.container.ClusterMaintenancePolicyMaintenanceExclusionArgs(
            exclusion_name=settings.NO_CHANNEL_EXCLUSION,
            start_time=settings.NO_CHANNEL_START,
            exclusion_options=gcp.container.ClusterMaintenancePolicyMaintenanceExclusionExclusionOptionsArgs(
                scope=settings.NO_CHANNEL_SCOPE, end_time_behavior=settings.NO_CHANNEL_END
            ),
        )
    ]


def build_cluster(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    project: pulumi.Input[str],
    net: ClusterNetwork,
    where: Placement,
    parent: pulumi.Resource,
    after: list[pulumi.Resource] | None = None,
) -> gcp.container.Cluster:
    return gcp.container.Cluster(
        f"{spec.name}-cluster",
        gcp.container.ClusterArgs(
            name=names.cluster(spec),
            project=project,
            location=where.location,
            node_locations=where.node_locations,
            description=f"kubefleet cluster {spec.name}",
            remove_default_node_pool=True,
            initial_node_count=1,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=settings.release_channel(spec)),
            min_master_version=spec.spec.kubernetes.version,
            network=net.network,
            subnetwork=net.subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=_ip_allocation(spec, net),
            private_cluster_config=_private_config(spec),
            control_plane_endpoints_config=_endpoints(spec),
            master_authorized_networks_config=_authorized_networks(spec),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=pulumi.Output.concat(project, ".svc.id.goog")
            ),
            datapath_provider="ADVANCED_DATAPATH",
            # the production rule that decides Pulumi's `protect` (kubefleet.resolve.cluster.should_protect: the
            # prod-deletion-protection rule's labels/pattern, or metadata.protected), not env == "prod" alone
            deletion_protection=ctx.protect,
            maintenance_policy=_maintenance(spec),
            resource_labels=gcp_labels(ctx.labels),
        ),
        # initial_node_count only sizes the default pool that is removed, and is ForceNew
        # (terraform-provider-google@e03b762:google/services/container/resource_container_cluster.go:1159;
        # the module ignores it too: terraform-google-kubernetes-engine@bb176b2:.../cluster.tf:538).
        # min_master_version needs no ignoreChanges: when the channel has already upgraded the control plane
        # past it, the provider skips the update (resource_container_cluster.go:4690-4691), and a spec bump
        # still upgrades.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*net.resources, *(after or [])],
                                    ignore_changes=["initialNodeCount"]),
    )

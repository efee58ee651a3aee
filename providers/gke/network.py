"""The cluster's network: a custom-mode VPC, one subnetwork with secondary ranges for pods and
services, and Cloud Router + Cloud NAT so private nodes can reach the internet. Skipped when the spec
names an existing network under ``spec.providers.gke``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_gcp as gcp

from kubefleet.providers.gke import names, settings
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

PODS_RANGE: Final = "pods"
SERVICES_RANGE: Final = "services"


@dataclass
class ClusterNetwork:
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str] | None
    pods_range: str | None  # secondary range names; None = let GKE carve them from the CIDRs
    services_range: str | None
    resources: list[pulumi.Resource] = field(default_factory=list)


def build_network(
    spec: ClusterSpec, ctx: ResolvedCluster, project: pulumi.Input[str], parent: pulumi.Resource,
    after: list[pulumi.Resource] | None = None,
) -> ClusterNetwork:
    existing_net, existing_subnet = settings.existing_network(spec)
    if existing_net:
        return ClusterNetwork(existing_net, existing_subnet, None, None)

    net = spec.spec.network
    opts = pulumi.ResourceOptions(parent=parent, depends_on=after)
    vpc = gcp.compute.Network(
        f"{spec.name}-vpc",
        gcp.compute.NetworkArgs(
            name=names.project_resource(spec, ctx.region, "vpc"),
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"kubefleet network for cluster {spec.name}",
        ),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(ignore_changes=names.keep("gcp:compute/network:Network"))),
    )
    subnet = gcp.compute.Subnetwork(
        f"{spec.name}-subnet",
        gcp.compute.SubnetworkArgs(
            name=names.resource(spec, "nodes"),
            project=project,
            region=ctx.region,
            network=vpc.self_link,
            ip_cidr_range=net.node_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=net.pod_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=SERVICES_RANGE, ip_cidr_range=net.service_cidr
                ),
            ],
        ),
        opts=opts,
    )
    created: list[pulumi.Resource] = [vpc, subnet]
    if settings.private_nodes(spec):
        router = gcp.compute.Router(
            f"{spec.name}-router",
            gcp.compute.RouterArgs(
                name=names.resource(spec, "router"), project=project, region=ctx.region, network=vpc.self_link
            ),
            opts=opts,
        )
        nat = gcp.compute.RouterNat(
            f"{spec.name}-nat",
            gcp.compute.RouterNatArgs(
                name=names.resource(spec, "nat"),
                project=project,
                region=ctx.region,
                router=router.name,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
                subnetworks=[
                    gcp.compute.RouterNatSubnetworkArgs(
                        name=subnet.self_link, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
                    )
                ],
                log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            ),
            opts=opts,
        )
        created += [router, nat]
    return ClusterNetwork(vpc.self_link, subnet.self_link, PODS_RANGE, SERVICES_RANGE, created)


def webhook_firewall(
    spec: ClusterSpec,
    region: str,
    project: pulumi.Input[str],
    network: pulumi.Input[str],
    cluster: gcp.container.Cluster,
    parent: pulumi.Resource,
) -> gcp.compute.Firewall:
    """Private nodes: GKE opens only 443/10250 from the control plane, so istiod's webhooks (tcp/15017) time
    out unless a rule admits them (Istio's GKE platform setup; terraform-google-kubernetes-engine's
    ``master_webhooks`` rule, @bb176b2:modules/beta-private-cluster/firewall.tf:93). Source: the control
    plane's range (VPC-peering clusters) or its private endpoint address (Private Service Connect clusters),
    both read from the cluster at apply time."""
    source = cluster.private_cluster_config.apply(_control_plane_source)
    return gcp.compute.Firewall(
        f"{spec.name}-istio-webhooks",
        gcp.compute.FirewallArgs(
            name=names.project_resource(spec, region, "istio-webhooks"),
            project=project,
            network=network,
            direction="INGRESS",
            description="kubefleet: GKE control plane to istiod webhooks on private nodes",
            source_ranges=source.apply(lambda s: [s]),
            target_tags=[names.node_tag(spec)],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[settings.ISTIO_WEBHOOK_PORT])],
        ),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=names.keep("gcp:compute/firewall:Firewall")),
    )


def _control_plane_source(config: object) -> str:
    cidr = getattr(config, "master_ipv4_cidr_block", None)
    if cidr:
        return str(cidr)
    endpoint = getattr(config, "private_endpoint", None)
    return f"{endpoint}/32" if endpoint else "0.0.0.0/32"

"""The VPC an EKS cluster needs, or the one the spec names.

Created (no ``providers.eks.vpcId``): a VPC on ``network.nodeCidr``; per availability zone a private
subnet (a quarter of the range each: pods take VPC addresses from the VPC CNI, so private subnets are the
big ones) and a public subnet (carved from the last quarter); an internet gateway with one public
route table; NAT gateways with Elastic IPs when anything runs in private subnets (private nodes, or
Fargate pods, which only run in private subnets) — one per zone for a regional cluster, one for a zonal
one — and a private route table per zone pointing at its NAT.

Zones are chosen by zone id (stable across accounts), skipping the ids where EKS cannot place a
control plane. Regional clusters span three zones, zonal ones two (EKS needs subnets in two
zones for the control plane's network interfaces even when nodes stay in one). Which zone ids a region
has is looked up at apply time (``aws.get_availability_zones``: available, not opt-in, the EKS-unsupported
ids excluded), as terraform-aws-eks's examples do with ``data "aws_availability_zones"``
(terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:examples/eks-auto-mode/main.tf:5-19),
instead of being guessed from the region's name: regions differ (us-west-1 offers new accounts two zones,
some regions number their zones with gaps). Offline nothing is known about an account's zones, so the
offline render shows what is known - which zone of the lookup each subnet takes - as
``<region>-zone-<n>-resolved-at-up`` (:data:`OFFLINE_ZONE`, mocks.py), never an invented zone id.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_aws as aws

from kubefleet.providers.eks.common import TAG_NAME, Scope, cluster_name, name_for
from kubefleet.spec.model import ClusterSpec

#: What an offline render shows for the n-th (1-based) zone the lookup returns at ``up``: not a zone id.
OFFLINE_ZONE: Final = "{region}-zone-{n}-resolved-at-up"

#: Zone ids where EKS does not create control planes (EKS user guide, "Subnet requirements").
EKS_UNSUPPORTED_ZONE_IDS: Final = ("use1-az3", "usw1-az2", "cac1-az3")

#: Tags the AWS Load Balancer Controller and the in-tree cloud provider use to pick subnets.
PUBLIC_ELB_TAG: Final = {"kubernetes.io/role/elb": "1"}
PRIVATE_ELB_TAG: Final = {"kubernetes.io/role/internal-elb": "1"}


@dataclass
class ClusterNetwork:
    """Subnets the cluster, its node groups and its Fargate profile use."""

    vpc_id: pulumi.Input[str]
    control_plane_subnets: list[pulumi.Input[str]]
    node_subnets: list[pulumi.Input[str]]
    fargate_subnets: list[pulumi.Input[str]]
    #: resources the cluster must wait for (routes, NAT), so nodes can reach the API and registries
    ready: list[pulumi.Resource] = field(default_factory=list)
    created: bool = True


def zone_count(spec: ClusterSpec) -> int:
    return 3 if spec.spec.control_plane.availability == "regional" else 2


def subnet_plan(node_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs: private = the first ``zones`` quarters, public = quarters of the last one."""
    net = ipaddress.IPv4Network(node_cidr)
    quarters = list(net.subnets(prefixlen_diff=2))
    private = [str(q) for q in quarters[:zones]]
    public = [str(s) for s in list(quarters[3].subnets(prefixlen_diff=2))[:zones]]
    return private, public


def needs_nat(spec: ClusterSpec) -> bool:
    return spec.spec.network.private_nodes or spec.spec.tenancy.isolation == "sandboxed"


def build_network(spec: ClusterSpec, region: str, scope: Scope) -> ClusterNetwork:
    opts = spec.spec.providers.eks
    if opts is not None and opts.vpc_id:
        subnets: list[pulumi.Input[str]] = list(opts.subnet_ids)
        return ClusterNetwork(
            vpc_id=opts.vpc_id,
            control_plane_subnets=subnets,
            node_subnets=subnets[:1] if spec.spec.control_plane.availability == "zonal" else subnets,
            # Fargate takes private subnets only (CreateFargateProfileRequest.subnets in AWS's API model)
            fargate_subnets=list(opts.private_subnet_ids),  # required with sandboxed tenancy (spec model)
            created=False,
        )
    return _create_network(spec, region, scope)


def available_zone_ids(region: str, scope: Scope) -> pulumi.Output[list[str]]:
    """The zone ids EKS can use in ``region``, from AWS at apply time."""
    found = aws.get_availability_zones_output(
        region=region,
        state="available",
        exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS),
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOutputOptions(provider=scope.provider, parent=scope.parent),
    )
    return found.zone_ids


def _nth_zone(ids: list[str], i: int, count: int, region: str) -> str:
    if len(ids) < count:
        raise ValueError(
            f"{region} offers {len(ids)} availability zone(s) EKS can use ({', '.join(ids) or 'none'}); this "
            f"cluster needs {count} - use availability: zonal or another region"
        )
    return sorted(ids, key=lambda z: (len(z), z))[i]


def _zone_output(lookup: pulumi.Output[list[str]], i: int, count: int, region: str) -> pulumi.Output[str]:
    def pick(ids: list[str]) -> str:
        return _nth_zone(list(ids), i, count, region)

    return lookup.apply(pick)


def _create_network(spec: ClusterSpec, region: str, scope: Scope) -> ClusterNetwork:
    prefix = spec.name
    count = zone_count(spec)
    lookup = available_zone_ids(region, scope)
    zones = [_zone_output(lookup, i, count, region) for i in range(count)]
    private_cidrs, public_cidrs = subnet_plan(spec.spec.network.node_cidr, count)
    discovery = {f"kubernetes.io/cluster/{cluster_name(spec)}": "shared"}

    vpc = aws.ec2.Vpc(
        f"{prefix}-vpc",
        aws.ec2.VpcArgs(
            cidr_block=spec.spec.network.node_cidr,
            enable_dns_hostnames=True,  # EKS nodes register by private DNS name
            enable_dns_support=True,
            tags=scope.tagged(name_for(TAG_NAME, spec, "vpc")),
        ),
        opts=scope.opts(),
    )
    igw = aws.ec2.InternetGateway(
        f"{prefix}-igw",
        aws.ec2.InternetGatewayArgs(vpc_id=vpc.id, tags=scope.tagged(name_for(TAG_NAME, spec, "igw"))),
        opts=scope.opts(parent=vpc),
    )
    public_rt = aws.ec2.RouteTable(
        f"{prefix}-public-rt",
        aws.ec2.RouteTableArgs(
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=scope.tagged(name_for(TAG_NAME, spec, "public")),
        ),
        opts=scope.opts(parent=vpc),
    )
    public_subnets: list[aws.ec2.Subnet] = []
    private_subnets: list[aws.ec2.Subnet] = []
    ready: list[pulumi.Resource] = [public_rt]
    for i, zone in enumerate(zones):
        public = aws.ec2.Subnet(
            f"{prefix}-public-{i}",
            aws.ec2.SubnetArgs(
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone_id=zone,
                map_public_ip_on_launch=not spec.spec.network.private_nodes,
                tags=scope.tagged(name_for(TAG_NAME, spec, f"public-{i}"), {**PUBLIC_ELB_TAG, **discovery}),
            ),
            opts=scope.opts(parent=vpc),
        )
        assoc = aws.ec2.RouteTableAssociation(
            f"{prefix}-public-{i}",
            aws.ec2.RouteTableAssociationArgs(subnet_id=public.id, route_table_id=public_rt.id),
            opts=scope.opts(parent=public),
        )
        private = aws.ec2.Subnet(
            f"{prefix}-private-{i}",
            aws.ec2.SubnetArgs(
                vpc_id=vpc.id,
                cidr_block=private_cidrs[i],
                availability_zone_id=zone,
                map_public_ip_on_launch=False,
                tags=scope.tagged(name_for(TAG_NAME, spec, f"private-{i}"), {**PRIVATE_ELB_TAG, **discovery}),
            ),
            opts=scope.opts(parent=vpc),
        )
        public_subnets.append(public)
        private_subnets.append(private)
        ready.append(assoc)

    if needs_nat(spec):
        ready += _nat(spec, scope, vpc, public_subnets, private_subnets)

    private_ids: list[pulumi.Input[str]] = [s.id for s in private_subnets]
    public_ids: list[pulumi.Input[str]] = [s.id for s in public_subnets]
    node_ids = private_ids if spec.spec.network.private_nodes else public_ids
    if spec.spec.control_plane.availability == "zonal":
        node_ids = node_ids[:1]
    return ClusterNetwork(
        vpc_id=vpc.id,
        control_plane_subnets=private_ids,
        node_subnets=node_ids,
        fargate_subnets=private_ids,
        ready=ready,
    )


def _nat(
    spec: ClusterSpec,
    scope: Scope,
    vpc: aws.ec2.Vpc,
    public_subnets: Sequence[aws.ec2.Subnet],
    private_subnets: Sequence[aws.ec2.Subnet],
) -> list[pulumi.Resource]:
    """NAT gateways (one per zone when regional, else one) and a private route table per zone."""
    prefix = spec.name
    per_zone = spec.spec.control_plane.availability == "regional"
    gateways: list[aws.ec2.NatGateway] = []
    for i in range(len(public_subnets) if per_zone else 1):
        eip = aws.ec2.Eip(
            f"{prefix}-nat-{i}",
            aws.ec2.EipArgs(domain="vpc", tags=scope.tagged(name_for(TAG_NAME, spec, f"nat-{i}"))),
            opts=scope.opts(parent=vpc),
        )
        gateways.append(
            aws.ec2.NatGateway(
                f"{prefix}-nat-{i}",
                aws.ec2.NatGatewayArgs(
                    allocation_id=eip.allocation_id,
                    subnet_id=public_subnets[i].id,
                    connectivity_type="public",
                    tags=scope.tagged(name_for(TAG_NAME, spec, f"nat-{i}")),
                ),
                opts=scope.opts(parent=public_subnets[i]),
            )
        )
    done: list[pulumi.Resource] = []
    for i, subnet in enumerate(private_subnets):
        nat = gateways[i if per_zone else 0]
        table = aws.ec2.RouteTable(
            f"{prefix}-private-rt-{i}",
            aws.ec2.RouteTableArgs(
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=scope.tagged(name_for(TAG_NAME, spec, f"private-{i}")),
            ),
            opts=scope.opts(parent=vpc),
        )
        done.append(
            aws.ec2.RouteTableAssociation(
                f"{prefix}-private-{i}",
                aws.ec2.RouteTableAssociationArgs(subnet_id=subnet.id, route_table_id=table.id),
                opts=scope.opts(parent=subnet),
            )
        )
    return done

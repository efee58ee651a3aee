"""The node network: a VNet and subnet from ``spec.network.nodeCidr``, and a NAT gateway for private nodes.

Pods use Azure CNI Overlay (``podCidr`` is an overlay range, not carved from the VNet), so the subnet only
holds node IPs. Private nodes never get public IPs on AKS; their egress goes through a NAT gateway with
one static public IP associated with the subnet (``outboundType: userAssignedNATGateway``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import network

from kubefleet.providers.aks.translate import Names
from kubefleet.spec.model import ClusterSpec


@dataclass(frozen=True)
class NodeNetwork:
    vnet: Any
    subnet: Any
    nat_gateway: Any | None
    nat_ip: Any | None = None  # the NAT gateway's static public IP (the nodes' egress address)

    @property
    def resources(self) -> list[pulumi.Resource]:
        out = [self.vnet, self.subnet]
        if self.nat_gateway is not None:
            out.append(self.nat_gateway)
        return out


def build_network(
    spec: ClusterSpec,
    names: Names,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> NodeNetwork:
    prefix = spec.name
    nat = None
    ip = None
    nat_ref = None
    if spec.spec.network.private_nodes:
        ip = network.PublicIPAddress(
            f"{prefix}-nat-ip",
            network.PublicIPAddressInitArgs(
                resource_group_name=resource_group_name,
                public_ip_address_name=names.nat_ip,
                location=location,
                sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
                public_ip_allocation_method="Static",
                public_ip_address_version="IPv4",
                tags=tags,
            ),
            opts=opts,
        )
        nat = network.NatGateway(
            f"{prefix}-nat",
            network.NatGatewayInitArgs(
                resource_group_name=resource_group_name,
                nat_gateway_name=names.nat_gateway,
                location=location,
                sku=network.NatGatewaySkuArgs(name="Standard"),
                idle_timeout_in_minutes=4,
                public_ip_addresses=[network.SubResourceArgs(id=ip.id)],
                tags=tags,
            ),
            opts=opts,
        )
        nat_ref = network.SubResourceArgs(id=nat.id)

    vnet = network.VirtualNetwork(
        f"{prefix}-vnet",
        network.VirtualNetworkInitArgs(
            resource_group_name=resource_group_name,
            virtual_network_name=names.vnet,
            location=location,
            address_space=network.AddressSpaceArgs(address_prefixes=[spec.spec.network.node_cidr]),
            tags=tags,
        ),
        opts=opts,
    )
    # The subnet is its own resource so the NAT association and the role assignment can address it.
    subnet = network.Subnet(
        f"{prefix}-nodes",
        network.SubnetInitArgs(
            resource_group_name=resource_group_name,
            virtual_network_name=vnet.name,
            subnet_name=names.subnet,
            address_prefix=spec.spec.network.node_cidr,
            nat_gateway=nat_ref,
            default_outbound_access=False if spec.spec.network.private_nodes else None,
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=vnet)),
    )
    return NodeNetwork(vnet=vnet, subnet=subnet, nat_gateway=nat, nat_ip=ip)

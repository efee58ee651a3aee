"""The node network: a VNet and subnet from ``spec.network.nodeCidr``, and the private nodes' static egress IP.

Pods use Azure CNI Overlay (``podCidr`` is an overlay range, not carved from the VNet), so the subnet only
holds node IPs. Private nodes never get public IPs on AKS; their egress leaves through the cluster's Standard
load balancer (``outboundType: loadBalancer``) from one static Standard public IP that kubefleet owns and
hands to AKS as the load balancer's outbound IP (``networkProfile.loadBalancerProfile.outboundIPs``), so the
egress address is known before the cluster exists (the API server's authorised ranges list it).

Why a load balancer and not a NAT gateway
    A Standard NAT gateway is zonal: "no zone" lets Azure pick one zone, and "if the zone that NAT gateway is
    deployed in goes down, then outbound connectivity across all virtual machine instances associated with
    the NAT gateway will also go down" (MicrosoftDocs/azure-docs@8262e83bdba552e9a84b1dd4987cfaaf4f79bf0b:
    articles/nat-gateway/nat-availability-zones.md, "Single zonal NAT gateway resource for zone-spanning
    resources"; MicrosoftDocs/azure-aks-docs@fb060abe6a8fef960d4c487b543bf7b1e97808fe:articles/aks/
    nat-gateway.md:234-235). The zone-redundant StandardV2 NAT gateway is not in the network API version
    pulumi-azure-native 3.29 speaks (2024-05-01; ``NatGatewaySkuName`` has ``Standard`` only). A Standard
    load balancer whose frontend IP is zone-redundant is zone-redundant: "A zone-redundant public IP address
    used for outbound connections is served by all zones" and survives a zone failure
    (MicrosoftDocs/azure-docs@9ebaa0fec53a2507c4df2ed74cc7a307aa53e4ff:articles/load-balancer/
    load-balancer-standard-availability-zones.md, "Outbound connections", "Zone redundant"). The egress IP
    is therefore a Standard IP in zones 1, 2 and 3 — also for a single-zone cluster ("A zone-redundant IP
    address can serve a zonal resource in any zone", same file, "Automatic zone-redundancy"), which keeps the
    egress address when the cluster's zones change (an IP's zones cannot change: "recreate the IP", same
    file, "Frontend").

Clusters an older kubefleet created (NAT gateway, ``userAssignedNATGateway``)
    AKS migrates a BYO VNet's ``userAssignedNATGateway`` to ``loadBalancer`` in place (egress-outboundtype.md
    @fb060ab:98-132, the BYO VNet table, line 130), but pulumi-azure-native replaces a ManagedCluster whose
    ``networkProfile.outboundType`` changes (its forceNewMap: the generated replace table; the API model
    says "This can only be set at cluster creation time", azure-mgmt-containerservice 40.1.0
    ContainerServiceNetworkProfile.outbound_type). So ``up`` asks Azure for the running cluster first
    (:func:`live_cluster`): a cluster that egresses through kubefleet's NAT gateway keeps it (the same
    resources and inputs as before, :func:`build_network` ``legacy_nat``) and gets the zone-redundant egress
    IP beside it, so that the migration can be made with ``az aks update --outbound-type loadBalancer
    --load-balancer-outbound-ips <its id>`` followed by ``kubefleet refresh`` (README, "AKS egress").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pulumi_azure_native import containerservice, network

from kubefleet.providers.aks.translate import EGRESS_IP_ZONES, Names
from kubefleet.spec.model import ClusterSpec

#: What Azure's not-found answers say (ARM error codes ResourceNotFound, ResourceGroupNotFound; the offline
#: render's and the local cloud's answer, providers/aks/mocks.py).
NOT_FOUND: Final = ("NotFound", "was not found", "nothing is deployed")
LEGACY_OUTBOUND: Final = "userAssignedNATGateway"


@dataclass(frozen=True)
class NodeNetwork:
    vnet: Any
    subnet: Any
    nat_gateway: Any | None = None  # clusters an older kubefleet created only (legacy_nat)
    nat_ip: Any | None = None  # that NAT gateway's public IP (their egress address)
    egress_ip: Any | None = None  # the zone-redundant load balancer outbound IP of private nodes

    @property
    def resources(self) -> list[pulumi.Resource]:
        out = [self.vnet, self.subnet]
        out += [r for r in (self.nat_gateway, self.egress_ip) if r is not None]
        return out

    @property
    def egress_address(self) -> Any | None:
        """The resource whose ``ip_address`` the nodes egress from now (None: an AKS-managed IP)."""
        return self.nat_ip if self.nat_gateway is not None else self.egress_ip


@dataclass(frozen=True)
class LivePool:
    """A pool of the running cluster as the ManagedCluster GET lists it (inline and AgentPool alike)."""

    name: str | None
    vm_size: str | None
    count: int | None


@dataclass(frozen=True)
class LiveCluster:
    """What ``up`` reads of the running cluster before it declares anything."""

    outbound_type: str | None
    pools: tuple[LivePool, ...] = ()


def live_cluster(resource_group: str, cluster: str, opts: pulumi.InvokeOptions) -> LiveCluster | None:
    """The running cluster's egress type and pools; None when there is no such cluster yet."""
    try:
        found = containerservice.get_managed_cluster(resource_group_name=resource_group, resource_name=cluster,
                                                     opts=opts)
    except Exception as err:  # the invoke's own error type is not part of the SDK's API
        if any(text in str(err) for text in NOT_FOUND):
            return None
        raise
    profile = found.network_profile
    pools = tuple(LivePool(p.name, p.vm_size, p.count) for p in found.agent_pool_profiles or [])
    return LiveCluster(None if profile is None else profile.outbound_type, pools)


def build_network(
    spec: ClusterSpec,
    names: Names,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    *,
    legacy_nat: bool = False,
) -> NodeNetwork:
    prefix = spec.name
    private = spec.spec.network.private_nodes
    nat = nat_ip = egress = None
    if private:
        egress = network.PublicIPAddress(
            f"{prefix}-egress-ip",
            network.PublicIPAddressInitArgs(
                resource_group_name=resource_group_name,
                public_ip_address_name=names.egress_ip,
                location=location,
                sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
                public_ip_allocation_method="Static",
                public_ip_address_version="IPv4",
                zones=list(EGRESS_IP_ZONES),
                tags=tags,
            ),
            opts=opts,
        )
    if private and legacy_nat:
        # exactly what kubefleet declared before the load-balancer egress: any change here would be an update
        # of a running cluster's egress path (or, for a NAT gateway's zones, a refusal)
        nat_ip = network.PublicIPAddress(
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
                public_ip_addresses=[network.SubResourceArgs(id=nat_ip.id)],
                tags=tags,
            ),
            opts=opts,
        )

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
    # The subnet is its own resource so the role assignment (and a legacy NAT association) can address it.
    subnet = network.Subnet(
        f"{prefix}-nodes",
        network.SubnetInitArgs(
            resource_group_name=resource_group_name,
            virtual_network_name=vnet.name,
            subnet_name=names.subnet,
            address_prefix=spec.spec.network.node_cidr,
            nat_gateway=network.SubResourceArgs(id=nat.id) if nat is not None else None,
            default_outbound_access=False if private else None,
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=vnet)),
    )
    return NodeNetwork(vnet=vnet, subnet=subnet, nat_gateway=nat, nat_ip=nat_ip, egress_ip=egress)

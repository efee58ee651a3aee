"""The AKS cluster: resource group, ManagedCluster (control plane + bootstrap System pool), access, outputs.

Everything is declared under the ``kubefleet:aks:Cluster`` component; the node network, User pools,
maintenance schedules and mesh come from their own modules.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
from pulumi_azure_native import authorization, containerservice, resources

from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.gpu import install_device_plugin
from kubefleet.providers.aks.kubeconfig import kubeconfig_output
from kubefleet.providers.aks.mesh import install_self_managed, service_mesh_profile
from kubefleet.providers.aks.network import LEGACY_OUTBOUND, NodeNetwork, build_network, live_cluster
from kubefleet.providers.aks.nodepool import (
    bootstrap_pool_profile,
    build_pool,
    build_system_pool,
    kept_inline_pool,
)
from kubefleet.providers.aks.resource_args import as_kwargs
from kubefleet.providers.aks.upgrades import build_maintenance
from kubefleet.providers.base import ClusterOutputs
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

COMPONENT_TYPE: Final = "kubefleet:aks:Cluster"

#: Built-in role ids (the same in every tenant).
NETWORK_CONTRIBUTOR: Final = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AKS_RBAC_CLUSTER_ADMIN: Final = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
#: Public client apps a person signs in through (Azure CLI, Azure PowerShell): the deployer is a User.
INTERACTIVE_CLIENT_IDS: Final = frozenset(
    {"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "1950a258-227b-4e31-a9cf-717495945fc2"}
)


def _principal_type(client_id: str | None) -> str:
    """ARM rejects a role assignment whose principalType does not match (azure-native defaults to User)."""
    return "User" if client_id in INTERACTIVE_CLIENT_IDS else "ServicePrincipal"


class AksCluster(pulumi.ComponentResource):
    """The component every AKS resource hangs under."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)


def stack_provider_args(subscription_id: str, location: str) -> Any:
    """Arguments of the explicit provider a `providers.aks.subscriptionId` needs. An explicit provider takes
    only its own arguments, not the stack's `azure-native:*` configuration the default provider reads
    (pulumi docs, "Explicit provider configuration"), so credentials and cloud settings made with
    `pulumi config set azure-native:<key>` would be ignored: every key the installed SDK's ProviderArgs
    knows is carried over (secret-looking ones as secrets), like the EKS adapter does for `aws:*`."""
    import json

    from pulumi_azure_native import ProviderArgs

    cfg = pulumi.Config("azure-native")
    kwargs: dict[str, Any] = {}
    for py_name, member in vars(ProviderArgs).items():
        getter = getattr(member, "fget", None)
        key = getattr(getter, "_pulumi_name", None)
        if not key or py_name in ("subscription_id", "location"):
            continue
        if any(word in key.lower() for word in ("secret", "password", "token")):
            secret = cfg.get_secret(key)
            if secret is not None:
                kwargs[py_name] = secret
            continue
        raw = cfg.get(key)
        if raw is None:
            continue
        try:
            kwargs[py_name] = json.loads(raw)  # booleans and lists are stored as JSON text
        except ValueError:
            kwargs[py_name] = raw
    return ProviderArgs(subscription_id=subscription_id, location=location, **kwargs)


def _role_definition(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role
    )


def _authorized_ranges(spec: ClusterSpec, net: NodeNetwork) -> pulumi.Input[list[str]] | None:
    """The spec's ranges, plus the private nodes' static egress IP (the load balancer's outbound IP, or an
    older cluster's NAT gateway IP)."""
    ranges = t.authorized_ip_ranges(spec)
    source = net.egress_address
    if ranges is None or not t.needs_egress_range(spec) or source is None:
        return ranges
    return source.ip_address.apply(lambda ip: [*ranges, t.egress_range(str(ip))])


def _load_balancer_profile(net: NodeNetwork) -> Any:
    """The load balancer's outbound IP is kubefleet's zone-redundant egress IP (private nodes on the load
    balancer egress); None leaves AKS its managed outbound IP (public nodes) or a legacy NAT gateway."""
    if net.egress_ip is None or net.nat_gateway is not None:
        return None
    return containerservice.ManagedClusterLoadBalancerProfileArgs(
        outbound_ips=containerservice.ManagedClusterLoadBalancerProfileOutboundIPsArgs(
            public_ips=[containerservice.ResourceReferenceArgs(id=net.egress_ip.id)]))


def _subnet_grant(spec: ClusterSpec, ctx: ResolvedCluster, names: t.Names, subnet_id: pulumi.Input[str],
                  subscription_id: pulumi.Input[str], principal_id: pulumi.Input[str | None],
                  opts: pulumi.ResourceOptions, *, user_assigned: bool = False, what: str = "subnet") -> Any:
    """Network Contributor on the node subnet (``what="subnet"``) or on the egress IP (``what="egress-ip"``:
    the cluster identity joins it to the load balancer, ``Microsoft.Network/publicIPAddresses/join/action``,
    MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/aks-service-permissions.md:31,45) for the control-plane
    identity. The system-assigned and the user-assigned (KMS) identity's grants have different names: turning
    KMS on or off creates the new grant and deletes the old one (principalId replaces a role assignment — the
    generated replace table — and a replacement under the same name would collide with the grant it
    replaces)."""
    seed = f"{what}-user-assigned" if user_assigned else what
    manages = "its node subnet" if what == "subnet" else "its egress IP (load balancer outbound IP)"
    return authorization.RoleAssignment(
        f"{spec.name}-{seed}-network-contributor",
        authorization.RoleAssignmentArgs(
            role_assignment_name=t.role_assignment_name(spec.name, ctx.region, seed, NETWORK_CONTRIBUTOR),
            scope=subnet_id,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=_role_definition(subscription_id, NETWORK_CONTRIBUTOR),
            description=f"kubefleet: AKS {names.cluster} manages {manages}",
        ),
        opts=opts,
    )


def build(spec: ClusterSpec, ctx: ResolvedCluster) -> ClusterOutputs:
    names = t.names(spec, ctx.region)
    tags = t.azure_tags(ctx.labels)
    location = ctx.region
    opts_aks = spec.spec.providers.aks

    component = AksCluster(spec.name, pulumi.ResourceOptions(protect=ctx.protect))
    child = pulumi.ResourceOptions(parent=component)
    azure: Any = None

    if opts_aks is not None and opts_aks.subscription_id:
        from pulumi_azure_native import Provider

        azure = Provider(
            f"{spec.name}-azure",
            stack_provider_args(opts_aks.subscription_id, location),
            opts=child,
        )
        child = pulumi.ResourceOptions(parent=component, provider=azure)
        invoke_opts = pulumi.InvokeOutputOptions(parent=component, provider=azure)
        client = authorization.get_client_config_output(opts=invoke_opts)
        subscription_id: pulumi.Input[str] = opts_aks.subscription_id
    else:
        invoke_opts = pulumi.InvokeOutputOptions(parent=component)
        client = authorization.get_client_config_output(opts=invoke_opts)
        subscription_id = client.subscription_id

    if opts_aks is not None and opts_aks.resource_group:
        rg_name: pulumi.Input[str] = opts_aks.resource_group
    else:
        rg = resources.ResourceGroup(
            f"{spec.name}-rg",
            resources.ResourceGroupArgs(
                resource_group_name=names.resource_group, location=location, tags=tags
            ),
            opts=child,
        )
        rg_name = rg.name

    # What runs already: a NAT gateway an older kubefleet created stays (network.py says why); an older
    # kubefleet's inline System pool is named, with what it runs (nodepool.kept_inline_pool).
    live = live_cluster(
        opts_aks.resource_group if opts_aks is not None and opts_aks.resource_group else names.resource_group,
        names.cluster, pulumi.InvokeOptions(parent=component, provider=azure))
    legacy_nat = spec.spec.network.private_nodes and live is not None and live.outbound_type == LEGACY_OUTBOUND
    kept = kept_inline_pool(spec, ctx, names.cluster, live.pools) if live is not None else None
    if kept is not None:
        pulumi.log.warn(kept, component)
    if legacy_nat:
        pulumi.log.warn(
            f"AKS {names.cluster} egresses through the NAT gateway an older kubefleet created (outboundType "
            "userAssignedNATGateway): one zone's outage cuts its nodes' egress. kubefleet keeps it (changing "
            f"outboundType would replace the cluster) and keeps the zone-redundant IP {names.egress_ip} ready: "
            "migrate with `az aks update --outbound-type loadBalancer --load-balancer-outbound-ips <its id>`, then "
            "`kubefleet refresh` and `kubefleet up` (README, \"AKS egress\")", component)
    net = build_network(spec, names, rg_name, location, tags, child, legacy_nat=legacy_nat)
    subnet_id = net.subnet.id

    # KMS needs a user-assigned control-plane identity with Key Vault Crypto User on the vault before the
    # cluster exists (use-kms-etcd-encryption.md:54), and a BYO identity needs its subnet rights up front too.
    identity: Any = None
    control_plane_grants: list[pulumi.Resource] = []
    if t.kms(spec):
        from pulumi_azure_native import managedidentity

        assert opts_aks is not None and opts_aks.kms is not None
        identity = managedidentity.UserAssignedIdentity(
            f"{spec.name}-identity",
            **as_kwargs(managedidentity.UserAssignedIdentityArgs(
                resource_group_name=rg_name, resource_name=names.identity, location=location, tags=tags)),
            opts=child,
        )
        control_plane_grants.append(authorization.RoleAssignment(
            f"{spec.name}-kms-crypto-user",
            authorization.RoleAssignmentArgs(
                role_assignment_name=t.role_assignment_name(spec.name, ctx.region, "kms", t.KEY_VAULT_CRYPTO_USER),
                scope=opts_aks.kms.key_vault_resource_id,
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=_role_definition(subscription_id, t.KEY_VAULT_CRYPTO_USER),
                description=f"kubefleet: AKS {names.cluster} encrypts secrets with its Key Vault key (KMS)",
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=identity)),
        ))
        control_plane_grants.append(_subnet_grant(spec, ctx, names, subnet_id, subscription_id,
                                                  identity.principal_id, pulumi.ResourceOptions.merge(
                                                      child, pulumi.ResourceOptions(parent=identity)),
                                                  user_assigned=True))
        if net.egress_ip is not None:
            control_plane_grants.append(_subnet_grant(
                spec, ctx, names, net.egress_ip.id, subscription_id, identity.principal_id,
                pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=identity)),
                user_assigned=True, what="egress-ip"))

    cluster = containerservice.ManagedCluster(
        f"{spec.name}-aks",
        **as_kwargs(
            containerservice.ManagedClusterArgs(
                resource_group_name=rg_name,
                resource_name=names.cluster,
                location=location,
                dns_prefix=names.dns_prefix,
                node_resource_group=names.node_resource_group,
                kubernetes_version=spec.spec.kubernetes.version,
                sku=containerservice.ManagedClusterSKUArgs(name="Base", tier=t.sku_tier(spec)),
                support_plan=t.support_plan(spec),
                auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                    upgrade_channel=t.upgrade_channel(spec),
                    node_os_upgrade_channel=t.node_os_upgrade_channel(spec),
                ),
                api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                    enable_private_cluster=t.private_endpoint(spec),
                    authorized_ip_ranges=_authorized_ranges(spec, net),
                ),
                network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                    network_plugin="azure",
                    network_plugin_mode="overlay",
                    pod_cidr=spec.spec.network.pod_cidr,
                    service_cidr=spec.spec.network.service_cidr,
                    dns_service_ip=t.dns_service_ip(spec),
                    network_dataplane=t.NETWORK_DATAPLANE,
                    network_policy=t.NETWORK_POLICY,
                    load_balancer_sku="standard",
                    outbound_type=t.outbound_type(spec, legacy_nat=legacy_nat),
                    load_balancer_profile=_load_balancer_profile(net),
                ),
                identity=(containerservice.ManagedClusterIdentityArgs(
                    type="UserAssigned", user_assigned_identities=[identity.id]) if identity is not None
                    else containerservice.ManagedClusterIdentityArgs(type="SystemAssigned")),
                oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(
                    enabled=t.workload_identity(spec)),
                security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                    workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                        enabled=t.workload_identity(spec)
                    ),
                    # a public-access vault: keyVaultResourceId stays empty (the API model: "When
                    # keyVaultNetworkAccess is Public, leave the field empty")
                    azure_key_vault_kms=containerservice.AzureKeyVaultKmsArgs(
                        enabled=True, key_id=opts_aks.kms.key_id, key_vault_network_access="Public",
                    ) if opts_aks is not None and opts_aks.kms is not None else None,
                ),
                aad_profile=containerservice.ManagedClusterAADProfileArgs(
                    managed=True, enable_azure_rbac=True,
                    admin_group_object_ids=t.admin_group_object_ids(spec),
                ),
                disable_local_accounts=True,
                enable_rbac=True,
                agent_pool_profiles=[bootstrap_pool_profile(spec, ctx, subnet_id, tags)],
                service_mesh_profile=service_mesh_profile(ctx),
                tags=tags,
            )
        ),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
            depends_on=[*net.resources, *control_plane_grants],
            # Auto-upgrade channels move the version behind the program's back (stable can move a cluster
            # to a newer minor than the spec names); sending the spec's version again would be a
            # downgrade ARM refuses. The spec's version is the version the cluster is created with.
            # The Istio add-on's revisions move with `az aks mesh upgrade start|complete` (a canary: both
            # revisions during the upgrade, learn.microsoft.com/azure/aks/istio-upgrade); sending the
            # resolved revision again would roll a canary back, so it too is the revision created with.
            # `kubefleet diff` says when a spec change lands on an ignored input (not applied by `up`).
            # agentPoolProfiles holds only the bootstrap System pool the cluster is created with; every pool
            # the spec describes is an AgentPool (providers/aks/nodepool.py says why).
            ignore_changes=["agentPoolProfiles",
                            *(["kubernetesVersion"] if t.auto_upgrades(spec) else []),
                            *(["serviceMeshProfile.istio.revisions"] if t.managed_mesh(spec) else [])],
        )),
    )

    # The cluster identity manages load balancers / NAT in the node subnet: Network Contributor on it (a
    # user-assigned identity got it before the cluster, above).
    if identity is None:
        principal_id = cluster.identity.apply(lambda i: i.principal_id if i else None)
        _subnet_grant(spec, ctx, names, subnet_id, subscription_id, principal_id,
                      pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=cluster)))
        if net.egress_ip is not None:
            _subnet_grant(spec, ctx, names, net.egress_ip.id, subscription_id, principal_id,
                          pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=cluster)),
                          what="egress-ip")
    # Local accounts are off: whoever deploys gets cluster-admin through Azure RBAC (Helm needs it too).
    deployer_admin = authorization.RoleAssignment(
        f"{spec.name}-deployer-cluster-admin",
        authorization.RoleAssignmentArgs(
            role_assignment_name=t.role_assignment_name(
                spec.name, ctx.region, "deployer", AKS_RBAC_CLUSTER_ADMIN
            ),
            scope=cluster.id,
            principal_id=client.object_id,
            principal_type=client.client_id.apply(_principal_type),
            role_definition_id=_role_definition(subscription_id, AKS_RBAC_CLUSTER_ADMIN),
            description=f"kubefleet: deployer is cluster admin of AKS {names.cluster}",
        ),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=cluster)),
    )

    pool_opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(parent=cluster))
    pools: list[Any] = [
        build_system_pool(spec, ctx, rg_name, cluster.name, subnet_id, tags, pool_opts),
        *(build_pool(spec, ctx, pool, rg_name, cluster.name, subnet_id, tags, pool_opts)
          for pool in spec.spec.node_pools),
    ]
    build_maintenance(spec, rg_name, cluster.name, pool_opts)

    fqdn = cluster.private_fqdn if t.private_endpoint(spec) else cluster.fqdn
    endpoint = pulumi.Output.concat("https://", fqdn, ":443")
    credentials = containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=rg_name,
        resource_name=cluster.name,
        format="exec",
        opts=pulumi.InvokeOutputOptions(
            parent=component, provider=invoke_opts.provider, depends_on=[cluster]
        ),
    )
    kubeconfig = kubeconfig_output(cluster.name, endpoint, credentials.kubeconfigs[0].value)

    install_self_managed(ctx, kubeconfig, component, [cluster, deployer_admin, *pools])
    install_device_plugin(spec, kubeconfig, component, [cluster, deployer_admin, *pools])

    version = cluster.current_kubernetes_version
    component.register_outputs({"name": cluster.name, "endpoint": endpoint, "kubeconfig": kubeconfig})
    return ClusterOutputs(name=cluster.name, endpoint=endpoint, kubeconfig=kubeconfig, version=version)

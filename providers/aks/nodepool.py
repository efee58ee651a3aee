"""Node pools: the System pool inline in the ManagedCluster, every spec pool as a User ``AgentPool``."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.resource_args import as_kwargs
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.resolve.pools import system_pool
from kubefleet.spec.model import ClusterSpec, NodePool

#: AgentPool inputs AKS refuses to change on an existing pool although azure-native would send them as an
#: update (its forceNewMap has only vmSize, gpuInstanceProfile and networkProfile.nodePublicIPTags):
#: availabilityZones — learn.microsoft.com/azure/aks/availability-zones "You can't change the number of
#: availability zones after you create a node pool"; osDiskType — the AKS API model (ARM 2025-09-01,
#: azure-mgmt-containerservice AgentPool.os_disk_type): "May not be changed after creation".
#: The engine replaces the pool on these (replace_on_changes); tests/test_day2_aks.py reads the model text.
RECREATE_ON: tuple[str, ...] = ("availabilityZones", "osDiskType")


def _upgrade_settings(spec: ClusterSpec) -> Any:
    return containerservice.AgentPoolUpgradeSettingsArgs(
        max_surge=t.max_surge(spec),
        max_unavailable=t.max_unavailable(spec),
    )


def system_pool_profile(
    spec: ClusterSpec, ctx: ResolvedCluster, subnet_id: pulumi.Input[str] | None, tags: dict[str, str]
) -> Any:
    """The mandatory System pool (CoreDNS, metrics-server, ...), tainted so workloads land on spec pools."""
    pool = system_pool(spec)
    choice = ctx.instance(pool)
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name=t.system_pool_name(spec),
        mode="System",
        type="VirtualMachineScaleSets",
        os_type="Linux",
        os_sku="AzureLinux",
        vm_size=choice.name,
        count=pool.min_nodes,
        availability_zones=t.zones(spec),
        os_disk_type="Managed",
        os_disk_size_gb=64,
        node_taints=[t.SYSTEM_TAINT],
        vnet_subnet_id=subnet_id,
        upgrade_settings=_upgrade_settings(spec),
        tags=tags,
    )


def build_pool(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    pool: NodePool,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    subnet_id: pulumi.Input[str] | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> Any:
    choice = ctx.instance(pool)
    scaling: dict[str, Any]
    if pool.autoscaling is not None:
        scaling = {
            "enable_auto_scaling": True,
            "min_count": pool.autoscaling.min,
            "max_count": pool.autoscaling.max,
            "count": pool.autoscaling.min,
        }
    else:
        scaling = {"enable_auto_scaling": False, "count": pool.count}
    spot: dict[str, Any] = {}
    if pool.spot:
        # Spot pools: evicted VMs are deleted (not deallocated, which would keep paying for disks);
        # -1 = pay up to the on-demand price, never evicted for price. AKS adds the
        # kubernetes.azure.com/scalesetpriority=spot:NoSchedule taint itself.
        spot = {"scale_set_priority": "Spot", "scale_set_eviction_policy": "Delete", "spot_max_price": -1}
    gpu = {"gpu_profile": containerservice.GPUProfileArgs(driver="Install")} if pool.machine.gpu else {}
    return containerservice.AgentPool(
        f"{spec.name}-{pool.name}",
        **as_kwargs(
            containerservice.AgentPoolArgs(
                resource_group_name=resource_group_name,
                resource_name=cluster_name,
                agent_pool_name=t.pool_name_for(spec, pool.name),
                mode="User",
                type="VirtualMachineScaleSets",
                os_type="Linux",
                os_sku=t.os_sku(spec, pool),
                workload_runtime=t.workload_runtime(spec, pool),
                vm_size=choice.name,
                availability_zones=t.zones(spec),
                os_disk_size_gb=pool.disk.size_gib,
                os_disk_type=t.os_disk_type(pool),
                node_labels=dict(pool.labels) or None,
                node_taints=[t.taint(x) for x in pool.taints] or None,
                vnet_subnet_id=subnet_id,
                # AKS upgrades Spot pools without surge nodes (cordon + eviction notice).
                upgrade_settings=None if pool.spot else _upgrade_settings(spec),
                tags=tags,
                **scaling,
                **spot,
                **gpu,
            )
        ),
        # The cluster autoscaler owns the node count of an autoscaled pool; sending the initial count
        # again on every update would fight it. A replacement keeps the pool's name (the agentPoolName is the
        # ARM URL: a second pool of the same name cannot exist), so the old pool is deleted first — the
        # delete-before-replace variant of Azure/terraform-azurerm-aks's node pools
        # (extra_node_pool.tf node_pool_create_after_destroy); names stay so that upgrading kubefleet never
        # replaces a running pool.
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(
                ignore_changes=["count"] if pool.autoscaling is not None else None,
                replace_on_changes=list(RECREATE_ON),
                delete_before_replace=True,
            )
        ),
    )

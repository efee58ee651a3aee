"""Node pools, every one an ``AgentPool``: the managed System pool and every spec pool as a User pool.

AKS creates a cluster only with at least one System pool in ``agentPoolProfiles``, and the ManagedCluster
API refuses to change an existing pool's VM size or zones (learn.microsoft.com/azure/aks/use-system-pools,
"System and user node pools"; the way to change them is a new pool, then delete the old one). So:

* the ManagedCluster is created with a two-node *bootstrap* System pool (:func:`bootstrap_pool_profile`)
  and ignores ``agentPoolProfiles`` afterwards. The bootstrap pool is never changed or deleted: azure-native
  sends the ignored creation-time ``agentPoolProfiles`` with every later ManagedCluster PUT, and AKS
  answers a PUT that lists a pool deleted since with "A new agent pool was introduced. Adding agent pools to
  an existing cluster is not allowed through managed cluster operations" (pulumi/pulumi-azure-native#2719,
  #579). It also keeps the cluster's System pool count above zero while the managed one is replaced.
* the System pool the spec describes is an ``AgentPool`` in mode System (:func:`build_system_pool`) whose
  name hashes the inputs that replace a pool (:data:`NAME_INPUTS`): a VM-size or zone change gives a new
  name, and the engine creates the new pool before it deletes the old one (Pulumi's default
  create-before-delete) — AKS moves the system pods over when the old System pool is deleted;
* spec pools keep their names (upgrading kubefleet must not replace a running pool), so their replacement
  deletes the old pool first (:func:`build_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.network import LivePool
from kubefleet.providers.aks.resource_args import as_kwargs
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.resolve.pools import SYSTEM_MIN_NODES, SYSTEM_POOL_KEY, system_pool
from kubefleet.spec.model import ClusterSpec, NodePool

#: AgentPool inputs AKS refuses to change on an existing pool although azure-native would send them as an
#: update (its forceNewMap has only vmSize, gpuInstanceProfile and networkProfile.nodePublicIPTags):
#: availabilityZones — learn.microsoft.com/azure/aks/availability-zones "You can't change the number of
#: availability zones after you create a node pool"; osDiskType — the AKS API model (ARM 2025-09-01,
#: azure-mgmt-containerservice AgentPool.os_disk_type): "May not be changed after creation".
#: The engine replaces the pool on these (replace_on_changes); tests/test_day2_aks.py reads the model text.
RECREATE_ON: tuple[str, ...] = ("availabilityZones", "osDiskType")
#: The inputs the managed System pool's name is hashed from: azure-native's forceNewMap for AgentPool
#: (vmSize, gpuInstanceProfile: the generated replace table, kubefleet/changes/replace_table.json) and
#: :data:`RECREATE_ON`. tests/test_day2_aks.py checks this list against the table.
NAME_INPUTS: tuple[str, ...] = ("vmSize", "gpuInstanceProfile", *RECREATE_ON)
#: The bootstrap pool's node count: AKS's documented minimum for a System pool ("System pools must contain at
#: least two nodes", MicrosoftDocs/azure-aks-docs@fb060ab:articles/aks/use-system-pools.md:77). The API model
#: alone would take one (AgentPool.count: "1 to 1000 (inclusive) for system pools"); the documented rule is
#: the stricter one and is what kubefleet renders. Its VM size is the System shape's (>= 4 vCPUs, line 78).
BOOTSTRAP_COUNT = SYSTEM_MIN_NODES
#: OS disk of the System pools (bootstrap and managed): Managed, 64 GiB.
SYSTEM_OS_DISK_GIB = 64


def _upgrade_settings(spec: ClusterSpec) -> Any:
    return containerservice.AgentPoolUpgradeSettingsArgs(
        max_surge=t.max_surge(spec),
        max_unavailable=t.max_unavailable(spec),
    )


def bootstrap_pool_profile(
    spec: ClusterSpec, ctx: ResolvedCluster, subnet_id: pulumi.Input[str] | None, tags: dict[str, str]
) -> Any:
    """The two-node System pool the ManagedCluster is created with (ignored afterwards, never changed): AKS
    creates no cluster without a System pool. The VM size is the resolved System shape's, which the catalog
    says the region offers; tainted so only system pods land on it."""
    choice = ctx.instance(system_pool(spec))
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name=t.system_pool_name(spec),
        mode="System",
        type="VirtualMachineScaleSets",
        os_type="Linux",
        os_sku="AzureLinux",
        vm_size=choice.name,
        count=BOOTSTRAP_COUNT,
        availability_zones=t.zones(spec),
        os_disk_type="Managed",
        os_disk_size_gb=SYSTEM_OS_DISK_GIB,
        node_taints=[t.SYSTEM_TAINT],
        vnet_subnet_id=subnet_id,
        upgrade_settings=_upgrade_settings(spec),
        tags=tags,
    )


def kept_inline_pool(spec: ClusterSpec, ctx: ResolvedCluster, cluster: str, live: Sequence[LivePool]) -> str | None:
    """What to tell about the running cluster's inline System pool when an older kubefleet created it (its
    System pool was the inline one, 3 x 2 vCPU regional / 1 node zonal; or the one-node bootstrap pool of
    kubefleet 2026-12-06 before the documented minimum): it keeps running beside the System AgentPool and is
    billed, the program cannot change or remove it (``agentPoolProfiles`` is ignored after creation and
    azure-native re-sends the creation-time list with every cluster PUT, pulumi/pulumi-azure-native#2719), and
    the offline cost prices it as this version creates it. None when it is what this version creates."""
    name = t.system_pool_name(spec)
    size = ctx.instance(system_pool(spec)).name
    for pool in live:
        if pool.name != name or (pool.vm_size, pool.count) == (size, BOOTSTRAP_COUNT):
            continue
        below = pool.count is not None and pool.count < SYSTEM_MIN_NODES
        return (f"AKS {cluster}: the System pool {name} inside the cluster runs {pool.count} x {pool.vm_size}, not "
                f"the {BOOTSTRAP_COUNT} x {size} this kubefleet creates clusters with (an older kubefleet's System "
                "pool). It stays beside the System AgentPool and its nodes are billed; the program cannot change or "
                "remove it (every cluster update re-sends it, pulumi/pulumi-azure-native#2719), and `kubefleet cost`"
                f" and `diff` price it as {BOOTSTRAP_COUNT} x {size}"
                + (f"; it is below AKS's documented System pool minimum of {SYSTEM_MIN_NODES} nodes "
                   "(use-system-pools.md@fb060ab:77)" if below else ""))
    return None


def system_replace_inputs(spec: ClusterSpec, ctx: ResolvedCluster) -> dict[str, object]:
    """The managed System pool's values of :data:`NAME_INPUTS` (absent ones as None)."""
    values: dict[str, object] = {
        "vmSize": ctx.instance(system_pool(spec)).name,
        "gpuInstanceProfile": None,
        "availabilityZones": t.zones(spec),
        "osDiskType": "Managed",
    }
    return {k: values[k] for k in NAME_INPUTS}


def build_system_pool(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    subnet_id: pulumi.Input[str] | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> Any:
    """The System pool the spec describes (CoreDNS, metrics-server, konnectivity), as an AgentPool in mode
    System, tainted so workloads land on spec pools; renamed (create-before-delete) when it must be replaced."""
    pool = system_pool(spec)
    values = system_replace_inputs(spec, ctx)
    return containerservice.AgentPool(
        f"{spec.name}-{SYSTEM_POOL_KEY}",
        **as_kwargs(
            containerservice.AgentPoolArgs(
                resource_group_name=resource_group_name,
                resource_name=cluster_name,
                agent_pool_name=t.system_agent_pool_name(spec, values),
                mode="System",
                type="VirtualMachineScaleSets",
                os_type="Linux",
                os_sku="AzureLinux",
                vm_size=values["vmSize"],
                count=pool.count,
                enable_auto_scaling=False,
                availability_zones=values["availabilityZones"],
                os_disk_type=values["osDiskType"],
                os_disk_size_gb=SYSTEM_OS_DISK_GIB,
                node_taints=[t.SYSTEM_TAINT],
                vnet_subnet_id=subnet_id,
                upgrade_settings=_upgrade_settings(spec),
                tags=tags,
            )
        ),
        # The name changes with every input that replaces a pool, so a replacement is create-before-delete
        # (no delete_before_replace): the old System pool runs until the new one is up.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(replace_on_changes=list(RECREATE_ON))),
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

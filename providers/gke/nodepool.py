"""One ``gcp.container.NodePool`` per spec pool (plus the non-sandboxed system pool GKE Sandbox needs).

Sizes: the spec's numbers are totals. Autoscaled pools use ``total_min_node_count`` /
``total_max_node_count`` (totals across zones); a fixed ``count`` becomes GKE's per-zone ``node_count``,
rounded up when it does not divide by the zone count (the parity report says so).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from kubefleet.naming import gcp_labels
from kubefleet.providers.gke import names, settings
from kubefleet.resolve.model import InstanceChoice, ResolvedCluster
from kubefleet.resolve.pools import gke_sandbox_system_pool
from kubefleet.spec.model import ClusterSpec, NodePool

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def pools_to_build(spec: ClusterSpec) -> list[tuple[NodePool, bool]]:
    """Every spec pool with whether it runs sandboxed; a sandboxed cluster gets one extra small
    non-sandboxed pool for system pods (GKE Sandbox refuses to be the only kind of pool)."""
    sandboxed = spec.spec.tenancy.isolation == "sandboxed"
    pools = [(pool, sandboxed) for pool in spec.spec.node_pools]
    if sandboxed:
        pools.append((system_pool(spec), False))
    return pools


def system_pool(spec: ClusterSpec) -> NodePool:
    # one node per zone (at least two in a zonal cluster, so system pods survive a node upgrade)
    pool = gke_sandbox_system_pool(spec, count=max(settings.zone_count(spec), 2))
    if pool is None:
        raise ValueError("only a sandboxed cluster has a sandbox system pool")
    return pool


def _accelerators(choice: InstanceChoice) -> list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgs] | None:
    """N1 machines carry GPUs as attached accelerators (e.g. nvidia-tesla-t4); GPU machine families
    (g2, a2, a3) have them built in and only get an entry when the match names the accelerator."""
    if not choice.accelerator:
        return None
    return [
        gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
            type=choice.accelerator,
            count=max(choice.gpu_count, 1),
            gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                gpu_driver_version="DEFAULT"
            ),
        )
    ]


def _node_config(
    spec: ClusterSpec, ctx: ResolvedCluster, pool: NodePool, choice: InstanceChoice, sandboxed: bool,
    service_account: pulumi.Input[str],
) -> gcp.container.NodePoolNodeConfigArgs:
    # gVisor runs on Container-Optimized OS only
    image = settings.IMAGE_TYPES["default" if sandboxed else pool.os]
    return gcp.container.NodePoolNodeConfigArgs(
        machine_type=choice.name,
        disk_size_gb=pool.disk.size_gib,
        disk_type=settings.DISK_TYPES[pool.disk.type],
        image_type=image,
        spot=pool.spot,
        labels=dict(pool.labels),
        resource_labels=gcp_labels({**ctx.labels, "kubefleet.dev/pool": pool.name}),
        taints=[
            gcp.container.NodePoolNodeConfigTaintArgs(
                key=t.key, value=t.value, effect=settings.TAINT_EFFECTS[t.effect]
            )
            for t in pool.taints
        ],
        guest_accelerators=_accelerators(choice),
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        sandbox_config=(
            gcp.container.NodePoolNodeConfigSandboxConfigArgs(type=settings.SANDBOX_TYPE) if sandboxed else None
        ),
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        # cloud-platform scope with a least-privilege service account: IAM, not scopes, limits the nodes
        service_account=service_account,
        oauth_scopes=[CLOUD_PLATFORM_SCOPE],
        tags=[names.node_tag(spec)],
    )


def _upgrade_settings(spec: ClusterSpec) -> gcp.container.NodePoolUpgradeSettingsArgs:
    up = spec.spec.upgrades
    if up.strategy == "blue-green":
        return gcp.container.NodePoolUpgradeSettingsArgs(
            strategy="BLUE_GREEN",
            blue_green_settings=gcp.container.NodePoolUpgradeSettingsBlueGreenSettingsArgs(
                standard_rollout_policy=gcp.container.NodePoolUpgradeSettingsBlueGreenSettingsStandardRolloutPolicyArgs(
                    batch_percentage=0.25, batch_soak_duration="300s"
                ),
                node_pool_soak_duration="1800s",
            ),
        )
    return gcp.container.NodePoolUpgradeSettingsArgs(
        strategy="SURGE", max_surge=up.max_surge, max_unavailable=up.max_unavailable
    )


def build_pool(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    cluster: gcp.container.Cluster,
    project: pulumi.Input[str],
    zones: int,
    pool: NodePool,
    sandboxed: bool,
    parent: pulumi.Resource,
    service_account: pulumi.Input[str],
    depends_on: list[pulumi.Resource] | None = None,
) -> gcp.container.NodePool:
    choice = ctx.instance(pool)
    autoscaling = None
    initial_node_count = None
    node_count = None
    per_zone = settings.counts_per_zone(spec)
    if pool.autoscaling is not None and per_zone:
        autoscaling = gcp.container.NodePoolAutoscalingArgs(
            min_node_count=pool.autoscaling.min,
            max_node_count=pool.autoscaling.max,
            location_policy="BALANCED",
        )
        initial_node_count = settings.initial_per_zone(pool, zones, per_zone=True)
    elif pool.autoscaling is not None:
        autoscaling = gcp.container.NodePoolAutoscalingArgs(
            total_min_node_count=pool.autoscaling.min,
            total_max_node_count=pool.autoscaling.max,
            location_policy="BALANCED",
        )
        initial_node_count = settings.initial_per_zone(pool, zones)
    else:
        node_count = settings.fixed_size(pool, zones, per_zone=per_zone).per_zone
    return gcp.container.NodePool(
        f"{spec.name}-{pool.name}",
        gcp.container.NodePoolArgs(
            name=names.pool(spec, pool.name),
            project=project,
            cluster=cluster.name,
            location=cluster.location,
            node_config=_node_config(spec, ctx, pool, choice, sandboxed, service_account),
            management=gcp.container.NodePoolManagementArgs(
                auto_repair=True, auto_upgrade=settings.auto_upgrade(spec)
            ),
            upgrade_settings=_upgrade_settings(spec),
            # Private nodes per pool, not only the cluster's default: on an existing cluster the provider sends a
            # change of private_cluster_config.enable_private_nodes as ClusterUpdate.desired_default_enable_private_nodes
            # (terraform-provider-google-beta@3dc173a:google-beta/services/container/resource_container_cluster.go:
            # 4119-4124), which container_v1 documents as the setting of "future created nodes": the pools that
            # exist keep their public IPs. The pool's own network_config.enable_private_nodes is updated in place
            # (resource_container_node_pool.go:580-585 Optional+Computed, no ForceNew; :2066-2069 UpdateNodePool
            # node_network_config).
            network_config=gcp.container.NodePoolNetworkConfigArgs(enable_private_nodes=settings.private_nodes(spec)),
            autoscaling=autoscaling,
            initial_node_count=initial_node_count,
            node_count=node_count,
        ),
        # The pool's version is not set (auto-upgrade owns it; unset means no diff when it moves). initial_node_count
        # is ForceNew in the provider (terraform-provider-google@e03b762:google/services/container/
        # resource_container_node_pool.go:466): a later change of autoscaling.min would replace the whole pool,
        # so like terraform-google-kubernetes-engine (@bb176b2:modules/beta-private-cluster/cluster.tf:1187)
        # it is set on create only.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on,
                                    ignore_changes=["initialNodeCount"]),
    )

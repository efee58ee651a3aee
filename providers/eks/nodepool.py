"""One EKS managed node group per spec node pool, each with its own launch template.

The launch template carries what the node group API cannot: the root volume type (gp3 / io2),
IMDSv2, and tag specifications so the EC2 instances and volumes are tagged too (node group tags stay
on the node group). The node group carries the instance type (from ``ctx.instance(pool)``), the AMI
type (AL2023, the NVIDIA or Neuron variant for accelerators, ARM for Graviton), capacity type,
scaling bounds, labels, taints, and the rolling-update settings.

The node group's name includes a hash of the settings EKS cannot change in place (instance type, AMI
type, capacity type) so a change creates the new group before the old one is deleted (Pulumi's
create-before-replace; deleting a managed node group drains its nodes). For the ``blue-green``
strategy the hash also covers the Kubernetes minor and the disk, so an upgrade is a new (green) group
beside the old (blue) one instead of a rolling update of the same group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pulumi
import pulumi_aws as aws

from kubefleet.naming import short_hash
from kubefleet.providers.eks.common import (
    EC2_LAUNCH_TEMPLATE,
    EKS_NODEGROUP,
    Scope,
    cluster_name,
    found_or_none,
    name_for,
)
from kubefleet.providers.eks.gpu import GPU_PRESENT_LABEL, is_nvidia
from kubefleet.resolve.model import InstanceChoice, ResolvedCluster
from kubefleet.spec.model import ClusterSpec, Disk, NodePool

TAINT_EFFECTS: Final = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}

#: Root device of the AL2023 EKS AMIs.
ROOT_DEVICE: Final = "/dev/xvda"

#: IMDSv2 only, and its token may travel one hop: pods (one hop further, behind the node's network namespace)
#: cannot reach the node role's credentials through IMDS; they get their own through EKS Pod Identity (the
#: eks-pod-identity-agent add-on runs on the host network, as do vpc-cni and kube-proxy). Amazon EKS's own
#: default for AL2023 managed node groups ("the default hop count for managed node groups is set to 1. This
#: means that containers won't have access to the node's credentials using IMDS ... you can use Amazon EKS
#: Pod Identity to provide credentials instead", awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
#: latest/ug/nodes/al2023.adoc:40), and terraform-aws-eks's launch-template default
#: (terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:
#: modules/eks-managed-node-group/variables.tf:314,320). The EC2 API's own default is 1 as well
#: (botocore ec2 LaunchTemplateInstanceMetadataOptionsRequest.HttpPutResponseHopLimit).
IMDS_HOP_LIMIT: Final = 1


def ami_type(choice: InstanceChoice) -> str:
    """The node group's AMI type: chosen by the resolve step from the catalog's facts (kubefleet/resolve/eks.py)."""
    if choice.node_image is None:
        raise ValueError(f"no EKS AMI type was resolved for instance type {choice.name} (resolve chooses it)")
    return choice.node_image


def ebs_volume(disk: Disk) -> aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs:
    """standard / balanced -> gp3 (3000 IOPS baseline); ssd -> io2 at 30 IOPS per GiB (pd-ssd's ratio)."""
    if disk.type == "ssd":
        iops = min(max(30 * disk.size_gib, 3000), 64000)
        return aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=disk.size_gib, volume_type="io2", iops=iops, encrypted="true",
            delete_on_termination="true",
        )
    return aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
        volume_size=disk.size_gib, volume_type="gp3", encrypted="true", delete_on_termination="true",
    )


def capacity_type(pool: NodePool) -> str:
    return "SPOT" if pool.spot else "ON_DEMAND"


def nodegroup_name(spec: ClusterSpec, pool: NodePool, choice: InstanceChoice) -> str:
    generation = [choice.name, ami_type(choice), capacity_type(pool)]
    if spec.spec.upgrades.strategy == "blue-green":
        generation += [spec.spec.kubernetes.minor, pool.disk.type, str(pool.disk.size_gib)]
    return name_for(EKS_NODEGROUP, spec, pool.name, short_hash(*generation, length=4))


def update_config(spec: ClusterSpec) -> aws.eks.NodeGroupUpdateConfigArgs:
    """Rolling-update settings. EKS needs maxUnavailable >= 1; maxSurge 0 -> MINIMAL (old nodes first)."""
    up = spec.spec.upgrades
    return aws.eks.NodeGroupUpdateConfigArgs(
        max_unavailable=max(up.max_unavailable, 1),
        update_strategy="DEFAULT" if up.max_surge > 0 else "MINIMAL",
    )


def current_desired(spec: ClusterSpec, name: str, scope: Scope) -> int | None:
    """The node group's desired size in AWS now, or None when it does not exist yet."""
    # not found (a new cluster, a new pool, a new blue-green generation): hashicorp/terraform-provider-aws
    # internal/service/eks/node_group_data_source.go wraps findNodegroupByTwoPartKey's NotFoundError
    found = found_or_none(lambda: aws.eks.get_node_group(
        cluster_name=cluster_name(spec), node_group_name=name, opts=pulumi.InvokeOptions(provider=scope.provider)))
    if found is None:
        return None
    configs = found.scaling_configs or []
    return int(configs[0].desired_size) if configs else None


def scaling(pool: NodePool, desired_now: int | None) -> tuple[int, bool]:
    """(desiredSize to declare, whether to leave desiredSize to the autoscaler).

    An autoscaler moves desiredSize inside the bounds, so the program ignores it (ignore_changes) and the
    engine sends the value in state, which `kubefleet up` has just refreshed. But EKS refuses bounds that
    exclude the desired size ("Minimum capacity 4 can't be greater than desired size 3",
    terraform-aws-modules/terraform-aws-eks#748 and #944): when the new bounds exclude what runs now, the
    program declares the nearest bound and does not ignore it, so the engine sends it."""
    if pool.autoscaling is None:
        return pool.min_nodes, False
    if desired_now is None:
        return pool.min_nodes, True  # a new node group starts at the minimum
    clamped = min(max(desired_now, pool.min_nodes), pool.max_nodes)
    return clamped, clamped == desired_now


def build_node_groups(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    scope: Scope,
    cluster: aws.eks.Cluster,
    node_role_arn: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    depends_on: Sequence[pulumi.Resource],
) -> list[aws.eks.NodeGroup]:
    groups = []
    for pool in spec.spec.node_pools:
        choice = ctx.instance(pool)
        name = nodegroup_name(spec, pool, choice)
        desired, autoscaler_owns = scaling(pool, current_desired(spec, name, scope) if pool.autoscaling else None)
        template = aws.ec2.LaunchTemplate(
            f"{spec.name}-{pool.name}-lt",
            aws.ec2.LaunchTemplateArgs(
                name=name_for(EC2_LAUNCH_TEMPLATE, spec, pool.name),
                description=f"kubefleet node pool {pool.name} of {spec.name}",
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(device_name=ROOT_DEVICE, ebs=ebs_volume(pool.disk))
                ],
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=IMDS_HOP_LIMIT,
                ),
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=scope.tagged())
                    for kind in ("instance", "volume", "network-interface")
                ],
                update_default_version=True,
                tags=scope.tagged(),
            ),
            opts=scope.opts(parent=cluster),
        )
        group = aws.eks.NodeGroup(
            f"{spec.name}-{pool.name}",
            aws.eks.NodeGroupArgs(
                cluster_name=cluster.name,
                node_group_name=name,
                node_role_arn=node_role_arn,
                subnet_ids=list(subnet_ids),
                version=spec.spec.kubernetes.minor,
                instance_types=[choice.name],
                ami_type=ami_type(choice),
                capacity_type=capacity_type(pool),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    desired_size=desired, min_size=pool.min_nodes, max_size=pool.max_nodes,
                ),
                update_config=update_config(spec),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str),
                ),
                labels={**pool.labels, **(GPU_PRESENT_LABEL if is_nvidia(ami_type(choice)) else {})},
                taints=[
                    aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=TAINT_EFFECTS[t.effect])
                    for t in pool.taints
                ],
                tags=scope.tagged(),
            ),
            opts=pulumi.ResourceOptions.merge(
                scope.opts(parent=cluster, depends_on=depends_on),
                # an autoscaler moves desired_size within the bounds; do not reset it on every up (the API
                # model's own warning on NodegroupScalingConfig.desiredSize; terraform-aws-eks does the same:
                # terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:
                # modules/eks-managed-node-group/main.tf:552-556); but not when the new bounds exclude it (scaling)
                pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"] if autoscaler_owns else None),
            ),
        )
        groups.append(group)
    return groups

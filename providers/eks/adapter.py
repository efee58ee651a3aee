"""The EKS adapter: one ``kubefleet:eks:Cluster`` component holding the network, IAM, control plane,
node groups, Fargate profile, managed add-ons and (if asked) Istio."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi_aws as aws

from kubefleet.providers import mesh
from kubefleet.providers.base import ClusterAdapter, ClusterOutputs, Support
from kubefleet.providers.eks import (
    access,
    auth,
    gpu,
    iam,
    mocks,
    network,
    nodepool,
    security,
    support,
    tenancy,
)
from kubefleet.providers.eks import cluster as cluster_mod
from kubefleet.providers.eks.common import Scope
from kubefleet.resolve.model import ResolvedCluster

if TYPE_CHECKING:
    from kubefleet.graph import ResourceGraph
    from kubefleet.verify import VerifyReport


class EksAdapter(ClusterAdapter):
    name: ClassVar[str] = "eks"
    display_name: ClassVar[str] = "Amazon Elastic Kubernetes Service"
    component_type: ClassVar[str] = "kubefleet:eks:Cluster"

    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        spec = ctx.spec
        component = pulumi.ComponentResource(
            self.component_type, spec.name, None, opts=pulumi.ResourceOptions(protect=ctx.protect)
        )
        stack = auth.stack_auth()
        provider = aws.Provider(
            f"{spec.name}-aws", auth.provider_args(ctx.region, stack), opts=pulumi.ResourceOptions(parent=component)
        )
        scope = Scope(parent=component, provider=provider, tags=dict(ctx.labels))

        net = network.build_network(spec, ctx.region, scope)
        cluster_role = iam.cluster_role(spec, scope, ctx.region)
        node_role = iam.node_role(spec, scope, ctx.region)
        secrets = security.secrets_key(spec, scope, cluster_role)
        cluster = cluster_mod.build_cluster(
            spec, ctx.region, scope, cluster_role.role.arn, net,
            depends_on=[*iam.depends(cluster_role), secrets.grant], encryption=security.encryption_config(secrets),
            protect=ctx.protect,
        )
        security.oidc_provider(spec, scope, cluster)
        access.build_access_entries(spec, scope, cluster)
        early = cluster_mod.build_addons(spec, scope, cluster, cluster_mod.ADDONS_BEFORE_NODES)
        groups = nodepool.build_node_groups(
            spec, ctx, scope, cluster, node_role.role.arn, net.node_subnets,
            depends_on=[*iam.depends(node_role), *early],
        )
        compute: list[pulumi.Resource] = list(groups)
        if spec.spec.tenancy.isolation == "sandboxed":
            fargate_role = iam.fargate_role(spec, scope, ctx.region)
            compute.append(
                tenancy.build_fargate_profile(
                    spec, scope, cluster, fargate_role.role.arn, net.fargate_subnets, iam.depends(fargate_role)
                )
            )
        ebs_csi = security.ebs_csi_role(spec, scope, ctx.region)
        late = cluster_mod.build_addons(
            spec, scope, cluster, cluster_mod.ADDONS_AFTER_NODES, depends_on=[*compute, *iam.depends(ebs_csi)],
            identities={security.EBS_CSI_ADDON: security.ebs_csi_association(ebs_csi)},
        )

        kubeconfig = cluster_mod.kubeconfig(cluster, ctx.region, auth.get_token_args(stack))
        gpus = gpu.gpu_pools(spec, ctx, nodepool.ami_type)
        istio = spec.spec.addons.istio.mode != "none"
        if gpus or istio:
            k8s_provider = mesh.kubernetes_provider(spec, kubeconfig, component, [*compute, *late])
            if gpus:
                gpu.install_device_plugin(spec, gpus, k8s_provider, component, [*compute, *late])
            if istio:
                mesh.install_istio(spec, kubeconfig, component, [*compute, *late],
                                   version=ctx.helm_istio().version, k8s_provider=k8s_provider)

        component.register_outputs(
            {"name": cluster.name, "endpoint": cluster.endpoint, "version": cluster.version, "kubeconfig": kubeconfig}
        )
        return ClusterOutputs(
            name=cluster.name, endpoint=cluster.endpoint, kubeconfig=kubeconfig, version=cluster.version
        )

    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        return support.field_support(ctx)

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return mocks.mock_outputs(type_, name, inputs)

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        return mocks.mock_call(token, args)

    def verify(self, graph: ResourceGraph) -> VerifyReport:
        """Rendered inputs against botocore's EKS/EC2/IAM models (providers/eks/verify.py)."""
        from kubefleet.providers.eks.verify import verify_graph

        return verify_graph(graph)

"""Istio on GKE. ``managed``: Cloud Service Mesh — the cluster joins the project's fleet
(``gkehub.Membership``) and a ``FeatureMembership`` asks Google to manage the control and data plane
automatically; the fleet's ``servicemesh`` Feature exists once per project, so it lives in the project's
scope stack (providers/gke/scope.py), which the cluster stack references. ``self-managed``: the upstream charts via
the shared Helm installer (providers/mesh.py) with Istio's GKE platform settings."""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_gcp as gcp

from kubefleet.naming import gcp_labels
from kubefleet.providers import mesh as shared_mesh
from kubefleet.providers.gke import names, scope
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

FLEET_LOCATION: Final = scope.FLEET_LOCATION
MESH_FEATURE: Final = scope.MESH_FEATURE


def install(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    project: pulumi.Input[str],
    cluster: gcp.container.Cluster,
    kubeconfig: pulumi.Input[str],
    pools: list[pulumi.Resource],
    parent: pulumi.Resource,
    after: list[pulumi.Resource] | None = None,
) -> list[pulumi.Resource]:
    mode = spec.spec.addons.istio.mode
    if mode == "managed":
        return managed_mesh(spec, ctx, project, cluster, pools, parent, after or [])
    if mode == "self-managed":
        extra = critical_pods_quota(spec, kubeconfig, pools, parent) if spec.spec.addons.istio.data_plane == "ambient" else []
        return extra + shared_mesh.install_istio(spec, kubeconfig, parent, [*pools, *extra], platform="gke",
                                                   version=ctx.helm_istio().version)
    return []


#: GKE admits pods of priority class system-node-critical only in namespaces with a ResourceQuota for it
#: (only kube-system has one); istio-cni and ztunnel use that class, so ambient needs this quota in
#: istio-system - the object Istio's platform prerequisites give (https://istio.io/latest/docs/ambient/
#: install/platform-prerequisites/#google-kubernetes-engine-gke, read 2026-11-29).
CRITICAL_QUOTA_NAME: Final = "gcp-critical-pods"
CRITICAL_QUOTA_PODS: Final = "1000"
CRITICAL_PRIORITY_CLASS: Final = "system-node-critical"


def critical_pods_quota(
    spec: ClusterSpec, kubeconfig: pulumi.Input[str], pools: list[pulumi.Resource], parent: pulumi.Resource
) -> list[pulumi.Resource]:
    import pulumi_kubernetes as k8s

    provider = k8s.Provider(
        f"{spec.name}-k8s-quota",
        k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(kubeconfig)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=pools),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    namespace = k8s.core.v1.Namespace(
        f"{spec.name}-istio-system",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=shared_mesh.ISTIO_NAMESPACE),
        opts=opts,
    )
    quota = k8s.core.v1.ResourceQuota(
        f"{spec.name}-{CRITICAL_QUOTA_NAME}",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=CRITICAL_QUOTA_NAME, namespace=shared_mesh.ISTIO_NAMESPACE),
        spec=k8s.core.v1.ResourceQuotaSpecArgs(
            hard={"pods": CRITICAL_QUOTA_PODS},
            scope_selector=k8s.core.v1.ScopeSelectorArgs(
                match_expressions=[k8s.core.v1.ScopedResourceSelectorRequirementArgs(
                    operator="In", scope_name="PriorityClass", values=[CRITICAL_PRIORITY_CLASS]
                )]
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[namespace]),
    )
    return [provider, namespace, quota]


def managed_mesh(
    spec: ClusterSpec,
    ctx: ResolvedCluster,
    project: pulumi.Input[str],
    cluster: gcp.container.Cluster,
    pools: list[pulumi.Resource],
    parent: pulumi.Resource,
    after: list[pulumi.Resource],
) -> list[pulumi.Resource]:
    labels = gcp_labels(ctx.labels)
    opts = pulumi.ResourceOptions(parent=parent, depends_on=after)
    membership = gcp.gkehub.Membership(
        f"{spec.name}-membership",
        gcp.gkehub.MembershipArgs(
            membership_id=names.project_resource(spec, ctx.region, "fleet"),
            project=project,
            location=FLEET_LOCATION,
            endpoint=gcp.gkehub.MembershipEndpointArgs(
                gke_cluster=gcp.gkehub.MembershipEndpointGkeClusterArgs(
                    resource_link=pulumi.Output.concat(
                        "//container.googleapis.com/projects/",
                        cluster.project,
                        "/locations/",
                        cluster.location,
                        "/clusters/",
                        cluster.name,
                    )
                )
            ),
            labels=labels,
        ),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(ignore_changes=names.keep("gcp:gkehub/membership:Membership"))),
    )
    feature_membership = gcp.gkehub.FeatureMembership(
        f"{spec.name}-mesh",
        gcp.gkehub.FeatureMembershipArgs(
            project=project,
            location=FLEET_LOCATION,
            # the project's servicemesh Feature lives in the scope stack (providers/gke/scope.py)
            feature=MESH_FEATURE,
            membership=membership.membership_id,
            mesh=gcp.gkehub.FeatureMembershipMeshArgs(management="MANAGEMENT_AUTOMATIC"),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*pools, *after]),
    )
    return [membership, feature_membership]

"""Istio on GKE. ``managed``: Cloud Service Mesh — the cluster joins the project's fleet
(``gkehub.Membership``), the fleet's ``servicemesh`` feature is enabled and a ``FeatureMembership`` asks
Google to manage the control and data plane automatically. ``self-managed``: the upstream charts via
the shared Helm installer (providers/mesh.py) with Istio's GKE platform settings."""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_gcp as gcp

from kubefleet.naming import gcp_labels
from kubefleet.providers import mesh as shared_mesh
from kubefleet.providers.base import BuildContext
from kubefleet.providers.gke import names
from kubefleet.spec import ClusterSpec

FLEET_LOCATION: Final = "global"
MESH_FEATURE: Final = "servicemesh"


def install(
    spec: ClusterSpec,
    ctx: BuildContext,
    project: pulumi.Input[str],
    cluster: gcp.container.Cluster,
    kubeconfig: pulumi.Input[str],
    pools: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    mode = spec.spec.addons.istio.mode
    if mode == "managed":
        return managed_mesh(spec, ctx, project, cluster, pools, parent)
    if mode == "self-managed":
        return shared_mesh.install_istio(spec, kubeconfig, parent, pools, platform="gke")
    return []


def managed_mesh(
    spec: ClusterSpec,
    ctx: BuildContext,
    project: pulumi.Input[str],
    cluster: gcp.container.Cluster,
    pools: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    labels = gcp_labels(ctx.labels)
    opts = pulumi.ResourceOptions(parent=parent)
    membership = gcp.gkehub.Membership(
        f"{spec.name}-membership",
        gcp.gkehub.MembershipArgs(
            membership_id=names.resource(spec, "fleet"),
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
        opts=opts,
    )
    feature = gcp.gkehub.Feature(
        f"{spec.name}-servicemesh",
        gcp.gkehub.FeatureArgs(name=MESH_FEATURE, project=project, location=FLEET_LOCATION, labels=labels),
        opts=opts,
    )
    feature_membership = gcp.gkehub.FeatureMembership(
        f"{spec.name}-mesh",
        gcp.gkehub.FeatureMembershipArgs(
            project=project,
            location=FLEET_LOCATION,
            feature=feature.name,
            membership=membership.membership_id,
            mesh=gcp.gkehub.FeatureMembershipMeshArgs(management="MANAGEMENT_AUTOMATIC"),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=pools),
    )
    return [membership, feature, feature_membership]

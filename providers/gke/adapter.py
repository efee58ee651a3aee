"""``GkeAdapter``: the neutral spec on Google Kubernetes Engine (Standard edition), via pulumi_gcp.

Resource modules (network, cluster, nodepool, mesh, kubeconfig) import pulumi_gcp; they are imported
inside :meth:`GkeAdapter.build` so asking for the parity table costs no SDK import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kubefleet.providers.base import ClusterAdapter, ClusterOutputs, Support
from kubefleet.providers.gke import offline, parity, settings
from kubefleet.providers.gke import scope as gke_scope
from kubefleet.providers.scope import Scope, scope_stack_name
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.graph import ResourceGraph
    from kubefleet.verify import VerifyReport


class GkeAdapter(ClusterAdapter):
    name: ClassVar[str] = "gke"
    display_name: ClassVar[str] = "Google Kubernetes Engine"
    component_type: ClassVar[str] = "kubefleet:gke:Cluster"

    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        spec = ctx.spec
        import pulumi

        from kubefleet.providers.gke import cluster as cluster_mod
        from kubefleet.providers.gke import iam, mesh, network, nodepool
        from kubefleet.providers.gke import kubeconfig as kubeconfig_mod

        component = pulumi.ComponentResource(
            self.component_type, spec.name, None, opts=pulumi.ResourceOptions(protect=ctx.protect)
        )
        project = cluster_mod.resolve_project(spec)
        # the project's shared stack (APIs, fleet Feature; providers/gke/scope.py): `kubefleet up` applies it
        # first; the reference makes the engine refuse this stack while the scope stack is missing, and records
        # in this stack's state that it uses the scope (what `destroy --scope` checks)
        after: list[pulumi.Resource] = [pulumi.StackReference(
            f"{spec.name}-scope", stack_name=scope_stack_name(gke_scope.CLOUD, project),
            opts=pulumi.ResourceOptions(parent=component))]
        net = network.build_network(spec, ctx, project, component, after)
        where = cluster_mod.placement(spec, ctx, project, component)
        cluster = cluster_mod.build_cluster(spec, ctx, project, net, where, component, after)
        identity = iam.node_identity(spec, ctx.region, project, component, after)
        pools: list[pulumi.Resource] = [
            nodepool.build_pool(spec, ctx, cluster, project, where.zones, pool, sandboxed, component,
                                identity.email, identity.resources)
            for pool, sandboxed in nodepool.pools_to_build(spec)
        ]
        kubeconfig = kubeconfig_mod.kubeconfig(cluster, dns=settings.dns_endpoint(spec))
        if settings.private_nodes(spec) and spec.spec.addons.istio.mode == "self-managed":
            pools.append(network.webhook_firewall(spec, ctx.region, project, net.network, cluster, component))
        mesh.install(spec, ctx, project, cluster, kubeconfig, pools, component, after)
        component.register_outputs(
            {"name": cluster.name, "endpoint": cluster.endpoint, "kubeconfig": kubeconfig,
             "version": cluster.master_version}
        )
        return ClusterOutputs(
            name=cluster.name, endpoint=cluster.endpoint, kubeconfig=kubeconfig, version=cluster.master_version
        )

    def scope(self, spec: ClusterSpec, project: str | None = None) -> Scope | None:
        """The cluster's GCP project (``spec.providers.gke.project``, else ``project``, else the placeholder
        the program itself uses), with what the cluster needs in it."""
        key = settings.project_of(spec) or project
        needs = {gke_scope.MESH_NEED} if spec.spec.addons.istio.mode == "managed" else set()
        return Scope(self.name, gke_scope.CLOUD, key or settings.PROJECT_PLACEHOLDER, frozenset(needs), bool(key))

    def scope_cloud(self) -> tuple[str, str] | None:
        return gke_scope.CLOUD, "project"

    def build_scope(self, scope: Scope) -> None:
        gke_scope.build(scope)

    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        return parity.field_support(ctx)

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return offline.mock_outputs(type_, name, inputs)

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        return offline.mock_call(token, args)

    def verify(self, graph: ResourceGraph) -> VerifyReport:
        """Check the rendered Cluster / NodePool inputs against the GKE API model (providers/gke/verify.py)."""
        from kubefleet.providers.gke import verify as verify_mod

        return verify_mod.verify(graph)

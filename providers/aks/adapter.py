"""``AksAdapter``: the AKS implementation of the adapter contract (providers/README.md).

Importing this module imports no cloud SDK: ``pulumi_azure_native`` (and ``pulumi_kubernetes`` for a
self-managed mesh) load on the first ``build``, so listing providers or the parity table stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kubefleet.providers.aks import mocks
from kubefleet.providers.aks.support import field_support
from kubefleet.providers.base import ClusterAdapter, ClusterOutputs, Support
from kubefleet.resolve.model import ResolvedCluster

if TYPE_CHECKING:
    from kubefleet.graph import ResourceGraph
    from kubefleet.verify import VerifyReport


class AksAdapter(ClusterAdapter):
    name: ClassVar[str] = "aks"
    display_name: ClassVar[str] = "Azure Kubernetes Service"
    component_type: ClassVar[str] = "kubefleet:aks:Cluster"

    def build(self, ctx: ResolvedCluster) -> ClusterOutputs:
        spec = ctx.spec
        from kubefleet.providers.aks.cluster import build

        return build(spec, ctx)

    def field_support(self, ctx: ResolvedCluster) -> Mapping[str, Support]:
        return field_support(ctx)

    def mock_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return mocks.mock_outputs(type_, name, inputs)

    def mock_call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        return mocks.mock_call(token, args)

    def verify(self, graph: ResourceGraph) -> VerifyReport:
        """The rendered containerservice inputs against azure-mgmt-containerservice's ARM model."""
        from kubefleet.providers.aks.verify import verify_graph

        return verify_graph(graph)

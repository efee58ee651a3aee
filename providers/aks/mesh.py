"""Istio: the AKS Istio add-on (``serviceMeshProfile``) for ``managed``, Helm charts for ``self-managed``."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from kubefleet.providers.aks import translate as t
from kubefleet.resolve.model import ResolvedCluster


def service_mesh_profile(ctx: ResolvedCluster) -> Any | None:
    """``managed`` -> the Istio add-on at the resolved revision (sidecar data plane; the add-on has no ambient)."""
    if not t.managed_mesh(ctx.spec) or ctx.mesh_revision is None:
        return None
    return containerservice.ServiceMeshProfileArgs(
        mode="Istio",
        istio=containerservice.IstioServiceMeshArgs(revisions=[ctx.mesh_revision.revision]),
    )


def install_self_managed(
    ctx: ResolvedCluster,
    kubeconfig: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> list[pulumi.Resource]:
    """``self-managed`` -> upstream Istio Helm charts through the shared installer."""
    spec = ctx.spec
    if not t.helm_mesh(spec):
        return []
    from kubefleet.providers.mesh import install_istio

    return install_istio(spec, kubeconfig, parent, depends_on, version=ctx.helm_istio().version)

"""Istio installed with Helm: shared by every adapter whose provider has no managed mesh for the request.

``install_istio`` declares a ``pulumi_kubernetes.Provider`` built from the cluster's kubeconfig output and
the upstream Istio charts as Helm ``Release`` resources, in the order the Istio docs give:

- sidecar: ``base`` (CRDs, cluster roles) -> ``istiod`` (control plane, sidecar injector);
- ambient: ``base`` -> ``istiod`` (profile ambient) -> ``cni`` (node agent that redirects pod
  traffic) -> ``ztunnel`` (per-node L4 proxy).

The chart version is pinned so a render, a preview and an ``up`` all mean the same Istio. The sidecar
proxy requests are written out explicitly (they equal the chart defaults), so the cost model and a
reader of the plan see what every meshed pod asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.spec import ClusterSpec

ISTIO_CHART_REPO: Final = "https://istio-release.storage.googleapis.com/charts"
ISTIO_CHART_VERSION: Final = "1.27.3"
ISTIO_NAMESPACE: Final = "istio-system"

#: Sidecar (istio-proxy) requests from the istiod chart's ``global.proxy.resources`` defaults.
SIDECAR_REQUESTS: Final[Mapping[str, str]] = {"cpu": "100m", "memory": "128Mi"}
#: Sidecar limits from the same chart defaults.
SIDECAR_LIMITS: Final[Mapping[str, str]] = {"cpu": "2000m", "memory": "1024Mi"}

#: Helm install timeout per release, in seconds (istiod waits for its webhook to become ready).
RELEASE_TIMEOUT_S: Final = 600

_SELF_MANAGED_REVISION = re.compile(r"^[0-9]+-[0-9]+$")


def istio_revision(spec: ClusterSpec) -> str | None:
    """The istiod revision label to install, if the spec asks for one that upstream charts accept.

    ``asm-1-25``-style revisions name a provider's managed mesh (AKS) and are not upstream revisions.
    """
    revision = spec.spec.addons.istio.revision
    if revision is not None and _SELF_MANAGED_REVISION.match(revision):
        return revision
    return None


def chart_values(spec: ClusterSpec, platform: str | None = None) -> dict[str, dict[str, Any]]:
    """Helm values per chart (``base``, ``istiod`` and, for ambient, ``cni`` and ``ztunnel``)."""
    istio = spec.spec.addons.istio
    ambient = istio.data_plane == "ambient"
    global_values: dict[str, Any] = {}
    if platform:
        global_values["platform"] = platform
    revision = istio_revision(spec)

    base: dict[str, Any] = {}
    if revision:
        base["defaultRevision"] = revision
    istiod: dict[str, Any] = {
        "global": {
            **global_values,
            "proxy": {"resources": {"requests": dict(SIDECAR_REQUESTS), "limits": dict(SIDECAR_LIMITS)}},
        },
        "meshConfig": {"accessLogFile": "/dev/stdout"},
        "pilot": {"autoscaleEnabled": True, "autoscaleMin": 2 if _is_ha(spec) else 1},
    }
    if revision:
        istiod["revision"] = revision
    values: dict[str, dict[str, Any]] = {"base": base, "istiod": istiod}
    if ambient:
        istiod["profile"] = "ambient"
        cni: dict[str, Any] = {"profile": "ambient"}
        ztunnel: dict[str, Any] = {}
        if global_values:
            cni["global"] = dict(global_values)
            ztunnel["global"] = dict(global_values)
        if revision:
            cni["revision"] = revision
            ztunnel["revision"] = revision
        values["cni"] = cni
        values["ztunnel"] = ztunnel
    return values


def _is_ha(spec: ClusterSpec) -> bool:
    return spec.spec.control_plane.availability == "regional"


def install_istio(
    spec: ClusterSpec,
    kubeconfig: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
    *,
    platform: str | None = None,
) -> list[pulumi.Resource]:
    """Declare Istio for ``spec`` on the cluster reached through ``kubeconfig``.

    Returns the Kubernetes provider followed by the Helm releases in install order. ``depends_on``
    should hold the node pools: istiod needs somewhere to run before Helm can wait for it. ``platform``
    is Istio's ``global.platform`` (``gke`` needs it for the ambient CNI's binary directory); leave it
    ``None`` elsewhere.
    """
    prefix = spec.name
    provider = k8s.Provider(
        f"{prefix}-k8s",
        k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(kubeconfig)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
    values = chart_values(spec, platform)
    charts = [("base", "istio-base"), ("istiod", "istiod")]
    if "cni" in values:
        charts += [("cni", "istio-cni"), ("ztunnel", "ztunnel")]

    created: list[pulumi.Resource] = [provider]
    previous: list[pulumi.Resource] = list(depends_on)
    for chart, release_name in charts:
        release = k8s.helm.v3.Release(
            f"{prefix}-{release_name}",
            k8s.helm.v3.ReleaseArgs(
                name=release_name,
                chart=chart,
                version=ISTIO_CHART_VERSION,
                namespace=ISTIO_NAMESPACE,
                create_namespace=chart == "base",
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ISTIO_CHART_REPO),
                values=values[chart],
                atomic=True,
                cleanup_on_fail=True,
                timeout=RELEASE_TIMEOUT_S,
            ),
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=previous),
        )
        created.append(release)
        previous = [release]
    return created


__all__ = [
    "ISTIO_CHART_REPO",
    "ISTIO_CHART_VERSION",
    "ISTIO_NAMESPACE",
    "SIDECAR_LIMITS",
    "SIDECAR_REQUESTS",
    "chart_values",
    "install_istio",
    "istio_revision",
]

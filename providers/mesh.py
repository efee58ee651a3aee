"""Istio installed with Helm: shared by every adapter whose provider has no managed mesh for the request.

``install_istio`` declares a ``pulumi_kubernetes.Provider`` built from the cluster's kubeconfig output and
the upstream Istio charts as Helm ``Release`` resources, in the order the Istio docs give:

- sidecar: ``base`` (CRDs, cluster roles) -> ``istiod`` (control plane, sidecar injector);
- ambient: ``base`` -> ``istiod`` (profile ambient) -> ``cni`` (node agent that redirects pod
  traffic) -> ``ztunnel`` (per-node L4 proxy).

The chart version is the resolved cluster's ``istio`` release (:func:`kubefleet.resolve.versions.istio_release`:
the newest Istio release that supports the cluster's Kubernetes minor on the as-of date, from the dated
compatibility data); this module only installs it, so it never reads that data or a date itself. The sidecar proxy requests are written out explicitly
(they equal the chart defaults), so the cost model and a reader of the plan see what every meshed pod
asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.spec.model import ClusterSpec

ISTIO_CHART_REPO: Final = "https://istio-release.storage.googleapis.com/charts"
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


def kubernetes_provider(
    spec: ClusterSpec, kubeconfig: pulumi.Input[str], parent: pulumi.Resource, depends_on: list[pulumi.Resource]
) -> k8s.Provider:
    """The Kubernetes provider for the cluster's in-program Helm releases (kubeconfig kept secret)."""
    return k8s.Provider(
        f"{spec.name}-k8s",
        k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(kubeconfig)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )


def helm_release(
    resource_name: str, release: str, chart: str, version: str, repo: str, namespace: str,
    values: Mapping[str, Any], *, provider: k8s.Provider, parent: pulumi.Resource,
    depends_on: list[pulumi.Resource], create_namespace: bool = False,
) -> k8s.helm.v3.Release:
    """One pinned chart from a Helm repository, installed atomically (rolled back if it does not come up)."""
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release,
            chart=chart,
            version=version,
            namespace=namespace,
            create_namespace=create_namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo),
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT_S,
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )


def install_istio(
    spec: ClusterSpec,
    kubeconfig: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
    *,
    platform: str | None = None,
    version: str,
    k8s_provider: k8s.Provider | None = None,
) -> list[pulumi.Resource]:
    """Declare Istio for ``spec`` on the cluster reached through ``kubeconfig``.

    Returns the Kubernetes provider followed by the Helm releases in install order. ``depends_on``
    should hold the node pools: istiod needs somewhere to run before Helm can wait for it. ``platform``
    is Istio's ``global.platform`` (``gke`` needs it for the ambient CNI's binary directory); leave it
    ``None`` elsewhere. ``version`` is the chart version
    (the resolved cluster's ``ctx.helm_istio().version``). ``k8s_provider``: an
    existing provider for the cluster (from :func:`kubernetes_provider`) when the adapter installs other
    charts too; ``None`` = one is declared here.
    """
    prefix = spec.name
    provider = k8s_provider or kubernetes_provider(spec, kubeconfig, parent, depends_on)
    values = chart_values(spec, platform)
    charts = [("base", "istio-base"), ("istiod", "istiod")]
    if "cni" in values:
        charts += [("cni", "istio-cni"), ("ztunnel", "ztunnel")]

    created: list[pulumi.Resource] = [provider]
    previous: list[pulumi.Resource] = list(depends_on)
    for chart, release_name in charts:
        release = helm_release(
            f"{prefix}-{release_name}", release_name, chart, version, ISTIO_CHART_REPO, ISTIO_NAMESPACE,
            values[chart], provider=provider, parent=parent, depends_on=previous, create_namespace=chart == "base",
        )
        created.append(release)
        previous = [release]
    return created


__all__ = [
    "ISTIO_CHART_REPO",
    "ISTIO_NAMESPACE",
    "SIDECAR_LIMITS",
    "SIDECAR_REQUESTS",
    "chart_values",
    "helm_release",
    "install_istio",
    "istio_revision",
    "kubernetes_provider",
]

"""Istio installed with Helm: shared by every adapter whose provider has no managed mesh for the request.

``install_istio`` declares a ``pulumi_kubernetes.Provider`` built from the cluster's kubeconfig output and
the upstream Istio charts as Helm ``Release`` resources, in the order the Istio docs give:

- sidecar: ``base`` (CRDs, cluster roles) -> ``istiod`` (control plane, sidecar injector);
- ambient: ``base`` -> ``istiod`` (profile ambient) -> ``cni`` (node agent that redirects pod
  traffic) -> ``ztunnel`` (per-node L4 proxy).

The chart version is chosen from dated compatibility data (``kubefleet/catalog/data/compat-istio.yaml``,
each row citing istio.io): the newest Istio release that lists the cluster's Kubernetes minor among its
supported versions and is inside its support window on the as-of date (:func:`istio_release`). The as-of
date is ``BuildContext.extra["as_of"]`` when a caller passes one, else the date the compatibility data was
read (:func:`data_as_of`) - never the clock - so a render, a preview and an ``up`` of the same spec and
catalog all mean the same Istio, and the render cache (which hashes the compatibility files, see
``render_cache.code_fingerprint``) stays correct. The sidecar proxy requests are written out explicitly
(they equal the chart defaults), so the cost model and a reader of the plan see what every meshed pod
asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.providers.base import render_as_of
from kubefleet.spec import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog.compat import Compat
    from kubefleet.providers.base import BuildContext

ISTIO_CHART_REPO: Final = "https://istio-release.storage.googleapis.com/charts"
#: The compatibility table (kubefleet/catalog/data/compat-istio.yaml) holding self-managed Istio releases.
ISTIO_COMPAT: Final = "istio"
#: Key of the as-of date in ``BuildContext.extra``.
AS_OF_KEY: Final = "as_of"
ISTIO_NAMESPACE: Final = "istio-system"

#: Sidecar (istio-proxy) requests from the istiod chart's ``global.proxy.resources`` defaults.
SIDECAR_REQUESTS: Final[Mapping[str, str]] = {"cpu": "100m", "memory": "128Mi"}
#: Sidecar limits from the same chart defaults.
SIDECAR_LIMITS: Final[Mapping[str, str]] = {"cpu": "2000m", "memory": "1024Mi"}

#: Helm install timeout per release, in seconds (istiod waits for its webhook to become ready).
RELEASE_TIMEOUT_S: Final = 600

_SELF_MANAGED_REVISION = re.compile(r"^[0-9]+-[0-9]+$")


@dataclass(frozen=True)
class IstioRelease:
    """The Istio chart version chosen for a cluster, and why."""

    version: str  # the Helm chart version, e.g. "1.30.5"
    minor: str  # the cluster's Kubernetes minor it was chosen for
    on: date  # the as-of date it was chosen on
    supported: bool  # True = the release lists the minor and is inside its support window on ``on``
    reason: str  # one sentence for parity notes, naming the source
    source: str | None = None  # the source URL of the chosen row


def data_as_of(compat: Compat | None = None) -> date:
    """The date the Istio compatibility data was read: the default as-of date for choosing a release."""
    from kubefleet.catalog.compat import load_compat

    table = (compat or load_compat()).table(ISTIO_COMPAT)
    reads = [s.read for s in table.sources.values()]
    if not reads:
        raise ValueError("compat-istio.yaml has no sources: no Istio release data to choose from")
    return max(reads)


def as_of(ctx: BuildContext | None) -> date:
    """The as-of date of a render: ``ctx.extra["as_of"]`` if the caller gave one, else :func:`data_as_of`."""
    given = ctx.extra.get(AS_OF_KEY) if ctx is not None else None
    if isinstance(given, date):
        return given
    return render_as_of() or data_as_of()


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


def istio_release(minor: str, on: date, compat: Compat | None = None) -> IstioRelease:
    """The newest Istio release that supports Kubernetes ``minor`` and is supported itself on ``on``.

    When none is, the choice degrades visibly (``supported=False`` and a reason saying why): the newest
    release that lists the minor and existed on ``on`` (end of life then), else the one that lists it but
    was released later; failing that, the newest release supported on ``on`` (which does not list the
    minor); failing that, the newest release known.
    """
    from kubefleet.catalog.compat import load_compat

    data = compat or load_compat()
    rows = data.table(ISTIO_COMPAT).mesh
    if not rows:
        raise ValueError("compat-istio.yaml lists no Istio release")
    fits = data.mesh_revisions(ISTIO_COMPAT, minor, on)
    if fits:
        row = fits[0]
        until = f"supported until {row.end.isoformat()}" if row.end else "no end of life announced"
        return IstioRelease(row.revision, minor, on, True,
                            f"Istio {row.revision}: newest release supporting Kubernetes {minor} on {on.isoformat()} "
                            f"({until}; {row.source.url})", row.source.url)
    newest = sorted(rows, key=lambda r: r.sort_key, reverse=True)
    listing = [r for r in newest if minor in r.minors]
    if listing:
        # a release that existed on ``on`` (end of life) beats one that did not exist yet
        released = [r for r in listing if r.start is None or r.start <= on]
        row = (released or listing)[0]
        if row.start is not None and on < row.start:
            why = f"not released until {row.start.isoformat()}"
        else:
            why = f"end of life since {row.end.isoformat() if row.end else '?'}"
        return IstioRelease(row.revision, minor, on, False,
                            f"Istio {row.revision} is the newest release supporting Kubernetes {minor}, but it is "
                            f"{why} on {on.isoformat()} ({row.source.url})", row.source.url)
    current = [r for r in newest if r.offered_on(on)] or newest
    row = current[0]
    known = sorted({m for r in rows for m in r.minors}, key=_minor_key)
    return IstioRelease(row.revision, minor, on, False,
                        f"no Istio release in the compatibility data supports Kubernetes {minor} (they cover "
                        f"{known[0]}-{known[-1]}); installing Istio {row.revision}, untested on {minor} "
                        f"({row.source.url})", row.source.url)


def release_for(spec: ClusterSpec, ctx: BuildContext | None = None) -> IstioRelease:
    """The Istio release for ``spec``'s Kubernetes minor on the render's as-of date."""
    return istio_release(spec.spec.kubernetes.minor, as_of(ctx))


def __getattr__(name: str) -> str:
    # Kept for callers of the old frozen constant (providers/gke/parity.py): the newest release in the
    # compatibility data that is supported on the data's own date. Prefer release_for(spec, ctx).
    if name == "ISTIO_CHART_VERSION":
        from kubefleet.catalog.compat import load_compat

        on = data_as_of()
        rows = [r for r in load_compat().table(ISTIO_COMPAT).mesh if r.offered_on(on)]
        return max(rows, key=lambda r: r.sort_key).revision
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    version: str | None = None,
    k8s_provider: k8s.Provider | None = None,
) -> list[pulumi.Resource]:
    """Declare Istio for ``spec`` on the cluster reached through ``kubeconfig``.

    Returns the Kubernetes provider followed by the Helm releases in install order. ``depends_on``
    should hold the node pools: istiod needs somewhere to run before Helm can wait for it. ``platform``
    is Istio's ``global.platform`` (``gke`` needs it for the ambient CNI's binary directory); leave it
    ``None`` elsewhere. ``version`` is the chart version; ``None`` = :func:`release_for` on the data's date
    (adapters with a BuildContext should pass ``release_for(spec, ctx).version``). ``k8s_provider``: an
    existing provider for the cluster (from :func:`kubernetes_provider`) when the adapter installs other
    charts too; ``None`` = one is declared here.
    """
    chart_version = version or release_for(spec).version
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
            f"{prefix}-{release_name}", release_name, chart, chart_version, ISTIO_CHART_REPO, ISTIO_NAMESPACE,
            values[chart], provider=provider, parent=parent, depends_on=previous, create_namespace=chart == "base",
        )
        created.append(release)
        previous = [release]
    return created


__all__ = [
    "AS_OF_KEY",
    "ISTIO_CHART_REPO",
    "ISTIO_NAMESPACE",
    "SIDECAR_LIMITS",
    "SIDECAR_REQUESTS",
    "IstioRelease",
    "as_of",
    "chart_values",
    "data_as_of",
    "helm_release",
    "install_istio",
    "istio_release",
    "istio_revision",
    "kubernetes_provider",
    "release_for",
]

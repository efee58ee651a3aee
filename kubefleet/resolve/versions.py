"""Versions decided before any Pulumi code runs: the self-managed Istio release and the AKS Istio add-on
revision a cluster gets on a date.

Both are dated choices over the compatibility data (:mod:`kubefleet.lifecycle.compat`, each row citing its
source). They used to be looked up from inside the adapters while the program ran, so ``--as-of`` could
not reach them through the render cache; now :func:`kubefleet.resolve.cluster.resolve` calls these once
and the adapters read the answer from the resolved cluster. When no as-of date is given, each choice is
made for the date its own table was read (never the clock), so the same spec and data mean the same
versions in a render, a preview and an ``up``. May import the spec and the lifecycle data.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from kubefleet.lifecycle.compat import Compat, load_compat
from kubefleet.resolve.model import IstioRelease

#: The compatibility table (kubefleet/catalog/data/compat-istio.yaml) holding self-managed Istio releases.
ISTIO_COMPAT: Final = "istio"


def data_as_of(compat: Compat | None = None) -> date:
    """The date the Istio compatibility data was read: the default as-of date for choosing a release."""
    table = (compat or load_compat()).table(ISTIO_COMPAT)
    reads = [s.read for s in table.sources.values()]
    if not reads:
        raise ValueError("compat-istio.yaml has no sources: no Istio release data to choose from")
    return max(reads)


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


def istio_release(minor: str, on: date, compat: Compat | None = None) -> IstioRelease:
    """The newest Istio release that supports Kubernetes ``minor`` and is supported itself on ``on``.

    When none is, the choice degrades visibly (``supported=False`` and a reason saying why): the newest
    release that lists the minor and existed on ``on`` (end of life then), else the one that lists it but
    was released later; failing that, the newest release supported on ``on`` (which does not list the
    minor); failing that, the newest release known.
    """
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


# ---- AKS Istio add-on revisions ----------------------------------------------------------------

#: Last resort when the compatibility data lists no revision for the spec's minor at all (the compat
#: check in validate/plan reports that case as an error before anything is applied).
FALLBACK_MESH_REVISION: Final = "asm-1-30"


def compat_as_of() -> date:
    """The date the AKS compatibility data vouches for: the newest ``read`` date of its sources.

    Nothing here reads the clock: without ``--as-of`` revisions are judged as of the data kubefleet ships,
    and the revision chosen is part of the resolved cluster, so new data means a new render cache key.
    """
    sources = load_compat().table("aks").sources.values()
    return max((s.read for s in sources), default=date(1970, 1, 1))


def default_mesh_revision(minor: str, on: date) -> str:
    """The newest AKS Istio add-on revision compatible with the spec's minor (``Compat.mesh_revisions``).

    AKS's own default is the n-1 revision (istio-support-policy.md@fb060ab:54-55); kubefleet takes the
    newest compatible one so a new cluster starts with the longest support ahead of it.
    """
    compat = load_compat()
    offered = compat.mesh_revisions("aks", minor, on)
    if offered:
        return offered[0].revision
    listed = sorted((r for r in compat.table("aks").mesh if minor in r.minors), key=lambda r: r.sort_key)
    return listed[-1].revision if listed else FALLBACK_MESH_REVISION


def aks_mesh_revision(asked: str | None, minor: str, on: date) -> str:
    """The AKS add-on revision to enable: the spec's own (``1-26`` names the same Istio minor as ``asm-1-26``),
    else :func:`default_mesh_revision` for ``minor`` on ``on``."""
    if asked is None:
        return default_mesh_revision(minor, on)
    if asked.startswith("asm-"):
        return asked
    return f"asm-{asked}"


# ---- kubeadm (Cluster API): the full patch a minor-only spec version stands for ----

#: kubefleet/catalog/data/kubeadm.yaml ``kubernetes_patches``
KUBEADM_FILE: Final = "kubeadm.yaml"


def kubeadm_patches() -> dict[str, str]:
    """Minor -> newest patch from the catalog's ``kubernetes_patches`` table (Cluster API's workload range)."""
    from importlib import resources

    from kubefleet.catalog.loader import read_yaml

    text = (resources.files("kubefleet.catalog") / "data" / KUBEADM_FILE).read_text(encoding="utf-8")
    table = read_yaml(text, KUBEADM_FILE).get("kubernetes_patches") or {}
    return {str(minor): str(row["version"]) for minor, row in (table.get("newest") or {}).items()}


def kubeadm_patch(version: str) -> str:
    """``1.35.4`` as given, or ``1.35`` -> that minor's newest patch; RenderError for a minor outside the table."""
    if version.count(".") == 2:
        return version
    patches = kubeadm_patches()
    if version not in patches:
        from kubefleet.errors import RenderError

        raise RenderError(
            f"spec.kubernetes.version: no Kubernetes {version} patch is known for Cluster API "
            f"(known minors: {', '.join(sorted(patches, key=_minor_key))})",
            hint="pin a full patch, e.g. 1.35.4, or use a listed minor",
        )
    return patches[version]


def kubeadm_versions() -> tuple[str, ...]:
    """Every known patch, oldest minor first: the versions a ClusterClass lets its clusters upgrade through."""
    patches = kubeadm_patches()
    return tuple(patches[m] for m in sorted(patches, key=_minor_key))


def kubeadm_etcd_image(version: str) -> str | None:
    """kubeadm's etcd image for ``version``'s minor (catalog/data/etcd-images.yaml), e.g.
    ``registry.k8s.io/etcd:3.6.6-0`` for 1.35; None for a minor the table lacks (the etcd backup render then
    refuses, unless backups are off)."""
    from kubefleet.catalog.etcd_images import etcd_images

    minor = ".".join(version.lstrip("v").split(".")[:2])
    row = etcd_images().get(minor)
    return row.ref if row is not None else None


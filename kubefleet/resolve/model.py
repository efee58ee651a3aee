"""The resolved cluster: one spec on one provider with every looked-up and dated choice already made.

:func:`kubefleet.resolve.cluster.resolve` builds it once, before any Pulumi code runs: the instance type of
every pool and why, the region, the ownership labels, whether Pulumi protects the resources, the Istio
release and AKS add-on revision for the as-of date, and the clock the kubeadm PKI is issued against. The
adapters in ``providers/`` translate this value into resources and look nothing up themselves, so equal
values render equal graphs: the render cache keys on :meth:`ResolvedCluster.cache_identity`, and an
``--as-of`` date reaches every dated choice through it. This module holds value types only; it may import
the spec and nothing that reads data (the adapters import it, and import-linter checks that nothing here
leads them to the catalog or the lifecycle data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from kubefleet.spec.model import ClusterSpec, NodePool


@dataclass(frozen=True)
class InstanceChoice:
    """What a node pool runs on, and why (from shape matching, or pinned)."""

    name: str
    reason: str
    vcpus: int
    memory_gib: int
    gpu_kind: str | None = None
    gpu_count: int = 0
    accelerator: str | None = None  # GKE: accelerator type attached to the VM (e.g. nvidia-tesla-t4)
    note: str | None = None  # e.g. "L4 not offered here; nearest is A10"
    #: the CPU architecture the catalog lists for the type (x86_64 | arm64); None: the catalog does not list it
    arch: str | None = None
    #: the node image family chosen for the type from those facts (EKS: the managed node group's amiType,
    #: kubefleet/resolve/eks.py); None on providers that choose no image per instance type
    node_image: str | None = None


InstanceResolver = Callable[[NodePool], InstanceChoice]


@dataclass(frozen=True)
class IstioRelease:
    """The Istio chart version chosen for a cluster, and why."""

    version: str  # the Helm chart version, e.g. "1.30.5"
    minor: str  # the cluster's Kubernetes minor it was chosen for
    on: date  # the as-of date it was chosen on
    supported: bool  # True = the release lists the minor and is inside its support window on ``on``
    reason: str  # one sentence for parity notes, naming the source
    source: str | None = None  # the source URL of the chosen row




@dataclass(frozen=True)
class MeshRevision:
    """The managed Istio add-on revision a cluster enables (AKS), and the date it was chosen for."""

    revision: str  # e.g. "asm-1-30"
    on: dt.date  # the as-of date a default is chosen for (the spec's own revision is used as given)


@dataclass(frozen=True)
class ResolvedCluster:
    """What an adapter gets: the spec and every choice made for it on one provider on one date."""

    spec: ClusterSpec
    provider: str
    region: str
    #: node pool name -> instance choice; also the pools an adapter adds (AKS's system pool)
    instances: Mapping[str, InstanceChoice]
    labels: Mapping[str, str]
    protect: bool
    #: the Istio release a Helm-installed mesh gets for the spec's minor on the as-of date (None: no mesh)
    istio: IstioRelease | None
    #: the managed add-on revision (AKS with ``mode: managed`` only; None elsewhere)
    mesh_revision: MeshRevision | None
    #: the as-of date the caller asked for (``--as-of``); None = each dated table's own read date
    as_of: dt.date | None = None
    #: the clock the kubeadm PKI and init window are judged by: the Unix epoch in an offline render (a
    #: plan stays a pure function of the spec), the wall clock, to the second, when the engine runs
    now: dt.datetime = field(default_factory=lambda: dt.datetime.fromtimestamp(0, dt.UTC))
    #: kubeadm (Cluster API) only: the full Kubernetes patch the spec's version stands for, and every
    #: patch the cluster may upgrade through (one per minor, oldest first); empty elsewhere
    kubernetes_patch: str | None = None
    kubernetes_versions: tuple[str, ...] = ()
    #: kubeadm (Cluster API) only: kubeadm's etcd image for the patch's minor, which the etcd backup CronJob
    #: takes its snapshots with (catalog/data/etcd-images.yaml); None elsewhere
    etcd_image: str | None = None

    def instance(self, pool: NodePool) -> InstanceChoice:
        """The instance choice made for ``pool`` (resolved before the program ran)."""
        try:
            return self.instances[pool.name]
        except KeyError:
            raise KeyError(f"no instance was resolved for node pool {pool.name!r} on {self.provider}") from None

    def helm_istio(self) -> IstioRelease:
        """The Istio release to install with Helm; only asked for when the spec asks for a mesh."""
        if self.istio is None:
            raise ValueError(f"{self.spec.name}: no Istio release was resolved (the spec asks for no mesh)")
        return self.istio

    def cache_identity(self) -> dict[str, Any]:
        """Everything an adapter can read, as plain JSON data: equal identities render equal graphs."""
        return {
            "spec": self.spec.model_dump(mode="json", by_alias=True),
            "provider": self.provider,
            "region": self.region,
            "instances": {k: asdict(v) for k, v in sorted(self.instances.items())},
            "labels": dict(sorted(self.labels.items())),
            "protect": self.protect,
            "istio": asdict(self.istio) if self.istio is not None else None,
            "meshRevision": asdict(self.mesh_revision) if self.mesh_revision is not None else None,
            "asOf": self.as_of,
            "now": self.now,
            "kubernetesPatch": self.kubernetes_patch,
            "kubernetesVersions": list(self.kubernetes_versions),
            "etcdImage": self.etcd_image,
        }

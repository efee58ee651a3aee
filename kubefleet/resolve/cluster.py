"""The resolve step: decide, once and before any Pulumi code runs, everything about one spec on one provider
that depends on the catalog, the dated compatibility data or the date.

Why a step of its own: these choices used to be made from inside program building and inside the adapters
(instance types through a callback, Istio releases and AKS revisions by loading the compatibility data), so
the same render could not be cached for an ``--as-of`` date and a reader could not tell where a version
came from. Now :func:`resolve` returns an immutable :class:`~kubefleet.resolve.model.ResolvedCluster` and
the adapters only translate it. Refusals that depend on the provider's limits (kubeadm's supported minors)
happen here too, so they come before the program runs. May import the spec, the catalog, the lifecycle
data and its own modules; nothing above it (render, cost, ...).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from kubefleet.errors import RenderError
from kubefleet.resolve.model import InstanceChoice, InstanceResolver, MeshRevision, ResolvedCluster
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog

#: The clock of an offline render: the Unix epoch, so a plan is a pure function of the spec and the data.
OFFLINE_NOW = dt.datetime.fromtimestamp(0, dt.UTC)


#: Labels that can say "production", in the order they are looked at.
PRODUCTION_LABELS: tuple[str, ...] = ("env", "environment", "stage")
#: What a production value looks like: prod, production, prd or live, optionally followed by a suffix
#: that starts with '-', '_', '.' or a digit (`prod-eu`, `production-1`, `prd2`, `live.us`); matched whole
#: and case-insensitively, so `preprod`, `nonprod`, `product` and `liver` are not production (issue 25:
#: exact values left `env: prod-eu`, `production-1`, `live`, `environment: production`, `stage: prod`
#: unprotected).
PRODUCTION_PATTERN = r"(prod|production|prd|live)([-_.0-9][a-z0-9._-]*)?"


@dataclass(frozen=True)
class ProtectionRule:
    """Which clusters are production: any of ``labels`` whose value matches ``pattern`` (a regular
    expression matched against the whole value, ignoring case). Configured in a policy config as the
    parameters of rule ``prod-deletion-protection`` (``labels``, ``pattern``); the same rule decides
    Pulumi's ``protect`` on the cluster's resources, `destroy`'s refusal and the policy pack's check."""

    labels: tuple[str, ...] = PRODUCTION_LABELS
    pattern: str = PRODUCTION_PATTERN

    def __post_init__(self) -> None:
        re.compile(self.pattern)  # a bad pattern fails where the rule is made (the config names its line)

    def match(self, spec: ClusterSpec) -> tuple[str, str] | None:
        """The (label, value) that makes ``spec`` production, or None."""
        regex = re.compile(self.pattern, re.IGNORECASE)
        for label in self.labels:
            value = spec.metadata.labels.get(label)
            if value is not None and regex.fullmatch(value.strip()):
                return label, value
        return None


DEFAULT_PROTECTION = ProtectionRule()


def is_production(spec: ClusterSpec, rule: ProtectionRule | None = None) -> bool:
    return (rule or DEFAULT_PROTECTION).match(spec) is not None


def should_protect(spec: ClusterSpec, rule: ProtectionRule | None = None) -> bool:
    """Production clusters (by ``rule``, default :data:`DEFAULT_PROTECTION`) and clusters with
    ``metadata.protected: true`` are created with Pulumi's ``protect`` so a stray destroy cannot delete
    them."""
    return spec.metadata.protected or is_production(spec, rule)


def protection_reason(spec: ClusterSpec, rule: ProtectionRule | None = None) -> str | None:
    """Why ``spec`` is protected, for people ("labelled env: prod-eu"), or None."""
    if spec.metadata.protected:
        return "it is marked `protected: true`"
    found = (rule or DEFAULT_PROTECTION).match(spec)
    return f"it is labelled {found[0]}: {found[1]} (production)" if found else None


def wall_clock() -> dt.datetime:
    """Now in UTC, to the second: the clock an engine run (``up``, ``preview``, plain ``pulumi up``) is
    resolved against. The only clock read on the way from a spec to resources."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def resolve(
    spec: ClusterSpec,
    provider: str,
    *,
    catalog: Catalog | None = None,
    resolver: InstanceResolver | None = None,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    protection: ProtectionRule | None = None,
) -> ResolvedCluster:
    """Every choice for ``spec`` on ``provider``. ``resolver`` replaces shape matching (tests pin types with
    it); the pools a provider adds (AKS's system pool, :mod:`kubefleet.resolve.pools`) are resolved like
    the spec's own; ``as_of`` dates the dated choices (default: each table's own read date, never the clock); ``now`` is
    the clock the kubeadm PKI is issued against (default :data:`OFFLINE_NOW`; the engine passes
    :func:`wall_clock`); ``protection`` decides which clusters are production (Pulumi's ``protect``)."""
    from kubefleet.naming import ownership_labels
    from kubefleet.resolve import versions
    from kubefleet.resolve.instances import instance_resolver
    from kubefleet.resolve.pools import provider_pools
    from kubefleet.spec.limits import check_version

    if provider == "kubeadm":
        check_version(spec)  # the v1beta4 floor and the pinned add-ons' ceiling, before anything is declared
    choose = resolver or instance_resolver(spec, provider, catalog)
    # Shape matching first: a catalog gap is a clear CatalogError, not a failure inside the program.
    instances: dict[str, InstanceChoice] = {pool.name: choose(pool) for pool in spec.spec.node_pools}
    for pool in provider_pools(spec, provider):
        if pool.name in instances:  # GKE's pool is renamed apart; AKS's key also seeds its cloud name
            raise RenderError(
                f"spec.nodePools: the pool name {pool.name!r} is reserved on {provider} for the system pool "
                "kubefleet adds there", hint="rename that node pool")
        instances[pool.name] = choose(pool)
    if provider == "eks":  # the AMI type of each node group, from the catalog's facts about its type
        from kubefleet.catalog import load_catalog
        from kubefleet.resolve.eks import with_ami_types

        instances = with_ami_types(instances, catalog if catalog is not None else load_catalog(),
                                   spec.region_for(provider))
    # Dated choices only where the spec asks for them: a cluster without a mesh needs no release data.
    minor = spec.spec.kubernetes.minor
    mode = spec.spec.addons.istio.mode
    istio = versions.istio_release(minor, as_of or versions.data_as_of()) if mode != "none" else None
    mesh: MeshRevision | None = None
    if provider == "aks" and mode == "managed":
        on = as_of or versions.compat_as_of()
        asked = spec.spec.addons.istio.revision
        mesh = MeshRevision(versions.aks_mesh_revision(asked, minor, on), on)
    return ResolvedCluster(
        spec=spec,
        provider=provider,
        region=spec.region_for(provider),
        instances=MappingProxyType(instances),
        labels=MappingProxyType(ownership_labels(spec)),
        protect=should_protect(spec, protection),
        istio=istio,
        mesh_revision=mesh,
        as_of=as_of,
        now=now or OFFLINE_NOW,
        kubernetes_patch=versions.kubeadm_patch(spec.spec.kubernetes.version) if provider == "kubeadm" else None,
        kubernetes_versions=versions.kubeadm_versions() if provider == "kubeadm" else (),
        etcd_image=(versions.kubeadm_etcd_image(versions.kubeadm_patch(spec.spec.kubernetes.version))
                    if provider == "kubeadm" else None),
    )

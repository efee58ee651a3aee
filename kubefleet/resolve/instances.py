"""Instance choice: which instance type each node pool runs on, and why, on one provider in one region.

Shape matching (:mod:`kubefleet.resolve.matching`) against the catalog's price lists, with a pin in the spec
taking precedence; when this region's list has no fit (a catalog gap, not a cloud limit) the nearest priced
region's list chooses and the nodes stay unpriced here, said in the choice's note. Called by the resolve
step, by the policy pack and by ``prices refresh`` (which prices what specs would run); never by adapters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubefleet.resolve.model import InstanceChoice, InstanceResolver
from kubefleet.spec.model import ClusterSpec, NodePool

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog


# GCE accelerator types for the neutral GPU kinds (attached to N1 VMs; G2/A2/A3 carry theirs built in).
GCE_ACCELERATORS = {
    "nvidia-t4": "nvidia-tesla-t4",
    "nvidia-l4": "nvidia-l4",
    "nvidia-a100": "nvidia-tesla-a100",
    "nvidia-h100": "nvidia-h100-80gb",
}


def choice_for(catalog: Catalog, provider: str, region: str, pool: NodePool) -> InstanceChoice:
    """Shape matching (kubefleet.resolve.matching) as the adapters see it: an InstanceChoice."""
    from kubefleet.errors import CatalogError
    from kubefleet.resolve.matching import match_instance

    try:
        m = match_instance(catalog, provider, region, pool.machine, pool.pinned(provider))
        fallback_note = None
    except CatalogError as first:
        # No fitting type in this region's price list (a catalog gap, not a cloud limit): choose by the
        # nearest priced region's list, say so, and leave the nodes unpriced here.
        m, fallback_note = _match_elsewhere(catalog, provider, region, pool, first)
    inst = m.instance
    gpu_kind = inst.gpu_kind if inst is not None and inst.gpu_kind else None
    gpu_count = inst.gpu_count if inst is not None else 0
    accelerator = None
    if m.accelerator is not None:
        gpu_kind, gpu_count = m.accelerator.gpu_kind, m.accelerator_count
        accelerator = GCE_ACCELERATORS.get(m.accelerator.gpu_kind, m.accelerator.gpu_kind)
    if inst is None and pool.machine.gpu is not None:
        gpu_kind, gpu_count = pool.machine.gpu.kind, pool.machine.gpu.count
    return InstanceChoice(
        name=m.name,
        reason=m.reason,
        vcpus=inst.vcpus if inst is not None else pool.machine.vcpus,
        memory_gib=int(inst.memory_gib) if inst is not None else pool.machine.memory_gib,
        gpu_kind=gpu_kind,
        gpu_count=gpu_count,
        accelerator=accelerator,
        note="; ".join(n for n in (m.gpu_note, fallback_note) if n) or None,
        arch=inst.arch if inst is not None else None,
    )


def _match_elsewhere(catalog: Catalog, provider: str, region: str, pool: NodePool, first: Exception) -> tuple[Any, str]:
    """Shape matching against another region's price list, when this region's list lacks a fit."""
    from kubefleet.errors import CatalogError
    from kubefleet.resolve.matching import Match, match_instance
    from kubefleet.spec.regions import REGIONS

    order = [REGIONS[n][provider] for n in REGIONS if REGIONS[n].get(provider)]
    candidates = [r for r in order if r != region] + [r for r in catalog.regions(provider) if r not in order]
    for other in candidates:
        try:
            found = match_instance(catalog, provider, other, pool.machine, pool.pinned(provider))
        except CatalogError:
            continue
        note = (f"the catalog has no fitting {provider} price list entry in {region}; {found.name} was chosen by "
                f"{other} prices and is unpriced in {region} (`kubefleet prices refresh --provider {provider}`)")
        reason = f"chosen by {other} prices: {found.reason}"
        return Match(provider, region, None, reason, pinned=found.pinned, pinned_name=found.name,
                     gpu_note=found.gpu_note, accelerator=found.accelerator,
                     accelerator_count=found.accelerator_count), note
    raise first


def instance_resolver(spec: ClusterSpec, provider: str, catalog: Catalog | None = None) -> InstanceResolver:
    """Shape matching for one provider and region (cached per pool)."""
    from kubefleet.catalog import load_catalog

    cat = catalog if catalog is not None else load_catalog()
    region = spec.region_for(provider)
    cache: dict[str, InstanceChoice] = {}

    def resolve(pool: NodePool) -> InstanceChoice:
        if pool.name not in cache:
            cache[pool.name] = choice_for(cat, provider, region, pool)
        return cache[pool.name]

    return resolve

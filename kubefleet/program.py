"""The one Pulumi program. ``stacks/__main__.py`` (plain ``pulumi up``), the Automation API inline
program (the CLI's engine path) and the offline renderer (the SDK's mock monitor) all run this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubefleet.errors import KubefleetError
from kubefleet.providers.base import BuildContext, InstanceChoice, InstanceResolver
from kubefleet.spec import ClusterSpec, NodePool

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog


# `env` label values that mean production, compared case-insensitively after trimming: the policy
# rules and people write all of these (issue 14: `production`, `prd`, `PROD` were not protected).
PRODUCTION_ENVS = frozenset({"prod", "production", "prd"})


def is_production(spec: ClusterSpec) -> bool:
    env = spec.metadata.env
    return env is not None and env.strip().lower() in PRODUCTION_ENVS


def should_protect(spec: ClusterSpec) -> bool:
    """Production clusters (a normalised ``env`` label) and clusters with ``metadata.protected: true`` are
    created with Pulumi's ``protect`` so a stray destroy cannot delete them."""
    return spec.metadata.protected or is_production(spec)


# GCE accelerator types for the neutral GPU kinds (attached to N1 VMs; G2/A2/A3 carry theirs built in).
GCE_ACCELERATORS = {
    "nvidia-t4": "nvidia-tesla-t4",
    "nvidia-l4": "nvidia-l4",
    "nvidia-a100": "nvidia-tesla-a100",
    "nvidia-h100": "nvidia-h100-80gb",
}


def choice_for(catalog: Catalog, provider: str, region: str, pool: NodePool) -> InstanceChoice:
    """Shape matching (kubefleet.matching) as the adapters see it: an InstanceChoice."""
    from kubefleet.errors import CatalogError
    from kubefleet.matching import match_instance

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
    )


def _match_elsewhere(catalog: Catalog, provider: str, region: str, pool: NodePool, first: Exception) -> tuple[Any, str]:
    """Shape matching against another region's price list, when this region's list lacks a fit."""
    from kubefleet.errors import CatalogError
    from kubefleet.matching import Match, match_instance
    from kubefleet.regions import REGIONS

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


def build_context(
    spec: ClusterSpec, provider: str, resolver: InstanceResolver | None = None, catalog: Catalog | None = None
) -> BuildContext:
    from kubefleet.naming import ownership_labels

    return BuildContext(
        spec=spec,
        provider=provider,
        region=spec.region_for(provider),
        resolve_instance=resolver or instance_resolver(spec, provider, catalog),
        labels=ownership_labels(spec),
        protect=should_protect(spec),
    )


def cluster_program(spec: ClusterSpec, provider: str, ctx: BuildContext | None = None) -> None:
    """Declare the cluster for ``provider`` and export its outputs (kubeconfig as a secret)."""
    import pulumi

    from kubefleet.providers import get_adapter

    adapter = get_adapter(provider)
    context = ctx or build_context(spec, provider)
    out = adapter.build(spec, context)
    pulumi.export("clusterName", out.name)
    pulumi.export("provider", provider)
    pulumi.export("region", context.region)
    pulumi.export("kubernetesVersion", out.version)
    pulumi.export("endpoint", out.endpoint)
    pulumi.export("kubeconfig", pulumi.Output.secret(out.kubeconfig))


#: kubefleet errors the inline program raised in this process, newest last. The Automation API runs an
#: inline program in the caller's process but reports its failure to the engine as text only
#: (``InlineSourceRuntimeError``), so the message survives and the hint and exit code do not;
#: kubefleet.engine.errors.translate looks the original up here.
PROGRAM_ERRORS: list[KubefleetError] = []


def program_error(err: KubefleetError) -> KubefleetError:
    """Remember ``err`` (raised by program code, also inside an ``apply``) and return it for ``raise``."""
    PROGRAM_ERRORS.append(err)
    del PROGRAM_ERRORS[:-16]
    return err


def inline_program(spec: ClusterSpec, provider: str) -> Callable[[], None]:
    """The Automation API inline program for one cluster on one provider."""

    def run() -> None:
        try:
            cluster_program(spec, provider)
        except KubefleetError as err:
            raise program_error(err) from None

    return run

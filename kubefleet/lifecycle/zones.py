"""GPU node pools only where the GPU exists: a GKE zone without the pool's GPU machine series is refused by
the API at create time (the node pool's zones must all offer its machine type), so ``validate``/``plan``/``up``
report it at the spec's line from the catalog's dated zone table (kubefleet/catalog/data/zones-gke.yaml)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubefleet.catalog.zones import gpu_zones
from kubefleet.errors import SpecIssue
from kubefleet.spec.limits import GKE_DEFAULT_REGIONAL_ZONES
from kubefleet.spec.regions import REGIONS

if TYPE_CHECKING:
    from kubefleet.spec.loader import LoadedSpec


def gpu_zone_issues(loaded: LoadedSpec, provider: str) -> list[SpecIssue]:
    table = gpu_zones(provider)
    if table is None or provider != "gke":
        return []
    spec = loaded.spec.spec
    opts = spec.providers.gke
    region = (opts.region if opts is not None and opts.region else None) or REGIONS[spec.region]["gke"]
    given = list(opts.zones) if opts is not None and opts.zones else []
    cite = f"source: {table.source.url} (read {table.source.read.isoformat()})"
    found: list[SpecIssue] = []
    for i, pool in enumerate(spec.node_pools):
        gpu = pool.machine.gpu
        if gpu is None:
            continue
        offering = table.zones_with(gpu.kind, region)
        if offering is None:  # no data for this GPU or region: not checked
            continue
        kind_path = ("spec", "nodePools", i, "machine", "gpu", "kind")
        series = table.series.get(gpu.kind, gpu.kind)
        if not offering:
            found.append(loaded.issue(kind_path, f"{gpu.kind} ({series}) is offered in no zone of GKE region {region} "
                                      f"(pool {pool.name!r})", f"choose another region or GPU; {cite}"))
            continue
        if given:
            for j, zone in enumerate(given):
                if zone not in offering:
                    found.append(loaded.issue(
                        ("spec", "providers", "gke", "zones", j),
                        f"zone {zone} has no {gpu.kind} ({series}), which pool {pool.name!r} needs: GKE places every "
                        "pool in the cluster's zones and refuses a zone without the pool's machine type",
                        f"use zones offering it: {', '.join(offering)}; {cite}"))
            continue
        every = table.regions.get(region, ())
        spans = GKE_DEFAULT_REGIONAL_ZONES if spec.control_plane.availability == "regional" else 1
        if set(every) - set(offering):
            found.append(loaded.issue(
                kind_path,
                f"{gpu.kind} ({series}) is offered only in {', '.join(offering)} of GKE region {region}, and pool "
                f"{pool.name!r} would be placed in {spans} zone(s) GKE picks from all of {', '.join(every)}",
                f"name the zones: providers.gke.zones: [{', '.join(offering[:spans])}]; {cite}"))
    return found

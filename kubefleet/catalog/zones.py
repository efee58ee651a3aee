"""Where a GPU model exists, per region and zone (``data/zones-gke.yaml``): the fact a GPU node pool's zones are
checked against before anything is applied (GKE refuses a node pool whose zone lacks the machine type only at
create time). Every figure carries the file's one source (URL pinned to a commit, read date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from kubefleet.catalog.loader import read_yaml
from kubefleet.catalog.models import Source
from kubefleet.errors import CatalogError

FILES = {"gke": "zones-gke.yaml"}


@dataclass(frozen=True)
class GpuZones:
    """The zones of each region, and per GPU model the zones of each region that offer it."""

    source: Source
    regions: dict[str, tuple[str, ...]]
    gpus: dict[str, dict[str, tuple[str, ...]]]
    series: dict[str, str]

    def zones_with(self, gpu: str, region: str) -> tuple[str, ...] | None:
        """Zones of ``region`` offering ``gpu``; None when the file has no data for that pair."""
        table = self.gpus.get(gpu)
        if table is None or region not in table:
            return None
        return table[region]


def _parse(data: Any, name: str) -> GpuZones:
    try:
        src = data["source"]
        read = src["read"]
        source = Source(key=str(src["key"]), url=str(src["url"]), title=str(src["title"]),
                        read=read if isinstance(read, date) else date.fromisoformat(str(read)))
        regions = {str(r): tuple(str(z) for z in zones) for r, zones in data["regions"].items()}
        gpus = {str(g): {str(r): tuple(str(z) for z in zones) for r, zones in row["zones"].items()}
                for g, row in data["gpus"].items()}
        series = {str(g): str(row["series"]) for g, row in data["gpus"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise CatalogError(f"{name}: malformed zone data ({type(err).__name__}: {err})") from None
    for gpu, table in gpus.items():
        for region, zones in table.items():
            stray = set(zones) - set(regions.get(region, ()))
            if stray:
                raise CatalogError(f"{name}: {gpu} in {region} lists zones not in the region: {sorted(stray)}")
    return GpuZones(source, regions, gpus, series)


@cache
def gpu_zones(provider: str) -> GpuZones | None:
    """The shipped GPU zone table of ``provider`` (None: none is shipped)."""
    name = FILES.get(provider)
    if name is None:
        return None
    text = resources.files("kubefleet.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return _parse(read_yaml(text, name), name)

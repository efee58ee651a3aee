"""What the catalog in use knows, per provider and region, with each source's age: ``kubefleet prices show``.

Pure: the catalog and ``as_of`` (the CLI's "today") are passed in; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kubefleet.catalog import Catalog
from kubefleet.catalog.loader import CLOUD_PROVIDERS
from kubefleet.errors import UsageError

STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class SourceInfo:
    key: str
    url: str
    read: date
    age_days: int
    title: str
    published: date | None = None  # when the data was published/generated (None: not stated)
    data_age_days: int | None = None


@dataclass(frozen=True)
class RegionInfo:
    region: str
    instances: int
    storage: list[str]
    network: list[str]


@dataclass
class ProviderInfo:
    provider: str
    origin: str                      # "shipped" or "cache"
    path: str                        # the file the data came from
    as_of: date
    age_days: int
    fees: list[str]
    sources: list[SourceInfo]
    regions: list[RegionInfo]
    gaps: int
    warnings: list[str] = field(default_factory=list)
    data_as_of: date | None = None  # the oldest published/generated date among the provider's sources
    data_age_days: int | None = None
    undated: list[str] = field(default_factory=list)  # sources stating no publication date (age unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider, "origin": self.origin, "path": self.path,
            "as_of": self.as_of.isoformat(), "age_days": self.age_days,
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "data_age_days": self.data_age_days, "fees": self.fees,
            "sources": [{"key": s.key, "url": s.url, "read": s.read.isoformat(), "age_days": s.age_days,
                         "published": s.published.isoformat() if s.published else None,
                         "data_age_days": s.data_age_days, "title": s.title} for s in self.sources],
            "regions": [{"region": r.region, "instances": r.instances, "storage": r.storage,
                         "network": r.network} for r in self.regions],
            "gaps": self.gaps, "warnings": self.warnings, "undated_sources": self.undated,
        }


def summarize(catalog: Catalog, *, as_of: date, cache: Path | None, providers: Iterable[str] | None = None,
              region: str | None = None) -> list[ProviderInfo]:
    """One :class:`ProviderInfo` per provider; ``cache`` is the user cache dir (None: none in use)."""
    chosen = list(CLOUD_PROVIDERS if providers is None else providers)
    for p in chosen:
        if p not in CLOUD_PROVIDERS:
            raise UsageError(f"no price data for provider {p!r}", hint=f"known: {', '.join(CLOUD_PROVIDERS)}")
    out: list[ProviderInfo] = []
    for provider in chosen:
        cached = cache / f"{provider}.yaml" if cache is not None else None
        from_cache = cached is not None and cached.is_file()
        sources = [SourceInfo(s.key, s.url, s.read, (as_of - s.read).days, s.title, s.published,
                              (as_of - s.published).days if s.published else None) for s in catalog.sources(provider)]
        oldest = catalog.as_of(provider)
        data_as_of = catalog.data_as_of(provider)
        regions = sorted(set(catalog.regions(provider)) | _priced_regions(catalog, provider))
        if region is not None:
            regions = [r for r in regions if r == region]
        infos = [
            RegionInfo(
                region=r,
                instances=len(catalog.instances(provider, r)),
                storage=_items(catalog, provider, r, "storage"),
                network=_items(catalog, provider, r, "network"),
            )
            for r in regions
        ]
        info = ProviderInfo(
            provider=provider,
            origin="cache" if from_cache else "shipped",
            path=str(cached) if from_cache else f"kubefleet/catalog/data/{provider}.yaml",
            as_of=oldest,
            age_days=(as_of - oldest).days,
            fees=sorted(catalog.fees(provider)),
            sources=sources,
            regions=infos,
            gaps=len(catalog.gaps(provider)),
            data_as_of=data_as_of,
            data_age_days=(as_of - data_as_of).days if data_as_of else None,
        )
        # staleness is measured from when the prices were published/generated, not when they were read
        if info.data_age_days is not None and info.data_age_days > STALE_AFTER_DAYS:
            info.warnings.append(
                f"{provider} prices are {info.data_age_days} days old (oldest dated source published/generated "
                f"{data_as_of}, more than {STALE_AFTER_DAYS} days before {as_of.isoformat()}; read "
                f"{oldest.isoformat()}); run `kubefleet prices refresh --provider {provider}`"
            )
        info.undated = [s.key for s in sources if s.published is None]
        if region is not None and not infos:
            info.warnings.append(f"{provider} has no price data for region {region!r}")
        out.append(info)
    return out


def _priced_regions(catalog: Catalog, provider: str) -> set[str]:
    data = catalog._provider(provider)
    return set(data.storage) | set(data.network)


def _items(catalog: Catalog, provider: str, region: str, section: str) -> list[str]:
    data = catalog._provider(provider)
    table = data.storage if section == "storage" else data.network
    return sorted(table.get(region, {}))

"""Identical clusters side by side: cost by category per provider, feature rows, parity notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from kubefleet.catalog import Catalog
from kubefleet.costmodel import CATEGORIES, Assumptions, CostBreakdown
from kubefleet.errors import CatalogError, RenderError
from kubefleet.providers.base import InstanceChoice, ParityNote
from kubefleet.spec import ClusterSpec

STALE_AFTER_DAYS: Final = 90


@dataclass(frozen=True)
class FeatureRow:
    key: str
    label: str
    values: dict[str, tuple[str, str]]  # provider -> (value, source url)


@dataclass
class ProviderResult:
    provider: str
    breakdown: CostBreakdown | None
    parity: list[ParityNote] = field(default_factory=list)
    instances: dict[str, InstanceChoice] = field(default_factory=dict)
    error: str | None = None  # why this provider could not be priced (e.g. no catalog data for the region)


@dataclass
class Comparison:
    cluster: str
    as_of: date
    assumptions: Assumptions
    results: dict[str, ProviderResult]
    features: list[FeatureRow]
    warnings: list[str]

    @property
    def priced(self) -> dict[str, CostBreakdown]:
        return {p: r.breakdown for p, r in self.results.items() if r.breakdown is not None}

    @property
    def cheapest(self) -> str | None:
        """The provider with the lowest monthly total, among those priced with nothing unpriced."""
        complete = {p: b for p, b in self.priced.items() if not b.unpriced}
        pool = complete or self.priced
        if not pool:
            return None
        return min(pool, key=lambda p: (pool[p].monthly_total, p))

    @property
    def catalog_as_of(self) -> date | None:
        dates = [b.catalog_as_of for b in self.priced.values()]
        return min(dates) if dates else None

    def as_json(self) -> dict[str, Any]:
        """The stable ``compare --output json`` contract; money as decimal strings."""
        providers: dict[str, Any] = {}
        for p, r in self.results.items():
            entry: dict[str, Any]
            if r.breakdown is None:
                entry = {"error": r.error, "monthly_total": None, "by_category": {}, "components": [], "unpriced": []}
            else:
                b = r.breakdown
                entry = {
                    "region": b.region,
                    "monthly_total": str(b.monthly_total),
                    "monthly_max": str(b.monthly_max),
                    "yearly_total": str(b.yearly_total),
                    "by_category": {k: str(v) for k, v in b.by_category().items()},
                    "components": [c.as_dict() for c in b.components],
                    "unpriced": [u.as_dict() for u in b.unpriced],
                    "free": sorted(b.free),
                    "catalog_as_of": b.catalog_as_of.isoformat(),
                }
            entry["instances"] = {pool: {"type": c.name, "reason": c.reason} for pool, c in r.instances.items()}
            entry["parity"] = [n.as_dict() for n in r.parity if n.status != "native"]
            providers[p] = entry
        return {
            "cluster": self.cluster,
            "as_of": self.as_of.isoformat(),
            "currency": "USD",
            "assumptions": self.assumptions.as_dict(),
            "cheapest": self.cheapest,
            "providers": providers,
            "features": {
                row.key: {"label": row.label, "values": {p: {"value": v, "source": s} for p, (v, s) in row.values.items()}}
                for row in self.features
            },
            "warnings": self.warnings,
        }


def feature_rows(catalog: Catalog, providers: list[str]) -> list[FeatureRow]:
    rows = []
    for key, feature in catalog.features().items():
        values = {p: (feature.values[p].value, feature.values[p].source.url) for p in providers if p in feature.values}
        rows.append(FeatureRow(key, feature.label, values))
    return rows


def compare(
    spec: ClusterSpec,
    providers: list[str],
    *,
    as_of: date,
    catalog: Catalog,
    assumptions: Assumptions | None = None,
) -> Comparison:
    """Render and price ``spec`` on each provider. A provider that cannot be priced is reported, not fatal."""
    from kubefleet.cost import price_graph
    from kubefleet.render_cache import cached_render

    assume = assumptions or Assumptions()
    results: dict[str, ProviderResult] = {}
    warnings: list[str] = []
    for p in providers:
        try:
            graph = cached_render(spec, p, catalog=catalog)
        except (CatalogError, RenderError) as err:
            results[p] = ProviderResult(p, None, error=err.render())
            continue
        breakdown = price_graph(graph, catalog, as_of=as_of, assumptions=assume)
        results[p] = ProviderResult(p, breakdown, parity=graph.parity, instances=graph.instances)
        age = (as_of - breakdown.catalog_as_of).days
        if age > STALE_AFTER_DAYS:
            warnings.append(
                f"{p}: the prices used were read on {breakdown.catalog_as_of} ({age} days before {as_of}); "
                "run `kubefleet prices refresh`"
            )
        if breakdown.unpriced:
            warnings.append(f"{p}: {len(breakdown.unpriced)} item(s) unpriced — the total is a lower bound")
    return Comparison(spec.name, as_of, assume, results, feature_rows(catalog, providers), warnings)


__all__ = ["CATEGORIES", "Comparison", "FeatureRow", "ProviderResult", "compare", "feature_rows"]

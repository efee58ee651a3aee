"""Identical clusters side by side: cost by category per provider, feature rows, parity notes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

from kubefleet.catalog import Catalog
from kubefleet.catalog.fx import FxRate
from kubefleet.cost.model import CATEGORIES, Assumptions, CostBreakdown
from kubefleet.errors import CatalogError, RenderError
from kubefleet.graph import ParityNote
from kubefleet.resolve.model import InstanceChoice
from kubefleet.spec.model import ClusterSpec

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
    support: str | None = None  # the minor is past standard support: what the provider does, how it is priced


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
    def ranking(self) -> Ranking:
        """Which provider is cheapest for certain, or why none can be named (see :func:`rank`); a converted
        comparison ranks its converted intervals (the same order: converting is monotone)."""
        pools = {name: lo for name, (lo, _hi) in self.spec_pools.items()}
        return rank(self.priced, pools)

    @property
    def cheapest(self) -> str | None:
        """The provider whose most possible monthly cost is below every other ranked provider's least
        (None when the intervals overlap: see :attr:`ranking`)."""
        return self.ranking.cheapest

    @property
    def ranking_basis(self) -> str:
        """What the "cheapest" mark rests on: which providers were ranked and why others were not."""
        return self.ranking.basis

    spec_nodes: tuple[int, int] = (0, 0)  # worker nodes the spec asks for (min, max)
    spec_pools: dict[str, tuple[int, int]] = field(default_factory=dict)  # per spec pool (min, max)
    #: ``--currency``: the rate every amount was converted at (None: USD list prices)
    fx: FxRate | None = None

    @property
    def currency(self) -> str:
        return "USD" if self.fx is None else self.fx.currency

    def nodes_cell(self, provider: str) -> str:
        """Worker nodes the provider runs, flagged when its count semantics differ from the spec's."""
        b = self.results[provider].breakdown
        if b is None or b.nodes_min is None or b.nodes_max is None:
            return "—"
        text = node_range(b.nodes_min, b.nodes_max)
        return text if (b.nodes_min, b.nodes_max) == self.spec_nodes else text + " ≠ spec"

    @property
    def data_as_of(self) -> date | None:
        dates = [b.data_as_of for b in self.priced.values() if b.data_as_of is not None]
        return min(dates) if dates else None

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
                    **b.bounds_dict(),
                    "yearly_total": str(b.yearly_total),
                    "by_category": {k: str(v) for k, v in b.by_category().items()},
                    "components": [c.as_dict() for c in b.components],
                    "unpriced": [u.as_dict() for u in b.unpriced],
                    "free": sorted(b.free),
                    "catalog_as_of": b.catalog_as_of.isoformat(),
                    "data_as_of": b.data_as_of.isoformat() if b.data_as_of else None,
                    "undated_sources": list(b.undated_sources),
                    "estimate_only": b.estimate_only,
                    "upper_bound_items": len(b.upper_bound_items),
                    "nodes": {"min": b.nodes_min, "max": b.nodes_max},
                }
            entry["support"] = r.support
            entry["instances"] = {pool: {"type": c.name, "reason": c.reason} for pool, c in r.instances.items()}
            entry["parity"] = [n.as_dict() for n in r.parity if n.status != "native"]
            providers[p] = entry
        return {
            "cluster": self.cluster,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            **({"exchange_rate": self.fx.as_dict()} if self.fx is not None else {}),
            "assumptions": self.assumptions.as_dict(),
            "cheapest": self.cheapest,
            "ranking_basis": self.ranking_basis,
            "ranking": self.ranking.as_dict(),
            "providers": providers,
            "features": {
                row.key: {"label": row.label, "values": {p: {"value": v, "source": s} for p, (v, s) in row.values.items()}}
                for row in self.features
            },
            "warnings": self.warnings,
            "spec_nodes": {"min": self.spec_nodes[0], "max": self.spec_nodes[1]},
        }


def freshness_warnings(provider: str, b: CostBreakdown, as_of: date) -> list[str]:
    """Staleness measured from the data date (when the prices were published or generated), not from
    when they were read; sources that state no data date are named as of unknown age."""
    out: list[str] = []
    if b.data_as_of is not None:
        age = (as_of - b.data_as_of).days
        if age > STALE_AFTER_DAYS:
            out.append(f"{provider}: the oldest prices used were published/generated on {b.data_as_of} ({age} days "
                       f"before {as_of}); run `kubefleet prices refresh`")
    return out


def undated_warning(breakdowns: dict[str, CostBreakdown]) -> list[str]:
    """One line naming how many sources per provider state no data date (their age is unknown)."""
    counts = [f"{p} {len(b.undated_sources)}" for p, b in breakdowns.items() if b.undated_sources]
    if not counts:
        return []
    return [f"data age unknown for sources that state no publication/generation date ({', '.join(counts)}); "
            "they are listed as undated_sources in --output json and in `kubefleet prices show`"]


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
    dated: date | None = None,
) -> Comparison:
    """Resolve, render and price ``spec`` on each provider. A provider that cannot be priced is reported, not
    fatal. ``as_of`` is the pricing date; ``dated`` the date the dated choices (Istio release, AKS add-on
    revision) are made for — an explicit ``--as-of`` passes both, as ``plan --as-of`` does; None = each
    table's own date."""
    from kubefleet.cost.pricer import past_standard_note, price_graph
    from kubefleet.lifecycle.support import version_gone
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    pools = spec.spec.node_pools
    assume = dataclasses.replace(assumptions or Assumptions(),
                                 pool_pricing=tuple((p.name, p.pricing) for p in pools if p.pricing is not None))
    spec_nodes = (sum(p.min_nodes for p in pools), sum(p.max_nodes for p in pools))
    results: dict[str, ProviderResult] = {}
    warnings: list[str] = []
    for p in providers:
        gone = version_gone(catalog, p, spec.spec.kubernetes.version, as_of)
        if gone is not None:
            results[p] = ProviderResult(p, None, error=gone)
            continue
        try:
            graph = cached_render(resolve(spec, p, catalog=catalog, as_of=dated))
        except (CatalogError, RenderError) as err:
            results[p] = ProviderResult(p, None, error=err.render())
            continue
        breakdown = price_graph(graph, catalog, as_of=as_of, assumptions=assume)
        support = past_standard_note(graph, catalog, as_of)
        results[p] = ProviderResult(p, breakdown, parity=graph.parity, instances=graph.instances, support=support)
        if support is not None:  # a minor past standard support: what the provider does on this channel, priced so
            warnings.append(f"{p}: {support}")
        warnings.extend(freshness_warnings(p, breakdown, as_of))
        if breakdown.unpriced:
            warnings.append(f"{p}: {len(breakdown.unpriced)} item(s) unpriced — the total is a lower bound")
        if p == "kubeadm":
            from kubefleet.cost.management import undercount_warning

            under = undercount_warning(spec, assume)
            if under is not None:
                warnings.append(f"kubeadm: {under}")
        if breakdown.upper_bound_items:
            warnings.append(f"{p}: {len(breakdown.upper_bound_items)} spot line(s) priced at an upper bound "
                            "(on-demand or the least published discount) — spot may cost less")
    for p, r in results.items():
        b = r.breakdown
        if b is not None and b.nodes_min is not None and (b.nodes_min, b.nodes_max) != spec_nodes:
            warnings.append(f"{p}: runs {node_range(b.nodes_min, b.nodes_max or 0)} worker node(s) where the spec asks "
                            f"for {node_range(*spec_nodes)} (a pool the provider adds, or its node-count semantics; "
                            "see parity): the totals are not for identical capacity")
    warnings.extend(undated_warning({p: r.breakdown for p, r in results.items() if r.breakdown is not None}))
    return Comparison(spec.name, as_of, assume, results, feature_rows(catalog, providers), warnings,
                      spec_nodes=spec_nodes, spec_pools={p.name: (p.min_nodes, p.max_nodes) for p in pools})


def in_currency(cmp: Comparison, rate: FxRate | None) -> Comparison:
    """``cmp`` with every breakdown converted at ``rate`` (kubefleet.cost.fx); itself when None (USD)."""
    from kubefleet.cost.fx import convert_breakdown

    if rate is None:
        return cmp
    results = {p: dataclasses.replace(r, breakdown=None if r.breakdown is None else convert_breakdown(r.breakdown, rate))
               for p, r in cmp.results.items()}
    return dataclasses.replace(cmp, results=results, fx=rate)


@dataclass(frozen=True)
class Ranking:
    """A ranking of monthly cost intervals (at the autoscaling minimum).

    Each ranked provider's total is an interval: every priced line at the low/high end of its range (spot
    between the deepest and the least published discount, a credit that may go elsewhere) plus each
    unpriced item's bounds (no upper bound for usage-priced items). A provider is ``cheapest`` only when
    its highest possible total is below every other ranked provider's lowest, so every completion of the
    unpriced items within their bounds keeps it cheapest."""

    cheapest: str | None
    intervals: dict[str, tuple[Decimal, Decimal | None]]  # ranked providers: (low, high or None)
    not_ranked: dict[str, str]  # provider -> why it is left out of the ranking
    notes: list[str]  # what the ranking rests on
    blockers: list[str]  # when no provider can be named: the items that prevent it and how to price them

    @property
    def basis(self) -> str:
        parts = [*self.notes]
        parts += [f"{p} not ranked: {why}" for p, why in self.not_ranked.items()]
        if self.cheapest is None and self.blockers:
            parts.append("no cheapest: " + "; ".join(self.blockers))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cheapest": self.cheapest,
            "intervals": {p: {"low": str(lo), "high": None if hi is None else str(hi)}
                          for p, (lo, hi) in self.intervals.items()},
            "not_ranked": dict(self.not_ranked),
            "notes": list(self.notes),
            "blockers": list(self.blockers),
        }


def fmt_interval(lo: Decimal, hi: Decimal | None) -> str:
    from kubefleet.cost.model import fmt_money

    if hi is None:
        return f"≥ {fmt_money(lo)}"
    return fmt_money(lo) if lo == hi else f"{fmt_money(lo)} – {fmt_money(hi)}"


def _widening(b: CostBreakdown, *, side: str) -> list[str]:
    """The items that make ``b``'s interval wide on one side (``high``: unbounded or above the figure shown;
    ``low``: below it), each with how to price it."""
    from kubefleet.cost.model import fmt_money

    out: list[str] = []
    if side == "high":
        for u in b.unpriced:
            if u.high is None or u.high > u.low:
                hi = "no upper bound" if u.high is None else f"up to {fmt_money(u.high)}"
                out.append(f"{u.reason.split(';')[0]} ({hi}" + (f"; to price it: {u.how}" if u.how else "") + ")")
        for c in b.components:
            if c.monthly_high > c.monthly:
                out.append(f"{c.name} (up to {fmt_money(c.monthly_high)})")
    else:
        for c in b.components:
            if c.monthly_low < c.monthly:
                out.append(f"{c.name} (as low as {fmt_money(c.monthly_low)})")
    return out


#: what no provider's total includes, said wherever a ranking is
NOT_PRICED_ANYWHERE: Final = ("internet egress (data transfer out, billed per GB by every provider at its own "
                              "rate) is priced on no provider and is not in the intervals")


def rank(priced: dict[str, CostBreakdown], spec_pools: dict[str, int] | None = None) -> Ranking:
    """Rank monthly cost intervals like for like (see :class:`Ranking`). ``spec_pools``: the spec's pools and
    their minimum node counts; a provider that runs a different count for a spec pool is not ranked."""
    not_ranked: dict[str, str] = {}
    notes: list[str] = ["totals at the autoscaling minimum, each an interval (known charges plus the unpriced "
                        "items' bounds)", NOT_PRICED_ANYWHERE]
    listed = {p: b for p, b in priced.items() if not b.estimate_only}
    pool = listed or dict(priced)
    for p in sorted(set(priced) - set(pool)):
        not_ranked[p] = "estimate-only rates, not list prices"
    if not listed and priced:
        notes.append("every provider is priced from estimates only")
    for p, b in sorted(pool.items()):
        if not spec_pools or not b.pool_nodes:
            continue
        differ = [f"{b.pool_nodes.get(name, (0, 0))[0]} node(s) in pool {name} where the spec asks {want}"
                  for name, want in spec_pools.items() if b.pool_nodes.get(name, (0, 0))[0] != want]
        if differ:
            not_ranked[p] = ("not like for like: runs " + ", ".join(differ) + " (its node-count semantics, e.g. a "
                             "GKE regional pool's fixed count is per zone); give the pool a count the provider can "
                             "run exactly, or autoscaling, to rank it")
            continue
        added = (b.nodes_min or 0) - sum(v[0] for v in b.pool_nodes.values())
        if added > 0:
            notes.append(f"{p} includes {added} node(s) of a pool the provider adds (a system pool the spec's pools "
                         "cannot serve)")
    ranked = {p: b for p, b in pool.items() if p not in not_ranked}
    intervals = {p: (b.monthly_low, b.monthly_high) for p, b in sorted(ranked.items())}
    if len(ranked) < 2:
        notes.append("fewer than two providers can be ranked")
        return Ranking(None, intervals, not_ranked, notes, [])
    best = min(ranked, key=lambda p: (intervals[p][0], p))
    hi_best = intervals[best][1]
    overlapping = [q for q in sorted(ranked) if q != best
                   and (hi_best is None or hi_best >= intervals[q][0])]
    if not overlapping:
        return Ranking(best, intervals, not_ranked, notes, [])
    blockers = []
    for q in overlapping:
        blockers.append(f"{best} {fmt_interval(*intervals[best])} overlaps {q} {fmt_interval(*intervals[q])} "
                        "(≥: no upper bound)" if hi_best is None or intervals[q][1] is None else
                        f"{best} {fmt_interval(*intervals[best])} overlaps {q} {fmt_interval(*intervals[q])}")
    wide = _widening(ranked[best], side="high")
    if wide:
        blockers.append(f"{best}: " + ", ".join(wide))
    for q in overlapping:
        low_side = _widening(ranked[q], side="low")
        if low_side:
            blockers.append(f"{q}: " + ", ".join(low_side))
    return Ranking(None, intervals, not_ranked, notes, blockers)


def node_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


__all__ = ["CATEGORIES", "Comparison", "FeatureRow", "ProviderResult", "Ranking", "compare", "feature_rows", "rank"]

"""Run the rules: the offline ``kubefleet policy check`` and, rule by rule, the CrossGuard pack.

:func:`evaluate` runs one rule in one context and places its violations as findings; the offline check
(:func:`check`) and the pack (:mod:`kubefleet.policies.pack`) both go through it, so they cannot
disagree about what a rule reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from kubefleet.errors import CatalogError, KubefleetError, RenderError
from kubefleet.policies.config import PolicyConfig, default_config
from kubefleet.policies.model import Facts, Finding, Rule, RuleContext, TeamCost, Violation
from kubefleet.policies.rules import RULES
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.cost.model import CostBreakdown
    from kubefleet.graph import RenderedResource, ResourceGraph

Renderer = Callable[[ClusterSpec, str], "ResourceGraph"]
Pricer = Callable[["ResourceGraph"], "CostBreakdown"]


@dataclass
class CheckResult:
    """Every finding of one check, and what was checked."""

    findings: list[Finding]
    checked: list[tuple[str, str]] = field(default_factory=list)  # (cluster, provider)
    as_of: date | None = None

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.mandatory]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if not f.mandatory]

    @property
    def failed(self) -> bool:
        return bool(self.mandatory)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "checked": [{"cluster": c, "provider": p} for c, p in self.checked],
            "summary": {"mandatory": len(self.mandatory), "advisory": len(self.advisory)},
            "findings": [f.as_dict() for f in self.findings],
        }


def rules_of(scope: str) -> list[Rule]:
    return [r for r in RULES.values() if r.scope == scope]


def place(rule: Rule, violation: Violation, level: str, cluster: str, provider: str | None) -> Finding:
    return Finding(rule.id, level, cluster, provider, violation.message, violation.hint,  # type: ignore[arg-type]
                   violation.resource)


def violations(rule: Rule, ctx: RuleContext, config: PolicyConfig,
               resource: RenderedResource | None = None) -> list[Violation]:
    """What one rule reports in one context (nothing when the rule is disabled)."""
    settings = config.settings(rule)
    if settings.level == "disabled":
        return []
    if rule.scope == "resource":
        assert resource is not None
        return list(rule.check(resource, ctx, settings.params))
    return list(rule.check(ctx, settings.params))


def evaluate(rule: Rule, ctx: RuleContext, config: PolicyConfig,
             resource: RenderedResource | None = None) -> list[Finding]:
    level = config.settings(rule).level
    provider = None if rule.scope == "spec" else ctx.provider
    return [place(rule, v, level, ctx.cluster, provider) for v in violations(rule, ctx, config, resource)]


def spec_findings(ctx: RuleContext, config: PolicyConfig) -> list[Finding]:
    return [f for rule in rules_of("spec") for f in evaluate(rule, ctx, config)]


def provider_findings(ctx: RuleContext, config: PolicyConfig) -> list[Finding]:
    """Provider- and resource-scope rules over one rendered graph."""
    assert ctx.graph is not None
    out = [f for rule in rules_of("provider") for f in evaluate(rule, ctx, config)]
    for rule in rules_of("resource"):
        for resource in ctx.graph.resources:
            out.extend(evaluate(rule, ctx, config, resource))
    return out


def fleet_findings(costs: Sequence[TeamCost], config: PolicyConfig) -> list[Finding]:
    out: list[Finding] = []
    for rule in rules_of("fleet"):
        settings = config.settings(rule)
        if settings.level == "disabled":
            continue
        for violation, clusters, provider in rule.check(costs, settings.params):
            out.append(place(rule, violation, settings.level, clusters, provider))
    return out


def cannot_render(spec: ClusterSpec, provider: str, err: KubefleetError, config: PolicyConfig) -> list[Finding]:
    """The ``renders`` finding for a spec its provider's adapter or the catalog refuses (nothing when the rule
    is disabled: then the pair is simply not checked further)."""
    rule = RULES["renders"]
    level = config.settings(rule).level
    if level == "disabled":
        return []
    return [place(rule, Violation(f"cannot be built on {provider}: {err.message}", err.hint), level, spec.name, provider)]


def needs_team_cost(spec: ClusterSpec, config: PolicyConfig) -> bool:
    settings = config.settings(RULES["budget-team"])
    return settings.level != "disabled" and spec.metadata.team in settings.params["teamCaps"]


def providers_for(spec: ClusterSpec, providers: Sequence[str] | None) -> list[str]:
    """Explicit providers win; else the spec's own provider; else every provider."""
    if providers:
        return list(providers)
    if spec.spec.provider:
        return [spec.spec.provider]
    from kubefleet.providers import provider_names

    return provider_names()


def check(
    specs: Sequence[ClusterSpec],
    *,
    as_of: date,
    providers: Sequence[str] | None = None,
    config: PolicyConfig | None = None,
    catalog: Catalog | None = None,
    facts: Facts | None = None,
    renderer: Renderer | None = None,
    pricer: Pricer | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Check ``specs`` offline: spec rules once per cluster, graph rules per provider, fleet rules over all.

    ``renderer`` defaults to the offline render with the catalog's shape matching; ``pricer`` to
    ``kubefleet.cost.pricer.price_graph`` with the same catalog and date. ``progress`` is called with the number
    of specs checked so far after each spec.
    """
    cfg = config or default_config()
    the_catalog = catalog
    if the_catalog is None:
        from kubefleet.catalog import load_catalog

        the_catalog = load_catalog()  # parsed once per process
    the_facts: Facts = facts if facts is not None else the_catalog
    if renderer is None:
        from kubefleet.render.offline import render_resolved
        from kubefleet.resolve.cluster import resolve

        def renderer(spec: ClusterSpec, provider: str) -> ResourceGraph:
            return render_resolved(resolve(spec, provider, catalog=the_catalog, protection=cfg.protection()))

    if pricer is None:
        def pricer(graph: ResourceGraph) -> CostBreakdown:
            from kubefleet.cost.pricer import price_graph

            return price_graph(graph, the_catalog, as_of=as_of)

    findings: list[Finding] = []
    checked: list[tuple[str, str]] = []
    costs: list[TeamCost] = []
    for index, spec in enumerate(specs, 1):
        protection = cfg.protection()
        findings.extend(spec_findings(RuleContext(spec, as_of, the_facts, protection=protection), cfg))
        for provider in providers_for(spec, providers):
            try:
                graph = renderer(spec, provider)
            except (CatalogError, RenderError) as err:  # no graph: one finding instead of ending the whole check
                findings.extend(cannot_render(spec, provider, err, cfg))
                checked.append((spec.name, provider))
                continue
            ctx = RuleContext(spec, as_of, the_facts, provider=provider, graph=graph, pricer=pricer,
                              protection=protection)
            findings.extend(provider_findings(ctx, cfg))
            checked.append((spec.name, provider))
            if needs_team_cost(spec, cfg):
                costs.append(TeamCost(spec.name, spec.metadata.team, provider, ctx.cost().monthly_total))
        if progress is not None:
            progress(index)
    findings.extend(fleet_findings(costs, cfg))
    return CheckResult(sorted(findings, key=Finding.sort_key), checked, as_of)

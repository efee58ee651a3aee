"""The CrossGuard policy pack: one Pulumi policy per kubefleet rule, running the same rule functions.

How the pack learns the spec-level facts: it reads the same stack config the program reads
(``kubefleet:spec``, ``kubefleet:provider``, ``kubefleet:cluster``; see stacks/__main__.py) and loads
the spec with the same loader. The Pulumi engine hands a policy pack the stack's config, so
``pulumi preview --policy-pack policies`` from the repository and ``kubefleet preview/up --policy-pack``
(which must set those keys on its Automation API stack) both work. Optional keys:
``kubefleet:policyConfig`` (a policy config file, as for ``kubefleet policy check --config``) and
``kubefleet:asOf`` (YYYY-MM-DD; default: today).

Scopes map onto CrossGuard like this:

* ``resource`` rules -> ``ResourceValidationPolicy``: checked on each resource's inputs before it is
  created, with the spec for context.
* ``spec`` and ``provider`` rules -> ``StackValidationPolicy``: the stack's resources are turned back into
  :class:`~kubefleet.graph.RenderedResource` s and a :class:`~kubefleet.graph.ResourceGraph`, then the
  rule runs exactly as in the offline check. CrossGuard runs stack policies after the resources are
  registered, so under ``pulumi up`` they report after the update; ``preview`` (and the offline check)
  is where they gate.
* ``fleet`` rules (team budgets) see one stack, i.e. a fleet of one cluster.

Enforcement levels and parameters come from the policy config file; Pulumi's own
``--policy-pack-config`` may override both per policy (policy names are the rule ids).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from kubefleet.catalog import Catalog, load_catalog
from kubefleet.cost.model import CostBreakdown
from kubefleet.errors import UsageError
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.policies.config import PolicyConfig, coerce_params, load_policy_config
from kubefleet.policies.engine import violations
from kubefleet.policies.model import Level, Param, Rule, RuleContext, TeamCost, Violation
from kubefleet.policies.rules import RULES
from kubefleet.resolve.model import InstanceResolver
from kubefleet.spec.model import ClusterSpec

PACK_NAME = "kubefleet"
CONFIG_NS = "kubefleet"
ENV_POLICY_CONFIG = "KUBEFLEET_POLICY_CONFIG"
ENV_SPEC = "KUBEFLEET_POLICY_SPEC"
ENV_PROVIDER = "KUBEFLEET_POLICY_PROVIDER"
ENV_CLUSTER = "KUBEFLEET_POLICY_CLUSTER"
ROOT = Path(__file__).resolve().parent.parent

_LEVELS: dict[Level, EnforcementLevel] = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "disabled": EnforcementLevel.DISABLED,
}

_SCHEMA: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "regex": {"type": "string"},
    "int": {"type": "integer", "minimum": 0},
    "bool": {"type": "boolean"},
    "decimal": {"type": ["number", "string", "null"]},
    "str-list": {"type": "array", "items": {"type": "string"}},
    "decimal-map": {"type": "object", "additionalProperties": {"type": ["number", "string"]}},
}


@dataclass(frozen=True)
class PackContext:
    """What every policy of the pack needs besides the resources."""

    spec: ClusterSpec
    provider: str
    as_of: date
    config: PolicyConfig
    catalog: Catalog
    resolver: InstanceResolver | None = None  # default: the catalog's shape matching


def _resolve(path: str) -> Path:
    p = Path(path)
    if p.is_absolute():
        return p
    candidates = [Path.cwd() / p, Path.cwd().parent / p, ROOT / p]
    return next((c for c in candidates if c.exists()), candidates[0])


@functools.lru_cache(maxsize=8)
def _load_context(spec_path: str, provider: str | None, cluster: str | None, policy_config: str | None,
                  as_of: str | None) -> PackContext:
    from kubefleet.providers import check_provider
    from kubefleet.spec.loader import load_file

    specs = load_file(_resolve(spec_path))
    if cluster:
        chosen = [s.spec for s in specs if s.spec.name == cluster]
        if not chosen:
            raise UsageError(f"{spec_path} has no cluster named {cluster!r}")
        spec = chosen[0]
    elif len(specs) == 1:
        spec = specs[0].spec
    else:
        raise UsageError(f"{spec_path} holds several clusters", hint="set kubefleet:cluster")
    return PackContext(
        spec=spec,
        provider=check_provider(provider or spec.spec.provider or ""),
        as_of=date.fromisoformat(as_of) if as_of else date.today(),
        config=load_policy_config(_resolve(policy_config) if policy_config else None),
        catalog=load_catalog(),
    )


def context_from_stack_config() -> PackContext:
    """The spec, provider, date and policy config named by the stack config (the program's own keys)."""
    import pulumi

    cfg = pulumi.Config(CONFIG_NS)
    # Under the real engine the stack config does not reach a Python pack (pulumi_policy's
    # ConfigureStack drops it); kubefleet also passes the settings in the environment (see
    # cli/engine_cmds.py _policy_env).
    spec = cfg.get("spec") or os.environ.get(ENV_SPEC) or cfg.require("spec")
    return _load_context(
        spec, cfg.get("provider") or os.environ.get(ENV_PROVIDER), cfg.get("cluster") or os.environ.get(ENV_CLUSTER),
        cfg.get("policyConfig") or os.environ.get(ENV_POLICY_CONFIG), cfg.get("asOf"),
    )


def policy_config_from_stack_config() -> PolicyConfig:
    """Levels for building the pack: only the policy config file is needed, not the spec."""
    import pulumi

    path = pulumi.Config(CONFIG_NS).get("policyConfig") or os.environ.get(ENV_POLICY_CONFIG)
    return load_policy_config(_resolve(path) if path else None)


# ------------------------------------------------------------------ Pulumi's view -> kubefleet's view


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def rendered(type_: str, name: str, urn: str, props: Mapping[str, Any], protect: bool,
             parent: str | None) -> RenderedResource:
    """A CrossGuard resource as the renderer would have recorded it."""
    return RenderedResource(
        urn=urn, type=type_, name=name, parent=parent, inputs=_plain(props),
        custom=not type_.startswith(f"{PACK_NAME}:"), protect=protect,
    )


def from_policy_resource(r: PolicyResource) -> RenderedResource:
    parent = r.opts.parent if r.opts is not None else None
    return rendered(r.resource_type, r.name, r.urn, r.props, bool(r.opts.protect), parent)


def graph_from_stack(resources: Iterable[PolicyResource], ctx: PackContext) -> ResourceGraph:
    """The stack's resources as a :class:`ResourceGraph` (what the offline render returns)."""
    from kubefleet.resolve.instances import instance_resolver

    spec = ctx.spec
    resolve = ctx.resolver or instance_resolver(spec, ctx.provider, ctx.catalog)
    return ResourceGraph(
        cluster=spec.name,
        provider=ctx.provider,
        region=spec.region_for(ctx.provider),
        resources=[from_policy_resource(r) for r in resources if r.resource_type != "pulumi:pulumi:Stack"],
        outputs={},
        parity=[],
        instances={pool.name: resolve(pool) for pool in spec.spec.node_pools},
        spec=spec,
    )


def _pricer(ctx: PackContext) -> Callable[[ResourceGraph], CostBreakdown]:
    def price(graph: ResourceGraph) -> CostBreakdown:
        from kubefleet.cost.pricer import price_graph

        return price_graph(graph, ctx.catalog, as_of=ctx.as_of)

    return price


def violation_text(v: Violation) -> str:
    """The message a policy reports (Pulumi prefixes the policy description)."""
    return v.message + (f"\nhint: {v.hint}" if v.hint else "")


def _with_pack_config(ctx: PackContext, rule: Rule, raw: Mapping[str, Any]) -> PolicyConfig:
    """The file's config with Pulumi's per-policy config (``--policy-pack-config``) laid over it.

    Inside the pack the policy host has already applied the enforcement level (a disabled policy is
    never called), so the rule's own level is dropped here: the rule runs whenever Pulumi calls it."""
    params = {**ctx.config.params.get(rule.id, {}),
              **coerce_params(rule, raw or {}, f"policy pack config for {rule.id}")}
    levels = {k: v for k, v in ctx.config.levels.items() if k != rule.id}
    return PolicyConfig(levels=levels, params={**ctx.config.params, rule.id: params}, source=ctx.config.source)


# ----------------------------------------------------------------------------------- the policies


def _report(found: Iterable[Violation], report: ReportViolation) -> None:
    for v in found:
        report(violation_text(v), v.urn)


def _resource_validation(rule: Rule, load: Callable[[], PackContext]) -> Callable[..., None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        ctx = load()
        resource = rendered(args.resource_type, args.name, args.urn, args.props, bool(args.opts.protect),
                            args.opts.parent)
        config = _with_pack_config(ctx, rule, args.get_config())
        rctx = RuleContext(ctx.spec, ctx.as_of, ctx.catalog, provider=ctx.provider, protection=config.protection())
        _report(violations(rule, rctx, config, resource), report)

    return validate


def _stack_validation(rule: Rule, load: Callable[[], PackContext]) -> Callable[..., None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        ctx = load()
        config = _with_pack_config(ctx, rule, args.get_config())
        if rule.scope == "spec":
            _report(violations(rule, RuleContext(ctx.spec, ctx.as_of, ctx.catalog, protection=config.protection()),
                               config), report)
            return
        graph = graph_from_stack(args.resources, ctx)
        rctx = RuleContext(ctx.spec, ctx.as_of, ctx.catalog, provider=ctx.provider, graph=graph,
                           pricer=_pricer(ctx), protection=config.protection())
        if rule.scope == "provider":
            _report(violations(rule, rctx, config), report)
            return
        settings = config.settings(rule)
        team = ctx.spec.metadata.team
        if team not in settings.params["teamCaps"]:
            return
        costs = [TeamCost(ctx.spec.name, team, ctx.provider, rctx.cost().monthly_total)]
        _report((v for v, _, _ in rule.check(costs, settings.params)), report)

    return validate


def _schema(params: tuple[Param, ...]) -> PolicyConfigSchema | None:
    if not params:
        return None
    return PolicyConfigSchema(properties={p.name: {**_SCHEMA[p.kind], "description": p.description}
                                          for p in params})


def build_policies(
    config: PolicyConfig | None = None, load: Callable[[], PackContext] = context_from_stack_config
) -> list[Policy]:
    """One CrossGuard policy per rule, named by the rule id, at the level the policy config gives it."""
    cfg = config if config is not None else PolicyConfig()
    policies: list[Policy] = []
    for rule in RULES.values():
        level = _LEVELS[cfg.settings(rule).level]
        schema = _schema(rule.params)
        if rule.scope == "resource":
            policies.append(ResourceValidationPolicy(
                rule.id, rule.description, validate=_resource_validation(rule, load),
                enforcement_level=level, config_schema=schema))
        else:
            policies.append(StackValidationPolicy(
                rule.id, rule.description, validate=_stack_validation(rule, load),
                enforcement_level=level, config_schema=schema))
    return policies


def serve() -> None:
    """Run as the policy pack (called from policies/__main__.py under the Pulumi policy host)."""
    PolicyPack(
        name=PACK_NAME,
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=build_policies(policy_config_from_stack_config()),
        description="kubefleet cluster policies: the rules of `kubefleet policy check`, enforced by Pulumi",
    )

"""The CrossGuard pack and the offline check agree: the pack's policies, driven with the resources the
renderer produced (as pulumi_policy's own PolicyResource / StackValidationArgs / ResourceValidationArgs),
report exactly the findings of `kubefleet policy check`."""

from __future__ import annotations

import runpy
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from kubefleet.catalog import load_catalog
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.policies.config import PolicyConfig, parse_policy_config
from kubefleet.policies.engine import check
from kubefleet.policies.pack import PackContext, build_policies, violation_text
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec
from tests.conftest import EXAMPLES, ROOT, shape_resolver
from tests.test_policies import fixed_pricer, make

TODAY = date(2026, 11, 27)


def _opts(r: RenderedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(r.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent)


def policy_resources(graph: ResourceGraph) -> list[PolicyResource]:
    out = [PolicyResource(r.type, r.inputs, r.urn, r.name, _opts(r), None, None, [], {}) for r in graph.resources]
    by_urn = {p.urn: p for p in out}
    for p, r in zip(out, graph.resources, strict=True):
        p.parent = by_urn.get(r.parent) if r.parent else None
    return out


def run_pack(graph: ResourceGraph, ctx: PackContext, pack_config: dict[str, dict[str, object]] | None = None,
             ) -> set[tuple[str, str, str, str | None]]:
    """(policy, level, message, urn) for every violation the pack reports on ``graph``."""
    reported: set[tuple[str, str, str, str | None]] = set()
    for policy in build_policies(ctx.config, load=lambda: ctx):
        level = policy.enforcement_level
        assert level is not None
        if level == EnforcementLevel.DISABLED:
            continue
        config = (pack_config or {}).get(policy.name)

        def report(message: str, urn: str | None = None, name: str = policy.name, lv: str = level.value) -> None:
            reported.add((name, lv, message, urn or None))

        if isinstance(policy, ResourceValidationPolicy):
            for r in graph.resources:
                args = ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, _opts(r), None, config)
                policy.validate(args, report)
        else:
            assert isinstance(policy, StackValidationPolicy)
            policy.validate(StackValidationArgs(policy_resources(graph), config), report)
    return reported


def run_offline(spec: ClusterSpec, provider: str, config: PolicyConfig) -> set[tuple[str, str, str, str | None]]:
    graph = render(spec, provider, resolver=shape_resolver(provider))
    urns = {f"{r.type}::{r.name}": r.urn for r in graph.resources}
    result = check([spec], as_of=TODAY, providers=[provider], config=config,
                   renderer=lambda s, p: graph, pricer=fixed_pricer("5000"))
    from kubefleet.policies.model import Violation

    return {(f.rule, f.level, violation_text(Violation(f.message, f.hint)), urns.get(f.resource or ""))
            for f in result.findings}


CASES = [
    ("sweet-spot", "gke", {}),
    ("bad-prod", "eks", {"pools": "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, count: 1}",
                         "endpoint": "public", "upgrades": "", "version": "1.30"}),
    ("bad-prod", "gke", {"endpoint": "public", "private": "false", "istio": "managed", "pods": 200,
                         "labels": "team: payments, owner: jane-doe, cost-center: x-1, env: prod, tenancy: multi-tenant"}),
    ("bad-prod", "aks", {"availability": "zonal", "version": "1.33"}),
    ("bad-prod", "kubeadm", {"version": "1.33", "upgrades": ""}),
]

CONFIG = """\
rules:
  budget-cluster: {monthlyCap: 4000}
  budget-team: {teamCaps: {payments: 4500}}
  allowed-regions: {regions: [europe-west]}
  disk-encryption: mandatory
"""


@pytest.fixture
def stack_config() -> Iterator[Callable[[dict[str, str]], None]]:
    """Set Pulumi stack config the way the policy host does (pulumi.runtime.set_config), then restore."""
    import pulumi.runtime.config as rc

    token = rc.CONFIG.set(dict(rc.CONFIG.get()))

    def put(values: dict[str, str]) -> None:
        for key, value in values.items():
            rc.set_config(f"kubefleet:{key}", value)

    yield put
    rc.CONFIG.reset(token)


@pytest.mark.parametrize("name, provider, overrides", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_pack_and_offline_check_agree(load_spec: Callable[[str], ClusterSpec], name: str, provider: str,
                                      overrides: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    import kubefleet.policies.pack as pack

    spec = (load_spec((EXAMPLES / "sweet-spot.yaml").read_text()) if name == "sweet-spot"
            else make(load_spec, provider=provider, **overrides))
    config = parse_policy_config(CONFIG)
    graph = render(spec, provider, resolver=shape_resolver(provider))
    ctx = PackContext(spec, provider, TODAY, config, load_catalog(), resolver=shape_resolver(provider))
    # the pack prices through kubefleet.cost.pricer; give both sides the same pricer
    monkeypatch.setattr(pack, "_pricer", lambda c: fixed_pricer("5000"))
    offline = run_offline(spec, provider, config)
    assert run_pack(graph, ctx) == offline
    if name == "bad-prod":
        assert any(level == "mandatory" for _, level, _, _ in offline)


def test_pack_reads_the_spec_from_stack_config(stack_config: Callable[[dict[str, str]], None],
                                               tmp_path: Path) -> None:
    """The pack's default context comes from the program's own stack config keys."""
    from kubefleet.policies.pack import _load_context, context_from_stack_config

    policy = tmp_path / "policy.yaml"
    policy.write_text("rules: {mesh-overhead: mandatory}\n")
    stack_config({"spec": str(EXAMPLES / "fleet.yaml"), "cluster": "orders-prod", "asOf": "2026-11-27",
                  "policyConfig": str(policy)})
    _load_context.cache_clear()
    ctx = context_from_stack_config()
    assert (ctx.spec.name, ctx.provider, ctx.as_of) == ("orders-prod", "eks", TODAY)
    assert ctx.config.level("mesh-overhead") == "mandatory"
    levels = {p.name: p.enforcement_level for p in build_policies(ctx.config, load=lambda: ctx)}
    assert levels["mesh-overhead"] == EnforcementLevel.MANDATORY
    assert levels["version-known"] == EnforcementLevel.ADVISORY


def test_pack_config_overrides_parameters(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, istio="managed", pods=60)  # 25% sidecar share
    ctx = PackContext(spec, "gke", TODAY, PolicyConfig(), load_catalog(), resolver=shape_resolver("gke"))
    graph = render(spec, "gke", resolver=shape_resolver("gke"))
    assert any(p == "mesh-overhead" for p, *_ in run_pack(graph, ctx))
    relaxed = run_pack(graph, ctx, {"mesh-overhead": {"maxShare": 0.5}})
    assert not any(p == "mesh-overhead" for p, *_ in relaxed)


def test_pack_entry_is_import_safe_and_declared() -> None:
    namespace = runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="not_main")
    assert "PolicyPack" not in namespace
    text = (ROOT / "policies" / "PulumiPolicy.yaml").read_text()
    assert "name: python" in text

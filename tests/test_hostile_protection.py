"""Issue 25: production protection is a rule users configure (a pattern over named labels), enforced twice:
with Pulumi's own ``protect`` option on the cluster's resources (what the program declares, read back from
the SDK's mock monitor) and by the policy pack's `prod-deletion-protection` policy (pulumi_policy's own
ResourceValidationPolicy, called as the policy host calls it) -- so the engine refuses a production cluster
whose resources are not protected even when kubefleet's CLI is not the one deploying it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kubefleet.resolve.cluster import DEFAULT_PROTECTION, ProtectionRule, is_production
from kubefleet.spec.model import ClusterSpec
from tests.hostile_cases import good_spec

TODAY = date(2026, 11, 27)


def _spec(labels: str) -> ClusterSpec:
    from kubefleet.spec.loader import load_text

    text = good_spec().replace("{team: t, owner: o, cost-center: cc-1, env: dev}", "{team: t, owner: o, " + labels + "}")
    return load_text(text, "c.yaml")[0].spec


PRODUCTION = ["env: prod-eu", "env: production-1", "env: live", "environment: production", "stage: prod",
              "env: prd", "env: prod"]
NOT_PRODUCTION = ["env: dev", "env: preprod", "env: nonprod", "env: product", "env: staging", "env: liver",
                  "owner-env: prod"]


@pytest.mark.parametrize("labels", PRODUCTION)
def test_the_default_rule_covers_the_issue_spellings(labels: str) -> None:
    assert is_production(_spec(labels))


@pytest.mark.parametrize("labels", NOT_PRODUCTION)
def test_the_default_rule_leaves_other_environments_alone(labels: str) -> None:
    assert not is_production(_spec(labels))


def _protect_of_cluster_resources(spec: ClusterSpec, rule: ProtectionRule | None = None) -> set[bool]:
    """``protect`` on every resource the program declares, as Pulumi's mock monitor received it."""
    from kubefleet.catalog import load_catalog
    from kubefleet.render.offline import render_resolved
    from kubefleet.resolve.cluster import resolve

    graph = render_resolved(resolve(spec, "kubeadm", catalog=load_catalog(), protection=rule))
    vms = [r for r in graph.resources if r.type == "kubernetes:cluster.x-k8s.io/v1beta2:Cluster"]
    assert vms
    return {r.protect for r in vms}


def test_the_program_declares_protect_by_the_rule() -> None:
    """Pulumi's protect is what the SDK registered (children inherit it from the cluster component)."""
    assert _protect_of_cluster_resources(_spec("stage: prod")) == {True}
    assert _protect_of_cluster_resources(_spec("env: dev")) == {False}
    custom = ProtectionRule(labels=("tier",), pattern="critical")
    assert _protect_of_cluster_resources(_spec("env: dev, tier: critical"), custom) == {True}
    assert _protect_of_cluster_resources(_spec("stage: prod"), custom) == {False}


def _pack_findings(spec: ClusterSpec, protect: bool, config_text: str = "") -> list[str]:
    """The pack's prod-deletion-protection policy, as the Pulumi policy host runs it, over the cluster's
    resources declared with ``protect``."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyCustomTimeouts,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
    )

    from kubefleet.catalog import load_catalog
    from kubefleet.policies.config import parse_policy_config
    from kubefleet.policies.pack import PackContext, build_policies
    from kubefleet.render.offline import render_resolved
    from kubefleet.resolve.cluster import resolve

    config = parse_policy_config(config_text, "policy.yaml")
    unprotected = ProtectionRule(labels=("no-such-label",))  # a program that does not protect
    graph = render_resolved(resolve(spec, "kubeadm", catalog=load_catalog(),
                                    protection=None if protect else unprotected))
    ctx = PackContext(spec, "kubeadm", TODAY, config, load_catalog())
    [policy] = [p for p in build_policies(config, load=lambda: ctx) if p.name == "prod-deletion-protection"]
    assert isinstance(policy, ResourceValidationPolicy) and policy.enforcement_level == EnforcementLevel.MANDATORY
    found: list[str] = []
    for r in graph.resources:
        opts = PolicyResourceOptions(r.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent)
        policy.validate(ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, opts, None, None),
                        lambda message, urn=None: found.append(message))
    return found


@pytest.mark.parametrize("labels", ["stage: prod", "environment: production", "env: live"])
def test_the_pack_refuses_an_unprotected_production_cluster(labels: str) -> None:
    spec = _spec(labels)
    refused = _pack_findings(spec, protect=False)
    assert refused and all("not protected against deletion" in m for m in refused)
    assert f"labelled {labels}" in refused[0]  # says which label made it production
    assert _pack_findings(spec, protect=True) == []  # what kubefleet deploys passes


def test_the_pack_follows_the_configured_rule() -> None:
    config = ("rules:\n  prod-deletion-protection:\n    labels: [tier]\n    pattern: 'critical|gold'\n")
    assert _pack_findings(_spec("env: dev, tier: gold"), protect=False, config_text=config)
    assert _pack_findings(_spec("env: prod"), protect=False, config_text=config) == []


def test_the_rule_is_configured_in_the_policy_config_with_positions(tmp_path: Path) -> None:
    from kubefleet.errors import ConfigError
    from kubefleet.policies.config import parse_policy_config

    rule = parse_policy_config("rules:\n  prod-deletion-protection: {labels: [tier], pattern: 'gold'}\n").protection()
    assert rule == ProtectionRule(labels=("tier",), pattern="gold")
    assert parse_policy_config("").protection() == DEFAULT_PROTECTION
    with pytest.raises(ConfigError, match=r"p.yaml:2:\d+: .*pattern is not a valid regular expression"):
        parse_policy_config("rules:\n  prod-deletion-protection: {pattern: '(unclosed'}\n", "p.yaml")


def test_destroy_and_the_offline_check_use_the_configured_rule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    spec = tmp_path / "c.yaml"
    spec.write_text(good_spec().replace("env: dev}", "env: dev, tier: gold}"), encoding="utf-8")
    prod_spec = tmp_path / "p.yaml"
    prod_spec.write_text(good_spec().replace("env: dev}", "env: prod-eu}"), encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["destroy", str(prod_spec), "--yes"])  # the default rule
    assert refused.exit_code == 2 and "labelled env: prod-eu (production)" in refused.output, refused.output
    config = tmp_path / "policy.yaml"
    config.write_text("rules:\n  prod-deletion-protection: {labels: [tier], pattern: gold}\n", encoding="utf-8")
    monkeypatch.setenv("KUBEFLEET_POLICY_CONFIG", str(config))
    refused = runner.invoke(app, ["destroy", str(spec), "--yes"])
    assert refused.exit_code == 2 and "labelled tier: gold (production)" in refused.output, refused.output
    # the prod-* posture rules see the same production
    checked = runner.invoke(app, ["policy", "check", str(spec), "--provider", "kubeadm", "--config", str(config),
                                  "-o", "json"])
    assert "prod-private-endpoint" in checked.output, checked.output
    assert "prod-deletion-protection" not in checked.output  # rendered with the same rule: protected


def test_the_engine_program_gets_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """`up`/`preview` hand the policy config's rule to the inline program (what the engine runs)."""
    import kubefleet.render.program as program

    seen: list[ProtectionRule | None] = []
    monkeypatch.setattr(program, "cluster_program",
                        lambda spec, provider, ctx=None, *, catalog=None, protection=None: seen.append(protection))
    rule = ProtectionRule(labels=("tier",), pattern="gold")
    program.inline_program(_spec("env: dev"), "kubeadm", None, protection=rule)()
    assert seen == [rule]


"""Every rule passing and failing on small specs; the examples against the default rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.cost.model import Assumptions, CostBreakdown, CostComponent
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.policies.config import PolicyConfig, parse_policy_config
from kubefleet.policies.engine import check
from kubefleet.policies.model import Finding, RuleContext
from kubefleet.policies.report import findings_markdown
from kubefleet.policies.rules import RULES
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec
from tests.conftest import example_specs, shape_resolver

TODAY = date(2026, 11, 27)

PROD = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{{labels}}}
spec:
  provider: {provider}
  kubernetes: {{version: "{version}"}}
  region: us-east
  controlPlane: {{availability: {availability}, endpoint: {endpoint}{replicas}}}
  nodePools:
{pools}
  network: {{privateNodes: {private}}}
  tenancy: {{isolation: {isolation}}}
  addons:
    istio: {{mode: {istio}, dataPlane: {plane}, expectedPods: {pods}}}
{upgrades}
"""

GOOD_POOL = "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, autoscaling: {min: 3, max: 9}}"
WINDOW = '  upgrades: {maintenanceWindow: {day: sun, start: "03:00", hours: 4}}'


def make(load_spec: Callable[[str], ClusterSpec], **kw: Any) -> ClusterSpec:
    values: dict[str, Any] = {
        "name": "pay", "labels": "team: payments, owner: jane-doe, cost-center: cc-1234, env: prod",
        "provider": "gke", "version": "1.35", "availability": "regional", "endpoint": "private", "replicas": "",
        "pools": GOOD_POOL, "private": "true", "isolation": "shared", "istio": "none", "plane": "sidecar",
        "pods": 0, "upgrades": WINDOW,
    }
    values.update(kw)
    return load_spec(PROD.format(**values))


def rule_ids(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def run_spec_rules(spec: ClusterSpec, config: PolicyConfig | None = None, as_of: date = TODAY) -> list[Finding]:
    from kubefleet.policies.engine import spec_findings

    return spec_findings(RuleContext(spec, as_of, load_catalog()), config or PolicyConfig())


def fixed_pricer(amount: str) -> Callable[[ResourceGraph], CostBreakdown]:
    """A pricer that prices every cluster at ``amount`` a month (real CostBreakdown records)."""

    def price(graph: ResourceGraph) -> CostBreakdown:
        comp = CostComponent("nodes", "nodes", "month", Decimal(1), Decimal(amount), "test:fixed", TODAY,
                             f"{graph.provider}::{graph.cluster}")
        return CostBreakdown(graph.cluster, graph.provider, graph.region, TODAY, TODAY, Assumptions(), [comp])

    return price


def offline(specs: list[ClusterSpec], providers: list[str] | None = None, config: PolicyConfig | None = None,
            as_of: date = TODAY, pricer: Callable[[ResourceGraph], CostBreakdown] | None = None) -> list[Finding]:
    result = check(specs, as_of=as_of, providers=providers, config=config,
                   renderer=lambda s, p: render(s, p, resolver=shape_resolver(p)),
                   pricer=pricer or fixed_pricer("100"))
    return result.findings


def test_good_prod_spec_passes_every_spec_rule(load_spec: Callable[[str], ClusterSpec]) -> None:
    assert run_spec_rules(make(load_spec)) == []


# ------------------------------------------------------------------------------------------ ownership


@pytest.mark.parametrize("labels, fragment", [
    ("owner: jane-doe, cost-center: cc-1234, env: prod", "label 'team' is missing"),
    ("team: payments, cost-center: cc-1234, env: prod", "label 'owner' is missing"),
    ("team: payments, owner: jane-doe, cost-center: c-1234, env: prod", "does not match"),
    ("team: payments, owner: jane-doe, cost-center: cc-1234, env: qa", "env 'qa' is not one of"),
])
def test_ownership_labels_fail(load_spec: Callable[[str], ClusterSpec], labels: str, fragment: str) -> None:
    findings = [f for f in run_spec_rules(make(load_spec, labels=labels)) if f.rule == "ownership-labels"]
    assert len(findings) == 1 and fragment in findings[0].message
    assert findings[0].level == "mandatory" and findings[0].provider is None


def test_ownership_pattern_is_configurable(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, labels="team: payments, owner: jane-doe, cost-center: fin-77, env: prod")
    assert "ownership-labels" in rule_ids(run_spec_rules(spec))
    config = parse_policy_config('rules: {ownership-labels: {costCenterPattern: "^fin-[0-9]+$"}}')
    assert "ownership-labels" not in rule_ids(run_spec_rules(spec, config))


# ------------------------------------------------------------------------------ production posture


def test_prod_posture_fails_on_each_gap(load_spec: Callable[[str], ClusterSpec]) -> None:
    fixed = "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, count: 3}"
    spec = make(load_spec, endpoint="public", availability="zonal", pools=fixed, upgrades="")
    assert {"prod-private-endpoint", "prod-ha-control-plane", "prod-autoscaling",
            "prod-maintenance-window"} <= rule_ids(run_spec_rules(spec))


def test_prod_posture_does_not_apply_outside_prod(load_spec: Callable[[str], ClusterSpec]) -> None:
    fixed = "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, count: 3}"
    spec = make(load_spec, labels="team: payments, owner: jane-doe, cost-center: cc-1234, env: staging",
                endpoint="public", availability="zonal", pools=fixed, upgrades="")
    assert run_spec_rules(spec) == []


def test_kubeadm_ha_means_three_replicas(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, provider="kubeadm", availability="zonal", replicas=", replicas: 1")
    assert "prod-ha-control-plane" in rule_ids(run_spec_rules(spec))
    assert "prod-ha-control-plane" not in rule_ids(run_spec_rules(make(load_spec, replicas=", replicas: 5")))


def test_deletion_protection_on_the_rendered_graph(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec)
    assert "prod-deletion-protection" not in rule_ids(offline([spec], ["gke"]))
    # the same resources without protect / deletionProtection: the rule fires on the cluster resource
    graph = render(spec, "gke", resolver=shape_resolver("gke"))
    cluster = graph.one("gcp:container/cluster:Cluster")
    bare = RenderedResource(cluster.urn, cluster.type, cluster.name, cluster.parent,
                            {**cluster.inputs, "deletionProtection": False}, True, False)
    ctx = RuleContext(spec, TODAY, load_catalog(), provider="gke", graph=graph)
    rule = RULES["prod-deletion-protection"]
    found = list(rule.check(bare, ctx, rule.defaults()))
    assert len(found) == 1 and found[0].resource == f"{cluster.type}::{cluster.name}"


# ------------------------------------------------------------------------------------ version hygiene


def test_versions_from_the_catalog(load_spec: Callable[[str], ClusterSpec]) -> None:
    row = load_catalog().versions("eks")["1.33"]
    assert row.standard_end is not None and row.extended_end is not None
    spec = make(load_spec, provider="eks", version="1.33")
    inside = offline([spec], ["eks"], as_of=row.standard_end)
    assert not {"version-support", "version-extended-support"} & rule_ids(inside)
    extended = offline([spec], ["eks"], as_of=row.standard_end + timedelta(days=1))
    assert "version-extended-support" in rule_ids(extended) and "version-support" not in rule_ids(extended)
    gone = offline([spec], ["eks"], as_of=row.extended_end + timedelta(days=1))
    assert "version-support" in rule_ids(gone)
    assert any("left extended support" in f.message for f in gone)


def test_require_standard_fails_in_extended_support(load_spec: Callable[[str], ClusterSpec]) -> None:
    row = load_catalog().versions("eks")["1.33"]
    assert row.standard_end is not None
    config = parse_policy_config("rules: {version-support: {requireStandard: true}}")
    found = offline([make(load_spec, provider="eks", version="1.33")], ["eks"], config=config,
                    as_of=row.standard_end + timedelta(days=1))
    assert "version-support" in rule_ids(found)


def test_version_without_extended_support_fails(load_spec: Callable[[str], ClusterSpec]) -> None:
    row = load_catalog().versions("gke")["1.33"]
    assert row.standard_end is not None and row.extended_end is None
    spec = make(load_spec, version="1.33")
    assert "version-support" not in rule_ids(offline([spec], ["gke"], as_of=row.standard_end))
    after = offline([spec], ["gke"], as_of=row.standard_end + timedelta(days=1))
    assert [f.level for f in after if f.rule == "version-support"] == ["mandatory"]


def test_unknown_version_is_advisory(load_spec: Callable[[str], ClusterSpec]) -> None:
    # a minor older than every row the catalog has for GKE (the catalog grows as data is checked against
    # endoflife.date, so the minor is derived, not named)
    known = load_catalog().versions("gke")
    unknown = f"1.{min(int(m.split('.')[1]) for m in known) - 1}"
    assert unknown not in known
    spec = make(load_spec, version=unknown)
    found = [f for f in offline([spec], ["gke"]) if f.rule.startswith("version")]
    assert [(f.rule, f.level) for f in found] == [("version-known", "advisory")]


# ----------------------------------------------------------------------------------------- budgets


def test_cluster_budget(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec)
    config = parse_policy_config("rules: {budget-cluster: {monthlyCap: 1000}}")
    assert "budget-cluster" not in rule_ids(offline([spec], ["gke"], config=config, pricer=fixed_pricer("1000")))
    over = offline([spec], ["gke"], config=config, pricer=fixed_pricer("1000.01"))
    budget = [f for f in over if f.rule == "budget-cluster"]
    assert len(budget) == 1 and "$1,000.01" in budget[0].message and budget[0].provider == "gke"


def test_no_cap_means_no_pricing(load_spec: Callable[[str], ClusterSpec]) -> None:
    def boom(graph: ResourceGraph) -> CostBreakdown:
        raise AssertionError("priced although no budget rule needs a price")

    assert "budget-cluster" not in rule_ids(offline([make(load_spec)], ["gke"], pricer=boom))


def test_team_budget_adds_up_across_the_fleet(load_spec: Callable[[str], ClusterSpec]) -> None:
    a, b = make(load_spec, name="pay-a"), make(load_spec, name="pay-b")
    other = make(load_spec, name="ship", labels="team: shipping, owner: li, cost-center: cc-9999, env: prod")
    config = parse_policy_config("rules: {budget-team: {teamCaps: {payments: 150, shipping: 150}}}")
    alone = offline([a], ["gke"], config=config, pricer=fixed_pricer("100"))
    assert "budget-team" not in rule_ids(alone)
    together = [f for f in offline([a, b, other], ["gke"], config=config, pricer=fixed_pricer("100"))
                if f.rule == "budget-team"]
    assert len(together) == 1
    assert together[0].cluster == "pay-a, pay-b" and "$200.00" in together[0].message


# ------------------------------------------------------------------------------------ mesh overhead


def test_mesh_overhead(load_spec: Callable[[str], ClusterSpec]) -> None:
    # 3 nodes x 8 vCPU = 24 vCPU at min; sidecars ask 0.1 vCPU each (catalog, Istio chart defaults)
    light = make(load_spec, istio="managed", pods=30)  # 3 vCPU = 12.5%
    heavy = make(load_spec, istio="managed", pods=60)  # 6 vCPU = 25%
    ambient = make(load_spec, istio="managed", plane="ambient", pods=600)
    assert "mesh-overhead" not in rule_ids(run_spec_rules(light))
    found = [f for f in run_spec_rules(heavy) if f.rule == "mesh-overhead"]
    assert len(found) == 1 and found[0].level == "advisory" and "25%" in found[0].message
    assert found[0].hint is not None and "ambient" in found[0].hint
    assert "mesh-overhead" not in rule_ids(run_spec_rules(ambient))
    loose = parse_policy_config("rules: {mesh-overhead: {maxShare: 0.3}}")
    assert "mesh-overhead" not in rule_ids(run_spec_rules(heavy, loose))


# ------------------------------------------------------------------------------------------ tenancy


def test_multi_tenant_needs_sandbox(load_spec: Callable[[str], ClusterSpec]) -> None:
    labels = "team: payments, owner: jane-doe, cost-center: cc-1234, env: prod, tenancy: multi-tenant"
    assert "tenancy-sandboxed" in rule_ids(run_spec_rules(make(load_spec, labels=labels)))
    assert "tenancy-sandboxed" not in rule_ids(run_spec_rules(make(load_spec, labels=labels, isolation="sandboxed")))


# ------------------------------------------------------------------------------------------ sizing


def test_min_workers(load_spec: Callable[[str], ClusterSpec]) -> None:
    one = "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, autoscaling: {min: 1, max: 3}}"
    staging = "team: payments, owner: jane-doe, cost-center: cc-1234, env: staging"
    dev = "team: payments, owner: jane-doe, cost-center: cc-1234, env: dev"
    assert "min-workers" in rule_ids(run_spec_rules(make(load_spec, labels=staging, pools=one)))
    assert "min-workers" not in rule_ids(run_spec_rules(make(load_spec, labels=dev, pools=one)))
    assert "min-workers" not in rule_ids(run_spec_rules(make(load_spec, labels=staging)))


def test_odd_control_plane(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, provider="kubeadm", replicas=", replicas: 3")
    assert "odd-control-plane" not in rule_ids(run_spec_rules(spec))
    # The spec schema already refuses even counts; the rule also guards specs built in code.
    cp = spec.spec.control_plane.model_copy(update={"replicas": 4})
    even = spec.model_copy(update={"spec": spec.spec.model_copy(update={"control_plane": cp})})
    assert "odd-control-plane" in rule_ids(run_spec_rules(even))


# ------------------------------------------------------------------------------ placement allow-lists


def test_allowed_providers_and_regions(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec)
    config = parse_policy_config("rules: {allowed-providers: {providers: [eks]}, allowed-regions: {regions: [europe-west]}}")
    found = rule_ids(offline([spec], ["gke"], config=config))
    assert {"allowed-providers", "allowed-regions"} <= found
    ok = parse_policy_config("rules: {allowed-providers: {providers: [gke]}, allowed-regions: {regions: [us-east4]}}")
    assert not {"allowed-providers", "allowed-regions"} & rule_ids(offline([spec], ["gke"], config=ok))


# ------------------------------------------------------------------------------ resource-level checks


def test_public_node_ips_on_gke(load_spec: Callable[[str], ClusterSpec]) -> None:
    assert "no-public-node-ips" not in rule_ids(offline([make(load_spec)], ["gke"]))
    public = offline([make(load_spec, private="false", endpoint="public")], ["gke"])
    found = [f for f in public if f.rule == "no-public-node-ips"]
    assert found and found[0].resource is not None and found[0].resource.startswith("gcp:container/cluster:Cluster")


def test_public_node_ips_on_eks(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, provider="eks")
    assert "no-public-node-ips" not in rule_ids(offline([spec], ["eks"]))
    # node groups in a subnet that maps public IPs: rebuild the graph with the subnets flipped
    graph = render(spec, "eks", resolver=shape_resolver("eks"))
    flipped = [RenderedResource(r.urn, r.type, r.name, r.parent, {**r.inputs, "mapPublicIpOnLaunch": True},
                                r.custom, r.protect) if r.type == "aws:ec2/subnet:Subnet" else r
               for r in graph.resources]
    public = ResourceGraph(graph.cluster, graph.provider, graph.region, flipped, {}, [], graph.instances, spec)
    ctx = RuleContext(spec, TODAY, load_catalog(), provider="eks", graph=public)
    found = list(RULES["no-public-node-ips"].check(ctx, {}))
    assert found and all(v.resource and v.resource.startswith("aws:eks/nodeGroup:NodeGroup") for v in found)


def test_public_node_ips_on_aks_inputs(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, provider="aks")
    pool = RenderedResource("urn:x", "azure-native:containerservice:AgentPool", "p", None,
                            {"enableNodePublicIP": True, "vmSize": "Standard_D4s_v5"}, True, True)
    graph = ResourceGraph("pay", "aks", "eastus", [pool], {}, [], {}, spec)
    ctx = RuleContext(spec, TODAY, load_catalog(), provider="aks", graph=graph)
    assert [v.resource for v in RULES["no-public-node-ips"].check(ctx, {})] == [
        "azure-native:containerservice:AgentPool::p"]


def test_disk_encryption(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, provider="eks")
    assert "disk-encryption" not in rule_ids(offline([spec], ["eks"]))  # the EKS launch template encrypts
    rule = RULES["disk-encryption"]
    ctx = RuleContext(spec, TODAY, load_catalog(), provider="eks")
    lt = RenderedResource("urn:lt", "aws:ec2/launchTemplate:LaunchTemplate", "lt", None,
                          {"blockDeviceMappings": [{"ebs": {"encrypted": "false"}}]}, True, True)
    assert len(list(rule.check(lt, ctx, {}))) == 1
    aks = offline([make(load_spec, provider="aks")], ["aks"])
    assert [f.level for f in aks if f.rule == "disk-encryption"][:1] == ["advisory"]


def test_deprecated_instance_family(load_spec: Callable[[str], ClusterSpec]) -> None:
    pinned = ("    - {name: general, machine: {vcpus: 4, memoryGiB: 16}, autoscaling: {min: 3, max: 9},\n"
              "       instanceTypes: {gke: n1-standard-4, eks: m4.xlarge, aks: Standard_D4_v2}}")
    spec = make(load_spec, pools=pinned)
    for provider in ("gke", "eks", "aks"):
        found = [f for f in offline([spec], [provider]) if f.rule == "deprecated-instance-family"]
        assert found, provider
        assert found[0].level == "mandatory"
    assert "deprecated-instance-family" not in rule_ids(offline([make(load_spec)], ["gke", "eks", "aks"]))


def test_disabled_rule_reports_nothing(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = make(load_spec, labels="team: payments, owner: jane-doe, cost-center: x1, env: prod")
    config = parse_policy_config("rules: {ownership-labels: disabled}")
    assert "ownership-labels" not in rule_ids(run_spec_rules(spec, config))
    advisory = parse_policy_config("rules: {ownership-labels: advisory}")
    assert [f.level for f in run_spec_rules(spec, advisory)] == ["advisory"]


def test_in_program_install_needs_a_reachable_endpoint(load_spec: Callable[[str], ClusterSpec]) -> None:
    """More cases in tests/test_policy_reachable.py; here the rule id and that GKE's DNS endpoint counts."""
    spec = make(load_spec, endpoint="private", istio="self-managed")
    found = [f for f in offline([spec], providers=["gke"]) if f.rule == "in-program-install-reachable"]
    assert found == []


def test_every_rule_is_tested_here() -> None:
    text = Path(__file__).read_text()
    assert [r for r in RULES if f'"{r}"' not in text] == []


# ------------------------------------------------------------------------------------------ examples


def test_examples_against_default_rules(golden: Any) -> None:
    """The examples on their own provider, as of 2026-11-27, with the default levels.

    Mandatory findings recorded in the golden file, and why they are expected:
    * shop-mesh (istio-microservices.yaml): its `ingress` pool has a fixed `count: 2` in a prod cluster
      (prod-autoscaling). The example keeps it to show a fixed pool next to an autoscaled one.
    * GKE and kubeadm examples on Kubernetes 1.33/1.34: the catalog's version table says those minors left
      standard support before 2026-11-27 (version-support); the examples need a version bump.
    """
    data = []
    for loaded in example_specs():
        findings = offline([loaded.spec])
        data.append({"file": loaded.file.rsplit("/", 1)[-1], "cluster": loaded.spec.name,
                     "mandatory": sorted(f"{f.rule}: {f.message}" for f in findings if f.mandatory),
                     "advisory": sorted(f.rule for f in findings if not f.mandatory)})
    golden.check_json("policy/examples.json", data)
    mandatory_rules = {m.split(":")[0] for d in data for m in d["mandatory"]}
    assert mandatory_rules <= {"prod-autoscaling", "version-support"}


def test_markdown_report(load_spec: Callable[[str], ClusterSpec], golden: Any) -> None:
    fixed = "    - {name: general, machine: {vcpus: 8, memoryGiB: 32}, count: 3}"
    spec = make(load_spec, pools=fixed, istio="managed", pods=100)
    golden.check("policy/findings.md", findings_markdown(run_spec_rules(spec)))
    assert "No policy findings" in findings_markdown([])


def test_a_spec_one_provider_cannot_build_is_a_finding_not_the_end_of_the_check(tmp_path: Path) -> None:
    """`policy check --provider all` over an EKS 1.36 spec: kubeadm's pinned add-ons stop at 1.35
    (kubefleet/spec/limits.py MAX_MINOR, Calico v3.31's requirements), so kubeadm cannot build it. That is a
    `renders` finding on kubeadm (mandatory: exit 1) while the other three providers are still checked —
    not an exit 2 without a file for the whole run (found by benchmarks/fleet300.py)."""
    import json

    spec = tmp_path / "a.yaml"
    spec.write_text(
        "apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: a\n"
        "  labels: {team: t, env: dev, owner: o, cost-center: cc-1234}\nspec:\n  provider: eks\n"
        "  kubernetes: {version: \"1.36\"}\n  region: us-east\n  nodePools:\n    - name: general\n"
        "      machine: {vcpus: 4, memoryGiB: 16}\n      count: 2\n")
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    result = CliRunner().invoke(app, ["policy", "check", str(spec), "--provider", "all", "-o", "json",
                                      "--as-of", "2026-12-06"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert {c["provider"] for c in report["checked"]} == {"gke", "eks", "aks", "kubeadm"}
    renders = [f for f in report["findings"] if f["rule"] == "renders"]
    assert [(f["provider"], f["level"]) for f in renders] == [("kubeadm", "mandatory")]
    assert "1.36" in renders[0]["message"] and renders[0]["hint"]
    disabled = tmp_path / "policy.yaml"
    disabled.write_text("rules: {renders: disabled}\n")
    quiet = CliRunner().invoke(app, ["policy", "check", str(spec), "--provider", "kubeadm", "-o", "json",
                                     "--config", str(disabled), "--as-of", "2026-12-06"])
    assert not [f for f in json.loads(quiet.stdout)["findings"] if f["rule"] == "renders"], quiet.output

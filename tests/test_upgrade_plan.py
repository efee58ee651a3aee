"""`kubefleet upgrade plan` (kubefleet/lifecycle/upgrade.py, kubefleet/report/upgrade.py, cli/upgrade_cmds.py).

Oracles: Cluster API's worked example of a chained and efficient upgrade (kubernetes-sigs/cluster-api@ae7ff047:
docs/proposals/20250513-chained-and-efficient-upgrades-for-clusters-with-managed-topologies.md:280-289); the public
EKS cost cliff (https://github.com/aws-samples/sample-aws-genai-ops-demos/issues/84: two clusters on 1.33 went from
$4.80 to $28.80 a day on 2026-07-29, the end of EKS standard support); the published JSON schema (jsonschema).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.lifecycle.upgrade import PoolMethod, plan_cluster
from kubefleet.report import upgrade as out
from kubefleet.spec.loader import load_file
from kubefleet.spec.model import ClusterSpec

ROOT = Path(__file__).resolve().parent.parent
SWEET = ROOT / "examples" / "sweet-spot.yaml"


def _spec(version: str, channel: str = "stable", *, name: str = "c", istio: str = "none") -> ClusterSpec:
    base = load_file(SWEET)[0].spec
    k8s = base.spec.kubernetes.model_copy(update={"version": version, "channel": channel})
    addons = base.spec.addons.model_copy(update={"istio": base.spec.addons.istio.model_copy(update={"mode": istio})})
    body = base.spec.model_copy(update={"kubernetes": k8s, "addons": addons})
    meta = base.metadata.model_copy(update={"name": name})
    return base.model_copy(update={"spec": body, "metadata": meta})


def test_cluster_api_worked_example_through_the_planner() -> None:
    """v1.29.0 -> v1.33.0 with a Cluster API (kubeadm) cluster: proposal lines 284-289, exactly."""
    pools = [PoolMethod("general", "Cluster API MachineDeployment rolling update", {}, "capi")]
    plan = plan_cluster(_spec("1.29.0"), "kubeadm", target="1.33", as_of=date(2024, 1, 2), catalog=load_catalog(),
                        pools=pools)
    assert [(s.kind, s.from_minor, s.to_minor) for s in plan.steps] == [
        ("control-plane", "1.29", "1.30"), ("control-plane", "1.30", "1.31"), ("control-plane", "1.31", "1.32"),
        ("node-pools", "1.29", "1.32"), ("control-plane", "1.32", "1.33"), ("node-pools", "1.32", "1.33")]
    assert all(s.pools == pools for s in plan.steps if s.kind == "node-pools")


def test_eks_cost_cliff_is_reproduced_to_the_cent() -> None:
    """Two EKS clusters pinned to 1.33 (upgrade policy EXTENDED): $4.80/day, then $28.80/day from 2026-07-29."""
    catalog = load_catalog()
    plans = [plan_cluster(_spec("1.33", "extended", name=n), "eks", target="1.33", as_of=date(2026, 7, 1),
                          catalog=catalog) for n in ("demo-a", "demo-b")]
    assert all(p.staying.starts is not None and p.staying.starts.on == date(2026, 7, 29) for p in plans)
    before = sum((p.staying.per_day_before or Decimal(0) for p in plans), Decimal(0))
    after = sum((p.staying.per_day_after or Decimal(0) for p in plans), Decimal(0))
    assert (f"{before:.2f}", f"{after:.2f}") == ("4.80", "28.80")
    assert all(isinstance(p.staying.per_day_after, Decimal) for p in plans)
    # upgrade policy STANDARD (any other channel): EKS upgrades instead, no fee change
    std = plan_cluster(_spec("1.33", "stable"), "eks", target="1.33", as_of=date(2026, 7, 1), catalog=catalog)
    assert std.staying.per_hour_after == std.staying.per_hour_before and "automatically" in std.staying.note


def test_deadlines_carry_sources_and_late_hops_are_problems() -> None:
    plan = plan_cluster(_spec("1.33", "extended"), "eks", target="1.35", as_of=date(2026, 6, 1),
                        catalog=load_catalog())
    hops = plan.hops
    assert [h.to_minor for h in hops] == ["1.34", "1.35"]
    assert hops[0].finish_by is not None and hops[0].finish_by.on == date(2026, 7, 29)
    assert hops[0].finish_by.source.startswith("https://") and hops[0].start.source
    assert not plan.problems
    late = plan_cluster(_spec("1.33", "extended"), "eks", target="1.35", as_of=date(2026, 6, 1),
                        by=date(2026, 12, 31), catalog=load_catalog())
    assert late.hops[1].start.on == date(2026, 9, 15)  # 213 days // 2 hops = 106 days apart
    assert any("1.34 → 1.35" in p or "1.33 → 1.34" in p for p in late.problems) or late.hops[0].late is False


def test_mesh_move_comes_before_the_hop_that_needs_it() -> None:
    """Istio on EKS (self-managed) at 1.34 as of 2026-04-01 runs 1.29.8 (Kubernetes 1.31-1.35). The hop to 1.36
    needs Istio 1.30.5 (1.32-1.36), released 2026-05-18 (compat-istio.yaml, from istio.io's announcements): a week
    later there is none (a problem); spread to --by 2026-08-01 the hop is on 2026-05-31 and the move comes first."""
    catalog = load_catalog()
    early = plan_cluster(_spec("1.34", istio="managed"), "eks", target="1.36", as_of=date(2026, 4, 1), catalog=catalog)
    move = next(s for s in early.steps if s.kind == "mesh")
    assert move.mesh is not None and move.mesh.from_revision == "1.29.8" and move.mesh.to_revision is None
    assert any(p.startswith("mesh:") for p in early.problems)
    plan = plan_cluster(_spec("1.34", istio="managed"), "eks", target="1.36", as_of=date(2026, 4, 1),
                        by=date(2026, 8, 1), catalog=catalog)
    kinds = [(s.kind, s.to_minor) for s in plan.steps]
    assert kinds[:3] == [("control-plane", "1.35"), ("mesh", "1.35"), ("control-plane", "1.36")]
    move = plan.steps[1]
    assert move.mesh is not None and move.mesh.from_revision == "1.29.8" and move.mesh.to_revision == "1.30.5"
    assert move.mesh.source.startswith("https://github.com/istio/istio.io/blob/")
    assert not [p for p in plan.problems if p.startswith("mesh")]


@dataclass
class _Removal:
    replacement: str | None
    removed_in: str


@dataclass
class _Finding:
    file: str
    line: int
    column: int
    api_version: str
    kind: str
    removal: _Removal


def test_removed_apis_are_listed_on_the_hop_that_removes_them() -> None:
    calls: list[tuple[str, str]] = []

    def findings(paths: Any, current: str, target: str) -> list[_Finding]:
        calls.append((current, target))
        if target == "1.35":
            return [_Finding("m/flow.yaml", 3, 1, "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema",
                             _Removal("flowcontrol.apiserver.k8s.io/v1", "1.32"))]
        return []

    plan = plan_cluster(_spec("1.33"), "gke", target="1.35", as_of=date(2026, 6, 1), catalog=load_catalog(),
                        manifests=[Path("m")], removed=findings)
    assert calls == [("1.33", "1.34"), ("1.34", "1.35")]
    assert [len(h.removed_apis) for h in plan.hops] == [0, 1] and plan.manifests_checked
    assert any("removed in 1.35" in p for p in plan.problems)


def test_json_output_validates_against_the_published_schema() -> None:
    import jsonschema  # type: ignore[import-untyped]

    schema = json.loads((ROOT / "schemas" / "upgrade-plan.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    result = CliRunner().invoke(app, ["upgrade", "plan", str(SWEET), "--as-of", "2026-12-06", "-p", "eks", "-o",
                                      "json", "--to", "1.36"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema)
    assert data["kind"] == "UpgradePlanList" and [i["provider"] for i in data["items"]] == ["eks"]
    pools = data["items"][0]["steps"][-1]["pools"]  # read off the offline render: EKS managed node group update
    assert pools and pools[0]["knobs"]["updateConfig.maxUnavailable"] == "1"
    # every provider, every kind of step (mesh moves, removed APIs, late hops), through the same renderer
    catalog = load_catalog()
    plans = [plan_cluster(_spec("1.32", ch, istio="managed"), p, target="1.36", as_of=date(2026, 4, 1),
                          catalog=catalog, pools=[PoolMethod("general", "surge", {"maxSurge": "1"}, "https://x")])
             for p in ("gke", "eks", "aks", "kubeadm") for ch in ("stable", "extended")]
    data = json.loads(out.to_json(plans))
    jsonschema.validate(data, schema)
    kinds = {s["kind"] for i in data["items"] for s in i["steps"]}
    assert kinds == {"mesh", "control-plane", "node-pools"}
    for item in data["items"]:
        for step in item["steps"]:
            assert step["start"]["source"] and (step["finishBy"] is None or step["finishBy"]["source"])


def test_table_markdown_and_html_name_every_hop() -> None:
    for fmt in ("table", "markdown", "html"):
        result = CliRunner().invoke(app, ["upgrade", "plan", str(ROOT / "examples" / "fleet.yaml"), "--as-of",
                                          "2026-06-01", "--to", "1.35", "-p", "eks", "-o", fmt], env={"COLUMNS": "200"})
        assert result.exit_code == 1, result.output  # orders-prod's 1.32 left standard support before 2026-06-01
        assert "overdue" in result.stdout + result.output
        assert "1.34 → 1.35" in result.stdout and "staying" in result.stdout.lower()


def test_bad_input_is_exit_2_with_a_hint(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["upgrade", "plan", str(SWEET), "--to", "1.30", "-p", "gke"])
    assert r.exit_code == 2 and "downgrade" in r.output
    r = CliRunner().invoke(app, ["upgrade", "plan", str(SWEET), "--as-of", "2026-06-01", "--by", "2026-01-01"])
    assert r.exit_code == 2 and "--by" in r.output
    r = CliRunner().invoke(app, ["upgrade", "plan", str(SWEET), "--to", "one"])
    assert r.exit_code == 2 and "not a Kubernetes version" in r.output


def test_removed_apis_through_the_real_database_land_on_the_hop_that_removes_them() -> None:
    """kubefleet.lifecycle.removed_apis (kubepug + pluto data) over its own fixture: the hops partition the range
    (1.28, 1.33] — every finding of the whole range appears once, on the hop whose minor removes the API."""
    from kubefleet.lifecycle import removed_apis
    from kubefleet.lifecycle.upgrade import default_findings

    manifests = [ROOT / "tests" / "data" / "manifests" / "every-removed-api.yaml"]
    plan = plan_cluster(_spec("1.28"), "eks", target="1.33", as_of=date(2024, 1, 2), catalog=load_catalog(),
                        manifests=manifests, removed=default_findings())
    whole = removed_apis.findings(manifests, "1.28", "1.33")
    assert whole  # the fixture uses APIs removed in this range
    got = [(r.file, r.line, r.column, r.removed_in, h.to_minor) for h in plan.hops for r in h.removed_apis]
    assert sorted(g[:3] for g in got) == sorted((f.file, f.line, f.column) for f in whole)
    assert all(removed_in == hop for *_, removed_in, hop in got)


def test_forced_upgrade_dates_per_provider_and_channel() -> None:
    """EKS STANDARD and GKE outside Extended upgrade at the end of standard support; EKS EXTENDED the day after
    extended support (endoflife.date amazon-eks.md: 1.33 eol 2026-07-29, eoes 2027-07-29); AKS and kubeadm never."""
    catalog = load_catalog()

    def forced(provider: str, channel: str) -> date | None:
        plan = plan_cluster(_spec("1.33", channel), provider, target="1.34", as_of=date(2026, 1, 5), catalog=catalog)
        f = plan.hops[0].forced
        assert f is None or f.source.startswith("https://")
        return f.on if f else None

    assert forced("eks", "stable") == date(2026, 7, 29)
    assert forced("eks", "extended") == date(2027, 7, 30)
    assert forced("gke", "regular") == date(2026, 8, 3)
    assert forced("gke", "extended") is None  # end of GKE extended support: not in the catalog
    assert forced("aks", "stable") is None and forced("kubeadm", "stable") is None


def test_aks_long_term_support_moves_the_deadline_to_the_end_of_lts() -> None:
    """AKS 1.33: end of life 2026-07-31, LTS end 2027-07-31 (supported-kubernetes-versions.md@fb060ab:51,70;
    endoflife.date azure-kubernetes-service.md eol/eoes agree)."""
    catalog = load_catalog()
    std = plan_cluster(_spec("1.33", "stable"), "aks", target="1.34", as_of=date(2026, 1, 5), catalog=catalog)
    lts = plan_cluster(_spec("1.33", "extended"), "aks", target="1.34", as_of=date(2026, 1, 5), catalog=catalog)
    assert std.hops[0].finish_by is not None and std.hops[0].finish_by.on == date(2026, 7, 31)
    assert lts.hops[0].finish_by is not None and lts.hops[0].finish_by.on == date(2027, 7, 31)
    assert "long-term support" in lts.hops[0].finish_by.what


def test_narrow_terminal_keeps_every_word_within_the_width() -> None:
    r = CliRunner().invoke(app, ["upgrade", "plan", str(SWEET), "-p", "eks", "--as-of", "2026-12-06"],
                           env={"COLUMNS": "60", "NO_COLOR": "1"})
    assert r.exit_code == 0, r.output
    assert all(len(line) <= 60 for line in r.stdout.splitlines()), r.stdout
    flat = " ".join(r.stdout.split())
    assert "updateConfig.maxUnavailable=1" in flat.replace(" ", "") and "1.35 → 1.36" in r.stdout

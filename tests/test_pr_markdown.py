"""The PR comment renderer, checked against golden files (pytest --update-goldens rewrites them)."""

from __future__ import annotations

import json
from decimal import Decimal

from kubefleet.changes import ClusterChanges, InputChange, ResourceChange, changes_from_events
from kubefleet.engine.secrets import SECRET_SIG, SIG_KEY
from kubefleet.report.pr_markdown import MARKER, fmt_money, render_pr_markdown, summary_line
from tests.test_changes import CLUSTER, POOL, SEKRET, pre

NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
EKS = "aws:eks/cluster:Cluster"


def _eks() -> ClusterChanges:
    return ClusterChanges(
        cluster="payments",
        provider="eks",
        changes=(
            ResourceChange("update", NODEGROUP, "general", (
                InputChange("scalingConfig.minSize", 3, 7),
                InputChange("instanceTypes[0]", "m7i.xlarge", "m7i.2xlarge"),
            )),
            ResourceChange("update", "aws:ec2/securityGroup:SecurityGroup", "api", (
                InputChange("description", "old | text", "new `text`"),
            ), drift=True),
            ResourceChange("replace", EKS, "payments", (InputChange("vpcConfig.endpointPrivateAccess", False, True),)),
            ResourceChange("same", "aws:iam/role:Role", "node-role"),
            ResourceChange("same", "aws:iam/role:Role", "cluster-role"),
        ),
        monthly_before=Decimal("1200.00"),
        monthly_after=Decimal("1612.80"),
    )


def _gke_from_events() -> ClusterChanges:
    wire_secret = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(SEKRET)}
    events = [
        pre("update", CLUSTER, "payments", old={"kubeconfig": SEKRET, "minMasterVersion": "1.32"},
            new={"kubeconfig": SEKRET + "2", "minMasterVersion": "1.33"},
            detailed={"kubeconfig": "update", "minMasterVersion": "update"}),
        pre("delete", POOL, "legacy", old={"nodeCount": 2}),
        pre("create", POOL, "gpu", new={"nodeCount": 1, "token": wire_secret}),
        pre("refresh", "gcp:compute/firewall:Firewall", "allow-api", old={"sourceRanges": ["10.0.0.0/8"]},
            new={"sourceRanges": ["10.0.0.0/8"]}, old_outputs={"sourceRanges": ["10.0.0.0/8"]},
            new_outputs={"sourceRanges": ["0.0.0.0/0"]}),
    ]
    return changes_from_events(events, "payments", "gke", Decimal("900"), Decimal("880.555"))


POLICY = "| rule | result |\n|---|---|\n| prod-needs-private-endpoint | ✅ pass |"


def test_mixed_comment_matches_golden(golden) -> None:  # type: ignore[no-untyped-def]
    text = render_pr_markdown([_eks(), _gke_from_events()], "kubefleet: 2 clusters change", POLICY)
    golden.check("pr/mixed.md", text)


def test_no_changes_matches_golden(golden) -> None:  # type: ignore[no-untyped-def]
    quiet = ClusterChanges("dev-small", "aks", (ResourceChange("same", "azure-native:containerservice:ManagedCluster",
                                                                "dev-small"),))
    golden.check("pr/no-changes.md", render_pr_markdown([quiet], "kubefleet preview"))


def test_output_is_deterministic_and_order_independent() -> None:
    items = [_eks(), _gke_from_events()]
    a = render_pr_markdown(items, "t")
    b = render_pr_markdown(list(reversed(items)), "t")
    shuffled = ClusterChanges(items[0].cluster, items[0].provider, tuple(reversed(items[0].changes)),
                              items[0].monthly_before, items[0].monthly_after)
    c = render_pr_markdown([items[1], shuffled], "t")
    assert a == b == c
    assert a.splitlines()[0] == MARKER


def test_summary_line_and_callouts() -> None:
    eks = _eks()
    assert summary_line(eks) == "EKS: 2 changed, 1 replaced, 1 drifted, +$412.80/month"
    text = render_pr_markdown([eks], "t")
    assert "- ⚠️ **payments** · EKS: 2 changed, 1 replaced, 1 drifted, +$412.80/month 🌀" in text
    assert "`payments` (`aws:eks/cluster:Cluster`) is replaced" in text
    assert "**Drift**" in text
    assert "<details>" in text and "</details>" in text
    assert "2 resources unchanged." in text
    assert "old \\| text" in text  # pipes escaped inside table cells
    assert "`new 'text'`" in text  # no stray backticks
    gke = _gke_from_events()
    assert summary_line(gke) == "GKE: 1 created, 1 changed, 1 deleted, 1 drifted, -$19.44/month"  # 880.56 - 900.00


def test_no_secret_reaches_the_comment() -> None:
    text = render_pr_markdown([_gke_from_events()], "t", None)
    assert SEKRET not in text
    assert "`kubeconfig`: `[secret]` (changed)" in text


def test_money() -> None:
    assert fmt_money(Decimal("412.8"), sign=True) == "+$412.80"
    assert fmt_money(Decimal("-19.445"), sign=True) == "-$19.45"
    assert fmt_money(Decimal("0"), sign=True) == "+$0.00"
    assert fmt_money(Decimal("1234.5")) == "$1,234.50"

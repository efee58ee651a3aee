"""The PR comment renderer, checked against golden files (pytest --update-goldens rewrites them)."""

from __future__ import annotations

import json
from decimal import Decimal

from kubefleet.changes.model import ClusterChanges, InputChange, ResourceChange, changes_from_events
from kubefleet.redact import SECRET_SIG, SIG_KEY
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


# ------------------------------------------------------------------ size limit, policy split, footer

from kubefleet.changes.diff import ClusterNotes  # noqa: E402
from kubefleet.report.pr_markdown import GITHUB_COMMENT_LIMIT, PolicySplit  # noqa: E402


def _huge(n: int) -> list[ClusterChanges]:
    long = "x" * 70
    return [ClusterChanges(f"c{i:03d}", "gke", tuple(
        ResourceChange("update", POOL, f"pool-{j}", tuple(InputChange(f"labels.k{k}", long, long + "y") for k in range(12)))
        for j in range(10)), Decimal("100"), Decimal("110")) for i in range(n)]


def test_details_are_cut_at_githubs_limit_never_the_headline_policy_or_footer() -> None:
    items = _huge(40)
    policy = PolicySplit("| Level | Rule |\n|---|---|\n| ❌ mandatory | `x` |", "", 1, 0, 1)
    full = render_pr_markdown(items, "t", policy=policy, commit="0123456789abcdef")
    assert len(full) > GITHUB_COMMENT_LIMIT  # the case is real
    cut = render_pr_markdown(items, "t", policy=policy, commit="0123456789abcdef", max_chars=GITHUB_COMMENT_LIMIT)
    assert len(cut) <= GITHUB_COMMENT_LIMIT
    assert cut.startswith(MARKER)
    assert "Monthly cost will increase by $400.00 (+10.0 %)" in cut
    assert "### Policy" in cut and "❌ 1 new in this PR (1 mandatory)" in cut
    assert "left out to stay under GitHub's 65,536-character comment limit" in cut
    assert cut.rstrip().endswith("secrets are shown as `[secret]`</sub>")
    assert "for commit `0123456789ab` · updated on each push" in cut
    assert all(f"**c{i:03d}**" in cut for i in range(40))  # every cluster keeps its summary line


def test_policy_findings_are_split_and_collapsed() -> None:
    policy = PolicySplit("| a |\n|---|\n| new |", "| a |\n|---|\n| old |", 1, 1, 0)
    text = render_pr_markdown([_eks()], "t", policy=policy)
    section = text.split("### Policy", 1)[1]
    assert "⚠️ 1 new in this PR · 1 already on base" in section
    assert "<summary>New in this PR (1)</summary>" in section and "<summary>Already on base (1)</summary>" in section
    assert section.index("| new |") < section.index("Already on base (1)") < section.index("| old |")


def test_unpriced_items_mark_totals_as_lower_bounds_and_categories_move() -> None:
    notes = {("payments", "eks"): ClusterNotes(unpriced_after=2, categories_before={"nodes": Decimal("1000")},
                                                categories_after={"nodes": Decimal("1100"), "mesh": Decimal("312.80")})}
    text = render_pr_markdown([_eks()], "t", notes=notes)
    assert "new monthly total **≥ $1,612.80**" in text
    assert "By category: nodes +$100.00 · mesh +$312.80" in text
    assert "2 item(s) unpriced after the change" in text
    assert "Monthly estimate: $1,200.00 → ≥ $1,612.80" in text


def test_a_change_with_no_resource_changes_says_so() -> None:
    same = ClusterChanges("payments", "gke", (ResourceChange("same", POOL, "general"),), Decimal(5), Decimal(5))
    text = render_pr_markdown([same], "t")
    assert "✅ **No changes**" in text and "Monthly cost will not change" in text

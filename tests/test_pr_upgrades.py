"""The PR comment's "Upgrades" section: support cliffs within --horizon with their monthly cost, refusals first.

The money is recomputed here by hand from the rates AWS publishes, not from kubefleet's code:
- "Amazon EKS extended support for Kubernetes versions pricing" (AWS Containers blog, the catalog's
  eks-extended-blog source): $0.60 per cluster per hour in extended support, $0.10 in standard support.
- The public EKS report quoted in issue 21: two clusters went from $4.80 to $28.80 a day when extended support
  began — 2 × 24 h × $0.10 and 2 × 24 h × $0.60.
- EKS 1.35's end of standard support, 2027-03-27 (endoflife.date/amazon-eks, mirrored from AWS's calendar).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.catalog.models import Price
from kubefleet.changes.model import ClusterChanges
from kubefleet.changes.upgrades import UpgradeNote
from kubefleet.cli.app import app
from kubefleet.report.pr_markdown import render_pr_markdown
from tests.conftest import MINIMAL, ROOT

AWS_STANDARD = Decimal("0.10")  # $/cluster-hour, AWS blog
AWS_EXTENDED = Decimal("0.60")  # $/cluster-hour in total, AWS blog
HOURS = Decimal(730)
AS_OF = "2027-02-01"  # 54 days before EKS 1.35 leaves standard support (2027-03-27)

runner = CliRunner()


def _spec(tmp_path: Path, name: str, version: str, channel: str, provider: str = "eks", nodes: int = 3) -> Path:
    text = MINIMAL.replace('version: "1.33"}', f'version: "{version}", channel: {channel}}}')
    text = text.replace("spec:\n", f"spec:\n  provider: {provider}\n", 1).replace("count: 3", f"count: {nodes}")
    path = tmp_path / name
    path.write_text(text)
    return path


def _diff(tmp_path: Path, old: Path, new: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["diff", "--base", str(old), str(new), "--as-of", AS_OF, *extra])
    return result.exit_code, result.stdout


def test_catalog_fees_are_the_published_rates() -> None:
    cat = load_catalog()
    for provider in ("eks", "gke"):
        standard, extended = cat.fee(provider, "control_plane.standard"), cat.fee(provider, "control_plane.extended")
        assert isinstance(standard, Price) and isinstance(extended, Price)
        assert (standard.amount, extended.amount) == (AWS_STANDARD, AWS_EXTENDED)
    assert "amazon-eks-extended-support-for-kubernetes-versions-pricing" in extended_source("eks")


def extended_source(provider: str) -> str:
    fee = load_catalog().fee(provider, "control_plane.extended")
    assert isinstance(fee, Price)
    return fee.source.url


def test_extended_support_cliff_inside_the_horizon_with_its_monthly_cost(tmp_path: Path) -> None:
    old = _spec(tmp_path, "old.yaml", "1.35", "extended", nodes=3)
    new = _spec(tmp_path, "new.yaml", "1.35", "extended", nodes=4)  # an unrelated change in the PR
    code, text = _diff(tmp_path, old, new, "--output", "markdown")
    assert code == 0, text
    total = AWS_EXTENDED * HOURS  # 438.00
    extra = (AWS_EXTENDED - AWS_STANDARD) * HOURS  # 365.00
    assert (total, extra) == (Decimal("438.00"), Decimal("365.00"))
    section = text[text.index("### Upgrades"):text.index("<details>")]
    assert "💸 **mini** · EKS: Kubernetes 1.35 leaves EKS standard support on 2027-03-27 (in 54 days)" in section
    assert f"${total:,.2f}/month for the control plane from 2027-03-27" in section
    assert f"+${extra:,.2f}/month over standard support" in section
    assert "view-upgrade-policy.adoc" in section and extended_source("eks") in section
    # the public report's daily figures follow from the same rates: 2 clusters × 24 h
    shown_total = Decimal(section.split("— $")[1].split("/month")[0])
    shown_extra = Decimal(section.split("(+$")[1].split("/month")[0])
    assert shown_total * 24 * 2 / HOURS == Decimal("28.80")  # the report's "after", per day, two clusters
    assert (shown_total - shown_extra) * 24 * 2 / HOURS == Decimal("4.80")  # and its "before"
    # the same facts in JSON
    code, raw = _diff(tmp_path, old, new, "--output", "json")
    jsonschema.validate(json.loads(raw), json.loads((ROOT / "schemas" / "diff.schema.json").read_text()))
    (note,) = json.loads(raw)["clusters"][0]["upgrades"]
    assert (note["kind"], note["date"], note["monthly_total"], note["monthly_extra"]) == (
        "support", "2027-03-27", "438.00", "365.00")


def test_outside_the_horizon_nothing_is_said(tmp_path: Path) -> None:
    old = _spec(tmp_path, "old.yaml", "1.35", "extended")
    new = _spec(tmp_path, "new.yaml", "1.35", "extended", nodes=4)
    code, text = _diff(tmp_path, old, new, "--output", "markdown", "--horizon", "30")
    assert code == 0 and "### Upgrades" not in text


def test_standard_policy_says_the_auto_upgrade_and_costs_nothing_extra(tmp_path: Path) -> None:
    old = _spec(tmp_path, "old.yaml", "1.35", "stable")
    new = _spec(tmp_path, "new.yaml", "1.35", "stable", nodes=4)
    code, text = _diff(tmp_path, old, new, "--output", "markdown")
    assert code == 0
    line = next(x for x in text.splitlines() if x.startswith("- ⏳ **mini** · EKS"))
    assert "EKS upgrades it automatically" in line and "upgrade policy STANDARD" in line
    assert "/month" not in line


def test_renderer_puts_refusals_first_and_escapes_text() -> None:
    item = ClusterChanges("pay", "eks", (), Decimal(0), Decimal(0))
    notes = [
        UpgradeNote("pay", "eks", "support", "Kubernetes 1.35 leaves *soon*", "https://example.org/rule",
                    when=date(2027, 3, 27)),
        UpgradeNote("pay", "gke", "refused", "GKE refuses a downgrade | <b>", "https://example.org/gke"),
    ]
    text = render_pr_markdown([item], "t", upgrades=notes, horizon_days=90)
    section = text[text.index("### Upgrades"):]
    assert section.index("[!CAUTION]") < section.index("Pinned Kubernetes minors")
    assert "GKE refuses a downgrade \\| &lt;b&gt;" in section and "leaves \\*soon\\*" in section
    assert "within 90 days" in section
    # cut for size: the Upgrades section stays
    assert "### Upgrades" in render_pr_markdown([item] * 40, "t", upgrades=notes, max_chars=1000)
    assert "### Upgrades" not in render_pr_markdown([item], "t")



def test_a_fleet_sized_upgrades_section_is_bounded() -> None:
    item = ClusterChanges("pay", "eks", (), Decimal(0), Decimal(0))
    many = [UpgradeNote(f"c{i:03}", "eks", "support", "Kubernetes 1.35 leaves " + "x" * 500, "https://example.org/r")
            for i in range(300)]
    text = render_pr_markdown([item], "t", upgrades=many)
    assert len(text) < 40_000 and "…and 260 more" in text

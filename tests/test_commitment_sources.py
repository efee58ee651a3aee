"""The refresh parser for GKE committed-use rates (issue 24, part 3): Compute Engine's commitment SKUs in the
Cloud Billing Catalog API format, turned into the month_1y / month_3y figures commitments.yaml carries.

Fixture tests/data/prices/gcp/commitments-us-east4.json is hand-written in the API's documented format (see
tests/data/prices/README.md), its SKU description patterns as Cyclenerd/google-cloud-pricing-cost-calculator
@0166a59ebba7c36f2cc8c931d9f258dcebc44776 build/mapping.csv maps them ("Commitment v1: N2%1 Year",
resourceGroup CPU/RAM); the per-vCPU and per-GiB rates were solved from two shipped N2 figures
(n2-standard-2 and n2-highmem-2), so every OTHER N2 type reproducing its shipped figure to the digit is the
check that the parser computes a type's commitment the way the cited mirror does (vCPUs x CPU + GiB x RAM,
x 730 hours). Decoys: another region, a description that disagrees with its usage type, a GPU commitment, an
on-demand SKU. Nothing downloads.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from kubefleet.catalog import load_catalog
from kubefleet.catalog.commitments import commitments
from kubefleet.cost.sources.gcp import commitment_month, commitment_rates

FIXTURE = Path(__file__).parent / "data" / "prices" / "gcp" / "commitments-us-east4.json"
REGION = "us-east4"


def test_every_shipped_n2_commitment_is_what_the_parser_makes_of_the_sku_prices() -> None:
    rates = commitment_rates(json.loads(FIXTURE.read_text())["skus"], REGION)
    assert rates.cpu == {("n2", "1y"): Decimal("0.021309"), ("n2", "3y"): Decimal("0.015221")}
    assert rates.ram == {("n2", "1y"): Decimal("0.002856"), ("n2", "3y"): Decimal("0.00204")}
    shipped = commitments()["gke"].rates[REGION]
    catalog = load_catalog()
    checked = 0
    for inst in catalog.instances("gke", REGION):
        if not inst.name.startswith("n2-"):
            continue
        spec = {"vcpus": inst.vcpus, "memory_gib": inst.memory_gib}
        for term in ("1y", "3y"):
            month = commitment_month(inst.name, spec, rates, term)
            assert month is not None and month == shipped[inst.name][term], (inst.name, term, month)
        checked += 1
    assert checked >= 15


def test_types_the_parser_cannot_price_say_so() -> None:
    rates = commitment_rates(json.loads(FIXTURE.read_text())["skus"], REGION)
    assert commitment_month("g2-standard-4", {"vcpus": 4, "memory_gib": 16, "gpu_count": 1}, rates, "1y") is None
    assert commitment_month("c3-highcpu-4", {"vcpus": 4, "memory_gib": 8}, rates, "1y") is None  # no C3 SKU here
    assert commitment_rates(json.loads(FIXTURE.read_text())["skus"], "europe-west4").cpu == {}

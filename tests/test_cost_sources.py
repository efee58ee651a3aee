"""Every unit price issue #24 added is checked against a second source kubefleet did not write.

The excerpts live in tests/data/second_sources (PROVENANCE.md pins each to a commit or a stored page).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kubefleet.catalog import Catalog, load_catalog
from kubefleet.catalog.models import Price
from kubefleet.compare import compare
from kubefleet.cost.model import Assumptions
from kubefleet.spec.loader import load_text

DATA = Path(__file__).resolve().parent / "data" / "second_sources"
CAT: Catalog = load_catalog()
H100 = ("Standard_NC40ads_H100_v5", "Standard_NC80adis_H100_v5", "Standard_ND96isr_H100_v5")
REGIONS = ("eastus", "westus2", "westeurope", "southeastasia")


def karpenter() -> dict[tuple[str, str], Decimal]:
    out = {}
    for line in (DATA / "karpenter-azure-2b431da-h100.txt").read_text().splitlines()[1:]:
        _no, region, text = line.split("\t")
        m = re.match(r'"(\w+)":\s*([0-9.]+),', text)
        assert m, text
        out[(region, m.group(1))] = Decimal(m.group(2))
    return out


def skypilot() -> dict[tuple[str, str], tuple[Decimal, int, Decimal, Decimal]]:
    with (DATA / "skypilot-azure-vms-v6-098741e-h100.csv").open() as f:
        return {(r["Region"], r["InstanceType"]): (Decimal(r["Price"]), int(r["AcceleratorCount"]),
                                                  Decimal(r["vCPUs"]), Decimal(r["MemoryGiB"]))
                for r in csv.DictReader(f)}


def test_every_h100_size_of_the_cited_source_is_in_the_catalog_at_its_price() -> None:
    """The catalog cites the Karpenter generated file: no H100 size it lists for a catalog region is missing
    (the 2-GPU NC80adis_H100_v5 was), and each price equals it."""
    cited = karpenter()
    for region in REGIONS:
        for name in H100:
            want = cited.get((region, name))
            have = CAT.instance("aks", region, name)
            if want is None:
                assert have is None, (region, name)  # nothing invented where the source has no line
                continue
            assert have is not None, f"{name} in {region} is in the cited source but not in the catalog"
            assert have.price.amount == want, (region, name)
    assert cited[("westus2", "Standard_ND96isr_H100_v5")] == Decimal("98.32")


def test_h100_prices_and_shapes_agree_with_a_second_source() -> None:
    second = skypilot()
    checked = 0
    for (region, name), (price, gpus, vcpus, mem) in second.items():
        have = CAT.instance("aks", region, name)
        if have is None:
            continue
        checked += 1
        assert have.price.amount == price, (region, name)
        assert (have.vcpus, have.memory_gib) == (vcpus, mem), name
        if name != "Standard_ND96isr_H100_v5":  # SkyPilot's row says 12 accelerators for the 8-GPU size
            assert have.gpu_count == gpus, name
    assert checked >= 3  # eastus NC40ads, NC80adis, ND96isr


def test_cloudwatch_logs_price_matches_infracost_golden() -> None:
    golden = (DATA / "infracost-cloudwatch-log-group-da0a586.golden").read_text()
    m = re.search(r"Data ingested\s+Monthly cost depends on usage: \$([0-9.]+) per GB", golden)
    assert m
    price = CAT.network("eks", "us-east-1", "cloudwatch_logs_ingest_gb")
    assert price is not None and price.amount == Decimal(m.group(1))
    # and the priced usage line in the same golden: 1,000 GB → $500.00
    assert re.search(r"Data ingested\s+1,000\s+GB\s+\$500\.00", golden)
    assert money_line(price.amount * 1000) == Decimal("500.00")


def money_line(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _catalog_figure(ref: dict[str, str]) -> Decimal:
    if ref["section"] == "network":
        found = CAT.network(ref["provider"], ref["region"], ref["key"])
    else:
        found = CAT.fee(ref["provider"], ref["key"])  # type: ignore[assignment]
    assert isinstance(found, Price), ref
    return found.amount


@pytest.mark.parametrize("entry", YAML(typ="safe").load((DATA / "pages.yaml").read_text()),
                         ids=lambda e: f"{e['catalog']['provider']}:{e['catalog']['key']}")
def test_page_second_sources(entry: dict) -> None:
    figure = Decimal(entry["figure"])
    assert re.search(rf"(\$|\b){re.escape(entry['figure'])}(\b|/)", entry["quote"]), entry["quote"]
    assert _catalog_figure(entry["catalog"]) == figure


# ----------------------------------------------------------------------------- the issue's figures, end to end

GPU_SPEC = """
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata: {name: h100}
spec:
  provider: aks
  kubernetes: {version: "1.33", channel: stable}
  region: REGION
  controlPlane: {availability: regional, tier: standard, endpoint: public}
  nodePools:
    - name: gpu
      machine: {vcpus: VCPUS, memoryGiB: MEM, gpu: {kind: nvidia-h100, count: GPUS}}
      count: 1
"""


def _gpu_line(region: str, gpus: int, vcpus: int, mem: int) -> tuple[str, Decimal]:
    text = (GPU_SPEC.replace("REGION", region).replace("VCPUS", str(vcpus)).replace("MEM", str(mem))
            .replace("GPUS", str(gpus)))
    spec = load_text(text, "h100.yaml")[0].spec
    cmp = compare(spec, ["aks"], as_of=date(2026, 12, 6), catalog=CAT, assumptions=Assumptions())
    b = cmp.priced["aks"]
    [line] = [c for c in b.components if "agent pool" in c.name and "H100" in c.name]
    return line.name, line.monthly


def test_a_two_gpu_h100_pool_is_priced_as_the_two_gpu_size() -> None:
    """Was: priced as the 8-GPU ND96isr_H100_v5, $71,773.60 a node-month instead of $10,190.80."""
    name, monthly = _gpu_line("us-east", 2, 16, 64)
    assert "Standard_NC80adis_H100_v5" in name and monthly == Decimal("10190.80")  # 13.96 × 730


def test_the_eight_gpu_size_is_priced_in_westus2() -> None:
    """Was: unpriced in westus2 (headline $161.33 for a ~$71,935 cluster)."""
    name, monthly = _gpu_line("us-west", 8, 96, 1024)
    assert "Standard_ND96isr_H100_v5" in name and monthly == Decimal("71773.60")  # 98.32 × 730


# ----------------------------------------------------------------------------- io2 provisioned IOPS


def _offer_product(sku: str, usagetype: str, dims: list[tuple[str, str, str]]) -> tuple[dict, dict]:
    """One product and its OnDemand term in the AWS offer-file shape (beginRange, endRange, USD)."""
    product = {"sku": sku, "productFamily": "System Operation" if "IOPS" in usagetype else "Storage",
               "attributes": {"usagetype": usagetype, "regionCode": "us-east-1"}}
    term = {f"{sku}.JRTCKXETXF": {"offerTermCode": "JRTCKXETXF", "sku": sku, "priceDimensions": {
        f"{sku}.JRTCKXETXF.{i}": {"rateCode": f"{sku}.JRTCKXETXF.{i}", "beginRange": b, "endRange": e,
                                  "unit": "IOPS-Mo", "pricePerUnit": {"USD": usd}}
        for i, (b, e, usd) in enumerate(dims)}}}
    return product, term


def test_refresh_reads_io2_storage_and_first_tier_iops() -> None:
    import io
    import json

    from kubefleet.cost.sources import aws

    items = [_offer_product("S1", "EBS:VolumeUsage.io2", [("0", "Inf", "0.1250000000")]),
             _offer_product("S2", "EBS:VolumeP-IOPS.io2", [("32000", "64000", "0.0455000000"),
                                                          ("0", "32000", "0.0650000000")]),
             _offer_product("S3", "EBS:VolumeP-IOPS.io2.tier2", [("0", "Inf", "0.0455000000")])]
    offer = {"formatVersion": "v1.0", "offerCode": "AmazonEC2", "publicationDate": "2026-11-20T18:02:41Z",
             "products": {p["sku"]: p for p, _t in items},
             "terms": {"OnDemand": {p["sku"]: t for p, t in items}}}
    scan = aws.scan_offer(io.BytesIO(json.dumps(offer).encode()), (), what="offer", region="us-east-1")
    got = {key: scan.prices[sku] for sku, (_section, key) in scan.wanted.items()}
    assert got == {"io2": Decimal("0.125"), "io2_iops": Decimal("0.065")}  # tier 2 is not the io2 IOPS rate
    catalog = CAT.storage("eks", "us-east-1", "io2_iops")
    assert catalog is not None and catalog.amount == got["io2_iops"]


def test_io2_iops_are_priced_per_node_and_bounded_above_the_first_tier() -> None:
    """Was: io2 IOPS set by the EKS adapter (30 per GiB) were neither priced nor flagged."""
    def eks(size: int) -> list:
        text = (GPU_SPEC.replace("provider: aks", "provider: eks").replace("REGION", "us-east")
                .replace("machine: {vcpus: VCPUS, memoryGiB: MEM, gpu: {kind: nvidia-h100, count: GPUS}}",
                         "machine: {vcpus: 4, memoryGiB: 16}")
                .replace("count: 1", f"count: 2\n      disk: {{sizeGiB: {size}, type: ssd}}"))
        spec = load_text(text, "io2.yaml")[0].spec
        b = compare(spec, ["eks"], as_of=date(2026, 12, 6), catalog=CAT).priced["eks"]
        return [*[c for c in b.components if "IOPS" in c.name], *[u for u in b.unpriced if "IOPS" in u.reason]]

    [line] = eks(200)  # 30 × 200 = 6,000 IOPS per volume, 2 nodes
    assert line.quantity == Decimal(12000) and line.monthly == Decimal("780.00")  # × $0.065 (Infracost golden)
    line, extra = eks(1500)  # 45,000 IOPS: 32,000 at the first tier, 13,000 bounded
    assert line.quantity == Decimal(64000)
    assert extra.low == 0 and extra.high == Decimal(2 * 13000) * Decimal("0.065")

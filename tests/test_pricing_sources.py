"""Price sources: parsers on recorded API answers, paging, filtering, atomic refresh, `prices show` data.

The recorded answers live in tests/data/prices/ (see its README for the formats and doc URLs). A
:class:`FakeTransport` serves them by URL in place of urllib; nothing here touches the network.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubefleet.catalog import load_catalog
from kubefleet.cost.sources import aws, azure, gcp, refresh
from kubefleet.cost.sources.cache import active_catalog, cache_dir, cached_file
from kubefleet.cost.sources.jsonstream import JsonStream
from kubefleet.cost.sources.model import RefreshPlan
from kubefleet.cost.sources.show import STALE_AFTER_DAYS, summarize
from kubefleet.cost.sources.transport import redact, unreachable
from kubefleet.errors import CatalogError, UsageError

DATA = Path(__file__).resolve().parent / "data" / "prices"
TODAY = date(2026, 11, 28)
GCP_TOKEN = "CiAKGjBiMmM4ZDY3LTRjYTctNDRhNy1iMzIyLWMzNjM1YzQ5EAI"
AZURE_PAGE2 = json.loads((DATA / "azure" / "vm-eastus-page1.json").read_text())["NextPageLink"]


class CutStream(io.BytesIO):
    """A response whose connection drops after ``limit`` bytes."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.limit:
            raise ConnectionResetError("connection reset by peer")
        want = self.limit - self.tell() if size is None or size < 0 else min(size, self.limit - self.tell())
        return super().read(want)


class FakeTransport:
    """Serves recorded bodies by exact URL; anything else is 'unreachable', like the real fetcher."""

    def __init__(self, routes: dict[str, Path | bytes], cut: dict[str, int] | None = None) -> None:
        self.routes = routes
        self.cut = cut or {}
        self.calls: list[str] = []

    def __call__(self, url: str) -> IO[bytes]:
        self.calls.append(url)
        if url not in self.routes:
            raise unreachable(redact(url), "HTTP 404 Not Found (no recorded response)")
        body = self.routes[url]
        data = body.read_bytes() if isinstance(body, Path) else body
        if url in self.cut:
            return CutStream(data, self.cut[url])
        return io.BytesIO(data)


def azure_routes(page2: Path | bytes | None = None) -> dict[str, Path | bytes]:
    empty = DATA / "azure" / "empty-page.json"
    routes: dict[str, Path | bytes] = {
        azure.vm_url(r): empty for r in ("westus2", "westeurope", "southeastasia")
    }
    routes[azure.vm_url("eastus")] = DATA / "azure" / "vm-eastus-page1.json"
    routes[AZURE_PAGE2] = page2 if page2 is not None else DATA / "azure" / "vm-eastus-page2.json"
    routes[azure.aks_url("eastus")] = DATA / "azure" / "aks-eastus.json"
    for r in ("westus2", "westeurope", "southeastasia"):  # the reservation query (test_commitment_sources_eks_aks.py)
        routes[azure.reservation_url(r)] = empty
    routes[azure.reservation_url("eastus")] = DATA / "azure" / "vm-eastus-reservations.json"
    return routes


def aws_routes() -> dict[str, Path | bytes]:
    host = aws.HOST
    return {
        aws.EC2_INDEX: DATA / "aws" / "ec2-region-index.json",
        f"{host}/offers/v1.0/aws/AmazonEC2/20261120180241/us-east-1/index.json": DATA / "aws" / "ec2-us-east-1.json",
        f"{host}/offers/v1.0/aws/AmazonEC2/20261120180241/eu-west-1/index.json": DATA / "aws" / "ec2-eu-west-1.json",
        aws.EKS_INDEX: DATA / "aws" / "eks-region-index.json",
        f"{host}/offers/v1.0/aws/AmazonEKS/20261105221030/us-east-1/index.json": DATA / "aws" / "eks-us-east-1.json",
        aws.VPC_INDEX: DATA / "aws" / "vpc-region-index.json",
        f"{host}/offers/v1.0/aws/AmazonVPC/20261118220512/us-east-1/index.json": DATA / "aws" / "vpc-us-east-1.json",
        f"{host}/offers/v1.0/aws/AmazonVPC/20261118220512/eu-west-1/index.json": DATA / "aws" / "vpc-eu-west-1.json",
    }


def gcp_routes(key: str = "test-key") -> dict[str, Path | bytes]:
    return {
        gcp.page_url(key): DATA / "gcp" / "skus-page1.json",
        gcp.page_url(key, GCP_TOKEN): DATA / "gcp" / "skus-page2.json",
    }


def lines() -> tuple[list[str], Callable[[str], None]]:
    seen: list[str] = []
    return seen, seen.append


# A previous refresh in the cache: small, written by hand, so these tests do not depend on the shipped
# data files (which grow independently).
PREVIOUS_AKS = """\
provider: aks
currency: USD
sources:
  old-api:
    url: "https://prices.azure.com/api/retail/prices"
    read: 2026-06-01
    published: 2026-06-01
    title: "an earlier refresh"
  aks-sku-tier-api:
    url: "https://learn.microsoft.com/en-nz/dotnet/api/azure.resourcemanager.containerservice.models.managedclusterskutier"
    read: 2026-06-01
    title: "tier descriptions"
  azure-vm-sizes:
    url: "https://learn.microsoft.com/en-us/azure/virtual-machines/sizes"
    read: 2026-06-01
    title: "Sizes for virtual machines in Azure"
fees:
  control_plane:
    free: {price: "0", unit: cluster-hour, source: aks-sku-tier-api}
    standard: {price: "0.09", unit: cluster-hour, source: old-api}
instances:
  eastus:
    Standard_D2s_v5: {vcpus: 2, memory_gib: 8, family: general, price: "0.090", source: old-api}
    Standard_E2s_v5: {vcpus: 2, memory_gib: 16, family: memory, price: "0.120", source: old-api}
    Standard_F2s_v2: {vcpus: 2, memory_gib: 4, family: compute, price: "0.080", source: old-api}
gaps:
  - {region: "*", item: "fees.control_plane.premium", note: "not found"}
  - {region: "*", item: storage, note: "managed disk prices not sourced yet"}
"""

PREVIOUS_EKS = """\
provider: eks
currency: USD
sources:
  eks-extended-blog:
    url: "https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/"
    read: 2026-06-01
    title: "EKS extended support pricing"
  old-ec2:
    url: "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/region_index.json"
    read: 2026-06-01
    title: "an earlier refresh"
fees:
  control_plane:
    standard: {price: "0.10", unit: cluster-hour, source: eks-extended-blog}
    extended: {price: "0.60", unit: cluster-hour, source: eks-extended-blog}
instances:
  us-east-1:
    m7i.large: {vcpus: 2, memory_gib: 8, family: general, price: "0.1", source: old-ec2}
    m7i.xlarge: {vcpus: 4, memory_gib: 16, family: general, price: "0.2", source: old-ec2}
    g4dn.xlarge: {vcpus: 4, memory_gib: 16, family: gpu, gpu_kind: nvidia-t4, gpu_count: 1, price: "0.5", source: old-ec2}
gaps:
  - {region: eu-west-1, item: instances, note: "not sourced"}
"""

PREVIOUS_GKE = """\
provider: gke
currency: USD
sources:
  gke-pricing:
    url: "https://cloud.google.com/kubernetes-engine/pricing"
    read: 2026-06-01
    title: "GKE pricing"
  old:
    url: "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus"
    read: 2026-06-01
    title: "an earlier refresh"
fees:
  control_plane:
    standard: {price: "0.10", unit: cluster-hour, source: gke-pricing}
spot: {factor: "0.40", source: gke-pricing}
instances:
  us-west1:
    n2-standard-2: {vcpus: 2, memory_gib: 8, family: general, price: "0.09", source: old}
    n2-highcpu-48: {vcpus: 48, memory_gib: 48, family: compute, price: "1.7", source: old}
  us-east4:
    n2-standard-2: {vcpus: 2, memory_gib: 8, family: general, price: "0.1", source: old}
"""


def write_previous(provider: str, text: str) -> Path:
    path = cached_file(provider)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def leftovers() -> list[Path]:
    return sorted(cache_dir().glob(".*.tmp")) if cache_dir().is_dir() else []


# --------------------------------------------------------------------------- streaming JSON


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_json_stream_walks_members_across_chunk_boundaries(chunk: int) -> None:
    raw = (DATA / "aws" / "ec2-us-east-1.json").read_bytes()
    whole = json.loads(raw)
    js = JsonStream(io.BytesIO(raw), what="offer", chunk_size=chunk)
    seen: dict[str, object] = {}
    for key in js.members():
        if key == "products":
            seen[key] = {sku: js.value() for sku in js.members()}
        elif key == "terms":
            seen[key] = {t: {sku: js.value() for sku in js.members()} for t in js.members()}
        else:
            seen[key] = js.value()
    js.end()
    assert seen == whole


def test_json_stream_numbers_split_at_a_chunk_edge() -> None:
    js = JsonStream(io.BytesIO(b'{"a": 12345, "b": [1, 2.5], "c": true}'), what="x", chunk_size=9)
    got = {k: js.value() for k in js.members()}
    assert got == {"a": 12345, "b": [1, 2.5], "c": True}


def test_json_stream_truncated_document_is_a_catalog_error() -> None:
    raw = (DATA / "aws" / "ec2-us-east-1.json").read_bytes()[:5000]
    with pytest.raises(CatalogError, match="not the expected JSON"):
        aws.scan_offer(io.BytesIO(raw), {"m7i.large"}, what="offer", chunk_size=512)


# --------------------------------------------------------------------------- Azure


def azure_items() -> list[dict[str, object]]:
    return [i for name in ("vm-eastus-page1.json", "vm-eastus-page2.json")
            for i in json.loads((DATA / "azure" / name).read_text())["Items"]]


def test_azure_vm_prices_skip_windows_spot_and_low_priority() -> None:
    prices = azure.vm_prices(azure_items(), "eastus",
                             ["Standard_D2s_v5", "Standard_D4s_v5", "Standard_E2s_v5", "Standard_F2s_v2"])
    assert prices == {
        "Standard_D2s_v5": Decimal("0.096"),
        "Standard_D4s_v5": Decimal("0.192"),
        "Standard_E2s_v5": Decimal("0.126"),
        "Standard_F2s_v2": Decimal("0.0846"),  # the newer of two meters
    }


def test_azure_filter_predicate() -> None:
    items = {(i["productName"], i["skuName"]): i for i in azure_items()}
    assert azure.is_linux_on_demand(items[("Virtual Machines Dsv5 Series", "D2s v5")])
    assert not azure.is_linux_on_demand(items[("Virtual Machines Dsv5 Series Windows", "D2s v5")])
    assert not azure.is_linux_on_demand(items[("Virtual Machines Dsv5 Series", "D2s v5 Spot")])
    assert not azure.is_linux_on_demand(items[("Virtual Machines Dsv5 Series", "D2s v5 Low Priority")])


def test_azure_paging_follows_next_page_link() -> None:
    transport = FakeTransport(azure_routes())
    seen, progress = lines()
    pages = list(azure.pages(transport, azure.vm_url("eastus"), progress, "VMs in eastus"))
    assert [len(p) for p in pages] == [8, 6]
    assert transport.calls == [azure.vm_url("eastus"), AZURE_PAGE2]
    assert seen == ["aks: VMs in eastus: page 1 (8 items)", "aks: VMs in eastus: page 2 (6 items)"]


def test_azure_vm_query_url_is_the_documented_filter() -> None:
    assert azure.vm_url("eastus") == (
        "https://prices.azure.com/api/retail/prices?$filter=serviceName%20eq%20'Virtual%20Machines'%20and%20"
        "armRegionName%20eq%20'eastus'%20and%20priceType%20eq%20'Consumption'"
    )


def test_azure_aks_tier_fees() -> None:
    """Premium is the "Standard Long Term Support" meter under skuName Standard ($0.60/h, aks-retail-meters);
    the Automatic product's control-plane meter is not a tier fee."""
    items = json.loads((DATA / "azure" / "aks-eastus.json").read_text())["Items"]
    assert azure.aks_fees(items) == {"control_plane.standard": Decimal("0.1"),
                                     "control_plane.premium": Decimal("0.6")}
    # a "Premium" skuName meter (none exists in the API) is not read as the Premium fee
    fake = [{**items[0], "skuName": "Premium", "meterName": "Premium Uptime SLA", "retailPrice": 9}]
    assert azure.aks_fees(fake) == {}


def test_azure_page_without_items_is_rejected() -> None:
    url = azure.vm_url("eastus")
    transport = FakeTransport({url: b'{"error": {"code": "BadRequest"}}'})
    with pytest.raises(CatalogError, match="no Items list"):
        list(azure.pages(transport, url, lambda _l: None, "VMs"))


# --------------------------------------------------------------------------- AWS


def test_aws_offer_scan_keeps_only_linux_shared_on_demand() -> None:
    with (DATA / "aws" / "ec2-us-east-1.json").open("rb") as f:
        scan = aws.scan_offer(f, {"m7i.large", "m7i.xlarge", "g4dn.xlarge", "c7i.large"}, what="offer", chunk_size=4096,
                              region="us-east-1")
    instances = {key: scan.prices[sku] for sku, (section, key) in scan.wanted.items() if section == "instance"}
    assert instances == {"m7i.large": Decimal("0.1008"), "m7i.xlarge": Decimal("0.2016"),
                         "g4dn.xlarge": Decimal("0.526"), "c7i.large": Decimal("0.08925")}
    assert sum(1 for _s, k in scan.wanted.values() if k == "m7i.large") == 1  # Windows/RHEL/Dedicated/... dropped
    others = {key: scan.prices[sku] for sku, (section, key) in scan.wanted.items() if section != "instance"}
    assert others == {"gp3": Decimal("0.08"), "st1": Decimal("0.045"), "nat_gateway_hour": Decimal("0.045"),
                      "nat_data_gb": Decimal("0.045")}  # public IPv4 is in the AmazonVPC offer, not here
    assert scan.publication == "2026-11-20T18:02:41Z"


def test_aws_scan_keeps_only_the_exact_region_not_its_local_zones() -> None:
    """The us-east-1 file also lists the Boston Local Zone (regionCode us-east-1-bos-1) at another price."""
    with (DATA / "aws" / "ec2-us-east-1.json").open("rb") as f:
        unfiltered = aws.scan_offer(f, {"m7i.large"}, what="offer")
    assert sorted({unfiltered.prices[s] for s, (_x, k) in unfiltered.wanted.items() if k == "m7i.large"}) == [
        Decimal("0.1008"), Decimal("0.121")]
    with (DATA / "aws" / "ec2-us-east-1.json").open("rb") as f:
        scan = aws.scan_offer(f, {"m7i.large"}, what="offer", region="us-east-1")
    assert {scan.prices[s] for s, (_x, k) in scan.wanted.items() if k == "m7i.large"} == {Decimal("0.1008")}


def test_aws_public_ipv4_comes_from_the_vpc_offer() -> None:
    """$0.005 per in-use public IPv4 address-hour (aws-public-ipv4), usage type PublicIPv4:InUseAddress in
    the AmazonVPC offer; the IdleAddress product is not the in-use price."""
    with (DATA / "aws" / "vpc-us-east-1.json").open("rb") as f:
        scan = aws.scan_offer(f, (), what="vpc", region="us-east-1", usage_items=aws.VPC_USAGE_ITEMS)
    assert {k: scan.prices[s] for s, (_x, k) in scan.wanted.items() if s in scan.prices} == {
        "public_ipv4_hour": Decimal("0.005")}


def test_aws_region_index_urls_are_absolute() -> None:
    index = json.loads((DATA / "aws" / "ec2-region-index.json").read_text())
    urls = aws.region_urls(index, "index")
    assert urls["us-east-1"] == f"{aws.HOST}/offers/v1.0/aws/AmazonEC2/20261120180241/us-east-1/index.json"


def test_aws_fetch_reads_regions_storage_network_and_the_eks_fee() -> None:
    plan = RefreshPlan("eks", ("us-east-1", "eu-west-1", "ap-southeast-1"), ("m7i.large", "m7i.xlarge"),
                       {"m7i.large": {"vcpus": 2, "memory_gib": 8, "family": "general"},
                        "m7i.xlarge": {"vcpus": 4, "memory_gib": 16, "family": "general"}})
    seen, progress = lines()
    got = aws.fetch_eks(plan, FakeTransport(aws_routes()), progress, TODAY)
    assert {r: {n: i.amount for n, i in t.items()} for r, t in got.instances.items()} == {
        "us-east-1": {"m7i.large": Decimal("0.1008"), "m7i.xlarge": Decimal("0.2016")},
        "eu-west-1": {"m7i.large": Decimal("0.112"), "m7i.xlarge": Decimal("0.224")},
    }
    assert got.network["eu-west-1"]["nat_gateway_hour"].amount == Decimal("0.048")
    assert got.storage["us-east-1"]["gp3"].unit == "gb-month"
    assert got.fees["control_plane.standard"].amount == Decimal("0.1")
    assert set(got.sources) == {aws.EC2_SOURCE, aws.EKS_SOURCE, aws.VPC_SOURCE}
    assert got.network["us-east-1"]["public_ipv4_hour"].source == aws.VPC_SOURCE
    assert "eks: ap-southeast-1: not in the AmazonEC2 region index, skipped" in seen


# --------------------------------------------------------------------------- GCP


def gcp_skus() -> list[dict[str, object]]:
    return [s for n in ("skus-page1.json", "skus-page2.json") for s in json.loads((DATA / "gcp" / n).read_text())["skus"]]


def test_gcp_machine_price_is_vcpus_times_core_plus_memory_times_ram() -> None:
    rates = gcp.region_rates(gcp_skus(), "us-west1")
    assert rates.core == {"n2": Decimal("0.031611"), "n2d": Decimal("0.027502"),  # Custom/Spot/commit skipped
                          "a3": Decimal("0.06")}
    assert rates.ram == {"n2": Decimal("0.004237"), "a3": Decimal("0.004")}
    assert rates.disk == {"pd-standard": Decimal("0.04"), "pd-balanced": Decimal("0.1"), "pd-ssd": Decimal("0.17")}
    price, how = gcp.machine_price("n2-standard-2", {"vcpus": 2, "memory_gib": 8}, rates) or (None, "")
    assert price == Decimal("0.097118")
    assert how == "2 × 0.031611 per vCPU-hour + 8 × 0.004237 per GiB-hour"
    assert gcp.machine_price("n2d-standard-2", {"vcpus": 2, "memory_gib": 8}, rates) is None  # no RAM rate
    gpu = {"vcpus": 4, "memory_gib": 16, "gpu_kind": "nvidia-l4", "gpu_count": 1}
    assert gcp.machine_price("g2-standard-4", gpu, rates) is None  # no G2/L4 SKUs recorded: unpriced, not guessed


def test_gcp_units_and_nanos() -> None:
    egress = next(s for s in gcp_skus() if s["skuId"] == "9E11-6C3A-2B77")
    assert gcp.unit_price(egress) == (Decimal("0.12"), "GiBy")  # the free first tier is skipped


def test_gcp_paging_uses_next_page_token() -> None:
    transport = FakeTransport(gcp_routes())
    seen, progress = lines()
    pages = list(gcp.pages(transport, "test-key", progress))
    assert [len(p) for p in pages] == [8, 16]
    assert seen == ["gke: Compute Engine SKUs: page 1 (8 SKUs)", "gke: Compute Engine SKUs: page 2 (16 SKUs)"]
    assert transport.calls == [gcp.page_url("test-key"), gcp.page_url("test-key", GCP_TOKEN)]


def test_gcp_without_api_key_is_a_usage_error_naming_the_variable() -> None:
    plan = RefreshPlan("gke", ("us-west1",), (), {})
    with pytest.raises(UsageError, match="KUBEFLEET_GCP_API_KEY") as info:
        gcp.fetch_gke(plan, FakeTransport({}), lambda _l: None, TODAY, environ={})
    assert "GOOGLE_API_KEY" in info.value.message


def test_gcp_api_key_from_either_variable() -> None:
    assert gcp.api_key({"GOOGLE_API_KEY": "g"}) == "g"
    assert gcp.api_key({"KUBEFLEET_GCP_API_KEY": "k", "GOOGLE_API_KEY": "g"}) == "k"


def test_api_key_is_redacted_from_error_messages() -> None:
    err = FakeTransport({})
    with pytest.raises(CatalogError) as info:
        err(gcp.page_url("secret-key-123"))
    assert "secret-key-123" not in info.value.render()
    assert "could not reach cloudbilling.googleapis.com" in info.value.message


# --------------------------------------------------------------------------- refresh end to end


def test_refresh_aks_replaces_the_cached_file_with_a_complete_one(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("aks", PREVIOUS_AKS)
    seen, progress = lines()
    result = refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()), progress=progress)
    assert result.path == cache_dir() / "aks.yaml"
    assert result.regions == {"eastus": 4}
    assert result.fees == ["control_plane.premium", "control_plane.standard"]
    assert "westus2/Standard_D2s_v5" in result.gaps

    cat = active_catalog()
    d2 = cat.instance("aks", "eastus", "Standard_D2s_v5")
    assert d2 is not None and d2.price.amount == Decimal("0.096")
    assert d2.price.source.key == azure.VM_SOURCE and d2.price.source.read == TODAY
    assert d2.vcpus == 2 and d2.memory_gib == 8  # facts carried from the catalog
    assert cat.instance("aks", "eastus", "Standard_D4s_v5") is not None  # a shipped size, now priced too
    assert str(cat.fee("aks", "control_plane.standard").amount) == "0.1"  # type: ignore[union-attr]
    assert str(cat.fee("aks", "control_plane.free").amount) == "0"  # type: ignore[union-attr]  # carried
    keys = {s.key for s in cat.sources("aks")}
    assert keys == {azure.VM_SOURCE, azure.AKS_SOURCE, "aks-sku-tier-api", "azure-vm-sizes"}  # old-api dropped
    items = {(g.region, g.item) for g in cat.gaps("aks")}
    assert ("*", "fees.control_plane.premium") not in items  # filled by the API
    assert ("*", "storage") in items
    westus2 = [g for g in cat.gaps("aks") if g.region == "westus2"]
    assert len(westus2) == 1 and "Standard_D2s_v5" in westus2[0].item and westus2[0].item.startswith("instances: ")
    assert any(line.startswith("aks: VMs in eastus: page 2") for line in seen)
    assert leftovers() == []


def test_refreshed_file_is_in_the_shipped_format() -> None:
    write_previous("aks", PREVIOUS_AKS)
    refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    text = cached_file("aks").read_text()
    assert text.startswith("# aks list prices, USD, refreshed by `kubefleet prices refresh` on 2026-11-28.")
    assert "Standard_D2s_v5: {vcpus: 2, memory_gib: 8, family: general, price: '0.096', source: azure-retail-prices-vm}" in text
    assert "read: 2026-11-28" in text
    assert "&id" not in text and "*id" not in text  # no YAML aliases
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(text)
    floats = [v for t in data["instances"].values() for v in t.values() if isinstance(v["price"], float)]
    assert floats == []
    # the overlay loader accepts it as a whole-file replacement
    assert load_catalog(cache_dir()).instance("aks", "eastus", "Standard_E2s_v5") is not None


def test_partial_answer_never_replaces_the_catalog() -> None:
    """No cache yet: the baseline is the shipped catalog, which the two recorded eastus pages cannot cover."""
    with pytest.raises(CatalogError, match="incomplete") as info:
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    assert "is missing" in info.value.message
    assert not cached_file("aks").exists()
    assert leftovers() == []


def test_network_failure_mid_paging_leaves_the_old_file_untouched() -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    before = path.read_bytes()
    routes = azure_routes()
    del routes[AZURE_PAGE2]
    with pytest.raises(CatalogError, match=r"could not reach prices\.azure\.com: .*still used"):
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(routes))
    assert path.read_bytes() == before
    assert leftovers() == []


def test_malformed_page_leaves_the_old_file_untouched() -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    before = path.read_bytes()
    with pytest.raises(CatalogError, match="not JSON"):
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes(page2=b'{"Items": [')))
    assert path.read_bytes() == before


def test_zero_price_is_rejected_and_the_old_file_kept() -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    before = path.read_bytes()
    page = json.loads((DATA / "azure" / "vm-eastus-page2.json").read_text())
    for item in page["Items"]:
        if item["armSkuName"] == "Standard_E2s_v5":
            item["retailPrice"] = 0.0
    with pytest.raises(CatalogError, match="Standard_E2s_v5 has a non-positive price"):
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes(page2=json.dumps(page).encode())))
    assert path.read_bytes() == before


def test_failure_at_the_final_rename_leaves_the_old_file_and_no_temp(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(refresh.os, "replace", broken_replace)
    with pytest.raises(CatalogError, match=r"could not write .*No space left"):
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    assert path.read_bytes() == before
    assert leftovers() == []


def test_refresh_eks_fills_new_regions_and_keeps_uncovered_fees() -> None:
    write_previous("eks", PREVIOUS_EKS)
    result = refresh.refresh_provider("eks", today=TODAY, fetch=FakeTransport(aws_routes()))
    assert result.regions["us-east-1"] >= 3 and result.regions["eu-west-1"] == 2
    cat = active_catalog()
    assert cat.instance("eks", "us-east-1", "g4dn.xlarge").price.amount == Decimal("0.526")  # type: ignore[union-attr]
    assert cat.instance("eks", "eu-west-1", "m7i.xlarge").price.amount == Decimal("0.224")  # type: ignore[union-attr]
    standard = cat.fee("eks", "control_plane.standard")
    extended = cat.fee("eks", "control_plane.extended")
    assert standard.source.key == aws.EKS_SOURCE  # type: ignore[union-attr]
    assert extended.source.key == "eks-extended-blog"  # type: ignore[union-attr]  # not in the API: carried
    assert cat.storage("eks", "us-east-1", "gp3").amount == Decimal("0.08")  # type: ignore[union-attr]
    assert cat.network("eks", "us-east-1", "public_ipv4_hour").amount == Decimal("0.005")  # type: ignore[union-attr]
    assert ("eu-west-1", "instances") not in {(g.region, g.item) for g in cat.gaps("eks")}


def test_connection_cut_while_streaming_the_offer_file_changes_nothing() -> None:
    path = write_previous("eks", PREVIOUS_EKS)
    before = path.read_bytes()
    offer = f"{aws.HOST}/offers/v1.0/aws/AmazonEC2/20261120180241/us-east-1/index.json"
    with pytest.raises(CatalogError, match=r"could not reach pricing\.us-east-1\.amazonaws\.com"):
        refresh.refresh_provider("eks", today=TODAY, fetch=FakeTransport(aws_routes(), cut={offer: 9000}))
    assert path.read_bytes() == before


def test_refresh_gke_computes_machine_types_and_disks(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("gke", PREVIOUS_GKE)
    monkeypatch.setenv("KUBEFLEET_GCP_API_KEY", "test-key")
    refresh.refresh_provider("gke", today=TODAY, fetch=FakeTransport(gcp_routes()))
    cat = active_catalog()
    assert cat.instance("gke", "us-west1", "n2-standard-2").price.amount == Decimal("0.097118")  # type: ignore[union-attr]
    assert cat.instance("gke", "us-west1", "n2-highcpu-48").price.amount == Decimal("1.720704")  # type: ignore[union-attr]
    assert cat.instance("gke", "us-east4", "n2-standard-2").price.amount == Decimal("0.109378")  # type: ignore[union-attr]
    assert cat.storage("gke", "us-west1", "pd-balanced").amount == Decimal("0.1")  # type: ignore[union-attr]
    assert cat.spot_factor("gke") is not None  # carried with its own source
    note = cat.instance("gke", "us-west1", "n2-standard-2").price.note  # type: ignore[union-attr]
    assert note == "2 × 0.031611 per vCPU-hour + 8 × 0.004237 per GiB-hour"


def test_refresh_gke_without_key_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEFLEET_GCP_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    transport = FakeTransport(gcp_routes())
    with pytest.raises(UsageError, match="KUBEFLEET_GCP_API_KEY"):
        refresh.refresh_provider("gke", today=TODAY, fetch=transport)
    assert transport.calls == []
    assert not cache_dir().exists()


def test_unknown_provider_has_no_source() -> None:
    with pytest.raises(UsageError, match="no price source"):
        refresh.refresh_provider("kubeadm", today=TODAY, fetch=FakeTransport({}))


def test_a_broken_cache_file_is_repaired_against_the_shipped_baseline() -> None:
    write_previous("aks", "provider: aks\ncurrency: EUR\n")
    with pytest.raises(CatalogError, match="incomplete"):  # shipped baseline: the two pages cannot cover it
        refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    assert cached_file("aks").read_text() == "provider: aks\ncurrency: EUR\n"


# --------------------------------------------------------------------------- cache + show


def test_cache_dir_follows_kubefleet_home(tmp_path: Path) -> None:
    assert cache_dir({"KUBEFLEET_HOME": str(tmp_path)}) == tmp_path / "prices"
    assert cache_dir({}).parts[-2:] == (".kubefleet", "prices")


def test_active_catalog_is_shipped_without_a_cache() -> None:
    assert not cache_dir().exists()
    assert active_catalog() is load_catalog()


def test_show_marks_origin_and_ages() -> None:
    write_previous("aks", PREVIOUS_AKS)
    infos = {i.provider: i for i in summarize(active_catalog(), as_of=date(2026, 8, 1), cache=cache_dir())}
    aks_info = infos["aks"]
    assert aks_info.origin == "cache" and aks_info.path == str(cached_file("aks"))
    assert aks_info.as_of == date(2026, 6, 1) and aks_info.age_days == 61
    assert aks_info.warnings == []
    assert [r.region for r in aks_info.regions] == ["eastus"] and aks_info.regions[0].instances == 3
    assert aks_info.fees == ["control_plane.free", "control_plane.standard"]
    assert infos["eks"].origin == "shipped"


def test_show_warns_when_older_than_90_days() -> None:
    write_previous("aks", PREVIOUS_AKS)
    as_of = date(2026, 6, 1).fromordinal(date(2026, 6, 1).toordinal() + STALE_AFTER_DAYS + 1)
    (info,) = summarize(active_catalog(), as_of=as_of, cache=cache_dir(), providers=["aks"])
    assert info.age_days == 91
    assert len(info.warnings) == 1 and "91 days old" in info.warnings[0]
    (edge,) = summarize(active_catalog(), as_of=date(2026, 8, 30), cache=cache_dir(), providers=["aks"])
    assert edge.age_days == 90 and edge.warnings == []


def test_show_region_filter_and_unknown_region() -> None:
    (info,) = summarize(load_catalog(), as_of=TODAY, cache=None, providers=["aks"], region="nowhere")
    assert info.regions == [] and any("no price data for region 'nowhere'" in w for w in info.warnings)
    with pytest.raises(UsageError):
        summarize(load_catalog(), as_of=TODAY, cache=None, providers=["kubeadm"])


# --------------------------------------------------------------------------- YAML writing


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda t: t.isprintable()))
def test_any_note_round_trips_through_the_flow_style_writer(note: str) -> None:
    from kubefleet.catalog.loader import read_yaml

    data = {"gaps": [refresh._flow({"region": "*", "item": note, "note": f"x: {note}"})]}
    back = read_yaml(refresh.dump_yaml(data, "# h\n"), "t.yaml")
    assert back["gaps"][0]["item"] == note and back["gaps"][0]["note"] == f"x: {note}"


def test_refresh_keeps_the_disk_size_tiers_the_api_does_not_give() -> None:
    tiers = """\
  tiers-src:
    url: "https://example.invalid/disk-tiers"
    read: 2026-06-01
    title: "disk size ladder"
disk_tiers:
  premium-ssd:
    source: tiers-src
    tiers: {P4: 32, P6: 64, P10: 128}
"""
    previous = PREVIOUS_AKS.replace("fees:\n", tiers + "fees:\n", 1)
    write_previous("aks", previous)
    refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    cat = active_catalog()
    tier = cat.disk_tier("aks", "premium-ssd", Decimal(100))
    assert tier is not None and tier.name == "P10" and tier.source.key == "tiers-src"


def test_show_measures_age_from_the_data_date_not_the_read_date() -> None:
    """Karpenter Azure @2b431da says "generated at 2026-06-18T03:43:41Z"; it was read on 2026-11-29. On
    2026-12-01 the data is 166 days old (stale), though it was read 2 days before."""
    (info,) = summarize(load_catalog(), as_of=date(2026, 12, 1), cache=None, providers=["aks"])
    assert info.data_as_of == date(2026, 6, 18) and info.data_age_days == 166
    assert any("166 days old" in w for w in info.warnings)
    src = next(s for s in info.sources if s.key == "azure-vm-karpenter")
    assert src.published == date(2026, 6, 18) and src.age_days == 2
    assert "aks-tier-summary" in info.undated  # a page stating no date: its age is unknown, said so


def test_gcp_a3_rebuild_keeps_its_bundled_local_ssd() -> None:
    """Cyclenerd@08440e7 build/gcp.yml: a3-highgpu-1g = 26 vCPU, 234 GiB, 1 H100, local-ssd 750 (bundled);
    build/pricing.pl adds GiB × Local SSD GiB-month / 730. The shipped us-west1 figure (Cyclenerd@0166a59
    pricing.yml) is 11.0612499878219 with Local SSD at $0.08/GiB-month; the fixture's A3/H100 rates were
    solved from it, so only a rebuild that keeps the 750 GiB reproduces it."""
    spec = {"vcpus": 26, "memory_gib": 234, "gpu_kind": "nvidia-h100", "gpu_count": 1}
    rates = gcp.region_rates(gcp_skus(), "us-west1")
    assert rates.local_ssd == Decimal("0.08")  # the spot Local SSD SKU is not the on-demand price
    priced = gcp.machine_price("a3-highgpu-1g", spec, rates)
    assert priced is not None
    assert priced[0].quantize(Decimal("1e-10")) == Decimal("11.0612499878219").quantize(Decimal("1e-10"))
    assert "750 GiB bundled Local SSD" in priced[1]
    without = gcp.RegionRates(rates.core, rates.ram, rates.disk, rates.gpu, None)
    assert gcp.machine_price("a3-highgpu-1g", spec, without) is None  # never priced without its SSD

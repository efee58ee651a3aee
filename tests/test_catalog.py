"""The shipped catalog: every figure sourced, Decimal money, region coverage, cited facts, bad data."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubefleet.catalog import Catalog, NotPublished, Price, load_catalog
from kubefleet.catalog.loader import OTHER_FILES, PROVIDER_FILES
from kubefleet.errors import CatalogError
from kubefleet.spec.regions import REGIONS

READ = date(2026, 11, 27)
DATA = Path(str(resources.files("kubefleet.catalog") / "data"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    out = [(path, node)]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _walk(v, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("name", PROVIDER_FILES + OTHER_FILES)
def test_no_float_in_data_files(name: str) -> None:
    data = YAML(typ="safe").load((DATA / name).read_text())
    floats = [p for p, v in _walk(data) if isinstance(v, float)]
    assert floats == [], f"{name}: unquoted decimals (write them as strings): {floats}"


@pytest.mark.parametrize("name", PROVIDER_FILES + OTHER_FILES)
def test_every_figure_names_a_known_source(name: str) -> None:
    data = YAML(typ="safe").load((DATA / name).read_text())
    keys = set(data["sources"])
    for path, node in _walk(data):
        if isinstance(node, dict) and ("price" in node or "factor" in node or "not_published" in node
                                       or "cpu" in node or "value" in node):
            assert node.get("source") in keys, f"{name}{path} has no known source"


def test_every_source_has_url_and_read_date(catalog: Catalog) -> None:
    sources = catalog.sources()
    assert sources
    for src in sources:
        assert src.url.startswith(("https://", "repo:")), src
        assert src.read >= READ, src
        assert src.published is None or src.published <= src.read, src
        assert src.title


def test_every_repo_source_names_a_file_that_exists(catalog: Catalog) -> None:
    """A ``repo:`` source points into this repository; a moved file must not leave it dangling (the
    regroup of issue 20 moved kubefleet/spec.py to kubefleet/spec/model.py)."""
    root = Path(__file__).resolve().parent.parent
    local = [s.url for s in catalog.sources() if s.url.startswith("repo:")]
    assert local
    for url in local:
        assert (root / url.removeprefix("repo:")).is_file(), url


def test_money_is_decimal(catalog: Catalog) -> None:
    for provider in ("gke", "eks", "aks"):
        for region in catalog.regions(provider):
            for inst in catalog.instances(provider, region):
                assert isinstance(inst.price.amount, Decimal)
                assert isinstance(inst.memory_gib, Decimal)
                assert inst.price.amount > 0
        for fee in catalog.fees(provider).values():
            if isinstance(fee, Price):
                assert isinstance(fee.amount, Decimal)
    for req in catalog.istio().values():
        assert isinstance(req.cpu_cores, Decimal) and isinstance(req.memory_mib, Decimal)


@pytest.mark.parametrize("provider", ["gke", "aks"])
@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_every_neutral_region_has_instances(catalog: Catalog, provider: str, neutral: str) -> None:
    region = REGIONS[neutral][provider]
    assert catalog.instances(provider, region), f"{provider} has no instances in {region}"


@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_eks_regions_are_priced_or_declared_gaps(catalog: Catalog, neutral: str) -> None:
    region = REGIONS[neutral]["eks"]
    declared = {g.region for g in catalog.gaps("eks") if g.item == "instances"}
    assert catalog.instances("eks", region) or region in declared


@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_eks_regions_have_every_family_2_to_32_vcpu(catalog: Catalog, neutral: str) -> None:
    region = REGIONS[neutral]["eks"]
    types = catalog.instances("eks", region)
    for family in ("general", "compute", "memory"):
        sizes = {i.vcpus for i in types if i.family == family and i.current and i.arch != "arm64"}
        assert {2, 4, 8, 16, 32} <= sizes, (region, family, sizes)
    t4 = catalog.instance("eks", region, "g4dn.xlarge")
    assert t4 is not None and (t4.gpu_kind, t4.gpu_count) == ("nvidia-t4", 1)
    assert not [g for g in catalog.gaps("eks") if g.item == "instances"]  # no whole-region instance gap left


@pytest.mark.parametrize(("region", "name", "price"), [
    ("us-west-2", "m7i.xlarge", "0.2016"),
    ("us-west-2", "g6.xlarge", "0.8048"),
    ("eu-west-1", "m7i.xlarge", "0.2247"),
    ("eu-west-1", "c7i.large", "0.09576"),
    ("eu-west-1", "r7i.8xlarge", "2.3688"),
    ("eu-west-1", "g4dn.xlarge", "0.587"),
    ("ap-southeast-1", "m6i.2xlarge", "0.48"),
    ("ap-southeast-1", "r7i.large", "0.1596"),
    ("ap-southeast-1", "g4dn.12xlarge", "5.474"),
])
def test_eks_regional_prices_cite_the_skypilot_catalog(catalog: Catalog, region: str, name: str, price: str) -> None:
    inst = catalog.instance("eks", region, name)
    assert inst is not None and inst.price.amount == Decimal(price)
    assert inst.price.source.key == "ec2-ondemand-skypilot"
    assert "skypilot-catalog" in inst.price.source.url and inst.price.source.read == READ


def test_eks_g6_absent_where_the_source_lists_none(catalog: Catalog) -> None:
    for region in ("eu-west-1", "ap-southeast-1"):
        assert catalog.instance("eks", region, "g6.xlarge") is None
        assert any(g.region == region and "g6" in g.item for g in catalog.gaps("eks"))


def test_general_purpose_sizes_2_to_32_vcpu(catalog: Catalog) -> None:
    for provider, region in (("eks", "us-east-1"), ("gke", "us-east4"), ("aks", "eastus")):
        sizes = {i.vcpus for i in catalog.instances(provider, region) if i.family == "general" and i.current}
        assert {2, 4, 8, 16, 32} <= sizes, (provider, sizes)


@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_gke_regions_have_every_family_and_an_l4_shape(catalog: Catalog, neutral: str) -> None:
    region = REGIONS[neutral]["gke"]
    types = catalog.instances("gke", region)
    for family in ("general", "compute", "memory"):
        sizes = {i.vcpus for i in types if i.family == family and i.current}
        assert {2, 4, 8, 16, 32} <= sizes, (region, family, sizes)
    l4 = catalog.instance("gke", region, "g2-standard-8")
    assert l4 is not None and (l4.vcpus, l4.memory_gib, l4.gpu_kind, l4.gpu_count) == (8, Decimal("32"), "nvidia-l4", 1)


@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_gke_storage_and_network_per_region(catalog: Catalog, neutral: str) -> None:
    region = REGIONS[neutral]["gke"]
    for disk in ("pd-standard", "pd-balanced", "pd-ssd"):
        price = catalog.storage("gke", region, disk)
        assert price is not None and price.unit == "gb-month" and price.amount > 0, (region, disk)
    # cloud.google.com/nat/pricing, as published: $0.0014 per VM-hour up to 32 VMs, $0.044/h above,
    # $0.005/h per NAT IP, $0.045 per GiB
    for item, unit, amount in (("nat_vm_hour", "vm-hour", "0.0014"), ("nat_cap_vms", "vms", "32"),
                               ("nat_gateway_cap_hour", "hour", "0.044"), ("nat_ip_hour", "hour", "0.005"),
                               ("nat_data_gb", "gb", "0.045"), ("public_ipv4_hour", "hour", "0.005")):
        price = catalog.network("gke", region, item)
        assert price is not None and price.unit == unit and price.amount == Decimal(amount), (region, item)
    assert catalog.network("gke", region, "nat_gateway_hour") is None  # the flat gateway-hour model is gone
    assert catalog.network("gke", region, "load_balancer_hour") is None  # declared gap, never zero
    assert any("load_balancer_hour" in g.item for g in catalog.gaps("gke"))


@pytest.mark.parametrize("neutral", sorted(REGIONS))
def test_eks_public_ipv4_per_region(catalog: Catalog, neutral: str) -> None:
    price = catalog.network("eks", REGIONS[neutral]["eks"], "public_ipv4_hour")
    assert price is not None and price.amount == Decimal("0.005")


def test_cited_gke_prices(catalog: Catalog) -> None:
    def amount(region: str, name: str) -> Decimal:
        inst = catalog.instance("gke", region, name)
        assert inst is not None, (region, name)
        return inst.price.amount

    assert amount("us-east4", "n2-highcpu-8") == Decimal("0.323008")
    assert amount("asia-southeast1", "n2-highmem-4") == Decimal("0.323228")
    assert amount("europe-west4", "g2-standard-8") == Decimal("0.897201806")
    assert catalog.storage("gke", "us-west1", "pd-balanced").amount == Decimal("0.1")  # type: ignore[union-attr]


def test_version_support_dates(catalog: Catalog) -> None:
    minors = {f"1.{m}" for m in range(30, 36)}
    eks = catalog.versions("eks")
    assert minors <= set(eks)
    for row in eks.values():
        assert row.standard_end is not None and row.extended_end is not None
        assert row.extended_end > row.standard_end  # 12 months of paid extended support
    assert eks["1.33"].standard_end == date(2026, 7, 29)
    gke = catalog.versions("gke")
    assert minors <= set(gke)
    assert all(r.standard_end is not None for r in gke.values())
    kubeadm = catalog.versions("kubeadm")
    assert {"1.33", "1.34", "1.35"} <= set(kubeadm)
    assert kubeadm["1.35"].standard_end == date(2027, 2, 28)
    aks = catalog.versions("aks")
    assert minors <= set(aks)
    assert aks["1.30"].standard_end == date(2025, 8, 22)  # an explicit day in the calendar
    assert aks["1.34"].standard_end == date(2026, 11, 30)  # "Nov 2026": the last day of the month
    assert all(r.extended_end is None for r in aks.values())  # LTS needs Premium: not a default continuation
    assert aks["1.28"].source.key == "eol-aks"  # sourced from endoflife.date at a pinned commit (test_support_oracle)


def test_cited_control_plane_fees(catalog: Catalog) -> None:
    def amount(provider: str, key: str) -> Decimal:
        fee = catalog.fee(provider, key)
        assert isinstance(fee, Price), (provider, key, fee)
        return fee.amount

    assert amount("eks", "control_plane.standard") == Decimal("0.10")
    assert amount("eks", "control_plane.extended") == Decimal("0.60")
    assert amount("gke", "control_plane.standard") == Decimal("0.10")
    assert amount("gke", "control_plane.free_tier_credit") == Decimal("74.40")
    assert amount("aks", "control_plane.free") == Decimal("0")
    assert amount("aks", "control_plane.standard") == Decimal("0.10")
    assert amount("aks", "control_plane.premium") == Decimal("0.60")  # 'Standard Long Term Support' meter


def test_aks_premium_fee_per_month(catalog: Catalog) -> None:
    fee = catalog.fee("aks", "control_plane.premium")
    assert isinstance(fee, Price) and fee.amount * Decimal(730) == Decimal("438.00")
    assert "issues/200" in fee.source.url


def test_aks_os_disk_tiers(catalog: Catalog) -> None:
    def tier(gib: str) -> str | None:
        found = catalog.disk_tier("aks", "premium-ssd", Decimal(gib))
        return None if found is None else found.name

    assert (tier("30"), tier("32"), tier("64"), tier("100"), tier("128"), tier("129")) == (
        "P4", "P4", "P6", "P10", "P10", "P15")
    assert tier("40000") is None  # beyond the largest tier: unpriced, never guessed
    assert catalog.disk_tier("aks", "standard-ssd", Decimal(128)) is None  # no ladder in the catalog
    p10 = catalog.storage("aks", "eastus", "premium-ssd/P10")
    assert p10 is not None and p10.unit == "disk-month" and p10.amount * 7 == Decimal("137.97")
    assert catalog.storage("aks", "eastus", "premium-ssd/P6") is None  # not sourced: a gap
    assert catalog.storage("aks", "eastus", "managed-os-disk") is None  # no per-GB price exists


def test_aks_network_and_eastus_gpus(catalog: Catalog) -> None:
    for region in ("eastus", "westus2", "westeurope", "southeastasia"):
        assert catalog.network("aks", region, "nat_gateway_hour").amount == Decimal("0.045")  # type: ignore[union-attr]
        assert catalog.network("aks", region, "load_balancer_hour").amount == Decimal("0.025")  # type: ignore[union-attr]
    assert catalog.network("aks", "westeurope", "public_ipv4_hour").amount == Decimal("0.005")  # type: ignore[union-attr]
    eastus_ip = catalog.network("aks", "eastus", "public_ipv4_hour")  # Infracost's public_ip golden (eastus)
    assert eastus_ip is not None and eastus_ip.amount == Decimal("0.005") and "public_ip_test" in eastus_ip.source.url
    assert catalog.network("aks", "westus2", "public_ipv4_hour") is None  # regional meter not sourced there
    t4 = catalog.instance("aks", "eastus", "Standard_NC4as_T4_v3")
    assert t4 is not None and t4.price.amount == Decimal("0.526") and t4.gpu_count == 1


@pytest.mark.parametrize(("name", "price"), [
    ("Standard_D2s_v5", "0.120"),
    ("Standard_D4s_v5", "0.240"),
    ("Standard_D32s_v5", "1.920"),
])
def test_aks_southeastasia_dsv5_cite_the_karpenter_file(catalog: Catalog, name: str, price: str) -> None:
    inst = catalog.instance("aks", "southeastasia", name)
    assert inst is not None and inst.price.amount == Decimal(price) and inst.family == "general"
    assert inst.price.source.key == "azure-vm-karpenter"
    assert catalog.instance("aks", "southeastasia", "Standard_ND96isr_H100_v5") is None  # not in that region's block


def test_cited_instance_prices(catalog: Catalog) -> None:
    m7i = catalog.instance("eks", "us-east-1", "m7i.xlarge")
    assert m7i is not None and m7i.price.amount == Decimal("0.2016") and m7i.vcpus == 4
    d4 = catalog.instance("aks", "eastus", "Standard_D4s_v5")
    assert d4 is not None and d4.price.amount == Decimal("0.192")
    assert catalog.instance("eks", "us-east-1", "m4.xlarge").current is False  # type: ignore[union-attr]


def test_istio_chart_defaults(catalog: Catalog) -> None:
    istio = catalog.istio()
    assert (istio["sidecar"].cpu_cores, istio["sidecar"].memory_mib) == (Decimal("0.1"), Decimal("128"))
    assert istio["sidecar"].per == "pod"
    assert istio["istiod"].memory_mib == Decimal("2048")
    assert istio["ztunnel"].per == "node"
    assert "istio/istio" in istio["sidecar"].source.url


def test_onprem_defaults_are_explicitly_unpublished(catalog: Catalog) -> None:
    onprem = catalog.onprem()
    assert set(onprem) == {"vcpu_hour", "gib_hour", "disk_gb_month", "vm_license_month"}
    for value in onprem.values():
        assert isinstance(value, (Price, NotPublished))
        assert value.note


def test_as_of_is_oldest_read_date(catalog: Catalog) -> None:
    assert catalog.as_of("eks") == READ
    assert catalog.as_of() == READ


def test_features_have_sources(catalog: Catalog) -> None:
    features = catalog.features()
    assert "control_plane_billing" in features
    for feature in features.values():
        assert feature.label
        for value in feature.values.values():
            assert value.source.url


def test_unknown_provider_is_a_catalog_error(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="no price data"):
        catalog.instances("kubeadm", "us-east")


def test_shipped_catalog_is_cached_and_fast() -> None:
    assert load_catalog() is load_catalog()
    start = time.perf_counter()
    for _ in range(100):
        load_catalog()
    assert time.perf_counter() - start < 0.05


def _overlay(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_overlay_replaces_a_file(tmp_path: Path) -> None:
    text = (DATA / "eks.yaml").read_text().replace('m7i.xlarge:   {vcpus: 4,  memory_gib: 16,  family: general, price: "0.2016"',
                                                   'm7i.xlarge:   {vcpus: 4,  memory_gib: 16,  family: general, price: "0.2100"')
    cat = load_catalog(_overlay(tmp_path, "eks.yaml", text))
    assert cat.instance("eks", "us-east-1", "m7i.xlarge").price.amount == Decimal("0.2100")  # type: ignore[union-attr]
    assert load_catalog().instance("eks", "us-east-1", "m7i.xlarge").price.amount == Decimal("0.2016")  # type: ignore[union-attr]


def test_empty_overlay_dir_gives_shipped(tmp_path: Path) -> None:
    assert load_catalog(tmp_path) is load_catalog()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('price: "0.2016"', "price: 0.2016", "quoted decimal"),
        ('price: "0.2016", source: ec2-ondemand-karpenter', 'price: "0.2016", source: nowhere', "unknown source"),
        ('price: "0.2016"', 'price: "abc"', "not a decimal"),
        ("family: general, price: \"0.2016\"", "family: tiny, price: \"0.2016\"", "family"),
        ("read: 2026-11-27", "read: soon", "date"),
        ("provider: eks", "provider: gke", "expected 'eks'"),
    ],
)
def test_bad_data_raises_catalog_error_naming_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = (DATA / "eks.yaml").read_text()
    assert old in text, f"fixture text {old!r} not in eks.yaml"
    bad = text.replace(old, new, 1)
    with pytest.raises(CatalogError, match=message) as err:
        load_catalog(_overlay(tmp_path, "eks.yaml", bad))
    assert "eks.yaml" in str(err.value)


def test_bad_data_error_names_the_key(tmp_path: Path) -> None:
    bad = (DATA / "eks.yaml").read_text().replace('price: "0.2016"', "price: 0.2016", 1)
    with pytest.raises(CatalogError, match=r"instances\.us-east-1\.m7i\.xlarge\.price"):
        load_catalog(_overlay(tmp_path, "eks.yaml", bad))


def test_invalid_yaml_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(_overlay(tmp_path, "istio.yaml", "components: [unclosed"))


def test_missing_istio_component(tmp_path: Path) -> None:
    text = (DATA / "istio.yaml").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("ztunnel:"))
    with pytest.raises(CatalogError, match=r"components\.ztunnel"):
        load_catalog(_overlay(tmp_path, "istio.yaml", text))


def test_shipped_data_dir_is_complete() -> None:
    for name in PROVIDER_FILES + OTHER_FILES:
        assert (DATA / name).is_file()


def test_repository_sources_are_pinned_to_a_commit(catalog: Catalog) -> None:
    """A moving branch (blob/main) lets a figure change under its citation; every repository URL names a commit."""
    import re

    for src in catalog.sources():
        if src.url.startswith("https://github.com/") and "/blob/" in src.url:
            assert re.search(r"/blob/[0-9a-f]{40}/", src.url), src.url


def test_mirrored_generations_carry_their_generated_dates(catalog: Catalog) -> None:
    """The data date is the generation stamp inside each pinned file, apart from the date it was read:
    Azure/karpenter-provider-azure@2b431da "generated at 2026-06-18T03:43:41Z";
    aws/karpenter-provider-aws@6fc13b5 "generated at 2026-07-20T13:44:30Z for us-east-1";
    Cyclenerd/google-cloud-pricing-cost-calculator@0166a59 pricing.yml "generated: Thu Mar  6 03:53:56 2025"."""
    by_key = {s.key: s for s in catalog.sources()}
    expected = {"azure-vm-karpenter": ("2b431da153a6a92b705c18046512c60b1631b682", date(2026, 6, 18)),
                "ec2-ondemand-karpenter": ("6fc13b5236fd04fd16ff3f9dc7490d0813994099", date(2026, 7, 20)),
                "gce-pricing-cyclenerd": ("0166a59ebba7c36f2cc8c931d9f258dcebc44776", date(2025, 3, 6))}
    for key, (commit, generated) in expected.items():
        assert commit in by_key[key].url and by_key[key].published == generated, key
        assert by_key[key].read > generated
    assert catalog.data_as_of("aks") == date(2026, 6, 18)


def test_azure_single_h100_family_from_the_newer_generation(catalog: Catalog) -> None:
    """Karpenter Azure @2b431da: "Standard_NC40ads_H100_v5": 6.980000 (eastus), 9.080000 (westeurope),
    9.074000 (southeastasia); microsoft/aspire AksNodeVmSizes.cs: 40 vCPUs, 320 GB RAM, 1 GPU."""
    for region, price in (("eastus", "6.98"), ("westus2", "6.98"), ("westeurope", "9.08"), ("southeastasia", "9.074")):
        inst = catalog.instance("aks", region, "Standard_NC40ads_H100_v5")
        assert inst is not None, region
        assert (inst.vcpus, inst.memory_gib, inst.gpu_kind, inst.gpu_count) == (40, Decimal(320), "nvidia-h100", 1)
        assert inst.price.amount == Decimal(price)


def test_ambient_ztunnel_requests_from_the_current_chart(catalog: Catalog) -> None:
    """istio/istio@9befed2 manifests/charts/ztunnel/values.yaml: resources.requests cpu 200m, memory 512Mi."""
    zt = catalog.istio()["ztunnel"]
    assert (zt.cpu_cores, zt.memory_mib) == (Decimal("0.2"), Decimal("512"))
    assert "9befed2f1439d883120f8de70fd70d84ca0ebc3d" in zt.source.url


def test_published_after_read_is_rejected() -> None:
    from kubefleet.catalog.loader import parse_kubeadm

    data = {"sources": {"s": {"url": "https://example.org", "read": date(2026, 1, 1), "published": date(2026, 2, 1),
                              "title": "t"}}, "costs": {}}
    with pytest.raises(CatalogError, match="after the date it was read"):
        parse_kubeadm(data, "kubeadm.yaml")

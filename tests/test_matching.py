"""Shape matching: cheapest fitting current type, pins win, GPU fallback, kubeadm, no match."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kubefleet.catalog import Catalog, load_catalog
from kubefleet.errors import CatalogError
from kubefleet.resolve.matching import kubeadm_vm_name, match_instance
from kubefleet.spec.model import Gpu, Machine
from kubefleet.spec.regions import REGIONS


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_cheapest_current_type_meeting_the_shape(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "us-east-1", Machine(vcpus=4, memory_gib=16), None)
    # m6i.xlarge ($0.192) beats m7i.xlarge ($0.2016); m4.xlarge is previous generation, m7g is arm64.
    assert m.name == "m6i.xlarge"
    assert m.hourly_price == Decimal("0.192")
    assert not m.pinned and m.gpu_note is None
    assert m.reason == ("cheapest current-generation type with ≥4 vCPU and ≥16 GiB in us-east-1: "
                        "m6i.xlarge at $0.192/h")


def test_result_is_the_minimum_over_all_fitting_candidates(catalog: Catalog) -> None:
    for provider in ("gke", "eks", "aks"):
        for region in catalog.regions(provider):
            machine = Machine(vcpus=8, memory_gib=30)
            m = match_instance(catalog, provider, region, machine, None)
            fitting = [i for i in catalog.instances(provider, region)
                       if i.current and i.arch == "x86_64" and i.gpu_kind is None
                       and i.vcpus >= 8 and i.memory_gib >= 30]
            assert m.hourly_price == min(i.price.amount for i in fitting)


def test_memory_heavy_shape_picks_memory_family(catalog: Catalog) -> None:
    m = match_instance(catalog, "aks", "westeurope", Machine(vcpus=4, memory_gib=32), None)
    assert m.name == "Standard_E4s_v5"


def test_every_neutral_region_matches_a_common_shape_on_gke_and_aks(catalog: Catalog) -> None:
    for neutral, names in REGIONS.items():
        for provider in ("gke", "aks"):
            m = match_instance(catalog, provider, names[provider], Machine(vcpus=4, memory_gib=16), None)
            assert m.priced, (neutral, provider)


def test_pin_wins_even_if_dearer(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "us-east-1", Machine(vcpus=4, memory_gib=16), "m7i.xlarge")
    assert m.pinned and m.name == "m7i.xlarge" and m.hourly_price == Decimal("0.2016")


def test_pin_not_in_catalog_is_unpriced(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "us-east-1", Machine(vcpus=4, memory_gib=16), "x9z.huge")
    assert m.pinned and m.instance is None and m.name == "x9z.huge"
    assert m.hourly_price is None and not m.priced
    assert "unpriced" in m.reason


def test_pin_in_region_without_prices_is_unpriced(catalog: Catalog) -> None:
    # AKS has no priced region named eu-west-1: a pin there stays unpriced, never zero.
    m = match_instance(catalog, "aks", "eu-west-1", Machine(vcpus=4, memory_gib=16), "Standard_D4s_v5")
    assert m.instance is None and m.pinned


def test_pin_in_newly_priced_eks_region(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "eu-west-1", Machine(vcpus=4, memory_gib=16), "m7i.xlarge")
    assert m.instance is not None and m.hourly_price == Decimal("0.2247")


def test_gpu_shape_matches_gpu_kind(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "us-east-1", Machine(vcpus=4, memory_gib=16, gpu=Gpu(kind="nvidia-t4")), None)
    assert m.name == "g4dn.xlarge" and m.gpu_note is None
    m = match_instance(catalog, "eks", "us-east-1",
                       Machine(vcpus=16, memory_gib=64, gpu=Gpu(kind="nvidia-h100")), None)
    assert m.name == "p5.4xlarge"


def test_gpu_count_is_respected(catalog: Catalog) -> None:
    m = match_instance(catalog, "eks", "us-east-1",
                       Machine(vcpus=16, memory_gib=64, gpu=Gpu(kind="nvidia-l4", count=4)), None)
    assert m.name == "g6.12xlarge" and m.instance is not None and m.instance.gpu_count == 4


def test_missing_gpu_kind_falls_back_to_nearest_better(catalog: Catalog) -> None:
    m = match_instance(catalog, "aks", "westeurope", Machine(vcpus=4, memory_gib=16, gpu=Gpu(kind="nvidia-l4")), None)
    assert m.instance is not None and m.instance.gpu_kind == "nvidia-a100"
    assert m.gpu_note is not None and "nvidia-l4" in m.gpu_note and "nvidia-a100" in m.gpu_note
    assert m.emulated


def test_cpu_shapes_never_get_gpu_types(catalog: Catalog) -> None:
    m = match_instance(catalog, "aks", "westus2", Machine(vcpus=16, memory_gib=100), None)
    assert m.instance is not None and m.instance.gpu_kind is None


def test_nothing_fits_is_a_clear_catalog_error(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="no current-generation eks instance type in us-east-1"):
        match_instance(catalog, "eks", "us-east-1", Machine(vcpus=192, memory_gib=4096), None)


def test_unpriced_region_without_pin_is_a_catalog_error(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="no instance prices for region eu-central-1"):
        match_instance(catalog, "eks", "eu-central-1", Machine(vcpus=4, memory_gib=16), None)


def test_kubeadm_vm_is_exactly_the_shape(catalog: Catalog) -> None:
    machine = Machine(vcpus=4, memory_gib=16)
    m = match_instance(catalog, "kubeadm", "us-east", machine, None)
    assert m.instance is None and m.name == kubeadm_vm_name(machine) == "vsphere-4vcpu-16gib"


def test_tie_break_is_deterministic(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parent.parent / "kubefleet" / "catalog" / "data" / "eks.yaml"
    text = data.read_text().replace('m7i.xlarge:   {vcpus: 4,  memory_gib: 16,  family: general, price: "0.2016"',
                                    'm7i.xlarge:   {vcpus: 4,  memory_gib: 16,  family: general, price: "0.192"')
    (tmp_path / "eks.yaml").write_text(text)
    cat = load_catalog(tmp_path)
    m = match_instance(cat, "eks", "us-east-1", Machine(vcpus=4, memory_gib=16), None)
    assert m.name == "m6i.xlarge"  # same price, vCPUs and memory: name decides


def test_t4_shape_matches_n1_plus_attached_t4_on_gke(catalog: Catalog) -> None:
    m = match_instance(catalog, "gke", "us-east4", Machine(vcpus=4, memory_gib=16, gpu=Gpu(kind="nvidia-t4")), None)
    # n1-standard-4 has 15 GB, so the cheapest N1 that fits 16 GiB is n1-standard-8, plus one T4
    assert m.name == "n1-standard-8" and m.accelerator is not None and m.accelerator_count == 1
    assert m.accelerator.gpu_kind == "nvidia-t4" and m.gpu_note is None
    assert m.hourly_price == Decimal("0.42797") + Decimal("0.37")
    assert "+ 1× nvidia-t4" in m.reason
    two = match_instance(catalog, "gke", "europe-west4",
                         Machine(vcpus=8, memory_gib=32, gpu=Gpu(kind="nvidia-t4", count=2)), None)
    assert two.name == "n1-standard-16" and two.accelerator_count == 2
    assert two.hourly_price == Decimal("0.836672") + 2 * Decimal("0.3675")


def test_n1_hosts_never_serve_cpu_shapes(catalog: Catalog) -> None:
    for region in ("us-east4", "us-west1", "europe-west4", "asia-southeast1"):
        m = match_instance(catalog, "gke", region, Machine(vcpus=2, memory_gib=7), None)
        assert not m.name.startswith("n1-"), (region, m.name)


def test_h100_shape_matches_a3_on_gke(catalog: Catalog) -> None:
    m = match_instance(catalog, "gke", "us-east4", Machine(vcpus=16, memory_gib=64, gpu=Gpu(kind="nvidia-h100")), None)
    assert m.name == "a3-highgpu-1g" and m.gpu_note is None and m.accelerator is None
    assert m.hourly_price == Decimal("11.0694695189041")
    eight = match_instance(catalog, "gke", "asia-southeast1",
                           Machine(vcpus=64, memory_gib=256, gpu=Gpu(kind="nvidia-h100", count=8)), None)
    assert eight.name == "a3-highgpu-8g" and eight.instance is not None and eight.instance.gpu_count == 8


def test_compute_shape_can_pick_c3_highcpu_on_gke(catalog: Catalog) -> None:
    m = match_instance(catalog, "gke", "us-east4", Machine(vcpus=8, memory_gib=16), None)
    assert m.name == "c3-highcpu-8" and m.hourly_price == Decimal("0.340208")


def test_l4_shape_matches_g2_on_gke_in_every_region(catalog: Catalog) -> None:
    machine = Machine(vcpus=8, memory_gib=32, gpu=Gpu(kind="nvidia-l4", count=1))
    for names in REGIONS.values():
        m = match_instance(catalog, "gke", names["gke"], machine, None)
        assert m.name == "g2-standard-8" and m.gpu_note is None, names["gke"]


def test_memory_heavy_shape_picks_highmem_on_gke(catalog: Catalog) -> None:
    m = match_instance(catalog, "gke", "us-east4", Machine(vcpus=4, memory_gib=32), None)
    assert m.name == "n2-highmem-4" and m.hourly_price == Decimal("0.295092")

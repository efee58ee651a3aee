"""The pricer: arithmetic pinned on cited catalog facts, registry coverage, unpriced never zero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.catalog.models import Price
from kubefleet.cost.model import Assumptions, CostBreakdown, money
from kubefleet.cost.pricer import FREE, PRICERS, free_reason, price_graph
from kubefleet.errors import CatalogError
from kubefleet.graph import RenderedResource
from kubefleet.render.cache import cached_render
from kubefleet.resolve.cluster import resolve
from kubefleet.spec.model import ClusterSpec
from tests.conftest import MINIMAL, example_specs

AS_OF = date(2026, 11, 27)
CAT = load_catalog()


def breakdown(spec: ClusterSpec, provider: str, **kw: object) -> CostBreakdown:
    graph = cached_render(resolve(spec, provider, catalog=CAT))
    return price_graph(graph, CAT, as_of=kw.pop("as_of", AS_OF), **kw)  # type: ignore[arg-type]


def line(b: CostBreakdown, prefix: str) -> list:
    return [c for c in b.components if c.name.startswith(prefix)]


def test_eks_control_plane_is_ten_cents_an_hour(load_spec) -> None:
    fee = CAT.fee("eks", "control_plane.standard")
    assert isinstance(fee, Price) and fee.amount == Decimal("0.10") and fee.source.url.startswith("https://")
    b = breakdown(load_spec(MINIMAL.replace('version: "1.33"', 'version: "1.34"')), "eks")
    [cp] = line(b, "EKS control plane")
    assert cp.monthly == Decimal("73.00")
    assert cp.unit_price == Decimal("0.10") and cp.quantity == Decimal("730")
    assert cp.category == "control-plane"


def test_eks_extended_support_books_base_and_uplift(load_spec) -> None:
    """AWS: $0.60 per cluster-hour in total in extended support (eks-extended-blog), $0.10 standard.
    Booked as the bill books it: $0.10 base under control-plane, $0.50 uplift under support."""
    support = CAT.versions("eks")["1.32"]
    assert support.standard_end is not None and support.standard_end < AS_OF
    assert support.extended_end is not None and support.extended_end >= AS_OF
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.32", channel: extended}'))
    b = breakdown(spec, "eks")
    [base, uplift] = line(b, "EKS control plane")
    assert (base.category, base.unit_price, base.monthly) == ("control-plane", Decimal("0.10"), Decimal("73.00"))
    assert (uplift.category, uplift.unit_price, uplift.monthly) == ("support", Decimal("0.50"), Decimal("365.00"))
    assert base.monthly + uplift.monthly == Decimal("0.60") * 730  # the published total
    assert "left standard support" in (base.note or "")
    # before the end of standard support, the same cluster pays the standard fee alone
    early = line(breakdown(spec, "eks", as_of=date(2024, 7, 1)), "EKS control plane")
    assert [c.unit_price for c in early] == [Decimal("0.10")]


def test_eks_standard_upgrade_policy_never_pays_extended(load_spec) -> None:
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.32", channel: stable}'))
    [cp] = line(breakdown(spec, "eks"), "EKS control plane")
    assert cp.unit_price == Decimal("0.10")
    assert "auto" in (cp.note or "").lower() or "upgrades it" in (cp.note or "")


def test_version_past_end_of_extended_support_is_not_priced(load_spec) -> None:
    """EKS 1.30: extended support ended 2026-07-23 (endoflife.date/amazon-eks, eks-versions-eol)."""
    from kubefleet.compare import compare

    assert CAT.versions("eks")["1.30"].extended_end == date(2026, 7, 23)
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.30", channel: extended}'))
    cmp = compare(spec, ["eks", "gke"], as_of=AS_OF, catalog=CAT)
    assert cmp.results["eks"].breakdown is None
    assert "end of extended support" in (cmp.results["eks"].error or "")
    assert cmp.results["gke"].breakdown is not None  # GKE's calendar has no extended end in the catalog
    # the day before it ended, it is priced (extended)
    before = compare(spec, ["eks"], as_of=date(2026, 7, 23), catalog=CAT)
    assert before.results["eks"].breakdown is not None


def test_aks_free_tier_has_no_control_plane_fee(load_spec) -> None:
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  controlPlane: {tier: free, availability: zonal}'))
    [tier] = line(breakdown(spec, "aks"), "AKS Free tier")
    assert tier.monthly == Decimal(0) and tier.source_url.startswith("https://")
    std = load_spec(MINIMAL)
    [paid] = line(breakdown(std, "aks"), "AKS Standard tier")
    assert paid.monthly == Decimal("73.00")


def test_aks_premium_tier_and_os_disks_by_size_tier(load_spec) -> None:
    """Premium is billed on the 'Standard Long Term Support' meter at $0.60/h (aks-retail-meters) in place of
    the $0.10 'Standard Uptime SLA' fee: $0.10 base under control-plane, $0.50 uplift under support."""
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  controlPlane: {tier: premium}'))
    b = breakdown(spec, "aks")
    [base, uplift] = line(b, "AKS Premium tier")
    assert (base.category, base.unit_price) == ("control-plane", Decimal("0.10"))
    assert (uplift.category, uplift.unit_price) == ("support", Decimal("0.50"))
    assert base.monthly + uplift.monthly == Decimal("438.00")
    disks = [c for c in b.components if c.unit == "disk-month"]
    assert disks, "managed OS disks are priced per disk for their size tier"
    for disk in disks:
        assert disk.category == "storage" and "(P" in disk.name
        if "(P10)" in disk.name:
            assert disk.unit_price == Decimal("19.71")
            assert disk.monthly == disk.quantity * Decimal("19.71")
    assert not any("managed-os-disk" in u.reason for u in b.unpriced)


def test_gke_fee_and_free_tier_credit(load_spec) -> None:
    """gke-pricing: $0.10 per cluster-hour; the free tier gives $74.40 a month per billing account to one
    zonal or Autopilot cluster. The credit offsets the fee, so it can never exceed it: 730 h × $0.10 = $73.00."""
    regional = breakdown(load_spec(MINIMAL), "gke")
    [fee] = line(regional, "GKE cluster management fee")
    assert fee.monthly == Decimal("73.00")
    assert not line(regional, "GKE free-tier credit")
    zonal_free = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  controlPlane: {tier: free, availability: zonal, replicas: 1}'))
    b = breakdown(zonal_free, "gke")
    [credit] = line(b, "GKE free-tier credit")
    assert credit.monthly == Decimal("-73.00") and credit.estimate
    assert b.by_category()["control-plane"] == Decimal("0.00")  # never negative
    # with more hours than the credit covers, the credit is the published $74.40
    long = breakdown(zonal_free, "gke", assumptions=Assumptions(hours_per_month=Decimal(744)))
    [credit] = line(long, "GKE free-tier credit")
    assert credit.monthly == Decimal("-74.40")


def test_gke_extended_channel_pays_the_extended_fee(load_spec) -> None:
    """gke-pricing: on the Extended channel an additional fee applies while the minor is in its extended
    support period; $0.60 per cluster-hour in total (gke-extended-fee). GKE 1.32 left standard support on
    2026-04-11 (endoflife.date/google-kubernetes-engine)."""
    assert CAT.versions("gke")["1.32"].standard_end == date(2026, 4, 11)
    ext = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.32", channel: extended}'))
    [base, uplift] = line(breakdown(ext, "gke"), "GKE cluster management fee")
    assert (base.category, base.monthly) == ("control-plane", Decimal("73.00"))
    assert (uplift.category, uplift.unit_price, uplift.monthly) == ("support", Decimal("0.50"), Decimal("365.00"))
    # on another channel GKE upgrades the cluster instead: the base fee alone
    stable = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.32", channel: stable}'))
    assert [c.monthly for c in line(breakdown(stable, "gke"), "GKE cluster management fee")] == [Decimal("73.00")]


def test_cloud_nat_is_priced_per_vm_with_a_cap(load_spec) -> None:
    """cloud.google.com/nat/pricing: $0.0014 × VMs per hour up to 32 VMs, $0.044/h above; $0.005/h per
    NAT IP; the pricing example: 14 VMs × 720 h + 100 GiB = $18.61."""
    private = MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  network: {privateNodes: true}')
    b = breakdown(load_spec(private), "gke", assumptions=Assumptions(hours_per_month=Decimal(720)))
    [gw] = [c for c in b.components if c.name.startswith("Cloud NAT") and c.unit == "gateway-hour"]
    vms = b.nodes_min
    assert vms is not None and 0 < vms <= 32
    assert gw.unit_price == Decimal("0.0014") * vms
    # the page's own example, through the same catalog figures
    per_vm = CAT.network("gke", "us-east4", "nat_vm_hour")
    data = CAT.network("gke", "us-east4", "nat_data_gb")
    assert per_vm is not None and data is not None
    assert (per_vm.amount * 14 * 720 + data.amount * 100).quantize(Decimal("0.01")) == Decimal("18.61")
    cap = CAT.network("gke", "us-east4", "nat_gateway_cap_hour")
    assert cap is not None and cap.amount == Decimal("0.044")
    # NAT IPs are auto-allocated: their count is not declared, so they are listed unpriced, never free
    assert any("NAT IPs" in u.reason for u in b.unpriced)


def test_public_nodes_pay_for_their_ipv4(load_spec) -> None:
    """$0.005 per public IPv4 address-hour: AWS since 2024-02-01 (aws-public-ipv4); GCE
    compute.network.ip.vm (gce-pricing-cyclenerd)."""
    public = load_spec(MINIMAL)
    assert not public.spec.network.private_nodes
    for provider in ("eks", "gke"):
        b = breakdown(public, provider)
        ips = [c for c in b.components if "public IPv4 per node" in c.name]
        assert ips, provider
        assert all(c.unit_price == Decimal("0.005") for c in ips)
        assert sum(c.quantity for c in ips) == Decimal(b.nodes_min or 0) * 730
    private = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  network: {privateNodes: true}'))
    for provider in ("eks", "gke"):
        assert not [c for c in breakdown(private, provider).components if "public IPv4 per node" in c.name]


def test_usage_billed_items_are_unpriced_never_free(load_spec) -> None:
    """Fargate pods and CloudWatch control-plane logs are billed by usage the spec does not state."""
    sandboxed = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  tenancy: {isolation: sandboxed}'))
    b = breakdown(sandboxed, "eks")
    assert any("Fargate" in u.reason for u in b.unpriced)
    assert not any(r.startswith("aws:eks/fargateProfile") for r in b.free)
    assert any("CloudWatch" in u.reason for u in b.unpriced)


def test_kubeadm_gpus_cost_opencosts_default_rate(load_spec) -> None:
    """opencost/opencost configs/default.json: "GPU": "0.95" per GPU-hour."""
    gpu = load_spec(MINIMAL.replace("      count: 3", "      count: 2\n      machine: {vcpus: 8, memoryGiB: 32, gpu: {kind: nvidia-t4, count: 1}}")
                    .replace("      machine: {vcpus: 4, memoryGiB: 16}\n", ""))
    b = breakdown(gpu, "kubeadm")
    [line_] = [c for c in b.components if c.unit == "gpu-hour"]
    assert line_.unit_price == Decimal("0.95") and line_.quantity == Decimal(2 * 730) and line_.estimate
    assert "opencost" in line_.source_url


def test_lines_categories_and_totals_reconcile_to_the_cent() -> None:
    for loaded in example_specs():
        spec = loaded.spec
        for provider in ("gke", "eks", "aks", "kubeadm"):
            try:
                b = breakdown(spec, provider)
            except CatalogError:
                continue
            lines = sum((c.monthly for c in b.components), Decimal(0))
            assert b.monthly_total == lines == sum(b.by_category().values(), Decimal(0)), (spec.name, provider)
            assert all(c.monthly == c.monthly.quantize(Decimal("0.01")) for c in b.components)


def test_nodes_priced_at_min_with_max_as_range(load_spec) -> None:
    spec = load_spec(MINIMAL.replace("      count: 3", "      autoscaling: {min: 2, max: 5}"))
    b = breakdown(spec, "eks")
    [nodes] = [c for c in b.components if c.category == "nodes"]
    hourly = CAT.instance("eks", "us-east-1", b_instance(b)).price.amount  # type: ignore[union-attr]
    assert nodes.monthly == money(hourly * 2 * 730)
    assert nodes.monthly_max == money(hourly * 5 * 730)
    assert b.monthly_max > b.monthly_total


def b_instance(b: CostBreakdown) -> str:
    [nodes] = [c for c in b.components if c.category == "nodes"]
    return nodes.name.split("(")[-1].rstrip(")")


def test_spot_uses_the_catalog_factor_and_says_estimate(load_spec) -> None:
    base = breakdown(load_spec(MINIMAL), "gke")
    spot = breakdown(load_spec(MINIMAL.replace("      count: 3", "      count: 3\n      spot: true")), "gke")
    factor = CAT.spot_factor("gke")
    assert factor is not None
    [on] = [c for c in base.components if c.category == "nodes"]
    [off] = [c for c in spot.components if c.category == "nodes"]
    assert off.unit_price == on.unit_price * factor.amount
    assert off.estimate and "spot" in (off.note or "")


def test_hours_per_month_is_an_explicit_input(load_spec) -> None:
    b = breakdown(load_spec(MINIMAL), "eks", assumptions=Assumptions(hours_per_month=Decimal("100")))
    [cp] = line(b, "EKS control plane")
    assert cp.monthly == Decimal("10.00")


def test_kubeadm_pays_for_its_own_masters(load_spec) -> None:
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  controlPlane: {replicas: 3}'))
    b = breakdown(spec, "kubeadm")
    masters = [c for c in b.components if c.category == "control-plane"]
    assert masters and b.by_category()["control-plane"] > 0
    assert all(c.estimate for c in b.components)
    override = load_spec(MINIMAL.replace(
        'version: "1.33"}', 'version: "1.33"}\n  providers: {kubeadm: {costs: {vcpuHour: "0.05", gibHour: "0.01"}}}'))
    cheaper = breakdown(override, "kubeadm")
    cpu = [c for c in cheaper.components if "vCPU" in c.name]
    assert cpu and all(c.unit_price == Decimal("0.05") and c.source_url == "spec.providers.kubeadm.costs" for c in cpu)


def test_mesh_overhead_is_its_own_line(load_spec) -> None:
    spec = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  addons: {istio: {mode: self-managed, expectedPods: 300}}'))
    for provider in ("gke", "eks", "aks", "kubeadm"):
        b = breakdown(spec, provider)
        mesh = b.by_category()["mesh"]
        assert mesh > 0, provider
        note = " ".join(c.note or "" for c in b.components if c.category == "mesh")
        assert "300 sidecars" in note
    ambient = load_spec(MINIMAL.replace('version: "1.33"}', 'version: "1.33"}\n  addons: {istio: {mode: self-managed, dataPlane: ambient, expectedPods: 300}}'))
    note = " ".join(c.note or "" for c in breakdown(ambient, "eks").components if c.category == "mesh")
    assert "ztunnels" in note and "sidecars" not in note


def test_unknown_resource_type_is_unpriced_not_zero(load_spec) -> None:
    graph = cached_render(resolve(load_spec(MINIMAL), "eks", catalog=CAT))
    graph.resources.append(RenderedResource(urn="u", type="aws:rds/instance:Instance", name="db", parent=None,
                                            inputs={}, custom=True, protect=False))
    b = price_graph(graph, CAT, as_of=AS_OF)
    assert any(u.resource == "aws:rds/instance:Instance::db" and "no pricer" in u.reason for u in b.unpriced)


def test_every_type_the_adapters_emit_is_priced_or_free() -> None:
    seen: dict[str, str] = {}
    for loaded in example_specs():
        for provider in ("gke", "eks", "aks", "kubeadm"):
            try:
                graph = cached_render(resolve(loaded.spec, provider, catalog=CAT))
            except CatalogError:
                continue  # a catalog gap (no price list for that region/GPU); compare reports it as not priced
            for r in graph.resources:
                seen[r.type] = f"{loaded.spec.name}/{provider}"
    missing = {t: where for t, where in seen.items() if t not in PRICERS and free_reason(t) is None}
    assert not missing, f"types neither priced nor free: {missing}"
    assert set(FREE).isdisjoint(PRICERS)


def test_money_is_decimal_everywhere(load_spec) -> None:
    b = breakdown(load_spec(MINIMAL), "gke")
    for c in b.components:
        assert isinstance(c.unit_price, Decimal) and isinstance(c.quantity, Decimal)
    assert isinstance(b.monthly_total, Decimal)
    assert b.monthly_total == b.monthly_total.quantize(Decimal("0.01"))


@pytest.mark.parametrize("provider", ["gke", "eks", "aks", "kubeadm"])
def test_every_component_cites_a_source_and_date(provider: str, load_spec) -> None:
    for c in breakdown(load_spec(MINIMAL), provider).components:
        assert c.source_url and isinstance(c.as_of, date), c


def test_eks_eu_west_nodes_cost_the_cited_price_times_hours(load_spec) -> None:
    spec = load_spec(MINIMAL.replace("region: us-east", "region: europe-west").replace(
        "      count: 3", "      instanceTypes: {eks: m7i.xlarge}\n      count: 3"))
    b = breakdown(spec, "eks")
    [nodes] = [c for c in b.components if c.category == "nodes"]
    assert nodes.unit_price == Decimal("0.2247")  # eu-west-1 m7i.xlarge, ec2-ondemand-skypilot
    assert nodes.monthly == money(Decimal("0.2247") * 3 * 730)
    assert not [u for u in b.unpriced if "instance" in u.reason and "boot" not in u.reason]


def test_eks_matches_the_cheapest_shape_in_every_region(load_spec) -> None:
    for neutral, region, name in (("us-west", "us-west-2", "m6i.xlarge"), ("europe-west", "eu-west-1", "m6i.xlarge"),
                                  ("asia-southeast", "ap-southeast-1", "m6i.xlarge")):
        b = breakdown(load_spec(MINIMAL.replace("region: us-east", f"region: {neutral}")), "eks")
        [nodes] = [c for c in b.components if c.category == "nodes"]
        assert nodes.name.endswith(f"({name})"), (region, nodes.name)
        assert nodes.unit_price == CAT.instance("eks", region, name).price.amount  # type: ignore[union-attr]


def test_gke_t4_pool_is_priced_as_vm_plus_gpu(load_spec) -> None:
    spec = load_spec(MINIMAL.replace("machine: {vcpus: 4, memoryGiB: 16}",
                                     "machine: {vcpus: 4, memoryGiB: 16, gpu: {kind: nvidia-t4, count: 1}}"))
    b = breakdown(spec, "gke")
    [nodes] = [c for c in b.components if c.category == "nodes"]
    vm = CAT.instance("gke", "us-east4", "n1-standard-8")
    t4 = CAT.accelerator("gke", "us-east4", "nvidia-t4")
    assert vm is not None and t4 is not None
    assert nodes.name.endswith("(n1-standard-8)")
    assert nodes.unit_price == vm.price.amount + t4.price.amount == Decimal("0.79797")
    assert nodes.quantity == Decimal(3) * Decimal(730)
    assert nodes.monthly == money(Decimal("0.79797") * 3 * 730)
    assert "1× nvidia-t4" in (nodes.note or "")
    assert not [u for u in b.unpriced if "nvidia" in u.reason]


def test_eks_boot_volumes_are_priced_per_gb_month_in_us_east_1(load_spec) -> None:
    b = breakdown(load_spec(MINIMAL), "eks")
    [disks] = [c for c in b.components if c.category == "storage"]
    gb = disks.quantity
    assert disks.unit_price == Decimal("0.08")  # gp3, ebs-infracost-golden: 40 GB at $3.20 a month
    assert disks.monthly == Decimal("0.08") * gb
    assert "infracost" in disks.source_url
    assert not [u for u in b.unpriced if "boot" in u.reason]


def test_eks_boot_volumes_outside_us_east_1_are_unpriced_not_zero(load_spec) -> None:
    b = breakdown(load_spec(MINIMAL.replace("region: us-east", "region: europe-west")), "eks")
    assert not [c for c in b.components if c.category == "storage"]
    assert [u for u in b.unpriced if "boot disks (gp3)" in u.reason]


def test_single_h100_on_aks_is_a_one_gpu_vm(load_spec) -> None:
    """A 1× H100 pool on AKS matches Standard_NC40ads_H100_v5 ($6.98/h in eastus, Karpenter Azure @2b431da),
    not the 8-GPU ND96isr_H100_v5 ($98.32/h)."""
    spec = load_spec(MINIMAL.replace("      machine: {vcpus: 4, memoryGiB: 16}",
                                     "      machine: {vcpus: 16, memoryGiB: 64, gpu: {kind: nvidia-h100, count: 1}}"))
    b = breakdown(spec, "aks")
    [nodes] = [c for c in b.components if c.category == "nodes" and "general" in c.name]
    assert "Standard_NC40ads_H100_v5" in nodes.name and nodes.unit_price == Decimal("6.98")


def test_compare_shows_the_nodes_each_provider_runs_and_gke_per_zone_is_selectable(load_spec) -> None:
    """GKE's node_count is per zone (a regional pool spans 3 zones by default): a spec total of 7 becomes
    ceil(7/3) = 3 per zone = 9 nodes, shown in the compare table as differing from the spec. With
    providers.gke.nodeCount: perZone the count is GKE's own per-zone number: 2 → 2 × 3 = 6 nodes."""
    from kubefleet.compare import compare

    seven = load_spec(MINIMAL.replace("count: 3", "count: 7"))
    cmp = compare(seven, ["gke", "eks"], as_of=AS_OF, catalog=CAT)
    assert cmp.spec_nodes == (7, 7)
    assert cmp.nodes_cell("gke") == "9 ≠ spec" and cmp.nodes_cell("eks") == "7"
    assert any("gke: runs 9 worker node(s) where the spec asks for 7" in w for w in cmp.warnings)
    per_zone = load_spec(MINIMAL.replace("count: 3", "count: 2").replace(
        'version: "1.33"}', 'version: "1.33"}\n  providers: {gke: {nodeCount: perZone}}'))
    b = breakdown(per_zone, "gke")
    assert (b.nodes_min, b.nodes_max) == (6, 6)
    auto = load_spec(MINIMAL.replace("      count: 3", "      autoscaling: {min: 1, max: 2}").replace(
        'version: "1.33"}', 'version: "1.33"}\n  providers: {gke: {nodeCount: perZone}}'))
    b = breakdown(auto, "gke")
    assert (b.nodes_min, b.nodes_max) == (3, 6)


def test_compare_csv_sums_per_provider_to_the_total(load_spec) -> None:
    """A SUM over monthly_usd of one provider's rows equals its total row (no amount counted twice)."""
    import csv
    import io

    from kubefleet.compare import compare
    from kubefleet.report.compare_out import to_csv

    cmp = compare(load_spec(MINIMAL), ["gke", "eks", "aks", "kubeadm"], as_of=AS_OF, catalog=CAT)
    rows = list(csv.DictReader(io.StringIO(to_csv([cmp]))))
    for provider, b in cmp.priced.items():
        mine = [r for r in rows if r["provider"] == provider]
        assert sum((Decimal(r["monthly_usd"]) for r in mine if r["monthly_usd"]), Decimal(0)) == b.monthly_total
        [total] = [r for r in mine if r["row_kind"] == "total"]
        assert Decimal(total["total_monthly_usd"]) == b.monthly_total and total["monthly_usd"] == ""
        assert all(r["monthly_usd"] == "" for r in mine if r["row_kind"] == "unpriced")

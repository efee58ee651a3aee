"""A kubeadm cluster's share of its Cluster API management cluster (kubefleet/cost/management.py).

Every expected figure is worked out here by hand from the rule's documented inputs - OpenCost's default
on-prem rates in catalog/data/kubeadm.yaml ($0.031611 per vCPU-hour, $0.004237 per GiB-hour, $0.04 per
GB-month, $0 per VM-month), 730 hours a month, and the reference management cluster of
catalog/data/capi-management.yaml (3 + 3 VMs of 2 vCPU / 8 GiB / 25 GiB, cited to the Cluster API quick
start and CAPV's template) - never read back from the code.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from kubefleet.catalog import Catalog, load_catalog
from kubefleet.catalog.management import parse_management, reference
from kubefleet.cost.model import CostBreakdown
from kubefleet.cost.pricer import price_graph
from kubefleet.graph import ResourceGraph
from kubefleet.render.cache import cached_render
from kubefleet.resolve.cluster import resolve
from kubefleet.spec.loader import load_text

AS_OF = date(2026, 11, 27)
CAT = load_catalog()
DATA = Path(__file__).resolve().parent.parent / "kubefleet" / "catalog" / "data"
LINE = "Cluster API management cluster share"


def _yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata: {name: share, labels: {team: t, owner: o, cost-center: c, env: dev}}
spec:
  kubernetes: {version: "1.34"}
  region: us-west
  nodePools:
    - name: default
      machine: {vcpus: 2, memoryGiB: 8}
      count: 2
"""


@functools.cache
def _graph(provider: str, catalog: Catalog) -> ResourceGraph:
    return cached_render(resolve(load_text(SPEC, "share.yaml")[0].spec, provider, catalog=catalog))


def _breakdown(costs: str = "", catalog: Catalog = CAT) -> CostBreakdown:
    """The spec with ``costs`` priced. The cost fields create nothing (the parity table says so), so the
    program is rendered once and the spec the pricer reads is swapped for the one with the costs."""
    text = SPEC + (f"  providers:\n    kubeadm:\n      costs: {{{costs}}}\n" if costs else "")
    spec = load_text(text, "share.yaml")[0].spec
    graph = dataclasses.replace(_graph("kubeadm", catalog), spec=spec)
    return price_graph(graph, catalog, as_of=AS_OF)


def _share(b: CostBreakdown) -> list:
    return [c for c in b.components if c.name.startswith(LINE)]


def test_reference_management_cluster_is_the_cited_one() -> None:
    """The catalog file read with PyYAML, not through the loader, against the upstream figures it cites:
    quick-start.md:1731-1732 (3 and 3 machines), CAPV cluster-template.yaml:48-56 (diskGiB 25,
    memoryMiB 8192 = 8 GiB, numCPUs 2) - the last also pinned byte for byte in this repository."""
    raw = _yaml((DATA / "capi-management.yaml").read_text())["reference"]
    assert (raw["control_plane_vms"]["count"], raw["worker_vms"]["count"]) == (3, 3)
    assert raw["vm"] == {"vcpus": 2, "memory_gib": 8, "disk_gib": 25, "source": "capv-template"}
    template = (Path(__file__).resolve().parent.parent / "providers" / "kubeadm" / "templates"
                / "capv-v1.16.1-cluster-template.yaml").read_text().splitlines()
    assert template[47:56] == ["      diskGiB: 25", "      folder: '${VSPHERE_FOLDER}'", "      memoryMiB: 8192",
                               "      network:", "        devices:", "        - dhcp4: true", "          dhcp6: false",
                               "          networkName: '${VSPHERE_NETWORK}'", "      numCPUs: 2"]
    ref = reference()
    assert (ref.vms, ref.vcpus, ref.memory_gib, ref.disk_gib, ref.managed_clusters) == (6, 2, 8, 25, 1)


def test_default_share_is_the_whole_reference_cluster_at_opencost_rates() -> None:
    """Per VM: 2 × 0.031611 × 730 = 46.15206; 8 × 0.004237 × 730 = 24.74408; 25 × 0.04 = 1.00; licence 0
    -> 71.89614. Six VMs: 431.37684 a month. Divided by 1 (the stated default): $431.38."""
    (line,) = _share(_breakdown())
    assert line.unit_price == Decimal("431.37684")
    assert line.quantity == 1 and line.monthly_usd == Decimal("431.38")
    assert line.category == "control-plane" and line.estimate
    assert line.source_url == CAT.onprem()["vcpu_hour"].source.url
    for shown in ("÷ workload clusters it manages", "3 control-plane + 3 worker VMs", "2 vCPU / 8 GiB / 25 GiB",
                  "$0.031611/vCPU-hour", "730 hours", "$431.37684/month", "assumption", "managedClusters"):
        assert shown in (line.note or ""), shown


def test_managed_clusters_divide_the_share() -> None:
    """431.37684 / 4 = 107.84421 -> $107.84."""
    (line,) = _share(_breakdown("managedClusters: 4"))
    assert line.quantity == Decimal("0.25") and line.monthly_usd == Decimal("107.84")
    assert "÷ 4 workload clusters" in (line.note or "") and "assumption" not in (line.note or "")


def test_the_spec_rates_price_the_reference_too() -> None:
    """Per VM: 2 × 0.05 × 730 = 73; 8 × 0.01 × 730 = 58.4; 25 × 0.10 = 2.5; licence 5 -> 138.9. Six VMs:
    833.4 a month; / 3 = 277.80."""
    (line,) = _share(_breakdown('vcpuHour: "0.05", gibHour: "0.01", diskGbMonth: "0.10", vmLicenseMonth: "5", '
                                "managedClusters: 3"))
    assert line.unit_price == Decimal("833.4") and line.monthly_usd == Decimal("277.80")


def test_a_given_management_cluster_cost_replaces_the_reference() -> None:
    """$900 a month shared by 12 clusters: $75.00."""
    (line,) = _share(_breakdown('managementClusterMonth: "900", managedClusters: 12'))
    assert line.unit_price == Decimal("900") and line.monthly_usd == Decimal("75.00")
    assert "managementClusterMonth" in (line.note or "") and "reference" not in (line.note or "")
    assert line.source_url == "spec.providers.kubeadm.costs" and line.as_of == AS_OF


def test_without_a_rate_the_share_is_unpriced_with_the_reason(tmp_path: Path) -> None:
    text = (DATA / "kubeadm.yaml").read_text()
    old = '  gib_hour:\n    price: "0.004237"\n'
    assert old in text
    (tmp_path / "kubeadm.yaml").write_text(text.replace(old, "  gib_hour:\n    not_published: true\n"))
    b = _breakdown(catalog=load_catalog(tmp_path))
    assert not _share(b)
    (why,) = [u for u in b.unpriced if LINE in u.reason]
    assert "gib_hour" in why.reason and "managementClusterMonth" in why.reason
    # a given figure needs no rate
    assert _share(_breakdown('managementClusterMonth: "900"', catalog=load_catalog(tmp_path)))


def test_reference_file_errors_name_the_place() -> None:
    import pytest

    from kubefleet.errors import CatalogError

    data = _yaml((DATA / "capi-management.yaml").read_text())
    data["reference"]["managed_clusters"] = 0
    with pytest.raises(CatalogError, match="managed_clusters"):
        parse_management(data)

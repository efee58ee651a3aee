"""kubeadm clusters priced together share the management cluster they name (kubefleet/cost/management.py):
``fleet``, and ``cost``/``compare`` over several specs, divide the management cluster by the number of
kubeadm clusters that name the same ``spec.providers.kubeadm.managementCluster`` when the spec does not say
``costs.managedClusters``; a given managedClusters below that count is kept, with a warning.

Every expected figure is worked out here by hand from the catalog figures, never read back from the code:
the reference management cluster of kubefleet/catalog/data/capi-management.yaml (3 control-plane + 3 worker
VMs of 2 vCPU / 8 GiB / 25 GiB) at OpenCost's on-prem rates in kubefleet/catalog/data/kubeadm.yaml
($0.031611 per vCPU-hour, $0.004237 per GiB-hour, $0.04 per GB-month, $0 per VM-month) and 730 hours:
per VM 2 x 0.031611 x 730 = 46.15206, 8 x 0.004237 x 730 = 24.74408, 25 x 0.04 = 1.00 -> 71.89614; six VMs
431.37684 a month. (tests/test_cost_management.py checks those catalog figures against their sources.)
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.fleet import build_report
from kubefleet.spec.loader import load_text

AS_OF = date(2026, 11, 27)
DATA = Path(__file__).resolve().parent.parent / "kubefleet" / "catalog" / "data"
LINE = "Cluster API management cluster share"
MONTH = Decimal("431.37684")  # by hand, see the module docstring
runner = CliRunner()

DOC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata: {{name: {name}, labels: {{team: t, owner: o, cost-center: c, env: dev}}}}
spec:
  provider: kubeadm
  kubernetes: {{version: "1.34"}}
  region: us-west
  nodePools:
    - name: default
      machine: {{vcpus: 2, memoryGiB: 8}}
      count: 2
{providers}"""


def _doc(name: str, mgmt: str | None = None, managed: int | None = None) -> str:
    kubeadm = {**({"managementCluster": mgmt} if mgmt else {}), **({"costs": {"managedClusters": managed}} if managed else {})}
    providers = f"  providers:\n    kubeadm: {json.dumps(kubeadm)}\n" if kubeadm else ""
    return DOC.format(name=name, providers=providers)


def test_the_hand_figures_are_the_catalogs() -> None:
    """The inputs of MONTH, read from the catalog files with a YAML parser (not kubefleet's loader)."""
    ref = YAML(typ="safe", pure=True).load((DATA / "capi-management.yaml").read_text())["reference"]
    assert (ref["control_plane_vms"]["count"], ref["worker_vms"]["count"]) == (3, 3)
    assert (ref["vm"]["vcpus"], ref["vm"]["memory_gib"], ref["vm"]["disk_gib"]) == (2, 8, 25)
    rates = (DATA / "kubeadm.yaml").read_text()
    for price in ('"0.031611"', '"0.004237"', '"0.04"'):
        assert f"price: {price}" in rates, price
    per_vm = 2 * Decimal("0.031611") * 730 + 8 * Decimal("0.004237") * 730 + 25 * Decimal("0.04")
    assert per_vm * 6 == MONTH


def _share_lines(text: str, tmp_path: Path, *extra: str) -> dict[str, dict[str, Any]]:
    """`kubefleet cost FILE -o json` over a multi-document file: cluster -> its share line."""
    spec = tmp_path / "fleet.yaml"
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["cost", str(spec), "--as-of", AS_OF.isoformat(), "-o", "json", *extra])
    assert result.exit_code == 0, result.output
    out = {}
    for item in json.loads(result.stdout)["items"]:
        (line,) = [c for c in item["providers"]["kubeadm"]["components"] if c["name"].startswith(LINE)]
        out[item["cluster"]] = {**line, "warnings": item["warnings"]}
    return out


def test_clusters_naming_one_management_cluster_divide_it_and_say_so(tmp_path: Path) -> None:
    """mgmt-a is named by three clusters: 431.37684 / 3 = 143.79228 -> $143.79 each. mgmt-b by one, and the
    cluster naming none is priced alone: the whole 431.37684 -> $431.38, as before."""
    text = "---\n".join([_doc("a1", "mgmt-a"), _doc("a2", "mgmt-a"), _doc("a3", "mgmt-a"), _doc("b1", "mgmt-b"),
                         _doc("lone")])
    lines = _share_lines(text, tmp_path)
    for name in ("a1", "a2", "a3"):
        line = lines[name]
        assert line["name"] == f"{LINE} (1/3)" and Decimal(line["monthly"]) == Decimal("143.79"), line
        assert Decimal(line["unit_price"]) == MONTH
        assert "÷ 3: the kubeadm clusters priced together that name management cluster 'mgmt-a'" in line["note"]
    assert Decimal(lines["b1"]["monthly"]) == Decimal("431.38") and lines["b1"]["name"] == f"{LINE} (1/1)"
    assert "name management cluster 'mgmt-b'" in lines["b1"]["note"]
    assert Decimal(lines["lone"]["monthly"]) == Decimal("431.38") and "assumption" in lines["lone"]["note"]
    # the same spec priced alone carries the whole management cluster
    alone = _share_lines(_doc("a1", "mgmt-a"), tmp_path)["a1"]
    assert Decimal(alone["monthly"]) == Decimal("431.38")


def test_a_given_managed_clusters_is_kept_and_an_undercount_is_warned(tmp_path: Path) -> None:
    """a1 says 2 but the file shows three clusters on mgmt-a: 431.37684 / 2 = 215.68842 -> $215.69, with a
    warning; a2 says 5 (more than the three here, fine: others may be elsewhere): 86.275368 -> $86.28; a3 says
    nothing: / 3 -> $143.79."""
    text = "---\n".join([_doc("a1", "mgmt-a", 2), _doc("a2", "mgmt-a", 5), _doc("a3", "mgmt-a")])
    lines = _share_lines(text, tmp_path)
    assert Decimal(lines["a1"]["monthly"]) == Decimal("215.69") and lines["a1"]["name"] == f"{LINE} (1/2)"
    warning = ("3 kubeadm clusters priced together name management cluster 'mgmt-a', more than "
               "spec.providers.kubeadm.costs.managedClusters says (2)")
    assert warning in lines["a1"]["note"] and any(warning in w for w in lines["a1"]["warnings"])
    assert Decimal(lines["a2"]["monthly"]) == Decimal("86.28")
    assert "warning" not in lines["a2"]["note"] and not any("managedClusters" in w for w in lines["a2"]["warnings"])
    assert Decimal(lines["a3"]["monthly"]) == Decimal("143.79")


def test_compare_over_several_specs_shares_too(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text("---\n".join([_doc("a1", "mgmt-a"), _doc("a2", "mgmt-a")]), encoding="utf-8")
    result = runner.invoke(app, ["compare", str(spec), "--providers", "kubeadm", "--as-of", AS_OF.isoformat(),
                                 "-o", "json"])
    assert result.exit_code == 0, result.output
    for item in json.loads(result.stdout)["items"]:
        (line,) = [c for c in item["providers"]["kubeadm"]["components"] if c["name"].startswith(LINE)]
        assert Decimal(line["monthly"]) == Decimal("215.69")  # 431.37684 / 2


@pytest.fixture(scope="module")
def fleet_report() -> Any:
    text = "---\n".join([_doc("a1", "mgmt-a"), _doc("a2", "mgmt-a"), _doc("a3", "mgmt-a", 1), _doc("lone")])
    loaded = load_text(text, "fleet.yaml")
    return build_report(loaded, [], as_of=AS_OF, catalog=load_catalog(), compare_providers=False, jobs=1)


def test_fleet_divides_by_the_clusters_of_the_fleet_naming_the_same_management_cluster(fleet_report: Any) -> None:
    """a1 and a2 (no managedClusters) share mgmt-a with a3: 143.79 each; lone carries 431.38; a3 keeps its own
    1 (431.38). The rows differ by exactly the share: 431.38 - 143.79 = 287.59 (same shape otherwise)."""
    rows = {r.name: r for r in fleet_report.rows}
    assert dict(fleet_report.assumptions.management_peers) == {"mgmt-a": 3}
    monthly = {n: rows[n].price.monthly for n in rows}
    assert monthly["a1"] == monthly["a2"]
    assert monthly["lone"] - monthly["a1"] == Decimal("287.59")
    assert monthly["a3"] == monthly["lone"]
    (finding,) = [f for f in fleet_report.findings if f.code == "management-share-undercounted"]
    assert finding.cluster == "a3" and "3 kubeadm clusters priced together name management cluster 'mgmt-a'" in \
        finding.message and "(1)" in finding.message

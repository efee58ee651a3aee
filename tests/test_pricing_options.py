"""--pricing on-demand|1y|3y|spot on cost and compare (issue 24, part 3).

Oracles: the GKE committed-use and sustained-use figures are checked against the on-demand prices the
catalog already carries (the mirror's own hourly figure must equal gke.yaml's for every type, so the rates
come from the same generation of the Billing Catalog API), and against Google's published resource-based
CUD discounts where a family has a flat one (G2 and C3: 37% for 1 year, 55% for 3 years —
cloud.google.com/compute/docs/instances/committed-use-discounts-overview) and the published N1 full-month
sustained-use discount (30%: cloud.google.com/compute/docs/sustained-use-discounts).
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.catalog.commitments import commitments
from kubefleet.cli.app import app

CENT = Decimal("0.01")


def test_every_gke_catalog_type_has_rates_and_eks_aks_say_why_not() -> None:
    catalog = load_catalog()
    book = commitments()
    for region in catalog.regions("gke"):
        for inst in catalog.instances("gke", region):
            for term in ("1y", "3y"):
                rate = book["gke"].rate(region, inst.name, term)
                assert rate is not None, (region, inst.name, term)
                assert rate.hourly < inst.price.amount  # a commitment is below on-demand
            assert book["gke"].rates[region][inst.name]["1y"] > book["gke"].rates[region][inst.name]["3y"]
    assert book["gke"].source is not None and "/blob/" in book["gke"].source.url
    assert book["gke"].source.published is not None
    for p in ("eks", "aks"):
        assert book[p].rates == {} and book[p].missing_reason and book[p].missing_source is not None


@pytest.mark.parametrize(("family", "one", "three"), [("g2-", Decimal("0.63"), Decimal("0.45")),
                                                      ("c3-", Decimal("0.63"), Decimal("0.45"))])
def test_flat_family_discounts_match_googles_published_cud_percentages(family: str, one: Decimal, three: Decimal) -> None:
    catalog = load_catalog()
    book = commitments()["gke"]
    seen = 0
    for region in catalog.regions("gke"):
        for inst in catalog.instances("gke", region):
            if not inst.name.startswith(family):
                continue
            list_month = inst.price.amount * 730
            for term, share in (("1y", one), ("3y", three)):
                month = book.rates[region][inst.name][term]
                assert abs(month / list_month - share) < Decimal("0.0005"), (region, inst.name, term)
            seen += 1
    assert seen, f"no {family} type in the catalog"


def test_n1_full_month_sustained_use_is_googles_thirty_percent() -> None:
    catalog = load_catalog()
    book = commitments()["gke"]
    n1 = [(r, i) for r in catalog.regions("gke") for i in catalog.instances("gke", r) if i.name.startswith("n1-")]
    assert n1
    for region, inst in n1:
        month = book.rates[region][inst.name]["sud"]
        assert abs(month / (inst.price.amount * 730) - Decimal("0.70")) < Decimal("0.0005"), (region, inst.name)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.getbasetemp() / "sweet-spot-render-home"  # shared with test_currency/test_pricing_options
    home.mkdir(exist_ok=True)
    return str(home)


@pytest.fixture(autouse=True)
def _warm_cache(shared_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", shared_home)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--as-of", "2026-11-27"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_pricing_options_through_every_format() -> None:
    base = ["compare", "examples/sweet-spot.yaml", "--providers", "gke,eks"]
    docs = {p: json.loads(_run(*base, "--pricing", p, "--output", "json"))["items"][0] for p in ("on-demand", "1y", "3y")}
    (listed,) = json.loads(_run(*base, "--output", "json"))["items"]
    book = commitments()["gke"]
    region = listed["providers"]["gke"]["region"]
    for term in ("1y", "3y"):
        gke = docs[term]["providers"]["gke"]
        assert docs[term]["assumptions"]["pricing"] == term
        node = next(c for c in gke["components"] if c["name"].startswith("node pool"))
        machine = node["name"].split("(")[1].rstrip(")")
        rate = book.rate(region, machine, term)
        assert rate is not None and Decimal(node["unit_price"]) == rate.hourly
        assert node["source"] == book.source.url if book.source else False
        assert Decimal(node["monthly"]) == (Decimal(node["quantity"]) * rate.hourly).quantize(CENT, ROUND_HALF_UP)
        assert sum(Decimal(c["monthly"]) for c in gke["components"]) == Decimal(gke["monthly_total"])
        # EKS: no commitment rate in the catalog -> the node group is unpriced, bounded by its on-demand charge
        eks = docs[term]["providers"]["eks"]
        gap = [u for u in eks["unpriced"] if f"--pricing {term}" in u["reason"]]
        list_nodes = [c for c in listed["providers"]["eks"]["components"] if c["name"].startswith("node group")]
        assert gap and Decimal(gap[0]["bounds"]["high"]) == Decimal(list_nodes[0]["monthly"])
        assert not any(c["unit"] == "node-hour" for c in eks["components"])  # its disks stay priced
    assert Decimal(docs["3y"]["providers"]["gke"]["monthly_total"]) < Decimal(docs["1y"]["providers"]["gke"]["monthly_total"])
    # on-demand: N2 gets GKE's automatic sustained-use discount at a full month; EKS is unchanged (none exists)
    on_demand = docs["on-demand"]["providers"]
    assert Decimal(on_demand["gke"]["monthly_total"]) < Decimal(listed["providers"]["gke"]["monthly_total"])
    assert on_demand["eks"]["monthly_total"] == listed["providers"]["eks"]["monthly_total"]
    partial = json.loads(_run(*base, "--pricing", "on-demand", "--hours", "300", "--output", "json"))["items"][0]["providers"]["gke"]
    pool = next(c for c in partial["components"] if c["unit"] == "node-hour")
    assert "sustained-use discount is not applied at 300 hours" in pool["note"]  # only the full-month figure exists
    assert Decimal(pool["unit_price"]) == load_catalog().instance("gke", region, "n2-standard-4").price.amount  # type: ignore[union-attr]
    csv_text = _run(*base, "--pricing", "1y", "--output", "csv")
    totals = [r for r in csv.DictReader(io.StringIO(csv_text)) if r["row_kind"] == "total"]
    assert all(r["item"] == "monthly total (1-year commitments)" for r in totals)
    assert "1-year commitments" in _run(*base, "--pricing", "1y", "--output", "markdown").splitlines()[0]
    assert "1-year commitments" in _run(*base, "--pricing", "1y", "--output", "html")
    assert "3-year commitments" in _run(*base, "--pricing", "3y")
    (spot,) = json.loads(_run("cost", "examples/sweet-spot.yaml", "-p", "gke", "--pricing", "spot", "--output", "json"))["items"]
    node = next(c for c in spot["providers"]["gke"]["components"] if c["name"].startswith("node pool"))
    assert node.get("bound") == "upper" and node.get("estimate") is True
    (mixed,) = json.loads(_run("cost", "examples/sweet-spot.yaml", "-p", "gke", "--pricing", "1y", "--currency", "EUR",
                               "--output", "json"))["items"]
    assert mixed["currency"] == "EUR" and mixed["assumptions"]["pricing"] == "1y"


def test_unknown_pricing_is_exit_2_before_any_render() -> None:
    result = CliRunner().invoke(app, ["cost", "examples/sweet-spot.yaml", "--pricing", "5y"])
    assert result.exit_code == 2 and "one of: on-demand, 1y, 3y, spot" in result.output


def test_a_refreshed_commitments_file_in_the_price_cache_is_what_pricing_uses(shared_home: str) -> None:
    """$KUBEFLEET_HOME/prices/commitments.yaml (what `prices refresh -p gke` writes) replaces the shipped
    rates: a figure changed there, with its own dated source, is the node line's rate and source."""
    from datetime import date
    from pathlib import Path

    from ruamel.yaml import YAML

    base = ["compare", "examples/sweet-spot.yaml", "--providers", "gke", "--pricing", "1y", "--output", "json"]
    gke = json.loads(_run(*base))["items"][0]["providers"]["gke"]
    node = next(c for c in gke["components"] if c["name"].startswith("node pool"))
    machine, region = node["name"].split("(")[1].rstrip(")"), gke["region"]
    yaml = YAML(typ="rt")
    data = yaml.load((Path("kubefleet/catalog/data/commitments.yaml")).read_text())
    url = "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus"
    day = date(2026, 11, 20)
    data["sources"]["refreshed"] = {"url": url, "read": day, "published": day, "title": "a refresh"}
    entry = data["gke"]["rates"][region][machine]
    entry["month_1y"], entry["source_1y"] = "36.5", "refreshed"
    overlay = Path(shared_home) / "prices" / "commitments.yaml"
    overlay.parent.mkdir(parents=True, exist_ok=True)
    try:
        with overlay.open("w") as out:
            yaml.dump(data, out)
        gke = json.loads(_run(*base))["items"][0]["providers"]["gke"]
    finally:
        overlay.unlink()
    node = next(c for c in gke["components"] if c["name"].startswith("node pool"))
    assert Decimal(node["unit_price"]) == Decimal("0.05") and node["source"] == url

"""`kubefleet prices refresh -p gke` writes the committed-use rates too (issue 24, part 3): the commitment SKUs
of the Cloud Billing Catalog answer become $KUBEFLEET_HOME/prices/commitments.yaml (written beside the old
file, parsed back with the catalog's loader, then moved over it), and the catalog reads that overlay.

The answer is the recorded two-page SKU listing test_pricing_sources.py refreshes from, with the commitment
SKUs of tests/data/prices/gcp/commitments-us-east4.json (see test_commitment_sources.py: their rates reproduce
every shipped us-east4 N2 figure of the cited Cyclenerd mirror) on the second page. Nothing downloads.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.catalog.commitments import commitments
from kubefleet.cli.app import app
from kubefleet.cost.sources import gcp, refresh, transport
from kubefleet.cost.sources.cache import active_catalog, cache_dir
from kubefleet.errors import CatalogError
from tests.test_pricing_sources import DATA, GCP_TOKEN, PREVIOUS_GKE, TODAY, FakeTransport, write_previous

COMMIT_SKUS = DATA / "gcp" / "commitments-us-east4.json"


def routes(*, scale: Decimal = Decimal(1)) -> dict[str, Path | bytes]:
    """The recorded listing with the commitment SKUs (not the fixture's on-demand decoy) on page 2;
    ``scale`` multiplies their prices (to make an implausible answer)."""
    page2 = json.loads((DATA / "gcp" / "skus-page2.json").read_text())
    extra = [s for s in json.loads(COMMIT_SKUS.read_text())["skus"] if s["category"]["usageType"] != "OnDemand"]
    for sku in extra:
        for rate in sku["pricingInfo"][0]["pricingExpression"]["tieredRates"]:
            nanos = Decimal(rate["unitPrice"]["nanos"]) * scale
            rate["unitPrice"]["units"], rate["unitPrice"]["nanos"] = str(int(nanos // 10**9)), int(nanos % 10**9)
    page2["skus"] += extra
    return {gcp.page_url("test-key"): DATA / "gcp" / "skus-page1.json",
            gcp.page_url("test-key", GCP_TOKEN): json.dumps(page2).encode()}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_GCP_API_KEY", "test-key")


def test_refresh_writes_dated_commitments_and_keeps_what_the_api_does_not_give() -> None:
    write_previous("gke", PREVIOUS_GKE)
    result = refresh.refresh_provider("gke", today=TODAY, fetch=FakeTransport(routes()))
    assert result.commitments_path == cache_dir() / "commitments.yaml"
    assert result.commitments == {"us-east4": 18}  # the 18 N2 types the shipped catalog has there
    assert not list(cache_dir().glob(".*.tmp"))
    shipped = commitments()["gke"]
    book = active_catalog().commitments("gke")
    assert book is not None and book.source is not None
    assert book.source.url == gcp.API and book.source.published == TODAY and book.source.read == TODAY
    fresh = [n for n in shipped.rates["us-east4"] if n.startswith("n2-")]
    for name in fresh:
        for term in ("1y", "3y"):
            rate = book.rate("us-east4", name, term)
            assert rate is not None and rate.month == shipped.rates["us-east4"][name][term]  # same figure, new date
            assert rate.source == book.source
        sud = book.rate("us-east4", name, "sud")  # not in the API: carried with the mirror it came from
        assert sud is not None and sud.source == shipped.source and sud.month == shipped.rates["us-east4"][name]["sud"]
    # GPU types (GPU commitments are bought separately) and regions without commitment SKUs keep their source
    for region, name in (("us-east4", "g2-standard-4"), ("us-west1", "n2-standard-2"), ("europe-west4", "a3-highgpu-8g")):
        rate = book.rate(region, name, "1y")
        assert rate is not None and rate.source == shipped.source and rate.month == shipped.rates[region][name]["1y"]
    # everything else of the file (EKS/AKS say why they have no rates) is carried with its source
    eks = active_catalog().commitments("eks")
    assert eks is not None and eks.missing_reason == commitments()["eks"].missing_reason
    from kubefleet.catalog.loader import read_yaml, shipped_parsed

    written = read_yaml((cache_dir() / "commitments.yaml").read_text(), "commitments.yaml")
    assert written["searched"] == shipped_parsed()["commitments.yaml"]["searched"]  # the search record is carried


def test_the_registry_search_record_pins_every_artifact() -> None:
    """What was inspected for EKS/AKS commitment rates: each package at an exact version, with the artifact's
    sha256 and release date, so the lead can re-check it."""
    import re

    from kubefleet.catalog.loader import shipped_parsed

    record = shipped_parsed()["commitments.yaml"]["searched"]
    assert len(record) >= 10
    for row in record:
        assert row["version"] in row["registry"] and re.fullmatch(r"[0-9a-f]{64}", row["sha256"]), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["released"]) and row["read"] == "2026-12-06"
        assert row["contains"] and row["verdict"].startswith("not used")


def test_a_second_refresh_keeps_the_first_refresh_date_on_what_it_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("gke", PREVIOUS_GKE)
    refresh.refresh_provider("gke", today=TODAY, fetch=FakeTransport(routes()))
    later = TODAY.replace(day=TODAY.day + 1)
    # the next day the answer has no commitment SKU at all: the file is left as the first refresh wrote it
    plain: dict[str, Path | bytes] = {gcp.page_url("test-key"): DATA / "gcp" / "skus-page1.json",
             gcp.page_url("test-key", GCP_TOKEN): DATA / "gcp" / "skus-page2.json"}
    before = (cache_dir() / "commitments.yaml").read_bytes()
    result = refresh.refresh_provider("gke", today=later, fetch=FakeTransport(plain))
    assert result.commitments_path is None and (cache_dir() / "commitments.yaml").read_bytes() == before
    refresh.refresh_provider("gke", today=later, fetch=FakeTransport(routes()))
    book = active_catalog().commitments("gke")
    assert book is not None and book.source is not None and book.source.published == later
    rate = book.rate("us-east4", "n2-standard-2", "1y")
    assert rate is not None and rate.source.published == later


def test_an_implausible_commitment_answer_writes_nothing() -> None:
    previous = write_previous("gke", PREVIOUS_GKE).read_bytes()
    with pytest.raises(CatalogError, match="not below the on-demand"):  # 3× the real rates: above on-demand
        refresh.refresh_provider("gke", today=TODAY, fetch=FakeTransport(routes(scale=Decimal(3))))
    assert (cache_dir() / "gke.yaml").read_bytes() == previous
    assert not (cache_dir() / "commitments.yaml").exists() and not list(cache_dir().glob(".*.tmp"))


def test_a_broken_overlay_is_left_out_with_a_warning_and_repaired_by_a_refresh() -> None:
    path = cache_dir() / "commitments.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("sources: {}\ngke: {rates: {us-east4: {n2-standard-2: {month_1y: \"-1\"}}}}\n")
    catalog = active_catalog()
    assert any(str(path) in w for w in catalog.warnings)
    assert catalog.commitments("gke") == commitments()["gke"]
    with pytest.raises(CatalogError, match=r"commitments\.yaml"):
        load_catalog(cache_dir())  # strict
    write_previous("gke", PREVIOUS_GKE)
    refresh.refresh_provider("gke", today=TODAY, fetch=FakeTransport(routes()))
    assert active_catalog().warnings == []


def test_cli_refresh_reports_the_commitments_file(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("gke", PREVIOUS_GKE)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(routes()))
    res = CliRunner().invoke(app, ["prices", "refresh", "-p", "gke"])
    assert res.exit_code == 0, res.output
    assert f"gke: wrote {cache_dir() / 'commitments.yaml'}: 1- and 3-year commitment rates per region: us-east4 (18)" \
        in res.stdout


def test_a_term_source_needs_its_figure_and_a_known_source() -> None:
    from kubefleet.catalog.commitments import parse_commitments
    from kubefleet.catalog.loader import shipped_parsed

    data = copy.deepcopy(shipped_parsed()["commitments.yaml"])
    row = data["gke"]["rates"]["us-east4"]["n2-standard-2"]
    row["source_1y"] = "nowhere"
    with pytest.raises(CatalogError, match=r"gke\.rates\.us-east4\.n2-standard-2\.source_1y.*unknown source"):
        parse_commitments(data, "c.yaml")
    row["source_1y"] = "gce-sud-docs"
    del row["month_1y"]
    with pytest.raises(CatalogError, match="names a source for month_1y, which is not given"):
        parse_commitments(data, "c.yaml")

"""`kubefleet prices refresh -p eks|aks` writes EC2 Reserved Instance and Azure reservation rates into the
commitments overlay ($KUBEFLEET_HOME/prices/commitments.yaml), and `--pricing 1y|3y` prices EKS/AKS node lines
at them (issue 24, part 3). The shipped catalog carries none (no citable stored copy): without a refresh the
lines stay unpriced and say how to get the rates.

Fixtures (tests/data/prices/README.md): the AmazonEC2 us-east-1 offer file's ``terms.Reserved`` (standard No
Upfront 1yr/3yr terms of the m7i.large and m7i.xlarge Linux SKUs, with Convertible, Partial/All Upfront,
Windows and Local Zone decoys) and an Azure Retail Prices reservation page for eastus (Dsv5 1 Year/3 Years,
with Windows, other-region, 5-year and pay-as-you-go decoys). Figures illustrative, shapes as documented.
Nothing downloads.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.cost.sources import aws, azure, refresh, transport
from kubefleet.cost.sources.cache import active_catalog, cache_dir
from kubefleet.errors import CatalogError
from tests.test_pricing_sources import (
    DATA,
    PREVIOUS_AKS,
    PREVIOUS_EKS,
    TODAY,
    FakeTransport,
    aws_routes,
    azure_routes,
    write_previous,
)

EC2_OFFER = f"{aws.HOST}/offers/v1.0/aws/AmazonEC2/20261120180241/us-east-1/index.json"


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One kubefleet home for this module: the render cache stays warm, the price cache starts empty."""
    return tmp_path_factory.mktemp("kubefleet-home")


@pytest.fixture(autouse=True)
def _home(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KUBEFLEET_HOME", str(shared_home))
    shutil.rmtree(shared_home / "prices", ignore_errors=True)
    yield
    shutil.rmtree(shared_home / "prices", ignore_errors=True)


def test_the_offer_scan_keeps_only_standard_no_upfront_reserved_terms_of_priced_skus() -> None:
    with (DATA / "aws" / "ec2-us-east-1.json").open("rb") as f:
        scan = aws.scan_offer(f, {"m7i.large", "m7i.xlarge"}, what="ec2", region="us-east-1")
    by_name = {scan.wanted[sku][1]: terms for sku, terms in scan.reserved.items()}
    # not the Convertible 0.072/0.099, the Partial Upfront 0.03 (+263 upfront), the All Upfront 0.0 (+1100),
    # the Windows 0.15 or the Boston Local Zone 0.08 terms
    assert by_name == {"m7i.large": {"1y": Decimal("0.063"), "3y": Decimal("0.0434")},
                       "m7i.xlarge": {"1y": Decimal("0.126"), "3y": Decimal("0.0868")}}


def test_azure_reservation_prices_are_whole_term_prices_spread_over_the_term() -> None:
    items = json.loads((DATA / "azure" / "vm-eastus-reservations.json").read_text())["Items"]
    months = azure.reservation_months(items, "eastus", ["Standard_D2s_v5", "Standard_D4s_v5"])
    # 1009.152 for 1 year = 0.1152/h (1009.152 / 8760) = 84.096 per 730 h; 2018.304 for 3 years = 0.0768/h
    assert months == {"Standard_D2s_v5": {"1y": Decimal("42.048"), "3y": Decimal("28.032")},
                      "Standard_D4s_v5": {"1y": Decimal("84.096"), "3y": Decimal("56.064")}}
    assert "priceType%20eq%20'Reservation'" in azure.reservation_url("eastus")
    assert "Consumption" not in azure.reservation_url("eastus")


def _node(doc: dict, provider: str) -> dict:
    prov = doc["providers"][provider]
    return next(c for c in prov["components"] if c["unit"] == "node-hour")


def _compare(provider: str, term: str) -> dict:
    res = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--providers", provider, "--pricing", term,
                                   "--output", "json", "--as-of", "2026-11-27"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["items"][0]


def test_without_a_refresh_eks_and_aks_commitment_lines_are_unpriced_with_how_to_get_the_rates() -> None:
    doc = _compare("eks,aks", "1y")
    for provider, hint in (("eks", "run `kubefleet prices refresh -p eks` (AWS Price List Reserved Instance rates)"),
                           ("aks", "run `kubefleet prices refresh -p aks` (Azure Retail Prices API reservation rates)")):
        gaps = [u for u in doc["providers"][provider]["unpriced"] if "--pricing 1y" in u["reason"]]
        assert gaps and all(u["reason"].endswith(hint) for u in gaps), doc["providers"][provider]["unpriced"]


def test_refresh_eks_writes_reserved_rates_with_the_offer_file_and_compare_prices_at_them() -> None:
    write_previous("eks", PREVIOUS_EKS)
    result = refresh.refresh_provider("eks", today=TODAY, fetch=FakeTransport(aws_routes()))
    assert result.commitments_path == cache_dir() / "commitments.yaml" and result.commitments == {"us-east-1": 2}
    book = active_catalog().commitments("eks")
    assert book is not None and book.source is not None
    assert book.source.url == EC2_OFFER and book.source.read == TODAY
    assert book.source.published == date(2026, 11, 20)  # the offer file's publicationDate, not the read date
    assert "No Upfront" in book.source.title and "publicationDate 2026-11-20T18:02:41Z" in book.source.title
    for name, one, three in (("m7i.large", "0.063", "0.0434"), ("m7i.xlarge", "0.126", "0.0868")):
        r1, r3 = book.rate("us-east-1", name, "1y"), book.rate("us-east-1", name, "3y")
        assert r1 is not None and r1.hourly == Decimal(one) and r3 is not None and r3.hourly == Decimal(three)
    gke = active_catalog().commitments("gke")  # the other providers' entries are carried as they were
    assert gke is not None and gke.rate("us-east4", "n2-standard-2", "1y") is not None
    aks = active_catalog().commitments("aks")
    assert aks is not None and aks.rates == {} and aks.missing_reason

    node = _node(_compare("eks", "1y"), "eks")
    assert node["name"].endswith("(m7i.xlarge)"), node["name"]
    assert Decimal(node["unit_price"]) == Decimal("0.126") and node["source"] == EC2_OFFER
    node3 = _node(_compare("eks", "3y"), "eks")
    assert Decimal(node3["unit_price"]) == Decimal("0.0868") and node3["source"] == EC2_OFFER


def test_refresh_aks_writes_reservation_rates_and_compare_prices_at_them() -> None:
    write_previous("aks", PREVIOUS_AKS)
    result = refresh.refresh_provider("aks", today=TODAY, fetch=FakeTransport(azure_routes()))
    assert result.commitments == {"eastus": 2}
    book = active_catalog().commitments("aks")
    assert book is not None and book.source is not None and book.source.url.startswith(azure.API)
    assert "Reservation" in book.source.url and book.source.read == TODAY
    rate = book.rate("eastus", "Standard_D4s_v5", "1y")
    assert rate is not None and rate.hourly == Decimal("0.1152")
    node = _node(_compare("aks", "1y"), "aks")
    assert node["name"].endswith("(Standard_D4s_v5)"), node["name"]
    assert Decimal(node["unit_price"]) == Decimal("0.1152") and node["source"] == book.source.url


def test_cli_refresh_eks_reports_the_commitments_file(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("eks", PREVIOUS_EKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(aws_routes()))
    res = CliRunner().invoke(app, ["prices", "refresh", "-p", "eks"])
    assert res.exit_code == 0, res.output
    assert f"eks: wrote {cache_dir() / 'commitments.yaml'}" in res.stdout and "us-east-1 (2)" in res.stdout


def _offer_with(one: str, three: str) -> bytes:
    data = json.loads((DATA / "aws" / "ec2-us-east-1.json").read_text())
    for term in data["terms"]["Reserved"]["8NYA5DH7CXJSWRHD"].values():  # m7i.xlarge, on demand 0.2016/h
        if term["termAttributes"]["OfferingClass"] == "standard":
            dim = next(iter(term["priceDimensions"].values()))
            dim["pricePerUnit"]["USD"] = one if term["termAttributes"]["LeaseContractLength"] == "1yr" else three
    return json.dumps(data).encode()


@pytest.mark.parametrize(("one", "three", "problem"), [("0.2500000000", "0.0868000000", "not below the on-demand"),
                                                       ("0.1260000000", "0.1300000000", "3-year .* is not below")])
def test_an_implausible_reserved_answer_writes_nothing(one: str, three: str, problem: str) -> None:
    previous = write_previous("eks", PREVIOUS_EKS).read_bytes()
    routes = {**aws_routes(), EC2_OFFER: _offer_with(one, three)}
    with pytest.raises(CatalogError, match=problem):
        refresh.refresh_provider("eks", today=TODAY, fetch=FakeTransport(routes))
    assert (cache_dir() / "eks.yaml").read_bytes() == previous
    assert not (cache_dir() / "commitments.yaml").exists() and not list(cache_dir().glob(".*.tmp"))

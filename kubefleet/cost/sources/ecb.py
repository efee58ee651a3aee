"""The ECB's euro foreign exchange reference rates, in the formats the ECB publishes them, into data/fx.yaml.

- ``eurofxref-daily.xml``: ``<Cube time='YYYY-MM-DD'><Cube currency='USD' rate='1.0705'/>…``
  (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml, one day);
- ``eurofxref.csv`` (inside eurofxref.zip): a header ``Date, USD, JPY, …`` and one row ``13 April 2026, 1.1684, …``;
- ``eurofxref-hist.csv`` (inside eurofxref-hist.zip): the same header with every currency the ECB ever
  quoted and one row per day, newest first, ISO dates, ``N/A`` where a currency was not quoted that day.

Rates are units of the currency per 1 EUR, kept as the published text (Decimal, never float).
:func:`fx_yaml` writes a table in the catalog's format, which :func:`kubefleet.catalog.fx.parse_fx` reads.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kubefleet.cost.sources import transport
from kubefleet.cost.sources.transport import Fetch, Progress
from kubefleet.errors import CatalogError

#: the ECB's first-party feed of the latest day's reference rates
DAILY_XML = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
MAX_XML_BYTES = 1 << 20

_CODE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class EcbDay:
    day: date
    per_eur: dict[str, Decimal]  # currency -> units per 1 EUR


def _rate(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise CatalogError(f"{where}: rate {text.strip()!r} is not a number",
                           hint="the ECB file's format may have changed") from None
    if not value.is_finite() or value <= 0:
        raise CatalogError(f"{where}: rate {text.strip()!r} must be a positive number")
    return value


def _day(text: str, where: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CatalogError(f"{where}: {text!r} is not a date (YYYY-MM-DD or '13 April 2026')")


def parse_csv(text: str, file: str = "eurofxref.csv") -> list[EcbDay]:
    """Every day in an ECB CSV (daily or history), newest first as the file lists them."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].lstrip("\ufeff").startswith("Date"):
        raise CatalogError(f"{file}: no 'Date, USD, …' header", hint="expected the ECB's eurofxref CSV")
    header = [h.strip() for h in lines[0].lstrip("\ufeff").split(",")]
    for code in header[1:]:
        if code and not _CODE.match(code):
            raise CatalogError(f"{file}:1: column {code!r} is not a currency code")
    days: list[EcbDay] = []
    for number, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.split(",")]
        where = f"{file}:{number}"
        rates = {code: _rate(cell, f"{where} ({code})") for code, cell in zip(header[1:], cells[1:], strict=False)
                 if code and cell and cell != "N/A"}
        days.append(EcbDay(_day(cells[0], where), rates))
    return days


_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


def parse_xml(text: str, file: str = "eurofxref-daily.xml") -> list[EcbDay]:
    """Every ``<Cube time=…>`` day in an ECB XML feed (daily, 90-day or history)."""
    try:
        root = ET.fromstring(text)  # expat (>= 2.4.1) refuses entity-expansion bombs
    except ET.ParseError as err:
        raise CatalogError(f"{file}: not XML ({err})", hint="expected the ECB's eurofxref XML") from None
    days: list[EcbDay] = []
    for cube in root.iter(f"{_NS}Cube"):
        stamp = cube.get("time")
        if stamp is None:
            continue
        rates = {}
        for child in cube:
            code, rate = child.get("currency"), child.get("rate")
            if code is None or rate is None or not _CODE.match(code):
                raise CatalogError(f"{file}: a <Cube> of {stamp} without a currency code and rate")
            rates[code] = _rate(rate, f"{file} ({stamp} {code})")
        days.append(EcbDay(_day(stamp, file), rates))
    if not days:
        raise CatalogError(f"{file}: no <Cube time='…'> day", hint="expected the ECB's eurofxref XML")
    return days


def fx_yaml(day: EcbDay, *, source_key: str, url: str, read: date, title: str) -> str:
    """The day as data/fx.yaml: its dated source and every rate as published (USD is required)."""
    if "USD" not in day.per_eur:
        raise CatalogError(f"ECB rates of {day.day}: no USD rate, so nothing priced in USD can convert")

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# Euro foreign exchange reference rates of the European Central Bank for one dated day: units of each",
        "# currency per 1 EUR. Costs are priced in USD; a line converts to X at (X per EUR) / (USD per EUR).",
        "base: EUR",
        f"date: {day.day.isoformat()}",
        "sources:",
        f"  {source_key}:",
        f"    url: {q(url)}",
        f"    read: {read.isoformat()}",
        f"    published: {day.day.isoformat()}",
        f"    title: {q(title)}",
        f"source: {source_key}",
        "rates:",
    ]
    order = ["USD", *sorted(c for c in day.per_eur if c != "USD")]
    lines += [f'  {code}: "{day.per_eur[code]}"' for code in order]
    return "\n".join(lines) + "\n"


def refresh_fx(*, today: date, directory: Path, fetch: Fetch | None = None,
               progress: Progress = lambda _line: None) -> tuple[Path, EcbDay]:
    """Fetch the ECB's latest reference rates and write ``directory/fx.yaml`` atomically: the new file is
    written beside the old one, parsed back with the catalog's own loader, and only then moved over it."""
    from kubefleet.catalog.fx import FX_FILE, parse_fx
    from kubefleet.catalog.loader import read_yaml

    progress(f"fx: fetching {DAILY_XML}")
    with transport.opened(transport.urllib_fetch if fetch is None else fetch, DAILY_XML, MAX_XML_BYTES) as stream:
        raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{transport.host_of(DAILY_XML)} answered with something that is not UTF-8 text") from None
    day = max(parse_xml(text, DAILY_XML), key=lambda d: d.day)
    doc = fx_yaml(day, source_key=f"ecb-eurofxref-{day.day.isoformat()}", url=DAILY_XML, read=today,
                  title=f"ECB euro foreign exchange reference rates of {day.day.isoformat()} (eurofxref-daily.xml, "
                        f"first-party), fetched by `kubefleet prices refresh -p fx` on {today.isoformat()}")
    parse_fx(read_yaml(doc, FX_FILE), FX_FILE)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FX_FILE
    fd, tmp = tempfile.mkstemp(prefix=".fx-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(doc)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target, day

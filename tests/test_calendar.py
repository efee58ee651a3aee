"""`kubefleet fleet calendar` (kubefleet/lifecycle/calendar.py): dates from the catalog with their sources, by owner;
iCalendar checked with a parser we did not write (icalendar, RFC 5545) and against RFC 5545's own rules (CRLF,
75-octet folding, UID, DTSTAMP); JSON against schemas/fleet-calendar.schema.json."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.lifecycle import calendar as cal
from kubefleet.spec.loader import load_file

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "examples" / "fleet.yaml"


def _calendar() -> cal.Calendar:
    specs = load_file(FLEET)
    return cal.build([(s.spec, s.spec.spec.provider or "", f"{s.file}:{s.line}") for s in specs], load_catalog(),
                     date(2026, 12, 6))


def test_orders_prod_on_eks_extended_has_the_fee_change_and_the_forced_upgrade() -> None:
    c = _calendar()
    mine = [(e.on, e.kind) for e in c.events if e.cluster == "orders-prod"]
    # EKS 1.32: end of standard support 2026-03-23, end of extended 2027-03-23 (endoflife.date amazon-eks.md)
    assert mine == [(date(2026, 3, 23), "end-of-standard-support"), (date(2026, 3, 23), "fee-change"),
                    (date(2027, 3, 23), "end-of-extended-support"), (date(2027, 3, 24), "forced-upgrade")]
    fee = next(e for e in c.events if e.kind == "fee-change")
    assert (fee.monthly_before, fee.monthly_after) is not None
    assert (f"{fee.monthly_before:.2f}", f"{fee.monthly_after:.2f}") == ("73.00", "438.00")
    assert set(c.by_owner()) >= {"maria-k", "ops-bot"}
    assert all(e.source.startswith("https://") for e in c.events)


def test_ics_is_valid_rfc5545() -> None:
    import icalendar

    text = cal.to_ics(_calendar())
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded at 75 octets
    parsed = icalendar.Calendar.from_ical(text)
    events = parsed.walk("VEVENT")
    assert len(events) == len(_calendar().events) > 0
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert {e.decoded("DTSTAMP").isoformat() for e in events} == {"2026-12-06T00:00:00+00:00"}  # from --as-of
    first = events[0]
    assert first.decoded("DTSTART") == date(2026, 3, 23) and "orders-prod" in str(first["SUMMARY"])
    assert "source: https://" in str(first["DESCRIPTION"])  # unfolded and unescaped by the parser
    assert cal.to_ics(_calendar()) == text  # no clock: same input, same file


def test_folding_never_splits_a_utf8_character() -> None:
    line = "SUMMARY:" + "ü" * 100
    folded = cal.fold(line).encode("utf-8")
    parts = folded.split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert b"".join(p[1:] if i else p for i, p in enumerate(parts)).decode("utf-8") == line


def test_cli_calendar_json_markdown_and_fleet_view_unchanged() -> None:
    import jsonschema  # type: ignore[import-untyped]

    schema = json.loads((ROOT / "schemas" / "fleet-calendar.schema.json").read_text())
    r = CliRunner().invoke(app, ["fleet", "calendar", str(FLEET), "--as-of", "2026-12-06", "-o", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema)
    assert doc["kind"] == "FleetCalendar" and doc["owners"][0]["events"]
    r = CliRunner().invoke(app, ["fleet", "calendar", str(FLEET), "--as-of", "2026-12-06", "-o", "markdown",
                                 "--upcoming"])
    assert r.exit_code == 0 and "## maria-k" in r.stdout and "(past)" not in r.stdout
    r = CliRunner().invoke(app, ["fleet", "calendar", str(FLEET), "--as-of", "2026-12-06"])
    assert r.exit_code == 0 and r.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    # `kubefleet fleet DIR ...` is still the fleet view, `fleet --help` names both
    r = CliRunner().invoke(app, ["fleet", str(FLEET), "--no-compare", "--as-of", "2026-12-06", "-o", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["as_of"] == "2026-12-06"
    r = CliRunner().invoke(app, ["fleet", "--help"])
    assert r.exit_code == 0 and "calendar" in r.output
    r = CliRunner().invoke(app, ["fleet", "calendar", str(ROOT / "nope")])
    assert r.exit_code == 1 and "nope" in r.output  # like `kubefleet fleet`: a path that failed to load

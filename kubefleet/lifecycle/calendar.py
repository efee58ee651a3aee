"""The fleet's lifecycle calendar: every end-of-support, forced-upgrade and fee-change date of every cluster's
Kubernetes minor on its provider, by owner, with its source; as JSON (schemas/fleet-calendar.schema.json),
markdown and iCalendar (RFC 5545).

The dates are the catalog's (``features.yaml`` ``versions:``); the fees are the planner's cost of staying
(:func:`kubefleet.lifecycle.upgrade.staying_cost`). Nothing reads the clock: ``as_of`` is passed in, and the
iCalendar ``DTSTAMP`` is derived from it, so the same fleet gives the same file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from kubefleet.lifecycle.skew import PROVIDER_RULES, minor_of
from kubefleet.lifecycle.upgrade import END_OF_STANDARD, extended_billing, forced_upgrade, staying_cost

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.spec.model import ClusterSpec

Kind = Literal["end-of-standard-support", "fee-change", "forced-upgrade", "end-of-extended-support"]

#: Where each provider documents what happens when support ends (read 2026-12-06).


@dataclass(frozen=True)
class CalendarEvent:
    on: date
    kind: Kind
    cluster: str
    provider: str
    owner: str | None
    team: str | None
    minor: str
    file: str
    summary: str
    source: str
    monthly_before: Decimal | None = None
    monthly_after: Decimal | None = None

    @property
    def who(self) -> str:
        return self.owner or self.team or "(no owner)"

    @property
    def uid(self) -> str:
        key = "|".join((self.cluster, self.provider, self.kind, self.on.isoformat(), self.file))
        return hashlib.sha256(key.encode()).hexdigest()[:24] + "@kubefleet.dev"

    def as_json(self) -> dict[str, Any]:
        def money(v: Decimal | None) -> str | None:
            return None if v is None else f"{v:.2f}"

        return {"date": self.on.isoformat(), "kind": self.kind, "cluster": self.cluster, "provider": self.provider,
                "owner": self.owner, "team": self.team, "minor": self.minor, "file": self.file,
                "summary": self.summary, "source": self.source, "monthlyBefore": money(self.monthly_before),
                "monthlyAfter": money(self.monthly_after)}


@dataclass(frozen=True)
class Unknown:
    cluster: str
    provider: str
    minor: str
    file: str

    def as_json(self) -> dict[str, str]:
        return {"cluster": self.cluster, "provider": self.provider, "minor": self.minor, "file": self.file}


@dataclass(frozen=True)
class Calendar:
    as_of: date
    events: tuple[CalendarEvent, ...]
    unknown: tuple[Unknown, ...]

    def by_owner(self) -> dict[str, list[CalendarEvent]]:
        out: dict[str, list[CalendarEvent]] = {}
        for e in self.events:
            out.setdefault(e.who, []).append(e)
        return dict(sorted(out.items()))


def cluster_events(spec: ClusterSpec, provider: str, catalog: Catalog, *, file: str = "") -> list[CalendarEvent] | None:
    """The dated lifecycle events of one cluster's minor on ``provider``; ``None`` when the catalog has no dates."""
    minor = minor_of(spec.spec.kubernetes.version)
    row = catalog.versions(provider).get(minor)
    if row is None or row.standard_end is None:
        return None
    channel = spec.spec.kubernetes.channel
    label = PROVIDER_RULES[provider].label
    meta = spec.metadata

    def event(on: date, kind: Kind, summary: str, source: str, before: Decimal | None = None,
              after: Decimal | None = None) -> CalendarEvent:
        return CalendarEvent(on, kind, spec.name, provider, meta.owner, meta.team, minor, file, summary, source,
                             before, after)

    src = row.source.url
    then = f" ({END_OF_STANDARD[provider][0]})" if provider in ("aks", "kubeadm") else ""
    out = [event(row.standard_end, "end-of-standard-support",
                 f"{spec.name}: Kubernetes {minor} leaves standard support on {label}{then}", src)]
    if extended_billing(provider, channel):
        cost = staying_cost(catalog, provider, minor, channel)
        out.append(event(row.standard_end, "fee-change", f"{spec.name}: extended-support fee on {label} from "
                         f"{row.standard_end}: {cost.note}", cost.fee_source or src, cost.per_month_before,
                         cost.per_month_after))
        if row.extended_end is not None:
            out.append(event(row.extended_end, "end-of-extended-support",
                             f"{spec.name}: Kubernetes {minor} leaves extended support on {label}", src))
    forced = forced_upgrade(catalog, provider, minor, channel)
    if forced is not None:
        out.append(event(forced.on, "forced-upgrade", f"{spec.name}: {forced.what}", forced.source))
    return out


def build(clusters: Iterable[tuple[ClusterSpec, str, str]], catalog: Catalog, as_of: date) -> Calendar:
    """``clusters``: (spec, provider, file:line) triples. Events sorted by date, then cluster."""
    events: list[CalendarEvent] = []
    unknown: list[Unknown] = []
    for spec, provider, where in clusters:
        found = cluster_events(spec, provider, catalog, file=where)
        if found is None:
            unknown.append(Unknown(spec.name, provider, minor_of(spec.spec.kubernetes.version), where))
        else:
            events.extend(found)
    events.sort(key=lambda e: (e.on, e.cluster, e.provider, e.kind))
    return Calendar(as_of, tuple(events), tuple(unknown))


# ------------------------------------------------------------------------------------------------ renderers


def to_json(cal: Calendar) -> str:
    doc = {"apiVersion": "kubefleet.dev/v1", "kind": "FleetCalendar", "asOf": cal.as_of.isoformat(),
           "owners": [{"owner": who, "events": [e.as_json() for e in evs]} for who, evs in cal.by_owner().items()],
           "unknown": [u.as_json() for u in cal.unknown]}
    return json.dumps(doc, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(cal: Calendar) -> str:
    lines = [f"# Fleet calendar as of {cal.as_of}", ""]
    for who, evs in cal.by_owner().items():
        lines += [f"## {_md(who)}", "", "| date | event | cluster | provider | minor | detail | source |",
                  "|---|---|---|---|---|---|---|"]
        for e in evs:
            past = " (past)" if e.on < cal.as_of else ""
            lines.append(f"| {e.on}{past} | {e.kind} | {_md(e.cluster)} | {e.provider} | {e.minor} | "
                         f"{_md(e.summary)} | {e.source} |")
        lines.append("")
    for u in cal.unknown:
        lines.append(f"- no support dates in the catalog for {u.provider} {u.minor} ({_md(u.cluster)}, {u.file})")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and newline are escaped."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets are split with CRLF + one space, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = ch, n, 74  # continuation lines start with a space, which counts
        else:
            current += ch
            size += n
    out.append(current)
    return "\r\n ".join(out)


def to_ics(cal: Calendar, *, include_past: bool = True) -> str:
    stamp = f"{cal.as_of:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kubefleet//fleet calendar//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:kubefleet fleet calendar"]
    for e in cal.events:
        if not include_past and e.on < cal.as_of:
            continue
        desc = f"{e.summary}\nowner: {e.who}\nfile: {e.file}\nsource: {e.source}"
        if e.monthly_after is not None and e.monthly_before is not None:
            desc += f"\ncontrol plane: ${e.monthly_before:.2f}/month -> ${e.monthly_after:.2f}/month per cluster"
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{e.on:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{e.on + timedelta(days=1):%Y%m%d}", f"SUMMARY:{_escape(e.summary)}",
                  f"DESCRIPTION:{_escape(desc)}", f"CATEGORIES:{_escape(e.kind)},{_escape(e.provider)}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def events_in(cal: Calendar, kinds: Sequence[Kind]) -> list[CalendarEvent]:
    return [e for e in cal.events if e.kind in kinds]

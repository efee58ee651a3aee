"""Fleet report formats: JSON, CSV, Markdown and one self-contained HTML page (inline SVG, no scripts)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from decimal import Decimal

from kubefleet.cost.model import CATEGORIES, MONTHS_PER_YEAR, fmt_money, money
from kubefleet.fleet import ClusterRow, FleetReport, GroupTotal, StackMatch
from kubefleet.report.compare_out import CATEGORY_COLORS, PAGE_CSS, label, md_cell
from kubefleet.report.contract import document, dumps, list_document

SEVERITY_MARK = {"high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def _cost(row: ClusterRow) -> str:
    p = row.price
    if p is None or p.monthly is None:
        return "not priced"
    return fmt_money(p.monthly) + (" +" if p.unpriced else "")


def nodes_text(row: ClusterRow) -> str:
    """``3+6`` (control-plane VMs + workers at minimum) or ``6`` on managed services."""
    cp = f"{row.control_plane_nodes}+" if row.control_plane_nodes else ""
    return f"{cp}{row.workers_min}"


def nodes_max_text(row: ClusterRow) -> str:
    cp = f"{row.control_plane_nodes}+" if row.control_plane_nodes else ""
    return f"{cp}{row.workers_max}"


def region_text(row: ClusterRow) -> str:
    if row.provider_region and row.provider_region != row.region:
        return f"{row.region} ({row.provider_region})"
    return row.region


def provider_text(row: ClusterRow) -> str:
    if row.provider is None:
        return "no provider"
    return row.provider + ("" if row.provider_source == "spec.provider" else f" (from {row.provider_source})")


def to_json(report: FleetReport) -> str:
    """A ``FleetReport`` (schemas/fleet.schema.json): the per-cluster rows in ``clusters`` beside the
    groups, the total and the findings (a report, not a list kind: kubefleet.report.contract)."""
    return dumps(document("FleetReport", report.as_json()))


#: ``fleet --output csv`` columns (docs/fleet.md describes each). Money sits in a column of its own per row
#: kind, so a naive SUM over ``monthly_usd`` adds up the clusters once: group and grand totals carry their
#: amounts in ``subtotal_*`` columns instead.
FLEET_CSV_COLUMNS = ["row_kind", "cluster", "file", "team", "owner", "cost_center", "env", "billing_account",
                     "provider", "region", "provider_region", "version", "control_plane_nodes", "workers_min",
                     "workers_max", "monthly_usd", "monthly_max_usd", "account_credit_usd", "subtotal_monthly_usd",
                     "subtotal_monthly_max_usd", "unpriced_items", "findings", "note", "yearly_usd",
                     "subtotal_yearly_usd"]


def to_csv(report: FleetReport) -> str:
    """row_kind ``cluster`` (one per cluster: SUM(monthly_usd) over these is the fleet total), ``group:<by>``
    and ``total`` (amounts in subtotal_* only), ``error`` (a spec that failed to load)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    suffix = "_" + report.currency.lower()
    w.writerow([c[:-4] + suffix if c.endswith("_usd") else c for c in FLEET_CSV_COLUMNS])
    blank = dict.fromkeys(FLEET_CSV_COLUMNS, "")
    if report.fx is not None:  # --currency: the rate, its date and source, before any amount
        w.writerow(list({**blank, "row_kind": "exchange-rate", "cluster": f"USD to {report.fx.currency}",
                         "file": report.fx.source.url, "version": report.fx.day.isoformat(),
                         "note": report.fx.describe()}.values()))
    codes: dict[tuple[str, str], list[str]] = {}
    for f in report.findings:
        codes.setdefault((f.cluster, f.where), []).append(f.code)
    for r in report.rows:
        p = r.price
        w.writerow(list({**blank, "row_kind": "cluster", "cluster": r.name, "file": r.where, "team": r.team or "",
                         "owner": r.owner or "", "cost_center": r.cost_center or "", "env": r.env or "",
                         "billing_account": r.billing_account or "", "provider": r.provider or "",
                         "region": r.region, "provider_region": r.provider_region or "", "version": r.version,
                         "control_plane_nodes": r.control_plane_nodes, "workers_min": r.workers_min,
                         "workers_max": r.workers_max,
                         "monthly_usd": p.monthly if p is not None and p.monthly is not None else "",
                         "monthly_max_usd": p.monthly_max if p is not None and p.monthly_max is not None else "",
                         "account_credit_usd": p.account_credit if p is not None and p.account_credit else "",
                         "unpriced_items": p.unpriced if p is not None else "",
                         "findings": " ".join(codes.get((r.name, r.where), [])),
                         "note": (p.error or "") if p is not None else "no provider",
                         "yearly_usd": money(p.monthly * MONTHS_PER_YEAR) if p is not None and p.monthly is not None
                         else ""}.values()))
    # the chosen grouping, and always the cost-centre grouping finance charges back by
    for by in dict.fromkeys((report.group_by, "cost-center")):
        for g in report.groups(by):
            w.writerow(list({**blank, "row_kind": f"group:{by}", "cluster": g.key,
                             "subtotal_monthly_usd": g.monthly, "subtotal_monthly_max_usd": g.monthly_max,
                             "note": f"{g.clusters} cluster(s), {g.not_priced} not priced",
                             "subtotal_yearly_usd": money(g.monthly * MONTHS_PER_YEAR)}.values()))
    t = report.total
    w.writerow(list({**blank, "row_kind": "total", "subtotal_monthly_usd": t.monthly,
                     "subtotal_monthly_max_usd": t.monthly_max,
                     "note": f"{t.clusters} cluster(s), {t.not_priced} not priced; as of {report.as_of}",
                     "subtotal_yearly_usd": money(t.monthly * MONTHS_PER_YEAR)}.values()))
    for fail in report.failures:
        for i in fail.issues:
            w.writerow(list({**blank, "row_kind": "error", "file": f"{fail.file}:{i.line}:{i.column}",
                             "note": i.message}.values()))
    return buf.getvalue()


def credit_lines(report: FleetReport) -> list[str]:
    """Which cluster got each per-billing-account credit (GKE's free tier is given once per account)."""
    return [f"{key.split(':', 1)[0].upper()} free-tier credit for billing account {key.split(':', 1)[1]}: given to "
            f"{cluster} (once per account; the account's other eligible clusters pay the full fee)"
            for key, cluster in sorted(report.account_credits.items())]


def _group_note(g: GroupTotal) -> str:
    notes = []
    if g.not_priced:
        notes.append(f"{g.not_priced} not priced")
    if g.incomplete:
        notes.append(f"{g.incomplete} lower bound")
    return "; ".join(notes)


def to_markdown(report: FleetReport) -> str:
    t = report.total
    out = [f"## Fleet: {t.clusters} cluster(s), {fmt_money(t.monthly)} per month ({report.currency}, as of "
           f"{report.as_of})\n"]
    if report.fx is not None:
        out.append(f"Currency {report.currency}: {md_cell(report.fx.describe())}.\n")
    out.append("| cluster | team | owner | env | provider | region | version | nodes | max | monthly |")
    out.append("|---|---|---|---|---|---|---|---:|---:|---:|")
    for r in report.rows:
        out.append(f"| {md_cell(r.name)} | {md_cell(r.team or '—')} | {md_cell(r.owner or '—')} | {md_cell(r.env or '—')} | "
                   f"{md_cell(provider_text(r))} | {md_cell(region_text(r))} | {r.version} | {nodes_text(r)} | "
                   f"{nodes_max_text(r)} | {_cost(r)} |")
    out.append("")
    out.append(f"### By {report.group_by}\n")
    out.append(f"| {report.group_by} | clusters | monthly | at autoscaling max | note |")
    out.append("|---|---:|---:|---:|---|")
    for g in report.groups():
        out.append(f"| {md_cell(g.key)} | {g.clusters} | {fmt_money(g.monthly)} | {fmt_money(g.monthly_max)} | "
                   f"{_group_note(g)} |")
    out.append(f"| **total** | **{t.clusters}** | **{fmt_money(t.monthly)}** | {fmt_money(t.monthly_max)} | "
               f"{_group_note(t)} |\n")
    out.extend(f"{line}\n" for line in credit_lines(report))
    out.append(f"### Findings ({len(report.findings)})\n")
    if report.findings:
        out.append("| | finding | cluster | where | detail |")
        out.append("|---|---|---|---|---|")
        for f in report.findings:
            out.append(f"| {SEVERITY_MARK[f.severity]} {f.severity} | `{f.code}` | {md_cell(f.cluster)} | `{md_cell(f.where)}` | "
                       f"{md_cell(f.message)} |")
    else:
        out.append("No findings.")
    out.append("")
    if report.failures:
        out.append(f"### Specs that failed to load ({len(report.failures)})\n")
        for fail in report.failures:
            for i in fail.issues:
                out.append(f"- `{md_cell(fail.file)}:{i.line}:{i.column}`: {md_cell(i.message)}"
                           + (f" — {md_cell(i.hint)}" if i.hint else ""))
        out.append("")
    out.append(f"> Monthly = list prices at autoscaling minimums, {report.assumptions.hours_per_month} h/month; "
               "`+` marks a lower bound (unpriced items). Nodes = control-plane VMs you run + workers.")
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------------- HTML


def bar_chart(title: str, groups: Sequence[GroupTotal], *, names: dict[str, str] | None = None) -> str:
    """Horizontal stacked bars (by cost category) per group, as inline SVG (no scripts, no network)."""
    e = html.escape
    shown = [g for g in groups if g.monthly > 0] or list(groups)
    if not shown:
        return "<p>Nothing priced.</p>"
    left, right, row_h, top = 150, 110, 26, 30
    width = 760
    plot_w = width - left - right
    height = top + row_h * len(shown) + 40
    biggest = max((g.monthly for g in shown), default=Decimal(1)) or Decimal(1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{e(title)}" font-family="system-ui, sans-serif" font-size="12">',
             f'<text x="0" y="16" font-weight="bold" font-size="14">{e(title)}</text>']
    for i, g in enumerate(shown):
        y = top + i * row_h
        name = (names or {}).get(g.key, g.key)
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{e(name)}</text>')
        x = float(left)
        for cat in CATEGORIES:
            value = g.by_category.get(cat, Decimal(0))
            if value <= 0:
                continue
            w = float(value / biggest) * plot_w
            parts.append(f'<rect class="seg" data-group="{e(g.key)}" data-category="{cat}" x="{x:.1f}" y="{y + 3}" '
                         f'width="{w:.1f}" height="{row_h - 8}" fill="{CATEGORY_COLORS[cat]}">'
                         f"<title>{e(name)} {cat}: {e(fmt_money(value))}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" font-weight="bold">{e(fmt_money(g.monthly))}</text>')
    lx, ly = left, top + row_h * len(shown) + 14
    for cat in CATEGORIES:
        parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{CATEGORY_COLORS[cat]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly + 10}">{cat}</text>')
        lx += 100
    parts.append("</svg>")
    return "".join(parts)


_FLEET_CSS = """
.sev-high{color:#b71c1c;font-weight:bold}.sev-medium{color:#e65100}.sev-low{color:#8d6e00}.sev-info{color:#1565c0}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.bad{background:#fdecea}td code{font-size:.85rem}
"""


def to_html(report: FleetReport) -> str:
    """One self-contained page: cost by team and by provider, totals, inventory, findings, load errors."""
    e = html.escape
    t = report.total
    body = [f"<h1>kubefleet fleet: {t.clusters} cluster(s), {e(fmt_money(t.monthly))} per month</h1>",
            *([f'<p class="muted">Currency {e(report.currency)}: {e(report.fx.describe())}.</p>']
              if report.fx is not None else []),
            f'<p class="muted">{e(report.currency)} {"" if report.fx is None else "(from USD) "}list prices; estimate for {report.as_of}; autoscaling pools at their minimum '
            f"(up to {e(fmt_money(t.monthly_max))} at their maximum); {report.assumptions.hours_per_month} hours per "
            f"month. {t.not_priced} cluster(s) not priced, {t.incomplete} priced as a lower bound.</p>"]
    if report.failures:
        body.append(f'<p class="warn">{len(report.failures)} spec file(s) failed to load; see the end of the page.</p>')
    provider_names = {p: label(p) for p in ("gke", "eks", "aks", "kubeadm")}
    body.append('<div class="charts">'
                f'<figure id="chart-team">{bar_chart("Monthly cost by team", report.groups("team"))}</figure>'
                f'<figure id="chart-provider">{bar_chart("Monthly cost by provider", report.groups("provider"), names=provider_names)}'
                "</figure></div>")
    body.append(f"<h2>By {e(report.group_by)}</h2><table><tr><th>{e(report.group_by)}</th><th>clusters</th>"
                "<th>monthly</th><th>at autoscaling max</th><th>note</th></tr>")
    for g in report.groups():
        body.append(f"<tr><td>{e(g.key)}</td><td class=num>{g.clusters}</td><td class=num>{e(fmt_money(g.monthly))}</td>"
                    f"<td class=num>{e(fmt_money(g.monthly_max))}</td><td>{e(_group_note(g))}</td></tr>")
    body.append(f"<tr><th>total</th><th class=num>{t.clusters}</th><th class=num>{e(fmt_money(t.monthly))}</th>"
                f"<th class=num>{e(fmt_money(t.monthly_max))}</th><th>{e(_group_note(t))}</th></tr></table>")
    body.append("<h2>Inventory</h2><table><tr><th>cluster</th><th>team</th><th>owner</th><th>env</th><th>provider</th>"
                "<th>region</th><th>version</th><th>nodes</th><th>max</th><th>monthly</th></tr>")
    for r in report.rows:
        cls = ' class="bad"' if r.monthly is None else ""
        body.append(f"<tr{cls}><td>{e(r.name)}<br><span class=muted>{e(r.where)}</span></td><td>{e(r.team or '—')}</td>"
                    f"<td>{e(r.owner or '—')}</td><td>{e(r.env or '—')}</td><td>{e(provider_text(r))}</td>"
                    f"<td>{e(region_text(r))}</td><td>{e(r.version)}</td><td class=num>{nodes_text(r)}</td>"
                    f"<td class=num>{nodes_max_text(r)}</td><td class=num>{e(_cost(r))}</td></tr>")
    body.append("</table>")
    body.extend(f'<p class="muted">{e(line)}</p>' for line in credit_lines(report))
    body.append(f"<h2>Findings ({len(report.findings)})</h2>")
    if report.findings:
        body.append("<table><tr><th>severity</th><th>finding</th><th>cluster</th><th>detail</th></tr>")
        for f in report.findings:
            body.append(f'<tr><td class="sev-{f.severity}">{f.severity}</td><td><code>{e(f.code)}</code></td>'
                        f"<td>{e(f.cluster)}<br><span class=muted>{e(f.where)}</span></td><td>{e(f.message)}</td></tr>")
        body.append("</table>")
    else:
        body.append("<p>No findings.</p>")
    if report.failures:
        body.append("<h2>Specs that failed to load</h2><ul>")
        for fail in report.failures:
            for i in fail.issues:
                hint = f'<br><span class="muted">hint: {e(i.hint)}</span>' if i.hint else ""
                body.append(f"<li><code>{e(fail.file)}:{i.line}:{i.column}</code>: {e(i.message)}{hint}</li>")
        body.append("</ul>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>kubefleet fleet report '
            f"({report.as_of})</title><style>{PAGE_CSS}{_FLEET_CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")


# ----------------------------------------------------------------------------- stacks


def stacks_json(backend: str, matches: Sequence[StackMatch]) -> str:
    from kubefleet.redact import mask_url

    return dumps(list_document("FleetStackList", [m.as_dict() for m in matches], backend=mask_url(backend)))

"""Machine and finance formats of a comparison: JSON, CSV, Markdown and one self-contained HTML file."""

from __future__ import annotations

import csv
import html
import io
from decimal import Decimal

from kubefleet.compare import Comparison, fmt_interval, node_range
from kubefleet.cost.model import CATEGORIES, MONTHS_PER_YEAR, currency_prefix, fmt_money, fmt_qty, money
from kubefleet.report.contract import dumps, list_document

PROVIDER_LABELS = {"gke": "GKE", "eks": "EKS", "aks": "AKS", "kubeadm": "kubeadm (vSphere)"}
CATEGORY_COLORS = {
    "control-plane": "#4e79a7",
    "nodes": "#59a14f",
    "storage": "#edc948",
    "network": "#f28e2b",
    "logging": "#76b7b2",
    "mesh": "#b07aa1",
    "support": "#e15759",
}


def label(provider: str) -> str:
    return PROVIDER_LABELS.get(provider, provider)


def to_json(items: list[Comparison], kind: str = "ComparisonList") -> str:
    """``compare`` (ComparisonList) / ``cost`` (CostList): one item per cluster, also for one
    (schemas/comparison.schema.json)."""
    return dumps(list_document(kind, [c.as_json() for c in items]))


#: ``compare``/``cost --output csv`` columns (docs/fleet.md, "CSV columns"). Each provider is an
#: alternative, so filter on ``provider`` before adding up; within a provider SUM(monthly_usd) over the
#: ``component`` rows equals its total, because ``total`` rows carry their amounts in ``total_*`` columns.
COMPARE_CSV_COLUMNS = ["row_kind", "cluster", "provider", "category", "item", "unit", "quantity", "unit_price_usd",
                       "monthly_usd", "monthly_max_usd", "total_monthly_usd", "total_monthly_max_usd", "estimate",
                       "bound", "source", "as_of", "data_as_of", "note", "low_usd", "high_usd", "yearly_usd"]


def csv_header(currency: str) -> list[str]:
    """The CSV columns with amounts in ``currency`` (``monthly_eur``…); USD keeps the documented names."""
    suffix = "_" + currency.lower()
    return [c[:-4] + suffix if c.endswith("_usd") else c for c in COMPARE_CSV_COLUMNS]


def to_csv(items: list[Comparison]) -> str:
    """row_kind ``component`` (one priced line), ``unpriced`` (a declared item with no price: no amount),
    ``total`` (per provider; amounts only in total_*), ``error`` (a provider that could not be priced),
    ``exchange-rate`` (``--currency``: the rate, its date and source; amounts are converted per line).
    With ``--currency`` the *_usd columns are named for the currency (monthly_eur, …)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    currency = items[0].currency if items else "USD"
    w.writerow(csv_header(currency))
    blank = dict.fromkeys(COMPARE_CSV_COLUMNS, "")
    fx = items[0].fx if items else None
    if fx is not None:
        w.writerow(list({**blank, "row_kind": "exchange-rate", "item": f"USD to {fx.currency}",
                         "unit": f"{fx.currency} per USD", "unit_price_usd": fx.per_usd, "source": fx.source.url,
                         "as_of": fx.source.read.isoformat(), "data_as_of": fx.day.isoformat(),
                         "note": fx.describe()}.values()))
    for cmp in items:
        for p, r in cmp.results.items():
            b = r.breakdown
            base = {**blank, "cluster": cmp.cluster, "provider": p}
            if b is None:
                w.writerow(list({**base, "row_kind": "error", "item": r.error or ""}.values()))
                continue
            for c in b.components:
                w.writerow(list({**base, "row_kind": "component", "category": c.category, "item": c.name,
                                 "unit": c.unit, "quantity": c.quantity, "unit_price_usd": c.unit_price_shown,
                                 "monthly_usd": c.monthly, "monthly_max_usd": c.monthly_max,
                                 "estimate": "yes" if c.estimate else "", "bound": c.bound or "",
                                 "source": c.source_url, "as_of": c.as_of.isoformat(),
                                 "data_as_of": c.data_as_of.isoformat() if c.data_as_of else "unknown",
                                 "note": c.note or "", "low_usd": c.monthly_low, "high_usd": c.monthly_high,
                                 "yearly_usd": money(c.monthly * MONTHS_PER_YEAR)}.values()))
            for u in b.unpriced:
                w.writerow(list({**base, "row_kind": "unpriced", "item": u.resource,
                                 "note": u.reason + (f"; to price it: {u.how}" if u.how else ""),
                                 "low_usd": money(u.low),
                                 "high_usd": "" if u.high is None else money(u.high)}.values()))
            high = b.monthly_high
            note = "; ".join(x for x in ("cheapest" if cmp.cheapest == p else "",
                                         f"lower bound: {len(b.unpriced)} unpriced" if b.unpriced else "",
                                         "estimate-only rates" if b.estimate_only else "") if x)
            item = "monthly total" + ("" if cmp.assumptions.pricing is None else f" ({cmp.assumptions.pricing_label})")
            w.writerow(list({**base, "row_kind": "total", "item": item, "unit": f"{cmp.currency}/month",
                             "total_monthly_usd": b.monthly_total, "total_monthly_max_usd": b.monthly_max,
                             "as_of": cmp.as_of.isoformat(),
                             "data_as_of": b.data_as_of.isoformat() if b.data_as_of else "unknown",
                             "note": note, "low_usd": b.monthly_low, "high_usd": "" if high is None else high,
                             "yearly_usd": b.yearly_total}.values()))
    return buf.getvalue()


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(items: list[Comparison]) -> str:
    out: list[str] = []
    for cmp in items:
        providers = list(cmp.results)
        out.append(f"## {cmp.cluster}: monthly cost by provider ({cmp.currency}{cmp.assumptions.pricing_suffix}, as of "
                   f"{cmp.as_of})\n")
        out.append(f"Prices read on or after {cmp.catalog_as_of or '—'}; published/generated on or after "
                   f"{cmp.data_as_of or 'an unknown date'} (oldest dated source).\n")
        if cmp.fx is not None:
            out.append(f"Currency {cmp.currency}: {md_cell(cmp.fx.describe())}.\n")
        out.append("| category | " + " | ".join(label(p) for p in providers) + " |")
        out.append("|---|" + "---:|" * len(providers))
        for cat in CATEGORIES:
            cells = []
            for p in providers:
                b = cmp.results[p].breakdown
                cells.append(fmt_money(b.by_category()[cat]) if b else "—")
            out.append(f"| {cat} | " + " | ".join(cells) + " |")
        totals = []
        for p in providers:
            b = cmp.results[p].breakdown
            if b is None:
                totals.append("not priced")
                continue
            cell = f"**{fmt_money(b.monthly_total)}**"
            if b.monthly_max != b.monthly_total:
                cell += f" (up to {fmt_money(b.monthly_max)})"
            if b.unpriced:
                cell += f" + {len(b.unpriced)} unpriced"
            if cmp.cheapest == p:
                cell += " ✅ cheapest"
            totals.append(cell)
        out.append("| **monthly total** | " + " | ".join(totals) + " |")
        out.append("| range (ranked on) | " + " | ".join(
            md_cell(fmt_interval(b.monthly_low, b.monthly_high)) if (b := cmp.results[p].breakdown) else "—"
            for p in providers) + " |")
        out.append(f"| worker nodes (spec {node_range(*cmp.spec_nodes)}) | "
                   + " | ".join(cmp.nodes_cell(p) for p in providers) + " |")
        out.append("| yearly | " + " | ".join(
            fmt_money(cmp.results[p].breakdown.monthly_total * MONTHS_PER_YEAR) if cmp.results[p].breakdown else "—"  # type: ignore[union-attr]
            for p in providers) + " |\n")
        out.append("### Node pools\n")
        out.append("| provider | pool | instance | why |")
        out.append("|---|---|---|---|")
        for p in providers:
            for pool, c in cmp.results[p].instances.items():
                out.append(f"| {label(p)} | {pool} | `{c.name}` | {md_cell(c.reason)} |")
        out.append("")
        if cmp.features:
            out.append("### Features\n")
            out.append("| feature | " + " | ".join(label(p) for p in providers) + " |")
            out.append("|---|" + "---|" * len(providers))
            for row in cmp.features:
                out.append(f"| {md_cell(row.label)} | " + " | ".join(
                    md_cell(row.values[p][0]) if p in row.values else "—" for p in providers) + " |")
            out.append("")
        notes = [(p, n) for p in providers for n in cmp.results[p].parity if n.status != "native"]
        if notes:
            out.append("### Parity: what each provider emulates or lacks\n")
            out.append("| provider | field | status | how / why |")
            out.append("|---|---|---|---|")
            for p, n in notes:
                out.append(f"| {label(p)} | `{n.field}` | {n.status} | {md_cell(n.detail)} |")
            out.append("")
        errors = [(p, r.error) for p, r in cmp.results.items() if r.error]
        unpriced = [(p, u) for p in providers if cmp.results[p].breakdown for u in cmp.results[p].breakdown.unpriced]  # type: ignore[union-attr]
        if unpriced or errors:
            out.append("### Not priced\n")
            for p, err in errors:
                out.append(f"- {label(p)}: {md_cell(err or '')}")
            for p, u in unpriced:
                out.append(f"- {label(p)}: `{u.resource}` — {md_cell(u.reason)}"
                           + (f" (to price it: {md_cell(u.how)})" if u.how else ""))
            out.append("")
        out.append(f"Cheapest rests on: {md_cell(cmp.ranking_basis)}.\n")
        for w in cmp.warnings:
            out.append(f"> ⚠️ {md_cell(w)}")
        sources = sorted({c.source_url for b in cmp.priced.values() for c in b.components})
        out.append("\n<details><summary>Sources</summary>\n")
        out.extend(f"- {s}" for s in sources)
        out.append("\n</details>\n")
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------------- HTML


def _bar_chart(cmp: Comparison) -> str:
    """A stacked bar chart of monthly cost by category per provider, as inline SVG (no scripts, no network)."""
    priced = cmp.priced
    if not priced:
        return "<p>No provider could be priced.</p>"
    width, height, left, top, bottom = 720, 320, 70, 20, 50
    plot_h = height - top - bottom
    biggest = max((b.monthly_total for b in priced.values()), default=Decimal(1)) or Decimal(1)
    step = (width - left - 20) / max(1, len(cmp.results))
    bar_w = step * 0.55
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img" '
             f'aria-label="Monthly cost by category per provider" font-family="system-ui, sans-serif" font-size="12">']
    for i in range(5):
        value = biggest * Decimal(i) / Decimal(4)
        y = top + plot_h - float(value / biggest) * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{html.escape(fmt_money(value))}</text>')
    for i, (p, r) in enumerate(cmp.results.items()):
        x = left + step * i + (step - bar_w) / 2
        y = float(top + plot_h)
        b = r.breakdown
        if b is not None:
            for cat, value in b.by_category().items():
                if value <= 0:
                    continue
                h = float(value / biggest) * plot_h
                y -= h
                parts.append(
                    f'<rect class="seg" data-provider="{p}" data-category="{cat}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{CATEGORY_COLORS[cat]}">'
                    f"<title>{html.escape(label(p))} {cat}: {html.escape(fmt_money(value))}</title></rect>"
                )
            total = fmt_money(b.monthly_total) + (" ✓" if cmp.cheapest == p else "")
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-weight="bold">'
                         f"{html.escape(total)}</text>")
        else:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" fill="#a00">not priced</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{html.escape(label(p))}</text>')
    lx = left
    for cat in CATEGORIES:
        parts.append(f'<rect x="{lx}" y="{height + 5}" width="12" height="12" fill="{CATEGORY_COLORS[cat]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{height + 15}">{cat}</text>')
        lx += 105
    parts.append("</svg>")
    return "".join(parts)


PAGE_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}th{background:#f3f3f3;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.cheapest{background:#e8f5e9;font-weight:bold}
.warn{background:#fff8e1;border-left:4px solid #f9a825;padding:.4rem .8rem}.muted{color:#666;font-size:.85rem}
"""


def to_html(items: list[Comparison]) -> str:
    """One self-contained page for finance: chart, tables, as-of date and sources. No scripts, no network."""
    e = html.escape
    body: list[str] = []
    for cmp in items:
        providers = list(cmp.results)
        body.append(f"<h1>kubefleet: {e(cmp.cluster)} — monthly cost by provider</h1>")
        if cmp.fx is not None:
            body.append(f'<p class="muted">Currency {e(cmp.currency)}: {e(cmp.fx.describe())}.</p>')
        body.append(f'<p class="muted">{"USD" if cmp.fx is None else cmp.currency + " (from USD)"} {e(cmp.assumptions.pricing_label)}; estimate for {cmp.as_of}; prices read on or after '
                    f"{cmp.catalog_as_of or '—'}, published/generated on or after {cmp.data_as_of or 'an unknown date'} "
                    f"(oldest dated source); {cmp.assumptions.hours_per_month} hours per month; "
                    "autoscaling pools priced at their minimum, the maximum shown as a range.</p>")
        body.append(f'<p class="muted">Cheapest rests on: {e(cmp.ranking_basis)}.</p>')
        body.extend(f'<p class="warn">{e(w)}</p>' for w in cmp.warnings)
        body.append(f'<figure id="chart-{e(cmp.cluster)}">{_bar_chart(cmp)}</figure>')
        body.append("<h2>By category</h2><table><tr><th>category</th>" +
                    "".join(f"<th>{e(label(p))}</th>" for p in providers) + "</tr>")
        for cat in CATEGORIES:
            body.append(f"<tr><td>{cat}</td>" + "".join(
                f'<td class="num">{e(fmt_money(cmp.results[p].breakdown.by_category()[cat]))}</td>'  # type: ignore[union-attr]
                if cmp.results[p].breakdown else "<td>—</td>" for p in providers) + "</tr>")
        row = []
        for p in providers:
            b = cmp.results[p].breakdown
            cls = ' class="num cheapest"' if cmp.cheapest == p else ' class="num"'
            row.append(f"<td{cls}>{e(fmt_money(b.monthly_total))}</td>" if b else "<td>not priced</td>")
        body.append("<tr><th>monthly total</th>" + "".join(row) + "</tr>")
        body.append("<tr><th>range (ranked on)</th>" + "".join(
            f'<td class="num">{e(fmt_interval(b.monthly_low, b.monthly_high))}</td>'
            if (b := cmp.results[p].breakdown) else "<td>—</td>" for p in providers) + "</tr>")
        body.append("<tr><th>at autoscaling max</th>" + "".join(
            f'<td class="num">{e(fmt_money(cmp.results[p].breakdown.monthly_max))}</td>'  # type: ignore[union-attr]
            if cmp.results[p].breakdown else "<td>—</td>" for p in providers) + "</tr>")
        body.append("<tr><th>unpriced items</th>" + "".join(
            f'<td class="num">{len(cmp.results[p].breakdown.unpriced)}</td>'  # type: ignore[union-attr]
            if cmp.results[p].breakdown else "<td>—</td>" for p in providers) + "</tr>")
        body.append(f"<tr><th>worker nodes (spec {node_range(*cmp.spec_nodes)})</th>" + "".join(
            f'<td class="num">{e(cmp.nodes_cell(p))}</td>' for p in providers) + "</tr>")
        body.append("<tr><th>yearly</th>" + "".join(
            f'<td class="num">{e(fmt_money(cmp.results[p].breakdown.yearly_total))}</td>'  # type: ignore[union-attr]
            if cmp.results[p].breakdown else "<td>—</td>" for p in providers) + "</tr></table>")
        body.append("<h2>Line items</h2><table><tr><th>provider</th><th>category</th><th>item</th><th>quantity</th>"
                    "<th>unit price</th><th>monthly</th><th>source</th></tr>")
        for p in providers:
            b = cmp.results[p].breakdown
            if b is None:
                continue
            for c in b.components:
                body.append(
                    f"<tr><td>{e(label(p))}</td><td>{c.category}</td><td>{e(c.name)}"
                    f"{'<br><span class=muted>' + e(c.note) + '</span>' if c.note else ''}</td>"
                    f'<td class="num">{e(fmt_qty(c.quantity))} {e(c.unit)}</td>'
                    f'<td class="num">{e(currency_prefix())}{e(str(c.unit_price_shown))}</td><td class="num">{e(fmt_money(c.monthly))}'
                    f"{' (up to ' + e(fmt_money(c.monthly_max)) + ')' if c.monthly_max != c.monthly else ''}"
                    f"{' <span class=muted>upper bound</span>' if c.bound == 'upper' else ''}</td>"
                    f'<td><a href="{e(c.source_url)}">source</a> (read {c.as_of}; data '
                    f"{c.data_as_of or 'date unknown'})</td></tr>"
                )
            for u in b.unpriced:
                body.append(f"<tr><td>{e(label(p))}</td><td>unpriced</td><td colspan=5>{e(u.resource)}: {e(u.reason)}"
                            f"{' (to price it: ' + e(u.how) + ')' if u.how else ''}</td></tr>")
        body.append("</table>")
        if cmp.features:
            body.append("<h2>Features</h2><table><tr><th>feature</th>" +
                        "".join(f"<th>{e(label(p))}</th>" for p in providers) + "</tr>")
            for frow in cmp.features:
                body.append(f"<tr><td>{e(frow.label)}</td>" + "".join(
                    f'<td>{e(frow.values[p][0])} <a class="muted" href="{e(frow.values[p][1])}">src</a></td>'
                    if p in frow.values else "<td>—</td>" for p in providers) + "</tr>")
            body.append("</table>")
        notes = [(p, n) for p in providers for n in cmp.results[p].parity if n.status != "native"]
        if notes:
            body.append("<h2>Parity: emulated or unsupported</h2><table><tr><th>provider</th><th>field</th>"
                        "<th>status</th><th>how / why</th></tr>")
            body.extend(f"<tr><td>{e(label(p))}</td><td><code>{e(n.field)}</code></td><td>{n.status}</td>"
                        f"<td>{e(n.detail)}</td></tr>" for p, n in notes)
            body.append("</table>")
        sources = sorted({c.source_url for b in cmp.priced.values() for c in b.components})
        body.append("<h2>Sources</h2><ul>" + "".join(f'<li><a href="{e(s)}">{e(s)}</a></li>' for s in sources) + "</ul>")
    title = ", ".join(c.cluster for c in items)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>kubefleet cost comparison: {e(title)}'
            f"</title><style>{PAGE_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")

"""The pull-request comment: what a change does to each cluster on each provider, as Markdown.

Deterministic (sorted, no timestamps) so a bot can compare and update ONE sticky comment, found by the
hidden marker on its first line. Replacements and deletions are called out (⚠️), drift is called out,
secrets are ``[secret]`` (masked again here, whatever the caller passed; links are masked by structure).

Laid out as Infracost lays out its pull-request comment (infracost/infracost@95ba4f49a7abf5567b04f751a115543281a4ab18:
internal/output/templates/markdown-html.tmpl): the cost-change sentence first (:68), then one summary row per
changed project with its change and new monthly cost (:55-65, :70-113; ours: one row per cluster × provider
with before, after, change and %, the percentage rounded to a whole number and left out when either side is
zero, as formatPercentChange does, internal/output/diff.go:502-515), the per-resource estimate in a collapsed
details section (:121-130), and which policy failed with its details (:132-147; ours: the ``--fail-on``
condition that tripped, with the numbers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final

from kubefleet.changes.diff import ClusterNotes, changes_version
from kubefleet.changes.model import ClusterChanges, InputChange, ResourceChange, cents
from kubefleet.cost.model import CATEGORIES, fmt_money
from kubefleet.redact import SECRET, is_secret_name, mask, mask_url

if TYPE_CHECKING:
    from kubefleet.changes.drift import DriftReport
    from kubefleet.changes.upgrades import UpgradeNote

MARKER: Final = "<!-- kubefleet:pr-comment -->"
MAX_VALUE_CHARS: Final = 80
MAX_INPUTS_SHOWN: Final = 12
#: GitHub refuses an issue comment longer than 65,536 characters ("Body is too long (maximum is 65536
#: characters)", the REST API's 422 quoted in peter-evans/create-or-update-comment PR #182 and
#: googleapis/release-please issue #1034). The per-cluster details are what gets cut, never the headline,
#: the warnings, the policy findings or the footer.
GITHUB_COMMENT_LIMIT: Final = 65536


@dataclass(frozen=True)
class FailOn:
    """``--fail-on`` as the comment shows it: the conditions asked for and those met, each (condition, why)."""

    asked: tuple[str, ...]
    tripped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Link:
    """A link under the headline (the workflow run, the HTML report artifact); the URL is masked by
    structure (userinfo, query values and fragment: kubefleet.redact.mask_url) before it is shown."""

    label: str
    url: str


@dataclass(frozen=True)
class PolicySplit:
    """Policy findings of the head split by whether the base already had them (Markdown tables)."""

    new_md: str
    base_md: str
    new_count: int
    base_count: int
    new_mandatory: int


def _key(change: ResourceChange) -> str:
    return f"{change.type}::{change.name}"

_DISPLAY: Final[dict[str, str]] = {"gke": "GKE", "eks": "EKS", "aks": "AKS", "kubeadm": "kubeadm (vSphere)"}
_PROVIDER_ORDER: Final[dict[str, int]] = {"gke": 0, "eks": 1, "aks": 2, "kubeadm": 3}
_SYMBOL: Final[dict[str, str]] = {"create": "➕", "update": "✏️", "replace": "⚠️ ♻️", "delete": "⚠️ ➖", "same": "·"}
_WORD: Final[dict[str, str]] = {"create": "created", "update": "changed", "replace": "replaced", "delete": "deleted"}


def provider_display(provider: str) -> str:
    return _DISPLAY.get(provider, provider)


def summary_line(item: ClusterChanges) -> str:
    """``EKS: 2 changed, 1 replaced, +$412.80/month`` (the cluster name is added by the caller)."""
    counts = item.counts
    parts = [f"{counts[op]} {_WORD[op]}" for op in ("create", "update", "replace", "delete") if counts[op]]
    if not parts:
        parts = ["no changes"]
    if item.drifted:
        parts.append(f"{len(item.drifted)} drifted")
    if item.delta is not None:
        parts.append(f"{fmt_money(item.delta, sign=True)}/month")
    elif item.monthly_after is not None:
        parts.append(f"{fmt_money(item.monthly_after)}/month after")
    return f"{provider_display(item.provider)}: " + ", ".join(parts)


def _code(text: str) -> str:
    """Inline code that survives tables: no backticks, pipes escaped, newlines flattened."""
    flat = " ".join(text.replace("`", "'").split())
    return "`" + flat.replace("|", "\\|") + "`"


def _value(value: Any, path: str) -> str:
    if value is None:
        return "_(none)_"
    value = mask(value, path)
    if value == SECRET:
        return _code(SECRET)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                           separators=(",", ":"))
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return _code(text)


def _input_line(change: InputChange) -> str:
    if change.uncertain:
        return f"{_code(change.path)}: {_code(SECRET)} (may have changed)"
    if is_secret_name(change.path) or change.secret:
        return f"{_code(change.path)}: {_code(SECRET)} (changed)"
    return f"{_code(change.path)}: {_value(change.old, change.path)} → {_value(change.new, change.path)}"


def _inputs_cell(change: ResourceChange) -> str:
    if not change.inputs:
        return ""
    inputs = sorted(change.inputs, key=lambda i: i.path)
    lines = [_input_line(i) for i in inputs[:MAX_INPUTS_SHOWN]]
    if len(change.inputs) > MAX_INPUTS_SHOWN:
        lines.append(f"… and {len(change.inputs) - MAX_INPUTS_SHOWN} more")
    return "<br>".join(lines)


def _resource(change: ResourceChange) -> str:
    return f"{_code(change.name)} ({_code(change.type)})"


def _ordered(items: list[ClusterChanges]) -> list[ClusterChanges]:
    return sorted(items, key=lambda c: (c.cluster, _PROVIDER_ORDER.get(c.provider, 99), c.provider))


def _why(change: ResourceChange, notes: ClusterNotes) -> list[str]:
    """Replacement cause, node roll and deletion protection of one resource (Markdown fragments)."""
    out = []
    forced = notes.forced_by.get(_key(change))
    if change.op == "replace" and forced:
        out.append("replaced because " + ", ".join(_code(p) for p in forced) + " cannot change in place")
    rolls = notes.rolls.get(_key(change))
    if rolls:
        how = "" if rolls == ("replace",) else " (" + ", ".join(_code(p) for p in rolls) + ")"
        out.append(f"🔄 **rolls every node**{how}")
    protected = notes.protected.get(_key(change))
    if protected:
        out.append(f"🔒 deletion protection on ({protected}): the delete step will fail")
    at_apply = notes.at_apply.get(_key(change))
    if at_apply:
        out.append(f"ℹ️ {md_text(at_apply, limit=400)}")
    return out


def _money_mark(value: Decimal | None, unpriced: int) -> str:
    if value is None:
        return "unknown"
    return ("≥ " if unpriced else "") + fmt_money(value)


def _details(item: ClusterChanges, notes: ClusterNotes) -> list[str]:
    changed = [c for c in item.sorted() if c.op != "same" or c.drift]
    unchanged = sum(1 for c in item.changes if c.op == "same" and not c.drift)
    title = f"{item.cluster} · {summary_line(item)}"
    out = ["<details>", f"<summary>{_html(title)}</summary>", ""]
    out += [f"❌ **Refused by {'kubefleet' if text in notes.kubefleet_refused else 'the cloud'}**: "
            f"{md_text(text, limit=600)}  " for text in notes.refused]
    if notes.refused:
        out.append("")
    if item.monthly_before is not None or item.monthly_after is not None:
        before = _money_mark(item.monthly_before, notes.unpriced_before)
        after = _money_mark(item.monthly_after, notes.unpriced_after)
        delta = f" ({fmt_money(item.delta, sign=True)})" if item.delta is not None else ""
        out += [f"Monthly estimate: {before} → {after}{delta}", ""]
        if notes.unpriced_before or notes.unpriced_after:
            out += [f"Unpriced items: {notes.unpriced_before} before, {notes.unpriced_after} after "
                    "(`kubefleet cost` lists them); ≥ marks a lower bound.", ""]
    priced = bool(notes.resources_before or notes.resources_after)
    if changed:
        out += ["| | Resource | Monthly | Changes |", "|---|---|---:|---|"] if priced else \
            ["| | Resource | Changes |", "|---|---|---|"]
        for change in changed:
            symbol = _SYMBOL[change.op] + (" 🌀" if change.drift else "")
            op: str = change.op
            cloud_refused = len(notes.refused) > len(notes.kubefleet_refused)
            if (cloud_refused and changes_version(change)) or any(i.path in notes.refused_inputs
                                                                   for i in change.inputs):  # not a routine update
                symbol, op = "❌", f"{change.op} **refused** (see Upgrades)"
            cell = "<br>".join(x for x in [*_why(change, notes), _inputs_cell(change)] if x)
            money = f" {_resource_money(change, notes)} |" if priced else ""
            out.append(f"| {symbol} {op} | {_resource(change)} |{money} {cell} |")
        out.append("")
        if priced:
            out += _other_money(item, notes)
    else:
        out += ["No resource changes.", ""]
    if unchanged:
        out += [f"{unchanged} resource{'s' if unchanged != 1 else ''} unchanged.", ""]
    out += ["</details>", ""]
    return out


def _resource_money(change: ResourceChange, notes: ClusterNotes) -> str:
    """A resource's monthly cost before → after (the sum of its priced lines); "—" for a resource no line
    prices (free, or unpriced: the cluster's unpriced count says how many)."""
    key = _key(change)
    before, after = notes.resources_before.get(key), notes.resources_after.get(key)
    if before is None and after is None:
        return "—"
    if change.op == "create" or before is None:
        return f"+{fmt_money(after or Decimal(0))}"
    if change.op == "delete" or after is None:
        return fmt_money(-before, sign=True)
    if cents(before) == cents(after):
        return fmt_money(after)
    return f"{fmt_money(before)} → {fmt_money(after)} ({fmt_money(after - before, sign=True)})"


def _other_money(item: ClusterChanges, notes: ClusterNotes) -> list[str]:
    """Priced resources whose monthly cost moves although the resource itself does not change (a NAT gateway
    billed per node VM when a pool grows): named, so the per-resource amounts add up to the cluster's delta."""
    shown = {_key(c) for c in item.changes if c.op != "same" or c.drift}
    moved = []
    for key in sorted(set(notes.resources_before) | set(notes.resources_after)):
        before, after = notes.resources_before.get(key, Decimal(0)), notes.resources_after.get(key, Decimal(0))
        if key not in shown and cents(before) != cents(after):
            kind, _, name = key.partition("::")
            moved.append(f"- {_code(name)} ({_code(kind)}): {fmt_money(before)} → {fmt_money(after)} "
                         f"({fmt_money(after - before, sign=True)})")
    if not moved:
        return []
    return ["Cost that moves on resources not listed above:", "", *moved, ""]


def _drift_cost(report: DriftReport) -> list[str]:
    delta = report.monthly_delta
    if delta is None or report.monthly_cloud is None or report.monthly_spec is None:
        return ["> - monthly cost of the drift: not priced (a drifted value is secret or cannot be placed)"]
    if delta == 0:
        return [f"> - monthly cost of the drift: none ({fmt_money(report.monthly_spec)}/month either way)"]
    return [f"> - monthly cost of the drift: **{fmt_money(delta, sign=True)}/month** while it lasts "
            f"(the cloud as it runs now {fmt_money(report.monthly_cloud)}/month, the spec "
            f"{fmt_money(report.monthly_spec)}/month)"]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_SPECIAL: Final = "\\\\`*_[]|~"  # what can start a link, emphasis, code or a table cell mid-line
MAX_TITLE_CHARS: Final = 200


def md_text(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Free text (a --title) as inert Markdown: one line, HTML escaped, Markdown punctuation
    backslash-escaped (CommonMark: any ASCII punctuation may be), ``@`` kept from mentioning anyone."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    out = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in _html(flat))
    return out.replace("@", "@\u200b")



def _pct(before: Decimal, after: Decimal) -> str:
    if before == 0:
        return "new spend" if after else "0 %"
    pct = ((after - before) * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{'+' if pct >= 0 else ''}{pct} %"


def headline(items: Sequence[ClusterChanges], notes: Mapping[tuple[str, str], ClusterNotes]) -> list[str]:
    """One line across every cluster and file: the monthly delta with its percentage, the new total,
    the per-category deltas, and a lower-bound mark where items are unpriced."""
    known = [i for i in items if i.monthly_before is not None and i.monthly_after is not None]
    if not known:
        return []
    before = sum((cents(i.monthly_before or Decimal(0)) for i in known), Decimal(0))
    after = sum((cents(i.monthly_after or Decimal(0)) for i in known), Decimal(0))
    unpriced_before = sum(notes[(i.cluster, i.provider)].unpriced_before for i in known if (i.cluster, i.provider) in notes)
    unpriced_after = sum(notes[(i.cluster, i.provider)].unpriced_after for i in known if (i.cluster, i.provider) in notes)
    delta = after - before
    bound = "≥ " if unpriced_after else ""
    if delta > 0:
        head = f"Monthly cost will increase by {fmt_money(delta)} ({_pct(before, after)})"
    elif delta < 0:
        head = f"Monthly cost will decrease by {fmt_money(-delta)} ({_pct(before, after)})"
    else:
        head = "Monthly cost will not change"
    out = [f"**{head}** · new monthly total **{bound}{fmt_money(after)}** (was {_money_mark(before, unpriced_before)})"]
    by_cat: dict[str, Decimal] = dict.fromkeys(CATEGORIES, Decimal(0))
    for i in known:
        n = notes.get((i.cluster, i.provider))
        if n is None:
            continue
        for cat in CATEGORIES:
            by_cat[cat] += cents(n.categories_after.get(cat, Decimal(0))) - cents(n.categories_before.get(cat, Decimal(0)))
    moved = [f"{cat} {fmt_money(v, sign=True)}" for cat, v in by_cat.items() if v]
    if moved:
        out.append("By category: " + " · ".join(moved))
    if unpriced_after or unpriced_before:
        out.append(f"≥ lower bound: {unpriced_after} item(s) unpriced after the change, {unpriced_before} before — "
                   "not counted in these totals (`kubefleet cost` lists them)")
    return ["  \n".join(out), ""]


#: Rows of the per-cluster cost table; the rest are counted (the bullet list and `--output json` have them all).
MAX_TABLE_ROWS: Final = 60


def _whole_pct(before: Decimal | None, after: Decimal | None) -> str:
    """The change in whole percent, as Infracost's formatPercentChange (blank when either side is zero or
    unknown: no percentage of nothing)."""
    if not before or not after:
        return "—"
    pct = ((after / before - 1) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{'+' if pct > 0 else ''}{pct}%"


def cost_table(items: Sequence[ClusterChanges], notes: Mapping[tuple[str, str], ClusterNotes]) -> list[str]:
    """One row per cluster × provider: before, after, change and %; ≥ marks a lower bound (unpriced items)."""
    if not any(i.monthly_before is not None or i.monthly_after is not None for i in items):
        return []  # nothing priced (an engine preview without prices): no table of unknowns
    none = ClusterNotes()
    out = ["| Cluster | Provider | Before | After | Change | % |", "|---|---|---:|---:|---:|---:|"]
    for item in items[:MAX_TABLE_ROWS]:
        n = notes.get((item.cluster, item.provider), none)
        change = fmt_money(item.delta, sign=True) if item.delta is not None else "unknown"
        out.append(f"| {md_text(item.cluster, limit=80)} | {provider_display(item.provider)} | "
                   f"{_money_mark(item.monthly_before, n.unpriced_before)} | "
                   f"{_money_mark(item.monthly_after, n.unpriced_after)} | {change} | "
                   f"{_whole_pct(item.monthly_before, item.monthly_after)} |")
    if len(items) > MAX_TABLE_ROWS:
        out.append(f"| _…and {len(items) - MAX_TABLE_ROWS} more (listed below)_ | | | | | |")
    return [*out, ""]


def _fail_on_section(fail_on: FailOn | None) -> list[str]:
    """Which ``--fail-on`` condition tripped and why (the numbers), or that none did."""
    if fail_on is None or not fail_on.asked:
        return []
    asked = _code(",".join(fail_on.asked))
    if not fail_on.tripped:
        return [f"✅ **--fail-on** {asked}: no condition met.", ""]
    out = ["> [!CAUTION]", f"> ❌ **This check fails: --fail-on {asked} tripped** "
           f"({len(fail_on.tripped)} condition{'s' if len(fail_on.tripped) != 1 else ''}):"]
    out += [f"> - {_code(rule)}: {md_text(why, limit=400)}" for rule, why in fail_on.tripped]
    return [*out, ""]


def _link(link: Link) -> str:
    """``[label](<url>)`` with the URL masked and percent-escaped where Markdown would end the link."""
    url = mask_url(link.url)
    url = "".join(ch if ch.isascii() and ch.isprintable() and ch not in ' <>"`\\' else
                  "".join(f"%{b:02X}" for b in ch.encode()) for ch in url)
    return f"[{md_text(link.label, limit=80)}](<{url}>)"


def _upgrades_section(notes: Sequence[UpgradeNote], horizon_days: int) -> list[str]:
    """Refused version moves first (with the chain and the provider's rule), then the support cliffs within
    the horizon; nothing when there is neither."""
    if not notes:
        return []
    ranked = sorted(notes, key=lambda n: (n.kind != "refused", n.cluster, _PROVIDER_ORDER.get(n.provider, 99), n.provider))
    refused = [n for n in ranked if n.kind == "refused"]
    out = ["### Upgrades", ""]
    ours = [n for n in refused if n.inputs]  # refused by kubefleet (a kubeadm re-address), not by the cloud
    refused = [n for n in refused if not n.inputs]
    if refused:
        out += ["> [!CAUTION]", f"> ❌ **{len(refused)} Kubernetes version change(s) the cloud will refuse** — "
                "the apply would fail at the control plane:"]
        for n in refused[:MAX_UPGRADE_LINES]:
            out.append(f"> - **{n.cluster}** · {provider_display(n.provider)}: {md_text(n.text, limit=600)} "
                       f"(rule: {_code(n.rule)})")
        out += _more(len(refused), "> ")
        out.append("")
    if ours:
        out += ["> [!CAUTION]", f"> ❌ **{len(ours)} change(s) kubefleet refuses** — this check fails:"]
        for n in ours[:MAX_UPGRADE_LINES]:
            # only the kubeadm re-address is also checked by `up`, against the live Cluster
            # (kubefleet.engine.management.refuse_readdress); the other refusals are the offline check's alone
            live = " — `kubefleet up` stops before touching the cluster" if n.provider == "kubeadm" else ""
            out.append(f"> - **{n.cluster}** · {provider_display(n.provider)}: {md_text(n.text, limit=600)} "
                       f"(rule: {_code(n.rule)}){live}")
        out += _more(len(ours), "> ")
        out.append("")
    support = [n for n in ranked if n.kind != "refused"]
    if support:
        out += [f"Pinned Kubernetes minors past, or leaving, standard support within {horizon_days} days:", ""]
        for n in support[:MAX_UPGRADE_LINES]:
            mark = "💸 " if n.monthly_extra else "⏳ "
            out.append(f"- {mark}**{n.cluster}** · {provider_display(n.provider)}: {md_text(n.text, limit=600)} "
                       f"(rule: {_code(n.rule)}" + (f"; fee: {_code(n.fee_source)}" if n.fee_source else "") + ")")
        out += _more(len(support), "")
        out.append("")
    return out


#: Upgrade lines shown per kind: the section is never cut for size, so it is bounded itself (about 40 × 700
#: characters stays well under GitHub's comment limit); the rest are counted and listed by `--output json`.
MAX_UPGRADE_LINES: Final = 40


def _more(count: int, prefix: str) -> list[str]:
    if count <= MAX_UPGRADE_LINES:
        return []
    return [f"{prefix}- _…and {count - MAX_UPGRADE_LINES} more: `kubefleet diff --output json` lists them all_"]


def _policy_section(policy: PolicySplit) -> list[str]:
    out = ["### Policy", ""]
    if not policy.new_count and not policy.base_count:
        return [*out, "✅ No policy findings.", ""]
    flag = "❌ " if policy.new_mandatory else ("⚠️ " if policy.new_count else "✅ ")
    mandatory = f" ({policy.new_mandatory} mandatory)" if policy.new_mandatory else ""
    out += [f"{flag}{policy.new_count} new in this PR{mandatory} · {policy.base_count} already on base", ""]
    for label, count, md in (("New in this PR", policy.new_count, policy.new_md),
                             ("Already on base", policy.base_count, policy.base_md)):
        if count:
            out += ["<details>", f"<summary>{label} ({count})</summary>", "", md.strip(), "", "</details>", ""]
    return out


def render_pr_markdown(
    items: list[ClusterChanges],
    title: str,
    policy_findings_md: str | None = None,
    *,
    notes: Mapping[tuple[str, str], ClusterNotes] | None = None,
    policy: PolicySplit | None = None,
    commit: str | None = None,
    max_chars: int | None = None,
    note: str | None = None,
    upgrades: Sequence[UpgradeNote] = (),
    horizon_days: int = 90,
    fail_on: FailOn | None = None,
    links: Sequence[Link] = (),
) -> str:
    """The PR comment for ``items`` (one per cluster × provider). Same input, same bytes.

    ``notes`` (keyed by (cluster, provider)) add replacement causes, node rolls, deletion protection,
    unpriced marks and category deltas; ``policy`` splits findings into new / already on base;
    ``upgrades`` (kubefleet.changes.upgrades) fill the "Upgrades" section: version moves the cloud will refuse
    and pinned minors leaving support within ``horizon_days``; ``max_chars`` drops per-cluster details (last
    first) until the comment fits — never the Upgrades section. ``fail_on`` says which ``--fail-on``
    condition tripped and why; ``links`` (the workflow run, the HTML report) go under the headline."""
    notes = notes or {}
    ordered = _ordered(items)
    none = ClusterNotes()
    out = [MARKER, f"## {md_text(title)}", ""]
    out += headline(ordered, notes)
    out += cost_table(ordered, notes)
    out += _fail_on_section(fail_on)
    if links:
        out += [" · ".join(_link(link) for link in links), ""]
    if note:
        out += [" ".join(note.split()), ""]
    if not ordered:
        out += ["No clusters in this change.", ""]
    elif not any(i.has_changes or i.drifted for i in ordered):
        out += ["✅ **No changes**: the cluster specs in this pull request render to the same resources.", ""]
    for item in ordered:
        mine = notes.get((item.cluster, item.provider), none)
        refused = mine.refused
        flag = "❌ " if refused else ("⚠️ " if item.destructive else "")
        drift = " 🌀" if item.drifted else ""
        mark = (" · **version change refused by the cloud**" if len(refused) > len(mine.kubefleet_refused)
                else " · **change refused by kubefleet**" if refused else "")
        out.append(f"- {flag}**{item.cluster}** · {summary_line(item)}{drift}{mark}")
    out.append("")

    out += _upgrades_section(upgrades, horizon_days)

    destructive = [(i, c) for i in ordered for c in i.destructive]
    if destructive:
        out += ["> [!WARNING]", "> **Replacements and deletions** destroy cloud resources (and their data):"]
        for item, change in destructive:
            verb = "replaced" if change.op == "replace" else "deleted"
            why = _why(change, notes.get((item.cluster, item.provider), none))
            extra = (" — " + "; ".join(why)) if why else ""
            out.append(f"> - **{item.cluster}** · {provider_display(item.provider)}: {_resource(change)} is {verb}{extra}")
        out.append("")

    drifted = [(i, c) for i in ordered for c in i.drifted]
    if drifted:
        out += ["> [!NOTE]", "> 🌀 **Drift**: changed in the cloud outside the code (this change will put it back):"]
        explained: set[tuple[str, str]] = set()
        for item, change in drifted:
            report = notes.get((item.cluster, item.provider), none).drift
            if report is not None and report.terms:
                if (item.cluster, item.provider) in explained:
                    continue
                explained.add((item.cluster, item.provider))
                for term in report.terms:
                    out.append(f"> - **{item.cluster}** · {provider_display(item.provider)}: {md_text(term.line())}")
                out += _drift_cost(report)
                continue
            paths = ", ".join(_code(p) for p in sorted(i.path for i in change.inputs)[:5]) or "properties"
            out.append(f"> - **{item.cluster}** · {provider_display(item.provider)}: {_resource(change)}: {paths}")
        out.append("")

    details = [_details(item, notes.get((item.cluster, item.provider), none)) for item in ordered]

    tail: list[str] = []
    if policy is not None:
        tail += _policy_section(policy)
    elif policy_findings_md and policy_findings_md.strip():
        tail += ["### Policy", "", policy_findings_md.strip(), ""]
    footer = "<sub>generated by kubefleet"
    if commit:
        footer += f" for commit {_code(commit[:12])} · updated on each push"
    footer += " · secrets are shown as `[secret]`</sub>"
    tail.append(footer)

    def assemble(kept: int) -> str:
        body = list(out)
        for block in details[:kept]:
            body += block
        if kept < len(details):
            left = len(details) - kept
            body += [f"_…details of {left} cluster/provider pair(s) left out to stay under GitHub's "
                     f"{GITHUB_COMMENT_LIMIT:,}-character comment limit: run `kubefleet diff` locally "
                     "for all of them._", ""]
        return "\n".join(body + tail) + "\n"

    kept = len(details)
    text = assemble(kept)
    while max_chars is not None and len(text) > max_chars and kept > 0:
        kept -= 1
        text = assemble(kept)
    return text

"""The pull-request comment: what a change does to each cluster on each provider, as Markdown.

Deterministic (sorted, no timestamps) so a bot can compare and update ONE sticky comment, found by the
hidden marker on its first line. Replacements and deletions are called out (⚠️), drift is called out,
secrets are ``[secret]`` (masked again here, whatever the caller passed).
"""

from __future__ import annotations

import json
from typing import Any, Final

from kubefleet.changes import ClusterChanges, InputChange, ResourceChange
from kubefleet.costmodel import fmt_money
from kubefleet.engine.secrets import SECRET, is_secret_name, mask

MARKER: Final = "<!-- kubefleet:pr-comment -->"
MAX_VALUE_CHARS: Final = 80
MAX_INPUTS_SHOWN: Final = 12

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


def _details(item: ClusterChanges) -> list[str]:
    changed = [c for c in item.sorted() if c.op != "same" or c.drift]
    unchanged = sum(1 for c in item.changes if c.op == "same" and not c.drift)
    title = f"{item.cluster} · {summary_line(item)}"
    out = ["<details>", f"<summary>{_html(title)}</summary>", ""]
    if item.monthly_before is not None or item.monthly_after is not None:
        before = fmt_money(item.monthly_before) if item.monthly_before is not None else "unknown"
        after = fmt_money(item.monthly_after) if item.monthly_after is not None else "unknown"
        delta = f" ({fmt_money(item.delta, sign=True)})" if item.delta is not None else ""
        out += [f"Monthly estimate: {before} → {after}{delta}", ""]
    if changed:
        out += ["| | Resource | Changes |", "|---|---|---|"]
        for change in changed:
            symbol = _SYMBOL[change.op] + (" 🌀" if change.drift else "")
            out.append(f"| {symbol} {change.op} | {_resource(change)} | {_inputs_cell(change)} |")
        out.append("")
    else:
        out += ["No resource changes.", ""]
    if unchanged:
        out += [f"{unchanged} resource{'s' if unchanged != 1 else ''} unchanged.", ""]
    out += ["</details>", ""]
    return out


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


def render_pr_markdown(items: list[ClusterChanges], title: str, policy_findings_md: str | None = None) -> str:
    """The PR comment for ``items`` (one per cluster × provider). Same input, same bytes."""
    ordered = _ordered(items)
    out = [MARKER, f"## {md_text(title)}", ""]
    if not ordered:
        out += ["No clusters in this change.", ""]
    for item in ordered:
        flag = "⚠️ " if item.destructive else ""
        drift = " 🌀" if item.drifted else ""
        out.append(f"- {flag}**{item.cluster}** · {summary_line(item)}{drift}")
    out.append("")

    destructive = [(i, c) for i in ordered for c in i.destructive]
    if destructive:
        out += ["> [!WARNING]", "> **Replacements and deletions** destroy cloud resources (and their data):"]
        for item, change in destructive:
            verb = "replaced" if change.op == "replace" else "deleted"
            out.append(f"> - **{item.cluster}** · {provider_display(item.provider)}: {_resource(change)} is {verb}")
        out.append("")

    drifted = [(i, c) for i in ordered for c in i.drifted]
    if drifted:
        out += ["> [!NOTE]", "> 🌀 **Drift**: changed in the cloud outside the code (this change will put it back):"]
        for item, change in drifted:
            paths = ", ".join(_code(p) for p in sorted(i.path for i in change.inputs)[:5]) or "properties"
            out.append(f"> - **{item.cluster}** · {provider_display(item.provider)}: {_resource(change)}: {paths}")
        out.append("")

    for item in ordered:
        out += _details(item)

    if policy_findings_md and policy_findings_md.strip():
        out += ["### Policy", "", policy_findings_md.strip(), ""]

    out.append("<sub>generated by kubefleet · secrets are shown as `[secret]`</sub>")
    return "\n".join(out) + "\n"

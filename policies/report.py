"""Findings as Markdown (the PR comment of ``kubefleet diff`` includes it) and as plain rows."""

from __future__ import annotations

from collections.abc import Sequence

from kubefleet.policies.model import Finding

ICONS = {"mandatory": "❌", "advisory": "⚠️", "disabled": ""}


def _cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def summary(findings: Sequence[Finding]) -> str:
    mandatory = sum(1 for f in findings if f.mandatory)
    advisory = len(findings) - mandatory
    return f"{mandatory} mandatory violation(s), {advisory} advisory finding(s)"


def findings_markdown(findings: Sequence[Finding]) -> str:
    """A Markdown section: a summary line and one table row per finding, mandatory first."""
    lines = ["### Policy check", ""]
    if not findings:
        lines.append("✅ No policy findings.")
        return "\n".join(lines) + "\n"
    ordered = sorted(findings, key=Finding.sort_key)
    failed = any(f.mandatory for f in ordered)
    lines.append(("❌ " if failed else "⚠️ ") + summary(ordered) + ".")
    lines += ["", "| Level | Rule | Cluster | Provider | Finding | Hint |", "|---|---|---|---|---|---|"]
    for f in ordered:
        message = _cell(f.message) + (f" (`{_cell(f.resource)}`)" if f.resource else "")
        lines.append(
            f"| {ICONS[f.level]} {f.level} | `{f.rule}` | {_cell(f.cluster)} | {f.provider or 'all'} "
            f"| {message} | {_cell(f.hint)} |"
        )
    return "\n".join(lines) + "\n"


def rows(findings: Sequence[Finding]) -> list[tuple[str, str, str, str, str, str]]:
    """(level, rule, cluster, provider, message, hint) per finding, mandatory first: for table output."""
    return [
        (f.level, f.rule, f.cluster, f.provider or "-", f.message + (f" [{f.resource}]" if f.resource else ""),
         f.hint or "")
        for f in sorted(findings, key=Finding.sort_key)
    ]

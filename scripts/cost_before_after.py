#!/usr/bin/env python3
"""Before -> after table of monthly totals for every example x provider, for a release note.

    python scripts/cost_before_after.py BEFORE_REV [AFTER_REV] [--as-of YYYY-MM-DD] [--providers gke,eks,aks,kubeadm]

Checks out each revision into a temporary git worktree, runs that revision's own `kubefleet compare
EXAMPLE --output json` for every file in its examples/ (each cluster of a multi-cluster file), with a
private KUBEFLEET_HOME (no cache shared between the two), and prints a markdown table of the monthly
totals (known charges; "+ N unpriced" where items are unpriced, with the interval when one is given) and
the unpriced items of the AFTER revision, each with its reason. AFTER_REV defaults to HEAD. Nothing is
downloaded: both trees render offline. Slow (every example is rendered on every provider twice).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from kubefleet.cli.app import app; sys.argv[0] = 'kubefleet'; app()"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def _results(doc: Any) -> list[dict[str, Any]]:
    """Every per-cluster comparison in a `compare --output json` answer (one object, a list, or a list kind)."""
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return [d for d in doc["items"] if isinstance(d, dict)]
    if isinstance(doc, list):
        return [d for d in doc if isinstance(d, dict)]
    return [doc] if isinstance(doc, dict) else []


def totals(tree: Path, as_of: str, providers: str, home: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    env = {**os.environ, "PYTHONPATH": str(tree), "KUBEFLEET_HOME": str(home), "NO_COLOR": "1"}
    for example in sorted((tree / "examples").glob("*.yaml")):
        proc = subprocess.run([sys.executable, "-c", RUN, "compare", str(example), "--providers", providers,
                               "--as-of", as_of, "--output", "json"], cwd=tree, env=env, capture_output=True,
                              text=True)
        if proc.returncode not in (0, 1):
            print(f"warning: {example.name} at {tree}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}",
                  file=sys.stderr)
            continue
        for cmp in _results(json.loads(proc.stdout)):
            for provider, entry in (cmp.get("providers") or {}).items():
                out[(example.name, str(cmp.get("cluster")), provider)] = entry
    return out


def _cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "—"
    if entry.get("monthly_total") is None:
        return "not priced: " + str(entry.get("error", "error")).splitlines()[0][:60]
    text = f"${Decimal(entry['monthly_total']):,.2f}"
    unpriced = entry.get("unpriced") or []
    if unpriced:
        high = entry.get("monthly_high")
        text += f" + {len(unpriced)} unpriced" + (f" (≤ ${Decimal(high):,.2f})" if high else " (no upper bound)")
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after", nargs="?", default="HEAD")
    ap.add_argument("--as-of", default="2026-12-06")
    ap.add_argument("--providers", default="gke,eks,aks,kubeadm")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubefleet-before-after-") as tmp:
        trees = {}
        for label, rev in (("before", args.before), ("after", args.after)):
            path = Path(tmp) / label
            _git("worktree", "add", "--detach", str(path), _git("rev-parse", rev))
            trees[label] = path
        try:
            before = totals(trees["before"], args.as_of, args.providers, Path(tmp) / "home-before")
            after = totals(trees["after"], args.as_of, args.providers, Path(tmp) / "home-after")
        finally:
            for path in trees.values():
                _git("worktree", "remove", "--force", str(path))
    print(f"Monthly totals as of {args.as_of}, list prices (no --pricing), before = {args.before}, "
          f"after = {args.after}\n")
    print("| example | cluster | provider | before | after | change |")
    print("|---|---|---|---:|---:|---:|")
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        change = ""
        if b and a and b.get("monthly_total") and a.get("monthly_total"):
            delta = Decimal(a["monthly_total"]) - Decimal(b["monthly_total"])
            change = "0" if not delta else f"{'+' if delta > 0 else '−'}${abs(delta):,.2f}"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {_cell(b)} | {_cell(a)} | {change} |")
    reasons: dict[str, set[str]] = {}
    for (_ex, _cluster, provider), entry in after.items():
        for item in entry.get("unpriced") or []:
            reasons.setdefault(provider, set()).add(str(item.get("reason", "")).split(";")[0][:160])
    print("\nStill unpriced after (provider: item — reason, first clause):\n")
    for provider in sorted(reasons):
        for reason in sorted(reasons[provider]):
            print(f"- {provider}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

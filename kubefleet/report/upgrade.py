"""Renderers for `kubefleet upgrade plan` (JSON with schemas/upgrade-plan.schema.json, markdown, HTML, table
rows for the CLI) and the node-pool rollout method each provider rendered (read off the offline render, so
the plan shows what would be deployed). No typer/rich here."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kubefleet.lifecycle.upgrade import ClusterPlan, PoolMethod, Step
from kubefleet.report.compare_out import PAGE_CSS, md_cell

if TYPE_CHECKING:
    from kubefleet.graph import ResourceGraph

API_VERSION = "kubefleet.dev/v1"
SCHEMA = "schemas/upgrade-plan.schema.json"

#: Where each rendered field is documented (the provider's API), per resource type.
_POOL_TYPES = {
    "gcp:container/nodePool:NodePool": "https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies",
    "aws:eks/nodeGroup:NodeGroup": "https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupUpdateConfig.html",
    "azure-native:containerservice:AgentPool": "https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling",
}
_CAPI = ("kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:docs/proposals/"
         "20250513-chained-and-efficient-upgrades-for-clusters-with-managed-topologies.md:280-289")


def _flat(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif value is not None:
        out[prefix] = str(value).lower() if isinstance(value, bool) else str(value)


def pool_methods(graph: ResourceGraph) -> list[PoolMethod]:
    """Each node pool's upgrade method and knobs as the adapter rendered them for ``graph``'s provider."""
    out: list[PoolMethod] = []
    for r in graph.resources:
        src = _POOL_TYPES.get(r.type)
        if src is None:
            continue
        knobs: dict[str, str] = {}
        if r.type.startswith("gcp:"):
            _flat("upgradeSettings", r.inputs.get("upgradeSettings"), knobs)
            method = knobs.pop("upgradeSettings.strategy", "SURGE").lower().replace("_", "-")
        elif r.type.startswith("aws:"):
            _flat("updateConfig", r.inputs.get("updateConfig"), knobs)
            method = "managed node group rolling update"
            if knobs.get("updateConfig.updateStrategy"):
                method += f" ({knobs['updateConfig.updateStrategy']})"
        else:
            _flat("upgradeSettings", r.inputs.get("upgradeSettings"), knobs)
            method = "surge: add nodes, cordon and drain, replace"
            if "upgradeSettings.drainTimeoutInMinutes" not in knobs:
                method += " (drain timeout and soak: AKS defaults)"
        names = [p.name for p in graph.spec.spec.node_pools]
        pool = next((n for n in names if r.name == n or r.name.endswith(f"-{n}")), r.name)
        out.append(PoolMethod(pool, method, knobs, src))
    if graph.provider == "kubeadm":
        up = graph.spec.spec.upgrades
        for p in graph.spec.spec.node_pools:
            out.append(PoolMethod(p.name, "Cluster API MachineDeployment rolling update",
                                  {"rollingUpdate.maxSurge": str(up.max_surge),
                                   "rollingUpdate.maxUnavailable": str(up.max_unavailable)}, _CAPI))
    return out


def plan_list(plans: Sequence[ClusterPlan]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "UpgradePlanList", "items": [p.as_json() for p in plans]}


def to_json(plans: Sequence[ClusterPlan]) -> str:
    return json.dumps(plan_list(plans), indent=2) + "\n"


def money(value: Any) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def staying_text(plan: ClusterPlan) -> str:
    s = plan.staying
    if s.starts is None:
        return s.note
    if s.per_month_after is not None and s.per_month_before is not None and s.per_month_after != s.per_month_before:
        return (f"from {s.starts.on}: {money(s.per_month_after)}/month per cluster instead of "
                f"{money(s.per_month_before)} (+{money(s.extra_per_month)}; {money(s.per_day_after)}/day)")
    if s.per_month_after is None and "unpriced" in s.note:
        return f"from {s.starts.on}: {s.note}"
    return f"from {s.starts.on}: {s.note}"


def step_text(step: Step) -> str:
    if step.kind == "mesh" and step.mesh is not None:
        return f"mesh {step.mesh.from_revision or '?'} → {step.mesh.to_revision or 'none available'}"
    if step.kind == "node-pools":
        return f"node pools {step.from_minor} → {step.to_minor}"
    return f"control plane {step.from_minor} → {step.to_minor}"


def step_detail(step: Step) -> str:
    bits: list[str] = []
    if step.why:
        bits.append(step.why)
    for p in step.pools:
        knobs = ", ".join(f"{k}={v}" for k, v in p.knobs.items())
        bits.append(f"{p.pool}: {p.method}" + (f" ({knobs})" if knobs else ""))
    for r in step.removed_apis:
        repl = f" → {r.replacement}" if r.replacement else " (no replacement)"
        bits.append(f"removed API {r.api_version} {r.kind} at {r.file}:{r.line}:{r.column}{repl}")
    return "; ".join(bits)


def table_rows(plan: ClusterPlan) -> list[tuple[str, str, str, str]]:
    """(step, start, finish by, detail) for the CLI's table."""
    rows = []
    for s in plan.steps:
        by = f"{s.finish_by.on}" + (" LATE" if s.late else "") if s.finish_by else "—"
        if s.forced is not None:
            by += f" (forced {s.forced.on})"
        rows.append((step_text(s), str(s.start.on), by, step_detail(s)))
    return rows


def title(plan: ClusterPlan) -> str:
    return (f"{plan.cluster} on {plan.provider}: {plan.current} → {plan.target} as of {plan.as_of} "
            f"({len(plan.hops)} control-plane hop(s), channel {plan.channel})")


def sources(plan: ClusterPlan) -> list[str]:
    found: list[str] = []
    for s in plan.steps:
        for src in (s.start.source, s.finish_by.source if s.finish_by else None, s.forced.source if s.forced else None,
                    s.mesh.source if s.mesh else None, *(p.source for p in s.pools)):
            if src and src not in found:
                found.append(src)
    for src in (plan.staying.starts.source if plan.staying.starts else None, plan.staying.fee_source):
        if src and src not in found:
            found.append(src)
    return found


def to_markdown(plans: Sequence[ClusterPlan]) -> str:
    out: list[str] = []
    for p in plans:
        out.append(f"### {md_cell(title(p))}\n")
        out.append("| step | start | finish by | detail |\n|---|---|---|---|")
        out.extend(f"| {md_cell(a)} | {b} | {md_cell(c)} | {md_cell(d)} |" for a, b, c, d in table_rows(p))
        if not p.steps:
            out.append(f"| already on {p.target} | — | — | — |")
        out.append(f"\nStaying on {p.current}: {md_cell(staying_text(p))}\n")
        out.extend(f"- problem: {md_cell(x)}" for x in p.problems)
        out.extend(f"- note: {md_cell(x)}" for x in p.notes)
        out.append("\nSources: " + ", ".join(sources(p)) + "\n")
    return "\n".join(out) + "\n"


def to_html(plans: Sequence[ClusterPlan]) -> str:
    e = html.escape
    body = ["<h1>kubefleet upgrade plan</h1>"]
    for p in plans:
        body.append(f"<h2>{e(title(p))}</h2><table><tr><th>step</th><th>start</th><th>finish by</th>"
                    "<th>detail</th></tr>")
        for a, b, c, d in table_rows(p):
            body.append(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>")
        body.append("</table>")
        body.append(f"<p>Staying on {e(p.current)}: {e(staying_text(p))}</p>")
        body.extend(f'<p class="warn">{e(x)}</p>' for x in p.problems)
        body.extend(f'<p class="muted">{e(x)}</p>' for x in p.notes)
        body.append('<p class="muted">Sources: ' + ", ".join(e(s) for s in sources(p)) + "</p>")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>kubefleet upgrade plan</title>'
            f"<style>{PAGE_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")

"""The plan report: what a provider would create, and the parity notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kubefleet.graph import ResourceGraph
from kubefleet.report.contract import dumps, list_document

if TYPE_CHECKING:
    from kubefleet.render.offline import ScopeGraph
    from kubefleet.verify import VerifyReport


def key_inputs(inputs: Mapping[str, Any], limit: int = 4, width: int = 48) -> str:
    """A short, stable summary of a resource's scalar inputs for a table cell."""
    parts: list[str] = []
    for key in sorted(inputs):
        value = inputs[key]
        if isinstance(value, (dict, list)) or value in (None, "", [], {}):
            continue
        if key in ("tags", "labels", "resourceLabels", "name"):
            continue
        text = str(value)
        if len(text) > width:
            text = text[: width - 1] + "…"
        parts.append(f"{key}={text}")
        if len(parts) == limit:
            break
    return ", ".join(parts)


def scope_json(sg: ScopeGraph) -> dict[str, Any]:
    """One shared scope stack (providers/scope.py) as the plan shows it: the stack `up` creates or adopts before
    the clusters that use it, what it holds for them and its resources (the same fields as a cluster's)."""
    scope = sg.scope
    return {
        # a cluster naming no project: the scope is the environment's project at `up`, unknown offline
        "stack": sg.stack if scope.known else None,
        "provider": scope.provider,
        "cloud": scope.cloud,
        "key": scope.key if scope.known else None,
        "needs": sorted(scope.needs),
        "clusters": list(sg.clusters),
        "resources": [{"type": r.type, "name": r.name, "parent": r.parent_name, "inputs": r.inputs}
                      for r in sg.resources],
    }


def plan_json(graphs: list[ResourceGraph], reports: list[VerifyReport] | None = None,
              scopes: Sequence[ScopeGraph] = ()) -> str:
    """The stable plan contract: a ``PlanList`` with one item per cluster (also for one; schemas/plan.schema.json)
    and, beside the items, ``scopes``: the shared once-per-project stacks the clusters use, once per scope
    whatever the number of its clusters in the file (an empty array when none does, so the keys do not depend
    on the providers).

    With ``reports`` (``plan --verify``), each item gains ``"verify"``: the API-model check's result.
    """
    docs = [g.as_json() for g in graphs]
    if reports is not None:
        for doc, report in zip(docs, reports, strict=True):
            doc["verify"] = report.as_dict()
    return dumps(list_document("PlanList", docs, scopes=[scope_json(s) for s in scopes]))


def type_counts(graph: ResourceGraph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in graph.resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    return dict(sorted(counts.items()))

"""The plan report: what a provider would create, and the parity notes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubefleet.graph import ResourceGraph

if TYPE_CHECKING:
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


def plan_json(graphs: list[ResourceGraph], reports: list[VerifyReport] | None = None) -> str:
    """One object per cluster (an array when the file holds several): the stable plan contract.

    With ``reports`` (``plan --verify``), each object gains ``"verify"``: the API-model check's result.
    """
    docs = [g.as_json() for g in graphs]
    if reports is not None:
        for doc, report in zip(docs, reports, strict=True):
            doc["verify"] = report.as_dict()
    data: Any = docs[0] if len(docs) == 1 else docs
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def type_counts(graph: ResourceGraph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in graph.resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    return dict(sorted(counts.items()))

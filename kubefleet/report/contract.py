"""The one JSON output contract every ``--output json`` (and ``-o yaml``, which mirrors it) keeps.

Every document is a top-level object ``{"apiVersion": "kubefleet.dev/v1", "kind": "<Thing>", ...}``; a result
that is a list (one entry per cluster, stack, rule…) is ``"kind": "<Thing>List"`` with the entries in
``"items"`` — also for one entry, so a script reads ``.items[]`` whatever the number of clusters. That is the
Kubernetes API convention for lists ("The name of a list kind must end with "List" … All lists use the required
"items" field to contain the array of objects they return. Any kind that has the "items" field must be a list
kind": kubernetes/community@24e7d8f5409c1a0121394a613746e524f781e044:contributors/devel/sig-architecture/
api-conventions.md:145-147), which kubectl follows on output (``kind: List`` with ``items`` for a list request:
kubernetes/kubectl@5be1f71cd159eb9417c8ca9447537dd902b9de6d:pkg/cmd/get/get.go). A report over several
clusters that carries totals beside its per-cluster array (``diff``'s ``SpecDiff``, ``fleet``'s
``FleetReport``) is an ordinary kind: its array is not named ``items``, by the same rule.

Every kind has a JSON schema in ``schemas/`` (:data:`SCHEMAS`); tests/test_output_contract.py validates real
output of every command against it, with one cluster and with several.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

API_VERSION: Final = "kubefleet.dev/v1"

#: kind -> its schema file under schemas/ (the kinds made elsewhere are listed too, so the table is complete).
SCHEMAS: Final[dict[str, str]] = {
    "PlanList": "plan.schema.json",
    "CostList": "comparison.schema.json",
    "ComparisonList": "comparison.schema.json",
    "SpecDiff": "diff.schema.json",
    "Preview": "preview.schema.json",
    "StackOutputs": "outputs.schema.json",
    "StackList": "stacks.schema.json",
    "FleetReport": "fleet.schema.json",
    "FleetStackList": "fleet-stacks.schema.json",
    "FleetCalendar": "fleet-calendar.schema.json",
    "PolicyReport": "policy-report.schema.json",
    "PolicyRuleList": "policy-rules.schema.json",
    "PriceCatalog": "prices.schema.json",
    "UpgradePlanList": "upgrade-plan.schema.json",
    "UpgradeRun": "upgrade-run.schema.json",
}


def document(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` as a ``kind`` document (apiVersion and kind first; a body's own apiVersion/kind are replaced)."""
    if kind not in SCHEMAS:
        raise ValueError(f"{kind!r} has no schema in kubefleet.report.contract.SCHEMAS")
    return {"apiVersion": API_VERSION, "kind": kind,
            **{k: v for k, v in body.items() if k not in ("apiVersion", "kind")}}


def list_document(kind: str, items: Iterable[Any], **fields: Any) -> dict[str, Any]:
    """A ``<Thing>List``: ``items`` always an array (also for one entry), list-level ``fields`` beside it."""
    if not kind.endswith("List"):
        raise ValueError(f"{kind!r}: a list kind ends with 'List'")
    return document(kind, {**fields, "items": list(items)})


def dumps(doc: Mapping[str, Any], *, sort_keys: bool = True, ensure_ascii: bool = True) -> str:
    """The document as the CLI prints it: indented, one trailing newline (each command keeps the key order and
    escaping it always had, so only the wrapper changed)."""
    return json.dumps(doc, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, default=str) + "\n"

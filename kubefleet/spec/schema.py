"""The JSON Schema of the spec, for editors (yaml-language-server) and docs."""

from __future__ import annotations

import json
from typing import Any

from kubefleet.spec.model import ClusterSpec

SCHEMA_ID = "https://kubefleet.dev/schemas/cluster.schema.json"


def cluster_schema() -> dict[str, Any]:
    schema = ClusterSpec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "kubefleet Cluster (kubefleet.dev/v1alpha1)",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(cluster_schema(), indent=2, sort_keys=True) + "\n"

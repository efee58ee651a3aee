"""GKE day 2: what the program promises after creation, checked against the GKE API model
(google-cloud-container, the v1 cluster_service proto docs) rather than kubefleet's own words."""

from __future__ import annotations

import importlib
import inspect

from kubefleet.providers import get_adapter
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, resolved


def _scope_doc(name: str) -> str:
    types = importlib.import_module("google.cloud.container_v1.types")
    doc = inspect.getdoc(types.MaintenanceExclusionOptions.Scope) or ""
    return " ".join(doc.split(name + " (", 1)[1].split("):", 1)[1].split("\n\n", 1)[0].split())


def test_channel_none_parity_text_says_what_the_exclusion_scope_really_blocks() -> None:
    """`channel: none` is emulated with a NO_MINOR_OR_NODE_UPGRADES exclusion; the API model says that scope
    excludes all node pool upgrades and allows only control-plane patches — so node security patches stop
    too, and the parity text must not claim they continue."""
    doc = _scope_doc("NO_MINOR_OR_NODE_UPGRADES")
    assert "exclude all node pool upgrades" in doc and "Only control plane patches are allowed" in doc
    text = MINIMAL.replace('kubernetes: {version: "1.33"}', 'kubernetes: {version: "1.33", channel: none}')
    (spec,) = load_text(text, "none.yaml")
    note = get_adapter("gke").field_support(resolved(spec.spec, "gke"))["spec.kubernetes.channel"].detail
    assert "NO_MINOR_OR_NODE_UPGRADES" in note
    assert "node security patches included" in note and "only control-plane patch upgrades" in note
    assert "security patches still do" not in note

"""The change model, built from the SDK's own engine event classes (no mocks of the engine)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pulumi.automation.events import (
    EngineEvent,
    OpType,
    PropertyDiff,
    ResourcePreEvent,
    StepEventMetadata,
    StepEventStateMetadata,
)

from kubefleet.changes.model import (
    ChangeCollector,
    ClusterChanges,
    InputChange,
    ResourceChange,
    changes_from_events,
    changes_json,
    parse_path,
    value_at,
)
from kubefleet.redact import SECRET_SIG, SIG_KEY

STACK = "urn:pulumi:sweet-spot-gke::kubefleet"
SEKRET = "SEKRET-kubeconfig-7f3a9c"


def urn(type_: str, name: str) -> str:
    return f"{STACK}::{type_}::{name}"


def pre(
    op: str,
    type_: str,
    name: str,
    *,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    old_outputs: dict[str, Any] | None = None,
    new_outputs: dict[str, Any] | None = None,
    detailed: dict[str, str] | None = None,
    diffs: list[str] | None = None,
    seq: int = 1,
) -> EngineEvent:
    """A resourcePreEvent exactly as the engine writes it to the event log (JSON), parsed by the SDK."""
    u = urn(type_, name)

    def state(inputs: dict[str, Any] | None, outputs: dict[str, Any] | None) -> dict[str, Any] | None:
        if inputs is None and outputs is None:
            return None
        return {"type": type_, "urn": u, "id": f"{name}-id", "parent": "", "provider": "",
                "inputs": inputs or {}, "outputs": outputs or {}}

    metadata: dict[str, Any] = {"op": op, "urn": u, "type": type_, "provider": ""}
    if (o := state(old, old_outputs)) is not None:
        metadata["old"] = o
    if (n := state(new, new_outputs)) is not None:
        metadata["new"] = n
    if detailed:
        metadata["detailedDiff"] = {k: {"diffKind": v, "inputDiff": True} for k, v in detailed.items()}
    if diffs:
        metadata["diffs"] = diffs
    return EngineEvent.from_json({"sequence": seq, "timestamp": 0, "resourcePreEvent": {"metadata": metadata,
                                                                                          "planning": True}})


CLUSTER = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
NET = "gcp:compute/network:Network"


def test_ops_map_and_replacement_steps_merge_into_one_replace() -> None:
    events = [
        pre("create", NET, "vpc"),
        pre("update", POOL, "general", old={"nodeCount": 3}, new={"nodeCount": 7}, detailed={"nodeCount": "update"}),
        pre("create-replacement", CLUSTER, "main", old={"location": "us-east1"}, new={"location": "us-east4"},
            detailed={"location": "update-replace"}),
        pre("replace", CLUSTER, "main", old={"location": "us-east1"}, new={"location": "us-east4"},
            detailed={"location": "update-replace"}),
        pre("delete-replaced", CLUSTER, "main", old={"location": "us-east1"}),
        pre("delete", "gcp:compute/router:Router", "old-router", old={"name": "r"}),
        pre("same", "gcp:compute/subnetwork:Subnetwork", "nodes", old={"a": 1}, new={"a": 1}),
        pre("same", "pulumi:pulumi:Stack", "kubefleet-sweet-spot-gke"),
        pre("create", "pulumi:providers:gcp", "default_10_2_0"),
    ]
    result = changes_from_events(events, "sweet-spot", "gke")
    ops = {(c.type, c.name): c.op for c in result.changes}
    assert ops == {
        (NET, "vpc"): "create",
        (POOL, "general"): "update",
        (CLUSTER, "main"): "replace",
        ("gcp:compute/router:Router", "old-router"): "delete",
        ("gcp:compute/subnetwork:Subnetwork", "nodes"): "same",
    }
    assert result.counts == {"create": 1, "update": 1, "replace": 1, "delete": 1, "same": 1}
    assert [c.op for c in result.sorted()] == ["replace", "delete", "create", "update", "same"]
    replaced = next(c for c in result.changes if c.op == "replace")
    assert replaced.inputs == (InputChange("location", "us-east1", "us-east4"),)
    assert replaced.destructive
    assert [c.name for c in result.destructive] == ["main", "old-router"]


def test_detailed_diff_paths_with_indexes_and_quoted_keys() -> None:
    old = {"nodeConfig": {"machineType": "n2-standard-4", "labels": {"kubefleet.dev/cluster": "a"}},
           "nodeLocations": ["us-east4-a", "us-east4-b"]}
    new = {"nodeConfig": {"machineType": "n2-standard-8", "labels": {"kubefleet.dev/cluster": "b"}},
           "nodeLocations": ["us-east4-a", "us-east4-c"]}
    event = pre("update", POOL, "general", old=old, new=new, detailed={
        "nodeConfig.machineType": "update",
        'nodeConfig.labels["kubefleet.dev/cluster"]': "update",
        "nodeLocations[1]": "update",
        "autoscaling": "add",
    })
    change = changes_from_events([event], "c", "gke").changes[0]
    assert change.inputs == (
        InputChange("autoscaling", None, None),
        InputChange('nodeConfig.labels["kubefleet.dev/cluster"]', "a", "b"),
        InputChange("nodeConfig.machineType", "n2-standard-4", "n2-standard-8"),
        InputChange("nodeLocations[1]", "us-east4-b", "us-east4-c"),
    )


def test_diffs_without_detailed_diff_and_plain_state_compare() -> None:
    by_keys = pre("update", POOL, "a", old={"x": 1, "y": 2}, new={"x": 1, "y": 3}, diffs=["y"])
    by_state = pre("update", POOL, "b", old={"x": {"k": 1}, "y": 2}, new={"x": {"k": 2}, "y": 2})
    result = changes_from_events([by_keys, by_state], "c", "gke")
    inputs = {c.name: c.inputs for c in result.changes}
    assert inputs["a"] == (InputChange("y", 2, 3),)
    assert inputs["b"] == (InputChange("x.k", 1, 2),)


def test_secrets_are_masked_by_marker_and_by_name() -> None:
    wire_secret = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(SEKRET)}
    event = pre(
        "update", CLUSTER, "main",
        old={"masterAuth": {"clientKey": SEKRET + "-old"}, "kubeconfig": SEKRET + "-0", "token": wire_secret,
             "name": "main"},
        new={"masterAuth": {"clientKey": SEKRET + "-new"}, "kubeconfig": SEKRET + "-1", "token": wire_secret,
             "name": "main2"},
        detailed={"masterAuth.clientKey": "update", "kubeconfig": "update", "token": "update", "name": "update"},
    )
    result = changes_from_events([event], "c", "gke")
    rendered = json.dumps(result.as_json())
    assert SEKRET not in rendered
    by_path = {i.path: i for i in result.changes[0].inputs}
    assert by_path["kubeconfig"] == InputChange("kubeconfig", "[secret]", "[secret]")
    assert by_path["masterAuth.clientKey"].secret
    assert by_path["token"].secret
    assert by_path["name"] == InputChange("name", "main", "main2")


def test_secret_marker_on_the_way_to_a_path_masks_the_leaf() -> None:
    data = {"cfg": {SIG_KEY: SECRET_SIG, "plaintext": json.dumps({"inner": SEKRET})}}
    assert value_at(data, "cfg.inner") == "[secret]"


def test_refresh_difference_is_drift_and_merges_with_the_update_that_reverts_it() -> None:
    state = {"nodeCount": 7, "status": "RUNNING"}
    cloud = {"nodeCount": 9, "status": "RECONCILING"}
    events = [
        pre("refresh", POOL, "general", old={"nodeCount": 7}, new={"nodeCount": 7},
            old_outputs=state, new_outputs=cloud, seq=1),
        pre("update", POOL, "general", old={"nodeCount": 9}, new={"nodeCount": 7},
            detailed={"nodeCount": "update"}, seq=2),
        # only a computed field changed: not drift
        pre("refresh", CLUSTER, "main", old={"name": "main"}, new={"name": "main"},
            old_outputs={"name": "main", "status": "RUNNING"}, new_outputs={"name": "main", "status": "DEGRADED"}),
        # drifted, and the program ignores it (no update step)
        pre("refresh", NET, "vpc", old={"mtu": 1460}, new={"mtu": 1460},
            old_outputs={"mtu": 1460}, new_outputs={"mtu": 1500}),
    ]
    result = changes_from_events(events, "c", "gke")
    by_name = {c.name: c for c in result.changes}
    assert by_name["general"] == ResourceChange("update", POOL, "general", (InputChange("nodeCount", 9, 7),), True)
    assert by_name["main"] == ResourceChange("same", CLUSTER, "main", (), False)
    assert by_name["vpc"] == ResourceChange("same", NET, "vpc", (InputChange("mtu", 1460, 1500),), True)
    assert [c.name for c in result.drifted] == ["general", "vpc"]


def test_a_removed_dependent_of_a_delete_first_replacement_is_a_delete() -> None:
    """The steps the real engine (pulumi v3.274.0) took when a GKE cluster was replaced delete-first while one of
    its pools was removed (tests/test_e2e_day2.py, zones+remove): the removed pool is deleted with the cluster's
    dependents first (delete-replaced) and then dropped (remove-pending-replace) — a delete, not a replace."""
    events = [
        pre("delete-replaced", POOL, "batch", old={"name": "batch"}),
        pre("delete-replaced", POOL, "default", old={"name": "default"}),
        pre("delete-replaced", CLUSTER, "main", old={"location": "us-east1-b"}),
        pre("replace", CLUSTER, "main", old={"location": "us-east1-b"}, new={"location": "us-east1"}),
        pre("create-replacement", CLUSTER, "main", old={"location": "us-east1-b"}, new={"location": "us-east1"}),
        pre("replace", POOL, "default", old={"name": "default"}, new={"name": "default"}),
        pre("create-replacement", POOL, "default", old={"name": "default"}, new={"name": "default"}),
        pre("remove-pending-replace", POOL, "batch", old={"name": "batch"}),
    ]
    ops = {c.name: c.op for c in changes_from_events(events, "c", "gke").changes}
    assert ops == {"batch": "delete", "default": "replace", "main": "replace"}


def test_collector_accepts_directly_constructed_sdk_events() -> None:
    meta = StepEventMetadata(
        op=OpType.UPDATE, urn=urn(POOL, "gpu"), type=POOL, provider="",
        old=StepEventStateMetadata(type=POOL, urn=urn(POOL, "gpu"), id="1", parent="", provider="",
                                   inputs={"nodeCount": 1}),
        new=StepEventStateMetadata(type=POOL, urn=urn(POOL, "gpu"), id="1", parent="", provider="",
                                   inputs={"nodeCount": 2}),
        detailed_diff={"nodeCount": PropertyDiff.from_json({"diffKind": "update", "inputDiff": True})},
    )
    collector = ChangeCollector()
    collector(EngineEvent(sequence=1, timestamp=0, resource_pre_event=ResourcePreEvent(metadata=meta)))
    collector(EngineEvent(sequence=2, timestamp=0))  # events without a resource step are ignored
    result = collector.result("c", "gke", Decimal("100"), Decimal("150.505"))
    assert result.changes == (ResourceChange("update", POOL, "gpu", (InputChange("nodeCount", 1, 2),)),)
    assert result.delta == Decimal("50.51")
    assert result.as_json()["monthly_delta"] == "50.51"  # cents, half up (as invoices and the markdown round)


def test_delta_needs_both_sides_and_json_is_stable() -> None:
    a = ClusterChanges("b", "eks", (ResourceChange("create", "t", "z"), ResourceChange("create", "t", "a")),
                       None, Decimal("10"))
    b = ClusterChanges("a", "gke", ())
    assert a.delta is None and b.delta is None
    text = changes_json([a, b])
    assert text == changes_json([b, a])
    data = json.loads(text)
    assert [c["cluster"] for c in data["clusters"]] == ["a", "b"]
    assert [r["name"] for r in data["clusters"][1]["changes"]] == ["a", "z"]
    assert not b.has_changes and a.has_changes


def test_parse_path() -> None:
    assert parse_path('a.b[0]["c.d"].e') == ["a", "b", 0, "c.d", "e"]
    assert parse_path("tags") == ["tags"]

"""Day 2 through the REAL engine (Pulumi CLI + local cloud): for each provider one stack is created, then
each day-2 change is previewed by the engine; the engine's plan (create / update / replace / delete per
resource) must equal what `kubefleet diff` showed offline before anything ran, and the node pool's
operation must be what the providers' own schemas say (the generated replace table and its cited source:
GKE node_config.go machine_type has no ForceNew — an in-place rolling update; EKS node_group.go
instance_types is ForceNew; azure-native forceNewMap has AgentPool vmSize).

One `up` per provider, then two previews (nothing else is applied), to stay near the test-time budget.
Not run here (only a real cloud settles them, or they need more `up`s than the budget allows): destroy
and re-create, two clusters in one project/account, minor bumps, mesh on/off, pool removal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubefleet.changes import replace
from tests.test_e2e_engine import Env, engine_env, ok  # noqa: F401  (engine_env is the fixture)

POOL = {"gke": "gcp:container/nodePool:NodePool", "eks": "aws:eks/nodeGroup:NodeGroup",
        "aks": "azure-native:containerservice:AgentPool"}
#: what the provider does to the pool when its machine shape changes, and the source that says so
SHAPE: dict[str, tuple[str, str]] = {
    "gke": ("update", "nodeConfig.machineType"),  # node_config.go: machine_type without ForceNew
    "eks": ("replace", "instanceTypes"),  # node_group.go: instance_types ForceNew
    "aks": ("replace", "vmSize"),  # azure-native replacement.go forceNewMap AgentPool vmSize
}
EXTRA_POOL = "      disk: {sizeGiB: 50, type: standard}\n"


def _variants(text: str) -> dict[str, str]:
    """Two previews per provider: the machine shape of the running pool together with a new pool (each
    resource's operation is still its own), and the zones. A resize (an in-place update of the count) is
    already previewed and applied by tests/test_e2e_engine.py (drift and autoscaling tests)."""
    return {
        "shape+add-pool": text.replace("vcpus: 2, memoryGiB: 8", "vcpus: 4, memoryGiB: 16").replace(
            EXTRA_POOL, EXTRA_POOL + "    - name: batch\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 1\n", 1),
        "zones": text.replace("availability: zonal, tier: free, endpoint: public, replicas: 1",
                              "availability: regional, tier: free, endpoint: public"),
    }


def _ops(changes: list[dict[str, Any]]) -> dict[str, str]:
    return {f"{c['type']}::{c['name']}": c["op"] for c in changes if c["op"] != "same"}


@pytest.mark.parametrize("target", ["gke", "eks", "aks"])
def test_day2_changes_engine_plan_equals_offline_diff(engine_env: Env, target: str) -> None:  # noqa: F811
    spec = str(engine_env.spec)
    text = engine_env.spec.read_text(encoding="utf-8")
    ok("up", spec, "-p", target, "-y")
    base = engine_env.root / "base.yaml"
    base.write_text(text, encoding="utf-8")
    pool_key = f"{POOL[target]}::e2e-default"
    seen: dict[str, dict[str, str]] = {}
    for name, variant in _variants(text).items():
        assert variant != text, name
        engine_env.spec.write_text(variant, encoding="utf-8")
        engine = json.loads(ok("preview", spec, "-p", target, "-o", "json"))["clusters"][0]["changes"]
        out = ok("diff", "--base", str(base), spec, "--providers", target, "-o", "json")
        offline = json.loads(out[out.index("{"):])["clusters"][0]["changes"]
        assert _ops(engine) == _ops(offline), (name, _ops(engine), _ops(offline))
        seen[name] = _ops(engine)
    engine_env.spec.write_text(text, encoding="utf-8")

    op, path = SHAPE[target]
    assert seen["shape+add-pool"].get(pool_key) == op
    # the table agrees with the cited source for the shape input
    assert (path in replace.replace_paths(POOL[target])) is (op == "replace")
    assert seen["shape+add-pool"].get(f"{POOL[target]}::e2e-batch") == "create"
    if target == "aks":  # AKS refuses new zones on a pool: a delete-first replace (providers/aks/nodepool.py)
        assert seen["zones"].get(pool_key) == "replace"
        # the System pool is an AgentPool renamed on a zone change (create-before-delete), the cluster untouched
        assert seen["zones"].get(f"{POOL[target]}::e2e-kubefleet-aks-system") == "replace"
        assert "azure-native:containerservice:ManagedCluster::e2e-aks" not in seen["zones"]

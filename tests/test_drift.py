"""Drift in spec terms, and its monthly cost.

The cost oracle is independent of the drift code: the spec edited to what the cloud runs, rendered and
priced from scratch, must cost what :func:`kubefleet.changes.drift.explain` says the drifted graph costs. (The
real engine reports the drift itself in tests/test_e2e_engine.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

from kubefleet.catalog import load_catalog
from kubefleet.changes.drift import FIELDS, explain, owner, spec_terms
from kubefleet.changes.model import ClusterChanges, InputChange, ResourceChange
from kubefleet.cost.pricer import price_graph
from kubefleet.redact import SECRET
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from tests.test_e2e_engine import SPEC

AS_OF = dt.date(2026, 11, 29)

POOL_TYPE = {
    "gke": "gcp:container/nodePool:NodePool",
    "eks": "aws:eks/nodeGroup:NodeGroup",
    "aks": "azure-native:containerservice:AgentPool",
}


def spec_text(count: int = 2) -> str:
    return SPEC.format(name="web", env="dev", vip="127.0.0.10").replace("count: 2", f"count: {count}")


def graph_for(provider: str, count: int = 2):  # type: ignore[no-untyped-def]
    return render(load_text(spec_text(count))[0].spec, provider, catalog=load_catalog())


def drifted(provider: str, name: str, *found: InputChange) -> ClusterChanges:
    """A refresh's finding as the engine events give it (kubefleet.changes.model): old = the recorded state,
    new = the cloud; the update that puts it back reads the other way round."""
    back = tuple(InputChange(i.path, i.new, i.old) for i in found)
    change = ResourceChange(op="update", type=POOL_TYPE[provider],
                            name=name, inputs=back, drift=True, drift_inputs=found)
    return ClusterChanges(cluster="web", provider=provider, changes=(change,))


def _count_change(provider: str, graph, count: int) -> InputChange:  # type: ignore[no-untyped-def]
    (pool,) = [r for r in graph.of_type(POOL_TYPE[provider]) if r.name == "web-default"]
    if provider == "eks":
        old = dict(pool.inputs["scalingConfig"])
        return InputChange("scalingConfig", old, {**old, "desiredSize": count, "maxSize": count, "minSize": count})
    path = {"gke": "nodeCount", "aks": "count"}[provider]
    return InputChange(path, pool.inputs[path], count)


@pytest.mark.parametrize("provider", ["gke", "eks", "aks"])
def test_a_resized_pool_costs_what_the_resized_spec_costs(provider: str) -> None:
    graph = graph_for(provider)
    changes = drifted(provider, "web-default", _count_change(provider, graph, 5))
    report = explain(graph, changes, load_catalog(), AS_OF)
    oracle = price_graph(graph_for(provider, 5), load_catalog(), as_of=AS_OF).monthly_total
    assert report.monthly_spec == price_graph(graph, load_catalog(), as_of=AS_OF).monthly_total
    assert report.monthly_cloud == oracle
    assert report.monthly_delta is not None and report.monthly_delta > 0
    fields = {t.field for t in report.terms}
    assert "nodePools[default].count" in fields, report.terms


def test_terms_name_the_pool_and_fall_back_to_provider_terms() -> None:
    changes = drifted("aks", "web-default", InputChange("count", 2, 5), InputChange("tags.owner", "ops-bot", "x"))
    terms = spec_terms(changes, None, ["default"])
    assert [t.line() for t in terms] == [
        "nodePools[default].count (count): 5 nodes in the cloud, 2 nodes in the spec",
        "web-default tags.owner: x in the cloud, ops-bot in the spec",
    ]


def test_a_kubeadm_pool_scaled_in_the_management_cluster_costs_what_the_resized_spec_costs() -> None:
    """kubeadm's pools are replicas in the Cluster API Cluster's topology: drift there is priced by pricing
    the graph with the cloud's Cluster, and equals the price of the spec resized to match (the oracle)."""
    import copy

    from kubefleet.cost.pricer import CAPI_CLUSTER

    graph = graph_for("kubeadm")
    cluster = graph.one(CAPI_CLUSTER)
    old = cluster.inputs["spec"]
    new = copy.deepcopy(old)
    new["topology"]["workers"]["machineDeployments"][0]["replicas"] = 5
    change = ResourceChange(op="update", type=CAPI_CLUSTER, name=cluster.name, inputs=(InputChange("spec", new, old),),
                            drift=True, drift_inputs=(InputChange("spec", old, new),))
    report = explain(graph, ClusterChanges(cluster="web", provider="kubeadm", changes=(change,)), load_catalog(), AS_OF)
    assert report.monthly_cloud == price_graph(graph_for("kubeadm", 5), load_catalog(), as_of=AS_OF).monthly_total
    assert report.monthly_delta is not None and report.monthly_delta > 0


def test_a_secret_value_is_not_priced() -> None:
    graph = graph_for("gke")
    changes = drifted("gke", "web-default", InputChange("nodeCount", SECRET, SECRET))
    report = explain(graph, changes, load_catalog(), AS_OF)
    assert report.monthly_cloud is None and report.monthly_delta is None
    assert report.as_json()["monthlyDelta"] is None


def test_pool_owner_prefers_the_longest_pool_name() -> None:
    assert owner("web", ["gpu", "gpu-a"], "web-gpu-a") == "nodePools[gpu-a]"
    assert owner("web", ["gpu", "gpu-a"], "web-gpu-a-3") == "nodePools[gpu-a]"
    assert owner("web", ["gpu"], "web-cp-0") == "controlPlane"
    assert owner("web", ["gpu"], "web-network") is None


def test_every_mapped_property_is_one_the_program_sets() -> None:
    """The table names properties our programs really declare (checked on the rendered graphs), so a
    renamed input cannot silently stop being explained."""
    for provider, type_ in POOL_TYPE.items():
        graph = graph_for(provider)
        resource = graph.of_type(type_)[0]
        declared = {p for p in FIELDS[type_] if resource.get(p) is not None}
        # the size of the pool / VM is always declared (a fixed count: no autoscaling bounds)
        assert declared & {"nodeCount", "scalingConfig.desiredSize", "count"}, (provider, declared)
        assert declared & {"nodeConfig.machineType", "instanceTypes", "vmSize"}, (provider, declared)

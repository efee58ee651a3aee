"""Every example renders on every provider; the rendered graphs and comparisons are held in golden files.

`pytest --update-goldens` rewrites them; a change shows as a unified diff of the JSON.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings

from kubefleet.catalog import load_catalog
from kubefleet.compare import compare
from kubefleet.errors import CatalogError
from kubefleet.graph import SECRET
from kubefleet.render.cache import cached_render
from kubefleet.render.offline import render
from kubefleet.report import compare_out
from kubefleet.report.plan import plan_json
from kubefleet.resolve.cluster import resolve
from kubefleet.spec.model import ClusterSpec
from tests.conftest import EXAMPLES, example_specs, shape_resolver
from tests.strategies import specs

PROVIDERS = ("gke", "eks", "aks", "kubeadm")
AS_OF = date(2026, 11, 27)
CAT = load_catalog()
CASES = [(s.spec.name, p) for s in example_specs() for p in PROVIDERS]
SPECS = {s.spec.name: s.spec for s in example_specs()}


def _items_text(document: str, kind: str) -> str:
    """What a golden holds: the rendered items (one object, or an array of several), not the output wrapper
    (apiVersion/kind/items, tested against the schemas in tests/test_output_contract.py), so a render or
    price change and an output-contract change never rewrite the same golden files."""
    doc = json.loads(document)
    beside = {"PlanList": {"scopes"}}.get(kind, set())  # list-level fields (plan: the shared scope stacks)
    assert doc["apiVersion"] == "kubefleet.dev/v1" and doc["kind"] == kind
    assert set(doc) == {"apiVersion", "kind", "items", *beside}
    items = doc["items"]
    return json.dumps(items[0] if len(items) == 1 else items, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(("cluster", "provider"), CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_plan_golden(cluster: str, provider: str, golden) -> None:
    spec = SPECS[cluster]
    try:
        graph = cached_render(resolve(spec, provider, catalog=CAT))
    except CatalogError as err:
        # the catalog has no fitting instance here; the plan says so instead of inventing a type
        golden.check(f"plan/{cluster}-{provider}.txt", f"not rendered: {err.render()}\n")
        return
    text = _items_text(plan_json([graph]), "PlanList")
    assert "kubefleet:" + provider + ":Cluster" in text
    assert graph.outputs["kubeconfig"] == SECRET
    golden.check(f"plan/{cluster}-{provider}.json", text)


def test_cached_graph_equals_a_fresh_render() -> None:
    spec = SPECS["sweet-spot"]
    first = cached_render(resolve(spec, "eks", catalog=CAT))  # miss: renders and stores
    second = cached_render(resolve(spec, "eks", catalog=CAT))  # hit: read back
    fresh = render(spec, "eks", catalog=CAT)
    assert json.dumps(second.as_json(), sort_keys=True) == json.dumps(fresh.as_json(), sort_keys=True)
    assert json.dumps(first.as_json(), sort_keys=True) == json.dumps(fresh.as_json(), sort_keys=True)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_compare_golden(name: str, golden) -> None:
    from kubefleet.spec.loader import load_file

    items = [compare(s.spec, list(PROVIDERS), as_of=AS_OF, catalog=CAT) for s in load_file(EXAMPLES / f"{name}.yaml")]
    golden.check(f"compare/{name}.json", _items_text(compare_out.to_json(items), "ComparisonList"))
    if name == "sweet-spot":
        golden.check("compare/sweet-spot.md", compare_out.to_markdown(items))
        golden.check("compare/sweet-spot.csv", compare_out.to_csv(items))


def test_compare_json_contract() -> None:
    [cmp] = [compare(SPECS["sweet-spot"], list(PROVIDERS), as_of=AS_OF, catalog=CAT)]
    (data,) = json.loads(compare_out.to_json([cmp]))["items"]
    assert data["as_of"] == "2026-11-27" and data["currency"] == "USD"
    for p in PROVIDERS:
        entry = data["providers"][p]
        assert set(entry) >= {"monthly_total", "by_category", "components", "unpriced"}
        assert isinstance(entry["monthly_total"], str)  # money as decimal strings
        total = sum(float(v) for v in entry["by_category"].values())
        assert abs(total - float(entry["monthly_total"])) < 0.05
    # GKE's default Cloud Logging and EKS's CloudWatch control-plane logs are usage-priced: without a log
    # volume neither total has an upper bound, so no provider can be named and the output says why
    assert data["cheapest"] is None and data["ranking"]["cheapest"] is None
    assert any("CloudWatch" in b for b in data["ranking"]["blockers"])
    assert data["features"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(specs())
def test_every_valid_spec_renders_on_every_provider(spec: ClusterSpec) -> None:
    """The adapters' part of the property: with an instance for every pool, every valid spec renders."""
    for provider in PROVIDERS:
        graph = render(spec, provider, resolver=shape_resolver(provider))
        assert graph.resources[0].type == f"kubefleet:{provider}:Cluster"
        assert len(graph.parity) > 0
        assert graph.outputs["kubeconfig"] == SECRET


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_every_valid_spec_renders_with_real_matching_or_says_why(spec: ClusterSpec) -> None:
    """With real shape matching, a spec renders, or the catalog says clearly what it lacks (a GPU kind or a
    region's price list) — never another error."""
    for provider in PROVIDERS:
        try:
            render(spec, provider, catalog=CAT)
        except CatalogError as err:
            text = err.render()
            assert "catalog" in text or "instance type" in text, text

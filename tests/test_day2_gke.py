"""GKE day 2: what the program promises after creation, checked against the GKE API model
(google-cloud-container, the v1 cluster_service proto docs) rather than kubefleet's own words."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.providers import get_adapter
from kubefleet.render.offline import render_resolved
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, resolved, shape_resolver


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


# ------------------------------------------------------------------ once per project: the scope stack

TWO_IN_ONE_PROJECT = MINIMAL + "  addons: {istio: {mode: managed}}\n  providers: {gke: {project: acme-prod}}\n"


def _two_clusters() -> list[ResolvedCluster]:
    out: list[ResolvedCluster] = []
    for name in ("alpha", "beta"):
        (loaded,) = load_text(TWO_IN_ONE_PROJECT.replace("name: mini", f"name: {name}"), f"{name}.yaml")
        out.append(resolved(loaded.spec, "gke"))
    return out


def test_the_servicemesh_feature_and_project_apis_are_declared_once_per_project() -> None:
    """The fleet Feature exists once per project (a second create is a 409, terraform-google-modules/
    terraform-google-kubernetes-engine#1590); two clusters of one project render no Feature of their own and
    one scope stack holds it, with the project's APIs."""
    from kubefleet.render.offline import render_resolved, scope_graphs

    clusters = _two_clusters()
    for ctx in clusters:
        graph = render_resolved(ctx)
        assert not graph.of_type("gcp:gkehub/feature:Feature", "gcp:projects/service:Service")
        (fm,) = graph.of_type("gcp:gkehub/featureMembership:FeatureMembership")
        assert fm.get("feature") == "servicemesh"
    (scope,) = scope_graphs(clusters)
    assert scope.stack == "scope-gcp-acme-prod" and scope.clusters == ("alpha", "beta")
    features = [r for r in scope.resources if r.type == "gcp:gkehub/feature:Feature"]
    assert [(f.get("name"), f.get("location"), f.get("project")) for f in features] == [
        ("servicemesh", "global", "acme-prod")]
    apis = {r.get("service"): r for r in scope.resources if r.type == "gcp:projects/service:Service"}
    # the APIs the cluster programs call (container, compute, iam, cloudresourcemanager) and the mesh's
    assert {"container.googleapis.com", "compute.googleapis.com", "gkehub.googleapis.com",
            "mesh.googleapis.com"} <= set(apis)
    # pulumi-gcp's own doc of disable_on_destroy: "should generally only be true in configurations that manage
    # the organizations.Project resource itself" - the scope does not own the project
    import pulumi_gcp

    doc = " ".join((pulumi_gcp.projects.ServiceArgs.__init__.__doc__ or "").split())
    assert ("should generally only be `true` in configurations that manage the `organizations.Project` resource "
            "itself") in doc
    assert all(r.get("disableOnDestroy") is False for r in apis.values())


def test_scope_resources_cost_nothing_so_nothing_is_priced_per_cluster_for_them() -> None:
    """Enabling an API and the fleet's Feature switch carry no charge of their own; Cloud Service Mesh is priced
    (or named unpriced) on each cluster's FeatureMembership, once per cluster that runs it."""
    from datetime import date

    from kubefleet.catalog import load_catalog
    from kubefleet.cost.pricer import free_reason, price_graph
    from kubefleet.render.offline import render_resolved, scope_graphs

    clusters = _two_clusters()
    (scope,) = scope_graphs(clusters)
    assert all(free_reason(r.type) for r in scope.resources)
    breakdown = price_graph(render_resolved(clusters[0]), load_catalog(), as_of=date(2026, 11, 27))
    mesh = [u for u in breakdown.unpriced if "Service Mesh" in u.reason]
    assert len(mesh) == 1 and "featureMembership" in str(mesh[0]), breakdown.unpriced


def test_gke_scope_is_the_project_and_needs_only_grow() -> None:
    from kubefleet.providers import get_adapter
    from kubefleet.providers.scope import group

    adapter = get_adapter("gke")
    (plain,) = load_text(MINIMAL, "m.yaml")
    scope = adapter.scope(plain.spec, "from-env")
    assert scope is not None and scope.stack_name == "scope-gcp-from-env" and scope.needs == frozenset()
    unknown = adapter.scope(plain.spec)
    assert unknown is not None and not unknown.known
    mesh = adapter.scope(_two_clusters()[0].spec)
    assert mesh is not None and mesh.needs == {"mesh"}
    grouped = group([("a", mesh), ("b", mesh.with_needs(()))])
    assert list(grouped) == ["scope-gcp-acme-prod"] and grouped["scope-gcp-acme-prod"][1] == ["a", "b"]
    for other in ("eks", "aks", "kubeadm"):
        assert get_adapter(other).scope(plain.spec) is None


# ------------------------------------------------------------------ autoscaled pools start within their bounds

def _autoscaling_doc(field: str) -> str:
    types = importlib.import_module("google.cloud.container_v1.types")
    doc = " ".join((inspect.getdoc(types.NodePoolAutoscaling) or "").split())
    return doc.split(field + " (int): ", 1)[1].split(" (", 1)[0]


POOL_LINE = "      count: 3\n"


@pytest.mark.parametrize(("bounds", "zones", "expected"), [
    # (min, max) in total; zones the pool spans; expected initial nodes per zone (None: validate refuses)
    ((0, 2), ["us-east4-a", "us-east4-b", "us-east4-c"], 0),  # 1 per zone would be 3 > max 2
    ((1, 6), ["us-east4-a", "us-east4-b", "us-east4-c"], 1),
    ((4, 9), ["us-east4-a", "us-east4-b", "us-east4-c"], 2),  # ceil(4/3)
    ((2, 2), ["us-east4-a", "us-east4-b", "us-east4-c"], None),  # 1 per zone = 3 > 2: no start fits
    ((0, 5), [], 1),  # zonal: one zone
])
def test_autoscaled_initial_count_never_exceeds_the_max(tmp_path: Path, bounds: tuple[int, int], zones: list[str],
                                                        expected: int | None) -> None:
    """GKE creates initial_node_count nodes in each zone of the pool (gcloud --num-nodes: "the number of nodes to
    create in each location"); total_max_node_count is, per the API model, the "Maximum number of nodes in the
    node pool". So initial x zones must stay within [total min, total max]."""
    assert _autoscaling_doc("total_max_node_count").startswith("Maximum number of nodes in the node pool")
    assert _autoscaling_doc("max_node_count").startswith("Maximum number of nodes for one location")
    low, high = bounds
    # validate checks a provider's API limits for specs that name the provider
    text = MINIMAL.replace(POOL_LINE, f"      autoscaling: {{min: {low}, max: {high}}}\n").replace(
        "spec:\n", "spec:\n  provider: gke\n", 1).replace('version: "1.33"', 'version: "1.35"')
    if zones:
        text += "  controlPlane: {availability: regional}\n  providers:\n    gke:\n      zones:\n" + "".join(
            f"        - {z}\n" for z in zones)
    path = tmp_path / "a.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    (loaded,) = load_text(text, "a.yaml")
    if expected is None:
        assert result.exit_code == 2, result.output
        line = text.splitlines().index(f"      autoscaling: {{min: {low}, max: {high}}}") + 1
        assert f"a.yaml:{line}:" in " ".join(result.output.split()) and "over the max" in result.output
        return
    assert result.exit_code == 0, result.output
    graph = render_resolved(resolved(loaded.spec, "gke"))
    (pool,) = [r for r in graph.of_type("gcp:container/nodePool:NodePool")]
    initial = pool.get("initialNodeCount")
    assert initial == expected
    count = max(len(zones), 1)
    assert low <= initial * count <= high


# ------------------------------------------------------------------ GPU pools only in zones that offer the GPU

#: rows of the cited source (skypilot-org/skypilot-catalog@017e250:catalogs/v7/gcp/vms.csv), verbatim but for
#: the price columns: every zone of us-east4 where g2-standard-8 (nvidia-l4) is offered - no us-east4-b row
SOURCE_ROWS = ("g2-standard-8,8.0,32.0,,,,us-east4,us-east4-a", "g2-standard-8,8.0,32.0,,,,us-east4,us-east4-c")


def _gpu_spec(kind: str, zones: list[str], region_override: str | None = None) -> str:
    text = MINIMAL.replace("spec:\n", "spec:\n  provider: gke\n  controlPlane: {availability: regional}\n", 1)
    text = text.replace('version: "1.33"', 'version: "1.35"').replace(
        "machine: {vcpus: 4, memoryGiB: 16}", f"machine: {{vcpus: 8, memoryGiB: 32, gpu: {{kind: {kind}, count: 1}}}}")
    if zones or region_override:
        text += "  providers:\n    gke:\n" + (f"      region: {region_override}\n" if region_override else "")
        if zones:
            text += "      zones:\n" + "".join(f"        - {z}\n" for z in zones)
    return text


@pytest.mark.parametrize(("kind", "zones", "region", "bad_line"), [
    ("nvidia-l4", [], None, "gpu"),  # regional us-east4 would take us-east4-b too, which has no g2
    ("nvidia-l4", ["us-east4-a", "us-east4-b"], None, "        - us-east4-b"),
    ("nvidia-l4", ["us-east4-a", "us-east4-c"], None, None),
    ("nvidia-a100", ["us-east4-a"], None, "gpu"),  # no a2-highgpu-1g row for any us-east4 zone
    ("nvidia-h100", ["us-west1-a", "us-west1-b"], "us-west1", None),
    ("nvidia-t4", [], None, None),  # attached T4: not in the zone table, not checked
])
def test_gpu_pool_zones_are_checked_where_the_machine_type_exists(tmp_path: Path, kind: str, zones: list[str],
                                                                  region: str | None, bad_line: str | None) -> None:
    from kubefleet.catalog.zones import gpu_zones

    table = gpu_zones("gke")
    assert table is not None and "017e2502fb63c7a28757acd94002b2d6099d3e3d" in table.source.url
    for row in SOURCE_ROWS:  # the table says what the source rows say
        assert row.rsplit(",", 1)[-1] in (table.zones_with("nvidia-l4", "us-east4") or ())
    assert "us-east4-b" not in (table.zones_with("nvidia-l4", "us-east4") or ())
    text = _gpu_spec(kind, zones, region)
    path = tmp_path / "g.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    if bad_line is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    lines = text.splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if (ln.strip().startswith("machine:") and "gpu" in ln)) \
        if bad_line == "gpu" else lines.index(bad_line) + 1
    flat = " ".join(result.output.split())
    assert f"g.yaml:{line}:" in flat and kind in flat and "skypilot-catalog" in flat, flat


def _two_file(mesh: bool) -> str:
    docs = []
    for name in ("alpha", "beta"):
        text = MINIMAL.replace("name: mini", f"name: {name}").replace("spec:\n", "spec:\n  provider: gke\n", 1)
        text = text.replace('version: "1.33"', 'version: "1.35"')
        text += ("  addons: {istio: {mode: managed}}\n" if mesh else "") + "  providers: {gke: {project: acme-prod}}\n"
        docs.append(text)
    return "---\n".join(docs)


def test_plan_and_diff_show_the_project_scope_once_not_per_cluster(tmp_path: Path) -> None:
    import json

    path, base = tmp_path / "two.yaml", tmp_path / "base.yaml"
    path.write_text(_two_file(mesh=True))
    base.write_text(_two_file(mesh=False))
    plan = CliRunner().invoke(app, ["plan", str(path)], env={"COLUMNS": "200"})
    assert plan.exit_code == 0, plan.output
    assert plan.output.count("stack scope-gcp-acme-prod") == 1
    assert plan.output.count("gcp:gkehub/feature:Feature") == 1  # the Feature: once, in the scope's table
    # turning the managed mesh on in both clusters: the project's scope gains the Feature and two APIs, once
    diff = CliRunner().invoke(app, ["diff", "--base", str(base), str(path), "-o", "json"])
    assert diff.exit_code == 0, diff.output
    doc = json.loads(diff.output[diff.output.index("{"):])
    scopes = [c for c in doc["clusters"] if c["cluster"].startswith("scope-")]
    assert [s["cluster"] for s in scopes] == ["scope-gcp-acme-prod"]
    created = sorted(f"{c['type']}::{c['name']}" for c in scopes[0]["changes"] if c["op"] == "create")
    assert created == ["gcp:gkehub/feature:Feature::servicemesh", "gcp:projects/service:Service::api-gkehub",
                       "gcp:projects/service:Service::api-mesh"]
    assert scopes[0]["monthly_delta"] == "0.00"
    for cluster in (c for c in doc["clusters"] if not c["cluster"].startswith("scope-")):
        assert all(c["type"] != "gcp:gkehub/feature:Feature" for c in cluster["changes"])
    # and back: the scope keeps what it holds (another cluster of the project may use it), nothing is shown
    back = CliRunner().invoke(app, ["diff", "--base", str(path), str(base), "-o", "json"])
    doc = json.loads(back.output[back.output.index("{"):])
    assert not [c for c in doc["clusters"] if c["cluster"].startswith("scope-")]


def test_fleet_lists_a_project_scope_stack_once_as_shared_not_as_a_stack_without_spec() -> None:
    from datetime import UTC, datetime

    from kubefleet.fleet import StackInfo, match_stacks

    def stack(name: str) -> StackInfo:
        return StackInfo(name=name, last_update=datetime(2026, 12, 6, tzinfo=UTC), resource_count=7,
                         url=f"file:///state/{name}", outputs={})

    matches = match_stacks([], [stack("scope-gcp-acme-prod"), stack("old-cluster-eks"),
                                stack("organization/kubefleet/scope-gcp-acme-dev")])
    assert {(m.status, m.stack.name if m.stack else None) for m in matches} == {
        ("shared-scope", "scope-gcp-acme-prod"), ("no-spec", "old-cluster-eks"),
        ("shared-scope", "organization/kubefleet/scope-gcp-acme-dev")}


@pytest.mark.parametrize(("error", "adopt_nothing"), [
    # the bridged getFeature's own not-found text (terraform-provider-google@2bdfed3:
    # google/services/gkehub2/data_source_google_gke_hub_feature.go: fmt.Errorf("%s not found", id))
    ("invoke of gcp:gkehub/getFeature:getFeature failed: projects/p1/locations/global/features/servicemesh "
     "not found", True),
    # a fresh project: the fleet API is enabled by the scope stack itself, after the program asked
    ("googleapi: Error 403: GKE Hub API has not been used in project 123 before or it is disabled. Enable it by "
     "visiting https://console.developers.google.com/apis/api/gkehub.googleapis.com/overview?project=123 then "
     "retry., SERVICE_DISABLED", True),
    ("googleapi: Error 403: Permission 'gkehub.features.get' denied on resource, forbidden", False),
])
def test_scope_program_creates_the_feature_only_when_none_can_exist(monkeypatch: pytest.MonkeyPatch, error: str,
                                                                    adopt_nothing: bool) -> None:
    import pulumi_gcp

    from kubefleet.providers.gke import scope as gke_scope

    def failing(**_: object) -> object:
        raise Exception(error)

    monkeypatch.setattr(pulumi_gcp.gkehub, "get_feature", failing)
    if adopt_nothing:
        assert gke_scope._existing_feature("p1") is None
    else:  # any other failure stops the run instead of creating a Feature that may exist (409)
        with pytest.raises(Exception, match="denied"):
            gke_scope._existing_feature("p1")


# ---- project-wide names: unique per region, existing stacks keep theirs ----

GKE_BASE = MINIMAL.replace("spec:\n", "spec:\n  provider: gke\n", 1).replace('version: "1.33"', 'version: "1.35"')
#: managed mesh (fleet membership) and self-managed Istio on private nodes (the webhook firewall)
WIDE_SPECS = {
    "managed": GKE_BASE + "  addons: {istio: {mode: managed}}\n  providers: {gke: {project: acme-prod}}\n",
    "self": GKE_BASE + "  controlPlane: {endpoint: private}\n  addons: {istio: {mode: self-managed}}\n"
                       "  providers: {gke: {project: acme-prod}}\n",
}
#: what kubefleet@7b0dfba (before the region was hashed) rendered for WIDE_SPECS: what existing stacks hold
NAMES_AT_7B0DFBA = {
    "managed": {"mini-vpc": "mini-vpc-c457bc", "mini-membership": "mini-fleet-86ebba", "mini-nodes-sa": "mini-nodes-a59ac6"},
    "self": {"mini-istio-webhooks": "mini-istio-webhooks-f4ca5a", "mini-vpc": "mini-vpc-c457bc",
             "mini-nodes-sa": "mini-nodes-a59ac6"},
}


def previous_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with the names of kubefleet@7b0dfba providers/gke/names.py: ``resource(spec, kind)`` and
    ``cloud_name(SERVICE_ACCOUNT, f"{name}-nodes", name, "gke", "node-sa")``, no region."""
    from kubefleet.naming import cloud_name
    from kubefleet.providers.gke import names

    monkeypatch.setattr(names, "project_resource", lambda spec, region, kind: names.resource(spec, kind))
    monkeypatch.setattr(names, "node_service_account", lambda spec, region: cloud_name(
        names.SERVICE_ACCOUNT, f"{spec.name}-nodes", spec.name, "gke", "node-sa"))


def _gke_at(kind: str, region: str = "us-east") -> object:
    from kubefleet.render.offline import render

    (spec,) = load_text(WIDE_SPECS[kind].replace("region: us-east", f"region: {region}"), "s.yaml")
    return render(spec.spec, "gke", resolver=shape_resolver("gke"))


def _wide(graph: object) -> dict[str, str]:
    from kubefleet.providers.gke.names import PROJECT_WIDE

    return {r.name: r.get(PROJECT_WIDE[r.type]) for r in graph.resources if r.type in PROJECT_WIDE}  # type: ignore[attr-defined]


def test_project_wide_gke_names_differ_per_region() -> None:
    """pulumi_gcp's own id templates: networks and firewalls are ``projects/{project}/global/...``, a membership
    ``projects/{project}/locations/{location}/...`` (kubefleet uses location global), a service account id is
    "unique within a project"; subnetworks and routers are ``regions/{region}/...`` and a cluster is per location.
    Two clusters of one name in two regions of one project: the project-wide names differ, the regional ones may
    not need to."""
    import pulumi_gcp

    from kubefleet.providers.gke.names import PROJECT_WIDE

    root = Path(pulumi_gcp.__file__).parent
    doc = {t: (root / f).read_text(encoding="utf-8") for t, f in {
        "network": "compute/network.py", "firewall": "compute/firewall.py", "membership": "gkehub/membership.py",
        "account": "serviceaccount/account.py", "subnetwork": "compute/subnetwork.py", "router": "compute/router.py",
        "cluster": "container/cluster.py"}.items()}
    assert "projects/{{project}}/global/networks/{{name}}" in doc["network"]
    assert "projects/{{project}}/global/firewalls/{{name}}" in doc["firewall"]
    assert "projects/{{project}}/locations/{{location}}/memberships/{{membership_id}}" in doc["membership"]
    assert "unique within a project" in doc["account"]
    assert "projects/{{project}}/regions/{{region}}/subnetworks/{{name}}" in doc["subnetwork"]
    assert "projects/{{project}}/regions/{{region}}/routers/{{name}}" in doc["router"]
    assert "projects/{{project_id}}/locations/{{location}}/clusters/{{cluster_id}}" in doc["cluster"]
    from kubefleet.providers.gke.scope import FLEET_LOCATION

    assert FLEET_LOCATION == "global"
    for kind in WIDE_SPECS:
        east, west = _gke_at(kind), _gke_at(kind, "us-west")
        assert set(_wide(east)) == set(_wide(west)) == set(NAMES_AT_7B0DFBA[kind])
        assert not set(_wide(east).values()) & set(_wide(west).values()), kind
        for graph in (east, west):
            for r in graph.resources:  # type: ignore[attr-defined]
                if r.type in PROJECT_WIDE:
                    assert r.ignore_changes == (PROJECT_WIDE[r.type],), r.name
            (account,) = [r for r in graph.resources if r.type == "gcp:serviceaccount/account:Account"]  # type: ignore[attr-defined]
            assert 6 <= len(account.get("accountId")) <= 30


def test_an_existing_gke_stack_keeps_its_project_wide_names_so_nothing_is_replaced(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new network name would replace the network and the cluster (``network`` is ForceNew), a new account id
    the node pools (``nodeConfig.serviceAccount``): the generated replace table. The offline diff of a stack
    rendered with the previous names against today's render: nothing but the notes."""
    from kubefleet.changes import replace
    from kubefleet.changes.diff import diff_graphs, kept_name_note
    from kubefleet.providers.gke.names import PROJECT_WIDE

    assert "name" in replace.replace_paths("gcp:compute/network:Network")
    assert "accountId" in replace.replace_paths("gcp:serviceaccount/account:Account")
    assert "network" in replace.replace_paths("gcp:container/cluster:Cluster")
    assert "nodeConfig.serviceAccount" in replace.replace_paths("gcp:container/nodePool:NodePool")
    today = {kind: _gke_at(kind) for kind in WIDE_SPECS}
    previous_names(monkeypatch)
    for kind, new in today.items():
        old = _gke_at(kind)
        assert _wide(old) == NAMES_AT_7B0DFBA[kind]
        diffs = diff_graphs(old, new)  # type: ignore[arg-type]
        assert {(d.change.type, d.change.name): d.change.op for d in diffs if d.change.op != "same"} == {}, kind
        notes = {d.change.name: d.at_apply for d in diffs if d.change.type in PROJECT_WIDE}
        assert notes == {d.change.name: kept_name_note(PROJECT_WIDE[d.change.type])
                         for d in diffs if d.change.type in PROJECT_WIDE}
        assert set(notes) == set(NAMES_AT_7B0DFBA[kind]) and all(notes.values())


# ------------------------------------------------------------------ day 2: private nodes reach the existing pools

TF_BETA = "/work/.mirror/hashicorp+terraform-provider-google-beta/repo"


def _field_doc(message: str, field: str) -> str:
    types = importlib.import_module("google.cloud.container_v1.types")
    doc = inspect.getdoc(getattr(types, message)) or ""
    import re

    start = re.search(rf"\n\s+{field} \(", doc)
    assert start is not None, (message, field)
    return " ".join(re.split(r"\n\s+[a-z_]+ \(", doc[start.end():], maxsplit=1)[0].split())


def test_turning_private_nodes_on_makes_the_existing_pools_private(tmp_path: Path) -> None:
    """Day 2 `network.privateNodes: false -> true`. On an existing cluster the provider sends the cluster's
    enable_private_nodes as ClusterUpdate.desired_default_enable_private_nodes (terraform-provider-google-beta@
    3dc173a:google-beta/services/container/resource_container_cluster.go:4119-4124), which the API model says is
    the setting of *future created* nodes; a node pool's own NodeNetworkConfig.enable_private_nodes is the one
    that takes its nodes' external IPs away. So every pool carries it, and `kubefleet diff` shows each pool
    updated in place (the table has no replace rule for it: Optional+Computed, no ForceNew)."""
    import json

    assert "future created nodes have private IP addresses only" in _field_doc(
        "ClusterUpdate", "desired_default_enable_private_nodes")
    assert "Whether nodes have internal IP addresses only" in _field_doc("NodeNetworkConfig", "enable_private_nodes")
    assert "node_network_config" in (inspect.getdoc(importlib.import_module(
        "google.cloud.container_v1.types").UpdateNodePoolRequest) or "")
    from kubefleet.changes import replace

    assert not any(p.startswith("networkConfig.enablePrivateNodes")
                   for p in replace.replace_paths("gcp:container/nodePool:NodePool"))

    public = MINIMAL.replace("spec:\n", "spec:\n  provider: gke\n", 1)
    private = public + "  network: {privateNodes: true}\n"
    for text, want in ((public, False), (private, True)):
        (spec,) = load_text(text, "p.yaml")
        graph = render_resolved(resolved(spec.spec, "gke"))
        for pool in graph.of_type("gcp:container/nodePool:NodePool"):
            assert pool.get("networkConfig") == {"enablePrivateNodes": want}, pool.name
        assert (graph.one("gcp:container/cluster:Cluster").get("privateClusterConfig") or {}).get(
            "enablePrivateNodes", False) is want
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(public)
    head.write_text(private)
    out = CliRunner().invoke(app, ["diff", "--base", str(base), str(head), "-o", "json"])
    assert out.exit_code == 0, out.output
    changes = json.loads(out.output[out.output.index("{"):])["clusters"][0]["changes"]
    pools = {c["name"]: c["op"] for c in changes if c["type"] == "gcp:container/nodePool:NodePool"}
    assert pools == {"mini-general": "update"}


# ------------------------------------------------------------------ day 2: the cluster's address ranges

RANGES_BASE = MINIMAL.replace("spec:\n", "spec:\n  provider: gke\n", 1).replace('"1.33"', '"1.35"') + \
    "  network: {nodeCidr: 10.0.0.0/16, podCidr: 10.64.0.0/14, serviceCidr: 10.96.0.0/16}\n"


@pytest.mark.parametrize(("network", "refused"), [
    # a secondary range "can be added or deleted, but ... can't be updated"
    # (https://cloud.google.com/vpc/docs/configure-alias-ip-ranges, Limitations, read 2026-12-06)
    ("nodeCidr: 10.0.0.0/16, podCidr: 10.128.0.0/14, serviceCidr: 10.96.0.0/16", ["podCidr"]),
    ("nodeCidr: 10.0.0.0/16, podCidr: 10.64.0.0/14, serviceCidr: 10.97.0.0/16", ["serviceCidr"]),
    # the primary range may grow in place: terraform-provider-google-beta@3dc173a:google-beta/services/compute/
    # resource_compute_subnetwork.go:63-80 IsShrinkageIpCidr is false when the new range holds the old one's
    # first and last address (then expandIpCidrRange), true otherwise (:511-512 ForceNewIfChange: a replacement
    # of the subnetwork the nodes are on)
    ("nodeCidr: 10.0.0.0/15, podCidr: 10.64.0.0/14, serviceCidr: 10.96.0.0/16", []),
    ("nodeCidr: 10.1.0.0/16, podCidr: 10.64.0.0/14, serviceCidr: 10.96.0.0/16", ["nodeCidr"]),
    ("nodeCidr: 10.0.0.0/17, podCidr: 10.64.0.0/14, serviceCidr: 10.96.0.0/16", ["nodeCidr"]),
])
def test_changed_ranges_of_a_running_cluster_are_refused_at_their_field(tmp_path: Path, network: str,
                                                                         refused: list[str]) -> None:
    """Before: `kubefleet diff` showed a pod/service range change as an in-place subnetwork update (which GCP
    refuses) and a moved node range as an update (the provider replaces the in-use subnetwork: its CustomizeDiff
    rule is not in the ForceNew table). Now `validate --base` points at the field (exit 2) and `diff` marks the
    subnetwork row refused; a growing node range stays an update."""
    import ipaddress
    import json

    # the provider's expansion rule, on the rows' own ranges (not kubefleet's code)
    old = ipaddress.ip_network("10.0.0.0/16")
    new = ipaddress.ip_network(network.split(",")[0].split(": ")[1])
    assert (new[0] <= old[0] and old[-1] <= new[-1]) == ("nodeCidr" not in refused)

    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(RANGES_BASE)
    head.write_text(RANGES_BASE.replace("nodeCidr: 10.0.0.0/16, podCidr: 10.64.0.0/14, serviceCidr: 10.96.0.0/16",
                                        network))
    checked = CliRunner().invoke(app, ["validate", "--base", str(base), str(head)])
    assert checked.exit_code == (2 if refused else 0), checked.output
    for key in refused:
        line = next(i for i, text in enumerate(head.read_text().splitlines(), 1) if key in text)
        assert f"head.yaml:{line}:" in checked.output and "create a new cluster" in checked.output
    out = CliRunner().invoke(app, ["diff", "--base", str(base), str(head), "-o", "json"])
    cluster = json.JSONDecoder().raw_decode(out.output[out.output.index("{"):])[0]["clusters"][0]
    notes = [u for u in cluster["upgrades"] if u["kind"] == "refused"]
    assert len(notes) == len(refused)
    subnet = next(c for c in cluster["changes"] if c["type"] == "gcp:compute/subnetwork:Subnetwork")
    assert subnet["op"] == "update"  # what the engine would be sent; the refusal says why it must not be
    md = CliRunner().invoke(app, ["diff", "--base", str(base), str(head), "-o", "markdown"]).output
    assert ("refused" in md.split("mini-subnet", 1)[0].rsplit("\n", 1)[-1]) == bool(refused)


def test_ranges_of_a_named_existing_network_are_not_refused(tmp_path: Path) -> None:
    """On a network the user names, the pod/service blocks are the cluster's own ipAllocationPolicy, ForceNew in
    the table: the diff shows the cluster replaced, nothing is refused."""
    text = RANGES_BASE + "  providers: {gke: {network: shared, subnetwork: gke-sub}}\n"
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(text)
    head.write_text(text.replace("podCidr: 10.64.0.0/14", "podCidr: 10.128.0.0/14"))
    assert CliRunner().invoke(app, ["validate", "--base", str(base), str(head)]).exit_code == 0

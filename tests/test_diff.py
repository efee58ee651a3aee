"""kubefleet diff: change computation between two rendered graphs, PR-comment and JSON goldens, git bases."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubefleet.changes.diff import diff_graphs, forcing_paths, replace_paths
from kubefleet.changes.replace import rules
from kubefleet.cli.app import app
from kubefleet.graph import RenderedResource, ResourceGraph
from tests.conftest import MINIMAL

DATA = Path(__file__).resolve().parent / "data" / "diff"
AS_OF = "2026-11-27"
MOVES = {"provider-block"}  # an existing cluster moved to another place (region/project/subscription)
CASES = ["pool-resize", "version-bump", "tier-change", "mesh-on", "provider-block", "multi", "kubeadm-resize"]

runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(app, ["diff", *args], catch_exceptions=False)


def _diff(case: str, output: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(DATA)  # relative paths: stable titles in the goldens
    result = _run("--base", f"{case}.old.yaml", f"{case}.new.yaml", "--as-of", AS_OF, "--output", output)
    # a cluster moved to another project is refused (exit 1, tests/test_diff_region.py); the output is still whole
    assert result.exit_code == (1 if case in MOVES else 0), result.output
    return str(result.stdout)


# ------------------------------------------------------------------ goldens


@pytest.mark.parametrize("case", CASES)
def test_markdown_matches_golden(case: str, golden: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    golden.check(f"diff/{case}.md", _diff(case, "markdown", monkeypatch))


@pytest.mark.parametrize("case", ["pool-resize", "multi", "provider-block"])
def test_json_matches_golden(case: str, golden: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    golden.check(f"diff/{case}.json", _diff(case, "json", monkeypatch))


# ------------------------------------------------------------------ what the goldens must say


def _json(case: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_diff(case, "json", monkeypatch))
    return data


def _by_name(cluster: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in cluster["changes"]}


def test_pool_resize_is_an_update_with_a_cost_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _json("pool-resize", monkeypatch)
    (eks,) = doc["clusters"]
    assert (eks["cluster"], eks["provider"], eks["status"]) == ("orders", "eks", "changed")
    assert eks["counts"]["update"] == 1 and eks["counts"]["replace"] == 0
    pool = _by_name(eks)["orders-general"]
    assert pool["op"] == "update"
    assert {"path": "scalingConfig.minSize", "old": 3, "new": 6} in pool["inputs"]
    assert float(eks["monthly_delta"]) > 0
    assert doc["monthly_delta"] == eks["monthly_delta"]


def test_tier_change_moves_the_control_plane_fee(monkeypatch: pytest.MonkeyPatch) -> None:
    (aks,) = _json("tier-change", monkeypatch)["clusters"]
    managed = _by_name(aks)["search-aks"]
    assert managed["op"] == "update"
    assert {"path": "sku.tier", "old": "Free", "new": "Standard"} in managed["inputs"]
    assert aks["monthly_delta"] == "73.00"  # AKS standard tier: $0.10 per cluster-hour x 730 h


def test_project_change_replaces_everything_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    clusters = {c["cluster"]: c for c in _json("provider-block", monkeypatch)["clusters"]}
    gke = clusters["ledger"]
    # every cloud resource; the zones picked on the first apply stay (pulumi:index:Stash, kept in the state
    # whatever the project: providers/gke/cluster.py placement)
    ops = {c["op"] for c in gke["changes"] if c["type"] != "pulumi:index:Stash"}
    assert ops == {"replace"}
    # the new project's shared stack (APIs, once per project: kubefleet/changes/scope.py) is created
    assert {c["op"] for c in clusters["scope-gcp-acme-payments-prod"]["changes"]} == {"create"}
    cluster = _by_name(gke)["ledger-cluster"]
    assert "project" in cluster["replaced_because"]
    # and kubefleet refuses the move, with the new-stack way out (kubefleet.changes.diff.location_refusals)
    (note,) = [n for n in gke["upgrades"] if n["kind"] == "refused"]
    assert "acme-payments-dev to acme-payments-prod" in note["text"] and "<name>-gke" in note["text"]
    assert cluster["refused"] == [note["rule"]]


def test_added_and_removed_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    clusters = {c["cluster"]: c for c in _json("multi", monkeypatch)["clusters"]}
    assert {k: v["status"] for k, v in clusters.items()} == {"legacy": "removed", "orders": "unchanged",
                                                              "search": "added"}
    assert {c["op"] for c in clusters["legacy"]["changes"]} == {"delete"}
    assert {c["op"] for c in clusters["search"]["changes"]} == {"create"}
    assert clusters["legacy"]["monthly_after"] == "0.00" and clusters["search"]["monthly_before"] == "0.00"
    assert clusters["orders"]["monthly_delta"] == "0.00"


def test_markdown_calls_out_deletions_and_includes_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _diff("multi", "markdown", monkeypatch)
    assert text.startswith("<!-- kubefleet:pr-comment -->\n")
    assert "> [!WARNING]" in text and "is deleted" in text
    # 4 + node service account and its 4 role bindings + the stash of the zones picked on the first apply
    assert "- ⚠️ **legacy** · GKE: 10 deleted" in text
    assert "### Policy" in text and "| Level | Rule |" in text


def test_json_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _json("multi", monkeypatch)
    assert set(doc) == {"apiVersion", "kind", "base", "head", "as_of", "monthly_before", "monthly_after", "monthly_delta", "clusters",
                        "refused"}
    assert doc["as_of"] == AS_OF and doc["base"] == "multi.old.yaml" and doc["head"] == "multi.new.yaml"
    for cluster in doc["clusters"]:
        assert set(cluster) == {"cluster", "provider", "status", "counts", "drift", "monthly_before", "monthly_after",
                                "monthly_delta", "unpriced", "changes", "upgrades"}
        assert set(cluster["counts"]) == {"create", "update", "replace", "delete", "same"}
        assert cluster["status"] in ("added", "removed", "changed", "unchanged")
        for money in ("monthly_before", "monthly_after", "monthly_delta"):
            assert isinstance(cluster[money], str) and cluster[money].replace("-", "").replace(".", "").isdigit()
        for change in cluster["changes"]:
            assert {"op", "type", "name", "drift", "inputs"} <= set(change)
            for i in change["inputs"]:
                assert {"path", "old", "new"} <= set(i)


def test_table_output(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _diff("pool-resize", "table", monkeypatch)
    assert "orders (changed)" in text and "scalingConfig.minSize: 3 → 6" in text


# ------------------------------------------------------------------ secrets


SEEDED = "zq9sekretzq9sekr"  # a recognisable vCenter password


def test_seeded_secret_never_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    """kubeadm's vCenter password (stack config, a secret) goes into Secrets in the management cluster; a
    diff that changes the VM shape shows the template roll and never the password."""
    import pulumi

    real_secret = pulumi.Config.get_secret
    seen: list[str] = []

    def seeded(self: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        if key == "vspherePassword":
            seen.append(key)
            return pulumi.Output.secret(SEEDED)
        return real_secret(self, key, *args, **kwargs)

    monkeypatch.setattr(pulumi.Config, "get_secret", seeded)
    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")
    outputs = [_diff("kubeadm-resize", fmt, monkeypatch) for fmt in ("markdown", "json", "table")]
    assert seen, "the seeded secret was never handed to the program"
    for text in outputs:
        assert SEEDED not in text
    changes = json.loads(outputs[1])["clusters"][0]["changes"]
    kinds = {(c["op"], c["type"].rsplit(":", 1)[-1]) for c in changes}
    # a new shape is a new VSphereMachineTemplate (CAPV's are immutable) and class; the Cluster moves to it
    assert {("create", "VSphereMachineTemplate"), ("delete", "VSphereMachineTemplate"), ("create", "ClusterClass"),
            ("update", "Cluster")} <= kinds, kinds


# ------------------------------------------------------------------ the change computation itself


def _res(type_: str, name: str, inputs: dict[str, Any], parent: str = "") -> RenderedResource:
    urn = f"urn:pulumi:c-gke::kubefleet::{parent + '$' if parent else ''}{type_}::{name}"
    return RenderedResource(urn=urn, type=type_, name=name, parent=None, inputs=inputs, custom=True, protect=False)


def _graph(*resources: RenderedResource) -> ResourceGraph:
    return ResourceGraph("c", "gke", "us-east4", list(resources), {}, [], {}, spec=None)  # type: ignore[arg-type]


POOL = "gcp:container/nodePool:NodePool"
CLUSTER = "gcp:container/cluster:Cluster"


def test_machine_type_is_an_in_place_update_but_spot_replaces() -> None:
    old = _res(POOL, "p", {"nodeConfig": {"machineType": "n2-standard-4", "spot": False}})
    bigger = _res(POOL, "p", {"nodeConfig": {"machineType": "n2-standard-8", "spot": False}})
    spot = _res(POOL, "p", {"nodeConfig": {"machineType": "n2-standard-4", "spot": True}})
    assert [d.change.op for d in diff_graphs(_graph(old), _graph(bigger))] == ["update"]
    (d,) = diff_graphs(_graph(old), _graph(spot))
    assert d.change.op == "replace" and d.forced_by == ("nodeConfig.spot",)


def test_renamed_resource_is_delete_plus_create() -> None:
    ops = sorted(d.change.op for d in diff_graphs(_graph(_res(POOL, "a", {"x": 1})), _graph(_res(POOL, "b", {"x": 1}))))
    assert ops == ["create", "delete"]


def test_replacement_cascades_to_forcing_references() -> None:
    cluster_old = _res(CLUSTER, "cl", {"name": "c-abc123", "location": "us-east4"})
    cluster_new = _res(CLUSTER, "cl", {"name": "c-abc123", "location": "us-west1"})
    pool = _res(POOL, "p", {"cluster": "c-abc123", "nodeConfig": {"machineType": "n2-standard-4"}})
    diffs = {d.change.name: d for d in diff_graphs(_graph(cluster_old, pool), _graph(cluster_new, pool))}
    assert diffs["cl"].change.op == "replace" and diffs["cl"].forced_by == ("location",)
    assert diffs["p"].change.op == "replace" and diffs["p"].forced_by == ("cluster",)
    assert diffs["p"].change.inputs[0].new == "(known after replace)"


def test_secret_only_change_is_invisible_and_secrets_may_change_with_others() -> None:
    vm = "vsphere:index/virtualMachine:VirtualMachine"
    old = _res(vm, "v", {"extraConfig": "[secret]", "numCpus": 4})
    same = _res(vm, "v", {"extraConfig": "[secret]", "numCpus": 4})
    more = _res(vm, "v", {"extraConfig": "[secret]", "numCpus": 8})
    assert [d.change.op for d in diff_graphs(_graph(old), _graph(same))] == ["same"]
    (d,) = diff_graphs(_graph(old), _graph(more))
    assert d.change.op == "update"
    assert [(i.path, i.uncertain) for i in d.change.inputs] == [("extraConfig", True), ("numCpus", False)]
    assert forcing_paths(vm, {"clone": {"templateUuid": "[secret]"}}, {"clone": {"templateUuid": "[secret]"}}) == ()


def test_registry_covers_every_adapter_primary_type_and_package_rules() -> None:
    for type_ in (CLUSTER, POOL, "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
                  "azure-native:containerservice:AgentPool", "vsphere:index/virtualMachine:VirtualMachine"):
        assert rules(type_)
    assert "project" in replace_paths("gcp:compute/firewall:Firewall")
    assert "resourceGroupName" in replace_paths("azure-native:network:Subnet")
    assert "nodeConfig.machineType" not in replace_paths(POOL)  # updated in place since provider v5
    assert "vmSize" in replace_paths("azure-native:containerservice:AgentPool")


# ------------------------------------------------------------------ bases from git and bad bases


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ref_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git(tmp_path, "init", "-q")
    spec = tmp_path / "clusters" / "orders.yaml"
    spec.parent.mkdir()
    spec.write_text((DATA / "pool-resize.old.yaml").read_text())
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "old")
    spec.write_text((DATA / "pool-resize.new.yaml").read_text())
    _git(tmp_path, "commit", "-q", "-am", "new")
    monkeypatch.chdir(tmp_path)
    result = _run("--base", "HEAD~1:clusters/orders.yaml", "clusters/orders.yaml", "--as-of", AS_OF, "-o", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["base"] == "HEAD~1:clusters/orders.yaml"
    assert doc["clusters"][0]["counts"]["update"] == 1
    same = _run("--base", "HEAD:clusters/orders.yaml", "clusters/orders.yaml", "--as-of", AS_OF, "-o", "json")
    assert json.loads(same.stdout)["clusters"][0]["status"] == "unchanged"


@pytest.mark.parametrize("base", ["HEAD~5:clusters/orders.yaml", "nosuchref:clusters/orders.yaml",
                                  "HEAD:missing.yaml", "missing.yaml"])
def test_bad_base_is_a_usage_error(base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is not None:
        _git(tmp_path, "init", "-q")
        (tmp_path / "clusters").mkdir()
        (tmp_path / "clusters" / "orders.yaml").write_text((DATA / "pool-resize.old.yaml").read_text())
        _git(tmp_path, "add", ".")
        _git(tmp_path, "commit", "-q", "-m", "only")
    else:
        (tmp_path / "clusters").mkdir()
        (tmp_path / "clusters" / "orders.yaml").write_text((DATA / "pool-resize.old.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = _run("--base", base, "clusters/orders.yaml")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "--base" in result.stderr


def test_git_missing_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "new.yaml").write_text((DATA / "pool-resize.new.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = _run("--base", "main:new.yaml", "new.yaml")
    assert result.exit_code == 2
    assert "git is not installed" in result.stderr


def test_empty_sides_mean_added_or_deleted_spec_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    monkeypatch.chdir(DATA)
    added = json.loads(_run("--base", str(empty), "pool-resize.new.yaml", "--as-of", AS_OF, "-o", "json").stdout)
    assert [c["status"] for c in added["clusters"]] == ["added"]
    removed = json.loads(_run("--base", "pool-resize.old.yaml", str(empty), "--as-of", AS_OF, "-o", "json").stdout)
    assert [c["status"] for c in removed["clusters"]] == ["removed"]


# ------------------------------------------------------------------ rolls every node, deletion protection, --fail-on


def _spec(name: str = "ledger", *, env: str = "dev", vcpus: int = 4, project: str = "acme-dev",
          provider: str = "gke", version: str = "1.35") -> str:
    block = f"  providers: {{gke: {{project: {project}}}}}\n" if provider == "gke" else ""
    return (f"apiVersion: kubefleet.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {name}\n"
            f"  labels: {{team: payments, owner: jane-doe, cost-center: cc-1234, env: {env}}}\n"
            f"spec:\n  provider: {provider}\n  kubernetes: {{version: \"{version}\"}}\n  region: us-east\n"
            f"  nodePools:\n    - name: general\n      machine: {{vcpus: {vcpus}, memoryGiB: 16}}\n"
            f"      autoscaling: {{min: 3, max: 6}}\n{block}")


def _pair(tmp_path: Path, old: str, new: str) -> tuple[str, str]:
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    return str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")


def test_rolling_inputs_are_the_ones_the_cloud_apis_say_migrate_nodes() -> None:
    """Oracle: the clouds' own API models. GKE UpdateNodePoolRequest (google-cloud-container) says which
    node-pool fields 'initiate an upgrade operation that migrates the nodes'; botocore's EKS model says
    a node-group version update drains (replaces) every node."""
    import warnings

    from kubefleet.changes.diff import ROLLS_NODES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = pytest.importorskip("google.cloud.container_v1.types.cluster_service")
    doc = " ".join(str(cs.UpdateNodePoolRequest.__doc__).split())

    def field_doc(name: str) -> str:
        start = doc.index(f"{name} (")
        nxt = re.search(r" [a-z_]+ \((?:str|int|bool|google\.)", doc[start + len(name) + 2:])
        return doc[start: start + len(name) + 2 + (nxt.start() if nxt else 400)]

    sdk_field = {"nodeConfig.machineType": "machine_type", "nodeConfig.diskSizeGb": "disk_size_gb",
                 "nodeConfig.diskType": "disk_type", "version": "node_version"}
    gke = ROLLS_NODES["gcp:container/nodePool:NodePool"]
    assert set(gke) == set(sdk_field)  # a new entry needs its oracle here
    for path in gke:
        text = field_doc(sdk_field[path])
        assert "migrates the nodes" in text or "change the nodes to" in text, (path, text)

    botocore = pytest.importorskip("botocore.session")
    eks = botocore.get_session().get_service_model("eks")
    op = eks.operation_model("UpdateNodegroupVersion")
    assert "drained" in op.documentation
    members = set(op.input_shape.members)
    for path in ROLLS_NODES["aws:eks/nodeGroup:NodeGroup"]:
        assert path.split(".")[0] in members, path  # version, releaseVersion, launchTemplate


def test_deletion_protection_is_the_flag_eks_documents() -> None:
    botocore = pytest.importorskip("botocore.session")
    shape = botocore.get_session().get_service_model("eks").shape_for("CreateClusterRequest")
    assert "deletionProtection" in shape.members
    assert "cannot be deleted" in shape.members["deletionProtection"].documentation


def test_a_machine_change_on_gke_rolls_every_node(tmp_path: Path) -> None:
    old, new = _pair(tmp_path, _spec(vcpus=4), _spec(vcpus=8))
    result = _run("--base", old, new, "--as-of", AS_OF, "--output", "json")
    assert result.exit_code == 0, result.output
    (gke,) = json.loads(result.stdout)["clusters"]
    pool = _by_name(gke)["ledger-general"]
    assert pool["op"] == "update"
    assert pool["rolls_every_node"] == ["nodeConfig.machineType"]
    md = _run("--base", old, new, "--as-of", AS_OF, "--output", "markdown").stdout
    assert "🔄 **rolls every node** (`nodeConfig.machineType`)" in md
    table = _run("--base", old, new, "--as-of", AS_OF).stdout
    assert "rolls every node: nodeConfig.machineType" in table


def test_replacing_a_deletion_protected_cluster_is_warned(tmp_path: Path) -> None:
    """A prod cluster: Pulumi `protect` and GKE's deletionProtection are on; moving it to another project
    replaces it, and the delete half of that replace will be refused."""
    old, new = _pair(tmp_path, _spec(env="prod"), _spec(env="prod", project="acme-prod"))
    md = _run("--base", old, new, "--as-of", AS_OF, "--output", "markdown").stdout
    warning = md.split("> [!WARNING]", 1)[1].split("\n\n", 1)[0]
    assert "`ledger-cluster` (`gcp:container/cluster:Cluster`) is replaced" in warning
    assert "🔒 deletion protection on" in warning
    doc = json.loads(_run("--base", old, new, "--as-of", AS_OF, "--output", "json").stdout)
    cluster = _by_name(doc["clusters"][0])["ledger-cluster"]
    assert cluster["deletion_protected"]


def test_fail_on_gates(tmp_path: Path) -> None:
    old, new = _pair(tmp_path, _spec(vcpus=4), _spec(vcpus=8))
    assert _run("--base", old, new, "--as-of", AS_OF, "--fail-on", "delta>10").exit_code == 1
    assert _run("--base", old, new, "--as-of", AS_OF, "--fail-on", "delta>100000").exit_code == 0
    assert _run("--base", old, new, "--as-of", AS_OF, "--fail-on", "replace,delete").exit_code == 0
    moved_old, moved_new = _pair(tmp_path, _spec(), _spec(project="acme-prod"))
    replaced = _run("--base", moved_old, moved_new, "--as-of", AS_OF, "--fail-on", "replace")
    assert replaced.exit_code == 1 and "replaced" in replaced.stderr
    bad = _run("--base", old, new, "--fail-on", "cost>5")
    assert bad.exit_code == 2 and "not a condition" in bad.stderr


def test_fail_on_mandatory_counts_only_findings_new_in_the_change(tmp_path: Path) -> None:
    # the base already runs an unsupported version: not new, no failure; a change INTO it fails
    old_v, new_v = _pair(tmp_path, _spec(version="1.33"), _spec(version="1.33", vcpus=8))
    assert _run("--base", old_v, new_v, "--as-of", AS_OF, "--fail-on", "mandatory").exit_code == 0
    old_v, new_v = _pair(tmp_path, _spec(), _spec(version="1.33"))
    assert _run("--base", old_v, new_v, "--as-of", AS_OF, "--fail-on", "mandatory").exit_code == 1


def test_headline_adds_up_the_json_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    """The markdown headline and the JSON totals are computed in different places: they must agree."""
    from decimal import ROUND_HALF_UP, Decimal

    for case in ("multi", "pool-resize", "mesh-on"):
        doc = _json(case, monkeypatch)
        before, after = Decimal(doc["monthly_before"]), Decimal(doc["monthly_after"])
        md = _diff(case, "markdown", monkeypatch)
        head = md.split("\n")[3]
        delta = after - before
        if delta:
            pct = (delta * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            word = "increase" if delta > 0 else "decrease"
            assert f"Monthly cost will {word} by ${abs(delta):,.2f} ({'+' if pct > 0 else ''}{pct} %)" in head, head
        else:
            assert "Monthly cost will not change" in head
        assert f"${after:,.2f}**" in head


@pytest.mark.parametrize("path, ignore, expect", [
    ("count", ("count",), True),
    ("scalingConfig.desiredSize", ("scalingConfig.desiredSize",), True),
    ("scalingConfig.minSize", ("scalingConfig.desiredSize",), False),
    ("scalingConfig.desiredSize", ("scalingConfig",), True),  # under an ignored object
    ('extraConfig["guestinfo.userdata"]', ('extraConfig["guestinfo.userdata"]',), True),
    ('extraConfig["guestinfo.metadata"]', ('extraConfig["guestinfo.userdata"]',), False),
    ("countx", ("count",), False),  # a prefix of the name is not a parent path
    ("count", (), False),
])
def test_ignored_paths_follow_pulumi_property_paths(path: str, ignore: tuple[str, ...], expect: bool) -> None:
    from kubefleet.changes.diff import ignored

    assert ignored(path, ignore) is expect


def test_the_render_records_the_programs_ignore_changes() -> None:
    """What the adapters declare reaches the graph (the engine applies it; the diff must too)."""
    from kubefleet.catalog import load_catalog
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_text

    text = MINIMAL.replace('version: "1.33"', 'version: "1.35"').replace("count: 3", "autoscaling: {min: 2, max: 5}")
    spec = load_text(text)[0].spec
    pools = {p: render(spec, p, catalog=load_catalog()) for p in ("aks", "eks")}
    (aks_pool,) = [r for r in pools["aks"].resources if r.type == "azure-native:containerservice:AgentPool"
                   and r.get("mode") == "User"]  # the System pool is an AgentPool too (fixed count)
    (eks_pool,) = [r for r in pools["eks"].resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert aks_pool.ignore_changes == ("count",)
    assert eks_pool.ignore_changes == ("scalingConfig.desiredSize",)

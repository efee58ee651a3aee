"""The replace table: generated from the providers' own schemas, fresh, complete for what kubefleet
renders, and the only source of replace decisions (offline diff and local cloud alike).

Expected values come from the committed raw-source excerpts (tests/data/oracles/replace/, cut from the
pinned upstream commits the table header names) and from the installed cloud API models — never from
kubefleet's own code.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from kubefleet.changes import replace
from kubefleet.changes.diff import diff_inputs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
gen = importlib.import_module("gen_replace_tables")
ORACLES = ROOT / "tests" / "data" / "oracles" / "replace"

#: rendered inputs the table does not cover, each with the reason (a new uncovered input fails the test:
#: regenerate with the source, or add it here with why)
GAPS: dict[str, set[str]] = {
    # terraform-provider-aws: `tags` is tftags.TagsSchema() (internal/tags), updated in place by every
    # resource's tagging; not parsed
    **{t: {"tags"} for t in (
        "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable", "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc", "aws:eks/accessEntry:AccessEntry", "aws:eks/addon:Addon", "aws:eks/fargateProfile:FargateProfile",
        "aws:eks/nodeGroup:NodeGroup", "aws:iam/role:Role", "aws:kms/key:Key",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider")},
    # the stored internal/service/eks/cluster.go predates deletion_protection; `region` is injected by
    # the provider (Enhanced Region Support, terraform-provider-aws 6), not declared in the resource file
    "aws:eks/cluster:Cluster": {"deletionProtection", "region", "tags"},
    # only the CustomizeDiff `clone` rule of resource_vsphere_virtual_machine.go is read
    "vsphere:index/virtualMachine:VirtualMachine": {
        "annotation", "datastoreId", "disks", "enableDiskUuid", "extraConfig", "extraConfigRebootRequired",
        "firmware", "guestId", "memory", "name", "networkInterfaces", "numCpus", "resourcePoolId", "scsiType",
        "tags"},
}
#: packages whose replace rules are not generated (not a bridged Terraform/ARM provider kubefleet day-2s)
NOT_GENERATED = ("kubefleet:", "kubernetes:", "pulumi:", "pulumi-python:", "random:", "vsphere:index/tag",
                 "vsphere:index/computeCluster")


def test_committed_table_is_what_the_committed_source_excerpts_generate() -> None:
    """Stale check: regenerate offline from tests/data/oracles/replace and compare byte for byte."""
    committed = (ROOT / "kubefleet" / "changes" / "replace_table.json").read_text()
    assert gen.render(gen.generate()) == committed, "stale: run python scripts/gen_replace_tables.py"


def test_every_excerpt_names_its_pinned_source() -> None:
    table = replace.table()
    for path in ORACLES.rglob("*.txt"):
        head = path.read_text().splitlines()[0]
        m = re.match(r"// excerpt of https://github.com/([^/]+/[^/]+)/blob/([0-9a-f]{40})/(\S+)$", head)
        assert m, f"{path}: no provenance header"
        repo = m.group(1)
        assert repo in table["repos"], repo
        assert path.as_posix().endswith(m.group(3) + ".txt")
    for entry in table["types"].values():
        assert entry.get("source") or entry.get("unsourced")


def test_every_rendered_input_is_covered_or_a_listed_gap() -> None:
    """A new input in a render (a plan golden) that the table does not know fails here: regenerate."""
    types = replace.table()["types"]
    for type_, inputs in sorted(gen.rendered_inputs().items()):
        if type_.startswith(NOT_GENERATED):
            continue
        assert type_ in types, f"{type_} is rendered but not in the replace table"
        if types[type_].get("unsourced"):
            continue
        missing = set(inputs) - set(types[type_]["covered"])
        assert missing == GAPS.get(type_, set()), (
            f"{type_}: inputs {sorted(missing)} are rendered but not in the replace table — re-cut the excerpts "
            "with `python scripts/gen_replace_tables.py --from-source <git mirrors dir>` (the fetch tool's "
            "layout, e.g. /work/.mirror) or list them in GAPS with the reason")


def _excerpt(repo: str, path: str) -> list[str]:
    return (ORACLES / repo.replace("/", "+") / (path + ".txt")).read_text().splitlines()


@pytest.mark.parametrize(("type_", "path", "tf_key"), [
    ("gcp:container/nodePool:NodePool", "nodeConfig.guestAccelerators", "guest_accelerator"),
    ("gcp:container/nodePool:NodePool", "nodeConfig.spot", "spot"),
    ("gcp:container/nodePool:NodePool", "nodeConfig.sandboxConfig", "sandbox_config"),
    ("gcp:container/cluster:Cluster", "ipAllocationPolicy", "ip_allocation_policy"),
])
def test_gke_rules_point_at_forcenew_lines_of_the_pinned_source(type_: str, path: str, tf_key: str) -> None:
    rule = replace.rules(type_)[path]
    assert rule["tf"] == tf_key
    lines = _excerpt("hashicorp/terraform-provider-google-beta", replace.table()["types"][type_]["files"][0]
                     if "cluster:Cluster" in type_ else "google-beta/services/container/node_config.go")
    start = rule["line"] - 1
    assert f'"{tf_key}"' in lines[start]
    entry = "\n".join(lines[start:start + 12])
    assert "ForceNew:" in entry and "true" in entry.split("ForceNew:", 1)[1].splitlines()[0]


def _flag_in_source(lines: list[str], tf_key: str) -> bool:
    """Whether the first entry for ``tf_key`` in a schema excerpt says ``ForceNew: true`` at its own level."""
    for i, line in enumerate(lines):
        if re.search(rf'^\s*"{tf_key}":\s*\{{', line):
            depth = 0
            for body in lines[i:]:
                depth += body.count("{") - body.count("}")
                if depth == 1 and re.search(r"ForceNew:\s*true", body):
                    return True
                if depth <= 0:
                    return False
    raise AssertionError(f"{tf_key} not in excerpt")


@pytest.mark.parametrize(("change", "tf_key", "expected"), [
    ({"nodeConfig": {"machineType": "n2-standard-4"}}, "machine_type", "update"),
    ({"nodeConfig": {"diskSizeGb": 200}}, "disk_size_gb", "update"),
    ({"nodeConfig": {"spot": True}}, "spot", "replace"),
    ({"nodeConfig": {"oauthScopes": ["x"]}}, "oauth_scopes", "replace"),
])
def test_gke_pool_changes_follow_node_config_forcenew(change: dict[str, Any], tf_key: str, expected: str) -> None:
    """Oracle: the ForceNew flag on the attribute's own line in node_config.go at the pinned commit."""
    lines = _excerpt("hashicorp/terraform-provider-google-beta", "google-beta/services/container/node_config.go")
    assert _flag_in_source(lines, tf_key) is (expected == "replace")
    old = {"nodeConfig": {"machineType": "e2-standard-4", "diskSizeGb": 100}}
    new = {"nodeConfig": {**old["nodeConfig"], **change["nodeConfig"]}}
    forced = replace.forcing_paths("gcp:container/nodePool:NodePool", old, new)
    assert ("replace" if forced else "update") == expected


@pytest.mark.parametrize(("old", "new", "tf_key", "expected"), [
    ({"scalingConfig": {"desiredSize": 2, "maxSize": 3, "minSize": 1}},
     {"scalingConfig": {"desiredSize": 3, "maxSize": 5, "minSize": 1}}, "scaling_config", "update"),
    ({"instanceTypes": ["m7i.large"]}, {"instanceTypes": ["m7i.xlarge"]}, "instance_types", "replace"),
    ({"subnetIds": ["a"]}, {"subnetIds": ["a", "b"]}, "subnet_ids", "replace"),
    ({"labels": {"a": "1"}}, {"labels": {"a": "2"}}, "labels", "update"),
    ({"amiType": "AL2023_x86_64_STANDARD"}, {"amiType": "BOTTLEROCKET_x86_64"}, "ami_type", "replace"),
])
def test_eks_node_group_changes_follow_node_group_go(old: dict[str, Any], new: dict[str, Any], tf_key: str,
                                                      expected: str) -> None:
    lines = _excerpt("hashicorp/terraform-provider-aws", "internal/service/eks/node_group.go")
    if tf_key in ("subnet_ids",):  # declared as names.AttrSubnetIDs
        assert any("names.AttrSubnetIDs" in line for line in lines)
    else:
        assert _flag_in_source(lines, tf_key) is (expected == "replace")
    forced = replace.forcing_paths("aws:eks/nodeGroup:NodeGroup", old, new)
    assert ("replace" if forced else "update") == expected


def test_a_removed_or_added_block_is_a_presence_change_inside_changes_follow_children() -> None:
    pool = "gcp:container/nodePool:NodePool"
    base = {"nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 1}]}}
    more = {"nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 2}]}}
    none: dict[str, Any] = {"nodeConfig": {}}
    assert replace.forcing_paths(pool, base, none) == ("nodeConfig.guestAccelerators",)
    assert replace.forcing_paths(pool, base, more) == ("nodeConfig.guestAccelerators",)  # count is ForceNew
    # sandbox_config is a ForceNew block whose sandbox_type is not: switching gVisor on/off replaces
    assert replace.forcing_paths(pool, none, {"nodeConfig": {"sandboxConfig": {"sandboxType": "gvisor"}}})


def test_aks_agent_pool_rules_come_from_forcenewmap_and_the_arm_url() -> None:
    pool = "azure-native:containerservice:AgentPool"
    text = "\n".join(_excerpt("pulumi/pulumi-azure-native", "provider/pkg/gen/replacement.go"))
    block = text.split('"AgentPool": codegen.NewStringSet(', 1)[1].split(")", 1)[0]
    for name in re.findall(r'"(\w+)"', block):
        if name in replace.rules(pool) or any(p.endswith("." + name) for p in replace.rules(pool)):
            continue
        raise AssertionError(f"{name} of forceNewMap missing")
    assert replace.forcing_paths(pool, {"vmSize": "a", "count": 1}, {"vmSize": "b", "count": 1}) == ("vmSize",)
    assert replace.forcing_paths(pool, {"vmSize": "a", "count": 1}, {"vmSize": "a", "count": 3}) == ()
    assert replace.forcing_paths(pool, {"agentPoolName": "a"}, {"agentPoolName": "b"}) == ("agentPoolName",)


def test_containerservice_urls_are_the_api_models_url_templates() -> None:
    """Oracle: azure-mgmt-containerservice 40.1.0 (generated from ARM 2025-09-01) request URL templates."""
    init = importlib.import_module("azure.mgmt.containerservice").__file__
    assert init is not None
    ops = Path(init).parent
    source = "\n".join(p.read_text() for p in (ops / "operations").glob("*.py"))
    urls = set(re.findall(r'"(/subscriptions/\{subscriptionId\}/resourceGroups/[^"]+)"', source))
    for type_ in ("ManagedCluster", "AgentPool", "MaintenanceConfiguration"):
        url = replace.table()["types"][f"azure-native:containerservice:{type_}"]["url"]
        assert url in urls, url


def test_localcloud_and_offline_diff_decide_with_the_same_table() -> None:
    """The local cloud's provider Diff calls kubefleet.changes.replace; no second rule set."""
    from tests.localcloud import plugin

    old = {"instanceTypes": ["a"], "scalingConfig": {"desiredSize": 1}}
    new = {"instanceTypes": ["b"], "scalingConfig": {"desiredSize": 1}}
    assert plugin._replace_paths("aws:eks/nodeGroup:NodeGroup", old, new) == ("instanceTypes",)
    assert [p for p, _, _ in diff_inputs(old, new)] == ["instanceTypes"]


_LIST_NAME = re.compile(r"REPLACE|FORCE_?NEW|IMMUTABLE|CREATE_ONLY", re.I)
_TYPE_TOKEN = re.compile(r"^(gcp|aws|azure-native|vsphere):")


def _hand_lists(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for target in targets:
            if (isinstance(target, ast.Name) and _LIST_NAME.search(target.id) and isinstance(value, ast.Dict)
                    and any(isinstance(k, ast.Constant) and isinstance(k.value, str)
                            and _TYPE_TOKEN.match(k.value) for k in value.keys)):
                found.append(f"{path}:{target.lineno}: {target.id}")
    return found


def test_no_hand_kept_replace_list_in_kubefleet_or_the_local_cloud() -> None:
    files = [*(ROOT / "kubefleet").rglob("*.py"), *(ROOT / "providers").rglob("*.py"),
             *(ROOT / "tests" / "localcloud").glob("*.py")]
    found = [hit for f in files if "site-packages" not in str(f) for hit in _hand_lists(f)]
    assert found == []


def test_the_hand_list_detector_detects() -> None:
    tmp = ROOT / "tests" / "data" / "oracles"
    sample = ast.parse('REPLACE_ON_CHANGE = {"gcp:container/nodePool:NodePool": ("name",)}')
    assert isinstance(sample.body[0], ast.Assign)
    probe = tmp / "_probe_hand_list.py"
    probe.write_text('REPLACE_ON_CHANGE = {"gcp:container/nodePool:NodePool": ("name",)}\n')
    try:
        assert _hand_lists(probe)
    finally:
        probe.unlink()


def test_table_size_per_provider_is_reported() -> None:
    sizes: dict[str, int] = {}
    for type_, entry in replace.table()["types"].items():
        provider = type_.split(":", 1)[0]
        sizes[provider] = sizes.get(provider, 0) + len(entry["replace"])
    assert sizes["gcp"] > 50 and sizes["aws"] > 30 and sizes["azure-native"] > 30
    print(json.dumps(sizes))

"""Every class of bad input gets file:line:col, what is wrong and a hint — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubefleet.errors import SpecError
from kubefleet.spec.loader import load_file, load_text
from tests.conftest import EXAMPLES, MINIMAL, example_files


def issues_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_text(text, "bad.yaml")
    return [i.render() for i in info.value.issues]


def test_every_example_validates() -> None:
    files = example_files()
    assert {f.name for f in files} >= {
        "sweet-spot.yaml", "istio-microservices.yaml", "gpu-inference.yaml", "dev-small.yaml", "fleet.yaml"
    }
    for f in files:
        assert load_file(f)


def test_sweet_spot_is_three_masters_and_seven_workers() -> None:
    spec = load_file(EXAMPLES / "sweet-spot.yaml")[0].spec
    assert spec.spec.control_plane.replicas == 3
    assert sum(p.min_nodes for p in spec.spec.node_pools) == 7


def test_multi_document_file_loads_every_cluster() -> None:
    names = [s.spec.name for s in load_file(EXAMPLES / "fleet.yaml")]
    assert names == ["orders-prod", "orders-staging", "tenants"]


def test_unknown_field_points_at_the_key_and_suggests() -> None:
    text = MINIMAL.replace("  nodePools:", "  nodepools:")
    [issue] = issues_of(text)
    assert issue.startswith("bad.yaml:9:3: spec.nodepools: unknown field `nodepools`")
    assert "did you mean `nodePools`?" in issue


def test_number_where_a_string_belongs() -> None:
    [issue] = issues_of(MINIMAL.replace('version: "1.33"', "version: 1.30"))
    assert issue.startswith("bad.yaml:7:25:")
    assert 'quote it: "1.30"' in issue


def test_wrong_api_version_and_kind() -> None:
    out = issues_of(MINIMAL.replace("kubefleet.dev/v1alpha1", "kubefleet.dev/v1").replace("kind: Cluster", "kind: Clustr"))
    assert out[0].startswith("bad.yaml:1:13: apiVersion:") and "kubefleet.dev/v1alpha1" in out[0]
    assert out[1].startswith("bad.yaml:2:7: kind:") and "kind: Cluster" in out[1]


def test_bad_enum_value_suggests_the_close_one() -> None:
    [issue] = issues_of(MINIMAL.replace('version: "1.33"}', 'version: "1.33", channel: stabel}'))
    assert "did you mean 'stable'?" in issue


def test_invalid_yaml_syntax_has_position() -> None:
    [issue] = issues_of("apiVersion: x\nkind: [unclosed\nmetadata: {}\n")
    assert issue.startswith("bad.yaml:") and "invalid YAML" in issue
    line = int(issue.split(":")[1])
    assert line >= 2


def test_tabs_get_a_hint() -> None:
    [issue] = issues_of("apiVersion: x\nspec:\n\tkind: y\n")
    assert "invalid YAML" in issue and "tabs" in issue


def test_duplicate_keys_are_errors() -> None:
    [issue] = issues_of(MINIMAL + "metadata: {name: again}\n")
    assert "invalid YAML" in issue and "bad.yaml:" in issue


@pytest.mark.parametrize("text", ["", "   \n\n", "---\n---\n"])
def test_empty_file(text: str) -> None:
    [issue] = issues_of(text)
    assert issue.startswith("bad.yaml:1:1:") and "no Cluster spec" in issue


@pytest.mark.parametrize("text, word", [("- a\n- b\n", "a list"), ("just text\n", "scalar")])
def test_document_that_is_not_a_mapping(text: str, word: str) -> None:
    [issue] = issues_of(text)
    assert "must be a mapping" in issue and word in issue


def test_missing_required_field_points_at_parent() -> None:
    text = MINIMAL.replace("  region: us-east\n", "")
    [issue] = issues_of(text)
    assert issue.startswith("bad.yaml:7:3: spec: missing required field `region`")


def test_cross_field_rules_point_at_the_field() -> None:
    text = MINIMAL.replace("      count: 3", "      autoscaling: {min: 5, max: 2}")
    [issue] = issues_of(text)
    assert issue.startswith("bad.yaml:12:") and "min (5) is greater than max (2)" in issue


@pytest.mark.parametrize(
    "old, new, expect",
    [
        ("  region: us-east", "  region: us-east\n  controlPlane: {replicas: 2}", "must be 1, 3 or 5"),
        ("  region: us-east", "  region: us-east\n  controlPlane: {availability: regional, replicas: 1}", "3 or 5 replicas"),
        ("  region: us-east", "  region: us-east\n  network: {podCidr: 10.0.0.0/14}", "overlaps"),
        ("  region: us-east", "  region: us-east\n  network: {nodeCidr: 10.0.0.1/16}", "did you mean 10.0.0.0/16"),
        ("  region: us-east", "  region: us-east\n  upgrades: {maintenanceWindow: {day: sun, start: \"03:00\", hours: 2}}", "at least 4h"),
        ("  region: us-east", "  region: us-east\n  upgrades: {maxSurge: 0, maxUnavailable: 0}", "never progress"),
        ("{vcpus: 4, memoryGiB: 16}", "{vcpus: 2, memoryGiB: 8, gpu: {kind: nvidia-t4}}", "GPU(s) need a shape"),
        ("{vcpus: 4, memoryGiB: 16}", "{vcpus: 8, memoryGiB: 64, gpu: {kind: nvidia-t4, count: 3}}", "1, 2, 4 or 8"),
        ("      count: 3", "      count: 3\n      autoscaling: {min: 1, max: 2}", "both `count` and `autoscaling`"),
        ("      count: 3", "", "needs `count` or `autoscaling`"),
        ("  region: us-east", "  region: us-eats", "did you mean 'us-east'?"),
        ("name: mini", "name: Mini_Cluster", "DNS-1123"),
        ("env: dev}", "env: Dev}", "not a valid label value"),
        ("  region: us-east", "  region: us-east\n  providers: {eks: {subnetIds: [a, b]}}", "without vpcId"),
        ("  region: us-east", "  region: us-east\n  providers: {kubeadm: {controlPlaneVip: 10.0.0.300}}", "IPv4"),
    ],
)
def test_rules(old: str, new: str, expect: str) -> None:
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    out = "\n".join(issues_of(text))
    assert expect in out
    assert out.startswith("bad.yaml:")


def test_duplicate_pool_and_cluster_names() -> None:
    text = MINIMAL + "    - name: general\n      machine: {vcpus: 2, memoryGiB: 8}\n      count: 1\n"
    assert any("used twice" in i for i in issues_of(text))
    assert any("used twice in this file" in i for i in issues_of(MINIMAL + "---\n" + MINIMAL))


def test_several_errors_in_one_file_are_all_reported() -> None:
    text = MINIMAL.replace("us-east", "mars").replace("nodePools", "nodePool")
    assert len(issues_of(text)) >= 2


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_file(tmp_path / "nope.yaml")
    assert "no such file" in info.value.render()
    with pytest.raises(SpecError) as info:
        load_file(tmp_path)
    assert "is a directory" in info.value.render()


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError) as info:
        load_file(f)
    assert "UTF-8" in info.value.render()

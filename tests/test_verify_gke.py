"""The GKE oracle (providers/gke/verify.py): rendered inputs checked against google-cloud-container's
container_v1 model. Expected values come from that model or from cited provider/Istio sources, never from
kubefleet's own tables."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import container_v1
from hypothesis import HealthCheck, given, settings

from kubefleet.graph import ResourceGraph
from kubefleet.providers import verify_graph
from kubefleet.providers.gke import verify as gv
from kubefleet.render.offline import render
from kubefleet.spec.model import ClusterSpec
from kubefleet.verify import VerifyUnavailable
from tests.conftest import MINIMAL, example_specs, shape_resolver
from tests.strategies import specs

Load = Callable[[str], ClusterSpec]
EXAMPLES = example_specs()


def gke(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "gke", resolver=shape_resolver("gke"))


def forced(graph: ResourceGraph, type_: str, path: str, value: Any) -> ResourceGraph:
    """The graph with one rendered input overwritten (a program written wrong on purpose)."""
    out = []
    for res in graph.resources:
        if res.type == type_:
            inputs: dict[str, Any] = _deep_copy(dict(res.inputs))
            node: Any = inputs
            parts = path.split(".")
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
            if isinstance(node, list):
                node[int(parts[-1])] = value
            else:
                node[parts[-1]] = value
            res = dataclasses.replace(res, inputs=inputs)
        out.append(res)
    return dataclasses.replace(graph, resources=out)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# ---- every example and every generated spec --------------------------------------------------------


@pytest.mark.parametrize("loaded", EXAMPLES, ids=[f"{s.file.rsplit('/', 1)[-1]}:{s.spec.name}" for s in EXAMPLES])
def test_every_example_verifies_on_gke(loaded: Any) -> None:
    graph = gke(loaded.spec)
    report = verify_graph(graph)
    assert report.oracle and report.oracle.startswith("google-cloud-container ")
    assert report.violations == [], "\n".join(v.render() for v in report.violations)
    assert gv.unmapped_inputs(graph) == []  # every rendered Cluster/NodePool input has a mapping row
    assert report.checked >= 40


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_every_valid_spec_renders_and_verifies_on_gke(spec: ClusterSpec) -> None:
    graph = gke(spec)
    report = verify_graph(graph)
    assert report.violations == [], "\n".join(v.render() for v in report.violations)
    assert gv.unmapped_inputs(graph) == []


# ---- the oracle can fail ----------------------------------------------------------------------------


def test_lower_case_sandbox_type_is_rejected_with_the_models_allowed_set(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL + "  tenancy: {isolation: sandboxed}\n"))
    pool = next(r for r in graph.of_type(gv.NODE_POOL) if r.get("nodeConfig.sandboxConfig"))
    assert pool.get("nodeConfig.sandboxConfig.type") == container_v1.SandboxConfig.Type.GVISOR.name
    bad = forced(graph, gv.NODE_POOL, "nodeConfig.sandboxConfig.type", "gvisor")
    found = [v for v in verify_graph(bad).violations if v.field == "nodeConfig.sandboxConfig.type"]
    assert found, "the oracle must reject the old lower-case spelling"
    v = found[0]
    assert v.resource.startswith(gv.NODE_POOL + "::") and v.value == "gvisor"
    assert set(v.allowed.split(" | ")) == set(container_v1.SandboxConfig.Type.__members__)
    assert "case-sensitive" in v.problem and "SandboxConfig.Type" in v.oracle


@pytest.mark.parametrize(
    ("type_", "path", "value", "model_enum"),
    [
        (gv.CLUSTER, "releaseChannel.channel", "Stable", container_v1.ReleaseChannel.Channel),
        (gv.CLUSTER, "datapathProvider", "DATAPLANE_V2", container_v1.DatapathProvider),
        (gv.CLUSTER, "ipAllocationPolicy.stackType", "ipv4", container_v1.StackType),
        (gv.NODE_POOL, "nodeConfig.workloadMetadataConfig.mode", "GKE_METADATA_SERVER",
         container_v1.WorkloadMetadataConfig.Mode),
        (gv.NODE_POOL, "upgradeSettings.strategy", "ROLLING", container_v1.NodePoolUpdateStrategy),
        (gv.NODE_POOL, "autoscaling.locationPolicy", "balanced", container_v1.NodePoolAutoscaling.LocationPolicy),
    ],
)
def test_wrong_enum_spellings_are_rejected(load_spec: Load, type_: str, path: str, value: str,
                                           model_enum: Any) -> None:
    graph = gke(load_spec(MINIMAL.replace("      count: 3\n", "      autoscaling: {min: 1, max: 3}\n")))
    bad = verify_graph(forced(graph, type_, path, value)).violations
    hit = [v for v in bad if v.field == path]
    assert len(hit) == 1, [v.render() for v in bad]
    assert set(hit[0].allowed.split(" | ")) == set(model_enum.__members__)


def test_taint_effect_must_be_the_api_enum(load_spec: Load) -> None:
    text = MINIMAL.replace("      count: 3\n",
                           "      count: 3\n      taints: [{key: k, value: v, effect: NoSchedule}]\n")
    graph = gke(load_spec(text))
    assert verify_graph(graph).ok
    bad = verify_graph(forced(graph, gv.NODE_POOL, "nodeConfig.taints.0.effect", "NoSchedule")).violations
    assert [v.field for v in bad] == ["nodeConfig.taints[0].effect"]
    assert set(bad[0].allowed.split(" | ")) == set(container_v1.NodeTaint.Effect.__members__)


def test_formats_ranges_and_required_members(load_spec: Load) -> None:
    text = MINIMAL + "  upgrades: {maintenanceWindow: {day: sun, start: \"03:00\", hours: 12}}\n"
    graph = gke(load_spec(text))
    assert verify_graph(graph).ok
    cases = [
        (gv.CLUSTER, "maintenancePolicy.recurringWindow.startTime", "sunday 3am", "not a valid google.protobuf.Timestamp"),
        (gv.CLUSTER, "minMasterVersion", "v1.33", "does not match the documented format"),
        (gv.CLUSTER, "name", "Mini_Cluster", "does not match the documented format"),
        (gv.NODE_POOL, "nodeConfig.diskSizeGb", 5, "out of range"),
        (gv.NODE_POOL, "upgradeSettings.maxSurge", 2**31, "out of range"),
        (gv.NODE_POOL, "nodeConfig.spot", "yes", "not a boolean"),
        (gv.NODE_POOL, "cluster", None, "required member missing"),
    ]
    for type_, path, value, problem in cases:
        bad = verify_graph(forced(graph, type_, path, value)).violations
        assert [v.problem for v in bad] == [problem], (path, [v.render() for v in bad])


def test_blue_green_durations_are_protobuf_durations(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL + "  upgrades: {strategy: blue-green}\n"))
    assert verify_graph(graph).ok
    bad = verify_graph(forced(graph, gv.NODE_POOL, "upgradeSettings.blueGreenSettings.nodePoolSoakDuration",
                              "30m")).violations
    assert [v.problem for v in bad] == ["not a valid google.protobuf.Duration"]


def test_autoscaling_min_above_max_is_rejected(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL.replace("      count: 3\n", "      autoscaling: {min: 1, max: 3}\n")))
    bad = verify_graph(forced(graph, gv.NODE_POOL, "autoscaling.totalMinNodeCount", 9)).violations
    assert [v.problem for v in bad] == ["out of range"]
    assert "total_max_node_count" in bad[0].oracle


def test_doc_rules_quote_the_installed_model() -> None:
    """Each range/pattern kubefleet encodes is backed by words in the model's own field documentation."""
    for rule in gv.DOC_RULES:
        cls: Any = container_v1
        for part in rule.message.split("."):
            cls = getattr(cls, part)
        assert rule.quote in " ".join((cls.__doc__ or "").split()), (rule.message, rule.field)


def test_every_mapping_row_names_a_real_api_field() -> None:
    for type_, rows in gv.ROWS.items():
        for row in rows:
            if row.api is not None:
                gv._field(container_v1, gv.ROOTS[type_], row.api)  # raises KeyError when the model lacks it
            else:
                assert row.note, f"{row.input}: provider-only inputs must say why"


def test_no_channel_is_emulated_with_the_api_enums(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL.replace('{version: "1.33"}', '{version: "1.33", channel: none}')))
    cluster = graph.one(gv.CLUSTER)
    assert cluster.get("releaseChannel.channel") in container_v1.ReleaseChannel.Channel.__members__
    assert cluster.get("releaseChannel.channel") != "UNSPECIFIED"  # "No channel" is closed to new customers
    [excl] = cluster.get("maintenancePolicy.maintenanceExclusions")
    opts = excl["exclusionOptions"]
    assert opts["scope"] == container_v1.MaintenanceExclusionOptions.Scope.NO_MINOR_OR_NODE_UPGRADES.name
    assert opts["endTimeBehavior"] == container_v1.MaintenanceExclusionOptions.EndTimeBehavior.UNTIL_END_OF_SUPPORT.name
    assert verify_graph(graph).ok
    bad = verify_graph(forced(graph, gv.CLUSTER, "maintenancePolicy.maintenanceExclusions.0.exclusionOptions.scope",
                              "NO_NODE_UPGRADES")).violations
    assert [v.problem for v in bad] == ["not one of the allowed values"]


def test_private_endpoint_uses_the_dns_endpoint(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL + "  controlPlane: {endpoint: private}\n"))
    cluster = graph.one(gv.CLUSTER)
    assert cluster.get("controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic") is True
    # the model documents the DNS endpoint as reachable from the public internet
    assert "accessible from the public internet" in " ".join(
        (container_v1.ControlPlaneEndpointsConfig.DNSEndpointConfig.__doc__ or "").split())
    assert verify_graph(graph).ok


def test_nodes_run_as_a_least_privilege_service_account(load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL))
    account = graph.one("gcp:serviceaccount/account:Account")
    assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", account.get("accountId"))
    roles = {r.get("role") for r in graph.of_type("gcp:projects/iAMMember:IAMMember")}
    # terraform-google-kubernetes-engine@bb176b2:modules/beta-private-cluster/sa.tf:53,67,81 + variables.tf:1115
    assert roles == {"roles/container.defaultNodeServiceAccount", "roles/monitoring.metricWriter",
                     "roles/stackdriver.resourceMetadata.writer", "roles/artifactregistry.reader"}
    for pool in graph.of_type(gv.NODE_POOL):
        assert pool.get("nodeConfig.serviceAccount", "").endswith(".iam.gserviceaccount.com")


def test_private_nodes_with_istio_open_15017_from_the_control_plane(load_spec: Load) -> None:
    text = MINIMAL + "  network: {privateNodes: true}\n  addons: {istio: {mode: self-managed}}\n"
    graph = gke(load_spec(text))
    [fw] = graph.of_type("gcp:compute/firewall:Firewall")
    assert fw.get("allows") == [{"protocol": "tcp", "ports": ["15017"]}]
    assert fw.get("direction") == "INGRESS" and fw.get("sourceRanges") == ["172.16.0.2/32"]
    tag = fw.get("targetTags")[0]
    assert all(tag in p.get("nodeConfig.tags") for p in graph.of_type(gv.NODE_POOL))
    assert not gke(load_spec(MINIMAL + "  addons: {istio: {mode: self-managed}}\n")).of_type(
        "gcp:compute/firewall:Firewall")


def test_missing_model_says_how_to_install(monkeypatch: pytest.MonkeyPatch, load_spec: Load) -> None:
    graph = gke(load_spec(MINIMAL))
    monkeypatch.setitem(sys.modules, "google.cloud.container_v1", None)
    with pytest.raises(VerifyUnavailable) as err:
        verify_graph(graph)
    assert "kubefleet[verify]" in (err.value.hint or "")


def test_plan_verify_through_the_real_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "kubefleet.cli", "plan", "examples/sweet-spot.yaml", "--provider", "gke", "--verify"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "google-cloud-container" in done.stdout + done.stderr

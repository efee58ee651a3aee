"""The EKS oracle (providers/eks/verify.py): rendered pulumi-aws inputs against botocore's EKS/EC2/IAM models.

Expected allowed sets, ranges and patterns are read from botocore's service models in the tests too (never
from kubefleet's code), so a test here fails if the rendered program stops matching what AWS's API accepts.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import sys
from typing import Any

import botocore
import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.providers import verify_graph
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec
from kubefleet.verify import VerifyReport, VerifyUnavailable
from tests.conftest import MINIMAL, example_specs, shape_resolver
from tests.strategies import spec_data

EKS = botocore.session.get_session().get_service_model("eks")
EC2 = botocore.session.get_session().get_service_model("ec2")
NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
FARGATE = "aws:eks/fargateProfile:FargateProfile"


def _render(text: str) -> ResourceGraph:
    return render(load_text(text, "t.yaml")[0].spec, "eks", resolver=shape_resolver("eks"))


def _with(graph: ResourceGraph, type_: str, change: Any, name: str | None = None) -> ResourceGraph:
    """A copy of ``graph`` with ``change(inputs)`` applied to one rendered resource (a forced-wrong input)."""
    out = []
    done = False
    for r in graph.resources:
        if r.type == type_ and not done and (name is None or r.name == name):
            inputs = copy.deepcopy(dict(r.inputs))
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
            done = True
        out.append(r)
    assert done, type_
    return dataclasses.replace(graph, resources=out)


def _one(report: VerifyReport) -> Any:
    assert len(report.violations) == 1, [v.render() for v in report.violations]
    return report.violations[0]


# ---- every example, and Hypothesis specs ----


@pytest.mark.parametrize("loaded", example_specs(), ids=lambda s: s.spec.name)
def test_every_example_passes_the_api_models(loaded) -> None:  # type: ignore[no-untyped-def]
    report = verify_graph(render(loaded.spec, "eks", resolver=shape_resolver("eks")))
    assert report.ok, "\n".join(v.render() for v in report.violations)
    assert report.oracle is not None and report.oracle.startswith(f"botocore {botocore.__version__}")
    assert f"eks {EKS.api_version}" in report.oracle
    assert report.checked > 300  # cluster, node groups, add-ons, IAM, VPC: hundreds of fields compared
    assert not any(n.startswith("not mapped") for n in report.notes), report.notes


@st.composite
def eks_specs(draw: st.DrawFn) -> ClusterSpec:
    """The shared strategy plus EKS's own knobs (admins, an existing VPC with private subnets)."""
    data = draw(spec_data())
    eks: dict[str, Any] = {}
    if draw(st.booleans()):
        eks["admins"] = [f"arn:aws:iam::{draw(st.integers(10**11, 10**12 - 1))}:role/{draw(st.sampled_from(['ops', 'a/b/admins', 'x.y@z']))}"]
    if draw(st.booleans()):
        eks.update(vpcId="vpc-0123", subnetIds=["subnet-a", "subnet-b"])
        sandboxed = data["spec"].get("tenancy", {}).get("isolation") == "sandboxed"
        if sandboxed or draw(st.booleans()):  # Fargate needs named private subnets (spec model rule)
            eks["privateSubnetIds"] = ["subnet-c", "subnet-d"]
    if eks:
        data["spec"].setdefault("providers", {})["eks"] = eks
    return ClusterSpec.model_validate(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eks_specs())
def test_every_valid_spec_passes_the_api_models(spec: ClusterSpec) -> None:
    report = verify_graph(render(spec, "eks", resolver=shape_resolver("eks")))
    assert report.ok, "\n".join(v.render() for v in report.violations)


# ---- wrong on purpose: the oracle can fail ----


def test_empty_node_label_value_is_rejected_with_the_models_range() -> None:
    # Kubernetes allows empty label values; EKS's CreateNodegroup labelsMap does not (labelValue min 1).
    text = MINIMAL.replace("      count: 3\n", '      count: 3\n      labels: {role: ""}\n')
    v = _one(verify_graph(_render(text)))
    meta = EKS.shape_for("labelValue").metadata
    assert v.resource == f"{NODEGROUP}::mini-general"
    assert v.field == "labels.role" and v.value == ""
    assert v.api_field == "eks.CreateNodegroup.labels[role]"
    assert v.allowed == f"labelValue: {meta['min']}..{meta['max']} characters"
    assert "botocore" in v.oracle


def test_wrong_case_enum_names_the_allowed_set() -> None:
    graph = _with(_render(MINIMAL), NODEGROUP, lambda i: i.update(amiType="al2023_x86_64_standard"))
    v = _one(verify_graph(graph))
    assert (v.field, v.value, v.problem) == ("amiType", "al2023_x86_64_standard", "not one of the allowed values")
    assert v.allowed == " | ".join(EKS.shape_for("AMITypes").enum)


def test_out_of_range_integer_and_missing_required_member() -> None:
    graph = _with(_render(MINIMAL), NODEGROUP, lambda i: (i["updateConfig"].update(maxUnavailable=0),
                                                           i.pop("nodeRoleArn")))
    found = {(v.field, v.problem) for v in verify_graph(graph).violations}
    assert ("updateConfig.maxUnavailable", "out of range") in found
    assert any(p == "required member missing" for _, p in found)
    required = EKS.operation_model("CreateNodegroup").input_shape.required_members
    assert "nodeRole" in required  # the model, not kubefleet, says nodeRole is required


def test_ec2_enum_and_cluster_name_pattern() -> None:
    graph = _with(_render(MINIMAL), "aws:ec2/launchTemplate:LaunchTemplate",
                  lambda i: i["blockDeviceMappings"][0]["ebs"].update(volumeType="GP3"))
    graph = _with(graph, "aws:eks/cluster:Cluster", lambda i: i.update(name="-bad name"))
    found = {v.field: v for v in verify_graph(graph).violations}
    assert found["blockDeviceMappings.0.ebs.volumeType"].allowed == " | ".join(EC2.shape_for("VolumeType").enum)
    assert EKS.shape_for("ClusterName").metadata["pattern"] in found["name"].allowed


def test_fargate_on_a_public_subnet_breaks_the_documented_rule() -> None:
    graph = _render(MINIMAL.replace("spec:\n", "spec:\n  tenancy: {isolation: sandboxed}\n"))
    assert verify_graph(graph).ok
    public = next(r for r in graph.of_type("aws:ec2/subnet:Subnet") if r.get("mapPublicIpOnLaunch"))
    wrong = _with(graph, FARGATE, lambda i: i.update(subnetIds=[f"{public.name}-id"]))
    v = _one(verify_graph(wrong))
    assert v.api_field == "eks.CreateFargateProfile.subnets" and public.name in v.problem
    doc = EKS.operation_model("CreateFargateProfile").input_shape.members["subnets"].documentation
    assert "only private subnets" in doc and "CreateFargateProfileRequest.subnets" in v.oracle


def test_launch_template_with_disk_size_and_version_skew() -> None:
    graph = _with(_render(MINIMAL), NODEGROUP, lambda i: i.update(diskSize=50, version="1.30"))
    found = {v.field for v in verify_graph(graph).violations}
    assert {"diskSize", "version"} <= found
    docs = EKS.operation_model("CreateNodegroup").input_shape.members
    text = {k: re.sub(r"<[^>]+>", "", docs[k].documentation) for k in ("diskSize", "version")}
    assert "don't specify diskSize" in text["diskSize"]
    assert "only accepted specified value" in text["version"]


def test_unknown_member_is_reported_not_ignored() -> None:
    from kubefleet.providers.eks import verify as eks_verify

    res = next(r for r in _render(MINIMAL).resources if r.type == "aws:iam/role:Role")
    request = eks_verify._role(res)[0]
    request.body["RoleNmae"] = eks_verify.N("x", "typo")
    walk = eks_verify._Walk("r", "o")
    walk.check(eks_verify._models()[1]["iam"].operation_model("CreateRole").input_shape, eks_verify.N(request.body, ""),
               "iam.CreateRole")
    assert [(v.field, v.problem) for v in walk.violations] == [("typo", "not a member of the API shape")]


def test_plan_verify_exits_1_and_names_the_field(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """kubefleet's limit table (read from the same model) refuses the empty label at its line, exit 2; were
    the limit missing from the table, `plan --verify` would still stop it, exit 1."""
    from kubefleet.lifecycle import check
    from kubefleet.spec import limits

    assert EKS.shape_for("labelValue").metadata["min"] == limits.EKS_MIN_LABEL_VALUE
    spec = tmp_path / "wrong.yaml"
    text = MINIMAL.replace("      count: 3\n", '      count: 3\n      labels: {role: ""}\n')
    spec.write_text(text.replace('version: "1.33"', 'version: "1.35"'))
    refused = CliRunner().invoke(app, ["plan", str(spec), "--provider", "eks"])
    assert refused.exit_code == 2 and "EKS refuses an empty node-label value" in refused.output, refused.output
    monkeypatch.setattr(check, "api_limits", lambda loaded, provider: [])  # a limit the table does not know
    result = CliRunner().invoke(app, ["plan", str(spec), "--provider", "eks", "--verify"])
    assert result.exit_code == 1, result.output
    assert "labels.role" in result.output and "labelValue" in result.output


def test_without_botocore_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubefleet.providers.eks import verify as eks_verify

    graph = _render(MINIMAL)
    eks_verify._models.cache_clear()
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "botocore.session", None)
    try:
        with pytest.raises(VerifyUnavailable) as err:
            verify_graph(graph)
        assert "kubefleet[verify]" in err.value.render()
    finally:
        eks_verify._models.cache_clear()


def test_provider_differences_are_cited() -> None:
    notes = verify_graph(_render(MINIMAL)).notes
    assert any("addon.go:114-121" in n and "PRESERVE" in n for n in notes)
    assert all("terraform-provider-aws@" in n for n in notes if ".go:" in n)
    # the API really does allow PRESERVE on create; the provider does not
    assert "PRESERVE" in EKS.shape_for("ResolveConflicts").enum


def test_rendered_resource_is_frozen() -> None:
    # _with relies on copying, not mutating, the rendered graph
    assert dataclasses.is_dataclass(RenderedResource)
    with pytest.raises(dataclasses.FrozenInstanceError):
        _render(MINIMAL).resources[0].name = "x"  # type: ignore[misc]
    json.dumps(_render(MINIMAL).as_json())


def test_log_retention_must_be_a_documented_value_and_addon_version_semver() -> None:
    logs = botocore.session.get_session().get_service_model("logs")
    doc = re.sub(r"<[^>]+>", "", logs.shape_for("Days").documentation)
    graph = _render(MINIMAL)
    group = graph.one("aws:cloudwatch/logGroup:LogGroup")
    assert str(group.get("retentionInDays")) in re.findall(r"\d+", doc.split("Possible values are:")[1].split(".")[0])
    assert group.get("name") == f"/aws/eks/{graph.one('aws:eks/cluster:Cluster').get('name')}/cluster"
    wrong = _with(graph, "aws:cloudwatch/logGroup:LogGroup", lambda i: i.update(retentionInDays=91))
    wrong = _with(wrong, "aws:eks/addon:Addon", lambda i: i.update(addonVersion="1.19.0"))
    found = {v.field: v for v in verify_graph(wrong).violations}
    assert found["retentionInDays"].value == "91" and "90" in found["retentionInDays"].allowed
    assert "addon.go:67" in found["addonVersion"].oracle

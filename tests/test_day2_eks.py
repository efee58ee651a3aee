"""EKS day-2 and still-open defects, with expected values from the EKS API model (botocore) and AWS's
documentation rather than kubefleet's own code."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, shape_resolver

EKS = botocore.session.get_session().get_service_model("eks")
SANDBOXED = MINIMAL + "  tenancy: {isolation: sandboxed}\n"


def test_fargate_role_trusts_only_this_clusters_fargate_profiles() -> None:
    """AWS's pod execution role documentation: the trust policy carries an ArnLike aws:SourceArn condition on
    arn:aws:eks:<region>:<account>:fargateprofile/<cluster>/* (confused-deputy protection)."""
    (spec,) = load_text(SANDBOXED, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    (role,) = [r for r in graph.resources if r.type == "aws:iam/role:Role" and "fargate" in r.name]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "eks-fargate-pods.amazonaws.com"}
    source = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    (cluster,) = [r for r in graph.resources if r.type == "aws:eks/cluster:Cluster"]
    region = cluster.inputs.get("region") or graph.region
    assert source.startswith(f"arn:aws:eks:{region}:") and source.endswith(f":fargateprofile/{cluster.inputs['name']}/*")


def test_fargate_in_an_existing_vpc_needs_named_private_subnets(tmp_path: Path) -> None:
    """The EKS API model: a Fargate profile's subnets must be private — so kubefleet refuses to guess them."""
    doc = " ".join(EKS.operation_model("CreateFargateProfile").input_shape.members["subnets"].documentation.split())
    assert "only private subnets" in doc
    existing = SANDBOXED + ("  providers:\n    eks:\n      vpcId: vpc-0123456789abcdef0\n"
                            "      subnetIds: [subnet-0a, subnet-0b]\n")
    path = tmp_path / "v.yaml"
    path.write_text(existing)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "privateSubnetIds" in result.output
    line = existing.splitlines().index("      vpcId: vpc-0123456789abcdef0") + 1
    assert f"v.yaml:{line}:" in " ".join(result.output.split())
    path.write_text(existing + "      privateSubnetIds: [subnet-0c, subnet-0d]\n")
    assert CliRunner().invoke(app, ["validate", str(path)]).exit_code == 0

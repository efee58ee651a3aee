"""EKS day-2 and still-open defects, with expected values from the EKS API model (botocore) and AWS's
documentation rather than kubefleet's own code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from typer.testing import CliRunner

from kubefleet.changes import replace
from kubefleet.cli.app import app
from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, shape_resolver

EKS = botocore.session.get_session().get_service_model("eks")
SANDBOXED = MINIMAL + "  tenancy: {isolation: sandboxed}\n"
CLUSTER = "aws:eks/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


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


# ---- the control-plane log group EKS names itself ----


def _registrations(monkeypatch: pytest.MonkeyPatch, text: str, answers: dict[str, Any]) -> dict[str, Any]:
    """Render ``text`` on EKS with some data sources answering as a deployed account would, and return each
    resource's registration request (its import id and dependencies, which the plan graph does not hold)."""
    from pulumi.runtime import mocks as pulumi_mocks

    from kubefleet.providers.eks import mocks

    seen: dict[str, Any] = {}
    original_register = pulumi_mocks.MockMonitor.RegisterResource
    original_call = mocks.mock_call

    def register(self: Any, request: Any) -> Any:
        seen[f"{request.type}::{request.name}"] = request
        return original_register(self, request)

    def call(token: str, args: Any) -> Any:
        return answers[token](args) if token in answers else original_call(token, args)

    monkeypatch.setattr(pulumi_mocks.MockMonitor, "RegisterResource", register)
    monkeypatch.setattr(mocks, "mock_call", call)
    (spec,) = load_text(text, "s.yaml")
    render(spec.spec, "eks", resolver=shape_resolver("eks"))
    return seen


def test_the_log_group_eks_names_is_declared_first_and_adopted_when_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    """EKS fixes the name ("The log group name format is /aws/eks/my-cluster/cluster",
    awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:latest/ug/observability/
    control-plane-logs.adoc:147), so a group EKS created (an older kubefleet's cluster, or logs delivered after
    a destroy) cannot be avoided by another name: it is imported (Pulumi's import option, id = the name), and
    only when AWS has it. The cluster depends on the group, so destroy deletes the cluster first."""
    from kubefleet.providers.eks.mocks import GET_LOG_GROUP

    fresh = _registrations(monkeypatch, MINIMAL, {})
    (cluster,) = [r for k, r in fresh.items() if k.startswith(CLUSTER)]
    (group,) = [r for k, r in fresh.items() if k.startswith(LOG_GROUP)]
    name = group.object["name"]
    cluster_name = cluster.object["name"]
    assert name == f"/aws/eks/{cluster_name}/cluster"
    assert group.importId == ""  # nothing exists: created
    group_urn = [u for u in cluster.dependencies if LOG_GROUP in u]
    assert group_urn, cluster.dependencies  # the cluster waits for the group; destroy removes the cluster first

    existing = _registrations(monkeypatch, MINIMAL, {GET_LOG_GROUP: lambda args: {
        "id": args["name"], "name": args["name"], "arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{args['name']}",
        "retentionInDays": 0, "kmsKeyId": "", "logGroupClass": "STANDARD", "creationTime": 1, "tags": {}}})
    (adopted,) = [r for k, r in existing.items() if k.startswith(LOG_GROUP)]
    assert adopted.importId == name


# ---- the deployer's access entry ----


def test_the_deployer_listed_in_admins_gets_one_access_entry_and_eks_adds_none() -> None:
    """CreateAccessEntry fails with ResourceInUseException for a principal that has an entry (EKS API model), and
    bootstrapClusterCreatorAdminPermissions defaults to true (EKS API model), making EKS create one for the
    creator. So the flag is false and the deployer is one principal among the admins, once per ARN."""
    from kubefleet.providers.eks.mocks import MOCK_DEPLOYER_ROLE

    assert "ResourceInUseException" in [e.name for e in EKS.operation_model("CreateAccessEntry").error_shapes]
    doc = EKS.shape_for("CreateAccessConfigRequest").members["bootstrapClusterCreatorAdminPermissions"].documentation
    assert "default value is <code>true</code>" in doc
    ops = "arn:aws:iam::123456789012:role/ops"
    text = MINIMAL + f"  providers:\n    eks:\n      admins: [{ops}, {MOCK_DEPLOYER_ROLE}]\n"
    (spec,) = load_text(text, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    principals = [e.get("principalArn") for e in graph.of_type("aws:eks/accessEntry:AccessEntry")]
    assert sorted(principals) == sorted([ops, MOCK_DEPLOYER_ROLE])
    assert len(graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) == 2
    cluster = graph.one(CLUSTER)
    assert cluster.get("accessConfig.bootstrapClusterCreatorAdminPermissions") is False
    # create-only (the generated replace table, from terraform-provider-aws eks/cluster.go): ignored, so a
    # cluster an older kubefleet created with `true` is kept rather than replaced
    path = "accessConfig.bootstrapClusterCreatorAdminPermissions"
    assert path in replace.replace_paths(CLUSTER) and path in cluster.ignore_changes


def test_an_entry_eks_already_made_for_the_deployer_is_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster created with the bootstrap flag on holds EKS's own entry for the creator: it is imported with
    terraform-provider-aws's ids (<cluster>:<principal>, <cluster>#<principal>#<policy>), not created twice."""
    from kubefleet.providers.eks.access import CLUSTER_ADMIN_POLICY
    from kubefleet.providers.eks.mocks import GET_ACCESS_ENTRY, MOCK_DEPLOYER_ROLE

    seen = _registrations(monkeypatch, MINIMAL, {GET_ACCESS_ENTRY: lambda args: {
        "clusterName": args["clusterName"], "principalArn": args["principalArn"], "id": "x", "type": "STANDARD",
        "accessEntryArn": "arn", "createdAt": "", "kubernetesGroups": [], "modifiedAt": "", "tagsAll": {},
        "userName": args["principalArn"]}})
    (cluster,) = [r for k, r in seen.items() if k.startswith(CLUSTER)]
    name = cluster.object["name"]
    (entry,) = [r for k, r in seen.items() if k.startswith("aws:eks/accessEntry:AccessEntry")]
    (policy,) = [r for k, r in seen.items() if k.startswith("aws:eks/accessPolicyAssociation")]
    assert entry.importId == f"{name}:{MOCK_DEPLOYER_ROLE}"
    assert policy.importId == f"{name}#{MOCK_DEPLOYER_ROLE}#{CLUSTER_ADMIN_POLICY}"


# ---- what an offline plan can know ----


def test_offline_zones_are_not_made_up_zone_ids() -> None:
    """An account's zone ids exist only in AWS (DescribeAvailabilityZones at `up`); the offline plan shows which
    zone of the lookup each subnet takes, never a string shaped like a zone id (EC2 model: ZoneId, e.g. use1-az1)."""
    (spec,) = load_text(MINIMAL, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    zones = {s.get("availabilityZoneId") for s in graph.of_type("aws:ec2/subnet:Subnet")}
    assert zones and not any(re.fullmatch(r"[a-z]{2,}[0-9]+-az[0-9]+", z) for z in zones)
    assert all(z.endswith("-resolved-at-up") for z in zones)


# ---- nodes ----


def test_imds_v2_with_the_hop_limit_that_keeps_pods_off_node_credentials() -> None:
    """IMDSv2 only, hop limit 1: the EC2 API model's default ("Default: 1") and EKS's default for AL2023 managed
    node groups (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:latest/ug/nodes/
    al2023.adoc:40: containers then have no access to the node's credentials; pods use EKS Pod Identity)."""
    model = botocore.session.get_session().get_service_model("ec2").shape_for(
        "LaunchTemplateInstanceMetadataOptionsRequest")
    default = re.search(r"Default: <code>(\d+)</code>", model.members["HttpPutResponseHopLimit"].documentation)
    assert default is not None
    (spec,) = load_text(MINIMAL, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    for lt in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        assert lt.get("metadataOptions.httpPutResponseHopLimit") == int(default.group(1))
        assert lt.get("metadataOptions.httpTokens") == "required"  # IMDSv2 only
    addons = {a.get("addonName") for a in graph.of_type("aws:eks/addon:Addon")}
    assert "eks-pod-identity-agent" in addons  # what pods use instead of the node's credentials


def test_ami_type_follows_the_catalogs_arch_and_accelerator_facts() -> None:
    """Every EKS type in the catalog gets an AMI type from botocore's AMITypes enum: arm64 -> ARM_64, an
    NVIDIA gpu_kind -> NVIDIA, else STANDARD (the catalog's facts, not the instance name)."""
    from kubefleet.catalog import load_catalog
    from kubefleet.resolve.eks import ami_type
    from kubefleet.resolve.model import InstanceChoice

    enum = set(EKS.shape_for("AMITypes").enum)
    cat = load_catalog()
    seen = set()
    for region in cat.regions("eks"):
        for inst in cat.instances("eks", region):
            choice = InstanceChoice(name=inst.name, reason="t", vcpus=inst.vcpus, memory_gib=int(inst.memory_gib),
                                    gpu_kind=inst.gpu_kind, gpu_count=inst.gpu_count, arch=inst.arch)
            got = ami_type("p", choice, cat, region)
            assert got in enum
            assert ("ARM_64" in got) is (inst.arch == "arm64")
            assert got.endswith("_NVIDIA") is bool(inst.gpu_kind and inst.gpu_kind.startswith("nvidia-"))
            seen.add(got)
    assert {"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NVIDIA"} <= seen


# ---- secrets encryption, IRSA, Pod Identity, EBS CSI ----


def test_secrets_are_envelope_encrypted_with_a_rotating_kms_key_the_cluster_role_may_use() -> None:
    """EKS API model: CreateCluster.encryptionConfig takes resources + provider.keyArn; the cluster is checked
    against the model by verify. terraform-aws-eks defaults: resources ["secrets"], key rotation on, and the
    cluster role granted kms:Encrypt/Decrypt/ListGrants/DescribeKey on the key
    (terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:variables.tf:178-185,268-272;
    main.tf:584-590)."""
    from kubefleet.providers.eks.verify import verify_graph

    assert set(EKS.shape_for("EncryptionConfig").members) == {"resources", "provider"}
    (spec,) = load_text(MINIMAL, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    (key,) = graph.of_type("aws:kms/key:Key")
    assert key.get("enableKeyRotation") is True
    cluster = graph.one(CLUSTER)
    assert cluster.get("encryptionConfig.resources") == ["secrets"]
    arn = cluster.get("encryptionConfig.provider.keyArn")
    assert arn.startswith("arn:aws:kms:")
    (grant,) = graph.of_type("aws:iam/rolePolicy:RolePolicy")
    (statement,) = json.loads(grant.get("policy"))["Statement"]
    assert statement["Resource"] == arn and statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == sorted(["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"])
    (role,) = [r for r in graph.of_type("aws:iam/role:Role") if r.name.endswith("-cluster-role")]
    assert grant.get("role") == role.get("name")
    report = verify_graph(graph)
    assert not report.violations and "kms" in report.oracle
    # adding it to a running cluster is an in-place update (AssociateEncryptionConfig), not a replacement
    assert not any(p.startswith("encryptionConfig") for p in replace.replace_paths(CLUSTER))


def test_irsa_oidc_provider_and_the_ebs_csi_driver_with_its_own_pod_identity_role() -> None:
    """IRSA: the cluster's OIDC issuer as an IAM OIDC provider for sts.amazonaws.com (terraform-aws-eks main.tf:
    458-471); no thumbprint, which the IAM API model makes optional (IAM then fetches it). The EBS CSI add-on's
    controller service account ebs-csi-controller-sa gets a role trusting pods.eks.amazonaws.com with
    AmazonEBSCSIDriverPolicy (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
    latest/ug/storage/ebs-csi.adoc:85-95; latest/ug/manage-access/aws-access/service-accounts.adoc:163-172)."""
    iam = botocore.session.get_session().get_service_model("iam")
    assert iam.operation_model("CreateOpenIDConnectProvider").input_shape.required_members == ["Url"]
    assert set(EKS.shape_for("AddonPodIdentityAssociations").members) == {"serviceAccount", "roleArn"}
    (spec,) = load_text(MINIMAL, "s.yaml")
    graph = render(spec.spec, "eks", resolver=shape_resolver("eks"))
    (oidc,) = graph.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    # the cluster's issuer (offline: the mock's https://oidc.eks.<region>.amazonaws.com/id/<id>)
    assert oidc.get("url").startswith("https://oidc.eks.") and oidc.get("clientIdLists") == ["sts.amazonaws.com"]
    assert oidc.get("thumbprintLists") is None
    addons = {a.get("addonName"): a for a in graph.of_type("aws:eks/addon:Addon")}
    (assoc,) = addons["aws-ebs-csi-driver"].get("podIdentityAssociations")
    assert assoc["serviceAccount"] == "ebs-csi-controller-sa"
    (role,) = [r for r in graph.of_type("aws:iam/role:Role") if r.name.endswith("-ebs-csi-role")]
    (statement,) = json.loads(role.get("assumeRolePolicy"))["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert assoc["roleArn"].endswith(f":role/{role.get('name')}")
    attached = {a.get("policyArn") for a in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.parent_name == role.name}
    assert attached == {"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"}


# ---- account-global names: IAM roles unique per region, existing stacks keep theirs ----

ROLE = "aws:iam/role:Role"
#: The role names kubefleet@093596a (before the region was hashed) rendered for SANDBOXED, by URN name: what an
#: existing stack holds. Printed by rendering SANDBOXED with that commit's code.
NAMES_AT_093596A: dict[str, str] = {
    "mini-cluster-role": "mini-cluster-0463a6", "mini-ebs-csi-role": "mini-ebs-csi-e3d0a4",
    "mini-fargate-role": "mini-fargate-1b63f4", "mini-node-role": "mini-node-f48bf8",
}


def previous_role_name(spec: Any, region: str, kind: str) -> str:
    """The role name of a stack created before the region was hashed (kubefleet@093596a providers/eks/common.py
    name_for: ``cloud_name(IAM_ROLE, f"{name}-{kind}", name, "eks", kind)``); ``region`` is not used."""
    from kubefleet.naming import AWS_IAM_ROLE, cloud_name

    return cloud_name(AWS_IAM_ROLE, f"{spec.name}-{kind}", spec.name, "eks", kind)


def _render_at(region: str, text: str = SANDBOXED) -> Any:
    (spec,) = load_text(text.replace("region: us-east", f"region: {region}"), "s.yaml")
    return render(spec.spec, "eks", resolver=shape_resolver("eks"))


def test_iam_is_one_namespace_per_account_so_role_names_differ_per_region() -> None:
    """botocore's endpoint data: IAM is not regionalized (one partition endpoint, aws-global); its model: role
    names "must be unique within the account. Names are not distinguished by case". Two clusters of one name in
    two regions of one account: the EKS cluster names may be equal (EKS is regional: isRegionalized true), the
    role names may not, not even by case."""
    session = botocore.session.get_session()
    endpoints = session.get_component("data_loader").load_data("endpoints")
    (aws,) = [p for p in endpoints["partitions"] if p["partition"] == "aws"]
    assert aws["services"]["iam"]["isRegionalized"] is False
    assert aws["services"]["eks"].get("isRegionalized", aws.get("defaults", {}).get("isRegionalized", True)) is True
    iam = session.get_service_model("iam")
    role_name = iam.operation_model("CreateRole").input_shape.members["RoleName"]
    doc = str(role_name.documentation)
    assert "unique within the account" in doc and "not distinguished by case" in doc
    east, west = _render_at("us-east"), _render_at("us-west")
    assert east.one(CLUSTER).get("region") != west.one(CLUSTER).get("region")
    east_roles = {r.name: r.get("name") for r in east.of_type(ROLE)}
    west_roles = {r.name: r.get("name") for r in west.of_type(ROLE)}
    assert set(east_roles) == set(west_roles) == set(NAMES_AT_093596A)
    assert not {n.lower() for n in east_roles.values()} & {n.lower() for n in west_roles.values()}
    pattern, most = role_name.metadata["pattern"], role_name.metadata["max"]
    for name in (*east_roles.values(), *west_roles.values()):
        assert re.fullmatch(pattern, name) and len(name) <= most, name
    # every IAM type the adapter renders is classified: a new one (an instance profile, a customer-managed
    # policy) must be looked at for the same collision
    rendered = {r.type for g in (east, west) for r in g.resources if r.type.startswith("aws:iam/")}
    assert rendered == {ROLE, "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                        "aws:iam/openIdConnectProvider:OpenIdConnectProvider"}
    # an inline policy's name lives inside its role (PutRolePolicy takes the RoleName); an attachment has no name
    assert {"RoleName", "PolicyName"} <= set(iam.operation_model("PutRolePolicy").input_shape.required_members)
    assert "PolicyName" not in iam.operation_model("AttachRolePolicy").input_shape.members
    # an OIDC provider is keyed by its URL (CreateOpenIDConnectProvider: "You cannot register the same provider
    # multiple times in a single Amazon Web Services account"), which is the cluster's own issuer
    url_doc = iam.operation_model("CreateOpenIDConnectProvider").input_shape.members["Url"].documentation
    assert "same provider multiple times" in url_doc


def test_an_existing_stacks_roles_keep_their_names_so_nothing_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role's name is ForceNew, and so are the inputs that hold its ARN (the cluster's roleArn, a node group's
    nodeRoleArn, a Fargate profile's podExecutionRoleArn: the generated replace table from terraform-provider-aws):
    a new name would replace the cluster. So the roles ignore their name after creation, and `kubefleet diff` of a
    stack rendered with the previous names (kubefleet@093596a) against today's render shows no change but the
    note on the roles (the engine does the same: tests/test_e2e_day2.py)."""
    from kubefleet.changes.diff import diff_graphs, kept_name_note
    from kubefleet.providers.eks import iam

    assert "name" in replace.replace_paths(ROLE)
    assert "roleArn" in replace.replace_paths(CLUSTER)
    assert "nodeRoleArn" in replace.replace_paths("aws:eks/nodeGroup:NodeGroup")
    assert "podExecutionRoleArn" in replace.replace_paths("aws:eks/fargateProfile:FargateProfile")
    new = _render_at("us-east")
    for role in new.of_type(ROLE):
        assert role.ignore_changes == ("name",), role.name
        assert role.get("name") != NAMES_AT_093596A[role.name]
    monkeypatch.setattr(iam, "role_name", previous_role_name)
    old = _render_at("us-east")
    assert {r.name: r.get("name") for r in old.of_type(ROLE)} == NAMES_AT_093596A
    diffs = diff_graphs(old, new)
    changed = {(d.change.type, d.change.name): d.change.op for d in diffs if d.change.op != "same"}
    assert changed == {}
    notes = {d.change.name: d.at_apply for d in diffs if d.change.type == ROLE}
    assert notes == {name: kept_name_note("name") for name in NAMES_AT_093596A}


def test_a_region_move_does_not_show_the_roles_dependents_replaced_for_a_name_the_engine_keeps() -> None:
    """The same stack moved to another region: the roles keep their names (ignored), so whatever reads the role's
    name or ARN (attachments, the inline policy, the cluster's roleArn) sees no change from them."""
    from kubefleet.changes.diff import diff_graphs

    diffs = diff_graphs(_render_at("us-east"), _render_at("us-west"))
    for d in diffs:
        assert d.change.type == ROLE or not any(i.path in ("role", "roleArn", "nodeRoleArn", "podExecutionRoleArn")
                                                for i in d.change.inputs), (d.change.type, d.change.name)
    assert {d.change.op for d in diffs if d.change.type.startswith("aws:iam/") and d.change.type != ROLE
            and "openIdConnectProvider" not in d.change.type} == {"same"}

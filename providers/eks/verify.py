"""The EKS oracle: rendered pulumi-aws inputs checked against AWS's own API models, as botocore ships them.

Each resource type kubefleet renders on EKS is mapped onto the API request(s) the Terraform-bridged
provider (pulumi-aws is hashicorp/terraform-provider-aws under the Pulumi bridge) sends for it - ``CreateCluster``,
``CreateNodegroup``, ``CreateFargateProfile``, ``CreateAddon``/``UpdateAddon``, ``CreateAccessEntry``,
``AssociateAccessPolicy`` (EKS), ``CreateRole``/``AttachRolePolicy`` (IAM), ``CreateVpc``, ``CreateSubnet``,
``CreateLaunchTemplate``, ... (EC2), ``CreateLogGroup``/``PutRetentionPolicy`` (CloudWatch Logs), ``PutRolePolicy``,
``CreateOpenIDConnectProvider`` (IAM), ``CreateKey``/``EnableKeyRotation`` (KMS). The request is then walked
against the operation's input shape in
``botocore.session.get_session().get_service_model(...)``: members the shape does not have, required members
that are missing, enum membership (case-sensitive), string length, list/map sizes, integer ranges, patterns
and value types. Nothing in the expected values comes from kubefleet: the allowed sets, ranges and patterns
are read from the model at run time, and every violation names the model (botocore version and API version).

Besides the shapes, a few cross-field rules the model states in its *documentation* are checked on the graph
(each says where in the model the rule is written):

- ``CreateFargateProfile.subnets``: "only private subnets (with no direct route to an Internet Gateway) are
  accepted" - a Fargate subnet declared in the graph must not be associated with a route table that routes
  to an internet gateway, nor map public IPs on launch;
- ``CreateNodegroup.launchTemplate``/``instanceTypes``/``diskSize``/``remoteAccess``: with a launch template,
  no ``diskSize`` or ``remoteAccess``, and ``instanceTypes`` only when the template names no instance type;
- ``CreateNodegroup.version``: "the Kubernetes version of the cluster is used, and this is the only accepted
  specified value" - a node group's version must equal its cluster's.

Where the bridged provider deliberately differs from the API, the mapping follows the provider and says so
(``DIFFERENCES``), citing hashicorp/terraform-provider-aws at a commit.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubefleet.graph import SECRET, RenderedResource, ResourceGraph
from kubefleet.verify import INSTALL_HINT, VerifyReport, VerifyUnavailable, Violation

#: terraform-provider-aws commit the provider/API differences below were read at.
TF_AWS: Final = "hashicorp/terraform-provider-aws@00a35305dc1b297a6fcdecdfbba33f1e63c3da39"

#: Deliberate provider/API differences the mapping follows (reported as notes on every EKS report).
DIFFERENCES: Final = (
    f"aws:eks/addon:Addon.resolveConflictsOnCreate is sent as CreateAddon.resolveConflicts and the provider "
    f"accepts only NONE | OVERWRITE there although the API enum also has PRESERVE "
    f"({TF_AWS}:internal/service/eks/addon.go:114-121); resolveConflictsOnUpdate goes to UpdateAddon.resolveConflicts",
    f"aws:eks/addon:Addon.addonVersion: the API's addonVersion is a plain String, the provider requires a "
    f"semantic version 'vX.Y.Z[-pre]' ({TF_AWS}:internal/service/eks/addon.go:61-69); that pattern is checked "
    "here too (ADDON_VERSION)",
    "aws:ec2/launchTemplate ebs.encrypted / ebs.deleteOnTermination are strings (\"true\"/\"false\"/\"\") in the "
    "provider (pulumi_aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs types them str) so that unset differs "
    "from false; the API takes booleans, so \"true\"/\"false\" are compared as booleans and \"\" as absent",
    "empty maps and lists (tags, labels) are not sent: the provider builds tags with getTagsIn() "
    f"({TF_AWS}:internal/service/eks/addon.go:149), whose generated body (tags_gen.go) says 'nil is returned if "
    "there are no input tags', so an empty tag map is not checked against TagMap's min 1",
    "aws:eks/cluster:Cluster.enabledClusterLogTypes is checked as CreateCluster.logging.clusterLogging[0].types "
    "with enabled = true (the API's Logging shape: a list of LogSetup{types, enabled})",
    "IAM and EC2 tags are maps in the provider and Key/Value lists (IAM Tags, EC2 TagSpecifications) in the API",
)

#: The provider's own addon_version check (terraform-provider-aws at TF_AWS, internal/service/eks/addon.go:67;
#: the expression is semver.org's).
ADDON_VERSION: Final = re.compile(
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)

#: Unicode property classes in AWS patterns that Python's ``re`` lacks, spelled out (exact for ASCII,
#: approximate beyond: Latin, Greek, Cyrillic and CJK letters; Unicode digits; space separators).
_UNICODE_CLASSES: Final = {
    r"\p{L}": "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u03ff\u0400-\u04ff\u4e00-\u9fff",
    r"\p{N}": "0-9",
    r"\p{Z}": " \u00a0\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
}


@dataclass(frozen=True)
class N:
    """A request node: a scalar, a list of nodes or a dict of nodes, with the Pulumi input path it came from."""

    v: Any
    path: str


def wrap(value: Any, path: str) -> N:
    if isinstance(value, Mapping):
        return N({str(k): wrap(x, f"{path}.{k}") for k, x in value.items()}, path)
    if isinstance(value, list):
        return N([wrap(x, f"{path}.{i}") for i, x in enumerate(value)], path)
    return N(value, path)


def _get(res: RenderedResource, path: str) -> N | None:
    value = res.get(path)
    return None if value is None else wrap(value, path)


def _members(res: RenderedResource, pairs: Mapping[str, str]) -> dict[str, N]:
    """``{api member: Pulumi input path}`` -> request members for the inputs that are present."""
    out: dict[str, N] = {}
    for api, path in pairs.items():
        node = _get(res, path)
        if node is not None:
            out[api] = node
    return out


def _struct(path: str, members: dict[str, N]) -> N | None:
    return N(members, path) if members else None


def _placeholder(res: RenderedResource, what: str) -> N:
    """A value the provider fills in at apply time (the id of the resource being created)."""
    return N(f"({what} of {res.name}, known at apply)", f"({what})")


def _flag(node: N | None) -> N | None:
    """Provider tri-state string booleans ("true"/"false"/"") -> the API's boolean (see DIFFERENCES)."""
    if node is None or not isinstance(node.v, str):
        return node
    if node.v == "":
        return None
    if node.v in ("true", "false"):
        return N(node.v == "true", node.path)
    return node


def _tag_list(res: RenderedResource, path: str, key: str = "Key", value: str = "Value") -> N | None:
    tags = res.get(path)
    if not isinstance(tags, Mapping) or not tags:
        return None
    return N([N({key: N(k, f"{path}.{k} (key)"), value: N(v, f"{path}.{k}")}, f"{path}.{k}")
              for k, v in tags.items()], path)


def _ec2_tags(res: RenderedResource, resource_type: str) -> N | None:
    tags = _tag_list(res, "tags")
    if tags is None:
        return None
    return N([N({"ResourceType": N(resource_type, "(resource type)"), "Tags": tags}, "tags")], "tags")


@dataclass(frozen=True)
class Request:
    service: str  # botocore service name: eks | ec2 | iam
    operation: str
    body: dict[str, N]


Mapper = Callable[[RenderedResource], list[Request]]


# ----------------------------------------------------------------------------- EKS

def _cluster(res: RenderedResource) -> list[Request]:
    body = _members(res, {"name": "name", "version": "version", "roleArn": "roleArn", "tags": "tags",
                          "bootstrapSelfManagedAddons": "bootstrapSelfManagedAddons",
                          "deletionProtection": "deletionProtection"})
    vpc = _struct("vpcConfig", _members(res, {
        "subnetIds": "vpcConfig.subnetIds", "securityGroupIds": "vpcConfig.securityGroupIds",
        "endpointPublicAccess": "vpcConfig.endpointPublicAccess",
        "endpointPrivateAccess": "vpcConfig.endpointPrivateAccess",
        "publicAccessCidrs": "vpcConfig.publicAccessCidrs"}))
    if vpc is not None:
        body["resourcesVpcConfig"] = vpc
    for api, path, pairs in (
        ("kubernetesNetworkConfig", "kubernetesNetworkConfig",
         {"serviceIpv4Cidr": "serviceIpv4Cidr", "ipFamily": "ipFamily"}),
        ("accessConfig", "accessConfig", {"authenticationMode": "authenticationMode",
                                          "bootstrapClusterCreatorAdminPermissions":
                                          "bootstrapClusterCreatorAdminPermissions"}),
        ("upgradePolicy", "upgradePolicy", {"supportType": "supportType"}),
        ("zonalShiftConfig", "zonalShiftConfig", {"enabled": "enabled"}),
    ):
        node = _struct(path, _members(res, {k: f"{path}.{v}" for k, v in pairs.items()}))
        if node is not None:
            body[api] = node
    enc = res.get("encryptionConfig")
    if isinstance(enc, Mapping):  # the provider's single block -> the API's list of EncryptionConfig
        body["encryptionConfig"] = N([wrap(enc, "encryptionConfig")], "encryptionConfig")
    types = _get(res, "enabledClusterLogTypes")
    if types is not None and types.v:
        setup = N({"types": types, "enabled": N(True, "(enabled)")}, "enabledClusterLogTypes")
        body["logging"] = N({"clusterLogging": N([setup], "enabledClusterLogTypes")}, "enabledClusterLogTypes")
    return [Request("eks", "CreateCluster", body)]


def _nodegroup(res: RenderedResource) -> list[Request]:
    body = _members(res, {"clusterName": "clusterName", "nodegroupName": "nodeGroupName", "diskSize": "diskSize",
                          "subnets": "subnetIds", "instanceTypes": "instanceTypes", "amiType": "amiType",
                          "nodeRole": "nodeRoleArn", "labels": "labels", "tags": "tags",
                          "capacityType": "capacityType", "version": "version", "releaseVersion": "releaseVersion",
                          "scalingConfig": "scalingConfig", "updateConfig": "updateConfig",
                          "remoteAccess": "remoteAccess", "nodeRepairConfig": "nodeRepairConfig"})
    lt = _struct("launchTemplate", _members(res, {"id": "launchTemplate.id", "name": "launchTemplate.name",
                                                  "version": "launchTemplate.version"}))
    if lt is not None:
        body["launchTemplate"] = lt
    taints = res.get("taints")
    if isinstance(taints, list) and taints:
        body["taints"] = wrap(taints, "taints")
    return [Request("eks", "CreateNodegroup", body)]


def _fargate(res: RenderedResource) -> list[Request]:
    body = _members(res, {"fargateProfileName": "fargateProfileName", "clusterName": "clusterName",
                          "podExecutionRoleArn": "podExecutionRoleArn", "subnets": "subnetIds",
                          "selectors": "selectors", "tags": "tags"})
    return [Request("eks", "CreateFargateProfile", body)]


def _addon(res: RenderedResource) -> list[Request]:
    base = {"clusterName": "clusterName", "addonName": "addonName", "addonVersion": "addonVersion",
            "serviceAccountRoleArn": "serviceAccountRoleArn", "configurationValues": "configurationValues"}
    base["podIdentityAssociations"] = "podIdentityAssociations"
    create = _members(res, {**base, "resolveConflicts": "resolveConflictsOnCreate", "tags": "tags"})
    update = _members(res, {**base, "resolveConflicts": "resolveConflictsOnUpdate"})
    return [Request("eks", "CreateAddon", create), Request("eks", "UpdateAddon", update)]


def _access_entry(res: RenderedResource) -> list[Request]:
    return [Request("eks", "CreateAccessEntry", _members(res, {
        "clusterName": "clusterName", "principalArn": "principalArn", "kubernetesGroups": "kubernetesGroups",
        "type": "type", "username": "userName", "tags": "tags"}))]


def _access_policy(res: RenderedResource) -> list[Request]:
    body = _members(res, {"clusterName": "clusterName", "principalArn": "principalArn", "policyArn": "policyArn"})
    scope = _struct("accessScope", _members(res, {"type": "accessScope.type",
                                                  "namespaces": "accessScope.namespaces"}))
    if scope is not None:
        body["accessScope"] = scope
    return [Request("eks", "AssociateAccessPolicy", body)]


# ----------------------------------------------------------------------------- IAM

def _role(res: RenderedResource) -> list[Request]:
    body = _members(res, {"RoleName": "name", "Description": "description",
                          "AssumeRolePolicyDocument": "assumeRolePolicy", "Path": "path",
                          "MaxSessionDuration": "maxSessionDuration", "PermissionsBoundary": "permissionsBoundary"})
    tags = _tag_list(res, "tags")
    if tags is not None:
        body["Tags"] = tags
    return [Request("iam", "CreateRole", body)]


def _role_policy(res: RenderedResource) -> list[Request]:
    return [Request("iam", "PutRolePolicy", _members(res, {
        "RoleName": "role", "PolicyName": "name", "PolicyDocument": "policy"}))]


def _oidc_provider(res: RenderedResource) -> list[Request]:
    body = _members(res, {"Url": "url", "ClientIDList": "clientIdLists", "ThumbprintList": "thumbprintLists"})
    tags = _tag_list(res, "tags")
    if tags is not None:
        body["Tags"] = tags
    return [Request("iam", "CreateOpenIDConnectProvider", body)]


# ----------------------------------------------------------------------------- KMS

def _kms_key(res: RenderedResource) -> list[Request]:
    body = _members(res, {"Description": "description", "KeyUsage": "keyUsage", "KeySpec": "customerMasterKeySpec",
                          "Policy": "policy", "MultiRegion": "multiRegion"})
    tags = _tag_list(res, "tags", "TagKey", "TagValue")
    if tags is not None:
        body["Tags"] = tags
    out = [Request("kms", "CreateKey", body)]
    if res.get("enableKeyRotation") is True:
        out.append(Request("kms", "EnableKeyRotation", {
            "KeyId": _placeholder(res, "key id"),
            **_members(res, {"RotationPeriodInDays": "rotationPeriodInDays"})}))
    return out


def _attachment(res: RenderedResource) -> list[Request]:
    return [Request("iam", "AttachRolePolicy", _members(res, {"RoleName": "role", "PolicyArn": "policyArn"}))]


# ----------------------------------------------------------------------------- EC2

def _with_tags(res: RenderedResource, body: dict[str, N], resource_type: str) -> dict[str, N]:
    tags = _ec2_tags(res, resource_type)
    if tags is not None:
        body["TagSpecifications"] = tags
    return body


def _vpc(res: RenderedResource) -> list[Request]:
    out = [Request("ec2", "CreateVpc", _with_tags(res, _members(res, {
        "CidrBlock": "cidrBlock", "InstanceTenancy": "instanceTenancy"}), "vpc"))]
    # ModifyVpcAttribute takes one attribute per call.
    for api, path in (("EnableDnsHostnames", "enableDnsHostnames"), ("EnableDnsSupport", "enableDnsSupport")):
        node = _get(res, path)
        if node is not None:
            out.append(Request("ec2", "ModifyVpcAttribute", {
                "VpcId": _placeholder(res, "id"), api: N({"Value": node}, path)}))
    return out


def _subnet(res: RenderedResource) -> list[Request]:
    out = [Request("ec2", "CreateSubnet", _with_tags(res, _members(res, {
        "VpcId": "vpcId", "CidrBlock": "cidrBlock", "AvailabilityZone": "availabilityZone",
        "AvailabilityZoneId": "availabilityZoneId"}), "subnet"))]
    node = _get(res, "mapPublicIpOnLaunch")
    if node is not None:
        out.append(Request("ec2", "ModifySubnetAttribute", {
            "SubnetId": _placeholder(res, "id"), "MapPublicIpOnLaunch": N({"Value": node}, node.path)}))
    return out


def _igw(res: RenderedResource) -> list[Request]:
    out = [Request("ec2", "CreateInternetGateway", _with_tags(res, {}, "internet-gateway"))]
    vpc = _get(res, "vpcId")
    if vpc is not None:
        out.append(Request("ec2", "AttachInternetGateway", {"VpcId": vpc, "InternetGatewayId": _placeholder(res, "id")}))
    return out


def _route_table(res: RenderedResource) -> list[Request]:
    out = [Request("ec2", "CreateRouteTable", _with_tags(res, _members(res, {"VpcId": "vpcId"}), "route-table"))]
    for i, _route in enumerate(res.get("routes") or []):
        body = _members(res, {"DestinationCidrBlock": f"routes.{i}.cidrBlock",
                              "DestinationIpv6CidrBlock": f"routes.{i}.ipv6CidrBlock",
                              "GatewayId": f"routes.{i}.gatewayId", "NatGatewayId": f"routes.{i}.natGatewayId"})
        body["RouteTableId"] = _placeholder(res, "id")
        out.append(Request("ec2", "CreateRoute", body))
    return out


def _rt_assoc(res: RenderedResource) -> list[Request]:
    return [Request("ec2", "AssociateRouteTable", _members(res, {
        "RouteTableId": "routeTableId", "SubnetId": "subnetId", "GatewayId": "gatewayId"}))]


def _eip(res: RenderedResource) -> list[Request]:
    return [Request("ec2", "AllocateAddress", _with_tags(res, _members(res, {"Domain": "domain"}), "elastic-ip"))]


def _nat(res: RenderedResource) -> list[Request]:
    return [Request("ec2", "CreateNatGateway", _with_tags(res, _members(res, {
        "AllocationId": "allocationId", "SubnetId": "subnetId", "ConnectivityType": "connectivityType",
        "PrivateIpAddress": "privateIp"}), "natgateway"))]


def _launch_template(res: RenderedResource) -> list[Request]:
    data = _members(res, {"ImageId": "imageId", "InstanceType": "instanceType", "UserData": "userData",
                          "EbsOptimized": "ebsOptimized"})
    if "EbsOptimized" in data:
        flag = _flag(data["EbsOptimized"])
        if flag is None:
            del data["EbsOptimized"]
        else:
            data["EbsOptimized"] = flag
    mappings = []
    for i, _bdm in enumerate(res.get("blockDeviceMappings") or []):
        p = f"blockDeviceMappings.{i}"
        ebs = _members(res, {"Iops": f"{p}.ebs.iops", "KmsKeyId": f"{p}.ebs.kmsKeyId",
                             "SnapshotId": f"{p}.ebs.snapshotId", "VolumeSize": f"{p}.ebs.volumeSize",
                             "VolumeType": f"{p}.ebs.volumeType", "Throughput": f"{p}.ebs.throughput"})
        for api, path in (("Encrypted", f"{p}.ebs.encrypted"), ("DeleteOnTermination", f"{p}.ebs.deleteOnTermination")):
            flag = _flag(_get(res, path))
            if flag is not None:
                ebs[api] = flag
        mapping = _members(res, {"DeviceName": f"{p}.deviceName"})
        if ebs:
            mapping["Ebs"] = N(ebs, f"{p}.ebs")
        mappings.append(N(mapping, p))
    if mappings:
        data["BlockDeviceMappings"] = N(mappings, "blockDeviceMappings")
    meta = _struct("metadataOptions", _members(res, {
        "HttpTokens": "metadataOptions.httpTokens", "HttpPutResponseHopLimit": "metadataOptions.httpPutResponseHopLimit",
        "HttpEndpoint": "metadataOptions.httpEndpoint", "HttpProtocolIpv6": "metadataOptions.httpProtocolIpv6",
        "InstanceMetadataTags": "metadataOptions.instanceMetadataTags"}))
    if meta is not None:
        data["MetadataOptions"] = meta
    specs = []
    for i, _ts in enumerate(res.get("tagSpecifications") or []):
        p = f"tagSpecifications.{i}"
        spec = _members(res, {"ResourceType": f"{p}.resourceType"})
        tags = _tag_list(res, f"{p}.tags")
        if tags is not None:
            spec["Tags"] = tags
        specs.append(N(spec, p))
    if specs:
        data["TagSpecifications"] = N(specs, "tagSpecifications")
    body = _members(res, {"LaunchTemplateName": "name", "VersionDescription": "description"})
    body["LaunchTemplateData"] = N(data, "(launch template data)")
    return [Request("ec2", "CreateLaunchTemplate", _with_tags(res, body, "launch-template"))]


def _sg_ingress(res: RenderedResource) -> list[Request]:
    perm = _members(res, {"IpProtocol": "ipProtocol", "FromPort": "fromPort", "ToPort": "toPort"})
    cidr = _members(res, {"CidrIp": "cidrIpv4", "Description": "description"})
    if "CidrIp" in cidr:
        perm["IpRanges"] = N([N(cidr, "cidrIpv4")], "cidrIpv4")
    body = _members(res, {"GroupId": "securityGroupId"})
    body["IpPermissions"] = N([N(perm, "(ip permission)")], "(ip permission)")
    return [Request("ec2", "AuthorizeSecurityGroupIngress", _with_tags(res, body, "security-group-rule"))]


def _log_group(res: RenderedResource) -> list[Request]:
    out = [Request("logs", "CreateLogGroup", _members(res, {
        "logGroupName": "name", "kmsKeyId": "kmsKeyId", "logGroupClass": "logGroupClass", "tags": "tags"}))]
    days = _get(res, "retentionInDays")
    if days is not None:
        out.append(Request("logs", "PutRetentionPolicy", {
            "logGroupName": _get(res, "name") or _placeholder(res, "name"), "retentionInDays": days}))
    return out


#: Pulumi resource type -> the API request(s) the provider sends for it.
MAPPERS: Final[Mapping[str, Mapper]] = {
    "aws:eks/cluster:Cluster": _cluster,
    "aws:eks/nodeGroup:NodeGroup": _nodegroup,
    "aws:eks/fargateProfile:FargateProfile": _fargate,
    "aws:eks/addon:Addon": _addon,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _access_policy,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _attachment,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:kms/key:Key": _kms_key,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/internetGateway:InternetGateway": _igw,
    "aws:ec2/routeTable:RouteTable": _route_table,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _rt_assoc,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_ingress,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
}

#: Types that are not AWS API objects (Pulumi providers, components, Kubernetes/Helm resources).
NOT_AWS_API: Final = ("pulumi:providers:", "kubefleet:", "kubernetes:")


# ----------------------------------------------------------------------------- the model walk

@functools.cache
def _models() -> tuple[str, dict[str, Any]]:
    try:
        import botocore
        import botocore.session
    except ImportError as err:  # pragma: no cover - the test extra installs botocore
        raise VerifyUnavailable("the EKS oracle needs botocore (AWS's API models)", hint=INSTALL_HINT) from err
    session = botocore.session.get_session()
    models = {name: session.get_service_model(name) for name in ("eks", "ec2", "iam", "logs", "kms")}
    oracle = f"botocore {botocore.__version__} " + ", ".join(
        f"{name} {m.api_version}" for name, m in models.items())
    return oracle, models


@functools.cache
def _compile(pattern: str) -> re.Pattern[str] | None:
    for prop, chars in _UNICODE_CLASSES.items():
        pattern = pattern.replace(prop, chars)
    try:
        return re.compile(pattern)
    except re.error:
        return None


@dataclass
class _Walk:
    resource: str
    oracle: str
    violations: list[Violation] = field(default_factory=list)
    checked: int = 0

    def bad(self, node: N, api: str, problem: str, allowed: str) -> None:
        value = node.v if isinstance(node.v, str) else json.dumps(node.v, default=str)
        self.violations.append(Violation(self.resource, node.path, api, str(value), problem, allowed, self.oracle))

    def check(self, shape: Any, node: N, api: str) -> None:
        v = node.v
        if v is None or v == SECRET:
            return
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(v, dict):
                self.bad(node, api, "expected an object", f"structure {shape.name}")
                return
            self.checked += 1
            for req in shape.required_members:
                if req not in v or v[req].v is None:
                    self.bad(N("(missing)", node.path or "(request)"), f"{api}.{req}".lstrip("."),
                             "required member missing", f"{shape.name} requires {', '.join(shape.required_members)}")
            for key, child in v.items():
                if key not in shape.members:
                    self.bad(child, f"{api}.{key}".lstrip("."), "not a member of the API shape",
                             f"{shape.name} members: {', '.join(shape.members)}")
                else:
                    self.check(shape.members[key], child, f"{api}.{key}".lstrip("."))
            return
        if kind in ("list", "map"):
            if (kind == "list" and not isinstance(v, list)) or (kind == "map" and not isinstance(v, dict)):
                self.bad(node, api, f"expected a {kind}", f"{kind} {shape.name}")
                return
            if not v:
                return  # empty collections are not sent (DIFFERENCES)
            self.checked += 1
            if ("min" in meta and len(v) < meta["min"]) or ("max" in meta and len(v) > meta["max"]):
                self.bad(node, api, f"{len(v)} entries: out of range",
                         f"{shape.name}: {meta.get('min', 0)}..{meta.get('max', 'unbounded')} entries")
            if kind == "list":
                for i, child in enumerate(v):
                    self.check(shape.member, child, f"{api}[{i}]")
            else:
                for key, child in v.items():
                    self.check(shape.key, N(key, f"{child.path} (key)"), f"{api} key")
                    self.check(shape.value, child, f"{api}[{key}]")
            return
        self.checked += 1
        self._scalar(shape, node, api, kind, meta)

    def _scalar(self, shape: Any, node: N, api: str, kind: str, meta: Mapping[str, Any]) -> None:
        v = node.v
        if kind == "string":
            if not isinstance(v, str):
                self.bad(node, api, "expected a string", f"string {shape.name}")
                return
            if shape.enum and v not in shape.enum:
                self.bad(node, api, "not one of the allowed values", " | ".join(shape.enum))
            if ("min" in meta and len(v) < meta["min"]) or ("max" in meta and len(v) > meta["max"]):
                self.bad(node, api, f"length {len(v)}: out of range",
                         f"{shape.name}: {meta.get('min', 0)}..{meta.get('max', 'unbounded')} characters")
            pattern = meta.get("pattern")
            compiled = _compile(pattern) if pattern else None
            # Whole-value match: the models' documentation phrases these as "consisting of" (IAM) or "can
            # contain only ..." (EKS ClusterName), i.e. every character, not a substring.
            if compiled is not None and not compiled.fullmatch(v):
                self.bad(node, api, "does not match the pattern", f"{shape.name} pattern {pattern}")
        elif kind in ("integer", "long"):
            if isinstance(v, bool) or not isinstance(v, int):
                self.bad(node, api, "expected an integer", f"{kind} {shape.name}")
                return
            if ("min" in meta and v < meta["min"]) or ("max" in meta and v > meta["max"]):
                self.bad(node, api, "out of range", f"{shape.name}: {meta.get('min', '-inf')}..{meta.get('max', 'inf')}")
        elif kind == "boolean":
            if not isinstance(v, bool):
                self.bad(node, api, "expected a boolean", f"boolean {shape.name}")
        elif kind in ("double", "float") and (isinstance(v, bool) or not isinstance(v, (int, float))):
            self.bad(node, api, "expected a number", f"{kind} {shape.name}")


# ----------------------------------------------------------------------------- cross-field rules (model docs)

def _by_id(graph: ResourceGraph) -> dict[str, RenderedResource]:
    """The offline render gives every custom resource the id ``<name>-id`` (kubefleet.render.offline)."""
    return {f"{r.name}-id": r for r in graph.custom()}


def _doc_rules(graph: ResourceGraph, oracle: str) -> Iterator[Violation]:
    ids = _by_id(graph)
    subnet_tables: dict[str, list[RenderedResource]] = {}
    for assoc in graph.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        table = ids.get(str(assoc.get("routeTableId")))
        if table is not None:
            subnet_tables.setdefault(str(assoc.get("subnetId")), []).append(table)
    clusters = {str(c.get("name")): c for c in graph.of_type("aws:eks/cluster:Cluster")}

    for fp in graph.of_type("aws:eks/fargateProfile:FargateProfile"):
        rid = f"{fp.type}::{fp.name}"
        for i, sid in enumerate(fp.get("subnetIds") or []):
            subnet = ids.get(str(sid))
            if subnet is None:
                continue  # an existing subnet: its routes are not in the graph
            igw_routes = [t.name for t in subnet_tables.get(str(sid), [])
                          if any(r.get("gatewayId") for r in (t.get("routes") or []))]
            if igw_routes or subnet.get("mapPublicIpOnLaunch") is True:
                yield Violation(rid, f"subnetIds.{i}", "eks.CreateFargateProfile.subnets", str(sid),
                                f"subnet {subnet.name} is public (route table {', '.join(igw_routes) or '-'} routes to an "
                                "internet gateway, or it maps public IPs)",
                                "private subnets only (no direct route to an Internet Gateway)",
                                f"{oracle}: CreateFargateProfileRequest.subnets documentation")

    for addon in graph.of_type("aws:eks/addon:Addon"):
        version = addon.get("addonVersion")
        if isinstance(version, str) and not ADDON_VERSION.match(version):
            yield Violation(f"{addon.type}::{addon.name}", "addonVersion", "eks.CreateAddon.addonVersion", version,
                            "not a semantic version (the provider rejects it before calling the API)",
                            f"pattern {ADDON_VERSION.pattern}", f"{TF_AWS}:internal/service/eks/addon.go:67")

    # CloudWatch Logs Days is a plain integer in the model; its documentation lists the accepted values.
    days_doc = _models()[1]["logs"].shape_for("Days").documentation or ""
    listed = re.search(r"Possible values are:([^.]*)", re.sub(r"<[^>]+>", "", days_doc))
    allowed_days = [int(n) for n in re.findall(r"\d+", listed.group(1))] if listed else []
    for lg in graph.of_type("aws:cloudwatch/logGroup:LogGroup"):
        days = lg.get("retentionInDays")
        if allowed_days and days is not None and days not in allowed_days:
            yield Violation(f"{lg.type}::{lg.name}", "retentionInDays", "logs.PutRetentionPolicy.retentionInDays",
                            str(days), "not one of the documented values", ", ".join(map(str, allowed_days)),
                            f"{oracle}: logs Days documentation")

    for ng in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        rid = f"{ng.type}::{ng.name}"
        lt_id = ng.get("launchTemplate.id")
        if lt_id is not None:
            for field_, api in (("diskSize", "diskSize"), ("remoteAccess", "remoteAccess")):
                if ng.get(field_) is not None:
                    yield Violation(rid, field_, f"eks.CreateNodegroup.{api}", str(ng.get(field_)),
                                    "set together with a launch template", "absent when launchTemplate is given",
                                    f"{oracle}: CreateNodegroupRequest.launchTemplate documentation")
            template = ids.get(str(lt_id))
            if template is not None and template.get("instanceType") and ng.get("instanceTypes"):
                yield Violation(rid, "instanceTypes", "eks.CreateNodegroup.instanceTypes",
                                json.dumps(ng.get("instanceTypes")),
                                f"launch template {template.name} names an instance type too",
                                "instance type in the launch template or in instanceTypes, not both",
                                f"{oracle}: CreateNodegroupRequest.instanceTypes documentation")
        cluster = clusters.get(str(ng.get("clusterName")))
        version = ng.get("version")
        if cluster is not None and version is not None and cluster.get("version") is not None \
                and str(version) != str(cluster.get("version")):
            yield Violation(rid, "version", "eks.CreateNodegroup.version", str(version),
                            "differs from the cluster's version", f"{cluster.get('version')} (the cluster's)",
                            f"{oracle}: CreateNodegroupRequest.version documentation")


# ----------------------------------------------------------------------------- entry point

def verify_graph(graph: ResourceGraph) -> VerifyReport:
    oracle, models = _models()
    report = VerifyReport(cluster=graph.cluster, provider=graph.provider, oracle=oracle, notes=list(DIFFERENCES))
    unmapped: set[str] = set()
    for res in graph.custom():
        mapper = MAPPERS.get(res.type)
        if mapper is None:
            if not res.type.startswith(NOT_AWS_API):
                unmapped.add(res.type)
            continue
        for req in mapper(res):
            shape = models[req.service].operation_model(req.operation).input_shape
            walk = _Walk(f"{res.type}::{res.name}", f"{oracle} ({req.service}.{req.operation})")
            walk.check(shape, N(req.body, ""), f"{req.service}.{req.operation}")
            report.checked += walk.checked
            report.violations += walk.violations
    report.violations += list(_doc_rules(graph, oracle))
    if unmapped:
        report.notes.append("not mapped to an API model (not checked): " + ", ".join(sorted(unmapped)))
    return report

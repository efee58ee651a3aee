#!/usr/bin/env python3
"""Generate kubefleet's replace table from the providers' own schemas.

For every resource type kubefleet renders on GKE, EKS and AKS, which input changes make the engine
replace the resource instead of updating it in place. The answer is the provider's, not ours:

* pulumi-gcp bridges hashicorp/terraform-provider-google-beta and pulumi-aws bridges
  hashicorp/terraform-provider-aws: a change of an attribute declared ``ForceNew`` (SDKv2) or with a
  ``RequiresReplace`` plan modifier (plugin framework) is a replacement. The Go schema declarations are
  parsed from the upstream source at a pinned commit (``scripts/goschema.py``; the current provider
  versions are not on the Go module proxy, so nothing is imported or built).
* pulumi-azure-native replaces a resource when a property of the ARM request URL changes (resource group,
  resource names), when ``location`` changes (ARM: a tracked resource's location is create-only,
  ``x-ms-mutability: ["read", "create"]``), or when a property is listed in the provider's own
  ``forceNewMap`` (pulumi/pulumi-azure-native provider/pkg/gen/replacement.go) or is create-only in the
  ARM spec (``x-ms-mutability`` without ``update``).

Two modes:

``--from-source DIR``  read the pinned sources from git mirrors under DIR (``owner+name/repo`` git
                       directories, as the ``fetch`` tool lays them out), write the source excerpts
                       (only the declarations the table needs) to tests/data/oracles/replace/, then
                       generate the table from those excerpts.
(default)              regenerate the table from the committed excerpts (offline; what the test does).
``--check``            exit 1 when the committed table differs from the regenerated one.

Pulumi property names come from the installed SDKs (``pulumi.getter(name=...)`` on the ``*Args`` input
classes), matched to the Terraform names (snake_case; Pulumi pluralizes list attributes).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import goschema  # noqa: E402  (scripts/goschema.py, next to this file)

EXCERPTS = ROOT / "tests" / "data" / "oracles" / "replace"
TABLE = ROOT / "kubefleet" / "changes" / "replace_table.json"
GOLDENS = ROOT / "tests" / "golden" / "plan"
DATE_READ = "2026-12-06"


@dataclass(frozen=True)
class Repo:
    name: str  # owner/name
    commit: str
    ref: str  # the tag or version the commit is
    date: str  # commit date
    why: str  # how this commit relates to the installed Pulumi provider


@dataclass(frozen=True)
class TfType:
    """One Pulumi resource type bridged from a Terraform resource (SDKv2 or plugin framework)."""

    pulumi_type: str
    sdk: tuple[str, str]  # (module, Args class)
    repo: str
    files: tuple[str, ...]  # package files holding the schema declarations
    root: tuple[str, ...]  # declarations whose schema maps, merged, are the resource schema
    framework: bool = False


@dataclass(frozen=True)
class ArmType:
    """One azure-native resource type: its ARM URL and its forceNewMap key (module, resource)."""

    pulumi_type: str
    sdk: tuple[str, str]
    url: str  # ARM resource URL template ({param} names are the SDK's path inputs)
    tracked: bool  # has `location` (create-only on every tracked resource)
    force_new_key: tuple[str, str]


REPOS: dict[str, Repo] = {
    "hashicorp/terraform-provider-google-beta": Repo(
        "hashicorp/terraform-provider-google-beta", "3dc173a397749158369ea839a2890d89f8c9c370", "v7.45.0",
        "2026-08-18",
        "the `upstream` submodule commit of pulumi/pulumi-gcp@ed6078aacc64ac656da0f719a2c1186e092399cd (newest "
        "stored pulumi-gcp, 2026-08-21, 'Upgrade terraform-provider-google-beta to v7.45.0'); the installed "
        "pulumi_gcp 10.2.0 was built from a later bridge that no stored snapshot holds",
    ),
    "hashicorp/terraform-provider-aws": Repo(
        "hashicorp/terraform-provider-aws", "012e0a32f0686212f447447fd3d81c3d0ce256ad", "stored",
        "unknown",
        "the stored version of each file read through the source index (the whole repository is over the "
        "snapshot limit); per-file commits are in the excerpt headers",
    ),
    "hashicorp/terraform-provider-vsphere": Repo(
        "hashicorp/terraform-provider-vsphere", "497efde66548f8e1bb9db2c46b7de7e726ef002d", "v2.13.0-51-g497efde6",
        "2025-06-11",
        "newest stored snapshot (pulumi-vsphere 4.18.2's bridged version was not looked up); only the "
        "CustomizeDiff rule for `clone` is read",
    ),
    "pulumi/pulumi-azure-native": Repo(
        "pulumi/pulumi-azure-native", "1b7112af33c62b247daed1028686bf279f4d5e69", "stored", "unknown",
        "provider/pkg/gen/replacement.go as stored (forceNewMap); containerservice API 2025-09-01 as the "
        "installed pulumi_azure_native 3.29.0 documents (`Uses Azure REST API version 2025-09-01`)",
    ),
}

#: Delete-before-replace, as the bridge decides it: a replacement deletes the old resource before it creates the
#: new one when the program set one of the resource's *autonamed* inputs itself (the name must stay, so the two
#: cannot coexist): pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4
#: pkg/tfbridge/provider.go:1275-1276 (``deleteBeforeReplace := len(replaces) > 0 && (... ||
#: nameRequiresDeleteBeforeReplace(...))``) and pkg/tfbridge/schema.go:195 (an autonamed key of the checked inputs
#: that ``__defaults`` does not list, i.e. not filled in by the autonamer). Which inputs are autonamed:
#: package -> (input names, where the provider says so) for every bridged type whose schema has that input ...
AUTONAMED_EVERYWHERE: dict[str, tuple[tuple[str, ...], str]] = {
    "gcp": (("name",), "pulumi/pulumi-gcp@ed6078aacc64ac656da0f719a2c1186e092399cd:provider/resources.go:3014 "
                       "(prov.SetAutonaming(255, \"-\"): every input `name`)"),
    "aws": (("name",), "pulumi/pulumi-aws@0c5f6583ebfb37cbe0febc2edb51b44cfeac2b15:provider/autonaming.go:13-30 "
                       "(setAutonaming: every input `name`)"),
}
#: ... and the inputs one resource's overrides autoname explicitly (type -> (inputs, source))
AUTONAMED_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws:eks/nodeGroup:NodeGroup": (
        ("nodeGroupName",), "pulumi/pulumi-aws@015d343812852f40a045a28e7f6e04bca69548f3:"
                            "provider/resource_overrides.go (aws_eks_node_group: \"node_group_name\": "
                            "tfbridge.AutoName(\"nodeGroupName\", 255, \"-\"); pulumi/pulumi-eks#294)"),
}
BRIDGE_DBR = ("pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/tfbridge/provider.go:1275"
              "-1276, pkg/tfbridge/schema.go:195")


def autonamed(pulumi_type: str, covered: Iterable[str]) -> dict[str, Any] | None:
    """The bridged type's autonamed inputs among those kubefleet sets (``covered``), with the sources."""
    names: list[str] = []
    sources: list[str] = []
    everywhere = AUTONAMED_EVERYWHERE.get(pulumi_type.split(":", 1)[0])
    if everywhere is not None and any(n in covered for n in everywhere[0]):
        names += [n for n in everywhere[0] if n in covered]
        sources.append(everywhere[1])
    fields = AUTONAMED_FIELDS.get(pulumi_type)
    if fields is not None:
        names += [n for n in fields[0] if n in covered and n not in names]
        sources.append(fields[1])
    if not names:
        return None
    return {"autonamed": names, "sources": sources}


GB = "hashicorp/terraform-provider-google-beta"
AWS = "hashicorp/terraform-provider-aws"
_C = "google-beta/services/container/"

TF_TYPES: tuple[TfType, ...] = (
    # --- GKE
    TfType("gcp:container/cluster:Cluster", ("pulumi_gcp.container", "ClusterArgs"), GB,
           (_C + "resource_container_cluster.go", _C + "node_config.go"), ("ResourceContainerCluster",)),
    TfType("gcp:container/nodePool:NodePool", ("pulumi_gcp.container", "NodePoolArgs"), GB,
           (_C + "resource_container_node_pool.go", _C + "node_config.go"), ("ResourceContainerNodePool",)),
    TfType("gcp:compute/network:Network", ("pulumi_gcp.compute", "NetworkArgs"), GB,
           ("google-beta/services/compute/resource_compute_network.go",), ("ResourceComputeNetwork",)),
    TfType("gcp:compute/subnetwork:Subnetwork", ("pulumi_gcp.compute", "SubnetworkArgs"), GB,
           ("google-beta/services/compute/resource_compute_subnetwork.go",), ("ResourceComputeSubnetwork",)),
    TfType("gcp:compute/router:Router", ("pulumi_gcp.compute", "RouterArgs"), GB,
           ("google-beta/services/compute/resource_compute_router.go",), ("ResourceComputeRouter",)),
    TfType("gcp:compute/routerNat:RouterNat", ("pulumi_gcp.compute", "RouterNatArgs"), GB,
           ("google-beta/services/compute/resource_compute_router_nat.go",), ("ResourceComputeRouterNat",)),
    TfType("gcp:compute/firewall:Firewall", ("pulumi_gcp.compute", "FirewallArgs"), GB,
           ("google-beta/services/compute/resource_compute_firewall.go",), ("ResourceComputeFirewall",)),
    TfType("gcp:gkehub/feature:Feature", ("pulumi_gcp.gkehub", "FeatureArgs"), GB,
           ("google-beta/services/gkehub2/resource_gke_hub_feature.go",), ("ResourceGKEHub2Feature",)),
    TfType("gcp:gkehub/featureMembership:FeatureMembership", ("pulumi_gcp.gkehub", "FeatureMembershipArgs"), GB,
           ("google-beta/services/gkehub/resource_gke_hub_feature_membership.go",),
           ("ResourceGkeHubFeatureMembership",)),
    TfType("gcp:gkehub/membership:Membership", ("pulumi_gcp.gkehub", "MembershipArgs"), GB,
           ("google-beta/services/gkehub/resource_gke_hub_membership.go",), ("ResourceGKEHubMembership",)),
    TfType("gcp:serviceaccount/account:Account", ("pulumi_gcp.serviceaccount", "AccountArgs"), GB,
           ("google-beta/services/resourcemanager/resource_google_service_account.go",),
           ("ResourceGoogleServiceAccount",)),
    TfType("gcp:projects/iAMMember:IAMMember", ("pulumi_gcp.projects", "IAMMemberArgs"), GB,
           ("google-beta/tpgiamresource/resource_iam_member.go", "google-beta/services/resourcemanager/iam_project.go"),
           ("IamMemberBaseSchema", "IamProjectSchema")),
    TfType("gcp:projects/service:Service", ("pulumi_gcp.projects", "ServiceArgs"), GB,
           ("google-beta/services/resourcemanager/resource_google_project_service.go",),
           ("ResourceGoogleProjectService",)),
)

_E = "internal/service/"


def _aws(pulumi_type: str, module: str, cls: str, path: str, root: str) -> TfType:
    return TfType(pulumi_type, ("pulumi_aws." + module, cls), AWS, (_E + path,), (root,))


TF_TYPES += (
    # --- EKS (pulumi-aws 7 bridges terraform-provider-aws 6)
    _aws("aws:eks/cluster:Cluster", "eks", "ClusterArgs", "eks/cluster.go", "resourceCluster"),
    _aws("aws:eks/nodeGroup:NodeGroup", "eks", "NodeGroupArgs", "eks/node_group.go", "resourceNodeGroup"),
    _aws("aws:eks/addon:Addon", "eks", "AddonArgs", "eks/addon.go", "resourceAddon"),
    _aws("aws:eks/fargateProfile:FargateProfile", "eks", "FargateProfileArgs", "eks/fargate_profile.go",
         "ResourceFargateProfile"),
    _aws("aws:eks/accessEntry:AccessEntry", "eks", "AccessEntryArgs", "eks/access_entry.go", "resourceAccessEntry"),
    _aws("aws:ec2/vpc:Vpc", "ec2", "VpcArgs", "ec2/vpc_.go", "ResourceVPC"),
    _aws("aws:ec2/subnet:Subnet", "ec2", "SubnetArgs", "ec2/vpc_subnet.go", "resourceSubnet"),
    _aws("aws:ec2/natGateway:NatGateway", "ec2", "NatGatewayArgs", "ec2/vpc_nat_gateway.go", "resourceNATGateway"),
    _aws("aws:ec2/eip:Eip", "ec2", "EipArgs", "ec2/ec2_eip.go", "resourceEIP"),
    _aws("aws:ec2/internetGateway:InternetGateway", "ec2", "InternetGatewayArgs", "ec2/vpc_internet_gateway.go",
         "ResourceInternetGateway"),
    _aws("aws:ec2/routeTable:RouteTable", "ec2", "RouteTableArgs", "ec2/vpc_route_table.go", "ResourceRouteTable"),
    _aws("aws:ec2/routeTableAssociation:RouteTableAssociation", "ec2", "RouteTableAssociationArgs",
         "ec2/vpc_route_table_association.go", "ResourceRouteTableAssociation"),
    _aws("aws:iam/role:Role", "iam", "RoleArgs", "iam/role.go", "ResourceRole"),
    _aws("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "iam", "RolePolicyAttachmentArgs",
         "iam/role_policy_attachment.go", "ResourceRolePolicyAttachment"),
    _aws("aws:cloudwatch/logGroup:LogGroup", "cloudwatch", "LogGroupArgs", "logs/group.go", "resourceGroup"),
    _aws("aws:iam/rolePolicy:RolePolicy", "iam", "RolePolicyArgs", "iam/role_policy.go", "resourceRolePolicy"),
    _aws("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "iam", "OpenIdConnectProviderArgs",
         "iam/openid_connect_provider.go", "resourceOpenIDConnectProvider"),
    _aws("aws:kms/key:Key", "kms", "KeyArgs", "kms/key.go", "resourceKey"),
)

AZ = "pulumi/pulumi-azure-native"
_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
_MC = _RG + "Microsoft.ContainerService/managedClusters/{resourceName}"

#: ARM request URLs: azure-rest-api-specs specification/containerservice/resource-manager/
#: Microsoft.ContainerService/aks/stable/2025-09-01/managedClusters.json (tested against the URL templates
#: of the installed azure-mgmt-containerservice 40.1.0, generated from that spec), specification/network/
#: resource-manager/Microsoft.Network/stable/2024-05-01/{virtualNetwork,natGateway,publicIpAddress}.json,
#: specification/resources/.../2024-03-01/resources.json, specification/authorization/.../2022-04-01/
#: authorization-RoleAssignmentsCalls.json.
ARM_TYPES: tuple[ArmType, ...] = (
    ArmType("azure-native:containerservice:ManagedCluster", ("pulumi_azure_native.containerservice",
            "ManagedClusterArgs"), _MC, True, ("ContainerService", "ManagedCluster")),
    ArmType("azure-native:containerservice:AgentPool", ("pulumi_azure_native.containerservice", "AgentPoolArgs"),
            _MC + "/agentPools/{agentPoolName}", False, ("ContainerService", "AgentPool")),
    ArmType("azure-native:containerservice:MaintenanceConfiguration",
            ("pulumi_azure_native.containerservice", "MaintenanceConfigurationArgs"),
            _MC + "/maintenanceConfigurations/{configName}", False, ("ContainerService", "MaintenanceConfiguration")),
    ArmType("azure-native:network:VirtualNetwork", ("pulumi_azure_native.network", "VirtualNetworkInitArgs"),
            _RG + "Microsoft.Network/virtualNetworks/{virtualNetworkName}", True, ("Network", "VirtualNetwork")),
    ArmType("azure-native:network:Subnet", ("pulumi_azure_native.network", "SubnetInitArgs"),
            _RG + "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}", False,
            ("Network", "Subnet")),
    ArmType("azure-native:network:NatGateway", ("pulumi_azure_native.network", "NatGatewayInitArgs"),
            _RG + "Microsoft.Network/natGateways/{natGatewayName}", True, ("Network", "NatGateway")),
    ArmType("azure-native:network:PublicIPAddress", ("pulumi_azure_native.network", "PublicIPAddressInitArgs"),
            _RG + "Microsoft.Network/publicIPAddresses/{publicIpAddressName}", True, ("Network", "PublicIPAddress")),
    ArmType("azure-native:resources:ResourceGroup", ("pulumi_azure_native.resources", "ResourceGroupArgs"),
            "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", True, ("Resources", "ResourceGroup")),
    ArmType("azure-native:authorization:RoleAssignment", ("pulumi_azure_native.authorization",
            "RoleAssignmentArgs"), "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
            False, ("Authorization", "RoleAssignment")),
)
AZ_REPLACEMENT = "provider/pkg/gen/replacement.go"

VS = "hashicorp/terraform-provider-vsphere"


@dataclass(frozen=True)
class DiffRule:
    """A replace rule a provider states in code (CustomizeDiff) rather than in the schema: every changed
    key under ``prefix`` is passed to ``d.ForceNew``. The excerpt keeps the loop's lines."""

    pulumi_type: str
    sdk: tuple[str, str]
    repo: str
    path: str
    lines: tuple[int, int]


DIFF_RULES: tuple[DiffRule, ...] = (
    DiffRule("vsphere:index/virtualMachine:VirtualMachine", ("pulumi_vsphere", "VirtualMachineArgs"), VS,
             "vsphere/resource_vsphere_virtual_machine.go", (1052, 1064)),
)
_FORCE_LOOP = re.compile(r'GetChangedKeysPrefix\("(\w+)\.0"\).*?ForceNew\(k\)', re.S)

#: rendered types whose provider schema no committed excerpt holds (their changes are shown as updates,
#: and `kubefleet diff` says the replace rule is unknown); each is a gap, not a claim
UNSOURCED: dict[str, str] = {
    "aws:ec2/launchTemplate:LaunchTemplate": "internal/service/ec2/ec2_launch_template.go not read",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        "plugin-framework resource internal/service/ec2/vpc_security_group_ingress_rule.go not read",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "internal/service/eks/access_policy_association.go "
                                                               "not read",
}

#: inputs kept in the excerpts although no plan golden sets them yet (resources kubefleet is adding)
EXTRA_INPUTS: dict[str, tuple[str, ...]] = {
    "gcp:projects/service:Service": ("project", "service", "disableOnDestroy", "disableDependentServices"),
}

# ------------------------------------------------------------------ Pulumi names


# The installed SDKs are read as source (ast), not imported: importing pulumi_gcp.compute alone takes
# seconds. A "class" below is (module, class name); its properties come from the class body.

SdkClass = tuple[str, str]


@cache
def _sdk_dir(module: str) -> Path:
    top, _, rest = module.partition(".")
    spec = importlib.util.find_spec(top)
    assert spec is not None and spec.submodule_search_locations, top
    root = Path(next(iter(spec.submodule_search_locations)))
    return root.joinpath(*rest.split(".")) if rest else root


@cache
def _parsed(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """class name -> python property -> (Pulumi name, return annotation), for one SDK source file."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    if not path.exists():
        return out
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not node.name.endswith("Args"):
            continue
        props: dict[str, tuple[str, str]] = {}
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.returns is None:
                continue
            for deco in item.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) != "pulumi.getter":
                    continue
                name = item.name
                if isinstance(deco, ast.Call):
                    for kw in deco.keywords:
                        if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                            name = str(kw.value.value)
                props[item.name] = (name, ast.unparse(item.returns))
        out[node.name] = props
    return out


def _resource_file(module: str, cls_name: str) -> Path:
    base = cls_name.removesuffix("Args").removesuffix("Init")
    snake_name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", base)  # PublicIPAddress -> PublicIP_Address
    snake_name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", snake_name).lower()
    return _sdk_dir(module) / f"{snake_name}.py"


def _args_class(module: str, name: str) -> SdkClass | None:
    return (module, name) if _class_props((module, name)) else None


def _class_props(cls: SdkClass) -> dict[str, tuple[str, str]]:
    module, name = cls
    direct = _resource_file(module, name)
    for path in (direct, _sdk_dir(module) / "_inputs.py"):
        if name in _parsed(path):
            return _parsed(path)[name]
    for path in sorted(_sdk_dir(module).glob("*.py")):  # a file named unlike its class
        if name in _parsed(path):
            return _parsed(path)[name]
    return {}


def _nested_class(module: str, annotation: str) -> SdkClass | None:
    """The ``*Args`` class named in a property's type annotation (``Input['NodePoolNodeConfigArgs']``)."""
    names = re.findall(r"'([A-Za-z0-9_]+Args)'", annotation)
    return (module, names[-1]) if names else None


def pulumi_properties(module: str, cls: SdkClass) -> dict[str, tuple[str, str]]:
    """python name -> (Pulumi name, type annotation) for the input properties of an Args class."""
    return _class_props(cls)


def _tf_key(py_name: str, tf_fields: Mapping[str, Any]) -> str | None:
    candidates = [py_name]
    if py_name.endswith("ies"):
        candidates.append(py_name[:-3] + "y")
    if py_name.endswith("es"):
        candidates.append(py_name[:-2])
    if py_name.endswith("s"):
        candidates.append(py_name[:-1])
    return next((c for c in candidates if c in tf_fields), None)


def map_fields(module: str, cls: SdkClass | None, tf_fields: Mapping[str, goschema.Field],
               prefix: str = "") -> dict[str, dict[str, Any]]:
    """Replace entries (Pulumi path -> rule) for the ForceNew fields under ``tf_fields``."""
    out: dict[str, dict[str, Any]] = {}
    if cls is None:
        return out
    for py_name, (pulumi_name, annotation) in sorted(pulumi_properties(module, cls).items()):
        key = _tf_key(py_name, tf_fields)
        if key is None:
            continue
        f = tf_fields[key]
        path = f"{prefix}{pulumi_name}"
        if f.force_new:
            out[path] = {"when": "presence" if f.kind == "block" else "change", "tf": key, "line": f.line}
        if f.children:
            sep = "." if f.max_one else "[]."
            out.update(map_fields(module, _nested_class(module, annotation), f.children, path + sep))
    return out


def top_level_names(module: str, cls: SdkClass) -> dict[str, str]:
    return {pulumi: py for py, (pulumi, _) in pulumi_properties(module, cls).items()}


# ------------------------------------------------------------------ rendered inputs


def rendered_inputs() -> dict[str, set[str]]:
    """Pulumi type -> the top-level inputs kubefleet sets, over every committed plan golden."""
    seen: dict[str, set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            type_ = node.get("type")
            if isinstance(type_, str) and ":" in type_ and isinstance(node.get("inputs"), dict):
                seen.setdefault(type_, set()).update(node["inputs"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(GOLDENS.glob("*.json")):
        walk(json.loads(path.read_text()))
    return seen


# ------------------------------------------------------------------ excerpts


def _excerpt_path(repo: str, path: str) -> Path:
    return EXCERPTS / repo.replace("/", "+") / (path + ".txt")


def _header(repo: Repo, path: str, commit: str) -> str:
    return (f"// excerpt of https://github.com/{repo.name}/blob/{commit}/{path}\n"
            f"// ref {repo.ref} ({repo.date}), read {DATE_READ}: only the schema declarations kubefleet's\n"
            "// replace table needs; every kept line is at its source line number (others are blank)\n")


def _git_show(mirrors: Path, repo: str, commit: str, path: str) -> str | None:
    git = mirrors / repo.replace("/", "+") / "repo"
    if not git.is_dir():
        return None
    return subprocess.run(["git", f"--git-dir={git}", "show", f"{commit}:{path}"],
                          check=True, capture_output=True, text=True).stdout


def _write_excerpt(repo_name: str, path: str, lines: list[str], spans: Iterable[tuple[int, int]]) -> None:
    repo = REPOS[repo_name]
    kept = [""] * len(lines)  # blank lines keep every kept line at its source line number
    for start, end in _merge(spans):
        kept[start - 1:end] = lines[start - 1:end]
    header = _header(repo, path, repo.commit).splitlines()
    if any(kept[:len(header)]):
        raise SystemExit(f"{path}: no room for the provenance header")
    kept[:len(header)] = header
    target = _excerpt_path(repo_name, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(kept).rstrip("\n") + "\n")


def write_excerpts_from_mirror(mirrors: Path) -> None:
    """Cut the schema declarations out of the pinned source (git mirrors) into tests/data/oracles."""
    for rule in DIFF_RULES:
        text = _git_show(mirrors, rule.repo, REPOS[rule.repo].commit, rule.path)
        if text is not None:
            _write_excerpt(rule.repo, rule.path, text.splitlines(), [rule.lines])
    used = rendered_inputs()
    by_repo: dict[str, list[TfType]] = {}
    for t in TF_TYPES:
        by_repo.setdefault(t.repo, []).append(t)
    for repo_name, types in by_repo.items():
        repo = REPOS[repo_name]
        git = mirrors / repo_name.replace("/", "+") / "repo"
        if not git.is_dir():
            print(f"no mirror of {repo_name} under {mirrors}; keeping its committed excerpts", file=sys.stderr)
            continue
        texts: dict[str, str] = {}
        for t in types:
            for path in t.files:
                if path not in texts:
                    texts[path] = subprocess.run(
                        ["git", f"--git-dir={git}", "show", f"{repo.commit}:{path}"],
                        check=True, capture_output=True, text=True).stdout
        keep: dict[str, set[tuple[int, int]]] = {p: set() for p in texts}
        for t in types:
            wanted = used.get(t.pulumi_type, set()) | set(EXTRA_INPUTS.get(t.pulumi_type, ()))
            spans = _needed_spans(t, {p: texts[p] for p in t.files}, wanted)
            for path, span in spans:
                keep[path].add(span)
        for path, kept in keep.items():
            _write_excerpt(repo_name, path, texts[path].splitlines(), kept)


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    # drop spans nested inside another
    return merged


def _needed_spans(t: TfType, texts: Mapping[str, str], used: set[str]) -> list[tuple[str, tuple[int, int]]]:
    """(file, (first line, last line)) of the declarations the type's used inputs reach, with the root
    schema maps cut down to the used top-level attributes."""
    module, cls_name = t.sdk
    cls = _args_class(module, cls_name)
    assert cls is not None, t.sdk
    names = top_level_names(module, cls)
    spans: list[tuple[str, tuple[int, int]]] = []
    decl_file: dict[str, tuple[str, goschema.Decl]] = {}
    for path, text in texts.items():
        for name, decl in goschema.declarations(text).items():
            decl_file[name] = (path, decl)
    resolver = goschema.Resolver({n: d for n, (_, d) in decl_file.items()})
    tf_all: dict[str, goschema.Field] = {}
    for root in t.root:
        tf_all.update(resolver.schema_map(resolver.decls[root].value)
                      if resolver.decls[root].kind == "var" else resolver.resource(resolver.decls[root].value))
    wanted_tf = {k for pulumi in used if (py := names.get(pulumi)) and (k := _tf_key(py, tf_all))}
    # always keep the naming/scope attributes the provider adds (project/location/region/name)
    for name in t.root:
        path, decl = decl_file[name]
        spans.extend((path, span) for span in goschema.kept_spans(decl, resolver, wanted_tf))
    for ref in sorted(goschema.referenced(resolver, [decl_file[n][1] for n in t.root], wanted_tf)):
        path, decl = decl_file[ref]
        spans.append((path, (decl.line, decl.end)))
    return spans


# ------------------------------------------------------------------ the table


def _read_excerpts(repo: str, files: Iterable[str]) -> dict[str, str]:
    return {p: _excerpt_path(repo, p).read_text() for p in files if _excerpt_path(repo, p).exists()}


def tf_table(t: TfType) -> tuple[dict[str, dict[str, Any]], list[str]]:
    texts = _read_excerpts(t.repo, t.files)
    module, cls_name = t.sdk
    cls = _args_class(module, cls_name)
    if t.framework:
        fields: dict[str, goschema.Field] = {}
        for text in texts.values():
            fields.update(goschema.framework_fields(text))
    else:
        resolver = goschema.parse_package(texts)
        fields = {}
        for root in t.root:
            decl = resolver.decls[root]
            fields.update(resolver.schema_map(decl.value) if decl.kind == "var" else resolver.resource(decl.value))
    names = top_level_names(module, cls) if cls is not None else {}
    covered = sorted(p for p, py in names.items() if _tf_key(py, fields))
    return map_fields(module, cls, fields), covered


def force_new_map() -> dict[tuple[str, str], tuple[str, ...]]:
    """(module, resource) -> property names, from the committed replacement.go excerpt."""
    text = _excerpt_path(AZ, AZ_REPLACEMENT).read_text()
    decl = goschema.declarations(text)["forceNewMap"]
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for mkey, mval in decl.value.elems:
        for rkey, rval in mval.elems:
            names = tuple(a.text.strip('"') for a in rval.args if isinstance(a, goschema.Other))
            out[(mkey.text.strip('"'), rkey.text.strip('"'))] = names
    return out


def _arm_paths(module: str, cls: SdkClass | None, wanted: set[str], top: set[str] | None = None, prefix: str = "",
               seen: frozenset[SdkClass] = frozenset()) -> dict[str, str]:
    """Pulumi paths (under ``cls``) of every property named in ``wanted``, at any depth (azure-native marks
    a forceNewMap name ForceNew wherever its type is generated), below the top-level inputs in ``top``
    (the ones kubefleet sets; an ARM body nests references to other resources without end)."""
    out: dict[str, str] = {}
    if cls is None or cls in seen:
        return out
    for _, (pulumi_name, annotation) in sorted(pulumi_properties(module, cls).items()):
        if top is not None and pulumi_name not in top and pulumi_name not in wanted:
            continue
        path = prefix + pulumi_name
        if pulumi_name in wanted and not (prefix and pulumi_name == "location"):
            out[path] = pulumi_name
        nested = _nested_class(module, annotation)
        if (nested is not None and top is not None) or (nested is not None and len(seen) < 3):
            sep = "[]." if "Sequence[" in annotation else "."
            out.update(_arm_paths(module, nested, wanted, None, path + sep, seen | {cls}))
    return out


def arm_table(t: ArmType, fnm: Mapping[tuple[str, str], tuple[str, ...]],
              used: set[str]) -> tuple[dict[str, Any], list[str]]:
    module, cls_name = t.sdk
    cls = _args_class(module, cls_name)
    assert cls is not None, t.sdk
    props = {pulumi for pulumi, _ in pulumi_properties(module, cls).values()}
    replace: dict[str, dict[str, Any]] = {}
    for param in re.findall(r"\{(\w+)\}", t.url):
        if param == "subscriptionId":
            continue  # provider configuration, not a resource input
        if param not in props:
            raise SystemExit(f"{t.pulumi_type}: URL parameter {param} is no input of {cls_name}")
        replace[param] = {"when": "change", "arm": "url"}
    if t.tracked:
        replace["location"] = {"when": "change", "arm": "location"}
    names = set(fnm.get(t.force_new_key, ()))
    for path in _arm_paths(module, cls, names, used):
        replace.setdefault(path, {"when": "change", "arm": "forceNewMap"})
    return dict(sorted(replace.items())), sorted(props)


def generate() -> dict[str, Any]:
    types: dict[str, Any] = {}
    fnm = force_new_map()
    used = rendered_inputs()
    for a in ARM_TYPES:
        replace, covered = arm_table(a, fnm, used.get(a.pulumi_type, set()) | set(EXTRA_INPUTS.get(a.pulumi_type, ())))
        types[a.pulumi_type] = {
            "source": f"{AZ}@{REPOS[AZ].commit}",
            "files": [AZ_REPLACEMENT],
            "url": a.url,
            "covered": covered,
            "replace": replace,
        }
    for rule in DIFF_RULES:
        text = _excerpt_path(rule.repo, rule.path).read_text()
        module, cls_name = rule.sdk
        cls = _args_class(module, cls_name)
        names = top_level_names(module, cls) if cls is not None else {}
        by_py = {py: pulumi for pulumi, py in names.items()}
        replace = {}
        for m in _FORCE_LOOP.finditer(text):
            pulumi = by_py.get(m.group(1))
            if pulumi is None:
                raise SystemExit(f"{rule.pulumi_type}: {m.group(1)} is no input of {cls_name}")
            line = text[:m.start()].count("\n") + 1
            replace[pulumi] = {"when": "change", "tf": m.group(1), "line": line, "customizeDiff": True}
        types[rule.pulumi_type] = {
            "source": f"{rule.repo}@{REPOS[rule.repo].commit}",
            "files": [rule.path],
            "covered": sorted(replace),
            "replace": replace,
        }
    for name, why in UNSOURCED.items():
        types[name] = {"source": None, "unsourced": why, "covered": [], "replace": {}}
    for t in TF_TYPES:
        replace, covered = tf_table(t)
        types[t.pulumi_type] = {
            "source": f"{t.repo}@{REPOS[t.repo].commit}",
            "files": list(t.files),
            "covered": covered,
            "replace": replace,
        }
        dbr = autonamed(t.pulumi_type, covered)
        if dbr is not None:
            types[t.pulumi_type]["deleteBeforeReplace"] = dbr
    return {
        "generatedBy": "scripts/gen_replace_tables.py",
        "dateRead": DATE_READ,
        "repos": {name: {"commit": r.commit, "ref": r.ref, "date": r.date, "why": r.why}
                  for name, r in sorted(REPOS.items())},
        "rules": {
            "change": "any change of the value (or of anything below it) replaces the resource",
            "presence": "adding or removing the block (or changing how many there are) replaces it; changes "
                        "inside it follow the block's own fields",
            "arm:url": "a parameter of the ARM request URL: azure-native replaces the resource when it changes",
            "arm:location": "location of a tracked ARM resource is create-only (x-ms-mutability read,create; "
                            "ARM RPC-Put-V1-14, azure/azure-openapi-validator LocationMustHaveXmsMutability)",
            "arm:forceNewMap": "listed for the resource in azure-native's forceNewMap (any depth)",
            "deleteBeforeReplace": "a replacement of a bridged resource whose autonamed input (deleteBeforeReplace."
                                   "autonamed) the program sets deletes the old resource first (" + BRIDGE_DBR + ")",
        },
        "types": dict(sorted(types.items())),
    }


def render(table: Mapping[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from-source", type=Path, help="git mirrors dir (owner+name/repo); re-cut the excerpts")
    ap.add_argument("--check", action="store_true", help="fail when the committed table is stale")
    args = ap.parse_args(argv)
    if args.from_source:
        write_excerpts_from_mirror(args.from_source)
    text = render(generate())
    if args.check:
        if not TABLE.exists() or TABLE.read_text() != text:
            print(f"{TABLE.relative_to(ROOT)} is stale: run scripts/gen_replace_tables.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

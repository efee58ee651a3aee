"""What every EKS module shares: naming rules, the resource scope (parent + AWS provider), constants."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

import pulumi

from kubefleet.naming import AWS_IAM_ROLE, AWS_NAME, NameRule, cloud_name
from kubefleet.spec.model import ClusterSpec

# EKS limits (see the EKS API reference for CreateCluster / CreateNodegroup / CreateFargateProfile):
# cluster names 1-100 characters, node group and Fargate profile names 1-63, all [A-Za-z0-9_-] and
# starting with a letter or digit.
EKS_CLUSTER: Final = NameRule(max_len=100, charset=r"a-zA-Z0-9_-", lowercase=False)
EKS_NODEGROUP: Final = NameRule(max_len=63, charset=r"a-zA-Z0-9_-", lowercase=False)
EKS_FARGATE_PROFILE: Final = NameRule(max_len=63, charset=r"a-zA-Z0-9_-", lowercase=False)
EC2_LAUNCH_TEMPLATE: Final = NameRule(max_len=128, charset=r"a-zA-Z0-9()./_-", lowercase=False)
IAM_ROLE: Final = AWS_IAM_ROLE
TAG_NAME: Final = AWS_NAME

#: AWS managed policies (commercial partition; every neutral region maps to one).
POLICY_PREFIX: Final = "arn:aws:iam::aws:policy/"
CLUSTER_POLICIES: Final = ("AmazonEKSClusterPolicy",)
NODE_POLICIES: Final = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)
FARGATE_POLICIES: Final = ("AmazonEKSFargatePodExecutionRolePolicy",)

#: Control-plane logs shipped to CloudWatch.
CLUSTER_LOG_TYPES: Final = ("api", "audit", "authenticator")

#: Pods carrying this label run on Fargate (one micro-VM per pod) when tenancy is sandboxed.
SANDBOX_LABEL: Final = "kubefleet.dev/sandboxed"


#: What terraform-provider-aws's data sources say when the object they read does not exist: a
#: ``retry.NotFoundError`` ("couldn't find resource", wrapping EKS's ResourceNotFoundException) or a
#: ``tfresource.NewEmptyResultError`` ("empty result", e.g. internal/service/logs/group.go findLogGroupByName).
NOT_FOUND: Final = ("couldn't find resource", "empty result", "ResourceNotFoundException", "No node group found")

T = TypeVar("T")


def found_or_none(read: Callable[[], T]) -> T | None:
    """``read()``'s answer, or None when the data source says the object does not exist (other errors raise)."""
    try:
        return read()
    except Exception as err:
        if any(text in str(err) for text in NOT_FOUND):
            return None
        raise


def name_for(rule: NameRule, spec: ClusterSpec, *parts: str) -> str:
    """The cloud name for one of this cluster's resources: readable prefix plus a hash of its identity."""
    prefix = "-".join((spec.name, *parts))
    return cloud_name(rule, prefix, spec.name, "eks", *parts)


#: The names kubefleet renders on EKS that live in an ACCOUNT-wide namespace: IAM is one service per
#: partition, not per region (botocore's endpoints data: ``iam`` ``"isRegionalized": false``, one
#: ``partitionEndpoint`` ``aws-global``; the iam service model's metadata has a ``globalEndpoint``), and
#: CreateRole's RoleName doc says "IAM user, group, role, and policy names must be unique within the account.
#: Names are not distinguished by case" (botocore iam service-2 ``CreateRoleRequest.RoleName``). So only the
#: IAM roles (cluster, node, fargate, ebs-csi: iam.py, security.py) must differ between two clusters of the same
#: name in two regions of one account. Every other name is regional or nested and stays as it was:
#: the EKS cluster, launch templates, the log group (regional services); node groups, Fargate profiles, access
#: entries, add-ons (inside the cluster); the role's inline ``RolePolicy`` (inside its role: PutRolePolicy
#: takes a RoleName); the IRSA ``OpenIdConnectProvider`` (account-wide, but keyed by its URL, the cluster's own
#: issuer ``https://oidc.eks.<region>.amazonaws.com/id/<id>``); the KMS key (no alias is rendered). No IAM
#: instance profile or customer-managed policy is rendered (EKS managed node groups make their own profile).
ACCOUNT_GLOBAL_TYPES: Final = ("aws:iam/role:Role",)


def account_name_for(rule: NameRule, spec: ClusterSpec, region: str, *parts: str) -> str:
    """The name of one of this cluster's resources in an account-wide namespace (IAM): the same readable
    prefix as :func:`name_for`, hashed from the region too, so the same cluster name in another region of the
    account gets another name. Stacks created before the region was hashed keep the name they were created
    with: the resources carry ``ignore_changes=["name"]`` (iam.py; a new name would replace the role and, with
    it, the cluster, whose ``roleArn`` is ForceNew in the generated replace table)."""
    prefix = "-".join((spec.name, *parts))
    return cloud_name(rule, prefix, spec.name, "eks", region, *parts)


def cluster_name(spec: ClusterSpec) -> str:
    """The EKS cluster's name (also used in subnet discovery tags and the kubeconfig)."""
    return name_for(EKS_CLUSTER, spec)


@dataclass(frozen=True)
class Scope:
    """Where a child resource goes: under the cluster component, through the cluster's AWS provider."""

    parent: pulumi.Resource
    provider: pulumi.ProviderResource
    tags: dict[str, str]

    def opts(
        self, *, depends_on: Sequence[pulumi.Resource] | None = None, parent: pulumi.Resource | None = None
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=parent or self.parent,
            provider=self.provider,
            depends_on=list(depends_on) if depends_on else None,
        )

    def tagged(self, name: str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The ownership tags plus resource-specific ones (``Name``, Kubernetes discovery tags)."""
        out = dict(self.tags)
        if name:
            out["Name"] = name
        out.update(extra or {})
        return out

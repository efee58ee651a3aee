"""IAM roles: the cluster's service role, the node role, and the Fargate pod execution role.

Each role trusts one AWS service and gets AWS managed policies attached with ``RolePolicyAttachment``
(one resource per policy, so a plan shows exactly what is granted).

Role names are account-wide (common.ACCOUNT_GLOBAL_TYPES), so they are hashed from the region as well as the
cluster name (common.account_name_for): two clusters called ``payments`` in us-east-1 and eu-west-1 of one
account no longer both ask CreateRole for the same name ("EntityAlreadyExists: Role with name ... already
exists", HTTP 409: botocore iam ``EntityAlreadyExistsException``). Roles created before that keep their
name: ``name`` is in ``ignore_changes``, so the engine reads the old name from the stack's state
(pulumi/pulumi@v3.274.0:pkg/resource/deploy/step_generator.go processIgnoreChanges) and the role, its
attachments and the cluster whose ``roleArn`` is ForceNew are left alone (tests/test_e2e_day2.py runs that
upgrade through the real engine). A Pulumi alias cannot do this: aliases map a resource's old URN to its
new one, not its physical name, and the role's ``name`` is ForceNew (generated replace table, iam/role.go).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from kubefleet.providers.eks.common import (
    CLUSTER_POLICIES,
    FARGATE_POLICIES,
    IAM_ROLE,
    NODE_POLICIES,
    POLICY_PREFIX,
    Scope,
    account_name_for,
    cluster_name,
)
from kubefleet.spec.model import ClusterSpec


@dataclass
class Role:
    role: aws.iam.Role
    attachments: list[aws.iam.RolePolicyAttachment]


def _trust(service: str, source_arn: str | None = None) -> str:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    if source_arn is not None:
        statement["Condition"] = {"ArnLike": {"aws:SourceArn": source_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def fargate_source_arn(region: str, account: str, cluster: str) -> str:
    """The Fargate profiles of this cluster only: the confused-deputy condition AWS's pod execution role
    documentation puts in the trust policy (docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html:
    ``"ArnLike": {"aws:SourceArn": "arn:aws:eks:<region>:<account>:fargateprofile/<cluster>/*"}``)."""
    return f"arn:aws:eks:{region}:{account}:fargateprofile/{cluster}/*"


#: a role keeps the name it was created with (see the module docstring)
KEEP_NAME: Final = ("name",)


def role_name(spec: ClusterSpec, region: str, kind: str) -> str:
    """The IAM role name a new stack gets: unique per cluster name, region and role kind in the account."""
    return account_name_for(IAM_ROLE, spec, region, kind)


def service_role(
    spec: ClusterSpec, scope: Scope, region: str, kind: str, service: str, policies: Sequence[str],
    description: str, trust: pulumi.Input[str] | None = None,
) -> Role:
    role = aws.iam.Role(
        f"{spec.name}-{kind}-role",
        aws.iam.RoleArgs(
            name=role_name(spec, region, kind),
            description=description,
            assume_role_policy=trust if trust is not None else _trust(service),
            tags=scope.tagged(),
        ),
        opts=pulumi.ResourceOptions.merge(scope.opts(), pulumi.ResourceOptions(ignore_changes=list(KEEP_NAME))),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{spec.name}-{kind}-{policy.rsplit('/', 1)[-1]}",
            aws.iam.RolePolicyAttachmentArgs(role=role.name, policy_arn=POLICY_PREFIX + policy),
            opts=scope.opts(parent=role),
        )
        for policy in policies
    ]
    return Role(role, attachments)


def cluster_role(spec: ClusterSpec, scope: Scope, region: str) -> Role:
    return service_role(
        spec, scope, region, "cluster", "eks.amazonaws.com", CLUSTER_POLICIES,
        f"EKS control plane of {spec.name} (kubefleet)",
    )


def node_role(spec: ClusterSpec, scope: Scope, region: str) -> Role:
    return service_role(
        spec, scope, region, "node", "ec2.amazonaws.com", NODE_POLICIES,
        f"EKS managed node groups of {spec.name} (kubefleet)",
    )


def fargate_role(spec: ClusterSpec, scope: Scope, region: str) -> Role:
    service = "eks-fargate-pods.amazonaws.com"
    account = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=scope.parent, provider=scope.provider)
    ).account_id
    trust = account.apply(lambda acct: _trust(service, fargate_source_arn(region, acct, cluster_name(spec))))
    return service_role(
        spec, scope, region, "fargate", service, FARGATE_POLICIES,
        f"Fargate pod execution for sandboxed pods of {spec.name} (kubefleet)", trust=trust,
    )


def depends(*roles: Role) -> list[pulumi.Resource]:
    """Attachments must exist before EKS uses a role, or cluster/node creation fails on permissions."""
    out: list[pulumi.Resource] = []
    for r in roles:
        out += r.attachments
    return out

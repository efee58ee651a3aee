"""Cluster admins named in the spec (``providers.eks.admins``), through EKS access entries.

The cluster runs ``accessConfig.authenticationMode = API`` (cluster.py): access is granted by access entries,
not the aws-auth ConfigMap. The creator (whoever runs ``up``) gets admin through
``bootstrapClusterCreatorAdminPermissions``; everybody else needs an entry. Each ARN gets a ``STANDARD``
access entry and the AWS-managed ``AmazonEKSClusterAdminPolicy`` at cluster scope - the same pair
terraform-aws-eks declares for its cluster creator
(terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:main.tf:257-264).
"""

from __future__ import annotations

from typing import Final

import pulumi_aws as aws

from kubefleet.naming import short_hash
from kubefleet.providers.eks.common import Scope
from kubefleet.spec.model import ClusterSpec

#: AWS-managed access policy (commercial partition, like the IAM policies in common.py).
CLUSTER_ADMIN_POLICY: Final = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def admins(spec: ClusterSpec) -> list[str]:
    opts = spec.spec.providers.eks
    return list(opts.admins) if opts is not None else []


def build_access_entries(spec: ClusterSpec, scope: Scope, cluster: aws.eks.Cluster) -> list[aws.eks.AccessEntry]:
    entries = []
    for arn in admins(spec):
        # named by a hash of the ARN, so reordering the list changes nothing
        key = f"{spec.name}-admin-{short_hash(arn, length=6)}"
        entry = aws.eks.AccessEntry(
            key,
            aws.eks.AccessEntryArgs(cluster_name=cluster.name, principal_arn=arn, type="STANDARD",
                                    tags=scope.tagged()),
            opts=scope.opts(parent=cluster),
        )
        aws.eks.AccessPolicyAssociation(
            key,
            aws.eks.AccessPolicyAssociationArgs(
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            ),
            opts=scope.opts(parent=entry),
        )
        entries.append(entry)
    return entries

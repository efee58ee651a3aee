"""Who may administer the cluster: the identity that runs ``up`` and the ARNs in ``providers.eks.admins``,
each through an EKS access entry.

The cluster runs ``accessConfig.authenticationMode = API`` (cluster.py): access is granted by access entries,
not the aws-auth ConfigMap. EKS's own creator entry is off (``bootstrapClusterCreatorAdminPermissions =
false``, cluster.py): when it is on, EKS creates an entry for the creator itself, and an ``admins`` list that
names the same principal makes kubefleet create it a second time, which CreateAccessEntry refuses
(``ResourceInUseException``, one of its errors in the EKS API model). Instead the creator is one more
principal here, as terraform-aws-eks's ``enable_cluster_creator_admin_permissions`` does
(terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:main.tf:250-275): the
principal is the IAM *issuer* of the caller's session (an assumed-role session ARN names a session, not a
principal an access entry can hold; ``aws.iam.get_session_context``, main.tf:8-16 there), and the list is
de-duplicated by ARN, so naming the deployer in ``admins`` is one entry. Each principal gets a ``STANDARD``
access entry and the AWS-managed ``AmazonEKSClusterAdminPolicy`` at cluster scope (main.tf:257-264).

Entries are named by a hash of the ARN, so reordering ``admins``, or adding the deployer to it, changes
nothing. A cluster an older kubefleet created with the bootstrap flag on already holds EKS's entry (and its
policy association) for the creator: :func:`existing_entry` asks AWS at ``up`` and the declared entry then
carries Pulumi's ``import`` option with the ids terraform-provider-aws uses (``<cluster>:<principal>``,
internal/service/eks/access_entry.go accessEntryCreateResourceID; ``<cluster>#<principal>#<policy>``,
access_policy_association.go accessPolicyAssociationCreateResourceID), so it is adopted instead of
created twice; the engine ignores the option for entries its stack already holds under the same id.
Whoever runs ``up`` next is the creator then: a different deployer gains an entry and the previous one's
entry is deleted unless it is listed in ``admins`` (as with terraform-aws-eks).
"""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_aws as aws

from kubefleet.naming import short_hash
from kubefleet.providers.eks.common import Scope, cluster_name, found_or_none
from kubefleet.spec.model import ClusterSpec

#: AWS-managed access policy (commercial partition, like the IAM policies in common.py).
CLUSTER_ADMIN_POLICY: Final = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def admins(spec: ClusterSpec) -> list[str]:
    opts = spec.spec.providers.eks
    return list(opts.admins) if opts is not None else []


def creator_arn(scope: Scope) -> str:
    """The IAM principal that runs ``up`` (for an assumed role: the role, not the session)."""
    invoke = pulumi.InvokeOptions(provider=scope.provider, parent=scope.parent)
    caller = aws.get_caller_identity(opts=invoke)
    return str(aws.iam.get_session_context(arn=caller.arn, opts=invoke).issuer_arn)


def principals(spec: ClusterSpec, creator: str) -> list[str]:
    """Every principal that gets an admin entry, once each: the creator first, then ``admins``."""
    return list(dict.fromkeys([creator, *admins(spec)]))


def existing_entry(spec: ClusterSpec, arn: str, scope: Scope) -> bool:
    """Whether the cluster already has an access entry for ``arn`` (offline, or no cluster yet: no)."""
    found = found_or_none(lambda: aws.eks.get_access_entry(
        cluster_name=cluster_name(spec), principal_arn=arn,
        opts=pulumi.InvokeOptions(provider=scope.provider, parent=scope.parent)))
    return found is not None


def build_access_entries(spec: ClusterSpec, scope: Scope, cluster: aws.eks.Cluster) -> list[aws.eks.AccessEntry]:
    entries = []
    name = cluster_name(spec)
    for arn in principals(spec, creator_arn(scope)):
        # named by a hash of the ARN, so reordering the list changes nothing
        key = f"{spec.name}-admin-{short_hash(arn, length=6)}"
        adopt = existing_entry(spec, arn, scope)
        entry = aws.eks.AccessEntry(
            key,
            aws.eks.AccessEntryArgs(cluster_name=cluster.name, principal_arn=arn, type="STANDARD",
                                    tags=scope.tagged()),
            opts=pulumi.ResourceOptions.merge(
                scope.opts(parent=cluster), pulumi.ResourceOptions(import_=f"{name}:{arn}" if adopt else None)),
        )
        aws.eks.AccessPolicyAssociation(
            key,
            aws.eks.AccessPolicyAssociationArgs(
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            ),
            opts=pulumi.ResourceOptions.merge(
                scope.opts(parent=entry),
                pulumi.ResourceOptions(import_=f"{name}#{arn}#{CLUSTER_ADMIN_POLICY}" if adopt else None)),
        )
        entries.append(entry)
    return entries

"""What every EKS cluster kubefleet builds carries for its secrets and its pods' AWS identities.

- **Secrets envelope encryption**: a customer-managed KMS key (symmetric, the only kind EKS takes; automatic
  yearly rotation on) in the cluster's ``encryptionConfig`` for ``secrets``, and an inline policy on the
  cluster role that lets the control plane use it (kms:Encrypt, Decrypt, ListGrants, DescribeKey). This is
  terraform-aws-eks's default: ``encryption_config`` defaults to ``resources = ["secrets"]`` with a key the
  module creates, ``enable_kms_key_rotation`` defaults to true and the same four actions are granted to the
  cluster role (terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:
  variables.tf:178-185,268-272; main.tf:123-133,572-595). The key keeps KMS's default key policy (the
  account's IAM decides who may use it, the EKS user guide's ``create-key`` default:
  awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:latest/ug/security/security-k8s.adoc:833).
  Day 2: an existing cluster gains it in place (AssociateEncryptionConfig; no ForceNew on
  ``encryption_config`` in the generated replace table), and it can never be removed ("You can't disable
  secrets encryption after enabling it", security-k8s.adoc:675). ``destroy`` schedules the key's deletion
  (KMS waits 30 days, terraform-provider-aws internal/service/kms/key.go resourceKeyDelete); a re-created
  cluster gets a new key.
- **IRSA**: the cluster's OIDC issuer as an IAM OpenID Connect provider (client ``sts.amazonaws.com``), as
  terraform-aws-eks's ``enable_irsa`` (default true) creates it (main.tf:458-471). No thumbprint is pinned:
  the IAM API model says the list is optional and IAM then retrieves the issuer's CA thumbprint itself
  (botocore iam CreateOpenIDConnectProvider.ThumbprintList).
- **EKS Pod Identity** for what kubefleet installs: the ``eks-pod-identity-agent`` add-on (cluster.py) and,
  for the EBS CSI driver add-on, a role trusting ``pods.eks.amazonaws.com`` (sts:AssumeRole, sts:TagSession:
  latest/ug/manage-access/aws-access/service-accounts.adoc:163-172) with the AWS-managed
  ``AmazonEBSCSIDriverPolicy``, bound to the driver's controller service account
  ``kube-system/ebs-csi-controller-sa`` (latest/ug/storage/ebs-csi.adoc:85-95) through the add-on's
  ``podIdentityAssociations``. Pods get no credentials from the node (IMDS hop limit 1, nodepool.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi_aws as aws

from kubefleet.providers.eks.common import IAM_ROLE, Scope, name_for
from kubefleet.providers.eks.iam import Role, service_role
from kubefleet.spec.model import ClusterSpec

#: What the control plane needs on the secrets key (terraform-aws-eks main.tf:584-590).
KMS_CLUSTER_ACTIONS: Final = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
#: The audience IRSA tokens are issued for.
IRSA_CLIENT_ID: Final = "sts.amazonaws.com"
#: EKS Pod Identity's service principal.
POD_IDENTITY_SERVICE: Final = "pods.eks.amazonaws.com"
EBS_CSI_ADDON: Final = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT: Final = "ebs-csi-controller-sa"
#: AWS-managed (path service-role/, under POLICY_PREFIX).
EBS_CSI_POLICY: Final = "service-role/AmazonEBSCSIDriverPolicy"


@dataclass
class SecretsKey:
    key: aws.kms.Key
    #: the cluster role's permission to use the key; the cluster must wait for it
    grant: aws.iam.RolePolicy


def secrets_key(spec: ClusterSpec, scope: Scope, cluster_role: Role) -> SecretsKey:
    key = aws.kms.Key(
        f"{spec.name}-secrets",
        aws.kms.KeyArgs(
            description=f"EKS secrets envelope encryption for {spec.name} (kubefleet)",
            enable_key_rotation=True,
            tags=scope.tagged(),
        ),
        opts=scope.opts(),
    )
    grant = aws.iam.RolePolicy(
        f"{spec.name}-cluster-encryption",
        aws.iam.RolePolicyArgs(
            name=name_for(IAM_ROLE, spec, "encryption"),
            role=cluster_role.role.name,
            policy=key.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": list(KMS_CLUSTER_ACTIONS), "Resource": arn}],
            }, sort_keys=True)),
        ),
        opts=scope.opts(parent=cluster_role.role),
    )
    return SecretsKey(key, grant)


def encryption_config(key: SecretsKey) -> aws.eks.ClusterEncryptionConfigArgs:
    return aws.eks.ClusterEncryptionConfigArgs(
        provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.key.arn), resources=["secrets"])


def oidc_provider(spec: ClusterSpec, scope: Scope, cluster: aws.eks.Cluster) -> aws.iam.OpenIdConnectProvider:
    issuer = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
    return aws.iam.OpenIdConnectProvider(
        f"{spec.name}-irsa",
        aws.iam.OpenIdConnectProviderArgs(url=issuer, client_id_lists=[IRSA_CLIENT_ID], tags=scope.tagged()),
        opts=scope.opts(parent=cluster),
    )


def pod_identity_trust() -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": POD_IDENTITY_SERVICE},
                 "Action": ["sts:AssumeRole", "sts:TagSession"]}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def ebs_csi_role(spec: ClusterSpec, scope: Scope, region: str) -> Role:
    return service_role(
        spec, scope, region, "ebs-csi", POD_IDENTITY_SERVICE, (EBS_CSI_POLICY,),
        f"EBS CSI driver of {spec.name} through EKS Pod Identity (kubefleet)", trust=pod_identity_trust(),
    )


def ebs_csi_association(role: Role) -> list[aws.eks.AddonPodIdentityAssociationArgs]:
    return [aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.role.arn, service_account=EBS_CSI_SERVICE_ACCOUNT)]

"""Sandboxed tenancy on EKS: a Fargate profile, so selected pods each run in their own micro-VM.

Fargate selects *pods* (by namespace and pod labels), not nodes or namespaces: every pod labelled
``kubefleet.dev/sandboxed=true``, in any namespace, is scheduled onto Fargate, where each pod gets a
dedicated Firecracker micro-VM (its own kernel) instead of sharing a node's kernel. Fargate runs only in
private subnets and needs a pod execution role to pull images and ship logs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from kubefleet.providers.eks.common import EKS_FARGATE_PROFILE, SANDBOX_LABEL, Scope, name_for
from kubefleet.spec.model import ClusterSpec


def build_fargate_profile(
    spec: ClusterSpec,
    scope: Scope,
    cluster: aws.eks.Cluster,
    role_arn: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    depends_on: Sequence[pulumi.Resource],
) -> aws.eks.FargateProfile:
    return aws.eks.FargateProfile(
        f"{spec.name}-sandboxed",
        aws.eks.FargateProfileArgs(
            cluster_name=cluster.name,
            fargate_profile_name=name_for(EKS_FARGATE_PROFILE, spec, "sandboxed"),
            pod_execution_role_arn=role_arn,
            subnet_ids=list(subnet_ids),
            selectors=[aws.eks.FargateProfileSelectorArgs(namespace="*", labels={SANDBOX_LABEL: "true"})],
            tags=scope.tagged(),
        ),
        opts=scope.opts(parent=cluster, depends_on=depends_on),
    )

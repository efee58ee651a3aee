"""Amazon EKS adapter (pulumi_aws): VPC, IAM, EKS cluster, managed node groups, Fargate, add-ons."""

from kubefleet.providers.eks.adapter import EksAdapter

__all__ = ["EksAdapter"]

"""The EKS control plane (``aws.eks.Cluster``), its managed add-ons and the kubeconfig.

- version: the spec's minor (EKS takes no patch level; AWS applies patch releases itself);
- ``upgrade_policy.support_type``: ``EXTENDED`` for channel ``extended`` (26 months, extra hourly fee),
  ``STANDARD`` otherwise;
- endpoint: ``private`` -> private access only; ``public`` -> public and private access (nodes talk to
  the API server inside the VPC), public access limited to ``authorizedNetworks``; with a private
  endpoint the authorised networks become HTTPS ingress rules on the cluster security group;
- ``access_config.authentication_mode = "API"`` (access entries, no aws-auth ConfigMap);
- control-plane logs api, audit, authenticator to CloudWatch, into a log group the program declares
  (``/aws/eks/<name>/cluster``, 90 days' retention) and the cluster depends on: left to EKS, the group is
  created with no expiry and outlives ``destroy`` (an orphan that keeps billing for storage), as
  terraform-aws-eks avoids the same way (terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:
  main.tf:199-204,230-236; variables.tf:338-342 for the 90-day default). EKS fixes the name ("The log group
  name format is /aws/eks/my-cluster/cluster", awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
  latest/ug/observability/control-plane-logs.adoc:147), so a unique name is impossible and a group that
  already exists is adopted instead: one EKS created for a cluster of an older kubefleet (no group in the
  stack) or re-created after ``destroy`` (delivery is best effort and can land after the group is deleted).
  :func:`existing_log_group` asks AWS at ``up``; when the group exists, the resource carries Pulumi's
  ``import`` option with its id (the name: terraform-provider-aws internal/service/logs/group.go sets the id
  to the name), which the engine ignores when the stack already holds that id and otherwise imports, then
  updates to the declared retention and tags (pulumi/pulumi@v3.274.0:pkg/resource/deploy/step_generator.go:1209).
  ``destroy`` deletes the cluster before the group (the dependency), so no cluster is left logging into a
  deleted group;
- ``accessConfig.bootstrapClusterCreatorAdminPermissions = false``: the deployer's admin access is an access
  entry the program declares (access.py), as terraform-aws-eks does (main.tf:50-57, 254-268), so listing the
  deployer in ``admins`` cannot create the entry twice. The flag is create-only (its change replaces the
  cluster: the generated replace table, eks/cluster.go), so it is in ``ignore_changes`` as in
  terraform-aws-eks (main.tf:207-210, PR #3042): a cluster an older kubefleet created with ``true`` is kept;
- secrets envelope encryption with a KMS key (``encryption_config``), IRSA's OIDC provider and the EBS CSI
  driver's Pod Identity role: security.py;
- managed add-ons vpc-cni, kube-proxy, eks-pod-identity-agent (before nodes), coredns and aws-ebs-csi-driver
  (after; the driver with its Pod Identity association, security.py). Their
  versions must follow the cluster's Kubernetes version, so none is frozen here: each is looked up at apply
  time with ``aws.eks.get_addon_version(kubernetes_version=<the cluster's version output>, most_recent=True)``,
  as terraform-aws-eks does with its ``aws_eks_addon_version`` data source
  (terraform-aws-modules/terraform-aws-eks@bef29c4d9523523e57fe898643fde2895106b339:main.tf:758-766,777);
- vpc-cni runs with its network policy agent on (``configurationValues {"enableNetworkPolicy": "true"}``,
  awsdocs/amazon-eks-user-guide@d9a9cba5f72775824492cfad11b145ebc1367ceb:latest/ug/networking/cni-network-policy-configure.adoc),
  so Kubernetes NetworkPolicy is enforced on EC2 nodes as it is on GKE (Fargate pods are not covered).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

import pulumi
import pulumi_aws as aws

from kubefleet.providers.eks.common import CLUSTER_LOG_TYPES, Scope, cluster_name, found_or_none
from kubefleet.providers.eks.network import ClusterNetwork
from kubefleet.spec.model import ClusterSpec

#: Add-ons that must exist before nodes join (networking, kube-proxy, pod identity).
ADDONS_BEFORE_NODES: Final = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
#: Add-ons that need schedulable capacity to become ACTIVE (the EBS CSI driver's controller is a Deployment).
ADDONS_AFTER_NODES: Final = ("coredns", "aws-ebs-csi-driver")
#: Control-plane log retention (terraform-aws-eks's default; one of CloudWatch Logs' allowed values).
LOG_RETENTION_DAYS: Final = 90
#: Add-on configuration (the add-on's own JSON schema; values are strings there).
ADDON_CONFIGURATION: Final = {"vpc-cni": {"enableNetworkPolicy": "true"}}


def addon_version(addon: str, cluster: aws.eks.Cluster, scope: Scope) -> pulumi.Output[str]:
    """The newest version of ``addon`` for the cluster's Kubernetes version, looked up at apply time."""
    found = aws.eks.get_addon_version_output(
        addon_name=addon, kubernetes_version=cluster.version, most_recent=True,
        opts=pulumi.InvokeOutputOptions(provider=scope.provider, parent=scope.parent),
    )
    return found.version


def log_group_name(spec: ClusterSpec) -> str:
    """The name EKS writes control-plane logs to (fixed by EKS)."""
    return f"/aws/eks/{cluster_name(spec)}/cluster"


def existing_log_group(name: str, scope: Scope) -> bool:
    """Whether the log group exists in AWS now (offline: never; nothing is deployed)."""
    found = found_or_none(lambda: aws.cloudwatch.get_log_group(
        name=name, opts=pulumi.InvokeOptions(provider=scope.provider, parent=scope.parent)))
    return found is not None


def _releasing_deletion_protection() -> bool:
    """The stack config switch ``kubefleet:releaseDeletionProtection`` (set by ``destroy --force`` for one
    targeted update, kubefleet/engine/workspace.py release_cloud_guards)."""
    return pulumi.Config("kubefleet").get_bool("releaseDeletionProtection") is True


def support_type(spec: ClusterSpec) -> str:
    return "EXTENDED" if spec.spec.kubernetes.channel == "extended" else "STANDARD"


def build_cluster(
    spec: ClusterSpec,
    region: str,
    scope: Scope,
    role_arn: pulumi.Input[str],
    network: ClusterNetwork,
    depends_on: Sequence[pulumi.Resource],
    encryption: aws.eks.ClusterEncryptionConfigArgs | None = None,
    *,
    protect: bool = False,
) -> aws.eks.Cluster:
    cp = spec.spec.control_plane
    private = cp.endpoint == "private"
    group = log_group_name(spec)
    logs = aws.cloudwatch.LogGroup(
        f"{spec.name}-control-plane-logs",
        aws.cloudwatch.LogGroupArgs(name=group, retention_in_days=LOG_RETENTION_DAYS, tags=scope.tagged()),
        # adopt the group EKS made (an older kubefleet's cluster, or logs delivered after a destroy)
        opts=pulumi.ResourceOptions.merge(
            scope.opts(), pulumi.ResourceOptions(import_=group if existing_log_group(group, scope) else None)),
    )
    vpc_config = aws.eks.ClusterVpcConfigArgs(
        subnet_ids=network.control_plane_subnets,
        endpoint_private_access=True,
        endpoint_public_access=not private,
        public_access_cidrs=(list(cp.authorized_networks) or None) if not private else None,
    )
    cluster = aws.eks.Cluster(
        spec.name,
        aws.eks.ClusterArgs(
            name=cluster_name(spec),
            version=spec.spec.kubernetes.minor,
            role_arn=role_arn,
            region=region,
            vpc_config=vpc_config,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,  # the creator's entry is declared (access.py)
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=support_type(spec)),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=spec.spec.network.service_cidr,
                ip_family="ipv4",
            ),
            enabled_cluster_log_types=list(CLUSTER_LOG_TYPES),
            encryption_config=encryption,
            # kubefleet declares the managed add-ons itself (below), so EKS must not pre-install
            # unmanaged copies that the add-ons would then have to take over.
            bootstrap_self_managed_addons=False,
            # held by the EKS API (DeleteCluster refuses while true), so `destroy --force` first runs a targeted
            # update with the stack config switch kubefleet:releaseDeletionProtection on (kubefleet/engine/
            # workspace.py CONFIG_RELEASE_GUARDS), which renders it false and EKS gets UpdateClusterConfig
            # on when the production rule protects the stack (ResolvedCluster.protect: the same rule as Pulumi's
            # `protect` and destroy's refusal), not env == "prod" alone
            deletion_protection=protect and not _releasing_deletion_protection(),
            tags=scope.tagged(),
        ),
        opts=pulumi.ResourceOptions.merge(
            scope.opts(depends_on=[*network.ready, *depends_on, logs]),
            # create-only; clusters an older kubefleet created with `true` are kept, not replaced
            pulumi.ResourceOptions(ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"]),
        ),
    )
    if private:
        for i, cidr in enumerate(cp.authorized_networks):
            aws.vpc.SecurityGroupIngressRule(
                f"{spec.name}-api-{i}",
                aws.vpc.SecurityGroupIngressRuleArgs(
                    security_group_id=cluster.vpc_config.cluster_security_group_id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    description=f"kubefleet: authorised network {cidr} to the private API endpoint",
                    tags=scope.tagged(),
                ),
                opts=scope.opts(parent=cluster),
            )
    return cluster


def build_addons(
    spec: ClusterSpec,
    scope: Scope,
    cluster: aws.eks.Cluster,
    names: Sequence[str],
    depends_on: Sequence[pulumi.Resource] = (),
    identities: Mapping[str, Sequence[aws.eks.AddonPodIdentityAssociationArgs]] | None = None,
) -> list[aws.eks.Addon]:
    return [
        aws.eks.Addon(
            f"{spec.name}-{addon}",
            aws.eks.AddonArgs(
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=addon_version(addon, cluster, scope),
                configuration_values=json.dumps(ADDON_CONFIGURATION[addon], sort_keys=True)
                if addon in ADDON_CONFIGURATION else None,
                pod_identity_associations=list((identities or {}).get(addon, ())) or None,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=scope.tagged(),
            ),
            opts=scope.opts(parent=cluster, depends_on=depends_on),
        )
        for addon in names
    ]


def kubeconfig(cluster: aws.eks.Cluster, region: str, token_args: Sequence[str] = ()) -> pulumi.Output[str]:
    """A kubeconfig from the cluster's endpoint and CA, authenticating with ``aws eks get-token``.

    No token is embedded: kubectl runs the AWS CLI for a short-lived token on every call. ``token_args``
    carry the stack's profile and assumed role (auth.get_token_args), so kubectl and the in-program Helm
    releases act as the program does. The whole document is still a Pulumi secret (it names the endpoint
    and carries the CA).
    """

    def render(args: list[str]) -> str:
        name, endpoint, ca = args
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region,
                                     "--output", "json", *token_args],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
        return json.dumps(doc, indent=2)

    doc = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(render)
    return pulumi.Output.secret(doc)

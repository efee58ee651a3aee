"""The nodes' identity: a dedicated least-privilege service account instead of the Compute Engine default
service account (which carries the project-wide Editor role in many projects). Roles: settings.NODE_SA_ROLES,
each a non-authoritative ``projects.IAMMember`` (it adds one binding and never rewrites the project policy,
so clusters sharing a project do not fight over it)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from kubefleet.providers.gke import names, settings
from kubefleet.spec.model import ClusterSpec


@dataclass(frozen=True)
class NodeIdentity:
    email: pulumi.Input[str]
    resources: list[pulumi.Resource]


def node_identity(spec: ClusterSpec, region: str, project: pulumi.Input[str], parent: pulumi.Resource,
                  after: list[pulumi.Resource] | None = None) -> NodeIdentity:
    opts = pulumi.ResourceOptions(parent=parent, depends_on=after)
    account = gcp.serviceaccount.Account(
        f"{spec.name}-nodes-sa",
        gcp.serviceaccount.AccountArgs(
            account_id=names.node_service_account(spec, region),
            project=project,
            display_name=f"kubefleet nodes of {spec.name}"[:100],
            description=f"least-privilege node service account for cluster {spec.name}",
        ),
        # project-wide: an existing stack keeps the account id it was created with (names.PROJECT_WIDE)
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(ignore_changes=names.keep("gcp:serviceaccount/account:Account"))),
    )
    members: list[pulumi.Resource] = [
        gcp.projects.IAMMember(
            f"{spec.name}-nodes-{role.rsplit('/', 1)[-1].replace('.', '-').lower()}",
            gcp.projects.IAMMemberArgs(
                project=project, role=role, member=pulumi.Output.concat("serviceAccount:", account.email)
            ),
            opts=opts,
        )
        for role in settings.NODE_SA_ROLES
    ]
    return NodeIdentity(account.email, [account, *members])

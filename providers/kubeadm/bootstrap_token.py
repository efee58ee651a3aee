"""The join token as a bootstrap-token Secret in the cluster, re-minted by ``pulumi up``.

``kubeadm init`` creates the first token with ``TOKEN_TTL`` (kubeadm_config.py). Nodes added later need a
valid token too, and kubefleet has no controller to refresh one as Cluster API does, so every ``pulumi up``
declares the current token (secrets.py makes a new one whenever the node set changes) as a
``bootstrap.kubernetes.io/token`` Secret in ``kube-system`` whose ``expiration`` is ``TOKEN_TTL`` after the
hour the run started. The Secret format is the one kubeadm and CABPK write
(kubernetes/kubernetes@017b1e4b60ca54b08b5f18a10f109ff969c697e5: staging/src/k8s.io/cluster-bootstrap/token/api/types.go,
keys ``token-id``, ``token-secret``, ``expiration`` (RFC 3339), ``usage-bootstrap-*``, ``auth-extra-groups``).
On the run that creates the cluster, server-side apply (pulumi-kubernetes v4's default) takes over the
Secret ``kubeadm init`` made for the same token. The kube-controller-manager's token cleaner deletes it
once expired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kubefleet.providers.kubeadm.kubeadm_config import TOKEN_TTL_HOURS

NODE_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token"


def expiration(now: dt.datetime) -> str:
    """``TOKEN_TTL`` after the start of ``now``'s hour: stable within an hour, so repeated runs do not churn."""
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return (start + dt.timedelta(hours=TOKEN_TTL_HOURS)).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_data(token: str, now: dt.datetime, cluster: str) -> dict[str, str]:
    token_id, token_secret = token.split(".")
    return {
        "token-id": token_id,
        "token-secret": token_secret,
        "expiration": expiration(now),
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": NODE_TOKEN_GROUP,
        "description": f"kubefleet join token for {cluster}",
    }


def bootstrap_token_secret(
    cluster: str,
    token: pulumi.Output[str],
    now: dt.datetime,
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> k8s.core.v1.Secret:
    name = token.apply(lambda t: f"bootstrap-token-{t.split('.')[0]}")
    data: pulumi.Output[Any] = token.apply(lambda t: token_data(t, now, cluster))
    return k8s.core.v1.Secret(
        f"{cluster}-bootstrap-token",
        # kubeadm init creates the first token's Secret with its own field manager; force lets server-side
        # apply take over the fields it set (pulumi-kubernetes' documented `pulumi.com/patchForce` annotation)
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace="kube-system", annotations={"pulumi.com/patchForce": "true"}
        ),
        type="bootstrap.kubernetes.io/token",
        string_data=pulumi.Output.secret(data),
        opts=pulumi.ResourceOptions(
            parent=parent, provider=provider, depends_on=depends_on, additional_secret_outputs=["stringData", "data"]
        ),
    )


def operators_binding(cluster: str, provider: k8s.Provider, parent: pulumi.Resource) -> k8s.rbac.v1.ClusterRoleBinding:
    """Grants the daily identity's group cluster-admin; deleting it revokes every operator certificate."""
    from kubefleet.providers.kubeadm.pki import OPERATOR_GROUP

    return k8s.rbac.v1.ClusterRoleBinding(
        f"{cluster}-operators",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="kubefleet-operators"),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
        subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=OPERATOR_GROUP)],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )

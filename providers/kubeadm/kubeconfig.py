"""Kubeconfigs: the VIP endpoint, the cluster CA and a client certificate.

Managed clusters hand out credentials through an exec plugin backed by cloud IAM (gcloud, aws, kubelogin).
A kubeadm cluster on vSphere has no such identity service, and the admin.conf that ``kubeadm init``
writes stays on the first master. So kubefleet issues two client certificates itself (pki.py):

- the **daily** kubeconfig (the ``kubeconfig`` output): ``kubefleet-operator`` in group
  ``kubefleet:operators``, valid 30 days and re-issued by ``pulumi up`` every 10; its rights come from the
  ``kubefleet-operators`` ClusterRoleBinding, so ``kubectl delete clusterrolebinding kubefleet-operators``
  revokes it (and every copy of it) at once;
- the **break-glass** kubeconfig (the ``breakGlassKubeconfig`` output): ``kubefleet-admin`` in
  ``kubeadm:cluster-admins``, which kubeadm binds to cluster-admin itself. A client certificate cannot be
  revoked before it expires (a year, renewed every 120 days); keep it offline and use it only when the
  daily identity cannot work (the binding is gone, RBAC is broken). kubefleet's own Kubernetes provider
  (join tokens, RBAC, Istio) uses it.

Both embed a private key, not a bearer token, and both are Pulumi secrets.
"""

from __future__ import annotations

import base64

import pulumi

from kubefleet.providers.kubeadm.cloudinit import dump_yaml
from kubefleet.providers.kubeadm.pki import ClusterPki


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def render_kubeconfig(cluster: str, endpoint: str, pki: ClusterPki, *, break_glass: bool = False) -> str:
    user = f"{cluster}-admin" if break_glass else f"{cluster}-operator"
    identity = pki.admin if break_glass else pki.operator
    return dump_yaml(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster, "cluster": {"server": endpoint, "certificate-authority-data": _b64(pki.ca_cert_pem)}}
            ],
            "users": [
                {
                    "name": user,
                    "user": {
                        "client-certificate-data": _b64(identity.cert_pem),
                        "client-key-data": _b64(identity.key_pem),
                    },
                }
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
        }
    )


def kubeconfig(
    cluster: str, endpoint: pulumi.Input[str], pki: pulumi.Output[ClusterPki], *, break_glass: bool = False
) -> pulumi.Output[str]:
    return pulumi.Output.secret(
        pulumi.Output.all(endpoint, pki).apply(lambda v: render_kubeconfig(cluster, v[0], v[1], break_glass=break_glass))
    )

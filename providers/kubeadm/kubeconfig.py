"""The exported kubeconfig: the VIP endpoint, the cluster CA and an admin client certificate.

Managed clusters hand out credentials through an exec plugin backed by cloud IAM (gcloud, aws, kubelogin).
A kubeadm cluster on vSphere has no such identity service, and the admin.conf that ``kubeadm init``
writes stays on the first master (nothing brings a file back from a VM through Pulumi). So kubefleet
issues the equivalent of admin.conf itself: a client certificate for ``kubefleet-admin`` in group
``kubeadm:cluster-admins`` (bound to cluster-admin by kubeadm), signed by the kubefleet-made CA
(see pki.py). It embeds a private key, not a bearer token, and the whole kubeconfig is a Pulumi secret.
"""

from __future__ import annotations

import base64

import pulumi

from kubefleet.providers.kubeadm.cloudinit import dump_yaml
from kubefleet.providers.kubeadm.pki import ClusterPki


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def render_kubeconfig(cluster: str, endpoint: str, pki: ClusterPki) -> str:
    user = f"{cluster}-admin"
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
                        "client-certificate-data": _b64(pki.admin_cert_pem),
                        "client-key-data": _b64(pki.admin_key_pem),
                    },
                }
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
        }
    )


def kubeconfig(cluster: str, endpoint: pulumi.Input[str], pki: pulumi.Output[ClusterPki]) -> pulumi.Output[str]:
    return pulumi.Output.secret(
        pulumi.Output.all(endpoint, pki).apply(lambda v: render_kubeconfig(cluster, v[0], v[1]))
    )

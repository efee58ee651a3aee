"""The kubeconfig: the API server's FQDN and CA from the cluster, credentials from ``kubelogin``.

The cluster runs with Entra ID (AAD) integration, Azure RBAC and local accounts disabled, so there is
no static token or client certificate to hand out: ``kubectl`` runs ``kubelogin get-token`` (an exec
credential plugin) with the caller's ``az login`` session. The CA certificate is read from the user
credentials AKS lists for the cluster (the only place ARM exposes it); everything else that credential
carries is dropped. The result is always a Pulumi secret.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

import pulumi

#: The application id of the "Azure Kubernetes Service AAD Server" that AKS tokens are issued for.
AKS_AAD_SERVER_ID: Final = "6dae42f8-4368-4678-94ff-3960e28e3630"


def ca_from_kubeconfig(encoded: str) -> str:
    """``certificate-authority-data`` of the first cluster in a base64-encoded kubeconfig."""
    from ruamel.yaml import YAML

    doc: Any = YAML(typ="safe").load(base64.b64decode(encoded).decode())
    clusters = doc.get("clusters") or []
    if not clusters:
        raise ValueError("the AKS credential kubeconfig lists no cluster")
    return str(clusters[0]["cluster"]["certificate-authority-data"])


def render_kubeconfig(name: str, server: str, ca_data: str) -> str:
    """A kubeconfig (JSON, which every kubeconfig reader accepts as YAML) using the kubelogin exec plugin."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-kubelogin"}}],
        "current-context": name,
        "users": [
            {
                "name": f"{name}-kubelogin",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID],
                        "env": None,
                        "interactiveMode": "IfAvailable",
                        "provideClusterInfo": False,
                        "installHint": "install kubelogin (az aks install-cli) and run `az login`",
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2)


def kubeconfig_output(
    name: pulumi.Input[str], server: pulumi.Input[str], credentials_kubeconfig: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The kubeconfig as a Pulumi secret, built from the cluster's endpoint and CA."""
    ca = pulumi.Output.from_input(credentials_kubeconfig).apply(ca_from_kubeconfig)
    text = pulumi.Output.all(name, server, ca).apply(
        lambda v: render_kubeconfig(str(v[0]), str(v[1]), str(v[2]))
    )
    return pulumi.Output.secret(text)

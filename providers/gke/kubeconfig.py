"""The kubeconfig: the cluster's endpoint and CA from its outputs, and the ``gke-gcloud-auth-plugin``
exec credential plugin for tokens — no token or key is ever written into it. Returned as a secret."""

from __future__ import annotations

import json

import pulumi
import pulumi_gcp as gcp

AUTH_PLUGIN = "gke-gcloud-auth-plugin"
INSTALL_HINT = (
    "Install gke-gcloud-auth-plugin for kubectl by following "
    "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin"
)


def render(project: str, location: str, name: str, endpoint: str, ca_data: str) -> str:
    """Kubeconfig YAML (JSON is YAML; kubectl reads both) in gcloud's naming: ``gke_<project>_<loc>_<name>``.
    An empty ``ca_data`` (the DNS-based endpoint, served with a publicly trusted certificate) leaves the
    cluster's CA out so the system trust store verifies it."""
    context = f"gke_{project}_{location}_{name}"
    server: dict[str, str] = {"server": f"https://{endpoint}"}
    if ca_data:
        server["certificate-authority-data"] = ca_data
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": server}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": AUTH_PLUGIN,
                        "installHint": INSTALL_HINT,
                        "provideClusterInfo": True,
                        "interactiveMode": "IfAvailable",
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2, sort_keys=True)


def _dns_endpoint(config: object) -> str:
    dns = getattr(config, "dns_endpoint_config", None) if config else None
    return str(getattr(dns, "endpoint", "") or "")


def kubeconfig(cluster: gcp.container.Cluster, *, dns: bool = False) -> pulumi.Output[str]:
    """``dns``: talk to the DNS-based endpoint (reachable from outside the VPC, IAM-gated) instead of the IP."""
    if dns:
        endpoint: pulumi.Output[str] = cluster.control_plane_endpoints_config.apply(_dns_endpoint)
        ca: pulumi.Output[str] = pulumi.Output.from_input("")
    else:
        endpoint = cluster.endpoint
        ca = cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate if auth else "")
    text = pulumi.Output.all(cluster.project, cluster.location, cluster.name, endpoint, ca).apply(
        lambda v: render(str(v[0]), str(v[1]), str(v[2]), str(v[3]), str(v[4] or ""))
    )
    return pulumi.Output.secret(text)

"""kubeadm configuration documents (``kubeadm.k8s.io/v1beta4``) for each node role.

Plain functions over plain values: the Pulumi layer (``nodes.py``) calls them inside ``Output.apply``
once the secret token and CA pin are known. Field names are kubeadm's own; the tests
check every generated document against the upstream Go types (tests/data/kubeadm/v1beta4_fields.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kubefleet.providers.kubeadm.capi import control_plane_vip
from kubefleet.spec.model import ClusterSpec, NodePool

API_VERSION: Final = "kubeadm.k8s.io/v1beta4"
API_PORT: Final = 6443
CRI_SOCKET: Final = "unix:///var/run/containerd/containerd.sock"
CONTROL_PLANE_TAINT: Final = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
POOL_LABEL: Final = "kubefleet.dev/pool"
#: Bootstrap tokens are short-lived: kubeadm's default lifetime, 24 h (``DefaultTokenDuration = 24 * time.Hour``
#: in cmd/kubeadm/app/constants/constants.go of earlier kubeadm releases; the default of
#: ``kubeadm token create --ttl``), long enough for the
#: bounded bootstrap (templates/bootstrap.sh gives up well within it). CABPK uses 15 minutes but refreshes
#: the token from a controller while machines join (kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
#: bootstrap/kubeadm/reconcilers/kubeadmconfig/kubeadmconfig_controller.go:70); kubefleet has no controller,
#: so it mints a fresh token (new value, this lifetime) on every ``pulumi up`` that adds nodes
#: (secrets.py keys the token on the node set; bootstrap_token.py writes it into the cluster).
TOKEN_TTL: Final = "24h"
TOKEN_TTL_HOURS: Final = 24



@dataclass(frozen=True)
class JoinSecrets:
    """The secret values a node's kubeadm document carries (plain strings inside an ``apply``)."""

    token: str  # [a-z0-9]{6}.[a-z0-9]{16}
    ca_cert_hash: str  # sha256:<hex of the CA's SubjectPublicKeyInfo>


def kubernetes_version(spec: ClusterSpec) -> str:
    """kubeadm's ``kubernetesVersion``: ``v1.33.4`` for a pinned patch, ``stable-1.33`` for a minor."""
    version = spec.spec.kubernetes.version
    if version.count(".") == 2:
        return f"v{version}"
    return f"stable-{version}"


def control_plane_endpoint(spec: ClusterSpec) -> str:
    return f"{control_plane_vip(spec)}:{API_PORT}"


def _args(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs.items() if v]


def node_labels(pool: NodePool | None) -> str:
    """kubelet ``--node-labels``: the pool marker plus the pool's own labels (sorted, deterministic)."""
    if pool is None:
        return ""
    labels = {POOL_LABEL: pool.name, **pool.labels}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _taints(pool: NodePool | None) -> list[dict[str, str]]:
    if pool is None:
        return [dict(CONTROL_PLANE_TAINT)]
    out = []
    for taint in pool.taints:
        item = {"key": taint.key, "effect": taint.effect}
        if taint.value:
            item["value"] = taint.value
        out.append(item)
    return out


def node_registration(name: str, pool: NodePool | None) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "name": name,
        "criSocket": CRI_SOCKET,
        "taints": _taints(pool),  # an empty list means "no taints" to kubeadm, which is what a pool without taints wants
    }
    extra = _args({"node-labels": node_labels(pool)})
    if extra:
        reg["kubeletExtraArgs"] = extra
    return reg


def init_documents(spec: ClusterSpec, node_name: str, secrets: JoinSecrets) -> list[dict[str, Any]]:
    """InitConfiguration + ClusterConfiguration for the first control-plane node."""
    net = spec.spec.network
    token_id = secrets.token.split(".")[0]
    init = {
        "apiVersion": API_VERSION,
        "kind": "InitConfiguration",
        "bootstrapTokens": [
            {
                "token": secrets.token,
                "description": f"kubefleet join token for {spec.name} (id {token_id})",
                "ttl": TOKEN_TTL,
                "usages": ["signing", "authentication"],
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
            }
        ],
        "nodeRegistration": node_registration(node_name, None),
        # no certificateKey and no `--upload-certs`: every master brings the shared CA material in its own
        # bootstrap (pki.py), so no kubeadm-certs Secret (which expires with its 2 h token) is needed
    }
    cluster = {
        "apiVersion": API_VERSION,
        "kind": "ClusterConfiguration",
        "clusterName": spec.name,
        "kubernetesVersion": kubernetes_version(spec),
        "controlPlaneEndpoint": control_plane_endpoint(spec),
        "networking": {
            "podSubnet": net.pod_cidr,
            "serviceSubnet": net.service_cidr,
            "dnsDomain": "cluster.local",
        },
        "apiServer": {"certSANs": [control_plane_vip(spec)]},
        # kubefleet provides an ECDSA P-256 CA (pki.py); the certificates kubeadm issues use the same algorithm
        "encryptionAlgorithm": "ECDSA-P256",
    }
    return [init, cluster]


def join_document(
    spec: ClusterSpec, node_name: str, secrets: JoinSecrets, pool: NodePool | None
) -> dict[str, Any]:
    """JoinConfiguration: a further control-plane node (``pool is None``) or a worker of ``pool``."""
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "JoinConfiguration",
        "nodeRegistration": node_registration(node_name, pool),
        "discovery": {
            "bootstrapToken": {
                "token": secrets.token,
                "apiServerEndpoint": control_plane_endpoint(spec),
                "caCertHashes": [secrets.ca_cert_hash],
            }
        },
    }
    if pool is None:
        # the CA material is already on disk (written by cloud-init), as CABPK's joining masters have it
        doc["controlPlane"] = {}
    return doc

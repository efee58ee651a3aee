"""cloud-init documents for kubeadm nodes, delivered through vSphere guestinfo.

Every node gets the same static bootstrap script (templates/bootstrap.sh) plus per-node files: an env
file (role, versions, VIP), its kubeadm document(s) and, on the first control-plane node, the cluster CA
and the add-on manifests (Calico with the spec's pod CIDR, and the gVisor RuntimeClass for sandboxed
tenancy). Secrets live only in files written with mode 0600; the whole user data is a Pulumi secret.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ruamel.yaml import YAML

from kubefleet.spec import ClusterSpec

Role = Literal["init", "control-plane", "worker"]

#: Pinned add-on versions (bump deliberately; they are part of what a plan means).
CALICO_VERSION: Final = "v3.30.2"
KUBE_VIP_VERSION: Final = "v0.8.9"
#: RuntimeClass a sandboxed pod names (``runtimeClassName: gvisor``); handler = containerd runtime ``runsc``.
SANDBOX_RUNTIME_CLASS: Final = "gvisor"

BOOTSTRAP_PATH: Final = "/usr/local/sbin/kubefleet-bootstrap.sh"
ENV_PATH: Final = "/etc/kubefleet/bootstrap.env"
INIT_CONFIG_PATH: Final = "/etc/kubefleet/kubeadm.yaml"
JOIN_CONFIG_PATH: Final = "/etc/kubefleet/kubeadm-join.yaml"
CALICO_PATH: Final = "/etc/kubefleet/calico-installation.yaml"
RUNTIMECLASS_PATH: Final = "/etc/kubefleet/runtimeclass.yaml"
CA_CERT_PATH: Final = "/etc/kubernetes/pki/ca.crt"
CA_KEY_PATH: Final = "/etc/kubernetes/pki/ca.key"

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def bootstrap_script() -> str:
    return (_TEMPLATES / "bootstrap.sh").read_text()


def dump_yaml(*documents: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buf = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], buf)
    else:
        yaml.dump_all(list(documents), buf)
    return buf.getvalue()


def package_version(spec: ClusterSpec) -> str:
    """The Debian package version on pkgs.k8s.io for a pinned patch (``1.33.4-1.1``), else empty:
    the repository itself is per-minor (``/core:/stable:/v1.33/``), so a minor-only spec installs that
    minor's newest patch and holds it."""
    version = spec.spec.kubernetes.version
    return f"{version}-1.1" if version.count(".") == 2 else ""


def _env(spec: ClusterSpec, role: Role, vip: str) -> str:
    values = {
        "ROLE": role,
        "K8S_MINOR": spec.spec.kubernetes.minor,
        "K8S_PACKAGE_VERSION": package_version(spec),
        "CONTROL_PLANE_VIP": vip,
        "KUBE_VIP_VERSION": KUBE_VIP_VERSION,
        "CALICO_VERSION": CALICO_VERSION,
        "SANDBOX": "true" if spec.spec.tenancy.isolation == "sandboxed" else "false",
    }
    return "".join(f"{k}={json.dumps(v)}\n" for k, v in values.items())


def calico_manifest(spec: ClusterSpec) -> str:
    installation = {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "Installation",
        "metadata": {"name": "default"},
        "spec": {
            "calicoNetwork": {
                "ipPools": [
                    {
                        "name": "default-ipv4-ippool",
                        "blockSize": 26,
                        "cidr": spec.spec.network.pod_cidr,
                        "encapsulation": "VXLANCrossSubnet",
                        "natOutgoing": "Enabled",
                        "nodeSelector": "all()",
                    }
                ]
            }
        },
    }
    api_server = {"apiVersion": "operator.tigera.io/v1", "kind": "APIServer", "metadata": {"name": "default"}, "spec": {}}
    return dump_yaml(installation, api_server)


def runtimeclass_manifest() -> str:
    return dump_yaml(
        {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": SANDBOX_RUNTIME_CLASS}, "handler": "runsc"}
    )


@dataclass(frozen=True)
class CaFiles:
    cert_pem: str
    key_pem: str


def _file(path: str, content: str, permissions: str) -> dict[str, str]:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def user_data(
    spec: ClusterSpec,
    *,
    hostname: str,
    role: Role,
    vip: str,
    kubeadm_documents: Sequence[dict[str, Any]],
    ca: CaFiles | None = None,
) -> str:
    """The ``#cloud-config`` document for one node."""
    files = [
        _file(ENV_PATH, _env(spec, role, vip), "0600"),
        _file(INIT_CONFIG_PATH if role == "init" else JOIN_CONFIG_PATH, dump_yaml(*kubeadm_documents), "0600"),
        _file(BOOTSTRAP_PATH, bootstrap_script(), "0755"),
    ]
    if role == "init":
        if ca is None:
            raise ValueError("the first control-plane node needs the cluster CA")
        files.append(_file(CA_CERT_PATH, ca.cert_pem, "0644"))
        files.append(_file(CA_KEY_PATH, ca.key_pem, "0600"))
        files.append(_file(CALICO_PATH, calico_manifest(spec), "0644"))
        if spec.spec.tenancy.isolation == "sandboxed":
            files.append(_file(RUNTIMECLASS_PATH, runtimeclass_manifest(), "0644"))
    doc = {
        "hostname": hostname,
        "manage_etc_hosts": True,
        "write_files": files,
        "runcmd": [["bash", BOOTSTRAP_PATH]],
    }
    return "#cloud-config\n" + dump_yaml(doc)


def metadata(hostname: str) -> str:
    """guestinfo.metadata: instance id, hostname and a DHCP netplan on the VM's first NIC."""
    return json.dumps(
        {
            "instance-id": hostname,
            "local-hostname": hostname,
            "network": {
                "version": 2,
                "ethernets": {"nic0": {"match": {"name": "e*"}, "dhcp4": True, "set-name": "nic0"}},
            },
        },
        sort_keys=True,
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()

"""cloud-init documents for kubeadm nodes, delivered through vSphere guestinfo.

Every node gets the same static bootstrap script (templates/bootstrap.sh), run by a systemd unit so that
it resumes after a reboot, plus per-node files: an env file (role, versions, VIP), its kubeadm document(s)
and, on every master, the shared CA material CABPK gives a joining control-plane node (pki.py). The first
master also gets the add-on manifests (Calico with the spec's pod CIDR, the gVisor RuntimeClass for
sandboxed tenancy). Secrets live only in files written with mode 0600 (certificates 0640, as CABPK writes
them); the whole user data is a Pulumi secret, and the meta-data asks cloud-init's VMware datasource to
redact ``guestinfo.userdata`` as soon as it has read it (canonical/cloud-init@04eacd06ee60de9dbb9e7be784be20dab7342c1a:
doc/rtd/reference/datasources/vmware.rst:238-262, cloudinit/sources/DataSourceVMware.py:439 ``redact_keys``),
so neither vCenter read-only users nor guest processes can read the CA key or the token from guestinfo later.
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

from kubefleet.providers.kubeadm.pki import ClusterPki
from kubefleet.providers.kubeadm.yaml_emit import MemoEmitter
from kubefleet.spec.model import ClusterSpec

#: init = the first master on the run that creates the cluster (it still joins if the VIP already answers);
#: control-plane = every other master, and the first one once the cluster exists; worker = pool nodes.
Role = Literal["init", "control-plane", "worker"]

#: Pinned add-on versions (bump deliberately; they are part of what a plan means). Calico v3.31.3 is the
#: newest 3.31 patch in docs.tigera.io/calico/latest/reference/component-versions (read 2026-11-29).
CALICO_VERSION: Final = "v3.31.3"
KUBE_VIP_VERSION: Final = "v0.8.9"
#: RuntimeClass a sandboxed pod names (``runtimeClassName: gvisor``); handler = containerd runtime ``runsc``.
SANDBOX_RUNTIME_CLASS: Final = "gvisor"

BOOTSTRAP_PATH: Final = "/usr/local/sbin/kubefleet-bootstrap.sh"
ENV_PATH: Final = "/etc/kubefleet/bootstrap.env"
INIT_CONFIG_PATH: Final = "/etc/kubefleet/kubeadm.yaml"
JOIN_CONFIG_PATH: Final = "/etc/kubefleet/kubeadm-join.yaml"
CALICO_PATH: Final = "/etc/kubefleet/calico-installation.yaml"
RUNTIMECLASS_PATH: Final = "/etc/kubefleet/runtimeclass.yaml"
UNIT_PATH: Final = "/etc/systemd/system/kubefleet-bootstrap.service"
PKI_DIR: Final = "/etc/kubernetes/pki"
CA_CERT_PATH: Final = f"{PKI_DIR}/ca.crt"
CA_KEY_PATH: Final = f"{PKI_DIR}/ca.key"
#: Upper bound of one bootstrap run (systemd kills and restarts it after this long).
BOOTSTRAP_TIMEOUT_MIN: Final = 90

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def bootstrap_script() -> str:
    return (_TEMPLATES / "bootstrap.sh").read_text()


def dump_yaml(*documents: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.Emitter = MemoEmitter  # ruamel's emitter, long scalars emitted once per process (same bytes)
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


def _file(path: str, content: str, permissions: str) -> dict[str, str]:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def control_plane_pki_files(pki: ClusterPki) -> list[dict[str, str]]:
    """The files CABPK writes on a joining control-plane node (cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
    util/secret/certificates.go:139-164 for the paths, :395-415 for 0640 certificates / 0600 keys)."""
    pairs = [
        ("ca.crt", "ca.key", pki.ca),
        ("sa.pub", "sa.key", pki.service_account),
        ("front-proxy-ca.crt", "front-proxy-ca.key", pki.front_proxy_ca),
        ("etcd/ca.crt", "etcd/ca.key", pki.etcd_ca),
    ]
    files = []
    for cert, key, material in pairs:
        files.append(_file(f"{PKI_DIR}/{cert}", material.cert_pem, "0640"))
        files.append(_file(f"{PKI_DIR}/{key}", material.key_pem, "0600"))
    return files


def bootstrap_unit() -> str:
    """A oneshot unit that runs the bootstrap until it succeeds, also after a reboot half-way (cloud-init's
    runcmd runs once per instance, so it only enables and starts this unit)."""
    return (
        "[Unit]\n"
        "Description=kubefleet kubeadm bootstrap\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "ConditionPathExists=!/var/lib/kubefleet/bootstrap.done\n"
        "StartLimitIntervalSec=0\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart=/bin/bash {BOOTSTRAP_PATH}\n"
        "Restart=on-failure\n"
        "RestartSec=30\n"
        f"TimeoutStartSec={BOOTSTRAP_TIMEOUT_MIN}min\n"
        "RemainAfterExit=yes\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def user_data(
    spec: ClusterSpec,
    *,
    hostname: str,
    role: Role,
    vip: str,
    join_document: dict[str, Any],
    init_documents: Sequence[dict[str, Any]] = (),
    pki: ClusterPki | None = None,
) -> str:
    """The ``#cloud-config`` document for one node. ``init`` carries both its init documents and a join
    document (used when the VIP already answers: the cluster exists, so this master must join)."""
    files = [
        _file(ENV_PATH, _env(spec, role, vip), "0600"),
        _file(JOIN_CONFIG_PATH, dump_yaml(join_document), "0600"),
        _file(BOOTSTRAP_PATH, bootstrap_script(), "0755"),
        _file(UNIT_PATH, bootstrap_unit(), "0644"),
    ]
    if role == "init":
        if not init_documents:
            raise ValueError("the init role needs its InitConfiguration and ClusterConfiguration")
        files.append(_file(INIT_CONFIG_PATH, dump_yaml(*init_documents), "0600"))
        files.append(_file(CALICO_PATH, calico_manifest(spec), "0644"))
        if spec.spec.tenancy.isolation == "sandboxed":
            files.append(_file(RUNTIMECLASS_PATH, runtimeclass_manifest(), "0644"))
    if role in ("init", "control-plane"):
        if pki is None:
            raise ValueError("a control-plane node needs the cluster's shared CA material")
        files += control_plane_pki_files(pki)
    doc = {
        "hostname": hostname,
        "manage_etc_hosts": True,
        "write_files": files,
        "runcmd": [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "kubefleet-bootstrap.service"],
            ["systemctl", "start", "--no-block", "kubefleet-bootstrap.service"],
        ],
    }
    return "#cloud-config\n" + dump_yaml(doc)


@dataclass(frozen=True)
class StaticAddress:
    """A static IPv4 configuration for one node (masters, when the spec gives their addresses)."""

    address: str  # a.b.c.d/prefix
    gateway: str
    nameservers: tuple[str, ...]


def metadata(hostname: str, static: StaticAddress | None = None) -> str:
    """guestinfo.metadata: instance id, hostname, a netplan on the VM's first NIC (DHCP, or a static address)
    and ``redact: [userdata]`` so the datasource clears the user data (CA keys, token) once read."""
    nic: dict[str, Any] = {"match": {"name": "e*"}, "set-name": "nic0"}
    if static is None:
        nic["dhcp4"] = True
    else:
        nic.update(
            {
                "dhcp4": False,
                "addresses": [static.address],
                "routes": [{"to": "default", "via": static.gateway}],
                "nameservers": {"addresses": list(static.nameservers)},
            }
        )
    return json.dumps(
        {
            "instance-id": hostname,
            "local-hostname": hostname,
            "network": {"version": 2, "ethernets": {"nic0": nic}},
            "redact": ["userdata"],
        },
        sort_keys=True,
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()

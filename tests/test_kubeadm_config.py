"""kubeadm documents, cloud-init and PKI of the kubeadm adapter, checked against upstream schemas and tools.

- every generated kubeadm document is validated field by field against the v1beta4 Go types
  (tests/data/kubeadm/v1beta4_fields.json, transcribed from kubernetes/kubernetes);
- every generated shell script passes ``shellcheck -s bash``;
- the CA, its pin and the admin certificate are checked with OpenSSL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubefleet.providers.kubeadm import cloudinit, pki
from kubefleet.providers.kubeadm.kubeadm_config import (
    JoinSecrets,
    control_plane_vip,
    init_documents,
    join_document,
    kubernetes_version,
)
from kubefleet.spec.model import ClusterSpec

DATA = Path(__file__).resolve().parent / "data" / "kubeadm"
SCHEMA = json.loads((DATA / "v1beta4_fields.json").read_text())

TOKEN = "abcdef.0123456789abcdef"
SECRETS = JoinSecrets(token=TOKEN, ca_cert_hash="sha256:" + "cd" * 32)
WHEN = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC)
PKI = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=WHEN, now=WHEN)

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: cfg
  labels: {team: t, owner: o, cost-center: cc-1, env: dev}
spec:
  kubernetes: {version: "1.33.4"}
  region: us-east
  controlPlane: {replicas: 3}
  network: {nodeCidr: 192.168.0.0/20, podCidr: 10.244.0.0/16, serviceCidr: 10.112.0.0/16}
  tenancy: {isolation: sandboxed}
  nodePools:
    - name: gpu
      machine: {vcpus: 8, memoryGiB: 32}
      count: 2
      labels: {accelerator: nvidia-l4}
      taints: [{key: nvidia.com/gpu, value: present, effect: NoSchedule}, {key: dedicated, effect: NoExecute}]
"""

_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$")
_TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")


def validate(value: Any, type_name: str, path: str = "") -> list[str]:
    """Errors for ``value`` against a type of the transcribed v1beta4 schema (unknown fields, wrong kinds)."""
    errors: list[str] = []
    if type_name.startswith("[]"):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for i, item in enumerate(value):
            errors += validate(item, type_name[2:], f"{path}[{i}]")
        return errors
    if type_name == "string":
        return [] if isinstance(value, str) else [f"{path}: expected a string"]
    if type_name == "bool":
        return [] if isinstance(value, bool) else [f"{path}: expected a bool"]
    if type_name == "int":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: expected an int"]
    if type_name == "duration":
        return [] if isinstance(value, str) and _DURATION.match(value) else [f"{path}: {value!r} is not a Go duration"]
    if type_name == "token":
        return [] if isinstance(value, str) and _TOKEN.match(value) else [f"{path}: not a bootstrap token"]
    if type_name.startswith("enum:"):
        allowed = type_name[5:].split(",")
        return [] if value in allowed else [f"{path}: {value!r} not in {allowed}"]
    if type_name.startswith("map[string]"):
        return [] if isinstance(value, dict) else [f"{path}: expected a map"]
    if type_name == "any":
        return []
    fields = SCHEMA["types"][type_name]
    if not isinstance(value, dict):
        return [f"{path}: expected an object of type {type_name}"]
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: unknown field of {type_name}")
        else:
            errors += validate(item, fields[key], f"{path}.{key}")
    return errors


def validate_document(doc: dict[str, Any]) -> list[str]:
    assert doc["apiVersion"] == SCHEMA["apiVersion"]
    kind = doc["kind"]
    assert kind in SCHEMA["kinds"], kind
    return validate(doc, SCHEMA["kinds"][kind], kind)


@pytest.fixture
def spec(load_spec: Callable[[str], ClusterSpec]) -> ClusterSpec:
    return load_spec(SPEC)


def _load_yaml_all(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))


# ---- kubeadm documents ----


def test_validator_catches_unknown_and_mistyped_fields() -> None:
    bad = {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "ClusterConfiguration",
        "networking": {"podCIDR": "10.0.0.0/16"},  # the real name is podSubnet
        "apiServer": {"certSANs": "10.0.0.1"},  # must be a list
    }
    errors = validate_document(bad)
    assert any("podCIDR: unknown field" in e for e in errors)
    assert any("certSANs: expected a list" in e for e in errors)


def test_init_documents_match_v1beta4(spec: ClusterSpec) -> None:
    init, cluster = init_documents(spec, "cfg-cp0", SECRETS)
    assert validate_document(init) == []
    assert validate_document(cluster) == []
    assert init["bootstrapTokens"][0]["token"] == TOKEN
    assert "certificateKey" not in init  # no --upload-certs: masters bring the CA material themselves
    assert init["nodeRegistration"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert cluster["kubernetesVersion"] == "v1.33.4"
    assert cluster["controlPlaneEndpoint"] == "192.168.0.10:6443"
    assert cluster["networking"]["podSubnet"] == "10.244.0.0/16"
    assert cluster["networking"]["serviceSubnet"] == "10.112.0.0/16"


def test_join_documents_match_v1beta4(spec: ClusterSpec) -> None:
    pool = spec.spec.node_pools[0]
    master = join_document(spec, "cfg-cp1", SECRETS, None)
    worker = join_document(spec, "cfg-gpu-0", SECRETS, pool)
    for doc in (master, worker):
        assert validate_document(doc) == []
        discovery = doc["discovery"]["bootstrapToken"]
        assert discovery["apiServerEndpoint"] == "192.168.0.10:6443"
        assert discovery["caCertHashes"] == [SECRETS.ca_cert_hash]
        assert "unsafeSkipCAVerification" not in discovery
    assert master["controlPlane"] == {}
    assert "controlPlane" not in worker
    reg = worker["nodeRegistration"]
    assert reg["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
        {"key": "dedicated", "effect": "NoExecute"},
    ]
    assert reg["kubeletExtraArgs"] == [
        {"name": "node-labels", "value": "accelerator=nvidia-l4,kubefleet.dev/pool=gpu"}
    ]


def test_minor_only_version_uses_the_stable_label(load_spec: Callable[[str], ClusterSpec]) -> None:
    spec = load_spec(SPEC.replace('"1.33.4"', '"1.34"'))
    assert kubernetes_version(spec) == "stable-1.34"
    assert cloudinit.package_version(spec) == ""


def test_vip_is_derived_inside_the_node_network_or_taken_from_the_spec(
    load_spec: Callable[[str], ClusterSpec],
) -> None:
    assert control_plane_vip(load_spec(SPEC)) == "192.168.0.10"
    pinned = load_spec(SPEC + "  providers:\n    kubeadm: {controlPlaneVip: 192.168.1.200}\n")
    assert control_plane_vip(pinned) == "192.168.1.200"


# ---- cloud-init ----


def _user_data(spec: ClusterSpec, role: cloudinit.Role) -> str:
    pool = spec.spec.node_pools[0]
    return cloudinit.user_data(
        spec,
        hostname="node",
        role=role,
        vip=control_plane_vip(spec),
        join_document=join_document(spec, "node", SECRETS, pool if role == "worker" else None),
        init_documents=init_documents(spec, "cfg-cp0", SECRETS) if role == "init" else (),
        pki=None if role == "worker" else PKI,
    )


@pytest.mark.parametrize("role", ["init", "control-plane", "worker"])
def test_cloud_config_parses_and_carries_its_files(spec: ClusterSpec, role: cloudinit.Role) -> None:
    text = _user_data(spec, role)
    assert text.startswith("#cloud-config\n")
    doc = YAML(typ="safe", pure=True).load(text)
    files = {f["path"]: f for f in doc["write_files"]}
    # cloud-init only starts the resumable unit; the unit runs the script until it succeeds
    assert doc["runcmd"][-1] == ["systemctl", "start", "--no-block", "kubefleet-bootstrap.service"]
    unit = files[cloudinit.UNIT_PATH]["content"]
    assert f"ExecStart=/bin/bash {cloudinit.BOOTSTRAP_PATH}" in unit and "Restart=on-failure" in unit
    assert f"TimeoutStartSec={cloudinit.BOOTSTRAP_TIMEOUT_MIN}min" in unit
    env = files[cloudinit.ENV_PATH]["content"]
    assert f'ROLE="{role}"' in env
    assert 'K8S_MINOR="1.33"' in env and 'K8S_PACKAGE_VERSION="1.33.4-1.1"' in env
    assert 'CONTROL_PLANE_VIP="192.168.0.10"' in env
    assert 'SANDBOX="true"' in env
    paths = [cloudinit.JOIN_CONFIG_PATH] + ([cloudinit.INIT_CONFIG_PATH] if role == "init" else [])
    for config_path in paths:
        for kubeadm_doc in _load_yaml_all(files[config_path]["content"]):
            assert validate_document(kubeadm_doc) == []
        # files holding secrets are root-only
        assert files[config_path]["permissions"] == "0600"
    assert files[cloudinit.ENV_PATH]["permissions"] == "0600"
    if role == "init":
        calico = _load_yaml_all(files[cloudinit.CALICO_PATH]["content"])
        assert calico[0]["spec"]["calicoNetwork"]["ipPools"][0]["cidr"] == "10.244.0.0/16"
        runtime = YAML(typ="safe", pure=True).load(files[cloudinit.RUNTIMECLASS_PATH]["content"])
        assert runtime["handler"] == "runsc"
    if role == "worker":
        assert cloudinit.CA_KEY_PATH not in files  # workers hold no CA key
    else:
        assert files[cloudinit.CA_KEY_PATH]["permissions"] == "0600"
        assert files[cloudinit.CA_KEY_PATH]["content"] == PKI.ca.key_pem


def _scripts(text: str) -> list[str]:
    doc = YAML(typ="safe", pure=True).load(text)
    scripts = [f["content"] for f in doc["write_files"] if f["content"].startswith("#!")]
    for cmd in doc["runcmd"]:
        scripts.append("#!/bin/bash\n" + (cmd if isinstance(cmd, str) else " ".join(cmd)) + "\n")
    return scripts


def require_tool(name: str, package: str) -> str:
    """The tool's path; skip with the reason when it is absent, fail when CI is set (.ci/run installs it)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (apt-get install {package})")
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return found


def _shellcheck() -> str:
    return require_tool("shellcheck", "shellcheck")


@pytest.mark.parametrize("role", ["init", "control-plane", "worker"])
def test_generated_scripts_pass_shellcheck(spec: ClusterSpec, role: cloudinit.Role, tmp_path: Path) -> None:
    shellcheck = _shellcheck()
    scripts = _scripts(_user_data(spec, role))
    assert len(scripts) >= 2
    for i, script in enumerate(scripts):
        path = tmp_path / f"script-{i}.sh"
        path.write_text(script)
        result = subprocess.run([shellcheck, "-s", "bash", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_bootstrap_installs_the_pinned_kubernetes_packages() -> None:
    script = cloudinit.bootstrap_script()
    assert "https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/" in script
    assert '"kubeadm=${K8S_PACKAGE_VERSION}"' in script and '"kubelet=${K8S_PACKAGE_VERSION}"' in script
    assert "apt-mark hold kubelet kubeadm kubectl" in script
    # no --upload-certs (CABPK-style masters) and the token stays out of cloud-init's output log
    assert "kubeadm init --config /etc/kubefleet/kubeadm.yaml --skip-token-print" in script
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert "--upload-certs" not in code and "certificate-key" not in code
    assert "kubeadm join --config /etc/kubefleet/kubeadm-join.yaml" in script


def test_metadata_sets_the_hostname_and_dhcp() -> None:
    meta = json.loads(cloudinit.metadata("cfg-cp0-abc123"))
    assert meta["local-hostname"] == "cfg-cp0-abc123"
    assert meta["network"]["ethernets"]["nic0"]["dhcp4"] is True


# ---- PKI ----


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        pytest.skip("openssl is not installed")
    return found


def test_pki_is_deterministic_and_distinct_per_seed() -> None:
    a = pki.cluster_pki("01" * 32, "02" * 32, created_at=WHEN, now=WHEN)
    assert a == pki.cluster_pki("01" * 32, "02" * 32, created_at=WHEN, now=WHEN)
    b = pki.cluster_pki("03" * 32, "02" * 32, created_at=WHEN, now=WHEN)
    assert a.ca_cert_hash != b.ca_cert_hash
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", a.ca_cert_hash)
    # four distinct keys from one seed
    assert len({a.ca.key_pem, a.etcd_ca.key_pem, a.front_proxy_ca.key_pem, a.service_account.key_pem}) == 4


def test_private_material_stays_out_of_repr() -> None:
    text = repr(PKI)
    for material in (PKI.ca, PKI.etcd_ca, PKI.front_proxy_ca, PKI.service_account, PKI.admin):
        assert material.key_pem not in text
    assert "PRIVATE KEY" not in text


def test_pki_verifies_with_openssl(tmp_path: Path) -> None:
    openssl = _openssl()
    material = PKI
    files = {
        "ca.crt": material.ca_cert_pem,
        "ca.key": material.ca.key_pem,
        "admin.crt": material.admin_cert_pem,
        "admin.key": material.admin_key_pem,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    def run(*args: str, stdin: bytes | None = None) -> bytes:
        result = subprocess.run([openssl, *args], input=stdin, capture_output=True, cwd=tmp_path, check=False)
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    at = str(int(WHEN.timestamp()) + 60)
    assert b"OK" in run("verify", "-x509_strict", "-attime", at, "-CAfile", "ca.crt", "ca.crt")
    assert b"OK" in run("verify", "-x509_strict", "-attime", at, "-CAfile", "ca.crt", "-purpose", "sslclient", "admin.crt")
    # the private keys belong to the certificates
    for cert, key in (("ca.crt", "ca.key"), ("admin.crt", "admin.key")):
        assert run("pkey", "-in", key, "-pubout") == run("x509", "-in", cert, "-pubkey", "-noout")
    # caCertHashes is sha256 over the CA's DER SubjectPublicKeyInfo, as `kubeadm token create --print-join-command` prints it
    spki = run("pkey", "-pubin", "-outform", "DER", stdin=run("x509", "-in", "ca.crt", "-pubkey", "-noout"))
    assert material.ca_cert_hash == "sha256:" + hashlib.sha256(spki).hexdigest()
    subject = run("x509", "-in", "admin.crt", "-noout", "-subject").decode()
    assert "O = kubeadm:cluster-admins" in subject and "CN = kubefleet-admin" in subject
    text = run("x509", "-in", "ca.crt", "-noout", "-text").decode()
    assert "CA:TRUE" in text and "Certificate Sign" in text


def test_ca_material_is_pem() -> None:
    body = "".join(PKI.ca_cert_pem.strip().splitlines()[1:-1])
    assert base64.b64decode(body)[:1] == b"\x30"
    assert PKI.ca.key_pem.startswith("-----BEGIN EC PRIVATE KEY-----")
    assert PKI.service_account.cert_pem.startswith("-----BEGIN PUBLIC KEY-----")

"""A stand-in for a MANAGED cluster's API server (GKE, EKS, AKS), on a loopback address only.

The managed clouds hand out an endpoint and a CA; kubectl authenticates with an exec credential plugin
(gke-gcloud-auth-plugin, ``aws eks get-token``, kubelogin). In the local cloud a cluster is a JSON record,
so nothing would answer. While :func:`serve` runs:

* the local cloud reports the stand-in's loopback address as the cluster's endpoint and the stand-in's CA
  as the cluster CA (GKE ``endpoint``/``masterAuth``, EKS ``endpoint``/``certificateAuthority``, AKS
  ``fqdn`` and the CA inside ``listManagedClusterUserCredentials``), so the kubeconfig the program builds
  points here and verifies this server's certificate;
* it serves ``/readyz``, ``/version`` (the running version of the cluster record, as the cloud moves it)
  and ``/api/v1/nodes`` (one Ready node per node of each pool record, kubelet at the pool's version, else
  the control plane's), the last only with the bearer token the test's credential plugins print
  (:func:`install_auth_plugins`), as an API server refuses anonymous node listing.

Port 443 (the AKS program builds ``https://<fqdn>:443``), so the tests run as root or with
CAP_NET_BIND_SERVICE. Test-only; never shipped.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.localcloud import cloud, versions

PORT: Final = 443
CONFIG: Final = "managed_api.json"
TOKEN_ENV: Final = "LOCALCLOUD_API_TOKEN"
#: the credential plugins the programs' kubeconfigs run (providers/*/kubeconfig.py, providers/eks/cluster.py)
AUTH_PLUGINS: Final = ("gke-gcloud-auth-plugin", "aws", "kubelogin")

POOLS: Final[dict[str, str]] = {
    "gcp:container/nodePool:NodePool": "gke",
    "aws:eks/nodeGroup:NodeGroup": "eks",
    "azure-native:containerservice:AgentPool": "aks",
}


def _config(root: Path) -> dict[str, Any] | None:
    path = root / CONFIG
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def endpoint(root: Path, type_: str, outputs: dict[str, Any]) -> dict[str, Any]:
    """A cluster's outputs with the stand-in's address and CA while it serves (else unchanged)."""
    config = _config(root)
    if config is None:
        return outputs
    address, ca = config["address"], config["caData"]
    if type_ == versions.GKE_CLUSTER:
        outputs["endpoint"] = address
        outputs["masterAuth"] = {**(outputs.get("masterAuth") or {}), "clusterCaCertificate": ca}
    elif type_ == versions.EKS_CLUSTER:
        outputs["endpoint"] = f"https://{address}"
        outputs["certificateAuthority"] = {"data": ca}
    elif type_ == versions.AKS_CLUSTER:
        outputs["fqdn"] = address
    return outputs


def credentials(root: Path, token: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """AKS's listManagedClusterUserCredentials with the stand-in's CA and server."""
    config = _config(root)
    if config is None or result is None or token != "azure-native:containerservice:listManagedClusterUserCredentials":
        return result
    import yaml

    for item in result.get("kubeconfigs") or []:
        doc = yaml.safe_load(base64.b64decode(item["value"]))
        for entry in doc.get("clusters") or []:
            entry["cluster"]["certificate-authority-data"] = config["caData"]
            entry["cluster"]["server"] = f"https://{config['address']}:{PORT}"
        item["value"] = base64.b64encode(yaml.safe_dump(doc).encode()).decode()
    return result


def install_auth_plugins(bin_dir: Path) -> None:
    """Credential plugins under the names the kubeconfigs run: each prints an ExecCredential carrying the
    token in ``$LOCALCLOUD_API_TOKEN`` (and fails without it, as an unauthenticated plugin would)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    # POSIX sh, not Python: a plugin runs once per readiness check and must start fast
    script = f"""#!/bin/sh
[ -n "${TOKEN_ENV}" ] || {{ echo "not logged in" >&2; exit 1; }}
printf '{{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", '
printf '"status": {{"token": "%s"}}}}\\n' "${TOKEN_ENV}"
"""
    for name in AUTH_PLUGINS:
        path = bin_dir / name
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)


def free_loopback_address() -> str:
    """A loopback address whose :443 is free (127.0.0.0/8 all reaches this host on Linux)."""
    import random

    for _ in range(50):
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(11, 250)}"
        with socket.socket() as probe:
            try:
                probe.bind((address, PORT))
            except PermissionError:
                raise RuntimeError(f"binding port {PORT} needs root or CAP_NET_BIND_SERVICE (or "
                                   "net.ipv4.ip_unprivileged_port_start <= 443): the AKS program's kubeconfig "
                                   "names https://<fqdn>:443") from None
            except OSError:
                continue
            return address
    raise RuntimeError(f"no free loopback address with port {PORT} for the managed API stand-in")


def _issue(address: str) -> tuple[bytes, bytes, bytes]:
    """(CA PEM, serving certificate chain PEM, serving key PEM) for ``address``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localcloud-cluster-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    return ca_pem, cert.public_bytes(serialization.Encoding.PEM) + ca_pem, key_pem


@dataclass
class ManagedStandIn:
    address: str
    root: Path
    token: str
    ca_pem: bytes
    requests: list[str] = field(default_factory=list)
    not_ready: set[str] = field(default_factory=set)  # node names to report NotReady

    def cluster(self) -> tuple[str, str] | None:
        """(type, running version) of the cloud's one cluster record."""
        for record in cloud.all_resources(self.root):
            version = versions.running_version(record["type"], record["outputs"])
            if version:
                return record["type"], version
        return None

    def nodes(self, control_plane: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for record in cloud.all_resources(self.root):
            kind = POOLS.get(record["type"])
            o = record["outputs"]
            pools: list[tuple[str, int, Any]] = []
            if kind == "gke":
                pools.append((str(o.get("name") or "pool"), int(o.get("nodeCount") or o.get("initialNodeCount") or 1),
                              o.get("version")))
            elif kind == "eks":
                pools.append((str(o.get("nodeGroupName") or "ng"), int((o.get("scalingConfig") or {}).get("desiredSize") or 1),
                              o.get("version")))
            elif kind == "aks":
                pools.append((str(o.get("name") or "pool"), int(o.get("count") or 1), o.get("orchestratorVersion")))
            elif record["type"] == versions.AKS_CLUSTER:
                for profile in o.get("agentPoolProfiles") or []:
                    pools.append((str(profile.get("name") or "system"), int(profile.get("count") or 1),
                                  profile.get("orchestratorVersion")))
            for pool, count, version in pools:
                kubelet = "v" + _full(str(version or control_plane))
                for i in range(min(count, 20)):
                    name = f"{pool}-{i}"
                    ready = "False" if name in self.not_ready else "True"
                    out.append({"metadata": {"name": name},
                                "status": {"conditions": [{"type": "Ready", "status": ready,
                                                           "reason": "KubeletReady" if ready == "True" else "KubeletNotReady"}],
                                           "nodeInfo": {"kubeletVersion": kubelet}}})
        return out


def _full(version: str) -> str:
    parts = version.split("-", 1)[0].split(".")
    while len(parts) < 3:
        parts.append("0")
    suffix = version.split("-", 1)[1] if "-" in version else ""
    return ".".join(parts[:3]) + (f"-{suffix}" if suffix else "")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _send(self, status: int, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        standin = self.server.standin
        standin.requests.append(self.path)
        found = standin.cluster()
        if found is None:
            self._send(503, b"no cluster")
            return
        _, running = found
        if self.path == "/readyz":
            self._send(200, b"ok")
        elif self.path == "/version":
            full = _full(running)
            major, minor = full.split(".")[:2]
            self._send(200, {"major": major, "minor": minor, "gitVersion": f"v{full}"})
        elif self.path == "/api/v1/nodes":
            if self.headers.get("Authorization") != f"Bearer {standin.token}":
                self._send(401, {"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401})
                return
            self._send(200, {"kind": "NodeList", "apiVersion": "v1", "items": standin.nodes(running)})
        else:
            self._send(404, b"not found")

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: ManagedStandIn, context: ssl.SSLContext) -> None:
        self.standin = standin
        self.context = context
        super().__init__((standin.address, PORT), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(10)
        return self.context.wrap_socket(sock, server_side=True), address


def serve(root: Path, address: str, token: str) -> Iterator[ManagedStandIn]:
    """Serve ``https://<address>:443`` and point the local cloud's managed clusters at it while the
    caller's ``with`` block runs (a generator for contextlib.contextmanager / pytest fixtures)."""
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"the managed API stand-in only binds loopback addresses, not {address}")
    ca_pem, chain_pem, key_pem = _issue(address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "c.pem").write_bytes(chain_pem)
        (Path(tmp) / "k.pem").write_bytes(key_pem)
        context.load_cert_chain(Path(tmp) / "c.pem", Path(tmp) / "k.pem")
    standin = ManagedStandIn(address=address, root=root, token=token, ca_pem=ca_pem)
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG).write_text(json.dumps({"address": address, "caData": base64.b64encode(ca_pem).decode()}),
                               encoding="utf-8")
    server = _Server(standin, context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"managed-api-{address}", daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        (root / CONFIG).unlink(missing_ok=True)


"""A stand-in for the API server a kubeadm control plane brings up, on a LOOPBACK VIP only.

kubefleet's kubeadm program waits for ``https://<vip>:6443/readyz`` (providers/kubeadm/readiness.py) before
it talks to the cluster. In the local cloud a "VM" is a JSON record, so nothing would ever answer. This
stand-in plays the part of the first master after ``kubeadm init`` and kube-vip:

* it answers only once the local cloud holds a control-plane VM whose cloud-init user data (the
  ``guestinfo.userdata`` the program gave vSphere) carries the cluster CA and kubeadm's init documents,
  so a program that gates on /readyz before its masters exist, or ships a master without the CA, hangs
  and fails here as it would in a datacenter;
* its serving certificate is issued the way kubeadm issues ``apiserver.crt``: signed by the CA key from
  the user data, with the subject alternative names of
  kubernetes/kubernetes@025f2834a128798cef30018a5e6a6ae82b5ad885:cmd/kubeadm/app/util/pkiutil/pki_helpers.go
  (``GetAPIServerAltNames``: the node name, kubernetes.default…, the first service IP, the advertise
  address, the ``controlPlaneEndpoint`` host and ``apiServer.certSANs``). If the program's VIP is not
  among them the client's hostname check fails, exactly as against a real cluster;
* every master's user data must carry the SAME CA (a joining master with another CA breaks etcd and the
  API server's client authentication), otherwise it refuses to serve and says why in ``problems``.

It binds ``<vip>:6443`` where the VIP must be a loopback address (127.0.0.0/8): tests never send traffic
anywhere else. Test-only; never shipped.
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

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubefleet.providers.kubeadm import cloudinit
from kubefleet.providers.kubeadm.nodes import ROLE_KEY
from tests.localcloud import cloud

VM_TYPE: Final = "vsphere:index/virtualMachine:VirtualMachine"
PORT: Final = 6443


def require_loopback(address: str) -> None:
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"the API-server stand-in only binds loopback addresses, not {address}")


@dataclass(frozen=True)
class ControlPlane:
    """What the masters' user data says: the CA, and the SANs kubeadm would put on apiserver.crt."""

    ca_cert_pem: str
    ca_key_pem: str
    dns_names: tuple[str, ...]
    ips: tuple[str, ...]


def _files(user_data_b64: str) -> dict[str, str]:
    doc = yaml.safe_load(base64.b64decode(user_data_b64))
    return {f["path"]: f["content"] for f in doc.get("write_files", [])}


def _service_vip(service_cidr: str) -> str:
    # kubeadm constants GetAPIServerVirtualIP: the first address of the service subnet
    return str(ipaddress.ip_network(service_cidr, strict=False).network_address + 1)


def read_control_plane(root: Path) -> tuple[ControlPlane | None, list[str]]:
    """The control plane the local cloud's master VMs would form, or None and the reasons why not."""
    masters = []
    for record in cloud.all_resources(root):
        if record["type"] != VM_TYPE:
            continue
        extra = record["outputs"].get("extraConfig") or {}
        if extra.get(ROLE_KEY) in ("init", "control-plane"):
            masters.append(record)
    if not masters:
        return None, ["no control-plane VM exists yet"]
    cas: set[tuple[str, str]] = set()
    init: dict[str, Any] | None = None
    cluster: dict[str, Any] | None = None
    advertise: list[str] = []
    for record in masters:
        files = _files(record["outputs"]["extraConfig"]["guestinfo.userdata"])
        if cloudinit.CA_CERT_PATH not in files or cloudinit.CA_KEY_PATH not in files:
            return None, [f"{record['urn']}: no {cloudinit.CA_CERT_PATH}/{cloudinit.CA_KEY_PATH} in its user data"]
        cas.add((files[cloudinit.CA_CERT_PATH], files[cloudinit.CA_KEY_PATH]))
        if cloudinit.INIT_CONFIG_PATH in files:
            docs = {d["kind"]: d for d in yaml.safe_load_all(files[cloudinit.INIT_CONFIG_PATH]) if d}
            init, cluster = docs.get("InitConfiguration"), docs.get("ClusterConfiguration")
        address = record["outputs"].get("defaultIpAddress")
        if address:
            advertise.append(str(address))
    if len(cas) != 1:
        return None, [f"the {len(masters)} masters carry {len(cas)} different CAs"]
    if init is None or cluster is None:
        return None, ["no master carries kubeadm's InitConfiguration and ClusterConfiguration"]
    endpoint_host = str(cluster["controlPlaneEndpoint"]).rsplit(":", 1)[0]
    networking = cluster.get("networking", {})
    names = [str(init["nodeRegistration"]["name"]), "kubernetes", "kubernetes.default", "kubernetes.default.svc",
             f"kubernetes.default.svc.{networking.get('dnsDomain', 'cluster.local')}"]
    ips = [_service_vip(str(networking.get("serviceSubnet", "10.96.0.0/12"))), *advertise[:1]]
    for san in [endpoint_host, *cluster.get("apiServer", {}).get("certSANs", [])]:
        try:
            ips.append(str(ipaddress.ip_address(san)))
        except ValueError:
            names.append(str(san))
    ((ca_cert, ca_key),) = cas
    return ControlPlane(ca_cert, ca_key, tuple(dict.fromkeys(names)), tuple(dict.fromkeys(ips))), []


def serving_certificate(plane: ControlPlane) -> tuple[bytes, bytes]:
    """apiserver.crt/.key as kubeadm would issue them from this CA (PEM)."""
    ca_cert = x509.load_pem_x509_certificate(plane.ca_cert_pem.encode())
    ca_key = serialization.load_pem_private_key(plane.ca_key_pem.encode(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in plane.dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in plane.ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        # as Go's x509.CreateCertificate fills them in for kubeadm's NewSignedCert: key usage, server auth,
        # not a CA, and both key identifiers (openssl -x509_strict insists on the authority one)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
                       critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM) + plane.ca_cert_pem.encode(), key_pem


@dataclass
class StandIn:
    """The running stand-in: what it saw (``requests``) and why it did not answer (``problems``)."""

    vip: str
    root: Path
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def context(self) -> ssl.SSLContext | None:
        plane, why = read_control_plane(self.root)
        with self._lock:
            if plane is None:
                self.problems[:] = why
                return None
            self.problems.clear()
            digest = plane.ca_cert_pem + "|" + json.dumps([plane.dns_names, plane.ips])
            if digest not in self._contexts:
                cert, key = serving_certificate(plane)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                with tempfile.TemporaryDirectory() as tmp:
                    (Path(tmp) / "c.pem").write_bytes(cert)
                    (Path(tmp) / "k.pem").write_bytes(key)
                    ctx.load_cert_chain(Path(tmp) / "c.pem", Path(tmp) / "k.pem")
                self._contexts[digest] = ctx
            return self._contexts[digest]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.standin.requests.append(self.path)
        body, status = (b"ok", 200) if self.path == "/readyz" else (b"not found", 404)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        super().__init__((standin.vip, PORT), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(10)
        ctx = self.standin.context()
        if ctx is None:  # no API server yet: the connection goes nowhere, as before kube-vip holds the VIP
            sock.close()
            raise OSError("no control plane yet")
        return ctx.wrap_socket(sock, server_side=True), address


def serve(root: Path, vip: str) -> Iterator[StandIn]:
    """Serve ``https://<vip>:6443`` while the caller's ``with`` block runs (a generator for
    contextlib.contextmanager / pytest fixtures)."""
    require_loopback(vip)
    standin = StandIn(vip=vip, root=root)
    server = _Server(standin)
    thread = threading.Thread(target=server.serve_forever, name=f"apiserver-{vip}", daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

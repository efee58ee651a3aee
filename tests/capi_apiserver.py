"""A real kube-apiserver + etcd with Cluster API's and CAPV's CRDs installed: the oracle for every Cluster API
object the kubeadm target renders (server-side dry run, strict field validation).

The binaries are built from their Go modules by scripts/build-kube-apiserver.sh (k8s.io/kubernetes
v1.35.4, etcd v3.6.5) into ``~/.cache/kubefleet/kube-apiserver-<k8s>-etcd-<etcd>/bin``; point
KUBEFLEET_TEST_KUBE_APISERVER_DIR elsewhere to use other ones. The CRDs are the pinned upstream files in
tests/data/capi/crds (see tests/data/capi/PROVENANCE.md). Nothing here downloads anything.

What the dry run checks, all in the apiserver's own code: the CRDs' structural OpenAPI v3 schemas
(types, enums, formats, min/max, required), their ``x-kubernetes-validations`` CEL rules, unknown and
duplicate fields (``fieldValidation=Strict``), defaulting, and object metadata (names, labels). What it
does not: Cluster API's and CAPV's admission webhooks (they run in the providers' managers, not in the
apiserver; tests/test_capi_webhook_rules.py checks the day-2 rules against the cited webhook code), and
anything a controller decides later (vCenter objects, bootstrap data).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CRD_DIR = Path(__file__).parent / "data" / "capi" / "crds"
K8S_VERSION = "v1.35.4"
ETCD_VERSION = "v3.6.5"
NAMESPACE = "kubefleet-oracle"


def binaries_dir() -> Path | None:
    """Where kube-apiserver and etcd are, or None when they were not built (no Go toolchain)."""
    env = os.environ.get("KUBEFLEET_TEST_KUBE_APISERVER_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubefleet"
    found = cache / f"kube-apiserver-{K8S_VERSION}-etcd-{ETCD_VERSION}" / "bin"
    if (found / "kube-apiserver").is_file() and (found / "etcd").is_file():
        return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DryRunResult:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return str(self.body.get("message", self.body))


class ApiServer:
    def __init__(self, url: str, token: str, ca_file: Path) -> None:
        self.url = url
        self.token = token
        self.ca_file = ca_file
        self._ctx = ssl.create_default_context(cafile=str(ca_file))
        self._ctx.check_hostname = False  # the self-signed serving cert names the host, we dial 127.0.0.1
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}
        self._conn: http.client.HTTPSConnection | None = None
        #: True when Cluster API's managers run and their webhooks are registered
        self.webhooks = False

    def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, content_type: str = "application/json"
    ) -> DryRunResult:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type, "Accept": "application/json"}
        for attempt in (1, 2):  # one persistent TLS connection; reopened once if the server closed it
            if self._conn is None:
                host, port = self.url.removeprefix("https://").split(":")
                self._conn = http.client.HTTPSConnection(host, int(port), context=self._ctx, timeout=30)
            try:
                self._conn.request(method, path, body=data, headers=headers)
                resp = self._conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            parsed = {"message": raw.decode(errors="replace")}
        if not isinstance(parsed, dict):
            parsed = {"message": str(parsed)}
        return DryRunResult(resp.status, parsed)

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) from API discovery."""
        key = (api_version, kind)
        if key not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            listing = self.request("GET", base).body
            for res in listing.get("resources", []):
                if "/" not in res["name"]:
                    self._resources[(api_version, res["kind"])] = (res["name"], bool(res["namespaced"]))
        if key not in self._resources:
            raise KeyError(f"the apiserver serves no {kind} in {api_version}")
        return self._resources[key]

    def path_for(self, obj: Mapping[str, Any], namespace: str = NAMESPACE) -> str:
        api_version, kind = obj["apiVersion"], obj["kind"]
        plural, namespaced = self._resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        ns = f"/namespaces/{obj.get('metadata', {}).get('namespace') or namespace}" if namespaced else ""
        return f"{base}{ns}/{plural}"

    def merge_patch(self, path: str, patch: Mapping[str, Any]) -> DryRunResult:
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def dry_run(self, obj: Mapping[str, Any]) -> DryRunResult:
        """POST with ``dryRun=All&fieldValidation=Strict``: validated and admitted, never stored.

        The apiserver is shared by the whole session and other tests create objects for real (test_capi_render
        creates every rendered object; the ClusterResourceSet delivery test lets Cluster API apply the backup
        objects), so a create of a name that already exists answers 409 AlreadyExists before validating
        anything. Then the same object goes through a server-side apply dry run (``dryRun=All``, strict field
        validation, forced ownership): validated and admitted as the object it would become, never stored, so
        the verdict does not depend on test order."""
        created = self.request("POST", self.path_for(obj) + "?dryRun=All&fieldValidation=Strict", obj)
        if created.status != 409 or created.body.get("reason") != "AlreadyExists":
            return created
        path = (f"{self.path_for(obj)}/{obj['metadata']['name']}"
                "?dryRun=All&fieldValidation=Strict&fieldManager=kubefleet-tests&force=true")
        return self.request("PATCH", path, obj, content_type="application/apply-patch+yaml")

    def create(self, obj: Mapping[str, Any]) -> DryRunResult:
        return self.request("POST", self.path_for(obj) + "?fieldValidation=Strict", obj)

    def dry_run_update(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> DryRunResult:
        """Store ``old`` for real, then PUT ``new`` as a dry run: the CRDs' transition rules (CEL
        ``oldSelf``) see both."""
        created = self.create(old)
        if not created.ok:
            return created
        body = json.loads(json.dumps(new))
        body.setdefault("metadata", {})["resourceVersion"] = created.body["metadata"]["resourceVersion"]
        name = old["metadata"]["name"]
        try:
            return self.request("PUT", f"{self.path_for(new)}/{name}?dryRun=All&fieldValidation=Strict", body)
        finally:
            self.request("DELETE", f"{self.path_for(old)}/{name}")


def _wait(predicate: Any, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s\n{tail}")


#: Labels the providers' kustomizations put on their CRDs (clusterctl installs them so): the topology
#: controller and webhooks read a referenced kind's contract from ``cluster.x-k8s.io/<contract>`` labels.
#: cluster-api@v1.13.6: config/default/kustomization.yaml:5-8, controlplane/kubeadm/config/crd/
#: kustomization.yaml:1-6, controlplane/kubeadm/config/default/kustomization.yaml:5-8, bootstrap/kubeadm/
#: config/crd/kustomization.yaml:1-6, bootstrap/kubeadm/config/default/kustomization.yaml:6-9;
#: cluster-api-provider-vsphere@v1.16.1: config/default/crd/kustomization.yaml:1-3,
#: config/default/kustomization.yaml:9-10.
_CONTRACT = {"cluster.x-k8s.io/v1beta1": "v1beta1", "cluster.x-k8s.io/v1beta2": "v1beta2"}
CRD_LABELS: dict[str, dict[str, str]] = {
    "cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "cluster-api"},
    "addons.cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "cluster-api"},
    "runtime.cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "cluster-api"},
    "controlplane.cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "control-plane-kubeadm", **_CONTRACT},
    "bootstrap.cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "bootstrap-kubeadm", **_CONTRACT},
    "infrastructure.cluster.x-k8s.io": {"cluster.x-k8s.io/provider": "infrastructure-vsphere", **_CONTRACT},
}


def _install_crds(api: ApiServer, only: str | None = None) -> None:
    names = []
    for path in sorted(CRD_DIR.glob("*/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or (only is not None and doc["metadata"]["name"] != only):
                continue
            group = doc["spec"]["group"]
            if "ipam-in-cluster" not in path.parent.name and group in CRD_LABELS:
                doc["metadata"].setdefault("labels", {}).update(CRD_LABELS[group])
            result = api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc)
            if not result.ok:
                raise RuntimeError(f"installing {path.name}: {result.message}")
            names.append(doc["metadata"]["name"])

    def established() -> bool:
        for name in names:
            crd = api.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").body
            conds = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
            if conds.get("Established") != "True":
                return False
        return True

    _wait(established, 60, "CRDs Established")


def reinstall_crd(api: ApiServer, name: str) -> None:
    """Put one pinned CRD back (after a test removed it), once the old one is gone."""
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
    got = api.request("GET", path)
    if got.ok and not got.body.get("metadata", {}).get("deletionTimestamp"):
        return  # still installed
    _wait(lambda: api.request("GET", path).status == 404, 60, f"CRD {name} deleted")
    _install_crds(api, only=name)


def managers_dir() -> Path | None:
    """Where Cluster API's managers are (scripts/build-capi-managers.sh), or None when not built."""
    env = os.environ.get("KUBEFLEET_TEST_CAPI_MANAGERS_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubefleet"
    found = cache / f"cluster-api-{CAPI_VERSION}" / "bin"
    if all((found / n).is_file() for n in MANAGERS):
        return found
    return None


CAPI_VERSION = "v1.13.6"
#: binary -> the webhook manifest it serves (copied from the module by the build script)
MANAGERS = {"capi-manager": "capi-webhooks.yaml", "kcp-manager": "kcp-webhooks.yaml", "cabpk-manager": "cabpk-webhooks.yaml"}


def _serving_cert(work: Path) -> bytes:
    """A CA and a 127.0.0.1 serving certificate for the managers' webhook servers; returns the CA PEM."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubefleet-oracle-webhook-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    certs = work / "webhook-certs"
    certs.mkdir()
    (certs / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (certs / "tls.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca.public_bytes(serialization.Encoding.PEM)


def _start_managers(api: ApiServer, mgr_dir: Path, work: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    """Cluster API's three managers against ``api``, their admission webhooks registered with it exactly as
    their manifests declare them (the in-cluster Service replaced by a URL on 127.0.0.1)."""
    import base64

    ca_pem = _serving_cert(work)
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "oracle",
        "clusters": [{"name": "oracle", "cluster": {"server": api.url, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "oracle", "user": {"token": api.token}}],
        "contexts": [{"name": "oracle", "context": {"cluster": "oracle", "user": "oracle"}}],
    }))
    ports = {}
    for binary, manifest in MANAGERS.items():
        port = _free_port()
        ports[binary] = port
        log = work / f"{binary}.log"
        with log.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(mgr_dir / binary), "--kubeconfig", str(kubeconfig),
                 "--webhook-port", str(port), "--webhook-cert-dir", str(work / "webhook-certs"),
                 "--health-addr", f"127.0.0.1:{_free_port()}",
                 "--diagnostics-address", f"127.0.0.1:{_free_port()}", "--insecure-diagnostics",
                 "--leader-elect=false", "--feature-gates", "ClusterTopology=true"],
                stdout=out, stderr=subprocess.STDOUT,
            ))
        for doc in yaml.safe_load_all((mgr_dir / manifest).read_text()):
            if not doc:
                continue
            doc["metadata"]["name"] = f"{binary}-{doc['metadata']['name']}"
            for hook in doc["webhooks"]:
                path = hook["clientConfig"].pop("service")["path"]
                hook["clientConfig"]["url"] = f"https://127.0.0.1:{port}{path}"
                hook["clientConfig"]["caBundle"] = base64.b64encode(ca_pem).decode()
            plural = "mutatingwebhookconfigurations" if doc["kind"].startswith("Mutating") else "validatingwebhookconfigurations"
            made = api.request("POST", f"/apis/admissionregistration.k8s.io/v1/{plural}", doc)
            if not made.ok:
                raise RuntimeError(f"registering {binary}'s webhooks: {made.message}")

    def serving() -> bool:
        for binary, port in ports.items():
            proc = procs[list(MANAGERS).index(binary) - len(MANAGERS)]
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited:\n" + (work / f"{binary}.log").read_text(errors="replace")[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            except OSError:
                return False
        return True

    _wait(serving, 90, "Cluster API webhook servers")


@contextmanager
def running_apiserver(bin_dir: Path, mgr_dir: Path | None = None) -> Iterator[ApiServer]:
    """etcd and kube-apiserver in a temporary directory, the CRDs installed and a namespace created; with
    ``mgr_dir``, Cluster API's managers running against it with their admission webhooks registered."""
    work = Path(tempfile.mkdtemp(prefix="kubefleet-apiserver-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        client, peer, secure = _free_port(), _free_port(), _free_port()
        etcd_log = work / "etcd.log"
        with etcd_log.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(bin_dir / "etcd"), "--data-dir", str(work / "etcd"),
                 "--listen-client-urls", f"http://127.0.0.1:{client}",
                 "--advertise-client-urls", f"http://127.0.0.1:{client}",
                 "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                 "--initial-cluster", f"default=http://127.0.0.1:{peer}",
                 "--unsafe-no-fsync", "--log-level", "warn"],
                stdout=out, stderr=subprocess.STDOUT,
            ))
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (work / "sa.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ))
        (work / "sa.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ))
        token = os.urandom(16).hex()
        (work / "tokens.csv").write_text(f'{token},kubefleet-oracle,1,"system:masters"\n')
        certs = work / "certs"
        api_log = work / "apiserver.log"
        with api_log.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(bin_dir / "kube-apiserver"),
                 "--etcd-servers", f"http://127.0.0.1:{client}",
                 "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
                 "--secure-port", str(secure), "--cert-dir", str(certs),
                 "--service-cluster-ip-range", "10.0.0.0/24",
                 "--service-account-issuer", "https://kubefleet.invalid",
                 "--service-account-key-file", str(work / "sa.pub"),
                 "--service-account-signing-key-file", str(work / "sa.key"),
                 "--token-auth-file", str(work / "tokens.csv"),
                 "--authorization-mode", "RBAC",
                 "--disable-admission-plugins", "ServiceAccount",
                 "--allow-privileged=true"],
                stdout=out, stderr=subprocess.STDOUT,
            ))
        ca = certs / "apiserver.crt"
        _wait(ca.exists, 30, "kube-apiserver serving certificate", api_log)
        api = ApiServer(f"https://127.0.0.1:{secure}", token, ca)

        def ready() -> bool:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(
                    "etcd or kube-apiserver exited:\n" + etcd_log.read_text(errors="replace")[-2000:]
                    + api_log.read_text(errors="replace")[-3000:]
                )
            try:
                return api.request("GET", "/readyz").status == 200
            except OSError:
                return False

        _wait(ready, 90, "kube-apiserver /readyz", api_log)
        _install_crds(api)
        made = api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        if not made.ok:
            raise RuntimeError(f"namespace: {made.message}")
        if mgr_dir is not None:
            _start_managers(api, mgr_dir, work, procs)
        api.webhooks = mgr_dir is not None
        yield api
    finally:
        for proc in procs[2:]:  # the managers: nothing of theirs to keep, no graceful shutdown to wait for
            proc.kill()
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)

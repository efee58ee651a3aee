"""kubeadm on vSphere after day 0: joins, scale, expiry, secrets - checked against tools and sources we did
not write.

Oracles: cloud-init's own ``cloud-init schema`` (Debian package), OpenSSL (``verify -x509_strict
-attime``, a real TLS handshake through Python's ssl), RFC 6979 appendix A.2.5 vectors, and the upstream
rules cited next to each test (Cluster API CABPK/KCP, terraform-provider-vsphere, cloud-init's VMware
datasource). Tests that need a tool skip with a reason when it is absent; CI installs them (.ci/run).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from ruamel.yaml import YAML

import kubefleet.render.offline as render_module
from kubefleet.errors import KubefleetError, RenderError, SpecError
from kubefleet.graph import ResourceGraph
from kubefleet.providers import get_adapter
from kubefleet.providers.kubeadm import bootstrap_token, cloudinit, pki, readiness, topology
from kubefleet.render.offline import render
from kubefleet.spec.limits import MAX_MINOR, MIN_MINOR
from kubefleet.spec.loader import LoadedSpec
from kubefleet.spec.model import ClusterSpec
from tests import test_provider_kubeadm as _shared
from tests.conftest import example_specs, shape_resolver
from tests.test_kubeadm_config import require_tool

# fixtures shared with tests/test_provider_kubeadm.py (the mock-monitor shim and the plain-input recorder)
_invoke_failures_as_list = _shared._invoke_failures_as_list
plain_inputs = _shared.plain_inputs

VM = "vsphere:index/virtualMachine:VirtualMachine"
CREATED = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC)

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: day2
  labels: {team: infra, owner: kim, cost-center: cc-42, env: staging}
spec:
  kubernetes: {version: "1.33.4"}
  region: europe-west
  controlPlane: {availability: regional, replicas: 3, endpoint: private}
  network: {nodeCidr: 172.20.0.0/16, podCidr: 10.128.0.0/14, serviceCidr: 10.96.0.0/16}
  tenancy: {isolation: sandboxed}
  addons: {istio: {mode: self-managed}}
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      count: 2
  providers:
    kubeadm:
      controlPlaneVip: 172.20.0.5
"""


# ---- render helpers: plain inputs and the registration options the engine would get ----


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Resource name -> its RegisterResource request (ignoreChanges, dependencies, ...)."""
    seen: dict[str, Any] = {}
    original = render_module._make_mocks_and_monitor

    def patched(adapter: Any) -> Any:
        the_mocks, monitor, recorded = original(adapter)
        register = monitor.RegisterResource

        def spy(request: Any) -> Any:
            seen[request.name] = request
            return register(request)

        monitor.RegisterResource = spy
        return the_mocks, monitor, recorded

    monkeypatch.setattr(render_module, "_make_mocks_and_monitor", patched)
    yield seen


def _render(spec: ClusterSpec) -> ResourceGraph:
    return render(spec, "kubeadm", resolver=shape_resolver("kubeadm"))


def _user_data_text(inputs: dict[str, Any]) -> str:
    return base64.b64decode(inputs["extraConfig"]["guestinfo.userdata"]).decode()


def _files(text: str) -> dict[str, str]:
    doc = YAML(typ="safe", pure=True).load(text)
    return {f["path"]: f["content"] for f in doc["write_files"]}


@pytest.fixture
def day2(load_spec: Callable[[str], ClusterSpec]) -> ClusterSpec:
    return load_spec(SPEC)


# ---- cloud-init's own schema validator over every rendered user data ----


def _cloud_init() -> str:
    return require_tool("cloud-init", "cloud-init")  # gives `cloud-init schema`


def _schema(tool: str, path: Path) -> subprocess.CompletedProcess[str]:
    # cloud-init 22.4 (Debian bookworm): `cloud-init schema --config-file FILE`, exit 0 valid / 1 invalid
    return subprocess.run([tool, "schema", "--config-file", str(path)], capture_output=True, text=True, check=False)


def _kubeadm_examples() -> list[LoadedSpec]:
    out = []
    for loaded in example_specs():
        if MIN_MINOR <= loaded.spec.spec.kubernetes.minor_number <= MAX_MINOR:
            out.append(loaded)
    return out


@pytest.mark.parametrize("loaded", _kubeadm_examples(), ids=lambda s: s.spec.name)
def test_every_role_of_every_example_passes_cloud_init_schema(
    loaded: LoadedSpec, plain_inputs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    tool = _cloud_init()
    graph = _render(loaded.spec)
    roles: dict[str, str] = {}
    for vm in graph.of_type(VM):
        text = _user_data_text(plain_inputs[vm.name])
        role = next(line for line in _files(text)[cloudinit.ENV_PATH].splitlines() if line.startswith("ROLE="))
        roles.setdefault(role, text)
    assert set(roles) == {'ROLE="init"', 'ROLE="control-plane"', 'ROLE="worker"'} or (
        loaded.spec.spec.control_plane.replicas == 1 and set(roles) == {'ROLE="init"', 'ROLE="worker"'}
    )
    for role, text in roles.items():
        path = tmp_path / f"{role.split('=')[1].strip(chr(34))}.yaml"
        path.write_text(text)
        result = _schema(tool, path)
        assert result.returncode == 0, f"{role}: {result.stdout}{result.stderr}"
        assert "Valid cloud-config" in result.stdout


def test_cloud_init_schema_rejects_a_broken_document(tmp_path: Path, day2: ClusterSpec) -> None:
    """The validator is not a rubber stamp: our own document with one misspelt key and one wrong type fails."""
    tool = _cloud_init()
    good = cloudinit.user_data(
        day2,
        hostname="x",
        role="worker",
        vip="172.20.0.5",
        join_document={"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "JoinConfiguration"},
    )
    broken = good.replace("write_files:", "write_file:").replace("manage_etc_hosts: true", "manage_etc_hosts: maybe")
    assert broken != good
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    result = _schema(tool, path)
    assert result.returncode != 0
    assert "manage_etc_hosts" in result.stdout + result.stderr


def test_metadata_redacts_the_user_data(day2: ClusterSpec, plain_inputs: dict[str, dict[str, Any]]) -> None:
    """cloud-init's VMware datasource clears the keys listed under ``redact`` once read
    (canonical/cloud-init@04eacd0: doc/rtd/reference/datasources/vmware.rst:238-262)."""
    import json

    graph = _render(day2)
    for vm in graph.of_type(VM):
        meta = json.loads(base64.b64decode(plain_inputs[vm.name]["extraConfig"]["guestinfo.metadata"]))
        assert meta["redact"] == ["userdata"]


# ---- PKI: OpenSSL strict verification, expiry a year ahead, renewal ----


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        pytest.skip("openssl is not installed")
    return found


def _verify(tmp_path: Path, ca: str, leaf: str, at: dt.datetime, purpose: str | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "ca.pem").write_text(ca)
    (tmp_path / "leaf.pem").write_text(leaf)
    args = [_openssl(), "verify", "-x509_strict", "-attime", str(int(at.timestamp())), "-CAfile", "ca.pem"]
    if purpose:
        args += ["-purpose", purpose]
    return subprocess.run([*args, "leaf.pem"], capture_output=True, text=True, cwd=tmp_path, check=False)


def test_every_ca_and_the_admin_certificate_verify_strictly_a_year_ahead(tmp_path: Path) -> None:
    material = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=CREATED)
    year = CREATED + dt.timedelta(days=365) - dt.timedelta(hours=1)
    for ca in (material.ca, material.etcd_ca, material.front_proxy_ca):
        result = _verify(tmp_path, ca.cert_pem, ca.cert_pem, year)
        assert result.returncode == 0 and "OK" in result.stdout, result.stderr
    result = _verify(tmp_path, material.ca_cert_pem, material.admin_cert_pem, year, "sslclient")
    assert result.returncode == 0, result.stderr
    # ...and not on day 366 without a renewal: validity is real, not unbounded
    late = CREATED + dt.timedelta(days=366)
    assert _verify(tmp_path, material.ca_cert_pem, material.admin_cert_pem, late, "sslclient").returncode != 0
    # nor before the creation time kept in state (minus the clock-skew allowance)
    early = CREATED - dt.timedelta(hours=1)
    assert _verify(tmp_path, material.ca_cert_pem, material.admin_cert_pem, early, "sslclient").returncode != 0


def test_a_later_run_renews_the_admin_certificate_before_expiry(tmp_path: Path) -> None:
    """A ``pulumi up`` in the renewal window re-issues the admin certificate; the CAs stay byte-identical."""
    first = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=CREATED)
    later = CREATED + dt.timedelta(days=300)
    renewed = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=later)
    assert renewed.ca == first.ca and renewed.etcd_ca == first.etcd_ca and renewed.ca_cert_hash == first.ca_cert_hash
    assert renewed.admin_cert_pem != first.admin_cert_pem
    day_400 = CREATED + dt.timedelta(days=400)
    assert _verify(tmp_path, first.ca_cert_pem, first.admin_cert_pem, day_400, "sslclient").returncode != 0
    result = _verify(tmp_path, renewed.ca_cert_pem, renewed.admin_cert_pem, day_400, "sslclient")
    assert result.returncode == 0, result.stderr
    # within one window the certificate is byte-identical (no diff on every run)
    again = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=later + dt.timedelta(days=1))
    assert again.admin_cert_pem == renewed.admin_cert_pem


def test_the_daily_identity_is_short_lived_and_revocable(
    tmp_path: Path, day2: ClusterSpec, requests: dict[str, Any]
) -> None:
    material = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=CREATED)
    ok = _verify(tmp_path, material.ca_cert_pem, material.operator.cert_pem, CREATED + dt.timedelta(days=29), "sslclient")
    assert ok.returncode == 0, ok.stderr
    late = _verify(tmp_path, material.ca_cert_pem, material.operator.cert_pem, CREATED + dt.timedelta(days=31), "sslclient")
    assert late.returncode != 0  # 30 days, renewed every 10 by `pulumi up`
    subject = x509.load_pem_x509_certificate(material.operator.cert_pem.encode()).subject.rfc4514_string()
    assert "O=kubefleet:operators" in subject and "kubeadm:cluster-admins" not in subject
    # its rights come from a binding kubefleet manages: deleting the binding revokes it
    graph = _render(day2)
    binding = graph.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    assert binding.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubefleet:operators"}]
    assert binding.inputs["roleRef"]["name"] == "cluster-admin"
    assert graph.outputs["breakGlassKubeconfig"] == "[secret]" and graph.outputs["kubeconfig"] == "[secret]"


def test_certificates_are_dated_from_the_creation_time_not_from_code() -> None:
    for created in (CREATED, CREATED + dt.timedelta(days=4000)):
        material = pki.cluster_pki("11" * 32, "22" * 32, created_at=created, now=created)
        cert = x509.load_pem_x509_certificate(material.ca_cert_pem.encode())
        assert cert.not_valid_before_utc == created - pki.CLOCK_SKEW
        assert cert.not_valid_after_utc == created + dt.timedelta(days=3650)


# ---- signatures: RFC 6979 vectors and a second implementation ----

# RFC 6979 appendix A.2.5 (ECDSA, 256 bits, prime field), SHA-256 signatures.
RFC6979_X = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC6979_VECTORS = {
    b"sample": (
        0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
        0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8,
    ),
    b"test": (
        0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,
        0x019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083,
    ),
}


@pytest.mark.parametrize("message", sorted(RFC6979_VECTORS))
def test_deterministic_ecdsa_matches_rfc6979_vectors(message: bytes) -> None:
    key = ec.derive_private_key(RFC6979_X, ec.SECP256R1())
    signature = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    assert decode_dss_signature(signature) == RFC6979_VECTORS[message]


def test_certificate_signatures_are_the_rfc6979_signatures_of_their_tbs() -> None:
    """The certificate's signature equals the RFC 6979 signature (path checked by the vectors above) of its
    TBSCertificate under the issuer key: determinism comes from the standard, not from our code."""
    material = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=CREATED, now=CREATED)
    ca_key = serialization.load_pem_private_key(material.ca.key_pem.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    for pem in (material.ca_cert_pem, material.admin_cert_pem):
        cert = x509.load_pem_x509_certificate(pem.encode())
        expected = ca_key.sign(cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        assert cert.signature == expected
        # and a second verifier (OpenSSL via cryptography's public-key API) accepts it
        ca_key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))


def test_the_ca_serves_a_real_tls_handshake_and_the_readyz_gate_passes(tmp_path: Path) -> None:
    """An HTTPS /readyz served with a certificate from our CA (IP SAN 127.0.0.1): Python's ssl (OpenSSL)
    completes the handshake with hostname checking on, and the gate returns; a closed port times out."""
    import ipaddress

    material = pki.cluster_pki("5a" * 32, "a5" * 32, created_at=dt.datetime.now(dt.UTC), now=dt.datetime.now(dt.UTC))
    ca_key = serialization.load_pem_private_key(material.ca.key_pem.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    server_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(x509.load_pem_x509_certificate(material.ca_cert_pem.encode()).subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.key").write_bytes(
        server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"ok" if self.path == "/readyz" else b"no"
            self.send_response(200 if self.path == "/readyz" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = readiness.readyz_url(f"https://127.0.0.1:{server.server_address[1]}")
        readiness.wait_ready(url, material.ca_cert_pem, deadline_s=10, poll_s=0.2)
        other = pki.cluster_pki("77" * 32, "a5" * 32, created_at=now, now=now)
        assert not readiness.probe(url, other.ca_cert_pem)  # a different CA is refused
    finally:
        server.shutdown()
    with pytest.raises(TimeoutError):
        readiness.wait_ready(url, material.ca_cert_pem, deadline_s=0.5, poll_s=0.1)


# ---- joins: CABPK-style, init only on the creating run ----


def test_the_first_master_joins_once_the_cluster_exists(
    day2: ClusterSpec, plain_inputs: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """KCP/CABPK give an init configuration only while the control plane is not initialised
    (cluster-api@ae7ff04: bootstrap/kubeadm/reconcilers/kubeadmconfig/kubeadmconfig_controller.go:352-364).
    A later run (creation time in state differs from the run's clock) gives the first master a join."""
    adapter = get_adapter("kubeadm")
    original = adapter.mock_outputs

    def older_state(type_: str, name: str, inputs: Any) -> dict[str, Any]:
        out = original(type_, name, inputs)
        if name == "day2-created":  # state says: created two days before this run's clock
            out["keepers"] = {"createdAt": "1969-12-30T00:00:00+00:00"}
        return out

    _render(day2)
    first_run = _files(_user_data_text(plain_inputs["day2-cp-0"]))
    assert 'ROLE="init"' in first_run[cloudinit.ENV_PATH] and cloudinit.INIT_CONFIG_PATH in first_run
    # a retry within the init window (the first run failed before cp0 existed) may still init...
    def retry_state(type_: str, name: str, inputs: Any) -> dict[str, Any]:
        out = original(type_, name, inputs)
        if name == "day2-created":
            out["keepers"] = {"createdAt": "1969-12-31T20:00:00+00:00"}
        return out

    monkeypatch.setattr(adapter, "mock_outputs", retry_state)
    plain_inputs.clear()
    _render(day2)
    assert 'ROLE="init"' in _files(_user_data_text(plain_inputs["day2-cp-0"]))[cloudinit.ENV_PATH]
    # ...a later run never does
    monkeypatch.setattr(adapter, "mock_outputs", older_state)
    plain_inputs.clear()
    _render(day2)
    later = _files(_user_data_text(plain_inputs["day2-cp-0"]))
    assert 'ROLE="control-plane"' in later[cloudinit.ENV_PATH]
    assert cloudinit.INIT_CONFIG_PATH not in later
    assert cloudinit.CA_KEY_PATH in later and "/etc/kubernetes/pki/etcd/ca.key" in later


def test_the_bootstrap_probes_the_vip_before_kubeadm_init() -> None:
    script = cloudinit.bootstrap_script()
    probe = script.index("init_or_join() {")
    assert script.index("if api_answers; then", probe) < script.index("  kubeadm_init\n", probe)
    assert '"https://${CONTROL_PLANE_VIP}:6443/readyz"' in script


# ---- VMs: no reboot on extra_config, user-data drift ignored, soft DRS ----


def test_vms_never_reboot_for_extra_config_and_ignore_user_data_drift(
    day2: ClusterSpec, requests: dict[str, Any]
) -> None:
    """terraform-provider-vsphere@b45b5b4: virtual_machine_config_structure.go:357-361 -
    extra_config_reboot_required defaults to true; user data is redacted in the guest, so it drifts."""
    graph = _render(day2)
    for vm in graph.of_type(VM):
        assert vm.inputs["extraConfigRebootRequired"] is False
        ignored = list(requests[vm.name].ignoreChanges)
        assert 'extraConfig["guestinfo.userdata"]' in ignored


def test_istio_and_the_token_wait_for_readyz(day2: ClusterSpec, requests: dict[str, Any]) -> None:
    graph = _render(day2)
    ready = graph.one("pulumi-python:dynamic:Resource")
    assert ready.inputs["url"] == "https://172.20.0.5:6443/readyz"
    vm_urns = {vm.urn for vm in graph.of_type(VM)}
    assert vm_urns <= set(requests[ready.name].dependencies)
    for provider in graph.of_type("pulumi:providers:kubernetes"):
        assert ready.urn in set(requests[provider.name].dependencies), provider.name
    secret = graph.one("kubernetes:core/v1:Secret")
    assert secret.inputs["type"] == "bootstrap.kubernetes.io/token"


def test_token_secret_follows_the_bootstrap_token_format() -> None:
    data = bootstrap_token.token_data("abcdef.0123456789abcdef", dt.datetime(2031, 3, 1, 12, 34, tzinfo=dt.UTC), "c")
    assert data["token-id"] == "abcdef" and data["token-secret"] == "0123456789abcdef"
    assert data["expiration"] == "2031-03-02T12:00:00Z"  # 24 h after the hour the run started
    assert data["auth-extra-groups"] == "system:bootstrappers:kubeadm:default-node-token"


def test_new_nodes_get_a_new_token(load_spec: Callable[[str], ClusterSpec], plain_inputs: dict[str, dict[str, Any]]) -> None:
    from kubefleet.providers.kubeadm.secrets import node_set_digest

    small = load_spec(SPEC)
    big = load_spec(SPEC.replace("count: 2", "count: 3"))
    _render(small)
    keepers_small = plain_inputs["day2-token-id"]["keepers"]
    _render(big)
    assert plain_inputs["day2-token-id"]["keepers"] != keepers_small
    assert node_set_digest(["a", "b"]) == node_set_digest(["b", "a"])


# ---- version floor and cap ----


@pytest.mark.parametrize("version", ["1.22", "1.30", "1.30.9", "1.36"])
def test_unsupported_minors_are_refused_with_a_hint(load_spec: Callable[[str], ClusterSpec], version: str) -> None:
    """v1beta4 needs kubeadm >= 1.31 (cluster-api@ae7ff04: bootstrap/kubeadm/pkg/types/utils.go:39)."""
    spec = load_spec(SPEC.replace('"1.33.4"', f'"{version}"'))
    with pytest.raises(RenderError) as err:
        _render(spec)
    assert "spec.kubernetes.version" in err.value.message
    assert err.value.hint is not None and "1.31" in err.value.hint


@pytest.mark.parametrize("version", ["1.31", "1.35"])
def test_supported_minors_render(load_spec: Callable[[str], ClusterSpec], version: str) -> None:
    _render(load_spec(SPEC.replace('"1.33.4"', f'"{version}"')))


def test_plan_of_an_old_minor_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    path = tmp_path / "old.yaml"
    path.write_text(SPEC.replace('"1.33.4"', '"1.30"'))
    result = CliRunner().invoke(app, ["plan", str(path), "--provider", "kubeadm"])
    assert result.exit_code == 2, result.output
    assert "1.31" in result.output and "Traceback" not in result.output


# ---- scale-down safety ----


def test_removing_masters_or_workers_is_refused_until_drained() -> None:
    previous = ["c-cp0-aaaaaa", "c-cp1-bbbbbb", "c-cp2-cccccc", "c-general-0-dddddd", "c-general-1-eeeeee"]
    current = ["c-cp0-aaaaaa", "c-general-0-dddddd"]
    error = topology.removal_error(previous, current, [])
    assert error is not None
    assert "c-cp1-bbbbbb" in error.message and "c-general-1-eeeeee" in error.message
    assert error.hint is not None and "kubeadm reset" in error.hint and "kubectl drain" in error.hint
    assert topology.removal_error(previous, current, ["c-cp1-bbbbbb", "c-cp2-cccccc", "c-general-1-eeeeee"]) is None
    assert topology.removal_error(previous, [*previous, "c-general-2-ffffff"], []) is None  # growth is fine
    assert topology.removal_error([], current, []) is None  # first deployment


def test_a_render_with_fewer_masters_than_the_last_deployment_fails(
    load_spec: Callable[[str], ClusterSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubefleet.providers.kubeadm import nodes

    three = load_spec(SPEC)
    previous = nodes.node_names(three)
    one = load_spec(SPEC.replace("availability: regional, replicas: 3", "availability: zonal, replicas: 1"))
    adapter = get_adapter("kubeadm")
    original = adapter.mock_outputs

    def last_deployment(type_: str, name: str, inputs: Any) -> dict[str, Any]:
        if type_ == "pulumi:pulumi:StackReference":
            return {"outputs": {topology.NODES_OUTPUT: previous}, "secretOutputNames": []}
        return original(type_, name, inputs)

    monkeypatch.setattr(adapter, "mock_outputs", last_deployment)
    with pytest.raises(KubefleetError) as err:
        _render(one)
    assert "refusing to delete 2 node(s)" in str(err.value)
    _render(three)  # the same node set passes


# ---- static master addresses ----

STATIC = SPEC.replace(
    "      controlPlaneVip: 172.20.0.5\n",
    "      controlPlaneVip: 172.20.0.5\n"
    "      controlPlaneAddresses: [172.20.0.11, 172.20.0.12, 172.20.0.13]\n"
    "      gateway: 172.20.0.1\n",
)


def test_masters_get_static_addresses(load_spec: Callable[[str], ClusterSpec], plain_inputs: dict[str, dict[str, Any]]) -> None:
    import json

    graph = _render(load_spec(STATIC))
    for i in range(3):
        meta = json.loads(base64.b64decode(plain_inputs[f"day2-cp-{i}"]["extraConfig"]["guestinfo.metadata"]))
        nic = meta["network"]["ethernets"]["nic0"]
        assert nic["dhcp4"] is False and nic["addresses"] == [f"172.20.0.1{i + 1}/16"]
        assert nic["routes"] == [{"to": "default", "via": "172.20.0.1"}]
    worker = json.loads(base64.b64decode(plain_inputs["day2-general-0"]["extraConfig"]["guestinfo.metadata"]))
    assert worker["network"]["ethernets"]["nic0"]["dhcp4"] is True
    note = {n.field: n for n in graph.parity}["spec.providers.kubeadm.controlPlaneAddresses"]
    assert note.status == "native"


@pytest.mark.parametrize(
    ("addresses", "needle"),
    [
        ("[172.20.0.11, 172.20.0.12]", "2 master address(es) for 3"),
        ("[172.20.0.11, 172.20.0.12, 10.0.0.13]", "outside network.nodeCidr"),
        ("[172.20.0.11, 172.20.0.12, 172.20.0.5]", "is the control-plane VIP"),
    ],
)
def test_bad_static_addresses_are_spec_errors_with_a_position(
    load_spec: Callable[[str], ClusterSpec], addresses: str, needle: str
) -> None:
    with pytest.raises(SpecError) as err:
        load_spec(STATIC.replace("[172.20.0.11, 172.20.0.12, 172.20.0.13]", addresses))
    issue = err.value.issues[0]
    assert needle in issue.message and issue.line > 1


# ---- bootstrap script: bounded, resumable, gVisor on both containerd config layouts ----


def _bash_functions(tmp_path: Path) -> Path:
    """The script's helper functions without its top-level side effects (env file, main)."""
    script = cloudinit.bootstrap_script()
    start = script.index("log() {")
    end = script.index("prepare_host() {")
    body = "set -euo pipefail\nSTATE_DIR=" + str(tmp_path / "state") + "\nmkdir -p \"$STATE_DIR\"\n" + script[start:end]
    path = tmp_path / "functions.sh"
    path.write_text(body)
    return path


def test_retry_is_bounded_and_steps_resume(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    functions = _bash_functions(tmp_path)
    counter = tmp_path / "count"
    run = subprocess.run(
        [bash, "-c", f'. {functions}; sleep() {{ :; }}; attempt() {{ echo x >> {counter}; return 1; }}; retry 3 1 attempt'],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode != 0 and counter.read_text().count("x") == 3 and "giving up after 3 attempts" in run.stdout
    marker_run = f'. {functions}; work() {{ echo ran >> {tmp_path / "ran"}; }}; step demo work'
    for _ in range(2):  # the second run is the "after a reboot" run
        subprocess.run([bash, "-c", marker_run], capture_output=True, text=True, check=True)
    assert (tmp_path / "ran").read_text().count("ran") == 1


@pytest.mark.parametrize(
    ("config", "table"),
    [
        # containerd 1.x `config default` (version = 2) and 2.x (version = 3) CRI runtime tables
        ('version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n', 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'),
        ('version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\n', 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'),
    ],
)
def test_runsc_is_registered_where_the_containerd_version_reads_it(config: str, table: str, tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = cloudinit.bootstrap_script()
    start = script.index("cri_runtimes_table() {")
    function = script[start : script.index("\n}\n", start) + 3]
    (tmp_path / "config.toml").write_text(config)
    run = subprocess.run(
        [bash, "-c", f"{function}\nCONTAINERD_CONFIG={tmp_path / 'config.toml'} cri_runtimes_table"],
        capture_output=True, text=True, check=True,
    )
    assert run.stdout.strip() == table
    # runsc gets the systemd cgroup driver through its shim options file (gVisor containerd configuration docs)
    assert 'TypeUrl = "io.containerd.runsc.v1.options"' in script
    assert 'systemd-cgroup = "true"' in script


def test_token_and_keys_are_not_printed_and_are_removed_after_joining() -> None:
    script = cloudinit.bootstrap_script()
    assert "--skip-token-print" in script
    assert "rm -f /etc/kubefleet/kubeadm.yaml /etc/kubefleet/kubeadm-join.yaml" in script

"""The cluster's shared PKI (the CABPK set) and a break-glass admin certificate, derived from secret seeds.

Why kubefleet makes the PKI instead of letting ``kubeadm init`` generate it:

- joining nodes pin the cluster CA (``caCertHashes``) instead of trusting whatever answers on the VIP, and
  the exported kubeconfig needs the CA certificate; both must be known before the first master boots;
- every master gets the shared CA material in its own bootstrap, exactly the set Cluster API's kubeadm
  bootstrap provider (CABPK) writes for a joining control-plane node: cluster CA, etcd CA, front-proxy CA
  and the service-account key pair (kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
  util/secret/certificates.go:139 ``NewControlPlaneJoinCerts``; file modes 0640 / 0600 at :395
  ``AsFiles``). A master created a year later joins without the 2-hour ``kubeadm-certs`` Secret that
  ``--upload-certs`` relies on.

Keys are derived deterministically from 32-byte ``random.RandomId`` seeds (the same derivation as before,
so existing clusters keep their CA key) and certificates are signed by pyca/cryptography with
deterministic ECDSA (RFC 6979; ``CertificateBuilder.sign(..., ecdsa_deterministic=True)`` exists since
cryptography 45.0.0 - checked in the 44.0.0 and 45.0.0 wheels). The same seeds and the same creation time
give byte-identical certificates run after run, so ``pulumi up`` shows no diff and replaces no VM.

Validity is relative to ``issued_at``, a creation time kept in the Pulumi state (secrets.py), never to a
date in the code. CAs live ten years and leaf certificates one year, and both start five minutes early:
kubeadm's own defaults (kubernetes/kubernetes@00886ac01fec1c8432967e8bb597828f46a9ba8b:
cmd/kubeadm/app/constants/constants.go ``CertificateBackdate``, ``CertificateValidityPeriod``,
``CACertificateValidityPeriod``). The break-glass admin certificate is
re-issued for every renewal window (``ADMIN_RENEW_EVERY``) that has started, so a ``pulumi up`` at least
every ``ADMIN_RENEW_EVERY`` keeps more than ``ADMIN_VALIDITY - ADMIN_RENEW_EVERY`` of life on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: kubeadm's defaults (constants.go above): CA certificates 10 years, leaf certificates 365 days.
CA_VALIDITY: Final = dt.timedelta(days=3650)
ADMIN_VALIDITY: Final = dt.timedelta(days=365)
#: a fresh break-glass certificate every 120 days: with one ``pulumi up`` per window it never has less
#: than 245 days left.
ADMIN_RENEW_EVERY: Final = dt.timedelta(days=120)
#: Certificates start a little before their issue time (kubeadm's CertificateBackdate): VM clocks lag.
CLOCK_SKEW: Final = dt.timedelta(minutes=5)

#: kubeadm (>= 1.29) binds this group to cluster-admin; it is what admin.conf's certificate carries.
ADMIN_GROUP: Final = "kubeadm:cluster-admins"

#: The daily identity: a short-lived client certificate in a group whose rights come from a
#: ClusterRoleBinding kubefleet manages (adapter.py), so deleting that binding revokes every operator
#: certificate at once - a client certificate itself cannot be revoked (the API server checks no CRL).
OPERATOR_GROUP: Final = "kubefleet:operators"
OPERATOR_USER: Final = "kubefleet-operator"
OPERATOR_VALIDITY: Final = dt.timedelta(days=30)
OPERATOR_RENEW_EVERY: Final = dt.timedelta(days=10)

_P256_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # SEC 2 v2, 2.4.2


def scalar_from_seed(seed_hex: str, purpose: str = "") -> int:
    """A private scalar in [1, n-1] from a 32-byte hex seed (uniform up to a 2^-128 bias).

    ``purpose`` separates the keys derived from one seed (etcd CA, front-proxy CA, service accounts); the
    cluster CA uses the empty purpose, which is the derivation kubefleet has always used for it.
    """
    seed = bytes.fromhex(seed_hex)
    if len(seed) < 32:
        raise ValueError("the seed must be at least 32 bytes")
    label = b"kubefleet-p256" + (b":" + purpose.encode() if purpose else b"")
    wide = int.from_bytes(hashlib.sha512(label + seed).digest(), "big")
    return wide % (_P256_N - 1) + 1


def private_key(seed_hex: str, purpose: str = "") -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(scalar_from_seed(seed_hex, purpose), ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """SEC 1 ``EC PRIVATE KEY`` PEM, the format kubeadm writes ``ca.key`` in for ECDSA-P256."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def _public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def ca_cert_hash(key: ec.EllipticCurvePublicKey) -> str:
    """``sha256:<hex>`` of the CA's SubjectPublicKeyInfo, the format of ``discovery.bootstrapToken.caCertHashes``."""
    return "sha256:" + hashlib.sha256(spki_der(key)).hexdigest()


def _serial(role: str, public: ec.EllipticCurvePublicKey, not_before: dt.datetime) -> int:
    raw = hashlib.sha256(f"{role}\x1f{not_before.isoformat()}".encode() + spki_der(public)).digest()[:16]
    return int.from_bytes(raw, "big") >> 1 or 1  # positive, at most 127 bits (RFC 5280 4.1.2.2: <= 20 octets)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    rdns = []
    if organization:
        rdns.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    rdns.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(rdns)


def _usage(*, digital_signature: bool = False, key_encipherment: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def ca_certificate(key: ec.EllipticCurvePrivateKey, common_name: str, issued_at: dt.datetime) -> str:
    """A self-signed CA as ``kubeadm init`` would create it (CN=kubernetes / etcd-ca / front-proxy-ca)."""
    not_before = issued_at - CLOCK_SKEW
    name = _name(common_name)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(_serial(f"ca:{common_name}", public, not_before))
        .not_valid_before(not_before)
        .not_valid_after(issued_at + CA_VALIDITY)
        .add_extension(_usage(digital_signature=True, key_encipherment=True, key_cert_sign=True), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return _pem(cert)


def admin_window(created_at: dt.datetime, now: dt.datetime, every: dt.timedelta = ADMIN_RENEW_EVERY) -> dt.datetime:
    """Start of the renewal window ``now`` falls in: ``created_at + k * every``, k >= 0."""
    elapsed = max(now - created_at, dt.timedelta(0))
    return created_at + every * (elapsed // every)


def client_certificate(
    ca: ec.EllipticCurvePrivateKey,
    client: ec.EllipticCurvePrivateKey,
    common_name: str,
    issued_at: dt.datetime,
    group: str = ADMIN_GROUP,
    validity: dt.timedelta = ADMIN_VALIDITY,
) -> str:
    """A client certificate (``O=<group>, CN=<user>``) signed by ``ca``, like kubeadm's admin.conf one."""
    not_before = issued_at - CLOCK_SKEW
    public = client.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, group))
        .issuer_name(_name("kubernetes"))
        .public_key(public)
        .serial_number(_serial(f"client:{common_name}", public, not_before))
        .not_valid_before(not_before)
        .not_valid_after(issued_at + validity)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)
        .sign(ca, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return _pem(cert)


@dataclass(frozen=True)
class KeyMaterial:
    """A certificate (or public key) and its private key. The private half never shows in ``repr``."""

    cert_pem: str
    key_pem: str = field(repr=False)


@dataclass(frozen=True)
class ClusterPki:
    """Everything derived from the seeds: the CABPK shared set, the CA pin, the break-glass admin
    (``kubeadm:cluster-admins``, a year, cannot be revoked: keep it offline) and the daily operator identity
    (30 days, revocable through its ClusterRoleBinding)."""

    ca: KeyMaterial
    etcd_ca: KeyMaterial
    front_proxy_ca: KeyMaterial
    service_account: KeyMaterial  # cert_pem holds sa.pub (a PUBLIC KEY PEM), key_pem sa.key
    ca_cert_hash: str
    admin: KeyMaterial
    admin_not_after: dt.datetime
    operator: KeyMaterial
    operator_not_after: dt.datetime

    @property
    def ca_cert_pem(self) -> str:
        return self.ca.cert_pem

    @property
    def admin_cert_pem(self) -> str:
        return self.admin.cert_pem

    @property
    def admin_key_pem(self) -> str:
        return self.admin.key_pem


def cluster_pki(
    ca_seed_hex: str,
    admin_seed_hex: str,
    *,
    created_at: dt.datetime,
    now: dt.datetime,
    admin_name: str = "kubefleet-admin",
) -> ClusterPki:
    """The cluster's PKI. CAs are issued at ``created_at`` (kept in state); the admin certificate at the
    start of the renewal window ``now`` falls in."""
    if created_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("created_at and now must be timezone-aware")
    ca = private_key(ca_seed_hex)
    etcd = private_key(ca_seed_hex, "etcd-ca")
    front = private_key(ca_seed_hex, "front-proxy-ca")
    sa = private_key(ca_seed_hex, "service-account")
    admin = private_key(admin_seed_hex)
    operator = private_key(admin_seed_hex, "operator")
    admin_issued = admin_window(created_at, now)
    operator_issued = admin_window(created_at, now, OPERATOR_RENEW_EVERY)
    return ClusterPki(
        ca=KeyMaterial(ca_certificate(ca, "kubernetes", created_at), _key_pem(ca)),
        etcd_ca=KeyMaterial(ca_certificate(etcd, "etcd-ca", created_at), _key_pem(etcd)),
        front_proxy_ca=KeyMaterial(ca_certificate(front, "front-proxy-ca", created_at), _key_pem(front)),
        service_account=KeyMaterial(_public_pem(sa), _key_pem(sa)),
        ca_cert_hash=ca_cert_hash(ca.public_key()),
        admin=KeyMaterial(client_certificate(ca, admin, admin_name, admin_issued), _key_pem(admin)),
        admin_not_after=admin_issued + ADMIN_VALIDITY,
        operator=KeyMaterial(
            client_certificate(ca, operator, OPERATOR_USER, operator_issued, OPERATOR_GROUP, OPERATOR_VALIDITY),
            _key_pem(operator),
        ),
        operator_not_after=operator_issued + OPERATOR_VALIDITY,
    )

"""The cluster CA and an admin client certificate, derived deterministically from secret seeds.

Why this exists: joining nodes should pin the cluster CA (``caCertHashes``) instead of trusting whatever
answers on the VIP (``unsafeSkipCAVerification``), and the exported kubeconfig needs the CA's
certificate. Both need the CA to be known *before* the first control-plane node boots, so kubefleet
makes it instead of letting ``kubeadm init`` generate one (kubeadm uses a CA it finds in
``/etc/kubernetes/pki``). ``pulumi_tls`` is not a dependency of this project and ``cryptography`` is not
installed, so this module derives the keys from 32-byte ``random.RandomId`` seeds with the NIST P-256
curve and signs with deterministic ECDSA (RFC 6979). Deterministic matters: the same seed gives
byte-identical certificates on every run, so ``pulumi up`` shows no diff and replaces no VM.

Scope is deliberately narrow: public-key derivation, RFC 6979 ECDSA-SHA256 signing and the DER
encoding of two fixed certificate profiles (a CA and a client certificate). It runs on the operator's
machine, never on a server answering requests. ``tests/test_kubeadm_config.py`` checks every output
against OpenSSL (key/public-key agreement, ``openssl verify`` of both certificates, the SPKI hash).
Rotation: replace the seed resource (``pulumi up --replace <ca-seed urn>``), which re-creates the cluster.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

# NIST P-256 (secp256r1) domain parameters, SEC 2 v2 section 2.4.2
_P: Final = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A: Final = _P - 3
_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G: Final = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)

_OID_EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
_OID_PRIME256V1: Final = "1.2.840.10045.3.1.7"
_OID_ECDSA_SHA256: Final = "1.2.840.10045.4.3.2"
_OID_CN: Final = "2.5.4.3"
_OID_O: Final = "2.5.4.10"
_OID_BASIC_CONSTRAINTS: Final = "2.5.29.19"
_OID_KEY_USAGE: Final = "2.5.29.15"
_OID_EXT_KEY_USAGE: Final = "2.5.29.37"
_OID_SUBJECT_KEY_ID: Final = "2.5.29.14"
_OID_AUTHORITY_KEY_ID: Final = "2.5.29.35"
_OID_CLIENT_AUTH: Final = "1.3.6.1.5.5.7.3.2"

#: Fixed validity windows: a certificate must not depend on the clock, or every run would differ.
CA_NOT_BEFORE: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER: Final = dt.datetime(2036, 1, 1, tzinfo=dt.UTC)  # kubeadm's own CA default: 10 years
ADMIN_NOT_AFTER: Final = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)

#: kubeadm (>= 1.29) binds this group to cluster-admin; it is what admin.conf's certificate carries.
ADMIN_GROUP: Final = "kubeadm:cluster-admins"

Point = tuple[int, int] | None


# ---- curve arithmetic (affine; the scalar is the operator's own secret, on the operator's machine) ----


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1 = p1
    x2, y2 = p2
    if x1 == x2 and (y1 + y2) % _P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + _A) * pow(2 * y1, -1, _P) % _P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, _P) % _P
    x3 = (lam * lam - x1 - x2) % _P
    return x3, (lam * (x1 - x3) - y1) % _P


def _mul(k: int, point: Point = _G) -> tuple[int, int]:
    result: Point = None
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    if result is None:
        raise ValueError("scalar is a multiple of the group order")
    return result


def scalar_from_seed(seed_hex: str) -> int:
    """A private scalar in [1, n-1] from a 32-byte hex seed (uniform up to a 2^-128 bias)."""
    seed = bytes.fromhex(seed_hex)
    if len(seed) < 32:
        raise ValueError("the seed must be at least 32 bytes")
    wide = int.from_bytes(hashlib.sha512(b"kubefleet-p256" + seed).digest(), "big")
    return wide % (_N - 1) + 1


def _i2o(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _rfc6979_k(d: int, digest: bytes) -> int:
    x = _i2o(d)
    h = _i2o(int.from_bytes(digest, "big") % _N)
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < _N:
            return candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign(d: int, message: bytes) -> bytes:
    """Deterministic ECDSA-SHA256 (RFC 6979), DER-encoded ``Ecdsa-Sig-Value``."""
    digest = hashlib.sha256(message).digest()
    z = int.from_bytes(digest, "big")
    k = _rfc6979_k(d, digest)
    while True:
        r = _mul(k)[0] % _N
        s = pow(k, -1, _N) * (z + r * d) % _N
        if r and s:
            return _seq(_int(r), _int(s))
        k = (k + 1) % _N or 1  # unreachable in practice (probability ~2^-256)


# ---- DER ----


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _set(*items: bytes) -> bytes:
    return _tlv(0x31, b"".join(items))


def _int(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
    return _tlv(0x02, raw)


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _bits(data: bytes, unused: int = 0) -> bytes:
    return _tlv(0x03, bytes([unused]) + data)


def _octets(data: bytes) -> bytes:
    return _tlv(0x04, data)


def _utf8(text: str) -> bytes:
    return _tlv(0x0C, text.encode())


def _time(when: dt.datetime) -> bytes:
    return _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode())  # UTCTime: valid before 2050


def _explicit(n: int, content: bytes) -> bytes:
    return _tlv(0xA0 + n, content)


def _name(common_name: str, organization: str | None = None) -> bytes:
    rdns = []
    if organization:
        rdns.append(_set(_seq(_oid(_OID_O), _utf8(organization))))
    rdns.append(_set(_seq(_oid(_OID_CN), _utf8(common_name))))
    return _seq(*rdns)


def _ext(oid: str, value: bytes, critical: bool) -> bytes:
    return _seq(_oid(oid), *([_tlv(0x01, b"\xff")] if critical else []), _octets(value))


def _pem(label: str, der: bytes) -> str:
    b64 = base64.b64encode(der).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


# ---- keys and certificates ----


@dataclass(frozen=True)
class KeyPair:
    d: int

    @property
    def public_point(self) -> bytes:
        x, y = _mul(self.d)
        return b"\x04" + _i2o(x) + _i2o(y)

    @property
    def spki_der(self) -> bytes:
        """SubjectPublicKeyInfo, DER: what kubeadm's ``caCertHashes`` pins."""
        return _seq(_seq(_oid(_OID_EC_PUBLIC_KEY), _oid(_OID_PRIME256V1)), _bits(self.public_point))

    @property
    def key_id(self) -> bytes:
        """RFC 5280 section 4.2.1.2 method 1: SHA-1 of the public key bits."""
        return hashlib.sha1(self.public_point, usedforsecurity=False).digest()

    def private_pem(self) -> str:
        """SEC 1 ``EC PRIVATE KEY`` PEM, as kubeadm writes ``ca.key`` itself for ECDSA-P256."""
        der = _seq(
            _int(1),
            _octets(_i2o(self.d)),
            _explicit(0, _oid(_OID_PRIME256V1)),
            _explicit(1, _bits(self.public_point)),
        )
        return _pem("EC PRIVATE KEY", der)


def ca_cert_hash(key: KeyPair) -> str:
    """``sha256:<hex>`` of the CA's SubjectPublicKeyInfo, the format of ``discovery.bootstrapToken.caCertHashes``."""
    return "sha256:" + hashlib.sha256(key.spki_der).hexdigest()


def _serial(key: KeyPair, role: str) -> int:
    raw = hashlib.sha256(role.encode() + key.public_point).digest()[:16]
    return int.from_bytes(raw, "big") >> 1 or 1  # positive, at most 127 bits


def _certificate(
    *,
    issuer_key: KeyPair,
    subject_key: KeyPair,
    issuer: bytes,
    subject: bytes,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: list[bytes],
    role: str,
) -> str:
    algorithm = _seq(_oid(_OID_ECDSA_SHA256))
    tbs = _seq(
        _explicit(0, _int(2)),
        _int(_serial(subject_key, role)),
        algorithm,
        issuer,
        _seq(_time(not_before), _time(not_after)),
        subject,
        subject_key.spki_der,
        _explicit(3, _seq(*extensions)),
    )
    cert = _seq(tbs, algorithm, _bits(sign(issuer_key.d, tbs)))
    return _pem("CERTIFICATE", cert)


def ca_certificate(ca: KeyPair, common_name: str = "kubernetes") -> str:
    """A self-signed CA certificate, as ``kubeadm init`` would create it (CN=kubernetes, 10 years)."""
    name = _name(common_name)
    return _certificate(
        issuer_key=ca,
        subject_key=ca,
        issuer=name,
        subject=name,
        not_before=CA_NOT_BEFORE,
        not_after=CA_NOT_AFTER,
        extensions=[
            _ext(_OID_KEY_USAGE, _bits(b"\xa4", 2), critical=True),  # digitalSignature, keyEncipherment, keyCertSign
            _ext(_OID_BASIC_CONSTRAINTS, _seq(_tlv(0x01, b"\xff")), critical=True),
            _ext(_OID_SUBJECT_KEY_ID, _octets(ca.key_id), critical=False),
        ],
        role="ca",
    )


def client_certificate(ca: KeyPair, client: KeyPair, common_name: str, group: str = ADMIN_GROUP) -> str:
    """A client certificate (``O=<group>, CN=<user>``) signed by ``ca``, like kubeadm's admin.conf one."""
    return _certificate(
        issuer_key=ca,
        subject_key=client,
        issuer=_name("kubernetes"),
        subject=_name(common_name, group),
        not_before=CA_NOT_BEFORE,
        not_after=ADMIN_NOT_AFTER,
        extensions=[
            _ext(_OID_KEY_USAGE, _bits(b"\x80", 7), critical=True),  # digitalSignature
            _ext(_OID_EXT_KEY_USAGE, _seq(_oid(_OID_CLIENT_AUTH)), critical=False),
            _ext(_OID_BASIC_CONSTRAINTS, _seq(), critical=True),
            _ext(_OID_AUTHORITY_KEY_ID, _seq(_tlv(0x80, ca.key_id)), critical=False),
        ],
        role=f"client:{common_name}",
    )


@dataclass(frozen=True)
class ClusterPki:
    """Everything derived from the two seeds: CA (cert, key, pin) and the admin client credential."""

    ca_cert_pem: str
    ca_key_pem: str
    ca_cert_hash: str
    admin_cert_pem: str
    admin_key_pem: str


def cluster_pki(ca_seed_hex: str, admin_seed_hex: str, admin_name: str = "kubefleet-admin") -> ClusterPki:
    ca = KeyPair(scalar_from_seed(ca_seed_hex))
    admin = KeyPair(scalar_from_seed(admin_seed_hex))
    return ClusterPki(
        ca_cert_pem=ca_certificate(ca),
        ca_key_pem=ca.private_pem(),
        ca_cert_hash=ca_cert_hash(ca),
        admin_cert_pem=client_certificate(ca, admin, admin_name),
        admin_key_pem=admin.private_pem(),
    )

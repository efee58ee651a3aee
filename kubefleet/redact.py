"""Keep secrets out of every output: mask values in structured data, scrub them from free text.

Three layers. Structured values (engine event inputs/outputs, stack outputs) are masked where Pulumi
marks them secret (the engine's secret signature, or its ``[secret]`` placeholder) and, as a second
net, where the property name says secret (kubeconfig, password, token, private key, ...). URLs (a
state backend's, also inside free text) are masked by STRUCTURE, not by a list of parameter names:
the userinfo, every query value and the fragment are credentials until shown otherwise (``?pw=``,
``?session=``, ``?code=``, an encoded ``tok%65n=``, ``#access_token=`` all look harmless to a name
list). Free text (an engine error we echo) is scrubbed of every known secret value: the passphrase,
secret stack outputs, the backend URL's credential parts and credentials found in the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import unquote, unquote_plus

SECRET: Final = "[secret]"

# The engine's wire marker for a secret value ({SIG_KEY: SECRET_SIG, "value"|"plaintext"|"ciphertext": ...}),
# as in pulumi.runtime.rpc (_special_sig_key / _special_secret_sig); spelled out to avoid importing pulumi.
SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"

_SECRET_NAME = re.compile(
    r"(kubeconfig|kube_config|password|passwd|passphrase|secret|token|private[_-]?key|client[_-]?key"
    r"|clientkeydata|access[_-]?key[_-]?secret|credentials?|certificate[_-]?key|ssh[_-]?key|api[_-]?key)",
    re.IGNORECASE,
)
# Names that match the pattern above but hold no secret.
_NOT_SECRET_NAME = re.compile(r"(secrets?[_-]?(encryption|provider|arn|name|id)s?$|token[_-]?(ttl|expir)|keyid$|key[_-]?id$)",
                              re.IGNORECASE)

_ENV_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIALS|PRIVATE_KEY|CLIENT_KEY)", re.IGNORECASE)

_TEXT_PATTERNS: Final = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    re.compile(r"(?i)(\b(?:client-key-data|client-certificate-data|token|password|id-token|refresh-token)\s*[:=]\s*)"
               r"(?!\[secret\])\S+"),
    re.compile(r"(?i)((?:PULUMI_CONFIG_PASSPHRASE|PULUMI_ACCESS_TOKEN|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN"
               r"|ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|VSPHERE_PASSWORD)\s*[=:]\s*)\S+"),
    re.compile(r"(?i)(authorization:\s*(?:bearer|token)\s+)\S+"),
)


MASK: Final = "***"
# A URL inside free text: a scheme, "://", then everything up to white space or a quote/bracket around it.
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s\"'<>`]+")
_QUERY_SEPARATORS = re.compile(r"[&;]")


def _mask_item(item: str) -> str:
    name, sep, _value = item.partition("=")
    if not sep:
        return MASK if item else item  # a bare `?s3cr3t` is a value too
    return f"{name}={MASK}"


# RFC 3986 appendix B: scheme, authority, path, query, fragment of any URI reference.
_URI = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL)


def _split(url: str) -> tuple[str | None, str | None, str, str | None, str | None]:
    match = _URI.match(url)
    assert match is not None  # every string matches: each part is optional
    scheme, authority, path, query, fragment = match.groups()
    return scheme, authority, path, query, fragment


def mask_url(url: str) -> str:
    """``url`` safe to print, by structure: the userinfo (``https://user:TOKEN@host``) becomes ``***@``,
    every query value ``name=***`` (a bare item ``***``) and a fragment ``#***``. Scheme, host, port and
    path stay, so people can still tell which backend it is."""
    text = url.strip()
    scheme, authority, path, query, fragment = _split(text)
    if authority is None and "@" in text:  # not a URL at all (`user:pass@host`): only what follows the @
        return f"{MASK}@" + text.rsplit("@", 1)[1]
    out = f"{scheme}:" if scheme is not None else ""
    if authority is not None:
        out += "//" + (f"{MASK}@" + authority.rsplit("@", 1)[1] if "@" in authority else authority)
    out += path
    if query is not None:
        out += "?" + "&".join(_mask_item(i) for i in _QUERY_SEPARATORS.split(query))
    if fragment is not None:
        out += "#" + (MASK if fragment else "")
    return out


def url_secrets(url: str) -> tuple[str, ...]:
    """Every credential part of ``url`` (the userinfo and its user and password, each query value, the
    fragment and its values), as written and percent-decoded, for scrubbing output that echoes them."""
    _scheme, authority, _path, query, fragment = _split(url.strip())
    found: list[str] = []
    if authority is None and "@" in url:  # `user:pass@host`
        found.append(url.strip().rsplit("@", 1)[0])
    if authority is not None and "@" in authority:
        userinfo = authority.rsplit("@", 1)[0]
        found.extend((userinfo, *userinfo.split(":", 1)))
    for item in (*_QUERY_SEPARATORS.split(query or ""), *_QUERY_SEPARATORS.split(fragment or "")):
        name, sep, value = item.partition("=")
        found.append(value if sep else name)
    if fragment:
        found.append(fragment)
    out: list[str] = []
    for value in found:
        for form in (value, unquote(value), unquote_plus(value)):
            if form and form not in out:
                out.append(form)
    return tuple(out)


def mask_urls_in(text: str) -> str:
    """Every URL inside ``text`` masked by :func:`mask_url`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)


def is_secret_name(name: str) -> bool:
    """Does a property / output name say it holds a secret?"""
    leaf = re.split(r"[.\[\]\"']+", name.strip("[]\"'."))[-1] if name else name
    return bool(_SECRET_NAME.search(leaf)) and not _NOT_SECRET_NAME.search(leaf)


def is_secret_marker(value: Any) -> bool:
    """The engine's secret wire marker, or its ``[secret]`` placeholder."""
    if isinstance(value, str):
        return value == SECRET
    return isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG


def mask(value: Any, name: str = "") -> Any:
    """``value`` with every secret replaced by ``[secret]`` (recursively; ``name`` is its property name)."""
    if is_secret_marker(value):
        return SECRET
    if name and is_secret_name(name) and value not in (None, "", {}, []):
        return SECRET
    if isinstance(value, Mapping):
        return {str(k): mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    """Does a (masked or raw) value hold a secret anywhere?"""
    if is_secret_marker(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) or (is_secret_name(str(k)) and v not in (None, "")) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


def environment_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Credential values in the environment (tokens, passwords, passphrases, client secrets)."""
    env = os.environ if environ is None else environ
    return tuple(v for k, v in env.items() if _ENV_SECRET_NAME.search(k) and len(v) >= 6)


def secret_strings(value: Any) -> list[str]:
    """Every string inside a secret value (to scrub them from text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in secret_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in secret_strings(v)]
    return [str(value)] if value is not None else []


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without any known secret value, environment credential, private key or token line."""
    values: set[str] = set()
    for secret in (*known, *environment_secrets()):
        if not secret or len(secret) < 6:
            continue
        values.add(secret)
        values.add(secret.strip())
        for line in secret.splitlines():  # multi-line secrets (kubeconfigs) leak line by line too
            if len(line.strip()) >= 16:
                values.add(line.strip())
    for secret in sorted(values, key=len, reverse=True):
        if secret:
            text = text.replace(secret, SECRET)
    text = mask_urls_in(text)
    for pattern in _TEXT_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + SECRET, text)
    return text

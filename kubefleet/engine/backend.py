"""Where stack state lives, and the passphrase that encrypts its secrets.

Resolution, first match wins:

1. ``--backend URL``
2. ``PULUMI_BACKEND_URL``
3. ``PULUMI_ACCESS_TOKEN`` set: Pulumi Cloud (``https://api.pulumi.com``), whose secrets need no passphrase
4. the embedded default: a local file backend ``file://$KUBEFLEET_HOME/state`` (``~/.kubefleet/state``)

Only in case 4, and only when neither ``PULUMI_CONFIG_PASSPHRASE`` nor ``PULUMI_CONFIG_PASSPHRASE_FILE``
is set, kubefleet generates a passphrase once (``secrets.token_urlsafe``), keeps it in
``$KUBEFLEET_HOME/passphrase`` with 0600 permissions and hands it to the workspace (never to the
process environment). Team backends bring their own secrets configuration.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlparse

from kubefleet.errors import EngineError, UsageError
from kubefleet.redact import mask_url, url_secrets
from kubefleet.safeio import FileProblem, kubefleet_home, read_text

PULUMI_CLOUD: Final = "https://api.pulumi.com"
PASSPHRASE_ENV: Final = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV: Final = "PULUMI_CONFIG_PASSPHRASE_FILE"
BACKEND_ENV: Final = "PULUMI_BACKEND_URL"
TOKEN_ENV: Final = "PULUMI_ACCESS_TOKEN"

BackendKind = Literal["embedded", "cloud", "object-store", "file"]
BackendSource = Literal["--backend", "PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "default"]

#: scheme -> kind of backend
SCHEMES: Final[dict[str, BackendKind]] = {
    "https": "cloud",
    "s3": "object-store",
    "gs": "object-store",
    "azblob": "object-store",
    "file": "file",
}


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Backend:
    """The chosen backend. ``env`` goes to the workspace only; it may hold the passphrase, so it is
    left out of ``repr`` and never printed."""

    url: str
    kind: BackendKind
    source: BackendSource
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    passphrase_file: Path | None = None  # set when kubefleet's generated passphrase is in use

    @property
    def embedded(self) -> bool:
        return self.kind == "embedded"

    def describe(self) -> str:
        """One line for people (no secrets)."""
        where = {"--backend": "from --backend", "PULUMI_BACKEND_URL": "from PULUMI_BACKEND_URL",
                 "PULUMI_ACCESS_TOKEN": "Pulumi Cloud, PULUMI_ACCESS_TOKEN is set",
                 "default": "kubefleet's embedded local backend"}[self.source]
        return f"{mask_url(self.url)} ({where})"

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in output (for scrubbing engine messages)."""
        return tuple(v for k, v in self.env.items() if k == PASSPHRASE_ENV and v) + url_secrets(self.url)


def check_backend_url(url: str, *, source: str = "--backend") -> BackendKind:
    """The kind of backend a URL names, or a UsageError for schemes Pulumi cannot log in to."""
    text = url.strip()
    scheme = urlparse(text).scheme.lower()
    kind = SCHEMES.get(scheme)
    if kind is None or not text[len(scheme) + 3:]:
        hint = ("use https://api.pulumi.com (Pulumi Cloud) or a self-hosted https:// service, "
                "s3://bucket, gs://bucket, azblob://container or file://path")
        if scheme == "http":
            hint = "Pulumi services are reached over https://; " + hint
        raise UsageError(f"{source} {mask_url(url)!r} is not a backend kubefleet can use", hint=hint)
    if not text.startswith(f"{scheme}://"):
        raise UsageError(f"{source} {mask_url(url)!r} is not a URL", hint="write it as scheme://location, e.g. s3://my-state")
    return kind


def embedded_state_url(home: Path) -> str:
    """``file://<home>/state`` (the directory is created, private)."""
    state = _private_dir(home / "state")
    return "file://" + state.resolve().as_posix()


def ensure_passphrase(home: Path) -> tuple[str, Path]:
    """The generated passphrase for the embedded backend (created once, 0600) and its file."""
    _private_dir(home)
    path = home / "passphrase"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it; keep the secret private from now on
        try:
            value = read_text(path, 64 * 1024).strip()
        except FileProblem as problem:
            raise EngineError(f"{path}: {problem.message}", hint=problem.hint or "kubefleet keeps the passphrase "
                              "of its local state in this file; restore it, or set PULUMI_CONFIG_PASSPHRASE") from None
        if not value:
            raise EngineError(
                f"{path} is empty, so the secrets in kubefleet's local state cannot be decrypted",
                hint="restore the file from a backup, or set PULUMI_CONFIG_PASSPHRASE to the passphrase "
                "the stacks were created with",
            ) from None
        return value, path
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value, path


def resolve_backend(flag: str | None = None, environ: Mapping[str, str] | None = None) -> Backend:
    """Choose the backend (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    if flag:
        return Backend(url=flag.strip(), kind=check_backend_url(flag), source="--backend",
                       env={BACKEND_ENV: flag.strip()})
    from_env = env.get(BACKEND_ENV, "").strip()
    if from_env:
        return Backend(url=from_env, kind=check_backend_url(from_env, source=BACKEND_ENV),
                       source="PULUMI_BACKEND_URL", env={BACKEND_ENV: from_env})
    if env.get(TOKEN_ENV):
        return Backend(url=PULUMI_CLOUD, kind="cloud", source="PULUMI_ACCESS_TOKEN", env={BACKEND_ENV: PULUMI_CLOUD})
    home = kubefleet_home(env)
    url = embedded_state_url(home)
    workspace_env: dict[str, str] = {BACKEND_ENV: url}
    passphrase_file: Path | None = None
    if not env.get(PASSPHRASE_ENV) and not env.get(PASSPHRASE_FILE_ENV):
        passphrase, passphrase_file = ensure_passphrase(home)
        workspace_env[PASSPHRASE_ENV] = passphrase
    return Backend(url=url, kind="embedded", source="default", env=workspace_env, passphrase_file=passphrase_file)

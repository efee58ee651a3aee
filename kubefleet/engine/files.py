"""Writing secret material (kubeconfigs) to disk: created 0600 from the first byte, never overwritten
by accident."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kubefleet.errors import UsageError


def write_private_file(path: Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` to ``path`` with mode 0600. Refuses an existing file unless ``force``; with
    ``force`` the old file is replaced atomically (a new 0600 file renamed over it)."""
    target = path.expanduser()
    if target.is_dir():
        raise UsageError(f"{target} is a directory", hint="give a file path, e.g. --output ./cluster.kubeconfig")
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(f"{target} already exists", hint="pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text if text.endswith("\n") else text + "\n"
    if not force:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target

"""Bounded reads of files a user (or anyone who can write to ``$KUBEFLEET_HOME``) controls.

A FIFO would block forever and ``/dev/zero`` never ends, and both report size 0, so the type is checked
with ``os.stat`` before opening, the file is opened non-blocking (a FIFO swapped in after the check
cannot hang us) and checked again with ``fstat``, and at most ``max_bytes`` are read whatever the file
claims (issue 14).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path


class FileProblem(Exception):
    """Why a file was not read: ``message`` (and ``hint``) for people."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def size_text(n: int) -> str:
    return f"{n // 1024 // 1024} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _check(info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise FileProblem("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(f"is {_kind_of(info.st_mode)}: not a regular file, so it is not read",
                          "give a file saved on disk")
    if info.st_size > max_bytes:
        raise FileProblem(f"file is larger than {size_text(max_bytes)}")


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``), or :class:`FileProblem`."""
    try:
        _check(os.stat(path), max_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileProblem("no such file") from None
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as err:
        raise FileProblem(f"cannot read: {err.strerror or err}") from None
    try:
        _check(os.fstat(fd), max_bytes)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileProblem(f"file is larger than {size_text(max_bytes)}")
        return b"".join(chunks)
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as err:
        raise FileProblem(f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)


def kubefleet_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$KUBEFLEET_HOME`` or ``~/.kubefleet``."""
    env = os.environ if environ is None else environ
    value = env.get("KUBEFLEET_HOME")
    return Path(value).expanduser() if value else Path.home() / ".kubefleet"

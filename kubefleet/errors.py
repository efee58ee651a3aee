"""The one error family. The CLI maps these to exit codes in one place (cli/main.py).

Exit codes: 0 ok; 1 the job ran and found a problem (policy violation, drift, budget exceeded);
2 bad input or usage (bad spec, missing file, missing Pulumi CLI, bad config) -- and the user's
environment (a full disk, ``ulimit -f``, a name over 255 bytes, no writable temporary directory:
:func:`environment_error`), which is not a kubefleet bug either.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass


class KubefleetError(Exception):
    """Base of every error kubefleet raises on purpose. `str(err)` is what a person reads."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(KubefleetError):
    """The command was called wrongly (unknown provider, bad option combination, bad date)."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec file, with its position (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def render(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SpecError(KubefleetError):
    """One or more problems in spec files. Each carries file:line:col."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(i.render() for i in issues))

    def render(self) -> str:
        return "\n".join(i.render() for i in self.issues)


class ConfigError(KubefleetError):
    """A kubefleet configuration file (policy config, price cache) is wrong."""


class CatalogError(KubefleetError):
    """The price/feature catalog lacks something the job needs, or is malformed."""


class RenderError(KubefleetError):
    """A provider adapter could not turn a valid spec into resources."""


class EngineError(KubefleetError):
    """The Pulumi engine path failed (missing CLI, credentials, locked stack, ...)."""


class EngineMissingError(EngineError):
    """The Pulumi CLI is not installed or not on PATH."""


class ProblemFound(KubefleetError):
    """The job ran and found a problem: policy violation, drift, budget exceeded. Exit 1."""

    exit_code = 1


#: kubefleet errors the inline program raised in this process, newest last. The Automation API runs an
#: inline program in the caller's process but reports its failure to the engine as text only
#: (``InlineSourceRuntimeError``), so the message survives and the hint and exit code do not;
#: kubefleet.engine.errors.translate looks the original up here.
PROGRAM_ERRORS: list[KubefleetError] = []


def program_error(err: KubefleetError) -> KubefleetError:
    """Remember ``err`` (raised by program code, also inside an ``apply``) and return it for ``raise``."""
    PROGRAM_ERRORS.append(err)
    del PROGRAM_ERRORS[:-16]
    return err


class EnvironmentProblem(KubefleetError):
    """The machine kubefleet runs on stops it: a full disk, a file-size limit, a name too long for the file
    system, a directory it may not write, no temporary directory. Exit 2, with what to do."""


def _named(err: OSError, fallback: str) -> str:
    name = err.filename if isinstance(err.filename, str) else fallback
    return name if len(name) <= 120 else f"{name[:100]}… ({len(os.fsencode(name))} bytes)"


def environment_error(err: OSError, *, writing: str | None = None) -> EnvironmentProblem | None:
    """``err`` said as the user's environment (what happened, to which file, what to do), or None when it
    is not one (then it is a bug). ``writing`` names what was being written (e.g. "standard output")."""
    what = writing or _named(err, "a file")
    code = err.errno
    if code == errno.ENAMETOOLONG:
        longest = ""
        if isinstance(err.filename, str):
            longest = max(err.filename.split(os.sep), key=lambda part: len(os.fsencode(part)), default="")
        size = len(os.fsencode(longest))
        if size > 255:
            return EnvironmentProblem(f"a file or directory name is {size} bytes ({longest[:32]}…); file systems "
                                      "allow at most 255 bytes per name", hint="shorten that name")
        return EnvironmentProblem(f"{_named(err, 'a path')}: the path is longer than the file system allows",
                                  hint="shorten the path (or a name in it)")
    if code in (errno.ENOSPC, errno.EDQUOT):
        return EnvironmentProblem(f"no space left writing {what} ({os.strerror(code)})",
                                  hint="free some space, or write somewhere else (another disk, a file)")
    if code == errno.EFBIG:
        return EnvironmentProblem(f"writing {what} went past the file-size limit (ulimit -f)",
                                  hint="raise the limit (`ulimit -f unlimited`) or write somewhere else")
    if code == errno.ENOENT and "temporary directory" in str(err):
        return EnvironmentProblem("no writable temporary directory (TMPDIR, /tmp, /var/tmp)",
                                  hint="set TMPDIR to a directory you can write, e.g. TMPDIR=$HOME/tmp")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) and err.filename is not None:
        return EnvironmentProblem(f"{_named(err, 'a file')}: {os.strerror(code)}",
                                  hint="check its permissions; kubefleet's own files live in $KUBEFLEET_HOME "
                                  "(default ~/.kubefleet), which you can point elsewhere")
    if code in (errno.ELOOP, errno.ENOTDIR) and err.filename is not None:
        return EnvironmentProblem(f"{_named(err, 'a path')}: {os.strerror(code)}", hint="check the path")
    if code == errno.EIO and writing:
        return EnvironmentProblem(f"cannot write {what}: {os.strerror(code)}", hint="write somewhere else")
    return None

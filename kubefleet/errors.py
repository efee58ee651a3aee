"""The one error family. The CLI maps these to exit codes in one place (cli/main.py).

Exit codes: 0 ok; 1 the job ran and found a problem (policy violation, drift, budget exceeded);
2 bad input or usage (bad spec, missing file, missing Pulumi CLI, bad config).
"""

from __future__ import annotations

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

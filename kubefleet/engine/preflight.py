"""Is the Pulumi CLI installed? Checked before anything heavy is imported."""

from __future__ import annotations

import shutil
from typing import Final

from kubefleet.errors import EngineMissingError

INSTALL_HINT: Final = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (then add ~/.pulumi/bin to PATH) "
    "or `brew install pulumi/tap/pulumi`; without it the offline commands still work: "
    "kubefleet plan, kubefleet compare, kubefleet diff"
)


def missing_cli_error(detail: str | None = None) -> EngineMissingError:
    """The one message for 'no usable Pulumi CLI'."""
    message = "the Pulumi CLI (`pulumi`) is not installed or not on PATH; the engine commands need it"
    if detail:
        message = f"the Pulumi CLI cannot be used: {detail}"
    return EngineMissingError(message, hint=INSTALL_HINT)


def require_pulumi_cli() -> str:
    """The path of the ``pulumi`` executable, or :class:`EngineMissingError` (exit 2)."""
    found = shutil.which("pulumi")
    if found is None:
        raise missing_cli_error()
    return found

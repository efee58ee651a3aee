"""The Typer app: one module per command or group, registered here. Heavy imports stay inside commands."""

from __future__ import annotations

from enum import StrEnum

import typer

from kubefleet import __version__
from kubefleet.cli.main import KubefleetGroup

app = typer.Typer(
    name="kubefleet",
    cls=KubefleetGroup,
    help="One provider-neutral Kubernetes cluster spec on GKE, EKS, AKS or kubeadm-on-vSphere: "
    "plan it offline, compare costs and features side by side, stand it up with Pulumi.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

COMPLETE_VAR = "_KUBEFLEET_COMPLETE"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kubefleet {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """kubefleet: identical clusters on four targets, with costs and features side by side."""


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command()
def version() -> None:
    """Show kubefleet's version (and the Python running it)."""
    import platform

    typer.echo(f"kubefleet {__version__} (Python {platform.python_version()})")


@app.command()
def completion(shell: Shell = typer.Argument(..., help="bash, zsh or fish.")) -> None:
    """Print the shell completion script: eval "$(kubefleet completion bash)" in ~/.bashrc,
    `kubefleet completion zsh > "${fpath[1]}/_kubefleet"`, `kubefleet completion fish > ~/.config/fish/completions/kubefleet.fish`."""
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="kubefleet", complete_var=COMPLETE_VAR, shell=shell.value))


def _register() -> None:
    """Each module adds its commands; they import heavy things only when a command runs."""
    from kubefleet.cli import (
        cost_cmds,
        diff_cmd,
        engine_cmds,
        fleet_cmd,
        plan_cmd,
        policy_cmds,
        prices_cmds,
        spec_cmds,
        upgrade_cmds,
    )

    for module in (spec_cmds, plan_cmd, cost_cmds, engine_cmds, diff_cmd, policy_cmds, fleet_cmd, prices_cmds,
                   upgrade_cmds):
        module.register(app)


_register()

"""The Typer app: one module per command or group, registered here. Heavy imports stay inside commands."""

from __future__ import annotations

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
)


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
    )

    for module in (spec_cmds, plan_cmd, cost_cmds, engine_cmds, diff_cmd, policy_cmds, fleet_cmd, prices_cmds):
        module.register(app)


_register()

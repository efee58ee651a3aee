"""kubefleet upgrade: plan (and, from cli/upgrade_apply_cmd.py, apply) Kubernetes minor upgrades per cluster."""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from kubefleet.cli.main import KubefleetGroup

upgrade_app = typer.Typer(
    name="upgrade",
    cls=KubefleetGroup,
    help="Kubernetes minor upgrades: a dated chain per cluster and provider (plan), performed hop by hop (apply).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

#: Modules that add commands to the group: each has ``register(upgrade_app)``. One line per module.
SUBCOMMAND_MODULES: tuple[str, ...] = (
)


@upgrade_app.command("plan")
def plan(
    paths: list[Path] = typer.Argument(..., help="Spec files or directories (searched recursively)."),
    to: str = typer.Option("latest", "--to", help="Target minor (e.g. 1.35) or 'latest' (the newest the "
                           "provider offers on the spec's channel on --as-of)."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="Plan on this provider only "
                                        "(default: the spec's provider)."),
) -> None:
    """Plan each cluster's upgrade: one control-plane hop per minor, node-pool rollouts only where the
    version skew forces them (as Cluster API's chained upgrades do)."""
    from kubefleet.cli.common import provider_for
    from kubefleet.cli.console import stdout
    from kubefleet.errors import UsageError
    from kubefleet.fleet import discover
    from kubefleet.lifecycle.skew import chain

    loaded, failures = discover(paths)
    if failures:
        from kubefleet.errors import SpecError

        raise SpecError([i for f in failures for i in f.issues])
    if to == "latest":
        raise UsageError("--to latest needs the dated planner", hint="pass a minor, e.g. --to 1.35")
    out = stdout()
    for s in loaded:
        p = provider_for(s, provider)
        out.print(f"{s.spec.name} on {p}: {s.spec.spec.kubernetes.version} → {to}", highlight=False, markup=False)
        for step in chain(p, s.spec.spec.kubernetes.version, to):
            out.print(f"  {step.kind}: {step.from_minor} → {step.to_minor}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(upgrade_app)
    app.add_typer(upgrade_app, name="upgrade")

"""kubefleet upgrade: plan (and, from cli/upgrade_apply_cmd.py, apply) Kubernetes minor upgrades per cluster."""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Any

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
    "kubefleet.cli.upgrade_apply_cmd",
)


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@upgrade_app.command("plan")
def plan(
    paths: list[Path] = typer.Argument(..., help="Spec files or directories (searched recursively)."),
    to: str = typer.Option("latest", "--to", help="Target minor (e.g. 1.35) or 'latest': the newest minor the "
                           "provider offers on the spec's channel on --as-of."),
    by: str | None = typer.Option(None, "--by", help="Finish the chain by this date (YYYY-MM-DD): hops are spread "
                                  "evenly up to it (default: a week apart)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Plan as of this date (YYYY-MM-DD; default today)."),
    manifests: Path | None = typer.Option(None, "--manifests", help="Directory of Kubernetes manifests: list the "
                                          "APIs each hop removes that they still use."),
    provider: list[str] = typer.Option([], "--provider", "-p", help="Plan on these providers (repeatable; 'all' "
                                       "= gke, eks, aks, kubeadm). Default: the spec's provider, else all four."),
    output: PlanFormat = typer.Option(PlanFormat.table, "--output", "-o", help="table | json | markdown | html."),
) -> None:
    """Plan each cluster's upgrade as a dated chain: one control-plane hop per minor, node-pool rollouts only
    where the version skew forces them (as Cluster API's chained upgrades do), the method and knobs each
    provider renders, mesh moves that must come first, the date each hop must finish by, removed APIs per
    hop (--manifests) and what staying costs from which date. Exit 1 when a hop is late, a mesh has no
    release for the next minor or manifests use a removed API."""
    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import write
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.errors import ProblemFound, SpecError, UsageError
    from kubefleet.fleet import choose_provider, discover
    from kubefleet.lifecycle.compat import load_compat
    from kubefleet.lifecycle.upgrade import default_findings, plan_cluster
    from kubefleet.providers import check_provider
    from kubefleet.render.cache import cached_render
    from kubefleet.report import upgrade as out
    from kubefleet.resolve.cluster import resolve

    when = parse_date(as_of) or today()
    until = parse_date(by, what="--by")
    if until is not None and until < when:
        raise UsageError(f"--by {until} is before --as-of {when}", hint="the chain must finish after it starts")
    if manifests is not None and not manifests.exists():
        raise UsageError(f"--manifests {manifests}: no such file or directory")
    chosen: list[str] = []
    for p in provider:
        chosen.extend(("gke", "eks", "aks", "kubeadm") if p == "all" else (check_provider(p),))
    from kubefleet.lifecycle.skew import control_plane_hops, parse_minor

    if to != "latest":
        parse_minor(to)
    loaded, failures = discover(paths)
    if failures:
        raise SpecError([i for f in failures for i in f.issues])
    if not loaded:
        raise UsageError("no cluster specs found", hint="name *.yaml spec files or directories that hold them")
    catalog, compat = active_catalog(), load_compat()
    findings = default_findings() if manifests is not None else None
    skipped: list[str] = []
    if manifests is not None:
        from kubefleet.lifecycle.removed_apis import skipped_notes

        skipped = skipped_notes([manifests])  # Helm templates and the like: said, not silently passed over
    plans = []
    for s in loaded:
        if to != "latest":
            control_plane_hops(s.spec.spec.kubernetes.version, to)  # a downgrade is refused before any render
        own = choose_provider(s.spec)[0]
        for p in chosen or ([own] if own else ["gke", "eks", "aks", "kubeadm"]):
            graph = cached_render(resolve(s.spec, p, catalog=catalog, as_of=when))
            plans.append(plan_cluster(s.spec, p, target=to, as_of=when, by=until, catalog=catalog, compat=compat,
                                      file=f"{s.file}:{s.line}", pools=out.pool_methods(graph),
                                      manifests=[manifests] if manifests is not None else None, removed=findings))
            plans[-1].notes.extend(skipped)
    if output is PlanFormat.json:
        write(out.to_json(plans))
    elif output is PlanFormat.markdown:
        write(out.to_markdown(plans))
    elif output is PlanFormat.html:
        write(out.to_html(plans))
    else:
        _print(plans)
    bad = [p for p in plans if p.problems]
    if bad:
        raise ProblemFound(f"{len(bad)} of {len(plans)} plan(s) have problems: "
                           + "; ".join(f"{p.cluster} on {p.provider}: {p.problems[0]}" for p in bad[:3]))


def _print(plans: list[Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from kubefleet.cli.console import print_table, stdout
    from kubefleet.report import upgrade as out

    console = stdout()
    for p in plans:
        table = Table(title=out.title(p), title_justify="left")
        for col in ("step", "start", "finish by"):
            table.add_column(col, overflow="fold")
        rows = out.table_rows(p)
        for step, start, by, _ in rows:
            table.add_row(step, start, by)
        if not p.steps:
            table.add_row(f"already on {p.target}", "—", "—")
        print_table(console, table)
        for step, _, _, detail in rows:  # below the table, so narrow terminals keep every word
            if detail:
                console.print(Text(f"  {step}: {detail}", overflow="fold"), highlight=False)
        console.print(Text(f"staying on {p.current}: {out.staying_text(p)}", overflow="fold"), highlight=False)
        for x in p.problems:
            console.print(Text(f"problem: {x}", overflow="fold"), highlight=False)
        for x in p.notes:
            console.print(Text(f"note: {x}", overflow="fold"), highlight=False)


def register(app: typer.Typer) -> None:
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(upgrade_app)
    app.add_typer(upgrade_app, name="upgrade")

"""prices refresh, prices show: the user price cache ($KUBEFLEET_HOME/prices) over the shipped catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from kubefleet.cli.console import TableOrJson
from kubefleet.cli.main import KubefleetGroup

if TYPE_CHECKING:
    from kubefleet.cost.sources.show import ProviderInfo

prices_app = typer.Typer(
    name="prices",
    cls=KubefleetGroup,
    help="The price catalog: refresh it from the providers' price APIs, show what is known and how old it is.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ALL = ("gke", "eks", "aks")


def _providers(text: str | None) -> list[str]:
    from kubefleet.errors import UsageError

    if text is None or text.strip() == "all":
        return list(ALL)
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    for p in chosen:
        if p not in ALL:
            hint = "kubeadm is priced from your own rates (kubeadm.yaml)" if p == "kubeadm" else None
            raise UsageError(f"--provider {p!r} has no price source; choose from {', '.join(ALL)} or all", hint=hint)
    return chosen


def _progress(line: str) -> None:
    import sys

    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@prices_app.command("refresh")
def refresh(
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="gke, eks, aks, a comma list, or all (default: all)."
    ),
    accept_large_changes: bool = typer.Option(
        False, "--accept-large-changes", help="Accept prices more than 10× away from the catalog's current ones."
    ),
) -> None:
    """Fetch current list prices into $KUBEFLEET_HOME/prices; an old file is replaced only by a complete one."""
    from kubefleet.cli.common import today
    from kubefleet.cost.sources.gcp import KEY_VARIABLES
    from kubefleet.cost.sources.refresh import refresh_provider
    from kubefleet.errors import CatalogError, KubefleetError, UsageError

    chosen = _providers(provider)
    explicit = provider is not None and provider.strip() != "all"
    when = today()
    failures: list[tuple[str, KubefleetError]] = []
    for name in chosen:
        try:
            result = refresh_provider(name, today=when, progress=_progress, accept_large_changes=accept_large_changes)
        except UsageError as err:
            if name == "gke" and not explicit:
                _progress(f"gke: skipped: {err.message} (set {KEY_VARIABLES[0]} to include it)")
                continue
            raise
        except KubefleetError as err:
            failures.append((name, err))
            _progress(f"{name}: failed: {err.message}")
            continue
        regions = ", ".join(f"{r} ({n})" for r, n in result.regions.items())
        typer.echo(f"{name}: wrote {result.path}: instances per region: {regions}")
        if result.fees:
            typer.echo(f"{name}: fees from the API: {', '.join(result.fees)}")
        if result.gaps:
            typer.echo(f"{name}: not in the API's answer (recorded as gaps): {', '.join(result.gaps)}")
    if failures:
        if len(failures) == 1:
            raise failures[0][1]
        raise CatalogError("; ".join(f"{n}: {e.message}" for n, e in failures),
                           hint="the catalog files of these providers were left as they were")


@prices_app.command("show")
def show(
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke, eks, aks, a comma list, or all."),
    region: str | None = typer.Option(None, "--region", "-r", help="Only this provider region (e.g. eastus)."),
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date to measure source ages against (YYYY-MM-DD)."),
) -> None:
    """What the catalog in use knows per provider and region, where each figure came from and how old it is."""
    import json

    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import write
    from kubefleet.cost.sources.cache import active_catalog, cache_dir
    from kubefleet.cost.sources.show import summarize

    when = parse_date(as_of) or today()
    directory = cache_dir()
    infos = summarize(active_catalog(), as_of=when, cache=directory if directory.is_dir() else None,
                      providers=_providers(provider), region=region)
    if output is TableOrJson.json:
        write(json.dumps({"as_of": when.isoformat(), "providers": [i.as_dict() for i in infos]}, indent=2))
        for info in infos:  # the JSON carries them too; stderr keeps them visible without breaking a pipe
            for warning in info.warnings:
                _progress(f"warning: {warning}")
    else:
        _print(infos)


def _print(infos: Sequence[ProviderInfo]) -> None:
    from rich.table import Table

    from kubefleet.cli.console import stdout

    console = stdout()
    for info in infos:
        where = "user cache" if info.origin == "cache" else "shipped catalog"
        data = (f"data published/generated {info.data_as_of.isoformat()} ({info.data_age_days} days old)"
                if info.data_as_of else "data date unknown")
        console.print(f"{info.provider}: {where} ({info.path}); {data}; read {info.as_of.isoformat()} "
                      f"({info.age_days} days ago)", markup=False)
        table = Table("region", "instances", "storage", "network", show_edge=False)
        for r in info.regions:
            table.add_row(r.region, str(r.instances), ", ".join(r.storage) or "-", ", ".join(r.network) or "-")
        console.print(table)
        console.print(f"  fees: {', '.join(info.fees) or '-'}; known gaps: {info.gaps}", markup=False)
        for s in info.sources:
            published = (f"published {s.published.isoformat()} ({s.data_age_days} days old)" if s.published
                         else "publication date not stated")
            console.print(f"  source {s.key}: {published}; read {s.read.isoformat()} ({s.age_days} days ago) {s.url}",
                          markup=False, soft_wrap=True)
        if info.undated:
            console.print(f"  data age unknown for {len(info.undated)} source(s) that state no publication date: "
                          f"{', '.join(info.undated)}", markup=False)
        for warning in info.warnings:
            console.print(f"  warning: {warning}", markup=False)
        console.print("")


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")

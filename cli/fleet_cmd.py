"""kubefleet fleet: every cluster under some paths, what it costs, who owns it, and what looks wrong."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import Format
from kubefleet.cli.main import KubefleetGroup
from kubefleet.errors import ProblemFound, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.fleet import FleetReport, StackMatch


class GroupByOpt(StrEnum):
    team = "team"
    env = "env"
    provider = "provider"
    region = "region"
    cost_center = "cost-center"


def fleet(
    paths: list[Path] | None = typer.Argument(None, help="Spec files and directories (searched recursively)."),
    by: GroupByOpt = typer.Option(GroupByOpt.team, "--by", help="Group totals by team | env | provider | region | cost-center."),
    output: Format = typer.Option(Format.table, "--output", "-o", help="table | json | csv | markdown | html."),
    as_of: str | None = typer.Option(None, "--as-of", help="Price and check support dates as of this date "
                                     "(YYYY-MM-DD; default today)."),
    hours: str | None = typer.Option(None, "--hours", help="Hours per month (default 730)."),
    egress_gb: str | None = typer.Option(None, "--egress-gb", help="NAT egress GB per month per cluster (default 100)."),
    log_gb: str | None = typer.Option(None, "--log-gb", help="Log GiB ingested per cluster per month (GKE Cloud "
                                      "Logging, EKS control-plane logs); default: not priced, no upper bound."),
    compare_providers: bool = typer.Option(True, "--compare/--no-compare",
                                           help="Price every cluster on every provider for the cheaper-provider "
                                           "finding (--no-compare prices only the chosen provider: faster)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes for rendering "
                                    "(default: one per CPU for large fleets, in-process for small ones)."),
    stacks: bool = typer.Option(False, "--stacks", help="List deployed stacks from the backend and match them "
                                "with the specs (needs the Pulumi CLI)."),
    backend: str | None = typer.Option(None, "--backend", help="State backend for --stacks (default: "
                                       "PULUMI_BACKEND_URL, else kubefleet's local backend)."),
    currency: str | None = typer.Option(None, "--currency", help="Show every amount in this currency (EUR, GBP, …) "
                                        "at the catalog's dated ECB reference rate; default USD (the list prices)."),
    usage: Path | None = typer.Option(None, "--usage", help="Usage file in Infracost's infracost-usage.yml format: "
                                      "kubefleet_cluster.<name> entries per cluster, a kubefleet_cluster type "
                                      "default; flags win over it."),
) -> None:
    """Fleet view: inventory, monthly cost grouped by team/env/provider/region, and findings
    (missing owner or cost-center, versions near or past end of support, clusters too small for their
    control plane, likely duplicates, cheaper providers). Exit 1 when a spec file failed to load."""
    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import write
    from kubefleet.fleet import build_report, discover
    from kubefleet.report import fleet_out

    if stacks:
        _stacks(paths or [], backend, output)
        return
    if backend:
        raise UsageError("--backend only applies with --stacks")
    if not paths:
        raise UsageError("name at least one spec file or directory", hint="e.g. kubefleet fleet clusters/")
    from kubefleet.cli.cost_cmds import _assumptions, _per_cluster, active_catalog, fx_rate, shown_in

    rate = fx_rate(currency)
    when = parse_date(as_of) or today()
    assume = _assumptions(hours, egress_gb, log_gb)
    loaded, failures = discover(paths)
    assume_for = _per_cluster(assume, usage, [item.spec.name for item in loaded]) if usage is not None else None
    from kubefleet.spec.files import cluster_files

    skipped = cluster_files(paths).skipped_note()
    if skipped:
        from kubefleet.cli.console import stderr

        stderr().print(skipped, highlight=False, markup=False)
    if not loaded and not failures:
        raise UsageError("no cluster specs found", hint="name *.yaml spec files or directories that hold them")
    with shown_in(rate):
        with _FleetProgress(len(loaded), len(failures), compare_providers) as progress:
            report = build_report(loaded, failures, as_of=when, catalog=active_catalog(), group_by=by.value,
                                  assumptions=assume, compare_providers=compare_providers, jobs=jobs,
                                  progress=progress, fx=rate, assumptions_for=assume_for)
        if output is Format.json:
            write(fleet_out.to_json(report))
        elif output is Format.csv:
            write(fleet_out.to_csv(report))
        elif output is Format.markdown:
            write(fleet_out.to_markdown(report))
        elif output is Format.html:
            write(fleet_out.to_html(report))
        else:
            _print_report(report)
    if report.failures:
        raise ProblemFound(f"{len(report.failures)} spec file(s) failed to load; the report lists them "
                           "with file:line:col and covers every other cluster")


def show_progress_bar() -> bool:
    """A live bar only on a terminal and never under CI (as `kubefleet up` does); else the plan line only."""
    import os
    import sys

    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return sys.stderr.isatty() and not ci


class _FleetProgress:
    """A one-line plan of the work on stderr, then a progress bar while specs are rendered and priced."""

    def __init__(self, clusters: int, failed: int, compare: bool) -> None:
        self.clusters, self.failed, self.compare = clusters, failed, compare
        self.bar: Any = None
        self.task: Any = None
        self.lines: Any = None

    def __enter__(self) -> _FleetProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, done: int, total: int, workers: int) -> None:
        if done == 0:
            from kubefleet.cli.console import stderr

            where = "on all providers" if self.compare else "on their own provider"
            failed = f"; {self.failed} file(s) failed to load" if self.failed else ""
            stderr().print(f"fleet: {self.clusters} clusters, {total} distinct to price {where}, "
                           f"{workers} worker(s){failed}", highlight=False, markup=False)
            if show_progress_bar() and total > 1:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                self.bar = Progress(TextColumn("pricing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                    console=stderr(), transient=True)
                self.bar.start()
                self.task = self.bar.add_task("pricing", total=total)
            else:  # no terminal (CI, a pipe): `i/N` lines every 2 s for large fleets instead of the bar
                from kubefleet.cli.common import Progress as Lines

                self.lines = Lines("fleet: pricing", total)
            return
        if self.bar is not None:
            self.bar.update(self.task, completed=done)
        elif self.lines is not None:
            self.lines.step(done)


def _print_report(report: FleetReport) -> None:
    from rich.table import Table

    from kubefleet.cli.console import stdout
    from kubefleet.cost.model import fmt_money
    from kubefleet.report.fleet_out import (
        _cost,
        _group_note,
        credit_lines,
        nodes_max_text,
        nodes_text,
        provider_text,
        region_text,
    )

    out = stdout()
    t = report.total
    inv = Table(title=f"fleet: {t.clusters} cluster(s), {fmt_money(t.monthly)}/month ({report.currency}) as of {report.as_of}",
                title_justify="left")
    for col, just in (("cluster", "left"), ("team", "left"), ("owner", "left"), ("env", "left"),
                      ("provider", "left"), ("region", "left"), ("version", "left"), ("nodes", "right"),
                      ("max", "right"), ("monthly", "right")):
        inv.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for r in report.rows:
        inv.add_row(r.name, r.team or "—", r.owner or "—", r.env or "—", provider_text(r), region_text(r), r.version,
                    nodes_text(r), nodes_max_text(r), _cost(r))
    from kubefleet.cli.console import print_table

    print_table(out, inv, drop=("max", "owner", "version", "team", "region"))
    groups = Table(title=f"by {report.group_by}", title_justify="left")
    for col, just in ((report.group_by, "left"), ("clusters", "right"), ("monthly", "right"),
                      ("at autoscaling max", "right"), ("note", "left")):
        groups.add_column(col, justify=just)  # type: ignore[arg-type]
    for g in report.groups():
        groups.add_row(g.key, str(g.clusters), fmt_money(g.monthly), fmt_money(g.monthly_max), _group_note(g))
    groups.add_section()
    groups.add_row("total", str(t.clusters), fmt_money(t.monthly), fmt_money(t.monthly_max), _group_note(t))
    print_table(out, groups, drop=("at autoscaling max",))
    for line in credit_lines(report):
        out.print(line, highlight=False, markup=False)
    if report.fx is not None:
        out.print(f"currency {report.currency}: {report.fx.describe()}", highlight=False, markup=False)
    _print_findings(out, report)


def _print_findings(out: Console, report: FleetReport) -> None:
    colours = {"high": "red", "medium": "yellow", "low": "cyan", "info": "blue"}
    out.print(f"findings: {len(report.findings)}", highlight=False)
    if report.findings:  # rolled up by kind first: 300 specs give long lists
        from collections import Counter

        kinds = Counter(f.code for f in report.findings)
        rollup = " · ".join(f"{n} {code}" for code, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        out.print(f"by kind: {rollup}", highlight=False, markup=False)
    from rich.text import Text

    code_width = 32 if out.width >= 120 else 0  # aligned columns only where they fit; else one flowing line
    for f in report.findings:
        out.print(Text.assemble((f"{f.severity:<6}", colours[f.severity]), f" {f.code:<{code_width}} {f.cluster}: ",
                                f.message))
    for fail in report.failures:
        for i in fail.issues:
            out.print(Text.assemble(("error ", "red"), f" {fail.file}:{i.line}:{i.column}: ", i.message))


def _stacks(paths: list[Path], backend: str | None, output: Format) -> None:
    """Deployed stacks (engine) matched with the specs under ``paths``."""
    from kubefleet.cli.console import stdout, write
    from kubefleet.engine.backend import check_backend_url
    from kubefleet.engine.preflight import require_pulumi_cli
    from kubefleet.fleet import discover, match_stacks
    from kubefleet.report import fleet_out

    if output not in (Format.table, Format.json):
        raise UsageError("--stacks writes table or json", hint="use --output table or --output json")
    if backend:
        check_backend_url(backend)
    require_pulumi_cli()
    from kubefleet.engine.backend import resolve_backend
    from kubefleet.engine.errors import EngineContext, engine_errors
    from kubefleet.fleet import read_stacks

    loaded, failures = discover(paths) if paths else ([], [])
    chosen = resolve_backend(backend)
    with engine_errors(EngineContext(action="stacks", backend=chosen.url, secrets=list(chosen.secret_values()))):
        found = read_stacks(chosen)
    matches = match_stacks(loaded, found)
    if output is Format.json:
        write(fleet_out.stacks_json(chosen.url, matches))
    else:
        _print_stacks(stdout(), chosen.describe(), matches, bool(paths))
    if failures:
        raise ProblemFound(f"{len(failures)} spec file(s) failed to load; their clusters are not matched")


def _print_stacks(out: Console, where: str, matches: list[StackMatch], have_specs: bool) -> None:
    import json

    from rich.table import Table

    table = Table(title=f"stacks in {where}", title_justify="left")
    for col in ("status", "cluster", "stack", "last update", "resources", "outputs"):
        table.add_column(col, overflow="fold")
    for m in matches:
        s = m.stack
        status = m.status if have_specs or m.status != "no-spec" else "deployed (no specs given)"
        table.add_row(status, m.cluster or "—", s.name if s else f"({m.expected_stack or 'no provider'})",
                      s.last_update.isoformat() if s and s.last_update else "—",
                      str(s.resource_count) if s and s.resource_count is not None else "—",
                      json.dumps(dict(s.outputs), sort_keys=True) if s and s.outputs else "")
    out.print(table)


class CalendarFormat(StrEnum):
    ics = "ics"
    json = "json"
    markdown = "markdown"


def calendar(
    paths: list[Path] = typer.Argument(..., help="Spec files and directories (searched recursively)."),
    output: CalendarFormat = typer.Option(CalendarFormat.ics, "--output", "-o", help="ics | json | markdown."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date of the calendar (YYYY-MM-DD; default today); the "
                                     "iCalendar DTSTAMP is derived from it."),
    upcoming: bool = typer.Option(False, "--upcoming", help="Only dates on or after --as-of."),
) -> None:
    """Every end-of-support, forced-upgrade and fee-change date of every cluster's Kubernetes minor on its
    provider (the spec's provider, else its `provider` label, else the only provider it configures), by owner,
    each with its source. Exit 1 when a spec file failed to load."""
    from dataclasses import replace

    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import write
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.fleet import choose_provider, discover
    from kubefleet.lifecycle import calendar as cal

    when = parse_date(as_of) or today()
    loaded, failures = discover(paths)
    if not loaded and not failures:
        raise UsageError("no cluster specs found", hint="name *.yaml spec files or directories that hold them")
    placed = []
    for s in loaded:
        provider = choose_provider(s.spec)[0]
        if provider is not None:
            placed.append((s.spec, provider, f"{s.file}:{s.line}"))
    found = cal.build(placed, active_catalog(), when)
    if upcoming:
        found = replace(found, events=tuple(e for e in found.events if e.on >= when))
    if output is CalendarFormat.json:
        write(cal.to_json(found))
    elif output is CalendarFormat.markdown:
        write(cal.to_markdown(found))
    else:
        import sys

        sys.stdout.write(cal.to_ics(found))
        sys.stdout.flush()
    unplaced = len(loaded) - len(placed)
    if unplaced:
        from kubefleet.cli.console import stderr

        stderr().print(f"fleet calendar: {unplaced} cluster(s) name no provider and are not in the calendar",
                       highlight=False, markup=False)
    if failures:
        raise ProblemFound(f"{len(failures)} spec file(s) failed to load: "
                           + "; ".join(f"{f.file}:{f.issues[0].line}:{f.issues[0].column}: {f.issues[0].message}"
                                       for f in failures[:3]))


class FleetGroup(KubefleetGroup):
    """`kubefleet fleet DIR ...` runs the fleet view (the default command); `kubefleet fleet calendar DIR` the
    calendar. A first argument that is not a subcommand (a path or an option) goes to the fleet view."""

    default = "show"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


fleet_app = typer.Typer(
    name="fleet",
    cls=FleetGroup,
    help="Fleet view: `kubefleet fleet DIR [options]` (same as `fleet show`; inventory, cost by team/env/"
    "provider/region, findings) and `kubefleet fleet calendar DIR` (support, forced-upgrade and fee dates).",
    rich_markup_mode=None,
)
fleet_app.command("show")(fleet)
fleet_app.command("calendar")(calendar)


def register(app: typer.Typer) -> None:
    app.add_typer(fleet_app, name="fleet")

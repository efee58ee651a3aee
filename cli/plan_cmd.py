"""kubefleet plan: render offline under the Pulumi SDK's mock monitor and show what would be created."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kubefleet.cli.console import TableOrJson
from kubefleet.cli.diff_cmd import BASE_HELP

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.resolve.model import ResolvedCluster
    from kubefleet.verify import VerifyReport


def plan(
    file: Path = typer.Argument(..., help="Spec file (all clusters in it are planned)."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke | eks | aks | kubeadm (default: spec.provider)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Only this cluster of a multi-document file."),
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
    all_parity: bool = typer.Option(False, "--all-parity", help="List native parity rows too, not only the differences."),
    verify: bool = typer.Option(
        False, "--verify",
        help="Also check every rendered input against the cloud's own API model (needs kubefleet[verify]); "
        "exit 1 if the cloud would reject one.",
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the compatibility data is checked and dated choices (mesh revisions) are made for "
                                "(default: today for the check, the data's own date for the choices)."),
    base: str | None = typer.Option(None, "--base", help=BASE_HELP),
) -> None:
    """Show the resources a provider would create for a spec, offline: no credentials, no Pulumi CLI.

    With --base (a git ref such as origin/main, or the previous spec file), a Kubernetes version move the
    provider refuses (a skipped minor or a downgrade) is reported at spec.kubernetes.version, with the chain
    to use instead, and nothing is planned (exit 2)."""
    from rich.table import Table

    from kubefleet.cli.common import load_specs, parse_date, provider_for, today
    from kubefleet.cli.console import print_table, stdout, write
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.lifecycle.check import enforce
    from kubefleet.render.cache import cached_render
    from kubefleet.report.plan import key_inputs, plan_json
    from kubefleet.resolve.cluster import resolve

    catalog = active_catalog()
    loaded_specs = load_specs(file, cluster)
    chosen = {s.spec.name: provider_for(s, provider) for s in loaded_specs}
    on = parse_date(as_of)
    if base is not None:  # a version move the cloud refuses, at the spec's line, before anything else
        from kubefleet.changes.upgrades import refusal_issues
        from kubefleet.cli.diff_cmd import read_bases
        from kubefleet.errors import SpecError

        refused = refusal_issues(loaded_specs, read_bases(base, [file]),
                                 {name: [p] for name, p in chosen.items()}, catalog, on or today())
        if refused:
            raise SpecError(refused)
    enforce(loaded_specs, chosen, on or today())
    # an explicit --as-of also dates the resolved cluster's dated choices (mesh revisions, Istio releases),
    # so the plan shows what would be chosen on that day, not on the day the data was read
    resolved = [resolve(s.spec, chosen[s.spec.name], catalog=catalog, as_of=on) for s in loaded_specs]
    graphs = [cached_render(ctx) for ctx in resolved]
    reports: list[VerifyReport] = []
    if verify:
        from kubefleet.providers import verify_graph

        reports = [verify_graph(g) for g in graphs]
    if output is TableOrJson.json:
        from kubefleet.render.offline import scope_graphs

        write(plan_json(graphs, reports or None, scope_graphs(resolved)))
        _fail_on_violations(reports)
        return
    out = stdout()
    for g in graphs:
        table = Table(title=f"{g.cluster} on {g.provider} ({g.region}): {len(g.resources)} resources", title_justify="left")
        table.add_column("type")
        table.add_column("name")
        table.add_column("parent")
        table.add_column("key inputs", overflow="fold")
        for r in g.resources:
            table.add_row(r.type, r.name, r.parent_name or "", key_inputs(r.inputs))
        print_table(out, table)
        pools = Table(title="node pools", title_justify="left")
        for col in ("pool", "instance", "why"):
            pools.add_column(col, overflow="fold")
        for pool, choice in g.instances.items():
            why = choice.reason + (f" ({choice.note})" if choice.note else "")
            pools.add_row(pool, choice.name, why)
        print_table(out, pools)
        rows = [n for n in g.parity if all_parity or n.status != "native"]
        native = sum(1 for n in g.parity if n.status == "native")
        parity = Table(title=f"parity: {native} of {len(g.parity)} fields native", title_justify="left")
        for col in ("field", "status", "how / why"):
            parity.add_column(col, overflow="fold")
        for n in rows:
            parity.add_row(n.field, n.status, n.detail)
        print_table(out, parity)
    _print_scopes(out, resolved)
    for report in reports:
        _print_verify(out, report)
    _fail_on_violations(reports)


def _print_scopes(out: Console, resolved: list[ResolvedCluster]) -> None:
    """The resources that exist once per project (providers/scope.py), once per scope whatever the number of
    clusters of the file in it: the shared stack `up` creates or adopts before the clusters."""
    from rich.table import Table

    from kubefleet.cli.console import print_table
    from kubefleet.render.offline import scope_graphs
    from kubefleet.report.plan import key_inputs

    for sg in scope_graphs(resolved):
        where = sg.scope.key if sg.scope.known else "the project of GOOGLE_PROJECT at `up`"
        table = Table(title=f"shared by {', '.join(sg.clusters)} (stack {sg.stack}, once per project {where}): "
                      f"{len(sg.resources)} resources, no charge of their own", title_justify="left")
        for col in ("type", "name", "key inputs"):
            table.add_column(col, overflow="fold")
        for r in sg.resources:
            table.add_row(r.type, r.name, key_inputs(r.inputs))
        print_table(out, table)


def _print_verify(out: Console, report: VerifyReport) -> None:
    from rich.table import Table

    if report.oracle is None:
        out.print(f"verify {report.cluster} on {report.provider}: " + "; ".join(report.notes))
        return
    if report.ok:
        out.print(f"[green]✓[/] verify {report.cluster} on {report.provider}: {report.checked} inputs match "
                  f"{report.oracle}")
        return
    table = Table(title=f"verify {report.cluster} on {report.provider}: {len(report.violations)} rejected by "
                  f"{report.oracle}", title_justify="left")
    for col in ("resource", "input", "value", "problem", "allowed"):
        table.add_column(col, overflow="fold")
    for v in report.violations:
        table.add_row(v.resource, v.field, v.value, v.problem, v.allowed)
    out.print(table)


def _fail_on_violations(reports: list[VerifyReport]) -> None:
    from kubefleet.verify import raise_on_violations

    raise_on_violations(reports)


def register(app: typer.Typer) -> None:
    app.command()(plan)

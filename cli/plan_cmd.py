"""kubefleet plan: render offline under the Pulumi SDK's mock monitor and show what would be created."""

from __future__ import annotations

from pathlib import Path

import typer

from kubefleet.cli.console import TableOrJson


def plan(
    file: Path = typer.Argument(..., help="Spec file (all clusters in it are planned)."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke | eks | aks | kubeadm (default: spec.provider)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Only this cluster of a multi-document file."),
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
    all_parity: bool = typer.Option(False, "--all-parity", help="List native parity rows too, not only the differences."),
) -> None:
    """Show the resources a provider would create for a spec, offline: no credentials, no Pulumi CLI."""
    from rich.table import Table

    from kubefleet.cli.common import load_specs, provider_for
    from kubefleet.cli.console import stdout, write
    from kubefleet.cli.cost_cmds import active_catalog
    from kubefleet.render_cache import cached_render
    from kubefleet.report.plan import key_inputs, plan_json

    catalog = active_catalog()
    graphs = []
    for loaded in load_specs(file, cluster):
        graphs.append(cached_render(loaded.spec, provider_for(loaded, provider), catalog=catalog))
    if output is TableOrJson.json:
        write(plan_json(graphs))
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
        out.print(table)
        pools = Table(title="node pools", title_justify="left")
        for col in ("pool", "instance", "why"):
            pools.add_column(col, overflow="fold")
        for pool, choice in g.instances.items():
            why = choice.reason + (f" ({choice.note})" if choice.note else "")
            pools.add_row(pool, choice.name, why)
        out.print(pools)
        rows = [n for n in g.parity if all_parity or n.status != "native"]
        native = sum(1 for n in g.parity if n.status == "native")
        parity = Table(title=f"parity: {native} of {len(g.parity)} fields native", title_justify="left")
        for col in ("field", "status", "how / why"):
            parity.add_column(col, overflow="fold")
        for n in rows:
            parity.add_row(n.field, n.status, n.detail)
        out.print(parity)


def register(app: typer.Typer) -> None:
    app.command()(plan)

"""policy check, policy rules: the offline policy check (the same rules as the CrossGuard pack in policies/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import DiffFormat, TableOrJson
from kubefleet.cli.main import KubefleetGroup

if TYPE_CHECKING:
    from kubefleet.policies.model import Finding

policy_app = typer.Typer(
    name="policy",
    cls=KubefleetGroup,
    help="Policy rules over specs and their rendered resources (the CrossGuard pack in policies/ runs the same).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _as_of(text: str | None) -> date:
    from kubefleet.errors import UsageError

    if text is None:
        return date.today()  # the CLI boundary is the one place that reads the clock
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2026-11-27") from None


@policy_app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="Spec files or directories; team budgets add up over all of them."),
    provider: str | None = typer.Option(
        None, "--provider", "-p", help="gke, eks, aks, kubeadm, a comma list, or all (default: spec.provider, else all)."
    ),
    config: Path | None = typer.Option(None, "--config", "-c", help="Policy config: levels and parameters per rule."),
    output: DiffFormat = typer.Option(DiffFormat.table, "--output", "-o", help="table, json or markdown."),
    as_of: str | None = typer.Option(None, "--as-of", help="Check date for version support and prices (YYYY-MM-DD)."),
) -> None:
    """Check cluster specs against the policy rules offline; exit 1 on any mandatory violation."""

    from kubefleet.cli.common import Progress
    from kubefleet.cli.console import write
    from kubefleet.errors import ProblemFound
    from kubefleet.policies.config import load_policy_config
    from kubefleet.policies.engine import check as run_check
    from kubefleet.policies.report import findings_markdown, summary
    from kubefleet.providers import parse_providers

    when = _as_of(as_of)
    cfg = load_policy_config(config)
    chosen = None if provider is None else parse_providers(provider)
    from kubefleet.cli.spec_cmds import load_paths

    specs = [loaded.spec for loaded in load_paths(files)]  # every bad file reported, not just the first
    from kubefleet.catalog import load_catalog
    from kubefleet.cli.common import render_ahead
    from kubefleet.policies.engine import providers_for
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    catalog = load_catalog()
    # Rendered through the render cache, the misses first in worker processes: the same graphs (the cache
    # key is everything that decides one), read back in the specs' order, so findings and errors are those
    # of a sequential run; a second run over the same specs only reads the cache.
    render_ahead([(spec, p) for spec in specs for p in providers_for(spec, chosen)], catalog=catalog,
                 what="policy check")
    progress = Progress("policy check: clusters", len(specs))
    protection = cfg.protection()  # the config's production rule decides `protect`, as it does for `up`
    result = run_check(specs, as_of=when, providers=chosen, config=cfg, catalog=catalog,
                       renderer=lambda spec, p: cached_render(resolve(spec, p, catalog=catalog, protection=protection)),
                       progress=progress.step)
    if output is DiffFormat.json:
        from kubefleet.report.contract import document, dumps

        write(dumps(document("PolicyReport", result.as_dict()), sort_keys=False))
    elif output is DiffFormat.markdown:
        write(findings_markdown(result.findings))
    else:
        _print_table(result.findings, result.checked)
    if result.failed:
        raise ProblemFound(f"policy check failed: {summary(result.findings)}",
                           hint="fix the mandatory findings, or change their level in a policy config (--config)")


def _print_table(findings: Sequence[Finding], checked: Sequence[tuple[str, str]]) -> None:
    from rich.table import Table

    from kubefleet.cli.console import stdout
    from kubefleet.policies.report import rows, summary

    out = stdout()
    where = ", ".join(f"{c} on {p}" for c, p in checked)
    if not findings:
        out.print(f"[green]✓[/] no policy findings ({where})")
        return
    table = Table(show_lines=False)
    for col in ("level", "rule", "cluster", "provider", "finding", "hint"):
        table.add_column(col, overflow="fold")
    for level, rule, cluster, provider, message, hint in rows(findings):
        style = "bold red" if level == "mandatory" else "yellow"
        table.add_row(f"[{style}]{level}[/]", rule, cluster, provider, message, hint)
    from kubefleet.cli.console import print_table

    print_table(out, table, drop=("hint",))
    out.print(f"{summary(findings)} ({where})")


@policy_app.command("rules")
def rules(
    output: TableOrJson = typer.Option(TableOrJson.table, "--output", "-o", help="table or json."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Show levels and parameters under this config."),
) -> None:
    """List the policy rules: id, level, scope, parameters."""

    from kubefleet.cli.console import stdout, write
    from kubefleet.policies.config import load_policy_config
    from kubefleet.policies.rules import RULES

    cfg = load_policy_config(config)
    entries: list[dict[str, Any]] = []
    for rule in RULES.values():
        settings = cfg.settings(rule)
        entries.append({
            "id": rule.id,
            "level": settings.level,
            "scope": rule.scope,
            "description": rule.description,
            "params": {k: (v if isinstance(v, (list, dict, bool, int)) or v is None else str(v))
                       for k, v in settings.params.items()},
        })
    if output is TableOrJson.json:
        from kubefleet.report.contract import dumps, list_document

        write(dumps(list_document("PolicyRuleList", entries), sort_keys=False))
        return
    from rich.table import Table

    table = Table()
    for col in ("rule", "level", "scope", "description", "parameters"):
        table.add_column(col, overflow="fold")
    for e in entries:
        params = "; ".join(f"{k}={v}" for k, v in e["params"].items())
        table.add_row(str(e["id"]), str(e["level"]), str(e["scope"]), str(e["description"]), params)
    stdout().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")

"""validate, schema, init: the spec's own commands."""

from __future__ import annotations

from pathlib import Path

import typer

from kubefleet.errors import SpecError, SpecIssue, UsageError


def validate(
    files: list[Path] = typer.Argument(..., help="Spec files or directories (searched for *.yaml / *.yml)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the compatibility data is checked for (default: today)."),
) -> None:
    """Check cluster specs: every mistake with file:line:col and a hint; exit 2 if any is wrong.

    Specs naming a provider (`spec.provider`) are also checked against the catalog's dated compatibility
    data: the Kubernetes minor must be offered on that provider's channel, a managed mesh must have a
    revision for it.
    """
    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import stdout
    from kubefleet.compat import problems
    from kubefleet.loader import expand_paths, load_file

    on = parse_date(as_of) or today()

    out = stdout()
    issues: list[SpecIssue] = []
    for path in expand_paths(files):
        try:
            specs = load_file(path)
        except SpecError as err:
            issues.extend(err.issues)
            continue
        found = [i for s in specs if s.spec.spec.provider for i in problems(s, s.spec.spec.provider, on)]
        if found:
            issues.extend(found)
            continue
        names = ", ".join(s.spec.name for s in specs)
        out.print(f"[green]✓[/] {path}: {len(specs)} cluster{'s' if len(specs) != 1 else ''} ({names})")
    if issues:
        raise SpecError(issues)


def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of the cluster spec (for editors and CI)."""
    from kubefleet.cli.console import write
    from kubefleet.schema import schema_text

    text = schema_text()
    if output is None:
        write(text)
    else:
        output.write_text(text)


def init(
    name: str = typer.Argument(..., help="Cluster name (DNS-1123 label); the file is NAME.yaml."),
    path: Path | None = typer.Option(None, "--path", help="Where to write (default ./NAME.yaml)."),
    provider: str = typer.Option("gke", "--provider", help="Default provider written into the spec."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter spec."""
    import re
    from importlib import resources

    from kubefleet.cli.console import stdout
    from kubefleet.loader import load_text
    from kubefleet.providers import check_provider
    from kubefleet.spec import DNS_LABEL

    if not re.match(DNS_LABEL, name) or len(name) > 40:
        raise UsageError(
            f"{name!r} is not a valid cluster name",
            hint="use a DNS-1123 label: lowercase letters, digits and '-', starting with a letter, at most 40",
        )
    target = path or Path(f"{name}.yaml")
    if target.is_dir():
        target = target / f"{name}.yaml"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", hint="pass --force to overwrite it")
    template = resources.files("kubefleet.templates").joinpath("starter.yaml").read_text()
    text = (template.replace("__NAME__", name).replace("__FILE__", str(target))
            .replace("__PROVIDER__", check_provider(provider)))
    load_text(text, str(target))  # the starter must itself be valid
    target.write_text(text)
    stdout().print(f"[green]✓[/] wrote {target}; next: kubefleet validate {target}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(init)

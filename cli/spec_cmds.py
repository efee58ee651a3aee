"""validate, schema, init: the spec's own commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kubefleet.cli.diff_cmd import BASE_HELP
from kubefleet.errors import SpecError, SpecIssue, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from kubefleet.spec.loader import LoadedSpec


def validate(
    files: list[Path] = typer.Argument(..., help="Spec files or directories (searched for *.yaml / *.yml)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the compatibility data is checked for (default: today)."),
    base: str | None = typer.Option(None, "--base", help=BASE_HELP),
) -> None:
    """Check cluster specs: every mistake with file:line:col and a hint; exit 2 if any is wrong.

    Specs naming a provider (`spec.provider`) are also checked against the catalog's dated compatibility
    data: the Kubernetes minor must be offered on that provider's channel, a managed mesh must have a
    revision for it. With --base (a git ref such as origin/main, or the previous spec file), a Kubernetes
    version move the provider refuses — a skipped minor or a downgrade — is reported at
    spec.kubernetes.version with the chain to use instead (every provider when the spec names none).
    """
    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import stdout
    from kubefleet.lifecycle.check import problems
    from kubefleet.spec.loader import load_file

    on = parse_date(as_of) or today()

    out = stdout()
    issues: list[SpecIssue] = []
    paths = spec_paths(files)
    moves = _version_moves(base, paths, on) if base is not None else None
    for path in paths:
        try:
            specs = load_file(path)
        except SpecError as err:
            issues.extend(err.issues)
            continue
        found = [i for s in specs if s.spec.spec.provider for i in problems(s, s.spec.spec.provider, on)]
        if moves is not None:
            found += moves(specs)
        if found:
            issues.extend(found)
            continue
        names = ", ".join(s.spec.name for s in specs)
        out.print(f"[green]✓[/] {path}: {len(specs)} cluster{'s' if len(specs) != 1 else ''} ({names})")
    if issues:
        from kubefleet.cli.console import github_annotations, in_github_actions, write

        if in_github_actions():  # each problem on its line of the PR's diff
            write(github_annotations(issues, "kubefleet validate"))
        raise SpecError(issues)


def _version_moves(base: str, paths: list[Path], on: date) -> Callable[[list[LoadedSpec]], list[SpecIssue]]:
    """The --base check: the base's clusters are read once; each loaded spec is checked against the cluster
    of the same name there, on its own provider or on every provider."""
    from kubefleet.catalog import load_catalog
    from kubefleet.changes.upgrades import refusal_issues
    from kubefleet.cli.diff_cmd import read_bases
    from kubefleet.providers import provider_names

    olds = read_bases(base, paths)
    catalog = load_catalog()

    def check(specs: list[LoadedSpec]) -> list[SpecIssue]:
        providers = {s.spec.name: [s.spec.spec.provider] if s.spec.spec.provider else provider_names() for s in specs}
        return refusal_issues(specs, olds, providers, catalog, on)

    return check


def spec_paths(paths: list[Path]) -> list[Path]:
    """Spec files under ``paths``; YAML files in directories whose kind is not Cluster are skipped, and
    counted on stderr; a directory with no YAML at all is a usage error."""
    from kubefleet.cli.console import stderr
    from kubefleet.spec.files import cluster_files

    found = cluster_files(paths)
    for p in paths:
        inside = [f for f in [*found.files, *(s for s, _ in found.skipped)] if p.is_dir() and p in f.parents]
        if p.is_dir() and not inside:
            raise UsageError(f"{p}: no *.yaml or *.yml files in this directory")
    note = found.skipped_note()
    if note:
        stderr().print(note, highlight=False, markup=False)
    return found.files


def load_paths(paths: list[Path]) -> list[LoadedSpec]:
    """Every cluster under ``paths``; a spec file that does not load does not stop the others: all their
    problems come back in one SpecError (as `validate` reports them), in file order."""
    from kubefleet.spec.loader import load_file

    loaded: list[LoadedSpec] = []
    issues: list[SpecIssue] = []
    for path in spec_paths(paths):
        try:
            loaded.extend(load_file(path))
        except SpecError as err:
            issues.extend(err.issues)
    if issues:
        raise SpecError(issues)
    return loaded


def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of the cluster spec (for editors and CI)."""
    from kubefleet.cli.console import write
    from kubefleet.spec.schema import schema_text

    text = schema_text()
    if output is None:
        write(text)
    else:
        _write_file(output, text)


def _write_file(target: Path, text: str) -> None:
    """Write ``text``, creating missing parent directories; an unwritable place is bad input (exit 2)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {target}: {err.strerror or err}",
                         hint="choose a writable path (parent directories are created)") from None


def supported_version(provider: str, as_of: date) -> str:
    """The newest Kubernetes minor the catalog lists in standard support on ``provider`` as of ``as_of``
    (and on every other provider with a row for it, so `compare` passes the version policy too)."""
    from kubefleet.catalog import load_catalog
    from kubefleet.spec.regions import PROVIDERS

    catalog = load_catalog()

    from kubefleet.spec.limits import MAX_MINOR, MIN_MINOR

    def in_support(p: str, minor: str) -> bool | None:
        if p == "kubeadm" and not MIN_MINOR <= int(minor.split(".")[1]) <= MAX_MINOR:
            return False  # outside what kubeadm's pinned add-ons were checked with (kubefleet.spec.limits)
        row = catalog.versions(p).get(minor)
        if row is None:
            return None
        return row.standard_end is None or as_of <= row.standard_end

    def key(minor: str) -> tuple[int, ...]:
        return tuple(int(x) for x in minor.split(".") if x.isdigit())

    own = sorted((m for m in catalog.versions(provider) if in_support(provider, m)), key=key, reverse=True)
    if not own:  # e.g. kubeadm without rows: the newest minor any provider supports
        own = sorted({m for p in PROVIDERS for m in catalog.versions(p) if in_support(p, m)}, key=key, reverse=True)
    for minor in own:
        if all(in_support(p, minor) is not False for p in PROVIDERS):
            return minor
    if own:
        return own[0]
    raise UsageError("the catalog lists no Kubernetes version in support today",
                     hint="run `kubefleet prices show` to see how old the catalog is")


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
    from kubefleet.providers import check_provider
    from kubefleet.spec.loader import load_text
    from kubefleet.spec.model import DNS_LABEL

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
    from kubefleet.cli.common import today
    from kubefleet.spec.schema import schema_text

    chosen = check_provider(provider)
    # The modeline names a schema file beside the spec (yaml-language-server resolves a relative
    # `$schema=` path against the YAML file — redhat-developer/yaml-language-server README, "Using
    # inlined schema"), so editors check the spec offline; the file is written if it is not there.
    schema_file = target.parent / "cluster.schema.json"
    template = resources.files("kubefleet.templates").joinpath("starter.yaml").read_text()
    text = (template.replace("__NAME__", name).replace("__FILE__", str(target))
            .replace("__PROVIDER__", chosen).replace("__VERSION__", supported_version(chosen, today()))
            .replace("__SCHEMA__", "./" + schema_file.name))
    load_text(text, str(target))  # the starter must itself be valid
    _write_file(target, text)
    out = stdout()
    if not schema_file.exists():
        _write_file(schema_file, schema_text())
        out.print(f"[green]✓[/] wrote {schema_file} (the JSON Schema the spec's modeline points at)")
    out.print(f"[green]✓[/] wrote {target}; next: kubefleet validate {target}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(init)

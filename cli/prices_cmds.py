"""prices refresh, prices show: the user price cache ($KUBEFLEET_HOME/prices) over the shipped catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from kubefleet.cli.console import DiffFormat
from kubefleet.cli.main import KubefleetGroup

if TYPE_CHECKING:
    from kubefleet.catalog import Catalog
    from kubefleet.catalog.models import NotPublished, Price
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
        None, "--provider", "-p", help="gke, eks, aks, a comma list, or all (default: all); fx: the ECB's "
        "exchange rates for --currency."
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

    asked = [] if provider is None else [p.strip() for p in provider.split(",") if p.strip()]
    want_fx = "fx" in asked
    rest = [p for p in asked if p != "fx"]
    chosen = [] if want_fx and not rest else _providers(",".join(rest) if rest else provider)
    explicit = provider is not None and provider.strip() != "all"
    when = today()
    failures: list[tuple[str, KubefleetError]] = []
    if want_fx:
        from kubefleet.cost.sources.cache import cache_dir
        from kubefleet.cost.sources.ecb import refresh_fx

        try:
            path, day = refresh_fx(today=when, directory=cache_dir(), progress=_progress)
            typer.echo(f"fx: wrote {path}: ECB reference rates of {day.day.isoformat()} ({len(day.per_eur)} currencies)")
        except KubefleetError as err:
            failures.append(("fx", err))
            _progress(f"fx: failed: {err.message}")
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
        if result.commitments_path is not None:
            counts = ", ".join(f"{r} ({n})" for r, n in result.commitments.items())
            typer.echo(f"{name}: wrote {result.commitments_path}: 1- and 3-year commitment rates per region: {counts}")
    if failures:
        if len(failures) == 1:
            raise failures[0][1]
        raise CatalogError("; ".join(f"{n}: {e.message}" for n, e in failures),
                           hint="the catalog files of these providers were left as they were")


@prices_app.command("show")
def show(
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke, eks, aks, a comma list, or all."),
    region: str | None = typer.Option(None, "--region", "-r", help="Only this provider region (e.g. eastus)."),
    output: DiffFormat = typer.Option(DiffFormat.table, "--output", "-o", help="table, json or markdown."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date to measure source ages against (YYYY-MM-DD)."),
) -> None:
    """The catalog's unit prices per provider and region (instance types in $/hour, storage, network, fees),
    each with its source, publication and read dates, and how old each source is."""
    import json

    from kubefleet.cli.common import parse_date, today
    from kubefleet.cli.console import write
    from kubefleet.cost.sources.cache import active_catalog, cache_dir
    from kubefleet.cost.sources.show import summarize

    when = parse_date(as_of) or today()
    directory = cache_dir()
    catalog = active_catalog()
    infos = summarize(catalog, as_of=when, cache=directory if directory.is_dir() else None,
                      providers=_providers(provider), region=region)
    prices = {info.provider: unit_prices(catalog, info) for info in infos}
    if output is DiffFormat.json:
        providers = [{**i.as_dict(), "prices": [r.as_dict() for r in prices[i.provider]]} for i in infos]
        doc = {"apiVersion": "kubefleet.dev/v1", "kind": "PriceCatalog", "as_of": when.isoformat(),
               "providers": providers}  # schemas/prices.schema.json
        write(json.dumps(doc, indent=2))
        for info in infos:  # the JSON carries them too; stderr keeps them visible without breaking a pipe
            for warning in info.warnings:
                _progress(f"warning: {warning}")
    elif output is DiffFormat.markdown:
        write(_markdown(infos, prices))
    else:
        _print(infos, prices)


@dataclass(frozen=True)
class PriceRow:
    """One unit price of the catalog, as shown: where it applies, the exact catalog figure (or why there is
    none), and the source it came from with its dates."""

    kind: str            # instance | fee | storage | network
    region: str | None   # None: provider-wide (fees)
    item: str
    detail: str          # instance shape, or the catalog's note
    price: str | None    # the catalog's Decimal, exactly; None: unpriced
    unit: str
    source: str
    url: str
    published: str | None
    read: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "region": self.region, "item": self.item, "detail": self.detail,
                "price": self.price, "currency": "USD", "unit": self.unit, "source": self.source, "url": self.url,
                "published": self.published, "read": self.read}

    def shown_price(self) -> str:
        return f"${self.price}/{self.unit}" if self.price is not None else f"unpriced ({self.unit})"


def _row(kind: str, region: str | None, item: str, detail: str, price: Price | NotPublished) -> PriceRow:
    from kubefleet.catalog.models import Price

    src = price.source
    amount = str(price.amount) if isinstance(price, Price) else None
    unit = price.unit if isinstance(price, Price) else "not published"
    return PriceRow(kind=kind, region=region, item=item, detail=detail, price=amount, unit=unit, source=src.key,
                    url=src.url, published=src.published.isoformat() if src.published else None,
                    read=src.read.isoformat())


def unit_prices(catalog: Catalog, info: ProviderInfo) -> list[PriceRow]:
    """Every unit price the catalog holds for the provider in the regions shown, then its fees."""
    rows: list[PriceRow] = []
    for region in info.regions:
        for it in catalog.instances(info.provider, region.region):
            gpu = f", {it.gpu_count}× {it.gpu_kind}" if it.gpu_kind else ""
            shape = f"{it.vcpus} vCPU, {it.memory_gib} GiB{gpu}, {it.family}" + ("" if it.current else ", previous gen")
            rows.append(_row("instance", region.region, it.name, shape, it.price))
        for disk in region.storage:
            found = catalog.storage(info.provider, region.region, disk)
            if found is not None:
                rows.append(_row("storage", region.region, disk, found.note or "", found))
        for item in region.network:
            net = catalog.network(info.provider, region.region, item)
            if net is not None:
                rows.append(_row("network", region.region, item, net.note or "", net))
    for key, fee in sorted(catalog.fees(info.provider).items()):
        rows.append(_row("fee", None, key, fee.note or "", fee))
    return rows


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(infos: Sequence[ProviderInfo], prices: dict[str, list[PriceRow]]) -> str:
    lines: list[str] = []
    for info in infos:
        lines += [f"## {info.provider} unit prices (USD)", "",
                  "| region | kind | item | detail | price | source | published | read |",
                  "|---|---|---|---|---:|---|---|---|"]
        for r in prices[info.provider]:
            lines.append(f"| {r.region or 'all'} | {r.kind} | {_md(r.item)} | {_md(r.detail)} | {_md(r.shown_price())} "
                         f"| [{_md(r.source)}]({r.url}) | {r.published or 'not stated'} | {r.read} |")
        for warning in info.warnings:
            lines.append(f"\n> warning: {_md(warning)}")
        lines.append("")
    return "\n".join(lines)


def _print(infos: Sequence[ProviderInfo], prices: dict[str, list[PriceRow]]) -> None:
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
        prices_table = Table("region", "item", "price", "source", "published", "read", "detail", show_edge=False,
                             title=f"{info.provider} unit prices (USD)", title_justify="left")
        for row in prices[info.provider]:
            prices_table.add_row(row.region or "all", row.item, row.shown_price(), row.source,
                                 row.published or "not stated", row.read, row.detail)
        console.print(prices_table)
        console.print("")


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")

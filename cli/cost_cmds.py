"""kubefleet cost (one breakdown) and kubefleet compare (side by side)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from kubefleet.cli.common import Progress, parse_number, render_ahead
from kubefleet.cli.console import Format
from kubefleet.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kubefleet.catalog import Catalog
    from kubefleet.catalog.fx import FxRate
    from kubefleet.compare import Comparison
    from kubefleet.cost.model import Assumptions, CostBreakdown
    from kubefleet.spec.loader import LoadedSpec
    from kubefleet.spec.model import ClusterSpec


def _assumptions(hours: str | None, egress: str | None, log_gb: str | None = None) -> Assumptions:
    from kubefleet.cost.model import Assumptions

    kwargs: dict[str, Decimal] = {}
    origins: dict[str, str] = {}
    for flag, raw, key in (("--hours", hours, "hours_per_month"), ("--egress-gb", egress, "egress_gb_month"),
                           ("--log-gb", log_gb, "log_gb_month")):
        if raw is None:
            continue
        value = parse_number(flag, raw)
        if value < 0 or (key == "hours_per_month" and not 0 < value <= 744):
            raise UsageError(f"{flag} {raw} is out of range", hint="hours per month: 1..744 (730 is the average month)")
        kwargs[key] = value
        origins[key] = flag
    return Assumptions(
        hours_per_month=kwargs.get("hours_per_month", Assumptions.hours_per_month),
        egress_gb_month=kwargs.get("egress_gb_month", Assumptions.egress_gb_month),
        log_gb_month=kwargs.get("log_gb_month"),
        origins=origins,
    )


def _per_cluster(base: Assumptions, usage: Path | None, names: list[str]) -> Callable[[str], Assumptions]:
    """The assumptions for each cluster: flags, then the usage file's entry for the cluster, then its
    type default (Infracost's usage-file precedence), then kubefleet's defaults."""
    if usage is None:
        return lambda _name: base
    from kubefleet.cli.console import stderr
    from kubefleet.cost.usage import RESOURCE_TYPE, load_usage

    loaded = load_usage(usage)
    for name in loaded.unknown_clusters(set(names)):
        stderr().print(f"warning: {usage}: {RESOURCE_TYPE}.{name} names no cluster being priced", markup=False,
                       highlight=False)
    flags = frozenset(base.origins)
    return lambda name: loaded.assumptions_for(name, base, flags=flags)


PRICING_CHOICES = ("on-demand", "1y", "3y", "spot")


def _with_pricing(base: Assumptions, pricing: str | None) -> Assumptions:
    """``--pricing``: the purchase option every node line is priced at (checked before any render)."""
    import dataclasses

    if pricing is None:
        return base
    if pricing not in PRICING_CHOICES:
        raise UsageError(f"--pricing {pricing!r} is not a purchase option", hint="one of: " + ", ".join(PRICING_CHOICES))
    return dataclasses.replace(base, pricing=pricing, origins={**base.origins, "pricing": "--pricing"})  # type: ignore[arg-type]


def fx_rate(currency: str | None) -> FxRate | None:
    """The catalog's dated rate for ``--currency`` (None: USD); an unknown code is exit 2 with the list."""
    if currency is None:
        return None
    from kubefleet.catalog.fx import fx_table
    from kubefleet.cost.sources.cache import cache_dir

    return fx_table(cache_dir()).rate(currency)  # a refreshed table (prices refresh -p fx) wins


@contextlib.contextmanager
def shown_in(rate: FxRate | None) -> Iterator[None]:
    """Amounts printed inside are labelled with ``rate``'s currency (USD when None)."""
    from kubefleet.cost.model import DISPLAY_CURRENCY

    token = DISPLAY_CURRENCY.set("USD" if rate is None else rate.currency)
    try:
        yield
    finally:
        DISPLAY_CURRENCY.reset(token)


def active_catalog() -> Catalog:
    """The shipped catalog, overlaid by the user's refreshed prices (`kubefleet prices refresh`) if any."""
    from kubefleet.cli.console import stderr
    from kubefleet.cost.sources.cache import active_catalog as user_catalog

    catalog = user_catalog()
    if catalog.warnings:
        err = stderr()
        for line in catalog.warnings:
            err.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    return catalog


def _print_breakdown(out: Console, b: CostBreakdown) -> None:
    from rich.table import Table

    from kubefleet.compare import freshness_warnings, undated_warning
    from kubefleet.cost.model import currency_prefix, fmt_money, fmt_qty, money

    t = Table(title=f"{b.cluster} on {b.provider} ({b.region}) — {b.currency}{b.assumptions.pricing_suffix}, as of {b.as_of}", title_justify="left")
    for col, just in (("category", "left"), ("item", "left"), ("quantity", "right"), ("unit price", "right"),
                      ("monthly", "right")):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for c in b.components:
        name = c.name + (" (estimate)" if c.estimate else "")
        t.add_row(c.category, name, f"{fmt_qty(c.quantity)} {c.unit}", f"{currency_prefix()}{c.unit_price_shown}",
                  fmt_money(c.monthly))
    t.add_section()
    total = fmt_money(b.monthly_total)
    if b.monthly_max != b.monthly_total:
        total += f" (up to {fmt_money(b.monthly_max)})"
    t.add_row("", "monthly total", "", "", total)
    t.add_row("", "yearly total", "", "", fmt_money(money(b.yearly_total)))
    out.print(t)
    from rich.markup import escape

    for u in b.unpriced:
        text = f"{u.resource} — {u.reason}" + (f" (to price it: {u.how})" if u.how else "")
        out.print(f"[yellow]unpriced:[/] {escape(text)}", markup=True, highlight=False)
    for w in freshness_warnings(b.provider, b, b.as_of) + undated_warning({b.provider: b}):
        out.print(f"[yellow]warning:[/] {w}", markup=True, highlight=False)
    out.print(f"prices read {b.catalog_as_of}; data published/generated {b.data_as_of or 'date unknown'} (oldest "
              f"dated source); {len(b.sources())} source(s); free: {len(b.free)} resource(s)")
    if b.fx is not None:
        out.print(f"currency {b.currency}: {b.fx.describe()}", markup=False, highlight=False)


# Options cost and compare share (one definition, so their help and defaults cannot drift apart).
_OUTPUT = typer.Option(Format.table, "--output", "-o", help="table | json | csv | markdown | html.")
_AS_OF = typer.Option(None, "--as-of", help="Price as of this date (YYYY-MM-DD; default today) and make the dated choices (Istio release, "
                              "AKS add-on revision) for it (default: the date their data was read).")
_HOURS = typer.Option(None, "--hours", help="Hours per month (default 730).")
_EGRESS_GB = typer.Option(None, "--egress-gb", help="NAT egress GB per month (default 100).")
_LOG_GB = typer.Option(None, "--log-gb", help="Log GiB ingested per cluster per month (GKE Cloud "
                                  "Logging, EKS control-plane logs to CloudWatch); default: not priced, no upper bound.")
_USAGE = typer.Option(None, "--usage", help="Usage file (Infracost's infracost-usage.yml "
                                   "format: version 0.1, resource_type_default_usage.kubefleet_cluster, "
                                   "resource_usage.kubefleet_cluster.<name>) for usage-priced items.")
_PRICING = typer.Option(None, "--pricing", help="on-demand | 1y | 3y | spot: on-demand with the "
                                   "automatic discounts (GKE sustained use), 1- or 3-year committed rates, or every "
                                   "pool on spot; default: list on-demand prices.")
_CURRENCY = typer.Option(None, "--currency", help="Show every amount in this currency (EUR, GBP, …) "
                                    "at the catalog's dated ECB reference rate; default USD (the list prices).")


def cost(
    file: Path = typer.Argument(..., help="Spec file."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="gke | eks | aks | kubeadm (default: spec.provider)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Only this cluster of a multi-document file."),
    output: Format = _OUTPUT,
    as_of: str | None = _AS_OF,
    hours: str | None = _HOURS,
    egress_gb: str | None = _EGRESS_GB,
    log_gb: str | None = _LOG_GB,
    usage: Path | None = _USAGE,
    pricing: str | None = _PRICING,
    currency: str | None = _CURRENCY,
) -> None:
    """One cost breakdown: every line with quantity, unit price and source."""
    from kubefleet.cli.common import load_specs, parse_date, provider_for, today
    from kubefleet.compare import compare, in_currency
    from kubefleet.cost.management import management_peers

    catalog = active_catalog()
    rate = fx_rate(currency)
    when = parse_date(as_of) or today()
    assume = _with_pricing(_assumptions(hours, egress_gb, log_gb), pricing)
    pairs = [(loaded.spec, provider_for(loaded, provider)) for loaded in load_specs(file, cluster)]
    # several kubeadm clusters naming one management cluster share it (kubefleet/cost/management.py)
    assume = dataclasses.replace(assume, management_peers=management_peers(s for s, p in pairs if p == "kubeadm"))
    assume_for = _per_cluster(assume, usage, [spec.name for spec, _p in pairs])
    dated = parse_date(as_of)  # an explicit date dates the resolved choices too (as `plan --as-of` does)
    render_ahead(pairs, catalog=catalog, what="cost", as_of=dated)
    items = [in_currency(compare(spec, [p], as_of=when, catalog=catalog, assumptions=assume_for(spec.name),
                                 dated=dated), rate) for spec, p in pairs]
    with shown_in(rate):
        _emit(items, output, single=True)


def compare_cmd(
    file: Path | None = typer.Argument(
        None, help="Spec file (every cluster in it is compared). Default: the built-in sweet-spot example."
    ),
    providers: str | None = typer.Option(None, "--providers", help="Comma-separated subset, e.g. gke,eks (default all)."),
    cluster: str | None = typer.Option(None, "--cluster", help="Only this cluster of a multi-document file."),
    output: Format = _OUTPUT,
    as_of: str | None = _AS_OF,
    hours: str | None = _HOURS,
    egress_gb: str | None = _EGRESS_GB,
    log_gb: str | None = _LOG_GB,
    usage: Path | None = _USAGE,
    regions: str | None = typer.Option(None, "--regions", help="Price each spec in these neutral regions side by "
                                       "side, e.g. us-east,europe-west (replaces spec.region)."),
    pricing: str | None = _PRICING,
    currency: str | None = _CURRENCY,
) -> None:
    """Identical clusters side by side: monthly and yearly cost by category, features and parity."""
    from kubefleet.cli.common import load_specs, parse_date, today
    from kubefleet.compare import compare, in_currency
    from kubefleet.cost.management import management_peers
    from kubefleet.providers import parse_providers

    chosen = parse_providers(providers)
    rate = fx_rate(currency)
    catalog = active_catalog()
    when = parse_date(as_of) or today()
    assume = _with_pricing(_assumptions(hours, egress_gb, log_gb), pricing)
    if file is None:
        from importlib import resources

        from kubefleet.cli.console import stderr

        stderr().print("no FILE given: comparing the built-in example `sweet-spot` (3 masters + 7 workers)")
        with resources.as_file(resources.files("kubefleet.templates").joinpath("sweet-spot.yaml")) as builtin:
            specs = load_specs(builtin, cluster)
    else:
        specs = load_specs(file, cluster)
    if "kubeadm" in chosen:  # the specs priced on kubeadm that name one management cluster share it
        assume = dataclasses.replace(assume, management_peers=management_peers(
            loaded.spec for loaded in specs if loaded.spec.spec.provider in (None, "kubeadm")))
    assume_for = _per_cluster(assume, usage, [loaded.spec.name for loaded in specs])
    variants = [(loaded.spec, None) for loaded in specs] if regions is None else [
        (in_region, region) for loaded in specs for region, in_region in _in_regions(loaded, regions)]
    pairs = [(spec, p) for spec, _r in variants for p in chosen]
    dated = parse_date(as_of)  # an explicit date dates the resolved choices too (as `plan --as-of` does)
    render_ahead(pairs, catalog=catalog, what="compare", as_of=dated)
    progress = Progress("comparing clusters", len(variants))
    items = []
    for index, (spec, region) in enumerate(variants, 1):
        cmp = compare(spec, chosen, as_of=when, catalog=catalog, assumptions=assume_for(spec.name), dated=dated)
        if region is not None:
            cmp.cluster = f"{spec.name} @ {region}"
        items.append(in_currency(cmp, rate))
        progress.step(index)
    with shown_in(rate):
        _emit(items, output, single=False)
        if regions is not None and output is Format.table:
            _print_regions(items)


def _in_regions(loaded: LoadedSpec, regions: str) -> list[tuple[str, ClusterSpec]]:
    """The spec once per neutral region (spec.region replaced); refused when the spec pins a provider
    region, which would silently win over the one asked for."""
    from kubefleet.spec.regions import REGIONS

    names = [r.strip() for r in regions.split(",") if r.strip()]
    unknown = [r for r in names if r not in REGIONS]
    if not names or unknown:
        raise UsageError(f"--regions {regions!r}: unknown region(s) {', '.join(unknown) or '(none given)'}",
                         hint="neutral regions: " + ", ".join(REGIONS))
    spec = loaded.spec
    opts = spec.spec.providers
    pinned = [f"spec.providers.{p}.{field}" for p, field in (("gke", "region"), ("eks", "region"), ("aks", "location"))
              if getattr(getattr(opts, p, None), field, None)]
    if pinned:
        raise UsageError(f"{spec.name}: --regions replaces spec.region, but the spec pins {', '.join(pinned)}",
                         hint="remove the provider region override to compare regions")
    return [(r, spec.model_copy(update={"spec": spec.spec.model_copy(update={"region": r})})) for r in
            dict.fromkeys(names)]


def _print_regions(items: list[Comparison]) -> None:
    """One row per region: each provider's monthly total (or interval), the cheapest where it is certain."""
    from rich.table import Table

    from kubefleet.cli.console import print_table, stdout
    from kubefleet.compare import fmt_interval
    from kubefleet.cost.model import fmt_money
    from kubefleet.report.compare_out import label

    providers = list(items[0].results) if items else []
    currency = items[0].currency if items else "USD"
    t = Table(title=f"regions side by side: monthly total in {currency} (ranked interval)", title_justify="left")
    t.add_column("cluster @ region")
    for p in providers:
        t.add_column(label(p), justify="right")
    t.add_column("cheapest")
    for cmp in items:
        cells = []
        for p in providers:
            b = cmp.results[p].breakdown
            cells.append(f"{fmt_money(b.monthly_total)} ({fmt_interval(b.monthly_low, b.monthly_high)})" if b else "—")
        t.add_row(cmp.cluster, *cells, cmp.cheapest or "none certain")
    print_table(stdout(), t)


def _emit(items: list[Comparison], output: Format, *, single: bool) -> None:
    from kubefleet.cli.console import stdout, write
    from kubefleet.report import compare_out

    if output is Format.json:
        write(compare_out.to_json(items, "CostList" if single else "ComparisonList"))
    elif output is Format.csv:
        write(compare_out.to_csv(items))
    elif output is Format.markdown:
        write(compare_out.to_markdown(items))
    elif output is Format.html:
        write(compare_out.to_html(items))
    else:
        out = stdout()
        for cmp in items:
            if single:
                for r in cmp.results.values():
                    if r.breakdown is None:
                        raise UsageError(r.error or f"{r.provider} could not be priced")
                    _print_breakdown(out, r.breakdown)
                    if r.support:  # past standard support: what the provider does and how it is priced
                        out.print(f"[yellow]support:[/] {r.support}", markup=True, highlight=False)
            else:
                _print_comparison(out, cmp)


def _print_comparison(out: Console, cmp: Comparison) -> None:
    from rich.table import Table

    from kubefleet.compare import fmt_interval, node_range
    from kubefleet.cost.model import CATEGORIES, fmt_money
    from kubefleet.report.compare_out import label

    providers = list(cmp.results)
    t = Table(title=f"{cmp.cluster}: monthly cost ({cmp.currency}{cmp.assumptions.pricing_suffix}) as of {cmp.as_of}", title_justify="left")
    t.add_column("")
    for p in providers:
        t.add_column(label(p) + (" ✓ cheapest" if cmp.cheapest == p else ""), justify="right")
    for cat in CATEGORIES:
        row: list[str] = [cat]
        for p in providers:
            b = cmp.results[p].breakdown
            row.append(fmt_money(b.by_category()[cat]) if b else "—")
        t.add_row(*row)
    t.add_section()
    totals: list[str] = ["monthly total"]
    ranges: list[str] = ["range (ranked on)"]
    maxes: list[str] = ["at autoscaling max"]
    years: list[str] = ["yearly"]
    gaps: list[str] = ["unpriced items"]
    nodes: list[str] = [f"worker nodes (spec {node_range(*cmp.spec_nodes)})"]
    for p in providers:
        b = cmp.results[p].breakdown
        totals.append(f"[bold]{fmt_money(b.monthly_total)}[/]" if b else "[red]not priced[/]")
        ranges.append(fmt_interval(b.monthly_low, b.monthly_high) if b else "—")
        maxes.append(fmt_money(b.monthly_max) if b else "—")
        years.append(fmt_money(b.yearly_total) if b else "—")
        gaps.append(str(len(b.unpriced)) if b else "—")
        nodes.append(cmp.nodes_cell(p))
    for row in (totals, ranges, maxes, years, gaps, nodes):
        t.add_row(*row)
    from kubefleet.cli.console import print_table

    print_table(out, t)
    pools = Table(title="node pools: what each provider runs", title_justify="left")
    for col in ("pool", *[label(p) for p in providers]):
        pools.add_column(col, overflow="fold")
    pool_names = list(next(iter(cmp.results.values())).instances) if cmp.results else []
    for pool in pool_names:
        pools.add_row(pool, *[cmp.results[p].instances[pool].name if pool in cmp.results[p].instances else "—"
                              for p in providers])
    print_table(out, pools)
    if cmp.features:
        f = Table(title="features", title_justify="left")
        f.add_column("")
        for p in providers:
            f.add_column(label(p), overflow="fold")
        for frow in cmp.features:
            f.add_row(frow.label, *[frow.values[p][0] if p in frow.values else "—" for p in providers])
        print_table(out, f)
    notes = [(p, n) for p in providers for n in cmp.results[p].parity if n.status != "native"]
    if notes:
        pt = Table(title="parity: what each provider emulates or lacks", title_justify="left")
        for col in ("provider", "field", "status", "how / why"):
            pt.add_column(col, overflow="fold")
        for p, n in notes:
            pt.add_row(label(p), n.field, n.status, n.detail)
        print_table(out, pt)
    for p, r in cmp.results.items():
        if r.error:
            out.print(f"[red]{label(p)} not priced:[/] {r.error}")
    for w in cmp.warnings:
        out.print(f"[yellow]warning:[/] {w}")
    out.print(f"cheapest rests on: {cmp.ranking_basis}")
    out.print(f"prices read {cmp.catalog_as_of}; data published/generated {cmp.data_as_of or 'date unknown'} "
              f"(oldest dated source); every line's source: --output markdown|html|csv|json")
    if cmp.fx is not None:
        out.print(f"currency {cmp.currency}: {cmp.fx.describe()}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(cost)
    app.command("compare")(compare_cmd)

"""Price what the program declares.

Walks a rendered :class:`ResourceGraph` and turns each resource into typed cost components through a
registry keyed by Pulumi resource type (adapters declare, this module prices — like Infracost's split
between reading IaC and building cost components). Every emitted type is priced, listed as free, or
reported as unpriced; nothing is counted as zero silently. Money is ``Decimal``; nothing reads the clock:
the estimate's date (``as_of``) is an explicit input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

from kubefleet.catalog import Catalog
from kubefleet.catalog.models import NotPublished, Price, Source
from kubefleet.cost.model import (
    HOURS_PER_MONTH,
    POOL_PRICING_NAMES,
    Assumptions,
    Category,
    CostBreakdown,
    CostComponent,
    Unpriced,
    fmt_qty,
    money,
)
from kubefleet.graph import RenderedResource, ResourceGraph
from kubefleet.lifecycle.support import Outlook, outlook, support_phase
from kubefleet.spec.model import ClusterSpec

GIB_PER_MIB: Final = Decimal(1) / Decimal(1024)
GKE_DEFAULT_ZONES: Final = 3  # a regional GKE cluster without node locations spreads pools over 3 zones


@dataclass
class PriceContext:
    graph: ResourceGraph
    catalog: Catalog
    as_of: date
    assumptions: Assumptions
    used_sources: set[Source] = field(default_factory=set)
    #: worker nodes the provider actually runs (min, max), summed over pools: "identical" capacity check
    nodes: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    #: the same per spec pool (by the spec's pool name); pools the provider adds (AKS's system pool) are
    #: not in it — a like-for-like ranking compares these counts with the spec's
    pool_nodes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        return self.graph.provider

    @property
    def region(self) -> str:
        return self.graph.region

    @property
    def hours(self) -> Decimal:
        return self.assumptions.hours_per_month

    @property
    def spec(self) -> ClusterSpec:
        return self.graph.spec


Result = list[CostComponent | Unpriced]
Pricer = Callable[[RenderedResource, PriceContext], Result]

PRICERS: dict[str, Pricer] = {}
#: resource types that cost nothing by themselves, with the reason (shown in reports)
FREE: dict[str, str] = {}


def pricer(*types: str) -> Callable[[Pricer], Pricer]:
    def register(fn: Pricer) -> Pricer:
        for t in types:
            PRICERS[t] = fn
        return fn

    return register


def free(reason: str, *types: str) -> None:
    for t in types:
        FREE[t] = reason


def _rid(r: RenderedResource) -> str:
    return f"{r.type}::{r.name}"


def _dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return default


def component(
    ctx: PriceContext,
    r: RenderedResource,
    name: str,
    category: Category,
    price: Price,
    quantity: Decimal,
    *,
    unit: str | None = None,
    unit_price: Decimal | None = None,
    quantity_max: Decimal | None = None,
    note: str | None = None,
    estimate: bool = False,
    bound: Literal["upper"] | None = None,
    unit_price_max: Decimal | None = None,
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> CostComponent:
    ctx.used_sources.add(price.source)
    return CostComponent(
        name=name,
        category=category,
        unit=unit or price.unit,
        quantity=quantity,
        unit_price=price.amount if unit_price is None else unit_price,
        source_url=price.source.url,
        as_of=price.source.read,
        resource=_rid(r),
        note=note if note is not None else price.note,
        estimate=estimate,
        quantity_max=quantity_max,
        bound=bound,
        unit_price_max=unit_price_max,
        low=low,
        high=high,
        data_as_of=price.source.published,
    )


#: how a log-ingestion line gets a volume (the same input on every provider)
HOW_LOGS: Final = ("give the log volume with `--log-gb N` or `monthly_data_ingested_gb` in a usage file "
                   "(`--usage FILE`)")

#: how an item the catalog lacks a price for gets one
HOW_CATALOG: Final = ("add the figure to the catalog with its source (kubefleet/catalog/data), or refresh prices "
                      "with `kubefleet prices refresh`")


def _missing(r: RenderedResource, what: str, entry: Price | NotPublished | None = None) -> Unpriced:
    if isinstance(entry, NotPublished):
        why = f"{what}: not published by the provider" + (f" ({entry.note})" if entry.note else "")
        return Unpriced(_rid(r), f"{why}; source {entry.source.url}", how="no published price exists to add")
    return Unpriced(_rid(r), f"{what}: no price in the catalog", how=HOW_CATALOG)


# --------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class NodeCount:
    min: Decimal
    max: Decimal
    how: str


def node_components(
    ctx: PriceContext,
    r: RenderedResource,
    *,
    label: str,
    instance_type: str | None,
    count: NodeCount,
    spot: bool,
    disk_gb: Decimal | None,
    disk_product: str,
    category: Category = "nodes",
    accelerator: tuple[str, int] | None = None,
) -> Result:
    """VMs (× hours × count, spot-adjusted) plus their boot disks."""
    out: Result = []
    hours = ctx.hours
    pool = _spec_pool(ctx, r, label) if category == "nodes" else None
    if category == "nodes":
        ctx.nodes.append((count.min, count.max))
        if pool is not None:
            lo, hi = ctx.pool_nodes.get(pool, (Decimal(0), Decimal(0)))
            ctx.pool_nodes[pool] = (lo + count.min, hi + count.max)
    if instance_type is None:
        out.append(Unpriced(_rid(r), f"{label}: no instance type declared"))
        return out
    inst = ctx.catalog.instance(ctx.provider, ctx.region, instance_type)
    if inst is None:
        out.append(Unpriced(_rid(r), f"{label}: {instance_type} has no price in the {ctx.provider} catalog for {ctx.region}",
                            how=HOW_CATALOG))
    else:
        price = inst.price
        unit_price = price.amount
        note = f"{count.how}; {instance_type}"
        estimate = False
        if accelerator is not None:
            acc = ctx.catalog.accelerator(ctx.provider, ctx.region, accelerator[0])
            if acc is None:
                out.append(Unpriced(_rid(r), f"{label}: attached GPU {accelerator[0]} has no price in the catalog",
                                    how=HOW_CATALOG))
            else:
                ctx.used_sources.add(acc.price.source)
                unit_price += acc.price.amount * accelerator[1]
                note += f" + {accelerator[1]}× {accelerator[0]} at ${acc.price.amount}/h"
        bound: Literal["upper"] | None = None
        low: Decimal | None = None
        high: Decimal | None = None
        purchase, named = _pool_purchase(ctx, pool)
        if named:
            note += f"; priced at {POOL_PRICING_NAMES[purchase]} as the spec's pool asks (`pricing: {purchase}`)"
        spot = spot or purchase == "spot"
        if not spot and purchase in ("on-demand", "1y", "3y"):
            priced = _purchase_rate(ctx, r, label, instance_type, count, unit_price, accelerator, purchase,
                                    spec_named=named)
            if isinstance(priced, Unpriced):
                out.append(priced)
                out.extend(_disk_lines(ctx, r, label, count, disk_gb, disk_product))
                return out
            if isinstance(priced, str):
                note += priced
            elif priced is not None:
                price, unit_price, extra = priced
                note += extra
        if spot:
            # Both treatments are upper bounds on what spot capacity costs: on-demand (no published
            # least discount for the provider) or the least discount the provider publishes.
            bound = "upper"
            estimate = True
            on_demand = unit_price
            factor = ctx.catalog.spot_factor(ctx.provider)
            if factor is None:
                note += ("; spot priced at on-demand: an upper bound (the provider publishes no least "
                         "discount, spot prices vary)")
            else:
                ctx.used_sources.add(factor.source)
                unit_price = unit_price * factor.amount
                note += (f"; spot at {factor.amount}× on-demand, the least published discount: an upper bound "
                         "(spot prices vary)")
            floor = ctx.catalog.spot_floor(ctx.provider)
            if floor is not None:
                ctx.used_sources.add(floor.source)
                low = count.min * hours * on_demand * floor.amount
                note += f"; at least {floor.amount}× on-demand (the deepest published discount)"
            else:
                low = Decimal(0)
                note += "; no deepest discount published: a ranking takes $0 as its floor"
        out.append(component(
            ctx, r, f"{label} ({instance_type}" + (f", {POOL_PRICING_NAMES[purchase]})" if named else ")"),
            category, price,
            count.min * hours, unit="node-hour", unit_price=unit_price,
            quantity_max=count.max * hours if count.max != count.min else None, note=note, estimate=estimate,
            bound=bound, low=low, high=high,
        ))
    out.extend(_disk_lines(ctx, r, label, count, disk_gb, disk_product))
    return out


def _pool_purchase(ctx: PriceContext, pool: str | None) -> tuple[str | None, bool]:
    """The purchase option a node line is priced at: the spec pool's own ``pricing`` wins over
    ``--pricing`` (True: the pool named it); a pool the provider adds (AKS's system pool) follows ``--pricing``."""
    if pool is not None:
        for p in ctx.spec.spec.node_pools:
            if p.name == pool and p.pricing is not None:
                return p.pricing, True
    return ctx.assumptions.pricing, False


def _purchase_rate(ctx: PriceContext, r: RenderedResource, label: str, instance_type: str, count: NodeCount,
                   on_demand: Decimal, accelerator: tuple[str, int] | None,
                   purchase: str, *, spec_named: bool = False) -> tuple[Price, Decimal, str] | Unpriced | str | None:
    """The node-hour rate ``--pricing`` asks for: (price with its source, unit price, note), an Unpriced
    line bounded by the on-demand charge when the catalog has no rate, a note to add to the on-demand line,
    or None to keep on-demand as it is."""
    book = ctx.catalog.commitments(ctx.provider)
    if ctx.provider == "kubeadm" or book is None:
        return None  # own hardware: on-prem rates have no purchase options
    if purchase == "on-demand":
        rate = book.rate(ctx.region, instance_type, "sud")
        if rate is None or book.sud_source is None:
            return None  # no automatic discount for this type (E2, C3, A2/A3; EKS, AKS): list is on-demand
        if ctx.hours < HOURS_PER_MONTH:  # sustained use grows with the share of the month a VM runs
            return (f"; list price: the automatic sustained-use discount is not applied at {ctx.hours} hours a "
                    "month (only the full-month figure is in the catalog): the real charge may be lower")
        ctx.used_sources.add(book.sud_source)
        return (Price(rate.hourly, "node-hour", rate.source), rate.hourly + _attached(ctx, accelerator),
                f"; on-demand with Compute Engine's automatic sustained-use discount for a full month "
                f"(${rate.month} per 730-hour month; list ${on_demand}/h)")
    term: Literal["1y", "3y"] = "1y" if purchase == "1y" else "3y"
    rate = book.rate(ctx.region, instance_type, term)
    if rate is None:
        reason = book.missing_reason or f"no {term} commitment rate for {instance_type} in {ctx.region}"
        if ctx.provider in _REFRESH_HINT:
            reason += f"; run `kubefleet prices refresh -p {ctx.provider}` ({_REFRESH_HINT[ctx.provider]})"
        on_demand_month = money(count.min * ctx.hours * on_demand)  # on_demand includes attached GPUs
        asked = f"the spec's `pricing: {purchase}`" if spec_named else f"--pricing {purchase}"
        return Unpriced(_rid(r), f"{label} ({instance_type}) at {asked}: {reason}",
                        low=Decimal(0), high=on_demand_month,
                        how=("price the pool on demand (`pricing: on-demand` in the spec)" if spec_named
                             else "price it on demand (--pricing on-demand)")
                        + " or add the commitment rate to the catalog")
    years = term[0]
    gpu = _attached(ctx, accelerator)
    return (Price(rate.hourly, "node-hour", rate.source), rate.hourly + gpu,
            f"; {years}-year {_COMMITMENT_KIND.get(ctx.provider, 'resource-based committed-use')} rate (${rate.month} per 730-hour month; list "
            f"${on_demand}/h)" + ("; the attached GPU stays at its on-demand price (its commitment is bought "
                                  "separately and not in the catalog)" if gpu else ""))


#: how a user with network gets the EKS/AKS rates the shipped catalog cannot cite
_REFRESH_HINT = {"eks": "AWS Price List Reserved Instance rates",
                 "aks": "Azure Retail Prices API reservation rates"}
#: what the refreshed EKS/AKS rate is (kubefleet/cost/sources/aws.py, azure.py)
_COMMITMENT_KIND = {"eks": "EC2 Reserved Instance (standard, No Upfront)",
                    "aks": "Azure VM reservation (whole-term price spread over its hours)"}


def _attached(ctx: PriceContext, accelerator: tuple[str, int] | None) -> Decimal:
    """The attached GPUs' on-demand price per node-hour (0 without, or without a catalog price)."""
    if accelerator is None:
        return Decimal(0)
    acc = ctx.catalog.accelerator(ctx.provider, ctx.region, accelerator[0])
    return Decimal(0) if acc is None else acc.price.amount * accelerator[1]


def _disk_lines(ctx: PriceContext, r: RenderedResource, label: str, count: NodeCount, disk_gb: Decimal | None,
                disk_product: str) -> Result:
    out: Result = []
    if disk_gb:
        storage = ctx.catalog.storage(ctx.provider, ctx.region, disk_product)
        if storage is None:
            out.append(Unpriced(_rid(r), f"{label} boot disks ({disk_product}): no storage price in the catalog",
                                how=HOW_CATALOG))
        else:
            out.append(component(
                ctx, r, f"{label} boot disks", "storage", storage, count.min * disk_gb,
                unit="GB-month", quantity_max=count.max * disk_gb if count.max != count.min else None,
                note=f"{disk_gb} GB {disk_product} per node",
            ))
    return out


def _spec_pool(ctx: PriceContext, r: RenderedResource, label: str) -> str | None:
    """The spec pool a node resource implements (the adapters name pool resources ``<cluster>-<pool>``),
    or None for a pool the provider adds."""
    names = {p.name for p in ctx.spec.spec.node_pools}
    for candidate in (r.name, label.rsplit(" ", 1)[-1]):
        prefix = f"{ctx.graph.cluster}-"
        if candidate.startswith(prefix) and candidate[len(prefix):] in names:
            return candidate[len(prefix):]
    return None


def _fixed_or_range(lo: Any, hi: Any, fixed: Any, *, per: Decimal = Decimal(1), how: str) -> NodeCount:
    if lo is not None or hi is not None:
        mn = (_dec(lo, Decimal(0)) or Decimal(0)) * per
        mx = (_dec(hi, mn) or mn) * per
        return NodeCount(mn, max(mn, mx), how)
    n = (_dec(fixed, Decimal(0)) or Decimal(0)) * per
    return NodeCount(n, n, how)


# --------------------------------------------------------------------------- GKE


def _gke_cluster(ctx: PriceContext) -> RenderedResource | None:
    found = ctx.graph.of_type("gcp:container/cluster:Cluster")
    return found[0] if found else None


def _gke_zones(ctx: PriceContext, pool: RenderedResource) -> int:
    locations = pool.get("nodeLocations") or []
    if locations:
        return len(locations)
    cluster = _gke_cluster(ctx)
    if cluster is not None:
        if cluster.get("nodeLocations"):
            return len(cluster.get("nodeLocations"))
        location = str(cluster.get("location", ""))
        if location.count("-") >= 2:  # us-east4-a: a zone
            return 1
    return GKE_DEFAULT_ZONES



def fee_lines(ctx: PriceContext, r: RenderedResource, provider: str, *, base_key: str, total_key: str | None,
              label: str, why: str | None = None) -> Result:
    """A management fee booked the way the providers' bills book it, the same on every provider: the
    base fee under control-plane and, while a paid support tier applies, the uplift (total − base) under
    support. ``total_key`` None: the base fee alone."""
    base = ctx.catalog.fee(provider, base_key)
    if not isinstance(base, Price):
        return [_missing(r, label, base)]
    out: Result = [component(ctx, r, label, "control-plane", base, ctx.hours, unit="cluster-hour", note=why or base.note)]
    if total_key is None:
        return out
    total = ctx.catalog.fee(provider, total_key)
    if not isinstance(total, Price):
        return [*out, _missing(r, f"{label}: support uplift ({total_key})", total)]
    uplift = total.amount - base.amount
    out.append(component(
        ctx, r, f"{label}: support uplift", "support", total, ctx.hours, unit="cluster-hour", unit_price=uplift,
        note=f"${total.amount}/h in total while the support tier applies = ${base.amount} base (control-plane) "
        f"+ ${uplift} uplift (support)" + (f"; {why}" if why else ""),
    ))
    return out


def _support_phase(ctx: PriceContext, provider: str, version: str) -> tuple[str, str]:
    """('standard'|'extended'|'ended', why) for a Kubernetes minor on ``provider`` as of the estimate's date
    (:func:`kubefleet.lifecycle.support.support_phase`); its source is listed with the estimate's."""
    found = support_phase(ctx.catalog, provider, version, ctx.as_of)
    if found.source is not None:
        ctx.used_sources.add(found.source)
    return found.phase, found.why


#: the cluster resource of each provider, the input holding its Kubernetes version and the one holding the
#: provider's own end-of-standard-support setting (kubefleet.lifecycle.support.outlook cites what each does)
_SUPPORT_INPUTS: Final[dict[str, tuple[str, str, str]]] = {
    "gke": ("gcp:container/cluster:Cluster", "minMasterVersion", "releaseChannel.channel"),
    "eks": ("aws:eks/cluster:Cluster", "version", "upgradePolicy.supportType"),
    "aks": ("azure-native:containerservice:ManagedCluster", "kubernetesVersion", "autoUpgradeProfile.upgradeChannel"),
}


def support_outlook(graph: ResourceGraph, catalog: Catalog, on: date) -> Outlook | None:
    """What the provider does with the rendered cluster's minor once standard support ends, read from the
    setting the program renders (GKE release channel, EKS upgrade policy, AKS auto-upgrade channel); None
    without support dates for the minor."""
    version = graph.spec.spec.kubernetes.version
    channel = "none"
    found = _SUPPORT_INPUTS.get(graph.provider)
    if found is not None:
        type_, version_key, channel_key = found
        for r in graph.of_type(type_):
            version = str(r.get(version_key) or version)
            default = "EXTENDED" if graph.provider == "eks" else "none"  # EKS's API default (view-upgrade-policy.adoc)
            channel = str(r.get(channel_key) or default)
            if graph.provider == "aks" and r.get("supportPlan") == "AKSLongTermSupport":
                channel += "+lts"  # long-term support (Premium tier) keeps the minor past its end of life
    return outlook(catalog, graph.provider, version, channel, on)


def past_standard_note(graph: ResourceGraph, catalog: Catalog, on: date) -> str | None:
    """For a minor past standard support on ``on``: what the provider does on the rendered channel and how
    the estimate prices it (the fee line's note, and `compare`'s warning); None while in standard support."""
    found = support_outlook(graph, catalog, on)
    if found is None or not found.past_standard:
        return None
    if found.action == "auto-upgrade":
        return found.message() + "; priced as that upgrade leaves it: a supported minor, no extended-support fee"
    if found.action == "extended-fee":
        if found.provider == "aks":
            return found.message() + "; priced at the Premium tier's fee"
        return found.message() + "; priced with the extended-support fee"
    if found.action == "stays":
        return found.message() + "; priced without an extended-support fee (AKS bills none for it)"
    return found.message() + "; no provider fee either way"


def _past_standard(ctx: PriceContext) -> str | None:
    return past_standard_note(ctx.graph, ctx.catalog, ctx.as_of)


@pricer("gcp:container/cluster:Cluster")
def _gke_fee(r: RenderedResource, ctx: PriceContext) -> Result:
    channel = str(r.get("releaseChannel.channel") or "").upper()
    phase, why = _support_phase(ctx, "gke", str(r.get("minMasterVersion") or ctx.spec.spec.kubernetes.version))
    # GKE bills the extended-support fee only on the Extended channel, while the minor is in its extended
    # support period (cloud.google.com/kubernetes-engine/pricing: "For clusters in the Extended release
    # channel, an additional cluster management fee applies if the minor version of the cluster is in the
    # extended support period"); other channels are upgraded at the end of standard support, so they are
    # priced at the standard fee and the fee line says so (kubefleet.lifecycle.support.outlook).
    if phase == "ended":
        return [Unpriced(_rid(r), f"GKE cluster management fee: {why}; GKE no longer runs it, so it is not priced")]
    extended = channel == "EXTENDED" and phase == "extended"
    out = fee_lines(ctx, r, "gke", base_key="control_plane.standard",
                    total_key="control_plane.extended" if extended else None,
                    label="GKE cluster management fee", why=why if extended else _past_standard(ctx))
    credit = ctx.catalog.fee("gke", "control_plane.free_tier_credit")
    base = ctx.catalog.fee("gke", "control_plane.standard")
    location = str(r.get("location", ""))
    zonal = location.count("-") >= 2
    if zonal and isinstance(credit, Price) and isinstance(base, Price):
        # GKE applies the credit to zonal and Autopilot clusters, whatever the spec's tier, one per billing
        # account and never more than the fee: the line's range runs from the full credit to none (it may
        # go to another zonal cluster of the account).
        fee_month = money(base.amount * ctx.hours)
        applied = min(credit.amount, fee_month)
        out.append(component(
            ctx, r, FREE_TIER_CREDIT, "control-plane", credit, Decimal(-1),
            unit="billing-account-month", unit_price=applied,
            note=f"${credit.amount} monthly credit per billing account, capped at this cluster's ${fee_month} base "
            "fee; applies to one zonal or Autopilot cluster per billing account (compare assumes this is the "
            "one, the range runs to $0 if another cluster takes it; fleet gives it to one cluster per "
            "billing-account label)",
            estimate=True, high=Decimal(0),
        ))
    out.extend(_gke_logging(r, ctx))
    return out


def _gke_logging(r: RenderedResource, ctx: PriceContext) -> Result:
    """GKE's default Cloud Logging: system and workload logs ingested per GiB (like EKS's CloudWatch
    control-plane logs, usage-based). Priced when the usage gives a volume, else listed with no upper bound."""
    service = str(r.get("loggingService") or "logging.googleapis.com/kubernetes")
    if service == "none":
        return []
    rate = ctx.catalog.fee("gke", "logging.ingestion_gb")
    allowance = ctx.catalog.fee("gke", "logging.free_gb")
    what = (f"Cloud Logging ingestion ({service}{'' if r.get('loggingService') else ', the API default'}): "
            "system and workload logs")
    if not isinstance(rate, Price) or not isinstance(allowance, Price):
        return [_missing(r, what, rate if isinstance(rate, NotPublished) else None)]
    volume = ctx.assumptions.log_gb_month
    if volume is None:
        return [Unpriced(_rid(r), f"{what} billed at ${rate.amount}/GiB beyond {allowance.amount} GiB free per project "
                         "per month; usage-based, no volume to price", how=HOW_LOGS)]
    billable = max(Decimal(0), volume - allowance.amount)
    ctx.used_sources.add(allowance.source)
    return [component(
        ctx, r, "Cloud Logging ingestion", "logging", rate, billable, unit="GiB",
        note=f"estimate: assumes {fmt_qty(volume)} GiB/month of logs (from {ctx.assumptions.origin('log_gb_month')}) "
        f"less the {allowance.amount} GiB free per project (assumes the project has no other logs)", estimate=True,
    )]


#: the name of the GKE free-tier credit line (fleet re-allocates it per billing account)
FREE_TIER_CREDIT: Final = "GKE free-tier credit (one per billing account)"


def gke_pool_count(ctx: PriceContext, r: RenderedResource) -> NodeCount:
    """The nodes a GKE pool runs: autoscaling totals, or GKE's per-zone count × zones."""
    zones = _gke_zones(ctx, r)
    auto = r.get("autoscaling") or {}
    if auto.get("totalMinNodeCount") is not None or auto.get("totalMaxNodeCount") is not None:
        count = _fixed_or_range(auto.get("totalMinNodeCount"), auto.get("totalMaxNodeCount"), None,
                                how="autoscaling, total across zones")
    elif auto.get("minNodeCount") is not None or auto.get("maxNodeCount") is not None:
        count = _fixed_or_range(auto.get("minNodeCount"), auto.get("maxNodeCount"), None, per=Decimal(zones),
                                how=f"autoscaling per zone × {zones} zones")
    else:
        count = _fixed_or_range(None, None, r.get("nodeCount", r.get("initialNodeCount", 0)), per=Decimal(zones),
                                how=f"{r.get('nodeCount', 0)} per zone × {zones} zones")
    return count


def _gke_private_nodes(ctx: PriceContext) -> bool:
    cluster = _gke_cluster(ctx)
    return bool(cluster is not None and cluster.get("privateClusterConfig.enablePrivateNodes"))


@pricer("gcp:container/nodePool:NodePool")
def _gke_pool(r: RenderedResource, ctx: PriceContext) -> Result:
    count = gke_pool_count(ctx, r)
    accels = r.get("nodeConfig.guestAccelerators") or []
    accel = (str(accels[0].get("type")), int(accels[0].get("count", 1))) if accels else None
    return node_components(
        ctx, r, label=f"node pool {r.name}", instance_type=r.get("nodeConfig.machineType"), count=count,
        spot=bool(r.get("nodeConfig.spot") or r.get("nodeConfig.preemptible")),
        disk_gb=_dec(r.get("nodeConfig.diskSizeGb"), Decimal(100)),
        disk_product=str(r.get("nodeConfig.diskType", "pd-standard")),
        accelerator=_gce_accelerator(accel),
    ) + (_node_public_ips(ctx, r, f"node pool {r.name}", count,
                          "GKE nodes of a cluster without private nodes get an ephemeral external IPv4 each")
         if not _gke_private_nodes(ctx) else [])


def _node_public_ips(ctx: PriceContext, r: RenderedResource, label: str, count: NodeCount, why: str) -> Result:
    """One public IPv4 per node, billed per address-hour while the node runs."""
    price = ctx.catalog.network(ctx.provider, ctx.region, "public_ipv4_hour")
    if price is None:
        return [_missing(r, f"{label}: public IPv4 per node ({why})")]
    return [component(ctx, r, f"{label}: public IPv4 per node", "network", price, count.min * ctx.hours,
                      unit="address-hour", quantity_max=count.max * ctx.hours if count.max != count.min else None,
                      note=why)]


def _gce_accelerator(accel: tuple[str, int] | None) -> tuple[str, int] | None:
    if accel is None:
        return None
    from kubefleet.resolve.instances import GCE_ACCELERATORS

    neutral = {v: k for k, v in GCE_ACCELERATORS.items()}
    return neutral.get(accel[0], accel[0]), accel[1]


@pricer("gcp:compute/routerNat:RouterNat")
def _gcp_nat(r: RenderedResource, ctx: PriceContext) -> Result:
    """Cloud NAT: an hourly gateway price of $0.0014 per VM using it up to 32 VMs, a flat $0.044/h above
    32, plus $0.005/h per NAT IP and $0.045 per GiB processed (cloud.google.com/nat/pricing)."""
    out: Result = []
    per_vm = ctx.catalog.network("gke", ctx.region, "nat_vm_hour")
    cap = ctx.catalog.network("gke", ctx.region, "nat_gateway_cap_hour")
    cap_vms = ctx.catalog.network("gke", ctx.region, "nat_cap_vms")
    label = f"Cloud NAT ({r.name})"
    if per_vm is None or cap is None or cap_vms is None:
        out.append(_missing(r, f"{label}: per-VM gateway price"))
    else:
        lo = hi = Decimal(0)
        for pool in ctx.graph.of_type("gcp:container/nodePool:NodePool"):
            c = gke_pool_count(ctx, pool)
            lo, hi = lo + c.min, hi + c.max

        def hourly(vms: Decimal) -> Decimal:
            return per_vm.amount * vms if vms <= cap_vms.amount else cap.amount

        price = per_vm if lo <= cap_vms.amount else cap
        out.append(component(
            ctx, r, label, "network", price, ctx.hours, unit="gateway-hour", unit_price=hourly(lo),
            unit_price_max=hourly(hi) if hi != lo else None,
            note=f"{fmt_qty(lo)} node VM(s) use the gateway"
            + (f" ({fmt_qty(hi)} at the autoscaling maximum)" if hi != lo else "")
            + f": ${per_vm.amount} per VM-hour up to {cap_vms.amount} VMs, ${cap.amount}/h above",
        ))
    ips = r.get("natIps") or []
    ip_price = ctx.catalog.network("gke", ctx.region, "nat_ip_hour")
    if ips and ip_price is not None:
        out.append(component(ctx, r, f"{label} NAT IPs", "network", ip_price, Decimal(len(ips)) * ctx.hours,
                             unit="address-hour", note=f"{len(ips)} static NAT IP(s) declared"))
    elif ip_price is None:
        out.append(_missing(r, f"{label}: NAT IP price"))
    else:
        option = r.get("natIpAllocateOption") or "AUTO_ONLY"
        out.append(Unpriced(_rid(r), f"{label}: NAT IPs at ${ip_price.amount}/h each are not priced: "
                            f"natIpAllocateOption {option} lets Google allocate as many as the gateway needs, "
                            "and the program declares no count (at least one)",
                            low=ip_price.amount * ctx.hours, how="declare static NAT IPs (natIps)"))
    data = ctx.catalog.network("gke", ctx.region, "nat_data_gb")
    if data is not None and ctx.assumptions.egress_gb_month > 0:
        out.append(component(
            ctx, r, f"{label} data processing", "network", data, ctx.assumptions.egress_gb_month, unit="GB",
            note=f"estimate: assumes {fmt_qty(ctx.assumptions.egress_gb_month)} GB/month of NAT egress per cluster "
            f"(from {ctx.assumptions.origin('egress_gb_month')})", estimate=True,
        ))
    return out


@pricer("gcp:gkehub/featureMembership:FeatureMembership")
def _gke_mesh_feature(r: RenderedResource, ctx: PriceContext) -> Result:
    """Cloud Service Mesh is billed for the clusters (memberships) that run it; the project's servicemesh
    Feature itself (once per project, in the scope stack) is a switch with no charge of its own."""
    if r.get("mesh") is None:
        return []
    fee = ctx.catalog.fee("gke", "mesh_managed")
    if isinstance(fee, Price):
        return [component(ctx, r, "Cloud Service Mesh", "mesh", fee, ctx.hours)]
    return [_missing(r, "Cloud Service Mesh managed control plane", fee)]


# --------------------------------------------------------------------------- EKS


@pricer("aws:eks/cluster:Cluster")
def _eks_fee(r: RenderedResource, ctx: PriceContext) -> Result:
    phase, why = _support_phase(ctx, "eks", str(r.get("version", ctx.spec.spec.kubernetes.version)))
    if phase == "ended":
        return [Unpriced(_rid(r), f"EKS control plane: {why}; EKS no longer runs it, so it is not priced")]
    support_type = str(r.get("upgradePolicy.supportType", "EXTENDED"))
    if phase == "extended" and support_type == "STANDARD":
        phase, why = "standard", _past_standard(ctx) or why
    label = "EKS control plane" + (" (extended support)" if phase == "extended" else "")
    out = fee_lines(ctx, r, "eks", base_key="control_plane.standard",
                    total_key="control_plane.extended" if phase == "extended" else None, label=label, why=why)
    logs = r.get("enabledClusterLogTypes") or []
    if logs:
        what = f"control-plane logs ({', '.join(map(str, logs))}) to CloudWatch Logs"
        rate = ctx.catalog.network("eks", ctx.region, "cloudwatch_logs_ingest_gb")
        volume = ctx.assumptions.log_gb_month
        if volume is None:
            out.append(Unpriced(_rid(r), f"{what}, billed per GB ingested and stored; usage-based, no volume to "
                                "price", how=HOW_LOGS))
        elif rate is None:
            out.append(Unpriced(_rid(r), f"{what}: no CloudWatch Logs ingestion price in the catalog for "
                                f"{ctx.region}", how=HOW_CATALOG))
        else:
            out.append(component(ctx, r, "CloudWatch Logs ingestion (control-plane logs)", "logging", rate, volume,
                                 unit="GB", note=f"estimate: assumes {fmt_qty(volume)} GB/month of logs (from "
                                 f"{ctx.assumptions.origin('log_gb_month')})",
                                 estimate=True))
    return out


@pricer("aws:kms/key:Key")
def _kms_key(r: RenderedResource, ctx: PriceContext) -> Result:
    fee = ctx.catalog.fee("eks", "kms.key")
    if not isinstance(fee, Price):
        return [_missing(r, "KMS key", fee)]
    return [component(ctx, r, "KMS key (secrets envelope encryption)", "control-plane", fee, Decimal(1),
                      unit="key-month", note=fee.note)]


@pricer("aws:eks/nodeGroup:NodeGroup")
def _eks_nodes(r: RenderedResource, ctx: PriceContext) -> Result:
    scaling = r.get("scalingConfig") or {}
    count = _fixed_or_range(scaling.get("minSize"), scaling.get("maxSize"), scaling.get("desiredSize"),
                            how="managed node group, min..max")
    if scaling.get("minSize") == scaling.get("maxSize"):
        count = NodeCount(count.min, count.min, f"{scaling.get('minSize')} nodes")
    types = r.get("instanceTypes") or []
    disk, product = _dec(r.get("diskSize")), "gp2"  # EKS's default volume without a launch template
    if disk is None:
        disk, product = _launch_template_disk(ctx, r)
    out = node_components(
        ctx, r, label=f"node group {r.name}", instance_type=types[0] if types else None, count=count,
        spot=str(r.get("capacityType", "ON_DEMAND")) == "SPOT", disk_gb=disk or Decimal(20), disk_product=product,
    )
    out += _io2_iops(ctx, r, f"node group {r.name}", count)
    if any(s.get("mapPublicIpOnLaunch") for s in ctx.graph.of_type("aws:ec2/subnet:Subnet")):
        out += _node_public_ips(ctx, r, f"node group {r.name}", count,
                                "nodes in public subnets (mapPublicIpOnLaunch) get a public IPv4 each, billed "
                                "per address-hour since 2024-02-01")
    return out


@pricer("aws:eks/fargateProfile:FargateProfile")
def _eks_fargate(r: RenderedResource, ctx: PriceContext) -> Result:
    return [Unpriced(_rid(r), how="no Fargate rate in the catalog; size the pods' vCPU/GB-hours to price them", reason="Fargate pods (sandboxed tenancy) are billed per vCPU-hour and GB-hour while they "
                     "run; the spec declares no pod usage to price, and no Fargate rate is in the catalog")]


def _launch_template_ebs(ctx: PriceContext, r: RenderedResource) -> dict[str, Any]:
    """The boot volume (``ebs`` block) of the launch template this node group declares (matched by its id
    output); {} when there is none."""
    wanted = str(r.get("launchTemplate.id") or r.get("launchTemplate.name") or "")
    for lt in ctx.graph.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if wanted and wanted not in (f"{lt.name}-id", lt.name, str(lt.get("name", ""))):
            continue
        for mapping in lt.get("blockDeviceMappings") or []:
            ebs = mapping.get("ebs") or {}
            if _dec(ebs.get("volumeSize")) is not None:
                return dict(ebs)
    return {}


def _launch_template_disk(ctx: PriceContext, r: RenderedResource) -> tuple[Decimal | None, str]:
    ebs = _launch_template_ebs(ctx, r)
    return _dec(ebs.get("volumeSize")), str(ebs.get("volumeType", "gp3"))


#: io2 bills provisioned IOPS in tiers per volume; the catalog's rate is the first tier (up to 32,000)
IO2_FIRST_TIER_IOPS: Final = Decimal(32000)


def _io2_iops(ctx: PriceContext, r: RenderedResource, label: str, count: NodeCount) -> Result:
    """Provisioned IOPS of io2 boot volumes, billed per IOPS-month on top of the storage, one volume per node.
    IOPS beyond the first tier (32,000 per volume) are billed at lower tier rates the catalog does not hold:
    they are listed with a bound (between $0 and the first-tier rate)."""
    ebs = _launch_template_ebs(ctx, r)
    if str(ebs.get("volumeType", "")) != "io2":
        return []
    iops = _dec(ebs.get("iops"))
    if not iops:
        return []
    rate = ctx.catalog.storage(ctx.provider, ctx.region, "io2_iops")
    what = f"{label} boot disks: io2 provisioned IOPS ({fmt_qty(iops)} per volume)"
    if rate is None:
        return [Unpriced(_rid(r), f"{what}: no io2 IOPS price in the catalog for {ctx.region}", how=HOW_CATALOG)]
    first = min(iops, IO2_FIRST_TIER_IOPS)
    out: Result = [component(
        ctx, r, f"{label} boot disks: io2 provisioned IOPS", "storage", rate, count.min * first,
        unit="IOPS-month", quantity_max=count.max * first if count.max != count.min else None,
        note=f"{fmt_qty(first)} IOPS per volume at the first-tier rate (up to {fmt_qty(IO2_FIRST_TIER_IOPS)}), "
        "one volume per node",
    )]
    if iops > IO2_FIRST_TIER_IOPS:
        excess = iops - IO2_FIRST_TIER_IOPS
        out.append(Unpriced(
            _rid(r), f"{what}: {fmt_qty(excess)} IOPS per volume above {fmt_qty(IO2_FIRST_TIER_IOPS)} are billed at "
            "lower tier rates the catalog does not hold",
            low=Decimal(0), high=count.min * excess * rate.amount,
            how="add io2's tier-2 IOPS rate (usagetype EBS:VolumeP-IOPS.io2.tier2) to the catalog"))
    return out


@pricer("aws:ec2/natGateway:NatGateway")
def _aws_nat(r: RenderedResource, ctx: PriceContext) -> Result:
    return _nat(r, ctx, "NAT gateway")


@pricer("aws:ec2/eip:Eip", "azure-native:network:PublicIPAddress", "gcp:compute/address:Address")
def _public_ip(r: RenderedResource, ctx: PriceContext) -> Result:
    price = ctx.catalog.network(ctx.provider, ctx.region, "public_ipv4_hour")
    if price is None:
        return [_missing(r, "public IPv4 address")]
    return [component(ctx, r, f"public IPv4 ({r.name})", "network", price, ctx.hours, unit="address-hour")]


def _nat(r: RenderedResource, ctx: PriceContext, label: str) -> Result:
    out: Result = []
    hourly = ctx.catalog.network(ctx.provider, ctx.region, "nat_gateway_hour")
    if hourly is None:
        out.append(_missing(r, label))
    else:
        out.append(component(ctx, r, f"{label} ({r.name})", "network", hourly, ctx.hours, unit="gateway-hour"))
    data = ctx.catalog.network(ctx.provider, ctx.region, "nat_data_gb")
    if data is not None and ctx.assumptions.egress_gb_month > 0:
        gateways = max(1, len(ctx.graph.of_type(r.type)))
        out.append(component(
            ctx, r, f"{label} data processing ({r.name})", "network", data,
            ctx.assumptions.egress_gb_month / gateways, unit="GB",
            note=f"estimate: assumes {fmt_qty(ctx.assumptions.egress_gb_month)} GB/month of NAT egress per cluster "
            f"(from {ctx.assumptions.origin('egress_gb_month')})", estimate=True,
        ))
    return out


# --------------------------------------------------------------------------- AKS


@pricer("azure-native:containerservice:ManagedCluster")
def _aks_cluster(r: RenderedResource, ctx: PriceContext) -> Result:
    out: Result = []
    tier = str((r.get("sku") or {}).get("tier", "Free")).lower()
    label = f"AKS {tier.capitalize()} tier"
    if tier == "premium":
        # Premium (Long Term Support) is billed on the "Standard Long Term Support" meter in place of the
        # Standard fee: booked as the Standard base under control-plane and the uplift under support.
        out.extend(fee_lines(ctx, r, "aks", base_key="control_plane.standard", total_key="control_plane.premium",
                             label=label))
    else:
        out.extend(fee_lines(ctx, r, "aks", base_key=f"control_plane.{tier}", total_key=None, label=label))
    for profile in r.get("agentPoolProfiles") or []:
        name = str(profile.get("name", "system"))
        count = _fixed_or_range(profile.get("minCount") if profile.get("enableAutoScaling") else None,
                                profile.get("maxCount") if profile.get("enableAutoScaling") else None,
                                profile.get("count", 1), how=f"agent pool {name}")
        out.extend(node_components(
            ctx, r, label=f"agent pool {name}", instance_type=profile.get("vmSize"), count=count,
            spot=str(profile.get("scaleSetPriority", "Regular")) == "Spot", disk_gb=None, disk_product="",
        ))
        out.extend(_azure_os_disks(ctx, r, f"agent pool {name}", count, profile))
    outbound = str((r.get("networkProfile") or {}).get("outboundType", "loadBalancer"))
    if outbound == "loadBalancer":
        lb = ctx.catalog.network("aks", ctx.region, "load_balancer_hour")
        ip = ctx.catalog.network("aks", ctx.region, "public_ipv4_hour")
        # private nodes: the outbound IP is the program's own zone-redundant static IP (providers/aks/network.py),
        # priced as its PublicIPAddress; otherwise AKS creates one
        own = ((r.get("networkProfile") or {}).get("loadBalancerProfile") or {}).get("outboundIPs") or {}
        note = ("AKS creates a Standard load balancer for outbound traffic, from the cluster's own public IP"
                if own.get("publicIPs") else "AKS creates a Standard load balancer and a public IP for outbound traffic")
        if lb is not None:
            out.append(component(ctx, r, "outbound Standard load balancer", "network", lb, ctx.hours,
                                 unit="lb-hour", note=note + "; one outbound rule, within the 5 rules the base fee includes"))
        else:
            out.append(_missing(r, "outbound Standard load balancer"))
        lb_data = ctx.catalog.network("aks", ctx.region, "load_balancer_data_gb")
        if lb_data is None:
            out.append(_missing(r, "outbound Standard load balancer data processed"))
        elif ctx.assumptions.egress_gb_month > 0:
            out.append(component(
                ctx, r, "outbound Standard load balancer data processed", "network", lb_data,
                ctx.assumptions.egress_gb_month, unit="GB",
                note=f"estimate: the cluster's outbound traffic leaves through the load balancer; assumes "
                f"{fmt_qty(ctx.assumptions.egress_gb_month)} GB/month per cluster (from "
                f"{ctx.assumptions.origin('egress_gb_month')}; `--egress-gb` or `monthly_data_processed_gb` in a "
                "usage file)", estimate=True))
        if own.get("publicIPs"):
            pass  # priced as the PublicIPAddress it is
        elif ip is not None:
            out.append(component(ctx, r, "outbound public IPv4", "network", ip, ctx.hours, note=note))
        else:
            out.append(_missing(r, "outbound public IPv4"))
    return out


@pricer("azure-native:containerservice:AgentPool")
def _aks_pool(r: RenderedResource, ctx: PriceContext) -> Result:
    auto = bool(r.get("enableAutoScaling"))
    count = _fixed_or_range(r.get("minCount") if auto else None, r.get("maxCount") if auto else None,
                            r.get("count", 1), how="agent pool")
    out = node_components(
        ctx, r, label=f"agent pool {r.name}", instance_type=r.get("vmSize"), count=count,
        spot=str(r.get("scaleSetPriority", "Regular")) == "Spot", disk_gb=None, disk_product="",
    )
    return out + _azure_os_disks(ctx, r, f"agent pool {r.name}", count, r.inputs)


#: AKS's managed OS disk when osDiskType is Managed (or unset and not ephemeral): Premium SSD, 128 GiB
AKS_OS_DISK_FAMILY: Final = "premium-ssd"
AKS_OS_DISK_GIB: Final = Decimal(128)


def _azure_os_disks(ctx: PriceContext, r: RenderedResource, label: str, count: NodeCount,
                    profile: Any) -> Result:
    """Managed OS disks, one per node, billed per disk for the size tier the disk rounds up into."""
    if profile.get("osDiskType") == "Ephemeral":
        return []
    size = _dec(profile.get("osDiskSizeGB"), AKS_OS_DISK_GIB) or AKS_OS_DISK_GIB
    what = f"{label} OS disks ({size} GiB {AKS_OS_DISK_FAMILY})"
    tier = ctx.catalog.disk_tier(ctx.provider, AKS_OS_DISK_FAMILY, size)
    if tier is None:
        return [Unpriced(_rid(r), f"{what}: no disk size tier in the catalog")]
    price = ctx.catalog.storage(ctx.provider, ctx.region, f"{AKS_OS_DISK_FAMILY}/{tier.name}")
    if price is None:
        return [Unpriced(_rid(r), f"{what}: tier {tier.name} has no price in the {ctx.provider} catalog for {ctx.region}",
                         how=HOW_CATALOG)]
    ctx.used_sources.add(tier.source)
    return [component(
        ctx, r, f"{label} OS disks ({tier.name})", "storage", price, count.min, unit="disk-month",
        quantity_max=count.max if count.max != count.min else None,
        note=f"one {size} GiB managed OS disk per node, billed as {tier.name} (up to {tier.max_gib} GiB) per disk-month",
    )]


@pricer("azure-native:network:NatGateway")
def _azure_nat(r: RenderedResource, ctx: PriceContext) -> Result:
    return _nat(r, ctx, "NAT gateway")


# --------------------------------------------------------------------------- kubeadm on vSphere


def onprem_rates(ctx: PriceContext) -> dict[str, Price | NotPublished]:
    """Catalog defaults overlaid by the spec's own rates (spec.providers.kubeadm.costs)."""
    rates = dict(ctx.catalog.onprem())
    opts = ctx.spec.spec.providers.kubeadm
    if opts is not None:
        spec_source = Source("spec", "spec.providers.kubeadm.costs", ctx.as_of, "rate given in the spec",
                             published=ctx.as_of)
        for key in ("vcpu_hour", "gib_hour", "disk_gb_month", "vm_license_month"):
            value = getattr(opts.costs, key)
            if value is not None:
                unit = {"vcpu_hour": "vCPU-hour", "gib_hour": "GiB-hour", "disk_gb_month": "GB-month",
                        "vm_license_month": "VM-month"}[key]
                rates[key] = Price(Decimal(value), unit, spec_source, "from the spec")
    return rates


CAPI_CLUSTER: Final = "kubernetes:cluster.x-k8s.io/v1beta2:Cluster"
CAPI_CLUSTER_CLASS: Final = "kubernetes:cluster.x-k8s.io/v1beta2:ClusterClass"
VSPHERE_MACHINE_TEMPLATE: Final = "kubernetes:infrastructure.cluster.x-k8s.io/v1beta2:VSphereMachineTemplate"
#: cluster-autoscaler's Cluster API provider reads a MachineDeployment's bounds from these annotations
_AUTOSCALER_MIN: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"


def _by_name(ctx: PriceContext, type_: str, name: str) -> RenderedResource | None:
    for res in ctx.graph.resources:
        if res.type == type_ and res.get("metadata.name") == name:
            return res
    return None


def _vm_lines(ctx: PriceContext, r: RenderedResource, what: str, role: Category, machine: Mapping[str, Any],
              low: Decimal, high: Decimal) -> Result:
    """The VMs CAPV clones from one VSphereMachineTemplate: ``low``..``high`` of them, priced per vCPU, GiB,
    disk GB and licence at the on-prem rates."""
    rates = onprem_rates(ctx)
    cpus = _dec(machine.get("numCPUs"), Decimal(1)) or Decimal(1)
    mem_gib = (_dec(machine.get("memoryMiB"), Decimal(1024)) or Decimal(1024)) * GIB_PER_MIB
    disk_gb = _dec(machine.get("diskGiB"), Decimal(0)) or Decimal(0)
    span = f"{low}" if low == high else f"{low}-{high}"
    out: Result = []
    for key, per_vm, label in (
        ("vcpu_hour", cpus * ctx.hours, f"{what}: {span} VM × {cpus} vCPU"),
        ("gib_hour", mem_gib * ctx.hours, f"{what}: {span} VM × {mem_gib.normalize()} GiB RAM"),
        ("disk_gb_month", disk_gb, f"{what}: {span} VM × {disk_gb} GB disk"),
        ("vm_license_month", Decimal(1), f"{what}: {span} VM licence"),
    ):
        rate = rates.get(key)
        if isinstance(rate, Price):
            category: Category = "storage" if key == "disk_gb_month" else role
            out.append(component(ctx, r, label, category, rate, per_vm * low, note=rate.note, estimate=True,
                                 quantity_max=per_vm * high if high != low else None))
        else:
            out.append(_missing(r, f"{label} (on-prem rate {key}; set spec.providers.kubeadm.costs)", rate))
    return out


@pricer(CAPI_CLUSTER)
def _capi_cluster(r: RenderedResource, ctx: PriceContext) -> Result:
    """kubeadm on vSphere: the VMs Cluster API creates for the topology Cluster - control-plane replicas and
    each MachineDeployment's replicas (autoscaled pools: their minimum) - at their VSphereMachineTemplate's
    shape."""
    topology = r.get("spec.topology") or {}
    cls = _by_name(ctx, CAPI_CLUSTER_CLASS, str((topology.get("classRef") or {}).get("name")))
    if cls is None:
        return [Unpriced(_rid(r), "the Cluster's ClusterClass is not in the rendered graph")]

    def machine(ref: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        tpl = _by_name(ctx, VSPHERE_MACHINE_TEMPLATE, str((ref or {}).get("name")))
        return tpl.get("spec.template.spec") if tpl is not None else None

    out: Result = []
    cp = machine(cls.get("spec.controlPlane.machineInfrastructure.templateRef"))
    replicas = Decimal(int((topology.get("controlPlane") or {}).get("replicas") or 1))
    if cp is not None:
        out += _vm_lines(ctx, r, "control plane", "control-plane", cp, replicas, replicas)
    classes = {c.get("class"): c for c in cls.get("spec.workers.machineDeployments") or []}
    for md in (topology.get("workers") or {}).get("machineDeployments") or []:
        shape = machine(((classes.get(md.get("class")) or {}).get("infrastructure") or {}).get("templateRef"))
        if shape is None:
            out.append(Unpriced(_rid(r), f"pool {md.get('name')}: its VSphereMachineTemplate is not in the graph"))
            continue
        notes = (md.get("metadata") or {}).get("annotations") or {}
        if "replicas" in md:
            low = high = Decimal(int(md["replicas"]))
        else:
            # the bounds are annotations for cluster-autoscaler's Cluster API provider, which kubefleet does
            # not install: Cluster API creates the minimum and nothing adds more
            low = high = Decimal(int(notes.get(_AUTOSCALER_MIN, 0)))
        ctx.nodes.append((low, high))
        lo, hi = ctx.pool_nodes.get(str(md.get("name")), (Decimal(0), Decimal(0)))
        ctx.pool_nodes[str(md.get("name"))] = (lo + low, hi + high)
        out += _vm_lines(ctx, r, f"pool {md.get('name')}", "nodes", shape, low, high)
    return out


def onprem_gpu_components(ctx: PriceContext) -> Result:
    """GPUs the spec asks for on kubeadm: priced at the on-prem GPU rate (an estimate), never free.

    The VSphereMachineTemplates carry no GPUs (the spec carries no PCI device ids; see the parity notes),
    so the GPUs are the hardware you would have to supply: priced per GPU-hour on their own line."""
    anchor = RenderedResource(urn="", type="kubefleet:onprem:Gpus", name=f"{ctx.graph.cluster}-gpus", parent=None,
                              inputs={}, custom=False, protect=False)
    out: Result = []
    rate = ctx.catalog.onprem_gpu()
    for pool in ctx.spec.spec.node_pools:
        gpu = pool.machine.gpu
        if gpu is None:
            continue
        label = f"pool {pool.name}: {gpu.count}× {gpu.kind} per node"
        if not isinstance(rate, Price):
            out.append(_missing(anchor, f"{label} (on-prem rate gpu_hour)", rate))
            continue
        # priced at each pool's minimum: no autoscaler is installed (the bounds are annotations only)
        qty = Decimal(pool.min_nodes * gpu.count) * ctx.hours
        out.append(component(ctx, anchor, f"{label} (on-prem GPU)", "nodes", rate, qty, unit="gpu-hour",
                             note=rate.note, estimate=True))
    return out


# --------------------------------------------------------------------------- free types

free("networking object; no charge by itself",
     "gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/router:Router",
     "gcp:compute/firewall:Firewall",
     "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
     "aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation",
     "aws:ec2/route:Route", "aws:ec2/securityGroup:SecurityGroup",
     "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/launchTemplate:LaunchTemplate",
     "azure-native:network:VirtualNetwork", "azure-native:network:Subnet")
free("identity and access; no charge",
     "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policy:Policy",
     "aws:iam/rolePolicy:RolePolicy",
     "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:eks/accessEntry:AccessEntry",
     "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
     "gcp:serviceaccount/account:Account", "gcp:projects/iAMMember:IAMMember",
     "azure-native:authorization:RoleAssignment", "azure-native:managedidentity:UserAssignedIdentity")
free("a grouping or configuration object; no charge",
     "azure-native:resources:ResourceGroup", "azure-native:containerservice:MaintenanceConfiguration",
     "gcp:gkehub/membership:Membership", "aws:cloudwatch/logGroup:LogGroup")
free("a once-per-project switch in the project's scope stack (an enabled API, a fleet feature); no charge by "
     "itself - what runs on it is priced per cluster", "gcp:projects/service:Service", "gcp:gkehub/feature:Feature")
free("EKS add-on; no charge beyond the nodes it runs on", "aws:eks/addon:Addon")
free("software installed on the cluster; its capacity is priced on the mesh line",
     "kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Namespace", "kubernetes:yaml/v2:ConfigGroup",
     "kubernetes:core/v1:ResourceQuota",
     "kubernetes:node.k8s.io/v1:RuntimeClass", "kubernetes:apiextensions.k8s.io:CustomResource")
free("a DaemonSet on the cluster's own nodes (e.g. the NVIDIA device plugin); no charge beyond those nodes",
     "kubernetes:apps/v1:DaemonSet")
free("Pulumi bookkeeping (no cloud resource)",
     "pulumi:providers:kubernetes", "random:index/randomString:RandomString", "random:index/randomId:RandomId",
     "random:index/randomPassword:RandomPassword", "random:index/randomBytes:RandomBytes", "pulumi:index:Stash")
free("a Kubernetes object; no charge",
     "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
free("a Cluster API object in the management cluster; the VMs it makes are priced on the Cluster line",
     CAPI_CLUSTER_CLASS, VSPHERE_MACHINE_TEMPLATE,
     "kubernetes:infrastructure.cluster.x-k8s.io/v1beta2:VSphereClusterTemplate",
     "kubernetes:infrastructure.cluster.x-k8s.io/v1beta2:VSphereClusterIdentity",
     "kubernetes:controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate",
     "kubernetes:bootstrap.cluster.x-k8s.io/v1beta2:KubeadmConfigTemplate",
     "kubernetes:addons.cluster.x-k8s.io/v1beta2:ClusterResourceSet",
     "kubernetes:ipam.cluster.x-k8s.io/v1alpha2:InClusterIPPool")


def _is_free(type_: str) -> str | None:
    if type_ in FREE:
        return FREE[type_]
    if type_.startswith("kubefleet:"):
        return "kubefleet component (groups the resources below it)"
    if type_.startswith("pulumi:providers:"):
        return "Pulumi provider instance (no cloud resource)"
    return None


# --------------------------------------------------------------------------- mesh overhead


def mesh_components(ctx: PriceContext) -> Result:
    """Istio's reserved capacity (sidecars or ztunnels, plus istiod) as extra node capacity, on its own line."""
    istio = ctx.spec.spec.addons.istio
    if istio.mode == "none":
        return []
    figures = ctx.catalog.istio()
    anchor = RenderedResource(urn="", type="kubefleet:mesh:Istio", name=f"{ctx.graph.cluster}-istio", parent=None,
                              inputs={}, custom=False, protect=False)
    nodes_at_min = sum(p.min_nodes for p in ctx.spec.spec.node_pools)
    parts: list[tuple[str, Decimal, Decimal, str]] = []  # (what, cpu cores, mem MiB, source url)
    if istio.data_plane == "sidecar":
        side = figures.get("sidecar")
        if side is not None and istio.expected_pods:
            pods = Decimal(istio.expected_pods)
            parts.append((f"{istio.expected_pods} sidecars × {side.cpu_cores} CPU / {side.memory_mib} MiB",
                          side.cpu_cores * pods, side.memory_mib * pods, side.source.url))
            ctx.used_sources.add(side.source)
    else:
        zt = figures.get("ztunnel")
        if zt is not None:
            n = Decimal(nodes_at_min)
            parts.append((f"{nodes_at_min} ztunnels (one per node) × {zt.cpu_cores} CPU / {zt.memory_mib} MiB",
                          zt.cpu_cores * n, zt.memory_mib * n, zt.source.url))
            ctx.used_sources.add(zt.source)
    control_plane_in_cluster = not (istio.mode == "managed" and ctx.provider == "gke")
    istiod = figures.get("istiod")
    if istiod is not None and control_plane_in_cluster:
        parts.append((f"istiod × {istiod.cpu_cores} CPU / {istiod.memory_mib} MiB", istiod.cpu_cores,
                      istiod.memory_mib, istiod.source.url))
        ctx.used_sources.add(istiod.source)
    if not parts:
        return []
    cpu = sum((p[1] for p in parts), Decimal(0))
    mem_gib = sum((p[2] for p in parts), Decimal(0)) * GIB_PER_MIB
    what = "; ".join(p[0] for p in parts)
    out: Result = []
    if ctx.provider == "kubeadm":
        rates = onprem_rates(ctx)
        for key, qty, label in (("vcpu_hour", cpu, "CPU"), ("gib_hour", mem_gib, "memory")):
            rate = rates.get(key)
            if isinstance(rate, Price):
                out.append(component(ctx, anchor, f"Istio reserved {label}", "mesh", rate, qty * ctx.hours,
                                     note=what, estimate=True))
            else:
                out.append(_missing(anchor, f"Istio reserved {label} (on-prem rate {key})", rate))
        return out
    pool = ctx.spec.spec.node_pools[0]
    choice = ctx.graph.instances.get(pool.name)
    inst = ctx.catalog.instance(ctx.provider, ctx.region, choice.name) if choice else None
    if inst is None:
        return [Unpriced(_rid(anchor), f"Istio overhead ({cpu} CPU, {mem_gib:.1f} GiB): the host pool's type is unpriced")]
    per_node = max(cpu / Decimal(inst.vcpus), mem_gib / inst.memory_gib)
    out.append(component(
        ctx, anchor, f"Istio overhead as extra {inst.name} capacity", "mesh", inst.price,
        per_node * ctx.hours, unit="node-hour",
        note=f"{what} = {cpu} CPU, {mem_gib.quantize(Decimal('0.1'))} GiB reserved ≈ {per_node.quantize(Decimal('0.01'))} "
        f"{inst.name} nodes",
    ))
    sources = sorted({p[3] for p in parts})
    out.append(CostComponent(
        name="Istio resource requests (chart defaults)", category="mesh", unit="info", quantity=Decimal(0),
        unit_price=Decimal(0), source_url=sources[0], as_of=ctx.as_of, resource=_rid(anchor),
        note="the requests priced above come from Istio's Helm chart defaults: " + ", ".join(sources),
    ))
    return out


# --------------------------------------------------------------------------- entry points


def price_graph(
    graph: ResourceGraph, catalog: Catalog, *, as_of: date, assumptions: Assumptions | None = None
) -> CostBreakdown:
    """Price every resource the program declares for one cluster on one provider."""
    ctx = PriceContext(graph=graph, catalog=catalog, as_of=as_of, assumptions=assumptions or Assumptions())
    breakdown = CostBreakdown(
        cluster=graph.cluster, provider=graph.provider, region=graph.region, as_of=as_of,
        catalog_as_of=catalog.as_of(graph.provider), assumptions=ctx.assumptions,
    )
    for r in graph.resources:
        fn = PRICERS.get(r.type)
        if fn is not None:
            results = fn(r, ctx)
            if not results:
                breakdown.free.append(_rid(r))
        elif _is_free(r.type) is not None:
            breakdown.free.append(_rid(r))
            continue
        else:
            breakdown.unpriced.append(Unpriced(_rid(r), f"kubefleet has no pricer for {r.type}"))
            continue
        for item in results:
            if isinstance(item, Unpriced):
                breakdown.unpriced.append(item)
            elif item.unit != "info":
                breakdown.components.append(item)
    extra = mesh_components(ctx)
    if graph.provider == "kubeadm":
        from kubefleet.cost.etcd_backup import etcd_backup_storage  # they build on this module
        from kubefleet.cost.management import management_share

        extra += onprem_gpu_components(ctx) + management_share(ctx) + etcd_backup_storage(ctx)
    for item in extra:
        if isinstance(item, Unpriced):
            breakdown.unpriced.append(item)
        elif item.unit != "info":
            breakdown.components.append(item)
    if ctx.nodes:
        breakdown.nodes_min = int(sum((n[0] for n in ctx.nodes), Decimal(0)))
        breakdown.nodes_max = int(sum((n[1] for n in ctx.nodes), Decimal(0)))
    breakdown.pool_nodes = {k: (int(v[0]), int(v[1])) for k, v in ctx.pool_nodes.items()}
    if ctx.used_sources:
        breakdown.catalog_as_of = min(src.read for src in ctx.used_sources)
        dated = [src.published for src in ctx.used_sources if src.published is not None]
        breakdown.data_as_of = min(dated) if dated else None
        breakdown.undated_sources = sorted({src.url for src in ctx.used_sources if src.published is None})
    return breakdown


def free_reason(type_: str) -> str | None:
    """Why a resource type costs nothing by itself (None if it is priced or unknown)."""
    return _is_free(type_)

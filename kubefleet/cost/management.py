"""kubeadm clusters' share of their Cluster API management cluster: one cost line.

The rule (stated on the line itself, with its inputs):

    share per month = management cluster per month / workload clusters it manages (N)

- *management cluster per month*: ``spec.providers.kubeadm.costs.managementClusterMonth`` when the spec gives
  it; otherwise the catalog's reference management cluster (catalog/data/capi-management.yaml: 3
  control-plane + 3 worker VMs of 2 vCPU / 8 GiB / 25 GiB, the Cluster API quick start's counts at CAPV's
  template VM shape) priced VM by VM at this cluster's own on-prem rates: (vCPUs x vcpu_hour + GiB x
  gib_hour) x hours a month + disk GB x disk_gb_month + vm_license_month;
- *N*: ``spec.providers.kubeadm.costs.managedClusters``; else, when clusters are priced together (``fleet``,
  ``compare``/``cost`` over several specs) and this one names its management cluster
  (``spec.providers.kubeadm.managementCluster``), the number of those clusters on kubeadm that name the same
  one (:func:`management_peers`, said on the line); else the catalog's default 1 (this cluster carries the
  whole management cluster - an upper bound, said on the line). A given managedClusters below what the
  priced clusters show is kept, with a warning (:func:`undercount_warning`): the shares then add up to more
  than the management cluster.

A rate the reference needs that is missing or not published makes the line unpriced, with the reason;
never zero. Money is Decimal; nothing reads the clock (the line's date is the estimate's ``as_of``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kubefleet.catalog.management import ManagementReference, reference
from kubefleet.catalog.models import Price, Source
from kubefleet.cost.model import Assumptions, CostComponent
from kubefleet.cost.pricer import PriceContext, Result, _missing, onprem_rates
from kubefleet.graph import RenderedResource
from kubefleet.spec.model import ClusterSpec

TYPE = "kubefleet:capi:ManagementClusterShare"
RATES = ("vcpu_hour", "gib_hour", "disk_gb_month", "vm_license_month")


def _anchor(ctx: PriceContext) -> RenderedResource:
    return RenderedResource(urn="", type=TYPE, name=f"{ctx.graph.cluster}-management-share", parent=None,
                            inputs={}, custom=False, protect=False)


def reference_month(ref: ManagementReference, rates: dict[str, Price], hours: Decimal) -> Decimal:
    """The reference management cluster per month at ``rates`` (every key of :data:`RATES` present)."""
    per_vm = ((Decimal(ref.vcpus) * rates["vcpu_hour"].amount + Decimal(ref.memory_gib) * rates["gib_hour"].amount)
              * hours + Decimal(ref.disk_gib) * rates["disk_gb_month"].amount + rates["vm_license_month"].amount)
    return per_vm * ref.vms


def management_name(spec: ClusterSpec) -> str | None:
    opts = spec.spec.providers.kubeadm
    return opts.management_cluster if opts is not None else None


def management_peers(on_kubeadm: Iterable[ClusterSpec]) -> tuple[tuple[str, int], ...]:
    """Management cluster -> how many of these clusters (the ones priced on kubeadm) name it, for
    :attr:`Assumptions.management_peers`. A cluster that names none (its kubeconfig comes from the
    environment) is not counted: nothing says which management cluster that is."""
    counts: dict[str, int] = {}
    for spec in on_kubeadm:
        name = management_name(spec)
        if name:
            counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(counts.items()))


def undercount_warning(spec: ClusterSpec, assumptions: Assumptions) -> str | None:
    """When the spec's costs.managedClusters is below the clusters priced together that name its management
    cluster: a sentence (the user's number is kept)."""
    opts = spec.spec.providers.kubeadm
    given = opts.costs.managed_clusters if opts is not None and opts.costs is not None else None
    name = management_name(spec)
    peers = dict(assumptions.management_peers).get(name) if name else None
    if given is None or peers is None or peers <= given:
        return None
    return (f"{peers} kubeadm clusters priced together name management cluster {name!r}, more than "
            f"spec.providers.kubeadm.costs.managedClusters says ({given}): the management-cluster shares add up to "
            "more than the management cluster; raise managedClusters")


def management_share(ctx: PriceContext) -> Result:
    """The line for a kubeadm cluster (nothing for other providers)."""
    if ctx.provider != "kubeadm":
        return []
    anchor = _anchor(ctx)
    opts = ctx.spec.spec.providers.kubeadm
    costs = opts.costs if opts is not None else None
    ref = reference()
    given_n = costs.managed_clusters if costs is not None else None
    name = management_name(ctx.spec)
    peers = dict(ctx.assumptions.management_peers).get(name) if name else None
    if given_n:
        n = given_n
        n_text = f"÷ {n} workload clusters (spec.providers.kubeadm.costs.managedClusters)"
        warning = undercount_warning(ctx.spec, ctx.assumptions)
        if warning is not None:
            n_text += f"; warning: {warning}"
    elif peers:
        n = peers
        n_text = (f"÷ {n}: the kubeadm clusters priced together that name management cluster {name!r} "
                  "(spec.providers.kubeadm.managementCluster); set spec.providers.kubeadm.costs.managedClusters "
                  "if it also manages clusters not priced here")
    else:
        n = ref.managed_clusters
        n_text = (f"÷ {n} (assumption: this cluster is the management cluster's only workload cluster, an upper "
                  "bound; set spec.providers.kubeadm.costs.managedClusters)")
    label = "Cluster API management cluster share"
    given_month = costs.management_cluster_month if costs is not None else None
    if given_month is not None:
        month = Decimal(given_month)
        source = Source("spec", "spec.providers.kubeadm.costs", ctx.as_of, "management cluster cost given in the spec",
                        published=ctx.as_of)
        inputs = f"management cluster ${month}/month (spec.providers.kubeadm.costs.managementClusterMonth)"
    else:
        rates = onprem_rates(ctx)
        prices = {k: p for k in RATES if isinstance(p := rates.get(k), Price)}
        missing = next((k for k in RATES if k not in prices), None)
        if missing is not None:
            return [_missing(anchor, f"{label} (the reference management cluster needs the on-prem rate {missing}; "
                             "set spec.providers.kubeadm.costs or costs.managementClusterMonth)", rates.get(missing))]
        month = reference_month(ref, prices, ctx.hours)
        for p in prices.values():
            ctx.used_sources.add(p.source)
        # the money comes from the rates; the reference's shape and counts are cited in the note (they are
        # not prices, so they do not age the estimate)
        source = prices["vcpu_hour"].source
        inputs = (
            f"reference management cluster {ref.control_plane_vms} control-plane + {ref.worker_vms} worker VMs "
            f"({ref.counts_source.url}) of {ref.vcpus} vCPU / {ref.memory_gib} GiB / {ref.disk_gib} GiB "
            f"({ref.vm_source.url}) at this cluster's rates ${prices['vcpu_hour'].amount}/vCPU-hour, "
            f"${prices['gib_hour'].amount}/GiB-hour, ${prices['disk_gb_month'].amount}/GB-month, "
            f"${prices['vm_license_month'].amount}/VM-month, {ctx.hours} hours = ${month.normalize():f}/month; set "
            "spec.providers.kubeadm.costs.managementClusterMonth to your own"
        )
    if given_month is not None:
        ctx.used_sources.add(source)
    note = f"rule: management cluster per month ÷ workload clusters it manages; inputs: {inputs}; {n_text}"
    return [CostComponent(
        name=f"{label} (1/{n})", category="control-plane", unit="management-cluster-month",
        quantity=Decimal(1) / Decimal(n), unit_price=month, source_url=source.url, as_of=source.read,
        resource=f"{TYPE}::{anchor.name}", note=note, estimate=True, data_as_of=source.published,
    )]


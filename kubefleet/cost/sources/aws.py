"""AWS Price List Bulk API (no authentication): EC2 on-demand Linux prices, EBS, NAT, public IPv4, and
the EKS cluster fee.

``.../offers/v1.0/aws/<Offer>/current/region_index.json`` maps each region to its offer file
(``regions.<code>.currentVersionUrl``, a path on the same host). An offer file is
``{"formatVersion", "disclaimer", "offerCode", "version", "publicationDate", "products": {sku:
{"sku", "productFamily", "attributes": {...}}}, "terms": {"OnDemand": {sku: {"<sku>.<term>":
{"offerTermCode", "sku", "effectiveDate", "priceDimensions": {"<sku>.<term>.<rate>": {"rateCode",
"description", "beginRange", "endRange", "unit", "pricePerUnit": {"USD": "0.0960000000"},
"appliesTo"}}, "termAttributes"}}}, "Reserved": {...}}}``.
The EC2 offer file of one region is several GB, so it is read as a stream (:mod:`jsonstream`).
Docs: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from kubefleet.cost.sources.jsonstream import JsonStream
from kubefleet.cost.sources.model import Fetched, Item, RefreshPlan, SourceRef
from kubefleet.cost.sources.transport import Fetch, Progress, get_json, opened
from kubefleet.errors import CatalogError

HOST = "https://pricing.us-east-1.amazonaws.com"
EC2_INDEX = f"{HOST}/offers/v1.0/aws/AmazonEC2/current/region_index.json"
EKS_INDEX = f"{HOST}/offers/v1.0/aws/AmazonEKS/current/region_index.json"
VPC_INDEX = f"{HOST}/offers/v1.0/aws/AmazonVPC/current/region_index.json"
EC2_SOURCE = "aws-price-list-ec2"
HOURS_PER_MONTH = Decimal(730)  # commitments.yaml states figures per 730-hour month
EKS_SOURCE = "aws-price-list-eks"
VPC_SOURCE = "aws-price-list-vpc"

# usagetype suffix (after the region prefix such as "USW2-") -> (section, catalog item, unit, note)
USAGE_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "EBS:VolumeUsage.gp3": ("storage", "gp3", "gb-month", "EBS gp3 volume storage, per GB-month"),
    "EBS:VolumeUsage.gp2": ("storage", "gp2", "gb-month", "EBS gp2 volume storage, per GB-month"),
    "EBS:VolumeUsage.st1": ("storage", "st1", "gb-month", "EBS st1 (throughput HDD) storage, per GB-month"),
    "EBS:VolumeUsage.io2": ("storage", "io2", "gb-month", "EBS io2 volume storage, per GB-month"),
    # the first IOPS tier (up to 32,000 per volume); the higher tiers are usagetypes ...io2.tier2/.tier3
    "EBS:VolumeP-IOPS.io2": ("storage", "io2_iops", "iops-month",
                             "io2 provisioned IOPS, first tier (up to 32,000 IOPS per volume), per IOPS-month"),
    "NatGateway-Hours": ("network", "nat_gateway_hour", "hour", "NAT gateway, per gateway-hour"),
    "NatGateway-Bytes": ("network", "nat_data_gb", "gb", "NAT gateway data processed, per GB"),
}
# Public IPv4 is published in the AmazonVPC offer (service code AmazonVPC), not in AmazonEC2.
VPC_USAGE_ITEMS: dict[str, tuple[str, str, str, str]] = {
    "PublicIPv4:InUseAddress": ("network", "public_ipv4_hour", "hour", "in-use public IPv4 address, per hour"),
}
EKS_USAGE = {"AmazonEKS-Hours:perCluster": "control_plane.standard"}


def _usage_match(usagetype: str, suffix: str) -> bool:
    return usagetype == suffix or usagetype.endswith("-" + suffix)


def is_linux_on_demand_instance(product: Mapping[str, Any], names: set[str]) -> bool:
    """Shared-tenancy Linux without pre-installed software, capacity status Used (the running instance,
    not a reservation line), and not a Capacity Block offering."""
    attrs = product.get("attributes")
    if not isinstance(attrs, Mapping):
        return False
    return (
        attrs.get("instanceType") in names
        and attrs.get("operatingSystem") == "Linux"
        and attrs.get("tenancy") == "Shared"
        and attrs.get("preInstalledSw") == "NA"
        and attrs.get("capacitystatus") == "Used"
        and attrs.get("marketoption", "OnDemand") == "OnDemand"
    )


@dataclass
class OfferScan:
    """What one offer file yields: SKU -> (section, key) wanted, and SKU -> USD price per unit."""

    wanted: dict[str, tuple[str, str]] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)
    publication: str | None = None
    #: SKU -> "1y"|"3y" -> hourly USD of the Reserved Instance term (standard, No Upfront) of a wanted instance
    reserved: dict[str, dict[str, Decimal]] = field(default_factory=dict)


def in_region(product: Mapping[str, Any], region: str | None) -> bool:
    """The product belongs to exactly ``region``: a regional offer file also lists the Local Zones and
    Wavelength Zones of its parent region (``regionCode`` us-east-1-bos-1 and the like), priced apart."""
    if region is None:
        return True
    attrs = product.get("attributes")
    code = attrs.get("regionCode") if isinstance(attrs, Mapping) else None
    return code is None or code == region


def classify_product(product: Mapping[str, Any], names: set[str], region: str | None = None,
                     usage_items: Mapping[str, tuple[str, str, str, str]] | None = None) -> tuple[str, str] | None:
    """(section, key) for a product kubefleet prices, else None. Sections: instance, storage, network, fee."""
    if not in_region(product, region):
        return None
    if is_linux_on_demand_instance(product, names):
        return ("instance", str(product["attributes"]["instanceType"]))
    attrs = product.get("attributes")
    if not isinstance(attrs, Mapping):
        return None
    usage = str(attrs.get("usagetype", ""))
    for suffix, (section, key, _unit, _note) in (USAGE_ITEMS if usage_items is None else usage_items).items():
        if _usage_match(usage, suffix):
            return (section, key)
    for suffix, key in EKS_USAGE.items():
        if _usage_match(usage, suffix):
            return ("fee", key)
    return None


def on_demand_price(sku_terms: Mapping[str, Any]) -> Decimal | None:
    """The USD price of a SKU's OnDemand term: its first-tier dimension (``beginRange`` "0")."""
    for term in sku_terms.values():
        dims = term.get("priceDimensions") if isinstance(term, Mapping) else None
        if not isinstance(dims, Mapping):
            continue
        candidates = [d for d in dims.values() if isinstance(d, Mapping)]
        candidates.sort(key=lambda d: str(d.get("beginRange", "0")) != "0")
        for dim in candidates:
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            if usd is None:
                continue
            try:
                return Decimal(str(usd))
            except InvalidOperation:
                raise CatalogError(f"AWS price list: price {usd!r} of {dim.get('rateCode')} is not a number") from None
    return None


#: The Reserved term kubefleet prices `--pricing 1y|3y` at on EKS: a standard Reserved Instance, No Upfront,
#: billed per hour over the term. The offer file documents a Reserved term as ``terms.Reserved.<sku>.
#: <sku>.<offerTermCode>`` with ``termAttributes`` ``LeaseContractLength`` ("1yr"/"3yr"), ``OfferingClass``
#: ("standard"/"convertible") and ``PurchaseOption`` ("No Upfront"/"Partial Upfront"/"All Upfront"), and
#: ``priceDimensions`` whose ``unit`` is "Hrs" (the hourly fee) or "Quantity" (an upfront fee)
#: (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html,
#: "Terms" section). A No Upfront term has only the hourly dimension.
RESERVED_LEASES = {"1yr": "1y", "3yr": "3y"}
RESERVED_CLASS = "standard"
RESERVED_PAYMENT = "No Upfront"


def reserved_hourly(sku_terms: Mapping[str, Any]) -> dict[str, Decimal]:
    """"1y"/"3y" -> the hourly USD of a SKU's standard No Upfront Reserved terms (Convertible, Partial and
    All Upfront terms are skipped: their cost is not an hourly rate alone)."""
    out: dict[str, Decimal] = {}
    for term in sku_terms.values():
        if not isinstance(term, Mapping):
            continue
        attrs = term.get("termAttributes")
        dims = term.get("priceDimensions")
        if not isinstance(attrs, Mapping) or not isinstance(dims, Mapping):
            continue
        lease = RESERVED_LEASES.get(str(attrs.get("LeaseContractLength", "")))
        if lease is None or str(attrs.get("OfferingClass", "")).lower() != RESERVED_CLASS \
                or attrs.get("PurchaseOption") != RESERVED_PAYMENT:
            continue
        hourly = [d for d in dims.values() if isinstance(d, Mapping) and d.get("unit") == "Hrs"]
        if len(hourly) != 1 or len(dims) != 1:
            continue  # a No Upfront term is one hourly dimension; anything else is not what we price
        usd = (hourly[0].get("pricePerUnit") or {}).get("USD")
        try:
            price = Decimal(str(usd))
        except InvalidOperation:
            raise CatalogError(f"AWS price list: reserved price {str(usd)[:40]!r} of "
                               f"{hourly[0].get('rateCode')} is not a number") from None
        if lease in out and out[lease] != price:
            raise CatalogError(f"AWS price list: two standard No Upfront {lease} Reserved prices for one SKU "
                               f"({out[lease]}, {price}); refusing to guess")
        out[lease] = price
    return out


def scan_offer(stream: IO[bytes], names: Iterable[str], *, what: str, progress: Progress | None = None,
               chunk_size: int = 1 << 20, region: str | None = None,
               usage_items: Mapping[str, tuple[str, str, str, str]] | None = None) -> OfferScan:
    """Stream an offer file: keep the products kubefleet prices, then their OnDemand prices and, for
    instances, their standard No Upfront Reserved prices; skip every other section member by member."""
    wanted_names = set(names)
    out = OfferScan()
    js = JsonStream(stream, what=what, chunk_size=chunk_size)
    reported = 0
    saw_products = saw_terms = False
    for key in js.members():
        if key == "products":
            saw_products = True
            for sku in js.members():
                product = js.value()
                if isinstance(product, Mapping) and (
                        kind := classify_product(product, wanted_names, region, usage_items)):
                    out.wanted[str(sku)] = kind
                if progress and js.bytes_read - reported >= 256 << 20:
                    reported = js.bytes_read
                    progress(f"eks: {what}: {reported >> 20} MiB read")
        elif key == "terms":
            saw_terms = True
            for term_type in js.members():
                if term_type == "Reserved":
                    for sku in js.members():
                        terms = js.value()
                        if out.wanted.get(str(sku), ("",))[0] == "instance" and isinstance(terms, Mapping) \
                                and (reserved := reserved_hourly(terms)):
                            out.reserved[str(sku)] = reserved
                    continue
                if term_type != "OnDemand":
                    js.skip()
                    continue
                for sku in js.members():
                    terms = js.value()
                    if sku in out.wanted and isinstance(terms, Mapping):
                        price = on_demand_price(terms)
                        if price is not None:
                            out.prices[str(sku)] = price
        elif key == "publicationDate":
            value = js.value()
            out.publication = str(value)
        else:
            js.skip()
    js.end()
    if not (saw_products and saw_terms):
        raise CatalogError(f"{what} has no products/terms sections; it is not an AWS offer file")
    if progress:
        progress(f"eks: {what}: done ({js.bytes_read >> 20} MiB, {len(out.prices)} prices kept)")
    return out


def region_urls(index: Any, what: str) -> dict[str, str]:
    regions = index.get("regions") if isinstance(index, Mapping) else None
    if not isinstance(regions, Mapping):
        raise CatalogError(f"{what} has no regions map; it is not an AWS region index")
    out: dict[str, str] = {}
    for code, entry in regions.items():
        path = entry.get("currentVersionUrl") if isinstance(entry, Mapping) else None
        if isinstance(path, str) and path:
            out[str(code)] = path if path.startswith("https://") else HOST + path
    return out


def _apply(scan: OfferScan, region: str, out: Fetched, source: str = EC2_SOURCE) -> None:
    by_key: dict[tuple[str, str], list[Decimal]] = {}
    for sku, kind in scan.wanted.items():
        if sku in scan.prices:
            by_key.setdefault(kind, []).append(scan.prices[sku])
    units = {key: (unit, note) for (_s, key, unit, note) in [*USAGE_ITEMS.values(), *VPC_USAGE_ITEMS.values()]}
    for (section, key), prices in sorted(by_key.items()):
        if len(set(prices)) > 1 and section == "instance":
            raise CatalogError(f"AWS price list for {region}: {key} has {len(set(prices))} different Linux "
                               f"on-demand prices ({', '.join(map(str, sorted(set(prices))))}); refusing to guess")
        price = max(prices)
        if section == "instance":
            _apply_reserved(scan, region, key, out)
            out.put(out.instances, region, key, Item(price, "hour", source))
        elif section in ("storage", "network"):
            unit, note = units[key]
            out.put(out.storage if section == "storage" else out.network, region, key,
                    Item(price, unit, source, note=note))


def _apply_reserved(scan: OfferScan, region: str, name: str, out: Fetched) -> None:
    """The instance's standard No Upfront Reserved rates as commitments.yaml figures (hourly × 730)."""
    terms: dict[str, set[Decimal]] = {}
    for sku, kind in scan.wanted.items():
        if kind == ("instance", name):
            for term, hourly in scan.reserved.get(sku, {}).items():
                terms.setdefault(term, set()).add(hourly)
    for term, hourly_set in sorted(terms.items()):
        if len(hourly_set) > 1:
            raise CatalogError(f"AWS price list for {region}: {name} has {len(hourly_set)} different standard No "
                               f"Upfront {term} Reserved prices; refusing to guess")
        out.commitments.setdefault(region, {}).setdefault(name, {})[term] = hourly_set.pop() * HOURS_PER_MONTH


def _published(publication: str | None) -> date | None:
    try:
        return date.fromisoformat(str(publication)[:10]) if publication else None
    except ValueError:
        return None


def fetch_eks(plan: RefreshPlan, fetch: Fetch, progress: Progress, today: date) -> Fetched:
    out = Fetched(provider="eks")
    index = region_urls(get_json(fetch, EC2_INDEX), "the AmazonEC2 region index")
    progress(f"eks: AmazonEC2 region index: {len(index)} regions")
    out.sources[EC2_SOURCE] = SourceRef(
        url=EC2_INDEX,
        title=f"AWS Price List Bulk API, AmazonEC2 regional offer files: Linux, shared tenancy, on-demand; "
              f"EBS and NAT gateway usage types, rows of exactly that region (not its Local Zones); "
              f"fetched {today.isoformat()}",
    )
    names = set(plan.names)
    offers: list[tuple[str, str, str | None]] = []  # region, offer file URL, publicationDate
    for region in plan.regions:
        if region not in index:
            progress(f"eks: {region}: not in the AmazonEC2 region index, skipped")
            continue
        url = index[region]
        progress(f"eks: {region}: streaming {url}")
        with opened(fetch, url) as stream:
            scan = scan_offer(stream, names, what=f"AmazonEC2 offer file for {region}", progress=progress,
                              region=region)
        _apply(scan, region, out)
        if region in out.commitments:
            offers.append((region, url, scan.publication))
    if offers:
        dates = [d for _r, _u, p in offers if (d := _published(p)) is not None]
        out.commitment_source = SourceRef(
            url=offers[0][1] if len(offers) == 1 else EC2_INDEX,
            title="AWS Price List Bulk API, AmazonEC2 regional offer files, terms.Reserved: EC2 Reserved Instances, "
                  "standard offering class, No Upfront payment (LeaseContractLength 1yr/3yr), Linux, shared "
                  "tenancy; the hourly rate × 730 per month; "
                  + "; ".join(f"{r}: {u} (publicationDate {p})" for r, u, p in offers)
                  + f"; fetched {today.isoformat()}",
            published=min(dates) if dates else None,
        )
    vpc_index = region_urls(get_json(fetch, VPC_INDEX), "the AmazonVPC region index")
    for region in plan.regions:
        if region not in vpc_index:
            progress(f"eks: {region}: not in the AmazonVPC region index, skipped")
            continue
        with opened(fetch, vpc_index[region]) as stream:
            scan = scan_offer(stream, (), what=f"AmazonVPC offer file for {region}", progress=progress,
                              region=region, usage_items=VPC_USAGE_ITEMS)
        _apply(scan, region, out, VPC_SOURCE)
        out.sources[VPC_SOURCE] = SourceRef(
            url=VPC_INDEX,
            title=f"AWS Price List Bulk API, AmazonVPC regional offer files: public IPv4 (usage type "
                  f"PublicIPv4:InUseAddress); fetched {today.isoformat()}",
        )
    fee_region = "us-east-1" if "us-east-1" in plan.regions or not plan.regions else plan.regions[0]
    eks_index = region_urls(get_json(fetch, EKS_INDEX), "the AmazonEKS region index")
    if fee_region in eks_index:
        with opened(fetch, eks_index[fee_region]) as stream:
            scan = scan_offer(stream, (), what=f"AmazonEKS offer file for {fee_region}", progress=progress,
                              region=fee_region)
        for sku, (section, key) in scan.wanted.items():
            if section == "fee" and sku in scan.prices and scan.prices[sku] > 0:
                out.fees[key] = Item(scan.prices[sku], "cluster-hour", EKS_SOURCE,
                                     note="clusters on a version in standard support (usage type AmazonEKS-Hours:perCluster)")
        if out.fees:
            out.sources[EKS_SOURCE] = SourceRef(
                url=eks_index[fee_region],
                title=f"AWS Price List Bulk API, AmazonEKS offer file for {fee_region}; fetched {today.isoformat()}",
            )
    return out

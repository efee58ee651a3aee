"""Azure Retail Prices API (no authentication): VM pay-as-you-go Linux prices and AKS tier fees.

``GET https://prices.azure.com/api/retail/prices?$filter=...`` answers ``{"Items": [...],
"NextPageLink": url-or-null, "Count": n, ...}``; each item carries ``armRegionName``, ``armSkuName``
(the VM size), ``productName``, ``skuName``, ``meterName``, ``retailPrice`` (USD), ``unitOfMeasure``
(``"1 Hour"``), ``type`` (``Consumption``), ``isPrimaryMeterRegion`` and ``effectiveStartDate``.
Docs: https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from kubefleet.cost.sources.model import Fetched, Item, RefreshPlan, SourceRef
from kubefleet.cost.sources.transport import Fetch, Progress, get_json
from kubefleet.errors import CatalogError

API = "https://prices.azure.com/api/retail/prices"
VM_SOURCE = "azure-retail-prices-vm"
AKS_SOURCE = "azure-retail-prices-aks"
MAX_PAGES = 500  # a region's VM meters are a few thousand items at 100 (or 1000) per page


def query_url(filter_expr: str) -> str:
    return f"{API}?$filter={quote(filter_expr, safe=chr(39))}"


def vm_url(region: str) -> str:
    return query_url(f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and priceType eq 'Consumption'")


def reservation_url(region: str) -> str:
    """The region's VM reservation items: the pay-as-you-go query (``priceType eq 'Consumption'``) excludes them."""
    return query_url(f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and priceType eq 'Reservation'")


def aks_url(region: str) -> str:
    return query_url(
        f"serviceName eq 'Azure Kubernetes Service' and armRegionName eq '{region}' and priceType eq 'Consumption'"
    )


def pages(fetch: Fetch, url: str, progress: Progress, label: str) -> Iterator[list[dict[str, Any]]]:
    """Every page's ``Items``, following ``NextPageLink`` until it is null or empty."""
    next_url: str | None = url
    count = 0
    while next_url:
        count += 1
        if count > MAX_PAGES:
            raise CatalogError(f"prices.azure.com kept paging past {MAX_PAGES} pages for {label}; refusing to continue")
        page = get_json(fetch, next_url)
        if not isinstance(page, Mapping) or not isinstance(page.get("Items"), list):
            raise CatalogError(f"prices.azure.com page {count} for {label} has no Items list",
                               hint="the API's response format may have changed")
        items = [i for i in page["Items"] if isinstance(i, Mapping)]
        progress(f"aks: {label}: page {count} ({len(items)} items)")
        yield [dict(i) for i in items]
        link = page.get("NextPageLink")
        next_url = link if isinstance(link, str) and link else None


def is_linux_on_demand(item: Mapping[str, Any]) -> bool:
    """Pay-as-you-go Linux meters only: no Windows, Spot or Low Priority meters, hourly USD."""
    product = str(item.get("productName", ""))
    sku = str(item.get("skuName", ""))
    meter = str(item.get("meterName", ""))
    if "Windows" in product:
        return False
    for word in ("Spot", "Low Priority"):
        if word in sku or word in meter:
            return False
    return (
        item.get("type", "Consumption") == "Consumption"
        and item.get("currencyCode", "USD") == "USD"
        and item.get("unitOfMeasure") == "1 Hour"
    )


def _price(item: Mapping[str, Any]) -> Decimal | None:
    raw = item.get("retailPrice")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return None
    try:
        # via str: the JSON float 0.096 becomes Decimal("0.096"), not its binary expansion
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _rank(item: Mapping[str, Any]) -> tuple[bool, str]:
    return (item.get("isPrimaryMeterRegion") is not False, str(item.get("effectiveStartDate", "")))


def vm_prices(items: Iterable[Mapping[str, Any]], region: str, names: Iterable[str]) -> dict[str, Decimal]:
    """Hourly Linux pay-as-you-go price per VM size in ``region`` for the wanted sizes. Where a size has
    several meters, the primary-region meter with the latest effective date wins."""
    wanted = set(names)
    best: dict[str, Mapping[str, Any]] = {}
    for item in items:
        size = item.get("armSkuName")
        if size not in wanted or item.get("armRegionName") != region or not is_linux_on_demand(item):
            continue
        if _price(item) is None:
            continue
        size = str(size)
        if size not in best or _rank(item) > _rank(best[size]):
            best[size] = item
    return {size: p for size, item in best.items() if (p := _price(item)) is not None}


#: Reservation items of the Retail Prices API: ``type`` "Reservation", ``reservationTerm`` "1 Year" or
#: "3 Years" (field names: https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices);
#: their ``unitPrice``/``retailPrice`` is the price of the whole term, not of an hour, although
#: ``unitOfMeasure`` says "1 Hour": recorded from the live API in ahmadabdalla/azure-cost-calculator issue #400
#: (2026-03-01: Standard_D4s_v5 "Virtual Machines Dsv5 Series", reservationTerm "1 Year", unitPrice 1771.8082
#: AUD = "the total prepaid cost for the full term", monthly = unitPrice / 12, / 36 for 3 years). So the hourly
#: rate is price / (365 × 24 × years) and the 730-hour month price / (12 × years).
RESERVATION_TERMS = {"1 Year": ("1y", 1), "3 Years": ("3y", 3)}
HOURS_PER_YEAR = Decimal(365 * 24)
HOURS_PER_MONTH = Decimal(730)
MONTH_PLACES = Decimal("1E-10")  # a whole-term price / (12 × years) does not terminate; 10 places is exact enough


def reservation_months(items: Iterable[Mapping[str, Any]], region: str, names: Iterable[str]) -> dict[str, dict[str, Decimal]]:
    """VM size -> "1y"/"3y" -> the reservation's price per 730-hour month in ``region``: reservations of the
    wanted sizes in USD; Windows products and items that are not reservations are skipped. Where a size and
    term has several items, the primary-region item with the latest effective date wins."""
    wanted = set(names)
    best: dict[tuple[str, str], Mapping[str, Any]] = {}
    for item in items:
        size = item.get("armSkuName")
        term = RESERVATION_TERMS.get(str(item.get("reservationTerm", "")))
        if size not in wanted or term is None or item.get("armRegionName") != region:
            continue
        if item.get("type") != "Reservation" or item.get("currencyCode", "USD") != "USD":
            continue
        if "Windows" in str(item.get("productName", "")) or _price(item) is None:
            continue
        key = (str(size), term[0])
        if key not in best or _rank(item) > _rank(best[key]):
            best[key] = item
    out: dict[str, dict[str, Decimal]] = {}
    for (size, term_key), item in sorted(best.items()):
        price = _price(item)
        years = RESERVATION_TERMS[str(item["reservationTerm"])][1]
        if price is not None and price > 0:
            out.setdefault(size, {})[term_key] = (price * HOURS_PER_MONTH / (HOURS_PER_YEAR * years)).quantize(
                MONTH_PLACES, rounding=ROUND_HALF_UP)
    return out


#: AKS tier meters as the Retail Prices API names them (ahmadabdalla/azure-cost-calculator@63ee6bd
#: references/services/compute/kubernetes-service.md, "Meter Names"): both tiers are billed under
#: ``skuName`` Standard of productName "Azure Kubernetes Service"; the Premium tier is the "Standard Long
#: Term Support" meter, which replaces (not adds to) the "Standard Uptime SLA" fee. ``skuName`` Premium
#: returns no meters.
AKS_PRODUCT = "Azure Kubernetes Service"
AKS_TIER_METERS = {"Standard Uptime SLA": "control_plane.standard", "Standard Long Term Support": "control_plane.premium"}


def aks_fees(items: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Cluster-management tier fees per cluster-hour: ``control_plane.standard`` from the "Standard Uptime
    SLA" meter, ``control_plane.premium`` from the "Standard Long Term Support" meter (both skuName
    Standard); AKS Automatic and other products' meters are skipped."""
    out: dict[str, Decimal] = {}
    for item in items:
        key = AKS_TIER_METERS.get(str(item.get("meterName", "")))
        if key is None or str(item.get("productName", "")) != AKS_PRODUCT:
            continue
        if str(item.get("skuName", "")).strip() != "Standard":
            continue
        if item.get("unitOfMeasure") != "1 Hour" or item.get("currencyCode", "USD") != "USD":
            continue
        price = _price(item)
        if price is not None and price > 0:
            out[key] = price
    return out


def fetch_aks(plan: RefreshPlan, fetch: Fetch, progress: Progress, today: date) -> Fetched:
    """Read VM prices for every planned region, and the AKS tier fees (from the first region)."""
    out = Fetched(provider="aks")
    out.sources[VM_SOURCE] = SourceRef(
        url=query_url("serviceName eq 'Virtual Machines' and priceType eq 'Consumption'"),
        title=f"Azure Retail Prices API, Virtual Machines, Linux pay-as-you-go meters (Windows, Spot and Low "
              f"Priority skipped), per region; fetched {today.isoformat()}",
    )
    for region in plan.regions:
        items = [i for page in pages(fetch, vm_url(region), progress, f"VMs in {region}") for i in page]
        for size, price in vm_prices(items, region, plan.names).items():
            out.put(out.instances, region, size, Item(price, "hour", VM_SOURCE))
        reserved = [i for page in pages(fetch, reservation_url(region), progress, f"VM reservations in {region}")
                    for i in page]
        for size, terms in reservation_months(reserved, region, plan.names).items():
            out.commitments.setdefault(region, {})[size] = terms
    if out.commitments:
        out.commitment_source = SourceRef(
            url=query_url("serviceName eq 'Virtual Machines' and priceType eq 'Reservation'"),
            title=f"Azure Retail Prices API, Virtual Machines reservation items (type Reservation, reservationTerm "
                  f"'1 Year'/'3 Years'; Windows products skipped), per region: the price is for the whole term, "
                  f"per 730-hour month = price / (12 × years); "
                  f"fetched {today.isoformat()}",
        )
    if plan.regions:
        region = plan.regions[0]
        items = [i for page in pages(fetch, aks_url(region), progress, f"AKS tiers in {region}") for i in page]
        fees = aks_fees(items)
        if fees:
            out.sources[AKS_SOURCE] = SourceRef(
                url=aks_url(region),
                title=f"Azure Retail Prices API, Azure Kubernetes Service 'Standard Uptime SLA' and 'Standard Long Term "
                      f"Support' meters ({region}); "
                      f"fetched {today.isoformat()}",
            )
            for key, price in fees.items():
                out.fees[key] = Item(price, "cluster-hour", AKS_SOURCE,
                                     note=f"AKS {key.split('.')[-1].capitalize()} tier, per cluster-hour (Retail Prices API)")
    return out

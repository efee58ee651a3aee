"""Google Cloud Billing Catalog API: Compute Engine on-demand prices (needs an API key).

``GET https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus?key=KEY`` answers
``{"skus": [{"name", "skuId", "description", "category": {"serviceDisplayName", "resourceFamily",
"resourceGroup", "usageType"}, "serviceRegions": [...], "pricingInfo": [{"effectiveTime", "summary",
"pricingExpression": {"usageUnit", "usageUnitDescription", "baseUnit", "displayQuantity",
"tieredRates": [{"startUsageAmount", "unitPrice": {"currencyCode", "units", "nanos"}}]},
"currencyConversionRate"}], "serviceProviderName", "geoTaxonomy"}], "nextPageToken": "..."}``.
Compute Engine sells predefined machine types as per-vCPU and per-GiB SKUs per machine series
("N2 Instance Core running in Americas", "N2 Instance Ram running in Americas"), so a machine type's
hourly price is ``vcpus × core price + memory GiB × ram price``.
Docs: https://cloud.google.com/billing/v1/how-tos/catalog-api
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from kubefleet.cost.sources.model import Fetched, Item, RefreshPlan, SourceRef
from kubefleet.cost.sources.transport import Fetch, Progress, get_json
from kubefleet.errors import CatalogError, UsageError

COMPUTE_SERVICE = "6F81-5844-456A"
API = f"https://cloudbilling.googleapis.com/v1/services/{COMPUTE_SERVICE}/skus"
SOURCE = "gcp-cloud-billing-catalog"
KEY_VARIABLES = ("KUBEFLEET_GCP_API_KEY", "GOOGLE_API_KEY")
MAX_PAGES = 200

# machine series (the part of a machine type before the first "-") -> SKU description prefix
SERIES_PREFIX: dict[str, str] = {
    "n1": "N1 Predefined Instance",
    "n2": "N2 Instance",
    "n2d": "N2D AMD Instance",
    "e2": "E2 Instance",
    "c2d": "C2D AMD Instance",
    "c3": "C3 Instance",
    "c3d": "C3D Instance",
    "t2d": "T2D AMD Instance",
    "c2": "Compute optimized",
    "g2": "G2 Instance",
    "a2": "A2 Instance",
    "a3": "A3 Instance",
}
# catalog gpu_kind -> SKU description prefix of the GPU billed with the machine type (per GPU-hour)
GPU_PREFIX: dict[str, str] = {
    "nvidia-l4": "Nvidia L4 GPU",
    "nvidia-a100": "Nvidia Tesla A100 GPU",
    "nvidia-t4": "Nvidia Tesla T4 GPU",
    "nvidia-h100": "Nvidia H100 80GB GPU",
}
# Machine types that come with Local SSD the price includes ("750 GB of Local SSD is automatically added
# to VMs created by using the A3 machine type"): GiB per type, as Cyclenerd/google-cloud-pricing-cost-
# calculator@08440e74c5f5f7dc4ba9a10d0d02f195df568173 build/gcp.yml lists them (local-ssd), priced there
# (build/pricing.pl "Add price for bundled local SSD") as GiB × the "SSD backed Local Storage" GiB-month
# price / 730 hours. A rebuild without it would under-price a3 by that amount.
BUNDLED_LOCAL_SSD_GIB: dict[str, int] = {
    "a3-highgpu-1g": 750, "a3-highgpu-2g": 1500, "a3-highgpu-4g": 3000, "a3-highgpu-8g": 6000,
}
LOCAL_SSD_PREFIX = "SSD backed Local Storage"
HOURS_PER_MONTH = Decimal(730)
# persistent disk SKU description prefix -> disk type, as the pricer asks for it (nodeConfig.diskType)
DISK_PREFIX: dict[str, str] = {
    "Storage PD Capacity": "pd-standard",
    "Balanced PD Capacity": "pd-balanced",
    "SSD backed PD Capacity": "pd-ssd",
}


def api_key(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for name in KEY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    raise UsageError(
        "refreshing GKE prices needs a Google Cloud API key in KUBEFLEET_GCP_API_KEY (or GOOGLE_API_KEY)",
        hint="create an API key in a project with the Cloud Billing API enabled "
             "(https://cloud.google.com/billing/v1/how-tos/catalog-api), then export KUBEFLEET_GCP_API_KEY=...",
    )


def page_url(key: str, token: str | None = None) -> str:
    url = f"{API}?key={quote(key, safe='')}&pageSize=5000"
    return url + (f"&pageToken={quote(token, safe='')}" if token else "")


def pages(fetch: Fetch, key: str, progress: Progress) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    count = 0
    while True:
        count += 1
        if count > MAX_PAGES:
            raise CatalogError(f"cloudbilling.googleapis.com kept paging past {MAX_PAGES} pages; refusing to continue")
        page = get_json(fetch, page_url(key, token))
        if not isinstance(page, Mapping) or not isinstance(page.get("skus", []), list):
            raise CatalogError(f"cloudbilling.googleapis.com page {count} has no skus list",
                               hint="the API's response format may have changed")
        skus = [dict(s) for s in page.get("skus", []) if isinstance(s, Mapping)]
        progress(f"gke: Compute Engine SKUs: page {count} ({len(skus)} SKUs)")
        yield skus
        nxt = page.get("nextPageToken")
        if not isinstance(nxt, str) or not nxt:
            return
        token = nxt


def unit_price(sku: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    """USD per usage unit of the SKU's current pricing (the first priced tier) and the unit."""
    infos = sku.get("pricingInfo")
    if not isinstance(infos, list) or not infos or not isinstance(infos[0], Mapping):
        return None
    expr = infos[0].get("pricingExpression")
    if not isinstance(expr, Mapping):
        return None
    rates = [r for r in expr.get("tieredRates", []) if isinstance(r, Mapping)]
    rates.sort(key=lambda r: Decimal(str(r.get("startUsageAmount", 0))))
    for rate in rates:
        money = rate.get("unitPrice")
        if not isinstance(money, Mapping) or money.get("currencyCode", "USD") != "USD":
            continue
        amount = Decimal(str(money.get("units", "0") or "0")) + Decimal(int(money.get("nanos", 0) or 0)) / Decimal(10**9)
        if amount > 0:
            return amount, str(expr.get("usageUnit", ""))
    return None


@dataclass(frozen=True)
class RegionRates:
    core: dict[str, Decimal]   # series -> USD per vCPU-hour
    ram: dict[str, Decimal]    # series -> USD per GiB-hour
    disk: dict[str, Decimal]   # disk type -> USD per GiB-month
    gpu: dict[str, Decimal]    # gpu_kind -> USD per GPU-hour
    local_ssd: Decimal | None = None  # USD per GiB-month of (on-demand) Local SSD


def region_rates(skus: Iterable[Mapping[str, Any]], region: str) -> RegionRates:
    core: dict[str, Decimal] = {}
    ram: dict[str, Decimal] = {}
    disk: dict[str, Decimal] = {}
    gpu: dict[str, Decimal] = {}
    local_ssd: Decimal | None = None
    for sku in skus:
        cat = sku.get("category")
        regions = sku.get("serviceRegions")
        if not isinstance(cat, Mapping) or cat.get("usageType") != "OnDemand":
            continue
        if not isinstance(regions, list) or region not in regions:
            continue
        desc = str(sku.get("description", ""))
        priced = unit_price(sku)
        if priced is None:
            continue
        amount, unit = priced
        for series, prefix in SERIES_PREFIX.items():
            if desc.startswith(f"{prefix} Core running in ") and unit == "h":
                core[series] = amount
            elif desc.startswith(f"{prefix} Ram running in ") and unit == "GiBy.h":
                ram[series] = amount
        for kind, prefix in GPU_PREFIX.items():
            if desc.startswith(f"{prefix} running in ") and unit == "h":
                gpu[kind] = amount
        if desc.startswith(LOCAL_SSD_PREFIX) and unit == "GiBy.mo" and "Spot" not in desc and "Preemptible" not in desc:
            local_ssd = amount
        if cat.get("resourceFamily") == "Storage" and unit == "GiBy.mo" and "Regional" not in desc:
            for prefix, cls in DISK_PREFIX.items():
                if desc.startswith(prefix):
                    disk[cls] = amount
    return RegionRates(core, ram, disk, gpu, local_ssd)


def machine_price(name: str, spec: Mapping[str, Any], rates: RegionRates) -> tuple[Decimal, str] | None:
    """``vcpus × core + GiB × ram (+ GPUs × GPU price)`` and how it was computed, or None if a rate is missing."""
    series = name.split("-", 1)[0]
    if series not in rates.core or series not in rates.ram:
        return None
    vcpus = int(spec["vcpus"])
    memory = Decimal(str(spec["memory_gib"]))
    price = vcpus * rates.core[series] + memory * rates.ram[series]
    how = f"{vcpus} × {rates.core[series]} per vCPU-hour + {memory} × {rates.ram[series]} per GiB-hour"
    count = int(spec.get("gpu_count", 0) or 0)
    if count:
        kind = str(spec.get("gpu_kind"))
        if kind not in rates.gpu:
            return None
        price += count * rates.gpu[kind]
        how += f" + {count} × {rates.gpu[kind]} per {kind} GPU-hour"
    bundled = BUNDLED_LOCAL_SSD_GIB.get(name)
    if bundled:
        if rates.local_ssd is None:
            return None  # never price it without the Local SSD it comes with
        price += bundled * rates.local_ssd / HOURS_PER_MONTH
        how += f" + {bundled} GiB bundled Local SSD × {rates.local_ssd} per GiB-month / {HOURS_PER_MONTH} h"
    return price, how


# ---- resource-based committed-use discounts (the rates commitments.yaml carries as month_1y / month_3y)

#: "Commitment v1: N2 Cpu in Americas for 1 Year", "Commitment v1: Ram in Americas for 3 Years" (N1 names no
#: series): the SKU description patterns Cyclenerd/google-cloud-pricing-cost-calculator@0166a59 build/mapping.csv
#: maps to gce.compute.cpu|ram.<series>.1y|3y; CPU vs RAM is the SKU's category.resourceGroup
_COMMIT = re.compile(r"^Commitment v1: (?:(?P<series>[A-Z][A-Z0-9]*) )?(?:Cpu|Ram|Core)?.*? for (?P<years>[13]) Years?\b")
COMMIT_TERMS: dict[str, str] = {"Commit1Yr": "1y", "Commit3Yr": "3y"}


@dataclass(frozen=True)
class CommitRates:
    cpu: dict[tuple[str, str], Decimal]  # (series, "1y"|"3y") -> USD per vCPU-hour
    ram: dict[tuple[str, str], Decimal]  # (series, "1y"|"3y") -> USD per GiB-hour


def commitment_rates(skus: Iterable[Mapping[str, Any]], region: str) -> CommitRates:
    """Per-vCPU and per-GiB committed-use prices in ``region`` from Compute Engine's commitment SKUs."""
    cpu: dict[tuple[str, str], Decimal] = {}
    ram: dict[tuple[str, str], Decimal] = {}
    for sku in skus:
        cat = sku.get("category")
        regions = sku.get("serviceRegions")
        if not isinstance(cat, Mapping) or cat.get("usageType") not in COMMIT_TERMS:
            continue
        if not isinstance(regions, list) or region not in regions:
            continue
        m = _COMMIT.match(str(sku.get("description", "")))
        priced = unit_price(sku)
        if m is None or priced is None:
            continue
        term = COMMIT_TERMS[str(cat["usageType"])]
        if m["years"] != term[0]:
            continue  # the description and the usage type disagree: trust neither
        series = (m["series"] or "N1").lower()
        amount, unit = priced
        if cat.get("resourceGroup") == "CPU" and unit == "h":
            cpu[(series, term)] = amount
        elif cat.get("resourceGroup") == "RAM" and unit == "GiBy.h":
            ram[(series, term)] = amount
    return CommitRates(cpu, ram)


def commitment_month(name: str, spec: Mapping[str, Any], rates: CommitRates, term: str) -> Decimal | None:
    """The committed price of a machine type per 730-hour month (vCPUs × CPU + GiB × RAM commitment), as
    commitments.yaml states it; None when a rate is missing or the type carries GPUs (GPU commitments are
    bought separately and are not modelled) or bundled Local SSD."""
    series = name.split("-", 1)[0]
    if int(spec.get("gpu_count", 0) or 0) or name in BUNDLED_LOCAL_SSD_GIB:
        return None
    if (series, term) not in rates.cpu or (series, term) not in rates.ram:
        return None
    hourly = int(spec["vcpus"]) * rates.cpu[(series, term)] + Decimal(str(spec["memory_gib"])) * rates.ram[(series, term)]
    return hourly * HOURS_PER_MONTH


def fetch_gke(plan: RefreshPlan, fetch: Fetch, progress: Progress, today: date,
              environ: Mapping[str, str] | None = None) -> Fetched:
    key = api_key(environ)
    skus = [s for page in pages(fetch, key, progress) for s in page]
    out = Fetched(provider="gke")
    out.sources[SOURCE] = SourceRef(
        url=API,
        title=f"Google Cloud Billing Catalog API, Compute Engine SKUs (on-demand); machine-type prices computed "
              f"as vCPUs × '<series> Instance Core' + GiB × '<series> Instance Ram' (+ GPUs × '<GPU> running in') "
              f"SKU prices per region; fetched {today.isoformat()}",
    )
    for region in plan.regions:
        rates = region_rates(skus, region)
        committed = commitment_rates(skus, region)
        for name in plan.names:
            priced = machine_price(name, plan.specs[name], rates)
            if priced is not None:
                out.put(out.instances, region, name, Item(priced[0], "hour", SOURCE, note=priced[1]))
            for term in ("1y", "3y"):
                month = commitment_month(name, plan.specs[name], committed, term)
                if month is not None:
                    out.commitments.setdefault(region, {}).setdefault(name, {})[term] = month
        for cls, price in rates.disk.items():
            out.put(out.storage, region, cls, Item(price, "gb-month", SOURCE,
                                                   note="zonal persistent disk, priced per GiB-month"))
    if out.commitments:
        out.commitment_source = SourceRef(
            url=API,
            title=f"Google Cloud Billing Catalog API, Compute Engine commitment SKUs ('Commitment v1: <series> "
                  f"Cpu|Ram in <region> for 1 Year|3 Years', usage types Commit1Yr/Commit3Yr): a machine type's "
                  f"resource-based committed-use price per 730-hour month is (vCPUs × CPU + GiB × RAM commitment "
                  f"price) × 730; fetched {today.isoformat()}",
        )
    return out

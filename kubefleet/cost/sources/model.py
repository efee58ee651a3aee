"""What a fetcher hands back: prices per region with the source each came from, before it becomes YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Item:
    """One fetched figure: amount in USD per ``unit``, the key of its source, an optional note."""

    amount: Decimal
    unit: str
    source: str
    note: str | None = None


@dataclass(frozen=True)
class SourceRef:
    url: str
    title: str
    #: the date the source says it was published (an AWS offer file's publicationDate); None: the read date
    published: date | None = None


@dataclass(frozen=True)
class RefreshPlan:
    """What to refresh for one provider: the regions and the instance names (with their vCPU/memory/GPU
    facts, which the price APIs do not all publish) taken from the shipped and the current catalog."""

    provider: str
    regions: tuple[str, ...]
    names: tuple[str, ...]
    specs: dict[str, dict[str, Any]]


@dataclass
class Fetched:
    """Prices read from one provider's API. Missing entries are simply absent; the builder decides
    whether that is a gap (a region the catalog never had) or a failed refresh (coverage lost)."""

    provider: str
    sources: dict[str, SourceRef] = field(default_factory=dict)
    instances: dict[str, dict[str, Item]] = field(default_factory=dict)
    storage: dict[str, dict[str, Item]] = field(default_factory=dict)
    network: dict[str, dict[str, Item]] = field(default_factory=dict)
    fees: dict[str, Item] = field(default_factory=dict)
    #: committed-use figures (region -> instance type -> "1y"|"3y" -> USD per 730-hour month) and the key
    #: of the source they came from (commitments.yaml's format); empty for a provider without them
    commitments: dict[str, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    commitment_source: SourceRef | None = None

    def put(self, section: dict[str, dict[str, Item]], region: str, key: str, item: Item) -> None:
        section.setdefault(region, {})[key] = item

"""Typed records of the price & feature catalog. Money is ``Decimal``; every figure carries its ``Source``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Source:
    """Where a figure came from: a URL (or ``repo:<path>`` for this repository), the date it was read, and
    the date its data was published or generated (``None`` when the source does not state one)."""

    key: str
    url: str
    read: date
    title: str
    published: date | None = None

    @property
    def data_date(self) -> date | None:
        """The date the figures were published or generated: what a price's age is measured from."""
        return self.published


@dataclass(frozen=True)
class Price:
    amount: Decimal
    unit: str
    source: Source
    note: str | None = None


@dataclass(frozen=True)
class NotPublished:
    """The provider does not sell this separately, or no defensible figure exists; the pricer reports it."""

    source: Source
    note: str | None = None


@dataclass(frozen=True)
class InstanceType:
    provider: str
    region: str
    name: str
    vcpus: int
    memory_gib: Decimal
    family: str
    gpu_kind: str | None
    gpu_count: int
    current: bool
    price: Price
    arch: str = "x86_64"


@dataclass(frozen=True)
class Accelerator:
    """A GPU attached to a VM (GKE N1 + T4): priced per GPU-hour, attachable to the listed machine types."""

    provider: str
    region: str
    gpu_kind: str
    price: Price
    attach_to: tuple[str, ...]


@dataclass(frozen=True)
class DiskTier:
    """One size tier of a disk family billed per disk (Azure P10 = up to 128 GiB): the tier a disk rounds up into."""

    family: str
    name: str
    max_gib: int
    source: Source
    note: str | None = None


@dataclass(frozen=True)
class Gap:
    """Something the catalog knows it lacks (the pricer reports it as unpriced, never as zero)."""

    provider: str
    region: str
    item: str
    note: str


@dataclass(frozen=True)
class ResourceRequest:
    """A Kubernetes resource request from a Helm chart default: CPU in cores, memory in MiB."""

    component: str
    cpu_cores: Decimal
    memory_mib: Decimal
    per: str
    source: Source
    note: str | None = None


@dataclass(frozen=True)
class FeatureValue:
    value: str
    source: Source


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    values: dict[str, FeatureValue]


@dataclass(frozen=True)
class VersionSupport:
    provider: str
    minor: str
    standard_end: date | None
    extended_end: date | None
    source: Source

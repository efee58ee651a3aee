"""Dated compatibility data: which Kubernetes minors each provider offers per channel, and which mesh
revisions (AKS Istio add-on ``asm-1-xx``, GKE managed mesh, self-managed Istio releases) support which
minors. Checked before anything is touched (``validate``/``plan``/``up``) by :mod:`kubefleet.lifecycle.check`.

Files: ``data/compat-<provider>.yaml`` (gke, eks, aks) and ``data/compat-istio.yaml`` (self-managed Istio
releases). Every row names a source key; a source has ``url`` (pinned to a commit where it is a
repository), ``read`` (the date it was read) and optionally ``published`` (the date the data was
published or generated). Rows are offered from ``from`` to ``until`` inclusive; ``until: null`` means
still offered as far as the source says. Format::

    provider: gke
    sources: {gke-release-notes: {url: ..., read: 2026-11-28, published: 2026-11-20, title: ...}}
    channels:            # keyed by the SPEC's channel values (rapid|regular|stable|extended|none)
      stable:
        label: "STABLE release channel"      # what the provider calls it
        minors:
          - {minor: "1.33", from: 2025-09-01, until: null, source: gke-release-notes}
    mesh:                # managed mesh revisions (or, in compat-istio.yaml, self-managed releases)
      - {revision: asm-1-27, minors: ["1.31", "1.32", "1.33"], from: 2025-10-01, until: null, source: ...}

A provider or channel with no rows is "no data": nothing is checked, and :func:`offered_minors` returns
``None`` so callers can say so rather than guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from kubefleet.catalog.loader import read_yaml
from kubefleet.catalog.models import Source
from kubefleet.errors import CatalogError

COMPAT_FILES = {"gke": "compat-gke.yaml", "eks": "compat-eks.yaml", "aks": "compat-aks.yaml",
                "istio": "compat-istio.yaml"}


def _offered(start: date | None, end: date | None, on: date) -> bool:
    """Inclusive date window; an open end (``None``) has no bound."""
    return (start is None or start <= on) and (end is None or on <= end)


@dataclass(frozen=True)
class OfferedMinor:
    minor: str
    start: date | None
    end: date | None
    source: Source
    note: str | None = None

    def offered_on(self, on: date) -> bool:
        return _offered(self.start, self.end, on)


@dataclass(frozen=True)
class Channel:
    name: str  # the spec's value
    label: str  # the provider's name for it
    minors: tuple[OfferedMinor, ...]


@dataclass(frozen=True)
class MeshRevision:
    revision: str  # "asm-1-27" or a self-managed Istio release "1.28.1"
    minors: tuple[str, ...]
    start: date | None
    end: date | None
    source: Source
    note: str | None = None

    def offered_on(self, on: date) -> bool:
        return _offered(self.start, self.end, on)

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", self.revision))


@dataclass
class ProviderCompat:
    provider: str
    sources: dict[str, Source] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    mesh: list[MeshRevision] = field(default_factory=list)


def _err(file: str, where: str, message: str) -> CatalogError:
    return CatalogError(f"compatibility file {file}: {where}: {message}")


def _opt_date(value: Any, file: str, where: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise _err(file, where, f"expected a date (YYYY-MM-DD) or null, got {value!r}")
    return value


def _map(value: Any, file: str, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _err(file, where, f"expected a mapping, got {type(value).__name__}")
    return value


def _text(value: Any, file: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _err(file, where, f"expected text, got {value!r}")
    return value


def parse_compat(data: Any, file: str, provider: str) -> ProviderCompat:
    data = _map(data, file, "(top)")
    if data.get("provider") != provider:
        raise _err(file, "provider", f"expected {provider!r}, got {data.get('provider')!r}")
    out = ProviderCompat(provider)
    for key, raw in _map(data.get("sources"), file, "sources").items():
        entry = _map(raw, file, f"sources.{key}")
        url = _text(entry.get("url"), file, f"sources.{key}.url")
        if not url.startswith("https://"):
            raise _err(file, f"sources.{key}.url", f"{url!r} must be an https:// URL")
        read = _opt_date(entry.get("read"), file, f"sources.{key}.read")
        if read is None:
            raise _err(file, f"sources.{key}.read", "the date the source was read is required")
        out.sources[str(key)] = Source(str(key), url, read, _text(entry.get("title"), file, f"sources.{key}.title"),
                                             _opt_date(entry.get("published"), file, f"sources.{key}.published"))

    def source(row: Mapping[str, Any], where: str) -> Source:
        key = row.get("source")
        if key not in out.sources:
            raise _err(file, f"{where}.source", f"unknown source {key!r}; known: {', '.join(sorted(out.sources))}")
        return out.sources[key]

    for name, raw in _map(data.get("channels"), file, "channels").items():
        ch = _map(raw, file, f"channels.{name}")
        rows = []
        for i, row in enumerate(ch.get("minors") or []):
            where = f"channels.{name}.minors[{i}]"
            row = _map(row, file, where)
            minor = _text(row.get("minor"), file, f"{where}.minor")
            if not re.fullmatch(r"1\.\d+", minor):
                raise _err(file, f"{where}.minor", f"{minor!r} is not a Kubernetes minor like \"1.34\"")
            rows.append(OfferedMinor(minor, _opt_date(row.get("from"), file, f"{where}.from"),
                                     _opt_date(row.get("until"), file, f"{where}.until"), source(row, where),
                                     row.get("note")))
        out.channels[str(name)] = Channel(str(name), _text(ch.get("label", name), file, f"channels.{name}.label"),
                                          tuple(rows))
    for i, raw in enumerate(data.get("mesh") or []):
        where = f"mesh[{i}]"
        row = _map(raw, file, where)
        minors = row.get("minors") or []
        if not isinstance(minors, list) or not all(isinstance(m, str) for m in minors):
            raise _err(file, f"{where}.minors", "expected a list of quoted minors like [\"1.33\", \"1.34\"]")
        out.mesh.append(MeshRevision(_text(row.get("revision"), file, f"{where}.revision"), tuple(minors),
                                     _opt_date(row.get("from"), file, f"{where}.from"),
                                     _opt_date(row.get("until"), file, f"{where}.until"), source(row, where),
                                     row.get("note")))
    return out


class Compat:
    """Read-only view over the compatibility files."""

    def __init__(self, tables: Mapping[str, ProviderCompat]) -> None:
        self._tables = dict(tables)

    def table(self, provider: str) -> ProviderCompat:
        return self._tables.get(provider) or ProviderCompat(provider)

    def channel(self, provider: str, channel: str) -> Channel | None:
        """The provider's rows for a spec channel, or ``None`` when the catalog has no data for it."""
        found = self.table(provider).channels.get(channel)
        return found if found is not None and found.minors else None

    def offered_minors(self, provider: str, channel: str, on: date) -> list[str] | None:
        """Minors the provider offers on ``channel`` on date ``on``; ``None`` = no data (not checked)."""
        ch = self.channel(provider, channel)
        if ch is None:
            return None
        minors = {row.minor for row in ch.minors if row.offered_on(on)}
        return sorted(minors, key=lambda m: tuple(int(p) for p in m.split(".")))

    def mesh_revisions(self, provider: str, minor: str, on: date) -> list[MeshRevision]:
        """Mesh revisions (newest first) that support ``minor`` and are offered on ``on``."""
        rows = [r for r in self.table(provider).mesh if minor in r.minors and r.offered_on(on)]
        return sorted(rows, key=lambda r: r.sort_key, reverse=True)

    def has_mesh_data(self, provider: str) -> bool:
        return bool(self.table(provider).mesh)


def compat_texts() -> dict[str, str]:
    base = resources.files("kubefleet.catalog") / "data"
    return {name: (base / name).read_text(encoding="utf-8") for name in COMPAT_FILES.values()}


@functools.lru_cache(maxsize=1)
def load_compat() -> Compat:
    """The shipped compatibility data, parsed once per process."""
    texts = compat_texts()
    return Compat({p: parse_compat(read_yaml(texts[name], name), name, p) for p, name in COMPAT_FILES.items()})

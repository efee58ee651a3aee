"""Purchase-option rates (data/commitments.yaml): committed-use and automatic discounts per instance type.

Figures are USD per 730-hour instance-month as the source publishes them; a node-hour rate is month / 730.
A provider without rates names why (``missing``): the pricer reports such lines as unpriced, never guessed.
A figure comes from the provider's ``source`` unless its entry names another for that term (``source_1y``,
``source_3y``, ``source_sud``): a refreshed file (``kubefleet prices refresh -p gke`` writes
``$KUBEFLEET_HOME/prices/commitments.yaml``) keeps the figures the API does not give with their own source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any, Final, Literal

from kubefleet.catalog.loader import _Ctx, _decimal, _mapping, _sources, _str, read_yaml
from kubefleet.catalog.models import Source

COMMITMENTS_FILE: Final = "commitments.yaml"
HOURS_IN_SOURCE_MONTH: Final = Decimal(730)
#: the node-hour rate derived from a published month figure, to 9 decimal places (half up)
RATE_PLACES: Final = Decimal("1E-9")
Term = Literal["1y", "3y", "sud"]


@dataclass(frozen=True)
class Rate:
    hourly: Decimal
    month: Decimal
    source: Source


@dataclass(frozen=True)
class ProviderCommitments:
    provider: str
    #: region -> instance type -> term -> published monthly figure
    rates: dict[str, dict[str, dict[str, Decimal]]]
    source: Source | None
    sud_source: Source | None
    missing_reason: str | None
    missing_source: Source | None
    #: region -> instance type -> term -> the source of that figure where it is not ``source``
    term_sources: dict[str, dict[str, dict[str, Source]]] = field(default_factory=dict)

    def source_of(self, region: str, instance_type: str, term: str) -> Source | None:
        return self.term_sources.get(region, {}).get(instance_type, {}).get(term, self.source)

    def rate(self, region: str, instance_type: str, term: Term) -> Rate | None:
        month = self.rates.get(region, {}).get(instance_type, {}).get(term)
        source = self.source_of(region, instance_type, term)
        if month is None or source is None:
            return None
        hourly = (month / HOURS_IN_SOURCE_MONTH).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        return Rate(hourly, month, source)


_TERMS = {"month_1y": "1y", "month_3y": "3y", "month_sud": "sud"}
_TERM_SOURCES = {f"source_{term}": term for term in _TERMS.values()}


def parse_commitments(data: Any, file: str) -> dict[str, ProviderCommitments]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)

    def src(key: Any, c: _Ctx) -> Source:
        name = _str(key, c)
        if name not in sources:
            raise c.error(f"unknown source {name!r}; known: {', '.join(sorted(sources))}")
        return sources[name]

    out: dict[str, ProviderCommitments] = {}
    for provider in ("gke", "eks", "aks"):
        c = ctx.at(provider)
        entry = _mapping(data.get(provider), c)
        rates: dict[str, dict[str, dict[str, Decimal]]] = {}
        term_sources: dict[str, dict[str, dict[str, Source]]] = {}
        for region, types in _mapping(entry.get("rates", {}), c.at("rates")).items():
            for name, terms in _mapping(types, c.at("rates", region)).items():
                tc = c.at("rates", region, name)
                parsed: dict[str, Decimal] = {}
                own: dict[str, Source] = {}
                for key, value in _mapping(terms, tc).items():
                    if key in _TERM_SOURCES:
                        own[_TERM_SOURCES[key]] = src(value, tc.at(key))
                        continue
                    if key not in _TERMS:
                        raise tc.at(key).error(f"unknown term {key!r}; known: {', '.join([*_TERMS, *_TERM_SOURCES])}")
                    parsed[_TERMS[key]] = _decimal(value, tc.at(key))
                    if parsed[_TERMS[key]] <= 0:
                        raise tc.at(key).error(f"{key} {parsed[_TERMS[key]]} must be positive")
                for term in own:
                    if term not in parsed:
                        raise tc.at(f"source_{term}").error(f"names a source for month_{term}, which is not given")
                rates.setdefault(str(region), {})[str(name)] = parsed
                if own:
                    term_sources.setdefault(str(region), {})[str(name)] = own
        has_missing = entry.get("missing") is not None
        if not rates and not has_missing:
            raise c.error("give rates or say why they are missing (missing: <source>, reason: ...)")
        out[provider] = ProviderCommitments(
            provider=provider, rates=rates,
            source=src(entry["source"], c.at("source")) if rates else None,
            sud_source=src(entry["sud_source"], c.at("sud_source")) if entry.get("sud_source") else None,
            missing_reason=_str(entry.get("reason"), c.at("reason")) if has_missing else None,
            missing_source=src(entry["missing"], c.at("missing")) if has_missing else None,
            term_sources=term_sources)
    return out


@functools.lru_cache(maxsize=1)
def commitments() -> dict[str, ProviderCommitments]:
    """The shipped rates (``Catalog.commitments`` gives the ones in effect, a refreshed overlay included)."""
    text = (resources.files("kubefleet.catalog") / "data" / COMMITMENTS_FILE).read_text(encoding="utf-8")
    return parse_commitments(read_yaml(text, COMMITMENTS_FILE), COMMITMENTS_FILE)

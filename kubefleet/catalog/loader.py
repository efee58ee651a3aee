"""Load and validate the catalog YAML files into typed records.

Shipped files live in ``kubefleet/catalog/data``. An overlay directory (the user cache a later
``prices refresh`` writes) may hold files of the same names and format; an overlay file replaces the
shipped file of the same name as a whole, so a figure and its source are never mixed across files.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kubefleet.catalog.models import (
    Accelerator,
    DiskTier,
    Feature,
    FeatureValue,
    Gap,
    InstanceType,
    NotPublished,
    Price,
    ResourceRequest,
    Source,
    VersionSupport,
)
from kubefleet.errors import CatalogError

CLOUD_PROVIDERS = ("gke", "eks", "aks")
PROVIDER_FILES = ("gke.yaml", "eks.yaml", "aks.yaml")
OTHER_FILES = ("kubeadm.yaml", "istio.yaml", "features.yaml", "commitments.yaml")
FAMILIES = frozenset({"general", "compute", "memory", "gpu"})
ARCHES = frozenset({"x86_64", "arm64"})


class _Ctx:
    """File name plus key path, for error messages that say exactly where the bad data is."""

    def __init__(self, file: str, path: tuple[str, ...] = ()) -> None:
        self.file = file
        self.path = path

    def at(self, *keys: object) -> _Ctx:
        return _Ctx(self.file, self.path + tuple(str(k) for k in keys))

    def error(self, message: str) -> CatalogError:
        where = ".".join(self.path) or "<top>"
        return CatalogError(
            f"catalog file {self.file}, key {where}: {message}",
            hint="fix the file, or delete the overlay copy to fall back to the shipped catalog",
        )


def _mapping(value: Any, ctx: _Ctx) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.error(f"expected a mapping, got {type(value).__name__}")
    return value


def _str(value: Any, ctx: _Ctx) -> str:
    if not isinstance(value, str) or not value:
        raise ctx.error(f"expected a non-empty string, got {value!r}")
    return value


def _decimal(value: Any, ctx: _Ctx) -> Decimal:
    # Prices must be quoted strings: a YAML float would already have lost precision.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ctx.error(f"expected a quoted decimal string such as \"0.10\", got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ctx.error(f"{value!r} is not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise ctx.error(f"{value!r} must be a finite, non-negative number")
    return amount


def _int(value: Any, ctx: _Ctx) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ctx.error(f"expected a non-negative integer, got {value!r}")
    return value


def _date(value: Any, ctx: _Ctx) -> date:
    if not isinstance(value, date):
        raise ctx.error(f"expected a date (YYYY-MM-DD), got {value!r}")
    return value


def _sources(data: Mapping[str, Any], ctx: _Ctx) -> dict[str, Source]:
    raw = _mapping(data.get("sources"), ctx.at("sources"))
    out: dict[str, Source] = {}
    for key, entry in raw.items():
        c = ctx.at("sources", key)
        entry = _mapping(entry, c)
        url = _str(entry.get("url"), c.at("url"))
        if not (url.startswith("https://") or url.startswith("repo:")):
            raise c.at("url").error(f"{url!r} must be an https:// URL (or repo:<path> for this repository)")
        read = _date(entry.get("read"), c.at("read"))
        published = entry.get("published")
        if published is not None:
            published = _date(published, c.at("published"))
            if published > read:
                raise c.at("published").error(f"published {published} is after the date it was read ({read})")
        out[str(key)] = Source(
            key=str(key),
            url=url,
            read=read,
            title=_str(entry.get("title"), c.at("title")),
            published=published,
        )
    if not out:
        raise ctx.at("sources").error("at least one source is required")
    return out


def _source(entry: Mapping[str, Any], sources: Mapping[str, Source], ctx: _Ctx) -> Source:
    key = _str(entry.get("source"), ctx.at("source"))
    if key not in sources:
        raise ctx.at("source").error(f"unknown source {key!r}; known: {', '.join(sorted(sources))}")
    return sources[key]


def _note(entry: Mapping[str, Any], ctx: _Ctx) -> str | None:
    note = entry.get("note")
    if note is None:
        return None
    return _str(note, ctx.at("note"))


def _price_or_np(entry: Any, sources: Mapping[str, Source], ctx: _Ctx, unit: str | None = None) -> Price | NotPublished:
    entry = _mapping(entry, ctx)
    src = _source(entry, sources, ctx)
    if entry.get("not_published") is True:
        return NotPublished(source=src, note=_note(entry, ctx))
    return Price(
        amount=_decimal(entry.get("price"), ctx.at("price")),
        unit=unit or _str(entry.get("unit"), ctx.at("unit")),
        source=src,
        note=_note(entry, ctx),
    )


def _price(entry: Any, sources: Mapping[str, Source], ctx: _Ctx, unit: str | None = None) -> Price:
    value = _price_or_np(entry, sources, ctx, unit)
    if isinstance(value, NotPublished):
        raise ctx.error("not_published is not allowed here; leave the entry out instead")
    return value


def _flatten_fees(raw: Mapping[str, Any], prefix: str, sources: Mapping[str, Source], ctx: _Ctx,
                  out: dict[str, Price | NotPublished]) -> None:
    for key, entry in raw.items():
        c = ctx.at(key)
        entry = _mapping(entry, c)
        dotted = f"{prefix}{key}"
        if "source" in entry:
            out[dotted] = _price_or_np(entry, sources, c)
        else:
            _flatten_fees(entry, dotted + ".", sources, c, out)


class ProviderData:
    """Everything one provider file holds, validated."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.sources: dict[str, Source] = {}
        self.fees: dict[str, Price | NotPublished] = {}
        self.instances: dict[str, dict[str, InstanceType]] = {}
        self.accelerators: dict[str, dict[str, Accelerator]] = {}
        self.storage: dict[str, dict[str, Price]] = {}
        self.network: dict[str, dict[str, Price]] = {}
        self.spot: Price | None = None
        #: the deepest published spot discount as a share of on-demand (the least spot can cost)
        self.spot_floor: Price | None = None
        self.gaps: list[Gap] = []
        #: disk family -> its size tiers, smallest first (optional section `disk_tiers`)
        self.disk_tiers: dict[str, list[DiskTier]] = {}


def parse_provider(data: Any, file: str, expected: str) -> ProviderData:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    provider = _str(data.get("provider"), ctx.at("provider"))
    if provider != expected:
        raise ctx.at("provider").error(f"expected {expected!r}, got {provider!r}")
    if data.get("currency") != "USD":
        raise ctx.at("currency").error("only USD list prices are supported")
    pd = ProviderData(provider)
    pd.sources = _sources(data, ctx)
    _flatten_fees(_mapping(data.get("fees", {}), ctx.at("fees")), "", pd.sources, ctx.at("fees"), pd.fees)

    for region, table in _mapping(data.get("instances", {}), ctx.at("instances")).items():
        rctx = ctx.at("instances", region)
        types: dict[str, InstanceType] = {}
        for name, e in _mapping(table, rctx).items():
            c = rctx.at(name)
            e = _mapping(e, c)
            family = _str(e.get("family"), c.at("family"))
            if family not in FAMILIES:
                raise c.at("family").error(f"{family!r} is not one of {sorted(FAMILIES)}")
            arch = e.get("arch", "x86_64")
            if arch not in ARCHES:
                raise c.at("arch").error(f"{arch!r} is not one of {sorted(ARCHES)}")
            gpu_kind = e.get("gpu_kind")
            gpu_count = _int(e.get("gpu_count", 0), c.at("gpu_count"))
            if (gpu_kind is None) != (gpu_count == 0):
                raise c.error("gpu_kind and gpu_count must be given together")
            current = e.get("current", True)
            if not isinstance(current, bool):
                raise c.at("current").error("expected true or false")
            vcpus = _int(e.get("vcpus"), c.at("vcpus"))
            if vcpus == 0:
                raise c.at("vcpus").error("must be at least 1")
            types[str(name)] = InstanceType(
                provider=provider,
                region=str(region),
                name=str(name),
                vcpus=vcpus,
                memory_gib=_decimal(e.get("memory_gib"), c.at("memory_gib")),
                family=family,
                gpu_kind=None if gpu_kind is None else _str(gpu_kind, c.at("gpu_kind")),
                gpu_count=gpu_count,
                current=current,
                price=_price(e, pd.sources, c, unit="hour"),
                arch=str(arch),
            )
        pd.instances[str(region)] = types

    for region, table in _mapping(data.get("accelerators", {}), ctx.at("accelerators")).items():
        rctx = ctx.at("accelerators", region)
        accs: dict[str, Accelerator] = {}
        for kind, e in _mapping(table, rctx).items():
            c = rctx.at(kind)
            e = _mapping(e, c)
            attach = e.get("attach_to")
            if not isinstance(attach, list) or not attach:
                raise c.at("attach_to").error("expected a non-empty list of machine types")
            accs[str(kind)] = Accelerator(
                provider=provider,
                region=str(region),
                gpu_kind=str(kind),
                price=_price(e, pd.sources, c, unit="gpu-hour"),
                attach_to=tuple(_str(a, c.at("attach_to")) for a in attach),
            )
        pd.accelerators[str(region)] = accs

    for section, target in (("storage", pd.storage), ("network", pd.network)):
        for region, table in _mapping(data.get(section, {}), ctx.at(section)).items():
            rctx = ctx.at(section, region)
            target[str(region)] = {
                str(item): _price(e, pd.sources, rctx.at(item)) for item, e in _mapping(table, rctx).items()
            }

    for family, entry in _mapping(data.get("disk_tiers", {}) or {}, ctx.at("disk_tiers")).items():
        c = ctx.at("disk_tiers", family)
        entry = _mapping(entry, c)
        src = _source(entry, pd.sources, c)
        tiers = [DiskTier(str(family), str(name), _int(size, c.at("tiers", name)), src, _note(entry, c))
                 for name, size in _mapping(entry.get("tiers"), c.at("tiers")).items()]
        if not tiers:
            raise c.at("tiers").error("at least one tier is required")
        sizes = [t.max_gib for t in tiers]
        if sizes != sorted(set(sizes)) or sizes[0] == 0:
            raise c.at("tiers").error("tier sizes must be positive and strictly increasing")
        pd.disk_tiers[str(family)] = tiers

    if "spot" in data:
        c = ctx.at("spot")
        spot = _mapping(data["spot"], c)
        factor = _decimal(spot.get("factor"), c.at("factor"))
        if factor > 1:
            raise c.at("factor").error("a spot factor is a share of on-demand, at most 1")
        pd.spot = Price(amount=factor, unit="share-of-on-demand", source=_source(spot, pd.sources, c),
                        note=_note(spot, c))
        if spot.get("floor") is not None:
            floor = _decimal(spot.get("floor"), c.at("floor"))
            if floor > factor:
                raise c.at("floor").error("a spot floor (deepest discount) cannot exceed the spot factor")
            pd.spot_floor = Price(amount=floor, unit="share-of-on-demand", source=pd.spot.source,
                                  note=_note(spot, c))

    for i, g in enumerate(data.get("gaps", []) or []):
        c = ctx.at("gaps", i)
        g = _mapping(g, c)
        pd.gaps.append(Gap(provider, _str(g.get("region"), c.at("region")), _str(g.get("item"), c.at("item")),
                           _str(g.get("note"), c.at("note"))))
    return pd


def parse_kubeadm(data: Any, file: str) -> tuple[dict[str, Source], dict[str, Price | NotPublished]]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    costs: dict[str, Price | NotPublished] = {}
    units = {"vcpu_hour": "vcpu-hour", "gib_hour": "gib-hour", "disk_gb_month": "gb-month",
             "vm_license_month": "vm-month"}
    raw = _mapping(data.get("costs"), ctx.at("costs"))
    for key, unit in units.items():
        if key not in raw:
            raise ctx.at("costs", key).error("missing; write a price or not_published: true with a source")
        costs[key] = _price_or_np(raw[key], sources, ctx.at("costs", key), unit=unit)
    if "gpu_hour" in raw:  # optional: GPUs the spec asks for, per GPU-hour
        costs["gpu_hour"] = _price_or_np(raw["gpu_hour"], sources, ctx.at("costs", "gpu_hour"), unit="gpu-hour")
    return sources, costs


def parse_istio(data: Any, file: str) -> tuple[dict[str, Source], dict[str, ResourceRequest]]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    out: dict[str, ResourceRequest] = {}
    for name, e in _mapping(data.get("components"), ctx.at("components")).items():
        c = ctx.at("components", name)
        e = _mapping(e, c)
        out[str(name)] = ResourceRequest(
            component=str(name),
            cpu_cores=_decimal(e.get("cpu"), c.at("cpu")),
            memory_mib=_decimal(e.get("memory_mib"), c.at("memory_mib")),
            per=_str(e.get("per"), c.at("per")),
            source=_source(e, sources, c),
            note=_note(e, c),
        )
    for required in ("sidecar", "istiod", "ztunnel"):
        if required not in out:
            raise ctx.at("components", required).error("missing")
    return sources, out


def parse_features(
    data: Any, file: str
) -> tuple[dict[str, Source], dict[str, Feature], dict[str, dict[str, VersionSupport]]]:
    ctx = _Ctx(file)
    data = _mapping(data, ctx)
    sources = _sources(data, ctx)
    features: dict[str, Feature] = {}
    for key, e in _mapping(data.get("features"), ctx.at("features")).items():
        c = ctx.at("features", key)
        e = _mapping(e, c)
        values: dict[str, FeatureValue] = {}
        for provider, v in _mapping(e.get("values"), c.at("values")).items():
            vc = c.at("values", provider)
            v = _mapping(v, vc)
            values[str(provider)] = FeatureValue(_str(v.get("value"), vc.at("value")), _source(v, sources, vc))
        features[str(key)] = Feature(str(key), _str(e.get("label"), c.at("label")), values)
    versions: dict[str, dict[str, VersionSupport]] = {}
    for provider, table in _mapping(data.get("versions", {}), ctx.at("versions")).items():
        pctx = ctx.at("versions", provider)
        rows: dict[str, VersionSupport] = {}
        for minor, e in _mapping(table or {}, pctx).items():
            c = pctx.at(minor)
            e = _mapping(e, c)
            std, ext = e.get("standard_end"), e.get("extended_end")
            rows[str(minor)] = VersionSupport(
                provider=str(provider),
                minor=str(minor),
                standard_end=None if std is None else _date(std, c.at("standard_end")),
                extended_end=None if ext is None else _date(ext, c.at("extended_end")),
                source=_source(e, sources, c),
            )
        versions[str(provider)] = rows
    return sources, features, versions


_yaml = YAML(typ="safe", pure=False)


def read_yaml(text: str, file: str) -> Any:
    try:
        return _yaml.load(text)
    except YAMLError as err:
        raise CatalogError(f"catalog file {file} is not valid YAML: {err}") from None


# A refreshed catalog file is a few hundred KB; anything past this is not one `prices refresh` wrote.
MAX_OVERLAY_BYTES = 64 * 1024 * 1024
# A refreshed catalog file holds tens of thousands of values; an alias bomb expands to hundreds of millions.
MAX_OVERLAY_VALUES = 500_000


def read_user_yaml(text: str, file: str) -> Any:
    """A catalog file the user's machine holds (a refreshed price list, an overlay): parsed by the guarded
    reader (kubefleet.safeio: bounded values and nesting, no self-referencing aliases), never by the bare
    C loader the shipped files use -- libyaml recurses per nesting level and 50,000 '[' overflow its stack."""
    from kubefleet.errors import SpecError
    from kubefleet.safeio import parse_documents

    try:
        docs = parse_documents(text, file, max_values=MAX_OVERLAY_VALUES)
    except SpecError as err:
        issue = err.issues[0]
        raise CatalogError(f"catalog file {issue.file}:{issue.line}:{issue.column} is not valid YAML: "
                           f"{issue.message.removeprefix('invalid YAML: ')}", hint=issue.hint) from None
    if len(docs) > 1:
        raise CatalogError(f"catalog file {file} holds {len(docs)} YAML documents, not one")
    return docs[0] if docs else None


def shipped_texts() -> dict[str, str]:
    base = resources.files("kubefleet.catalog") / "data"
    return {name: (base / name).read_text(encoding="utf-8") for name in PROVIDER_FILES + OTHER_FILES}


@functools.lru_cache(maxsize=1)
def shipped_parsed() -> dict[str, Any]:
    """The shipped files, parsed once per process (the catalog loads on every command)."""
    return {name: read_yaml(text, name) for name, text in shipped_texts().items()}


def overlay_parsed(overlay_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PROVIDER_FILES + OTHER_FILES:
        path = overlay_dir / name
        if path.exists() or path.is_symlink():
            from kubefleet.safeio import FileProblem, read_text

            try:
                text = read_text(path, MAX_OVERLAY_BYTES)
            except FileProblem as problem:
                raise CatalogError(f"catalog file {path}: {problem.message}", hint=problem.hint) from None
            out[name] = read_user_yaml(text, str(path))
    return out

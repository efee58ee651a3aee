"""Refresh one provider's catalog file from its price API, atomically and never for the worse.

1. :func:`plan_for` — regions (current catalog ∪ the neutral region table) and instance names (shipped ∪
   current catalog) to refresh, with their vCPU/memory/GPU facts;
2. a fetcher (``azure.fetch_aks``, ``aws.fetch_eks``, ``gcp.fetch_gke``) reads the prices;
3. :func:`build_provider_data` merges them into a file in the shipped format (fees, accelerators and
   spot factors the API does not give are carried over with their own sources);
4. :func:`write_atomically` writes a temp file in the cache dir, parses it back with the real catalog
   loader, checks coverage against the current catalog (every region, instance, fee and storage/network
   item it had is still there, every price positive), and only then ``os.replace``\\s the old file.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from kubefleet.catalog import Catalog
from kubefleet.catalog.loader import (
    CLOUD_PROVIDERS,
    ProviderData,
    parse_provider,
    read_yaml,
    shipped_parsed,
)
from kubefleet.catalog.models import Price
from kubefleet.cost.sources import transport
from kubefleet.cost.sources.cache import cache_dir
from kubefleet.cost.sources.model import Fetched, Item, RefreshPlan
from kubefleet.cost.sources.transport import Fetch, Progress
from kubefleet.errors import CatalogError, KubefleetError, UsageError
from kubefleet.spec.model import ClusterSpec
from kubefleet.spec.regions import REGIONS

_SPEC_KEYS = ("vcpus", "memory_gib", "family", "arch", "gpu_kind", "gpu_count", "current")


@dataclass(frozen=True)
class RefreshResult:
    provider: str
    path: Path
    regions: dict[str, int]          # region -> instance count written
    fees: list[str]                  # fee keys refreshed from the API
    gaps: list[str]                  # planned instances the API did not price (regions new to the catalog)
    #: commitments.yaml written beside the provider file (None: the API gave no commitment figure)
    commitments_path: Path | None = None
    commitments: dict[str, int] = field(default_factory=dict)  # region -> instance types with fresh figures


def current_raw(provider: str, directory: Path) -> tuple[Mapping[str, Any], str]:
    """The provider file the catalog uses now (cache copy if it parses, else shipped) and its origin."""
    name = f"{provider}.yaml"
    path = directory / name
    if path.is_file():
        from kubefleet.catalog.loader import MAX_OVERLAY_BYTES, read_user_yaml
        from kubefleet.safeio import FileProblem, read_text

        try:
            data = read_user_yaml(read_text(path, MAX_OVERLAY_BYTES), str(path))
            parse_provider(data, str(path), provider)
            return data, str(path)
        except (CatalogError, FileProblem):
            pass  # a broken cache copy is what a refresh repairs; compare against the shipped file
    return shipped_parsed()[name], name


def plan_for(provider: str, current: Mapping[str, Any], shipped: Mapping[str, Any]) -> RefreshPlan:
    specs: dict[str, dict[str, Any]] = {}
    for source in (shipped, current):  # current wins on facts
        for table in (source.get("instances") or {}).values():
            for name, entry in (table or {}).items():
                specs[str(name)] = {k: entry[k] for k in _SPEC_KEYS if k in entry}
    regions: list[str] = list((current.get("instances") or {}).keys())
    for row in REGIONS.values():
        region = row.get(provider)
        if region and region not in regions:
            regions.append(region)
    return RefreshPlan(provider=provider, regions=tuple(str(r) for r in regions), names=tuple(specs), specs=specs)


def decimal_text(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")


def _scalar(value: Any) -> Any:
    """Double-quote every string that is not a plain token: ruamel's flow-style emitter can otherwise
    write a plain scalar (``a: b``, ``0?``) inside a ``{...}`` mapping that its own loader rejects."""
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        return DoubleQuotedScalarString(value)
    return value


def _flow(mapping: Mapping[str, Any]) -> CommentedMap:
    out = CommentedMap({k: _scalar(v) for k, v in mapping.items()})
    out.fa.set_flow_style()
    return out


def _entry(item: Item) -> CommentedMap:
    data: dict[str, Any] = {"price": decimal_text(item.amount), "unit": item.unit, "source": item.source}
    if item.note:
        data["note"] = item.note
    return _flow(data)


def _referenced(node: Any, out: set[str]) -> None:
    if isinstance(node, Mapping):
        if isinstance(node.get("source"), str):
            out.add(node["source"])
        for value in node.values():
            _referenced(value, out)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, out)


def build_provider_data(plan: RefreshPlan, current: Mapping[str, Any], fetched: Fetched, today: date
                        ) -> tuple[CommentedMap, list[str]]:
    """The new provider file (as YAML-ready data) and the planned instances that stayed unpriced."""
    provider = plan.provider
    old_instances: Mapping[str, Any] = current.get("instances") or {}
    instances = CommentedMap()
    unpriced: list[str] = []
    filled_regions: set[str] = set()
    for region in plan.regions:
        table = CommentedMap()
        got = fetched.instances.get(region, {})
        for name in plan.names:
            item = got.get(name)
            if item is None:
                if name not in (old_instances.get(region) or {}):
                    unpriced.append(f"{region}/{name}")
                continue  # a name the current catalog has here is reported by the coverage check
            entry = {k: v for k, v in plan.specs[name].items()}
            entry.update(price=decimal_text(item.amount), source=item.source)
            if item.note:
                entry["note"] = item.note
            table[name] = _flow(entry)
        if table:
            instances[region] = table
            filled_regions.add(region)

    fees = _nested_copy(current.get("fees") or {})
    for dotted, item in fetched.fees.items():
        *parents, leaf = dotted.split(".")
        node = fees
        for part in parents:
            node = node.setdefault(part, CommentedMap())
        node[leaf] = _entry(item)

    sections: dict[str, CommentedMap] = {}
    for section, got_section in (("storage", fetched.storage), ("network", fetched.network)):
        merged = CommentedMap()
        for region, table in (current.get(section) or {}).items():
            merged[region] = CommentedMap({k: _flow(dict(v)) for k, v in (table or {}).items()})
        for region, got_table in got_section.items():
            target = merged.setdefault(region, CommentedMap())
            for key, got_item in got_table.items():
                target[key] = _entry(got_item)
        sections[section] = merged

    data = CommentedMap()
    data["provider"] = provider
    data["currency"] = "USD"
    body: dict[str, Any] = {"fees": fees}
    if "spot" in current:
        body["spot"] = _flow(dict(current["spot"]))
    body["instances"] = instances
    for carried in ("accelerators", "disk_tiers"):  # facts the price APIs do not give: kept as they are
        if current.get(carried):
            body[carried] = _nested_copy(current[carried])
    for section, merged in sections.items():
        if merged:
            body[section] = merged

    # Sources: the fetched ones, the current ones still referenced, and the current ones no figure
    # references (they document facts such as vCPU/memory per size).
    used: set[str] = set()
    _referenced(body, used)
    referenced_before: set[str] = set()
    _referenced({k: v for k, v in current.items() if k != "sources"}, referenced_before)
    sources = CommentedMap()
    for key, src in fetched.sources.items():
        # a live price API answers with the prices in effect that day: its data date is the fetch date
        sources[key] = CommentedMap(url=_scalar(src.url), read=today, published=today, title=_scalar(src.title))
    for key, src in (current.get("sources") or {}).items():
        if key in sources:
            continue
        if key in used or key not in referenced_before:
            sources[key] = kept_source(src)
    data["sources"] = sources
    for key, value in body.items():
        data[key] = value

    gaps = []
    for gap in current.get("gaps") or []:
        gap_region, what = str(gap.get("region")), str(gap.get("item"))
        if what == "instances" and gap_region in filled_regions:
            continue
        if what in ("storage", "network") and gap_region == "*" and sections[what] and all(
                sections[what].get(r) for r in filled_regions):
            continue
        if what.startswith("fees.") and what[len("fees."):] in fetched.fees:
            continue
        gaps.append(_flow(dict(gap)))
    by_region: dict[str, list[str]] = {}
    for missing in unpriced:
        region, name = missing.split("/", 1)
        by_region.setdefault(region, []).append(name)
    for region, names in by_region.items():
        gaps.append(_flow({"region": region, "item": f"instances: {', '.join(names)}",
                           "note": f"not in the price API's answer for {region} on {today.isoformat()}"}))
    if gaps:
        data["gaps"] = gaps
    return data, unpriced


def kept_source(src: Mapping[str, Any]) -> CommentedMap:
    """A source entry a refresh carries over unchanged (url, read, title and, when the file had one, published)."""
    kept = CommentedMap(url=_scalar(src["url"]), read=src["read"], title=_scalar(src["title"]))
    if src.get("published") is not None:
        kept["published"] = src["published"]
    return kept


def _nested_copy(node: Any) -> Any:
    if isinstance(node, Mapping):
        if "source" in node:
            return _flow(node)
        return CommentedMap({k: _nested_copy(v) for k, v in node.items()})
    if isinstance(node, list):
        return list(node)
    return node


def dump_yaml(data: Any, header: str) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.representer.ignore_aliases = lambda _data: True  # one date object, many sources: no &id001
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = StringIO()
    yaml.dump(data, buf)
    return header + buf.getvalue()


def check_coverage(new: ProviderData, old: ProviderData, file: str) -> None:
    """Everything the current catalog prices must still be priced, and every price must be positive."""
    problems: list[str] = []
    for region, table in old.instances.items():
        for name in table:
            if name not in new.instances.get(region, {}):
                problems.append(f"instance {region}/{name} is missing")
    for key, fee in old.fees.items():
        if isinstance(fee, Price) and not isinstance(new.fees.get(key), Price):
            problems.append(f"fee {key} is missing")
    for section in ("storage", "network"):
        for region, items in getattr(old, section).items():
            for key in items:
                if key not in getattr(new, section).get(region, {}):
                    problems.append(f"{section} {region}/{key} is missing")
    for family in old.disk_tiers:
        if family not in new.disk_tiers:
            problems.append(f"disk size tiers {family} are missing")
    for region, table in new.instances.items():
        for name, inst in table.items():
            if inst.price.amount <= 0:
                problems.append(f"instance {region}/{name} has a non-positive price {inst.price.amount}")
    for section in ("storage", "network"):
        for region, items in getattr(new, section).items():
            for key, price in items.items():
                if price.amount <= 0:
                    problems.append(f"{section} {region}/{key} has a non-positive price {price.amount}")
    if problems:
        shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
        raise CatalogError(
            f"the refreshed {new.provider} prices are incomplete, so {file} was not replaced: {shown}",
            hint="the price API may have answered partially; run the refresh again later",
        )


def write_atomically(text: str, target: Path, provider: str, current: ProviderData) -> ProviderData:
    """Write ``text`` to ``target`` only if it parses with the catalog loader and covers ``current``."""
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        parsed = parse_provider(read_yaml(tmp.read_text(encoding="utf-8"), str(target)), str(target), provider)
        check_coverage(parsed, current, str(target))
        check_examples(parsed, current, provider, str(target))
        os.replace(tmp, target)
    except OSError as err:
        raise CatalogError(f"could not write {target}: {err}; the previous file was left as it was",
                           hint="check the permissions and free space of $KUBEFLEET_HOME/prices") from None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    return parsed


# Sanity bounds for one fetched figure (issue 14: `1e99999` and a 400-digit integer were written to the
# catalog and every later `compare` failed). A list price is finite, positive, below a million dollars per
# unit, and within LARGE_CHANGE_FACTOR of the figure the catalog has now unless the caller accepts larger
# changes (`kubefleet prices refresh --accept-large-changes`).
MAX_FIGURE = Decimal(1_000_000)
# Significant digits: above the 28 of Decimal's default context, so a figure computed here (an a3 price
# rebuilt from its per-vCPU, GPU and bundled-SSD parts) passes, while a 400-digit integer does not.
MAX_DIGITS = 34
LARGE_CHANGE_FACTOR = Decimal(10)


def _figure_problem(what: str, amount: Any, before: Decimal | None, accept_large_changes: bool) -> str | None:
    if not isinstance(amount, Decimal):
        return f"{what}: {str(amount)[:40]!r} is not a decimal number"
    if not amount.is_finite():
        return f"{what}: {str(amount)[:40]} is not a finite number"
    if amount <= 0:
        return f"{what} has a non-positive price {str(amount)[:40]}"
    if len(amount.as_tuple().digits) > MAX_DIGITS or amount >= MAX_FIGURE:
        return f"{what}: {str(amount)[:40]}{'…' if len(str(amount)) > 40 else ''} is not a plausible list price"
    if before is not None and before > 0 and not accept_large_changes:
        ratio = amount / before
        if ratio > LARGE_CHANGE_FACTOR or ratio < 1 / LARGE_CHANGE_FACTOR:
            return (f"{what}: {decimal_text(amount)} is more than {LARGE_CHANGE_FACTOR}× away from the catalog's "
                    f"{decimal_text(before)}")
    return None


def _amount(price: Any) -> Decimal | None:
    return price.amount if isinstance(price, Price) else None


def check_figures(fetched: Fetched, current: ProviderData, shipped: ProviderData, *,
                  accept_large_changes: bool = False) -> None:
    """Every fetched figure is sane (see ``MAX_FIGURE``) or the refresh fails and nothing is written."""
    problems: list[str] = []

    def before(table: Mapping[str, Mapping[str, Any]], region: str, key: str, attr: str | None = None) -> Decimal | None:
        item = (table.get(region) or {}).get(key)
        if item is None:
            return None
        return _amount(getattr(item, attr) if attr else item)

    for region, items in fetched.instances.items():
        for name, item in items.items():
            old = before(current.instances, region, name, "price") or before(shipped.instances, region, name, "price")
            problems.append(_figure_problem(f"instance {region}/{name}", item.amount, old, accept_large_changes) or "")
    for key, item in fetched.fees.items():
        old = _amount(current.fees.get(key)) or _amount(shipped.fees.get(key))
        problems.append(_figure_problem(f"fee {key}", item.amount, old, accept_large_changes) or "")
    for section, got in (("storage", fetched.storage), ("network", fetched.network)):
        for region, items in got.items():
            for key, item in items.items():
                old = before(getattr(current, section), region, key) or before(getattr(shipped, section), region, key)
                problems.append(_figure_problem(f"{section} {region}/{key}", item.amount, old, accept_large_changes) or "")
    problems = [p for p in problems if p]
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise CatalogError(
            f"the {current.provider} price API answered with figures that fail the sanity checks, so nothing "
            f"was written: {shown}",
            hint="if the prices really changed that much, run `kubefleet prices refresh --accept-large-changes`",
        )


def example_specs() -> list[ClusterSpec]:
    """The specs a refreshed catalog must price: the packaged templates, and examples/ in a checkout."""
    from importlib import resources

    from kubefleet.spec.loader import iter_spec_files, load_text

    texts: list[tuple[str, str]] = []
    for name in ("sweet-spot.yaml", "starter.yaml"):
        with contextlib.suppress(OSError):
            texts.append((name, resources.files("kubefleet.templates").joinpath(name).read_text(encoding="utf-8")))
    examples = Path(__file__).resolve().parents[2] / "examples"
    if examples.is_dir():
        texts.extend((str(p), p.read_text(encoding="utf-8")) for p in iter_spec_files([examples]))
    specs: list[ClusterSpec] = []
    for label, text in texts:
        with contextlib.suppress(KubefleetError):
            specs.extend(loaded.spec for loaded in load_text(text, label))
    return specs


def _with(provider: str, data: ProviderData) -> Catalog:
    from kubefleet.catalog import load_catalog

    shipped = load_catalog()
    catalog = copy.copy(shipped)
    catalog._providers = {**shipped._providers, provider: data}
    return catalog


def check_examples(new: ProviderData, current: ProviderData, provider: str, file: str) -> None:
    """The refreshed file must price every example on ``provider`` that the file it replaces prices:
    each pool's matched instance type in its region still has a price."""
    from kubefleet.resolve.instances import choice_for

    catalog, trial = _with(provider, current), _with(provider, new)
    problems: list[str] = []
    for spec in example_specs():
        region = spec.region_for(provider)
        for pool in spec.spec.node_pools:
            try:
                before = choice_for(catalog, provider, region, pool)
            except KubefleetError:
                continue
            if catalog.instance(provider, region, before.name) is None:
                continue  # the file being replaced cannot price it either
            try:
                after = choice_for(trial, provider, region, pool)
            except KubefleetError as err:
                problems.append(f"example {spec.name} pool {pool.name} in {region}: {err.message[:120]}")
                continue
            if trial.instance(provider, region, after.name) is None:
                problems.append(f"example {spec.name} pool {pool.name} in {region}: {after.name} has no price")
    if problems:
        raise CatalogError(
            f"the refreshed {provider} prices do not price every example, so {file} was not replaced: "
            + "; ".join(problems[:6]),
            hint="the price API may have answered partially; run the refresh again later",
        )


Fetcher = Callable[[RefreshPlan, Fetch, Progress, date], Fetched]


def fetcher_for(provider: str) -> Fetcher:
    if provider == "aks":
        from kubefleet.cost.sources.azure import fetch_aks
        return fetch_aks
    if provider == "eks":
        from kubefleet.cost.sources.aws import fetch_eks
        return fetch_eks
    if provider == "gke":
        from kubefleet.cost.sources.gcp import fetch_gke
        return fetch_gke
    raise UsageError(f"no price source for provider {provider!r}",
                     hint=f"refreshable: {', '.join(CLOUD_PROVIDERS)} (kubeadm is priced from your own rates)")


def deadline_seconds(environ: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if environ is None else environ).get("KUBEFLEET_REFRESH_DEADLINE_S", "")
    try:
        value = float(raw) if raw else transport.DEFAULT_DEADLINE_S
    except ValueError:
        raise UsageError(f"KUBEFLEET_REFRESH_DEADLINE_S={raw[:40]!r} is not a number of seconds") from None
    if not 0 < value < 7 * 24 * 3600:
        raise UsageError(f"KUBEFLEET_REFRESH_DEADLINE_S={raw[:40]!r} is out of range (1 s to a week)")
    return value


def refresh_provider(provider: str, *, today: date, fetch: Fetch | None = None,
                     progress: Progress = lambda _line: None, directory: Path | None = None,
                     accept_large_changes: bool = False, deadline_s: float | None = None) -> RefreshResult:
    """Fetch ``provider``'s prices and replace its file in the cache dir, or raise and change nothing.

    ``fetch`` defaults to :func:`transport.urllib_fetch`; ``today`` is the read date written to the sources.
    The whole fetch must finish within ``deadline_s`` (default: :func:`deadline_seconds`); every figure
    passes :func:`check_figures`; the new file must cover the current one and price every example."""
    fetcher = fetcher_for(provider)
    directory = cache_dir() if directory is None else directory
    current, origin = current_raw(provider, directory)
    current_data = parse_provider(current, origin, provider)
    shipped = shipped_parsed()[f"{provider}.yaml"]
    plan = plan_for(provider, current, shipped)
    with transport.deadline(deadline_seconds() if deadline_s is None else deadline_s):
        fetched = fetcher(plan, transport.urllib_fetch if fetch is None else fetch, progress, today)
    check_figures(fetched, current_data, parse_provider(shipped, f"{provider}.yaml", provider),
                  accept_large_changes=accept_large_changes)
    from kubefleet.cost.sources import commitments

    commitments_text = commitments.prepare(fetched, directory, today, accept_large_changes=accept_large_changes)
    data, unpriced = build_provider_data(plan, current, fetched, today)
    header = (f"# {provider} list prices, USD, refreshed by `kubefleet prices refresh` on {today.isoformat()}.\n"
              f"# Same format as the shipped kubefleet/catalog/data/{provider}.yaml; delete this file to fall\n"
              f"# back to the shipped catalog. Instance vCPU/memory/GPU facts come from the shipped catalog.\n")
    target = directory / f"{provider}.yaml"
    parsed = write_atomically(dump_yaml(data, header), target, provider, current_data)
    return RefreshResult(
        provider=provider,
        path=target,
        regions={r: len(t) for r, t in sorted(parsed.instances.items())},
        fees=sorted(fetched.fees),
        gaps=unpriced,
        commitments_path=None if commitments_text is None else commitments.write(commitments_text, directory),
        commitments={r: len(t) for r, t in sorted(fetched.commitments.items())},
    )

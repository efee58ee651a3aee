"""Refreshed committed-use rates into ``$KUBEFLEET_HOME/prices/commitments.yaml`` (the catalog's overlay).

The new file is the current one (the overlay if it loads, else the shipped file) with the provider's figures
the price API answered replaced and dated; every figure the API did not give (the sustained-use figures,
GPU machine types whose commitments are bought separately) is kept with the source it came from
(``source_<term>`` in its entry). It is written beside the old file, parsed back with the catalog's own
loader (:func:`kubefleet.catalog.commitments.parse_commitments`), checked, and only then moved over it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from kubefleet.catalog.commitments import COMMITMENTS_FILE, ProviderCommitments, parse_commitments
from kubefleet.cost.sources.model import Fetched
from kubefleet.errors import CatalogError

_MONTH = {"1y": "month_1y", "3y": "month_3y", "sud": "month_sud"}
HOURS = Decimal(730)


def current_commitments(directory: Path) -> tuple[Mapping[str, Any], str]:
    """The commitments file in effect (the overlay if it loads, else the shipped one) and its origin."""
    from kubefleet.catalog.loader import MAX_OVERLAY_BYTES, read_user_yaml, shipped_parsed
    from kubefleet.safeio import FileProblem, read_text

    path = directory / COMMITMENTS_FILE
    if path.is_file():
        try:
            data = read_user_yaml(read_text(path, MAX_OVERLAY_BYTES), str(path))
            parse_commitments(data, str(path))
            return data, str(path)
        except (CatalogError, FileProblem):
            pass  # a broken overlay is what a refresh repairs
    return shipped_parsed()[COMMITMENTS_FILE], COMMITMENTS_FILE


def source_key(provider: str, today: date) -> str:
    return f"{provider}-commitments-api-{today.isoformat()}"


def check_commitments(fetched: Fetched, book: ProviderCommitments, *, accept_large_changes: bool) -> None:
    """Every fetched figure is sane, below the same type's fetched on-demand month, and the 3-year figure
    below the 1-year one; else nothing is written."""
    from kubefleet.cost.sources.refresh import _figure_problem, decimal_text

    problems: list[str] = []
    for region, types in fetched.commitments.items():
        for name, terms in types.items():
            for term, month in terms.items():
                what = f"{term} commitment {region}/{name}"
                before = book.rates.get(region, {}).get(name, {}).get(term)
                problems.append(_figure_problem(what, month, before, accept_large_changes) or "")
                on_demand = fetched.instances.get(region, {}).get(name)
                if on_demand is not None and month >= on_demand.amount * HOURS:
                    problems.append(f"{what}: {decimal_text(month)} a month is not below the on-demand "
                                    f"{decimal_text(on_demand.amount * HOURS)}")
            if "1y" in terms and "3y" in terms and terms["3y"] >= terms["1y"]:
                problems.append(f"commitment {region}/{name}: 3-year {decimal_text(terms['3y'])} is not below "
                                f"1-year {decimal_text(terms['1y'])}")
    problems = [p for p in problems if p]
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise CatalogError(
            f"the {fetched.provider} commitment prices fail the sanity checks, so nothing was written: {shown}",
            hint="if the prices really changed that much, run `kubefleet prices refresh --accept-large-changes`",
        )


def build_commitments(current: Mapping[str, Any], origin: str, fetched: Fetched, today: date) -> CommentedMap:
    """The new commitments file: ``fetched``'s figures for its provider, everything else carried over."""
    from kubefleet.cost.sources.refresh import _flow, _nested_copy, _scalar, decimal_text, kept_source

    provider = fetched.provider
    if fetched.commitment_source is None:
        raise CatalogError(f"{provider}: commitment figures without a source")  # a bug in the fetcher
    book = parse_commitments(current, origin)[provider]
    new_key = source_key(provider, today)
    entry: Mapping[str, Any] = current.get(provider) or {}
    rates = CommentedMap()
    regions = list(book.rates) + [r for r in fetched.commitments if r not in book.rates]
    for region in regions:
        old_types = book.rates.get(region, {})
        got_types = fetched.commitments.get(region, {})
        table = CommentedMap()
        for name in list(old_types) + [n for n in got_types if n not in old_types]:
            row: dict[str, Any] = {}
            carried: dict[str, str] = {}
            for term, key in _MONTH.items():
                if term in got_types.get(name, {}):
                    row[key] = decimal_text(got_types[name][term])
                elif term in old_types.get(name, {}):
                    row[key] = decimal_text(old_types[name][term])
                    src = book.source_of(region, name, term)
                    assert src is not None  # parse_commitments requires a source for every figure
                    carried[term] = src.key
            for term, key in carried.items():
                row[f"source_{term}"] = key
            table[name] = _flow(row)
        rates[region] = table

    new_entry = CommentedMap()
    new_entry["source"] = new_key
    new_entry["rates"] = rates
    for key, value in entry.items():
        if key not in ("source", "rates", "missing", "reason"):
            new_entry[key] = _scalar(value) if isinstance(value, str) else value

    data = CommentedMap()
    sources = CommentedMap()
    ref = fetched.commitment_source
    sources[new_key] = CommentedMap(url=_scalar(ref.url), read=today, published=ref.published or today,
                                    title=_scalar(ref.title))
    body = CommentedMap()
    for name in ("gke", "eks", "aks"):
        body[name] = new_entry if name == provider else _nested_copy(current.get(name) or {})
    used = _used_sources(body)
    for key, src in (current.get("sources") or {}).items():
        if key in used and key not in sources:
            sources[key] = kept_source(src)
    data["sources"] = sources
    for name, value in body.items():
        data[name] = value
    for key, value in current.items():  # the record of what was searched, and anything else the file says
        if key not in data:
            data[key] = _nested_copy(value) if not isinstance(value, list) else [_flow(v) if isinstance(v, Mapping)
                                                                                else v for v in value]
    return data


def _used_sources(body: Mapping[str, Any]) -> set[str]:
    used: set[str] = set()
    for entry in body.values():
        if not isinstance(entry, Mapping):
            continue
        for key in ("source", "sud_source", "missing"):
            if isinstance(entry.get(key), str):
                used.add(entry[key])
        for types in (entry.get("rates") or {}).values():
            for row in (types or {}).values():
                used.update(v for k, v in row.items() if str(k).startswith("source_") and isinstance(v, str))
    return used


def check_coverage(new: ProviderCommitments, old: ProviderCommitments, file: str) -> None:
    missing = [f"{region}/{name} {term}" for region, types in old.rates.items() for name, terms in types.items()
               for term in terms if term not in new.rates.get(region, {}).get(name, {})]
    if missing:
        raise CatalogError(f"the refreshed {new.provider} commitments lost figures, so {file} was not replaced: "
                           + ", ".join(missing[:8]))


def prepare(fetched: Fetched, directory: Path, today: date, *, accept_large_changes: bool = False) -> str | None:
    """The new file's text, already parsed back and checked; None when the API gave no commitment figure."""
    from kubefleet.catalog.loader import read_yaml
    from kubefleet.cost.sources.refresh import dump_yaml

    if not fetched.commitments:
        return None
    current, origin = current_commitments(directory)
    old = parse_commitments(current, origin)[fetched.provider]
    check_commitments(fetched, old, accept_large_changes=accept_large_changes)
    header = (f"# Purchase-option rates, USD per 730-hour instance-month; {fetched.provider} refreshed by `kubefleet "
              f"prices refresh` on {today.isoformat()}.\n# Same format as the shipped kubefleet/catalog/data/"
              f"{COMMITMENTS_FILE}; delete this file to fall back to the shipped rates.\n")
    text = dump_yaml(build_commitments(current, origin, fetched, today), header)
    target = str(directory / COMMITMENTS_FILE)
    check_coverage(parse_commitments(read_yaml(text, target), target)[fetched.provider], old, target)
    return text


def write(text: str, directory: Path) -> Path:
    """Write ``text`` beside the old file, parse it back with the catalog loader, then move it over."""
    from kubefleet.catalog.loader import read_yaml

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / COMMITMENTS_FILE
    fd, tmp = tempfile.mkstemp(prefix=f".{COMMITMENTS_FILE}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        parse_commitments(read_yaml(Path(tmp).read_text(encoding="utf-8"), str(target)), str(target))
        os.replace(tmp, target)
    except OSError as err:
        raise CatalogError(f"could not write {target}: {err}; the previous file was left as it was",
                           hint="check the permissions and free space of $KUBEFLEET_HOME/prices") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target

#!/usr/bin/env python3
"""Generate kubefleet/catalog/data/removed-apis.yaml from two oracles nobody here wrote.

1. **kubepug's generated database** (https://kubepug.xyz/data/data.json, not reachable from here). kubepug
   makes it with its generator (kubepug/kubepug@<commit>:generator/deprecations/{gen,kubepug}.go, "almost
   a copy" of Kubernetes' prerelease-lifecycle-gen) run over the latest ``k8s.io/api`` Go module. This
   script reproduces that run on a pinned ``k8s.io/api`` (downloaded from the Go module proxy, never built):
   the same package filter (``+k8s:prerelease-lifecycle-gen=true`` in the package comments, a
   ``GroupName`` constant), the same type filter (exported struct embedding ``TypeMeta``), the same tags
   (``introduced``/``deprecated``/``removed``/``replacement`` in the closest and second-closest comment
   blocks) and the same defaults (a prerelease version is deprecated 3 minors after it was introduced and
   removed 3 minors after that). Every value is cross-checked against the functions Kubernetes' own
   generator wrote into the module's ``zz_generated.prerelease-lifecycle.go`` files; a mismatch stops the
   script. The output has kubepug's data.json shape (descriptions dropped, only entries with a deprecation
   or removal) and is committed as ``tests/data/oracles/removed-apis/kubepug-data.json``.
2. **pluto's versions.yaml** (FairwindsOps/pluto at a pinned commit), committed as
   ``tests/data/oracles/removed-apis/pluto-versions.yaml``. Only ``component: k8s`` rows are Kubernetes
   APIs; the others (cert-manager, istio) carry that component's versions, not Kubernetes minors.

The shipped table is the UNION of both, keyed by (group/version, kind). Where they disagree on the minor
that removes an API, the earlier one is shipped (an upgrade plan that warns a hop early costs a look; one
that warns a hop late breaks a deploy) and both values are recorded; replacements are recorded from both.

Usage:
  # refresh the oracle inputs (needs the Go toolchain and the module proxy; downloads, never builds):
  scripts/gen_removed_apis.py --k8s-api DIR --pluto-versions FILE   # then update PROVENANCE.yaml
  # regenerate the shipped table from the committed inputs (what tests/test_removed_apis.py checks):
  scripts/gen_removed_apis.py
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
ORACLES = ROOT / "tests" / "data" / "oracles" / "removed-apis"
KUBEPUG_DATA = ORACLES / "kubepug-data.json"
PLUTO_VERSIONS = ORACLES / "pluto-versions.yaml"
PROVENANCE = ORACLES / "PROVENANCE.yaml"
K8S_LIFECYCLE = ORACLES / "k8s-api-lifecycle.json"
SHIPPED = ROOT / "kubefleet" / "catalog" / "data" / "removed-apis.yaml"

_TAG = "k8s:prerelease-lifecycle-gen"
_GA = re.compile(r"^v\d+$")


# ------------------------------------------------------------------ kubepug's generator, reproduced


def _comment_blocks(lines: list[str], type_line: int) -> list[str]:
    """The closest comment block above line ``type_line`` and the one before it (separated by one blank
    line), as gengo's ``CommentLines`` and ``SecondClosestCommentLines``."""
    out: list[str] = []
    i = type_line - 1
    closest: list[str] = []
    while i >= 0 and lines[i].lstrip().startswith("//"):
        closest.insert(0, lines[i].lstrip()[2:].strip())
        i -= 1
    out.extend(closest)
    if i >= 0 and not lines[i].strip():
        i -= 1
        second: list[str] = []
        while i >= 0 and lines[i].lstrip().startswith("//"):
            second.insert(0, lines[i].lstrip()[2:].strip())
            i -= 1
        out = second + out
    return out


def _tags(comments: list[str]) -> dict[str, list[str]]:
    """gengo.ExtractCommentTags("+", lines): ``+name=value`` lines."""
    found: dict[str, list[str]] = {}
    for line in comments:
        if not line.startswith("+"):
            continue
        name, _, value = line[1:].partition("=")
        found.setdefault(name.strip(), []).append(value.strip())
    return found


def _minor(value: str, what: str) -> tuple[int, int]:
    major, _, minor = value.split(",")[0].partition(".")
    if not major.isdigit() or not minor.isdigit():
        raise SystemExit(f"{what}: {value!r} is not MAJOR.MINOR")
    return int(major), int(minor)


def _api_types(source: str) -> list[tuple[str, list[str]]]:
    """(type name, comment lines) of exported structs that embed TypeMeta."""
    lines = source.splitlines()
    found: list[tuple[str, list[str]]] = []
    for index, line in enumerate(lines):
        match = re.match(r"^type ([A-Z]\w*) struct \{\s*$", line)
        if not match:
            continue
        body: list[str] = []
        for inner in lines[index + 1:]:
            if inner.startswith("}"):
                break
            body.append(inner)
        if any(re.match(r"^\s*(\w+\.)?TypeMeta\b", b) for b in body):
            found.append((match.group(1), _comment_blocks(lines, index)))
    return found


def _generated_lifecycle(source: str) -> dict[str, dict[str, Any]]:
    """What Kubernetes' prerelease-lifecycle-gen wrote: type -> {introduced, deprecated, removed, replacement}."""
    out: dict[str, dict[str, Any]] = {}
    for kind, method, body in re.findall(
            r"func \(in \*(\w+)\) APILifecycle(\w+)\(\) [^{]*\{\n(.*?)\n\}", source, re.S):
        entry = out.setdefault(kind, {})
        numbers = re.search(r"return (\d+), (\d+)", body)
        if numbers:
            entry[method.lower()] = (int(numbers.group(1)), int(numbers.group(2)))
        gvk = re.search(r'Group: "([^"]*)", Version: "([^"]*)", Kind: "([^"]*)"', body)
        if gvk:
            entry["replacement"] = gvk.groups()
    return out


def kubernetes_lifecycle(api_dir: Path) -> list[dict[str, Any]]:
    """Every value Kubernetes' prerelease-lifecycle-gen wrote into k8s.io/api (the independent check of
    :func:`kubepug_registry`, committed so a test can run it): group/version/kind -> its APILifecycle*."""
    out: list[dict[str, Any]] = []
    for path in sorted(api_dir.rglob("zz_generated.prerelease-lifecycle.go")):
        register = path.parent / "register.go"
        group = re.search(r'^const GroupName = "([^"]*)"', register.read_text(), re.M) if register.is_file() else None
        package = re.search(r"^package (\w+)", path.read_text(), re.M)
        if group is None or package is None:
            continue
        for kind, values in sorted(_generated_lifecycle(path.read_text()).items()):
            row: dict[str, Any] = {"group": group.group(1), "version": package.group(1), "kind": kind}
            for name in ("introduced", "deprecated", "removed"):
                if name in values:
                    row[name] = _minor_text(values[name])
            if "replacement" in values:
                row["replacement"] = "/".join(v for v in values["replacement"][:2] if v) + " " + values["replacement"][2]
            out.append(row)
    return out


def kubepug_registry(api_dir: Path) -> list[dict[str, Any]]:
    """kubepug's registry (data.json entries without descriptions) for the k8s.io/api tree ``api_dir``."""
    registry: list[dict[str, Any]] = []
    for doc in sorted(api_dir.rglob("doc.go")):
        pkg_dir = doc.parent
        go_files = sorted(p for p in pkg_dir.glob("*.go") if not p.name.endswith("_test.go"))
        package_comments = _tags([line.lstrip()[2:].strip() for line in doc.read_text().splitlines()
                                  if line.lstrip().startswith("//")])
        if package_comments.get(_TAG, ["false"])[0] != "true":
            continue
        sources = {p.name: p.read_text() for p in go_files}
        group_match = None
        for text in sources.values():
            group_match = group_match or re.search(r'^const GroupName = "([^"]*)"', text, re.M)
        if group_match is None:
            continue
        package = re.search(r"^package (\w+)", sources["doc.go"], re.M)
        assert package is not None
        version = package.group(1)
        generated = _generated_lifecycle(sources.get("zz_generated.prerelease-lifecycle.go", ""))
        types: list[tuple[str, list[str]]] = []
        for name, text in sources.items():
            if name.startswith("zz_generated") or name.endswith("_generated.go") or name.endswith(".pb.go"):
                continue
            types.extend(_api_types(text))
        for kind, comments in sorted(types):
            tags = _tags(comments)
            where = f"{pkg_dir.relative_to(api_dir)}.{kind}"
            if f"{_TAG}:introduced" not in tags:
                continue  # kubepug's generator errors on this type and skips it
            introduced = _minor(tags[f"{_TAG}:introduced"][0], where)
            ga = bool(_GA.match(version))
            deprecated = introduced[0], introduced[1] + 3
            if f"{_TAG}:deprecated" in tags:
                deprecated = _minor(tags[f"{_TAG}:deprecated"][0], where)
            removed = deprecated[0], deprecated[1] + 3
            if f"{_TAG}:removed" in tags:
                removed = _minor(tags[f"{_TAG}:removed"][0], where)
            entry: dict[str, Any] = {"group": group_match.group(1), "version": version, "kind": kind,
                                     "introduced_version": _version(introduced)}
            if not ga or f"{_TAG}:deprecated" in tags:
                entry["deprecated_version"] = _version(deprecated)
            if not ga or f"{_TAG}:removed" in tags:
                entry["removed_version"] = _version(removed)
            replacement = tags.get(f"{_TAG}:replacement")
            if replacement:
                group, rversion, rkind = replacement[0].split(",")
                entry["replacement"] = {k: v for k, v in
                                        (("group", group), ("version", rversion), ("kind", rkind)) if v}
            _cross_check(where, entry, generated.get(kind))
            if "deprecated_version" in entry or "removed_version" in entry:
                registry.append(entry)
    return registry


def _version(pair: tuple[int, int]) -> dict[str, int]:
    return {"version_major": pair[0], "version_minor": pair[1]}


def _cross_check(where: str, entry: dict[str, Any], generated: dict[str, Any] | None) -> None:
    """The reproduced values must equal Kubernetes' own generated functions for the type."""
    if generated is None:
        if "removed_version" in entry and "v" in entry["version"] and not _GA.match(entry["version"]):
            raise SystemExit(f"{where}: no zz_generated.prerelease-lifecycle.go functions to check against")
        return
    for key, name in (("introduced_version", "introduced"), ("deprecated_version", "deprecated"),
                      ("removed_version", "removed")):
        if key in entry:
            mine = (entry[key]["version_major"], entry[key]["version_minor"])
            if generated.get(name) != mine:
                raise SystemExit(f"{where}: {name} {mine} but Kubernetes generated {generated.get(name)}")
    if "replacement" in entry:
        r = entry["replacement"]
        mine_r = (r.get("group", ""), r.get("version", ""), r.get("kind", ""))
        if generated.get("replacement") != mine_r:
            raise SystemExit(f"{where}: replacement {mine_r} but Kubernetes generated {generated.get('replacement')}")


# ------------------------------------------------------------------ the union


def _minor_text(pair: tuple[int, int]) -> str:
    return f"{pair[0]}.{pair[1]}"


def _pluto_minor(value: str) -> str | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", value.strip()) if value else None
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _key(minor: str) -> tuple[int, int]:
    major, _, rest = minor.partition(".")
    return int(major), int(rest)


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _replacement_text(gv: str | None, kind: str | None, own_kind: str) -> str | None:
    if not gv:
        return None
    return gv if not kind or kind == own_kind else f"{gv} {kind}"


def union(kubepug: list[dict[str, Any]], pluto: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipped rows: every API removed according to either oracle."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in kubepug:
        removed = entry.get("removed_version")
        if not removed:
            continue
        gv = _gv(entry.get("group", ""), entry["version"])
        replacement = entry.get("replacement") or {}
        deprecated = entry.get("deprecated_version")
        rows.setdefault((gv, entry["kind"]), {})["kubepug"] = {
            "deprecatedIn": _minor_text((deprecated["version_major"], deprecated["version_minor"]))
            if deprecated else None,
            "removedIn": _minor_text((removed["version_major"], removed["version_minor"])),
            "replacement": _replacement_text(
                _gv(replacement.get("group", ""), replacement["version"]) if replacement.get("version") else None,
                replacement.get("kind"), entry["kind"]),
        }
    for item in pluto["deprecated-versions"]:
        if item.get("component") != "k8s":
            continue
        removed_in = _pluto_minor(str(item.get("removed-in") or ""))
        if removed_in is None:
            continue
        rows.setdefault((item["version"], item["kind"]), {})["pluto"] = {
            "deprecatedIn": _pluto_minor(str(item.get("deprecated-in") or "")),
            "removedIn": removed_in,
            "replacement": _replacement_text(item.get("replacement-api") or None, None, item["kind"]),
        }
    out: list[dict[str, Any]] = []
    for (gv, kind), by_source in sorted(rows.items()):
        sources = sorted(by_source)
        removed_in = min((v["removedIn"] for v in by_source.values()), key=_key)
        deprecated = [v["deprecatedIn"] for v in by_source.values() if v["deprecatedIn"]]
        replacements = [by_source[s]["replacement"] for s in sources if by_source[s]["replacement"]]
        row: dict[str, Any] = {
            "groupVersion": gv,
            "kind": kind,
            "deprecatedIn": min(deprecated, key=_key) if deprecated else None,
            "removedIn": removed_in,
            "replacement": _pick_replacement(replacements),
            "sources": sources,
        }
        if len(by_source) == 2:
            k, p = by_source["kubepug"], by_source["pluto"]
            differs = [f for f in ("removedIn", "deprecatedIn", "replacement") if k[f] != p[f]]
            if differs:
                row["disagreement"] = {
                    "fields": differs, "kubepug": {f: k[f] for f in differs}, "pluto": {f: p[f] for f in differs},
                    "shipped": "the earlier removedIn/deprecatedIn (a hop early costs a look, a hop late breaks "
                               "a deploy); kubepug's replacement unless it names another kind and pluto's does not",
                }
        out.append(row)
    return out


def _pick_replacement(candidates: list[str]) -> str | None:
    """kubepug's replacement (Kubernetes' own tag) first, unless it names a different kind (a mistake in the
    tag: networking.k8s.io/v1beta1 IngressClass says ``IngressClassList``) and pluto's names the same kind."""
    same_kind = [c for c in candidates if " " not in c]
    return same_kind[0] if same_kind else (candidates[0] if candidates else None)


def render(provenance: dict[str, Any], kubepug_text: str, pluto_text: str) -> str:
    """The shipped file's text from the committed oracle inputs."""
    rows = union(json.loads(kubepug_text), _load(pluto_text))
    body = {"sources": provenance["sources"], "removals": rows}
    header = ("# GENERATED by scripts/gen_removed_apis.py from tests/data/oracles/removed-apis/ — do not edit.\n"
              "# Kubernetes APIs (group/version + kind) removed at a minor: the union of kubepug's generated\n"
              "# database and pluto's versions.yaml (component k8s); `sources` pins both (commit/version,\n"
              "# date generated/published, date read). Rows where the two disagree carry `disagreement`.\n")
    out = YAML()
    out.width = 120
    out.default_flow_style = False
    buf = io.StringIO()
    out.dump(body, buf)
    return header + buf.getvalue()


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k8s-api", type=Path, help="k8s.io/api module directory (go mod download -json k8s.io/api@VERSION)")
    parser.add_argument("--pluto-versions", type=Path, help="pluto's versions.yaml at the pinned commit")
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped file is stale")
    args = parser.parse_args(argv)
    if args.k8s_api:
        registry = kubepug_registry(args.k8s_api)
        KUBEPUG_DATA.write_text(json.dumps(registry, indent=1) + "\n")
        print(f"{KUBEPUG_DATA}: {len(registry)} entries", file=sys.stderr)
        lifecycle = kubernetes_lifecycle(args.k8s_api)
        K8S_LIFECYCLE.write_text("[\n" + ",\n".join(json.dumps(row) for row in lifecycle) + "\n]\n")
        print(f"{K8S_LIFECYCLE}: {len(lifecycle)} types", file=sys.stderr)
    if args.pluto_versions:
        PLUTO_VERSIONS.write_bytes(args.pluto_versions.read_bytes())
    text = render(_load(PROVENANCE.read_text()), KUBEPUG_DATA.read_text(), PLUTO_VERSIONS.read_text())
    if args.check:
        if SHIPPED.read_text() != text:
            print(f"{SHIPPED} is stale: run scripts/gen_removed_apis.py", file=sys.stderr)
            return 1
        return 0
    SHIPPED.write_text(text)
    print(f"{SHIPPED}: written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

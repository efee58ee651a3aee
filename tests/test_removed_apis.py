"""Removed Kubernetes APIs (issue 21): the shipped table against its two oracles, the manifest scan.

Oracles: kubepug's generated database (reproduced from k8s.io/api v0.37.2 and checked against
Kubernetes' own generated lifecycle functions) and pluto's versions.yaml at
FairwindsOps/pluto@dd5ec8cccce5e42dfe8054b8250baa35546056a0, both committed raw under
tests/data/oracles/removed-apis/ with PROVENANCE.yaml; the expected values here are read from those raw
files, never from kubefleet's table.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kubefleet.errors import KubefleetError
from kubefleet.lifecycle import removed_apis
from kubefleet.lifecycle.removed_apis import Finding, ManifestError, scan, scan_text

ROOT = Path(__file__).resolve().parent.parent
ORACLES = ROOT / "tests" / "data" / "oracles" / "removed-apis"
MANIFESTS = ROOT / "tests" / "data" / "manifests"


def _minor(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", value)
    assert match, value
    return int(match.group(1)), int(match.group(2))


def _text(pair: tuple[int, int]) -> str:
    return f"{pair[0]}.{pair[1]}"


def oracle_rows() -> list[tuple[str, str, str, str]]:
    """(source, group/version, kind, removed minor) from the raw oracle files."""
    rows: list[tuple[str, str, str, str]] = []
    for entry in json.loads((ORACLES / "kubepug-data.json").read_text()):
        removed = entry.get("removed_version")
        if removed:
            gv = f"{entry['group']}/{entry['version']}" if entry.get("group") else entry["version"]
            rows.append(("kubepug", gv, entry["kind"], f"{removed['version_major']}.{removed['version_minor']}"))
    for item in YAML(typ="safe").load((ORACLES / "pluto-versions.yaml").read_text())["deprecated-versions"]:
        if item.get("component") == "k8s" and item.get("removed-in"):
            rows.append(("pluto", item["version"], item["kind"], _text(_minor(item["removed-in"]))))
    return rows


@pytest.fixture(scope="module")
def fixture_scan() -> removed_apis.Scan:
    return scan([MANIFESTS])


# ------------------------------------------------------------------ the table


def test_shipped_table_is_regenerated_from_the_committed_oracles() -> None:
    spec = importlib.util.spec_from_file_location("gen_removed_apis", ROOT / "scripts" / "gen_removed_apis.py")
    assert spec and spec.loader
    gen: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    provenance = YAML(typ="safe").load((ORACLES / "PROVENANCE.yaml").read_text())
    expected = gen.render(provenance, (ORACLES / "kubepug-data.json").read_text(),
                          (ORACLES / "pluto-versions.yaml").read_text())
    shipped = (ROOT / "kubefleet" / "catalog" / "data" / "removed-apis.yaml").read_text()
    assert shipped == expected, "removed-apis.yaml is stale or hand-edited: run scripts/gen_removed_apis.py"


def test_every_oracle_row_is_shipped_with_its_own_minor() -> None:
    shipped = {(r.group_version, r.kind, r.removed_in) for r in removed_apis.removals()}
    missing = [row for row in oracle_rows() if row[1:] not in shipped]
    assert not missing
    assert len(oracle_rows()) > 200  # both oracles were read (166 + 84 rows as of the pinned inputs)


def test_sources_are_pinned() -> None:
    sources = removed_apis.sources()
    assert "dd5ec8cccce5e42dfe8054b8250baa35546056a0" in sources["pluto"]["source"]
    assert "k8s.io/api v0.37.2" in sources["kubepug"]["input"]
    for oracle in ("kubepug", "pluto"):
        assert sources[oracle]["read"] == "2026-12-06"


def test_disagreement_ships_the_earlier_minor_and_keeps_the_later() -> None:
    # kubepug (Kubernetes' tag) removes flowcontrol v1beta1 in 1.26; pluto says 1.29
    found = [r for r in removed_apis.removals()
             if (r.group_version, r.kind) == ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")]
    assert [(r.removed_in, r.sources) for r in found] == [("1.26", ("kubepug",)), ("1.29", ("pluto",))]


def _pair(value: dict[str, int] | None) -> str | None:
    return None if not value else f"{value['version_major']}.{value['version_minor']}"


def _kubepug_view(entry: dict[str, Any]) -> tuple[Any, ...]:
    replacement = entry.get("replacement") or {}
    return (_pair(entry.get("introduced_version")), _pair(entry.get("deprecated_version")),
            _pair(entry.get("removed_version")),
            (f"{replacement['group']}/" if replacement.get("group") else "") + f"{replacement['version']} "
            f"{replacement['kind']}" if replacement else None)


def test_kubepug_reproduction_equals_kubernetes_generated_lifecycle() -> None:
    # what Kubernetes' own prerelease-lifecycle-gen wrote into k8s.io/api v0.37.2, type by type
    generated = {(r["group"], r["version"], r["kind"]): r
                 for r in json.loads((ORACLES / "k8s-api-lifecycle.json").read_text())}
    reproduced = json.loads((ORACLES / "kubepug-data.json").read_text())
    for entry in reproduced:
        k8s = generated[(entry["group"], entry["version"], entry["kind"])]
        assert _kubepug_view(entry) == (k8s.get("introduced"), k8s.get("deprecated"), k8s.get("removed"),
                                        k8s.get("replacement")), entry["kind"]
    # and nothing Kubernetes marks as removed is missing from the reproduction
    keys = {(e["group"], e["version"], e["kind"]) for e in reproduced}
    assert {key for key, row in generated.items() if "removed" in row} <= keys


def test_kubepug_reproduction_equals_kubepugs_own_generator_output() -> None:
    # kubepug's test data is its real generator's output (2023): the same entries, the same values
    theirs = json.loads((ORACLES / "kubepug-testdata-data.json").read_text())
    mine = {(e["group"], e["version"], e["kind"]): e for e in json.loads((ORACLES / "kubepug-data.json").read_text())}
    assert len(theirs) == 3
    for entry in theirs:
        assert _kubepug_view(mine[(entry["group"], entry["version"], entry["kind"])]) == _kubepug_view(entry)


# ------------------------------------------------------------------ zero misses against the union


def test_fixture_set_holds_every_oracle_api(fixture_scan: removed_apis.Scan) -> None:
    present = {(o.api_version, o.kind) for o in fixture_scan.objects}
    absent = {(gv, kind) for _s, gv, kind, _m in oracle_rows()} - present
    assert not absent


def test_zero_misses_at_each_oracles_removal_minor(fixture_scan: removed_apis.Scan) -> None:
    by_hop: dict[tuple[str, str], set[tuple[str, str]]] = {}
    misses = []
    for source, gv, kind, removed in oracle_rows():
        major, minor = _minor(removed)
        hop = (_text((major, minor - 1)), removed)
        if hop not in by_hop:
            by_hop[hop] = {(f.api_version, f.kind) for f in fixture_scan.findings(*hop)}
        if (gv, kind) not in by_hop[hop]:
            misses.append((source, gv, kind, hop))
    assert not misses


def test_pluto_fixtures_are_found_where_pluto_finds_them(fixture_scan: removed_apis.Scan) -> None:
    found = {(Path(f.file).name, f.line, f.name) for f in fixture_scan.findings("1.15", "1.16")}
    # pluto's own fixtures: the extensions/v1beta1 Deployment (removed in 1.16), once as JSON, once in a List
    assert ("deployment-extensions-v1beta1.json", 2, "utilities") in found
    assert ("list-deployment-deprecated-and-non-deprecated.yaml", 3, "utilities") in found
    assert not any(f.line == 39 for f in fixture_scan.findings("1.15", "1.16")
                   if f.file.endswith("non-deprecated.yaml"))  # the apps/v1 one is not


def test_helm_template_is_skipped_with_the_reason(fixture_scan: removed_apis.Scan) -> None:
    skipped = [s for s in fixture_scan.skipped if s.file.endswith("deployment-deprecated.yaml")]
    assert len(skipped) == 1 and skipped[0].line == 4 and "helm template" in skipped[0].reason


def test_template_outside_a_chart_that_is_not_yaml_is_skipped() -> None:
    objects, skipped = scan_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n{{- if .Values.x }}\n"
                                 "metadata: {name: a}\n{{- end }}\n", "t.yaml")
    assert objects == [] and "template" in skipped[0].reason
    # a PrometheusRule-like ConfigMap holding {{ }} inside strings is YAML, and is scanned
    objects, skipped = scan_text('apiVersion: v1\nkind: ConfigMap\ndata: {alert: "{{ $labels.pod }}"}\n', "c.yaml")
    assert [o.kind for o in objects] == ["ConfigMap"] and skipped == []


# ------------------------------------------------------------------ the range and positions


def _hop(current: str, target: str) -> list[tuple[str, int, int, str | None]]:
    return [(f.kind, f.line, f.column, f.name)
            for f in removed_apis.findings([MANIFESTS / "positions.yaml"], current, target)]


def test_positions_names_and_list_items() -> None:
    # PodSecurityPolicy and CronJob v1beta1 go in 1.25 (both oracles), extensions Ingress in 1.22
    assert _hop("1.24", "1.25") == [("PodSecurityPolicy", 6, 13, "restricted"), ("CronJob", 20, 19, "nightly")]
    assert _hop("1.21", "1.22") == [("Ingress", 15, 17, "web")]  # the aliased copy is not reported twice
    assert _hop("1.31", "1.32") == [("FlowSchema", 10, 14, "flow")]


def test_range_is_exclusive_of_current_and_inclusive_of_target() -> None:
    assert _hop("1.25", "1.26") == []  # removed in 1.25: already gone at the current minor
    assert _hop("1.24", "1.24") == []
    assert [k for k, *_ in _hop("1.20", "1.32")] == ["PodSecurityPolicy", "FlowSchema", "Ingress", "CronJob"]
    assert _hop("1.32", "1.37") == []
    with pytest.raises(KubefleetError) as err:
        removed_apis.findings([MANIFESTS / "positions.yaml"], "1.30", "1.29")
    assert err.value.exit_code == 2
    with pytest.raises(KubefleetError):
        removed_apis.findings([MANIFESTS / "positions.yaml"], "latest", "1.29")


def test_already_removed_at_the_current_minor() -> None:
    found = scan([MANIFESTS / "positions.yaml"]).already_removed("1.25")
    assert [(f.kind, f.removal.removed_in) for f in found] == [("PodSecurityPolicy", "1.25"), ("Ingress", "1.22"),
                                                                ("CronJob", "1.25")]


def test_typed_list_items_inherit_the_lists_api() -> None:
    # the API serves a DeploymentList whose items carry no apiVersion/kind of their own
    text = ("apiVersion: extensions/v1beta1\nkind: DeploymentList\nitems:\n- metadata: {name: a}\n"
            "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b}\n")
    objects, _ = scan_text(text, "typed.yaml")
    assert [(o.api_version, o.kind, o.name, o.line, o.column) for o in objects] == [
        ("extensions/v1beta1", "DeploymentList", None, 1, 13), ("extensions/v1beta1", "Deployment", "a", 4, 3),
        ("apps/v1", "Deployment", "b", 5, 15)]


def test_finding_carries_the_removal() -> None:
    (finding,) = removed_apis.findings([MANIFESTS / "positions.yaml"], "1.31", "1.32")
    assert isinstance(finding, Finding)
    assert finding.removal.removed_in == "1.32"
    assert finding.removal.replacement == "flowcontrol.apiserver.k8s.io/v1"
    assert finding.where.endswith("positions.yaml:10:14")


# ------------------------------------------------------------------ hostile input


def _positioned_error(path: Path, file: Path | None = None) -> str:
    with pytest.raises(ManifestError) as err:
        scan([path])
    assert err.value.exit_code == 2
    text = err.value.render()
    assert re.match(rf"{re.escape(str(file or path))}:\d+:\d+: ", text), text
    return text


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in _positioned_error(fifo)
    # inside a directory too
    assert "not a regular file" in _positioned_error(tmp_path, fifo)


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(removed_apis.MAX_MANIFEST_BYTES + 1)
    assert "larger than" in _positioned_error(path)
    assert "not a regular file" in _positioned_error(Path("/dev/zero"))


def test_deep_nesting_and_alias_bombs_cost_nothing(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nspec: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert "nested more than 512" in _positioned_error(deep)  # at once: the parser is quadratic in depth
    block = tmp_path / "block.yaml"
    block.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n"
                     + "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + " " * 2_000 + "end: 1\n")
    assert re.search(r"block.yaml:51\d:\d+: values are nested", _positioned_error(block))
    fine = tmp_path / "fine.yaml"
    fine.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nspec: " + "[" * 300 + "]" * 300 + "\n")
    assert [o.kind for o in scan([fine]).objects] == ["PodSecurityPolicy"]
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(f'*a{i - 1}' for _ in range(9))}]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("apiVersion: batch/v1beta1\nkind: CronJob\nx:\n  " + "\n  ".join(lines) + "\n")
    assert [o.kind for o in scan([bomb]).objects] == ["CronJob"]


@pytest.mark.parametrize(("text", "where"), [
    ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: indent\n", ":5:"),
    ("apiVersion: v1\nkind: [Pod\n", ":3:"),
    ('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "a"} "spec": {}}\n', ":2:"),
    ("apiVersion: v1\n\tkind: Pod\n", ":2:"),
])
def test_bad_yaml_is_a_positioned_error(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    message = _positioned_error(path)
    assert where in message.splitlines()[0] and "invalid YAML" in message


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"apiVersion: v1\nkind: Pod\n\xff\xfe\x00")
    assert "not UTF-8" in _positioned_error(binary)
    assert "no such file" in _positioned_error(tmp_path / "absent.yaml")
    assert "255" in _positioned_error(tmp_path / ("x" * 300 + ".yaml"))  # ENAMETOOLONG: exit 2, not a bug


def test_a_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: batch/v1beta1\nkind: CronJob\n")
    assert [o.kind for o in scan([path]).objects] == ["CronJob"]
    assert [o.kind for o in scan([path]).objects] == ["CronJob"]  # the second plan hop: from the cache
    path.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n")
    assert [o.kind for o in scan([path]).objects] == ["PodSecurityPolicy"]
    path.unlink()
    os.mkfifo(path)  # a FIFO swapped in where a cached file was: refused, never served from the cache
    assert "not a regular file" in _positioned_error(path)


def test_an_unreadable_folder_is_said_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.scandir

    def scandir(path: Any = ".") -> Any:  # what a folder without read permission does (tests run as root)
        if str(path).endswith("pluto"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert "cannot list this folder" in _positioned_error(MANIFESTS, MANIFESTS / "pluto")


def test_a_folder_without_manifests_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(KubefleetError) as err:
        scan([tmp_path])
    assert err.value.exit_code == 2 and "no *.yaml" in err.value.message


def test_non_objects_and_odd_documents_are_ignored() -> None:
    text = "---\n- a\n- b\n---\n42\n---\n? [complex, key]\n: value\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n---\n"
    objects, skipped = scan_text(text, "odd.yaml")
    assert [(o.kind, o.line, o.column) for o in objects] == [("PodSecurityPolicy", 9, 13)] and skipped == []
    merged, _ = scan_text("apiVersion: v1\nkind: List\nitems:\n- &b {apiVersion: batch/v1beta1, kind: CronJob, "
                          "metadata: {name: one}}\n- <<: *b\n  metadata: {name: two}\n", "merge.yaml")
    assert [(o.kind, o.name, o.line, o.column) for o in merged] == [
        ("List", None, 1, 13), ("CronJob", "one", 4, 19), ("CronJob", "two", 5, 3)]
    listed, _ = scan_text("apiVersion: v1\nkind: List\ndefs: [&a {apiVersion: batch/v1beta1}, &k {kind: CronJob}]\n"
                          "items:\n- <<: [*a, *k]\n  metadata: {name: merged}\n- <<: [{kind: Pod}]\n", "m.yaml")
    assert [(o.kind, o.name, o.line, o.column) for o in listed] == [("List", None, 1, 13), ("CronJob", "merged", 5, 3)]


def test_template_markers_are_found_in_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "braces.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  x: '" + "{{" * 2_000_000 + "'\n")
    assert [o.kind for o in scan([path]).objects] == ["ConfigMap"]


# ------------------------------------------------------------------ end to end: `upgrade plan --manifests`


def _cli_fixture(tmp_path: Path) -> tuple[Path, Path]:
    spec = (ROOT / "examples" / "dev-small.yaml").read_text()
    spec, count = re.subn(r'version: "1\.\d+"', 'version: "1.31"', spec, count=1)
    assert count == 1
    (tmp_path / "spec.yaml").write_text(spec)
    manifests = tmp_path / "manifests"
    (manifests / "chart" / "templates").mkdir(parents=True)
    (manifests / "app.yaml").write_text((MANIFESTS / "positions.yaml").read_text())
    for name in ("Chart.yaml", "templates/deployment-deprecated.yaml"):
        (manifests / "chart" / name).write_text((MANIFESTS / "pluto" / "chart" / name).read_text())
    return tmp_path / "spec.yaml", manifests


def test_upgrade_plan_lists_the_removed_api_on_its_hop_with_file_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    spec, manifests = _cli_fixture(tmp_path)
    args = ["upgrade", "plan", str(spec), "--to", "1.33", "--as-of", "2025-01-10", "-p", "gke",
            "--manifests", str(manifests)]
    result = CliRunner().invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 1, result.output  # manifests use an API a hop removes: a problem found
    (plan,) = json.loads(result.stdout)["items"]
    hops = {s["to"]: s["removedApis"] for s in plan["steps"] if s["kind"] == "control-plane"}
    # flowcontrol v1beta3 goes in 1.32 (kubepug and pluto agree): on that hop, at its apiVersion's position
    assert [(Path(r["file"]).name, r["line"], r["column"], r["kind"], r["removedIn"]) for r in hops["1.32"]] == [
        ("app.yaml", 10, 14, "FlowSchema", "1.32")]
    assert hops["1.33"] == []
    assert any("deployment-deprecated.yaml:4 not scanned" in n and "helm template" in n for n in plan["notes"])
    table = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert table.exit_code == 1
    assert f"{manifests / 'app.yaml'}:10:14" in table.stdout.replace("\n", "")


def test_upgrade_plan_with_hostile_manifests_is_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    spec, manifests = _cli_fixture(tmp_path)
    (manifests / "broken.yaml").write_text("apiVersion: v1\nkind: [Pod\n")
    result = CliRunner().invoke(app, ["upgrade", "plan", str(spec), "--to", "1.33", "--as-of", "2025-01-10",
                                      "-p", "gke", "--manifests", str(manifests)])
    assert result.exit_code == 2
    assert f"{manifests / 'broken.yaml'}:3:1: invalid YAML" in result.output
    assert "Traceback" not in result.output

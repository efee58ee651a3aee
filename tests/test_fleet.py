"""kubefleet fleet: discovery, provider choice, price twins, grouping, every finding, stack matching,
output formats (goldens), the CLI, and the HTML report rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.catalog import load_catalog
from kubefleet.cli.app import app
from kubefleet.compare import compare
from kubefleet.cost.model import Assumptions
from kubefleet.fleet import (
    ClusterRow,
    FleetReport,
    ProviderPrice,
    StackInfo,
    build_report,
    cheapest_equivalent,
    choose_provider,
    discover,
    findings,
    match_stacks,
    price_twin,
    twin_key,
)
from kubefleet.report import fleet_out
from kubefleet.spec.loader import load_text

from .conftest import MINIMAL, ROOT, Golden

DATA = Path("tests/data/fleet")  # relative to the repository root, so paths in goldens are stable
AS_OF = date(2026, 11, 27)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One render cache for the whole module (each twin renders once per provider)."""
    return tmp_path_factory.mktemp("fleet-home")


@pytest.fixture(autouse=True)
def _in_repo(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("KUBEFLEET_HOME", str(shared_home))


USAGE = Assumptions(log_gb_month=Decimal("10"), origins={"log_gb_month": "--log-gb"})  # as the CLI test passes it


@pytest.fixture(scope="module")
def report(shared_home: Path) -> Iterator[FleetReport]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.setenv("KUBEFLEET_HOME", str(shared_home))
        loaded, failures = discover([DATA])
        # a log volume prices GKE's Cloud Logging and EKS's CloudWatch lines (usage-priced, otherwise with no
        # upper bound), so alternatives can be ranked and the cheaper-provider finding is exercised
        yield build_report(loaded, failures, as_of=AS_OF, catalog=load_catalog(), group_by="team", jobs=1,
                           assumptions=USAGE)


# ----------------------------------------------------------------------------- discovery and provider


def test_discover_reads_every_file_recursively_and_keeps_going_past_a_broken_one() -> None:
    loaded, failures = discover([DATA])
    names = sorted(item.spec.name for item in loaded)
    assert names == ["analytics", "legacy-batch", "mystery", "payments-prod", "payments-prod-b", "search-dev"]
    by_name = {item.spec.name: item for item in loaded}
    assert by_name["legacy-batch"].file == str(DATA / "teams/search/clusters.yaml")  # second document, one dir down
    assert by_name["legacy-batch"].document == 1
    assert [f.file for f in failures] == [str(DATA / "broken.yaml")]
    positions = [(i.line, i.column) for i in failures[0].issues]
    assert positions == [(9, 25), (11, 3)]
    assert "1.30" in failures[0].issues[0].message and "nodepools" in failures[0].issues[1].message


def test_discover_reports_a_missing_path_and_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    loaded, failures = discover([tmp_path / "nope.yaml", tmp_path / "empty"])
    assert loaded == []
    assert [f.issues[0].message for f in failures] == ["no such file", "no *.yaml or *.yml files in this directory"]


def _spec(extra_labels: str = "", provider: str | None = None, providers_block: str = "") -> str:
    text = MINIMAL.replace("env: dev}", f"env: dev{extra_labels}}}")
    if provider:
        text = text.replace("spec:\n", f"spec:\n  provider: {provider}\n", 1)
    return text + providers_block


def test_provider_choice_and_its_fallbacks() -> None:
    def choose(text: str) -> tuple[str | None, str, str | None]:
        return choose_provider(load_text(text)[0].spec)

    assert choose(_spec(provider="eks")) == ("eks", "spec.provider", None)
    assert choose(_spec(", provider: aks", provider="gke")) == ("gke", "spec.provider", None)  # spec wins
    assert choose(_spec(", provider: aks")) == ("aks", "label", None)
    one = "  providers:\n    kubeadm: {controlPlaneVip: 10.0.0.10}\n"
    assert choose(_spec(providers_block=one)) == ("kubeadm", "spec.providers", None)
    two = "  providers:\n    gke: {project: p}\n    aks: {resourceGroup: rg}\n"
    assert choose(_spec(providers_block=two)) == (None, "none", None)
    provider, source, problem = choose(_spec(", provider: openstack"))
    assert (provider, source) == (None, "none") and problem is not None and "openstack" in problem


# ----------------------------------------------------------------------------- price twins


def test_price_twin_drops_identity_but_keeps_what_the_program_reads() -> None:
    spec = load_text(_spec(", tier: gold", provider="gke"))[0].spec
    twin = price_twin(spec)
    assert twin.name == "fleet-price-twin" and twin.metadata.labels == {"env": "dev"}
    assert twin.spec.provider is None
    assert twin.spec.model_dump() == spec.spec.model_copy(update={"provider": None}).model_dump()
    renamed = load_text(_spec(", tier: gold", provider="eks").replace("name: mini", "name: other"))[0].spec
    assert twin_key(spec) == twin_key(renamed)  # same shape, other name/provider: one render per provider
    prod = load_text(_spec(provider="gke").replace("env: dev", "env: prod"))[0].spec
    assert twin_key(prod) != twin_key(spec)  # env decides deletion protection, so it stays in the key


def test_clusters_of_one_shape_are_rendered_once() -> None:
    texts = [_spec(provider="gke").replace("name: mini", f"name: mini-{i}").replace("team: t,", f"team: t{i},")
             for i in range(5)]
    loaded = [load_text(t, f"c{i}.yaml")[0] for i, t in enumerate(texts)]
    rep = build_report(loaded, [], as_of=AS_OF, catalog=load_catalog(), compare_providers=False, jobs=1)
    assert rep.price_twins == 1
    assert len({r.monthly for r in rep.rows}) == 1 and rep.rows[0].monthly is not None
    assert [g.key for g in rep.groups("team")] == ["t0", "t1", "t2", "t3", "t4"]


@pytest.mark.parametrize("provider", ["gke", "eks", "aks", "kubeadm"])
def test_a_price_twin_prices_exactly_like_the_cluster_itself(provider: str) -> None:
    """The premise of pricing through twins: name and ownership labels never change a price."""
    spec = next(item.spec for item in discover([DATA / "payments/prod.yaml"])[0])
    catalog = load_catalog()
    own = compare(spec, [provider], as_of=AS_OF, catalog=catalog).results[provider].breakdown
    twin = compare(price_twin(spec), [provider], as_of=AS_OF, catalog=catalog).results[provider].breakdown
    assert own is not None and twin is not None
    # names and notes carry (hashes of) the cluster name; everything that is priced must be equal
    def priced(b: object) -> list[tuple[object, ...]]:
        return sorted((c.category, c.unit, c.quantity, c.unit_price, c.quantity_max, c.source_url, c.as_of, c.estimate)
                      for c in b.components)  # type: ignore[attr-defined]

    assert priced(own) == priced(twin)
    assert len(own.unpriced) == len(twin.unpriced)
    # labels become tags: on vSphere a tag is its own (free) resource; nothing else may differ
    from collections import Counter

    own_free, twin_free = Counter(r.split("::")[0] for r in own.free), Counter(r.split("::")[0] for r in twin.free)
    assert set((own_free - twin_free) + (twin_free - own_free)) <= {"vsphere:index/tag:Tag"}
    assert own.monthly_total == twin.monthly_total and own.monthly_max == twin.monthly_max


# ----------------------------------------------------------------------------- grouping


def test_grouping_by_every_key_adds_up_to_the_grand_total(report: FleetReport) -> None:
    total = report.total
    assert total.clusters == 6 and total.priced == 5 and total.not_priced == 1
    assert total.monthly == sum((r.monthly for r in report.rows if r.monthly is not None), Decimal(0))
    for by in ("team", "env", "provider", "region"):
        groups = report.groups(by)  # type: ignore[arg-type]
        assert sum(g.monthly for g in groups) == total.monthly
        assert sum(g.clusters for g in groups) == total.clusters
        assert [g.monthly for g in groups] == sorted((g.monthly for g in groups), reverse=True)
    teams = {g.key: g for g in report.groups("team")}
    assert set(teams) == {"payments", "search", "data"}
    assert teams["data"].clusters == 2 and teams["data"].not_priced == 1
    providers = {g.key for g in report.groups("provider")}
    assert providers == {"gke", "eks", "aks", "kubeadm", "(none)"}
    assert {g.key for g in report.groups("region")} == {"us-east", "europe-west", "us-west"}
    for g in report.groups("team"):
        # the stacked bars add up to the bar's label, within the cent each category is rounded to
        assert abs(sum(g.by_category.values()) - g.monthly) <= Decimal("0.01") * len(g.by_category) * g.clusters


def test_inventory_rows(report: FleetReport) -> None:
    rows = {r.name: r for r in report.rows}
    dev = rows["search-dev"]
    assert (dev.control_plane_nodes, dev.workers_min, dev.workers_max, dev.nodes_min, dev.nodes_max) == (1, 2, 2, 3, 3)
    prod = rows["payments-prod"]
    assert (prod.control_plane_nodes, prod.nodes_min, prod.nodes_max) == (0, 4, 12)
    assert prod.provider_region == "us-east4" and prod.region == "us-east"
    assert rows["analytics"].provider == "aks" and rows["analytics"].provider_source == "label"
    assert rows["mystery"].provider is None and rows["mystery"].monthly is None
    assert isinstance(prod.monthly, Decimal)
    assert report.price_twins == 6  # six different shapes (payments-prod-b differs from payments-prod in version)
    assert set(rows["payments-prod"].alternatives) == {"gke", "eks", "aks", "kubeadm"}


# ----------------------------------------------------------------------------- findings


def _row(name: str = "c", **kw: object) -> ClusterRow:
    price = ProviderPrice("gke", "us-east4", Decimal("1000"), Decimal("2000"),
                          {"control-plane": Decimal("73"), "nodes": Decimal("927")})
    base: dict[str, object] = dict(
        name=name, file="f.yaml", line=1, team="t", owner="o", cost_center="cc", env="prod", provider="gke",
        provider_source="spec.provider", region="us-east", provider_region="us-east4", version="1.35",
        minor="1.35", channel="stable", control_plane_nodes=0, workers_min=3, workers_max=6, price=price,
        alternatives={"gke": price})
    base.update(kw)
    return ClusterRow(**base)  # type: ignore[arg-type]


def _codes(rows: list[ClusterRow], when: date = AS_OF) -> list[tuple[str, str]]:
    return sorted((f.code, f.cluster) for f in findings(rows, load_catalog(), when))


def test_a_healthy_cluster_has_no_findings() -> None:
    assert _codes([_row()]) == []


def test_missing_owner_and_cost_center() -> None:
    assert _codes([_row(owner=None)]) == [("missing-owner", "c")]
    assert _codes([_row(cost_center=None)]) == [("missing-cost-center", "c")]


def test_version_support_windows_from_the_catalog() -> None:
    # gke 1.35 ends 2027-04-11: 60 days before is flagged, 61 is not; the day after the end is out
    assert _codes([_row()], date(2027, 2, 9)) == []  # 61 days
    assert _codes([_row()], date(2027, 2, 10)) == [("version-support-ending", "c")]  # 60 days
    assert _codes([_row()], date(2027, 4, 11)) == [("version-support-ending", "c")]  # last day
    assert _codes([_row()], date(2027, 4, 12)) == [("version-out-of-standard-support", "c")]
    eks = [_row(provider="eks", version="1.32", minor="1.32")]
    (f,) = findings(eks, load_catalog(), AS_OF)
    assert (f.code, f.severity) == ("version-out-of-standard-support", "medium") and "2027-03-23" in f.message
    (f,) = findings(eks, load_catalog(), date(2027, 3, 24))
    assert f.severity == "high"  # past extended support too
    (f,) = findings([_row(provider="aks", version="1.34", minor="1.34")], load_catalog(), AS_OF)
    assert f.code == "version-support-ending" and "2026-11-30" in f.message  # AKS: end of the month given
    (f,) = findings([_row(provider="aks", version="1.27", minor="1.27")], load_catalog(), AS_OF)  # unsourced
    assert (f.code, f.severity) == ("version-support-unknown", "info")


def test_small_cluster_rule() -> None:
    assert _codes([_row(workers_min=2)]) == [("small-cluster", "c")]  # fewer than 3 workers in prod
    assert _codes([_row(workers_min=2, env="dev")]) == []  # dev may be small
    assert _codes([_row(workers_min=2, env=None)]) == [("small-cluster", "c")]  # no env = not known to be dev
    at_limit = ProviderPrice("gke", None, Decimal("100"), Decimal("100"), {"control-plane": Decimal("25")})
    assert _codes([_row(price=at_limit, alternatives={})]) == []  # exactly 25% is fine
    over = ProviderPrice("gke", None, Decimal("100"), Decimal("100"), {"control-plane": Decimal("25.01")})
    (f,) = findings([_row(env="dev", price=over, alternatives={})], load_catalog(), AS_OF)
    assert f.code == "small-cluster" and "25%" in f.message  # applies in dev too


def test_likely_duplicates_and_name_clashes() -> None:
    rows = [_row("a"), _row("b", provider="eks", minor="1.35"), _row("c", region="us-west"), _row("d", team=None)]
    assert _codes(rows) == [("likely-duplicate", "a"), ("likely-duplicate", "b")]
    clash = [_row("a", file="x.yaml", env="prod"), _row("a", file="y.yaml", env="dev")]
    assert _codes(clash) == [("name-clash", "a"), ("name-clash", "a")]


def test_cheaper_provider_needs_a_complete_equivalent_and_a_real_saving() -> None:
    mine = ProviderPrice("gke", None, Decimal("1000"), Decimal("1000"), {"nodes": Decimal("1000")})
    cheap = ProviderPrice("eks", None, Decimal("800"), Decimal("800"), {"nodes": Decimal("800")})
    (f,) = findings([_row(price=mine, alternatives={"gke": mine, "eks": cheap})], load_catalog(), AS_OF)
    assert (f.code, f.saving) == ("cheaper-provider", Decimal("200.00")) and "eks" in f.message
    tiny = replace(cheap, monthly=Decimal("960"))  # 4% saving: below the 5% threshold
    assert _codes([_row(price=mine, alternatives={"gke": mine, "eks": tiny})]) == []
    incomplete = replace(cheap, unpriced=2)  # a lower bound is no basis for a move
    assert _codes([_row(price=mine, alternatives={"gke": mine, "eks": incomplete})]) == []
    lacking = replace(cheap, unsupported=("spec.tenancy.isolation",))  # not equivalent
    assert _codes([_row(price=mine, alternatives={"gke": mine, "eks": lacking})]) == []
    errored = ProviderPrice("aks", error="no prices")
    assert cheapest_equivalent(_row(price=mine, alternatives={"gke": mine, "aks": errored})) == mine


def test_no_provider_not_priced_and_unpriced_items() -> None:
    assert _codes([_row(provider=None, price=None, alternatives={})]) == [("no-provider", "c")]
    failed = ProviderPrice("eks", error="the eks catalog has no instance prices for region us-west-2")
    (f,) = findings([_row(provider="eks", price=failed, alternatives={})], load_catalog(), AS_OF)
    assert f.code == "not-priced" and "us-west-2" in f.message
    partial = ProviderPrice("gke", None, Decimal("10"), Decimal("10"), {"nodes": Decimal("10")}, unpriced=1)
    assert _codes([_row(price=partial, alternatives={})]) == [("unpriced-items", "c")]


def test_every_finding_appears_in_the_end_to_end_report(report: FleetReport) -> None:
    found = {(f.code, f.cluster) for f in report.findings}
    assert found == {
        ("version-out-of-standard-support", "legacy-batch"),
        ("no-provider", "mystery"),
        ("missing-owner", "legacy-batch"),
        ("small-cluster", "legacy-batch"),
        ("version-support-ending", "payments-prod-b"),
        ("missing-cost-center", "search-dev"),
        ("small-cluster", "search-dev"),
        ("unpriced-items", "analytics"),
        ("unpriced-items", "payments-prod"),  # GKE: Cloud NAT IPs are auto-allocated, count not declared
        # payments-prod-b (EKS, us-east-1): its CloudWatch control-plane logs are priced from the log volume
        ("likely-duplicate", "payments-prod"),
        ("likely-duplicate", "payments-prod-b"),
        ("cheaper-provider", "analytics"),
        # search-dev runs on kubeadm, whose estimate carries its share of the Cluster API management cluster;
        # the spec does not say how many clusters share it, so the whole reference management cluster (an
        # upper bound, kubefleet/cost/management.py) - and a completely priced cloud comes out cheaper
        ("cheaper-provider", "search-dev"),
        ("version-support-unknown", "analytics"),
    }
    saving = next(f for f in report.findings if f.code == "cheaper-provider" and f.cluster == "analytics")
    row = next(r for r in report.rows if r.name == "analytics")
    best = cheapest_equivalent(row)
    assert best is not None and row.monthly is not None and best.monthly is not None
    assert saving.saving == row.monthly - best.monthly


# ----------------------------------------------------------------------------- outputs


def test_json_golden(report: FleetReport, golden: Golden) -> None:
    text = fleet_out.to_json(report)
    data = json.loads(text)
    assert data["total"]["monthly"] == str(report.total.monthly)  # money as strings
    assert data["errors"][0]["file"] == "tests/data/fleet/broken.yaml"
    golden.check("fleet/fleet.json", text)


def test_csv_golden(report: FleetReport, golden: Golden) -> None:
    text = fleet_out.to_csv(report)
    lines = text.splitlines()
    assert sum(1 for ln in lines if ln.startswith("cluster,")) == 6
    assert sum(1 for ln in lines if ln.startswith("error,")) == 2
    golden.check("fleet/fleet.csv", text)


def test_markdown_golden(report: FleetReport, golden: Golden) -> None:
    golden.check("fleet/fleet.md", fleet_out.to_markdown(report))


def test_html_golden_is_self_contained(report: FleetReport, golden: Golden) -> None:
    page = fleet_out.to_html(report)
    assert "<script" not in page and "src=" not in page and "@import" not in page
    assert page.count("<svg") == 2 and 'id="chart-team"' in page and 'id="chart-provider"' in page
    assert "tests/data/fleet/broken.yaml:9:25" in page
    golden.check("fleet/fleet.html", page)


def test_grouping_by_provider_markdown_golden(report: FleetReport, golden: Golden) -> None:
    by_provider = replace(report, group_by="provider")
    golden.check("fleet/fleet-by-provider.md", fleet_out.to_markdown(by_provider))


# ----------------------------------------------------------------------------- CLI


def test_cli_json_is_the_golden_and_exits_1_for_the_broken_spec(report: FleetReport, golden: Golden) -> None:
    result = CliRunner().invoke(app, ["fleet", str(DATA), "--as-of", "2026-11-27", "--output", "json", "-j", "1",
                                      "--log-gb", "10"])
    assert result.exit_code == 1, result.output
    assert result.stdout == fleet_out.to_json(report)
    assert "1 spec file(s) failed to load" in result.stderr


def test_cli_table_by_region_exits_0_without_broken_specs() -> None:
    result = CliRunner().invoke(app, ["fleet", str(DATA / "payments"), str(DATA / "teams"), "--by", "region",
                                      "--as-of", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "by region" in result.stdout and "europe-west" in result.stdout and "payments-prod-b" in result.stdout
    assert "version-support-ending" in result.stdout


def test_cli_usage_errors() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["fleet"]).exit_code == 2
    assert runner.invoke(app, ["fleet", str(DATA), "--as-of", "27/11/2026"]).exit_code == 2
    assert runner.invoke(app, ["fleet", str(DATA), "--backend", "s3://x"]).exit_code == 2


def test_parallel_workers_give_the_same_report(report: FleetReport) -> None:
    loaded, failures = discover([DATA])
    parallel = build_report(loaded, failures, as_of=AS_OF, catalog=load_catalog(), group_by="team", jobs=2,
                            assumptions=USAGE)
    assert parallel.as_json() == report.as_json()


def test_no_compare_prices_only_the_chosen_provider(report: FleetReport) -> None:
    loaded, failures = discover([DATA])
    quick = build_report(loaded, failures, as_of=AS_OF, catalog=load_catalog(), compare_providers=False, jobs=1,
                         assumptions=USAGE)
    assert [r.monthly for r in quick.rows] == [r.monthly for r in report.rows]
    assert not any(f.code == "cheaper-provider" for f in quick.findings)
    assert all(set(r.alternatives) <= {r.provider} for r in quick.rows)


# ----------------------------------------------------------------------------- stacks


def _stack(name: str, **outputs: object) -> StackInfo:
    return StackInfo(name=name, last_update=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), resource_count=12,
                     url=f"file:///state/{name}", outputs=outputs)


def test_match_stacks_marks_specs_without_stack_and_stacks_without_spec() -> None:
    loaded, _ = discover([DATA])
    stacks = [
        _stack("payments-prod-gke", endpoint="https://1.2.3.4"),  # deployed as the spec says
        _stack("organization/kubefleet/legacy-batch-gke"),  # fully qualified name
        _stack("search-dev-gke"),  # the spec says kubeadm
        _stack("old-cluster-eks"),  # no spec
    ]
    matches = {(m.status, m.cluster, m.stack.name if m.stack else None) for m in match_stacks(loaded, stacks)}
    assert matches == {
        ("deployed", "payments-prod", "payments-prod-gke"),
        ("deployed", "legacy-batch", "organization/kubefleet/legacy-batch-gke"),
        ("provider-differs", "search-dev", "search-dev-gke"),
        ("no-stack", "payments-prod-b", None),
        ("no-stack", "analytics", None),
        ("no-stack", "mystery", None),
        ("no-spec", None, "old-cluster-eks"),
    }
    deployed = next(m for m in match_stacks(loaded, stacks) if m.cluster == "payments-prod")
    assert deployed.as_dict()["outputs"] == {"endpoint": "https://1.2.3.4"}
    assert deployed.as_dict()["last_update"] == "2026-11-20T09:30:00+00:00"
    assert match_stacks([], stacks)[0].status == "no-spec"


def test_stacks_without_the_pulumi_cli_is_the_engines_missing_cli_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["fleet", "--stacks", str(DATA)])
    assert result.exit_code == 2
    assert "Pulumi CLI" in result.stderr


# ----------------------------------------------------------------------------- HTML in a real browser


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"), reason="no /usr/bin/chromium here")
def test_html_report_renders_in_headless_chromium(report: FleetReport, tmp_path: Path) -> None:
    page = tmp_path / "fleet.html"
    page.write_text(fleet_out.to_html(report))
    png = tmp_path / "fleet.png"
    chromium = shutil.which("chromium") or str(CHROMIUM)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1200,1600",
         f"--screenshot={png}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    assert png.stat().st_size > 20_000
    width, height, pixels = _png_pixels(png.read_bytes())
    assert (width, height) == (1200, 1600)
    colours = set(pixels)
    assert len(colours) > 50  # text, bars and tables, not a blank page
    white = sum(1 for p in pixels if p == (255, 255, 255))
    assert white < 0.97 * len(pixels)
    from kubefleet.report.compare_out import CATEGORY_COLORS

    for cat in ("control-plane", "nodes"):  # the stacked bars are drawn
        rgb = tuple(int(CATEGORY_COLORS[cat][i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, cat


def _png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) with the standard library."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    pixels: list[tuple[int, ...]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, channels))
        prev = line
    return width, height, pixels


# ----------------------------------------------------------------------------- per-account credits


def _zonal_free(name: str, account: str | None) -> str:
    label = f", billing-account: {account}" if account else ""
    return (MINIMAL.replace("name: mini", f"name: {name}")
            .replace("env: dev}", f"env: dev{label}}}")
            .replace('version: "1.33"}', 'version: "1.33"}\n  provider: gke\n  controlPlane: {tier: free, availability: zonal, replicas: 1}'))


def test_gke_free_tier_credit_goes_to_one_cluster_per_billing_account() -> None:
    """gke-pricing: "$74.40 in monthly credits per billing account, which is equivalent to one free
    Autopilot or zonal Standard cluster per month"; capped at the $73.00 fee (730 h × $0.10)."""
    text = "\n---\n".join([_zonal_free("a-one", "acct-a"), _zonal_free("a-two", "acct-a"),
                            _zonal_free("b-one", "acct-b"), _zonal_free("u-one", None), _zonal_free("u-two", None)])
    loaded = load_text(text, "credits.yaml")
    rep = build_report(loaded, [], as_of=AS_OF, catalog=load_catalog(), compare_providers=False, jobs=1)
    rows = {r.name: r for r in rep.rows}
    got = {n: rows[n].price.account_credit for n in rows}  # type: ignore[union-attr]
    assert got == {"a-one": Decimal("-73.00"), "a-two": Decimal(0), "b-one": Decimal("-73.00"),
                   "u-one": Decimal("-73.00"), "u-two": Decimal(0)}
    assert rep.account_credits == {"gke:acct-a": "a-one", "gke:acct-b": "b-one",
                                   "gke:(no billing-account label)": "u-one"}
    # the cluster without the credit pays the whole fee; nothing is negative
    assert rows["a-two"].price.by_category["control-plane"] == Decimal("73.00")  # type: ignore[union-attr]
    assert rows["a-one"].price.by_category["control-plane"] == Decimal("0.00")  # type: ignore[union-attr]
    assert rows["a-two"].monthly == rows["a-one"].monthly + Decimal("73.00")  # type: ignore[operator]
    # the fleet total adds up the clusters as billed
    assert rep.total.monthly == sum((r.monthly for r in rep.rows), Decimal(0))  # type: ignore[misc]
    data = json.loads(fleet_out.to_json(rep))
    assert data["account_credits"]["gke:acct-a"] == "a-one"


def test_fleet_csv_sum_of_cluster_rows_is_the_total(report: FleetReport) -> None:
    """A naive SUM over monthly_usd counts every cluster once: totals live in subtotal_* columns."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(fleet_out.to_csv(report))))
    assert {r["row_kind"] for r in rows} >= {"cluster", "total", f"group:{report.group_by}"}
    total = sum((Decimal(r["monthly_usd"]) for r in rows if r["monthly_usd"]), Decimal(0))
    assert total == report.total.monthly
    [t] = [r for r in rows if r["row_kind"] == "total"]
    assert Decimal(t["subtotal_monthly_usd"]) == total and t["monthly_usd"] == ""


def test_csv_groups_by_cost_center_and_has_yearly_columns(report: FleetReport) -> None:
    """Finance charges back by cost centre: the fleet CSV always carries group:cost-center rows (whatever
    --by is), and every amount has its yearly figure (12 × monthly, reconciling to the cent)."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(fleet_out.to_csv(report))))
    centres = [r for r in rows if r["row_kind"] == "group:cost-center"]
    clusters = [r for r in rows if r["row_kind"] == "cluster" and r["monthly_usd"]]
    assert report.group_by == "team" and any(r["row_kind"] == "group:team" for r in rows)
    assert {r["cluster"] for r in centres} >= {c["cost_center"] for c in clusters if c["cost_center"]}
    assert sum(Decimal(r["subtotal_monthly_usd"]) for r in centres) == sum(Decimal(r["monthly_usd"]) for r in clusters)
    for r in clusters:
        assert Decimal(r["yearly_usd"]) == Decimal(r["monthly_usd"]) * 12
    [total] = [r for r in rows if r["row_kind"] == "total"]
    assert Decimal(total["subtotal_yearly_usd"]) == Decimal(total["subtotal_monthly_usd"]) * 12

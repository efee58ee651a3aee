"""`kubefleet prices show` and `kubefleet prices refresh` through the real Typer app (CliRunner)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.cost.sources import transport
from kubefleet.cost.sources.cache import cached_file
from tests.test_pricing_sources import PREVIOUS_AKS, FakeTransport, azure_routes, write_previous

runner = CliRunner()


def test_prices_is_registered() -> None:
    res = runner.invoke(app, ["prices", "--help"])
    assert res.exit_code == 0
    assert "refresh" in res.stdout and "show" in res.stdout


def test_show_table_lists_every_provider_from_the_shipped_catalog() -> None:
    res = runner.invoke(app, ["prices", "show", "--as-of", "2026-11-27"])
    assert res.exit_code == 0, res.stderr
    for provider in ("gke", "eks", "aks"):
        assert f"{provider}: shipped catalog (kubefleet/catalog/data/{provider}.yaml)" in res.stdout
    assert "https://cloud.google.com/kubernetes-engine/pricing" in res.stdout
    assert "eastus" in res.stdout and "control_plane.standard" in res.stdout
    # staleness is measured from the data date: the shipped GKE mirror was generated 2025-03-06
    # (Cyclenerd pricing.yml "generated: Thu Mar  6 03:53:56 2025"), 631 days before 2026-11-27
    assert "gke prices are 631 days old (oldest dated source published/generated 2025-03-06" in res.stdout
    assert "published 2025-03-06" in res.stdout


def test_show_json_for_one_provider_and_region() -> None:
    res = runner.invoke(app, ["prices", "show", "-p", "aks", "-r", "eastus", "-o", "json", "--as-of", "2026-12-01"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["as_of"] == "2026-12-01"
    (aks,) = data["providers"]
    assert aks["provider"] == "aks" and aks["origin"] == "shipped"
    assert [r["region"] for r in aks["regions"]] == ["eastus"]
    assert aks["regions"][0]["instances"] > 0
    assert all(s["url"].startswith("https://") and "age_days" in s for s in aks["sources"])


def test_show_warns_on_data_older_than_90_days() -> None:
    write_previous("aks", PREVIOUS_AKS)  # sources read 2026-06-01
    res = runner.invoke(app, ["prices", "show", "--provider", "aks", "--as-of", "2026-11-27"])
    assert res.exit_code == 0
    assert "aks: user cache (" in res.stdout
    assert "179 days old" in res.stdout
    assert "warning: aks prices are 179 days old" in res.stdout
    assert "kubefleet prices refresh --provider aks" in res.stdout
    as_json = runner.invoke(app, ["prices", "show", "-p", "aks", "-o", "json", "--as-of", "2026-11-27"])
    assert "179 days old" in json.loads(as_json.stdout)["providers"][0]["warnings"][0]
    assert "warning: aks prices are 179 days old" in as_json.stderr


def test_show_bad_date_and_bad_provider_are_usage_errors() -> None:
    res = runner.invoke(app, ["prices", "show", "--as-of", "tomorrow"])
    assert res.exit_code == 2 and "not a date" in res.stderr
    res = runner.invoke(app, ["prices", "show", "--provider", "ibm"])
    assert res.exit_code == 2 and "'ibm'" in res.stderr


def test_refresh_gke_without_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEFLEET_GCP_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    res = runner.invoke(app, ["prices", "refresh", "--provider", "gke"])
    assert res.exit_code == 2
    assert "KUBEFLEET_GCP_API_KEY" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_refresh_kubeadm_is_a_usage_error() -> None:
    res = runner.invoke(app, ["prices", "refresh", "--provider", "kubeadm"])
    assert res.exit_code == 2 and "kubeadm" in res.stderr


def test_refresh_aks_writes_the_cache_and_prints_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(azure_routes()))
    res = runner.invoke(app, ["prices", "refresh", "--provider", "aks"])
    assert res.exit_code == 0, res.stderr
    assert f"aks: wrote {cached_file('aks')}: instances per region: eastus (4)" in res.stdout
    assert "aks: fees from the API: control_plane.premium, control_plane.standard" in res.stdout
    assert "aks: VMs in eastus: page 2 (6 items)" in res.stderr
    shown = runner.invoke(app, ["prices", "show", "-p", "aks", "-o", "json"])
    (aks,) = json.loads(shown.stdout)["providers"]
    assert aks["origin"] == "cache"
    assert {s["key"] for s in aks["sources"]} >= {"azure-retail-prices-vm", "azure-retail-prices-aks"}


def test_refresh_network_failure_exits_2_and_keeps_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport({}))
    res = runner.invoke(app, ["prices", "refresh", "-p", "aks"])
    assert res.exit_code == 2
    assert "could not reach prices.azure.com" in res.stderr
    assert "is still used" in res.stderr
    assert path.read_text() == PREVIOUS_AKS


def test_refresh_all_skips_gke_without_a_key_and_reports_other_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEFLEET_GCP_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    write_previous("aks", PREVIOUS_AKS)
    monkeypatch.setattr(transport, "urllib_fetch", FakeTransport(azure_routes()))
    res = runner.invoke(app, ["prices", "refresh"])
    assert "gke: skipped:" in res.stderr and "KUBEFLEET_GCP_API_KEY" in res.stderr
    assert "aks: wrote" in res.stdout
    # eks has no recorded answers here: it fails alone, and the command says so with exit 2
    assert res.exit_code == 2
    assert "could not reach pricing.us-east-1.amazonaws.com" in res.stderr
    assert not cached_file("eks").exists()


# ------------------------------------------------------------------ prices shown, against the data file itself
# The oracle is the catalog data file read here with PyYAML (not through kubefleet's catalog loader): every
# figure `prices show` prints must be that file's figure for the provider and region, with its source's URL
# and dates.

def _from_data_file(provider: str, region: str) -> list[dict[str, object]]:
    import yaml

    from tests.conftest import ROOT

    data = yaml.safe_load((ROOT / "kubefleet" / "catalog" / "data" / f"{provider}.yaml").read_text(encoding="utf-8"))
    sources = data["sources"]

    def row(kind: str, where: str | None, item: str, entry: dict[str, object], unit: str | None = None) -> dict[str, object]:
        src = sources[entry["source"]]
        published = src.get("published")
        return {"kind": kind, "region": where, "item": item, "price": None if entry.get("not_published") else entry["price"],
                "unit": unit or entry.get("unit"), "source": entry["source"], "url": src["url"],
                "published": published.isoformat() if published else None, "read": src["read"].isoformat()}

    rows = [row("instance", region, name, e, "hour") for name, e in data["instances"][region].items()]
    rows += [row("storage", region, name, e) for name, e in (data.get("storage") or {}).get(region, {}).items()]
    rows += [row("network", region, name, e) for name, e in (data.get("network") or {}).get(region, {}).items()]
    rows += [row("fee", None, f"{group}.{name}", e) for group, entries in data["fees"].items()
             for name, e in entries.items()]
    return rows


_KEYS = ("kind", "region", "item", "price", "unit", "source", "url", "published", "read")


@pytest.mark.parametrize(("provider", "region"), [("gke", "us-east4"), ("eks", "us-east-1"), ("aks", "westeurope")])
def test_show_json_lists_every_unit_price_of_the_data_file(provider: str, region: str) -> None:
    res = runner.invoke(app, ["prices", "show", "-p", provider, "-r", region, "-o", "json", "--as-of", "2026-12-06"])
    assert res.exit_code == 0, res.stderr
    (shown,) = json.loads(res.stdout)["providers"]
    got = sorted((tuple(r[k] for k in _KEYS) for r in shown["prices"]), key=str)
    expected = sorted((tuple(r[k] for k in _KEYS) for r in _from_data_file(provider, region)), key=str)
    assert got == expected
    assert any(r["kind"] == "instance" for r in shown["prices"]) and all(r["currency"] == "USD" for r in shown["prices"])


def test_show_table_and_markdown_print_each_instance_price_on_its_row() -> None:
    expected = [r for r in _from_data_file("gke", "europe-west4") if r["kind"] in ("instance", "fee")]
    wide = runner.invoke(app, ["prices", "show", "-p", "gke", "-r", "europe-west4", "--as-of", "2026-12-06"],
                         env={"COLUMNS": "400"})
    assert wide.exit_code == 0, wide.stderr
    table_rows = {line.split("│")[1].strip(): line for line in wide.stdout.splitlines() if line.count("│") >= 6}
    md = runner.invoke(app, ["prices", "show", "-p", "gke", "-r", "europe-west4", "-o", "markdown"])
    assert md.exit_code == 0, md.stderr
    md_rows: dict[str, list[str]] = {}
    for md_line in md.stdout.splitlines():
        cells = [c.strip() for c in md_line.strip().strip("|").split("|")]
        if md_line.startswith("| ") and len(cells) == 8:
            md_rows[cells[2]] = cells
    for r in expected:
        figure = f"${r['price']}/{r['unit']}"
        line = table_rows[str(r["item"])]
        assert figure in line and str(r["source"]) in line and str(r["read"]) in line, line
        cells = md_rows[str(r["item"])]
        assert cells[4] == figure and cells[5] == f"[{r['source']}]({r['url']})", cells
        assert cells[6] == (r["published"] or "not stated") and cells[7] == r["read"]


def test_show_json_matches_its_published_schema() -> None:
    import jsonschema  # type: ignore[import-untyped]

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "schemas" / "prices.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    res = runner.invoke(app, ["prices", "show", "-o", "json", "--as-of", "2026-12-06"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, schema)
    assert {p["provider"] for p in doc["providers"]} == {"gke", "eks", "aks"}
    assert all(p["prices"] for p in doc["providers"])
